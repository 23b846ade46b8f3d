package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// warnings returns the reasons of the warning events of a --json output.
func warnings(t *testing.T, out string) []string {
	t.Helper()
	var w []string
	for _, l := range jsonLines(t, out) {
		if l["event"] == "warning" {
			w = append(w, l["reason"].(string))
		}
	}
	return w
}

// Issue 12: a source object whose metadata changes in place (CopyObject
// with MetadataDirective REPLACE) is brought up to date by sync, so that
// verify, which compares metadata, passes after it.
func TestSyncCarriesMetadataChanges(t *testing.T) {
	ctx := context.Background()
	src, dst, _ := servers(t)
	sb, db := src.Bucket(t), dst.Bucket(t)
	ss := src.Store(t, sb, "")
	storetest.Put(t, ss, "report.csv", []byte("a,b\n1,2\n"), store.Metadata{ContentType: "text/plain", User: map[string]string{"team": "ops"}})
	storetest.Put(t, ss, "other.txt", []byte("other"), store.Metadata{ContentType: "text/plain"})
	args := []string{"s3://" + sb, "s3://" + db, "--from-profile", "src", "--to-profile", "dst"}
	if code, out, errs := sortie(t, append([]string{"copy"}, args...)...); code != 0 {
		t.Fatalf("copy: %d %s %s", code, out, errs)
	}
	info, err := ss.Stat(ctx, "report.csv")
	if err != nil {
		t.Fatal(err)
	}
	m := info.Meta.Clone()
	m.ContentType, m.User["team"], m.User["reviewed"] = "text/csv", "data", "yes"
	if _, err := ss.UpdateMetadata(ctx, "report.csv", info.ETag, m); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := sortie(t, append([]string{"verify"}, args...)...); code != 1 {
		t.Fatalf("verify before sync: exit %d, want 1\n%s", code, out)
	}
	code, out, errs := sortie(t, append([]string{"sync", "--json"}, args...)...)
	if s := last(t, out); code != 0 || s["copied"] != 0.0 || s["unchanged"] != 1.0 || s["metadata_updated"] != 1.0 {
		t.Fatalf("sync: exit %d, summary %v\n%s", code, s, errs)
	}
	got, err := dst.Store(t, db, "").Stat(ctx, "report.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got.Meta.ContentType != "text/csv" || got.Meta.User["team"] != "data" || got.Meta.User["reviewed"] != "yes" {
		t.Errorf("destination metadata after sync: %+v", got.Meta)
	}
	if code, out, _ := sortie(t, append([]string{"verify", "--exact"}, args...)...); code != 0 {
		t.Fatalf("verify after sync: exit %d\n%s", code, out)
	}
	code, out, _ = sortie(t, append([]string{"sync", "--json"}, args...)...)
	if s := last(t, out); code != 0 || s["copied"] != 0.0 || s["unchanged"] != 2.0 {
		t.Fatalf("second sync: exit %d, summary %v", code, s)
	}
}

// versitygw stores folder markers as directories, with Content-Type
// application/x-directory whatever was sent: verify and sync report that
// once, as a quirk of the store, not as a failure or a change to copy.
func TestVersityGWFolderMarkerQuirk(t *testing.T) {
	src, _, vgw := servers(t)
	sb, vb := src.Bucket(t), vgw.Bucket(t)
	ss := src.Store(t, sb, "")
	for _, k := range []string{"a/", "b/", "b/c/"} {
		storetest.Put(t, ss, k, nil, store.Metadata{ContentType: "application/octet-stream"})
	}
	storetest.Put(t, ss, "b/file.txt", []byte("x"), store.Metadata{ContentType: "text/plain"})
	args := []string{"s3://" + sb, "s3://" + vb, "--from-profile", "src", "--to-profile", "vgw", "--json"}
	if code, out, errs := sortie(t, append([]string{"copy"}, args...)...); code != 0 {
		t.Fatalf("copy: %d %s %s", code, out, errs)
	}
	if i, err := vgw.Store(t, vb, "").Stat(context.Background(), "a/"); err != nil || i.Meta.ContentType != "application/x-directory" {
		t.Fatalf("versitygw kept a folder marker's Content-Type (%q, %v): the quirk this test covers is gone; update diff.CompareInfo", i.Meta.ContentType, err)
	}
	code, out, errs := sortie(t, append([]string{"verify", "--exact"}, args...)...)
	if code != 0 {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, errs)
	}
	if w := warnings(t, out); len(w) != 1 || !strings.Contains(w[0], "application/x-directory") {
		t.Errorf("verify warnings %q, want the folder-marker quirk once", w)
	}
	code, out, _ = sortie(t, append([]string{"sync"}, args...)...)
	if s := last(t, out); code != 0 || s["copied"] != 0.0 || s["unchanged"] != 4.0 || len(s["store_quirks"].([]any)) != 1 {
		t.Fatalf("sync: exit %d, summary %v", code, s)
	}
	// The terminal summary says it too, once.
	code, text, _ := sortie(t, append([]string{"sync"}, args[:len(args)-1]...)...)
	if code != 0 || strings.Count(text, "application/x-directory") != 1 {
		t.Errorf("sync's summary: exit %d\n%s", code, text)
	}
	if w := warnings(t, out); len(w) != 1 || !strings.Contains(w[0], "application/x-directory") {
		t.Errorf("sync warnings %q, want the folder-marker quirk once", w)
	}
}

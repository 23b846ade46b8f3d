package cli_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// plan --json prints one event per object, then the summary, as its --help
// says.
func TestPlanJSONPerObject(t *testing.T) {
	src, dst, _ := servers(t)
	sb, db := src.Bucket(t), dst.Bucket(t)
	ss, ds := src.Store(t, sb, ""), dst.Store(t, db, "")
	storetest.Put(t, ss, "new", []byte("new"), store.Metadata{})
	storetest.Put(t, ss, "same", []byte("same"), store.Metadata{})
	storetest.Put(t, ds, "same", []byte("same"), store.Metadata{})
	storetest.Put(t, ds, "gone", []byte("gone"), store.Metadata{})
	code, out, errs := sortie(t, "plan", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst", "--json")
	if code != 0 {
		t.Fatalf("plan: %d %s %s", code, out, errs)
	}
	lines := jsonLines(t, out)
	got := map[string]string{}
	for _, l := range lines[:len(lines)-1] {
		k, _ := l["key"].(string)
		ev, _ := l["event"].(string)
		got[k] = ev
	}
	want := map[string]string{"new": "would-copy", "same": "unchanged", "gone": "would-delete"}
	for k, ev := range want {
		if got[k] != ev {
			t.Errorf("event for %q: got %q, want %q\n%s", k, got[k], ev, out)
		}
	}
	if ev := lines[len(lines)-1]["event"]; ev != "plan" {
		t.Errorf("last line: got event %v, want plan", ev)
	}
}

// plan into a destination bucket that does not exist says so, once, and
// that copy needs --create-bucket; it still plans (exit 0), as a dry run.
func TestPlanMissingBucket(t *testing.T) {
	src, dst, _ := servers(t)
	sb := src.Bucket(t)
	storetest.Put(t, src.Store(t, sb, ""), "a", []byte("a"), store.Metadata{})
	db := dst.Bucket(t) + "-absent"
	code, out, errs := sortie(t, "plan", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst")
	if code != 0 {
		t.Fatalf("plan: exit %d, want 0\n%s%s", code, out, errs)
	}
	var notes []string
	for l := range strings.Lines(out) {
		if strings.Contains(l, "does not exist") {
			notes = append(notes, l)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], db) || !strings.Contains(notes[0], "--create-bucket") {
		t.Errorf("got notes %q, want one line naming %s and --create-bucket\n%s", notes, db, out)
	}
	code, out, errs = sortie(t, "plan", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst", "--json")
	if p := last(t, out); code != 0 || p["destination_missing"] != true {
		t.Errorf("plan --json: exit %d, destination_missing %v; want 0, true\n%s%s", code, p["destination_missing"], out, errs)
	}
	// Nothing was created.
	if err := dst.Store(t, db, "").Check(context.Background()); !errors.Is(err, store.ErrNoBucket) {
		t.Errorf("after plan, bucket check: got %v, want ErrNoBucket", err)
	}
}

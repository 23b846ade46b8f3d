package verify

import (
	"context"
	"slices"
	"testing"

	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/retry"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/mem"
	"github.com/sortie-dev/sortie/internal/store/storetest"
	"github.com/sortie-dev/sortie/internal/transfer"
)

func TestVerify(t *testing.T) {
	ctx := context.Background()
	src, dst := mem.New("src"), mem.New("dst")
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		storetest.Put(t, src, k, []byte("body of "+k), store.Metadata{ContentType: "text/plain", User: map[string]string{"x": k}})
	}
	if _, err := transfer.Run(ctx, src, dst, transfer.Options{MaxDelete: -1}); err != nil {
		t.Fatal(err)
	}
	rep, err := Run(ctx, src, dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK(true) || rep.Verified != 5 || rep.ByETag != 5 {
		t.Fatalf("clean copy: %+v", rep)
	}

	// Corrupt one (same size), remove one, add one, change metadata of one.
	storetest.Put(t, dst, "a", []byte("body of X"), store.Metadata{ContentType: "text/plain", User: map[string]string{"x": "a"}})
	dst.Delete(ctx, "b")
	storetest.Put(t, dst, "zz-extra", []byte("?"), store.Metadata{})
	info, _ := dst.Stat(ctx, "c")
	info.Meta.ContentType = "application/octet-stream"
	storetest.Put(t, dst, "c", []byte("body of c"), info.Meta)

	rec := &event.Recorder{}
	rep, err = Run(ctx, src, dst, Options{Listener: rec, Retry: retry.Policy{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK(false) || rep.Missing != 1 || rep.Mismatched != 2 || rep.Extra != 1 || rep.Verified != 2 {
		t.Fatalf("report %+v", rep)
	}
	for kind, want := range map[event.Kind][]string{
		event.Mismatch: {"a", "c"}, event.Missing: {"b"}, event.Extra: {"zz-extra"}, event.Verified: {"d", "e"},
	} {
		got := rec.Keys(kind)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", kind, got, want)
		}
	}
}

func TestCompareMetadata(t *testing.T) {
	base := store.Metadata{ContentType: "text/plain", User: map[string]string{"a": "1"}, Tags: map[string]string{"t": "v"}}
	withMtime := base.Clone()
	withMtime.User["mtime"] = "1700000000.000000000"
	for _, tc := range []struct {
		name     string
		src, dst store.Metadata
		same     bool
	}{
		{"equal", base, base, true},
		{"mtime added by the copy", base, withMtime, true},
		{"content type", base, store.Metadata{ContentType: "x", User: base.User, Tags: base.Tags}, false},
		{"user value", base, store.Metadata{ContentType: "text/plain", User: map[string]string{"a": "2"}, Tags: base.Tags}, false},
		{"extra user key", base, store.Metadata{ContentType: "text/plain", User: map[string]string{"a": "1", "b": "2"}, Tags: base.Tags}, false},
		{"tags", base, store.Metadata{ContentType: "text/plain", User: base.User}, false},
		{"nil vs empty", store.Metadata{User: map[string]string{}}, store.Metadata{}, true},
	} {
		if got := CompareMetadata(tc.src, tc.dst, true) == ""; got != tc.same {
			t.Errorf("%s: same = %v, want %v (%s)", tc.name, got, tc.same, CompareMetadata(tc.src, tc.dst, true))
		}
	}
}

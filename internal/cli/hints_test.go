package cli_test

import (
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


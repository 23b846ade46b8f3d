package listing

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// On a real MinIO bucket, with keys chosen to sit on the boundaries the
// probes find (keys that are prefixes of other keys, a-b against a/b, the
// first and last key of each folder), the parallel listing is the
// sequential one, key for key, for every number of workers.
func TestMinIOBoundaries(t *testing.T) {
	srv := s3test.Shared(t, s3test.MinIO, "listing")
	st := srv.Store(t, srv.Bucket(t), "")
	// MinIO keeps objects as directories, so no key may be a prefix of
	// another at a "/" (an object "data" and an object "data/x"); prefixes
	// within a segment ("obj" and "obj-0001") it takes.
	keys := []string{"data-b", "data0", "data/a-b", "data/a/b", "zz"}
	for f := range 12 {
		keys = append(keys, fmt.Sprintf("data/%02d/obj", f))
		for i := range 40 {
			keys = append(keys, fmt.Sprintf("data/%02d/obj-%04d", f, i))
		}
	}
	for _, k := range keys {
		storetest.Put(t, st, k, []byte(k), store.Metadata{})
	}
	want := storetest.Keys(t, st)
	if len(want) != len(keys) {
		t.Fatalf("bucket holds %d keys, want %d", len(want), len(keys))
	}
	segs, err := Plan(context.Background(), st, "", 16, 256)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, segs)
	if len(segs) < 8 {
		t.Errorf("only %d segments: %+v", len(segs), segs)
	}
	for _, w := range []int{2, 3, 8, 16} {
		got := keysOf(t, List(context.Background(), st, "", Options{Workers: w, Buffer: 7}))
		if !slices.Equal(got, want) {
			t.Fatalf("%d workers:\ngot  %q\nwant %q", w, got, want)
		}
	}
	// Resuming after a key that is a prefix of others.
	got := keysOf(t, List(context.Background(), st, "data/05/obj", Options{Workers: 4}))
	if want := keysOf(t, st.List(context.Background(), "data/05/obj")); !slices.Equal(got, want) || len(want) == 0 {
		t.Fatalf("after data/05/obj:\ngot  %q\nwant %q", got, want)
	}
}

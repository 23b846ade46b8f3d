package verify

import (
	"context"
	"slices"
	"testing"

	"github.com/sortie-dev/sortie/internal/filter"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/mem"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// tagless keeps no tags.
type tagless struct{ *mem.Store }

func (s tagless) Capabilities() store.Capabilities {
	c := s.Store.Capabilities()
	c.Tags = false
	return c
}

// What verify of the current objects does not compare is named, once, and
// counts against OK(exact) unless the options asked for it.
func TestNotCompared(t *testing.T) {
	ctx := context.Background()
	locked := store.Metadata{Lock: store.Lock{Mode: store.LockCompliance, RetainUntil: retainUntil}}
	tagged := store.Metadata{Tags: map[string]string{"t": "1"}}
	for _, tc := range []struct {
		name string
		// fill writes both sides: the destination as a copy would.
		fill func(t *testing.T, src, dst *mem.Store)
		dst  func(*mem.Store) store.Store
		opts Options
		want []Gap
		// ok is OK(false); OK(true) must then be ok and Complete.
		ok bool
	}{
		{name: "unversioned, all compared", ok: true, fill: func(t *testing.T, src, dst *mem.Store) {
			storetest.Put(t, src, "a", []byte("a"), tagged)
			storetest.Put(t, dst, "a", []byte("a"), tagged)
		}},
		{name: "versioned without history", ok: true, fill: func(t *testing.T, src, dst *mem.Store) {
			src.SetVersioning(ctx, store.VersioningEnabled)
			storetest.Put(t, src, "a", []byte("a"), store.Metadata{})
			storetest.Put(t, dst, "a", []byte("a"), store.Metadata{})
		}},
		{name: "history at the source", ok: true, fill: func(t *testing.T, src, dst *mem.Store) {
			src.SetVersioning(ctx, store.VersioningEnabled)
			storetest.Put(t, src, "a", []byte("first"), store.Metadata{})
			storetest.Put(t, src, "a", []byte("second"), store.Metadata{})
			storetest.Put(t, src, "b", []byte("deleted"), store.Metadata{})
			src.Delete(ctx, "b")
			storetest.Put(t, src, "skipped/c", []byte("one"), store.Metadata{})
			storetest.Put(t, src, "skipped/c", []byte("two"), store.Metadata{})
			storetest.Put(t, dst, "a", []byte("second"), store.Metadata{})
			storetest.Put(t, dst, "skipped/c", []byte("two"), store.Metadata{})
		}, opts: Options{Filter: mustFilter(t, nil, []string{"skipped/**"})},
			want: []Gap{{What: GapHistory, Why: "2 noncurrent versions and 1 delete marker at the source"}}},
		{name: "only delete markers", ok: true, fill: func(t *testing.T, src, dst *mem.Store) {
			src.SetVersioning(ctx, store.VersioningEnabled)
			src.Delete(ctx, "gone")
		}, want: []Gap{{What: GapHistory, Why: "1 delete marker at the source"}}},
		{name: "the destination keeps no tags", ok: true, fill: func(t *testing.T, src, dst *mem.Store) {
			storetest.Put(t, src, "a", []byte("a"), tagged)
			storetest.Put(t, src, "b", []byte("b"), store.Metadata{})
			storetest.Put(t, dst, "a", []byte("a"), store.Metadata{})
			storetest.Put(t, dst, "b", []byte("b"), store.Metadata{})
		}, dst: func(s *mem.Store) store.Store { return tagless{s} },
			want: []Gap{{What: GapTags, Why: "the destination keeps no tags (1 object has tags at the source)"}}},
		{name: "lock differs", ok: false, fill: func(t *testing.T, src, dst *mem.Store) {
			storetest.Put(t, src, "a", []byte("a"), locked)
			storetest.Put(t, dst, "a", []byte("a"), store.Metadata{})
		}},
		{name: "lock not carried, as asked", ok: true, fill: func(t *testing.T, src, dst *mem.Store) {
			storetest.Put(t, src, "a", []byte("a"), locked)
			storetest.Put(t, dst, "a", []byte("a"), store.Metadata{})
		}, opts: Options{NoLock: true},
			want: []Gap{{What: GapLock, Why: "retention and legal holds not compared: the copy was made without Object Lock", Asked: true}}},
		{name: "metadata skipped, as asked", ok: true, fill: func(t *testing.T, src, dst *mem.Store) {
			storetest.Put(t, src, "a", []byte("a"), locked)
			storetest.Put(t, dst, "a", []byte("a"), store.Metadata{})
		}, opts: Options{SkipMetadata: true, NoLock: true},
			want: []Gap{{What: GapMetadata, Why: "headers, user metadata, tags and object lock not compared, as asked", Asked: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, dst := mem.New("src"), mem.New("dst")
			tc.fill(t, src, dst)
			var d store.Store = dst
			if tc.dst != nil {
				d = tc.dst(dst)
			}
			rep, err := Run(ctx, src, d, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rep.NotCompared, tc.want) {
				t.Errorf("not compared: got %v, want %v", rep.NotCompared, tc.want)
			}
			complete := !slices.ContainsFunc(tc.want, func(g Gap) bool { return !g.Asked })
			if rep.OK(false) != tc.ok || rep.Complete() != complete || rep.OK(true) != (tc.ok && complete) {
				t.Errorf("got OK(false) %v, Complete %v, OK(true) %v; want %v, %v, %v (problems %+v)",
					rep.OK(false), rep.Complete(), rep.OK(true), tc.ok, complete, tc.ok && complete, rep.Problems)
			}
		})
	}
}

// The history a verification of current objects did not compare is
// counted as the version listing holds it, of the keys the filter keeps.
func TestLeftBehindCounts(t *testing.T) {
	ctx := context.Background()
	src, dst := versioned(t, "src"), mem.New("dst")
	write(t, src, sourceHistory(), false)
	for _, k := range []string{"a", "c"} {
		b, _ := src.Body(k)
		storetest.Put(t, dst, k, b, store.Metadata{})
	}
	rep, err := Run(ctx, src, dst, Options{SkipMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	want := &LeftBehind{Versioning: store.VersioningEnabled, Counts: store.History{Current: 2, Noncurrent: 3, NoncurrentBytes: 9, DeleteMarkers: 2, Hidden: 1}}
	if lb := rep.LeftBehind; lb == nil || *lb != *want {
		t.Errorf("left behind: got %+v, want %+v", lb, want)
	}
	if !rep.OK(false) || rep.OK(true) || rep.Verified != 2 {
		t.Errorf("got OK(false) %v, OK(true) %v, %d verified; want true, false, 2", rep.OK(false), rep.OK(true), rep.Verified)
	}
}

// A store whose ETags are not MD5s has its objects' bytes hashed, not its
// ETags trusted.
func TestETagsThatAreNotChecksums(t *testing.T) {
	src, dst := mem.New("src"), mem.New("dst")
	storetest.Put(t, src, "a", []byte("body"), store.Metadata{})
	storetest.Put(t, dst, "a", []byte("body"), store.Metadata{})
	rep, err := Run(context.Background(), src, sumless{dst}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK(true) || rep.ByHash != 1 || rep.ByETag != 0 {
		t.Errorf("got OK %v, %d by hash, %d by ETag; want true, 1, 0", rep.OK(true), rep.ByHash, rep.ByETag)
	}
}

func mustFilter(t *testing.T, include, exclude []string) *filter.Filter {
	t.Helper()
	f, err := filter.New(include, exclude)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

package verify

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/diff"
	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/retry"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/mem"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// entry is one entry of a key's history, as a test writes it.
type entry struct {
	key    string
	body   string
	marker bool
	meta   store.Metadata
	// id is the source's version ID, learnt when the source is written;
	// a replay records it on the destination's version unless noSource.
	id       string
	noSource bool
}

var retainUntil = time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)

// sourceHistory is what each comparison test starts from, oldest first:
// "a" has three versions and a delete marker between the second and the
// third, the second under retention; "b" was deleted; "c" has one version.
func sourceHistory() []entry {
	return []entry{
		{key: "a", body: "one", meta: store.Metadata{ContentType: "text/plain"}},
		{key: "a", body: "two", meta: store.Metadata{ContentType: "text/plain", Lock: store.Lock{Mode: store.LockGovernance, RetainUntil: retainUntil}}},
		{key: "a", marker: true},
		{key: "a", body: "three", meta: store.Metadata{ContentType: "text/plain", User: map[string]string{"k": "v"}, Tags: map[string]string{"t": "1"}}},
		{key: "b", body: "bee", meta: store.Metadata{}},
		{key: "b", marker: true},
		{key: "c", body: "sea", meta: store.Metadata{}},
	}
}

func versioned(t *testing.T, name string) *mem.Store {
	t.Helper()
	s := mem.New(name)
	if err := s.SetVersioning(context.Background(), store.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	return s
}

// write writes es oldest first and returns them with their version IDs.
// With replay, each version records the source's ID as a history copy
// does.
func write(t *testing.T, s *mem.Store, es []entry, replay bool) []entry {
	t.Helper()
	out := slices.Clone(es)
	for i, e := range out {
		if e.marker {
			id, err := s.AddDeleteMarker(context.Background(), e.key)
			if err != nil {
				t.Fatal(err)
			}
			out[i].id = id
			continue
		}
		meta := e.meta.Clone()
		if replay && !e.noSource {
			if meta.User == nil {
				meta.User = map[string]string{}
			}
			meta.User[diff.SourceVersionKey] = e.id
		}
		out[i].id = storetest.Put(t, s, e.key, []byte(e.body), meta).VersionID
	}
	return out
}

type wantProblem struct {
	kind     event.Kind
	key      string
	position int
	reason   string // a part of it
}

func TestVersionsCompareHistories(t *testing.T) {
	for _, tc := range []struct {
		name string
		// edit changes the destination's history (the source's,
		// with IDs) before it is written.
		edit   func(es []entry) []entry
		noLock bool
		want   []wantProblem
	}{
		{name: "history equal", edit: func(es []entry) []entry { return es }},
		{name: "a missing version", edit: func(es []entry) []entry { return slices.Delete(es, 1, 2) },
			want: []wantProblem{{event.Mismatch, "a", 0, "history differs: 3 entries (2 versions, 1 delete marker) at the destination, 4 entries (3 versions, 1 delete marker) at the source; the first to differ is #2"}}},
		{name: "order swapped", edit: func(es []entry) []entry { es[0], es[1] = es[1], es[0]; return es },
			want: []wantProblem{{event.Mismatch, "a", 1, "is the copy of source version"}, {event.Mismatch, "a", 2, "is the copy of source version"}}},
		{name: "marker missing", edit: func(es []entry) []entry { return slices.Delete(es, 5, 6) },
			want: []wantProblem{{event.Mismatch, "b", 0, "the destination lacks the newest 1 entry (#2 on)"}}},
		{name: "marker in a version's place", edit: func(es []entry) []entry { es[2] = entry{key: "a", body: "xyz", noSource: true}; return es },
			want: []wantProblem{{event.Mismatch, "a", 3, "a delete marker at the source, a version at the destination"}}},
		{name: "dest version without the source version ID", edit: func(es []entry) []entry { es[3].noSource = true; return es },
			want: []wantProblem{{event.Mismatch, "a", 4, "records no source version (x-amz-meta-sortie-source-version-id)"}}},
		{name: "content differs, same size", edit: func(es []entry) []entry { es[6].body = "SEA"; return es },
			want: []wantProblem{{event.Mismatch, "c", 1, "content differs: ETag"}}},
		{name: "lock differs", edit: func(es []entry) []entry { es[1].meta.Lock.RetainUntil = retainUntil.AddDate(0, 0, -1); return es },
			want: []wantProblem{{event.Mismatch, "a", 2, "object lock differs: GOVERNANCE until 2031-01-01T03:04:05Z at the destination, GOVERNANCE until 2031-01-02T03:04:05Z at the source"}}},
		{name: "lock differs, not compared", noLock: true, edit: func(es []entry) []entry { es[1].meta.Lock = store.Lock{}; return es }},
		{name: "tags differ", edit: func(es []entry) []entry { es[3].meta.Tags = nil; return es },
			want: []wantProblem{{event.Mismatch, "a", 4, "tags differ"}}},
		{name: "one extra destination version", edit: func(es []entry) []entry { return slices.Insert(es, 4, entry{key: "a", body: "four"}) },
			want: []wantProblem{{event.Mismatch, "a", 0, "the destination has 1 entry newer than the source's newest (#5 on)"}}},
		{name: "key missing, key extra", edit: func(es []entry) []entry {
			return append(slices.Delete(es, 6, 7), entry{key: "d", body: "dee"})
		}, want: []wantProblem{{event.Missing, "c", 0, "not at the destination (1 entry (1 version))"}, {event.Extra, "d", 0, "at the destination only"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			src, dst := versioned(t, "src"), versioned(t, "dst")
			es := write(t, src, sourceHistory(), false)
			write(t, dst, tc.edit(es), true)
			rec := &event.Recorder{}
			rep, err := Run(ctx, src, dst, Options{Versions: true, NoLock: tc.noLock, Workers: 4, Listener: rec, Retry: retry.Policy{Attempts: 1}})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Keys != 3 || rep.Objects != 5 || rep.DeleteMarkers != 2 {
				t.Errorf("counted %d keys, %d versions, %d delete markers; want 3, 5, 2", rep.Keys, rep.Objects, rep.DeleteMarkers)
			}
			var got []string
			for _, p := range rep.Problems {
				got = append(got, fmt.Sprintf("%s %s #%d: %s", p.Kind, p.Key, p.Position, p.Reason))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got problems %q, want %d: %v", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				p := rep.Problems[i]
				if p.Kind != w.kind || p.Key != w.key || p.Position != w.position || !strings.Contains(p.Reason, w.reason) {
					t.Errorf("problem %d: got %q, want %s %s #%d: …%s…", i, got[i], w.kind, w.key, w.position, w.reason)
				}
			}
			if ok := rep.OK(false); ok != (len(tc.want) == 0) {
				t.Errorf("OK(false) = %v with problems %q", ok, got)
			}
			if len(tc.want) == 0 {
				if rep.Verified != 5 || rep.MarkersVerified != 2 || !rep.OK(true) {
					t.Errorf("got %d versions and %d markers verified, OK(true) %v; want 5, 2, true (%+v)", rep.Verified, rep.MarkersVerified, rep.OK(true), rep)
				}
				if n := len(rec.Keys(event.Verified)); n != 7 {
					t.Errorf("got %d verified events, want 7", n)
				}
			}
			wantGaps := []Gap(nil)
			if tc.noLock {
				wantGaps = []Gap{{What: GapLock, Why: "retention and legal holds not compared: the copy was made without Object Lock", Asked: true}}
			}
			if !slices.Equal(rep.NotCompared, wantGaps) {
				t.Errorf("not compared: got %v, want %v", rep.NotCompared, wantGaps)
			}
			if rep.LeftBehind != nil {
				t.Errorf("left behind %+v with Versions, want nil", rep.LeftBehind)
			}
		})
	}
}

// sumless says its ETags are not MD5s: verify must hash the bytes.
type sumless struct{ *mem.Store }

func (s sumless) Capabilities() store.Capabilities {
	c := s.Store.Capabilities()
	c.ETagIsMD5 = false
	return c
}

// Versions whose ETags prove nothing are compared by hashing both bodies,
// each read as its own version.
func TestVersionsHashWhenETagsProveNothing(t *testing.T) {
	ctx := context.Background()
	src, dst := versioned(t, "src"), versioned(t, "dst")
	es := write(t, src, sourceHistory(), false)
	es[0].body = "ONE" // the oldest version of a differs, same size
	write(t, dst, es, true)
	rep, err := Run(ctx, src, sumless{dst}, Options{Versions: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ByHash != 4 || rep.ByETag != 0 || rep.Mismatched != 1 || len(rep.Problems) != 1 || rep.Problems[0].Position != 1 ||
		!strings.Contains(rep.Problems[0].Reason, "content differs: MD5") {
		t.Errorf("got %d by hash, %d by ETag, problems %+v; want 4 by hash and one MD5 mismatch at a #1", rep.ByHash, rep.ByETag, rep.Problems)
	}
}

// unordered lists its versions until key, then fails as versitygw does
// when it cannot order a key's history.
type unordered struct {
	*mem.Store
	key string
}

func (u unordered) Versions(ctx context.Context, startAfter string) iter.Seq2[store.Version, error] {
	return func(yield func(store.Version, error) bool) {
		for v, err := range u.Store.Versions(ctx, startAfter) {
			if err == nil && v.Key == u.key && !v.IsLatest {
				yield(store.Version{}, &store.OpError{Op: "list versions", Store: u.String(),
					Err: fmt.Errorf("%w: of %q", store.ErrAmbiguousOrder, v.Key)})
				return
			}
			if !yield(v, err) {
				return
			}
		}
	}
}

// A source that cannot order a key's history is never called identical:
// the key failed, and the keys from it on are named as not compared.
func TestVersionsAmbiguousOrder(t *testing.T) {
	ctx := context.Background()
	src, dst := versioned(t, "src"), versioned(t, "dst")
	es := write(t, src, sourceHistory(), false)
	write(t, dst, es, true)
	rep, err := Run(ctx, unordered{src, "b"}, dst, Options{Versions: true})
	if err != nil {
		t.Fatalf("got error %v, want the ambiguity in the report", err)
	}
	if rep.OK(false) || rep.Unchecked != 1 || len(rep.Problems) != 1 || rep.Problems[0].Key != "b" ||
		!strings.Contains(rep.Problems[0].Reason, "order of versions cannot be told") {
		t.Errorf("got OK %v, problems %+v; want not OK, one failed check of b", rep.OK(false), rep.Problems)
	}
	if rep.Verified != 3 || rep.MarkersVerified != 1 {
		t.Errorf("got %d versions and %d markers verified, want a's 3 and 1", rep.Verified, rep.MarkersVerified)
	}
	want := []Gap{{What: GapHistory, Why: `the keys from "b" on not compared: mem://src cannot tell the order of their versions`}}
	if !slices.Equal(rep.NotCompared, want) || rep.Complete() {
		t.Errorf("not compared: got %v (complete %v), want %v", rep.NotCompared, rep.Complete(), want)
	}
}

// plain is a store without history.
type plain struct{ store.Store }

func TestVersionsNeedVersionedStores(t *testing.T) {
	src, dst := versioned(t, "src"), versioned(t, "dst")
	for _, pair := range [][2]store.Store{{plain{src}, dst}, {src, plain{dst}}} {
		if _, err := Run(context.Background(), pair[0], pair[1], Options{Versions: true}); !errors.Is(err, ErrNotVersioned) {
			t.Errorf("%s → %s: got %v, want ErrNotVersioned", pair[0], pair[1], err)
		}
	}
}

// Delete markers that hide nothing are left out of both histories, as a
// history copy leaves them out, and named as not compared: a key that has
// nothing else is not missing, and since no read can tell them, --exact
// passes.
func TestVersionsRedundantMarkers(t *testing.T) {
	ctx := context.Background()
	src, dst := versioned(t, "src"), versioned(t, "dst")
	es := write(t, src, sourceHistory(), false)
	write(t, dst, es, true)
	for _, k := range []string{"b", "gone"} { // on b's marker; on no version
		if _, err := src.AddDeleteMarker(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Run(ctx, src, dst, Options{Versions: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []Gap{{What: GapHistory, Why: "delete markers that hide nothing (2 at the source) not compared: every read of their keys is the same without them, and a history copy writes none", Unseen: true}}
	if !rep.OK(false) || !rep.OK(true) || !slices.Equal(rep.NotCompared, want) || rep.MarkersVerified != 2 || rep.DeleteMarkers != 4 {
		t.Errorf("got OK %v/%v, not compared %v, %d of %d markers verified, problems %+v; want true/true, %v, 2 of 4",
			rep.OK(false), rep.OK(true), rep.NotCompared, rep.MarkersVerified, rep.DeleteMarkers, rep.Problems, want)
	}
}

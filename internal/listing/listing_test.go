package listing

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/mem"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

func keysOf(t *testing.T, seq iter.Seq2[store.Object, error]) []string {
	t.Helper()
	var keys []string
	for o, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

// Property: for random key sets, random start points and any split, the
// parallel listing is exactly the sequential one — no key lost, none twice,
// the order kept.
func TestSameAsSequential(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "b", "z", "/", "-", "0", "9", "é", "日", " ", "+"}
	for round := range 150 {
		s := mem.New("p")
		n := r.IntN(300)
		var all []string
		for range n {
			var b strings.Builder
			for range 1 + r.IntN(6) {
				b.WriteString(alphabet[r.IntN(len(alphabet))])
			}
			k := b.String()
			if _, err := s.Stat(context.Background(), k); err == nil {
				continue
			}
			storetest.Put(t, s, k, nil, store.Metadata{})
			all = append(all, k)
		}
		slices.Sort(all)
		after := ""
		if len(all) > 0 && r.IntN(3) == 0 {
			after = all[r.IntN(len(all))]
		}
		opts := Options{Workers: 2 + r.IntN(6), Ranges: 2 + r.IntN(30), Buffer: 1 + r.IntN(5), MaxProbes: 5 + r.IntN(200)}
		segs, err := Plan(context.Background(), s, after, opts.Ranges, opts.MaxProbes)
		if err != nil {
			t.Fatal(err)
		}
		checkPlan(t, segs)
		got := keysOf(t, List(context.Background(), s, after, opts))
		want := keysOf(t, s.List(context.Background(), after))
		if !slices.Equal(got, want) {
			t.Fatalf("round %d, %+v, after %q:\ngot  %q\nwant %q", round, opts, after, got, want)
		}
	}
}

// Keys that are themselves prefixes of others, and keys right at the
// boundaries the probes choose.
func TestBoundaryKeys(t *testing.T) {
	s := mem.New("b")
	keys := []string{"data", "data/", "data-x", "data/0", "data/0/", "data/0/a", "data/1", "data0", "z"}
	for i := range 200 {
		keys = append(keys, fmt.Sprintf("data/%d/obj-%03d", i%10, i))
	}
	for _, k := range keys {
		storetest.Put(t, s, k, nil, store.Metadata{})
	}
	segs, err := Plan(context.Background(), s, "", 8, 256)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, segs)
	if len(segs) < 3 {
		t.Errorf("only %d segments for %d keys: %+v", len(segs), len(keys), segs)
	}
	got := keysOf(t, List(context.Background(), s, "", Options{Workers: 4, Buffer: 2}))
	want := keysOf(t, s.List(context.Background(), ""))
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// failing lists normally but fails the nth List call after k objects.
type failing struct {
	store.Store
	calls int
}

var errBoom = errors.New("boom")

func (f *failing) List(ctx context.Context, after string) iter.Seq2[store.Object, error] {
	f.calls++
	inner := f.Store.List(ctx, after)
	fail := f.calls == 12
	return func(yield func(store.Object, error) bool) {
		for o, err := range inner {
			if fail {
				yield(store.Object{}, errBoom)
				return
			}
			if !yield(o, err) {
				return
			}
		}
	}
}

func TestErrorsAndEarlyStop(t *testing.T) {
	s := mem.New("e")
	for i := range 500 {
		storetest.Put(t, s, fmt.Sprintf("k/%02d/%03d", i%25, i), nil, store.Metadata{})
	}
	f := &failing{Store: s}
	var got error
	for _, err := range List(context.Background(), f, "", Options{Workers: 4, Buffer: 1}) {
		if err != nil {
			got = err
		}
	}
	if !errors.Is(got, errBoom) {
		t.Errorf("err = %v, want the range's error", got)
	}
	// Stopping early ends every goroutine (the race detector and the test
	// binary's exit would show one left writing).
	n := 0
	for range List(context.Background(), s, "", Options{Workers: 4, Buffer: 1}) {
		n++
		if n == 10 {
			break
		}
	}
}

// checkPlan: segments in order, and no prefix segment inside another, so
// that no key can be listed twice.
func checkPlan(t *testing.T, segs []Segment) {
	t.Helper()
	for i := 1; i < len(segs); i++ {
		if segs[i-1].key() >= segs[i].key() {
			t.Fatalf("segments out of order: %q then %q", segs[i-1].key(), segs[i].key())
		}
	}
	for i, a := range segs {
		for j, b := range segs {
			if i != j && a.Single == nil && b.Single == nil && strings.HasPrefix(b.Prefix, a.Prefix) {
				t.Fatalf("segment %q contains segment %q", a.Prefix, b.Prefix)
			}
		}
	}
}

// Package listing lists a store with several workers at once and yields one
// stream in key order, for buckets too large to list one page after another
// (S3 returns 1,000 keys a request; ten million keys are ten thousand
// sequential round trips).
//
// The key space after startAfter is cut into ranges (b0, b1], (b1, b2], …,
// (bn, ∞) by boundary strings. Any increasing boundaries partition the keys
// exactly — each key falls in one range — so correctness never depends on
// how they were chosen; only the balance of the work does. Boundaries are
// learned with cheap probes ("the first key after X"): the prefix every
// remaining key shares, then which next bytes are populated (each probe jumps
// straight to the next populated byte), recursing into populated prefixes
// until there are enough ranges. Where a bucket has folder-like prefixes,
// those are what the probes find.
//
// Ranges are listed by at most Workers goroutines into bounded buffers and
// read back in range order, so memory is bounded by workers × buffer, and
// every goroutine has ended when the listing does.
//
// It is not for deciding anything about the keys; it only lists.
package listing

import (
	"context"
	"iter"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/internal/store"
)

// Prober is implemented by stores that can answer "the first key after X"
// in one cheap request (S3: ListObjectsV2 with MaxKeys 1).
type Prober interface {
	FirstAfter(ctx context.Context, after string) (key string, ok bool, err error)
}

// firstAfter asks the store, with one request where it can.
func firstAfter(ctx context.Context, s store.Store, after string) (string, bool, error) {
	if p, ok := s.(Prober); ok {
		return p.FirstAfter(ctx, after)
	}
	for o, err := range s.List(ctx, after) {
		if err != nil {
			return "", false, err
		}
		return o.Key, true, nil
	}
	return "", false, nil
}

// beyond sorts after the keys that start with prefix: U+10FFFF is the
// highest code point, and it is valid UTF-8, which S3 requires of StartAfter
// (0xff would sort higher but is not UTF-8). A key continuing past it would
// sort later — harmless: boundaries decide the balance of the work, never
// which keys are listed.
func beyond(prefix string) string { return prefix + "\U0010FFFF" }

// Options tune a parallel listing.
type Options struct {
	Workers int // ranges listed at once
	// Ranges is how many ranges to aim for; more than Workers, so that a
	// slow range does not leave the others idle. Default 4 × Workers.
	Ranges int
	// Buffer is the objects each range may list ahead; default 1,000.
	Buffer int
	// MaxProbes bounds the requests spent choosing boundaries; default 256.
	MaxProbes int
}

// List lists s after startAfter with opts.Workers workers, in key order.
// With fewer than two workers it is s.List.
func List(ctx context.Context, s store.Store, startAfter string, opts Options) iter.Seq2[store.Object, error] {
	if opts.Workers < 2 {
		return s.List(ctx, startAfter)
	}
	if opts.Ranges == 0 {
		opts.Ranges = 4 * opts.Workers
	}
	if opts.Buffer == 0 {
		opts.Buffer = 1000
	}
	if opts.MaxProbes == 0 {
		opts.MaxProbes = 256
	}
	return func(yield func(store.Object, error) bool) {
		bounds, err := Boundaries(ctx, s, startAfter, opts.Ranges, opts.MaxProbes)
		if err != nil {
			yield(store.Object{}, err)
			return
		}
		listRanges(ctx, s, startAfter, bounds, opts, yield)
	}
}

type item struct {
	obj store.Object
	err error
}

// listRanges lists (startAfter, b0], (b0, b1], …, (bn, ∞) concurrently and
// yields them in order.
func listRanges(ctx context.Context, s store.Store, startAfter string, bounds []string, opts Options, yield func(store.Object, error) bool) {
	ctx, cancel := context.WithCancel(ctx)
	g, gctx := errgroup.WithContext(ctx)
	defer func() {
		cancel()
		g.Wait()
	}()
	los := append([]string{startAfter}, bounds...)
	chans := make([]chan item, len(los))
	for i := range chans {
		chans[i] = make(chan item, opts.Buffer)
	}
	// The launcher starts ranges in order as worker slots free up; a range
	// frees its slot when it has listed everything and its buffer was read.
	g.Go(func() error {
		sem := make(chan struct{}, opts.Workers)
		for i, lo := range los {
			select {
			case sem <- struct{}{}:
			case <-gctx.Done():
				return nil
			}
			hi, last := "", i == len(los)-1
			if !last {
				hi = los[i+1]
			}
			out := chans[i]
			g.Go(func() error {
				defer func() { <-sem }()
				defer close(out)
				for o, err := range s.List(gctx, lo) {
					if err == nil && !last && o.Key > hi {
						return nil
					}
					if err == nil && o.Key <= lo {
						continue // a store that ignored StartAfter: never list a key twice
					}
					select {
					case out <- item{o, err}:
					case <-gctx.Done():
						return nil
					}
					if err != nil {
						return nil
					}
				}
				return nil
			})
		}
		return nil
	})
	for _, ch := range chans {
		for {
			var it item
			var ok bool
			select {
			case it, ok = <-ch:
			case <-ctx.Done():
				yield(store.Object{}, ctx.Err())
				return
			}
			if !ok {
				break
			}
			if !yield(it.obj, it.err) || it.err != nil {
				return
			}
		}
	}
}

// Boundaries chooses increasing boundary strings that cut the keys after
// startAfter into about n ranges, using at most maxProbes requests. It
// returns none when the keys are too few to be worth splitting.
func Boundaries(ctx context.Context, s store.Store, startAfter string, n, maxProbes int) ([]string, error) {
	b := &boundaryFinder{ctx: ctx, s: s, probes: maxProbes}
	first, ok, err := b.first(startAfter)
	if err != nil || !ok {
		return nil, err
	}
	// The longest prefix of the first key that every remaining key
	// shares. "No key lies beyond prefix[:l]" holds for l = 0 and, once
	// false, stays false for longer l: binary search.
	lo, hi := 0, len(first) // invariant: lo holds
	for lo < hi && b.probes > 0 {
		mid := (lo + hi + 1) / 2
		_, more, err := b.first(beyond(first[:mid]))
		if err != nil {
			return nil, err
		}
		if more {
			hi = mid - 1
		} else {
			lo = mid
		}
	}
	// Expand populated prefixes, shortest first (the widest), until there
	// are enough of them. A prefix with one populated byte is followed
	// down; one with none (a single key) is kept whole.
	buckets := []string{first[:lo]}
	leaf := map[string]bool{}
	for len(buckets) < n && b.probes > 0 {
		idx := -1
		for i, p := range buckets {
			if !leaf[p] && (idx < 0 || len(p) < len(buckets[idx])) {
				idx = i
			}
		}
		if idx < 0 {
			break
		}
		children, err := b.children(buckets[idx], startAfter)
		if err != nil {
			return nil, err
		}
		switch len(children) {
		case 0:
			leaf[buckets[idx]] = true
		case 1:
			buckets[idx] = children[0]
		default:
			buckets = slices.Concat(buckets[:idx], children, buckets[idx+1:])
		}
	}
	slices.Sort(buckets)
	if len(buckets) < 2 {
		return nil, nil
	}
	// Group consecutive buckets into at most n ranges. The buckets are
	// prefixes none of which starts another, so the bound after a group
	// lies above all of its keys and below all of the next group's.
	var bounds []string
	per := (len(buckets) + n - 1) / n
	for i := per; i < len(buckets); i += per {
		bound := beyond(buckets[i-1])
		if bound > startAfter && (len(bounds) == 0 || bound > bounds[len(bounds)-1]) {
			bounds = append(bounds, bound)
		}
	}
	return bounds, nil
}

type boundaryFinder struct {
	ctx    context.Context
	s      store.Store
	probes int
}

func (b *boundaryFinder) first(after string) (string, bool, error) {
	b.probes--
	return firstAfter(b.ctx, b.s, after)
}

// children returns the populated one-byte extensions of prefix (keys after
// startAfter only), walking from the first to the last with one probe each.
func (b *boundaryFinder) children(prefix, startAfter string) ([]string, error) {
	// A key equal to the prefix itself belongs to no child: it sorts
	// before them all, and the ranges cover it wherever it falls.
	after := max(startAfter, prefix)
	var kids []string
	for b.probes > 0 {
		k, ok, err := b.first(after)
		if err != nil {
			return nil, err
		}
		if !ok || !strings.HasPrefix(k, prefix) {
			break
		}
		if len(k) == len(prefix) {
			after = k
			continue
		}
		kid := k[:len(prefix)+1]
		kids = append(kids, kid)
		after = beyond(kid)
	}
	return kids, nil
}

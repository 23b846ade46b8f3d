// Package listing lists a store with several workers at once and yields one
// stream in key order, for buckets too large to list one page after another
// (S3 returns 1,000 keys a request; ten million keys are ten thousand
// sequential round trips).
//
// The keys after startAfter are cut into segments: every key under a prefix,
// or one object whose key equals a prefix that was split further. Segments
// are found with cheap probes ("the first object under P after X"): the
// prefix every remaining key shares, then its folders (extensions through
// the next "/") where every key lies in one, else its populated next
// characters, splitting the widest prefix until there are enough. A prefix is
// replaced only by the complete set of its extensions, and extensions never
// contain one another, so the segments hold every key exactly once; which
// segments were chosen decides the balance of the work, never what is
// listed. Each segment is listed with the store's prefix listing (S3: the
// Prefix parameter), which S3-compatible stores serve from one folder.
//
// Segments are listed by at most Workers goroutines into bounded buffers and
// read back in order, so memory is bounded by workers × buffer, and every
// goroutine has ended when the listing does.
//
// It is not for deciding anything about the keys; it only lists.
package listing

import (
	"context"
	"iter"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/internal/store"
)

// Prober is implemented by stores that can answer "the first object under
// prefix after X" in one cheap request (S3: ListObjectsV2 with Prefix,
// StartAfter and MaxKeys 1).
type Prober interface {
	FirstAfter(ctx context.Context, prefix, after string) (store.Object, bool, error)
}

// PrefixLister is implemented by stores that list the keys under a prefix
// more cheaply than from a starting key (MinIO walks only that folder; from
// a StartAfter it walks its namespace afresh). Listings over folders use it.
type PrefixLister interface {
	ListPrefix(ctx context.Context, prefix, startAfter string) iter.Seq2[store.Object, error]
}

// firstAfter asks the store, with one request where it can.
func firstAfter(ctx context.Context, s store.Store, prefix, after string) (store.Object, bool, error) {
	if p, ok := s.(Prober); ok {
		return p.FirstAfter(ctx, prefix, after)
	}
	for o, err := range listPrefix(ctx, s, prefix, after) {
		if err != nil {
			return store.Object{}, false, err
		}
		return o, true, nil
	}
	return store.Object{}, false, nil
}

// listPrefix lists the keys under prefix after startAfter, with the store's
// own prefix listing where it has one.
func listPrefix(ctx context.Context, s store.Store, prefix, startAfter string) iter.Seq2[store.Object, error] {
	if pl, ok := s.(PrefixLister); ok {
		return pl.ListPrefix(ctx, prefix, startAfter)
	}
	return func(yield func(store.Object, error) bool) {
		for o, err := range s.List(ctx, max(startAfter, below(prefix))) {
			if err == nil && o.Key < prefix {
				continue
			}
			if err == nil && !strings.HasPrefix(o.Key, prefix) {
				return
			}
			if !yield(o, err) || err != nil {
				return
			}
		}
	}
}

// below sorts before prefix and before every key that starts with it.
func below(prefix string) string {
	if prefix == "" {
		return ""
	}
	last := prefix[len(prefix)-1]
	if last == 0 {
		return prefix[:len(prefix)-1]
	}
	return prefix[:len(prefix)-1] + string([]byte{last - 1})
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
	// Ranges is how many segments to aim for; more than Workers, so that a
	// slow segment does not leave the others idle. Default 4 × Workers.
	Ranges int
	// Buffer is the objects each segment may list ahead; default 1,000.
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
		segs, err := Plan(ctx, s, startAfter, opts.Ranges, opts.MaxProbes)
		if err != nil {
			yield(store.Object{}, err)
			return
		}
		listSegments(ctx, s, startAfter, segs, opts, yield)
	}
}

// Segment is one piece of a listing plan: every key under Prefix, or the
// one object Single (a key that is itself a prefix the plan split).
type Segment struct {
	Prefix string
	Single *store.Object
}

type item struct {
	obj store.Object
	err error
}

// listSegments lists the segments concurrently and yields them in order.
func listSegments(ctx context.Context, s store.Store, startAfter string, segs []Segment, opts Options, yield func(store.Object, error) bool) {
	ctx, cancel := context.WithCancel(ctx)
	g, gctx := errgroup.WithContext(ctx)
	defer func() {
		cancel()
		g.Wait()
	}()
	chans := make([]chan item, len(segs))
	for i := range chans {
		chans[i] = make(chan item, opts.Buffer)
	}
	// The launcher starts segments in order as worker slots free up; a
	// segment frees its slot when it has listed everything and its buffer
	// was read.
	g.Go(func() error {
		sem := make(chan struct{}, opts.Workers)
		for i, seg := range segs {
			out := chans[i]
			if seg.Single != nil {
				out <- item{obj: *seg.Single}
				close(out)
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-gctx.Done():
				return nil
			}
			g.Go(func() error {
				defer func() { <-sem }()
				defer close(out)
				for o, err := range listPrefix(gctx, s, seg.Prefix, startAfter) {
					if err == nil && (o.Key <= startAfter || !strings.HasPrefix(o.Key, seg.Prefix)) {
						continue // a store that ignored Prefix or StartAfter: never a key out of place
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

// Plan cuts the keys after startAfter into about n segments, using at most
// maxProbes requests: prefixes that together hold every key, in order, and
// the keys that equal a prefix the plan split.
func Plan(ctx context.Context, s store.Store, startAfter string, n, maxProbes int) ([]Segment, error) {
	b := &boundaryFinder{ctx: ctx, s: s, probes: maxProbes}
	firstObj, ok, err := b.first("", startAfter)
	if err != nil || !ok {
		return nil, err
	}
	first := firstObj.Key
	// The longest prefix of the first key that every remaining key
	// shares. "No key lies beyond prefix[:l]" holds for l = 0 and, once
	// false, stays false for longer l: binary search.
	lo, hi := 0, len(first) // invariant: lo holds
	for lo < hi && b.probes > 0 {
		mid := (lo + hi + 1) / 2
		_, more, err := b.first("", beyond(first[:mid]))
		if err != nil {
			return nil, err
		}
		if more {
			hi = mid - 1
		} else {
			lo = mid
		}
	}
	// Expand prefixes, shortest first (the widest), until there are
	// enough. A prefix is replaced by its populated one-byte extensions
	// only when all of them were found; a key equal to it is kept aside.
	buckets := []string{first[:lo]}
	var singles []store.Object
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
		// Folders first (S3-compatible stores list a folder cheaply and an
		// arbitrary prefix only by walking its parent), then characters.
		children, self, complete, err := b.folders(buckets[idx], startAfter)
		if err != nil {
			return nil, err
		}
		if !complete || len(children) == 0 {
			children, self, complete, err = b.children(buckets[idx], startAfter)
			if err != nil {
				return nil, err
			}
		}
		if !complete || len(children) == 0 {
			leaf[buckets[idx]] = true
			continue
		}
		if self != nil {
			singles = append(singles, *self)
		}
		buckets = slices.Concat(buckets[:idx], children, buckets[idx+1:])
	}
	segs := make([]Segment, 0, len(buckets)+len(singles))
	for _, p := range buckets {
		segs = append(segs, Segment{Prefix: p})
	}
	for i := range singles {
		segs = append(segs, Segment{Single: &singles[i]})
	}
	slices.SortFunc(segs, func(a, b Segment) int { return strings.Compare(a.key(), b.key()) })
	return segs, nil
}

// key orders segments: a prefix sorts as itself, before its keys, and after
// a key equal to a shorter prefix it extends.
func (s Segment) key() string {
	if s.Single != nil {
		return s.Single.Key
	}
	return s.Prefix
}

type boundaryFinder struct {
	ctx    context.Context
	s      store.Store
	probes int
}

func (b *boundaryFinder) first(prefix, after string) (store.Object, bool, error) {
	b.probes--
	return firstAfter(b.ctx, b.s, prefix, after)
}

// folders returns the folders under prefix — its extensions through the
// next "/" — when every key under it (after startAfter) lies in one. A key
// directly under prefix makes the split incomplete: folders and a character
// split must not be mixed, or a segment could hold another.
func (b *boundaryFinder) folders(prefix, startAfter string) ([]string, *store.Object, bool, error) {
	return b.extensions(prefix, startAfter, func(rest string) (int, bool) {
		i := strings.IndexByte(rest, '/')
		return i + 1, i >= 0
	})
}

// children returns the populated one-character extensions of prefix; whole
// characters, so that each is valid UTF-8, which S3 requires of Prefix.
func (b *boundaryFinder) children(prefix, startAfter string) ([]string, *store.Object, bool, error) {
	return b.extensions(prefix, startAfter, func(rest string) (int, bool) {
		_, size := utf8.DecodeRuneInString(rest)
		return size, true
	})
}

// extensions walks the keys under prefix after startAfter, one probe per
// extension found: cut says how much of what follows prefix makes the
// extension, or that the key fits none (which abandons the walk). self is
// the object whose key equals prefix, if any. complete is false when the
// walk was abandoned or the probes ran out: a partial list of extensions
// must not replace the prefix.
func (b *boundaryFinder) extensions(prefix, startAfter string, cut func(rest string) (int, bool)) (kids []string, self *store.Object, complete bool, err error) {
	after := startAfter
	for b.probes > 0 {
		o, ok, err := b.first(prefix, after)
		if err != nil {
			return nil, nil, false, err
		}
		if !ok || !strings.HasPrefix(o.Key, prefix) {
			return kids, self, true, nil
		}
		if len(o.Key) == len(prefix) {
			self = &o
			after = o.Key
			continue
		}
		n, fits := cut(o.Key[len(prefix):])
		if !fits {
			return nil, nil, false, nil
		}
		kid := o.Key[:len(prefix)+n]
		if len(kids) > 0 && kids[len(kids)-1] == kid {
			after = o.Key // a key past beyond(kid) that still starts with it
			continue
		}
		kids = append(kids, kid)
		after = beyond(kid)
	}
	return nil, nil, false, nil
}

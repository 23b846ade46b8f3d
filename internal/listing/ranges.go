package listing

import (
	"context"
	"iter"
	"unicode/utf8"

	"github.com/sortie-dev/sortie/internal/store"
)

// Range is a contiguous span of keys: those that sort after After and not
// after Through, where an empty Through has no end. Ranges are how a job is
// cut into partitions that different machines copy: contiguous ranges cut
// from one plan hold every key exactly once, whatever keys are added
// later, because membership is decided by comparing strings, never by
// which keys a plan happened to see.
type Range struct {
	After   string `json:"after"`
	Through string `json:"through,omitempty"`
}

// Contains says whether key lies in r.
func (r Range) Contains(key string) bool {
	return key > r.After && (r.Through == "" || key <= r.Through)
}

// Ranges cuts the keys of s into about n contiguous ranges, from the
// segments Plan finds with at most maxProbes requests. The first range
// starts at the first possible key and the last has no end, so together
// they hold every key of the source and of any destination compared with
// it. A store with no keys, or n below 2, gives one range of everything.
func Ranges(ctx context.Context, s store.Store, n, maxProbes int) ([]Range, error) {
	if n < 2 {
		return []Range{{}}, nil
	}
	segs, err := Plan(ctx, s, "", n, maxProbes)
	if err != nil {
		return nil, err
	}
	out := []Range{{}}
	for _, seg := range segs[min(1, len(segs)):] {
		b := justBelow(seg.key())
		if last := &out[len(out)-1]; b > last.After {
			last.Through = b
			out = append(out, Range{After: b})
		}
	}
	return out, nil
}

// justBelow is a valid UTF-8 string that sorts below key and above every
// string below key that any store holds: key with its last character
// lowered by one and followed by U+10FFFF (S3 requires StartAfter to be
// UTF-8, which a byte lowered by one may not be). Where it falls only
// decides which range a key goes to, never whether it goes to one.
func justBelow(key string) string {
	r, size := utf8.DecodeLastRuneInString(key)
	p := key[:len(key)-size]
	switch {
	case r == utf8.RuneError && size <= 1:
		return below(key)
	case r == 0:
		return p
	case r == 0xE000: // the first character after the surrogates
		r = 0xD7FF
	default:
		r--
	}
	return p + string(r) + "\U0010FFFF"
}

// Within yields the objects of seq (a listing in key order that starts
// after r.After) that lie in r, and stops the listing at the first key
// beyond it.
func Within(seq iter.Seq2[store.Object, error], r Range) iter.Seq2[store.Object, error] {
	if r.Through == "" {
		return seq
	}
	return func(yield func(store.Object, error) bool) {
		for o, err := range seq {
			if err == nil && o.Key > r.Through {
				return
			}
			if !yield(o, err) || err != nil {
				return
			}
		}
	}
}

// Spanning is the range from first to last, both included: the keys of a
// partition given as a list (one file of an S3 Inventory report).
func Spanning(first, last string) Range {
	return Range{After: justBelow(first), Through: last}
}

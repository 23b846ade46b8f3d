package diff

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/sortie-dev/sortie/internal/store"
)

// Side says where a merged key was found.
type Side int

const (
	SrcOnly Side = iota // the destination lacks it
	DstOnly             // the source lacks it
	Both
)

// Entry is one key of the merged listing. Src is zero for DstOnly, Dst for
// SrcOnly.
type Entry struct {
	Side Side
	Src  store.Object
	Dst  store.Object
}

// Key returns the entry's key.
func (e Entry) Key() string {
	if e.Side == DstOnly {
		return e.Dst.Key
	}
	return e.Src.Key
}

// OrderError reports a listing that broke key order, which would make the
// merge wrong: sortie stops rather than copy or delete on a bad diff.
type OrderError struct {
	Store      string
	Prev, Next string
}

func (e *OrderError) Error() string {
	return fmt.Sprintf("listing of %s is not in key order (%q came after %q); the store does not sort keys as S3 does", e.Store, e.Next, e.Prev)
}

// Merge walks two ordered listings together. keep, if not nil, drops keys it
// returns false for on both sides, so a filtered-out key is neither copied
// nor deleted. The sequence stops at the first error.
func Merge(ctx context.Context, src, dst iter.Seq2[store.Object, error], srcName, dstName string, keep func(string) bool) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		nextSrc, stopSrc := iter.Pull2(src)
		defer stopSrc()
		nextDst, stopDst := iter.Pull2(dst)
		defer stopDst()

		pull := func(next func() (store.Object, error, bool), name string, prev *string) (store.Object, bool, error) {
			for {
				o, err, ok := next()
				if !ok {
					return store.Object{}, false, nil
				}
				if err != nil {
					return store.Object{}, false, err
				}
				if *prev != "" && o.Key <= *prev {
					return store.Object{}, false, &OrderError{Store: name, Prev: *prev, Next: o.Key}
				}
				*prev = o.Key
				if keep == nil || keep(o.Key) {
					return o, true, nil
				}
			}
		}
		var prevS, prevD string
		s, sOK, err := pull(nextSrc, srcName, &prevS)
		if err != nil {
			yield(Entry{}, err)
			return
		}
		d, dOK, err := pull(nextDst, dstName, &prevD)
		if err != nil {
			yield(Entry{}, err)
			return
		}
		for sOK || dOK {
			if err := ctx.Err(); err != nil {
				yield(Entry{}, err)
				return
			}
			var e Entry
			advS, advD := false, false
			switch {
			case !dOK || (sOK && s.Key < d.Key):
				e, advS = Entry{Side: SrcOnly, Src: s}, true
			case !sOK || d.Key < s.Key:
				e, advD = Entry{Side: DstOnly, Dst: d}, true
			default:
				e, advS, advD = Entry{Side: Both, Src: s, Dst: d}, true, true
			}
			if !yield(e, nil) {
				return
			}
			if advS {
				if s, sOK, err = pull(nextSrc, srcName, &prevS); err != nil {
					yield(Entry{}, err)
					return
				}
			}
			if advD {
				if d, dOK, err = pull(nextDst, dstName, &prevD); err != nil {
					yield(Entry{}, err)
					return
				}
			}
		}
	}
}

// Verdict is what listing facts say about an object present on both sides.
type Verdict int

const (
	Same      Verdict = iota
	Different         // sizes or comparable checksums differ
	Undecided         // sizes agree but the ETags cannot be compared
)

func (v Verdict) String() string {
	return [...]string{"same", "different", "undecided"}[v]
}

// Compare decides from listings alone. Sizes first; then ETags, when both
// are MD5s of the same shape. Never the destination's last-modified time:
// on a copy that is the time of the copy.
func Compare(src, dst store.Object) Verdict {
	if src.Size != dst.Size {
		return Different
	}
	if store.ComparableETags(src.ETag, dst.ETag) {
		if store.SameETag(src.ETag, dst.ETag) {
			return Same
		}
		return Different
	}
	return Undecided
}

// MTimeKey is the user-metadata key that carries an object's original
// modification time across copies: the key and format rclone uses, so
// objects copied by either tool are recognised by the other.
const MTimeKey = "mtime"

// The user-metadata keys a copy of a version's history (--versions) adds to
// each version it writes (x-amz-meta-sortie-source-version-id and
// x-amz-meta-sortie-source-last-modified): the destination gives every
// version a new ID and date, and these keep the source's, so that a re-run
// and verify can tell which source version a destination version is, and
// an auditor can trace it.
const (
	SourceVersionKey  = "sortie-source-version-id"
	SourceModifiedKey = "sortie-source-last-modified"
)

// FormatMTime renders t as rclone does: decimal seconds since the epoch.
func FormatMTime(t time.Time) string {
	return strconv.FormatInt(t.Unix(), 10) + "." + fmt.Sprintf("%09d", t.Nanosecond())
}

// ParseMTime reads a FormatMTime value (or any decimal seconds).
func ParseMTime(v string) (time.Time, bool) {
	secs, frac, _ := strings.Cut(strings.TrimSpace(v), ".")
	s, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	var ns int64
	if frac != "" {
		frac = (frac + "000000000")[:9]
		if ns, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return time.Time{}, false
		}
	}
	return time.Unix(s, ns), true
}

// OriginTime is when an object was last changed at its origin: its "mtime"
// metadata if an earlier copy recorded one, else its own last-modified time.
func OriginTime(info store.Info) time.Time {
	if v, ok := info.Meta.User[MTimeKey]; ok {
		if t, ok := ParseMTime(v); ok {
			return t
		}
	}
	return info.ModTime
}

// SameOrigin settles an Undecided pair with metadata: the destination is a
// copy of this version of the source when it carries the source's origin
// time (to the millisecond, the coarsest precision filesystems keep).
func SameOrigin(src, dst store.Info) bool {
	if src.Size != dst.Size {
		return false
	}
	v, ok := dst.Meta.User[MTimeKey]
	if !ok {
		return false
	}
	dt, ok := ParseMTime(v)
	if !ok {
		return false
	}
	d := OriginTime(src).Sub(dt)
	return d > -time.Millisecond && d < time.Millisecond
}

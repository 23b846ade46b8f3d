// Package verify proves that a destination holds every source object with
// the same size, content and metadata, and lists every way it does not.
//
// Content is proved by checksums, never by dates: ETags where both sides
// give comparable MD5s, otherwise by hashing bytes. A local filesystem side
// is always re-read and hashed (reading it is free, and a checksum recorded
// at write time proves nothing about the disk today); when the other side's
// ETag is a multipart composite, the file is hashed in that object's part
// size so the composite can be rebuilt without downloading anything. Only
// when that cannot work (an encrypted ETag, an uneven part layout) is the
// remote side read too.
//
// Its reads go through each side's throttle gate and retry policy, as
// copy's do (package retry): a store answering 503 SlowDown slows verify
// down instead of failing its checks.
//
// Metadata is compared as copy and sync compare it (diff.CompareInfo), so
// that a sync followed by a verify converges. A difference the destination
// store makes on every write (a diff.Quirk) is reported once, in
// Report.Quirks and as a warning, and does not fail the object.
//
// Nothing verify skips is called identical: every check it could not make
// or was told not to make (history at a versioned source, tags a
// destination cannot keep, Object Lock under NoLock) is named once in
// Report.NotCompared, and OK(exact) counts what it was not told to skip.
//
// With Options.Versions it compares each key's whole history instead of
// the current objects: versions and delete markers, oldest to newest,
// each version by size, content, metadata and the source version ID a
// history copy records on it (diff.SourceVersionKey).
//
// It changes nothing on either side.
package verify

import (
	"cmp"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/internal/diff"
	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/filter"
	"github.com/sortie-dev/sortie/internal/listing"
	"github.com/sortie-dev/sortie/internal/retry"
	"github.com/sortie-dev/sortie/internal/store"
)

// Options tune a verification.
type Options struct {
	Workers int
	// ListWorkers lists each side with this many workers (package listing).
	ListWorkers int
	// SkipMetadata compares size and content only.
	SkipMetadata bool
	Filter       *filter.Filter
	// Retry is the policy of every read verify makes: the one retry layer
	// of transient failures (package retry); zero Attempts means
	// retry.Default.
	Retry retry.Policy
	// SrcGate and DstGate admit the reads of each side and answer its
	// throttling, as they do for copy; nil gives each side a gate of
	// Workers of its own.
	SrcGate, DstGate *retry.Gate
	// Versions compares each key's whole history, versions and delete
	// markers, instead of the current objects. Both stores must
	// implement store.Versioned.
	Versions bool
	// NoLock says the copy was made without Object Lock: retention and
	// legal holds are not compared, and the report says so.
	NoLock   bool
	Listener event.Listener
	Log      *slog.Logger
}

// Problem is one object, or one entry of a key's history, that is not as
// it should be.
type Problem struct {
	Kind event.Kind // Missing, Extra, Mismatch, or Failed (could not be checked)
	Key  string
	// Position is, with Options.Versions, the entry of the key's history
	// the problem is about, 1 for the oldest; 0 for the key as a whole
	// (and for every problem without Options.Versions).
	Position int
	// Version is the source's version ID of that entry, "" for none.
	Version string
	Reason  string
}

// The things a report may name as not compared (Gap.What).
const (
	GapHistory  = "history"
	GapTags     = "tags"
	GapLock     = "object lock"
	GapMetadata = "metadata"
)

// Gap is one thing a verification did not compare, so that a report never
// calls identical what it did not look at.
type Gap struct {
	// What names it: GapHistory, GapTags, GapLock or GapMetadata.
	What string
	// Why says why, with counts where there are any.
	Why string
	// Asked says the options asked for it (SkipMetadata, NoLock): the
	// caller knew, so it does not make OK(exact) false.
	Asked bool
	// Unseen says no read can tell the difference (delete markers that
	// hide nothing): it is named, and does not make OK(exact) false.
	Unseen bool
}

func (g Gap) String() string { return g.What + ": " + g.Why }

// LeftBehind is the history of a versioned source that a verification of
// its current objects did not compare.
type LeftBehind struct {
	// Versioning is the source bucket's state; "" when even that could
	// not be read (Err says why).
	Versioning store.Versioning
	// Counts is what the source's version listing held, of the keys the
	// filter keeps.
	Counts store.History
	// Err is why the history could not be counted; Counts is then
	// partial.
	Err error
}

// maxListed bounds the problems a report keeps one by one; all are counted.
const maxListed = 10000

// Report is what a verification found.
type Report struct {
	Objects, Bytes int64 // source objects checked
	Verified       int64 // present with the same size, content and metadata
	// ByETag and ByHash count how content was proved.
	ByETag, ByHash int64
	Missing        int64
	Mismatched     int64
	Extra          int64
	Unchecked      int64 // could not be read to be checked
	Problems       []Problem
	// Quirks are the known differences the destination store makes on
	// every write (diff.Quirk), each once: objects that differ only by
	// them are verified, since no copy could change them.
	Quirks []string
	// NotCompared names, each once, what this verification did not
	// compare; what it says identical is the rest.
	NotCompared []Gap
	// LeftBehind is, without Options.Versions, the history of a versioned
	// source (nil for a source that keeps none).
	LeftBehind *LeftBehind
	// With Options.Versions, Objects and Bytes count the source's object
	// versions and Verified, ByETag and ByHash those found identical;
	// Keys counts the source keys, DeleteMarkers their delete markers
	// and MarkersVerified those found at the same place at the
	// destination. A key whose two histories differ in length is one
	// mismatch; its entries are counted, not compared one by one.
	Keys, DeleteMarkers, MarkersVerified int64
	Elapsed                              time.Duration
}

// OK reports whether the destination holds every source object intact.
// With exact, objects only at the destination count against it too (after
// a sync there should be none), and so does anything not compared that
// the options did not ask to leave out (Complete).
func (r *Report) OK(exact bool) bool {
	return r.Missing == 0 && r.Mismatched == 0 && r.Unchecked == 0 && (!exact || r.Extra == 0 && r.Complete())
}

// Complete reports whether everything was compared but what the options
// asked to leave out and what no read can see.
func (r *Report) Complete() bool {
	for _, g := range r.NotCompared {
		if !g.Asked && !g.Unseen {
			return false
		}
	}
	return true
}

type run struct {
	src, dst side
	opts     Options
	mu       sync.Mutex
	rep      Report
	// tagsLost counts the source objects with tags that the destination
	// keeps none of, so their tags were not compared.
	tagsLost int64
	// stopped is set when a version listing could not be ordered: the
	// keys from there on were not compared.
	stopped *Gap
	// redundantSrc and redundantDst count the delete markers that hide
	// nothing (store.EffectiveHistory), left out of the comparison.
	redundantSrc, redundantDst int64
}

// ErrNotVersioned means Options.Versions was asked of a store that keeps no
// object history (it does not implement store.Versioned).
var ErrNotVersioned = errors.New("store keeps no object history")

// Run compares every object of src with dst, or with Options.Versions
// every key's history. It returns a nil report only when the options
// cannot apply to the stores (ErrNotVersioned).
func Run(ctx context.Context, src, dst store.Store, opts Options) (*Report, error) {
	if opts.Versions {
		for _, s := range []store.Store{src, dst} {
			if _, ok := s.(store.Versioned); !ok {
				return nil, fmt.Errorf("compare the versions of %s: %w", s, ErrNotVersioned)
			}
		}
	}
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.Retry.Attempts == 0 {
		opts.Retry = retry.Default
	}
	if opts.Listener == nil {
		opts.Listener = event.Multi(nil)
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.SrcGate == nil {
		opts.SrcGate = retry.NewGate(opts.Workers)
	}
	if opts.DstGate == nil {
		opts.DstGate = retry.NewGate(opts.Workers)
	}
	start := time.Now()
	r := &run{src: side{src, opts.SrcGate}, dst: side{dst, opts.DstGate}, opts: opts}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Workers)
	var listErr error
	if opts.Versions {
		listErr = r.histories(gctx, g)
	} else {
		listErr = r.current(gctx, g)
	}
	g.Wait()
	if listErr == nil && !opts.Versions && ctx.Err() == nil {
		r.leftBehind(ctx)
	}
	r.rep.NotCompared = r.gaps()
	r.rep.Elapsed = time.Since(start)
	slices.SortFunc(r.rep.Problems, func(a, b Problem) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), cmp.Compare(a.Position, b.Position))
	})
	if listErr != nil {
		return &r.rep, listErr
	}
	return &r.rep, ctx.Err()
}

// current compares the current objects, listing both sides at once.
func (r *run) current(ctx context.Context, g *errgroup.Group) error {
	src, dst := r.src.Store, r.dst.Store
	lo := listing.Options{Workers: r.opts.ListWorkers}
	for e, err := range diff.Merge(ctx, listing.List(ctx, src, "", lo), listing.List(ctx, dst, "", lo), src.String(), dst.String(), r.opts.Filter.Match) {
		if err != nil {
			return err
		}
		switch e.Side {
		case diff.SrcOnly:
			r.count(e.Src)
			r.problem(event.Missing, e.Src.Key, "not at the destination", e.Src.Size)
		case diff.DstOnly:
			r.problem(event.Extra, e.Dst.Key, "at the destination only", e.Dst.Size)
		case diff.Both:
			r.count(e.Src)
			g.Go(func() error { r.check(ctx, e); return nil })
		}
	}
	return nil
}

// leftBehind counts, for a versioned source, the history a comparison of
// its current objects did not look at.
func (r *run) leftBehind(ctx context.Context) {
	vs, ok := r.src.Store.(store.Versioned)
	if !ok {
		return
	}
	state, err := vs.Versioning(ctx)
	if errors.Is(err, store.ErrPermission) {
		// The bucket may well be versioned: not knowing is not "none".
		r.rep.LeftBehind = &LeftBehind{Err: err}
		return
	}
	if err != nil {
		// A server without versioning support says so by failing the
		// request: it keeps no history.
		r.opts.Log.Debug("versioning state unknown; not counting versions", "store", r.src.String(), "err", err)
		return
	}
	if state != store.VersioningEnabled && state != store.VersioningSuspended {
		return
	}
	lb := &LeftBehind{Versioning: state}
	lb.Counts, lb.Err = store.CountHistory(func(yield func(store.Version, error) bool) {
		for v, err := range vs.Versions(ctx, "") {
			if err == nil && !r.opts.Filter.Match(v.Key) {
				continue
			}
			if !yield(v, err) {
				return
			}
		}
	})
	r.rep.LeftBehind = lb
}

// gaps names what the run did not compare, each once.
func (r *run) gaps() []Gap {
	var out []Gap
	if lb := r.rep.LeftBehind; lb != nil {
		switch {
		case lb.Err != nil && lb.Versioning == "":
			out = append(out, Gap{What: GapHistory, Why: "the source's versioning state could not be read: " + lb.Err.Error()})
		case lb.Err != nil:
			out = append(out, Gap{What: GapHistory, Why: "the source's versions could not be counted: " + lb.Err.Error()})
		case lb.Counts.LeftBehind():
			var what []string
			if n := lb.Counts.Noncurrent; n > 0 {
				what = append(what, plural(int64(n), "noncurrent version", "noncurrent versions"))
			}
			if n := lb.Counts.DeleteMarkers; n > 0 {
				what = append(what, plural(int64(n), "delete marker", "delete markers"))
			}
			out = append(out, Gap{What: GapHistory, Why: strings.Join(what, " and ") + " at the source"})
		}
	}
	if r.redundantSrc+r.redundantDst > 0 {
		var where []string
		if n := r.redundantSrc; n > 0 {
			where = append(where, fmt.Sprintf("%d at the source", n))
		}
		if n := r.redundantDst; n > 0 {
			where = append(where, fmt.Sprintf("%d at the destination", n))
		}
		out = append(out, Gap{What: GapHistory, Why: fmt.Sprintf("delete markers that hide nothing (%s) not compared: every read of their keys is the same without them, and a history copy writes none",
			strings.Join(where, ", ")), Unseen: true})
	}
	if r.stopped != nil {
		out = append(out, *r.stopped)
	}
	if r.tagsLost > 0 {
		out = append(out, Gap{What: GapTags, Why: fmt.Sprintf("the destination keeps no tags (%s tags at the source)", plural(r.tagsLost, "object has", "objects have"))})
	}
	switch {
	case r.opts.SkipMetadata:
		out = append(out, Gap{What: GapMetadata, Why: "headers, user metadata, tags and object lock not compared, as asked", Asked: true})
	case r.opts.NoLock:
		out = append(out, Gap{What: GapLock, Why: "retention and legal holds not compared: the copy was made without Object Lock", Asked: true})
	}
	return out
}

func (r *run) count(o store.Object) {
	r.mu.Lock()
	r.rep.Objects++
	r.rep.Bytes += o.Size
	r.mu.Unlock()
	r.opts.Listener.Event(event.Event{Kind: event.Listed, Key: o.Key, Size: o.Size})
}

func (r *run) problem(kind event.Kind, key, reason string, size int64) {
	r.problemAt(kind, key, 0, "", reason, size)
}

// problemAt records a problem with the entry at position of key's history
// (0 for the key as a whole), the source's version version.
func (r *run) problemAt(kind event.Kind, key string, position int, version, reason string, size int64) {
	r.mu.Lock()
	switch kind {
	case event.Missing:
		r.rep.Missing++
	case event.Extra:
		r.rep.Extra++
	case event.Mismatch:
		r.rep.Mismatched++
	case event.Failed:
		r.rep.Unchecked++
	}
	if len(r.rep.Problems) < maxListed {
		r.rep.Problems = append(r.rep.Problems, Problem{Kind: kind, Key: key, Position: position, Version: version, Reason: reason})
	}
	r.mu.Unlock()
	r.opts.Listener.Event(event.Event{Kind: kind, Key: key, Reason: reason, Size: size, Version: version})
}

// ref is one object, or one version of it, on one side.
type ref struct {
	key, version, etag string
	// opaque says the ETag is not an MD5 of the body, though it may look
	// like one (Info.OpaqueETag); unknown without a Stat, and then false.
	opaque bool
}

func (r *run) check(ctx context.Context, e diff.Entry) {
	key := e.Src.Key
	if e.Src.Size != e.Dst.Size {
		r.problem(event.Mismatch, key, fmt.Sprintf("size %d at the destination, %d at the source", e.Dst.Size, e.Src.Size), e.Src.Size)
		return
	}
	s, d := ref{key: key, etag: e.Src.ETag}, ref{key: key, etag: e.Dst.ETag}
	// Stat first, when metadata is compared anyway: it says whether an
	// ETag is a checksum at all. Each read retries itself (digest,
	// learnPartSize); Stat is a control request, retried by the store.
	var si, di store.Info
	var err error
	if !r.opts.SkipMetadata {
		if si, err = r.src.Stat(ctx, key); err == nil {
			di, err = r.dst.Stat(ctx, key)
		}
		s.opaque, d.opaque = si.OpaqueETag, di.OpaqueETag
	}
	var byHash bool
	var reason string
	if err == nil {
		byHash, reason, err = r.content(ctx, s, d)
	}
	if err == nil && reason == "" && !r.opts.SkipMetadata {
		reason = r.compareInfo(key, si, di)
	}
	r.settle(ctx, event.Event{Key: key, Size: e.Src.Size, ETag: e.Src.ETag}, 0, byHash, reason, err)
}

// settle records the outcome of one object's or one version's check: ev
// names it, position is its place in the key's history (0 for a current
// object).
func (r *run) settle(ctx context.Context, ev event.Event, position int, byHash bool, reason string, err error) {
	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return
	case err != nil:
		r.problemAt(event.Failed, ev.Key, position, ev.Version, "could not be checked: "+err.Error(), ev.Size)
	case reason != "":
		r.problemAt(event.Mismatch, ev.Key, position, ev.Version, reason, ev.Size)
	default:
		r.mu.Lock()
		r.rep.Verified++
		if byHash {
			r.rep.ByHash++
		} else {
			r.rep.ByETag++
		}
		r.mu.Unlock()
		ev.Kind = event.Verified
		r.opts.Listener.Event(ev)
	}
}

// content returns a non-empty reason when the bodies differ. An ETag
// decides only where its store says ETags are MD5s and the object's is not
// opaque; otherwise the bytes are hashed.
func (r *run) content(ctx context.Context, s, d ref) (byHash bool, reason string, err error) {
	sCaps, dCaps := r.src.Capabilities(), r.dst.Capabilities()
	sSum, dSum := sCaps.ETagIsMD5 && !s.opaque, dCaps.ETagIsMD5 && !d.opaque
	if !sCaps.LocalRead && !dCaps.LocalRead && sSum && dSum && store.ComparableETags(s.etag, d.etag) {
		if store.SameETag(s.etag, d.etag) {
			return false, "", nil
		}
		return false, fmt.Sprintf("content differs: ETag %s at the destination, %s at the source", d.etag, s.etag), nil
	}
	// Hash the side that is cheap to read (or the destination), in the
	// part size of the other side's ETag when it is a composite.
	local, remote := r.dst, r.src
	lo, ro, roSum := d, s, sSum
	if sCaps.LocalRead && !dCaps.LocalRead {
		local, remote, lo, ro, roSum = r.src, r.dst, s, d, dSum
	}
	var parts int
	var parsed bool
	if roSum {
		_, parts, parsed = store.ParseETag(ro.etag)
	}
	var partSize int64
	if parsed && parts > 0 {
		partSize, err = r.learnPartSize(ctx, remote, ro)
		if err != nil {
			return true, "", err
		}
	}
	whole, composite, err := r.digest(ctx, local, lo, partSize)
	if err != nil {
		return true, "", err
	}
	if parsed {
		if parts == 0 && store.SameETag(ro.etag, fmt.Sprintf("%x", whole)) {
			return true, "", nil
		}
		if parts > 0 && store.SameETag(ro.etag, composite) {
			return true, "", nil
		}
	}
	// The other side's ETag could not confirm it: read that side too.
	other, _, err := r.digest(ctx, remote, ro, 0)
	if err != nil {
		return true, "", err
	}
	if string(other) != string(whole) {
		return true, fmt.Sprintf("content differs: MD5 %x at %s, %x at %s", whole, local, other, remote), nil
	}
	return true, "", nil
}

// side is one store with the gate its reads go through.
type side struct {
	store.Store
	gate *retry.Gate
}

// open opens key through the side's gate, which waits out throttling.
func (s side) open(ctx context.Context, key string, opts store.ReadOptions) (rc io.ReadCloser, info store.Info, err error) {
	err = s.gate.Do(ctx, key, func() error {
		rc, info, err = s.Open(ctx, key, opts)
		return err
	})
	return rc, info, err
}

// learnPartSize asks for part 1 of a multipart object and reads only its
// headers: the size of the first part is the layout's part size.
func (r *run) learnPartSize(ctx context.Context, s side, o ref) (int64, error) {
	var size int64
	err := r.opts.Retry.Do(ctx, func(int) error {
		rc, info, err := s.open(ctx, o.key, store.ReadOptions{PartNumber: 1, Length: -1, VersionID: o.version})
		if err != nil {
			return err
		}
		rc.Close()
		size = 0
		if info.Parts > 0 {
			size = info.Length
		}
		return nil
	})
	return size, err
}

// digest reads an object and returns the MD5 of its body and, when partSize
// is positive, the multipart composite ETag for parts of that size. A read
// that fails is read again from the start, as one request.
func (r *run) digest(ctx context.Context, s side, o ref, partSize int64) (whole []byte, composite string, err error) {
	err = r.opts.Retry.Do(ctx, func(int) error {
		var err error
		whole, composite, err = digestOnce(ctx, s, o, partSize)
		return err
	})
	return whole, composite, err
}

func digestOnce(ctx context.Context, s side, o ref, partSize int64) ([]byte, string, error) {
	key := o.key
	rc, _, err := s.open(ctx, key, store.ReadOptions{Length: -1, VersionID: o.version})
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	whole := md5.New()
	var parts [][]byte
	var part hash.Hash
	var inPart int64
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return nil, "", err
		}
		n, err := rc.Read(buf)
		b := buf[:n]
		whole.Write(b)
		for partSize > 0 && len(b) > 0 {
			if part == nil {
				part = md5.New()
			}
			take := min(int64(len(b)), partSize-inPart)
			part.Write(b[:take])
			inPart += take
			b = b[take:]
			if inPart == partSize {
				parts = append(parts, part.Sum(nil))
				part, inPart = nil, 0
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", &store.OpError{Op: "read", Store: s.String(), Key: key, Err: err, Retry: true}
		}
	}
	if part != nil {
		parts = append(parts, part.Sum(nil))
	}
	var composite string
	if partSize > 0 {
		composite = store.MultipartETag(parts)
	}
	return whole.Sum(nil), composite, nil
}

// compareInfo returns a non-empty reason when the metadata of two objects
// (or versions) at key differs. A difference the destination store always
// makes (a diff.Quirk) is not one: it is reported once, in Report.Quirks
// and as a warning. Tags the destination cannot keep are counted as not
// compared; with NoLock, neither is Object Lock.
func (r *run) compareInfo(key string, si, di store.Info) string {
	sTags, dTags := r.src.Capabilities().Tags, r.dst.Capabilities().Tags
	if sTags && !dTags && len(si.Meta.Tags) > 0 {
		r.mu.Lock()
		r.tagsLost++
		r.mu.Unlock()
	}
	if r.opts.NoLock {
		si.Meta.Lock, di.Meta.Lock = store.Lock{}, store.Lock{}
	}
	reason, quirk := diff.CompareInfo(si, di, sTags && dTags)
	if quirk != "" {
		r.quirk(quirk, key)
	}
	return reason
}

// quirk records a store quirk the first time it is seen.
func (r *run) quirk(q diff.Quirk, key string) {
	r.mu.Lock()
	seen := slices.Contains(r.rep.Quirks, string(q))
	if !seen {
		r.rep.Quirks = append(r.rep.Quirks, string(q))
	}
	r.mu.Unlock()
	if !seen {
		r.opts.Listener.Event(event.Event{Kind: event.Warning, Key: key, Reason: "store quirk, not a failure: " + string(q)})
	}
}

// CompareMetadata says how dst's metadata differs from src's, or "" if it
// does not; it is diff.CompareMetadata, which copy and sync use too.
func CompareMetadata(src, dst store.Metadata, tags bool) string {
	return diff.CompareMetadata(src, dst, tags)
}

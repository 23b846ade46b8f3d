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
// It changes nothing on either side.
package verify

import (
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
	Listener         event.Listener
	Log              *slog.Logger
}

// Problem is one object that is not as it should be.
type Problem struct {
	Kind   event.Kind // Missing, Extra, Mismatch, or Failed (could not be checked)
	Key    string
	Reason string
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
	Quirks  []string
	Elapsed time.Duration
}

// OK reports whether the destination holds every source object intact.
// With exact, objects only at the destination count against it too (after
// a sync there should be none).
func (r *Report) OK(exact bool) bool {
	return r.Missing == 0 && r.Mismatched == 0 && r.Unchecked == 0 && (!exact || r.Extra == 0)
}

type run struct {
	src, dst side
	opts     Options
	mu       sync.Mutex
	rep      Report
}

// Run compares every object of src with dst.
func Run(ctx context.Context, src, dst store.Store, opts Options) (*Report, error) {
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.Retry.Attempts == 0 {
		opts.Retry = retry.Default
	}
	if opts.Listener == nil {
		opts.Listener = event.Multi(nil)
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
	lo := listing.Options{Workers: opts.ListWorkers}
	for e, err := range diff.Merge(gctx, listing.List(gctx, src, "", lo), listing.List(gctx, dst, "", lo), src.String(), dst.String(), opts.Filter.Match) {
		if err != nil {
			listErr = err
			break
		}
		switch e.Side {
		case diff.SrcOnly:
			r.count(e.Src)
			r.problem(event.Missing, e.Src.Key, "not at the destination", e.Src.Size)
		case diff.DstOnly:
			r.problem(event.Extra, e.Dst.Key, "at the destination only", e.Dst.Size)
		case diff.Both:
			r.count(e.Src)
			g.Go(func() error { r.check(gctx, e); return nil })
		}
	}
	g.Wait()
	r.rep.Elapsed = time.Since(start)
	slices.SortFunc(r.rep.Problems, func(a, b Problem) int { return strings.Compare(a.Key, b.Key) })
	if listErr != nil {
		return &r.rep, listErr
	}
	return &r.rep, ctx.Err()
}

func (r *run) count(o store.Object) {
	r.mu.Lock()
	r.rep.Objects++
	r.rep.Bytes += o.Size
	r.mu.Unlock()
	r.opts.Listener.Event(event.Event{Kind: event.Listed, Key: o.Key, Size: o.Size})
}

func (r *run) problem(kind event.Kind, key, reason string, size int64) {
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
		r.rep.Problems = append(r.rep.Problems, Problem{Kind: kind, Key: key, Reason: reason})
	}
	r.mu.Unlock()
	r.opts.Listener.Event(event.Event{Kind: kind, Key: key, Reason: reason, Size: size})
}

func (r *run) check(ctx context.Context, e diff.Entry) {
	key := e.Src.Key
	if e.Src.Size != e.Dst.Size {
		r.problem(event.Mismatch, key, fmt.Sprintf("size %d at the destination, %d at the source", e.Dst.Size, e.Src.Size), e.Src.Size)
		return
	}
	// Each read retries itself (digest, learnPartSize); Stat is a control
	// request, retried by the store.
	byHash, reason, err := r.content(ctx, e)
	if err == nil && reason == "" && !r.opts.SkipMetadata {
		reason, err = r.metadata(ctx, key)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return
	case err != nil:
		r.problem(event.Failed, key, "could not be checked: "+err.Error(), e.Src.Size)
	case reason != "":
		r.problem(event.Mismatch, key, reason, e.Src.Size)
	default:
		r.mu.Lock()
		r.rep.Verified++
		if byHash {
			r.rep.ByHash++
		} else {
			r.rep.ByETag++
		}
		r.mu.Unlock()
		r.opts.Listener.Event(event.Event{Kind: event.Verified, Key: key, Size: e.Src.Size, ETag: e.Src.ETag})
	}
}

// content returns a non-empty reason when the bodies differ.
func (r *run) content(ctx context.Context, e diff.Entry) (byHash bool, reason string, err error) {
	sLocal, dLocal := r.src.Capabilities().LocalRead, r.dst.Capabilities().LocalRead
	if !sLocal && !dLocal && store.ComparableETags(e.Src.ETag, e.Dst.ETag) {
		if store.SameETag(e.Src.ETag, e.Dst.ETag) {
			return false, "", nil
		}
		return false, fmt.Sprintf("content differs: ETag %s at the destination, %s at the source", e.Dst.ETag, e.Src.ETag), nil
	}
	// Hash the side that is cheap to read (or the destination), in the
	// part size of the other side's ETag when it is a composite.
	local, remote := r.dst, r.src
	lo, ro := e.Dst, e.Src
	if sLocal && !dLocal {
		local, remote, lo, ro = r.src, r.dst, e.Src, e.Dst
	}
	_, parts, parsed := store.ParseETag(ro.ETag)
	var partSize int64
	if parsed && parts > 0 {
		partSize, err = r.learnPartSize(ctx, remote, ro.Key)
		if err != nil {
			return true, "", err
		}
	}
	whole, composite, err := r.digest(ctx, local, lo.Key, partSize)
	if err != nil {
		return true, "", err
	}
	if parsed {
		if parts == 0 && store.SameETag(ro.ETag, fmt.Sprintf("%x", whole)) {
			return true, "", nil
		}
		if parts > 0 && store.SameETag(ro.ETag, composite) {
			return true, "", nil
		}
	}
	// The other side's ETag could not confirm it: read that side too.
	other, _, err := r.digest(ctx, remote, ro.Key, 0)
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
func (r *run) learnPartSize(ctx context.Context, s side, key string) (int64, error) {
	var size int64
	err := r.opts.Retry.Do(ctx, func(int) error {
		rc, info, err := s.open(ctx, key, store.ReadOptions{PartNumber: 1, Length: -1})
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
func (r *run) digest(ctx context.Context, s side, key string, partSize int64) (whole []byte, composite string, err error) {
	err = r.opts.Retry.Do(ctx, func(int) error {
		var err error
		whole, composite, err = digestOnce(ctx, s, key, partSize)
		return err
	})
	return whole, composite, err
}

func digestOnce(ctx context.Context, s side, key string, partSize int64) ([]byte, string, error) {
	rc, _, err := s.open(ctx, key, store.ReadOptions{Length: -1})
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

// metadata returns a non-empty reason when the metadata differs. A
// difference the destination store always makes (a diff.Quirk) is not one:
// it is reported once, in Report.Quirks and as a warning.
func (r *run) metadata(ctx context.Context, key string) (string, error) {
	si, err := r.src.Stat(ctx, key)
	if err != nil {
		return "", err
	}
	di, err := r.dst.Stat(ctx, key)
	if err != nil {
		return "", err
	}
	reason, quirk := diff.CompareInfo(si, di, r.src.Capabilities().Tags && r.dst.Capabilities().Tags)
	if quirk != "" {
		r.quirk(quirk, key)
	}
	return reason, nil
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

package transfer

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/store"
)

// errLayout says the source's parts are not the uniform layout its first
// part suggested; the copy falls back to ranges of its own size.
var errLayout = errors.New("source parts are not of uniform size")

// layout is how an object is cut into parts.
type layout struct {
	size     int64
	partSize int64
	parts    int
	byNumber bool // read part n by part number (mirrors the source exactly)
}

func (l layout) part(n int) (off, length int64) {
	off = int64(n-1) * l.partSize
	return off, min(l.partSize, l.size-off)
}

// rangeLayout cuts size into parts of the configured size, grown so that no
// more than the destination's maximum number of parts is needed.
func (r *run) rangeLayout(size int64) layout {
	caps := r.dst.Capabilities()
	ps := max(r.opts.PartSize, caps.MinPartSize)
	if caps.MaxParts > 0 && size > ps*int64(caps.MaxParts) {
		ps = (size + int64(caps.MaxParts) - 1) / int64(caps.MaxParts)
		ps = (ps + 1<<20 - 1) &^ (1<<20 - 1) // whole MiB
	}
	n := int(max((size+ps-1)/ps, 1))
	return layout{size: size, partSize: ps, parts: n}
}

// mirrorable reports whether the destination accepts the source's layout.
func (r *run) mirrorable(l layout) bool {
	caps := r.dst.Capabilities()
	if l.parts > 1 && l.partSize < caps.MinPartSize {
		return false
	}
	return (caps.MaxPartSize == 0 || l.partSize <= caps.MaxPartSize) && (caps.MaxParts == 0 || l.parts <= caps.MaxParts)
}

// objectPasses bounds the passes over one multipart object. A second pass
// happens only when the bytes read fail the source's whole-object check (its
// composite ETag or MD5), which cannot say which part was read wrong: it
// continues the same upload, reads every part again and re-sends only the
// parts whose bytes changed. Every other failure was already retried by the
// request that met it, so the object gives up on it.
const objectPasses = 2

// sourceMismatch is the whole-object check failing at the end of a pass.
type sourceMismatch struct{ err error }

func (e *sourceMismatch) Error() string { return e.err.Error() }
func (e *sourceMismatch) Unwrap() error { return e.err }

// copyMultipart copies an object in parts. The first part is read first,
// alone: its response carries the object's metadata (needed to start the
// upload) and, read by part number, the source's part count and size.
func (r *run) copyMultipart(ctx context.Context, o store.Object) (store.Object, error) {
	_, srcParts, _ := store.ParseETag(o.ETag)
	mirror := srcParts >= 1
	var st *mpState
	for pass := 1; ; {
		got, err := r.multipartOnce(ctx, o, mirror, &st)
		var sm *sourceMismatch
		switch {
		case err == nil:
			return got, nil
		case errors.Is(err, errLayout) && mirror:
			// Not a failure: the source's own layout cannot be mirrored.
			// Its parts are of no use to an upload in ranges.
			r.abandon(ctx, o.Key, st)
			st, mirror = nil, false
			continue
		case errors.As(err, &sm) && pass < objectPasses && st != nil:
			pass++
			st.recheck = true
			r.log.Info("source failed its checksum; reading every part again", "key", o.Key, "err", err)
			continue
		}
		r.abandon(ctx, o.Key, st)
		return store.Object{}, err
	}
}

// abandon aborts the upload of a copy that failed, so no orphaned parts are
// billed — unless the run was interrupted and a ledger holds the upload and
// its parts for the next run to continue.
func (r *run) abandon(ctx context.Context, key string, st *mpState) {
	if st == nil || st.uploadID == "" || st.completed {
		return
	}
	if r.opts.Ledger != nil && ctx.Err() != nil {
		return
	}
	// Even when the run is being cancelled.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := r.mp.AbortMultipart(actx, key, st.uploadID); err != nil {
		r.log.Warn("abort multipart upload failed; run sortie cleanup", "key", key, "upload", st.uploadID, "err", err)
		return
	}
	r.ledger.UploadEnded(key, st.uploadID)
}

// partResult is one uploaded part.
type partResult struct {
	etag  string
	md5   []byte
	size  int64
	state []byte // the whole-body MD5's state after this part, if kept
}

// mpState is a multipart copy in progress: fresh, resumed from a ledger, or
// continued from an earlier pass of this run.
type mpState struct {
	info     store.Info // the source object as of the first read (ETag, metadata)
	l        layout
	uploadID string
	results  []partResult // by part number - 1; etag "" while not done
	// whole hashes the body in part order, when the source's ETag is a
	// plain MD5; hashed says how many leading parts it has seen.
	whole  hash.Hash
	hashed int
	// recheck reads every part again, sending only those whose bytes
	// differ from what the destination confirmed.
	recheck   bool
	completed bool
	// first is part 1, read to learn the layout, held until uploaded.
	first        []byte
	firstMD5     []byte
	releaseFirst func()
}

func (st *mpState) dropFirst() {
	if st.releaseFirst != nil {
		st.releaseFirst()
		st.releaseFirst, st.first = nil, nil
	}
}

// upload returns the state as a ledger keeps it.
func (st *mpState) upload() Upload {
	u := Upload{ID: st.uploadID, SrcETag: st.info.ETag, Opaque: st.info.OpaqueETag, Size: st.info.Size,
		PartSize: st.l.partSize, Parts: st.l.parts, ByNumber: st.l.byNumber, Done: map[int]DonePart{}}
	for i, p := range st.results {
		if p.etag != "" {
			u.Done[i+1] = DonePart{Number: i + 1, ETag: p.etag, MD5: p.md5, Size: p.size, HashState: p.state}
		}
	}
	return u
}

func needsWhole(info store.Info) bool {
	_, parts, ok := store.ParseETag(info.ETag)
	return ok && parts == 0 && !info.OpaqueETag
}

// resume picks up an upload an earlier run left, if the ledger has one.
func (r *run) resume(ctx context.Context, o store.Object) (*mpState, error) {
	u, ok := r.ledger.Resumable(o.Key, o.ETag, o.Size)
	if !ok || u.Parts < 1 {
		return nil, nil
	}
	return r.continueUpload(ctx, o, u, false)
}

// continueUpload picks up upload u, keeping the parts the destination still
// holds (ListParts) with the recorded ETags. It returns nil when the upload
// is gone, or when it cannot be listed and was recorded by an earlier run.
// With recheck every kept part is read again, and the whole-body hash starts
// over.
func (r *run) continueUpload(ctx context.Context, o store.Object, u Upload, recheck bool) (*mpState, error) {
	var atDst map[int]string
	if lister, ok := r.dst.(store.PartLister); ok {
		held, err := lister.ListParts(ctx, o.Key, u.ID)
		if errors.Is(err, store.ErrNotExist) {
			r.ledger.UploadEnded(o.Key, u.ID)
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		atDst = make(map[int]string, len(held))
		for _, p := range held {
			atDst[p.Number] = p.ETag
		}
	} else if !recheck {
		// An earlier run's upload may have expired; nothing confirms it.
		return nil, nil
	}
	st := &mpState{
		info:     store.Info{Object: store.Object{Key: o.Key, Size: u.Size, ETag: u.SrcETag}, OpaqueETag: u.Opaque},
		l:        layout{size: u.Size, partSize: u.PartSize, parts: u.Parts, byNumber: u.ByNumber},
		uploadID: u.ID,
		results:  make([]partResult, u.Parts),
		recheck:  recheck,
	}
	usable := func(n int) (DonePart, bool) {
		p, ok := u.Done[n]
		// Without a part listing (recheck only), this run's UploadPart
		// answers are the destination's confirmation.
		return p, ok && (atDst == nil || store.SameETag(atDst[n], p.ETag))
	}
	keep := func(n int, p DonePart) {
		st.results[n-1] = partResult{etag: p.ETag, md5: p.MD5, size: p.Size, state: p.HashState}
	}
	switch {
	case needsWhole(st.info) && !recheck:
		// Only the leading run of parts whose hash state was saved can be
		// kept: the whole-body MD5 must see every byte in order.
		st.whole = md5.New()
		for n := 1; n <= u.Parts; n++ {
			p, ok := usable(n)
			if !ok || p.HashState == nil {
				break
			}
			keep(n, p)
			st.hashed = n
		}
		if st.hashed > 0 {
			last := u.Done[st.hashed]
			if err := st.whole.(encoding.BinaryUnmarshaler).UnmarshalBinary(last.HashState); err != nil {
				st.results = make([]partResult, u.Parts)
				st.hashed = 0
				st.whole = md5.New()
			}
		}
	default:
		if needsWhole(st.info) {
			st.whole = md5.New()
		}
		for n := 1; n <= u.Parts; n++ {
			if p, ok := usable(n); ok {
				keep(n, p)
			}
		}
	}
	kept := 0
	for _, res := range st.results {
		if res.etag != "" {
			kept++
		}
	}
	if recheck {
		r.log.Info("continuing multipart upload", "key", o.Key, "upload", u.ID, "parts confirmed", kept, "of", u.Parts)
		return st, nil
	}
	r.log.Info("resuming multipart upload", "key", o.Key, "upload", u.ID, "parts kept", kept, "of", u.Parts)
	r.ev.Event(event.Event{Kind: event.Resumed, Key: o.Key, Size: o.Size, N: int64(kept),
		Reason: fmt.Sprintf("continuing upload %s: %d of %d parts already confirmed", u.ID, kept, u.Parts)})
	return st, nil
}

// start reads part 1 — by part number when mirroring, so the response
// carries the source's part count and size — and opens a new upload with the
// metadata that read returned.
func (r *run) start(ctx context.Context, o store.Object, mirror bool) (*mpState, error) {
	st := &mpState{}
	opts := store.ReadOptions{Length: -1}
	est := min(o.Size, r.opts.PartSize)
	if mirror {
		opts.PartNumber = 1
	} else {
		st.l = r.rangeLayout(o.Size)
		_, opts.Length = st.l.part(1)
		est = opts.Length
	}
	rel, err := r.acquire(ctx, est)
	if err != nil {
		return nil, err
	}
	held := est
	var buf []byte
	done := func() {}
	err = r.opts.Retry.Do(ctx, func(int) error {
		body, info, err := r.open(ctx, o, opts)
		if err != nil {
			return err
		}
		defer body.Close()
		st.info = info
		if mirror {
			if info.Parts == 0 {
				// The store ignored the part number and sent the whole
				// object: fall back to ranges.
				return errLayout
			}
			st.l = layout{size: info.Size, partSize: info.Length, parts: info.Parts, byNumber: true}
			if !r.mirrorable(st.l) || int64(st.l.parts-1)*st.l.partSize >= st.l.size || int64(st.l.parts)*st.l.partSize < st.l.size {
				return errLayout
			}
			if need := min(info.Length, r.memCap); need > held {
				// Part 1 is larger than guessed: hold the difference too,
				// never more than the whole budget.
				more, err := r.acquire(ctx, need-held)
				if err != nil {
					return err
				}
				prev := rel
				rel, held = func() { more(); prev() }, need
			}
		}
		if buf == nil || int64(len(buf)) != info.Length {
			done()
			buf, done = r.buffer(info.Length)
		}
		st.firstMD5, err = r.readFull(ctx, body, buf, o.Key)
		return err
	})
	if err != nil {
		done()
		rel()
		return nil, err
	}
	st.first = buf
	st.releaseFirst = func() { done(); rel() }
	st.results = make([]partResult, st.l.parts)
	if needsWhole(st.info) {
		st.whole = md5.New()
	}
	r.abortOrphans(ctx, o.Key)
	err = r.opts.Retry.Do(ctx, func(int) error {
		var err error
		st.uploadID, err = r.createMultipart(ctx, o.Key, r.writeMeta(o, st.info))
		return err
	})
	if err != nil {
		st.dropFirst()
		return nil, err
	}
	// Recorded durably before any part is sent, so that a crash from here
	// on leaves an upload the next run can find.
	if err := r.ledger.UploadStarted(o.Key, st.upload()); err != nil {
		st.dropFirst()
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		r.mp.AbortMultipart(actx, o.Key, st.uploadID)
		return nil, err
	}
	return st, nil
}

// abortOrphans aborts the uploads in progress for key before a new one is
// started. With a journal, any such upload is an orphan of an interrupted
// run — one a crash left between its creation and its record — since an
// upload the journal knows is resumed instead; this object is about to be
// replaced anyway. Without a journal nothing is resumed and nothing is
// touched here.
func (r *run) abortOrphans(ctx context.Context, key string) {
	lister, ok := r.dst.(store.UploadLister)
	if !ok || r.opts.Ledger == nil {
		return
	}
	ups, err := lister.ListUploads(ctx, key)
	if err != nil {
		return
	}
	for _, u := range ups {
		if u.Key == key {
			r.log.Info("aborting an upload left by an interrupted run", "key", key, "upload", u.ID)
			r.mp.AbortMultipart(ctx, key, u.ID)
		}
	}
}

// multipartOnce makes one pass over a multipart copy: it continues *stp (an
// earlier pass's upload), or resumes an upload the ledger recorded, or
// starts one, and leaves in *stp the upload it worked on, for the caller to
// continue or abandon.
func (r *run) multipartOnce(ctx context.Context, o store.Object, mirror bool, stp **mpState) (store.Object, error) {
	var st *mpState
	var err error
	if prev := *stp; prev != nil {
		st, err = r.continueUpload(ctx, o, prev.upload(), prev.recheck)
		if st == nil && err == nil {
			*stp = nil // the upload is gone: start over
		}
	} else {
		st, err = r.resume(ctx, o)
	}
	if err != nil {
		return store.Object{}, err
	}
	if st == nil {
		if st, err = r.start(ctx, o, mirror); err != nil {
			return store.Object{}, err
		}
	}
	*stp = st
	defer st.dropFirst()

	l, info := st.l, st.info
	// turn[k] is closed once parts 1..k have been hashed, in order.
	turn := make([]chan struct{}, l.parts+1)
	for i := range turn {
		turn[i] = make(chan struct{})
		if i <= st.hashed {
			close(turn[i])
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.Workers)
	upload := func(n int, buf, sum []byte) error {
		var state []byte
		if st.whole != nil {
			select {
			case <-turn[n-1]:
			case <-gctx.Done():
				return gctx.Err()
			}
			st.whole.Write(buf)
			state, _ = st.whole.(encoding.BinaryMarshaler).MarshalBinary()
		}
		close(turn[n])
		if prev := st.results[n-1]; st.recheck && prev.etag != "" && bytes.Equal(prev.md5, sum) {
			// The destination holds these very bytes already.
			st.results[n-1].state = state
			r.ledger.PartDone(o.Key, st.uploadID, DonePart{Number: n, ETag: prev.etag, MD5: sum, Size: prev.size, HashState: state})
			return nil
		}
		var etag string
		err := r.opts.Retry.Do(gctx, func(int) error {
			var err error
			etag, err = r.uploadPart(gctx, o.Key, st.uploadID, n, buf, sum)
			if err == nil && r.dst.Capabilities().ETagIsMD5 && etag != "" && !store.SameETag(etag, hex.EncodeToString(sum)) {
				err = &store.OpError{Op: "upload part", Store: r.dst.String(), Key: o.Key, Retry: true,
					Err: fmt.Errorf("%w: part %d ETag %s, sent %x", store.ErrChecksumMismatch, n, etag, sum)}
			}
			return err
		})
		if err != nil {
			return err
		}
		st.results[n-1] = partResult{etag: etag, md5: sum, size: int64(len(buf)), state: state}
		r.ledger.PartDone(o.Key, st.uploadID, DonePart{Number: n, ETag: etag, MD5: sum, Size: int64(len(buf)), HashState: state})
		return nil
	}
	for n := 1; n <= l.parts; n++ {
		if st.results[n-1].etag != "" && !st.recheck {
			continue // confirmed by the destination already
		}
		if n == 1 && st.first != nil {
			first, firstMD5, rel := st.first, st.firstMD5, st.releaseFirst
			st.releaseFirst = nil
			g.Go(func() error {
				defer rel()
				return upload(1, first, firstMD5)
			})
			continue
		}
		_, length := l.part(n)
		// Memory is reserved in part order, so the earliest part still
		// waiting to be hashed always holds its buffer: no deadlock.
		rel, err := r.acquire(gctx, length)
		if err != nil {
			break
		}
		g.Go(func() error {
			defer rel()
			buf, done := r.buffer(length)
			defer done()
			var sum []byte
			err := r.opts.Retry.Do(gctx, func(int) error {
				opts := store.ReadOptions{IfMatch: info.ETag, Length: -1}
				if l.byNumber {
					opts.PartNumber = n
				} else {
					opts.Offset, opts.Length = l.part(n)
				}
				body, pinfo, err := r.open(gctx, o, opts)
				if err != nil {
					return err
				}
				defer body.Close()
				if pinfo.Length != length {
					return errLayout
				}
				sum, err = r.readFull(gctx, body, buf, o.Key)
				return err
			})
			if err != nil {
				return err
			}
			return upload(n, buf, sum)
		})
	}
	if err := g.Wait(); err != nil {
		return store.Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return store.Object{}, err
	}

	parts := make([]store.Part, l.parts)
	sums := make([][]byte, l.parts)
	var total int64
	for i, p := range st.results {
		parts[i] = store.Part{Number: i + 1, ETag: p.etag, Size: p.size}
		sums[i] = p.md5
		total += p.size
	}
	var wholeSum []byte
	if st.whole != nil {
		wholeSum = st.whole.Sum(nil)
	}
	srcParts := sums
	if !l.byNumber && l.parts != 1 {
		srcParts = nil // our own layout: the source's composite cannot be rebuilt from it
	}
	if err := checkSource(info, wholeSum, srcParts); err != nil {
		return store.Object{}, &sourceMismatch{&store.OpError{Op: "read", Store: r.src.String(), Key: o.Key, Err: err}}
	}
	var got store.Object
	err = r.opts.Retry.Do(ctx, func(int) error {
		var err error
		got, err = r.completeMultipart(ctx, o.Key, st.uploadID, parts)
		return err
	})
	if err != nil {
		return store.Object{}, err
	}
	st.completed = true
	r.ledger.UploadEnded(o.Key, st.uploadID)
	if err := r.confirm(got, total, store.MultipartETag(sums)); err != nil {
		// The upload is complete but wrong: the object at the destination
		// must not be taken for a copy. Report it; the next run replaces
		// it. Sending the same confirmed parts again would not change it.
		return store.Object{}, &store.OpError{Op: "complete multipart upload", Store: r.dst.String(), Key: o.Key, Err: err}
	}
	return got, nil
}

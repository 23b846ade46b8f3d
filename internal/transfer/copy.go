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
	"io"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/internal/diff"
	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/store"
)

// smallObject is the size under which a body gets a buffer of its own
// instead of a pooled part-sized one, so ten thousand small objects do not
// pin ten thousand part buffers.
const smallObject = 1 << 20

// copyObject copies one object and returns it as the destination confirmed
// it.
func (r *run) copyObject(ctx context.Context, o store.Object) (store.Object, error) {
	_, srcParts, _ := store.ParseETag(o.ETag)
	switch {
	case r.mp != nil && (o.Size > r.opts.PartSize || srcParts >= 1):
		return r.copyMultipart(ctx, o)
	case r.mp != nil:
		var got store.Object
		err := r.opts.Retry.Do(ctx, func(int) error {
			var err error
			got, err = r.copyBuffered(ctx, o)
			return err
		})
		return got, err
	default:
		var got store.Object
		err := r.opts.Retry.Do(ctx, func(int) error {
			var err error
			got, err = r.copyStreaming(ctx, o)
			return err
		})
		return got, err
	}
}

// withOrigin returns the metadata to write: the source's, plus the origin
// time under "mtime" unless an earlier copy already recorded one.
func withOrigin(info store.Info) store.Metadata {
	m := info.Meta.Clone()
	if _, ok := m.User[diff.MTimeKey]; !ok {
		if m.User == nil {
			m.User = make(map[string]string, 1)
		}
		m.User[diff.MTimeKey] = diff.FormatMTime(info.ModTime)
	}
	return m
}

// checkSource compares what was read with what the source says it holds.
// partMD5s must be the MD5s of the source's own parts — read by part number,
// or the whole body of a one-part object — since a composite ETag only
// speaks for the layout it was made from. It returns nil when the source's
// ETag cannot speak for the body.
func checkSource(info store.Info, wholeMD5 []byte, partMD5s [][]byte) error {
	if info.OpaqueETag {
		return nil
	}
	digest, parts, ok := store.ParseETag(info.ETag)
	if !ok {
		return nil
	}
	switch {
	case parts == 0 && wholeMD5 != nil:
		if !bytes.Equal(digest, wholeMD5) {
			return fmt.Errorf("%w: read MD5 %x, source ETag %s", store.ErrChecksumMismatch, wholeMD5, info.ETag)
		}
	case parts > 0 && len(partMD5s) == parts:
		if got := store.MultipartETag(partMD5s); !store.SameETag(got, info.ETag) {
			return fmt.Errorf("%w: read parts hash to %s, source ETag %s", store.ErrChecksumMismatch, got, info.ETag)
		}
	}
	return nil
}

// confirm checks the destination's answer against what was sent: the size,
// and the ETag against the MD5 (or multipart composite) of the bytes read.
// An empty ETag means the store gave none that can be compared (SSE-KMS):
// it checked the Content-MD5 sent with every request instead.
func (r *run) confirm(got store.Object, size int64, wantETag string) error {
	if got.Size != size {
		return fmt.Errorf("%w: destination holds %d bytes, %d were read", store.ErrChecksumMismatch, got.Size, size)
	}
	if got.ETag == "" || !r.dst.Capabilities().ETagIsMD5 {
		return nil
	}
	if !store.SameETag(got.ETag, wantETag) {
		return fmt.Errorf("%w: destination ETag %s, sent bytes hash to %s", store.ErrChecksumMismatch, got.ETag, wantETag)
	}
	return nil
}

// countingReader reports bytes to listeners and waits on the bandwidth cap.
type countingReader struct {
	ctx context.Context
	r   io.Reader
	run *run
}

func (c *countingReader) Read(p []byte) (int, error) {
	if lim := c.run.limiter; lim != nil && len(p) > lim.Burst() {
		p = p[:lim.Burst()]
	}
	n, err := c.r.Read(p)
	if n > 0 {
		if lim := c.run.limiter; lim != nil {
			if werr := lim.WaitN(c.ctx, n); werr != nil {
				return n, werr
			}
		}
		c.run.ev.Event(event.Event{Kind: event.Bytes, N: int64(n)})
	}
	return n, err
}

func (r *run) reader(ctx context.Context, body io.Reader) io.Reader {
	return &countingReader{ctx: ctx, r: body, run: r}
}

// readFull fills buf with exactly len(buf) bytes of body and returns their
// MD5. A body that ends early or runs long is an error worth retrying (a
// connection cut, a proxy gone wrong). buf is the caller's and stays so: a
// retry reads into the same buffer.
func (r *run) readFull(ctx context.Context, body io.Reader, buf []byte, key string) ([]byte, error) {
	if _, err := io.ReadFull(r.reader(ctx, body), buf); err != nil {
		return nil, &store.OpError{Op: "read", Store: r.src.String(), Key: key, Err: err, Retry: !errors.Is(err, context.Canceled)}
	}
	var extra [1]byte
	if n, _ := body.Read(extra[:]); n > 0 {
		return nil, &store.OpError{Op: "read", Store: r.src.String(), Key: key, Err: errors.New("body longer than its Content-Length"), Retry: true}
	}
	sum := md5.Sum(buf)
	return sum[:], nil
}

// buffer returns a buffer of n bytes, pooled when it is part-sized, and the
// function that gives it back.
func (r *run) buffer(n int64) ([]byte, func()) {
	if n < smallObject || n > r.opts.PartSize {
		return make([]byte, n), func() {}
	}
	p, _ := r.pool.Get().(*[]byte)
	if p == nil {
		b := make([]byte, r.opts.PartSize)
		p = &b
	}
	return (*p)[:n], func() { r.pool.Put(p) }
}

// acquire reserves n bytes of the memory budget; a request larger than the
// whole budget takes all of it, so one huge part still runs, alone.
func (r *run) acquire(ctx context.Context, n int64) (func(), error) {
	n = min(max(n, 1), r.memCap)
	if err := r.mem.Acquire(ctx, n); err != nil {
		return nil, err
	}
	return sync.OnceFunc(func() { r.mem.Release(n) }), nil
}

// copyBuffered copies an object that fits in one part: one GET into memory,
// hashed, then one PUT with Content-MD5, so that a failed PUT is retried
// without reading the source again.
func (r *run) copyBuffered(ctx context.Context, o store.Object) (store.Object, error) {
	release, err := r.acquire(ctx, o.Size)
	if err != nil {
		return store.Object{}, err
	}
	defer release()
	body, info, err := r.open(ctx, o.Key, store.ReadOptions{Length: -1})
	if err != nil {
		return store.Object{}, err
	}
	defer body.Close()
	if info.Length != o.Size && info.Length > r.opts.PartSize {
		// It grew past a part since the listing: take the multipart road,
		// without holding this attempt's memory.
		body.Close()
		release()
		return r.copyMultipart(ctx, info.Object)
	}
	buf, done := r.buffer(info.Length)
	defer done()
	sum, err := r.readFull(ctx, body, buf, o.Key)
	if err != nil {
		return store.Object{}, err
	}
	if err := checkSource(info, sum, [][]byte{sum}); err != nil {
		return store.Object{}, &store.OpError{Op: "read", Store: r.src.String(), Key: o.Key, Err: err, Retry: true}
	}
	got, err := r.put(ctx, store.PutInput{
		Key: o.Key, Body: bytes.NewReader(buf), Size: int64(len(buf)), MD5: sum,
		Meta: withOrigin(info), StorageClass: r.opts.StorageClass,
	})
	if err != nil {
		return store.Object{}, err
	}
	if err := r.confirm(got, int64(len(buf)), hex.EncodeToString(sum)); err != nil {
		return store.Object{}, &store.OpError{Op: "put", Store: r.dst.String(), Key: o.Key, Err: err, Retry: true}
	}
	return got, nil
}

// copyStreaming copies to a store that takes whole objects only (a
// filesystem): the body streams through, hashed on the way, and the store
// checks it against the source's MD5 before making it visible.
func (r *run) copyStreaming(ctx context.Context, o store.Object) (store.Object, error) {
	body, info, err := r.open(ctx, o.Key, store.ReadOptions{Length: -1})
	if err != nil {
		return store.Object{}, err
	}
	defer body.Close()
	var want []byte
	if digest, parts, ok := store.ParseETag(info.ETag); ok && parts == 0 && !info.OpaqueETag {
		want = digest
	}
	h := md5.New()
	got, err := r.dst.Put(ctx, store.PutInput{
		Key: o.Key, Body: io.TeeReader(r.reader(ctx, body), h), Size: info.Length, MD5: want,
		Meta: withOrigin(info), StorageClass: r.opts.StorageClass,
	})
	if err != nil {
		return store.Object{}, err
	}
	sum := h.Sum(nil)
	if err := checkSource(info, sum, [][]byte{sum}); err != nil {
		return store.Object{}, &store.OpError{Op: "read", Store: r.src.String(), Key: o.Key, Err: err, Retry: true}
	}
	if err := r.confirm(got, info.Length, hex.EncodeToString(sum)); err != nil {
		return store.Object{}, &store.OpError{Op: "put", Store: r.dst.String(), Key: o.Key, Err: err, Retry: true}
	}
	return got, nil
}

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

// plan cuts size into parts of the configured size, grown so that no more
// than the destination's maximum number of parts is needed.
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

// copyMultipart copies an object in parts. The first part is read first,
// alone: its response carries the object's metadata (needed to start the
// upload) and, read by part number, the source's part count and size.
func (r *run) copyMultipart(ctx context.Context, o store.Object) (store.Object, error) {
	_, srcParts, _ := store.ParseETag(o.ETag)
	tryMirror := srcParts >= 1
	var got store.Object
	err := r.opts.Retry.Do(ctx, func(int) error {
		var err error
		got, err = r.multipartOnce(ctx, o, tryMirror)
		if errors.Is(err, errLayout) {
			tryMirror = false
			got, err = r.multipartOnce(ctx, o, false)
		}
		return err
	})
	return got, err
}

// partResult is one uploaded part.
type partResult struct {
	etag string
	md5  []byte
	size int64
}

// mpState is a multipart copy in progress: fresh, or resumed from a ledger.
type mpState struct {
	info     store.Info // the source object as of the first read (ETag, metadata)
	l        layout
	uploadID string
	results  []partResult // by part number - 1; etag "" while not done
	// whole hashes the body in part order, when the source's ETag is a
	// plain MD5; hashed says how many leading parts it has seen.
	whole  hash.Hash
	hashed int
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

func needsWhole(info store.Info) bool {
	_, parts, ok := store.ParseETag(info.ETag)
	return ok && parts == 0 && !info.OpaqueETag
}

// resume picks up an upload an earlier run left, keeping the parts the
// destination still holds with the recorded ETags. It returns nil when
// there is nothing to resume or the upload is gone.
func (r *run) resume(ctx context.Context, o store.Object) (*mpState, error) {
	u, ok := r.ledger.Resumable(o.Key, o.ETag, o.Size)
	lister, canList := r.dst.(store.PartLister)
	if !ok || !canList || u.Parts < 1 {
		return nil, nil
	}
	held, err := lister.ListParts(ctx, o.Key, u.ID)
	if errors.Is(err, store.ErrNotExist) {
		r.ledger.UploadEnded(o.Key, u.ID)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	atDst := make(map[int]string, len(held))
	for _, p := range held {
		atDst[p.Number] = p.ETag
	}
	st := &mpState{
		info:     store.Info{Object: store.Object{Key: o.Key, Size: u.Size, ETag: u.SrcETag}, OpaqueETag: u.Opaque},
		l:        layout{size: u.Size, partSize: u.PartSize, parts: u.Parts, byNumber: u.ByNumber},
		uploadID: u.ID,
		results:  make([]partResult, u.Parts),
	}
	usable := func(n int) (DonePart, bool) {
		p, ok := u.Done[n]
		return p, ok && store.SameETag(atDst[n], p.ETag)
	}
	if needsWhole(st.info) {
		// Only the leading run of parts whose hash state was saved can be
		// kept: the whole-body MD5 must see every byte in order.
		st.whole = md5.New()
		for n := 1; n <= u.Parts; n++ {
			p, ok := usable(n)
			if !ok || p.HashState == nil {
				break
			}
			st.results[n-1] = partResult{etag: p.ETag, md5: p.MD5, size: p.Size}
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
	} else {
		for n := 1; n <= u.Parts; n++ {
			if p, ok := usable(n); ok {
				st.results[n-1] = partResult{etag: p.ETag, md5: p.MD5, size: p.Size}
			}
		}
	}
	kept := 0
	for _, res := range st.results {
		if res.etag != "" {
			kept++
		}
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
	body, info, err := r.open(ctx, o.Key, opts)
	if err != nil {
		rel()
		return nil, err
	}
	defer body.Close()
	st.info = info
	if mirror {
		if info.Parts == 0 {
			// The store ignored the part number and sent the whole
			// object: fall back to ranges.
			rel()
			return nil, errLayout
		}
		st.l = layout{size: info.Size, partSize: info.Length, parts: info.Parts, byNumber: true}
		if !r.mirrorable(st.l) || int64(st.l.parts-1)*st.l.partSize >= st.l.size || int64(st.l.parts)*st.l.partSize < st.l.size {
			rel()
			return nil, errLayout
		}
		if need := min(info.Length, r.memCap); need > est {
			// Part 1 is larger than guessed: hold the difference too,
			// never more than the whole budget.
			more, err := r.acquire(ctx, need-est)
			if err != nil {
				rel()
				return nil, err
			}
			prev := rel
			rel = func() { more(); prev() }
		}
	}
	buf, done := r.buffer(info.Length)
	st.firstMD5, err = r.readFull(ctx, body, buf, o.Key)
	st.first = buf
	if err != nil {
		done()
		rel()
		return nil, err
	}
	st.releaseFirst = func() { done(); rel() }
	st.results = make([]partResult, st.l.parts)
	if needsWhole(info) {
		st.whole = md5.New()
	}
	r.abortOrphans(ctx, o.Key)
	st.uploadID, err = r.createMultipart(ctx, o.Key, withOrigin(info))
	if err != nil {
		st.dropFirst()
		return nil, err
	}
	// Recorded durably before any part is sent, so that a crash from here
	// on leaves an upload the next run can find.
	if err := r.ledger.UploadStarted(o.Key, Upload{ID: st.uploadID, SrcETag: info.ETag, Opaque: info.OpaqueETag, Size: info.Size,
		PartSize: st.l.partSize, Parts: st.l.parts, ByNumber: st.l.byNumber}); err != nil {
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

func (r *run) multipartOnce(ctx context.Context, o store.Object, mirror bool) (store.Object, error) {
	st, err := r.resume(ctx, o)
	if err != nil {
		return store.Object{}, err
	}
	if st == nil {
		if st, err = r.start(ctx, o, mirror); err != nil {
			return store.Object{}, err
		}
	}
	defer st.dropFirst()
	completed := false
	defer func() {
		if completed {
			return
		}
		if r.opts.Ledger != nil && ctx.Err() != nil {
			// Interrupted: the ledger holds the upload and its parts, and
			// the next run continues it. Aborting would throw them away.
			return
		}
		// Never leave parts behind for a provider to bill: abort even
		// when the run is being cancelled.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := r.mp.AbortMultipart(actx, o.Key, st.uploadID); err != nil {
			r.log.Warn("abort multipart upload failed; run sortie cleanup", "key", o.Key, "upload", st.uploadID, "err", err)
			return
		}
		r.ledger.UploadEnded(o.Key, st.uploadID)
	}()

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
		st.results[n-1] = partResult{etag: etag, md5: sum, size: int64(len(buf))}
		r.ledger.PartDone(o.Key, st.uploadID, DonePart{Number: n, ETag: etag, MD5: sum, Size: int64(len(buf)), HashState: state})
		return nil
	}
	for n := 1; n <= l.parts; n++ {
		if st.results[n-1].etag != "" {
			continue // confirmed by an earlier run
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
				body, pinfo, err := r.open(gctx, o.Key, opts)
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
		return store.Object{}, &store.OpError{Op: "read", Store: r.src.String(), Key: o.Key, Err: err, Retry: true}
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
	completed = true
	r.ledger.UploadEnded(o.Key, st.uploadID)
	if err := r.confirm(got, total, store.MultipartETag(sums)); err != nil {
		// The upload is complete but wrong: the object at the destination
		// must not be taken for a copy. Report it; the next run replaces it.
		return store.Object{}, &store.OpError{Op: "complete multipart upload", Store: r.dst.String(), Key: o.Key, Err: err, Retry: true}
	}
	return got, nil
}

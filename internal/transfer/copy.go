package transfer

import (
	"bytes"
	"context"
	"crypto/md5"
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

// readFull reads exactly n bytes of body into a buffer and returns the
// buffer and its MD5. A body that ends early or runs long is an error
// worth retrying (a connection cut, a proxy gone wrong).
func (r *run) readFull(ctx context.Context, body io.Reader, buf []byte, key string) ([]byte, []byte, error) {
	if _, err := io.ReadFull(r.reader(ctx, body), buf); err != nil {
		return nil, nil, &store.OpError{Op: "read", Store: r.src.String(), Key: key, Err: err, Retry: !errors.Is(err, context.Canceled)}
	}
	var extra [1]byte
	if n, _ := body.Read(extra[:]); n > 0 {
		return nil, nil, &store.OpError{Op: "read", Store: r.src.String(), Key: key, Err: errors.New("body longer than its Content-Length"), Retry: true}
	}
	sum := md5.Sum(buf)
	return buf, sum[:], nil
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
	body, info, err := r.src.Open(ctx, o.Key, store.ReadOptions{Length: -1})
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
	buf, sum, err := r.readFull(ctx, body, buf, o.Key)
	if err != nil {
		return store.Object{}, err
	}
	if err := checkSource(info, sum, [][]byte{sum}); err != nil {
		return store.Object{}, &store.OpError{Op: "read", Store: r.src.String(), Key: o.Key, Err: err, Retry: true}
	}
	got, err := r.dst.Put(ctx, store.PutInput{
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
	body, info, err := r.src.Open(ctx, o.Key, store.ReadOptions{Length: -1})
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

func (r *run) multipartOnce(ctx context.Context, o store.Object, mirror bool) (store.Object, error) {
	// Part 1: learn the layout and the metadata.
	var l layout
	var first []byte
	var firstMD5 []byte
	var info store.Info
	var releaseFirst, doneFirst func()
	{
		opts := store.ReadOptions{Length: -1}
		if mirror {
			opts.PartNumber = 1
		} else {
			l = r.rangeLayout(o.Size)
			_, opts.Length = l.part(1)
		}
		est := l.partSize
		if mirror {
			est = min(o.Size, r.opts.PartSize)
		}
		rel, err := r.acquire(ctx, est)
		if err != nil {
			return store.Object{}, err
		}
		body, inf, err := r.src.Open(ctx, o.Key, opts)
		if err != nil {
			rel()
			return store.Object{}, err
		}
		info = inf
		if mirror {
			if info.Parts == 0 {
				// The store ignored the part number and sent the whole
				// object: fall back to ranges.
				body.Close()
				rel()
				return store.Object{}, errLayout
			}
			l = layout{size: info.Size, partSize: info.Length, parts: info.Parts, byNumber: true}
			if !r.mirrorable(l) || int64(l.parts-1)*l.partSize >= l.size || int64(l.parts)*l.partSize < l.size {
				body.Close()
				rel()
				return store.Object{}, errLayout
			}
			if need := min(info.Length, r.memCap); need > est {
				// Part 1 is larger than guessed: hold the difference too,
				// never more than the whole budget.
				more, err := r.acquire(ctx, need-est)
				if err != nil {
					body.Close()
					rel()
					return store.Object{}, err
				}
				prev := rel
				rel = func() { more(); prev() }
			}
		}
		buf, done := r.buffer(info.Length)
		first, firstMD5, err = r.readFull(ctx, body, buf, o.Key)
		body.Close()
		if err != nil {
			done()
			rel()
			return store.Object{}, err
		}
		releaseFirst, doneFirst = rel, done
	}
	firstHeld := true
	defer func() {
		if firstHeld {
			doneFirst()
			releaseFirst()
		}
	}()

	uploadID, err := r.mp.CreateMultipart(ctx, o.Key, withOrigin(info), r.opts.StorageClass)
	if err != nil {
		return store.Object{}, err
	}
	completed := false
	defer func() {
		if !completed {
			// Never leave parts behind for a provider to bill: abort even
			// when the run is being cancelled.
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if err := r.mp.AbortMultipart(actx, o.Key, uploadID); err != nil {
				r.log.Warn("abort multipart upload failed; run sortie cleanup", "key", o.Key, "upload", uploadID, "err", err)
			}
		}
	}()

	// The whole-body MD5 is needed only to check a source whose ETag is a
	// plain MD5; parts feed it in order.
	var whole hash.Hash
	if d, parts, ok := store.ParseETag(info.ETag); ok && parts == 0 && d != nil && !info.OpaqueETag {
		whole = md5.New()
	}
	results := make([]partResult, l.parts)
	turn := make([]chan struct{}, l.parts+1)
	for i := range turn {
		turn[i] = make(chan struct{})
	}
	close(turn[0])

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.Workers)
	upload := func(n int, buf, sum []byte) error {
		if whole != nil {
			select {
			case <-turn[n-1]:
			case <-gctx.Done():
				return gctx.Err()
			}
			whole.Write(buf)
		}
		close(turn[n])
		var etag string
		err := r.opts.Retry.Do(gctx, func(int) error {
			var err error
			etag, err = r.mp.UploadPart(gctx, o.Key, uploadID, n, bytes.NewReader(buf), int64(len(buf)), sum)
			if err == nil && r.dst.Capabilities().ETagIsMD5 && etag != "" && !store.SameETag(etag, hex.EncodeToString(sum)) {
				err = &store.OpError{Op: "upload part", Store: r.dst.String(), Key: o.Key, Retry: true,
					Err: fmt.Errorf("%w: part %d ETag %s, sent %x", store.ErrChecksumMismatch, n, etag, sum)}
			}
			return err
		})
		if err != nil {
			return err
		}
		results[n-1] = partResult{etag: etag, md5: sum, size: int64(len(buf))}
		return nil
	}
	firstHeld = false
	g.Go(func() error {
		defer releaseFirst()
		defer doneFirst()
		return upload(1, first, firstMD5)
	})
	for n := 2; n <= l.parts; n++ {
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
				body, pinfo, err := r.src.Open(gctx, o.Key, opts)
				if err != nil {
					return err
				}
				defer body.Close()
				if pinfo.Length != length {
					return errLayout
				}
				buf, sum, err = r.readFull(gctx, body, buf, o.Key)
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
	for i, p := range results {
		parts[i] = store.Part{Number: i + 1, ETag: p.etag, Size: p.size}
		sums[i] = p.md5
		total += p.size
	}
	var wholeSum []byte
	if whole != nil {
		wholeSum = whole.Sum(nil)
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
		got, err = r.mp.CompleteMultipart(ctx, o.Key, uploadID, parts)
		return err
	})
	if err != nil {
		return store.Object{}, err
	}
	completed = true
	if err := r.confirm(got, total, store.MultipartETag(sums)); err != nil {
		// The upload is complete but wrong: the object at the destination
		// must not be taken for a copy. Report it; the next run replaces it.
		return store.Object{}, &store.OpError{Op: "complete multipart upload", Store: r.dst.String(), Key: o.Key, Err: err, Retry: true}
	}
	return got, nil
}

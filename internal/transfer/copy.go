package transfer

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sortie-dev/sortie/internal/diff"
	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/store"
)

// smallObject is the size under which a body gets a buffer of its own
// instead of a pooled part-sized one, so ten thousand small objects do not
// pin ten thousand part buffers.
const smallObject = 1 << 20

// copyObject copies one object and returns it as the destination confirmed
// it. Each request in it is retried where it is made (package retry says
// which layer retries what); no failure is retried around the whole copy.
func (r *run) copyObject(ctx context.Context, o store.Object) (store.Object, error) {
	_, srcParts, _ := store.ParseETag(o.ETag)
	switch {
	case r.mp != nil && (o.Size > r.opts.PartSize || srcParts >= 1):
		return r.copyMultipart(ctx, o)
	case r.mp != nil:
		return r.copyBuffered(ctx, o)
	default:
		return r.copyStreaming(ctx, o)
	}
}

// writeMeta returns the metadata to write for o, read as info: the source's
// with its origin time (withOrigin), without its Object Lock state under
// Options.NoLock, and, in a history copy, with the source version's ID and
// last-modified time (diff.SourceVersionKey, SourceModifiedKey), since the
// destination gives each version its own. It notes what the source held
// (lock, encryption) for the run's summary.
func (r *run) writeMeta(o store.Object, info store.Info) store.Metadata {
	m := withOrigin(info)
	if r.opts.NoLock {
		m.Lock = store.Lock{}
	}
	if r.opts.Versions {
		m.User[diff.SourceVersionKey] = o.VersionID
		m.User[diff.SourceModifiedKey] = info.ModTime.UTC().Format(time.RFC3339)
	}
	r.written.Store(writeKey(o), wrote{lock: info.Meta.Lock, encryption: info.Encryption})
	return m
}

// wrote is what writeMeta learnt of one source object, kept until the copy
// is confirmed and counted.
type wrote struct {
	lock       store.Lock
	encryption string
}

func writeKey(o store.Object) string { return o.Key + "\x00" + o.VersionID }

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
// hashed, then one PUT with Content-MD5. The object is its own part: a read
// cut short or whose bytes fail the source's MD5 is read again, and a PUT
// that fails or is confirmed with another ETag is sent again from the
// buffer, without reading the source again.
func (r *run) copyBuffered(ctx context.Context, o store.Object) (store.Object, error) {
	release, err := r.acquire(ctx, o.Size)
	if err != nil {
		return store.Object{}, err
	}
	defer release()
	var (
		info store.Info
		buf  []byte
		sum  []byte
		grew bool
	)
	done := func() {}
	defer func() { done() }()
	err = r.opts.Retry.Do(ctx, func(int) error {
		body, i, err := r.open(ctx, o, store.ReadOptions{Length: -1})
		if err != nil {
			return err
		}
		defer body.Close()
		info = i
		if info.Length != o.Size && info.Length > r.opts.PartSize {
			grew = true
			return nil
		}
		if buf == nil || int64(len(buf)) != info.Length {
			done()
			buf, done = r.buffer(info.Length)
		}
		if sum, err = r.readFull(ctx, body, buf, o.Key); err != nil {
			return err
		}
		if err := checkSource(info, sum, [][]byte{sum}); err != nil {
			return &store.OpError{Op: "read", Store: r.src.String(), Key: o.Key, Err: err, Retry: true}
		}
		return nil
	})
	if err != nil {
		return store.Object{}, err
	}
	if grew {
		// It grew past a part since the listing: take the multipart road,
		// without holding this copy's memory.
		done()
		done = func() {}
		release()
		return r.copyMultipart(ctx, info.Object)
	}
	var got store.Object
	err = r.opts.Retry.Do(ctx, func(attempt int) error {
		if attempt > 1 && r.opts.Versions {
			// A PUT whose answer was lost may have been kept, and on a
			// versioned destination sending it again would add a second
			// version: look first.
			if v, ok := r.landed(ctx, o); ok {
				got = v
				return nil
			}
		}
		var err error
		got, err = r.put(ctx, store.PutInput{
			Key: o.Key, Body: bytes.NewReader(buf), Size: int64(len(buf)), MD5: sum,
			Meta: r.writeMeta(o, info), StorageClass: r.opts.StorageClass,
		})
		if err != nil {
			return err
		}
		if err := r.confirm(got, int64(len(buf)), hex.EncodeToString(sum)); err != nil {
			return &store.OpError{Op: "put", Store: r.dst.String(), Key: o.Key, Err: err, Retry: true}
		}
		return nil
	})
	return got, err
}

// copyStreaming copies to a store that takes whole objects only (a
// filesystem): the body streams through, hashed on the way, and the store
// checks it against the source's MD5 before making it visible. Nothing is
// held to send again, so a failed attempt streams the object again.
func (r *run) copyStreaming(ctx context.Context, o store.Object) (store.Object, error) {
	var got store.Object
	err := r.opts.Retry.Do(ctx, func(int) error {
		var err error
		got, err = r.streamOnce(ctx, o)
		return err
	})
	return got, err
}

func (r *run) streamOnce(ctx context.Context, o store.Object) (store.Object, error) {
	body, info, err := r.open(ctx, o, store.ReadOptions{Length: -1})
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
		Meta: r.writeMeta(o, info), StorageClass: r.opts.StorageClass,
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

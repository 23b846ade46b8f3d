package transfer

import (
	"bytes"
	"context"
	"io"

	"github.com/sortie-dev/sortie/internal/store"
)

// The engine's data requests, each admitted by its side's gate, which waits
// out throttling (package retry). Every caller retries the request, with its
// body, in a retry.Policy loop of its own: here is only the gate.

// open reads o: the version o names, when it names one (a history copy),
// so that every part of a copy comes from that version.
func (r *run) open(ctx context.Context, o store.Object, opts store.ReadOptions) (rc io.ReadCloser, info store.Info, err error) {
	opts.VersionID = o.VersionID
	err = r.srcGate.Do(ctx, o.Key, func() error {
		rc, info, err = r.src.Open(ctx, o.Key, opts)
		return err
	})
	return rc, info, err
}

func (r *run) put(ctx context.Context, in store.PutInput) (got store.Object, err error) {
	err = r.dstGate.Do(ctx, in.Key, func() error {
		if s, ok := in.Body.(io.Seeker); ok {
			s.Seek(0, io.SeekStart) // a throttled attempt may have read some of it
		}
		got, err = r.dst.Put(ctx, in)
		return err
	})
	return got, err
}

func (r *run) createMultipart(ctx context.Context, key string, meta store.Metadata) (id string, err error) {
	err = r.dstGate.Do(ctx, key, func() error {
		id, err = r.mp.CreateMultipart(ctx, key, meta, r.opts.StorageClass)
		return err
	})
	return id, err
}

func (r *run) uploadPart(ctx context.Context, key, id string, n int, buf, sum []byte) (etag string, err error) {
	err = r.dstGate.Do(ctx, key, func() error {
		etag, err = r.mp.UploadPart(ctx, key, id, n, bytes.NewReader(buf), int64(len(buf)), sum)
		return err
	})
	return etag, err
}

func (r *run) completeMultipart(ctx context.Context, key, id string, parts []store.Part) (got store.Object, err error) {
	err = r.dstGate.Do(ctx, key, func() error {
		got, err = r.mp.CompleteMultipart(ctx, key, id, parts)
		return err
	})
	return got, err
}

func (r *run) delete(ctx context.Context, key string) error {
	return r.dstGate.Do(ctx, key, func() error { return r.dst.Delete(ctx, key) })
}

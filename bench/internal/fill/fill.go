// Package fill writes a benchmark's source objects — whole objects and
// multipart ones with a chosen part size, each checked by the store against
// its MD5 — and counts its destinations, outside the timing. It is not for
// the code under measurement.
package fill

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"

	"github.com/sortie-dev/sortie/internal/store"
)

// Writer is the part of a store fill uses.
type Writer interface {
	store.Store
	store.Multipart
}

// Put writes body at key in one request.
func Put(ctx context.Context, st store.Store, key string, body []byte) error {
	sum := md5.Sum(body)
	_, err := st.Put(ctx, store.PutInput{Key: key, Body: bytes.NewReader(body), Size: int64(len(body)), MD5: sum[:]})
	return err
}

// PutMultipart writes body at key as a multipart upload of partSize parts,
// so that the source has the layout a copy may mirror.
func PutMultipart(ctx context.Context, st Writer, key string, body []byte, partSize int) error {
	id, err := st.CreateMultipart(ctx, key, store.Metadata{}, "")
	if err != nil {
		return err
	}
	var parts []store.Part
	for n, off := 1, 0; off < len(body); n, off = n+1, off+partSize {
		p := body[off:min(off+partSize, len(body))]
		sum := md5.Sum(p)
		etag, err := st.UploadPart(ctx, key, id, n, bytes.NewReader(p), int64(len(p)), sum[:])
		if err != nil {
			return err
		}
		parts = append(parts, store.Part{Number: n, ETag: etag, Size: int64(len(p))})
	}
	_, err = st.CompleteMultipart(ctx, key, id, parts)
	return err
}

// Check confirms that st holds want objects: a run's destination after
// the tool under measurement said it was done.
func Check(ctx context.Context, st store.Store, want int) error {
	n := 0
	for _, err := range st.List(ctx, "") {
		if err != nil {
			return err
		}
		n++
	}
	if n != want {
		return fmt.Errorf("destination has %d objects, want %d", n, want)
	}
	return nil
}

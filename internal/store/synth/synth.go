// Package synth is a store whose objects are generated, not kept: key i of n
// is produced on demand, in key order, with a deterministic body. It lets
// benchmarks feed ten million keys to the diff and the engine without
// uploading anything, so that what they measure is sortie's own cost. It is
// for benchmarks and scale tests only.
package synth

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/sortie-dev/sortie/internal/store"
)

// Store generates N objects of Size bytes. Objects whose index is a
// multiple of ChangeEvery (when positive) get another version, so that two
// stores differing only in Version disagree on 1/ChangeEvery of the keys.
type Store struct {
	Name        string
	N           int
	Size        int
	Version     int
	ChangeEvery int
	// WithETags gives every object an MD5-shaped ETag derived from its
	// index and version (cheap; not the MD5 of its body): enough for the
	// diff, which compares ETags, not bodies. Without it ETags are empty.
	// Either way Capabilities says ETagIsMD5 false, since it is not.
	WithETags bool
}

var _ store.Store = (*Store)(nil)

// 20 folders of equal size, as a dataset is often laid out.
func (s *Store) key(i int) string {
	per := max(s.N/20, 1)
	return fmt.Sprintf("dataset/part-%02d/object-%09d.bin", i/per, i)
}

func (s *Store) version(i int) int {
	if s.ChangeEvery > 0 && i%s.ChangeEvery == 0 {
		return s.Version
	}
	return 0
}

func (s *Store) etag(i int) string {
	if !s.WithETags {
		return ""
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(i))
	binary.BigEndian.PutUint64(b[8:], uint64(s.version(i)))
	return hex.EncodeToString(b[:])
}

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func (s *Store) object(i int) store.Object {
	return store.Object{Key: s.key(i), Size: int64(s.Size), ETag: s.etag(i), ModTime: epoch, StorageClass: "STANDARD"}
}

func (s *Store) String() string { return "synth://" + s.Name }

// Capabilities implements store.Store. The ETags are not MD5s of the
// bodies: claiming ETagIsMD5 would have callers take them for checksums.
func (s *Store) Capabilities() store.Capabilities { return store.Capabilities{} }

// List implements store.Store.
func (s *Store) List(ctx context.Context, startAfter string) iter.Seq2[store.Object, error] {
	return func(yield func(store.Object, error) bool) {
		if ctx.Err() != nil {
			// Even an empty store must not look completely listed.
			yield(store.Object{}, ctx.Err())
			return
		}
		for i := 0; i < s.N; i++ {
			if i%4096 == 0 && ctx.Err() != nil {
				yield(store.Object{}, ctx.Err())
				return
			}
			o := s.object(i)
			if o.Key <= startAfter {
				continue
			}
			if !yield(o, nil) {
				return
			}
		}
	}
}

func (s *Store) index(key string) (int, bool) {
	i := strings.LastIndex(key, "object-")
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(key[i+len("object-"):], ".bin"))
	if err != nil || n < 0 || n >= s.N || s.key(n) != key {
		return 0, false
	}
	return n, true
}

// Body returns object i's bytes.
func (s *Store) Body(i int) []byte {
	b := make([]byte, s.Size)
	seed := uint64(i)*0x9E3779B97F4A7C15 ^ uint64(s.version(i))
	for j := 0; j < len(b); j += 8 {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		for k := 0; k < 8 && j+k < len(b); k++ {
			b[j+k] = byte(seed >> (8 * k))
		}
	}
	return b
}

// Stat implements store.Store.
func (s *Store) Stat(ctx context.Context, key string) (store.Info, error) {
	i, ok := s.index(key)
	if !ok {
		return store.Info{}, &store.OpError{Op: "stat", Store: s.String(), Key: key, Err: store.ErrNotExist}
	}
	return store.Info{Object: s.object(i), Length: int64(s.Size)}, nil
}

// Open implements store.Store. It reads by range only: a part number reads
// the whole object, with Info.Parts 0.
func (s *Store) Open(ctx context.Context, key string, opts store.ReadOptions) (io.ReadCloser, store.Info, error) {
	i, ok := s.index(key)
	if !ok {
		return nil, store.Info{}, &store.OpError{Op: "open", Store: s.String(), Key: key, Err: store.ErrNotExist}
	}
	if opts.IfMatch != "" && !store.SameETag(opts.IfMatch, s.etag(i)) {
		return nil, store.Info{}, &store.OpError{Op: "open", Store: s.String(), Key: key,
			Err: fmt.Errorf("%w: ETag %q, want %q", store.ErrChanged, s.etag(i), opts.IfMatch)}
	}
	if opts.PartNumber > 0 {
		opts.Offset, opts.Length = 0, -1
	}
	if opts.Offset < 0 || opts.Offset > int64(s.Size) {
		return nil, store.Info{}, &store.OpError{Op: "open", Store: s.String(), Key: key,
			Err: fmt.Errorf("offset %d outside the object's %d bytes", opts.Offset, s.Size)}
	}
	b := s.Body(i)[opts.Offset:]
	if opts.Length >= 0 && opts.Length < int64(len(b)) {
		b = b[:opts.Length]
	}
	info := store.Info{Object: s.object(i), Length: int64(len(b))}
	return io.NopCloser(bytes.NewReader(b)), info, nil
}

// Put implements store.Store by reading the body and forgetting it: a
// destination that costs nothing, so the engine's own cost shows.
func (s *Store) Put(ctx context.Context, in store.PutInput) (store.Object, error) {
	h := md5.New()
	n, err := io.Copy(h, in.Body)
	if err != nil {
		return store.Object{}, err
	}
	return store.Object{Key: in.Key, Size: n, ETag: hex.EncodeToString(h.Sum(nil))}, nil
}

// Delete implements store.Store; it changes nothing.
func (s *Store) Delete(ctx context.Context, key string) error { return nil }

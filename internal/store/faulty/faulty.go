// Package faulty wraps a store.Store to inject faults in tests: fail a
// chosen call, corrupt a byte of a body, report a wrong ETag. It is for
// tests of the engines only; nothing in a real run uses it.
package faulty

import (
	"context"
	"io"
	"sync"

	"github.com/sortie-dev/sortie/internal/store"
)

// Store decorates a store (and its multipart side, if any). Each hook is
// called with the key and how many times that operation has been called
// for that key so far (from 1); a nil hook injects nothing.
type Store struct {
	store.Store
	// OpenErr, when it returns an error, makes Open fail with it.
	OpenErr func(key string, n int) error
	// CorruptRead, when true, flips one byte of what Open returns.
	CorruptRead func(key string, n int) bool
	// TruncateRead, when true, makes the body Open returns end half way
	// with io.ErrUnexpectedEOF, as a connection cut mid-body does.
	TruncateRead func(key string, n int) bool
	// PutErr makes Put (and UploadPart) fail before writing.
	PutErr func(key string, n int) error
	// IgnorePartNumber makes Open behave like a store that cannot read by
	// part (gofakes3): the whole object, with Parts 0.
	IgnorePartNumber bool
	// WrongETag, when true, makes Put and CompleteMultipart report an ETag
	// that is not what the store holds — a destination that lies.
	WrongETag func(key string, n int) bool

	mu     sync.Mutex
	counts map[string]int
}

var (
	_ store.Store     = (*Store)(nil)
	_ store.Multipart = (*Store)(nil)
)

// Wrap returns a decorator with no faults set.
func Wrap(s store.Store) *Store { return &Store{Store: s, counts: map[string]int{}} }

func (s *Store) count(op, key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[op+"\x00"+key]++
	return s.counts[op+"\x00"+key]
}

// Calls returns how many times op ("open", "put", "part", "complete") was
// called for key.
func (s *Store) Calls(op, key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op+"\x00"+key]
}

func (s *Store) Open(ctx context.Context, key string, opts store.ReadOptions) (io.ReadCloser, store.Info, error) {
	n := s.count("open", key)
	if s.OpenErr != nil {
		if err := s.OpenErr(key, n); err != nil {
			return nil, store.Info{}, err
		}
	}
	if s.IgnorePartNumber && opts.PartNumber > 0 {
		opts = store.ReadOptions{Length: -1, IfMatch: opts.IfMatch}
	}
	rc, info, err := s.Store.Open(ctx, key, opts)
	if err == nil && s.IgnorePartNumber {
		info.Parts, info.PartSize = 0, 0
	}
	if err == nil && s.TruncateRead != nil && s.TruncateRead(key, n) {
		b, rerr := io.ReadAll(rc)
		rc.Close()
		if rerr != nil {
			return nil, store.Info{}, rerr
		}
		return io.NopCloser(io.MultiReader(&sliceReader{b: b[:len(b)/2]}, errReader{io.ErrUnexpectedEOF})), info, nil
	}
	if err != nil || s.CorruptRead == nil || !s.CorruptRead(key, n) {
		return rc, info, err
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, store.Info{}, err
	}
	if len(b) > 0 {
		b[len(b)/2] ^= 0x20
	}
	return io.NopCloser(&sliceReader{b: b}), info, nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

type sliceReader struct{ b []byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func (s *Store) Put(ctx context.Context, in store.PutInput) (store.Object, error) {
	n := s.count("put", in.Key)
	if s.PutErr != nil {
		if err := s.PutErr(in.Key, n); err != nil {
			return store.Object{}, err
		}
	}
	o, err := s.Store.Put(ctx, in)
	if err == nil && s.WrongETag != nil && s.WrongETag(in.Key, n) {
		o.ETag = "00000000000000000000000000000000"
	}
	return o, err
}

func (s *Store) mp() store.Multipart { return s.Store.(store.Multipart) }

func (s *Store) CreateMultipart(ctx context.Context, key string, meta store.Metadata, class string) (string, error) {
	return s.mp().CreateMultipart(ctx, key, meta, class)
}

func (s *Store) UploadPart(ctx context.Context, key, id string, part int, body io.ReadSeeker, size int64, md5 []byte) (string, error) {
	n := s.count("part", key)
	if s.PutErr != nil {
		if err := s.PutErr(key, n); err != nil {
			return "", err
		}
	}
	return s.mp().UploadPart(ctx, key, id, part, body, size, md5)
}

func (s *Store) CompleteMultipart(ctx context.Context, key, id string, parts []store.Part) (store.Object, error) {
	n := s.count("complete", key)
	o, err := s.mp().CompleteMultipart(ctx, key, id, parts)
	if err == nil && s.WrongETag != nil && s.WrongETag(key, n) {
		o.ETag = "00000000000000000000000000000000-1"
	}
	return o, err
}

func (s *Store) AbortMultipart(ctx context.Context, key, id string) error {
	return s.mp().AbortMultipart(ctx, key, id)
}

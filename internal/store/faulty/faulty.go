// Package faulty wraps a store.Store to inject faults in tests: fail a
// chosen call, corrupt a byte of a body, report a wrong ETag. It is for
// tests of the engines only; nothing in a real run uses it.
package faulty

import (
	"context"
	"fmt"
	"io"
	"iter"
	"strconv"
	"sync"

	"github.com/sortie-dev/sortie/internal/store"
)

// Faults says what a wrapped store does wrong. Each hook is called with the
// key and how many times that operation has been called for that key so far
// (from 1); a nil hook injects nothing, so the zero Faults injects none. Set
// the hooks before the wrapped store is used.
type Faults struct {
	// OpenErr, when it returns an error, makes Open fail with it.
	OpenErr func(key string, n int) error
	// CorruptRead, when true, flips one byte of what Open returns.
	CorruptRead func(key string, n int) bool
	// TruncateRead, when true, makes the body Open returns end half way
	// with io.ErrUnexpectedEOF, as a connection cut mid-body does.
	TruncateRead func(key string, n int) bool
	// CorruptPart, when true, flips one byte of a read of part (by part
	// number); n counts the reads of that part of key.
	CorruptPart func(key string, part, n int) bool
	// PutErr makes Put (and UploadPart) fail before writing.
	PutErr func(key string, n int) error
	// PartErr makes UploadPart of part fail before writing; n counts the
	// sends of that part of key (from 1).
	PartErr func(key string, part, n int) error
	// IgnorePartNumber makes Open behave like a store that cannot read by
	// part (gofakes3): the whole object, with Parts 0.
	IgnorePartNumber bool
	// WrongETag, when true, makes Put and CompleteMultipart report an ETag
	// that is not what the store holds — a destination that lies.
	WrongETag func(key string, n int) bool
	// VersioningErr makes Versioning fail; n counts its calls.
	VersioningErr func(n int) error
	// VersionsErr makes the listing Versions returns yield only that error
	// (with a zero Version); n counts the listings that start after
	// startAfter.
	VersionsErr func(startAfter string, n int) error
	// StatVersionErr makes StatVersion of key fail with it.
	StatVersionErr func(key string, n int) error
	// UpdateErr makes UpdateMetadata of key fail before updating.
	UpdateErr func(key string, n int) error
	// MarkerErr makes AddDeleteMarker of key fail before writing.
	MarkerErr func(key string, n int) error

	mu     sync.Mutex
	counts map[string]int
}

func (f *Faults) count(op, key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.counts == nil {
		f.counts = map[string]int{}
	}
	f.counts[op+"\x00"+key]++
	return f.counts[op+"\x00"+key]
}

// Calls returns how many times op ("open", "put", "create", "part",
// "complete", "abort", "statversion", "update") was called for key,
// "versions" with key as its startAfter, and "versioning" with key "".
func (f *Faults) Calls(op, key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[op+"\x00"+key]
}

// PartCalls returns how many times part was sent (UploadPart) for key.
func (f *Faults) PartCalls(key string, part int) int {
	return f.Calls("part "+strconv.Itoa(part), key)
}

//go:generate go run gen.go

// Wrap returns s with f's faults (none if f is nil). The result implements
// exactly the optional interfaces s implements among store.Multipart,
// store.PartLister, store.UploadLister (the listers only with Multipart, of
// which they are part), store.Versioned and store.MetadataUpdater, detected
// here once: a wrapper offering Multipart over a store without it would
// send the engine down a path the real store cannot take, one hiding
// PartLister would test a copy that never resumes, and one claiming
// MetadataUpdater over a store without it would test an update no real
// store makes. Hence an interface, not a concrete type; combos.go has a
// type for each set of abilities.
func Wrap(s store.Store, f *Faults) store.Store {
	if f == nil {
		f = &Faults{}
	}
	p := &plain{Store: s, f: f}
	mask := 0
	var m *multipart
	if mp, ok := s.(store.Multipart); ok {
		mask |= hasMultipart
		m = &multipart{plain: p, mp: mp}
	}
	pl, ok := s.(store.PartLister)
	if ok && m != nil {
		mask |= hasParts
	}
	ul, ok := s.(store.UploadLister)
	if ok && m != nil {
		mask |= hasUploads
	}
	v, ok := s.(store.Versioned)
	if ok {
		mask |= hasVersions
	}
	u, ok := s.(store.MetadataUpdater)
	if ok {
		mask |= hasUpdates
	}
	return combine(mask, f, p, m, pl, ul, v, u)
}

// The abilities a wrapper can have, as combine's mask.
const (
	hasMultipart = 1 << iota
	hasParts
	hasUploads
	hasVersions
	hasUpdates
)

// plain decorates the calls every store has.
type plain struct {
	store.Store
	f *Faults
}

// multipart adds the multipart calls, with their faults. The listers carry
// no faults; they are forwarded as they are.
type multipart struct {
	*plain
	mp store.Multipart
}

// versioned decorates store.Versioned's calls.
type versioned struct {
	f *Faults
	v store.Versioned
}

// updater decorates store.MetadataUpdater's call.
type updater struct {
	f *Faults
	u store.MetadataUpdater
}

var (
	_ store.Store           = (*plain)(nil)
	_ store.Multipart       = (*multipart)(nil)
	_ store.Versioned       = (*versioned)(nil)
	_ store.MetadataUpdater = (*updater)(nil)
)

func (s *plain) Open(ctx context.Context, key string, opts store.ReadOptions) (io.ReadCloser, store.Info, error) {
	f := s.f
	n := f.count("open", key)
	if f.OpenErr != nil {
		if err := f.OpenErr(key, n); err != nil {
			return nil, store.Info{}, err
		}
	}
	if f.IgnorePartNumber && opts.PartNumber > 0 {
		opts = store.ReadOptions{Length: -1, IfMatch: opts.IfMatch}
	}
	rc, info, err := s.Store.Open(ctx, key, opts)
	if err == nil && f.IgnorePartNumber {
		info.Parts, info.PartSize = 0, 0
	}
	if err == nil && f.TruncateRead != nil && f.TruncateRead(key, n) {
		b, rerr := io.ReadAll(rc)
		rc.Close()
		if rerr != nil {
			return nil, store.Info{}, rerr
		}
		return io.NopCloser(io.MultiReader(&sliceReader{b: b[:len(b)/2]}, errReader{io.ErrUnexpectedEOF})), info, nil
	}
	corrupt := f.CorruptRead != nil && f.CorruptRead(key, n)
	if opts.PartNumber > 0 && f.CorruptPart != nil {
		pn := f.count("open part "+strconv.Itoa(opts.PartNumber), key)
		corrupt = f.CorruptPart(key, opts.PartNumber, pn) || corrupt
	}
	if err != nil || !corrupt {
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

func (s *plain) Put(ctx context.Context, in store.PutInput) (store.Object, error) {
	f := s.f
	n := f.count("put", in.Key)
	if f.PutErr != nil {
		if err := f.PutErr(in.Key, n); err != nil {
			return store.Object{}, err
		}
	}
	o, err := s.Store.Put(ctx, in)
	if err == nil && f.WrongETag != nil && f.WrongETag(in.Key, n) {
		o.ETag = "00000000000000000000000000000000"
	}
	return o, err
}

func (s *multipart) CreateMultipart(ctx context.Context, key string, meta store.Metadata, class string) (string, error) {
	s.f.count("create", key)
	return s.mp.CreateMultipart(ctx, key, meta, class)
}

func (s *multipart) UploadPart(ctx context.Context, key, id string, part int, body io.ReadSeeker, size int64, md5 []byte) (string, error) {
	f := s.f
	n := f.count("part", key)
	pn := f.count("part "+strconv.Itoa(part), key)
	if f.PutErr != nil {
		if err := f.PutErr(key, n); err != nil {
			return "", err
		}
	}
	if f.PartErr != nil {
		if err := f.PartErr(key, part, pn); err != nil {
			return "", err
		}
	}
	return s.mp.UploadPart(ctx, key, id, part, body, size, md5)
}

func (s *multipart) CompleteMultipart(ctx context.Context, key, id string, parts []store.Part) (store.Object, error) {
	f := s.f
	n := f.count("complete", key)
	o, err := s.mp.CompleteMultipart(ctx, key, id, parts)
	if err == nil && f.WrongETag != nil && f.WrongETag(key, n) {
		o.ETag = "00000000000000000000000000000000-1"
	}
	return o, err
}

func (s *multipart) AbortMultipart(ctx context.Context, key, id string) error {
	s.f.count("abort", key)
	return s.mp.AbortMultipart(ctx, key, id)
}

func (s *versioned) Versioning(ctx context.Context) (store.Versioning, error) {
	n := s.f.count("versioning", "")
	if s.f.VersioningErr != nil {
		if err := s.f.VersioningErr(n); err != nil {
			return store.VersioningOff, err
		}
	}
	return s.v.Versioning(ctx)
}

func (s *versioned) Versions(ctx context.Context, startAfter string) iter.Seq2[store.Version, error] {
	f := s.f
	n := f.count("versions", startAfter)
	if f.VersionsErr != nil {
		if err := f.VersionsErr(startAfter, n); err != nil {
			return func(yield func(store.Version, error) bool) { yield(store.Version{}, err) }
		}
	}
	return s.v.Versions(ctx, startAfter)
}

func (s *versioned) StatVersion(ctx context.Context, key, versionID string) (store.Info, error) {
	n := s.f.count("statversion", key)
	if s.f.StatVersionErr != nil {
		if err := s.f.StatVersionErr(key, n); err != nil {
			return store.Info{}, err
		}
	}
	return s.v.StatVersion(ctx, key, versionID)
}

// SetVersioning forwards to the wrapped store when it can set its
// versioning (mem, store/s3), so that a wrapped store suspends as it does.
func (s *versioned) SetVersioning(ctx context.Context, v store.Versioning) error {
	set, ok := s.v.(interface {
		SetVersioning(context.Context, store.Versioning) error
	})
	if !ok {
		return fmt.Errorf("%v cannot set its versioning", s.v)
	}
	return set.SetVersioning(ctx, v)
}

func (s *versioned) AddDeleteMarker(ctx context.Context, key string) (string, error) {
	n := s.f.count("deletemarker", key)
	if s.f.MarkerErr != nil {
		if err := s.f.MarkerErr(key, n); err != nil {
			return "", err
		}
	}
	return s.v.AddDeleteMarker(ctx, key)
}

func (s *updater) UpdateMetadata(ctx context.Context, key, etag string, meta store.Metadata) (store.Object, error) {
	n := s.f.count("update", key)
	if s.f.UpdateErr != nil {
		if err := s.f.UpdateErr(key, n); err != nil {
			return store.Object{}, err
		}
	}
	return s.u.UpdateMetadata(ctx, key, etag, meta)
}

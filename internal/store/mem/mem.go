// Package mem is an in-memory store.Store, for unit tests of the logic that
// consumes stores, and the empty stand-in for a destination that does not
// exist yet when sortie only plans. It is not a cache and not for data.
package mem

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sortie-dev/sortie/internal/store"
)

type object struct {
	info store.Info
	body []byte
	// marker says this entry of a key's history is a delete marker.
	marker bool
}

type upload struct {
	key       string
	meta      store.Metadata
	initiated time.Time
	parts     map[int][]byte
}

// Store keeps objects in a map.
type Store struct {
	name string

	mu      sync.Mutex
	objects map[string]object
	uploads map[string]*upload
	now     func() time.Time
	// versioning and history keep object history as a versioned S3
	// bucket does: each key's versions and delete markers, newest first.
	// objects holds each key's current object, history[key][0] when it is
	// not a marker.
	versioning store.Versioning
	history    map[string][]object
}

var (
	_ store.Store           = (*Store)(nil)
	_ store.Multipart       = (*Store)(nil)
	_ store.PartLister      = (*Store)(nil)
	_ store.UploadLister    = (*Store)(nil)
	_ store.Versioned       = (*Store)(nil)
	_ store.MetadataUpdater = (*Store)(nil)
)

// New returns an empty store named name (for messages).
func New(name string) *Store {
	return &Store{
		name:    name,
		objects: make(map[string]object),
		uploads: make(map[string]*upload),
		history: make(map[string][]object),
		now:     time.Now,
	}
}

func (s *Store) String() string { return "mem://" + s.name }

// Capabilities implements store.Store.
func (s *Store) Capabilities() store.Capabilities {
	return store.Capabilities{ETagIsMD5: true, Tags: true, MinPartSize: 1, MaxPartSize: 5 << 30, MaxParts: 10000}
}

// List implements store.Store. It sorts a snapshot of the keys on each call,
// which is fine for the sizes tests use.
func (s *Store) List(ctx context.Context, startAfter string) iter.Seq2[store.Object, error] {
	return func(yield func(store.Object, error) bool) {
		if err := ctx.Err(); err != nil {
			// Even an empty store must not look completely listed.
			yield(store.Object{}, err)
			return
		}
		s.mu.Lock()
		objs := make([]store.Object, 0, len(s.objects))
		for k, o := range s.objects {
			if k > startAfter {
				objs = append(objs, o.info.Object)
			}
		}
		s.mu.Unlock()
		slices.SortFunc(objs, func(a, b store.Object) int { return compareKeys(a.Key, b.Key) })
		for _, o := range objs {
			if err := ctx.Err(); err != nil {
				yield(store.Object{}, err)
				return
			}
			if !yield(o, nil) {
				return
			}
		}
	}
}

func compareKeys(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Store) notExist(op, key string) error {
	return &store.OpError{Op: op, Store: s.String(), Key: key, Err: store.ErrNotExist}
}

// Stat implements store.Store.
func (s *Store) Stat(ctx context.Context, key string) (store.Info, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[key]
	if !ok {
		return store.Info{}, s.notExist("stat", key)
	}
	info := o.info
	info.Meta = info.Meta.Clone()
	return info, nil
}

// UpdateMetadata implements store.MetadataUpdater as S3 does: the body and
// ETag stay, the metadata and tags are replaced, the modification time is
// now's, and a versioned bucket gets a new version.
func (s *Store) UpdateMetadata(ctx context.Context, key, etag string, meta store.Metadata) (store.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[key]
	if !ok {
		return store.Object{}, s.notExist("update metadata", key)
	}
	if etag != "" && !store.SameETag(etag, o.info.ETag) {
		return store.Object{}, &store.OpError{Op: "update metadata", Store: s.String(), Key: key, Err: store.ErrChanged}
	}
	o.info.Meta = meta.Clone()
	o.info.ModTime = s.now()
	o.info.VersionID = ""
	o.info.VersionID = s.record(key, o)
	return o.info.Object, nil
}

// Open implements store.Store.
func (s *Store) Open(ctx context.Context, key string, opts store.ReadOptions) (io.ReadCloser, store.Info, error) {
	s.mu.Lock()
	o, ok := s.objects[key]
	if opts.VersionID != "" {
		o, ok = s.version(key, opts.VersionID)
	}
	s.mu.Unlock()
	if !ok {
		return nil, store.Info{}, s.notExist("open", key)
	}
	if opts.IfMatch != "" && !store.SameETag(opts.IfMatch, o.info.ETag) {
		return nil, store.Info{}, &store.OpError{Op: "open", Store: s.String(), Key: key, Err: store.ErrChanged}
	}
	info := o.info
	info.Meta = info.Meta.Clone()
	body := o.body
	if opts.PartNumber > 0 && info.Parts > 0 {
		// Parts are uniform but for the last, as this store assembles them.
		opts.Offset = int64(opts.PartNumber-1) * info.PartSize
		opts.Length = info.PartSize
		if opts.PartNumber == info.Parts {
			opts.Length = -1
		}
	}
	if opts.Offset > int64(len(body)) {
		return nil, store.Info{}, &store.OpError{Op: "open", Store: s.String(), Key: key, Err: fmt.Errorf("offset %d beyond size %d", opts.Offset, len(body))}
	}
	body = body[opts.Offset:]
	if opts.Length >= 0 && opts.Length < int64(len(body)) {
		body = body[:opts.Length]
	}
	info.Length = int64(len(body))
	return io.NopCloser(bytes.NewReader(body)), info, nil
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, in store.PutInput) (store.Object, error) {
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return store.Object{}, &store.OpError{Op: "put", Store: s.String(), Key: in.Key, Err: err}
	}
	if int64(len(body)) != in.Size {
		return store.Object{}, &store.OpError{Op: "put", Store: s.String(), Key: in.Key,
			Err: fmt.Errorf("%w: got %d bytes, want %d", store.ErrChecksumMismatch, len(body), in.Size)}
	}
	sum := md5.Sum(body)
	if in.MD5 != nil && !bytes.Equal(sum[:], in.MD5) {
		return store.Object{}, &store.OpError{Op: "put", Store: s.String(), Key: in.Key, Err: store.ErrChecksumMismatch}
	}
	return s.commit(in.Key, body, hex.EncodeToString(sum[:]), in.Meta, in.StorageClass, 0, 0), nil
}

func (s *Store) commit(key string, body []byte, etag string, meta store.Metadata, class string, parts int, partSize int64) store.Object {
	obj := store.Object{Key: key, Size: int64(len(body)), ETag: etag, ModTime: s.now(), StorageClass: class}
	if obj.StorageClass == "" {
		obj.StorageClass = "STANDARD"
	}
	s.mu.Lock()
	o := object{info: store.Info{Object: obj, Meta: meta.Clone(), Parts: parts, PartSize: partSize}, body: body}
	obj.VersionID = s.record(key, o)
	s.mu.Unlock()
	return obj
}

// record adds o, an object or a delete marker, on top of key's history as
// the bucket's versioning state says, updates the current view, and returns
// the version ID it gave o ("" when versioning is off). It is called with
// s.mu held.
func (s *Store) record(key string, o object) string {
	switch s.versioning {
	case store.VersioningOff:
		// One null version, replaced; a delete removes it.
		if o.marker {
			delete(s.history, key)
		} else {
			s.history[key] = []object{o}
		}
	case store.VersioningEnabled:
		o.info.VersionID = rand.Text()
		s.history[key] = append([]object{o}, s.history[key]...)
	case store.VersioningSuspended:
		// The write takes the null version's place, on top.
		o.info.VersionID = store.NullVersion
		h := slices.DeleteFunc(s.history[key], func(e object) bool { return e.info.VersionID == store.NullVersion })
		s.history[key] = append([]object{o}, h...)
	}
	if o.marker || len(s.history[key]) == 0 {
		delete(s.objects, key)
	} else {
		s.objects[key] = o
	}
	return o.info.VersionID
}

// version returns one version of key; a delete marker is not found. It is
// called with s.mu held.
func (s *Store) version(key, id string) (object, bool) {
	for _, o := range s.history[key] {
		if o.info.VersionID == id || (id == store.NullVersion && s.versioning == store.VersioningOff) {
			return o, !o.marker
		}
	}
	return object{}, false
}

// Delete implements store.Store: in a versioned store, it puts a delete
// marker on top of the key's history, as S3 does, whether or not the key
// has an object.
func (s *Store) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	s.record(key, object{info: store.Info{Object: store.Object{Key: key, ModTime: s.now()}}, marker: true})
	s.mu.Unlock()
	return nil
}

// AddDeleteMarker implements store.Versioned.
func (s *Store) AddDeleteMarker(ctx context.Context, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.versioning != store.VersioningEnabled {
		return "", &store.OpError{Op: "add a delete marker to", Store: s.String(), Key: key, Err: errors.New("versioning is not enabled")}
	}
	return s.record(key, object{info: store.Info{Object: store.Object{Key: key, ModTime: s.now()}}, marker: true}), nil
}

// SetVersioning enables or suspends the store's versioning, as
// PutBucketVersioning does; it cannot be turned off once enabled.
func (s *Store) SetVersioning(ctx context.Context, v store.Versioning) error {
	if v != store.VersioningEnabled && v != store.VersioningSuspended {
		return &store.OpError{Op: "set versioning of", Store: s.String(), Err: fmt.Errorf("state %q: want %q or %q", v, store.VersioningEnabled, store.VersioningSuspended)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.versioning == store.VersioningOff {
		// What was written before keeps its place as the null version.
		for k, h := range s.history {
			h[0].info.VersionID = store.NullVersion
			if o, ok := s.objects[k]; ok {
				o.info.VersionID = store.NullVersion
				s.objects[k] = o
			}
		}
	}
	s.versioning = v
	return nil
}

// Versioning implements store.Versioned.
func (s *Store) Versioning(ctx context.Context) (store.Versioning, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.versioning, nil
}

// StatVersion implements store.Versioned.
func (s *Store) StatVersion(ctx context.Context, key, versionID string) (store.Info, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.version(key, versionID)
	if !ok {
		return store.Info{}, s.notExist("stat version of", key)
	}
	info := o.info
	info.Meta = info.Meta.Clone()
	return info, nil
}

// Versions implements store.Versioned from a snapshot, like List.
func (s *Store) Versions(ctx context.Context, startAfter string) iter.Seq2[store.Version, error] {
	return func(yield func(store.Version, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(store.Version{}, err)
			return
		}
		s.mu.Lock()
		var vs []store.Version
		keys := slices.Sorted(maps.Keys(s.history))
		for _, k := range keys {
			if k <= startAfter {
				continue
			}
			for i, o := range s.history[k] {
				v := store.Version{Key: k, VersionID: o.info.VersionID, IsLatest: i == 0, DeleteMarker: o.marker, ModTime: o.info.ModTime}
				if v.VersionID == "" {
					v.VersionID = store.NullVersion
				}
				if !o.marker {
					v.Size, v.ETag, v.StorageClass = o.info.Size, o.info.ETag, o.info.StorageClass
				}
				vs = append(vs, v)
			}
		}
		s.mu.Unlock()
		for _, v := range vs {
			if err := ctx.Err(); err != nil {
				yield(store.Version{}, err)
				return
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}

// CreateMultipart implements store.Multipart.
func (s *Store) CreateMultipart(ctx context.Context, key string, meta store.Metadata, storageClass string) (string, error) {
	id := rand.Text()
	s.mu.Lock()
	s.uploads[id] = &upload{key: key, meta: meta.Clone(), initiated: s.now(), parts: make(map[int][]byte)}
	s.mu.Unlock()
	return id, nil
}

// UploadPart implements store.Multipart.
func (s *Store) UploadPart(ctx context.Context, key, uploadID string, n int, body io.ReadSeeker, size int64, md5sum []byte) (string, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return "", err
	}
	sum := md5.Sum(b)
	if int64(len(b)) != size || (md5sum != nil && !bytes.Equal(sum[:], md5sum)) {
		return "", &store.OpError{Op: "upload part", Store: s.String(), Key: key, Err: store.ErrChecksumMismatch}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.uploads[uploadID]
	if !ok {
		return "", &store.OpError{Op: "upload part", Store: s.String(), Key: key, Err: fmt.Errorf("no upload %s", uploadID)}
	}
	u.parts[n] = b
	return hex.EncodeToString(sum[:]), nil
}

// CompleteMultipart implements store.Multipart.
func (s *Store) CompleteMultipart(ctx context.Context, key, uploadID string, parts []store.Part) (store.Object, error) {
	s.mu.Lock()
	u, ok := s.uploads[uploadID]
	delete(s.uploads, uploadID)
	s.mu.Unlock()
	if !ok {
		return store.Object{}, &store.OpError{Op: "complete multipart", Store: s.String(), Key: key, Err: fmt.Errorf("no upload %s", uploadID)}
	}
	var body []byte
	var sums [][]byte
	for _, p := range parts {
		b, ok := u.parts[p.Number]
		if !ok {
			return store.Object{}, &store.OpError{Op: "complete multipart", Store: s.String(), Key: key, Err: fmt.Errorf("part %d missing", p.Number)}
		}
		sum := md5.Sum(b)
		sums = append(sums, sum[:])
		body = append(body, b...)
	}
	var first int64
	if len(parts) > 0 {
		first = int64(len(u.parts[parts[0].Number]))
	}
	return s.commit(key, body, store.MultipartETag(sums), u.meta, "", len(parts), first), nil
}

// AbortMultipart implements store.Multipart.
func (s *Store) AbortMultipart(ctx context.Context, key, uploadID string) error {
	s.mu.Lock()
	delete(s.uploads, uploadID)
	s.mu.Unlock()
	return nil
}

// ListUploads implements store.UploadLister, in key order and then by
// creation, as S3 lists them, so that tests see a stable order.
func (s *Store) ListUploads(ctx context.Context, prefix string) ([]store.Upload, error) {
	s.mu.Lock()
	var ups []store.Upload
	for id, u := range s.uploads {
		if strings.HasPrefix(u.key, prefix) {
			ups = append(ups, store.Upload{Key: u.key, ID: id, Initiated: u.initiated})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(ups, func(a, b store.Upload) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return a.Initiated.Compare(b.Initiated)
	})
	return ups, nil
}

// ListParts implements store.PartLister.
func (s *Store) ListParts(ctx context.Context, key, uploadID string) ([]store.Part, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.uploads[uploadID]
	if !ok {
		return nil, &store.OpError{Op: "list parts", Store: s.String(), Key: key, Err: store.ErrNotExist}
	}
	var parts []store.Part
	for n, b := range u.parts {
		sum := md5.Sum(b)
		parts = append(parts, store.Part{Number: n, ETag: hex.EncodeToString(sum[:]), Size: int64(len(b))})
	}
	slices.SortFunc(parts, func(a, b store.Part) int { return a.Number - b.Number })
	return parts, nil
}

// Uploads returns the number of multipart uploads not yet completed or
// aborted, so tests can check that none are left behind.
func (s *Store) Uploads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.uploads)
}

// Body returns an object's bytes, for tests.
func (s *Store) Body(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[key]
	return o.body, ok
}

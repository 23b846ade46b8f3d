// Package fs is a store.Store over a local directory: each object is a file
// whose path is its key.
//
// Listings come in the bytewise key order S3 uses, not directory-walk order:
// "a-b" sorts before "a/b" because '-' is 0x2d and '/' is 0x2f. Writes go to
// a temporary file beside the target, are checked against the expected size
// and MD5, synced, and renamed into place, so a reader never sees a partial
// object. An object's metadata (Content-Type and the other headers, user
// metadata, tags) and the MD5 of its body are kept in the extended attribute
// user.sortie.meta, set on the temporary file before the rename so that data
// and metadata appear together; a directory that stands for a folder-marker
// key ("photos/") carries the same attribute.
//
// Keys that would escape the root, that a filesystem cannot name, or that
// collide (an object "a" and an object "a/b") are refused with
// store.ErrInvalidKey; nothing is ever written outside the root.
package fs

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/sortie-dev/sortie/internal/store"
)

const xattrName = "user.sortie.meta"

// Store is a directory seen as a bucket.
type Store struct {
	root string
	log  *slog.Logger
}

var _ store.Store = (*Store)(nil)

// New returns the store rooted at dir. The directory need not exist yet;
// Check says whether it does, Create makes it.
func New(dir string, log *slog.Logger) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("directory %s: %w", dir, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{root: abs, log: log}, nil
}

func (s *Store) String() string { return s.root }

// Root returns the absolute directory the store lives in.
func (s *Store) Root() string { return s.root }

// Capabilities implements store.Store. The MD5s the store reports are those
// it computed when it wrote the file, so ETagIsMD5 holds for what it lists.
func (s *Store) Capabilities() store.Capabilities {
	return store.Capabilities{ETagIsMD5: true, Tags: true, LocalRead: true}
}

func (s *Store) opErr(op, key string, err error) error {
	e := &store.OpError{Op: op, Store: s.root, Key: key, Err: err}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		e.Err = fmt.Errorf("%w: %v", store.ErrNotExist, err)
	case errors.Is(err, fs.ErrPermission):
		e.Err = fmt.Errorf("%w: %v", store.ErrPermission, err)
	}
	return e
}

// Check confirms the root is a readable directory.
func (s *Store) Check(ctx context.Context) error {
	fi, err := os.Stat(s.root)
	if errors.Is(err, fs.ErrNotExist) {
		return &store.OpError{Op: "open", Store: s.root, Err: fmt.Errorf("%w: no such directory", store.ErrNoBucket)}
	}
	if err != nil {
		return s.opErr("open", "", err)
	}
	if !fi.IsDir() {
		return &store.OpError{Op: "open", Store: s.root, Err: fmt.Errorf("%w: not a directory", store.ErrNoBucket)}
	}
	f, err := os.Open(s.root)
	if err != nil {
		return s.opErr("open", "", err)
	}
	return f.Close()
}

// Create makes the root directory if it is missing and checks that the
// filesystem keeps extended attributes, which the store needs for metadata.
func (s *Store) Create(ctx context.Context) error {
	if err := os.MkdirAll(s.root, 0o755); err != nil {
		return s.opErr("create", "", err)
	}
	probe, err := os.CreateTemp(s.root, tmpPrefix+"probe.")
	if err != nil {
		return s.opErr("create", "", err)
	}
	defer os.Remove(probe.Name())
	defer probe.Close()
	if err := unix.Fsetxattr(int(probe.Fd()), xattrName, []byte("{}"), 0); err != nil {
		return &store.OpError{Op: "create", Store: s.root, Err: fmt.Errorf(
			"the filesystem does not keep extended attributes (%v), which sortie needs to keep object metadata; choose a directory on ext4, XFS, btrfs or ZFS", err)}
	}
	return nil
}

// sidecar is what the extended attribute holds.
type sidecar struct {
	Meta store.Metadata `json:"meta"`
	// MD5 is the hex digest of the body as written, valid while the file
	// still has Size and ModTime (nanoseconds) — a file edited in place
	// loses its cached digest instead of lying about it.
	MD5     string `json:"md5,omitempty"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime"`
	Marker  bool   `json:"marker,omitempty"`
}

func readSidecar(path string) (sidecar, bool) {
	return decodeSidecar(func(buf []byte) (int, error) { return unix.Getxattr(path, xattrName, buf) })
}

// fileSidecar reads the sidecar of an open file, which is the one its bytes
// go with even if the path has since been renamed over.
func fileSidecar(f *os.File) (sidecar, bool) {
	conn, err := f.SyscallConn()
	if err != nil {
		return sidecar{}, false
	}
	var sc sidecar
	var ok bool
	if err := conn.Control(func(fd uintptr) {
		sc, ok = decodeSidecar(func(buf []byte) (int, error) { return unix.Fgetxattr(int(fd), xattrName, buf) })
	}); err != nil {
		return sidecar{}, false
	}
	return sc, ok
}

func decodeSidecar(get func(buf []byte) (int, error)) (sidecar, bool) {
	buf := make([]byte, 4096)
	for {
		n, err := get(buf)
		if errors.Is(err, unix.ERANGE) {
			buf = make([]byte, len(buf)*4)
			continue
		}
		if err != nil {
			return sidecar{}, false
		}
		var sc sidecar
		if json.Unmarshal(buf[:n], &sc) != nil {
			return sidecar{}, false
		}
		return sc, true
	}
}

// entry is one directory entry with the name it sorts by.
type entry struct {
	name string
	sort string // name, plus "/" for a directory
	dir  bool
}

// List implements store.Store by walking the tree depth-first with each
// directory's entries sorted as keys sort: a directory d sorts as "d/".
// Memory grows with the depth of the tree and the width of one directory,
// not with the number of files.
func (s *Store) List(ctx context.Context, startAfter string) iter.Seq2[store.Object, error] {
	return func(yield func(store.Object, error) bool) {
		s.walk(ctx, "", startAfter, yield)
	}
}

func (s *Store) walk(ctx context.Context, prefix, startAfter string, yield func(store.Object, error) bool) bool {
	if err := ctx.Err(); err != nil {
		yield(store.Object{}, err)
		return false
	}
	dir := filepath.Join(s.root, filepath.FromSlash(prefix))
	des, err := os.ReadDir(dir)
	if err != nil {
		if prefix == "" && errors.Is(err, fs.ErrNotExist) {
			yield(store.Object{}, &store.OpError{Op: "list", Store: s.root, Err: fmt.Errorf("%w: no such directory", store.ErrNoBucket)})
			return false
		}
		yield(store.Object{}, s.opErr("list", prefix, err))
		return false
	}
	ents := make([]entry, 0, len(des))
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, tmpPrefix) {
			continue
		}
		t := de.Type()
		switch {
		case t.IsDir():
			ents = append(ents, entry{name: name, sort: name + "/", dir: true})
		case t.IsRegular():
			ents = append(ents, entry{name: name, sort: name})
		default:
			// Symlinks, devices, sockets: not objects. Following links
			// could leave the tree or loop.
			s.log.Debug("skipping non-regular file", "path", filepath.Join(dir, name))
		}
	}
	slices.SortFunc(ents, func(a, b entry) int { return strings.Compare(a.sort, b.sort) })
	if prefix != "" {
		// The directory itself is a folder marker when it is empty or was
		// written as one.
		path := dir
		sc, ok := readSidecar(path)
		if (len(ents) == 0 || (ok && sc.Marker)) && prefix > startAfter {
			fi, err := os.Stat(path)
			if err == nil {
				obj := store.Object{Key: prefix, ModTime: fi.ModTime(), ETag: "d41d8cd98f00b204e9800998ecf8427e", StorageClass: "STANDARD"}
				if !yield(obj, nil) {
					return false
				}
			}
		}
	}
	for _, e := range ents {
		key := prefix + e.sort
		if e.dir {
			// Skip a whole subtree that sorts before startAfter.
			if key <= startAfter && !strings.HasPrefix(startAfter, key) {
				continue
			}
			if !s.walk(ctx, key, startAfter, yield) {
				return false
			}
			continue
		}
		if key <= startAfter {
			continue
		}
		if !utf8Valid(key) {
			s.log.Warn("skipping file whose name is not valid UTF-8", "path", filepath.Join(dir, e.name))
			continue
		}
		obj, err := s.object(key, filepath.Join(dir, e.name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since ReadDir
		}
		if err != nil {
			yield(store.Object{}, s.opErr("list", key, err))
			return false
		}
		if !yield(obj.Object, nil) {
			return false
		}
	}
	return true
}

func utf8Valid(s string) bool { return utf8.ValidString(s) }

// object stats one file and reads its sidecar.
func (s *Store) object(key, path string) (store.Info, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return store.Info{}, err
	}
	sc, ok := readSidecar(path)
	return describe(key, fi, sc, ok)
}

// describe is the object a file (or a marker's directory) stands for.
func describe(key string, fi fs.FileInfo, sc sidecar, hasSidecar bool) (store.Info, error) {
	info := store.Info{Object: store.Object{Key: key, Size: fi.Size(), ModTime: fi.ModTime(), StorageClass: "STANDARD"}}
	if fi.IsDir() {
		if !strings.HasSuffix(key, "/") {
			return store.Info{}, fs.ErrNotExist
		}
		info.Size = 0
		info.ETag = "d41d8cd98f00b204e9800998ecf8427e"
	} else if strings.HasSuffix(key, "/") {
		return store.Info{}, fs.ErrNotExist
	}
	if hasSidecar {
		info.Meta = sc.Meta
		if !fi.IsDir() && sc.Size == fi.Size() && sc.ModTime == fi.ModTime().UnixNano() {
			info.ETag = sc.MD5
		}
	}
	info.Length = info.Size
	return info, nil
}

// Stat implements store.Store.
func (s *Store) Stat(ctx context.Context, key string) (store.Info, error) {
	p, err := keyPath(s.root, key)
	if err != nil {
		return store.Info{}, &store.OpError{Op: "stat", Store: s.root, Key: key, Err: fmt.Errorf("%w: %v", store.ErrInvalidKey, err)}
	}
	info, err := s.object(key, p)
	if err != nil {
		return store.Info{}, s.opErr("stat", key, err)
	}
	return info, nil
}

// Open implements store.Store. The object's Info, and the IfMatch check,
// come from the open file itself: a Put renaming a new file into place
// between the check and the read cannot slip another version's bytes in.
func (s *Store) Open(ctx context.Context, key string, opts store.ReadOptions) (io.ReadCloser, store.Info, error) {
	p, err := keyPath(s.root, key)
	if err != nil {
		return nil, store.Info{}, &store.OpError{Op: "open", Store: s.root, Key: key, Err: fmt.Errorf("%w: %v", store.ErrInvalidKey, err)}
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, store.Info{}, s.opErr("open", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, store.Info{}, s.opErr("open", key, err)
	}
	sc, ok := fileSidecar(f)
	info, err := describe(key, fi, sc, ok)
	if err != nil {
		f.Close()
		return nil, store.Info{}, s.opErr("open", key, err)
	}
	if opts.IfMatch != "" && !store.SameETag(opts.IfMatch, info.ETag) {
		// An ETag of "" is a file edited in place since it was written:
		// changed too.
		f.Close()
		return nil, store.Info{}, &store.OpError{Op: "open", Store: s.root, Key: key,
			Err: fmt.Errorf("%w: ETag %q, want %q", store.ErrChanged, info.ETag, opts.IfMatch)}
	}
	if strings.HasSuffix(key, "/") {
		f.Close()
		info.Length = 0
		return io.NopCloser(bytes.NewReader(nil)), info, nil
	}
	if opts.Offset > 0 {
		if _, err := f.Seek(opts.Offset, io.SeekStart); err != nil {
			f.Close()
			return nil, store.Info{}, s.opErr("open", key, err)
		}
	}
	n := info.Size - opts.Offset
	if opts.Length >= 0 && opts.Length < n {
		n = opts.Length
	}
	info.Length = n
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, n), f}, info, nil
}

// Put implements store.Store: temporary file, checks, sync, rename.
func (s *Store) Put(ctx context.Context, in store.PutInput) (store.Object, error) {
	p, err := keyPath(s.root, in.Key)
	if err != nil {
		return store.Object{}, &store.OpError{Op: "put", Store: s.root, Key: in.Key, Err: fmt.Errorf("%w: %v", store.ErrInvalidKey, err)}
	}
	if err := s.mkParents(in.Key); err != nil {
		return store.Object{}, err
	}
	if strings.HasSuffix(in.Key, "/") {
		return s.putMarker(in, p)
	}
	if fi, err := os.Lstat(p); err == nil && !fi.Mode().IsRegular() {
		return store.Object{}, &store.OpError{Op: "put", Store: s.root, Key: in.Key,
			Err: fmt.Errorf("%w: collides with a directory of the same name (another key has it as a prefix)", store.ErrInvalidKey)}
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), tmpPrefix)
	if err != nil {
		return store.Object{}, s.opErr("put", in.Key, err)
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), in.Body)
	if err != nil {
		return store.Object{}, s.opErr("put", in.Key, err)
	}
	sum := h.Sum(nil)
	if n != in.Size {
		return store.Object{}, &store.OpError{Op: "put", Store: s.root, Key: in.Key,
			Err: fmt.Errorf("%w: wrote %d bytes, want %d", store.ErrChecksumMismatch, n, in.Size), Retry: true}
	}
	if in.MD5 != nil && !bytes.Equal(sum, in.MD5) {
		return store.Object{}, &store.OpError{Op: "put", Store: s.root, Key: in.Key,
			Err: fmt.Errorf("%w: body MD5 %x, want %x", store.ErrChecksumMismatch, sum, in.MD5), Retry: true}
	}
	if err := tmp.Sync(); err != nil {
		return store.Object{}, s.opErr("put", in.Key, err)
	}
	mtime := sourceTime(in.Meta)
	if err := tmp.Close(); err != nil {
		return store.Object{}, s.opErr("put", in.Key, err)
	}
	if err := os.Chtimes(tmp.Name(), mtime, mtime); err != nil {
		return store.Object{}, s.opErr("put", in.Key, err)
	}
	sc := sidecar{Meta: in.Meta, MD5: hex.EncodeToString(sum), Size: n, ModTime: mtime.UnixNano()}
	if err := setSidecar(tmp.Name(), sc); err != nil {
		return store.Object{}, s.opErr("put", in.Key, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return store.Object{}, s.opErr("put", in.Key, err)
	}
	committed = true
	return store.Object{Key: in.Key, Size: n, ETag: sc.MD5, ModTime: mtime, StorageClass: "STANDARD"}, nil
}

// sourceTime is the modification time to give a file: the source's, which
// the transfer engine records in the "mtime" user metadata (the key and the
// format rclone uses), or now.
func sourceTime(m store.Metadata) time.Time {
	if v, ok := m.User["mtime"]; ok {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			sec := int64(f)
			return time.Unix(sec, int64((f-float64(sec))*1e9))
		}
	}
	return time.Now()
}

func setSidecar(path string, sc sidecar) error {
	b, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	if err := unix.Setxattr(path, xattrName, b, 0); err != nil {
		return fmt.Errorf("set extended attribute %s: %w", xattrName, err)
	}
	return nil
}

func (s *Store) putMarker(in store.PutInput, p string) (store.Object, error) {
	if in.Size != 0 {
		return store.Object{}, &store.OpError{Op: "put", Store: s.root, Key: in.Key,
			Err: fmt.Errorf("%w: a key ending in \"/\" with a %d-byte body has no filesystem form", store.ErrInvalidKey, in.Size)}
	}
	if fi, err := os.Lstat(p); err == nil && !fi.IsDir() {
		return store.Object{}, &store.OpError{Op: "put", Store: s.root, Key: in.Key,
			Err: fmt.Errorf("%w: collides with a file of the same name", store.ErrInvalidKey)}
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		return store.Object{}, s.opErr("put", in.Key, err)
	}
	if err := setSidecar(p, sidecar{Meta: in.Meta, Marker: true}); err != nil {
		return store.Object{}, s.opErr("put", in.Key, err)
	}
	return store.Object{Key: in.Key, ETag: "d41d8cd98f00b204e9800998ecf8427e", ModTime: time.Now(), StorageClass: "STANDARD"}, nil
}

// mkParents creates the directories above key, refusing to turn a file into
// a directory: an object "a" and an object "a/b" cannot both be files.
func (s *Store) mkParents(key string) error {
	segs := strings.Split(strings.TrimSuffix(key, "/"), "/")
	dir := s.root
	for _, seg := range segs[:len(segs)-1] {
		dir = filepath.Join(dir, seg)
		fi, err := os.Lstat(dir)
		switch {
		case err == nil && fi.IsDir():
			continue
		case err == nil:
			return &store.OpError{Op: "put", Store: s.root, Key: key,
				Err: fmt.Errorf("%w: collides with the object %q, a file where a directory is needed", store.ErrInvalidKey, strings.TrimPrefix(filepath.ToSlash(dir), filepath.ToSlash(s.root)+"/"))}
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return s.opErr("put", key, err)
			}
		default:
			return s.opErr("put", key, err)
		}
	}
	return nil
}

// Delete implements store.Store. Directories left empty by the removal are
// removed too, up to the root, unless they are folder markers, so that a
// deleted object does not come back as a marker key.
func (s *Store) Delete(ctx context.Context, key string) error {
	p, err := keyPath(s.root, key)
	if err != nil {
		return &store.OpError{Op: "delete", Store: s.root, Key: key, Err: fmt.Errorf("%w: %v", store.ErrInvalidKey, err)}
	}
	if strings.HasSuffix(key, "/") {
		unix.Removexattr(p, xattrName)
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) && !isNotEmpty(err) {
			return s.opErr("delete", key, err)
		}
	} else if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s.opErr("delete", key, err)
	}
	for dir := filepath.Dir(p); dir != s.root && strings.HasPrefix(dir, s.root); dir = filepath.Dir(dir) {
		if sc, ok := readSidecar(dir); ok && sc.Marker {
			break
		}
		if os.Remove(dir) != nil {
			break // not empty, or gone
		}
	}
	return nil
}

func isNotEmpty(err error) bool { return errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) }

// NewTempName returns a random temporary name, for tests that check
// listings skip in-progress writes.
func NewTempName() string { return tmpPrefix + rand.Text() }

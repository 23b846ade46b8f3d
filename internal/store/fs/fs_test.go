package fs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(filepath.Join(t.TempDir(), "dst"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}

func TestKeyPath(t *testing.T) {
	root := "/dst"
	for _, tc := range []struct {
		key, want string // want "" means refused
	}{
		{"a/b.txt", "/dst/a/b.txt"},
		{"dir/", "/dst/dir"},
		{"with space/and+plus%", "/dst/with space/and+plus%"},
		{"../etc/passwd", ""},
		{"a/../../x", ""},
		{"a/./b", ""},
		{"/abs", ""},
		{"a//b", ""},
		{"nul\x00byte", ""},
		{"", ""},
		{"bad\xffutf8", ""},
		{strings.Repeat("s", 256), ""},
		{strings.Repeat("s", 255), "/dst/" + strings.Repeat("s", 255)},
		{"x/" + tmpPrefix + "abc", ""},
		{"..", ""},
		{".hidden", "/dst/.hidden"},
		{"back\\slash", "/dst/back\\slash"},
	} {
		got, err := keyPath(root, tc.key)
		if tc.want == "" {
			if err == nil {
				t.Errorf("keyPath(%q) = %q, want refusal", tc.key, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("keyPath(%q) = %q, %v; want %q", tc.key, got, err, tc.want)
		}
	}
}

// Hostile keys are refused with ErrInvalidKey and nothing is written outside
// the root.
func TestPutRefusesEscapes(t *testing.T) {
	s := newStore(t)
	parent := filepath.Dir(s.Root())
	for _, key := range []string{"../escaped", "a/../../escaped", "/etc/escaped", "x\x00y"} {
		_, err := s.Put(context.Background(), store.PutInput{Key: key, Body: strings.NewReader("x"), Size: 1})
		if !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("put %q: err = %v, want ErrInvalidKey", key, err)
		}
	}
	if _, err := os.Stat(filepath.Join(parent, "escaped")); err == nil {
		t.Fatal("a file was written outside the destination")
	}
}

func TestCollisions(t *testing.T) {
	s := newStore(t)
	storetest.Put(t, s, "a", []byte("file a"), store.Metadata{})
	_, err := s.Put(context.Background(), store.PutInput{Key: "a/b", Body: strings.NewReader("b"), Size: 1})
	if !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("put a/b over file a: err = %v, want ErrInvalidKey", err)
	}
	storetest.Put(t, s, "c/d", []byte("d"), store.Metadata{})
	_, err = s.Put(context.Background(), store.PutInput{Key: "c", Body: strings.NewReader("c"), Size: 1})
	if !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("put c over directory c: err = %v, want ErrInvalidKey", err)
	}
	if b, _ := storetest.ReadAll(t, s, "a"); string(b) != "file a" {
		t.Errorf("file a changed: %q", b)
	}
}

// Deleting the last object of a directory removes the directory, so it does
// not come back as a folder marker.
func TestDeletePrunesDirectories(t *testing.T) {
	s := newStore(t)
	storetest.Put(t, s, "x/y/z.txt", []byte("z"), store.Metadata{})
	storetest.Put(t, s, "keep/", nil, store.Metadata{})
	storetest.Put(t, s, "keep/k.txt", []byte("k"), store.Metadata{})
	for _, k := range []string{"x/y/z.txt", "keep/k.txt"} {
		if err := s.Delete(context.Background(), k); err != nil {
			t.Fatal(err)
		}
	}
	if keys := storetest.Keys(t, s); len(keys) != 1 || keys[0] != "keep/" {
		t.Errorf("after deletes: %q, want [keep/]", keys)
	}
}

// Files being written are invisible to listings.
func TestListSkipsTemporaryFiles(t *testing.T) {
	s := newStore(t)
	storetest.Put(t, s, "real", []byte("r"), store.Metadata{})
	if err := os.WriteFile(filepath.Join(s.Root(), NewTempName()), []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	if keys := storetest.Keys(t, s); len(keys) != 1 || keys[0] != "real" {
		t.Errorf("list = %q, want [real]", keys)
	}
}

// A file edited in place after it was written loses its cached MD5 rather
// than report a stale one.
func TestStaleDigestDropped(t *testing.T) {
	s := newStore(t)
	storetest.Put(t, s, "f", []byte("original"), store.Metadata{})
	if err := os.WriteFile(filepath.Join(s.Root(), "f"), []byte("edited!!"), 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := s.Stat(context.Background(), "f")
	if err != nil {
		t.Fatal(err)
	}
	if info.ETag != "" {
		t.Errorf("ETag after edit = %q, want none", info.ETag)
	}
}

// A file edited in place has no ETag any more, so a read conditional on the
// one it was written with fails: the object changed.
func TestIfMatchAfterEditInPlace(t *testing.T) {
	s := newStore(t)
	obj := storetest.Put(t, s, "f", []byte("original"), store.Metadata{})
	if err := os.WriteFile(filepath.Join(s.Root(), "f"), []byte("edited!!"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Open(context.Background(), "f", store.ReadOptions{Length: -1, IfMatch: obj.ETag})
	if !errors.Is(err, store.ErrChanged) {
		t.Errorf("open edited file on its old ETag: err = %v, want ErrChanged", err)
	}
}

// Package storetest is the conformance suite every store.Store passes: the
// same cases, hostile keys included, run against memory, a directory, MinIO
// and versitygw, and the decorators over them. It covers each contract the
// store package documents, the optional interfaces included, and checks
// that a store's Capabilities and the interfaces it implements agree. A
// backend that needs a special case in the transfer engine fails here
// first. RunReadOnly is the reading half, for generated stores (synth).
package storetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/store"
)

// Keys that break naive tools: bytewise order against walk order, spaces,
// '+' and '%' (which URL encoders mangle), NFC and NFD forms of é (distinct
// keys), a 1,024-byte key made of segments under 255 bytes.
var HostileKeys = []string{
	"a-b",
	"a/b",
	"a0",
	"ab",
	"with space.txt",
	"plus+sign.txt",
	"percent%20.txt",
	"caf\u00e9.txt",  // NFC
	"cafe\u0301.txt", // NFD
	"日本語/ファイル.txt",
	"deep/" + strings.Repeat("x", 200) + "/" + strings.Repeat("y", 200) + "/" + strings.Repeat("z", 200) + "/" + strings.Repeat("w", 200) + "/" + strings.Repeat("v", 1024-5-4*201),
	"UPPER.TXT",
	"tilde~and(parens)[brackets]",
}

// Run runs the suite; newStore returns an empty store for each subtest.
// Cases for an optional ability (Multipart, PartLister, UploadLister, the
// listing probes, Versioned on a bucket never versioned) skip only when the store neither implements it nor claims
// it in its Capabilities; a claim without the interface fails.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Capabilities", func(t *testing.T) { testCapabilities(t, newStore(t)) })
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStore(t)) })
	t.Run("ListOrder", func(t *testing.T) { testListOrder(t, newStore(t)) })
	t.Run("ListCancelled", func(t *testing.T) { testListCancelled(t, newStore(t), true) })
	t.Run("NotExist", func(t *testing.T) { testNotExist(t, newStore(t)) })
	t.Run("Ranges", func(t *testing.T) { testRanges(t, newStore(t)) })
	t.Run("IfMatch", func(t *testing.T) { testIfMatch(t, newStore(t)) })
	t.Run("BadMD5", func(t *testing.T) { testBadMD5(t, newStore(t)) })
	t.Run("FailedPutKeepsOld", func(t *testing.T) { testFailedPutKeepsOld(t, newStore(t)) })
	t.Run("EmptyAndMarker", func(t *testing.T) { testEmptyAndMarker(t, newStore(t)) })
	t.Run("Overwrite", func(t *testing.T) { testOverwrite(t, newStore(t)) })
	t.Run("Multipart", func(t *testing.T) { testMultipart(t, newStore(t)) })
	t.Run("ListParts", func(t *testing.T) { testListParts(t, newStore(t)) })
	t.Run("ListUploads", func(t *testing.T) { testListUploads(t, newStore(t)) })
	t.Run("FirstAfter", func(t *testing.T) { testFirstAfter(t, newStore(t)) })
	t.Run("ListPrefix", func(t *testing.T) { testListPrefix(t, newStore(t)) })
	t.Run("VersionsUnversioned", func(t *testing.T) { testVersionsUnversioned(t, newStore(t)) })
}

// Put writes body at key with meta, failing the test on error.
func Put(t testing.TB, s store.Store, key string, body []byte, meta store.Metadata) store.Object {
	t.Helper()
	sum := md5.Sum(body)
	obj, err := s.Put(context.Background(), store.PutInput{Key: key, Body: bytes.NewReader(body), Size: int64(len(body)), MD5: sum[:], Meta: meta})
	if err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
	return obj
}

// PutMultipart stores body at key as a multipart upload in parts of
// partSize, so the object carries a "<hex>-N" ETag, as tools that upload in
// parts leave them.
func PutMultipart(t testing.TB, s store.Store, key string, body []byte, partSize int, meta store.Metadata) {
	t.Helper()
	mp, ok := s.(store.Multipart)
	if !ok {
		t.Fatalf("%s takes no multipart uploads", s)
	}
	ctx := context.Background()
	id, err := mp.CreateMultipart(ctx, key, meta, "")
	if err != nil {
		t.Fatal(err)
	}
	var parts []store.Part
	for n, off := 1, 0; off < len(body); n, off = n+1, off+partSize {
		p := body[off:min(off+partSize, len(body))]
		sum := md5.Sum(p)
		etag, err := mp.UploadPart(ctx, key, id, n, bytes.NewReader(p), int64(len(p)), sum[:])
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, store.Part{Number: n, ETag: etag, Size: int64(len(p))})
	}
	if _, err := mp.CompleteMultipart(ctx, key, id, parts); err != nil {
		t.Fatal(err)
	}
}

// ReadAll reads a whole object.
func ReadAll(t testing.TB, s store.Store, key string) ([]byte, store.Info) {
	t.Helper()
	r, info, err := s.Open(context.Background(), key, store.ReadOptions{Length: -1})
	if err != nil {
		t.Fatalf("open %q: %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b, info
}

// Keys lists every key of s.
func Keys(t testing.TB, s store.Store) []string {
	t.Helper()
	var keys []string
	for o, err := range s.List(context.Background(), "") {
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

func testRoundTrip(t *testing.T, s store.Store) {
	body := []byte("hello, sovereign cloud\n")
	meta := store.Metadata{
		ContentType:        "text/plain; charset=utf-8",
		ContentEncoding:    "identity",
		ContentDisposition: `attachment; filename="hello.txt"`,
		ContentLanguage:    "fr-CA",
		CacheControl:       "max-age=3600",
		Expires:            "Wed, 21 Oct 2037 07:28:00 GMT",
		User:               map[string]string{"owner": "lab-42", "note": "données été"},
	}
	if s.Capabilities().Tags {
		meta.Tags = map[string]string{"project": "exit", "class": "public data"}
	}
	obj := Put(t, s, "dir/hello.txt", body, meta)
	sum := md5.Sum(body)
	if s.Capabilities().ETagIsMD5 && obj.ETag != hex.EncodeToString(sum[:]) {
		t.Errorf("put ETag = %q, want MD5 %x", obj.ETag, sum)
	}
	if obj.Key != "dir/hello.txt" || obj.Size != int64(len(body)) {
		t.Errorf("put returned key %q size %d, want %q and %d", obj.Key, obj.Size, "dir/hello.txt", len(body))
	}
	got, info := ReadAll(t, s, "dir/hello.txt")
	if !bytes.Equal(got, body) {
		t.Errorf("body = %q, want %q", got, body)
	}
	st, err := s.Stat(context.Background(), "dir/hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	// Put's answer is the store's confirmation of what it holds, and a
	// listing describes the same object.
	if l := findListed(t, s, "dir/hello.txt"); l.Size != int64(len(body)) || !store.SameETag(l.ETag, obj.ETag) {
		t.Errorf("listed with size %d ETag %q, want %d and put's %q", l.Size, l.ETag, len(body), obj.ETag)
	}
	for _, in := range []store.Info{info, st} {
		if in.Key != "dir/hello.txt" {
			t.Errorf("key = %q, want %q", in.Key, "dir/hello.txt")
		}
		if in.Size != int64(len(body)) {
			t.Errorf("size = %d, want %d", in.Size, len(body))
		}
		if !store.SameETag(in.ETag, obj.ETag) {
			t.Errorf("ETag = %q, put said %q", in.ETag, obj.ETag)
		}
		m := in.Meta
		if m.ContentType != meta.ContentType || m.ContentEncoding != meta.ContentEncoding ||
			m.ContentDisposition != meta.ContentDisposition || m.ContentLanguage != meta.ContentLanguage ||
			m.CacheControl != meta.CacheControl {
			t.Errorf("headers = %+v, want %+v", m, meta)
		}
		if m.Expires != meta.Expires {
			t.Errorf("Expires = %q, want %q", m.Expires, meta.Expires)
		}
		for k, v := range meta.User {
			if m.User[k] != v {
				t.Errorf("user metadata %q = %q, want %q", k, m.User[k], v)
			}
		}
		for k, v := range meta.Tags {
			if m.Tags[k] != v {
				t.Errorf("tag %q = %q, want %q", k, m.Tags[k], v)
			}
		}
	}
}

// findListed returns the listing's entry for key, failing if there is none.
func findListed(t testing.TB, s store.Store, key string) store.Object {
	t.Helper()
	for o, err := range s.List(context.Background(), "") {
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if o.Key == key {
			return o
		}
	}
	t.Fatalf("%q is not listed", key)
	return store.Object{}
}

func testListOrder(t *testing.T, s store.Store) {
	for i, k := range HostileKeys {
		Put(t, s, k, []byte(strings.Repeat("x", i)), store.Metadata{})
	}
	want := slices.Clone(HostileKeys)
	slices.Sort(want) // Go compares strings bytewise, as S3 does
	got := Keys(t, s)
	if !slices.Equal(got, want) {
		t.Errorf("list order:\ngot  %q\nwant %q", got, want)
	}
	for i, k := range HostileKeys {
		b, _ := ReadAll(t, s, k)
		if len(b) != i {
			t.Errorf("%q: %d bytes, want %d", k, len(b), i)
		}
	}
	// startAfter resumes a listing strictly after a key.
	var after []string
	for o, err := range s.List(context.Background(), want[3]) {
		if err != nil {
			t.Fatal(err)
		}
		after = append(after, o.Key)
	}
	if !slices.Equal(after, want[4:]) {
		t.Errorf("list after %q:\ngot  %q\nwant %q", want[3], after, want[4:])
	}
}

// testListCancelled: a listing under a cancelled context ends with an
// error, yielded with a zero Object, and nothing after it. filled says
// whether to write a few objects first (a read-only store already has some).
func testListCancelled(t *testing.T, s store.Store, filled bool) {
	if filled {
		for _, k := range []string{"a", "b", "c"} {
			Put(t, s, k, []byte(k), store.Metadata{})
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	endsCancelled(t, s.List(ctx, ""), func(o store.Object) string { return o.Key }, "a listing")
}

// endsCancelled checks a listing made under a cancelled context: it ends
// with one error wrapping context.Canceled, yielded with a zero value,
// never as if complete.
func endsCancelled[T comparable](t *testing.T, seq iter.Seq2[T, error], key func(T) string, what string) {
	t.Helper()
	var zero T
	var errs int
	for v, err := range seq {
		if errs > 0 {
			t.Fatalf("%s went on after its error: %q, %v", what, key(v), err)
		}
		if err != nil {
			errs++
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want one wrapping context.Canceled", err)
			}
			if v != zero {
				t.Errorf("error yielded with %+v, want a zero value", v)
			}
		}
	}
	if errs == 0 {
		t.Errorf("%s under a cancelled context ended without an error, as if complete", what)
	}
}

// wantOpError checks that err wraps sentinel inside an *OpError naming key.
func wantOpError(t testing.TB, what string, err, sentinel error, key string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Errorf("%s: err = %v, want %v", what, err, sentinel)
		return
	}
	var op *store.OpError
	if !errors.As(err, &op) {
		t.Errorf("%s: err %v is not a *store.OpError", what, err)
		return
	}
	if op.Key != key || op.Op == "" || op.Store == "" {
		t.Errorf("%s: OpError{Op %q, Store %q, Key %q}, want an op, the store and key %q", what, op.Op, op.Store, op.Key, key)
	}
}

func testNotExist(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.Stat(ctx, "missing")
	wantOpError(t, "stat missing", err, store.ErrNotExist, "missing")
	r, _, err := s.Open(ctx, "missing", store.ReadOptions{Length: -1})
	wantOpError(t, "open missing", err, store.ErrNotExist, "missing")
	if r != nil {
		r.Close()
		t.Error("open missing returned a reader")
	}
	if err := s.Delete(ctx, "missing"); err != nil {
		t.Errorf("delete missing: %v, want nil", err)
	}
	Put(t, s, "gone", []byte("x"), store.Metadata{})
	if err := s.Delete(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, "gone"); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("stat deleted: err = %v, want ErrNotExist", err)
	}
	if keys := Keys(t, s); len(keys) != 0 {
		t.Errorf("after delete, list = %q, want nothing", keys)
	}
}

func testRanges(t *testing.T, s store.Store) {
	body := []byte("0123456789abcdef")
	Put(t, s, "r", body, store.Metadata{})
	for _, tc := range []struct {
		off, n int64
		want   string
	}{{0, -1, "0123456789abcdef"}, {4, 3, "456"}, {10, -1, "abcdef"}, {15, 1, "f"}} {
		r, info, err := s.Open(context.Background(), "r", store.ReadOptions{Offset: tc.off, Length: tc.n})
		if err != nil {
			t.Fatalf("open %d+%d: %v", tc.off, tc.n, err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Errorf("range %d+%d = %q, want %q", tc.off, tc.n, b, tc.want)
		}
		if info.Size != int64(len(body)) || info.Length != int64(len(tc.want)) {
			t.Errorf("range %d+%d: size %d length %d, want %d and %d", tc.off, tc.n, info.Size, info.Length, len(body), len(tc.want))
		}
	}
}

// testIfMatch: a read conditional on an ETag the object no longer has
// fails with ErrChanged, whole, ranged or by part; on the current ETag it
// reads.
func testIfMatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := []byte("first version")
	v1 := Put(t, s, "k", first, store.Metadata{})
	old := v1.ETag
	if old == "" {
		st, err := s.Stat(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		old = st.ETag
	}
	// An ETag the object never had matches nothing, on any store.
	never := "00000000000000000000000000000000"
	if store.SameETag(old, never) {
		never = "ffffffffffffffffffffffffffffffff"
	}
	r, _, err := s.Open(ctx, "k", store.ReadOptions{Length: -1, IfMatch: never})
	wantOpError(t, "open with an ETag the object never had", err, store.ErrChanged, "k")
	if r != nil {
		r.Close()
		t.Error("a refused conditional read returned a reader")
	}
	if old == "" {
		t.Fatal("the store gave the object no ETag, so IfMatch cannot protect a copy from it")
	}
	for _, tc := range []struct {
		opts store.ReadOptions
		want string
	}{
		{store.ReadOptions{Length: -1, IfMatch: old}, "first version"},
		{store.ReadOptions{Offset: 6, Length: 7, IfMatch: old}, "version"},
	} {
		r, info, err := s.Open(ctx, "k", tc.opts)
		if err != nil {
			t.Fatalf("open %+v on the current ETag: %v", tc.opts, err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil || string(b) != tc.want {
			t.Errorf("open %+v = %q, %v; want %q", tc.opts, b, err, tc.want)
		}
		if !store.SameETag(info.ETag, old) {
			t.Errorf("open %+v: ETag %q, want %q", tc.opts, info.ETag, old)
		}
	}
	v2 := Put(t, s, "k", []byte("second version, longer"), store.Metadata{})
	if store.SameETag(v2.ETag, old) {
		t.Fatalf("a different body kept the ETag %q", old)
	}
	for _, opts := range []store.ReadOptions{
		{Length: -1, IfMatch: old},
		{Offset: 2, Length: 4, IfMatch: old},
		{PartNumber: 1, Length: -1, IfMatch: old},
	} {
		r, _, err := s.Open(ctx, "k", opts)
		wantOpError(t, fmt.Sprintf("open %+v after an overwrite", opts), err, store.ErrChanged, "k")
		if r != nil {
			r.Close()
		}
	}
	b, _ := ReadAll(t, s, "k")
	if string(b) != "second version, longer" {
		t.Errorf("after the overwrite: %q", b)
	}
	_, _, err = s.Open(ctx, "missing", store.ReadOptions{Length: -1, IfMatch: old})
	wantOpError(t, "conditional open of a missing key", err, store.ErrNotExist, "missing")
}

func testBadMD5(t *testing.T, s store.Store) {
	body := []byte("the real body")
	wrong := md5.Sum([]byte("another body"))
	_, err := s.Put(context.Background(), store.PutInput{Key: "bad", Body: bytes.NewReader(body), Size: int64(len(body)), MD5: wrong[:]})
	if !errors.Is(err, store.ErrChecksumMismatch) {
		t.Errorf("put with wrong MD5: err = %v, want ErrChecksumMismatch", err)
	}
	if _, err := s.Stat(context.Background(), "bad"); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("after refused put: stat err = %v, want ErrNotExist", err)
	}
}

// failingReader yields some bytes, then fails, as a source connection cut
// mid-body does.
type failingReader struct{ b []byte }

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errors.New("connection reset by peer")
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// testFailedPutKeepsOld: a write that fails — wrong MD5, short body, a body
// whose reader fails — leaves the old object, never a partial one.
func testFailedPutKeepsOld(t *testing.T, s store.Store) {
	ctx := context.Background()
	old := []byte("the old body, whole")
	Put(t, s, "k", old, store.Metadata{User: map[string]string{"v": "1"}})
	next := []byte("a new body that never lands")
	sum := md5.Sum(next)
	wrong := md5.Sum(old)
	for _, tc := range []struct {
		name string
		in   store.PutInput
	}{
		{"wrong MD5", store.PutInput{Body: bytes.NewReader(next), Size: int64(len(next)), MD5: wrong[:]}},
		{"short body", store.PutInput{Body: bytes.NewReader(next[:5]), Size: int64(len(next)), MD5: sum[:]}},
		{"failing body", store.PutInput{Body: &failingReader{b: next[:5]}, Size: int64(len(next)), MD5: sum[:]}},
	} {
		tc.in.Key = "k"
		tc.in.Meta = store.Metadata{User: map[string]string{"v": "2"}}
		if _, err := s.Put(ctx, tc.in); err == nil {
			t.Errorf("%s: put succeeded", tc.name)
		}
		b, info := ReadAll(t, s, "k")
		if !bytes.Equal(b, old) || info.Meta.User["v"] != "1" {
			t.Errorf("%s: after the failed put, %q v=%q; want the old object", tc.name, b, info.Meta.User["v"])
		}
	}
	if keys := Keys(t, s); !slices.Equal(keys, []string{"k"}) {
		t.Errorf("after failed puts, list = %q, want [k]", keys)
	}
}

func testEmptyAndMarker(t *testing.T, s store.Store) {
	Put(t, s, "empty.txt", nil, store.Metadata{})
	Put(t, s, "folder/", nil, store.Metadata{ContentType: "application/x-directory"})
	Put(t, s, "folder/inside.txt", []byte("in"), store.Metadata{})
	got := Keys(t, s)
	want := []string{"empty.txt", "folder/", "folder/inside.txt"}
	if !slices.Equal(got, want) {
		t.Errorf("list = %q, want %q", got, want)
	}
	b, info := ReadAll(t, s, "empty.txt")
	if len(b) != 0 || info.Size != 0 {
		t.Errorf("empty object: %d bytes, size %d", len(b), info.Size)
	}
	st, err := s.Stat(context.Background(), "folder/")
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != 0 || st.Meta.ContentType != "application/x-directory" {
		t.Errorf("marker: size %d content-type %q", st.Size, st.Meta.ContentType)
	}
}

func testOverwrite(t *testing.T, s store.Store) {
	Put(t, s, "k", []byte("first version"), store.Metadata{User: map[string]string{"v": "1"}})
	Put(t, s, "k", []byte("second"), store.Metadata{User: map[string]string{"v": "2"}})
	b, info := ReadAll(t, s, "k")
	if string(b) != "second" || info.Meta.User["v"] != "2" {
		t.Errorf("after overwrite: %q v=%q", b, info.Meta.User["v"])
	}
}

// testCapabilities: a store's capabilities agree with the optional
// interfaces it implements, so that a wrapper which gains or loses one is
// caught here rather than in a copy.
func testCapabilities(t *testing.T, s store.Store) {
	checkCapabilities(t, s)
	if s.String() == "" {
		t.Error("String() is empty; messages need the store's name")
	}
}

func checkCapabilities(t testing.TB, s store.Store) {
	t.Helper()
	c := s.Capabilities()
	_, mp := s.(store.Multipart)
	_, pl := s.(store.PartLister)
	_, ul := s.(store.UploadLister)
	if !mp {
		if c.MinPartSize != 0 || c.MaxPartSize != 0 || c.MaxParts != 0 {
			t.Errorf("%s claims multipart bounds (parts %d–%d bytes, at most %d) but does not implement store.Multipart",
				s, c.MinPartSize, c.MaxPartSize, c.MaxParts)
		}
		if pl || ul {
			t.Errorf("%s implements PartLister %v, UploadLister %v without store.Multipart", s, pl, ul)
		}
		return
	}
	if c.MaxPartSize <= 0 || c.MaxParts <= 0 {
		t.Errorf("%s implements store.Multipart but its capabilities give part size at most %d, at most %d parts; want both positive",
			s, c.MaxPartSize, c.MaxParts)
	}
	if c.MinPartSize < 0 || c.MinPartSize > c.MaxPartSize {
		t.Errorf("%s: minimum part size %d outside [0, %d]", s, c.MinPartSize, c.MaxPartSize)
	}
}

// multipartOf returns the store's Multipart side. A store that neither has
// one nor claims one skips the case; one that claims it without it fails.
func multipartOf(t *testing.T, s store.Store) store.Multipart {
	t.Helper()
	checkCapabilities(t, s)
	if t.Failed() {
		t.FailNow()
	}
	mp, ok := s.(store.Multipart)
	if !ok {
		t.Skipf("%s does not implement store.Multipart and does not claim to", s)
	}
	return mp
}

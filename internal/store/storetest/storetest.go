// Package storetest is the conformance suite every store.Store passes: the
// same cases, hostile keys included, run against memory, a directory, MinIO
// and versitygw. A backend that needs a special case in the transfer engine
// fails here first.
package storetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
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
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStore(t)) })
	t.Run("ListOrder", func(t *testing.T) { testListOrder(t, newStore(t)) })
	t.Run("NotExist", func(t *testing.T) { testNotExist(t, newStore(t)) })
	t.Run("Ranges", func(t *testing.T) { testRanges(t, newStore(t)) })
	t.Run("BadMD5", func(t *testing.T) { testBadMD5(t, newStore(t)) })
	t.Run("EmptyAndMarker", func(t *testing.T) { testEmptyAndMarker(t, newStore(t)) })
	t.Run("Overwrite", func(t *testing.T) { testOverwrite(t, newStore(t)) })
	t.Run("Multipart", func(t *testing.T) { testMultipart(t, newStore(t)) })
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
	got, info := ReadAll(t, s, "dir/hello.txt")
	if !bytes.Equal(got, body) {
		t.Errorf("body = %q, want %q", got, body)
	}
	st, err := s.Stat(context.Background(), "dir/hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []store.Info{info, st} {
		if in.Size != int64(len(body)) {
			t.Errorf("size = %d, want %d", in.Size, len(body))
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

func testNotExist(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Stat(ctx, "missing"); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("stat missing: err = %v, want ErrNotExist", err)
	}
	if _, _, err := s.Open(ctx, "missing", store.ReadOptions{Length: -1}); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("open missing: err = %v, want ErrNotExist", err)
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

func testMultipart(t *testing.T, s store.Store) {
	mp, ok := s.(store.Multipart)
	if !ok {
		return
	}
	ctx := context.Background()
	min := max(s.Capabilities().MinPartSize, 1)
	p1 := bytes.Repeat([]byte("a"), int(min))
	p2 := []byte("tail")
	id, err := mp.CreateMultipart(ctx, "big", store.Metadata{ContentType: "application/octet-stream", User: map[string]string{"k": "v"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	var parts []store.Part
	var sums [][]byte
	for i, b := range [][]byte{p1, p2} {
		sum := md5.Sum(b)
		etag, err := mp.UploadPart(ctx, "big", id, i+1, bytes.NewReader(b), int64(len(b)), sum[:])
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		if etag != hex.EncodeToString(sum[:]) {
			t.Errorf("part %d etag %q, want %x", i+1, etag, sum)
		}
		parts = append(parts, store.Part{Number: i + 1, ETag: etag, Size: int64(len(b))})
		sums = append(sums, sum[:])
	}
	obj, err := mp.CompleteMultipart(ctx, "big", id, parts)
	if err != nil {
		t.Fatal(err)
	}
	if want := store.MultipartETag(sums); !store.SameETag(obj.ETag, want) {
		t.Errorf("multipart ETag %q, want %q", obj.ETag, want)
	}
	b, info := ReadAll(t, s, "big")
	if !bytes.Equal(b, append(slices.Clone(p1), p2...)) {
		t.Errorf("multipart body differs (%d bytes)", len(b))
	}
	if info.Meta.User["k"] != "v" {
		t.Errorf("multipart metadata lost: %+v", info.Meta)
	}
	// Reading by part number gives the part, or the whole object with
	// Parts 0 where the store cannot.
	r, pinfo, err := s.Open(ctx, "big", store.ReadOptions{PartNumber: 2, Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := io.ReadAll(r)
	r.Close()
	if pinfo.Parts == 2 {
		if !bytes.Equal(pb, p2) {
			t.Errorf("part 2 = %q, want %q", pb, p2)
		}
	} else if pinfo.Parts != 0 || len(pb) != len(b) {
		t.Errorf("part read: parts %d, %d bytes", pinfo.Parts, len(pb))
	}
	// An aborted upload leaves no object.
	id2, err := mp.CreateMultipart(ctx, "aborted", store.Metadata{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := mp.AbortMultipart(ctx, "aborted", id2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, "aborted"); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("aborted upload: stat err = %v, want ErrNotExist", err)
	}
}

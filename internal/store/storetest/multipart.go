package storetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/store"
)

// uploadPart sends one part with its MD5 and returns it as CompleteMultipart
// and ListParts describe it, checking the store's ETag where it is an MD5.
func uploadPart(t *testing.T, s store.Store, mp store.Multipart, key, id string, n int, b []byte) store.Part {
	t.Helper()
	sum := md5.Sum(b)
	etag, err := mp.UploadPart(context.Background(), key, id, n, bytes.NewReader(b), int64(len(b)), sum[:])
	if err != nil {
		t.Fatalf("part %d of %q: %v", n, key, err)
	}
	if s.Capabilities().ETagIsMD5 && !store.SameETag(etag, hex.EncodeToString(sum[:])) {
		t.Errorf("part %d of %q: ETag %q, want MD5 %x", n, key, etag, sum)
	}
	return store.Part{Number: n, ETag: etag, Size: int64(len(b))}
}

func testMultipart(t *testing.T, s store.Store) {
	mp := multipartOf(t, s)
	ctx := context.Background()
	caps := s.Capabilities()
	p1 := bytes.Repeat([]byte("a"), int(max(caps.MinPartSize, 1)))
	p2 := []byte("tail")
	whole := append(slices.Clone(p1), p2...)
	id, err := mp.CreateMultipart(ctx, "big", store.Metadata{ContentType: "application/octet-stream", User: map[string]string{"k": "v"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	parts := []store.Part{uploadPart(t, s, mp, "big", id, 1, p1), uploadPart(t, s, mp, "big", id, 2, p2)}
	// A part whose bytes do not match its MD5 is refused.
	wrong := md5.Sum([]byte("other bytes"))
	if _, err := mp.UploadPart(ctx, "big", id, 3, bytes.NewReader(p2), int64(len(p2)), wrong[:]); !errors.Is(err, store.ErrChecksumMismatch) {
		t.Errorf("part with a wrong MD5: err = %v, want ErrChecksumMismatch", err)
	}
	// An upload in progress is not an object yet.
	if _, err := s.Stat(ctx, "big"); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("stat during the upload: err = %v, want ErrNotExist", err)
	}
	if keys := Keys(t, s); len(keys) != 0 {
		t.Errorf("list during the upload = %q, want nothing", keys)
	}
	obj, err := mp.CompleteMultipart(ctx, "big", id, parts)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Key != "big" || obj.Size != int64(len(whole)) {
		t.Errorf("complete returned key %q size %d, want %q and %d", obj.Key, obj.Size, "big", len(whole))
	}
	if caps.ETagIsMD5 {
		s1, s2 := md5.Sum(p1), md5.Sum(p2)
		if want := store.MultipartETag([][]byte{s1[:], s2[:]}); !store.SameETag(obj.ETag, want) {
			t.Errorf("multipart ETag %q, want %q", obj.ETag, want)
		}
	}
	b, info := ReadAll(t, s, "big")
	if !bytes.Equal(b, whole) {
		t.Errorf("multipart body differs (%d bytes, want %d)", len(b), len(whole))
	}
	if info.Meta.User["k"] != "v" || info.Meta.ContentType != "application/octet-stream" {
		t.Errorf("multipart metadata lost: %+v", info.Meta)
	}
	st, err := s.Stat(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != int64(len(whole)) || !store.SameETag(st.ETag, obj.ETag) {
		t.Errorf("stat: size %d ETag %q, want %d and %q", st.Size, st.ETag, len(whole), obj.ETag)
	}
	if st.Parts != 0 && (st.Parts != 2 || st.PartSize != int64(len(p1))) {
		t.Errorf("stat: %d parts of %d bytes, want 0 (unknown) or 2 of %d", st.Parts, st.PartSize, len(p1))
	}
	// Reading by part number gives the part, or the whole object with
	// Parts 0 where the store cannot; Info.PartSize is the first part's.
	for n, want := range [][]byte{p1, p2} {
		r, pinfo, err := s.Open(ctx, "big", store.ReadOptions{PartNumber: n + 1, Length: -1})
		if err != nil {
			t.Fatalf("open part %d: %v", n+1, err)
		}
		pb, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatalf("read part %d: %v", n+1, err)
		}
		switch pinfo.Parts {
		case 2:
			if !bytes.Equal(pb, want) || pinfo.Length != int64(len(want)) {
				t.Errorf("part %d: %d bytes (Length %d), want %d", n+1, len(pb), pinfo.Length, len(want))
			}
			if pinfo.PartSize != int64(len(p1)) {
				t.Errorf("part %d: PartSize %d, want the first part's, %d", n+1, pinfo.PartSize, len(p1))
			}
		case 0:
			if !bytes.Equal(pb, whole) {
				t.Errorf("part %d read as the whole object: %d bytes, want %d", n+1, len(pb), len(whole))
			}
		default:
			t.Errorf("part %d: Parts %d, want 2 or 0", n+1, pinfo.Parts)
		}
		if pinfo.Size != int64(len(whole)) {
			t.Errorf("part %d: Size %d, want the whole object's %d", n+1, pinfo.Size, len(whole))
		}
	}
	// An aborted upload leaves no object, and aborting is idempotent: again,
	// or on an upload that completed.
	id2, err := mp.CreateMultipart(ctx, "aborted", store.Metadata{}, "")
	if err != nil {
		t.Fatal(err)
	}
	uploadPart(t, s, mp, "aborted", id2, 1, []byte("never assembled"))
	if err := mp.AbortMultipart(ctx, "aborted", id2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, "aborted"); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("aborted upload: stat err = %v, want ErrNotExist", err)
	}
	if err := mp.AbortMultipart(ctx, "aborted", id2); err != nil {
		t.Errorf("aborting an aborted upload: %v, want nil", err)
	}
	if err := mp.AbortMultipart(ctx, "big", id); err != nil {
		t.Errorf("aborting a completed upload: %v, want nil", err)
	}
	if b, _ := ReadAll(t, s, "big"); !bytes.Equal(b, whole) {
		t.Error("aborting a completed upload changed its object")
	}
}

// testListParts: the parts an upload holds, in number order, with the
// sizes and ETags UploadPart returned, the latest of a part sent twice; the
// upload is gone (ErrNotExist) once aborted or completed.
func testListParts(t *testing.T, s store.Store) {
	pl, ok := s.(store.PartLister)
	mp := multipartOf(t, s)
	if !ok {
		t.Skipf("%s does not implement store.PartLister", s)
	}
	ctx := context.Background()
	key := "parts/caf\u00e9 +%20.bin"
	id, err := mp.CreateMultipart(ctx, key, store.Metadata{}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mp.AbortMultipart(context.Background(), key, id) })
	got, err := pl.ListParts(ctx, key, id)
	if err != nil || len(got) != 0 {
		t.Errorf("parts of a new upload = %+v, %v; want none", got, err)
	}
	three := uploadPart(t, s, mp, key, id, 3, []byte("part three"))
	uploadPart(t, s, mp, key, id, 1, []byte("part one, first try"))
	one := uploadPart(t, s, mp, key, id, 1, []byte("part one, sent again"))
	got, err = pl.ListParts(ctx, key, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Part{one, three}
	if !slices.EqualFunc(got, want, func(a, b store.Part) bool {
		return a.Number == b.Number && a.Size == b.Size && store.SameETag(a.ETag, b.ETag)
	}) {
		t.Errorf("parts = %+v, want %+v", got, want)
	}
	if err := mp.AbortMultipart(ctx, key, id); err != nil {
		t.Fatal(err)
	}
	_, err = pl.ListParts(ctx, key, id)
	wantOpError(t, "parts of an aborted upload", err, store.ErrNotExist, key)

	id2, err := mp.CreateMultipart(ctx, key, store.Metadata{}, "")
	if err != nil {
		t.Fatal(err)
	}
	only := uploadPart(t, s, mp, key, id2, 1, []byte("the only part"))
	if _, err := mp.CompleteMultipart(ctx, key, id2, []store.Part{only}); err != nil {
		t.Fatal(err)
	}
	_, err = pl.ListParts(ctx, key, id2)
	wantOpError(t, "parts of a completed upload", err, store.ErrNotExist, key)
}

// testListUploads: uploads in progress under a prefix, each with its ID
// and a creation time; not once aborted or completed.
func testListUploads(t *testing.T, s store.Store) {
	ul, ok := s.(store.UploadLister)
	mp := multipartOf(t, s)
	if !ok {
		t.Skipf("%s does not implement store.UploadLister", s)
	}
	ctx := context.Background()
	// Server clocks on loopback agree with ours, to the second at worst.
	since := time.Now().Add(-time.Minute)
	create := func(key string) store.Upload {
		t.Helper()
		id, err := mp.CreateMultipart(ctx, key, store.Metadata{}, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mp.AbortMultipart(context.Background(), key, id) })
		return store.Upload{Key: key, ID: id}
	}
	b := create("up/b caf\u00e9+%20.bin")
	a1 := create("up/a.bin")
	a2 := create("up/a.bin") // a second upload of the same key
	other := create("other/c.bin")
	until := time.Now().Add(time.Minute)

	list := func(prefix string) []store.Upload {
		t.Helper()
		ups, err := ul.ListUploads(ctx, prefix)
		if err != nil {
			t.Fatalf("list uploads %q: %v", prefix, err)
		}
		for _, u := range ups {
			if u.Initiated.Before(since) || u.Initiated.After(until) {
				t.Errorf("upload %q initiated %v, want between %v and %v", u.Key, u.Initiated, since, until)
			}
		}
		return ups
	}
	same := func(prefix string, got []store.Upload, want ...store.Upload) {
		t.Helper()
		key := func(u store.Upload) string { return u.Key + "\x00" + u.ID }
		g, w := make([]string, len(got)), make([]string, len(want))
		for i, u := range got {
			g[i] = key(u)
		}
		for i, u := range want {
			w[i] = key(u)
		}
		slices.Sort(g)
		slices.Sort(w)
		if !slices.Equal(g, w) {
			t.Errorf("uploads under %q = %q, want %q", prefix, g, w)
		}
	}
	same("up/", list("up/"), a1, a2, b)
	same("", list(""), a1, a2, b, other)
	same("up/a", list("up/a"), a1, a2)
	same("none/", list("none/"))

	if err := mp.AbortMultipart(ctx, a1.Key, a1.ID); err != nil {
		t.Fatal(err)
	}
	same("up/ after an abort", list("up/"), a2, b)
	p := uploadPart(t, s, mp, b.Key, b.ID, 1, []byte("b"))
	if _, err := mp.CompleteMultipart(ctx, b.Key, b.ID, []store.Part{p}); err != nil {
		t.Fatal(err)
	}
	same("up/ after a completion", list("up/"), a2)
}

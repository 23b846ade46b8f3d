package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

func TestMain(m *testing.M) { s3test.Main(m) }

func TestConformance(t *testing.T) {
	for _, kind := range []string{s3test.MinIO, s3test.VersityGW} {
		t.Run(kind, func(t *testing.T) {
			srv := s3test.Shared(t, kind, "conformance")
			storetest.Run(t, func(t *testing.T) store.Store {
				return srv.Store(t, srv.Bucket(t), "")
			})
		})
	}
}

// A store opened on a prefix sees only the keys under it, without the
// prefix, in every call that names keys: listings, probes, uploads. (The
// whole suite cannot run on one: its 1,024-byte key is S3's limit.)
func TestPrefix(t *testing.T) {
	for _, kind := range []string{s3test.MinIO, s3test.VersityGW} {
		t.Run(kind, func(t *testing.T) {
			testPrefix(t, s3test.Shared(t, kind, "conformance"))
		})
	}
}

func testPrefix(t *testing.T, srv *s3test.Server) {
	ctx := context.Background()
	bucket := srv.Bucket(t)
	whole := srv.Store(t, bucket, "")
	storetest.Put(t, whole, "outside", []byte("x"), store.Metadata{})
	storetest.Put(t, whole, "data-other/y", []byte("x"), store.Metadata{})
	sub := srv.Store(t, bucket, "data")
	in := storetest.Put(t, sub, "in/z", []byte("z"), store.Metadata{})
	keys := storetest.Keys(t, sub)
	if len(keys) != 1 || keys[0] != "in/z" {
		t.Errorf("prefixed listing = %q, want [in/z]", keys)
	}
	if k := storetest.Keys(t, whole); len(k) != 3 || k[2] != "outside" || k[0] != "data-other/y" || k[1] != "data/in/z" {
		t.Errorf("whole listing = %q", k)
	}

	if o, ok, err := sub.FirstAfter(ctx, "", ""); err != nil || !ok || o.Key != "in/z" {
		t.Errorf("FirstAfter on the prefix = %q, %v, %v; want in/z", o.Key, ok, err)
	}
	if o, ok, err := sub.FirstAfter(ctx, "in/", "in/z"); err != nil || ok {
		t.Errorf("FirstAfter past the last key = %q, %v, %v; want none", o.Key, ok, err)
	}
	var listed []string
	for o, err := range sub.ListPrefix(ctx, "in/", "") {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, o.Key)
	}
	if len(listed) != 1 || listed[0] != "in/z" {
		t.Errorf("ListPrefix(in/) = %q, want [in/z]", listed)
	}
	if _, _, err := sub.Open(ctx, "in/z", store.ReadOptions{Length: -1, IfMatch: "00000000000000000000000000000000"}); !errors.Is(err, store.ErrChanged) {
		t.Errorf("stale IfMatch through the prefix: err = %v, want ErrChanged", err)
	}
	if r, _, err := sub.Open(ctx, "in/z", store.ReadOptions{Length: -1, IfMatch: in.ETag}); err != nil {
		t.Errorf("current IfMatch through the prefix: %v", err)
	} else {
		r.Close()
	}

	// Uploads: keys come back relative; uploads outside the prefix stay out.
	outID, err := whole.CreateMultipart(ctx, "outside-upload", store.Metadata{}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { whole.AbortMultipart(context.Background(), "outside-upload", outID) })
	id, err := sub.CreateMultipart(ctx, "up/big", store.Metadata{}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.AbortMultipart(context.Background(), "up/big", id) })
	body := []byte("one part")
	sum := md5.Sum(body)
	etag, err := sub.UploadPart(ctx, "up/big", id, 1, bytes.NewReader(body), int64(len(body)), sum[:])
	if err != nil {
		t.Fatal(err)
	}
	parts, err := sub.ListParts(ctx, "up/big", id)
	if err != nil || len(parts) != 1 || parts[0].Number != 1 || !store.SameETag(parts[0].ETag, etag) {
		t.Errorf("parts through the prefix = %+v, %v; want part 1 %s", parts, err, etag)
	}
	for _, prefix := range []string{"", "up/"} {
		ups, err := sub.ListUploads(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		if len(ups) != 1 || ups[0].Key != "up/big" || ups[0].ID != id {
			t.Errorf("uploads under %q through the prefix = %+v, want only up/big %s", prefix, ups, id)
		}
	}
	if _, err := sub.CompleteMultipart(ctx, "up/big", id, []store.Part{{Number: 1, ETag: etag, Size: int64(len(body))}}); err != nil {
		t.Fatal(err)
	}
	if _, err := whole.Stat(ctx, "data/up/big"); err != nil {
		t.Errorf("completed upload not at data/up/big: %v", err)
	}
}

// Bodies go out as UNSIGNED-PAYLOAD, yet a body altered on the way is still
// refused: the signed Content-MD5 header covers it. Checked on both servers,
// single-part and multipart.
func TestUnsignedPayloadStillGuardsTheBody(t *testing.T) {
	for _, kind := range []string{s3test.MinIO, s3test.VersityGW} {
		t.Run(kind, func(t *testing.T) {
			srv := s3test.Shared(t, kind, "conformance")
			bucket := srv.Bucket(t)
			proxy := s3test.StartProxy(t, srv, s3test.Faults{TamperKey: "tampered"})
			st := proxy.Server().Store(t, bucket, "")
			ctx := context.Background()
			body := bytes.Repeat([]byte("sortie "), 1000)
			sum := md5.Sum(body)

			if _, err := st.Put(ctx, store.PutInput{Key: "clean", Body: bytes.NewReader(body), Size: int64(len(body)), MD5: sum[:]}); err != nil {
				t.Fatalf("clean put: %v", err)
			}
			_, err := st.Put(ctx, store.PutInput{Key: "tampered", Body: bytes.NewReader(body), Size: int64(len(body)), MD5: sum[:]})
			if err == nil {
				t.Fatal("a body altered in flight was accepted")
			}
			id, err := st.CreateMultipart(ctx, "tampered", store.Metadata{}, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.UploadPart(ctx, "tampered", id, 1, bytes.NewReader(body), int64(len(body)), sum[:]); err == nil {
				t.Error("a part altered in flight was accepted")
			}
			st.AbortMultipart(ctx, "tampered", id)
			if _, err := srv.Store(t, bucket, "").Stat(ctx, "tampered"); !errors.Is(err, store.ErrNotExist) {
				t.Errorf("tampered object stat = %v, want not found", err)
			}
			got := proxy.Injected()
			if got["tampered"] != 2 || got["unsigned-payload"] != 3 {
				t.Errorf("proxy saw %v, want 2 tampered and 3 unsigned-payload PUTs", got)
			}
		})
	}
}

// Info.PartSize is the first part's size whichever part is read, on an
// uneven layout too, whether the store has read part 1 before (it
// remembers) or not (it asks).
func TestPartSizeOfLaterParts(t *testing.T) {
	for _, kind := range []string{s3test.MinIO, s3test.VersityGW} {
		t.Run(kind, func(t *testing.T) {
			srv := s3test.Shared(t, kind, "conformance")
			bucket := srv.Bucket(t)
			ctx := context.Background()
			sizes := []int{5<<20 + 1, 5 << 20, 3}
			var b []byte
			for i, n := range sizes {
				b = append(b, bytes.Repeat([]byte{byte('a' + i)}, n)...)
			}
			st := srv.Store(t, bucket, "")
			id, err := st.CreateMultipart(ctx, "uneven", store.Metadata{}, "")
			if err != nil {
				t.Fatal(err)
			}
			var parts []store.Part
			for i, off := 0, 0; i < len(sizes); off, i = off+sizes[i], i+1 {
				p := b[off : off+sizes[i]]
				sum := md5.Sum(p)
				etag, err := st.UploadPart(ctx, "uneven", id, i+1, bytes.NewReader(p), int64(len(p)), sum[:])
				if err != nil {
					t.Fatal(err)
				}
				parts = append(parts, store.Part{Number: i + 1, ETag: etag, Size: int64(len(p))})
			}
			if _, err := st.CompleteMultipart(ctx, "uneven", id, parts); err != nil {
				t.Fatal(err)
			}
			read := func(st store.Store, n int) store.Info {
				t.Helper()
				r, info, err := st.Open(ctx, "uneven", store.ReadOptions{PartNumber: n, Length: -1})
				if err != nil {
					t.Fatalf("open part %d: %v", n, err)
				}
				got, err := io.ReadAll(r)
				r.Close()
				if err != nil || len(got) != sizes[n-1] {
					t.Fatalf("part %d: %d bytes, %v; want %d", n, len(got), err, sizes[n-1])
				}
				return info
			}
			cold := srv.Store(t, bucket, "")
			for _, n := range []int{3, 2, 1, 3} {
				if info := read(cold, n); info.Parts != 3 || info.PartSize != int64(sizes[0]) || info.Length != int64(sizes[n-1]) {
					t.Errorf("part %d: Parts %d PartSize %d Length %d, want 3, %d, %d", n, info.Parts, info.PartSize, info.Length, sizes[0], sizes[n-1])
				}
			}
		})
	}
}

// A key longer than S3 allows is the caller's to fix, not a failure to
// retry: ErrInvalidKey.
func TestKeyTooLong(t *testing.T) {
	for _, kind := range []string{s3test.MinIO, s3test.VersityGW} {
		t.Run(kind, func(t *testing.T) {
			srv := s3test.Shared(t, kind, "conformance")
			st := srv.Store(t, srv.Bucket(t), "")
			key := strings.Repeat("k", 1025)
			_, err := st.Put(context.Background(), store.PutInput{Key: key, Body: strings.NewReader("x"), Size: 1})
			if !errors.Is(err, store.ErrInvalidKey) || store.IsTransient(err) {
				t.Errorf("put of a %d-byte key: err = %v, want ErrInvalidKey, not transient", len(key), err)
			}
		})
	}
}

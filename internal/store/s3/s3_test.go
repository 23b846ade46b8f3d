package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
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

// A store opened on a prefix sees only the keys under it, without the prefix.
func TestPrefix(t *testing.T) {
	srv := s3test.Shared(t, s3test.MinIO, "conformance")
	bucket := srv.Bucket(t)
	whole := srv.Store(t, bucket, "")
	storetest.Put(t, whole, "outside", []byte("x"), store.Metadata{})
	storetest.Put(t, whole, "data-other/y", []byte("x"), store.Metadata{})
	sub := srv.Store(t, bucket, "data")
	storetest.Put(t, sub, "in/z", []byte("z"), store.Metadata{})
	keys := storetest.Keys(t, sub)
	if len(keys) != 1 || keys[0] != "in/z" {
		t.Errorf("prefixed listing = %q, want [in/z]", keys)
	}
	if k := storetest.Keys(t, whole); len(k) != 3 || k[2] != "outside" || k[0] != "data-other/y" || k[1] != "data/in/z" {
		t.Errorf("whole listing = %q", k)
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

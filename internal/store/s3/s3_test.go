package s3_test

import (
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

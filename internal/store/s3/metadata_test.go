package s3_test

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// UpdateMetadata replaces headers, user metadata and tags in place, keeps
// the body, honours its ETag condition, and reaches hostile keys through a
// prefix (x-amz-copy-source is escaped by hand).
func TestUpdateMetadata(t *testing.T) {
	for _, kind := range []string{s3test.MinIO, s3test.VersityGW} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			srv := s3test.Shared(t, kind, "conformance")
			s := srv.Store(t, srv.Bucket(t), "pre fix")
			for _, key := range []string{"plain.txt", "a b+c%d/é ü?&=.txt"} {
				put := storetest.Put(t, s, key, []byte("body of "+key), store.Metadata{
					ContentType: "text/plain", User: map[string]string{"owner": "x"}, Tags: map[string]string{"k": "v"}})
				want := store.Metadata{ContentType: "text/markdown", CacheControl: "no-cache",
					User: map[string]string{"owner": "ÿ", "new": "1"}, Tags: map[string]string{"t": "2"}}
				got, err := s.UpdateMetadata(ctx, key, put.ETag, want)
				if err != nil {
					t.Fatalf("%q: %v", key, err)
				}
				if got.Size != put.Size {
					t.Errorf("%q: size %d, want %d", key, got.Size, put.Size)
				}
				b, info := storetest.ReadAll(t, s, key)
				if string(b) != "body of "+key {
					t.Errorf("%q: body %q after the update", key, b)
				}
				st, err := s.Stat(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				if st.Meta.ContentType != want.ContentType || st.Meta.CacheControl != want.CacheControl ||
					!maps.Equal(st.Meta.User, want.User) || !maps.Equal(st.Meta.Tags, want.Tags) {
					t.Errorf("%q: metadata %+v, want %+v", key, st.Meta, want)
				}
				if !store.SameETag(info.ETag, got.ETag) {
					t.Errorf("%q: returned ETag %s, the store holds %s", key, got.ETag, info.ETag)
				}
			}
			_, err := s.UpdateMetadata(ctx, "plain.txt", "0123456789abcdef0123456789abcdef", store.Metadata{})
			if !errors.Is(err, store.ErrChanged) {
				t.Errorf("stale ETag: %v, want ErrChanged", err)
			}
			if _, err := s.UpdateMetadata(ctx, "absent", "", store.Metadata{}); !errors.Is(err, store.ErrNotExist) {
				t.Errorf("absent key: %v, want ErrNotExist", err)
			}
		})
	}
}

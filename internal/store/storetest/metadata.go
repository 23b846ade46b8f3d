package storetest

import (
	"bytes"
	"context"
	"maps"
	"testing"

	"github.com/sortie-dev/sortie/internal/store"
)

// RunMetadataUpdater runs the cases for store.MetadataUpdater; newStore
// returns an empty store. A store that does not implement
// store.MetadataUpdater fails: call it only for stores that update in place.
func RunMetadataUpdater(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Replace", func(t *testing.T) { testUpdateReplaces(t, newStore(t)) })
	t.Run("Conditional", func(t *testing.T) { testUpdateConditional(t, newStore(t)) })
	t.Run("NotExist", func(t *testing.T) { testUpdateNotExist(t, newStore(t)) })
}

func updaterOf(t *testing.T, s store.Store) store.MetadataUpdater {
	t.Helper()
	u, ok := s.(store.MetadataUpdater)
	if !ok {
		t.Fatalf("%s does not implement store.MetadataUpdater", s)
	}
	return u
}

// oldMeta and newMeta differ in every field, so a store that keeps any old
// one, or merges the maps, fails.
func oldMeta(s store.Store) store.Metadata {
	m := store.Metadata{
		ContentType:        "text/plain",
		ContentEncoding:    "identity",
		ContentDisposition: "inline",
		ContentLanguage:    "en",
		CacheControl:       "no-cache",
		Expires:            "Wed, 21 Oct 2037 07:28:00 GMT",
		User:               map[string]string{"old": "yes", "kept": "before"},
	}
	if s.Capabilities().Tags {
		m.Tags = map[string]string{"old": "yes", "kept": "before"}
	}
	return m
}

func newMeta(s store.Store) store.Metadata {
	m := store.Metadata{
		ContentType:        "application/json",
		ContentEncoding:    "gzip",
		ContentDisposition: `attachment; filename="x.json"`,
		ContentLanguage:    "fr-CA",
		CacheControl:       "max-age=60",
		Expires:            "Thu, 01 Jan 2037 00:00:00 GMT",
		User:               map[string]string{"kept": "after", "new": "données"},
	}
	if s.Capabilities().Tags {
		m.Tags = map[string]string{"kept": "after", "new": "yes"}
	}
	return m
}

// sameMeta reports whether got holds every field of want, maps whole.
func sameMeta(got, want store.Metadata) bool {
	return got.ContentType == want.ContentType && got.ContentEncoding == want.ContentEncoding &&
		got.ContentDisposition == want.ContentDisposition && got.ContentLanguage == want.ContentLanguage &&
		got.CacheControl == want.CacheControl && got.Expires == want.Expires &&
		maps.Equal(got.User, want.User) && maps.Equal(got.Tags, want.Tags)
}

// testUpdateReplaces: every field and the tag set are replaced, not
// merged; the body stays; the answer is what the store now holds.
func testUpdateReplaces(t *testing.T, s store.Store) {
	u := updaterOf(t, s)
	ctx := context.Background()
	body := []byte("the body stays")
	put := Put(t, s, "dir/obj", body, oldMeta(s))
	want := newMeta(s)
	obj, err := u.UpdateMetadata(ctx, "dir/obj", put.ETag, want)
	if err != nil {
		t.Fatalf("update metadata: %v", err)
	}
	got, info := ReadAll(t, s, "dir/obj")
	if !bytes.Equal(got, body) {
		t.Errorf("body after the update = %q, want %q", got, body)
	}
	if obj.Key != "dir/obj" || obj.Size != int64(len(body)) || !store.SameETag(obj.ETag, info.ETag) {
		t.Errorf("update returned key %q size %d ETag %q; want %q, %d and the store's %q", obj.Key, obj.Size, obj.ETag, "dir/obj", len(body), info.ETag)
	}
	st, err := s.Stat(ctx, "dir/obj")
	if err != nil {
		t.Fatal(err)
	}
	if !sameMeta(st.Meta, want) {
		t.Errorf("metadata after the update = %+v, want %+v", st.Meta, want)
	}
	// With no ETag the update is unconditional.
	want.User = map[string]string{"only": "this"}
	if _, err := u.UpdateMetadata(ctx, "dir/obj", "", want); err != nil {
		t.Fatalf("unconditional update: %v", err)
	}
	if st, err := s.Stat(ctx, "dir/obj"); err != nil || !maps.Equal(st.Meta.User, want.User) {
		t.Errorf("user metadata after an unconditional update = %v, %v; want %v", st.Meta.User, err, want.User)
	}
}

// testUpdateConditional: an ETag that is not the object's refuses the
// update with ErrChanged and leaves the metadata as it was.
func testUpdateConditional(t *testing.T, s store.Store) {
	u := updaterOf(t, s)
	ctx := context.Background()
	Put(t, s, "obj", []byte("first"), oldMeta(s))
	stale := Put(t, s, "other", []byte("another body"), store.Metadata{}).ETag
	_, err := u.UpdateMetadata(ctx, "obj", stale, newMeta(s))
	wantOpError(t, "update with another object's ETag", err, store.ErrChanged, "obj")
	if st, err := s.Stat(ctx, "obj"); err != nil || !sameMeta(st.Meta, oldMeta(s)) {
		t.Errorf("metadata after a refused update = %+v, %v; want %+v", st.Meta, err, oldMeta(s))
	}
}

// testUpdateNotExist: updating a key with no object is ErrNotExist and
// creates nothing.
func testUpdateNotExist(t *testing.T, s store.Store) {
	u := updaterOf(t, s)
	_, err := u.UpdateMetadata(context.Background(), "missing", "", newMeta(s))
	wantOpError(t, "update of a missing object", err, store.ErrNotExist, "missing")
	if keys := Keys(t, s); len(keys) != 0 {
		t.Errorf("a failed update left keys %q", keys)
	}
}

package inventory

import (
	"context"
	"io"
	"iter"
	"slices"
	"strings"

	"github.com/sortie-dev/sortie/internal/store"
)

// source is a store whose listing is an inventory's objects; everything
// else is its inner store's.
//
// It implements neither listing.Prober nor listing.PrefixLister: those
// answer from the live bucket, and the listing comes from the inventory.
// Of the optional interfaces, it keeps those the copy asks of a source,
// when — and only when — the inner store has them: store.Versioned
// (transfer's noteWritten reads a written version's lock and encryption
// with StatVersion; a history copy needs it) and store.Locker (the CLI
// reads the source's Object Lock configuration to create a destination
// bucket like it). It has no Multipart, PartLister, UploadLister or
// MetadataUpdater: those are asked of a destination, and an inventory is a
// source only.
type source struct {
	inner   store.Store
	objects []store.Object
}

type (
	withVersions struct {
		*source
		store.Versioned
	}
	withLock struct {
		*source
		store.Locker
	}
	withVersionsLock struct {
		*source
		store.Versioned
		store.Locker
	}
)

var (
	_ store.Store     = (*source)(nil)
	_ store.Versioned = withVersions{}
	_ store.Locker    = withLock{}
	_ store.Versioned = withVersionsLock{}
	_ store.Locker    = withVersionsLock{}
)

// Source returns a store whose List yields objects — sorted, each key
// once, as ReadObjects returns them — instead of inner's listing, and whose
// other methods are inner's. It has store.Versioned and store.Locker
// exactly when inner has them, and never listing's Prober or PrefixLister.
// Objects that are not in strictly ascending key order are a programming
// error: Source panics rather than break the listing's contract.
//
// The store lists only objects: a sync from it deletes, at a destination
// listed in full, every key the objects lack (see the package comment).
func Source(inner store.Store, objects []store.Object) store.Store {
	for i := 1; i < len(objects); i++ {
		if objects[i-1].Key >= objects[i].Key {
			panic("inventory.Source: objects not in strictly ascending key order: " +
				objects[i-1].Key + " then " + objects[i].Key)
		}
	}
	s := &source{inner: inner, objects: objects}
	v, isV := inner.(store.Versioned)
	l, isL := inner.(store.Locker)
	switch {
	case isV && isL:
		return withVersionsLock{s, v, l}
	case isV:
		return withVersions{s, v}
	case isL:
		return withLock{s, l}
	}
	return s
}

// List yields the inventory's objects after startAfter, in order. Their
// VersionID is empty, as in any listing: reads go to the current object.
func (s *source) List(ctx context.Context, startAfter string) iter.Seq2[store.Object, error] {
	return func(yield func(store.Object, error) bool) {
		i, found := slices.BinarySearchFunc(s.objects, startAfter, func(o store.Object, k string) int {
			return strings.Compare(o.Key, k)
		})
		if found {
			i++
		}
		for n := 0; ; n++ {
			// The first look is before anything is yielded: a cancelled
			// listing must never look complete, even an empty one.
			if n%ctxEvery == 0 {
				if err := ctx.Err(); err != nil {
					yield(store.Object{}, &store.OpError{Op: "list", Store: s.String(), Err: err})
					return
				}
			}
			if i >= len(s.objects) {
				return
			}
			if !yield(s.objects[i], nil) {
				return
			}
			i++
		}
	}
}

// Stat implements store.Store: the live object, from the inner store.
func (s *source) Stat(ctx context.Context, key string) (store.Info, error) {
	return s.inner.Stat(ctx, key)
}

// Open implements store.Store: the live object, from the inner store.
func (s *source) Open(ctx context.Context, key string, opts store.ReadOptions) (io.ReadCloser, store.Info, error) {
	return s.inner.Open(ctx, key, opts)
}

// Put implements store.Store. The inventory is not updated: it is a
// snapshot, and List goes on yielding what it held.
func (s *source) Put(ctx context.Context, in store.PutInput) (store.Object, error) {
	return s.inner.Put(ctx, in)
}

// Delete implements store.Store; as for Put, the inventory is not updated.
func (s *source) Delete(ctx context.Context, key string) error {
	return s.inner.Delete(ctx, key)
}

// Capabilities implements store.Store: the inner store's, without its
// multipart bounds, since a source has no store.Multipart and a store's
// capabilities never claim an interface it lacks.
func (s *source) Capabilities() store.Capabilities {
	c := s.inner.Capabilities()
	c.MinPartSize, c.MaxPartSize, c.MaxParts = 0, 0, 0
	return c
}

// String implements store.Store: the inner store's name, so that messages
// and the journal name the bucket, not how it was listed.
func (s *source) String() string { return s.inner.String() }

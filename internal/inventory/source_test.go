package inventory

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/sortie-dev/sortie/internal/listing"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/mem"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// filled returns a mem store holding the keys of data-current.csv, and
// the store's own listing of them.
func filled(t *testing.T) (*mem.Store, []store.Object) {
	t.Helper()
	s := mem.New("inventory-source")
	keys := []string{"1+2=3.txt", "a/b/", "café/日本.txt", "object key with spaces", "objectkey2",
		"photos/jpgs/object key with spaces", "photos/jpgs/objectkey4"}
	for _, k := range keys {
		storetest.Put(t, s, k, []byte("body of "+k), store.Metadata{})
	}
	var objs []store.Object
	for o, err := range s.List(context.Background(), "") {
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	return s, objs
}

func TestSourceReadOnlyContract(t *testing.T) {
	inner, objs := filled(t)
	storetest.RunReadOnly(t, Source(inner, objs))
}

func keys(t *testing.T, s store.Store, startAfter string) []string {
	t.Helper()
	var ks []string
	for o, err := range s.List(context.Background(), startAfter) {
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, o.Key)
	}
	return ks
}

func TestSourceList(t *testing.T) {
	inner, all := filled(t)
	// The inventory is a snapshot: it lists what it held, not what the
	// bucket holds now (one key written since, one not listed).
	objs := slices.Clone(all[1:])
	storetest.Put(t, inner, "written-since", []byte("new"), store.Metadata{})
	s := Source(inner, objs)
	for _, c := range []struct {
		after string
		want  []string
	}{
		{"", []string{"a/b/", "café/日本.txt", "object key with spaces", "objectkey2", "photos/jpgs/object key with spaces", "photos/jpgs/objectkey4"}},
		{"a/b/", []string{"café/日本.txt", "object key with spaces", "objectkey2", "photos/jpgs/object key with spaces", "photos/jpgs/objectkey4"}},
		{"a", []string{"a/b/", "café/日本.txt", "object key with spaces", "objectkey2", "photos/jpgs/object key with spaces", "photos/jpgs/objectkey4"}},
		{"object", []string{"object key with spaces", "objectkey2", "photos/jpgs/object key with spaces", "photos/jpgs/objectkey4"}},
		{"objectkey2", []string{"photos/jpgs/object key with spaces", "photos/jpgs/objectkey4"}},
		{"photos/jpgs/objectkey4", nil},
		{"zzz", nil},
	} {
		if got := keys(t, s, c.after); !slices.Equal(got, c.want) {
			t.Errorf("after %q:\ngot  %q\nwant %q", c.after, got, c.want)
		}
	}
	// Stat and Open reach the inner store, for listed and unlisted keys.
	for _, k := range []string{"a/b/", "1+2=3.txt", "written-since"} {
		if info, err := s.Stat(context.Background(), k); err != nil || info.Key != k {
			t.Errorf("stat %q: got %+v, %v", k, info, err)
		}
		rc, _, err := s.Open(context.Background(), k, store.ReadOptions{Length: -1})
		if err != nil {
			t.Fatalf("open %q: %v", k, err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if want, _ := inner.Body(k); string(b) != string(want) {
			t.Errorf("open %q: got %q, want %q", k, b, want)
		}
	}
	if _, err := s.Stat(context.Background(), "missing"); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("stat missing: got %v, want ErrNotExist", err)
	}
	if s.String() != inner.String() {
		t.Errorf("String: got %q, want the inner store's %q", s.String(), inner.String())
	}
	// Early stop.
	for range s.List(context.Background(), "") {
		break
	}
}

func TestSourceEmptyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var errs int
	for o, err := range Source(mem.New("empty"), nil).List(ctx, "") {
		if err == nil || !errors.Is(err, context.Canceled) || o != (store.Object{}) {
			t.Errorf("got %+v, %v; want one error wrapping context.Canceled", o, err)
		}
		errs++
	}
	if errs != 1 {
		t.Errorf("got %d errors, want 1", errs)
	}
}

// plain hides every optional interface of the store it holds.
type plain struct{ store.Store }

// locking has Object Lock but no versions (none of the repo's stores is
// such, but a wrapper must follow whatever its inner store has).
type locking struct{ store.Store }

func (locking) LockConfig(context.Context) (store.BucketLock, error) {
	return store.BucketLock{Enabled: true}, nil
}
func (locking) ProbeLock(context.Context) error { return nil }

// lockingVersioned has both.
type lockingVersioned struct {
	*mem.Store
	locking
}

func TestSourceAbilities(t *testing.T) {
	inner, objs := filled(t)
	for _, c := range []struct {
		name         string
		inner        store.Store
		versioned    bool
		locker       bool
		innerMinPart int64
	}{
		{"mem (versions, multipart)", inner, true, false, 1},
		{"plain", plain{inner}, false, false, 1},
		{"lock only", locking{plain{inner}}, false, true, 1},
		{"versions and lock", lockingVersioned{inner, locking{}}, true, true, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := Source(c.inner, objs)
			if _, ok := s.(listing.Prober); ok {
				t.Error("implements listing.Prober: its probes would list the live bucket, not the inventory")
			}
			if _, ok := s.(listing.PrefixLister); ok {
				t.Error("implements listing.PrefixLister: it would list the live bucket, not the inventory")
			}
			if _, ok := s.(store.Versioned); ok != c.versioned {
				t.Errorf("store.Versioned: got %v, want %v (as the inner store)", ok, c.versioned)
			}
			if _, ok := s.(store.Locker); ok != c.locker {
				t.Errorf("store.Locker: got %v, want %v (as the inner store)", ok, c.locker)
			}
			for name, ok := range map[string]bool{
				"Multipart":       is[store.Multipart](s),
				"PartLister":      is[store.PartLister](s),
				"UploadLister":    is[store.UploadLister](s),
				"MetadataUpdater": is[store.MetadataUpdater](s),
			} {
				if ok {
					t.Errorf("implements store.%s, a destination's ability", name)
				}
			}
			if c := s.Capabilities(); c.MinPartSize != 0 || c.MaxPartSize != 0 || c.MaxParts != 0 || !c.ETagIsMD5 {
				t.Errorf("capabilities %+v: want the inner store's without multipart bounds", c)
			}
			if got := keys(t, s, ""); len(got) != len(objs) {
				t.Errorf("listed %d keys, want %d", len(got), len(objs))
			}
		})
	}
	// What is forwarded is the inner store's.
	s := Source(inner, objs)
	if _, err := s.(store.Versioned).StatVersion(context.Background(), "objectkey2", "no-such-version"); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("StatVersion of a missing version: got %v, want ErrNotExist", err)
	}
	if l, err := Source(locking{inner}, objs).(store.Locker).LockConfig(context.Background()); err != nil || !l.Enabled {
		t.Errorf("LockConfig: got %+v, %v", l, err)
	}
}

func is[T any](s store.Store) bool { _, ok := s.(T); return ok }

func TestSourceRefusesUnsorted(t *testing.T) {
	for _, objs := range [][]store.Object{
		{{Key: "b"}, {Key: "a"}},
		{{Key: "a"}, {Key: "a"}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v: no panic", objs)
				}
			}()
			Source(mem.New("x"), objs)
		}()
	}
}

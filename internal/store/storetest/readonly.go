package storetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"slices"
	"testing"

	"github.com/sortie-dev/sortie/internal/store"
)

// readLimit bounds how many objects RunReadOnly reads, so that it can run on
// a generated store of millions.
const readLimit = 64

// RunReadOnly checks the reading half of the contract — listing, Stat, Open
// with ranges and IfMatch, capabilities — on a store that already holds at
// least two objects and keeps nothing it is given: a generated source such
// as synth, or a decorator over one. It reads at most the first 64 objects.
func RunReadOnly(t *testing.T, s store.Store) {
	t.Run("Capabilities", func(t *testing.T) { testCapabilities(t, s) })
	t.Run("List", func(t *testing.T) { testReadList(t, s) })
	t.Run("StatAndOpen", func(t *testing.T) { testReadObjects(t, s) })
	t.Run("IfMatch", func(t *testing.T) { testReadIfMatch(t, s) })
	t.Run("NotExist", func(t *testing.T) {
		ctx := context.Background()
		_, err := s.Stat(ctx, "storetest-missing/none")
		wantOpError(t, "stat missing", err, store.ErrNotExist, "storetest-missing/none")
		_, _, err = s.Open(ctx, "storetest-missing/none", store.ReadOptions{Length: -1})
		wantOpError(t, "open missing", err, store.ErrNotExist, "storetest-missing/none")
	})
	t.Run("ListCancelled", func(t *testing.T) { testListCancelled(t, s, false) })
}

// first lists up to n objects after startAfter.
func first(t *testing.T, s store.Store, startAfter string, n int) []store.Object {
	t.Helper()
	var objs []store.Object
	if n <= 0 {
		return nil
	}
	for o, err := range s.List(context.Background(), startAfter) {
		if err != nil {
			t.Fatalf("list after %q: %v", startAfter, err)
		}
		objs = append(objs, o)
		if len(objs) == n {
			break
		}
	}
	return objs
}

func leading(t *testing.T, s store.Store) []store.Object {
	t.Helper()
	objs := first(t, s, "", readLimit)
	if len(objs) < 2 {
		t.Fatalf("%s lists %d objects; RunReadOnly needs at least two", s, len(objs))
	}
	return objs
}

func testReadList(t *testing.T, s store.Store) {
	objs := leading(t, s)
	for i := 1; i < len(objs); i++ {
		if objs[i-1].Key >= objs[i].Key {
			t.Fatalf("listing not strictly ascending: %q then %q", objs[i-1].Key, objs[i].Key)
		}
	}
	for _, i := range []int{0, len(objs) / 2, len(objs) - 2} {
		rest := first(t, s, objs[i].Key, len(objs)-i-1)
		if got, want := keysOf(rest), keysOf(objs[i+1:]); !slices.Equal(got, want) {
			t.Errorf("list after %q:\ngot  %q\nwant %q", objs[i].Key, got, want)
		}
	}
}

func keysOf(objs []store.Object) []string {
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	return keys
}

// testReadObjects: every listed object stats and opens as listed, and its
// ranges are slices of its whole body.
func testReadObjects(t *testing.T, s store.Store) {
	ctx := context.Background()
	md5Lies := false // report one object, not all 64
	for _, o := range leading(t, s) {
		st, err := s.Stat(ctx, o.Key)
		if err != nil {
			t.Fatalf("stat listed %q: %v", o.Key, err)
		}
		if st.Key != o.Key || st.Size != o.Size || !store.SameETag(st.ETag, o.ETag) {
			t.Errorf("stat %q: key %q size %d ETag %q; listed with %d and %q", o.Key, st.Key, st.Size, st.ETag, o.Size, o.ETag)
		}
		body, info := ReadAll(t, s, o.Key)
		if int64(len(body)) != o.Size || info.Size != o.Size || info.Length != o.Size {
			t.Errorf("open %q: %d bytes, Size %d, Length %d; listed with %d", o.Key, len(body), info.Size, info.Length, o.Size)
		}
		if _, parts, ok := store.ParseETag(o.ETag); s.Capabilities().ETagIsMD5 && !md5Lies && (!ok || parts == 0) {
			if sum := md5.Sum(body); !store.SameETag(o.ETag, hex.EncodeToString(sum[:])) {
				md5Lies = true
				t.Errorf("%q: ETag %q is not the MD5 of its body (%x), though the store says ETagIsMD5", o.Key, o.ETag, sum)
			}
		}
		if len(body) < 2 {
			continue
		}
		off, n := int64(len(body)/2), int64(len(body)/4+1)
		r, rinfo, err := s.Open(ctx, o.Key, store.ReadOptions{Offset: off, Length: n})
		if err != nil {
			t.Fatalf("open %q at %d+%d: %v", o.Key, off, n, err)
		}
		part, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := body[off:min(off+n, int64(len(body)))]; !bytes.Equal(part, want) || rinfo.Length != int64(len(want)) || rinfo.Size != o.Size {
			t.Errorf("%q at %d+%d: %d bytes, Length %d, Size %d; want %d, %d, %d", o.Key, off, n, len(part), rinfo.Length, rinfo.Size, len(want), len(want), o.Size)
		}
	}
}

func testReadIfMatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	objs := leading(t, s)
	o := objs[0]
	never := "00000000000000000000000000000000"
	if store.SameETag(o.ETag, never) {
		never = "ffffffffffffffffffffffffffffffff"
	}
	r, _, err := s.Open(ctx, o.Key, store.ReadOptions{Length: -1, IfMatch: never})
	wantOpError(t, "open with an ETag the object does not have", err, store.ErrChanged, o.Key)
	if r != nil {
		r.Close()
	}
	// Another object's ETag is stale for this one, when they differ.
	for _, other := range objs[1:] {
		if other.ETag != "" && !store.SameETag(other.ETag, o.ETag) {
			_, _, err := s.Open(ctx, o.Key, store.ReadOptions{Length: 1, IfMatch: other.ETag})
			wantOpError(t, "ranged open with another object's ETag", err, store.ErrChanged, o.Key)
			break
		}
	}
	if o.ETag == "" {
		return // no ETag to match: every IfMatch fails, as checked above
	}
	r, _, err = s.Open(ctx, o.Key, store.ReadOptions{Length: -1, IfMatch: o.ETag})
	if err != nil {
		t.Fatalf("open %q on its own ETag: %v", o.Key, err)
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil || int64(len(b)) != o.Size {
		t.Errorf("open %q on its own ETag: %d bytes, %v; want %d", o.Key, len(b), err, o.Size)
	}
}

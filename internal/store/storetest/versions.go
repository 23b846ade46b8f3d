package storetest

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/store"
)

// versioningSetter is a store that can enable or suspend its bucket's
// versioning (store/s3's SetVersioning, mem's), for the suspended case.
type versioningSetter interface {
	SetVersioning(ctx context.Context, v store.Versioning) error
}

// RunVersioned runs the cases for store.Versioned; newStore returns an
// empty store whose versioning is enabled. A store that does not implement
// store.Versioned fails: call RunVersioned only for stores that keep history.
func RunVersioned(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("History", func(t *testing.T) { testHistory(t, newStore(t)) })
	t.Run("HistoryCancelled", func(t *testing.T) { testHistoryCancelled(t, newStore(t)) })
	t.Run("Suspended", func(t *testing.T) { testSuspended(t, newStore(t)) })
	t.Run("MultipartVersion", func(t *testing.T) { testMultipartVersion(t, newStore(t)) })
	t.Run("HostileKeys", func(t *testing.T) { testHistoryHostileKeys(t, newStore(t)) })
}

// testHistoryHostileKeys: the keys that break naive tools, two versions
// each, list in bytewise order with their histories whole; a key too long
// for the store under its prefix is left out.
func testHistoryHostileKeys(t *testing.T, s store.Store) {
	vs := versionedOf(t, s)
	ctx := context.Background()
	var want []entry
	for _, k := range HostileKeys {
		var h []entry
		for _, body := range []string{"first " + k, "second"} {
			sum := md5.Sum([]byte(body))
			obj, err := s.Put(ctx, store.PutInput{Key: k, Body: strings.NewReader(body), Size: int64(len(body)), MD5: sum[:]})
			if errors.Is(err, store.ErrInvalidKey) {
				break
			}
			if err != nil {
				t.Fatalf("put %q: %v", k, err)
			}
			h = append(h, entry{key: k, body: []byte(body), id: obj.VersionID})
		}
		if len(h) == 2 {
			want = append(want, h...)
		}
	}
	if len(want) < 2*(len(HostileKeys)-1) {
		t.Fatalf("only %d of %d hostile keys could be written", len(want)/2, len(HostileKeys))
	}
	want = expected(want)
	checkHistory(t, s, Versions(t, vs, ""), want)
	// Resuming after each hostile key gives the rest.
	for i := 1; i < len(want); i += 2 {
		checkHistory(t, s, Versions(t, vs, want[i].key), want[i+1:])
	}
}

// testMultipartVersion: a completed upload is a new version, and says which.
func testMultipartVersion(t *testing.T, s store.Store) {
	vs := versionedOf(t, s)
	mp := multipartOf(t, s)
	ctx := context.Background()
	first := Put(t, s, "big", []byte("single"), store.Metadata{})
	id, err := mp.CreateMultipart(ctx, "big", store.Metadata{}, "")
	if err != nil {
		t.Fatal(err)
	}
	part := uploadPart(t, s, mp, "big", id, 1, []byte("one part"))
	obj, err := mp.CompleteMultipart(ctx, "big", id, []store.Part{part})
	if err != nil {
		t.Fatal(err)
	}
	got := Versions(t, vs, "")
	if len(got) != 2 || obj.VersionID == "" || got[0].VersionID != obj.VersionID || got[1].VersionID != first.VersionID || got[0].Size != 8 {
		t.Errorf("completed upload gave version %q over %q; listing:%s", obj.VersionID, first.VersionID, describe(got))
	}
}

func versionedOf(t *testing.T, s store.Store) store.Versioned {
	t.Helper()
	v, ok := s.(store.Versioned)
	if !ok {
		t.Fatalf("%s does not implement store.Versioned", s)
	}
	return v
}

// entry is what a test wrote, newest last: a body, or a delete (a nil body).
type entry struct {
	key    string
	body   []byte
	id     string // the version's ID, read back after the write; "" for a marker
	marker bool
}

// history writes ops in order and returns them with the IDs the store gave
// the versions (Stat after each write).
func writeHistory(t *testing.T, s store.Store, ops []entry) []entry {
	t.Helper()
	ctx := context.Background()
	out := make([]entry, len(ops))
	for i, op := range ops {
		out[i] = op
		if op.marker {
			if err := s.Delete(ctx, op.key); err != nil {
				t.Fatalf("delete %q: %v", op.key, err)
			}
			continue
		}
		put := Put(t, s, op.key, op.body, store.Metadata{})
		info, err := s.Stat(ctx, op.key)
		if err != nil {
			t.Fatalf("stat %q after its put: %v", op.key, err)
		}
		if info.VersionID == "" || put.VersionID != info.VersionID {
			t.Fatalf("%q in a versioned store: put gave version %q, stat %q; want the same, not empty", op.key, put.VersionID, info.VersionID)
		}
		out[i].id = info.VersionID
	}
	return out
}

// expected is the listing ops must give: keys ascending, each key newest
// first, in the order the test wrote them.
func expected(ops []entry) []entry {
	var want []entry
	for i := len(ops) - 1; i >= 0; i-- {
		want = append(want, ops[i])
	}
	slices.SortStableFunc(want, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	return want
}

// Versions lists every version of s, failing the test on error.
func Versions(t testing.TB, s store.Versioned, startAfter string) []store.Version {
	t.Helper()
	var vs []store.Version
	for v, err := range s.Versions(context.Background(), startAfter) {
		if err != nil {
			t.Fatalf("list versions: %v", err)
		}
		vs = append(vs, v)
	}
	return vs
}

func describe(vs []store.Version) string {
	var b strings.Builder
	for _, v := range vs {
		kind := "version"
		if v.DeleteMarker {
			kind = "marker"
		}
		fmt.Fprintf(&b, "\n\t%s %s %s latest=%v size=%d %s", v.Key, kind, v.VersionID, v.IsLatest, v.Size, v.ModTime.Format("15:04:05.000000000"))
	}
	return b.String()
}

// checkHistory compares a listing with what the test wrote, in order and
// field by field.
func checkHistory(t *testing.T, s store.Store, got []store.Version, want []entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("listed %d entries, wrote %d:%s", len(got), len(want), describe(got))
	}
	ids := map[string]bool{}
	for i, w := range want {
		g := got[i]
		latest := i == 0 || want[i-1].key != w.key
		if g.Key != w.key || g.DeleteMarker != w.marker || g.IsLatest != latest || (!w.marker && g.VersionID != w.id) {
			t.Fatalf("entry %d = %s %q marker=%v latest=%v, want %q marker=%v latest=%v id %q; listing:%s",
				i, g.Key, g.VersionID, g.DeleteMarker, g.IsLatest, w.key, w.marker, latest, w.id, describe(got))
		}
		if g.VersionID == "" || ids[g.Key+"\x00"+g.VersionID] {
			t.Errorf("entry %d (%q): version ID %q empty or repeated", i, g.Key, g.VersionID)
		}
		ids[g.Key+"\x00"+g.VersionID] = true
		if g.ModTime.IsZero() {
			t.Errorf("entry %d (%q %s): no ModTime", i, g.Key, g.VersionID)
		}
		if w.marker {
			if g.Size != 0 || g.ETag != "" {
				t.Errorf("marker %q %s: size %d ETag %q, want none", g.Key, g.VersionID, g.Size, g.ETag)
			}
			continue
		}
		sum := md5.Sum(w.body)
		if g.Size != int64(len(w.body)) || (s.Capabilities().ETagIsMD5 && !store.SameETag(g.ETag, hex.EncodeToString(sum[:]))) {
			t.Errorf("version %q %s: size %d ETag %q, want %d and %x", g.Key, g.VersionID, g.Size, g.ETag, len(w.body), sum)
		}
		if g.StorageClass == "" {
			t.Errorf("version %q %s: no storage class", g.Key, g.VersionID)
		}
	}
}

// testHistory: several versions per key, a delete marker between versions,
// one on top, keys whose bytewise order differs from a walk's; listed in
// order, each version readable by its ID, each marker not.
func testHistory(t *testing.T, s store.Store) {
	vs := versionedOf(t, s)
	ctx := context.Background()
	if v, err := vs.Versioning(ctx); err != nil || v != store.VersioningEnabled {
		t.Fatalf("versioning = %q, %v; want %q", v, err, store.VersioningEnabled)
	}
	ops := writeHistory(t, s, []entry{
		{key: "k", body: []byte("one")},
		{key: "a/b", body: []byte("slash one")},
		{key: "k", marker: true},
		{key: "a-b", body: []byte("dash")},
		{key: "k", body: []byte("two")},
		{key: "m", body: []byte("m one")},
		{key: "k", body: []byte("three, longer")},
		{key: "a/b", body: []byte("slash two")},
		{key: "m", body: []byte("m two")},
		{key: "m", marker: true},
		{key: "a-b", marker: true},
		{key: "a-b", body: []byte("dash again")},
		{key: "z", body: nil},
	})
	want := expected(ops)
	got := Versions(t, vs, "")
	checkHistory(t, s, got, want)

	// startAfter resumes after a key's whole history.
	var after []entry
	for _, w := range want {
		if w.key > "k" {
			after = append(after, w)
		}
	}
	checkHistory(t, s, Versions(t, vs, "k"), after)

	// Every version reads back by its ID, whole and by Stat; a marker has
	// neither body nor metadata.
	for i, w := range want {
		g := got[i]
		if w.marker {
			_, err := vs.StatVersion(ctx, w.key, g.VersionID)
			wantOpError(t, fmt.Sprintf("stat of marker %q %s", w.key, g.VersionID), err, store.ErrNotExist, w.key)
			r, _, err := s.Open(ctx, w.key, store.ReadOptions{Length: -1, VersionID: g.VersionID})
			wantOpError(t, fmt.Sprintf("open of marker %q %s", w.key, g.VersionID), err, store.ErrNotExist, w.key)
			if r != nil {
				r.Close()
			}
			continue
		}
		r, info, err := s.Open(ctx, w.key, store.ReadOptions{Length: -1, VersionID: w.id})
		if err != nil {
			t.Errorf("open %q version %s: %v", w.key, w.id, err)
			continue
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil || string(b) != string(w.body) || info.VersionID != w.id {
			t.Errorf("open %q version %s = %q (version %s), %v; want %q", w.key, w.id, b, info.VersionID, err, w.body)
		}
		st, err := vs.StatVersion(ctx, w.key, w.id)
		if err != nil || st.Size != int64(len(w.body)) || st.VersionID != w.id || !store.SameETag(st.ETag, g.ETag) {
			t.Errorf("stat %q version %s = size %d version %s ETag %q, %v; want %d, %s, %q", w.key, w.id, st.Size, st.VersionID, st.ETag, err, len(w.body), w.id, g.ETag)
		}
	}
	r, _, err := s.Open(ctx, "a/b", store.ReadOptions{Offset: 6, Length: 3, VersionID: ops[1].id})
	if err != nil {
		t.Fatalf("ranged open of a noncurrent version: %v", err)
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(b) != "one" {
		t.Errorf("range of a noncurrent version = %q, %v; want %q", b, err, "one")
	}

	// A version ID the key never had (another key's) is not found.
	_, err = vs.StatVersion(ctx, "k", ops[len(ops)-1].id)
	wantOpError(t, "stat of another key's version", err, store.ErrNotExist, "k")
	r, _, err = s.Open(ctx, "k", store.ReadOptions{Length: -1, VersionID: ops[len(ops)-1].id})
	wantOpError(t, "open of another key's version", err, store.ErrNotExist, "k")
	if r != nil {
		r.Close()
	}

	// The current view hides what the markers on top hide.
	if _, err := s.Stat(ctx, "m"); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("stat of a key whose latest is a marker: err = %v, want ErrNotExist", err)
	}
	if keys := Keys(t, s); !slices.Equal(keys, []string{"a-b", "a/b", "k", "z"}) {
		t.Errorf("current keys = %q, want [a-b a/b k z]", keys)
	}
	h, err := store.CountHistory(vs.Versions(ctx, ""))
	// Current: a-b, a/b, k, z; noncurrent: two of k, one each of a-b and
	// a/b, two of m; markers: one of k, one of a-b, and m's on top.
	wantH := store.History{Current: 4, Noncurrent: 6, NoncurrentBytes: int64(len("one") + len("two") + len("slash one") + len("dash") + len("m one") + len("m two")),
		DeleteMarkers: 3, Hidden: 1}
	if err != nil || h != wantH || !h.LeftBehind() {
		t.Errorf("history = %+v, %v; want %+v", h, err, wantH)
	}
}

// testHistoryCancelled: a listing of versions under a cancelled context
// ends with an error, never as if complete.
func testHistoryCancelled(t *testing.T, s store.Store) {
	vs := versionedOf(t, s)
	Put(t, s, "a", []byte("a"), store.Metadata{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	endsCancelled(t, vs.Versions(ctx, ""), func(v store.Version) string { return v.Key }, "a listing of versions")
}

// testSuspended: with versioning suspended, a write replaces the key's null
// version and keeps the others; a delete puts a null marker in its place.
func testSuspended(t *testing.T, s store.Store) {
	vs := versionedOf(t, s)
	set, ok := s.(versioningSetter)
	if !ok {
		t.Fatalf("%s cannot suspend versioning: RunVersioned needs a store that can (SetVersioning)", s)
	}
	ctx := context.Background()
	ops := writeHistory(t, s, []entry{{key: "n", body: []byte("versioned")}})
	if err := set.SetVersioning(ctx, store.VersioningSuspended); err != nil {
		t.Fatalf("suspend versioning: %v", err)
	}
	if v, err := vs.Versioning(ctx); err != nil || v != store.VersioningSuspended {
		t.Fatalf("versioning = %q, %v; want %q", v, err, store.VersioningSuspended)
	}
	Put(t, s, "n", []byte("null one"), store.Metadata{})
	Put(t, s, "n", []byte("null two"), store.Metadata{})
	want := []entry{{key: "n", body: []byte("null two"), id: store.NullVersion}, ops[0]}
	checkHistory(t, s, Versions(t, vs, ""), want)
	if err := s.Delete(ctx, "n"); err != nil {
		t.Fatal(err)
	}
	got := Versions(t, vs, "")
	want = []entry{{key: "n", marker: true}, ops[0]}
	checkHistory(t, s, got, want)
	if got[0].VersionID != store.NullVersion {
		t.Errorf("marker written while suspended has version %q, want %q", got[0].VersionID, store.NullVersion)
	}
}

// testVersionsUnversioned: a store that can keep history but whose bucket
// was never versioned lists each object once, as its null version.
func testVersionsUnversioned(t *testing.T, s store.Store) {
	vs, ok := s.(store.Versioned)
	if !ok {
		t.Skipf("%s does not implement store.Versioned", s)
	}
	if v, err := vs.Versioning(context.Background()); err != nil || v != store.VersioningOff {
		t.Fatalf("versioning of a new store = %q, %v; want off", v, err)
	}
	Put(t, s, "b", []byte("b1"), store.Metadata{})
	Put(t, s, "b", []byte("b2!"), store.Metadata{})
	Put(t, s, "a", []byte("a"), store.Metadata{})
	Put(t, s, "c", []byte("c"), store.Metadata{})
	if err := s.Delete(context.Background(), "c"); err != nil {
		t.Fatal(err)
	}
	want := []entry{{key: "a", body: []byte("a"), id: store.NullVersion}, {key: "b", body: []byte("b2!"), id: store.NullVersion}}
	checkHistory(t, s, Versions(t, vs, ""), want)

	// Enabling versioning keeps what was there as null versions, under
	// the new ones.
	set, ok := s.(versioningSetter)
	if !ok {
		return
	}
	if err := set.SetVersioning(context.Background(), store.VersioningEnabled); err != nil {
		t.Logf("%s cannot enable versioning (%v): the rest is for stores that can", s, err)
		return
	}
	ops := writeHistory(t, s, []entry{{key: "a", body: []byte("a, versioned")}})
	want = []entry{ops[0], want[0], want[1]}
	checkHistory(t, s, Versions(t, vs, ""), want)
	if b, _ := ReadAll(t, s, "a"); string(b) != "a, versioned" {
		t.Errorf("current a = %q", b)
	}
	r, _, err := s.Open(context.Background(), "a", store.ReadOptions{Length: -1, VersionID: store.NullVersion})
	if err != nil {
		t.Fatalf("open the null version: %v", err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "a" {
		t.Errorf("null version of a = %q, want %q", b, "a")
	}
}

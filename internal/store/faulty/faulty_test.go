package faulty_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/faulty"
	fsstore "github.com/sortie-dev/sortie/internal/store/fs"
	"github.com/sortie-dev/sortie/internal/store/mem"
	"github.com/sortie-dev/sortie/internal/store/storetest"
	"github.com/sortie-dev/sortie/internal/store/synth"
)

func newFS(t *testing.T) *fsstore.Store {
	t.Helper()
	s, err := fsstore.New(filepath.Join(t.TempDir(), "dst"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// With no faults set, the decorator is the store it wraps: it passes the
// suite over a store with every ability (mem), one with none (fs), and a
// generated read-only one (synth).
func TestConformance(t *testing.T) {
	t.Run("mem", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store { return faulty.Wrap(mem.New(t.Name()), nil) })
	})
	t.Run("fs", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store { return faulty.Wrap(newFS(t), nil) })
	})
	t.Run("synth", func(t *testing.T) {
		storetest.RunReadOnly(t, faulty.Wrap(&synth.Store{Name: "src", N: 100, Size: 64, WithETags: true}, &faulty.Faults{}))
	})
	// The optional abilities mem has and fs lacks, through the decorator,
	// suspending versioning included.
	t.Run("mem/Versioned", func(t *testing.T) {
		storetest.RunVersioned(t, func(t *testing.T) store.Store {
			s := mem.New(t.Name())
			if err := s.SetVersioning(context.Background(), store.VersioningEnabled); err != nil {
				t.Fatal(err)
			}
			return faulty.Wrap(s, nil)
		})
	})
	t.Run("mem/MetadataUpdater", func(t *testing.T) {
		storetest.RunMetadataUpdater(t, func(t *testing.T) store.Store { return faulty.Wrap(mem.New(t.Name()), nil) })
	})
}

// Stores with some of the optional abilities, built from mem's.
type (
	multipartOnly struct {
		store.Store
		store.Multipart
	}
	withParts struct {
		store.Store
		store.Multipart
		store.PartLister
	}
	withUploads struct {
		store.Store
		store.Multipart
		store.UploadLister
	}
	// A lister without Multipart breaks store.go's contract; the
	// decorator must not pass it on.
	partsOnly struct {
		store.Store
		store.PartLister
	}
	versionedOnly struct {
		store.Store
		store.Versioned
	}
	updaterOnly struct {
		store.Store
		store.MetadataUpdater
	}
	multipartVersioned struct {
		store.Store
		store.Multipart
		store.UploadLister
		store.Versioned
	}
	partsUpdater struct {
		store.Store
		store.Multipart
		store.PartLister
		store.MetadataUpdater
	}
)

type abilities struct{ multipart, parts, uploads, versioned, updater bool }

func abilitiesOf(s store.Store) abilities {
	_, mp := s.(store.Multipart)
	_, pl := s.(store.PartLister)
	_, ul := s.(store.UploadLister)
	_, v := s.(store.Versioned)
	_, u := s.(store.MetadataUpdater)
	return abilities{mp, pl, ul, v, u}
}

// The decorator has the abilities its inner store has, no more, no fewer.
func TestAbilitiesFollowTheInnerStore(t *testing.T) {
	m := mem.New("m")
	for _, tc := range []struct {
		name  string
		inner store.Store
		want  abilities
	}{
		{"fs", newFS(t), abilities{}},
		{"synth", &synth.Store{}, abilities{}},
		{"multipart only", multipartOnly{m, m}, abilities{multipart: true}},
		{"multipart and parts", withParts{m, m, m}, abilities{multipart: true, parts: true}},
		{"multipart and uploads", withUploads{m, m, m}, abilities{multipart: true, uploads: true}},
		{"versioned only", versionedOnly{m, m}, abilities{versioned: true}},
		{"updater only", updaterOnly{m, m}, abilities{updater: true}},
		{"multipart, uploads, versioned", multipartVersioned{m, m, m, m}, abilities{multipart: true, uploads: true, versioned: true}},
		{"multipart, parts, updater", partsUpdater{m, m, m, m}, abilities{multipart: true, parts: true, updater: true}},
		{"mem", m, abilities{true, true, true, true, true}},
	} {
		if got := abilitiesOf(tc.inner); got != tc.want {
			t.Fatalf("%s: the inner store has %+v, the table says %+v", tc.name, got, tc.want)
		}
		if got := abilitiesOf(faulty.Wrap(tc.inner, nil)); got != tc.want {
			t.Errorf("%s: wrapped, %+v; want %+v", tc.name, got, tc.want)
		}
	}
	if got := abilitiesOf(faulty.Wrap(partsOnly{m, m}, nil)); got != (abilities{}) {
		t.Errorf("parts without multipart: wrapped, %+v; want none", got)
	}
}

func read(t *testing.T, s store.Store, key string, opts store.ReadOptions) ([]byte, store.Info, error) {
	t.Helper()
	r, info, err := s.Open(context.Background(), key, opts)
	if err != nil {
		return nil, info, err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return b, info, err
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	body := []byte("0123456789")
	boom := errors.New("boom")
	for _, tc := range []struct {
		name   string
		faults *faulty.Faults
		check  func(t *testing.T, s store.Store, f *faulty.Faults)
	}{
		{"OpenErr fails the chosen call only", &faulty.Faults{OpenErr: func(k string, n int) error {
			if n == 2 {
				return boom
			}
			return nil
		}}, func(t *testing.T, s store.Store, f *faulty.Faults) {
			for n, want := range []error{nil, boom, nil} {
				if _, _, err := read(t, s, "k", store.ReadOptions{Length: -1}); !errors.Is(err, want) {
					t.Errorf("open %d: err = %v, want %v", n+1, err, want)
				}
			}
			if got := f.Calls("open", "k"); got != 3 {
				t.Errorf("Calls(open) = %d, want 3", got)
			}
		}},
		{"CorruptRead flips one byte", &faulty.Faults{CorruptRead: func(string, int) bool { return true }},
			func(t *testing.T, s store.Store, f *faulty.Faults) {
				b, _, err := read(t, s, "k", store.ReadOptions{Length: -1})
				if err != nil || len(b) != len(body) || bytes.Equal(b, body) {
					t.Fatalf("read %q, %v; want %d bytes unlike %q", b, err, len(body), body)
				}
				diff := 0
				for i := range b {
					if b[i] != body[i] {
						diff++
					}
				}
				if diff != 1 {
					t.Errorf("%d bytes differ, want 1", diff)
				}
			}},
		{"TruncateRead cuts the body half way", &faulty.Faults{TruncateRead: func(string, int) bool { return true }},
			func(t *testing.T, s store.Store, f *faulty.Faults) {
				b, _, err := read(t, s, "k", store.ReadOptions{Length: -1})
				if !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.Equal(b, body[:len(body)/2]) {
					t.Errorf("read %q, %v; want %q and io.ErrUnexpectedEOF", b, err, body[:len(body)/2])
				}
			}},
		{"PutErr fails puts and parts before writing", &faulty.Faults{PutErr: func(string, int) error { return boom }},
			func(t *testing.T, s store.Store, f *faulty.Faults) {
				if _, err := s.Put(ctx, store.PutInput{Key: "new", Body: bytes.NewReader(body), Size: int64(len(body))}); !errors.Is(err, boom) {
					t.Errorf("put: err = %v, want boom", err)
				}
				if _, err := s.Stat(ctx, "new"); !errors.Is(err, store.ErrNotExist) {
					t.Errorf("a failed put wrote: stat err = %v", err)
				}
				mp := s.(store.Multipart)
				id, err := mp.CreateMultipart(ctx, "new", store.Metadata{}, "")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := mp.UploadPart(ctx, "new", id, 1, bytes.NewReader(body), int64(len(body)), nil); !errors.Is(err, boom) {
					t.Errorf("upload part: err = %v, want boom", err)
				}
				if parts, err := s.(store.PartLister).ListParts(ctx, "new", id); err != nil || len(parts) != 0 {
					t.Errorf("after a failed part: parts %+v, %v; want none", parts, err)
				}
				if f.Calls("put", "new") != 1 || f.Calls("part", "new") != 1 {
					t.Errorf("calls: put %d, part %d; want 1 and 1", f.Calls("put", "new"), f.Calls("part", "new"))
				}
			}},
		{"WrongETag lies about what was written", &faulty.Faults{WrongETag: func(string, int) bool { return true }},
			func(t *testing.T, s store.Store, f *faulty.Faults) {
				obj, err := s.Put(ctx, store.PutInput{Key: "new", Body: bytes.NewReader(body), Size: int64(len(body))})
				if err != nil {
					t.Fatal(err)
				}
				st, err := s.Stat(ctx, "new")
				if err != nil {
					t.Fatal(err)
				}
				sum := md5.Sum(body)
				if store.SameETag(obj.ETag, st.ETag) || !store.SameETag(st.ETag, hex.EncodeToString(sum[:])) {
					t.Errorf("put said %q, store holds %q; want a lie over the MD5", obj.ETag, st.ETag)
				}
				mp := s.(store.Multipart)
				id, _ := mp.CreateMultipart(ctx, "big", store.Metadata{}, "")
				etag, err := mp.UploadPart(ctx, "big", id, 1, bytes.NewReader(body), int64(len(body)), nil)
				if err != nil {
					t.Fatal(err)
				}
				obj, err = mp.CompleteMultipart(ctx, "big", id, []store.Part{{Number: 1, ETag: etag, Size: int64(len(body))}})
				if err != nil {
					t.Fatal(err)
				}
				if st, _ := s.Stat(ctx, "big"); store.SameETag(obj.ETag, st.ETag) {
					t.Errorf("complete told the truth: %q", obj.ETag)
				}
			}},
		{"PartErr fails the chosen part's chosen send", &faulty.Faults{PartErr: func(k string, part, n int) error {
			if part == 2 && n == 1 {
				return boom
			}
			return nil
		}}, func(t *testing.T, s store.Store, f *faulty.Faults) {
			mp := s.(store.Multipart)
			id, err := mp.CreateMultipart(ctx, "new", store.Metadata{}, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, step := range []struct {
				part int
				want error
			}{{1, nil}, {2, boom}, {2, nil}, {3, nil}} {
				if _, err := mp.UploadPart(ctx, "new", id, step.part, bytes.NewReader(body), int64(len(body)), nil); !errors.Is(err, step.want) {
					t.Errorf("part %d: err = %v, want %v", step.part, err, step.want)
				}
			}
			if err := mp.AbortMultipart(ctx, "new", id); err != nil {
				t.Fatal(err)
			}
			if f.PartCalls("new", 2) != 2 || f.PartCalls("new", 1) != 1 || f.Calls("part", "new") != 4 ||
				f.Calls("create", "new") != 1 || f.Calls("abort", "new") != 1 {
				t.Errorf("calls: part 1 %d, part 2 %d, parts %d, create %d, abort %d; want 1, 2, 4, 1, 1",
					f.PartCalls("new", 1), f.PartCalls("new", 2), f.Calls("part", "new"), f.Calls("create", "new"), f.Calls("abort", "new"))
			}
		}},
		{"CorruptPart flips a byte of the chosen part's chosen read", &faulty.Faults{CorruptPart: func(k string, part, n int) bool {
			return part == 2 && n == 1
		}}, func(t *testing.T, s store.Store, f *faulty.Faults) {
			storetest.PutMultipart(t, s, "multi", []byte("aaaabbbbcc"), 4, store.Metadata{})
			for _, step := range []struct {
				part int
				want string
			}{{1, "aaaa"}, {2, "bbBb"}, {2, "bbbb"}, {3, "cc"}} {
				if b, _, err := read(t, s, "multi", store.ReadOptions{PartNumber: step.part, Length: -1}); err != nil || string(b) != step.want {
					t.Errorf("part %d: %q, %v; want %q", step.part, b, err, step.want)
				}
			}
			if b, _, _ := read(t, s, "multi", store.ReadOptions{Length: -1}); string(b) != "aaaabbbbcc" {
				t.Errorf("whole read %q: only reads by part number are corrupted", b)
			}
		}},
		{"IgnorePartNumber reads the whole object", &faulty.Faults{IgnorePartNumber: true},
			func(t *testing.T, s store.Store, f *faulty.Faults) {
				storetest.PutMultipart(t, s, "multi", []byte("aaaabbbbcc"), 4, store.Metadata{})
				b, info, err := read(t, s, "multi", store.ReadOptions{PartNumber: 2, Length: -1})
				if err != nil || string(b) != "aaaabbbbcc" || info.Parts != 0 || info.PartSize != 0 {
					t.Errorf("part 2: %q, %d parts of %d, %v; want the whole object, no parts", b, info.Parts, info.PartSize, err)
				}
			}},
		{"VersioningErr fails the chosen call only", &faulty.Faults{VersioningErr: func(n int) error {
			if n == 1 {
				return boom
			}
			return nil
		}}, func(t *testing.T, s store.Store, f *faulty.Faults) {
			vs := s.(store.Versioned)
			if _, err := vs.Versioning(ctx); !errors.Is(err, boom) {
				t.Errorf("versioning 1: err = %v, want boom", err)
			}
			if v, err := vs.Versioning(ctx); err != nil || v != store.VersioningOff {
				t.Errorf("versioning 2 = %q, %v; want off", v, err)
			}
			if got := f.Calls("versioning", ""); got != 2 {
				t.Errorf("Calls(versioning) = %d, want 2", got)
			}
		}},
		{"VersionsErr fails the chosen listing only", &faulty.Faults{VersionsErr: func(after string, n int) error {
			if after == "" && n == 2 {
				return boom
			}
			return nil
		}}, func(t *testing.T, s store.Store, f *faulty.Faults) {
			vs := s.(store.Versioned)
			for n, want := range []error{nil, boom, nil} {
				var got []store.Version
				var err error
				for v, e := range vs.Versions(ctx, "") {
					if e != nil {
						err = e
						break
					}
					got = append(got, v)
				}
				if !errors.Is(err, want) || (want == nil && (len(got) != 1 || got[0].Key != "k")) || (want != nil && len(got) != 0) {
					t.Errorf("listing %d = %+v, %v; want k alone, or boom alone", n+1, got, err)
				}
			}
			if got := f.Calls("versions", ""); got != 3 {
				t.Errorf("Calls(versions) = %d, want 3", got)
			}
		}},
		{"StatVersionErr fails the chosen call only", &faulty.Faults{StatVersionErr: func(k string, n int) error {
			if n == 1 {
				return boom
			}
			return nil
		}}, func(t *testing.T, s store.Store, f *faulty.Faults) {
			vs := s.(store.Versioned)
			if _, err := vs.StatVersion(ctx, "k", store.NullVersion); !errors.Is(err, boom) {
				t.Errorf("stat version 1: err = %v, want boom", err)
			}
			if info, err := vs.StatVersion(ctx, "k", store.NullVersion); err != nil || info.Size != int64(len(body)) {
				t.Errorf("stat version 2 = size %d, %v; want %d", info.Size, err, len(body))
			}
			if got := f.Calls("statversion", "k"); got != 2 {
				t.Errorf("Calls(statversion) = %d, want 2", got)
			}
		}},
		{"UpdateErr fails before updating", &faulty.Faults{UpdateErr: func(k string, n int) error {
			if n == 1 {
				return boom
			}
			return nil
		}}, func(t *testing.T, s store.Store, f *faulty.Faults) {
			u := s.(store.MetadataUpdater)
			meta := store.Metadata{ContentType: "text/x-new"}
			if _, err := u.UpdateMetadata(ctx, "k", "", meta); !errors.Is(err, boom) {
				t.Errorf("update 1: err = %v, want boom", err)
			}
			if st, err := s.Stat(ctx, "k"); err != nil || st.Meta.ContentType == meta.ContentType {
				t.Errorf("a failed update changed the metadata: %+v, %v", st.Meta, err)
			}
			if _, err := u.UpdateMetadata(ctx, "k", "", meta); err != nil {
				t.Errorf("update 2: %v", err)
			}
			if st, err := s.Stat(ctx, "k"); err != nil || st.Meta.ContentType != meta.ContentType {
				t.Errorf("after update 2, content type %q, %v; want %q", st.Meta.ContentType, err, meta.ContentType)
			}
			if got := f.Calls("update", "k"); got != 2 {
				t.Errorf("Calls(update) = %d, want 2", got)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inner := mem.New(t.Name())
			storetest.Put(t, inner, "k", body, store.Metadata{})
			f := tc.faults
			tc.check(t, faulty.Wrap(inner, f), f)
		})
	}
}

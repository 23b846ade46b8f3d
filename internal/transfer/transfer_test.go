package transfer

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/diff"
	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/filter"
	"github.com/sortie-dev/sortie/internal/listing"
	"github.com/sortie-dev/sortie/internal/retry"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/faulty"
	"github.com/sortie-dev/sortie/internal/store/mem"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// fast retries for tests: the logic is the same, the sleeps are not.
var fast = retry.Policy{Attempts: 3, Mismatches: 3, Base: time.Millisecond, Max: time.Millisecond}

func opts() Options {
	return Options{Workers: 4, PartSize: 1 << 20, Retry: fast, MaxDelete: -1}
}

func body(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

func putMultipart(t *testing.T, s *mem.Store, key string, b []byte, partSize int) {
	t.Helper()
	storetest.PutMultipart(t, s, key, b, partSize, store.Metadata{ContentType: "application/x-hdf5"})
}

func sameContent(t *testing.T, src, dst store.Store) {
	t.Helper()
	sk, dk := storetest.Keys(t, src), storetest.Keys(t, dst)
	if !slices.Equal(sk, dk) {
		t.Fatalf("keys differ:\nsrc %q\ndst %q", sk, dk)
	}
	for _, k := range sk {
		a, ai := storetest.ReadAll(t, src, k)
		b, bi := storetest.ReadAll(t, dst, k)
		if !bytes.Equal(a, b) {
			t.Errorf("%q: bodies differ", k)
		}
		if ai.Meta.ContentType != bi.Meta.ContentType {
			t.Errorf("%q: content-type %q, want %q", k, bi.Meta.ContentType, ai.Meta.ContentType)
		}
		for mk, mv := range ai.Meta.User {
			if bi.Meta.User[mk] != mv {
				t.Errorf("%q: metadata %s=%q, want %q", k, mk, bi.Meta.User[mk], mv)
			}
		}
		for tk, tv := range ai.Meta.Tags {
			if bi.Meta.Tags[tk] != tv {
				t.Errorf("%q: tag %s=%q, want %q", k, tk, bi.Meta.Tags[tk], tv)
			}
		}
	}
}

func seed(t *testing.T) *mem.Store {
	src := mem.New("src")
	storetest.Put(t, src, "a.txt", []byte("alpha"), store.Metadata{ContentType: "text/plain", User: map[string]string{"owner": "x"}, Tags: map[string]string{"k": "v"}})
	storetest.Put(t, src, "dir/", nil, store.Metadata{})
	storetest.Put(t, src, "dir/b.bin", body(3000, 1), store.Metadata{})
	storetest.Put(t, src, "empty", nil, store.Metadata{})
	storetest.Put(t, src, "big-plain.bin", body(3<<20+5, 2), store.Metadata{}) // plain MD5, larger than a part
	putMultipart(t, src, "big-multi.bin", body(5<<20+17, 3), 2<<20)            // 3 parts
	putMultipart(t, src, "one-part.bin", body(100, 4), 1<<20)                  // "-1", as mc pipe makes
	return src
}

func TestCopyIntoEmpty(t *testing.T) {
	src, dst := seed(t), mem.New("dst")
	rec := &event.Recorder{}
	o := opts()
	o.Listener = rec
	sum, err := Run(context.Background(), src, dst, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Failed) != 0 || sum.Copied != 7 || sum.SrcObjects != 7 {
		t.Fatalf("summary %+v", sum)
	}
	sameContent(t, src, dst)
	// The source's part layout is mirrored, so the ETags are equal.
	for _, k := range []string{"big-multi.bin", "one-part.bin", "a.txt"} {
		si, _ := src.Stat(context.Background(), k)
		di, _ := dst.Stat(context.Background(), k)
		if si.ETag != di.ETag {
			t.Errorf("%s: dst ETag %s, src %s", k, di.ETag, si.ETag)
		}
	}
	// The origin time travels in metadata.
	di, _ := dst.Stat(context.Background(), "a.txt")
	si, _ := src.Stat(context.Background(), "a.txt")
	if di.Meta.User[diff.MTimeKey] != diff.FormatMTime(si.ModTime) {
		t.Errorf("mtime metadata %q, want %q", di.Meta.User[diff.MTimeKey], diff.FormatMTime(si.ModTime))
	}
	if dst.Uploads() != 0 {
		t.Errorf("%d multipart uploads left open", dst.Uploads())
	}
	if got := len(rec.Keys(event.Copied)); got != 7 {
		t.Errorf("%d copied events, want 7", got)
	}
}

func TestRecopyIsNoop(t *testing.T) {
	src, dst := seed(t), mem.New("dst")
	if _, err := Run(context.Background(), src, dst, opts()); err != nil {
		t.Fatal(err)
	}
	fdst := faulty.Wrap(dst, nil)
	sum, err := Run(context.Background(), src, fdst, opts())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Copied != 0 || sum.Unchanged != 7 {
		t.Errorf("re-copy: copied %d unchanged %d, want 0 and 7", sum.Copied, sum.Unchanged)
	}
}

func TestSyncOnlyChangesMove(t *testing.T) {
	src, dst := seed(t), mem.New("dst")
	if _, err := Run(context.Background(), src, dst, opts()); err != nil {
		t.Fatal(err)
	}
	storetest.Put(t, src, "a.txt", []byte("ALPHA, changed"), store.Metadata{})
	storetest.Put(t, src, "new.txt", []byte("new"), store.Metadata{})
	src.Delete(context.Background(), "dir/b.bin")
	src.Delete(context.Background(), "empty")

	o := opts()
	o.Delete = true
	o.MaxDelete = 1
	sum, err := Run(context.Background(), src, dst, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Copied != 2 || sum.Updated != 1 || sum.Deleted != 0 || sum.DeleteRefused == "" {
		t.Fatalf("max-delete run: %+v", sum)
	}
	if _, err := dst.Stat(context.Background(), "empty"); err != nil {
		t.Error("max-delete refused, yet an object was deleted")
	}
	o.MaxDelete = -1
	sum, err = Run(context.Background(), src, dst, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Copied != 0 || sum.Deleted != 2 {
		t.Fatalf("sync: %+v", sum)
	}
	sameContent(t, src, dst)
}

func TestDryRunChangesNothing(t *testing.T) {
	src, dst := seed(t), mem.New("dst")
	storetest.Put(t, dst, "extra", []byte("x"), store.Metadata{})
	o := opts()
	o.DryRun, o.Delete = true, true
	sum, err := Run(context.Background(), src, dst, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Copied != 7 || sum.Deleted != 1 {
		t.Errorf("dry run: %+v", sum)
	}
	if k := storetest.Keys(t, dst); !slices.Equal(k, []string{"extra"}) {
		t.Errorf("dry run changed the destination: %q", k)
	}
}

func TestFilter(t *testing.T) {
	src, dst := seed(t), mem.New("dst")
	storetest.Put(t, dst, "keep.tmp", []byte("x"), store.Metadata{})
	f, err := filter.New(nil, []string{"*.bin", "*.tmp"})
	if err != nil {
		t.Fatal(err)
	}
	o := opts()
	o.Filter, o.Delete = f, true
	if _, err := Run(context.Background(), src, dst, o); err != nil {
		t.Fatal(err)
	}
	want := []string{"a.txt", "dir/", "empty", "keep.tmp"}
	if k := storetest.Keys(t, dst); !slices.Equal(k, want) {
		t.Errorf("filtered copy: %q, want %q", k, want)
	}
}

func TestFaults(t *testing.T) {
	transient := &store.OpError{Op: "open", Err: errors.New("503 SlowDown"), Retry: true}
	for _, tc := range []struct {
		name     string
		key      string
		fault    func(src, dst *faulty.Faults)
		wantFail bool
	}{
		{"transient open retried", "a.txt", func(src, dst *faulty.Faults) {
			src.OpenErr = func(k string, n int) error {
				if n == 1 {
					return transient
				}
				return nil
			}
		}, false},
		{"corrupt read once is re-read", "dir/b.bin", func(src, dst *faulty.Faults) {
			src.CorruptRead = func(k string, n int) bool { return n == 1 }
		}, false},
		{"corrupt read always fails the object", "dir/b.bin", func(src, dst *faulty.Faults) {
			src.CorruptRead = func(k string, n int) bool { return k == "dir/b.bin" }
		}, true},
		{"corrupt part of plain-MD5 big object", "big-plain.bin", func(src, dst *faulty.Faults) {
			src.CorruptRead = func(k string, n int) bool { return k == "big-plain.bin" }
		}, true},
		{"corrupt part of multipart object", "big-multi.bin", func(src, dst *faulty.Faults) {
			src.CorruptRead = func(k string, n int) bool { return k == "big-multi.bin" }
		}, true},
		{"destination lies about ETag", "a.txt", func(src, dst *faulty.Faults) {
			dst.WrongETag = func(k string, n int) bool { return k == "a.txt" }
		}, true},
		{"destination lies about multipart ETag", "big-multi.bin", func(src, dst *faulty.Faults) {
			dst.WrongETag = func(k string, n int) bool { return k == "big-multi.bin" }
		}, true},
		{"permanent put error", "a.txt", func(src, dst *faulty.Faults) {
			dst.PutErr = func(k string, n int) error {
				if k == "a.txt" {
					return &store.OpError{Op: "put", Err: store.ErrPermission}
				}
				return nil
			}
		}, true},
		{"part upload fails then works", "big-plain.bin", func(src, dst *faulty.Faults) {
			dst.PutErr = func(k string, n int) error {
				if k == "big-plain.bin" && n == 2 {
					return &store.OpError{Op: "upload part", Err: errors.New("connection reset"), Retry: true}
				}
				return nil
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sf, df := &faulty.Faults{}, &faulty.Faults{}
			tc.fault(sf, df)
			inner := mem.New("dst")
			src, dst := faulty.Wrap(seed(t), sf), faulty.Wrap(inner, df)
			sum, err := Run(context.Background(), src, dst, opts())
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, f := range sum.Failed {
				failed = append(failed, f.Key)
			}
			if tc.wantFail {
				if !slices.Equal(failed, []string{tc.key}) {
					t.Fatalf("failed = %q, want [%s]", failed, tc.key)
				}
				if !errors.Is(sum.Failed[0].Err, store.ErrChecksumMismatch) && !errors.Is(sum.Failed[0].Err, store.ErrPermission) {
					t.Errorf("failure reason %v", sum.Failed[0].Err)
				}
				if sum.Copied != 6 {
					t.Errorf("copied %d, want the 6 others", sum.Copied)
				}
				// A body that failed its checks is never confirmed; where
				// the destination took it anyway (a lying store), the next
				// run sees the difference.
				if strings.Contains(tc.name, "corrupt") {
					if _, err := dst.Stat(context.Background(), tc.key); !errors.Is(err, store.ErrNotExist) {
						t.Errorf("corrupt object %q was stored", tc.key)
					}
				}
			} else if len(failed) != 0 {
				t.Fatalf("failed = %v", sum.Failed)
			}
			if n := inner.Uploads(); n != 0 {
				t.Errorf("%d multipart uploads left open", n)
			}
		})
	}
}

func TestMemoryBoundAllowsHugeParts(t *testing.T) {
	// A source whose parts are larger than the whole budget still copies.
	src, dst := mem.New("src"), mem.New("dst")
	putMultipart(t, src, "huge", body(3<<20, 9), 2<<20)
	o := opts()
	o.Workers, o.PartSize = 1, 1<<20 // budget 1 MiB, parts of 2 MiB
	sum, err := Run(context.Background(), src, dst, o)
	if err != nil || len(sum.Failed) != 0 {
		t.Fatalf("err %v failed %v", err, sum.Failed)
	}
	sameContent(t, src, dst)
}

func TestCancel(t *testing.T) {
	src := mem.New("src")
	for i := range 200 {
		storetest.Put(t, src, fmt.Sprintf("k%03d", i), body(100, byte(i)), store.Metadata{})
	}
	ctx, cancel := context.WithCancel(context.Background())
	fsrc := faulty.Wrap(src, &faulty.Faults{OpenErr: func(k string, n int) error {
		if k == "k050" {
			cancel()
		}
		return nil
	}})
	sum, err := Run(ctx, fsrc, mem.New("dst"), opts())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want Canceled", err)
	}
	if len(sum.Failed) != 0 {
		t.Errorf("cancellation counted as failures: %v", sum.Failed)
	}
}

// A source that cannot be read by part number, holding an object whose
// uneven parts happen to be as many as the copy's own: the composite ETag
// must not be compared across layouts (it would call a good copy corrupt).
func TestUnevenLayoutWithoutPartReads(t *testing.T) {
	ctx := context.Background()
	src := mem.New("src")
	b := body(6<<20, 5)
	id, _ := src.CreateMultipart(ctx, "uneven", store.Metadata{}, "")
	var parts []store.Part
	off := 0
	for n, size := range []int{3 << 20, 1 << 20, 2 << 20} {
		p := b[off : off+size]
		sum := md5.Sum(p)
		etag, err := src.UploadPart(ctx, "uneven", id, n+1, bytes.NewReader(p), int64(size), sum[:])
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, store.Part{Number: n + 1, ETag: etag, Size: int64(size)})
		off += size
	}
	if _, err := src.CompleteMultipart(ctx, "uneven", id, parts); err != nil {
		t.Fatal(err)
	}
	fsrc := faulty.Wrap(src, &faulty.Faults{IgnorePartNumber: true})
	o := opts()
	o.PartSize = 2 << 20 // three parts of 2 MiB: the same count, another layout
	dst := mem.New("dst")
	sum, err := Run(ctx, fsrc, dst, o)
	if err != nil || len(sum.Failed) != 0 {
		t.Fatalf("err %v, failed %v", err, sum.Failed)
	}
	got, _ := dst.Body("uneven")
	if !bytes.Equal(got, b) {
		t.Error("body differs")
	}
}

// A part whose body is cut short is read again — that part alone: the
// object is not started over, and no part is sent twice.
func TestCutPartReadIsReadAgain(t *testing.T) {
	for _, tc := range []struct {
		key   string
		parts int
	}{
		{"big-multi.bin", 3}, // the source's own parts, read by number
		{"big-plain.bin", 4}, // 3 MiB + 5 bytes in ranges of 1 MiB
	} {
		t.Run(tc.key, func(t *testing.T) {
			sf, df := &faulty.Faults{TruncateRead: func(k string, n int) bool { return k == tc.key && n == 2 }}, &faulty.Faults{}
			src, dst := faulty.Wrap(seed(t), sf), faulty.Wrap(mem.New("dst"), df)
			sum, err := Run(context.Background(), src, dst, opts())
			if err != nil || len(sum.Failed) != 0 {
				t.Fatalf("err %v, failed %v", err, sum.Failed)
			}
			if got := sf.Calls("open", tc.key); got != tc.parts+1 {
				t.Errorf("%d reads, want %d (every part once, one of them twice)", got, tc.parts+1)
			}
			if got := df.Calls("part", tc.key); got != tc.parts {
				t.Errorf("%d part uploads, want %d", got, tc.parts)
			}
			sameContent(t, src, dst)
		})
	}
}

// A run limited to a range copies and deletes only the keys in it; the
// runs of a job's ranges together make the destination the source's.
func TestRunWithinRange(t *testing.T) {
	ctx := context.Background()
	src, dst := mem.New("src"), mem.New("dst")
	for _, k := range []string{"a/1", "b/1", "b/2", "c/1"} {
		storetest.Put(t, src, k, body(10, k[0]), store.Metadata{})
	}
	for _, k := range []string{"a/9", "b/9", "c/9"} {
		storetest.Put(t, dst, k, body(10, 1), store.Metadata{})
	}
	o := opts()
	o.Delete = true
	o.Range = listing.Range{After: "a/\U0010FFFF", Through: "b/\U0010FFFF"}
	sum, err := Run(ctx, src, dst, o)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := storetest.Keys(t, dst), []string{"a/9", "b/1", "b/2", "c/9"}; !slices.Equal(got, want) {
		t.Fatalf("after the range's run the destination holds %q, want %q", got, want)
	}
	if sum.SrcObjects != 2 || sum.Copied != 2 || sum.Deleted != 1 {
		t.Fatalf("got %d listed, %d copied, %d deleted; want 2, 2, 1", sum.SrcObjects, sum.Copied, sum.Deleted)
	}
	for _, rg := range []listing.Range{{Through: "a/\U0010FFFF"}, {After: "b/\U0010FFFF"}} {
		o.Range = rg
		if _, err := Run(ctx, src, dst, o); err != nil {
			t.Fatal(err)
		}
	}
	sameContent(t, src, dst)
}

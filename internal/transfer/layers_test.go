package transfer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sortie-dev/sortie/internal/retry"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/faulty"
	"github.com/sortie-dev/sortie/internal/store/mem"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// Tests of which layer retries what (package retry's table). They run in a
// synctest bubble with the real backoff, so no test sleeps for real.

// policy is retry.Default's shape with smaller budgets.
var policy = retry.Policy{Attempts: 4, Mismatches: 3, Base: 500 * time.Millisecond, Max: 20 * time.Second}

func layerOpts() Options {
	return Options{Workers: 4, PartSize: 1 << 20, Retry: policy, MaxDelete: -1}
}

var (
	reset     = &store.OpError{Op: "upload part", Err: errors.New("connection reset by peer"), Retry: true}
	badDigest = &store.OpError{Op: "upload part", Err: fmt.Errorf("%w (BadDigest)", store.ErrChecksumMismatch), Retry: true}
)

// fiveParts is a source holding one object of five 1 MiB parts, which a
// copy mirrors part by part.
func fiveParts(t *testing.T) *mem.Store {
	src := mem.New("src")
	putMultipart(t, src, "five.bin", body(5<<20, 7), 1<<20)
	return src
}

// counts is what the destination saw for a key.
type counts struct{ creates, parts, part3, aborts, completes int }

func countsOf(f *faulty.Faults, key string) counts {
	return counts{f.Calls("create", key), f.Calls("part", key), f.PartCalls(key, 3), f.Calls("abort", key), f.Calls("complete", key)}
}

func copyAll(t *testing.T, src, dst store.Store, o Options) *Summary {
	t.Helper()
	sum, err := Run(context.Background(), src, dst, o)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func failedKeys(sum *Summary) []string {
	var k []string
	for _, f := range sum.Failed {
		k = append(k, f.Key)
	}
	return k
}

// (a) A transient failure of part 3 of 5 is retried by that part's request,
// once; the upload goes on: one upload, six UploadPart calls, no abort.
// (Before issue 11 the same fault lasting past the part loop's attempts
// aborted the upload and started again from part 1.)
func TestTransientPartFailureIsRetriedByThePart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sf := &faulty.Faults{}
		df := &faulty.Faults{PartErr: func(k string, part, n int) error {
			if part == 3 && n == 1 {
				return reset
			}
			return nil
		}}
		inner := mem.New("dst")
		src, dst := faulty.Wrap(fiveParts(t), sf), faulty.Wrap(inner, df)
		sum := copyAll(t, src, dst, layerOpts())
		if len(sum.Failed) != 0 {
			t.Fatalf("failed: %v", sum.Failed)
		}
		want := counts{creates: 1, parts: 6, part3: 2, aborts: 0, completes: 1}
		if got := countsOf(df, "five.bin"); got != want {
			t.Errorf("destination saw %+v, want %+v", got, want)
		}
		if got := sf.Calls("open", "five.bin"); got != 5 {
			t.Errorf("%d source reads, want 5: a failed send does not read its part again", got)
		}
		sameContent(t, src, dst)
	})
}

// (b) A part the destination refuses as corrupt (BadDigest) is sent again
// by the part, from its buffer; if it persists, after Mismatches attempts,
// the object is reported with ErrChecksumMismatch and the upload aborted.
func TestPartChecksumMismatch(t *testing.T) {
	for _, tc := range []struct {
		name     string
		failures int // BadDigest answers to part 3
		want     counts
		fail     bool
	}{
		{"once, then sent again", 1, counts{creates: 1, parts: 6, part3: 2, completes: 1}, false},
		{"persistent, reported", 1 << 30, counts{creates: 1, part3: policy.Mismatches, aborts: 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sf := &faulty.Faults{}
				df := &faulty.Faults{PartErr: func(k string, part, n int) error {
					if part == 3 && n <= tc.failures {
						return badDigest
					}
					return nil
				}}
				inner := mem.New("dst")
				src, dst := faulty.Wrap(fiveParts(t), sf), faulty.Wrap(inner, df)
				sum := copyAll(t, src, dst, layerOpts())
				got := countsOf(df, "five.bin")
				got.parts = min(got.parts, tc.want.parts) // other parts may be cut short by the failure
				if got != tc.want {
					t.Errorf("destination saw %+v, want %+v", got, tc.want)
				}
				if got := sf.Calls("open", "five.bin"); got > 5 {
					t.Errorf("%d source reads, want at most 5: a refused part is sent again from its buffer", got)
				}
				if !tc.fail {
					if len(sum.Failed) != 0 {
						t.Fatalf("failed: %v", sum.Failed)
					}
					sameContent(t, src, dst)
					return
				}
				if !slices.Equal(failedKeys(sum), []string{"five.bin"}) || !errors.Is(sum.Failed[0].Err, store.ErrChecksumMismatch) {
					t.Fatalf("failed = %v, want five.bin with a checksum mismatch", sum.Failed)
				}
				if inner.Uploads() != 0 {
					t.Errorf("%d uploads left open", inner.Uploads())
				}
			})
		})
	}
}

// A single-part object is its own part: a read whose bytes fail the
// source's MD5 is read again, once, and put once.
func TestSinglePartMismatchIsReadAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sf := &faulty.Faults{CorruptRead: func(k string, n int) bool { return n == 1 }}
		df := &faulty.Faults{}
		src, dst := faulty.Wrap(seed(t), sf), faulty.Wrap(mem.New("dst"), df)
		sum := copyAll(t, src, dst, layerOpts())
		if len(sum.Failed) != 0 {
			t.Fatalf("failed: %v", sum.Failed)
		}
		if o, p := sf.Calls("open", "dir/b.bin"), df.Calls("put", "dir/b.bin"); o != 2 || p != 1 {
			t.Errorf("dir/b.bin: %d reads and %d puts, want 2 and 1", o, p)
		}
		sameContent(t, src, dst)
	})
}

// (c) A request that keeps failing is tried as often as its one layer
// allows, Policy.Attempts, and no more: no layer above multiplies it (it
// was the SDK's 10 × the part loop's 5 × the object loop's 5).
func TestPermanentFailureIsBoundedByOneLayer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		key   string
		fault func(sf, df *faulty.Faults)
		calls func(sf, df *faulty.Faults) int
	}{
		{"part upload", "five.bin", func(sf, df *faulty.Faults) {
			df.PartErr = func(k string, part, n int) error {
				if k == "five.bin" && part == 3 {
					return reset
				}
				return nil
			}
		}, func(sf, df *faulty.Faults) int { return df.PartCalls("five.bin", 3) }},
		{"put", "a.txt", func(sf, df *faulty.Faults) {
			df.PutErr = func(k string, n int) error {
				if k == "a.txt" {
					return reset
				}
				return nil
			}
		}, func(sf, df *faulty.Faults) int { return df.Calls("put", "a.txt") }},
		{"read", "dir/b.bin", func(sf, df *faulty.Faults) {
			sf.OpenErr = func(k string, n int) error {
				if k == "dir/b.bin" {
					return &store.OpError{Op: "open", Err: errors.New("500 InternalError"), Retry: true}
				}
				return nil
			}
		}, func(sf, df *faulty.Faults) int { return sf.Calls("open", "dir/b.bin") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := seed(t)
				putMultipart(t, s, "five.bin", body(5<<20, 7), 1<<20)
				sf, df := &faulty.Faults{}, &faulty.Faults{}
				tc.fault(sf, df)
				inner := mem.New("dst")
				start := time.Now()
				sum := copyAll(t, faulty.Wrap(s, sf), faulty.Wrap(inner, df), layerOpts())
				if !slices.Equal(failedKeys(sum), []string{tc.key}) {
					t.Fatalf("failed = %v, want only %s", sum.Failed, tc.key)
				}
				if got := tc.calls(sf, df); got != policy.Attempts {
					t.Errorf("%d attempts of the failing request, want Policy.Attempts = %d", got, policy.Attempts)
				}
				if c := df.Calls("create", tc.key); c > 1 {
					t.Errorf("%d uploads created, want at most 1", c)
				}
				// Backing off took (virtual) time, bounded by the policy.
				if d := time.Since(start); d <= 0 || d > time.Duration(policy.Attempts)*policy.Max {
					t.Errorf("backed off for %v", d)
				}
				if inner.Uploads() != 0 {
					t.Errorf("%d uploads left open", inner.Uploads())
				}
			})
		})
	}
}

// The one object-level retry: a multipart source whose bytes fail its
// composite ETag (part 3 was read corrupted) cannot say which part was
// wrong, so every part is read again — and only the part whose bytes
// changed is sent again, on the same upload, continued from the parts the
// destination lists. Before, the upload was aborted and sent again from
// part 1: 2 uploads, 10 UploadPart calls, 1 abort.
func TestObjectRetryContinuesItsUpload(t *testing.T) {
	for _, tc := range []struct {
		name    string
		key     string
		partOf3 bool // the corruption hits part 3 by number, else the first read
	}{
		{"mirrored parts, composite ETag", "five.bin", true},
		{"ranges, plain MD5", "big-plain.bin", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := mem.New("src")
				if tc.partOf3 {
					s = fiveParts(t)
				} else {
					storetest.Put(t, s, tc.key, body(5<<20, 8), store.Metadata{}) // plain MD5, copied in ranges
				}
				sf := &faulty.Faults{
					CorruptPart: func(k string, part, n int) bool { return tc.partOf3 && part == 3 && n == 1 },
					CorruptRead: func(k string, n int) bool { return !tc.partOf3 && n == 1 },
				}
				df := &faulty.Faults{}
				inner := mem.New("dst")
				src, dst := faulty.Wrap(s, sf), faulty.Wrap(inner, df)
				sum := copyAll(t, src, dst, layerOpts())
				if len(sum.Failed) != 0 {
					t.Fatalf("failed: %v", sum.Failed)
				}
				got := countsOf(df, tc.key)
				got.part3 = 0
				if want := (counts{creates: 1, parts: 6, completes: 1}); got != want {
					t.Errorf("destination saw %+v, want %+v", got, want)
				}
				if got := sf.Calls("open", tc.key); got != 10 {
					t.Errorf("%d source reads, want 10 (every part twice)", got)
				}
				sameContent(t, src, dst)
				si, _ := src.Stat(context.Background(), tc.key)
				di, _ := dst.Stat(context.Background(), tc.key)
				if tc.partOf3 && si.ETag != di.ETag {
					t.Errorf("ETag %s, want the source's %s", di.ETag, si.ETag)
				}
			})
		})
	}
}

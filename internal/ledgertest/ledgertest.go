package ledgertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/retry"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/faulty"
	"github.com/sortie-dev/sortie/internal/store/mem"
	"github.com/sortie-dev/sortie/internal/store/storetest"
	"github.com/sortie-dev/sortie/internal/transfer"
)

// Ledger is what the suite drives: the engine's ledger, and the two calls
// a run makes of it besides.
type Ledger interface {
	transfer.Ledger
	// Flush commits everything recorded so far and returns the first
	// write error.
	Flush() error
	// Close commits what is pending, ends the run cleanly and releases
	// the ledger.
	Close() error
}

// Job is one job's ledger, made empty for each case of the suite.
type Job interface {
	// Open opens the job's ledger for a run: the first call makes it,
	// later ones open it again as the next run of the same job (or, on
	// the coordinator, the next attempt at the same partition) does.
	// Two may be open at once.
	Open(t *testing.T) Ledger
	// Kill ends l as a killed process would: what was committed stays,
	// but the run is not recorded as ended, so the next Open knows that
	// its last writes may have been lost.
	Kill(t *testing.T, l Ledger)
	// Object reads what the ledger holds committed for key.
	Object(t *testing.T, key string) (Object, bool)
}

// State is an object's state in a ledger.
type State string

// The states of an object.
const (
	Started State = "started"
	Done    State = "done"
	Failed  State = "failed"
	Deleted State = "deleted"
)

// Object is what a ledger records of one object.
type Object struct {
	State    State
	Size     int64
	SrcETag  string
	DstETag  string
	Reason   string
	Attempts int
}

// Run runs the suite; newJob returns a job with an empty ledger for each
// case.
func Run(t *testing.T, newJob func(t *testing.T) Job) {
	for _, tc := range []struct {
		name string
		f    func(t *testing.T, j Job)
	}{
		{"DoneAfterReopen", testDoneAfterReopen},
		{"FlushCommits", testFlushCommits},
		{"FailedAndRetried", testFailedAndRetried},
		{"Deleted", testDeleted},
		{"UploadResumableAfterReopen", testUploadResumable},
		{"UploadStartedIsDurable", testUploadStartedIsDurable},
		{"EndedUploadNotOffered", testEndedUploadNotOffered},
		{"NewUploadReplacesOld", testNewUploadReplacesOld},
		{"UnchangedConfirmsStarted", testUnchangedConfirmsStarted},
		{"UnchangedAfterKill", testUnchangedAfterKill},
		{"UnchangedAfterCleanEnd", testUnchangedAfterCleanEnd},
		{"Versions", testVersions},
		{"Concurrent", testConcurrent},
		{"HostileKeys", testHostileKeys},
		{"EngineResumesUpload", testEngineResumesUpload},
		{"EngineRecopyAfterKill", testEngineRecopyAfterKill},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, newJob(t)) })
	}
}

func closeLedger(t *testing.T, l Ledger) {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func flush(t *testing.T, l Ledger) {
	t.Helper()
	if err := l.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// want checks the committed record of key.
func want(t *testing.T, j Job, key string, w Object) {
	t.Helper()
	got, ok := j.Object(t, key)
	if !ok {
		t.Errorf("%q: no record, want %+v", key, w)
		return
	}
	if got != w {
		t.Errorf("%q: got %+v, want %+v", key, got, w)
	}
}

func wantNone(t *testing.T, j Job, key string) {
	t.Helper()
	if got, ok := j.Object(t, key); ok {
		t.Errorf("%q: got %+v, want no record", key, got)
	}
}

func testDoneAfterReopen(t *testing.T, j Job) {
	l := j.Open(t)
	l.Started("small", 3, "src-e")
	l.Done("small", 3, "dst-e")
	l.Started("grown", 3, "src-g")
	l.Done("grown", 4, "dst-g") // the destination's size is the one kept
	closeLedger(t, l)
	want(t, j, "small", Object{State: Done, Size: 3, SrcETag: "src-e", DstETag: "dst-e", Attempts: 1})
	want(t, j, "grown", Object{State: Done, Size: 4, SrcETag: "src-g", DstETag: "dst-g", Attempts: 1})

	l = j.Open(t)
	defer closeLedger(t, l)
	if u, ok := l.Resumable("small", "src-e", 3); ok {
		t.Errorf("Resumable(small) = %+v for an object with no upload", u)
	}
	if stale := l.Unchanged("small", 3, "dst-e"); stale != "" {
		t.Errorf("Unchanged(small) = %q, want no stale upload", stale)
	}
}

func testFlushCommits(t *testing.T, j Job) {
	l := j.Open(t)
	defer closeLedger(t, l)
	for i := range 3 {
		k := fmt.Sprintf("k%d", i)
		l.Started(k, int64(i), "s")
		l.Done(k, int64(i), "d")
	}
	l.Started("in-flight", 9, "s9")
	flush(t, l)
	// Read through another connection while the ledger is still open.
	for i := range 3 {
		want(t, j, fmt.Sprintf("k%d", i), Object{State: Done, Size: int64(i), SrcETag: "s", DstETag: "d", Attempts: 1})
	}
	want(t, j, "in-flight", Object{State: Started, Size: 9, SrcETag: "s9", Attempts: 1})
}

func testFailedAndRetried(t *testing.T, j Job) {
	l := j.Open(t)
	l.Started("bad", 5, "e")
	l.Failed("bad", "checksum mismatch: read MD5 …")
	l.Failed("never-started", "list: access denied")
	closeLedger(t, l)
	want(t, j, "bad", Object{State: Failed, Size: 5, SrcETag: "e", Reason: "checksum mismatch: read MD5 …", Attempts: 1})
	want(t, j, "never-started", Object{State: Failed, Reason: "list: access denied", Attempts: 1})

	l = j.Open(t)
	l.Started("bad", 5, "e")
	l.Failed("bad", "503 SlowDown")
	closeLedger(t, l)
	want(t, j, "bad", Object{State: Failed, Size: 5, SrcETag: "e", Reason: "503 SlowDown", Attempts: 2})

	// A later success clears the reason; the attempts stay counted.
	l = j.Open(t)
	l.Started("bad", 5, "e")
	l.Done("bad", 5, "d")
	closeLedger(t, l)
	want(t, j, "bad", Object{State: Done, Size: 5, SrcETag: "e", DstETag: "d", Attempts: 3})
}

func testDeleted(t *testing.T, j Job) {
	l := j.Open(t)
	l.Started("copied", 2, "s")
	l.Done("copied", 2, "d")
	closeLedger(t, l)
	l = j.Open(t)
	l.Deleted("copied")
	l.Deleted("only-at-destination")
	closeLedger(t, l)
	if got, ok := j.Object(t, "copied"); !ok || got.State != Deleted {
		t.Errorf("copied: got %+v, %v; want state %s", got, ok, Deleted)
	}
	if got, ok := j.Object(t, "only-at-destination"); !ok || got.State != Deleted {
		t.Errorf("only-at-destination: got %+v, %v; want state %s", got, ok, Deleted)
	}
}

var bigUpload = transfer.Upload{ID: "up1", SrcETag: "etag-3", Opaque: true, Size: 30, PartSize: 10, Parts: 3, ByNumber: true}

func wantUpload(t *testing.T, l Ledger, key string, w transfer.Upload) {
	t.Helper()
	got, ok := l.Resumable(key, w.SrcETag, w.Size)
	if !ok {
		t.Errorf("Resumable(%q) found nothing, want upload %s", key, w.ID)
		return
	}
	if got.ID != w.ID || got.SrcETag != w.SrcETag || got.Opaque != w.Opaque || got.Size != w.Size ||
		got.PartSize != w.PartSize || got.Parts != w.Parts || got.ByNumber != w.ByNumber {
		t.Errorf("Resumable(%q) = %+v, want %+v", key, got, w)
	}
	if len(got.Done) != len(w.Done) {
		t.Errorf("Resumable(%q): %d confirmed parts, want %d", key, len(got.Done), len(w.Done))
	}
	for n, wp := range w.Done {
		gp, ok := got.Done[n]
		if !ok || gp.Number != wp.Number || gp.ETag != wp.ETag || gp.Size != wp.Size ||
			!bytes.Equal(gp.MD5, wp.MD5) || !bytes.Equal(gp.HashState, wp.HashState) {
			t.Errorf("Resumable(%q) part %d = %+v, want %+v", key, n, gp, wp)
		}
	}
}

func testUploadResumable(t *testing.T, j Job) {
	l := j.Open(t)
	l.Started("big", 30, "etag-3")
	if err := l.UploadStarted("big", bigUpload); err != nil {
		t.Fatal(err)
	}
	p1 := transfer.DonePart{Number: 1, ETag: "p1", MD5: []byte{1, 2, 3}, Size: 10, HashState: []byte("state\x00after-1")}
	p2 := transfer.DonePart{Number: 2, ETag: "p2", MD5: []byte{4}, Size: 10}
	l.PartDone("big", "up1", p1)
	l.PartDone("big", "up1", p2)
	closeLedger(t, l)

	l = j.Open(t)
	defer closeLedger(t, l)
	w := bigUpload
	w.Done = map[int]transfer.DonePart{1: p1, 2: p2}
	wantUpload(t, l, "big", w)
	for _, c := range []struct {
		key, etag string
		size      int64
	}{{"big", "another-version", 30}, {"big", "etag-3", 31}, {"other", "etag-3", 30}} {
		if u, ok := l.Resumable(c.key, c.etag, c.size); ok {
			t.Errorf("Resumable(%q, %q, %d) = %+v, want nothing: not the recorded upload's object", c.key, c.etag, c.size, u)
		}
	}
	want(t, j, "big", Object{State: Started, Size: 30, SrcETag: "etag-3", Attempts: 1})
}

// Parts must never be sent for an upload a later run could not find: the
// record is committed when UploadStarted returns.
func testUploadStartedIsDurable(t *testing.T, j Job) {
	l := j.Open(t)
	defer closeLedger(t, l)
	if err := l.UploadStarted("big", bigUpload); err != nil {
		t.Fatal(err)
	}
	other := j.Open(t)
	defer closeLedger(t, other)
	wantUpload(t, other, "big", bigUpload)
	if stale := other.Unchanged("big", 30, "d"); stale != "up1" {
		t.Errorf("Unchanged(big) in another ledger = %q, want up1", stale)
	}
}

func testEndedUploadNotOffered(t *testing.T, j Job) {
	l := j.Open(t)
	if err := l.UploadStarted("big", bigUpload); err != nil {
		t.Fatal(err)
	}
	l.PartDone("big", "up1", transfer.DonePart{Number: 1, ETag: "p1", Size: 10})
	l.UploadEnded("big", "up1")
	// Not yet committed, but already forgotten.
	if u, ok := l.Resumable("big", "etag-3", 30); ok {
		t.Errorf("Resumable after UploadEnded = %+v, want nothing", u)
	}
	if stale := l.Unchanged("big", 30, "d"); stale != "" {
		t.Errorf("Unchanged after UploadEnded = %q, want none", stale)
	}
	closeLedger(t, l)
	l = j.Open(t)
	defer closeLedger(t, l)
	if u, ok := l.Resumable("big", "etag-3", 30); ok {
		t.Errorf("Resumable after reopen = %+v, want nothing", u)
	}
}

func testNewUploadReplacesOld(t *testing.T, j Job) {
	l := j.Open(t)
	if err := l.UploadStarted("big", bigUpload); err != nil {
		t.Fatal(err)
	}
	l.PartDone("big", "up1", transfer.DonePart{Number: 1, ETag: "p1", Size: 10})
	up2 := bigUpload
	up2.ID, up2.SrcETag, up2.Opaque, up2.ByNumber = "up2", "etag-new", false, false
	if err := l.UploadStarted("big", up2); err != nil {
		t.Fatal(err)
	}
	wantUpload(t, l, "big", up2) // and none of up1's parts
	l.UploadEnded("big", "up1")  // a late end of the old one forgets nothing
	wantUpload(t, l, "big", up2)
	closeLedger(t, l)

	l = j.Open(t)
	defer closeLedger(t, l)
	wantUpload(t, l, "big", up2)
	if u, ok := l.Resumable("big", "etag-3", 30); ok {
		t.Errorf("the replaced upload was offered: %+v", u)
	}
}

// A copy that completed just before a crash, its Done not yet written, is
// confirmed by the next run's listing; an upload still recorded for it is
// returned for the engine to abort.
func testUnchangedConfirmsStarted(t *testing.T, j Job) {
	l := j.Open(t)
	l.Started("a", 5, "src-a")
	l.Started("big", 30, "etag-3")
	if err := l.UploadStarted("big", bigUpload); err != nil {
		t.Fatal(err)
	}
	l.PartDone("big", "up1", transfer.DonePart{Number: 1, ETag: "p1", Size: 10})
	closeLedger(t, l)

	l = j.Open(t)
	if stale := l.Unchanged("a", 5, "dst-a"); stale != "" {
		t.Errorf("Unchanged(a) = %q, want no stale upload", stale)
	}
	if stale := l.Unchanged("big", 30, "dst-big"); stale != "up1" {
		t.Errorf("Unchanged(big) = %q, want the stale upload up1", stale)
	}
	l.UploadEnded("big", "up1") // the engine aborted it
	closeLedger(t, l)
	want(t, j, "a", Object{State: Done, Size: 5, SrcETag: "src-a", DstETag: "dst-a", Attempts: 1})
	want(t, j, "big", Object{State: Done, Size: 30, SrcETag: "etag-3", DstETag: "dst-big", Attempts: 1})

	l = j.Open(t)
	defer closeLedger(t, l)
	if u, ok := l.Resumable("big", "etag-3", 30); ok {
		t.Errorf("Resumable(big) = %+v after the stale upload ended", u)
	}
	if stale := l.Unchanged("big", 30, "dst-big"); stale != "" {
		t.Errorf("Unchanged(big) = %q after the stale upload ended", stale)
	}
}

// After a kill, the killed run's last batch may be lost, Started included:
// every object the listings show copied is recorded as confirmed.
func testUnchangedAfterKill(t *testing.T, j Job) {
	l := j.Open(t)
	l.Started("x", 1, "sx")
	l.Done("x", 1, "dx")
	flush(t, l)
	j.Kill(t, l)

	l = j.Open(t)
	l.Unchanged("x", 1, "dx")
	l.Unchanged("lost", 7, "d-lost")
	closeLedger(t, l)
	want(t, j, "x", Object{State: Done, Size: 1, SrcETag: "sx", DstETag: "dx", Attempts: 1})
	if got, ok := j.Object(t, "lost"); !ok || got.State != Done || got.Size != 7 || got.DstETag != "d-lost" {
		t.Errorf("lost: got %+v, %v; want done, 7 bytes, d-lost", got, ok)
	}
}

// After a clean end nothing was lost: a run that finds everything in place
// writes nothing per object.
func testUnchangedAfterCleanEnd(t *testing.T, j Job) {
	l := j.Open(t)
	l.Started("x", 1, "sx")
	l.Done("x", 1, "dx")
	closeLedger(t, l)
	l = j.Open(t)
	l.Unchanged("x", 1, "dx")
	l.Unchanged("copied-by-someone-else", 7, "d")
	closeLedger(t, l)
	want(t, j, "x", Object{State: Done, Size: 1, SrcETag: "sx", DstETag: "dx", Attempts: 1})
	wantNone(t, j, "copied-by-someone-else")
}

func testVersions(t *testing.T, j Job) {
	l := j.Open(t)
	l.VersionDone("k", "s1", "d1", false)
	l.VersionDone("k", "s2", "d2", true)
	l.VersionDone("k", "s3", "d3-first", false)
	l.VersionDone("k", "s3", "d3", false) // the later record wins
	l.VersionDone("other", "s1", "o1", false)
	flush(t, l)
	w := map[string]string{"s1": "d1", "s2": "d2", "s3": "d3"}
	if got := l.Carried("k"); !maps.Equal(got, w) {
		t.Errorf("Carried(k) = %v, want %v", got, w)
	}
	closeLedger(t, l)

	l = j.Open(t)
	defer closeLedger(t, l)
	if got := l.Carried("k"); !maps.Equal(got, w) {
		t.Errorf("Carried(k) after reopen = %v, want %v", got, w)
	}
	if got := l.Carried("never"); len(got) != 0 {
		t.Errorf("Carried(never) = %v, want nothing", got)
	}
	if got := l.Carried("other"); !maps.Equal(got, map[string]string{"s1": "o1"}) {
		t.Errorf("Carried(other) = %v, want s1:o1", got)
	}
}

// The engine calls a ledger from many goroutines at once.
func testConcurrent(t *testing.T, j Job) {
	const workers, each = 8, 60
	l := j.Open(t)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				k := fmt.Sprintf("w%d/%03d", w, i)
				l.Started(k, int64(i), "s")
				if i%10 == 0 {
					u := transfer.Upload{ID: "u-" + k, SrcETag: "s", Size: int64(i), PartSize: 1, Parts: 2}
					if err := l.UploadStarted(k, u); err != nil {
						t.Error(err)
						return
					}
					l.PartDone(k, u.ID, transfer.DonePart{Number: 1, ETag: "p", Size: 1})
					l.Resumable(k, "s", int64(i))
					l.UploadEnded(k, u.ID)
				}
				l.Done(k, int64(i), "d")
			}
		})
	}
	wg.Wait()
	closeLedger(t, l)
	for w := range workers {
		for i := range each {
			if t.Failed() {
				return
			}
			want(t, j, fmt.Sprintf("w%d/%03d", w, i), Object{State: Done, Size: int64(i), SrcETag: "s", DstETag: "d", Attempts: 1})
		}
	}
	l = j.Open(t)
	defer closeLedger(t, l)
	if u, ok := l.Resumable("w0/000", "s", 0); ok {
		t.Errorf("an ended upload was offered: %+v", u)
	}
}

func testHostileKeys(t *testing.T, j Job) {
	l := j.Open(t)
	for i, k := range storetest.HostileKeys {
		l.Started(k, int64(i), "s-"+k)
		l.Done(k, int64(i), "d-"+k)
		l.VersionDone(k, "v-"+k, "w-"+k, false)
	}
	for _, k := range storetest.HostileKeys {
		u := bigUpload
		u.ID = "up-" + k
		if err := l.UploadStarted(k+"/big", u); err != nil {
			t.Fatal(err)
		}
	}
	closeLedger(t, l)
	l = j.Open(t)
	defer closeLedger(t, l)
	for i, k := range storetest.HostileKeys {
		want(t, j, k, Object{State: Done, Size: int64(i), SrcETag: "s-" + k, DstETag: "d-" + k, Attempts: 1})
		if got := l.Carried(k); !maps.Equal(got, map[string]string{"v-" + k: "w-" + k}) {
			t.Errorf("Carried(%q) = %v", k, got)
		}
		u := bigUpload
		u.ID = "up-" + k
		wantUpload(t, l, k+"/big", u)
	}
}

// The engine itself, through the ledger: a run cancelled in the middle of
// a multipart upload keeps the upload, and the next run continues it from
// the confirmed parts instead of sending them again.
func testEngineResumesUpload(t *testing.T, j Job) {
	src, inner := mem.New("src"), mem.New("dst")
	big := make([]byte, 4<<20+3) // five parts of 1 MiB
	for i := range big {
		big[i] = byte(i * 7)
	}
	storetest.Put(t, src, "big.bin", big, store.Metadata{})
	storetest.Put(t, src, "small.txt", []byte("small"), store.Metadata{})
	faults := &faulty.Faults{}
	dst := faulty.Wrap(inner, faults)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	faults.PartErr = func(key string, part, n int) error {
		if part == 3 && n == 1 {
			cancel()
			return context.Canceled
		}
		return nil
	}
	opts := transfer.Options{Workers: 1, PartSize: 1 << 20, MaxDelete: -1,
		Retry: retry.Policy{Attempts: 3, Mismatches: 3, Base: time.Millisecond, Max: time.Millisecond}}

	l := j.Open(t)
	opts.Ledger = l
	if _, err := transfer.Run(ctx, src, dst, opts); !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: err = %v, want it cancelled", err)
	}
	closeLedger(t, l)
	if n := inner.Uploads(); n != 1 {
		t.Fatalf("after the cancelled run, %d uploads open, want the 1 kept for the next run", n)
	}
	sent := make([]int, 6)
	for p := 1; p <= 5; p++ {
		sent[p] = faults.PartCalls("big.bin", p)
	}
	if sent[1] != 1 {
		t.Fatalf("part 1 sent %d times before the cancel, want 1", sent[1])
	}

	l = j.Open(t)
	opts.Ledger = l
	sum, err := transfer.Run(context.Background(), src, dst, opts)
	if err != nil {
		t.Fatal(err)
	}
	closeLedger(t, l)
	if len(sum.Failed) != 0 {
		t.Fatalf("second run failed: %v", sum.Failed)
	}
	for p := 1; p <= 5; p++ {
		if p < 3 && faults.PartCalls("big.bin", p) != sent[p] {
			t.Errorf("part %d sent again (%d times, %d before): the confirmed part was not resumed", p, faults.PartCalls("big.bin", p), sent[p])
		}
	}
	if got, ok := inner.Body("big.bin"); !ok || !bytes.Equal(got, big) {
		t.Errorf("big.bin at the destination differs from the source (present %v)", ok)
	}
	if n := inner.Uploads(); n != 0 {
		t.Errorf("%d uploads left open", n)
	}
	if got, ok := j.Object(t, "big.bin"); !ok || got.State != Done || got.Size != int64(len(big)) {
		t.Errorf("big.bin: got %+v, %v; want done with %d bytes", got, ok, len(big))
	}
	if got, ok := j.Object(t, "small.txt"); !ok || got.State != Done {
		t.Errorf("small.txt: got %+v, %v; want done", got, ok)
	}
}

// A run killed after its copies completed but before their Done was
// committed: the next run copies nothing and confirms them all.
func testEngineRecopyAfterKill(t *testing.T, j Job) {
	src, dst := mem.New("src"), mem.New("dst")
	for i := range 20 {
		storetest.Put(t, src, fmt.Sprintf("o/%02d", i), []byte{byte(i)}, store.Metadata{})
	}
	opts := transfer.Options{Workers: 4, PartSize: 1 << 20, MaxDelete: -1}
	// The first run copied everything, and its ledger lost it all.
	if _, err := transfer.Run(context.Background(), src, dst, opts); err != nil {
		t.Fatal(err)
	}
	j.Kill(t, j.Open(t))

	l := j.Open(t)
	opts.Ledger = l
	sum, err := transfer.Run(context.Background(), src, dst, opts)
	if err != nil {
		t.Fatal(err)
	}
	closeLedger(t, l)
	if sum.Copied != 0 || sum.Unchanged != 20 {
		t.Errorf("second run copied %d, found %d unchanged; want 0 and 20", sum.Copied, sum.Unchanged)
	}
	for i := range 20 {
		k := fmt.Sprintf("o/%02d", i)
		if got, ok := j.Object(t, k); !ok || got.State != Done || got.Size != 1 {
			t.Errorf("%s: got %+v, %v; want done, 1 byte", k, got, ok)
		}
	}
}

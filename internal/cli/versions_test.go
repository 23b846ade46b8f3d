package cli_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/diff"
	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// versioned returns a MinIO pair and a versitygw that keeps versions.
func versionedServers(t *testing.T) (src, dst, vgw *s3test.Server) {
	t.Helper()
	src = s3test.Shared(t, s3test.MinIO, "src")
	dst = s3test.Shared(t, s3test.MinIO, "dst")
	vgw = s3test.SharedWith(t, s3test.VersityGW, "vgw-versions", s3test.Options{Versioning: true})
	s3test.WriteProfiles(t, map[string]*s3test.Server{"src": src, "dst": dst, "vgwv": vgw})
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	return src, dst, vgw
}

// histEntry is one entry of a key's history as the tests compare them:
// never the IDs or dates the destination gives.
type histEntry struct {
	Marker bool
	Size   int64
	ETag   string
	Lock   string
	Source string // the source version ID (at the destination: the one it records)
}

func (e histEntry) String() string {
	if e.Marker {
		return "marker(" + e.Source + ")"
	}
	return fmt.Sprintf("%d/%s/%s/%s", e.Size, e.ETag, e.Lock, e.Source)
}

// listHistory reads every key's history, oldest first, independently of
// the code under test's grouping: the raw listing, then a HEAD per version.
func listHistory(t *testing.T, st store.Store, atDst bool) map[string][]histEntry {
	t.Helper()
	ctx := context.Background()
	v := st.(store.Versioned)
	hs := map[string][]histEntry{}
	for e, err := range v.Versions(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		h := histEntry{Marker: e.DeleteMarker, Source: e.VersionID}
		if atDst && e.DeleteMarker {
			h.Source = ""
		}
		if !e.DeleteMarker {
			info, err := v.StatVersion(ctx, e.Key, e.VersionID)
			if err != nil {
				t.Fatal(err)
			}
			h.Size, h.ETag, h.Lock = e.Size, e.ETag, diff.FormatLock(info.Meta.Lock)
			if atDst {
				h.Source = info.Meta.User[diff.SourceVersionKey]
			}
		}
		hs[e.Key] = append([]histEntry{h}, hs[e.Key]...) // newest first in the listing
	}
	// Markers that hide nothing are not carried (store.EffectiveHistory):
	// drop them here by the same rule, written out again.
	for k, h := range hs {
		var kept []histEntry
		for _, e := range h {
			if e.Marker && (len(kept) == 0 || kept[len(kept)-1].Marker) {
				continue
			}
			kept = append(kept, e)
		}
		if len(kept) == 0 {
			delete(hs, k)
		} else {
			hs[k] = kept
		}
	}
	return hs
}

// sameHistories compares two listHistory results; markers compare by place.
func sameHistories(t *testing.T, src, dst map[string][]histEntry, withLock bool) {
	t.Helper()
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range src {
			if !yield(k) {
				return
			}
		}
	}) {
		s, d := src[k], dst[k]
		if len(s) != len(d) {
			t.Errorf("%s: %d entries at the destination, %d at the source\n src %v\n dst %v", k, len(d), len(s), s, d)
			continue
		}
		for i := range s {
			a, b := s[i], d[i]
			if a.Marker {
				a.Source = ""
			}
			if !withLock {
				a.Lock, b.Lock = "", ""
			}
			if a != b {
				t.Errorf("%s entry %d: destination %v, source %v", k, i+1, b, a)
			}
		}
	}
	if len(src) != len(dst) {
		t.Errorf("%d keys at the destination, %d at the source", len(dst), len(src))
	}
}

// writeHistory fills a bucket with the shapes the issue names: several
// versions per key, delete markers between versions and on top, a key
// whose latest is a marker, a multipart
// version; with lock, GOVERNANCE and COMPLIANCE retention and a legal hold.
func writeHistory(t *testing.T, srv *s3test.Server, bucket string, lock bool) {
	t.Helper()
	ctx := context.Background()
	st := srv.Store(t, bucket, "")
	put := func(key, text string, l store.Lock) {
		t.Helper()
		storetest.Put(t, st, key, []byte(text), store.Metadata{ContentType: "text/plain", User: map[string]string{"rev": text}, Lock: l})
	}
	marker := func(key string) {
		t.Helper()
		if _, err := st.AddDeleteMarker(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	var gov, comp, hold store.Lock
	if lock {
		until := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
		gov = store.Lock{Mode: store.LockGovernance, RetainUntil: until}
		comp = store.Lock{Mode: store.LockCompliance, RetainUntil: until.Add(time.Hour)}
		hold = store.Lock{LegalHold: true}
	}
	put("minutes.txt", "draft", store.Lock{})
	put("minutes.txt", "reviewed", gov)
	marker("minutes.txt")
	put("minutes.txt", "restored", store.Lock{})
	put("records/2019.pdf", "records 2019", comp)
	put("records/2019.pdf", "records 2019 amended", hold)
	put("retracted.txt", "oops", store.Lock{})
	marker("retracted.txt")
	multipart(t, st, "data/run.h5", body(11<<20, 3), 5<<20, store.Metadata{ContentType: "application/x-hdf5"})
	multipart(t, st, "data/run.h5", body(11<<20, 4), 5<<20, store.Metadata{ContentType: "application/x-hdf5"})
}

// Issue 12: copy --versions between two MinIO buckets with Object Lock,
// then verify --versions, checked independently by listing both histories.
func TestCopyVersionsMinIO(t *testing.T) {
	src, dst, _ := versionedServers(t)
	sb, db := src.LockedBucket(t), dst.LockedBucket(t)
	writeHistory(t, src, sb, true)
	report := filepath.Join(t.TempDir(), "loss.md")
	args := []string{"s3://" + sb, "s3://" + db, "--from-profile", "src", "--to-profile", "dst", "--versions"}

	code, out, errs := sortie(t, append([]string{"plan", "--json"}, args...)...)
	if s := last(t, out); code != 0 || s["history"].(map[string]any)["versions_written"] != 8.0 {
		t.Fatalf("plan: exit %d %v\n%s", code, s, errs)
	}
	code, out, errs = sortie(t, append([]string{"copy", "--loss-report", report}, args...)...)
	if code != 0 {
		t.Fatalf("copy --versions: exit %d\n%s\n%s", code, out, errs)
	}
	t.Logf("copy --versions:\n%s", out)
	for _, want := range []string{"8 versions and 2 delete markers", "COMPLIANCE", "Object Lock: 3 versions", "next: sortie verify"} {
		if !strings.Contains(out, want) {
			t.Errorf("copy's summary lacks %q", want)
		}
	}
	sameHistories(t, listHistory(t, src.Store(t, sb, ""), false), listHistory(t, dst.Store(t, db, ""), true), true)
	md, err := os.ReadFile(report)
	if err != nil || !strings.Contains(string(md), "# Loss report") || !strings.Contains(string(md), "clocks restart") {
		t.Errorf("loss report file: %v\n%s", err, md)
	}

	// The next command runs as printed.
	next := nextCommand(t, out)
	if code, vout, verrs := sortie(t, next...); code != 0 || !strings.Contains(vout, "identical") {
		t.Errorf("%v: exit %d\n%s\n%s", next, code, vout, verrs)
	}
	code, out, _ = sortie(t, append([]string{"copy", "--json"}, args...)...)
	if h := last(t, out)["history"].(map[string]any); code != 0 || h["versions_written"] != 0.0 || h["delete_markers_written"] != 0.0 || h["entries_already_there"] != 10.0 {
		t.Errorf("second copy --versions: exit %d %v", code, h)
	}

	// A destination without Object Lock is refused before anything moves.
	plain := dst.VersionedBucket(t)
	code, _, errs = sortie(t, "copy", "s3://"+sb, "s3://"+plain, "--from-profile", "src", "--to-profile", "dst", "--versions")
	if code != 2 || !strings.Contains(errs, "--no-lock") || !strings.Contains(errs, "object-lock-enabled-for-bucket") {
		t.Errorf("copy into a bucket without Object Lock: exit %d\n%s", code, errs)
	}
	if n := len(listHistory(t, dst.Store(t, plain, ""), true)); n != 0 {
		t.Errorf("refused copy wrote %d keys", n)
	}

	// --create-bucket mirrors versioning and Object Lock.
	fresh := s3test.BucketName()
	code, out, errs = sortie(t, "copy", "s3://"+sb, "s3://"+fresh, "--from-profile", "src", "--to-profile", "dst", "--versions", "--create-bucket")
	if code != 0 {
		t.Fatalf("copy --versions --create-bucket: exit %d\n%s\n%s", code, out, errs)
	}
	if l, err := dst.Store(t, fresh, "").LockConfig(context.Background()); err != nil || !l.Enabled {
		t.Errorf("created bucket's Object Lock: %+v %v", l, err)
	}
	sameHistories(t, listHistory(t, src.Store(t, sb, ""), false), listHistory(t, dst.Store(t, fresh, ""), true), true)
}

// nextCommand returns the arguments of the "next:" line of a summary.
func nextCommand(t *testing.T, out string) []string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(l, "next: sortie "); ok {
			return strings.Fields(rest)
		}
	}
	t.Fatalf("no next: line in\n%s", out)
	return nil
}

// Issue 12: MinIO → versitygw. versitygw keeps versions with
// --versioning-dir and lists them apart from delete markers.
func TestCopyVersionsVersityGW(t *testing.T) {
	src, _, vgw := versionedServers(t)
	sb, vb := src.LockedBucket(t), vgw.VersionedBucket(t)
	writeHistory(t, src, sb, true)
	args := []string{"s3://" + sb, "s3://" + vb, "--from-profile", "src", "--to-profile", "vgwv", "--versions"}
	code, out, errs := sortie(t, append([]string{"copy"}, args...)...)
	if code != 2 || !strings.Contains(errs, "Object Lock") {
		t.Fatalf("copy of a locked source to versitygw without --no-lock: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = sortie(t, append([]string{"copy", "--no-lock"}, args...)...)
	if code != 0 {
		t.Fatalf("copy --versions --no-lock: exit %d\n%s\n%s", code, out, errs)
	}
	t.Logf("copy --versions --no-lock to versitygw:\n%s", out)
	if !strings.Contains(out, "--no-lock") || !strings.Contains(out, "not carried") {
		t.Errorf("the summary does not say the lock was dropped:\n%s", out)
	}
	sameHistories(t, listHistory(t, src.Store(t, sb, ""), false), listHistory(t, vgw.Store(t, vb, ""), true), false)
	next := nextCommand(t, out)
	if code, vout, verrs := sortie(t, append(next, "--exact")...); code != 0 || !strings.Contains(vout, "object lock") {
		t.Errorf("%v --exact: exit %d\n%s\n%s", next, code, vout, verrs)
	} else {
		t.Logf("%v --exact:\n%s", next, vout)
	}
	code, out, _ = sortie(t, append([]string{"copy", "--no-lock", "--json"}, args...)...)
	if h := last(t, out)["history"].(map[string]any); code != 0 || h["versions_written"] != 0.0 {
		t.Errorf("second copy: exit %d %v", code, h)
	}

	// versitygw with --versioning-dir enforces retention but keeps it per
	// key, so its locked buckets are refused too: the probe writes a second
	// version and finds the first one's retention gone.
	lb := vgw.LockedBucket(t)
	code, _, errs = sortie(t, "copy", "--versions", "s3://"+sb, "s3://"+lb, "--from-profile", "src", "--to-profile", "vgwv")
	if code != 2 || !strings.Contains(errs, "per key, not per version") {
		t.Errorf("copy --versions to a locked versitygw bucket: exit %d\n%s", code, errs)
	}
	t.Logf("copy --versions to a locked versitygw bucket: exit %d\n%s", code, errs)
	if n := len(listHistory(t, vgw.Store(t, lb, ""), true)); n != 0 {
		t.Errorf("refused copy wrote %d keys", n)
	}
}

// Issue 12: kill -9 during a history copy, then resume: no version missing
// or repeated.
func TestKillNineVersions(t *testing.T) {
	src, dst, _ := versionedServers(t)
	sb, db := src.VersionedBucket(t), dst.VersionedBucket(t)
	st := src.Store(t, sb, "")
	for i := range 40 {
		key := fmt.Sprintf("k/%02d.dat", i%8)
		storetest.Put(t, st, key, body(2048+i*100, byte(i)), store.Metadata{})
		if i%7 == 3 {
			if _, err := st.AddDeleteMarker(context.Background(), key); err != nil {
				t.Fatal(err)
			}
		}
	}
	multipart(t, st, "big.bin", body(12<<20, 9), 5<<20, store.Metadata{})
	multipart(t, st, "big.bin", body(12<<20, 10), 5<<20, store.Metadata{})
	jpath := filepath.Join(t.TempDir(), "job.db")
	args := []string{"copy", "--versions", "s3://" + sb, "s3://" + db, "--from-profile", "src", "--to-profile", "dst",
		"--part-size", "5MiB", "--bwlimit", "4MiB", "--workers", "2", "--json", "--journal", jpath}
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill schedule seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 12))
	kills := 0
	for attempt := 0; attempt < 10 && kills < 6; attempt++ {
		p := startSortie(t, args...)
		select {
		case <-p.done:
		case <-time.After(200*time.Millisecond + time.Duration(rng.Int64N(int64(time.Second)))):
			p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
			kills++
		}
	}
	if kills < 3 {
		t.Fatalf("only %d kills landed mid-run", kills)
	}
	p := startSortie(t, args...)
	<-p.done
	if p.exitCode() != 0 {
		t.Fatalf("final resume: exit %d\n%s\n%s", p.exitCode(), p.stdout.String(), p.stderr.String())
	}
	t.Logf("%d kill -9 points", kills)
	sameHistories(t, listHistory(t, st, false), listHistory(t, dst.Store(t, db, ""), true), true)
}

package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	neturl "net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/pgtest"
	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// These tests run the real command, several processes of it, against
// Debian's PostgreSQL and two MinIO servers on loopback: the coordinator
// is about processes that die.

func TestMain(m *testing.M) { s3test.Main(m) }

// build compiles the command into a temporary directory.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sortie")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type proc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
}

// syncBuffer is a bytes.Buffer the test may read while the process writes
// it (exec copies a pipe into it from a goroutine of its own).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, bin, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", p.name, p.stderr.String())
		}
	})
	return p
}

// psql runs q and returns its rows, one string each (columns joined by |).
func psql(t *testing.T, url, q string) []string {
	t.Helper()
	out, err := exec.Command(filepath.Join(pgtest.BinDir, "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", q).CombinedOutput()
	if err != nil {
		t.Fatalf("psql %s: %v\n%s", q, err, out)
	}
	s := strings.TrimSpace(string(out))
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// poll runs q as psql does, and returns no rows when it fails: the
// processes under test may not have created the tables yet.
func poll(url, q string) []string {
	out, err := exec.Command(filepath.Join(pgtest.BinDir, "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", q).Output()
	if s := strings.TrimSpace(string(out)); err == nil && s != "" {
		return strings.Split(s, "\n")
	}
	return nil
}

func psqlInt(t *testing.T, url, q string) int {
	t.Helper()
	rows := psql(t, url, q)
	if len(rows) != 1 {
		t.Fatalf("%s: %d rows, want 1", q, len(rows))
	}
	n, err := strconv.Atoi(rows[0])
	if err != nil {
		t.Fatalf("%s: %q is not a number", q, rows[0])
	}
	return n
}

func summary(t *testing.T, out string) map[string]any {
	t.Helper()
	var last map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["event"] == "summary" {
			last = m
		}
	}
	if last == nil {
		t.Fatalf("no summary in:\n%s", out)
	}
	return last
}

// humanize writes n with thousands separators, as the command does.
func humanize(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func body(n int, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*31 + i*7)
	}
	return b
}

// Three sortie worker processes copy a bucket of thousands of small
// objects and several multipart ones through the coordinator; one is
// killed with SIGKILL in the middle of a partition. Its partition is taken
// over and finished by another worker from the ledger: every object
// arrives once, no upload is left open, the ledger's counts equal the
// destination's listing, and a second run copies nothing.
func TestCoordinatorWorkersSurviveKill(t *testing.T) {
	bin := build(t)
	pg := pgtest.Start(t)
	url := pg.Database(t)
	src, dst := s3test.StartTB(t, s3test.MinIO), s3test.StartTB(t, s3test.MinIO)
	s3test.WriteProfiles(t, map[string]*s3test.Server{"src": src, "dst": dst})
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	sb, db := src.Bucket(t), dst.Bucket(t)
	st := src.Store(t, sb, "")

	const small, large = 3000, 6
	var keys []string
	put := func(k string, b []byte) {
		storetest.Put(t, st, k, b, store.Metadata{})
		keys = append(keys, k)
	}
	for i := range small {
		put(fmt.Sprintf("%s/%04d.txt", []string{"cours", "labo", "photos", "theses", "admin"}[i%5], i), body(200+i%3000, i))
	}
	for i := range large {
		k := fmt.Sprintf("donnees/brutes/%d.h5", i)
		storetest.PutMultipart(t, st, k, body(12<<20+i*4096, 100+i), 5<<20, store.Metadata{ContentType: "application/x-hdf5"})
		keys = append(keys, k)
	}
	slices.Sort(keys)
	total := len(keys)

	common := []string{"--coordinator", url, "--lease", "3s"}
	workers := map[string]*proc{}
	for _, name := range []string{"w1", "w2", "w3"} {
		workers[name] = start(t, bin, name, append([]string{"worker", "--name", name}, common...)...)
	}
	copyArgs := append([]string{"copy", "s3://" + sb, "s3://" + db, "--from-profile", "src", "--to-profile", "dst",
		"--part-size", "5MiB", "--workers", "4", "--bwlimit", "3MiB", "--partitions", "24", "--no-work", "--json"}, common...)
	run := start(t, bin, "copy", copyArgs...)

	// Kill the first worker seen holding a partition it has copied
	// objects of, and not finished.
	var killed string
	deadline := time.Now().Add(2 * time.Minute)
	for killed == "" && time.Now().Before(deadline) {
		select {
		case <-run.done:
			t.Fatalf("the run ended before a worker could be killed mid-partition:\n%s\n%s", run.stdout.String(), run.stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
		rows := poll(url, `SELECT worker, partition FROM sortie_leases WHERE objects > 0 ORDER BY objects LIMIT 1`)
		if len(rows) == 1 {
			name, part, _ := strings.Cut(rows[0], "|")
			if w := workers[name]; w != nil {
				w.cmd.Process.Signal(syscall.SIGKILL)
				<-w.done
				killed = name
				t.Logf("killed %s with SIGKILL in the middle of partition %s", name, part)
			}
		}
	}
	if killed == "" {
		t.Fatal("no worker was seen in the middle of a partition")
	}
	// Then, if it comes before the end, the worker of a multipart upload
	// with confirmed parts: its next attempt, elsewhere, has them in the
	// ledger and must leave no upload open.
	var killedParts string
	for killedParts == "" && time.Now().Before(deadline) {
		select {
		case <-run.done:
			deadline = time.Now()
			continue
		case <-time.After(100 * time.Millisecond):
		}
		rows := poll(url, `SELECT l.worker, u.key, count(*) FROM sortie_leases l JOIN sortie_uploads u USING (job, partition)
			JOIN sortie_parts p ON p.job = u.job AND p.key = u.key AND p.upload_id = u.upload_id GROUP BY 1, 2 LIMIT 1`)
		if len(rows) == 1 {
			f := strings.Split(rows[0], "|")
			if w := workers[f[0]]; w != nil && f[0] != killed {
				w.cmd.Process.Signal(syscall.SIGKILL)
				<-w.done
				killedParts = f[0]
				t.Logf("killed %s with SIGKILL in the middle of %s, %s parts confirmed", f[0], f[1], f[2])
			}
		}
	}
	select {
	case <-run.done:
	case <-time.After(90 * time.Second):
		for _, r := range psql(t, url, `SELECT pid, application_name, state, wait_event_type, wait_event, left(regexp_replace(query, '\s+', ' ', 'g'), 100) FROM pg_stat_activity WHERE datname = current_database()`) {
			t.Log(r)
		}
		for _, r := range psql(t, url, `SELECT id, state, attempt, args, attempted_by FROM river_job WHERE state <> 'completed'`) {
			t.Log(r)
		}
		for _, w := range workers {
			w.cmd.Process.Signal(syscall.SIGQUIT)
		}
		time.Sleep(time.Second)
		t.Fatalf("the run did not finish after the kill:\n%s", run.stderr.String())
	}
	if code := run.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("copy --coordinator exit %d\n%s\n%s", code, run.stdout.String(), run.stderr.String())
	}
	sum := summary(t, run.stdout.String())
	if int(sum["source_objects"].(float64)) != total || int(sum["copied"].(float64)+sum["unchanged"].(float64)) != total || len(sum["failed"].([]any)) != 0 {
		t.Fatalf("summary %v: want %d objects listed, copied or found copied, none failed", sum, total)
	}

	// --json told each partition's result as it was recorded.
	parts := map[float64]bool{}
	for _, line := range strings.Split(run.stdout.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["event"] == "partition" {
			parts[m["partition"].(float64)] = true
		}
	}
	if want := psqlInt(t, url, `SELECT count(*) FROM sortie_partitions`); len(parts) != want {
		t.Errorf("%d partitions told in --json, want %d", len(parts), want)
	}

	// The partition the killed worker held was finished by another, in a
	// later attempt that continued (found copied objects) rather than
	// copying the partition again as a whole.
	retried := psql(t, url, `SELECT partition, worker, attempt, result->>'copied', result->>'unchanged' FROM sortie_results WHERE attempt > 1`)
	if len(retried) == 0 {
		t.Fatal("no partition was finished by a later attempt")
	}
	for _, r := range retried {
		f := strings.Split(r, "|")
		if f[1] == killed || f[1] == killedParts {
			t.Errorf("partition %s was finished by the killed worker %s", f[0], killed)
		}
		t.Logf("partition %s finished by %s at attempt %s: %s copied, %s found copied by the killed worker", f[0], f[1], f[2], f[3], f[4])
	}
	if n := psqlInt(t, url, `SELECT count(*) FROM sortie_results WHERE attempt > 1 AND (result->>'unchanged')::int > 0`); n == 0 {
		t.Error("the retried partition found nothing the killed worker had copied: it was copied again as a whole")
	}

	// Every object arrived, once, intact; no upload is left open; the
	// ledger accounts for exactly what the destination holds.
	ds := dst.Store(t, db, "")
	if got := storetest.Keys(t, ds); !slices.Equal(got, keys) {
		t.Fatalf("destination holds %d keys, want the source's %d", len(got), total)
	}
	if ups, err := ds.ListUploads(context.Background(), ""); err != nil || len(ups) != 0 {
		t.Errorf("multipart uploads left open: %v %v", ups, err)
	}
	job := psql(t, url, `SELECT job FROM sortie_jobs`)[0]
	vout, err := exec.Command(bin, "verify", "--exact", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst", "--coordinator", url).CombinedOutput()
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, vout)
	}
	if want := fmt.Sprintf("coordinator: copy job %s is done (run 1): %s objects confirmed, 0 failed", job, humanize(total)); !strings.Contains(string(vout), want) {
		t.Errorf("verify --coordinator does not say %q:\n%s", want, vout)
	}
	q := fmt.Sprintf(`SELECT count(*) FILTER (WHERE state = 2), count(*) FILTER (WHERE state <> 2), (SELECT count(*) FROM sortie_uploads WHERE job = '%s') FROM sortie_objects WHERE job = '%s'`, job, job)
	if got, want := psql(t, url, q)[0], fmt.Sprintf("%d|0|0", total); got != want {
		t.Errorf("ledger: done|other|uploads = %s, want %s", got, want)
	}

	// sortie jobs reads the coordinator: the job, its partitions, the
	// workers that finished them.
	out, err := exec.Command(bin, "jobs", "--coordinator", url).CombinedOutput()
	if err != nil || !strings.Contains(string(out), job) || !strings.Contains(string(out), "done") {
		t.Fatalf("sortie jobs --coordinator: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "jobs", "show", job[:6], "--coordinator", url).CombinedOutput()
	if err != nil {
		t.Fatalf("sortie jobs show: %v\n%s", err, out)
	}
	show := string(out)
	t.Logf("sortie jobs show %s:\n%s", job[:6], show)
	for _, want := range []string{"partitions (run 1)", "completed", fmt.Sprintf("done           %s objects", humanize(total))} {
		if !strings.Contains(show, want) {
			t.Errorf("jobs show lacks %q", want)
		}
	}
	for name := range workers {
		if name != killed && name != killedParts && !strings.Contains(show, name) {
			t.Errorf("jobs show does not name worker %s", name)
		}
	}

	// A second run, working in this process too, copies nothing.
	again := start(t, bin, "again", slices.DeleteFunc(slices.Clone(copyArgs), func(s string) bool { return s == "--no-work" })...)
	select {
	case <-again.done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the second run did not finish")
	}
	if code := again.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("second run exit %d\n%s", code, again.stderr.String())
	}
	if s := summary(t, again.stdout.String()); s["copied"].(float64) != 0 || int(s["unchanged"].(float64)) != total {
		t.Fatalf("second run: %v; want nothing copied, %d unchanged", s, total)
	}
	kills := 1
	if killedParts != "" {
		kills++
	}
	t.Logf("%d objects (%d multipart), 3 workers, %d kill -9; run 2 copied nothing", total, large, kills)
	for name, w := range workers {
		if strings.Contains(w.stderr.String(), "panic") || strings.Contains(w.stderr.String(), "goroutine ") {
			t.Errorf("%s: stack trace on stderr:\n%s", name, w.stderr.String())
		}
	}
}

// copy --inventory takes the objects of an S3 Inventory report (manifest
// and gzip CSV data files, as AWS delivers them) instead of a listing: one
// partition per data file, keys URL-decoded, and an object the report does
// not list is not copied (the report is a snapshot; a later listing run
// catches up).
func TestCoordinatorInventory(t *testing.T) {
	bin := build(t)
	url := pgtest.Start(t).Database(t)
	src, dst := s3test.StartTB(t, s3test.MinIO), s3test.StartTB(t, s3test.MinIO)
	s3test.WriteProfiles(t, map[string]*s3test.Server{"src": src, "dst": dst})
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	sb, db, rb := src.Bucket(t), dst.Bucket(t), src.Bucket(t)
	st, reports := src.Store(t, sb, ""), src.Store(t, rb, "")

	// Two data files, rows out of order as AWS does not promise any.
	files := [][]string{
		{"photos/jpgs/objectkey4", "object key with spaces", "objectkey1"},
		{"café/日本.txt", "1+2=3.txt", "photos/jpgs/newjersey/objectkey5"},
	}
	var listed []string
	var manifestFiles []string
	for i, keys := range files {
		var csv bytes.Buffer
		for _, k := range keys {
			o := storetest.Put(t, st, k, []byte("contenu de "+k), store.Metadata{})
			enc := neturl.QueryEscape(k) // "/" as %2F, a space as +
			fmt.Fprintf(&csv, "%q,%q,\"%d\",\"2016-11-06T21:32:00.000Z\",%q,\"STANDARD\",\"false\",\"\",\"SSE-S3\",\"\",\"\",\"Off\",\"\",\"DISABLED\",\"\",\"\",\"\"\n",
				sb, enc, o.Size, o.ETag)
			listed = append(listed, k)
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(csv.Bytes())
		zw.Close()
		key := fmt.Sprintf("Inventory/%s/2026-11-30T01-00Z/files/%d.csv.gz", sb, i)
		storetest.Put(t, reports, key, gz.Bytes(), store.Metadata{})
		manifestFiles = append(manifestFiles, fmt.Sprintf(`{"key": %q, "size": %d, "MD5checksum": "f11166069f1990abeb9c97ace9cdfabc"}`, key, gz.Len()))
	}
	// Added after the report: not in it.
	storetest.Put(t, st, "ajout-apres-inventaire.txt", []byte("plus tard"), store.Metadata{})
	manifest := fmt.Sprintf(`{
    "sourceBucket": %q,
    "destinationBucket": "arn:aws:s3:::%s",
    "version": "2016-11-30",
    "creationTimestamp" : "1764464400000",
    "fileFormat": "CSV",
    "fileSchema": "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus, IntelligentTieringAccessTier, BucketKeyStatus, ChecksumAlgorithm, ObjectAccessControlList, ObjectOwner",
    "files": [%s]
}`, sb, rb, strings.Join(manifestFiles, ", "))
	storetest.Put(t, reports, "Inventory/"+sb+"/2026-11-30T01-00Z/manifest.json", []byte(manifest), store.Metadata{ContentType: "application/json"})

	args := []string{"copy", "s3://" + sb, "s3://" + db, "--from-profile", "src", "--to-profile", "dst", "--json",
		"--coordinator", url, "--inventory", "s3://" + rb + "/Inventory/" + sb + "/2026-11-30T01-00Z/manifest.json"}
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("copy --inventory: %v\n%s", err, out)
	}
	if s := summary(t, string(out)); int(s["copied"].(float64)) != len(listed) || int(s["source_objects"].(float64)) != len(listed) {
		t.Fatalf("summary %v: want the report's %d objects copied", s, len(listed))
	}
	slices.Sort(listed)
	if got := storetest.Keys(t, dst.Store(t, db, "")); !slices.Equal(got, listed) {
		t.Fatalf("destination holds %q, want the report's %q", got, listed)
	}
	if n := psqlInt(t, url, `SELECT count(*) FROM sortie_partitions WHERE inventory IS NOT NULL`); n != len(files) {
		t.Errorf("%d partitions from data files, want %d", n, len(files))
	}
	// sync --inventory is refused before anything is touched.
	cmd := exec.Command(bin, append([]string{"sync"}, args[1:]...)...)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "sync --inventory") {
		t.Errorf("sync --inventory: %v\n%s; want a refusal", err, out)
	}
}

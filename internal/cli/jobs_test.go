package cli_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/journal"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

func TestJobs(t *testing.T) {
	src, dst, _ := servers(t)
	sb, db := src.Bucket(t), dst.Bucket(t)
	storetest.Put(t, src.Store(t, sb, ""), "a.txt", []byte("a"), store.Metadata{})
	storetest.Put(t, src.Store(t, sb, ""), "b.txt", []byte("bb"), store.Metadata{})
	if code, out, errs := sortie(t, "copy", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst"); code != 0 {
		t.Fatalf("copy: %d %s %s", code, out, errs)
	}
	// verify names the job's journal.
	if code, out, _ := sortie(t, "verify", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst"); code != 0 || !strings.Contains(out, "journal: copy job") || !strings.Contains(out, "is done: 2 objects confirmed, 0 failed") {
		t.Errorf("verify does not report the journal: %d\n%s", code, out)
	}
	code, out, errs := sortie(t, "jobs", "--json")
	if code != 0 {
		t.Fatalf("jobs: %d %s", code, errs)
	}
	var job map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &job); err != nil {
		t.Fatalf("jobs --json: %q: %v", out, err)
	}
	if job["state"] != "done" || job["done"] != 2.0 || job["command"] != "copy" || !strings.Contains(job["source"].(string), sb) {
		t.Fatalf("job %v", job)
	}
	id := job["id"].(string)
	if code, out, _ := sortie(t, "jobs"); code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "done") {
		t.Errorf("jobs table: %d\n%s", code, out)
	}
	if code, out, _ := sortie(t, "jobs", "show", id); code != 0 || !strings.Contains(out, "2 objects") {
		t.Errorf("jobs show: %d\n%s", code, out)
	}
	if code, _, errs := sortie(t, "jobs", "show", "nosuchjob"); code != 2 || !strings.Contains(errs, "no job") {
		t.Errorf("jobs show of an unknown ID: %d %s", code, errs)
	}
	if code, out, _ := sortie(t, "jobs", "rm", id); code != 0 || !strings.Contains(out, "removed") {
		t.Errorf("jobs rm: %d %s", code, out)
	}
	if _, out, _ := sortie(t, "jobs"); !strings.Contains(out, "no jobs") {
		t.Errorf("after rm: %s", out)
	}
}

// A run that fails before it starts leaves no journal behind, so sortie
// jobs never lists a job that never ran.
func TestJobsNoJournalWhenARunFailsBeforeItStarts(t *testing.T) {
	src, _, _ := servers(t)
	sb := src.Bucket(t)
	storetest.Put(t, src.Store(t, sb, ""), "a.txt", []byte("a"), store.Metadata{})
	f, _ := os.OpenFile(os.Getenv("AWS_CONFIG_FILE"), os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(f, "\n[profile wrongkey]\nregion = us-east-1\nendpoint_url = %s\n", src.Endpoint)
	f.Close()
	f, _ = os.OpenFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(f, "\n[wrongkey]\naws_access_key_id = %s\naws_secret_access_key = not-the-secret\n", src.AccessKey)
	f.Close()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"copy", "s3://no-such-bucket-here", dir, "--from-profile", "src"},
		{"sync", "s3://" + sb, "s3://no-such-dest-bucket", "--from-profile", "src", "--to-profile", "dst"},
		{"copy", "s3://" + sb, dir, "--from-profile", "wrongkey"},
	} {
		if code, _, errs := sortie(t, args...); code != 2 {
			t.Fatalf("sortie %s: exit %d, want 2: %s", strings.Join(args, " "), code, errs)
		}
	}
	jdir, err := journal.Dir()
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(jdir, "*")); len(left) != 0 {
		t.Errorf("runs that never started left %q", left)
	}
	if code, out, _ := sortie(t, "jobs"); code != 0 || !strings.Contains(out, "no jobs") {
		t.Errorf("jobs: %d\n%s", code, out)
	}
	// A run that started keeps its journal.
	if code, out, errs := sortie(t, "copy", "s3://"+sb, dir, "--from-profile", "src"); code != 0 {
		t.Fatalf("copy: %d %s %s", code, out, errs)
	}
	if code, out, _ := sortie(t, "jobs"); code != 0 || strings.Contains(out, "no jobs") || !strings.Contains(out, "done") {
		t.Errorf("jobs after a copy: %d\n%s", code, out)
	}
}

// A journal in which no run has started — its process is in its preflight
// checks now, or was killed in them — is listed as such, dated by its
// creation: never an empty state and a 1970 date.
func TestJobsNotStarted(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	dir, err := journal.Dir()
	if err != nil {
		t.Fatal(err)
	}
	job := journal.CopyJob("sync", "s3://archive at http://127.0.0.1:9", "/srv/backup", nil, nil, "")
	j, err := journal.Open(context.Background(), filepath.Join(dir, job.ID()+".db"), job)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	code, out, errs := sortie(t, "jobs")
	if code != 0 || errs != "" {
		t.Fatalf("jobs: %d %s", code, errs)
	}
	if !strings.Contains(out, job.ID()+"  sync     not started") || strings.Contains(out, "1970") || !strings.Contains(out, time.Now().Format("2006-01-02")) ||
		!strings.Contains(out, "never started a run") {
		t.Errorf("jobs:\n%s", out)
	}
	_, out, _ = sortie(t, "jobs", "--json")
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil || got["state"] != journal.StateNotStarted || got["command"] != "sync" ||
		!strings.HasPrefix(got["last_activity"].(string), time.Now().Format("2006-01-02")) {
		t.Errorf("jobs --json: %s (%v)", out, err)
	}
	if _, out, _ := sortie(t, "jobs", "show", job.ID()); !strings.Contains(out, "no run of this job has started") || strings.Contains(out, "1970") {
		t.Errorf("jobs show:\n%s", out)
	}
}

func TestCleanup(t *testing.T) {
	_, dst, _ := servers(t)
	db := dst.Bucket(t)
	ds := dst.Store(t, db, "")
	ctx := context.Background()
	id, err := ds.CreateMultipart(ctx, "abandoned.bin", store.Metadata{}, "")
	if err != nil {
		t.Fatal(err)
	}
	part := bytes.Repeat([]byte("x"), 1024)
	sum := md5.Sum(part)
	if _, err := ds.UploadPart(ctx, "abandoned.bin", id, 1, bytes.NewReader(part), int64(len(part)), sum[:]); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := sortie(t, "cleanup", "s3://"+db, "--profile", "dst"); code != 0 || !strings.Contains(out, "keep") {
		t.Errorf("young upload: %d\n%s", code, out)
	}
	if code, out, _ := sortie(t, "cleanup", "s3://"+db, "--profile", "dst", "--older-than", "0s", "--dry-run"); code != 0 || !strings.Contains(out, "would abort abandoned.bin") {
		t.Errorf("dry run: %d\n%s", code, out)
	}
	if ups, _ := ds.ListUploads(ctx, ""); len(ups) != 1 {
		t.Fatalf("dry run changed uploads: %v", ups)
	}
	if code, out, _ := sortie(t, "cleanup", "s3://"+db, "--profile", "dst", "--older-than", "0s"); code != 0 || !strings.Contains(out, "aborted 1") {
		t.Errorf("cleanup: %d\n%s", code, out)
	}
	if ups, _ := ds.ListUploads(ctx, ""); len(ups) != 0 {
		t.Errorf("uploads left: %v", ups)
	}
	if code, _, errs := sortie(t, "cleanup", t.TempDir()); code != 2 || !strings.Contains(errs, "s3:// locations") {
		t.Errorf("cleanup of a directory: %d %s", code, errs)
	}
}

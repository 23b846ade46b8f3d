package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/transfer"
)

var job = Job{Source: "s3://a", Destination: "s3://b", Options: "copy"}

func open(t testing.TB, path string) *Journal {
	t.Helper()
	j, err := Open(context.Background(), path, job)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestLedgerRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := open(t, path)
	j.Started("big", 30, "etag-3")
	if err := j.UploadStarted("big", transfer.Upload{ID: "up1", SrcETag: "etag-3", Size: 30, PartSize: 10, Parts: 3, ByNumber: true}); err != nil {
		t.Fatal(err)
	}
	j.PartDone("big", "up1", transfer.DonePart{Number: 1, ETag: "p1", MD5: []byte{1}, Size: 10, HashState: []byte("state")})
	j.PartDone("big", "up1", transfer.DonePart{Number: 2, ETag: "p2", MD5: []byte{2}, Size: 10})
	j.Started("small", 3, "e")
	j.Done("small", 3, "e")
	j.Started("bad", 3, "e")
	j.Failed("bad", "checksum mismatch: read MD5 …")
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	// A new run of the same job finds the upload and its parts.
	j = open(t, path)
	u, ok := j.Resumable("big", "etag-3", 30)
	if !ok || u.ID != "up1" || len(u.Done) != 2 || u.Done[1].ETag != "p1" || string(u.Done[1].HashState) != "state" || !u.ByNumber {
		t.Fatalf("Resumable = %+v, %v", u, ok)
	}
	if _, ok := j.Resumable("big", "another-version", 30); ok {
		t.Error("an upload of another source version was offered")
	}
	if stale := j.Unchanged("big", 30, "x"); stale != "up1" {
		t.Errorf("Unchanged returned stale upload %q, want up1", stale)
	}
	j.UploadEnded("big", "up1")
	j.Flush()
	if _, ok := j.Resumable("big", "etag-3", 30); ok {
		t.Error("an ended upload was offered")
	}
	j.Close()

	in, err := Inspect(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	// "big" was left started, then seen unchanged: confirmed done.
	if in.Done != 2 || in.Failed != 1 || in.InProgress != 0 || in.Uploads != 0 || in.Source != "s3://a" {
		t.Errorf("Inspect = %+v", in)
	}
	fs, err := Failures(context.Background(), path, 10)
	if err != nil || len(fs) != 1 || fs[0].Key != "bad" || !strings.Contains(fs[0].Reason, "checksum") || fs[0].Attempts != 1 {
		t.Errorf("Failures = %+v, %v", fs, err)
	}
}

func TestRefusesWhatItCannotRead(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, []byte("this is not a database at all, just some text\n"), 0o600)

	other := filepath.Join(dir, "other.db")
	db, _ := sql.Open("sqlite", other)
	db.Exec("CREATE TABLE meta (k TEXT, v TEXT)")
	db.Exec("INSERT INTO meta VALUES ('app', 'someone-else')")
	db.Close()

	newer := filepath.Join(dir, "newer.db")
	j := open(t, newer)
	j.RunStarted("copy")
	j.Close()
	db, _ = sql.Open("sqlite", newer)
	db.Exec(fmt.Sprintf("UPDATE meta SET v = '%d' WHERE k = 'format'", FormatVersion+1))
	db.Close()

	truncated := filepath.Join(dir, "truncated.db")
	j = open(t, truncated)
	for i := range 3000 {
		j.Started(fmt.Sprintf("key-%05d-%s", i, strings.Repeat("x", 50)), 1, "e")
	}
	j.Close()
	b, _ := os.ReadFile(truncated)
	os.WriteFile(truncated, b[:len(b)/2], 0o600)

	for _, tc := range []struct{ path, want string }{
		{garbage, "not a sortie journal"},
		{other, "not a sortie journal"},
		{newer, "newer sortie"},
		{truncated, "damaged"},
	} {
		before, _ := os.ReadFile(tc.path)
		_, err := Open(context.Background(), tc.path, job)
		var fe *FormatError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want FormatError saying %q", filepath.Base(tc.path), err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error spans lines", tc.path)
		}
		after, _ := os.ReadFile(tc.path)
		if string(before) != string(after) {
			t.Errorf("%s: the refused file was changed", filepath.Base(tc.path))
		}
	}
	_, err := Open(context.Background(), newer, Job{Source: "x", Destination: "y"})
	if err == nil {
		t.Error("opened a newer-format journal for another job")
	}
	mine := filepath.Join(dir, "mine.db")
	j = open(t, mine)
	j.RunStarted("copy")
	j.Close()
	var jm *JobMismatchError
	if _, err := Open(context.Background(), mine, Job{Source: "s3://other", Destination: "s3://b"}); !errors.As(err, &jm) {
		t.Errorf("another job's journal: err = %v, want JobMismatchError", err)
	}
}

func TestJobID(t *testing.T) {
	a := Job{Source: "s3://a", Destination: "s3://b", Options: "copy"}
	b := Job{Source: "s3://a", Destination: "s3://b", Options: "sync"}
	if a.ID() == b.ID() || a.ID() != (Job{Source: "s3://a", Destination: "s3://b", Options: "copy"}).ID() || len(a.ID()) != 12 {
		t.Errorf("IDs %q %q", a.ID(), b.ID())
	}
}

func TestListAndRemove(t *testing.T) {
	dir := t.TempDir()
	j := open(t, filepath.Join(dir, job.ID()+".db"))
	id, err := j.RunStarted("copy")
	if err != nil {
		t.Fatal(err)
	}
	j.Started("a", 1, "e")
	j.Done("a", 1, "e")
	if err := j.RunEnded(id, &transfer.Summary{Copied: 1}, nil); err != nil {
		t.Fatal(err)
	}
	j.Close()
	os.WriteFile(filepath.Join(dir, "broken.db"), []byte("junk"), 0o600)
	infos, errs := List(context.Background(), dir)
	if len(infos) != 1 || len(errs) != 1 || infos[0].State != "done" || infos[0].Done != 1 {
		t.Fatalf("List = %+v, %v", infos, errs)
	}
	if err := Remove(context.Background(), infos[0].Path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(infos[0].Path); !errors.Is(err, os.ErrNotExist) {
		t.Error("journal still there after Remove")
	}
}

// A run that fails before it starts (a missing bucket, rejected
// credentials: checked after the journal is opened) leaves no journal, but
// a journal that records anything is kept.
func TestCloseRemovesJournalThatNeverRan(t *testing.T) {
	for _, tc := range []struct {
		name   string
		record func(*Journal)
		kept   bool
	}{
		{"nothing recorded", func(*Journal) {}, false},
		{"a run", func(j *Journal) { j.RunStarted("copy") }, true},
		{"an object", func(j *Journal) { j.Started("a", 1, "e") }, true},
		{"a failed object", func(j *Journal) { j.Failed("a", "boom") }, true},
		{"an upload in flight", func(j *Journal) {
			j.UploadStarted("big", transfer.Upload{ID: "up", SrcETag: "e-2", Size: 10 << 20, PartSize: 5 << 20, Parts: 2})
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "j.db")
			j := open(t, path)
			tc.record(j)
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			matches, _ := filepath.Glob(path + "*")
			if tc.kept && len(matches) == 0 {
				t.Fatalf("journal removed, want it kept")
			}
			if !tc.kept && len(matches) != 0 {
				t.Fatalf("files left: %q, want none", matches)
			}
		})
	}
}

// An empty journal this process did not create (another process is in its
// preflight checks, or was killed in them) is kept, and listed as a job
// that never started, dated by its creation, not the Unix epoch.
func TestEmptyJournalOfAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := open(t, path)
	j.created = false // as if another process had created it
	j.Close()
	open(t, path).Close()
	in, err := Inspect(context.Background(), path)
	if err != nil {
		t.Fatalf("journal removed or unreadable: %v", err)
	}
	if in.State != StateNotStarted || in.Command != "copy" || time.Since(in.LastActivity) > time.Hour {
		t.Errorf("Inspect = state %q, command %q, last activity %v; want %q, copy, now", in.State, in.Command, in.LastActivity, StateNotStarted)
	}
}

// The cost of recording one small object's copy (Started then Done), batched.
func BenchmarkJournalBatchedWrites(b *testing.B) {
	j := open(b, filepath.Join(b.TempDir(), "bench.db"))
	defer j.Close()
	b.ResetTimer()
	for i := range b.N {
		key := fmt.Sprintf("dataset/part-%02d/object-%08d.bin", i%20, i)
		j.Started(key, 4096, "0123456789abcdef0123456789abcdef")
		j.Done(key, 4096, "0123456789abcdef0123456789abcdef")
	}
	if err := j.Flush(); err != nil {
		b.Fatal(err)
	}
}

package ledger_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/ledger"
)

var job = ledger.Job{Source: "postgres://u@a/db", Target: "postgres://u@b/db"}

func TestRecordsSurviveReopening(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "j.db")
	l, err := ledger.Open(ctx, path, job)
	if err != nil {
		t.Fatal(err)
	}
	if l.Resumed() {
		t.Error("a new ledger says it resumes")
	}
	steps := []error{
		l.MarkCreated(ctx, []string{"public.a", "public.b"}),
		l.EndPhase(ctx, database.PhaseSchema, ""),
		l.StartTable(ctx, "public.a"),
		l.EndTable(ctx, "public.a", 10, 100),
		l.StartTable(ctx, "public.b"),
		l.StartPhase(ctx, database.PhaseLargeObjects),
		l.EndPhase(ctx, database.PhaseBinlog, "mysql-bin.000002:1234"),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	// No Close: as a killed process leaves it.
	l2, err := ledger.Open(ctx, path, job)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close("done")
	if !l2.Resumed() {
		t.Error("a reopened ledger does not say it resumes")
	}
	if got := l2.Table("public.a"); got != (database.TableRecord{State: database.Done, Rows: 10, Bytes: 100, Created: true}) {
		t.Errorf("public.a: got %+v", got)
	}
	if got := l2.Table("public.b"); got.State != database.Started || !got.Created {
		t.Errorf("public.b: got %+v, want started and created", got)
	}
	if got := l2.Table("public.c"); got != (database.TableRecord{}) {
		t.Errorf("public.c: got %+v, want nothing", got)
	}
	if s, d := l2.Phase(database.PhaseBinlog); s != database.Done || d != "mysql-bin.000002:1234" {
		t.Errorf("binlog phase: got %v %q", s, d)
	}
	if s, _ := l2.Phase(database.PhaseLargeObjects); s != database.Started {
		t.Errorf("large objects: got %v, want started", s)
	}
	l2.Close("done")
	l3, err := ledger.Open(ctx, path, ledger.Job{Source: job.Source, Target: "postgres://u@c/db"})
	var jm *ledger.JobMismatchError
	if !errors.As(err, &jm) {
		t.Fatalf("another job's ledger: got %v, %v", l3, err)
	}
}

func TestRefusesWhatItCannotRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, []byte("not sqlite at all, not at all"), 0o600)

	// A newer format.
	newer := filepath.Join(dir, "newer.db")
	l, err := ledger.Open(ctx, newer, job)
	if err != nil {
		t.Fatal(err)
	}
	l.EndPhase(ctx, database.PhaseSchema, "")
	l.Close("done")
	db, _ := sql.Open("sqlite", newer)
	if _, err := db.Exec(`UPDATE meta SET v = '99' WHERE k = 'format'`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// The object journal's file.
	objects := filepath.Join(dir, "objects.db")
	db, _ = sql.Open("sqlite", objects)
	db.Exec(`CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`)
	db.Exec(`INSERT INTO meta VALUES ('app', 'sortie'), ('format', '1')`)
	db.Close()

	for path, want := range map[string]string{garbage: "not a sortie journal", newer: "newer sortie (format 99", objects: "an object copy's journal"} {
		_, err := ledger.Open(ctx, path, job)
		var fe *ledger.FormatError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "move it aside") {
			t.Errorf("%s: got %v, want a FormatError saying %q", filepath.Base(path), err, want)
		}
	}
}

func TestARunThatRecordedNothingLeavesNoFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	l, err := ledger.Open(context.Background(), path, job)
	if err != nil {
		t.Fatal(err)
	}
	l.Close("failed")
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused run left its ledger: %v", err)
	}
}

package coordinator_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sortie-dev/sortie/internal/coordinator"
	"github.com/sortie-dev/sortie/internal/pgtest"
	"github.com/sortie-dev/sortie/internal/transfer"
)

// Many workers start at once against one database: they migrate it once,
// and a database a newer sortie migrated is refused, not touched.
func TestMigrate(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Shared(t, "coordinator").Database(t)
	p, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	var se *coordinator.SchemaError
	if _, err := coordinator.OpenLedger(ctx, p, coordinator.Scope{Job: "j"}); !errors.As(err, &se) {
		t.Fatalf("OpenLedger before Migrate: err = %v, want a SchemaError", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = coordinator.Migrate(ctx, p) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Migrate: %v", err)
		}
	}
	var versions []int
	rows, _ := p.Query(ctx, `SELECT version FROM sortie_schema ORDER BY version`)
	versions, err = pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil || len(versions) != coordinator.SchemaVersion || versions[len(versions)-1] != coordinator.SchemaVersion {
		t.Fatalf("sortie_schema = %v, %v; want versions 1..%d once each", versions, err, coordinator.SchemaVersion)
	}
	l, err := coordinator.OpenLedger(ctx, p, coordinator.Scope{Job: "j"})
	if err != nil {
		t.Fatal(err)
	}
	l.Close(ctx)

	if _, err := p.Exec(ctx, `INSERT INTO sortie_schema (version) VALUES ($1)`, coordinator.SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"Migrate":    coordinator.Migrate(ctx, p),
		"OpenLedger": func() error { _, err := coordinator.OpenLedger(ctx, p, coordinator.Scope{Job: "j"}); return err }(),
	} {
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "newer sortie") {
			t.Errorf("%s on a newer schema: err = %v, want a SchemaError saying newer sortie", name, err)
		}
	}
}

// A partition's last rows commit in the caller's transaction — with its
// completion — or not at all.
func TestFlushTx(t *testing.T) {
	ctx := context.Background()
	p := pool(t)
	count := func(job string) int {
		var n int
		if err := p.QueryRow(ctx, `SELECT count(*) FROM sortie_objects WHERE job = $1 AND state = $2`, job, coordinator.StateDone).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, commit := range []bool{true, false} {
		job := "commit"
		if !commit {
			job = "rollback"
		}
		l, err := coordinator.OpenLedger(ctx, p, coordinator.Scope{Job: job, Partition: 1})
		if err != nil {
			t.Fatal(err)
		}
		l.Started("a", 1, "s")
		l.Done("a", 1, "d")
		tx, err := p.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.FlushTx(ctx, tx); err != nil {
			t.Fatal(err)
		}
		if n := count(job); n != 0 {
			t.Errorf("%s: %d rows seen before the caller's transaction ended", job, n)
		}
		if commit {
			err = tx.Commit(ctx)
		} else {
			err = tx.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if n, want := count(job), map[bool]int{true: 1, false: 0}[commit]; n != want {
			t.Errorf("%s: %d rows after Close, want %d", job, n, want)
		}
	}
}

// Jobs share the tables and nothing else.
func TestJobsAreSeparate(t *testing.T) {
	ctx := context.Background()
	p := pool(t)
	a, err := coordinator.OpenLedger(ctx, p, coordinator.Scope{Job: "a"})
	if err != nil {
		t.Fatal(err)
	}
	a.Started("k", 1, "s")
	if err := a.UploadStarted("k", bigUploadOf("up-a")); err != nil {
		t.Fatal(err)
	}
	a.VersionDone("k", "v1", "w1", false)
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := coordinator.OpenLedger(ctx, p, coordinator.Scope{Job: "b", Recovering: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	if u, ok := b.Resumable("k", "e", 10); ok {
		t.Errorf("job b was offered job a's upload %+v", u)
	}
	if stale := b.Unchanged("k", 1, "d"); stale != "" {
		t.Errorf("job b: Unchanged returned job a's upload %q", stale)
	}
	if got := b.Carried("k"); len(got) != 0 {
		t.Errorf("job b carried job a's versions: %v", got)
	}
}

func bigUploadOf(id string) transfer.Upload {
	return transfer.Upload{ID: id, SrcETag: "e", Size: 10, PartSize: 5, Parts: 2}
}

package coordinator_test

import (
	"context"
	"errors"
	"fmt"
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

// A batch sends the records of many keys as a few set-based statements;
// the records of one key still apply in the order they were made.
func TestBatchKeepsEachKeysOrder(t *testing.T) {
	ctx := context.Background()
	p := pool(t)
	l, err := coordinator.OpenLedger(ctx, p, coordinator.Scope{Job: "order", Partition: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		k := fmt.Sprintf("k%04d", i)
		l.Started(k, int64(i), "s")
		switch i % 3 {
		case 0:
			l.Done(k, int64(i), "d")
		case 1: // failed, then retried and done, all in one batch
			l.Failed(k, "boom")
			l.Started(k, int64(i), "s")
			l.Done(k, int64(i), "d2")
		case 2: // done, then started again and left so
			l.Done(k, int64(i), "d")
			l.Started(k, int64(i), "s")
		}
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := p.Query(ctx, `SELECT key, state, attempts, dst_etag, reason, size, partition FROM sortie_objects WHERE job = 'order' ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	var key, etag, reason string
	var state, attempts, partition int
	var size int64
	n := 0
	_, err = pgx.ForEachRow(rows, []any{&key, &state, &attempts, &etag, &reason, &size, &partition}, func() error {
		want := map[int]struct {
			state, attempts int
			etag            string
		}{0: {coordinator.StateDone, 1, "d"}, 1: {coordinator.StateDone, 2, "d2"}, 2: {coordinator.StateStarted, 2, "d"}}[n%3]
		if state != want.state || attempts != want.attempts || etag != want.etag || reason != "" || size != int64(n) || partition != 2 {
			t.Errorf("%s: state %d, attempts %d, dst etag %q, reason %q, size %d, partition %d; want %d, %d, %q, no reason, %d, 2",
				key, state, attempts, etag, reason, size, partition, want.state, want.attempts, want.etag, n)
		}
		n++
		return nil
	})
	if err != nil || n != 3000 {
		t.Fatalf("read %d rows, %v; want 3000", n, err)
	}
}

// A run interrupted (its context cancelled) still commits what it did on
// closing: the next attempt continues from it.
func TestCloseAfterCancel(t *testing.T) {
	p := pool(t)
	ctx, cancel := context.WithCancel(context.Background())
	l, err := coordinator.OpenLedger(ctx, p, coordinator.Scope{Job: "cancelled"})
	if err != nil {
		t.Fatal(err)
	}
	l.Started("a", 1, "s")
	l.Done("a", 1, "d")
	cancel()
	if err := l.Close(ctx); err != nil {
		t.Fatalf("Close after cancel: %v", err)
	}
	var state int
	if err := p.QueryRow(context.Background(), `SELECT state FROM sortie_objects WHERE job = 'cancelled' AND key = 'a'`).Scan(&state); err != nil || state != coordinator.StateDone {
		t.Errorf("a: state %d, %v; want %d", state, err, coordinator.StateDone)
	}
}

package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/postgres"
	"github.com/sortie-dev/sortie/internal/pgtest"
)

var onlineSchema = []string{
	`CREATE TABLE accounts (id serial PRIMARY KEY, n int NOT NULL, note text)`,
	`CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account int, v jsonb)`,
	`CREATE TABLE kept_full (a int, b text)`,
	`ALTER TABLE kept_full REPLICA IDENTITY FULL`,
}

// The online move's replication, end to end on two real clusters: the
// slot is created first and its snapshot is what the tables are copied
// at, while a writer keeps inserting, updating and deleting at the
// source; the target then subscribes, the source is frozen, the target
// catches up, and both hold the same rows. Dropping the replication
// leaves nothing at either side.
func TestOnlineReplication(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const name = "sortie_test_online"
	m := startOnline(t, ctx, name)
	srcServer, dstServer, src, dst, tables, w := m.srcServer, m.dstServer, m.src, m.dst, m.tables, m.w
	sc := conn(t, ctx, srcServer.URL(src.Database))
	ended, err := postgres.Freeze(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		postgres.Thaw(context.Background(), conn(t, context.Background(), srcServer.URL(src.Database)))
	})
	writes := w.stop()
	if ended < 1 || writes < 50 {
		t.Fatalf("the freeze ended %d sessions; the writer made %d writes", ended, writes)
	}
	// Frozen: a new session cannot write.
	if _, err := conn(t, ctx, srcServer.URL(src.Database)).Exec(ctx, `INSERT INTO accounts (n) VALUES (0)`); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("insert after the freeze: %v", err)
	}
	lsn, err := postgres.WaitCaughtUp(ctx, sc, name, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	lag, err := postgres.ReplicationLag(ctx, sc, name)
	if err != nil || !lag.Active {
		t.Fatalf("lag %+v, %v", lag, err)
	}
	t.Logf("caught up at %s after %d writes; lag %d bytes", lsn, writes, lag.Bytes)
	for _, table := range tables {
		a, b := dump(t, ctx, srcServer.URL(src.Database), table), dump(t, ctx, dstServer.URL(dst.Database), table)
		if a != b {
			t.Errorf("%s differs after the catch-up (%d and %d bytes)", table, len(a), len(b))
		}
	}
	if err := postgres.DropReplication(ctx, src, dst, name); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := sc.QueryRow(ctx, `SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1) + (SELECT count(*) FROM pg_publication WHERE pubname = $1)`, name).Scan(&left); err != nil || left != 0 {
		t.Errorf("left at the source: %d, %v", left, err)
	}
}

// onlineMove is a move under way: tables copied at the slot's snapshot
// while a writer works at the source, and the target subscribed.
type onlineMove struct {
	srcServer, dstServer *pgtest.Server
	src, dst             database.Endpoint
	tables               []string
	w                    *writer
}

func startOnline(t *testing.T, ctx context.Context, name string) *onlineMove {
	t.Helper()
	srcServer, dstServer := pgtest.Shared(t, "source"), pgtest.Shared(t, "target")
	src, dst := endpoint(t, srcServer.Database(t)), endpoint(t, dstServer.Database(t))
	srcServer.Exec(t, src.Database, onlineSchema...)
	srcServer.Exec(t, src.Database,
		`INSERT INTO accounts (n, note) SELECT g, 'compte ' || g || ' é' FROM generate_series(1, 2000) g`,
		`INSERT INTO events (account, v) SELECT g % 100, jsonb_build_object('g', g) FROM generate_series(1, 2000) g`,
		`INSERT INTO kept_full SELECT g, 'x' FROM generate_series(1, 100) g`)
	dstServer.Exec(t, dst.Database, onlineSchema...)
	tables := []string{"public.accounts", "public.events", "public.kept_full"}

	// A writer at the source, from before the slot to the freeze.
	w := startWriter(t, ctx, srcServer.URL(src.Database))

	slot, err := postgres.CreateSlot(ctx, src, name, tables)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := postgres.DropReplication(context.Background(), src, dst, name); err != nil {
			t.Errorf("drop replication: %v", err)
		}
	})
	if slot.Snapshot == "" || slot.LSN == "" {
		t.Fatalf("slot %+v", slot)
	}
	time.Sleep(200 * time.Millisecond) // writes after the snapshot, for replication to bring
	for _, table := range tables {
		copyAtSnapshot(t, ctx, srcServer.URL(src.Database), dstServer.URL(dst.Database), slot.Snapshot, table)
	}
	if err := slot.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := postgres.Subscribe(ctx, dst, src, name); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // replication under the write load
	return &onlineMove{srcServer, dstServer, src, dst, tables, w}
}

// A table without a primary key or replica identity is refused before
// anything is created at the source: publishing it would make its
// UPDATEs and DELETEs fail there.
func TestOnlineRefusesTablesWithoutIdentity(t *testing.T) {
	ctx := context.Background()
	s := pgtest.Shared(t, "source")
	src := endpoint(t, s.Database(t))
	s.Exec(t, src.Database, `CREATE TABLE ok (id int PRIMARY KEY)`, `CREATE TABLE log (at timestamptz, what text)`)
	_, err := postgres.CreateSlot(ctx, src, "sortie_test_refused", []string{"public.ok", "public.log"})
	if !errors.Is(err, postgres.ErrNoReplicaIdentity) || !strings.Contains(err.Error(), "public.log") || strings.Contains(err.Error(), "public.ok") {
		t.Fatalf("err %v", err)
	}
	var n int
	if err := conn(t, ctx, s.URL(src.Database)).QueryRow(ctx, `SELECT (SELECT count(*) FROM pg_publication) + (SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'sortie_test_refused')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("created at the source anyway: %d, %v", n, err)
	}
}

func endpoint(t *testing.T, url string) database.Endpoint {
	t.Helper()
	ep, err := database.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func conn(t testing.TB, ctx context.Context, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// copyAtSnapshot copies table from the source, as it was at snapshot, to
// the target.
func copyAtSnapshot(t *testing.T, ctx context.Context, srcURL, dstURL, snapshot, table string) {
	t.Helper()
	s, d := conn(t, ctx, srcURL), conn(t, ctx, dstURL)
	tx, err := s.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET TRANSACTION SNAPSHOT '"+snapshot+"'"); err != nil {
		t.Fatal(err)
	}
	r, w := io.Pipe()
	go func() {
		_, err := tx.Conn().PgConn().CopyTo(ctx, w, "COPY "+table+" TO STDOUT")
		w.CloseWithError(err)
	}()
	if _, err := d.PgConn().CopyFrom(ctx, r, "COPY "+table+" FROM STDIN"); err != nil {
		t.Fatalf("copy %s: %v", table, err)
	}
}

func dump(t *testing.T, ctx context.Context, url, table string) string {
	t.Helper()
	var b strings.Builder
	if _, err := conn(t, ctx, url).PgConn().CopyTo(ctx, &b, "COPY (SELECT * FROM "+table+" ORDER BY 1, 2) TO STDOUT"); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

type writer struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	n      int
}

// startWriter inserts, updates and deletes at the source until it is
// stopped or its session is ended.
func startWriter(t *testing.T, ctx context.Context, url string) *writer {
	t.Helper()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &writer{cancel: cancel}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer c.Close(context.Background())
		for i := 0; ctx.Err() == nil; i++ {
			var err error
			switch i % 4 {
			case 0:
				_, err = c.Exec(ctx, `INSERT INTO accounts (n, note) VALUES ($1, 'nouveau')`, i)
			case 1:
				_, err = c.Exec(ctx, `UPDATE accounts SET n = n + 1, note = $1 WHERE id = $2`, fmt.Sprint("maj ", i), i%2000+1)
			case 2:
				_, err = c.Exec(ctx, `DELETE FROM events WHERE id = $1`, i%2000+1)
			case 3:
				_, err = c.Exec(ctx, `UPDATE kept_full SET b = $1 WHERE a = $2`, fmt.Sprint(i), i%100+1)
			}
			if err != nil {
				return // the freeze ended the session
			}
			w.n++
			time.Sleep(time.Millisecond)
		}
	}()
	return w
}

func (w *writer) stop() int {
	w.cancel()
	w.wg.Wait()
	return w.n
}

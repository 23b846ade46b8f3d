package mysql_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/mysql"
	"github.com/sortie-dev/sortie/internal/mysqltest"
)

var onlineSchema = []string{
	"CREATE TABLE accounts (id int AUTO_INCREMENT PRIMARY KEY, n int NOT NULL, note varchar(100) CHARACTER SET utf8mb4) ENGINE=InnoDB",
	"CREATE TABLE events (id bigint AUTO_INCREMENT PRIMARY KEY, at datetime(6), v blob) ENGINE=InnoDB",
}

// The online move's replication on two real MariaDB servers: the copy is
// read in a consistent snapshot whose binlog position replication starts
// from, under a writer at the source; the target replicates only the
// moved database, catches up after the freeze, and holds the same rows;
// after StopReplica it stands alone.
func TestOnlineReplication(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srcServer, dstServer := mysqltest.Start(t), mysqltest.Start(t)
	srcDB, dstDB := srcServer.Database(t), dstServer.Database(t)
	src, dst := endpoint(t, srcServer.URL(srcDB)), endpoint(t, dstServer.URL(dstDB))
	srcServer.Exec(t, src.Database, onlineSchema...)
	srcServer.Exec(t, src.Database,
		"INSERT INTO accounts (n, note) SELECT seq, CONCAT('compte ', seq, ' 🎓') FROM seq_1_to_2000",
		"INSERT INTO events (at, v) SELECT NOW(6), UNHEX(MD5(seq)) FROM seq_1_to_2000")
	// Another database at the source: replication must leave it alone.
	srcServer.Exec(t, "", "CREATE DATABASE IF NOT EXISTS other", "CREATE TABLE IF NOT EXISTS other.noise (id int PRIMARY KEY)")
	dstServer.Exec(t, dst.Database, onlineSchema...)

	w := startWriter(t, ctx, srcServer.DSN(src.Database))
	time.Sleep(100 * time.Millisecond)

	sdb, err := sql.Open("mysql", srcServer.DSN(src.Database))
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	sc, err := sdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pos, err := mysql.SnapshotPosition(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // writes after the snapshot, for replication to bring
	for _, table := range []string{"accounts", "events"} {
		copyTable(t, ctx, sc, dstServer.DSN(dst.Database), table)
	}
	sc.ExecContext(ctx, "COMMIT")
	sc.Close()
	if err := mysql.StartReplica(ctx, dst, src, pos, map[string]string{src.Database: dst.Database}); err != nil {
		t.Fatal(err)
	}
	srcServer.Exec(t, "", "INSERT INTO other.noise VALUES (1)")
	time.Sleep(500 * time.Millisecond)
	if _, err := mysql.Freeze(ctx, src); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mysql.Thaw(context.Background(), src) })
	writes := w.stop()
	got, err := mysql.WaitCaughtUp(ctx, src, dst, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("caught up at %s after %d writes, from %s", got, writes, pos)
	if writes < 50 {
		t.Errorf("the writer made only %d writes", writes)
	}
	for _, table := range []string{"accounts", "events"} {
		a := dump(t, ctx, srcServer.DSN(src.Database), table)
		b := dump(t, ctx, dstServer.DSN(dst.Database), table)
		if a != b {
			t.Errorf("%s differs after the catch-up (%d and %d bytes)", table, len(a), len(b))
		}
	}
	if err := mysql.StopReplica(ctx, dst); err != nil {
		t.Fatal(err)
	}
	ddb, _ := sql.Open("mysql", dstServer.DSN(dst.Database))
	defer ddb.Close()
	var n int
	if err := ddb.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'other'").Scan(&n); err != nil || n != 0 {
		t.Errorf("the other database reached the target: %d, %v", n, err)
	}
	if rows, err := ddb.QueryContext(ctx, "SHOW SLAVE STATUS"); err != nil || rows.Next() {
		t.Errorf("still a replica after StopReplica (%v)", err)
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

// copyTable copies table as sc's snapshot sees it into the target.
func copyTable(t *testing.T, ctx context.Context, sc *sql.Conn, dstDSN, table string) {
	t.Helper()
	ddb, err := sql.Open("mysql", dstDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer ddb.Close()
	rows, err := sc.QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	marks := strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",")
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		if _, err := ddb.ExecContext(ctx, "INSERT INTO "+table+" VALUES ("+marks+")", vals...); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func dump(t *testing.T, ctx context.Context, dsn, table string) string {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cols := map[string]string{"accounts": "id, n, HEX(note)", "events": "id, at, HEX(v)"}[table]
	rows, err := db.QueryContext(ctx, "SELECT CONCAT_WS('|', "+cols+") FROM "+table+" ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

type writer struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	n      int
}

func startWriter(t *testing.T, ctx context.Context, dsn string) *writer {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &writer{cancel: cancel}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer db.Close()
		for i := 0; ctx.Err() == nil; i++ {
			var err error
			switch i % 3 {
			case 0:
				_, err = db.ExecContext(ctx, "INSERT INTO accounts (n, note) VALUES (?, 'nouveau 🎉')", i)
			case 1:
				_, err = db.ExecContext(ctx, "UPDATE accounts SET n = n + 1, note = ? WHERE id = ?", fmt.Sprint("maj ", i), i%2000+1)
			case 2:
				_, err = db.ExecContext(ctx, "DELETE FROM events WHERE id = ?", i%2000+1)
			}
			if err != nil {
				return // frozen: read_only refuses the write
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

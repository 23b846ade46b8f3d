package mysql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/ledger"
	"github.com/sortie-dev/sortie/internal/database/mysql"
	"github.com/sortie-dev/sortie/internal/mysqltest"
)

// copyTraps is a MariaDB source with what a copy must carry intact:
// utf8mb4 emoji, a BLOB, DATETIME(6) and TIMESTAMP(6), a trigger, an
// event, a view and a routine with their definers, an AUTO_INCREMENT
// counter above the rows' highest id, and enough rows for several INSERT
// statements.
var copyTraps = []string{
	`CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, note varchar(100), code varchar(10) COLLATE utf8mb4_bin,
		body mediumblob, at datetime(6), stamped timestamp(6) NULL, price decimal(30,10), f double) ENGINE=InnoDB`,
	`CREATE TABLE log_nopk (at datetime(6), what text) ENGINE=InnoDB`,
	`CREATE TABLE bulk (id int PRIMARY KEY, pad varchar(200)) ENGINE=InnoDB`,
	`CREATE TABLE empty_t (id int PRIMARY KEY)`,
	`CREATE TRIGGER orders_log AFTER INSERT ON orders FOR EACH ROW INSERT INTO log_nopk VALUES (NEW.at, NEW.note)`,
	`CREATE EVENT nightly_purge ON SCHEDULE EVERY 1 DAY DO DELETE FROM log_nopk WHERE at < NOW() - INTERVAL 30 DAY`,
	`CREATE VIEW v_orders AS SELECT id, note FROM orders`,
	`CREATE FUNCTION twice(x int) RETURNS int DETERMINISTIC RETURN x * 2`,
	`SET time_zone = '+05:30'`,
	`INSERT INTO orders (note, code, body, at, stamped, price, f) VALUES
		('café 🚀 naïve 日本', 'A', x'00ff0a0d5c27', '2025-01-02 03:04:05.123456', '2025-01-02 03:04:05.654321', 12345678901234567890.0123456789, 0.1),
		('quote '' and \\ backslash', 'b', repeat(x'de', 70000), '1000-01-01 00:00:00.000001', NULL, -1, 1e-300),
		('line
break', 'C', '', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', 0, -0)`,
	`INSERT INTO orders (id, note) VALUES (100, 'high')`,
	`DELETE FROM orders WHERE id = 100`,
	`INSERT INTO bulk SELECT seq, concat(repeat('é', 40), seq) FROM seq_1_to_20000`,
}

func copySource(t *testing.T) (*mysqltest.Server, database.Endpoint) {
	t.Helper()
	s := mysqltest.Shared(t)
	name := s.Database(t)
	s.Exec(t, name, copyTraps...)
	ep, err := database.ParseURL(s.URL(name))
	if err != nil {
		t.Fatal(err)
	}
	return s, ep
}

func copyTarget(t *testing.T, s *mysqltest.Server) database.Endpoint {
	t.Helper()
	ep, err := database.ParseURL(s.URL(s.Database(t)))
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func copyLedger(t *testing.T, path string, src, dst database.Endpoint) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open(context.Background(), path, ledger.Job{Source: src.String(), Target: dst.String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close("test") })
	return l
}

func copyRun(t *testing.T, src, dst database.Endpoint, o database.CopyOptions) *database.CopyResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if o.Ledger == nil {
		o.Ledger = copyLedger(t, filepath.Join(t.TempDir(), "job.db"), src, dst)
	}
	res, err := mysql.Copy(ctx, src, dst, o)
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	if len(res.Failures) > 0 {
		t.Fatalf("copy failures: %+v", res.Failures)
	}
	return res
}

func copyDB(t *testing.T, s *mysqltest.Server, name string) *sql.DB {
	t.Helper()
	d, err := sql.Open("mysql", s.DSN(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// dump is a table's rows as text, every column, in order; BLOBs in hex,
// TIMESTAMPs in UTC.
func copyDump(t *testing.T, d *sql.DB, table string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := d.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.ExecContext(ctx, "SET time_zone = '+00:00'")
	rows, err := conn.QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, v := range vals {
			if v == nil {
				b.WriteString("NULL|")
			} else {
				fmt.Fprintf(&b, "%x|", []byte(v))
			}
		}
		out = append(out, b.String())
	}
	slices.Sort(out)
	return out
}

func copyOne(t *testing.T, d *sql.DB, q string) string {
	t.Helper()
	var s sql.NullString
	if err := d.QueryRow(q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

func TestCopyMariaDBTrapSchema(t *testing.T) {
	srv, src := copySource(t)
	dst := copyTarget(t, srv)
	res := copyRun(t, src, dst, database.CopyOptions{Jobs: 2})
	sd, dd := copyDB(t, srv, src.Database), copyDB(t, srv, dst.Database)
	for _, tb := range []string{"orders", "log_nopk", "bulk", "empty_t"} {
		got, want := copyDump(t, dd, tb), copyDump(t, sd, tb)
		if !slices.Equal(got, want) {
			t.Errorf("%s: target %d rows, source %d", tb, len(got), len(want))
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Errorf("first difference:\ntarget %q\nsource %q", got[i], want[i])
					break
				}
			}
		}
	}
	if n := copyOne(t, dd, `SELECT count(*) FROM bulk`); n != "20000" {
		t.Errorf("bulk: %s rows at the target", n)
	}
	if got := copyOne(t, dd, `SELECT note FROM orders WHERE id = 1`); got != "café 🚀 naïve 日本" {
		t.Errorf("utf8mb4 text: got %q", got)
	}
	// The counter: the source handed out 100, so the next is 101.
	if _, err := dd.Exec(`INSERT INTO orders (note, at) VALUES ('after', NOW(6))`); err != nil {
		t.Fatal(err)
	}
	if id := copyOne(t, dd, `SELECT max(id) FROM orders`); id != "101" {
		t.Errorf("first insert after the copy got id %s, want 101", id)
	}
	// The trigger fired on that insert (it did not while the rows loaded).
	if n := copyOne(t, dd, `SELECT count(*) FROM log_nopk WHERE what = 'after'`); n != "1" {
		t.Errorf("trigger at the target: %s log rows for the insert", n)
	}
	if n := copyOne(t, dd, `SELECT count(*) FROM log_nopk`); n != "5" {
		t.Errorf("log_nopk: %s rows, want the 4 copied and 1 from the trigger", n)
	}
	for q, want := range map[string]string{
		`SELECT twice(21)`:              "42",
		`SELECT count(*) FROM v_orders`: "4",
		`SELECT concat(EVENT_NAME, ' ', DEFINER) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()`:                                   "nightly_purge " + srv.User + "@127.0.0.1",
		`SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()`:                                                        srv.User + "@127.0.0.1",
		`SELECT COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders' AND COLUMN_NAME = 'code'`: "utf8mb4_bin",
		// The view reads the target's own table, not the source's.
		`SELECT VIEW_DEFINITION LIKE concat('%', DATABASE(), '%') FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()`: "1",
	} {
		if got := copyOne(t, dd, q); got != want {
			t.Errorf("%s: got %q, want %q", q, got, want)
		}
	}
	if res.BinlogPosition == "" || !strings.Contains(res.BinlogPosition, "binlog.") {
		t.Errorf("binlog position %q, want one", res.BinlogPosition)
	}
	if res.Rows() != 20007 || len(res.Tables) != 4 || res.Sequences == 0 {
		t.Errorf("result: %d rows in %d tables, %d counters", res.Rows(), len(res.Tables), res.Sequences)
	}
	if !slices.ContainsFunc(res.Notes, func(n database.Note) bool { return n.Code == "events-copied" }) {
		t.Errorf("notes %v: want the events named", res.Notes)
	}
}

func TestCopyMariaDBRefusesAndResumes(t *testing.T) {
	srv, src := copySource(t)
	dst := copyTarget(t, srv)
	srv.Exec(t, dst.Database, `CREATE TABLE orders (x int)`)
	_, err := mysql.Copy(context.Background(), src, dst, database.CopyOptions{Ledger: copyLedger(t, filepath.Join(t.TempDir(), "j.db"), src, dst)})
	var tne *database.TargetNotEmptyError
	if !errors.As(err, &tne) || tne.Tables[0] != "orders" {
		t.Fatalf("got %v, want a TargetNotEmptyError naming orders", err)
	}
	srv.Exec(t, dst.Database, `DROP TABLE orders`)

	path := filepath.Join(t.TempDir(), "job.db")
	first := copyLedger(t, path, src, dst)
	copyRun(t, src, dst, database.CopyOptions{Jobs: 2, Ledger: first})
	first.Close("test")
	// As a kill in the middle of bulk leaves it: in flight, rows of a
	// commit whose record was lost, the later phases begun.
	srv.Exec(t, dst.Database, `INSERT INTO bulk VALUES (99999, 'left by the killed run')`)
	l := copyLedger(t, path, src, dst)
	ctx := context.Background()
	for _, err := range []error{l.StartTable(ctx, "bulk"), l.StartPhase(ctx, database.PhasePostData), l.StartPhase(ctx, database.PhaseSequences)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	res := copyRun(t, src, dst, database.CopyOptions{Jobs: 2, Ledger: l})
	sd, dd := copyDB(t, srv, src.Database), copyDB(t, srv, dst.Database)
	if got, want := copyDump(t, dd, "bulk"), copyDump(t, sd, "bulk"); !slices.Equal(got, want) {
		t.Errorf("bulk after resume: %d rows, want %d", len(got), len(want))
	}
	var again []string
	for _, tc := range res.Tables {
		if !tc.Earlier {
			again = append(again, tc.Name)
		}
	}
	if !slices.Equal(again, []string{"bulk"}) || !res.Resumed {
		t.Errorf("resume copied %v, want bulk alone", again)
	}
}

// BenchmarkCopy200k times db copy of one table of 200,000 rows between two
// databases of the shared MariaDB, schema to counters:
//
//	go test -run '^$' -bench BenchmarkCopy -benchtime 3x ./internal/database/mysql/
func BenchmarkCopy200k(b *testing.B) {
	s := mysqltest.Shared(b)
	name := s.Database(b)
	s.Exec(b, name, `CREATE TABLE t (id bigint AUTO_INCREMENT PRIMARY KEY, at datetime(6), amount decimal(12,2), note varchar(100), body blob)`,
		`INSERT INTO t (at, amount, note, body) SELECT NOW(6) - INTERVAL seq MINUTE, seq / 100, repeat(md5(seq), 2), unhex(md5(seq)) FROM seq_1_to_200000`)
	src, err := database.ParseURL(s.URL(name))
	if err != nil {
		b.Fatal(err)
	}
	var rows, bytes int64
	var secs float64
	for b.Loop() {
		dst, err := database.ParseURL(s.URL(s.Database(b)))
		if err != nil {
			b.Fatal(err)
		}
		l, err := ledger.Open(context.Background(), filepath.Join(b.TempDir(), "j.db"), ledger.Job{Source: src.String(), Target: dst.String()})
		if err != nil {
			b.Fatal(err)
		}
		res, err := mysql.Copy(context.Background(), src, dst, database.CopyOptions{Jobs: 4, Ledger: l})
		l.Close("bench")
		if err != nil || len(res.Failures) > 0 {
			b.Fatal(err, res.Failures)
		}
		rows, bytes = res.Rows(), res.Bytes()
		secs += res.Seconds
	}
	b.ReportMetric(float64(rows)*float64(b.N)/secs, "rows/s")
	b.ReportMetric(float64(bytes)*float64(b.N)/secs/1e6, "MB/s")
}

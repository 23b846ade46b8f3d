package mysql_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/mysql"
	"github.com/sortie-dev/sortie/internal/lang"
	"github.com/sortie-dev/sortie/internal/mysqltest"
)

// myVerifySchema is made the same in two databases of one server, each
// inserting in its own session time zone: utf8mb4 emoji, a BLOB,
// DATETIME(6), TIMESTAMP, DECIMAL(30,2), a double, BIT, ENUM, an
// unsigned BIGINT, a text key (utf8mb4_unicode_ci), a composite key, a
// binary key, a table without a primary key, a counter, a SEQUENCE.
var myVerifySchema = []string{
	`CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, note varchar(100), code varchar(10) COLLATE utf8mb4_bin, body blob,
		at datetime(6), ts timestamp(3) NULL, price decimal(30,2), ratio double, flags bit(8), kind enum('a','b','c'), big bigint unsigned) ENGINE=InnoDB`,
	`INSERT INTO orders (note, code, body, at, ts, price, ratio, flags, kind, big)
	 WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 3000)
	 SELECT CONCAT('café 🚀 ', g), CONCAT('C', g % 10), UNHEX(MD5(g)), TIMESTAMP('2025-01-02 03:04:05.123456') + INTERVAL g SECOND,
		FROM_UNIXTIME(1700000000 + g * 3607.25), 1234567890123456789012345678.91 + g, g / 3e0, g % 256, ELT(1 + g % 3, 'a', 'b', 'c'), 18446744073709551000 + g % 600
	 FROM s`,
	`INSERT INTO orders (id, note, body) VALUES (3001, NULL, ''), (3002, '', NULL)`,
	`CREATE TABLE codes (code varchar(40) PRIMARY KEY, label text)`,
	`INSERT INTO codes WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 300) SELECT CONCAT('k', g, IF(g % 2, 'é', 'E')), CONCAT('label ', g) FROM s`,
	`INSERT INTO codes VALUES ('Zebra', 'z'), ('apple', 'a'), ('Äpfel', 'ä'), ('😀', 'emoji')`,
	`CREATE TABLE pairs (a int, b varchar(10), v text, PRIMARY KEY (a, b))`,
	`INSERT INTO pairs WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 600) SELECT g DIV 10, CONCAT('b', g % 10), CONCAT('v', g) FROM s`,
	`CREATE TABLE bin_key (k varbinary(16) PRIMARY KEY, v int)`,
	`INSERT INTO bin_key WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 200) SELECT UNHEX(LEFT(MD5(g), 8)), g FROM s`,
	`CREATE TABLE log_nopk (at datetime(6), what text)`,
	`INSERT INTO log_nopk WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 400) SELECT TIMESTAMP('2025-01-01') + INTERVAL g SECOND, CONCAT('w', g % 40) FROM s`,
	`INSERT INTO log_nopk VALUES ('2025-01-01', 'dup'), ('2025-01-01', 'dup'), ('2025-01-01', 'dup')`,
	`CREATE TABLE counters (id int AUTO_INCREMENT PRIMARY KEY, v int)`,
	`INSERT INTO counters (v) WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 50) SELECT g FROM s`,
	`CREATE SEQUENCE tickets START WITH 100`,
	`ANALYZE TABLE orders, codes, pairs, bin_key, log_nopk, counters`,
}

// myPair makes the schema in two databases of the package's server; the
// counters handed out 100 ids and kept 50, as a live table does.
func myPair(t *testing.T) (*mysqltest.Server, string, string) {
	t.Helper()
	s := mysqltest.Shared(t)
	src, dst := s.Database(t), s.Database(t)
	s.Exec(t, src, "SET time_zone = '+02:00'; SET max_recursive_iterations = 100000; "+strings.Join(myVerifySchema, "; "))
	s.Exec(t, src, `ALTER TABLE counters AUTO_INCREMENT = 101`, `SELECT NEXTVAL(tickets)`)
	s.Exec(t, dst, "SET time_zone = '-05:00'; SET max_recursive_iterations = 100000; "+strings.Join(myVerifySchema, "; "))
	s.Exec(t, dst, `ALTER TABLE counters AUTO_INCREMENT = 101`, `SELECT NEXTVAL(tickets)`)
	return s, src, dst
}

func myEndpoint(t *testing.T, url string) database.Endpoint {
	t.Helper()
	ep, err := database.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func myTry(t *testing.T, src, dst string, o database.VerifyOptions) (*database.VerifyReport, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o.Parallel = max(o.Parallel, 3)
	s, err := mysql.OpenVerifier(ctx, myEndpoint(t, src), database.Source, o.Parallel+1)
	if err != nil {
		return nil, err
	}
	defer s.Close(ctx)
	d, err := mysql.OpenVerifier(ctx, myEndpoint(t, dst), database.Target, o.Parallel)
	if err != nil {
		return nil, err
	}
	defer d.Close(ctx)
	return database.Verify(ctx, s, d, o)
}

func myVerify(t *testing.T, src, dst string, o database.VerifyOptions) (*database.VerifyReport, string) {
	t.Helper()
	rep, err := myTry(t, src, dst, o)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.Write(&b, "text", lang.English); err != nil {
		t.Fatal(err)
	}
	return rep, b.String()
}

func myLastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestVerifyIdenticalThenEachDifference(t *testing.T) {
	s, src, dst := myPair(t)
	o := database.VerifyOptions{ChunkRows: 1000, MaxKeys: 10}
	rep, out := myVerify(t, s.URL(src), s.URL(dst), o)
	if rep.Verdict() != database.Identical {
		t.Fatalf("verdict %s, want identical:\n%s", rep.Verdict(), out)
	}
	if got, want := myLastLine(out), "IDENTICAL: 6 tables, 4,559 rows, 3 sequences compared"; got != want {
		t.Errorf("last line %q, want %q\n%s", got, want, out)
	}
	for _, w := range []string{
		"identical     orders: 3,002 rows in 4 chunks",
		"identical     log_nopk: 403 rows in 1 bucket; no primary key",
		"identical     sequence counters: next value 101 at the source (AUTO_INCREMENT), 101 at the target",
		"identical     sequence tickets: next value ",
		"time_zone=+00:00, character_set_connection=utf8mb4",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}

	s.Exec(t, dst,
		`UPDATE orders SET note = 'changed 🚀' WHERE id = 1500`,
		`UPDATE orders SET at = at + INTERVAL 1 MICROSECOND WHERE id = 7`,
		`UPDATE orders SET body = UNHEX('00ff') WHERE id = 8`,
		`DELETE FROM orders WHERE id = 2222`,
		`INSERT INTO orders (id, note) VALUES (5000, 'added at the target')`,
		`UPDATE codes SET label = 'other' WHERE code = 'Äpfel'`,
		`UPDATE pairs SET v = 'other' WHERE a = 3 AND b = 'b4'`,
		`UPDATE bin_key SET v = -1 WHERE v = 17`,
		`DELETE FROM log_nopk WHERE what = 'dup' LIMIT 1`,
		// InnoDB takes it as max(id) + 1: the rows are all there, the
		// counter is behind, as after a dump restored without it.
		`ALTER TABLE counters AUTO_INCREMENT = 1`)
	rep, out = myVerify(t, s.URL(src), s.URL(dst), o)
	if rep.Verdict() != database.Different {
		t.Fatalf("verdict %s, want different:\n%s", rep.Verdict(), out)
	}
	for _, w := range []string{
		"DIFFERENT     orders: 3,002 rows in 4 chunks",
		"row id=7: differs in at",
		"row id=8: differs in body",
		"row id=1500: differs in note",
		"row id=2222: only at the source (missing at the target)",
		"row id=5000: only at the target",
		"row code=Äpfel: differs in label",
		"row (a, b)=(3, b4): differs in v",
		"row k=",
		"DIFFERENT     log_nopk: 403 rows at the source, 402 at the target",
		"BEHIND        sequence counters: next value 101 at the source (AUTO_INCREMENT), 51 at the target (AUTO_INCREMENT)",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
	if !strings.HasPrefix(myLastLine(out), "DIFFERENT: 5 tables, 1 sequence differ (bin_key, codes, log_nopk, orders, pairs and 1 more); 6 tables, 4,559 rows, 3 sequences compared") {
		t.Errorf("last line %q", myLastLine(out))
	}
}

func TestVerifyFailsClosed(t *testing.T) {
	s := mysqltest.Shared(t)

	t.Run("empty databases", func(t *testing.T) {
		rep, out := myVerify(t, s.URL(s.Database(t)), s.URL(s.Database(t)), database.VerifyOptions{})
		if rep.Verdict() != database.NotCompared || myLastLine(out) != "NOT VERIFIED: no table compared: the source holds none" {
			t.Errorf("verdict %s:\n%s", rep.Verdict(), out)
		}
	})

	t.Run("a login that may read some tables only", func(t *testing.T) {
		_, src, dst := myPair(t)
		user := "ro_" + src
		s.Exec(t, "",
			"CREATE USER '"+user+"'@'127.0.0.1' IDENTIFIED BY 'pw'",
			"GRANT SELECT ON "+src+".orders TO '"+user+"'@'127.0.0.1'",
			"GRANT INSERT ON "+src+".codes TO '"+user+"'@'127.0.0.1'")
		t.Cleanup(func() { s.Exec(t, "", "DROP USER '"+user+"'@'127.0.0.1'") })
		rep, out := myVerify(t, s.URLFor(user, "pw", src), s.URL(dst), database.VerifyOptions{})
		if rep.Verdict() == database.Identical {
			t.Fatalf("verdict identical:\n%s", out)
		}
		for _, w := range []string{
			"NOT COMPARED  codes: source: cut chunks: SELECT command denied to user",
			"NOT COMPARED  pairs: listed only at the target: the source's login may not see it",
			"NOT VERIFIED: the source's login may not see every table: " + user + "@127.0.0.1 holds no SELECT on `" + src + "`.*",
		} {
			if !strings.Contains(out, w) {
				t.Errorf("report lacks %q:\n%s", w, out)
			}
		}
	})

	t.Run("a target login that fails", func(t *testing.T) {
		_, err := myTry(t, s.URL(s.Database(t)), s.URLFor(s.User, "wrong-pw", ""), database.VerifyOptions{})
		var ce *database.ConnectError
		if !errors.As(err, &ce) || ce.Side != database.Target || ce.Kind != database.Auth {
			t.Fatalf("got %v, want the target's authentication error", err)
		}
		if strings.Contains(err.Error(), "wrong-pw") {
			t.Errorf("error %q shows the password", err)
		}
	})
}

// TestVerifyRate measures verify on one table: 20,000 rows by default,
// SORTIE_VERIFY_ROWS=200000 go test -run VerifyRate -v for the figure in
// NOTES.md.
func TestVerifyRate(t *testing.T) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("SORTIE_VERIFY_ROWS")); err == nil {
		n = v
	}
	s := mysqltest.Shared(t)
	src, dst := s.Database(t), s.Database(t)
	for _, db := range []string{src, dst} {
		s.Exec(t, db, "SET max_recursive_iterations = 10000000; CREATE TABLE big (id int PRIMARY KEY, note varchar(100), v double, at datetime(6)); "+
			"INSERT INTO big WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < "+strconv.Itoa(n)+") "+
			"SELECT g, CONCAT(MD5(g), ' ', REPEAT('x', 60)), g / 7, TIMESTAMP('2025-01-01') + INTERVAL g SECOND FROM s; ANALYZE TABLE big")
	}
	start := time.Now()
	rep, out := myVerify(t, s.URL(src), s.URL(dst), database.VerifyOptions{Parallel: database.DefaultParallel})
	secs := time.Since(start).Seconds()
	if rep.Verdict() != database.Identical || rep.Tables[0].SourceRows != int64(n) {
		t.Fatal(out)
	}
	t.Logf("%d rows verified in %.2f s: %.0f rows/s (defaults: %d-row chunks, %d at once)", n, secs, float64(n)/secs, database.DefaultChunkRows, database.DefaultParallel)
}

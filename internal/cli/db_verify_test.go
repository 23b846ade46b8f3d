package cli_test

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/mysqltest"
	"github.com/sortie-dev/sortie/internal/pgtest"
)

// verifyDBName is the database a postgres:// URL names.
func verifyDBName(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(p.Path, "/")
}

func verifyLast(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestDBVerify runs sortie db verify on real servers: one PostgreSQL
// cluster and one MariaDB, each holding a source and a copy made here
// with the same SQL.
func TestDBVerify(t *testing.T) {
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("HOME", t.TempDir())
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	pg, my := pgtest.Start(t), mysqltest.Start(t)

	schema := []string{
		`CREATE TABLE orders (id serial PRIMARY KEY, note text, placed timestamptz, v float8)`,
		`INSERT INTO orders (note, placed, v) SELECT 'é ' || g, to_timestamp(1700000000 + g), g / 3.0 FROM generate_series(1, 2500) g`,
		`CREATE TABLE secret (id int PRIMARY KEY, pin text)`,
		`INSERT INTO secret VALUES (1, '1234')`,
		`SELECT lo_from_bytea(777, 'blob')`,
	}
	src, dst := pg.Database(t), pg.Database(t)
	pg.Exec(t, verifyDBName(t, src), schema...)
	pg.Exec(t, verifyDBName(t, dst), schema...)

	t.Run("postgres identical", func(t *testing.T) {
		code, out, errb := sortie(t, "db", "verify", src, dst)
		if code != 0 || errb != "" {
			t.Fatalf("exit %d, stderr %q, want 0:\n%s", code, errb, out)
		}
		if got, want := verifyLast(out), "IDENTICAL: 2 tables, 2,501 rows, 1 sequence, 1 large object compared"; got != want {
			t.Errorf("last line %q, want %q", got, want)
		}
		if strings.Contains(out, pg.Password) {
			t.Error("the report shows the password")
		}
	})
	t.Run("postgres not readable", func(t *testing.T) {
		pg.Exec(t, verifyDBName(t, src), `CREATE ROLE verify_ro LOGIN PASSWORD 'ro-pw'`, `GRANT SELECT ON orders TO verify_ro`,
			`GRANT SELECT ON orders_id_seq TO verify_ro`, `GRANT SELECT ON LARGE OBJECT 777 TO verify_ro`)
		code, out, errb := sortie(t, "db", "verify", pg.URLFor("verify_ro", "ro-pw", verifyDBName(t, src)), dst)
		if code != 2 || !strings.HasPrefix(verifyLast(out), "NOT VERIFIED: 1 table not compared (public.secret); 1 table, 2,500 rows") {
			t.Errorf("exit %d, want 2:\n%s", code, out)
		}
		dbOneLine(t, errb, "NOT VERIFIED: 1 table not compared (public.secret)", "ro-pw")
	})
	t.Run("postgres differences", func(t *testing.T) {
		other := pg.Database(t)
		pg.Exec(t, verifyDBName(t, other), schema...)
		pg.Exec(t, verifyDBName(t, other), `UPDATE orders SET note = 'x' WHERE id = 1234`, `DELETE FROM orders WHERE id = 99`,
			`INSERT INTO orders (id, note) VALUES (9999, 'new')`, `SELECT setval('orders_id_seq', 10)`)
		code, out, errb := sortie(t, "db", "verify", src, other, "--chunk-rows", "500", "--parallel", "2")
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s%s", code, out, errb)
		}
		for _, w := range []string{"row id=1234: differs in note", "row id=99: only at the source", "row id=9999: only at the target", "BEHIND        sequence public.orders_id_seq"} {
			if !strings.Contains(out, w) {
				t.Errorf("report lacks %q:\n%s", w, out)
			}
		}
		dbOneLine(t, errb, "DIFFERENT: 1 table, 1 sequence differ (public.orders, public.orders_id_seq)", "")

		code, out, _ = sortie(t, "db", "verify", src, other, "--format", "json")
		var doc struct {
			Verdict, Summary string
			Tables           []struct {
				Name, Status string
				Rows         []struct {
					Kind string
					Key  []string
				}
			}
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("exit %d: %v\n%s", code, err, out)
		}
		if code != 1 || doc.Verdict != "different" || len(doc.Tables) != 2 || doc.Tables[0].Name != "orders" || len(doc.Tables[0].Rows) != 3 {
			t.Errorf("exit %d, %+v", code, doc)
		}
		code, out, _ = sortie(t, "db", "verify", src, other, "--format", "md", "--lang", "fr")
		if code != 1 || !strings.Contains(out, "| public.orders | **DIFFÉRENT** |") || !strings.Contains(out, "ligne id=1234 : diffère dans note") ||
			!strings.HasPrefix(verifyLast(out), "DIFFÉRENT : 1 table, 1 séquence diffèrent") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("empty databases", func(t *testing.T) {
		code, out, errb := sortie(t, "db", "verify", pg.Database(t), pg.Database(t))
		if code != 2 || verifyLast(out) != "NOT VERIFIED: no table compared: the source holds none" {
			t.Errorf("exit %d:\n%s", code, out)
		}
		dbOneLine(t, errb, "NOT VERIFIED: no table compared", "")
	})
	t.Run("target login fails", func(t *testing.T) {
		code, out, errb := sortie(t, "db", "verify", src, pg.URLFor(pg.User, "wrong-pw", verifyDBName(t, dst)))
		if code != 2 || out != "" {
			t.Errorf("exit %d, stdout %q: want 2 and nothing", code, out)
		}
		dbOneLine(t, errb, `target postgres://postgres@127.0.0.1:`, "wrong-pw")
		dbOneLine(t, errb, `password authentication failed for user "postgres"; check the user and the password`, "wrong-pw")
	})

	t.Run("mariadb", func(t *testing.T) {
		mySchema := "CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, note varchar(50), body blob, at datetime(6)); " +
			"INSERT INTO orders (note, body, at) VALUES ('🚀 café', x'00ff', '2025-01-02 03:04:05.123456'), ('b', NULL, '2026-12-01 10:00:00.000001'), ('c', '', '2025-01-01')"
		a, b := my.Database(t), my.Database(t)
		my.Exec(t, a, mySchema)
		my.Exec(t, b, mySchema)
		code, out, errb := sortie(t, "db", "verify", my.URL(a), my.URL(b))
		if code != 0 || verifyLast(out) != "IDENTICAL: 1 table, 3 rows, 1 sequence compared" {
			t.Errorf("exit %d, stderr %q:\n%s", code, errb, out)
		}
		my.Exec(t, b, "UPDATE orders SET note = '🚀 cafe' WHERE id = 1")
		code, out, errb = sortie(t, "db", "verify", my.URL(a), my.URL(b))
		if code != 1 || !strings.Contains(out, "row id=1: differs in note") {
			t.Errorf("exit %d, stderr %q:\n%s", code, errb, out)
		}
		code, out, errb = sortie(t, "db", "verify", my.URL(a), my.URLFor(my.User, "wrong-pw", b))
		if code != 2 || out != "" {
			t.Errorf("exit %d, stdout %q", code, out)
		}
		dbOneLine(t, errb, "target mysql://sortie@127.0.0.1:", "wrong-pw")
	})

	for _, args := range [][]string{
		{"db", "verify", src},
		{"db", "verify", src, dst, "--format", "xml"},
		{"db", "verify", src, dst, "--chunk-rows", "0"},
		{"db", "verify", src, dst, "--parallel", "0"},
		{"db", "verify", src, dst, "--max-keys", "0"},
		{"db", "verify", src, my.URL("")},
		{"db", "verify", src, dst, "--from-profile", "nosuch"},
	} {
		if code, _, errb := sortie(t, args...); code != 2 || strings.Count(errb, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line", args, code, errb)
		}
	}
}

package cli_test

import (
	"encoding/json"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/mysqltest"
	"github.com/sortie-dev/sortie/internal/pgtest"
)

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return strconv.Itoa(port)
}

// dbOneLine checks that a failed run said why in one line and kept the
// password to itself.
func dbOneLine(t *testing.T, stderr, want, secret string) {
	t.Helper()
	if n := strings.Count(stderr, "\n"); n != 1 || !strings.HasPrefix(stderr, "sortie: ") {
		t.Errorf("stderr %q: want one line starting sortie:", stderr)
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr %q: want it to say %q", stderr, want)
	}
	if secret != "" && strings.Contains(stderr, secret) {
		t.Errorf("stderr %q shows the password", stderr)
	}
}

// TestDBPlan runs sortie db plan on real servers: two PostgreSQL clusters
// (roles are a cluster's, so the source's must not be the target's) and
// one MariaDB, started once for all the cases.
func TestDBPlan(t *testing.T) {
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("HOME", t.TempDir())
	pgSrc, pgDst := pgtest.Start(t), pgtest.Start(t)
	my := mysqltest.Start(t)

	clean := pgSrc.Database(t)
	pgSrc.Exec(t, strings.TrimPrefix(clean[strings.LastIndex(clean, "/"):strings.Index(clean, "?")], "/"),
		`CREATE TABLE t (id serial PRIMARY KEY, v text)`, `INSERT INTO t (v) SELECT repeat('x', 100) FROM generate_series(1, 5000)`, `ANALYZE`)
	trap := pgSrc.Database(t)
	trapDB := strings.TrimPrefix(trap[strings.LastIndex(trap, "/"):strings.Index(trap, "?")], "/")
	pgSrc.Exec(t, trapDB, `CREATE EXTENSION hstore`, `CREATE TABLE audit (at timestamptz, what hstore)`,
		// An RDS-only extension's catalog row, as an RDS source has it.
		`INSERT INTO pg_extension (oid, extname, extowner, extnamespace, extrelocatable, extversion)
		 VALUES ((SELECT max(oid::text::bigint) + 1 FROM pg_extension)::text::oid, 'aws_s3', 10, 'public'::regnamespace, false, '1.1')`)
	target := pgDst.Database(t)

	t.Run("postgres without blockers", func(t *testing.T) {
		code, out, errb := sortie(t, "db", "plan", clean, target)
		if code != 0 || errb != "" {
			t.Fatalf("exit %d, stderr %q, want 0:\n%s", code, errb, out)
		}
		for _, want := range []string{"PostgreSQL 15.", "public.t_id_seq (last 5,000, for public.t.id)", "no blockers", "copy time", "measured on"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, pgSrc.Password) {
			t.Error("the plan shows the password")
		}
	})
	t.Run("postgres blockers exit 1", func(t *testing.T) {
		code, out, errb := sortie(t, "db", "plan", trap, target)
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s%s", code, out, errb)
		}
		for _, want := range []string{"BLOCKER   aws_s3: extension that exists only on Amazon RDS", "warning   public.audit: no primary key", "1 blockers, 1 warnings"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		dbOneLine(t, errb, "1 blocker found", "")
	})
	t.Run("json and french markdown", func(t *testing.T) {
		code, out, _ := sortie(t, "db", "plan", trap, target, "--format", "json")
		var doc struct {
			Blockers int
			Source   struct{ Product string }
			Findings []struct{ Severity, Code, Object, Message, Action string }
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("exit %d: %v\n%s", code, err, out)
		}
		if code != 1 || doc.Blockers != 1 || doc.Source.Product != "PostgreSQL" || doc.Findings[0].Code != "extension-rds-only" || doc.Findings[0].Action == "" {
			t.Errorf("exit %d, %+v", code, doc)
		}
		code, out, _ = sortie(t, "db", "plan", trap, target, "--format", "md", "--lang", "fr")
		if code != 1 || !strings.Contains(out, "| **BLOQUANT** | aws_s3 |") || !strings.Contains(out, "## Constats") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("target that holds tables", func(t *testing.T) {
		code, out, _ := sortie(t, "db", "plan", clean, clean)
		if code != 1 || !strings.Contains(out, "the target already holds 1 tables") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("mariadb", func(t *testing.T) {
		src, dst := my.Database(t), my.Database(t)
		my.Exec(t, src, `CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, note varchar(50)) ENGINE=InnoDB`,
			`INSERT INTO orders (note) VALUES ('🚀'), ('é')`)
		code, out, errb := sortie(t, "db", "plan", my.URL(src), my.URL(dst))
		// Debian's MariaDB logs MIXED: a warning, not a blocker.
		if code != 0 || !strings.Contains(out, "MariaDB 10.11") || !strings.Contains(out, "binlog_format is MIXED") {
			t.Errorf("exit %d, stderr %q:\n%s", code, errb, out)
		}
		my.Exec(t, src, `CREATE DEFINER = 'ghost'@'%' VIEW v AS SELECT id FROM orders`)
		code, out, errb = sortie(t, "db", "plan", my.URL(src), my.URL(dst))
		if code != 1 || !strings.Contains(out, "runs as ghost@%, an account the target does not have") {
			t.Errorf("exit %d, stderr %q:\n%s", code, errb, out)
		}
	})

	port := closedPort(t)
	for _, c := range []struct {
		name     string
		src, dst string
		want     string
		secret   string
	}{
		{"postgres wrong password", pgSrc.URLFor(pgSrc.User, "wrong-pw", "postgres"), target, `source postgres://postgres@127.0.0.1:` + strconv.Itoa(pgSrc.Port) + `/postgres?sslmode=disable: password authentication failed for user "postgres"; check the user and the password`, "wrong-pw"},
		{"postgres unreachable target", clean, "postgres://u:pw@127.0.0.1:" + port + "/x?sslmode=disable", "target postgres://u@127.0.0.1:" + port + "/x?sslmode=disable: dial tcp 127.0.0.1:" + port + ": connect: connection refused; check the host and port", "pw@"},
		{"postgres missing database", clean, pgDst.URL("nosuchdb"), `target postgres://postgres@127.0.0.1:` + strconv.Itoa(pgDst.Port) + `/nosuchdb?sslmode=disable: database "nosuchdb" does not exist; check the database name`, pgDst.Password},
		{"mysql wrong password", my.URLFor(my.User, "wrong-pw", ""), my.URL(""), "source mysql://sortie@127.0.0.1:" + strconv.Itoa(my.Port) + "/: Access denied for user 'sortie'@'127.0.0.1'", "wrong-pw"},
		{"mysql missing database", my.URL(""), my.URL("nosuchdb"), "Unknown database 'nosuchdb'; check the database name", my.Password},
		{"mysql unreachable", "mysql://u:pw@127.0.0.1:" + port + "/x", my.URL(""), "connection refused", "pw@"},
		{"bad URL", "postgres://u:topsecret@host:99999/db", target, `source URL postgres://u@host:99999/db: port "99999" is not a port number`, "topsecret"},
		{"not a URL", "records.rds.amazonaws.com", target, "source URL (not shown): not a URL", ""},
		{"bad driver parameter", "postgres://u:topsecret@127.0.0.1/db?sslmode=sometimes", target, "source URL postgres://u@127.0.0.1/db?sslmode=sometimes", "topsecret"},
		{"two engines", clean, my.URL(""), "the source is postgresql and the target mysql", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errb := sortie(t, "db", "plan", c.src, c.dst)
			if code != 2 || out != "" {
				t.Errorf("exit %d, stdout %q: want 2 and nothing", code, out)
			}
			dbOneLine(t, errb, c.want, c.secret)
		})
	}
	for _, args := range [][]string{
		{"db", "plan", clean},
		{"db", "plan", clean, target, "--format", "xml"},
		{"db", "plan", clean, target, "--lang", "de"},
		{"db", "nope"},
	} {
		if code, _, errb := sortie(t, args...); code != 2 || strings.Count(errb, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line", args, code, errb)
		}
	}
}

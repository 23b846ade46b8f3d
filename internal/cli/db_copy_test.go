package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/mysqltest"
	"github.com/sortie-dev/sortie/internal/pgtest"
)

// dbName is the database a pgtest URL names.
func dbName(u string) string {
	return strings.TrimPrefix(u[strings.LastIndex(u, "/"):strings.Index(u, "?")], "/")
}

// dbProc is a sortie process whose output the test reads while it runs.
type dbProc struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
}

func (p *dbProc) exitCode() int { return p.cmd.ProcessState.ExitCode() }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startDBSortie(t *testing.T, args ...string) *dbProc {
	t.Helper()
	p := &dbProc{cmd: exec.Command(binary(t), args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// pgQuery runs q with psql and returns its one value as text: the
// command's tests go through the client, not the driver (only
// internal/database/postgres and pgtest import pgx).
func pgQuery(t *testing.T, u, q string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(pgtest.BinDir, "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", u, "-c", q).CombinedOutput()
	if err != nil {
		t.Fatalf("psql %s: %v\n%s", q, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestDBCopyPostgres runs sortie db copy through the command line on two
// real clusters: a copy with --json events and the summary, the refusals
// and bad input, and a kill -9 in the middle of a table then a resume.
func TestDBCopyPostgres(t *testing.T) {
	// Built before HOME moves: go build finds its caches under HOME.
	binary(t)
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	pgSrc, pgDst := pgtest.Start(t), pgtest.Start(t)
	src := pgSrc.Database(t)
	pgSrc.Exec(t, dbName(src),
		`CREATE TABLE accounts (id serial PRIMARY KEY, name text, balance numeric(30,2))`,
		`INSERT INTO accounts (name, balance) SELECT 'compte ' || g || ' é', g * 1.5 FROM generate_series(1, 2000) g`,
		`CREATE TABLE notes (body text)`, `INSERT INTO notes VALUES ('🚀'), ('x')`)

	t.Run("copy, json events, summary", func(t *testing.T) {
		dst := pgDst.Database(t)
		code, out, errb := sortie(t, "db", "copy", src, dst, "--json", "-j", "2")
		if code != 0 {
			t.Fatalf("exit %d:\n%s\n%s", code, out, errb)
		}
		done := events(out, "table-done")
		sums := events(out, "summary")
		if len(done) != 2 || len(sums) != 1 || sums[0]["rows"].(float64) != 2002 {
			t.Errorf("events: %d table-done, summary %v\n%s", len(done), sums, out)
		}
		if strings.Contains(out+errb, pgSrc.Password) || strings.Contains(out+errb, pgDst.Password) {
			t.Error("a password shows in the output")
		}
		if n := pgQuery(t, dst, `SELECT count(*) FROM accounts`); n != "2000" {
			t.Errorf("target holds %s accounts, want 2000", n)
		}
		if id := pgQuery(t, dst, `INSERT INTO accounts (name) VALUES ('new') RETURNING id`); id != "2001" {
			t.Errorf("first insert after the copy got id %s, want 2001", id)
		}
		// The target now holds tables: another job into it is refused.
		code, out, errb = sortie(t, "db", "copy", src, dst, "--journal", filepath.Join(t.TempDir(), "other.db"))
		if code != 2 || out != "" {
			t.Errorf("copy into a full target: exit %d, stdout %q", code, out)
		}
		dbOneLine(t, errb, "already holds 2 tables (public.accounts, public.notes); give an empty database, or pass --into-existing", pgDst.Password)
		// The same job again: everything was done.
		code, out, errb = sortie(t, "db", "copy", src, dst, "--lang", "fr")
		if code != 0 || !strings.Contains(out, "dont 2 d'une exécution précédente") {
			t.Errorf("same job again: exit %d\n%s\n%s", code, out, errb)
		}
	})

	t.Run("markdown in french", func(t *testing.T) {
		dst := pgDst.Database(t)
		code, out, errb := sortie(t, "db", "copy", src, dst, "--format", "md", "--lang", "fr")
		if code != 0 || !strings.Contains(out, "# sortie db copy") || !strings.Contains(out, "terminé : 2 tables") || !strings.Contains(out, "sortie db verify") {
			t.Errorf("exit %d:\n%s\n%s", code, out, errb)
		}
	})

	port := closedPort(t)
	empty := pgDst.Database(t)
	bin := t.TempDir()
	for _, c := range []struct {
		name   string
		args   []string
		want   string
		secret string
	}{
		{"wrong password", []string{pgSrc.URLFor(pgSrc.User, "wrong-pw", dbName(src)), empty}, "password authentication failed", "wrong-pw"},
		{"unreachable target", []string{src, "postgres://u:pw@127.0.0.1:" + port + "/x?sslmode=disable"}, "connect: connection refused; check the host and port", "pw@"},
		{"missing database", []string{src, pgDst.URL("nosuchdb")}, `database "nosuchdb" does not exist`, pgDst.Password},
		{"no pg_dump", []string{src, empty, "--bin-dir", bin}, "pg_dump and psql not found (in " + bin + "); install Debian's postgresql-client-15 package", ""},
		{"same database", []string{src, src}, "the source and the target are the same database", ""},
		{"bad jobs", []string{src, empty, "-j", "0"}, "--jobs 0", ""},
		{"bad bwlimit", []string{src, empty, "--bwlimit", "fast"}, "--bwlimit \"fast\"", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errb := sortie(t, append([]string{"db", "copy"}, c.args...)...)
			if code != 2 || out != "" {
				t.Errorf("exit %d, stdout %q: want 2 and nothing", code, out)
			}
			dbOneLine(t, errb, c.want, c.secret)
		})
	}
	if n := pgQuery(t, empty, `SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace`); n != "0" {
		t.Errorf("the refused runs left %s relations at the target", n)
	}
	if left, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_STATE_HOME"), "sortie", "db", "*.db")); len(left) != 2 {
		t.Errorf("journals left: %v; want only the two jobs that copied", left)
	}

	t.Run("kill -9 mid-table, then resume", func(t *testing.T) {
		big := pgSrc.Database(t)
		pgSrc.Exec(t, dbName(big),
			`CREATE TABLE big (id bigint PRIMARY KEY, pad text)`,
			`INSERT INTO big SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 60000) g`,
			`CREATE TABLE small1 (id int PRIMARY KEY)`, `INSERT INTO small1 SELECT generate_series(1, 100)`,
			`CREATE TABLE small2 (id int PRIMARY KEY)`, `INSERT INTO small2 SELECT generate_series(1, 200)`,
			`ANALYZE`)
		dst := pgDst.Database(t)
		jpath := filepath.Join(t.TempDir(), "job.db")
		args := []string{"db", "copy", big, dst, "--json", "-j", "2", "--journal", jpath}
		// About 6 MB at 1 MiB/s: the kill lands in the middle of big.
		p := startDBSortie(t, append(args, "--bwlimit", "1MiB")...)
		deadline := time.After(30 * time.Second)
		for !strings.Contains(p.stdout.String(), `"table-started","table":"public.big"`) {
			select {
			case <-p.done:
				t.Fatalf("finished before the kill (exit %d)\n%s\n%s", p.exitCode(), p.stdout.String(), p.stderr.String())
			case <-deadline:
				t.Fatal("big never started")
			case <-time.After(20 * time.Millisecond):
			}
		}
		time.Sleep(1500 * time.Millisecond)
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		if strings.Contains(p.stdout.String(), `"table-done","table":"public.big"`) {
			t.Fatal("big finished before the kill")
		}
		p = startDBSortie(t, args...)
		select {
		case <-p.done:
		case <-time.After(2 * time.Minute):
			p.cmd.Process.Kill()
			t.Fatal("the resume did not finish")
		}
		if p.exitCode() != 0 {
			t.Fatalf("resume: exit %d\n%s\n%s", p.exitCode(), p.stdout.String(), p.stderr.String())
		}
		out := p.stdout.String()
		if done := events(out, "table-done"); len(done) != 1 || done[0]["table"] != "public.big" || done[0]["rows"].(float64) != 60000 {
			t.Errorf("resume copied %v, want big alone with 60,000 rows\n%s", done, out)
		}
		if skipped := events(out, "table-skipped"); len(skipped) != 2 {
			t.Errorf("resume skipped %d tables, want small1 and small2", len(skipped))
		}
		// Every row once.
		if got := pgQuery(t, dst, `SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || sum(id) FROM big`); got != "60000 60000 "+strconv.Itoa(60000*60001/2) {
			t.Errorf("big at the target: count, distinct, sum = %s", got)
		}
		if got, want := pgQuery(t, dst, `SELECT md5(string_agg(pad, '' ORDER BY id)) FROM big`), pgQuery(t, big, `SELECT md5(string_agg(pad, '' ORDER BY id)) FROM big`); got != want {
			t.Errorf("big's rows differ after the resume")
		}
		if n := pgQuery(t, dst, `SELECT count(*) FROM pg_indexes WHERE tablename = 'big'`); n != "1" {
			t.Errorf("big has %s indexes at the target, want its primary key", n)
		}
	})
}

// TestDBCopyMariaDB copies a MariaDB database through the command line,
// and refuses what it cannot do with one line each.
func TestDBCopyMariaDB(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	my := mysqltest.Start(t)
	src, dst := my.Database(t), my.Database(t)
	my.Exec(t, src, `CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, note varchar(50), body blob, at datetime(6))`,
		`CREATE TRIGGER orders_upper BEFORE INSERT ON orders FOR EACH ROW SET NEW.note = upper(NEW.note)`,
		`INSERT INTO orders (note, body, at) VALUES ('🚀 é', x'00ff', '2025-01-02 03:04:05.123456'), ('b', NULL, NULL)`)
	code, out, errb := sortie(t, "db", "copy", my.URL(src), my.URL(dst))
	if code != 0 || !strings.Contains(out, "binlog position") || !strings.Contains(out, "done: 1 tables, 2 rows") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errb)
	}
	if strings.Contains(out+errb, my.Password) {
		t.Error("the password shows")
	}
	bin := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"target holds tables", []string{my.URL(src), my.URL(dst), "--journal", filepath.Join(t.TempDir(), "j.db")}, "already holds 1 tables (orders)"},
		{"no client programs", []string{my.URL(src), my.URL(my.Database(t)), "--bin-dir", bin}, "mariadb-dump and mariadb not found (in " + bin + "); install Debian's mariadb-client package"},
		{"no database in the URL", []string{my.URL(""), my.URL(dst)}, "db copy needs the database named in the URL"},
		{"wrong password", []string{my.URLFor(my.User, "wrong-pw", src), my.URL(my.Database(t))}, "Access denied"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errb := sortie(t, append([]string{"db", "copy"}, c.args...)...)
			if code != 2 || out != "" {
				t.Errorf("exit %d, stdout %q: want 2 and nothing", code, out)
			}
			dbOneLine(t, errb, c.want, my.Password)
		})
	}
}

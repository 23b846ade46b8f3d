package cli_test

import (
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/mysqltest"
	"github.com/sortie-dev/sortie/internal/pgtest"
)

// psqlWriter keeps one psql session at u writing until it is stopped or
// its session is ended.
func psqlWriter(t *testing.T, u string) (stop func() int) {
	t.Helper()
	return pipeWriter(t, exec.Command(filepath.Join(pgtest.BinDir, "psql"), "-X", "-q", "-d", u))
}

// pipeWriter feeds a SQL client (cmd: psql or mariadb, connected to the
// source) inserts, updates and deletes, a few hundred a second, until it
// is stopped or the client's session is ended (a freeze); stop returns how
// many statements it sent.
func pipeWriter(t *testing.T, cmd *exec.Cmd) (stop func() int) {
	t.Helper()
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	quit, done := make(chan struct{}), make(chan int)
	go func() {
		n := 0
		defer func() { in.Close(); cmd.Wait(); done <- n }()
		for i := 0; ; i++ {
			select {
			case <-quit:
				return
			case <-time.After(2 * time.Millisecond):
			}
			var q string
			switch i % 3 {
			case 0:
				q = fmt.Sprintf("INSERT INTO inscriptions (etudiant, cours) VALUES (%d, 'INF%d');\n", i, i%50)
			case 1:
				q = fmt.Sprintf("UPDATE inscriptions SET note = %d WHERE id = %d;\n", i%100, i%3000+1)
			case 2:
				q = fmt.Sprintf("DELETE FROM journal WHERE id = %d;\n", i%3000+1)
			}
			if _, err := io.WriteString(in, q); err != nil {
				return // the freeze ended the session
			}
			n++
		}
	}()
	stopped := false
	var n int
	return func() int {
		if !stopped {
			stopped = true
			close(quit)
			n = <-done
		}
		return n
	}
}

// The online move through the command line, on two real clusters, under a
// writer: db copy --online copies and leaves replication running; db
// cutover --freeze stops the writes, catches up, sets the sequences,
// verifies and removes the replication; db verify then finds both sides
// identical, and the first inserts at the target take new keys.
func TestDBOnlinePostgres(t *testing.T) {
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
	journal := filepath.Join(t.TempDir(), "db.journal")
	srcServer, dstServer := pgtest.Start(t), pgtest.Start(t)
	src, dst := srcServer.Database(t), dstServer.Database(t)
	srcServer.Exec(t, dbName(src),
		`CREATE TABLE inscriptions (id serial PRIMARY KEY, etudiant int NOT NULL, cours text, note int)`,
		`CREATE TABLE journal (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, quoi jsonb, quand timestamptz DEFAULT now())`,
		`INSERT INTO inscriptions (etudiant, cours) SELECT g, 'INF' || (g % 50) FROM generate_series(1, 3000) g`,
		`INSERT INTO journal (quoi) SELECT jsonb_build_object('g', g, 'é', true) FROM generate_series(1, 3000) g`)
	stop := psqlWriter(t, src)
	defer stop()
	time.Sleep(300 * time.Millisecond)

	code, out, errs := sortie(t, "db", "copy", src, dst, "--online", "--journal", journal, "--lang", "en")
	if code != 0 {
		t.Fatalf("db copy --online: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "sortie db cutover") {
		t.Errorf("the summary does not say what comes next:\n%s", out)
	}
	time.Sleep(500 * time.Millisecond) // replication under the write load
	t.Cleanup(func() { sortie(t, "db", "abort", src, dst, "--thaw") })

	code, out, errs = sortie(t, "db", "cutover", src, dst, "--freeze", "--lang", "en")
	writes := stop()
	t.Logf("cutover after %d writes:\n%s", writes, out)
	if code != 0 || !strings.Contains(out, "CUT OVER:") || !strings.Contains(out, "IDENTICAL") {
		t.Fatalf("db cutover: exit %d\n%s\n%s", code, out, errs)
	}
	if writes < 50 {
		t.Errorf("the writer sent only %d statements", writes)
	}
	code, out, errs = sortie(t, "db", "verify", src, dst, "--lang", "en")
	if code != 0 || !strings.Contains(out, "IDENTICAL: 2 tables") {
		t.Errorf("db verify after the cut-over: exit %d\n%s\n%s", code, out, errs)
	}
	srcRows, _ := strconv.Atoi(pgQuery(t, src, `SELECT count(*) FROM inscriptions`))
	if srcRows <= 3000 {
		t.Errorf("the writer's inserts are not at the source: %d rows", srcRows)
	}
	if got := pgQuery(t, dst, `SELECT count(*) FROM inscriptions`); got != strconv.Itoa(srcRows) {
		t.Errorf("target has %s rows, source %d", got, srcRows)
	}
	// The first inserts after the cut-over take keys the source never
	// gave (the sequences were set): no collision.
	pgQuery(t, dst, `INSERT INTO inscriptions (etudiant, cours) VALUES (0, 'après') RETURNING id`)
	pgQuery(t, dst, `INSERT INTO journal (quoi) VALUES ('{}') RETURNING id`)
	if got := pgQuery(t, src, `SELECT count(*) FROM pg_replication_slots`); got != "0" {
		t.Errorf("%s replication slots left at the source", got)
	}
	// The source is frozen until the operator thaws it.
	if out, err := exec.Command(filepath.Join(pgtest.BinDir, "psql"), "-X", "-d", src, "-c", "INSERT INTO inscriptions (etudiant) VALUES (1)").CombinedOutput(); err == nil || !strings.Contains(string(out), "read-only") {
		t.Errorf("the source took a write after the freeze: %v %s", err, out)
	}
	if code, out, errs := sortie(t, "db", "abort", src, dst, "--thaw"); code != 0 || !strings.Contains(out, "takes writes again") {
		t.Errorf("abort --thaw: exit %d\n%s\n%s", code, out, errs)
	}
	pgQuery(t, src, `INSERT INTO inscriptions (etudiant) VALUES (1) RETURNING id`)
}

// The online move of a MariaDB database through the command line, on two
// real servers, under a writer: the copy leaves the target a replica from
// the dump's binlog position, and the cut-over ends it identical.
func TestDBOnlineMariaDB(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	journal := filepath.Join(t.TempDir(), "db.journal")
	srcServer, dstServer := mysqltest.Start(t), mysqltest.Start(t)
	srcDB, dstDB := srcServer.Database(t), dstServer.Database(t)
	srcServer.Exec(t, srcDB,
		`CREATE TABLE inscriptions (id int AUTO_INCREMENT PRIMARY KEY, etudiant int NOT NULL, cours varchar(20) CHARACTER SET utf8mb4, note int)`,
		`CREATE TABLE journal (id bigint AUTO_INCREMENT PRIMARY KEY, quoi varchar(100) CHARACTER SET utf8mb4, quand datetime(6))`,
		`INSERT INTO inscriptions (etudiant, cours) SELECT seq, CONCAT('INF', seq % 50, ' 🎓') FROM seq_1_to_3000`,
		`INSERT INTO journal (quoi, quand) SELECT CONCAT('é ', seq), NOW(6) FROM seq_1_to_3000`)
	src, dst := srcServer.URL(srcDB), dstServer.URL(dstDB)
	cmd := exec.Command("mariadb", "--host=127.0.0.1", "--port="+strconv.Itoa(srcServer.Port), "--user="+srcServer.User, "--password="+srcServer.Password, srcDB)
	stop := pipeWriter(t, cmd)
	defer stop()
	time.Sleep(300 * time.Millisecond)

	code, out, errs := sortie(t, "db", "copy", src, dst, "--online", "--journal", journal, "--lang", "en")
	if code != 0 || !strings.Contains(out, "sortie db cutover") {
		t.Fatalf("db copy --online: exit %d\n%s\n%s", code, out, errs)
	}
	time.Sleep(500 * time.Millisecond)
	t.Cleanup(func() { sortie(t, "db", "abort", src, dst, "--thaw") })
	code, out, errs = sortie(t, "db", "cutover", src, dst, "--freeze", "--lang", "en")
	writes := stop()
	t.Logf("cutover after %d writes:\n%s", writes, out)
	if code != 0 || !strings.Contains(out, "CUT OVER:") || !strings.Contains(out, "IDENTICAL") {
		t.Fatalf("db cutover: exit %d\n%s\n%s", code, out, errs)
	}
	if writes < 50 {
		t.Errorf("the writer sent only %d statements", writes)
	}
	if code, out, errs := sortie(t, "db", "verify", src, dst, "--lang", "en"); code != 0 || !strings.Contains(out, "IDENTICAL: 2 tables") {
		t.Errorf("db verify after the cut-over: exit %d\n%s\n%s", code, out, errs)
	}
	dstServer.Exec(t, dstDB, `INSERT INTO inscriptions (etudiant, cours) VALUES (0, 'après')`, `INSERT INTO journal (quoi) VALUES ('après')`)
}

// An online copy killed (kill -9) in the middle of a table, under a
// writer, then run again: the resume cannot use the first run's slot (its
// snapshot ended with that process), so it drops it, makes a new one, and
// copies the finished tables again; the cut-over then finds both sides
// identical and leaves no slot behind.
func TestDBOnlineResumePostgres(t *testing.T) {
	binary(t)
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
	jpath := filepath.Join(t.TempDir(), "db.journal")
	srcServer, dstServer := pgtest.Start(t), pgtest.Start(t)
	src, dst := srcServer.Database(t), dstServer.Database(t)
	srcServer.Exec(t, dbName(src),
		`CREATE TABLE big (id bigint PRIMARY KEY, pad text)`,
		`INSERT INTO big SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 60000) g`,
		`CREATE TABLE inscriptions (id serial PRIMARY KEY, etudiant int NOT NULL, cours text, note int)`,
		`CREATE TABLE journal (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, quoi jsonb)`,
		`INSERT INTO inscriptions (etudiant, cours) SELECT g, 'INF' || (g % 50) FROM generate_series(1, 3000) g`,
		`INSERT INTO journal (quoi) SELECT jsonb_build_object('g', g) FROM generate_series(1, 3000) g`,
		`ANALYZE`)
	stop := psqlWriter(t, src)
	defer stop()
	t.Cleanup(func() { sortie(t, "db", "abort", src, dst, "--thaw") })
	args := []string{"db", "copy", src, dst, "--online", "--json", "-j", "2", "--journal", jpath}
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
	if got := pgQuery(t, src, `SELECT count(*) FROM pg_replication_slots`); got != "1" {
		t.Fatalf("%s slots at the source after the kill, want the first run's", got)
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
	if done := events(p.stdout.String(), "table-done"); len(done) != 3 {
		t.Errorf("the resume copied %d tables, want all 3 again (a new snapshot)", len(done))
	}
	time.Sleep(300 * time.Millisecond)
	code, out, errs := sortie(t, "db", "cutover", src, dst, "--freeze", "--lang", "en")
	writes := stop()
	t.Logf("%s", out)
	if code != 0 || !strings.Contains(out, "IDENTICAL: 3 tables") {
		t.Fatalf("cutover after the resume (%d writes): exit %d\n%s\n%s", writes, code, out, errs)
	}
	if got := pgQuery(t, src, `SELECT count(*) FROM pg_replication_slots`); got != "0" {
		t.Errorf("%s slots left at the source", got)
	}
}

package postgres

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sortie-dev/sortie/internal/database"
)

// debianBin is where Debian's postgresql-client-NN packages put pg_dump
// and psql (/usr/bin's are pg_wrapper's, which pick a version by the
// local clusters, not by the server dumped).
const debianBin = "/usr/lib/postgresql/*/bin"

// tools are the PostgreSQL client programs the copy runs.
type tools struct {
	pgDump, psql string
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// findTools finds a pg_dump able to dump a server of major version major
// (its own major must be the same or newer) and the psql beside it: in dir
// when given, else the newest of Debian's, else on PATH.
func findTools(ctx context.Context, dir string, major int) (tools, error) {
	pkg := fmt.Sprintf("postgresql-client-%d", major)
	var dirs []string
	if dir != "" {
		dirs = []string{dir}
	} else {
		found, _ := filepath.Glob(debianBin)
		slices.SortFunc(found, func(a, b string) int { return versionOf(b) - versionOf(a) })
		dirs = found
	}
	var tooOld string
	try := func(pgDump, psql string) (tools, bool) {
		out, err := exec.CommandContext(ctx, pgDump, "--version").Output()
		if err != nil {
			return tools{}, false
		}
		m := versionRE.FindStringSubmatch(string(out))
		if m == nil {
			return tools{}, false
		}
		if v, _ := strconv.Atoi(m[1]); v < major {
			tooOld = fmt.Sprintf("%s is version %d, older than the source (%d)", pgDump, v, major)
			return tools{}, false
		}
		if _, err := os.Stat(psql); err != nil {
			return tools{}, false
		}
		return tools{pgDump: pgDump, psql: psql}, true
	}
	for _, d := range dirs {
		if t, ok := try(filepath.Join(d, "pg_dump"), filepath.Join(d, "psql")); ok {
			return t, nil
		}
	}
	if dir == "" {
		if p, err := exec.LookPath("pg_dump"); err == nil {
			if q, err := exec.LookPath("psql"); err == nil {
				if t, ok := try(p, q); ok {
					return t, nil
				}
			}
		}
	}
	where := "in " + debianBin + " or on PATH"
	if dir != "" {
		where = "in " + dir
	}
	if tooOld != "" {
		return tools{}, &database.ToolMissingError{Tool: "a pg_dump for PostgreSQL " + strconv.Itoa(major), Package: pkg, Detail: tooOld}
	}
	return tools{}, &database.ToolMissingError{Tool: "pg_dump and psql", Package: pkg, Detail: where}
}

// versionOf is the NN of /usr/lib/postgresql/NN/bin.
func versionOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// conn is how a client program is pointed at an endpoint: a URL without
// the password, and the environment that carries it (PGPASSWORD), or
// leaves libpq to find it (PGPASSFILE, ~/.pgpass) as pgx did.
func conn(ep database.Endpoint, side database.Side) (string, []string) {
	env := append(os.Environ(), "PGAPPNAME=sortie db copy", "PGCONNECT_TIMEOUT=15")
	u, err := url.Parse(ep.URL())
	if err != nil {
		return ep.URL(), env
	}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
		}
		u.User = url.User(u.User.Username())
	}
	if side == database.Source {
		opts := strings.TrimSpace(os.Getenv("PGOPTIONS") + " -c default_transaction_read_only=on")
		env = append(env, "PGOPTIONS="+opts)
	}
	return u.String(), env
}

// tolerated are the SQLSTATEs of objects that already exist, which a
// tolerant restore keeps as they are: duplicate table (and index),
// object, schema, function, and a second primary key.
var tolerated = []string{"42P07", "42710", "42P06", "42723", "42P16"}

var psqlError = regexp.MustCompile(`ERROR:  ([0-9A-Z]{5}): (.*)$`)

// dumpRestore runs pg_dump --schema-only --section=section in the
// snapshot, piped into psql at the target.
func (t tools) dumpRestore(ctx context.Context, src, dst database.Endpoint, snapshot, section string, tolerant bool) error {
	srcURL, srcEnv := conn(src, database.Source)
	dstURL, dstEnv := conn(dst, database.Target)
	dump := exec.CommandContext(ctx, t.pgDump, "--schema-only", "--section="+section, "--snapshot="+snapshot,
		"--no-password", "--lock-wait-timeout=10s", "--dbname="+srcURL)
	dump.Env = srcEnv
	args := []string{"--no-psqlrc", "--no-password", "--quiet", "-v", "VERBOSITY=verbose", "--dbname=" + dstURL}
	if !tolerant {
		args = append(args, "-v", "ON_ERROR_STOP=1", "--single-transaction")
	}
	restore := exec.CommandContext(ctx, t.psql, args...)
	restore.Env = dstEnv
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	dump.Stdout, restore.Stdin = w, r
	var dumpErr strings.Builder
	dump.Stderr = &limited{b: &dumpErr, n: 4096}
	restore.Stdout = io.Discard
	errPipe, err := restore.StderrPipe()
	if err != nil {
		r.Close()
		w.Close()
		return err
	}
	if err := dump.Start(); err != nil {
		r.Close()
		w.Close()
		return fmt.Errorf("run pg_dump: %w", err)
	}
	if err := restore.Start(); err != nil {
		r.Close()
		w.Close()
		dump.Wait()
		return fmt.Errorf("run psql: %w", err)
	}
	r.Close()
	w.Close()
	var failed []string
	var other strings.Builder
	sc := bufio.NewScanner(errPipe)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := psqlError.FindStringSubmatch(line); m != nil {
			if tolerant && slices.Contains(tolerated, m[1]) {
				continue
			}
			failed = append(failed, m[2])
			continue
		}
		if strings.Contains(line, "FATAL:") || strings.Contains(line, "psql: error:") {
			other.WriteString(line)
		}
	}
	dumpWait := dump.Wait()
	restoreWait := restore.Wait()
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case dumpWait != nil:
		return fmt.Errorf("pg_dump --section=%s: %s", section, firstLine(dumpErr.String(), dumpWait))
	case len(failed) > 0 && tolerant:
		return fmt.Errorf("%s: %d statements failed at the target, the first: %s", section, len(failed), failed[0])
	case len(failed) > 0:
		return fmt.Errorf("%s: restore at the target stopped, nothing of it kept: %s", section, failed[0])
	case restoreWait != nil:
		return fmt.Errorf("psql at the target (%s): %s", section, firstLine(other.String(), restoreWait))
	}
	return nil
}

func firstLine(s string, err error) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return err.Error()
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// limited keeps the first n bytes written to it.
type limited struct {
	b *strings.Builder
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if room := l.n - l.b.Len(); room > 0 {
		l.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

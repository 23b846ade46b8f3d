// Package pgtest starts real PostgreSQL servers for tests: a cluster of
// Debian's PostgreSQL 15 made by initdb in a temporary directory, listening
// on a free 127.0.0.1 port and nowhere else, with a superuser that logs in
// with a random password (scram-sha-256, the only method the cluster
// accepts).
//
// A test that needs PostgreSQL fails — it never skips — when the binaries
// are missing, so a green suite always means the SQL ran on a real server.
// It is not for running a database for anything but a test.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BinDir is where Debian's postgresql package puts initdb and postgres.
const BinDir = "/usr/lib/postgresql/15/bin"

// Server is a running PostgreSQL cluster.
type Server struct {
	Host string // always 127.0.0.1
	Port int
	// User and Password are the superuser's.
	User, Password string

	dir  string
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	n    int
}

// DSN is the superuser's URL for the maintenance database postgres.
func (s *Server) DSN() string { return s.URL("postgres") }

// URL is the superuser's postgres:// URL for database db.
func (s *Server) URL(db string) string {
	return s.URLFor(s.User, s.Password, db)
}

// URLFor is the postgres:// URL for db as user with password ("" for
// none, to test the other ways of giving one).
func (s *Server) URLFor(user, password, db string) string {
	u := &url.URL{Scheme: "postgres", Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), Path: "/" + db, RawQuery: "sslmode=disable"}
	if password != "" {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(user)
	}
	return u.String()
}

// Start makes and starts a cluster for tb and stops it when tb ends. It
// takes about a second and a half: tests in one package share a server
// with Shared where they can.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := start()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.stop)
	return s
}

type result struct {
	s   *Server
	err error
}

var (
	sharedMu sync.Mutex
	shared   = map[string]result{}
	inMain   bool
)

// Shared returns the package's cluster called name, started on first use;
// Main stops it after the package's tests. Tests keep out of each other's
// way with a database each (Database); a test that needs two servers (a
// source and a target whose roles differ) asks for two names.
func Shared(tb testing.TB, name string) *Server {
	tb.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if !inMain {
		tb.Fatal("pgtest.Shared needs the package's TestMain to call pgtest.Main(m), which stops the server")
	}
	r, ok := shared[name]
	if !ok {
		r.s, r.err = start()
		shared[name] = r
	}
	if r.err != nil {
		tb.Fatal(r.err)
	}
	return r.s
}

// Main runs the package's tests, stops the clusters Shared started, and
// exits with the tests' code. Call it from TestMain.
func Main(m *testing.M) {
	sharedMu.Lock()
	inMain = true
	sharedMu.Unlock()
	code := m.Run()
	sharedMu.Lock()
	for name, r := range shared {
		if r.s != nil {
			r.s.stop()
		}
		delete(shared, name)
	}
	sharedMu.Unlock()
	os.Exit(code)
}

// Database creates an empty database with a fresh name, owned by the
// superuser, drops it when tb ends, and returns its URL.
func (s *Server) Database(tb testing.TB) string {
	tb.Helper()
	s.mu.Lock()
	s.n++
	name := fmt.Sprintf("t%d_%s", s.n, random(4))
	s.mu.Unlock()
	s.Exec(tb, "postgres", "CREATE DATABASE "+name)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, s.DSN()); err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	return s.URL(name)
}

// Exec runs each statement in database db as the superuser, failing tb
// on the first error.
func (s *Server) Exec(tb testing.TB, db string, statements ...string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.URL(db))
	if err != nil {
		tb.Fatalf("pgtest: connect to %s: %v", db, err)
	}
	defer c.Close(ctx)
	for _, q := range statements {
		if _, err := c.Exec(ctx, q); err != nil {
			tb.Fatalf("pgtest: %s: %v", q, err)
		}
	}
}

func start() (*Server, error) {
	for _, b := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(BinDir, b)); err != nil {
			return nil, fmt.Errorf("pgtest: %s not found in %s: install Debian's postgresql (./scripts/test does)", b, BinDir)
		}
	}
	cred, owner, err := postgresUser()
	if err != nil {
		return nil, err
	}
	// Not tb.TempDir: its parents are private to root, and the server
	// runs as postgres.
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", User: "postgres", Password: random(16), dir: dir}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	pwfile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwfile, []byte(s.Password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if owner != nil {
		if err := os.Chown(dir, owner[0], owner[1]); err != nil {
			return nil, err
		}
		if err := os.Chown(pwfile, owner[0], owner[1]); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(BinDir, "initdb"), "-D", data, "-U", s.User, "--pwfile", pwfile,
		"-A", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	os.Remove(pwfile)
	s.Port, err = freePort()
	if err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	// fsync off: a test cluster that dies is thrown away anyway.
	s.cmd = exec.Command(filepath.Join(BinDir, "postgres"), "-D", data, "-p", strconv.Itoa(s.Port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=50", "-c", "shared_buffers=32MB",
		// Logical replication, for db copy --online and cutover; a
		// cluster can be both a publisher and a subscriber.
		"-c", "wal_level=logical", "-c", "max_replication_slots=10", "-c", "max_wal_senders=10",
		"-c", "max_logical_replication_workers=4", "-c", "max_worker_processes=12")
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = log, log
	// If the test binary dies without its cleanup, the postmaster goes too
	// (SIGQUIT: immediate shutdown, children included).
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("pgtest: start postgres: %v", err)
	}
	s.done = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.done) }()
	ok = true
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := pgx.Connect(ctx, s.DSN())
		if err == nil {
			c.Close(ctx)
			cancel()
			return s, nil
		}
		cancel()
		select {
		case <-s.done:
			out, _ := os.ReadFile(log.Name())
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: postgres exited:\n%s", out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(log.Name())
			s.stop()
			return nil, fmt.Errorf("pgtest: postgres does not answer on %s:%d: %v\n%s", s.Host, s.Port, err, out)
		}
	}
}

// Stop shuts the server down (fast shutdown: sessions are ended) and
// waits for it. Tests that stop a server to see a client fail call it;
// cleanup calls it again harmlessly.
func (s *Server) Stop() { s.stop() }

func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
	default:
		s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(s.dir)
}

// postgresUser is who initdb and postgres run as: themselves when the
// tests do not run as root, else Debian's postgres user (both refuse
// root). owner is that user's uid and gid, for the directory.
func postgresUser() (*syscall.Credential, []int, error) {
	if os.Geteuid() != 0 {
		return nil, nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, nil, errors.New("pgtest: running as root and there is no postgres user to run the server as: install Debian's postgresql (./scripts/test does)")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, []int{uid, gid}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Package mysqltest starts real MariaDB servers for tests: Debian's
// MariaDB 10.11 (mariadbd) with a data directory made by mariadb-install-db
// in a temporary directory, listening on a free 127.0.0.1 port and nowhere
// else, with the binary log on (as on an RDS instance with backups), and a
// user that logs in over TCP with a random password and holds every
// privilege.
//
// A test that needs MariaDB fails — it never skips — when the server is
// missing, so a green suite always means the SQL ran on a real server. It is
// not for running a database for anything but a test.
package mysqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
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

	"github.com/go-sql-driver/mysql"
)

// Debian's mariadb-server puts them there.
const (
	mariadbd  = "/usr/sbin/mariadbd"
	installDB = "/usr/bin/mariadb-install-db"
)

// Server is a running MariaDB.
type Server struct {
	Host string // always 127.0.0.1
	Port int
	// User and Password are the all-privileges user's.
	User, Password string

	dir, socket string
	cmd         *exec.Cmd
	done        chan struct{}
	mu          sync.Mutex
	n           int
}

// URL is the mysql:// URL sortie takes for database db ("" for none) as
// the all-privileges user.
func (s *Server) URL(db string) string { return s.URLFor(s.User, s.Password, db) }

// URLFor is the mysql:// URL for db as user with password ("" for none).
func (s *Server) URLFor(user, password, db string) string {
	u := &url.URL{Scheme: "mysql", Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), Path: "/" + db}
	if password != "" {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(user)
	}
	return u.String()
}

// DSN is the driver's (go-sql-driver/mysql) data source name for db.
func (s *Server) DSN(db string) string {
	c := mysql.NewConfig()
	c.User, c.Passwd = s.User, s.Password
	c.Net, c.Addr, c.DBName = "tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), db
	c.MultiStatements = true
	return c.FormatDSN()
}

// Start makes and starts a server for tb and stops it when tb ends (about
// two seconds: tests in one package share one with Shared where they can).
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := start()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.stop)
	return s
}

var (
	sharedMu  sync.Mutex
	shared    *Server
	sharedErr error
	inMain    bool
)

// Shared returns the package's one server, started on first use; Main
// stops it after the package's tests. Tests keep out of each other's way
// with a database each (Database).
func Shared(tb testing.TB) *Server {
	tb.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if !inMain {
		tb.Fatal("mysqltest.Shared needs the package's TestMain to call mysqltest.Main(m), which stops the server")
	}
	if shared == nil && sharedErr == nil {
		shared, sharedErr = start()
	}
	if sharedErr != nil {
		tb.Fatal(sharedErr)
	}
	return shared
}

// Main runs the package's tests, stops the server Shared started, and
// exits with the tests' code. Call it from TestMain.
func Main(m *testing.M) {
	sharedMu.Lock()
	inMain = true
	sharedMu.Unlock()
	code := m.Run()
	sharedMu.Lock()
	if shared != nil {
		shared.stop()
		shared = nil
	}
	sharedMu.Unlock()
	os.Exit(code)
}

// Database creates an empty database (utf8mb4) with a fresh name, drops it
// when tb ends, and returns its name.
func (s *Server) Database(tb testing.TB) string {
	tb.Helper()
	s.mu.Lock()
	s.n++
	name := fmt.Sprintf("t%d_%s", s.n, random(4))
	s.mu.Unlock()
	s.Exec(tb, "", "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
	tb.Cleanup(func() {
		if db, err := sql.Open("mysql", s.DSN("")); err == nil {
			db.Exec("DROP DATABASE IF EXISTS " + name)
			db.Close()
		}
	})
	return name
}

// Exec runs each statement (several may be given in one, separated by
// semicolons) in database db ("" for none), failing tb on the first error.
func (s *Server) Exec(tb testing.TB, db string, statements ...string) {
	tb.Helper()
	c, err := sql.Open("mysql", s.DSN(db))
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, q := range statements {
		if _, err := c.ExecContext(ctx, q); err != nil {
			tb.Fatalf("mysqltest: %s: %v", q, err)
		}
	}
}

func start() (*Server, error) {
	for _, b := range []string{mariadbd, installDB} {
		if _, err := os.Stat(b); err != nil {
			return nil, fmt.Errorf("mysqltest: %s not found: install Debian's mariadb-server (./scripts/test does)", b)
		}
	}
	// As root, the server runs as Debian's mysql user (it refuses root);
	// otherwise as whoever runs the tests.
	osUser, owner := "", []int(nil)
	if os.Geteuid() == 0 {
		u, err := user.Lookup("mysql")
		if err != nil {
			return nil, errors.New("mysqltest: running as root and there is no mysql user to run the server as: install Debian's mariadb-server (./scripts/test does)")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		osUser, owner = "mysql", []int{uid, gid}
	}
	// Not tb.TempDir: its parents are private to root, and the server
	// runs as mysql.
	dir, err := os.MkdirTemp("", "mysqltest-")
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", User: "sortie", Password: random(16), dir: dir, socket: filepath.Join(dir, "mysqld.sock")}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	if owner != nil {
		if err := os.Chown(dir, owner[0], owner[1]); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	args := []string{"--no-defaults", "--datadir=" + data, "--skip-test-db", "--skip-name-resolve"}
	if osUser != "" {
		args = append(args, "--user="+osUser)
	}
	install := exec.Command(installDB, args...)
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mysqltest: mariadb-install-db: %v\n%s", err, out)
	}
	s.Port, err = freePort()
	if err != nil {
		return nil, err
	}
	errLog := filepath.Join(dir, "error.log")
	args = []string{"--no-defaults", "--datadir=" + data, "--port=" + strconv.Itoa(s.Port), "--socket=" + s.socket,
		"--bind-address=127.0.0.1", "--skip-name-resolve", "--log-error=" + errLog, "--pid-file=" + filepath.Join(dir, "mysqld.pid"),
		// A binary log (Debian's default format, MIXED, which the plan
		// warns about), and a server ID of its own (its port): any two
		// test servers can replicate, as db copy --online does.
		"--log-bin=" + filepath.Join(dir, "binlog"), "--server-id=" + strconv.Itoa(s.Port),
		// A test server that dies is thrown away: no need to flush.
		"--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0", "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M"}
	if osUser != "" {
		args = append(args, "--user="+osUser)
	}
	s.cmd = exec.Command(mariadbd, args...)
	s.cmd.Dir = dir
	// If the test binary dies without its cleanup, the server goes too.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("mysqltest: start mariadbd: %v", err)
	}
	s.done = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.done) }()
	ok = true
	if err := s.bootstrap(); err != nil {
		out, _ := os.ReadFile(errLog)
		s.stop()
		return nil, fmt.Errorf("%v\n%s", err, out)
	}
	return s, nil
}

// bootstrap waits for the server and creates the TCP user through the
// socket, where the OS user that started it is the server's root.
func (s *Server) bootstrap() error {
	root := "root"
	if os.Geteuid() != 0 {
		if u, err := user.Current(); err == nil {
			root = u.Username
		}
	}
	c := mysql.NewConfig()
	c.User, c.Net, c.Addr = root, "unix", s.socket
	db, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := db.Ping()
		if err == nil {
			break
		}
		select {
		case <-s.done:
			return errors.New("mysqltest: mariadbd exited")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mysqltest: mariadbd does not answer on %s: %v", s.socket, err)
		}
	}
	for _, q := range []string{
		fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'", s.User, s.Password),
		fmt.Sprintf("GRANT ALL PRIVILEGES ON *.* TO '%s'@'127.0.0.1' WITH GRANT OPTION", s.User),
	} {
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("mysqltest: %s: %v", q, err)
		}
	}
	return nil
}

// Stop shuts the server down and waits for it. Tests that stop a server
// to see a client fail call it; cleanup calls it again harmlessly.
func (s *Server) Stop() { s.stop() }

func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
	default:
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(s.dir)
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

package mysqltest_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/sortie-dev/sortie/internal/mysqltest"
)

func TestMain(m *testing.M) { mysqltest.Main(m) }

func TestServerVersionAndDatabase(t *testing.T) {
	start := time.Now()
	s := mysqltest.Shared(t)
	t.Logf("server started in %v", time.Since(start).Round(time.Millisecond))
	name := s.Database(t)
	db, err := sql.Open("mysql", s.DSN(name))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version, current, logBin string
	if err := db.QueryRow("SELECT VERSION(), DATABASE(), @@log_bin").Scan(&version, &current, &logBin); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(version, "10.11.") || !strings.Contains(version, "MariaDB") {
		t.Errorf("version %q, want MariaDB 10.11", version)
	}
	if current != name {
		t.Errorf("database %q, want %q", current, name)
	}
	if logBin != "1" {
		t.Errorf("log_bin %q, want 1", logBin)
	}
	if u := s.URL(name); !strings.HasPrefix(u, "mysql://sortie:") || !strings.HasSuffix(u, "/"+name) {
		t.Errorf("URL %q", u)
	}
}

func TestWrongPasswordIsRefused(t *testing.T) {
	s := mysqltest.Shared(t)
	db, err := sql.Open("mysql", strings.Replace(s.DSN(""), s.Password, "not-"+s.Password, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err == nil {
		t.Fatal("a wrong password logged in")
	}
}

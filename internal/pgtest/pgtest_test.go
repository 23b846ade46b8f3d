package pgtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sortie-dev/sortie/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestServerVersionAndDatabase(t *testing.T) {
	start := time.Now()
	s := pgtest.Shared(t, "a")
	t.Logf("cluster started in %v", time.Since(start).Round(time.Millisecond))
	url := s.Database(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var num int
	if err := c.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		t.Fatal(err)
	}
	if num/10000 != 15 {
		t.Errorf("server_version_num %d, want PostgreSQL 15", num)
	}
	var super bool
	if err := c.QueryRow(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super); err != nil || !super {
		t.Errorf("superuser: got %v (%v), want true", super, err)
	}
}

func TestWrongPasswordIsRefused(t *testing.T) {
	s := pgtest.Shared(t, "a")
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.URLFor(s.User, "not-"+s.Password, "postgres"))
	if err == nil {
		c.Close(ctx)
		t.Fatal("a wrong password logged in")
	}
}

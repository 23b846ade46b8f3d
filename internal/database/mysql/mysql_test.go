package mysql_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/mysql"
	"github.com/sortie-dev/sortie/internal/lang"
	"github.com/sortie-dev/sortie/internal/mysqltest"
)

func TestMain(m *testing.M) { mysqltest.Main(m) }

// trapSchema is a MySQL source with the traps a plan must see: emoji,
// a BLOB and DATETIME(6) in an AUTO_INCREMENT table with a trigger, a
// table without a primary key, a MyISAM table, an event, a view whose
// definer the target lacks and a procedure defined by RDS's own account.
var trapSchema = []string{
	`CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, note varchar(100), code varchar(10) COLLATE utf8mb4_bin, body blob, at datetime(6)) ENGINE=InnoDB`,
	`CREATE TABLE log_nopk (at datetime(6), what text) ENGINE=InnoDB`,
	`CREATE TABLE legacy (id int PRIMARY KEY, v text) ENGINE=MyISAM`,
	`CREATE TABLE counts (n int PRIMARY KEY)`,
	`CREATE TRIGGER orders_log AFTER INSERT ON orders FOR EACH ROW INSERT INTO log_nopk VALUES (NEW.at, NEW.note)`,
	`CREATE EVENT nightly_purge ON SCHEDULE EVERY 1 DAY DO DELETE FROM log_nopk WHERE at < NOW() - INTERVAL 30 DAY`,
	`CREATE DEFINER = 'ghost'@'%' VIEW v_ghost AS SELECT id, note FROM orders`,
	`CREATE DEFINER = 'rdsadmin'@'localhost' PROCEDURE p_rds() SELECT 1`,
	`INSERT INTO orders (note, code, body, at) VALUES ('café 🚀', 'A', x'00ff', '2025-01-02 03:04:05.123456'), ('b', 'B', NULL, NOW(6)), ('c', 'C', NULL, NOW(6))`,
	`INSERT INTO legacy VALUES (1, 'x')`,
	`ANALYZE TABLE orders, log_nopk, legacy`,
}

func source(t *testing.T) (*mysqltest.Server, database.Endpoint) {
	t.Helper()
	s := mysqltest.Shared(t)
	name := s.Database(t)
	s.Exec(t, name, trapSchema...)
	ep, err := database.ParseURL(s.URL(name))
	if err != nil {
		t.Fatal(err)
	}
	return s, ep
}

func inspect(t *testing.T, ep database.Endpoint, side database.Side, sample int64) *database.Inventory {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inv, err := mysql.Inspect(ctx, ep, database.InspectOptions{Side: side, SampleBytes: sample})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestInventoryOfTheTrapSchema(t *testing.T) {
	_, ep := source(t)
	inv := inspect(t, ep, database.Source, 1<<20)
	if inv.Product != "MariaDB" || inv.VersionNum/100 != 1011 || inv.RDS {
		t.Errorf("server: got %s %s (%d, RDS %v), want MariaDB 10.11", inv.Product, inv.Version, inv.VersionNum, inv.RDS)
	}
	if !inv.LogBin || inv.BinlogFormat != "MIXED" {
		t.Errorf("binary log %v %s, want on, MIXED (Debian's default)", inv.LogBin, inv.BinlogFormat)
	}
	if inv.Encoding != "utf8mb4" || inv.Collation != "utf8mb4_unicode_ci" || !slices.Equal(inv.Databases, []string{ep.Database}) {
		t.Errorf("got %s %s %v", inv.Encoding, inv.Collation, inv.Databases)
	}
	var tables []string
	for _, tb := range inv.Tables {
		tables = append(tables, tb.Name+" "+tb.Engine+" "+map[bool]string{true: "pk", false: "nopk"}[tb.PrimaryKey])
	}
	want := []string{"counts InnoDB pk", "legacy MyISAM pk", "log_nopk InnoDB nopk", "orders InnoDB pk"}
	if !slices.Equal(tables, want) {
		t.Errorf("tables %q, want %q (the view left out)", tables, want)
	}
	if len(inv.Sequences) != 1 || inv.Sequences[0].OwnedBy != ep.Database+".orders.id" || inv.Sequences[0].LastValue == nil || *inv.Sequences[0].LastValue != 3 {
		t.Errorf("sequences %+v, want orders.id at 3", inv.Sequences)
	}
	if !slices.Equal(inv.Collations, []string{"utf8mb4_bin", "utf8mb4_unicode_ci"}) {
		t.Errorf("collations %v", inv.Collations)
	}
	var definers []string
	for _, d := range inv.Definers {
		definers = append(definers, d.Kind+" "+d.Name+" "+d.Definer)
	}
	wantD := []string{"EVENT nightly_purge sortie@127.0.0.1", "TRIGGER orders_log sortie@127.0.0.1", "PROCEDURE p_rds rdsadmin@localhost", "VIEW v_ghost ghost@%"}
	if !slices.Equal(definers, wantD) {
		t.Errorf("definers %q, want %q", definers, wantD)
	}
	if len(inv.Triggers) != 1 || inv.Triggers[0].Table != "orders" || len(inv.Events) != 1 {
		t.Errorf("triggers %+v, events %+v", inv.Triggers, inv.Events)
	}
	if !inv.Available.Roles["sortie@127.0.0.1"] || !inv.Available.Engines["INNODB"] {
		t.Errorf("available %v %v", inv.Available.Roles, inv.Available.Engines)
	}
	if inv.Read == nil || inv.Read.Bytes == 0 || inv.Read.Rows == 0 {
		t.Errorf("read sample %+v", inv.Read)
	}
}

func TestPlanAgainstAnEmptyTarget(t *testing.T) {
	s, src := source(t)
	dst, _ := database.ParseURL(s.URL(s.Database(t)))
	p := database.NewPlan(inspect(t, src, database.Source, 1<<20), inspect(t, dst, database.Target, 0))
	var text strings.Builder
	if err := p.Write(&text, "text", lang.English); err != nil {
		t.Fatal(err)
	}
	t.Logf("the plan:\n%s", text.String())
	var got []string
	for _, f := range p.Findings {
		got = append(got, string(f.Severity)+" "+f.Code+" "+strings.ReplaceAll(f.Object, src.Database, "S"))
	}
	want := []string{
		"blocker definer-missing view S.v_ghost",
		"blocker definer-rds procedure S.p_rds",
		"warning binlog-format " + strings.ReplaceAll(src.String(), src.Database, "S"),
		"warning engine-not-innodb S.legacy",
		"warning event S.nightly_purge",
		"warning no-primary-key-mysql S.log_nopk",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings\n%q\nwant\n%q", got, want)
	}
}

func TestTargetThatHoldsTablesIsABlocker(t *testing.T) {
	s := mysqltest.Shared(t)
	a, b := s.Database(t), s.Database(t)
	s.Exec(t, b, `CREATE TABLE t (id int PRIMARY KEY)`)
	src, _ := database.ParseURL(s.URL(a))
	dst, _ := database.ParseURL(s.URL(b))
	p := database.NewPlan(inspect(t, src, database.Source, 0), inspect(t, dst, database.Target, 0))
	if p.Blockers() != 1 || p.Findings[0].Code != "target-not-empty" {
		t.Errorf("findings %+v, want one target-not-empty blocker", p.Findings)
	}
}

func TestConnectErrors(t *testing.T) {
	s := mysqltest.Shared(t)
	t.Setenv("HOME", t.TempDir())
	for _, c := range []struct {
		name, url string
		kind      database.ConnectKind
	}{
		{"wrong password", s.URLFor(s.User, "wrong", ""), database.Auth},
		{"no password", s.URLFor(s.User, "", ""), database.Auth},
		{"no such database", s.URL("nope"), database.NoDatabase},
		{"nothing listening", "mysql://u:p@127.0.0.1:1/db", database.Unreachable},
	} {
		t.Run(c.name, func(t *testing.T) {
			ep, err := database.ParseURL(c.url)
			if err != nil {
				t.Fatal(err)
			}
			_, err = mysql.Inspect(context.Background(), ep, database.InspectOptions{Side: database.Target})
			var ce *database.ConnectError
			if !errors.As(err, &ce) || ce.Kind != c.kind {
				t.Fatalf("got %v, want a ConnectError of kind %d", err, c.kind)
			}
			if strings.Contains(err.Error(), s.Password) || strings.Contains(err.Error(), "\n") {
				t.Errorf("message %q shows the password or spans lines", err)
			}
			t.Log(err)
		})
	}
}

func TestPasswordFromMyCnf(t *testing.T) {
	s := mysqltest.Shared(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	cnf := "# sortie's test\n[mysql]\npassword=not-this-one\n[client]\nuser = " + s.User + "\npassword = \"" + s.Password + "\"\n"
	if err := os.WriteFile(filepath.Join(home, ".my.cnf"), []byte(cnf), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{s.URLFor(s.User, "", ""), "mysql://" + s.Host + ":" + strings.Split(s.URL(""), ":")[3]} {
		ep, err := database.ParseURL(u)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mysql.Inspect(context.Background(), ep, database.InspectOptions{Side: database.Source}); err != nil {
			t.Errorf("%s: %v", ep, err)
		}
	}
}

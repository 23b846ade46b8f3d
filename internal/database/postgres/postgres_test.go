package postgres_test

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
	"github.com/sortie-dev/sortie/internal/database/postgres"
	"github.com/sortie-dev/sortie/internal/lang"
	"github.com/sortie-dev/sortie/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// trapSchema is a source with the traps issue 15 lists that a plan must
// see: a serial and an identity column, a table without a primary key
// and one saved by REPLICA IDENTITY FULL, a partitioned table, a large
// object, contrib extensions, a column with its own collation, roles as
// RDS makes them, and a table owned by a role only the source has.
var trapSchema = []string{
	`CREATE EXTENSION hstore`,
	`CREATE EXTENSION pgcrypto`,
	`CREATE TABLE orders (id serial PRIMARY KEY, note text COLLATE "C", attrs hstore, placed timestamptz DEFAULT now())`,
	`CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id int REFERENCES orders, price numeric(30,2), tags text[])`,
	`CREATE TABLE audit_log (at timestamptz, who text, what jsonb)`,
	`CREATE TABLE kept_full (a int, b text)`,
	`ALTER TABLE kept_full REPLICA IDENTITY FULL`,
	`CREATE TABLE measures (id int, at date, v float8, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)`,
	`CREATE TABLE measures_2025 PARTITION OF measures FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`,
	`CREATE SCHEMA billing`,
	`CREATE TABLE billing.invoices (no int PRIMARY KEY, body bytea)`,
	`INSERT INTO orders (note, attrs) SELECT 'order ' || g || ' é', 'a=>1' FROM generate_series(1, 2000) g`,
	`INSERT INTO items (order_id, price, tags) SELECT g, 123456789012345678901234567.89, ARRAY['x', 'y'] FROM generate_series(1, 2000) g`,
	`INSERT INTO audit_log SELECT now(), 'u' || g, '{"k": 1}' FROM generate_series(1, 100) g`,
	`INSERT INTO measures VALUES (1, '2025-03-01', 0.1)`,
	`SELECT lo_from_bytea(0, 'a large object')`,
	`ANALYZE`,
}

// rdsRoles are made once per source cluster: roles are the cluster's.
var rdsRoles = []string{
	`CREATE ROLE rds_superuser NOLOGIN`,
	`CREATE ROLE rds_iam NOLOGIN`,
	`CREATE ROLE rdsadmin NOLOGIN`,
	`CREATE ROLE master LOGIN PASSWORD 'x' IN ROLE rds_superuser`,
	`CREATE ROLE reporting LOGIN IN ROLE rds_iam`,
	`CREATE ROLE app_owner NOLOGIN`,
}

// source makes the trap database on the shared source cluster.
func source(t *testing.T) (*pgtest.Server, database.Endpoint) {
	t.Helper()
	s := pgtest.Shared(t, "source")
	ep, err := database.ParseURL(s.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	s.Exec(t, "postgres", `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rdsadmin') THEN `+strings.Join(rdsRoles, "; ")+`; END IF; END $$`)
	s.Exec(t, ep.Database, trapSchema...)
	s.Exec(t, ep.Database, `ALTER TABLE billing.invoices OWNER TO app_owner`,
		// An RDS-only extension cannot be installed outside RDS; its
		// catalog row, as an RDS source has it, can be.
		`INSERT INTO pg_extension (oid, extname, extowner, extnamespace, extrelocatable, extversion)
		 VALUES ((SELECT max(oid::text::bigint) + 1 FROM pg_extension)::text::oid, 'aws_commons', 10, 'public'::regnamespace, false, '1.2')`)
	return s, ep
}

func inspect(t *testing.T, ep database.Endpoint, side database.Side, sample int64) *database.Inventory {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inv, err := postgres.Inspect(ctx, ep, database.InspectOptions{Side: side, SampleBytes: sample})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestInventoryOfTheTrapSchema(t *testing.T) {
	_, ep := source(t)
	inv := inspect(t, ep, database.Source, 1<<20)
	if inv.Product != "PostgreSQL" || !strings.HasPrefix(inv.Version, "15.") || inv.VersionNum/10000 != 15 {
		t.Errorf("server: got %s %s (%d), want PostgreSQL 15", inv.Product, inv.Version, inv.VersionNum)
	}
	if !inv.RDS || inv.Encoding != "UTF8" || inv.Collation != "C.UTF-8" {
		t.Errorf("got RDS %v, encoding %s, collation %s; want true, UTF8, C.UTF-8", inv.RDS, inv.Encoding, inv.Collation)
	}
	tables := map[string]database.Table{}
	for _, tb := range inv.Tables {
		tables[tb.QualifiedName()] = tb
	}
	for name, want := range map[string]struct{ pk bool }{
		"public.orders": {true}, "public.items": {true}, "public.audit_log": {false}, "public.kept_full": {false},
		"public.measures": {true}, "public.measures_2025": {true}, "billing.invoices": {true},
	} {
		got, ok := tables[name]
		if !ok {
			t.Errorf("table %s missing from %v", name, inv.Tables)
			continue
		}
		if got.PrimaryKey != want.pk {
			t.Errorf("%s: primary key %v, want %v", name, got.PrimaryKey, want.pk)
		}
	}
	if len(tables) != 7 {
		t.Errorf("got %d tables, want 7 (none of the extensions')", len(tables))
	}
	if tb := tables["public.kept_full"]; tb.ReplicaIdentity != "full" {
		t.Errorf("kept_full: replica identity %q, want full", tb.ReplicaIdentity)
	}
	if !tables["public.measures"].Partitioned || !tables["public.measures_2025"].Partition {
		t.Errorf("measures: partitioned %v, partition %v", tables["public.measures"].Partitioned, tables["public.measures_2025"].Partition)
	}
	if o := tables["public.orders"]; o.Rows != 2000 || o.DataBytes == 0 || o.Bytes <= o.DataBytes {
		t.Errorf("orders: %d rows, %d data bytes, %d bytes; want 2000 rows and indexes on top", o.Rows, o.DataBytes, o.Bytes)
	}
	var schemas []string
	for _, s := range inv.Schemas {
		schemas = append(schemas, s.Name)
	}
	if !slices.Equal(schemas, []string{"billing", "public"}) {
		t.Errorf("schemas %v, want billing, public", schemas)
	}
	seqs := map[string]database.Sequence{}
	for _, s := range inv.Sequences {
		seqs[s.Schema+"."+s.Name] = s
	}
	if s := seqs["public.orders_id_seq"]; s.OwnedBy != "public.orders.id" || s.Identity || s.LastValue == nil || *s.LastValue != 2000 {
		t.Errorf("orders_id_seq: %+v, want serial of public.orders.id at 2000", s)
	}
	if s := seqs["public.items_id_seq"]; s.OwnedBy != "public.items.id" || !s.Identity || s.LastValue == nil || *s.LastValue != 2000 {
		t.Errorf("items_id_seq: %+v, want identity of public.items.id at 2000", s)
	}
	if inv.LargeObjects.Count != 1 || inv.LargeObjects.Bytes == 0 {
		t.Errorf("large objects %+v, want 1", inv.LargeObjects)
	}
	var ext []string
	for _, e := range inv.Extensions {
		ext = append(ext, e.Name)
	}
	if !slices.Equal(ext, []string{"aws_commons", "hstore", "pgcrypto"}) {
		t.Errorf("extensions %v", ext)
	}
	if _, ok := inv.Available.Extensions["hstore"]; !ok {
		t.Error("hstore not among the available extensions")
	}
	roles := map[string]database.Role{}
	for _, r := range inv.Roles {
		roles[r.Name] = r
	}
	if r := roles["master"]; !r.Login || !slices.Equal(r.MemberOf, []string{"rds_superuser"}) {
		t.Errorf("master: %+v", r)
	}
	if _, ok := roles["pg_read_all_data"]; ok {
		t.Error("PostgreSQL's own roles are listed")
	}
	if !slices.Contains(inv.Owners, "app_owner") || !slices.Contains(inv.Owners, "postgres") {
		t.Errorf("owners %v, want app_owner and postgres", inv.Owners)
	}
	if !slices.Equal(inv.Collations, []string{"C"}) {
		t.Errorf("collations %v, want C", inv.Collations)
	}
	if inv.Read == nil || inv.Read.Table != "public.orders" && inv.Read.Table != "public.items" || inv.Read.Bytes == 0 || inv.Read.Rate() <= 0 {
		t.Errorf("read sample %+v, want a timed read of the largest table", inv.Read)
	}
}

func TestPlanAgainstAnEmptyTarget(t *testing.T) {
	_, src := source(t)
	dst, err := database.ParseURL(pgtest.Shared(t, "target").Database(t))
	if err != nil {
		t.Fatal(err)
	}
	p := database.NewPlan(inspect(t, src, database.Source, 1<<20), inspect(t, dst, database.Target, 0))
	var text strings.Builder
	if err := p.Write(&text, "text", lang.English); err != nil {
		t.Fatal(err)
	}
	t.Logf("the plan:\n%s", text.String())
	got := map[string]database.Severity{}
	for _, f := range p.Findings {
		got[f.Code+" "+f.Object] = f.Severity
	}
	want := map[string]database.Severity{
		"extension-rds-only aws_commons":  database.Blocker,
		"no-primary-key public.audit_log": database.Warning,
		"large-objects pg_largeobject":    database.Warning,
		"role-rds-member master":          database.Warning,
		"role-rds-iam reporting":          database.Warning,
		"owner-missing app_owner":         database.Warning,
	}
	for k, s := range want {
		if got[k] != s {
			t.Errorf("finding %q: got %q, want %q (all: %v)", k, got[k], s, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d findings, want %d: %v", len(got), len(want), got)
	}
	if p.Estimate.Rate <= 0 || p.Estimate.DataBytes == 0 {
		t.Errorf("estimate %+v", p.Estimate)
	}
}

func TestTargetThatHoldsTablesIsABlocker(t *testing.T) {
	s := pgtest.Shared(t, "target")
	u := s.Database(t)
	dst, _ := database.ParseURL(u)
	s.Exec(t, dst.Database, `CREATE TABLE orders (id int)`)
	src, _ := database.ParseURL(s.Database(t))
	p := database.NewPlan(inspect(t, src, database.Source, 0), inspect(t, dst, database.Target, 0))
	if p.Blockers() != 1 || p.Findings[0].Code != "target-not-empty" {
		t.Errorf("findings %+v, want one target-not-empty blocker", p.Findings)
	}
}

func TestConnectErrors(t *testing.T) {
	s := pgtest.Shared(t, "target")
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("PGPASSFILE", filepath.Join(home, "none"))
	for _, c := range []struct {
		name string
		url  string
		kind database.ConnectKind
	}{
		{"wrong password", s.URLFor(s.User, "wrong", "postgres"), database.Auth},
		{"no password", s.URLFor(s.User, "", "postgres"), database.Auth},
		{"no such database", s.URL("nope"), database.NoDatabase},
		{"nothing listening", "postgres://u:p@127.0.0.1:1/db?sslmode=disable", database.Unreachable},
	} {
		t.Run(c.name, func(t *testing.T) {
			ep, err := database.ParseURL(c.url)
			if err != nil {
				t.Fatal(err)
			}
			_, err = postgres.Inspect(context.Background(), ep, database.InspectOptions{Side: database.Source})
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

func TestPasswordFromPgpass(t *testing.T) {
	s := pgtest.Shared(t, "target")
	pass := filepath.Join(t.TempDir(), "pgpass")
	if err := os.WriteFile(pass, []byte("127.0.0.1:*:*:"+s.User+":"+s.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGPASSFILE", pass)
	ep, _ := database.ParseURL(s.URLFor(s.User, "", "postgres"))
	if _, err := postgres.Inspect(context.Background(), ep, database.InspectOptions{Side: database.Target}); err != nil {
		t.Fatal(err)
	}
}

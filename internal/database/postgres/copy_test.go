package postgres_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/ledger"
	"github.com/sortie-dev/sortie/internal/database/postgres"
	"github.com/sortie-dev/sortie/internal/pgtest"
)

// copyRoles are the roles the copy trap schema refers to, made once per
// source cluster; none of them exists on the target cluster until a copy
// creates it. (They are not the plan tests' roles, which must stay
// missing at the target.)
var copyRoles = []string{
	`CREATE ROLE copy_owner NOLOGIN`,
	`CREATE ROLE copy_group NOLOGIN`,
	`CREATE ROLE copy_reader LOGIN PASSWORD 'secret' IN ROLE copy_group`,
}

// copyTraps is a source with every trap issue 15 lists for a copy.
var copyTraps = []string{
	// A database whose sessions print dates day-first and floats
	// rounded: a copy that does not pin its own settings swaps days and
	// months and loses digits.
	`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET DateStyle = %L', current_database(), 'SQL, DMY');
		EXECUTE format('ALTER DATABASE %I SET extra_float_digits = 0', current_database());
		EXECUTE format('ALTER DATABASE %I SET TimeZone = %L', current_database(), 'Pacific/Chatham'); END $$`,
	`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
	`CREATE TABLE people (id serial PRIMARY KEY, name text COLLATE "C" NOT NULL, nom text, mood mood,
		born timestamptz, height float8, ratio real, amount numeric(40,10), doc jsonb, tags text[], scores int[],
		updated timestamptz, full_name text GENERATED ALWAYS AS (name || ' ' || coalesce(nom, '')) STORED)`,
	`CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, person_id int REFERENCES people, at timestamptz, payload jsonb)`,
	`CREATE TABLE loose (a int, b text)`,
	`CREATE TABLE measures (id int, at date, v float8, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)`,
	`CREATE TABLE measures_2024 PARTITION OF measures FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`,
	`CREATE TABLE measures_2025 PARTITION OF measures FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`,
	`CREATE TABLE docs (id int PRIMARY KEY, body oid)`,
	`CREATE SEQUENCE tickets START 1000`,
	`CREATE SEQUENCE unused_seq START 7`,
	`CREATE INDEX people_nom ON people (nom)`,
	`CREATE VIEW happy_people AS SELECT id, full_name FROM people WHERE mood = 'happy'`,
	`CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated := '2000-01-01 00:00:00+00'; RETURN NEW; END $$`,
	`CREATE TRIGGER people_touch BEFORE UPDATE ON people FOR EACH ROW EXECUTE FUNCTION touch()`,
	`ALTER TABLE events OWNER TO copy_owner`,
	`GRANT SELECT ON people TO copy_reader`,
	`GRANT SELECT ON loose TO copy_group`,
	`INSERT INTO people (name, nom, mood, born, height, ratio, amount, doc, tags, scores) VALUES
		('Zoë', 'Ångström', 'happy', '2024-03-10 02:30:00 America/New_York', 0.1, 1.17549435e-38, 123456789012345678901234567890.0123456789,
			'{"k": [1, 2.50, "é"], "n": null}', ARRAY['a', 'b,c', 'd"e', NULL], ARRAY[1, 2, 3]),
		('日本語', '🚀 emoji', 'sad', '2024-10-27 01:30:00+02', 'Infinity', 'NaN', -0.0000000001,
			'{}', '{}', NULL),
		('plain', NULL, NULL, '1999-12-31 23:59:59.999999-12', 1e-310, -0, 0, NULL, NULL, ARRAY[]::int[]),
		('tab	and
newline \ backslash', 'x', 'ok', '2038-01-19 03:14:08+00', 2.718281828459045, 3.4028235e38, 1, '[1, "two"]', ARRAY['x'], ARRAY[-1])`,
	`INSERT INTO people (name, nom, height) SELECT 'p' || g, 'n' || g, g / 7.0 FROM generate_series(1, 3000) g`,
	`INSERT INTO events (person_id, at, payload) SELECT 1 + g % 4, '2024-01-01'::timestamptz + g * interval '1 hour', jsonb_build_object('g', g) FROM generate_series(1, 500) g`,
	`INSERT INTO loose VALUES (1, 'dup'), (1, 'dup'), (2, NULL), (NULL, NULL)`,
	`INSERT INTO measures VALUES (1, '2024-06-01', 0.3), (1, '2025-06-01', 1e300), (2, '2025-07-01', -1.5)`,
	`SELECT nextval('tickets') FROM generate_series(1, 3)`,
	`INSERT INTO docs VALUES (1, lo_from_bytea(0, 'a small large object')), (2, lo_from_bytea(0, convert_to(repeat('gros objet é ', 40000), 'UTF8')))`,
	// ALTER LARGE OBJECT takes an OID, not an expression.
	`DO $$ BEGIN EXECUTE format('ALTER LARGE OBJECT %s OWNER TO copy_owner', (SELECT body FROM docs WHERE id = 2)); END $$`,
	`ANALYZE`,
}

// copySource makes the copy trap database on the shared source cluster.
func copySource(t *testing.T) (*pgtest.Server, database.Endpoint) {
	t.Helper()
	s := pgtest.Shared(t, "source")
	ep, err := database.ParseURL(s.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	s.Exec(t, "postgres", `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'copy_owner') THEN `+strings.Join(copyRoles, "; ")+`; END IF; END $$`)
	s.Exec(t, ep.Database, copyTraps...)
	return s, ep
}

func copyTarget(t *testing.T) (*pgtest.Server, database.Endpoint) {
	t.Helper()
	s := pgtest.Shared(t, "target")
	ep, err := database.ParseURL(s.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	return s, ep
}

func copyLedger(t *testing.T, path string, src, dst database.Endpoint) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open(context.Background(), path, ledger.Job{Source: src.String(), Target: dst.String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close("test") })
	return l
}

func copyRun(t *testing.T, src, dst database.Endpoint, o database.CopyOptions) *database.CopyResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if o.Ledger == nil {
		o.Ledger = copyLedger(t, filepath.Join(t.TempDir(), "job.db"), src, dst)
	}
	res, err := postgres.Copy(ctx, src, dst, o)
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	if len(res.Failures) > 0 {
		t.Fatalf("copy failures: %+v", res.Failures)
	}
	return res
}

// connect opens a session with the settings pinned, so that both sides
// print rows the same way.
func copyConnect(t *testing.T, ep database.Endpoint) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(ep.URL())
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"DateStyle": "ISO, MDY", "extra_float_digits": "3", "TimeZone": "UTC", "IntervalStyle": "postgres"} {
		cfg.RuntimeParams[k] = v
	}
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// rows is a table's rows as text, in order: row by row, every column,
// generated ones included.
func copyRows(t *testing.T, c *pgx.Conn, table string) []string {
	t.Helper()
	r, err := c.Query(context.Background(), `SELECT x::text FROM ONLY `+table+` x ORDER BY x::text COLLATE "C"`)
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	out, err := pgx.CollectRows(r, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	return out
}

func copyOne[T any](t *testing.T, c *pgx.Conn, q string, args ...any) T {
	t.Helper()
	var v T
	if err := c.QueryRow(context.Background(), q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

var trapTables = []string{"public.people", "public.events", "public.loose", "public.measures_2024", "public.measures_2025", "public.docs"}

func TestCopyTrapSchema(t *testing.T) {
	_, src := copySource(t)
	dstSrv, dst := copyTarget(t)
	res := copyRun(t, src, dst, database.CopyOptions{Jobs: 3})

	sc, dc := copyConnect(t, src), copyConnect(t, dst)
	for _, tb := range trapTables {
		got, want := copyRows(t, dc, tb), copyRows(t, sc, tb)
		if !slices.Equal(got, want) {
			t.Errorf("%s: target has %d rows, source %d; first difference:\n%s", tb, len(got), len(want), copyFirstDiff(got, want))
		}
	}
	if got := len(copyRows(t, dc, "public.people")); got != 3004 {
		t.Errorf("people: %d rows at the target, want 3004", got)
	}
	// Through the partitioned parent, every partition's rows.
	if n := copyOne[int64](t, dc, `SELECT count(*) FROM measures`); n != 3 {
		t.Errorf("measures: %d rows through the parent, want 3", n)
	}
	wantTables := map[string]int64{"public.people": 3004, "public.events": 500, "public.loose": 4, "public.measures_2024": 1, "public.measures_2025": 2, "public.docs": 2}
	for _, tc := range res.Tables {
		if w, ok := wantTables[tc.Name]; !ok || tc.Rows != w {
			t.Errorf("result: table %s with %d rows, want %d", tc.Name, tc.Rows, w)
		}
	}
	if len(res.Tables) != len(wantTables) || res.Rows() != 3513 || res.Bytes() == 0 {
		t.Errorf("result: %d tables, %d rows, %d bytes", len(res.Tables), res.Rows(), res.Bytes())
	}

	// Sequences: the serial, the identity and the plain ones, with
	// is_called; the first inserts at the target succeed.
	if id := copyOne[int32](t, dc, `INSERT INTO people (name) VALUES ('after the copy') RETURNING id`); id != 3005 {
		t.Errorf("first insert into people got id %d, want 3005", id)
	}
	if id := copyOne[int64](t, dc, `INSERT INTO events (person_id) VALUES (1) RETURNING id`); id != 501 {
		t.Errorf("first insert into events got id %d, want 501", id)
	}
	if v := copyOne[int64](t, dc, `SELECT nextval('tickets')`); v != 1003 {
		t.Errorf("tickets: nextval %d, want 1003", v)
	}
	if v := copyOne[int64](t, dc, `SELECT nextval('unused_seq')`); v != 7 {
		t.Errorf("unused_seq: nextval %d, want 7 (never called at the source)", v)
	}
	if res.Sequences != 4 {
		t.Errorf("result: %d sequences, want 4", res.Sequences)
	}

	// Large objects, with their OIDs, contents and owners.
	for _, id := range []int{1, 2} {
		q := `SELECT md5(lo_get(body)) || ' ' || pg_get_userbyid((SELECT lomowner FROM pg_largeobject_metadata WHERE oid = body)) FROM docs WHERE id = $1`
		if got, want := copyOne[string](t, dc, q, id), copyOne[string](t, sc, q, id); got != want {
			t.Errorf("large object of doc %d: target %s, source %s", id, got, want)
		}
	}
	if res.LargeObjects != 2 || res.LargeObjectBytes < 500000 {
		t.Errorf("result: %d large objects of %d bytes", res.LargeObjects, res.LargeObjectBytes)
	}

	// The schema around the rows: post-data, the view, the function and
	// its trigger, the enum, the collation, the owner and the grants.
	checks := map[string]string{
		`SELECT count(*)::text FROM happy_people`: "1",
		`SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint WHERE conrelid IN ('people'::regclass, 'events'::regclass)`: "events_person_id_fkey,events_pkey,people_pkey",
		`SELECT count(*)::text FROM pg_indexes WHERE indexname = 'people_nom'`:                                                           "1",
		`SELECT collation_name FROM information_schema.columns WHERE table_name = 'people' AND column_name = 'name'`:                     "C",
		`SELECT pg_get_userbyid(relowner)::text FROM pg_class WHERE oid = 'events'::regclass`:                                            "copy_owner",
		`SELECT has_table_privilege('copy_reader', 'people', 'SELECT')::text`:                                                            "true",
		`SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'mood'::regtype`:                        "sad,ok,happy",
		`SELECT is_generated FROM information_schema.columns WHERE table_name = 'people' AND column_name = 'full_name'`:                  "ALWAYS",
	}
	for q, want := range checks {
		if got := copyOne[string](t, dc, q); got != want {
			t.Errorf("%s: got %q, want %q", q, got, want)
		}
	}
	dstSrv.Exec(t, dst.Database, `UPDATE people SET nom = 'touched' WHERE id = 1`)
	if got := copyOne[string](t, dc, `SELECT updated::text FROM people WHERE id = 1`); got != "2000-01-01 00:00:00+00" {
		t.Errorf("trigger at the target: updated = %s, want the trigger's value", got)
	}

	// Roles: created without passwords, as the source has them; the
	// summary says to set them.
	if got := copyOne[string](t, dc, `SELECT string_agg(rolname || ':' || rolcanlogin || ':' || (rolpassword IS NULL), ',' ORDER BY rolname) FROM pg_authid WHERE rolname LIKE 'copy\_%'`); got != "copy_group:false:true,copy_owner:false:true,copy_reader:true:true" {
		t.Errorf("roles at the target: %s", got)
	}
	if !copyOne[bool](t, dc, `SELECT pg_has_role('copy_reader', 'copy_group', 'MEMBER')`) {
		t.Error("copy_reader is not a member of copy_group at the target")
	}
	if !slices.Contains(res.RolesCreated, "copy_reader") || !copyHasNote(res, "roles-no-password") {
		t.Errorf("result: roles created %v, notes %v", res.RolesCreated, res.Notes)
	}
}

func copyHasNote(r *database.CopyResult, code string) bool {
	return slices.ContainsFunc(r.Notes, func(n database.Note) bool { return n.Code == code })
}

func copyFirstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return "target: " + got[i] + "\nsource: " + want[i]
		}
	}
	return "(one is a prefix of the other)"
}

func TestCopyRefusesATargetThatHoldsTables(t *testing.T) {
	_, src := copySource(t)
	dstSrv, dst := copyTarget(t)
	dstSrv.Exec(t, dst.Database, `CREATE TABLE people (x int)`)
	ctx := context.Background()
	_, err := postgres.Copy(ctx, src, dst, database.CopyOptions{Ledger: copyLedger(t, filepath.Join(t.TempDir(), "j.db"), src, dst)})
	var tne *database.TargetNotEmptyError
	if !errors.As(err, &tne) || tne.Count != 1 || tne.Tables[0] != "public.people" || tne.Rows {
		t.Fatalf("got %v, want a TargetNotEmptyError naming public.people", err)
	}
	// --into-existing: the table must be empty.
	dstSrv.Exec(t, dst.Database, `INSERT INTO people VALUES (1)`)
	_, err = postgres.Copy(ctx, src, dst, database.CopyOptions{IntoExisting: true, Ledger: copyLedger(t, filepath.Join(t.TempDir(), "k.db"), src, dst)})
	if !errors.As(err, &tne) || !tne.Rows {
		t.Fatalf("got %v, want a TargetNotEmptyError about rows", err)
	}
}

// TestCopyResumesAfterACrash plays a run killed in the middle of a table:
// the ledger says it was started, the target holds some of its rows (a
// commit whose record was lost). The next run empties it and copies it
// again; the finished tables are skipped.
func TestCopyResumesAfterACrash(t *testing.T) {
	_, src := copySource(t)
	dstSrv, dst := copyTarget(t)
	path := filepath.Join(t.TempDir(), "job.db")
	first := copyLedger(t, path, src, dst)
	copyRun(t, src, dst, database.CopyOptions{Jobs: 2, Ledger: first})
	first.Close("test")

	// Rewind the ledger as a kill would have left it: people in flight,
	// the phases after the data not done; and leave extra rows behind.
	dstSrv.Exec(t, dst.Database, `INSERT INTO loose VALUES (99, 'left by the killed run')`)
	l := copyLedger(t, path, src, dst)
	ctx := context.Background()
	if err := l.StartTable(ctx, "public.loose"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{database.PhasePostData, database.PhaseSequences} {
		if err := l.StartPhase(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	res := copyRun(t, src, dst, database.CopyOptions{Jobs: 2, Ledger: l})
	sc, dc := copyConnect(t, src), copyConnect(t, dst)
	for _, tb := range trapTables {
		if got, want := copyRows(t, dc, tb), copyRows(t, sc, tb); !slices.Equal(got, want) {
			t.Errorf("%s after resume: target has %d rows, source %d", tb, len(got), len(want))
		}
	}
	var again, earlier int
	for _, tc := range res.Tables {
		if tc.Earlier {
			earlier++
		} else {
			again++
			if tc.Name != "public.loose" {
				t.Errorf("%s copied again, want only public.loose", tc.Name)
			}
		}
	}
	if again != 1 || earlier != 5 || !res.Resumed || !copyHasNote(res, "resumed-snapshot") {
		t.Errorf("resume: %d copied again, %d from the earlier run, resumed %v", again, earlier, res.Resumed)
	}
}

// A table in flight that this job did not create is never emptied.
func TestCopyNeverEmptiesATableItDidNotCreate(t *testing.T) {
	srcSrv, src := pgtest.Shared(t, "source"), database.Endpoint{}
	var err error
	if src, err = database.ParseURL(srcSrv.Database(t)); err != nil {
		t.Fatal(err)
	}
	srcSrv.Exec(t, src.Database, `CREATE TABLE t (id int PRIMARY KEY)`, `INSERT INTO t SELECT generate_series(1, 10)`)
	dstSrv, dst := copyTarget(t)
	dstSrv.Exec(t, dst.Database, `CREATE TABLE t (id int PRIMARY KEY)`)
	l := copyLedger(t, filepath.Join(t.TempDir(), "j.db"), src, dst)
	ctx := context.Background()
	if err := l.StartTable(ctx, "public.t"); err != nil {
		t.Fatal(err)
	}
	if err := l.StartPhase(ctx, database.PhaseSchema); err != nil {
		t.Fatal(err)
	}
	res, err := postgres.Copy(ctx, src, dst, database.CopyOptions{IntoExisting: true, Ledger: l})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 1 || res.Failures[0].Object != "public.t" || !strings.Contains(res.Failures[0].Reason, "sortie empties only the tables it created") {
		t.Fatalf("failures %+v, want public.t refused", res.Failures)
	}
}

// BenchmarkCopy200k times db copy of one table of 200,000 rows (about 30
// MB of COPY text) between the two shared clusters, schema to sequences:
//
//	go test -run '^$' -bench BenchmarkCopy -benchtime 3x ./internal/database/postgres/
func BenchmarkCopy200k(b *testing.B) {
	s := pgtest.Shared(b, "source")
	src, err := database.ParseURL(s.Database(b))
	if err != nil {
		b.Fatal(err)
	}
	s.Exec(b, src.Database, `CREATE TABLE t (id bigserial PRIMARY KEY, at timestamptz, amount numeric(12,2), note text, doc jsonb)`,
		`INSERT INTO t (at, amount, note, doc) SELECT now() - g * interval '1 minute', g / 100.0, repeat(md5(g::text), 2), jsonb_build_object('g', g, 'tag', 'étiquette')
			FROM generate_series(1, 200000) g`, `ANALYZE`)
	d := pgtest.Shared(b, "target")
	var rows, bytes int64
	var secs float64
	for b.Loop() {
		dst, err := database.ParseURL(d.Database(b))
		if err != nil {
			b.Fatal(err)
		}
		l, err := ledger.Open(context.Background(), filepath.Join(b.TempDir(), "j.db"), ledger.Job{Source: src.String(), Target: dst.String()})
		if err != nil {
			b.Fatal(err)
		}
		res, err := postgres.Copy(context.Background(), src, dst, database.CopyOptions{Jobs: 4, Ledger: l})
		l.Close("bench")
		if err != nil || len(res.Failures) > 0 {
			b.Fatal(err, res.Failures)
		}
		rows, bytes = res.Rows(), res.Bytes()
		secs += res.Seconds
	}
	b.ReportMetric(float64(rows)*float64(b.N)/secs, "rows/s")
	b.ReportMetric(float64(bytes)*float64(b.N)/secs/1e6, "MB/s")
}

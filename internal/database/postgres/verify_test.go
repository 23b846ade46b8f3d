package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/postgres"
	"github.com/sortie-dev/sortie/internal/lang"
	"github.com/sortie-dev/sortie/internal/pgtest"
)

// verifySchema is made the same on the source and the target, each
// inserting in its own session time zone: every value verify must print
// alike on both servers — floats whose shortest text needs 17 digits,
// timestamptz, numeric(30), jsonb, arrays, an enum, non-ASCII text,
// bytea, intervals — plus a serial and an identity column, a generated
// column, a text key, a composite key, a table without a primary key, a
// partitioned table and a large object.
var verifySchema = []string{
	`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
	`CREATE TABLE orders (id serial PRIMARY KEY, note text, placed timestamptz, price numeric(30,2), ratio float8, r4 real,
		tags text[], attrs jsonb, m mood, body bytea, span interval, d date)`,
	`CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id int, qty int, total int GENERATED ALWAYS AS (qty * 2) STORED)`,
	`CREATE TABLE codes (code text PRIMARY KEY, label text)`,
	`CREATE TABLE pairs (a int, b text, v text, PRIMARY KEY (a, b))`,
	`CREATE TABLE log_nopk (at timestamptz, who text, what jsonb)`,
	`CREATE TABLE measures (id int, at date, v float8, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)`,
	`CREATE TABLE measures_2025 PARTITION OF measures FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`,
	`CREATE TABLE measures_2026 PARTITION OF measures FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')`,
	`CREATE SCHEMA billing`,
	`CREATE TABLE billing.empty (no int PRIMARY KEY)`,
	`INSERT INTO orders (note, placed, price, ratio, r4, tags, attrs, m, body, span, d)
	 SELECT 'café ' || g || ' 🚀 Ünïcödé', to_timestamp(1700000000 + g * 3607.25), 123456789012345678901234567.89 + g, g::float8 / 3, g::real / 7,
		ARRAY['x', 'y ' || g, NULL], jsonb_build_object('b', g, 'a', 'é'), (ARRAY['sad', 'ok', 'happy']::mood[])[1 + g % 3],
		decode(md5(g::text), 'hex'), make_interval(hours => g, secs => 0.5), date '2025-01-01' + g
	 FROM generate_series(1, 3000) g`,
	`INSERT INTO items (order_id, qty) SELECT g, g % 7 FROM generate_series(1, 500) g`,
	`INSERT INTO codes SELECT 'k' || g || CASE WHEN g % 2 = 0 THEN 'É' ELSE 'e' END, 'label ' || g FROM generate_series(1, 300) g`,
	`INSERT INTO codes VALUES ('Zebra', 'z'), ('apple', 'a'), ('Äpfel', 'ä')`,
	`INSERT INTO pairs SELECT g / 10, 'b' || g % 10, 'v' || g FROM generate_series(1, 600) g`,
	`INSERT INTO log_nopk SELECT to_timestamp(1700000000 + g), 'u' || g % 50, '{"k": 1}' FROM generate_series(1, 400) g`,
	`INSERT INTO log_nopk SELECT to_timestamp(1700000000), 'dup', NULL FROM generate_series(1, 3)`,
	`INSERT INTO measures SELECT g, date '2025-06-01' + (g % 400), g * 0.1 FROM generate_series(1, 800) g`,
	`SELECT lo_from_bytea(424242, convert_to('a large object, é', 'UTF8'))`,
	`ANALYZE`,
}

// verifyPair makes the schema in a database on each shared cluster; the
// target's database defaults to settings that print values otherwise,
// which verify must override.
func verifyPair(t *testing.T) (src, dst *pgtest.Server, srcEP, dstEP database.Endpoint) {
	t.Helper()
	src, dst = pgtest.Shared(t, "source"), pgtest.Shared(t, "target")
	srcEP, dstEP = vEndpoint(t, src.Database(t)), vEndpoint(t, dst.Database(t))
	src.Exec(t, srcEP.Database, append([]string{`SET TimeZone = 'Europe/Paris'`}, verifySchema...)...)
	dst.Exec(t, dstEP.Database, append([]string{`SET TimeZone = 'America/New_York'`, `SET extra_float_digits = 0`}, verifySchema...)...)
	dst.Exec(t, "postgres",
		`ALTER DATABASE `+dstEP.Database+` SET TimeZone = 'Asia/Kolkata'`,
		`ALTER DATABASE `+dstEP.Database+` SET extra_float_digits = 0`,
		`ALTER DATABASE `+dstEP.Database+` SET DateStyle = 'SQL, DMY'`,
		`ALTER DATABASE `+dstEP.Database+` SET IntervalStyle = 'sql_standard'`,
		`ALTER DATABASE `+dstEP.Database+` SET bytea_output = 'escape'`)
	return src, dst, srcEP, dstEP
}

func vEndpoint(t *testing.T, url string) database.Endpoint {
	t.Helper()
	ep, err := database.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func vRun(t *testing.T, src, dst database.Endpoint, o database.VerifyOptions) *database.VerifyReport {
	t.Helper()
	rep, err := vTry(t, src, dst, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func vTry(t *testing.T, src, dst database.Endpoint, o database.VerifyOptions) (*database.VerifyReport, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o.Parallel = max(o.Parallel, 3)
	s, err := postgres.OpenVerifier(ctx, src, database.Source, o.Parallel+1)
	if err != nil {
		return nil, err
	}
	defer s.Close(ctx)
	d, err := postgres.OpenVerifier(ctx, dst, database.Target, o.Parallel)
	if err != nil {
		return nil, err
	}
	defer d.Close(ctx)
	return database.Verify(ctx, s, d, o)
}

func vText(t *testing.T, rep *database.VerifyReport) string {
	t.Helper()
	var b bytes.Buffer
	if err := rep.Write(&b, "text", lang.English); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func vTable(t *testing.T, rep *database.VerifyReport, name string) database.TableResult {
	t.Helper()
	for _, r := range rep.Tables {
		if r.QualifiedName() == name {
			return r
		}
	}
	t.Fatalf("no table %s in the report", name)
	return database.TableResult{}
}

func vLastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestVerifyIdenticalThenEachDifference(t *testing.T) {
	_, dst, srcEP, dstEP := verifyPair(t)
	// The target's text key sorts by another collation: chunks must
	// still hold the same rows on both sides.
	dst.Exec(t, dstEP.Database, `ALTER TABLE codes ALTER COLUMN code TYPE text COLLATE "C"`)
	o := database.VerifyOptions{ChunkRows: 1000, MaxKeys: 10}

	rep := vRun(t, srcEP, dstEP, o)
	out := vText(t, rep)
	if rep.Verdict() != database.Identical {
		t.Fatalf("verdict %s, want identical:\n%s", rep.Verdict(), out)
	}
	want := "IDENTICAL: 7 tables, 5,606 rows, 2 sequences, 1 large object compared"
	if got := vLastLine(out); got != want {
		t.Errorf("last line %q, want %q\n%s", got, want, out)
	}
	for _, w := range []string{
		"identical     public.orders: 3,000 rows in 4 chunks",
		"identical     public.log_nopk: 403 rows in 1 bucket; no primary key: every row's digest",
		"identical     public.codes: 303 rows in 1 chunk; key ordered by bytes",
		"identical     public.measures_2025: partition: its rows are compared through public.measures",
		"identical     public.measures: 800 rows",
		"identical     sequence public.orders_id_seq: next value 3,001 at the source (last_value 3000, is_called), 3,001 at the target",
		"identical     large objects: 1 large object",
		"TimeZone=UTC, DateStyle=ISO, MDY, IntervalStyle=postgres, extra_float_digits=3",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
	if c := vTable(t, rep, "public.codes"); !c.ByteOrder {
		t.Errorf("codes: byte order not used though the key's collations differ")
	}

	// Now each difference, at the target.
	dst.Exec(t, dstEP.Database,
		// Changed, deep inside a chunk: found by bisection.
		`UPDATE orders SET note = 'changed' WHERE id = 1500`,
		// A float one ulp away: equal with 15 digits, not with 17.
		`UPDATE orders SET ratio = ratio * (1 + 2.3e-16) WHERE id = 7`,
		`DELETE FROM orders WHERE id = 2222`,
		`INSERT INTO orders (id, note) VALUES (5000, 'added at the target')`,
		`INSERT INTO orders (id, note) VALUES (0, 'added below the first key')`,
		`SELECT setval('orders_id_seq', 5)`,
		`UPDATE pairs SET v = 'other' WHERE a = 3 AND b = 'b4'`,
		`DELETE FROM log_nopk WHERE who = 'dup' AND ctid = (SELECT min(ctid) FROM log_nopk WHERE who = 'dup')`,
		`ALTER TABLE items ADD COLUMN extra int`,
		`SELECT lo_put(424242, 0, '\x41')`,
		`DROP TABLE billing.empty`,
		`CREATE TABLE only_here (x int)`)
	rep = vRun(t, srcEP, dstEP, o)
	out = vText(t, rep)
	if rep.Verdict() != database.Different {
		t.Fatalf("verdict %s, want different:\n%s", rep.Verdict(), out)
	}
	for _, w := range []string{
		"DIFFERENT     public.orders: 3,000 rows at the source, 3,001 at the target",
		"row id=1500: differs in note",
		"row id=7: differs in ratio",
		"row id=2222: only at the source (missing at the target)",
		"row id=5000: only at the target",
		"row id=0: only at the target",
		"key range id ≤ 1000: 1,000 rows at the source, 1,001 at the target",
		"key range 2000 < id ≤ 3000:",
		"BEHIND        sequence public.orders_id_seq: next value 3,001 at the source (last_value 3000, is_called), 6 at the target (last_value 5, is_called)",
		"row (a, b)=(3, b4): differs in v",
		"DIFFERENT     public.log_nopk: 403 rows at the source, 402 at the target",
		": 3 at the source, 2 at the target",
		"DIFFERENT     public.items: 500 rows in 1 chunk",
		"column extra (integer): only at the target",
		"DIFFERENT     billing.empty: only at the source",
		"DIFFERENT     public.only_here: only at the target",
		"DIFFERENT     large objects: 1 at the source, 1 at the target; missing at the target: none; only at the target: none; content differs: 424242",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
	t.Log(out)
	if got := vLastLine(out); !strings.HasPrefix(got, "DIFFERENT: 6 tables, 1 sequence, 1 large object differ (billing.empty, public.items, public.log_nopk, public.only_here, public.orders and 3 more); 6 tables, 5,606 rows, 2 sequences, 1 large object compared") {
		t.Errorf("last line %q", got)
	}
	// The identity sequence was not touched.
	for _, s := range rep.Sequences {
		if s.Name == "items_id_seq" && s.Status != database.Identical {
			t.Errorf("items_id_seq: %+v", s)
		}
	}
}

func TestVerifyCapsTheKeysNamed(t *testing.T) {
	_, dst, srcEP, dstEP := verifyPair(t)
	dst.Exec(t, dstEP.Database, `UPDATE orders SET note = 'x' WHERE id % 100 = 0`)
	rep := vRun(t, srcEP, dstEP, database.VerifyOptions{ChunkRows: 1000, MaxKeys: 4})
	o := vTable(t, rep, "public.orders")
	if len(o.Rows) != 4 || !o.Capped || len(o.Ranges) != 3 {
		t.Fatalf("rows %d, capped %v, ranges %d: want 4, true, 3\n%s", len(o.Rows), o.Capped, len(o.Ranges), vText(t, rep))
	}
	if got := database.FormatKey(o.Key, o.Rows[0].Key); got != "id=100" {
		t.Errorf("first row named %s, want id=100", got)
	}
}

func TestVerifyFailsClosed(t *testing.T) {
	src, dst := pgtest.Shared(t, "source"), pgtest.Shared(t, "target")

	t.Run("empty databases", func(t *testing.T) {
		rep := vRun(t, vEndpoint(t, src.Database(t)), vEndpoint(t, dst.Database(t)), database.VerifyOptions{})
		out := vText(t, rep)
		if rep.Verdict() != database.NotCompared || vLastLine(out) != "NOT VERIFIED: no table compared: the source holds none" {
			t.Errorf("verdict %s:\n%s", rep.Verdict(), out)
		}
	})

	t.Run("a table the login may not read", func(t *testing.T) {
		_, _, srcEP, dstEP := verifyPair(t)
		role := "reader_" + strings.ReplaceAll(srcEP.Database, "_", "")
		src.Exec(t, srcEP.Database,
			`CREATE ROLE `+role+` LOGIN PASSWORD 'pw'`,
			`GRANT USAGE ON SCHEMA billing TO `+role,
			`GRANT SELECT ON ALL TABLES IN SCHEMA public, billing TO `+role,
			`GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO `+role,
			`REVOKE SELECT ON items FROM `+role,
			`REVOKE SELECT ON SEQUENCE items_id_seq FROM `+role,
			`GRANT SELECT ON LARGE OBJECT 424242 TO `+role)
		t.Cleanup(func() {
			src.Exec(t, srcEP.Database, `DROP OWNED BY `+role)
			src.Exec(t, "postgres", `DROP ROLE `+role)
		})
		reader := vEndpoint(t, src.URLFor(role, "pw", srcEP.Database))
		rep := vRun(t, reader, dstEP, database.VerifyOptions{})
		out := vText(t, rep)
		if rep.Verdict() != database.NotCompared {
			t.Fatalf("verdict %s, want not verified:\n%s", rep.Verdict(), out)
		}
		for _, w := range []string{
			"NOT COMPARED  public.items: source: cut chunks: permission denied for table items",
			"NOT COMPARED  sequence public.items_id_seq: source: permission denied for sequence items_id_seq",
		} {
			if !strings.Contains(out, w) {
				t.Errorf("report lacks %q:\n%s", w, out)
			}
		}
		if got := vLastLine(out); !strings.HasPrefix(got, "NOT VERIFIED: 1 table, 1 sequence not compared (public.items, public.items_id_seq); 6 tables,") {
			t.Errorf("last line %q", got)
		}
	})

	t.Run("a target login that fails", func(t *testing.T) {
		srcURL := src.Database(t)
		_, err := vTry(t, vEndpoint(t, srcURL), vEndpoint(t, dst.URLFor(dst.User, "wrong-pw", "postgres")), database.VerifyOptions{})
		var ce *database.ConnectError
		if !errors.As(err, &ce) || ce.Side != database.Target || ce.Kind != database.Auth {
			t.Fatalf("got %v, want the target's authentication error", err)
		}
		if strings.Contains(err.Error(), "wrong-pw") || strings.Contains(err.Error(), "\n") {
			t.Errorf("error %q: want one line without the password", err)
		}
	})
}

// TestVerifyRate measures verify on one table: 20,000 rows by default,
// SORTIE_VERIFY_ROWS=200000 go test -run VerifyRate -v for the figure in
// NOTES.md.
func TestVerifyRate(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	if s := os.Getenv("SORTIE_VERIFY_ROWS"); s != "" {
		fmt.Sscan(s, &n)
	}
	src, dst := pgtest.Shared(t, "source"), pgtest.Shared(t, "target")
	srcEP, dstEP := vEndpoint(t, src.Database(t)), vEndpoint(t, dst.Database(t))
	rows := fmt.Sprintf(`INSERT INTO big SELECT g, md5(g::text) || ' ' || repeat('x', 60), g / 7.0, to_timestamp(1700000000 + g) FROM generate_series(1, %d) g`, n)
	for _, s := range []*pgtest.Server{src, dst} {
		ep := srcEP
		if s == dst {
			ep = dstEP
		}
		s.Exec(t, ep.Database, `CREATE TABLE big (id int PRIMARY KEY, note text, v float8, at timestamptz)`, rows, `ANALYZE big`)
	}
	start := time.Now()
	rep := vRun(t, srcEP, dstEP, database.VerifyOptions{Parallel: database.DefaultParallel})
	secs := time.Since(start).Seconds()
	if rep.Verdict() != database.Identical {
		t.Fatal(vText(t, rep))
	}
	t.Logf("%d rows verified in %.2f s: %.0f rows/s (defaults: %d-row chunks, %d at once)", n, secs, float64(n)/secs, database.DefaultChunkRows, database.DefaultParallel)
	if !slices.ContainsFunc(rep.Tables, func(r database.TableResult) bool { return r.SourceRows == int64(n) }) {
		t.Errorf("rows not counted:\n%s", vText(t, rep))
	}
}

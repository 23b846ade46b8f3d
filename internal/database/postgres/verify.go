package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sortie-dev/sortie/internal/database"
)

// verifySettings are pinned in every verify session, on both servers, so
// that a value prints — and hashes — the same on both: a float with all
// its digits, a timestamptz in UTC, a date in ISO, a bytea in hex, money
// without a locale, text in UTF-8. search_path is only pg_catalog, so
// that no user function shadows md5 or string_agg and format_type
// qualifies every user type. Transactions are read-only on both sides:
// verify writes nowhere.
var verifySettings = [][2]string{
	{"TimeZone", "UTC"},
	{"DateStyle", "ISO, MDY"},
	{"IntervalStyle", "postgres"},
	{"extra_float_digits", "3"},
	{"bytea_output", "hex"},
	{"client_encoding", "UTF8"},
	{"lc_monetary", "C"},
	{"search_path", "pg_catalog"},
	{"default_transaction_read_only", "on"},
}

// Verifier is a PostgreSQL server opened for sortie db verify: a few
// sessions with verifySettings pinned, each query hashing on the server.
// Its methods are safe for concurrent use; each holds one session.
type Verifier struct {
	ep    database.Endpoint
	side  database.Side
	cfg   *pgx.ConnConfig
	conns chan *pgx.Conn

	mu      sync.Mutex
	all     []*pgx.Conn
	tables  map[string]*verifyTable
	version int
}

var _ database.Hasher = (*Verifier)(nil)

// verifyTable is what the queries need of a table: its columns' own
// types, for reading a key's texts back, and which are collatable.
type verifyTable struct {
	schema, name string
	types        map[string]string
	collates     map[string]bool
}

// OpenVerifier opens sessions to the endpoint's database for verify. Its
// errors are those of Open: *database.URLError and *database.ConnectError
// (a wrong password among them), or a setting the server would not pin.
func OpenVerifier(ctx context.Context, ep database.Endpoint, side database.Side, sessions int) (*Verifier, error) {
	cfg, err := sessionConfig(ep, side, "sortie db verify", map[string]string{"lock_timeout": "10s"})
	if err != nil {
		return nil, err
	}
	// A chunk's statement takes what it takes; an interruption cancels
	// it.
	cfg.RuntimeParams["statement_timeout"] = "0"
	for _, s := range verifySettings {
		cfg.RuntimeParams[s[0]] = s[1]
	}
	v := &Verifier{ep: ep, side: side, cfg: cfg, conns: make(chan *pgx.Conn, max(1, sessions))}
	for range max(1, sessions) {
		c, err := v.connect(ctx)
		if err != nil {
			v.Close(ctx)
			return nil, err
		}
		v.all = append(v.all, c)
		v.conns <- c
	}
	return v, nil
}

// connect opens one session and checks that every setting took: a
// server that overrode one (a role's or database's own setting cannot
// beat a startup parameter, but a proxy in between might drop it) would
// hash other texts than its peer.
func (v *Verifier) connect(ctx context.Context) (*pgx.Conn, error) {
	c, err := dial(ctx, v.ep, v.side, v.cfg)
	if err != nil {
		return nil, err
	}
	for _, s := range verifySettings {
		var got string
		if err := c.QueryRow(ctx, "SELECT current_setting($1)", s[0]).Scan(&got); err != nil {
			c.Close(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("%s %s: read setting %s: %w", v.side, v.ep, s[0], queryErr(err))
		}
		if got != s[1] {
			c.Close(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("%s %s: setting %s is %q, not %q: verify cannot pin it, so values would not print alike on both servers", v.side, v.ep, s[0], got, s[1])
		}
	}
	if v.version == 0 {
		var n int
		if err := c.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&n); err != nil {
			c.Close(context.WithoutCancel(ctx))
			return nil, queryErr(err)
		}
		v.mu.Lock()
		v.version = n
		v.mu.Unlock()
	}
	return c, nil
}

// Close ends every session.
func (v *Verifier) Close(ctx context.Context) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, c := range v.all {
		c.Close(context.WithoutCancel(ctx))
	}
	v.all = nil
}

// with runs f on a session of its own, waiting for one; a session the
// last query broke is opened again.
func (v *Verifier) with(ctx context.Context, f func(*pgx.Conn) error) error {
	var c *pgx.Conn
	select {
	case c = <-v.conns:
	case <-ctx.Done():
		return ctx.Err()
	}
	if c.IsClosed() {
		nc, err := v.connect(ctx)
		if err != nil {
			v.conns <- c
			return err
		}
		v.mu.Lock()
		v.all = append(v.all, nc)
		v.mu.Unlock()
		c = nc
	}
	defer func() { v.conns <- c }()
	if err := f(c); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return queryErr(err)
	}
	return nil
}

// queryErr keeps the server's message (permission denied for table
// secret) and drops pgx's decoration.
func queryErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return errors.New(pe.Message)
	}
	return err
}

// Catalog lists the database's tables (not those an extension made),
// their columns and primary keys.
func (v *Verifier) Catalog(ctx context.Context) (*database.VerifyCatalog, error) {
	cat := &database.VerifyCatalog{Engine: database.PostgreSQL, Server: v.ep.String(), Product: "PostgreSQL"}
	for _, s := range verifySettings {
		if s[0] != "search_path" {
			cat.Settings = append(cat.Settings, s[0]+"="+s[1])
		}
	}
	// The identity of the default collation: its name and, from 15 on,
	// the version of the library that sorts it (glibc 2.28 reordered
	// text: same name, other order).
	dbColl := `d.datcollate`
	if v.version >= 150000 {
		dbColl = `d.datcollate || '@' || coalesce(pg_database_collation_actual_version(d.oid), '')`
	}
	q := `SELECT n.nspname, c.relname, c.relkind = 'p', c.relispartition, c.reltuples::bigint,
		CASE WHEN c.relispartition THEN (SELECT rn.nspname || '.' || r.relname FROM pg_class r JOIN pg_namespace rn ON rn.oid = r.relnamespace
			WHERE r.oid = pg_partition_root(c.oid)) END,
		coalesce((SELECT array_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '{}'),
		coalesce((SELECT array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '{}'),
		coalesce((SELECT array_agg(a.attname ORDER BY u.ord) FROM pg_constraint k CROSS JOIN LATERAL unnest(k.conkey) WITH ORDINALITY u(attnum, ord)
			JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum WHERE k.conrelid = c.oid AND k.contype = 'p'), '{}'),
		coalesce((SELECT array_agg(a.attcollation <> 0 ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '{}'),
		coalesce((SELECT array_agg(CASE WHEN a.attcollation = 0 THEN ''
				WHEN co.collname IN ('C', 'POSIX') THEN 'C'
				WHEN co.oid = 100 THEN CASE WHEN d.datcollate IN ('C', 'POSIX') THEN 'C' ELSE ` + dbColl + ` END
				ELSE co.collname || '@' || coalesce(pg_collation_actual_version(co.oid), '') END ORDER BY u.ord)
			FROM pg_constraint k CROSS JOIN LATERAL unnest(k.conkey) WITH ORDINALITY u(attnum, ord)
			JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
			LEFT JOIN pg_collation co ON co.oid = a.attcollation
			WHERE k.conrelid = c.oid AND k.contype = 'p'), '{}')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_database d ON d.datname = current_database()
		WHERE c.relkind IN ('r', 'p') AND ` + userSchemas + ` AND ` + notInExtension + `
		ORDER BY 1, 2`
	tables := map[string]*verifyTable{}
	err := v.with(ctx, func(c *pgx.Conn) error {
		if err := c.QueryRow(ctx, "SELECT split_part(current_setting('server_version'), ' ', 1)").Scan(&cat.Version); err != nil {
			return err
		}
		rows, err := c.Query(ctx, q)
		if err != nil {
			return err
		}
		var t database.VerifyTable
		var partOf *string
		var cols, types, key, colls []string
		var collates []bool
		_, err = pgx.ForEachRow(rows, []any{&t.Schema, &t.Name, &t.Partitioned, new(bool), &t.Rows, &partOf, &cols, &types, &key, &collates, &colls}, func() error {
			t := t
			if partOf != nil {
				t.PartitionOf, t.Partitioned = *partOf, false
			}
			if t.Rows < 0 {
				t.Rows = -1
			}
			t.Columns = nil
			vt := &verifyTable{schema: t.Schema, name: t.Name, types: map[string]string{}, collates: map[string]bool{}}
			for i := range cols {
				t.Columns = append(t.Columns, database.VerifyColumn{Name: cols[i], Type: types[i]})
				vt.types[cols[i]], vt.collates[cols[i]] = types[i], collates[i]
			}
			if len(key) > 0 {
				t.Key, t.KeyCollations = append([]string(nil), key...), append([]string(nil), colls...)
			} else {
				t.Key, t.KeyCollations = nil, nil
			}
			tables[t.QualifiedName()] = vt
			cat.Tables = append(cat.Tables, t)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	v.tables = tables
	v.mu.Unlock()
	return cat, nil
}

// query builds one statement about a table, with its arguments.
type query struct {
	t    database.TableSpec
	vt   *verifyTable
	args []any
}

func (v *Verifier) query(t database.TableSpec) (*query, error) {
	v.mu.Lock()
	vt := v.tables[t.QualifiedName()]
	v.mu.Unlock()
	if vt == nil {
		return nil, fmt.Errorf("table %s is not in the catalog read", t.QualifiedName())
	}
	for _, k := range t.Key {
		if _, ok := vt.types[k]; !ok {
			return nil, fmt.Errorf("table %s has no column %s", t.QualifiedName(), k)
		}
	}
	return &query{t: t, vt: vt}, nil
}

func (q *query) arg(a any) string {
	q.args = append(q.args, a)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) from() string {
	only := "ONLY "
	if q.t.Partitioned {
		only = ""
	}
	return "FROM " + only + pgx.Identifier{q.vt.schema, q.vt.name}.Sanitize() + " t"
}

func col(name string) string { return "t." + pgx.Identifier{name}.Sanitize() }

// keyExprs are the key's columns as they are ordered: by their bytes
// (COLLATE "C") when the servers' collations differ.
func (q *query) keyExprs() []string {
	out := make([]string, len(q.t.Key))
	for i, k := range q.t.Key {
		out[i] = col(k)
		if q.t.ByteOrder && q.vt.collates[k] {
			out[i] += ` COLLATE "C"`
		}
	}
	return out
}

func (q *query) order() string { return strings.Join(q.keyExprs(), ", ") }

// keyArgs are a key's texts read back as the column's own type.
func (q *query) keyArgs(k database.Key) string {
	out := make([]string, len(k))
	for i, p := range k {
		k := q.t.Key[i]
		out[i] = q.arg(p) + "::text::" + q.vt.types[k]
		if q.t.ByteOrder && q.vt.collates[k] {
			out[i] += ` COLLATE "C"`
		}
	}
	return "(" + strings.Join(out, ", ") + ")"
}

// where is the range's condition, a row comparison the key's index
// serves.
func (q *query) where(r database.KeyRange) string {
	var c []string
	lhs := "(" + q.order() + ")"
	if r.After != nil {
		c = append(c, lhs+" > "+q.keyArgs(r.After))
	}
	if r.Upto != nil {
		c = append(c, lhs+" <= "+q.keyArgs(r.Upto))
	}
	if len(c) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c, " AND ")
}

// rowDigest is the MD5 of a row's text: ROW(...)::text, each value by its
// type's output function under the pinned settings (NULL and "" told
// apart, quoting unambiguous), in UTF-8 whatever the database's encoding.
func (q *query) rowDigest() string {
	cols := make([]string, len(q.t.Columns))
	for i, c := range q.t.Columns {
		cols[i] = col(c)
	}
	return "md5(convert_to(ROW(" + strings.Join(cols, ", ") + ")::text, 'UTF8'))"
}

func (q *query) keyTexts() string {
	out := make([]string, len(q.t.Key))
	for i, k := range q.t.Key {
		out[i] = col(k) + "::text"
	}
	return strings.Join(out, ", ")
}

func scanKey(n int, scan func(...any) error) (database.Key, error) {
	k := make(database.Key, n)
	dest := make([]any, n)
	for i := range k {
		dest[i] = &k[i]
	}
	return k, scan(dest...)
}

// KeyAt returns the key offset rows into r.
func (v *Verifier) KeyAt(ctx context.Context, t database.TableSpec, r database.KeyRange, offset int64) (database.Key, error) {
	q, err := v.query(t)
	if err != nil {
		return nil, err
	}
	sql := "SELECT " + q.keyTexts() + " " + q.from() + q.where(r) + " ORDER BY " + q.order() + " LIMIT 1 OFFSET " + q.arg(offset)
	var k database.Key
	err = v.with(ctx, func(c *pgx.Conn) error {
		var err error
		k, err = scanKey(len(t.Key), c.QueryRow(ctx, sql, q.args...).Scan)
		if errors.Is(err, pgx.ErrNoRows) {
			k, err = nil, nil
		}
		return err
	})
	return k, err
}

// Sum hashes r: the MD5 of the rows' digests in key order.
func (v *Verifier) Sum(ctx context.Context, t database.TableSpec, r database.KeyRange) (database.Digest, error) {
	q, err := v.query(t)
	if err != nil {
		return database.Digest{}, err
	}
	sql := "SELECT count(*), coalesce(md5(string_agg(" + q.rowDigest() + ", '' ORDER BY " + q.order() + ")), '') " + q.from() + q.where(r)
	var d database.Digest
	err = v.with(ctx, func(c *pgx.Conn) error { return c.QueryRow(ctx, sql, q.args...).Scan(&d.Rows, &d.Sum) })
	return d, err
}

// Rows returns the first limit rows of r, key and digest.
func (v *Verifier) Rows(ctx context.Context, t database.TableSpec, r database.KeyRange, limit int) ([]database.RowDigest, error) {
	q, err := v.query(t)
	if err != nil {
		return nil, err
	}
	sql := "SELECT " + q.keyTexts() + ", " + q.rowDigest() + " " + q.from() + q.where(r) + " ORDER BY " + q.order() + " LIMIT " + q.arg(limit)
	var out []database.RowDigest
	err = v.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, sql, q.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			rd := database.RowDigest{Key: make(database.Key, len(t.Key)), Count: 1}
			dest := make([]any, 0, len(t.Key)+1)
			for i := range rd.Key {
				dest = append(dest, &rd.Key[i])
			}
			if err := rows.Scan(append(dest, &rd.Sum)...); err != nil {
				return err
			}
			out = append(out, rd)
		}
		return rows.Err()
	})
	return out, err
}

// Columns returns each column's digest in the row whose key is k.
func (v *Verifier) Columns(ctx context.Context, t database.TableSpec, k database.Key) ([]string, error) {
	q, err := v.query(t)
	if err != nil {
		return nil, err
	}
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = "coalesce(md5(convert_to(" + col(c) + "::text, 'UTF8')), 'NULL')"
	}
	sql := "SELECT ARRAY[" + strings.Join(cols, ", ") + "] " + q.from() + " WHERE (" + q.order() + ") = " + q.keyArgs(k)
	var out []string
	err = v.with(ctx, func(c *pgx.Conn) error {
		err := c.QueryRow(ctx, sql, q.args...).Scan(&out)
		if errors.Is(err, pgx.ErrNoRows) {
			out, err = nil, nil
		}
		return err
	})
	return out, err
}

// Buckets hashes a table without a key: every row's digest, grouped by
// its first digits, sorted and hashed.
func (v *Verifier) Buckets(ctx context.Context, t database.TableSpec, digits int) ([]database.Bucket, error) {
	q, err := v.query(t)
	if err != nil {
		return nil, err
	}
	sql := `SELECT left(h, ` + q.arg(digits) + `), count(*), md5(string_agg(h, '' ORDER BY h COLLATE "C")) FROM (SELECT ` + q.rowDigest() + ` AS h ` + q.from() + `) x GROUP BY 1`
	var out []database.Bucket
	err = v.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, sql, q.args...)
		if err != nil {
			return err
		}
		var b database.Bucket
		_, err = pgx.ForEachRow(rows, []any{&b.Prefix, &b.Rows, &b.Sum}, func() error {
			out = append(out, b)
			return nil
		})
		return err
	})
	return out, err
}

// BucketRows returns the distinct row digests of one bucket.
func (v *Verifier) BucketRows(ctx context.Context, t database.TableSpec, digits int, prefix string, limit int) ([]database.RowDigest, error) {
	q, err := v.query(t)
	if err != nil {
		return nil, err
	}
	sql := `SELECT h, count(*) FROM (SELECT ` + q.rowDigest() + ` AS h ` + q.from() + `) x WHERE left(h, ` + q.arg(digits) + `) = ` + q.arg(prefix) +
		` GROUP BY h ORDER BY h COLLATE "C" LIMIT ` + q.arg(limit)
	var out []database.RowDigest
	err = v.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, sql, q.args...)
		if err != nil {
			return err
		}
		var r database.RowDigest
		_, err = pgx.ForEachRow(rows, []any{&r.Sum, &r.Count}, func() error {
			out = append(out, r)
			return nil
		})
		return err
	})
	return out, err
}

// Sequences reads each sequence's last_value and is_called: the next
// nextval gives last_value when it was never called, last_value plus the
// increment after.
func (v *Verifier) Sequences(ctx context.Context) ([]database.SequenceState, error) {
	var out []database.SequenceState
	err := v.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, `SELECT n.nspname, c.relname, s.seqincrement FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_sequence s ON s.seqrelid = c.oid
			WHERE c.relkind = 'S' AND `+userSchemas+` AND `+notInExtension+` ORDER BY 1, 2`)
		if err != nil {
			return err
		}
		var s database.SequenceState
		if _, err := pgx.ForEachRow(rows, []any{&s.Schema, &s.Name, &s.Increment}, func() error {
			out = append(out, s)
			return nil
		}); err != nil {
			return err
		}
		for i := range out {
			s := &out[i]
			var last int64
			var called bool
			err := c.QueryRow(ctx, "SELECT last_value, is_called FROM "+pgx.Identifier{s.Schema, s.Name}.Sanitize()).Scan(&last, &called)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				s.Err = queryErr(err)
				continue
			}
			s.Next, s.State = last, "last_value "+strconv.FormatInt(last, 10)+", not called"
			if called {
				s.Next, s.State = last+s.Increment, "last_value "+strconv.FormatInt(last, 10)+", is_called"
			}
		}
		return nil
	})
	return out, err
}

// LargeObjects reads every large object's size and MD5, in OID order
// (pg_dump keeps the OIDs). lo_get reads one whole object: an object
// over 1 GB fails the read, and the large objects are then not compared.
func (v *Verifier) LargeObjects(ctx context.Context) ([]database.LargeObject, error) {
	var out []database.LargeObject
	err := v.with(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, `SELECT m.oid, octet_length(x.b), md5(x.b) FROM pg_largeobject_metadata m
			CROSS JOIN LATERAL (SELECT lo_get(m.oid) AS b OFFSET 0) x ORDER BY m.oid`)
		if err != nil {
			return err
		}
		var o database.LargeObject
		_, err = pgx.ForEachRow(rows, []any{&o.OID, &o.Bytes, &o.Sum}, func() error {
			out = append(out, o)
			return nil
		})
		return err
	})
	return out, err
}

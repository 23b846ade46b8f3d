package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	driver "github.com/go-sql-driver/mysql"

	"github.com/sortie-dev/sortie/internal/database"
)

// verifySettings are pinned in every verify session, on both servers, so
// that a value converts to the same text on both: TIMESTAMP in UTC, text
// in utf8mb4 (compared and sorted bytewise where verify sorts digests),
// one sql_mode (PAD_CHAR_TO_FULL_LENGTH, for one, changes what a CHAR
// reads as), and GROUP_CONCAT long enough for a chunk's digests — which
// verify checks anyway, since MySQL truncates it with a mere warning.
var verifySettings = []string{
	"SET SESSION time_zone = '+00:00'",
	"SET NAMES utf8mb4 COLLATE utf8mb4_bin",
	"SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'",
	"SET SESSION group_concat_max_len = 1073741824",
	"SET SESSION TRANSACTION READ ONLY",
}

// verifyShown are the settings as the report shows them, read back.
const verifyShown = `SELECT CONCAT('time_zone=', @@session.time_zone, ', character_set_connection=', @@session.character_set_connection,
	', collation_connection=', @@session.collation_connection, ', character_set_results=', @@session.character_set_results,
	', sql_mode=', @@session.sql_mode, ', group_concat_max_len=', @@session.group_concat_max_len)`

// Verifier is a MySQL or MariaDB server opened for sortie db verify: a few
// sessions with verifySettings pinned, each query hashing on the server.
// Its methods are safe for concurrent use; each holds one session.
type Verifier struct {
	ep    database.Endpoint
	side  database.Side
	db    *sql.DB
	conns chan *sql.Conn

	mu     sync.Mutex
	all    []*sql.Conn
	tables map[string]*verifyTable
}

var _ database.Hasher = (*Verifier)(nil)

// verifyTable is what the queries need of a table: its real schema and
// each column's data type.
type verifyTable struct {
	schema, name string
	types        map[string]string
	unsigned     map[string]bool
}

// OpenVerifier opens sessions to the endpoint's schema (or every schema
// that is not the server's own) for verify. Its errors are
// *database.URLError and *database.ConnectError (a wrong password among
// them), or a setting the server would not take.
func OpenVerifier(ctx context.Context, ep database.Endpoint, side database.Side, sessions int) (*Verifier, error) {
	cfg, err := config(ep, side)
	if err != nil {
		return nil, err
	}
	connector, err := driver.NewConnector(cfg)
	if err != nil {
		return nil, &database.URLError{Side: side, URL: ep.String(), Err: err}
	}
	v := &Verifier{ep: ep, side: side, db: sql.OpenDB(connector), conns: make(chan *sql.Conn, max(1, sessions))}
	v.db.SetMaxIdleConns(max(1, sessions))
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

func (v *Verifier) connect(ctx context.Context) (*sql.Conn, error) {
	c, err := v.db.Conn(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, classify(v.ep, v.side, err)
	}
	for _, s := range verifySettings {
		if _, err := c.ExecContext(ctx, s); err != nil {
			c.Close()
			return nil, fmt.Errorf("%s %s: %s: %w", v.side, v.ep, s, queryErr(err))
		}
	}
	// MySQL 8 caches information_schema's AUTO_INCREMENT for a day by
	// default; MariaDB has no such variable.
	c.ExecContext(ctx, "SET SESSION information_schema_stats_expiry = 0")
	return c, nil
}

// Close ends every session.
func (v *Verifier) Close(ctx context.Context) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, c := range v.all {
		c.Close()
	}
	v.all = nil
	v.db.Close()
}

func (v *Verifier) with(ctx context.Context, f func(*sql.Conn) error) error {
	var c *sql.Conn
	select {
	case c = <-v.conns:
	case <-ctx.Done():
		return ctx.Err()
	}
	err := f(c)
	if errors.Is(err, driver.ErrInvalidConn) || errors.Is(err, sql.ErrConnDone) {
		// The session is gone: a new one, pinned again, for the next
		// call.
		c.Close()
		if nc, cerr := v.connect(ctx); cerr == nil {
			v.mu.Lock()
			v.all = append(v.all, nc)
			v.mu.Unlock()
			c = nc
		}
	}
	v.conns <- c
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return queryErr(err)
	}
	return nil
}

// queryErr keeps the server's message and drops the error number's
// decoration.
func queryErr(err error) error {
	var me *driver.MySQLError
	if errors.As(err, &me) {
		return errors.New(me.Message)
	}
	return err
}

// schemas is the condition on TABLE_SCHEMA, and its arguments.
func (v *Verifier) schemas() (string, []any) {
	if v.ep.Database != "" {
		return "TABLE_SCHEMA = ?", []any{v.ep.Database}
	}
	return "TABLE_SCHEMA NOT IN ('" + strings.Join(systemSchemas, "', '") + "')", nil
}

// Catalog lists the base tables, their columns and primary keys. A
// table the login holds no privilege on is not in information_schema at
// all: unless the login may SELECT the whole schema, the catalog says
// it may be blind.
func (v *Verifier) Catalog(ctx context.Context) (*database.VerifyCatalog, error) {
	cat := &database.VerifyCatalog{Engine: database.MySQL, Server: v.ep.String(), Product: "MySQL"}
	tables := map[string]*verifyTable{}
	cond, args := v.schemas()
	err := v.with(ctx, func(c *sql.Conn) error {
		var shown string
		if err := c.QueryRowContext(ctx, `SELECT VERSION(), `+verifyShown[len("SELECT "):]).Scan(&cat.Version, &shown); err != nil {
			return err
		}
		if strings.Contains(cat.Version, "MariaDB") {
			cat.Product = "MariaDB"
		}
		cat.Settings = append(strings.Split(shown, ", "), "read only")
		blind, err := v.blind(ctx, c)
		if err != nil {
			return err
		}
		cat.Blind = blind

		type colInfo struct{ name, typ, dataType, coll string }
		cols := map[string][]colInfo{}
		rows, err := c.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IFNULL(COLLATION_NAME, '')
			FROM information_schema.COLUMNS WHERE `+cond+` ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var s, t string
			var ci colInfo
			if err := rows.Scan(&s, &t, &ci.name, &ci.typ, &ci.dataType, &ci.coll); err != nil {
				rows.Close()
				return err
			}
			cols[s+"."+t] = append(cols[s+"."+t], ci)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		keys := map[string][]string{}
		rows, err = c.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS
			WHERE INDEX_NAME = 'PRIMARY' AND `+cond+` ORDER BY TABLE_SCHEMA, TABLE_NAME, SEQ_IN_INDEX`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var s, t, k string
			if err := rows.Scan(&s, &t, &k); err != nil {
				rows.Close()
				return err
			}
			keys[s+"."+t] = append(keys[s+"."+t], k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = c.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, IFNULL(TABLE_ROWS, -1) FROM information_schema.TABLES
			WHERE TABLE_TYPE = 'BASE TABLE' AND `+cond+` ORDER BY 1, 2`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			var t database.VerifyTable
			if err := rows.Scan(&s, &t.Name, &t.Rows); err != nil {
				return err
			}
			if v.ep.Database == "" {
				t.Schema = s
			}
			vt := &verifyTable{schema: s, name: t.Name, types: map[string]string{}, unsigned: map[string]bool{}}
			coll := map[string]string{}
			for _, ci := range cols[s+"."+t.Name] {
				t.Columns = append(t.Columns, database.VerifyColumn{Name: ci.name, Type: ci.typ})
				vt.types[ci.name] = ci.dataType
				vt.unsigned[ci.name] = strings.Contains(ci.typ, "unsigned")
				coll[ci.name] = ci.coll
			}
			for _, k := range keys[s+"."+t.Name] {
				t.Key = append(t.Key, k)
				t.KeyCollations = append(t.KeyCollations, coll[k])
			}
			tables[t.QualifiedName()] = vt
			cat.Tables = append(cat.Tables, t)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	v.tables = tables
	v.mu.Unlock()
	return cat, nil
}

// blind says why the login may not see every table: it sees only the
// tables it holds a privilege on, unless it may SELECT the whole schema
// (or every schema). Privileges held through a role are not followed:
// the message says to grant them to the login.
func (v *Verifier) blind(ctx context.Context, c *sql.Conn) (string, error) {
	const grantee = `CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')`
	q := `SELECT EXISTS (SELECT 1 FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ` + grantee + ` AND PRIVILEGE_TYPE = 'SELECT')`
	var args []any
	if v.ep.Database != "" {
		q += ` OR EXISTS (SELECT 1 FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ` + grantee + ` AND PRIVILEGE_TYPE = 'SELECT' AND TABLE_SCHEMA = ?)`
		args = append(args, v.ep.Database)
	}
	var ok bool
	if err := c.QueryRowContext(ctx, q, args...).Scan(&ok); err != nil {
		return "", err
	}
	if ok {
		return "", nil
	}
	on := "*.*"
	if v.ep.Database != "" {
		on = "`" + v.ep.Database + "`.*"
	}
	var user string
	c.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&user)
	return fmt.Sprintf("%s holds no SELECT on %s, and MySQL lists only the tables a login holds a privilege on; GRANT SELECT ON %s TO the login", user, on, on), nil
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

func ident(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func (q *query) from() string { return " FROM " + ident(q.vt.schema) + "." + ident(q.vt.name) }

func isText(dataType string) bool {
	switch dataType {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set":
		return true
	}
	return false
}

func isBinary(dataType string) bool {
	switch dataType {
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return true
	}
	return false
}

// keyOrder is how a key column is ordered and compared: by its own
// collation, or by its UTF-8 bytes when the servers' collations differ
// (and always for ENUM and SET, which ORDER BY sorts by their index but
// comparisons with a text compare by label).
func (q *query) keyOrder(k string) string {
	dt := q.vt.types[k]
	if isText(dt) && (q.t.ByteOrder || dt == "enum" || dt == "set") {
		return "CONVERT(" + ident(k) + " USING utf8mb4) COLLATE utf8mb4_bin"
	}
	return ident(k)
}

// keyOut is a key column as text that keyIn reads back as itself.
func (q *query) keyOut(k string) string {
	switch dt := q.vt.types[k]; {
	case isBinary(dt):
		return "HEX(" + ident(k) + ")"
	case dt == "bit":
		return "CAST(" + ident(k) + " + 0 AS CHAR)"
	}
	return "CAST(" + ident(k) + " AS CHAR)"
}

// keyIn is a key's text as a value to compare column k with: an integer
// or decimal by value (a text against a number compares as a double,
// which loses BIGINT's last digits).
func (q *query) keyIn(k, text string) string {
	q.args = append(q.args, text)
	dt := q.vt.types[k]
	switch {
	case isBinary(dt):
		return "UNHEX(?)"
	case dt == "bit":
		return "CAST(? AS UNSIGNED)"
	case strings.HasSuffix(dt, "int"):
		if q.vt.unsigned[k] {
			return "CAST(? AS UNSIGNED)"
		}
		return "CAST(? AS SIGNED)"
	case dt == "decimal":
		return "CAST(? AS DECIMAL(65,30))"
	case isText(dt) && (q.t.ByteOrder || dt == "enum" || dt == "set"):
		return "CONVERT(? USING utf8mb4) COLLATE utf8mb4_bin"
	}
	return "?"
}

func (q *query) order() string {
	out := make([]string, len(q.t.Key))
	for i, k := range q.t.Key {
		out[i] = q.keyOrder(k)
	}
	return strings.Join(out, ", ")
}

// bound is the condition key OP k, spelled out column by column
// (a > x OR a = x AND b > y): MariaDB's optimizer does not turn a row
// comparison into an index range.
func (q *query) bound(k database.Key, strict, last string) string {
	var ors []string
	for i := range q.t.Key {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, q.keyOrder(q.t.Key[j])+" = "+q.keyIn(q.t.Key[j], k[j]))
		}
		op := strict
		if i == len(q.t.Key)-1 {
			op = last
		}
		ands = append(ands, q.keyOrder(q.t.Key[i])+" "+op+" "+q.keyIn(q.t.Key[i], k[i]))
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

func (q *query) where(r database.KeyRange) string {
	var c []string
	if r.After != nil {
		c = append(c, q.bound(r.After, ">", ">"))
	}
	if r.Upto != nil {
		c = append(c, q.bound(r.Upto, "<", "<="))
	}
	if len(c) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c, " AND ")
}

// value is a column as the text its digest is taken of: text converted
// to utf8mb4 (a latin1 column and its utf8mb4 copy hash alike), BIT as
// its number, the rest as MySQL converts it to a string (DATETIME(6) with
// its six digits, TIMESTAMP in the pinned UTC, BLOB as its bytes).
func (q *query) value(c string) string {
	switch dt := q.vt.types[c]; {
	case isText(dt):
		return "CONVERT(" + ident(c) + " USING utf8mb4)"
	case dt == "bit":
		return "(" + ident(c) + " + 0)"
	}
	return ident(c)
}

// rowDigest is the MD5 of a row's values, each length-prefixed (or N for
// NULL) so that no two rows' texts run together alike.
func (q *query) rowDigest() string {
	parts := make([]string, len(q.t.Columns))
	for i, c := range q.t.Columns {
		x := q.value(c)
		parts[i] = "IFNULL(CONCAT(LENGTH(" + x + "), ':', " + x + "), 'N')"
	}
	return "MD5(CONCAT(" + strings.Join(parts, ", ") + "))"
}

func (q *query) keyOuts() string {
	out := make([]string, len(q.t.Key))
	for i, k := range q.t.Key {
		out[i] = q.keyOut(k)
	}
	return strings.Join(out, ", ")
}

// KeyAt returns the key offset rows into r.
func (v *Verifier) KeyAt(ctx context.Context, t database.TableSpec, r database.KeyRange, offset int64) (database.Key, error) {
	q, err := v.query(t)
	if err != nil {
		return nil, err
	}
	s := "SELECT " + q.keyOuts() + q.from() + q.where(r) + " ORDER BY " + q.order() + " LIMIT 1 OFFSET " + strconv.FormatInt(offset, 10)
	var k database.Key
	err = v.with(ctx, func(c *sql.Conn) error {
		k = make(database.Key, len(t.Key))
		dest := make([]any, len(k))
		for i := range k {
			dest[i] = &k[i]
		}
		err := c.QueryRowContext(ctx, s, q.args...).Scan(dest...)
		if errors.Is(err, sql.ErrNoRows) {
			k, err = nil, nil
		}
		return err
	})
	return k, err
}

// errTruncated is GROUP_CONCAT cut short: a digest of part of the rows.
var errTruncated = errors.New("GROUP_CONCAT was truncated (group_concat_max_len): the chunk's digest would cover part of its rows; lower --chunk-rows")

// Sum hashes r: the MD5 of the rows' digests in key order.
func (v *Verifier) Sum(ctx context.Context, t database.TableSpec, r database.KeyRange) (database.Digest, error) {
	q, err := v.query(t)
	if err != nil {
		return database.Digest{}, err
	}
	s := "SELECT n, IFNULL(LENGTH(g), 0), IFNULL(MD5(g), '') FROM (SELECT COUNT(*) AS n, GROUP_CONCAT(" + q.rowDigest() +
		" ORDER BY " + q.order() + " SEPARATOR '') AS g" + q.from() + q.where(r) + ") x"
	var d database.Digest
	err = v.with(ctx, func(c *sql.Conn) error {
		var n int64
		if err := c.QueryRowContext(ctx, s, q.args...).Scan(&d.Rows, &n, &d.Sum); err != nil {
			return err
		}
		if n != 32*d.Rows {
			return errTruncated
		}
		return nil
	})
	return d, err
}

// Rows returns the first limit rows of r, key and digest.
func (v *Verifier) Rows(ctx context.Context, t database.TableSpec, r database.KeyRange, limit int) ([]database.RowDigest, error) {
	q, err := v.query(t)
	if err != nil {
		return nil, err
	}
	s := "SELECT " + q.keyOuts() + ", " + q.rowDigest() + q.from() + q.where(r) + " ORDER BY " + q.order() + " LIMIT " + strconv.Itoa(limit)
	var out []database.RowDigest
	err = v.with(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, s, q.args...)
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
		cols[i] = "IFNULL(MD5(" + q.value(c) + "), 'NULL')"
	}
	var conds []string
	for i, kc := range t.Key {
		conds = append(conds, q.keyOrder(kc)+" = "+q.keyIn(kc, k[i]))
	}
	s := "SELECT " + strings.Join(cols, ", ") + q.from() + " WHERE " + strings.Join(conds, " AND ")
	out := make([]string, len(cols))
	err = v.with(ctx, func(c *sql.Conn) error {
		dest := make([]any, len(out))
		for i := range out {
			dest[i] = &out[i]
		}
		err := c.QueryRowContext(ctx, s, q.args...).Scan(dest...)
		if errors.Is(err, sql.ErrNoRows) {
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
	d := strconv.Itoa(digits)
	s := "SELECT p, n, IFNULL(LENGTH(g), 0), IFNULL(MD5(g), '') FROM (SELECT LEFT(h, " + d + ") AS p, COUNT(*) AS n, GROUP_CONCAT(h ORDER BY h SEPARATOR '') AS g FROM (SELECT " +
		q.rowDigest() + " AS h" + q.from() + ") y GROUP BY LEFT(h, " + d + ")) x"
	var out []database.Bucket
	err = v.with(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, s, q.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b database.Bucket
			var n int64
			if err := rows.Scan(&b.Prefix, &b.Rows, &n, &b.Sum); err != nil {
				return err
			}
			if n != 32*b.Rows {
				return errTruncated
			}
			out = append(out, b)
		}
		return rows.Err()
	})
	return out, err
}

// BucketRows returns the distinct row digests of one bucket.
func (v *Verifier) BucketRows(ctx context.Context, t database.TableSpec, digits int, prefix string, limit int) ([]database.RowDigest, error) {
	q, err := v.query(t)
	if err != nil {
		return nil, err
	}
	s := "SELECT h, COUNT(*) FROM (SELECT " + q.rowDigest() + " AS h" + q.from() + ") y WHERE LEFT(h, " + strconv.Itoa(digits) + ") = ? GROUP BY h ORDER BY h LIMIT " + strconv.Itoa(limit)
	q.args = append(q.args, prefix)
	var out []database.RowDigest
	err = v.with(ctx, func(c *sql.Conn) error {
		rows, err := c.QueryContext(ctx, s, q.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r database.RowDigest
			if err := rows.Scan(&r.Sum, &r.Count); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// Sequences reads each table's AUTO_INCREMENT (the next value it hands
// out) and each MariaDB SEQUENCE's next_not_cached_value.
func (v *Verifier) Sequences(ctx context.Context) ([]database.SequenceState, error) {
	cond, args := v.schemas()
	var out []database.SequenceState
	err := v.with(ctx, func(c *sql.Conn) error {
		var inc int64
		if err := c.QueryRowContext(ctx, "SELECT @@auto_increment_increment").Scan(&inc); err != nil {
			return err
		}
		rows, err := c.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, IFNULL(AUTO_INCREMENT, 0) FROM information_schema.TABLES
			WHERE (AUTO_INCREMENT IS NOT NULL OR TABLE_TYPE = 'SEQUENCE') AND `+cond+` ORDER BY 1, 2`, args...)
		if err != nil {
			return err
		}
		var seqs []database.SequenceState
		var real []string
		for rows.Next() {
			var s database.SequenceState
			var schema, kind string
			if err := rows.Scan(&schema, &s.Name, &kind, &s.Next); err != nil {
				rows.Close()
				return err
			}
			if v.ep.Database == "" {
				s.Schema = schema
			}
			s.Increment, s.State = inc, "AUTO_INCREMENT"
			if kind == "SEQUENCE" {
				s.State = "SEQUENCE"
			}
			seqs = append(seqs, s)
			real = append(real, schema)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range seqs {
			s := &seqs[i]
			if s.State != "SEQUENCE" {
				continue
			}
			err := c.QueryRowContext(ctx, "SELECT next_not_cached_value, increment FROM "+ident(real[i])+"."+ident(s.Name)).Scan(&s.Next, &s.Increment)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				s.Err = queryErr(err)
			}
			s.State = "SEQUENCE next_not_cached_value"
		}
		out = seqs
		return nil
	})
	return out, err
}

// LargeObjects: MySQL has none.
func (v *Verifier) LargeObjects(ctx context.Context) ([]database.LargeObject, error) { return nil, nil }

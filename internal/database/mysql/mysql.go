// Package mysql reads a MySQL or MariaDB server's inventory for sortie db
// plan: read-only queries on information_schema (and mysql.user, when the
// login may read it) in a session whose transactions are read-only, plus
// one bounded, timed SELECT of the largest table's rows to measure the read
// rate. It is the only code of the database move that knows
// go-sql-driver/mysql; everything it returns is database's plain types.
//
// The password comes from the URL or, as the mysql client does it, the
// [client] section of ~/.my.cnf.
package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/sortie-dev/sortie/internal/database"
)

// systemSchemas are the server's own.
var systemSchemas = []string{"information_schema", "mysql", "performance_schema", "sys"}

// builtinAccounts are made by the server itself, at the source and the
// target alike.
var builtinAccounts = []string{"mariadb.sys", "mysql.infoschema", "mysql.session", "mysql.sys"}

// config is the driver's configuration for ep: the URL's user, password,
// address and database, its query parameters as the driver's, and the
// password from ~/.my.cnf when the URL has none.
func config(ep database.Endpoint, side database.Side) (*driver.Config, error) {
	u := ep.URL()
	query := ""
	if i := strings.IndexByte(u, '?'); i >= 0 {
		query = u[i:]
	}
	cfg, err := driver.ParseDSN("tcp(" + ep.Address() + ")/" + ep.Database + query)
	if err != nil {
		return nil, &database.URLError{Side: side, URL: ep.String(), Err: err}
	}
	cfg.User = ep.User
	if ep.HasPassword {
		cfg.Passwd = password(u)
	} else {
		home, _ := os.UserHomeDir()
		if opts, err := readOptionFile(filepath.Join(home, ".my.cnf"), "client"); err == nil {
			if cfg.User == "" {
				cfg.User = opts["user"]
			}
			if opts["user"] == "" || opts["user"] == cfg.User {
				cfg.Passwd = opts["password"]
			}
		}
	}
	if cfg.User == "" {
		return nil, &database.URLError{Side: side, URL: ep.String(), Err: errors.New("no user: give mysql://USER@HOST/ (or user= in ~/.my.cnf's [client])")}
	}
	cfg.Timeout = 15 * time.Second
	cfg.ReadTimeout = 5 * time.Minute
	cfg.AllowNativePasswords = true
	return cfg, nil
}

// password is the URL's password, percent-decoded.
func password(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return ""
	}
	pw, _ := u.User.Password()
	return pw
}

// readOptionFile reads one section of a MySQL option file: key=value
// lines, # and ; comments, values optionally quoted. !include and
// !includedir are not followed.
func readOptionFile(path, section string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';' || line[0] == '!':
			continue
		case line[0] == '[':
			in = strings.EqualFold(strings.Trim(line, "[] \t"), section)
			continue
		case !in:
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		k = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(k)), "-", "_")
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out[k] = v
	}
	return out, nil
}

// classify turns the driver's connect error into a ConnectError, once.
func classify(ep database.Endpoint, side database.Side, err error) error {
	ce := &database.ConnectError{Side: side, Engine: database.MySQL, Endpoint: ep.String(), Kind: database.Refused, Err: err}
	var me *driver.MySQLError
	var ne *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &me):
		ce.Err = errors.New(me.Message)
		switch me.Number {
		case 1045, 1044, 1698:
			ce.Kind = database.Auth
		case 1049:
			ce.Kind = database.NoDatabase
		}
	case errors.As(err, &dnsErr):
		ce.Kind, ce.Err = database.Unreachable, dnsErr
	case errors.As(err, &ne):
		ce.Kind, ce.Err = database.Unreachable, ne
	case errors.Is(err, context.DeadlineExceeded):
		ce.Kind, ce.Err = database.Unreachable, errors.New("no answer in time")
	}
	return ce
}

// Inspect reads the inventory of the endpoint's schema, or of every schema
// that is not the server's own when the URL names none.
func Inspect(ctx context.Context, ep database.Endpoint, o database.InspectOptions) (*database.Inventory, error) {
	cfg, err := config(ep, o.Side)
	if err != nil {
		return nil, err
	}
	connector, err := driver.NewConnector(cfg)
	if err != nil {
		return nil, &database.URLError{Side: o.Side, URL: ep.String(), Err: err}
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, classify(ep, o.Side, err)
	}
	defer c.Close()
	// The plan reads only.
	if _, err := c.ExecContext(ctx, "SET SESSION TRANSACTION READ ONLY"); err != nil {
		return nil, classify(ep, o.Side, err)
	}
	// MySQL 8 caches information_schema's statistics (AUTO_INCREMENT
	// among them) for a day by default; MariaDB has no such variable.
	c.ExecContext(ctx, "SET SESSION information_schema_stats_expiry = 0")

	inv := &database.Inventory{Engine: database.MySQL, Server: ep.String()}
	r := reader{c: c, inv: inv, db: ep.Database}
	steps := []struct {
		what string
		read func(context.Context) error
	}{
		{"version", r.server},
		{"schemas", r.schemas},
		{"tables", r.tables},
		{"collations", r.collations},
		{"definers", r.definers},
		{"accounts", r.accounts},
	}
	for _, s := range steps {
		if err := s.read(ctx); err != nil {
			return nil, fmt.Errorf("%s %s: read %s: %w", o.Side, ep, s.what, err)
		}
	}
	if o.SampleBytes > 0 {
		if err := r.sample(ctx, o.SampleBytes); err != nil {
			return nil, fmt.Errorf("%s %s: timed read: %w", o.Side, ep, err)
		}
	}
	return inv, nil
}

type reader struct {
	c   *sql.Conn
	inv *database.Inventory
	db  string
}

// in is the schemas read, as an SQL list and its arguments.
func (r *reader) in() (string, []any) {
	args := make([]any, len(r.inv.Databases))
	for i, d := range r.inv.Databases {
		args[i] = d
	}
	if len(args) == 0 {
		return "(NULL)", nil
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ") + ")", args
}

func (r *reader) server(ctx context.Context) error {
	var version, basedir, format string
	var logBin int
	err := r.c.QueryRowContext(ctx, `SELECT VERSION(), @@basedir, @@log_bin, @@binlog_format`).Scan(&version, &basedir, &logBin, &format)
	if err != nil {
		return err
	}
	inv := r.inv
	inv.Version, inv.VersionNum = version, versionNum(version)
	inv.Product = "MySQL"
	if strings.Contains(version, "MariaDB") {
		inv.Product = "MariaDB"
	}
	inv.LogBin, inv.BinlogFormat = logBin == 1, format
	// RDS installs its server under /rdsdbbin.
	inv.RDS = strings.HasPrefix(basedir, "/rdsdbbin")
	return nil
}

var versionRE = regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)`)

// versionNum is 101114 for 10.11.14-MariaDB, 80036 for 8.0.36.
func versionNum(v string) int {
	m := versionRE.FindStringSubmatch(v)
	if m == nil {
		return 0
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	c, _ := strconv.Atoi(m[3])
	return a*10000 + b*100 + c
}

func (r *reader) schemas(ctx context.Context) error {
	q := `SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA`
	var args []any
	if r.db != "" {
		q += ` WHERE SCHEMA_NAME = ?`
		args = append(args, r.db)
	} else {
		q += ` WHERE SCHEMA_NAME NOT IN ('` + strings.Join(systemSchemas, "', '") + `')`
	}
	rows, err := r.c.QueryContext(ctx, q+` ORDER BY 1`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name, cs, coll string
		if err := rows.Scan(&name, &cs, &coll); err != nil {
			return err
		}
		if r.inv.Encoding == "" {
			r.inv.Encoding, r.inv.Collation = cs, coll
		}
		r.inv.Databases = append(r.inv.Databases, name)
		r.inv.Schemas = append(r.inv.Schemas, database.Schema{Name: name})
		r.inv.Collations = append(r.inv.Collations, coll)
	}
	return rows.Err()
}

func (r *reader) tables(ctx context.Context) error {
	in, args := r.in()
	pk := map[string]bool{}
	rows, err := r.c.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLE_CONSTRAINTS
		WHERE CONSTRAINT_TYPE = 'PRIMARY KEY' AND TABLE_SCHEMA IN `+in, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var s, t string
		if err := rows.Scan(&s, &t); err != nil {
			rows.Close()
			return err
		}
		pk[s+"."+t] = true
	}
	rows.Close()
	auto := map[string]string{}
	rows, err = r.c.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS
		WHERE EXTRA LIKE '%auto_increment%' AND TABLE_SCHEMA IN `+in, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var s, t, col string
		if err := rows.Scan(&s, &t, &col); err != nil {
			rows.Close()
			return err
		}
		auto[s+"."+t] = col
	}
	rows.Close()
	rows, err = r.c.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, coalesce(ENGINE, ''), coalesce(TABLE_ROWS, -1),
		coalesce(DATA_LENGTH, 0), coalesce(INDEX_LENGTH, 0), coalesce(TABLE_COLLATION, ''), AUTO_INCREMENT
		FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA IN `+in+` ORDER BY 1, 2`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var t database.Table
		var index int64
		var coll string
		var next sql.NullInt64
		if err := rows.Scan(&t.Schema, &t.Name, &t.Engine, &t.Rows, &t.DataBytes, &index, &coll, &next); err != nil {
			return err
		}
		t.Bytes = t.DataBytes + index
		t.PrimaryKey = pk[t.QualifiedName()]
		r.inv.Tables = append(r.inv.Tables, t)
		if col, ok := auto[t.QualifiedName()]; ok {
			s := database.Sequence{Schema: t.Schema, Name: t.Name, OwnedBy: t.QualifiedName() + "." + col}
			// AUTO_INCREMENT is the next value to hand out.
			if next.Valid && next.Int64 > 1 {
				v := next.Int64 - 1
				s.LastValue = &v
			}
			r.inv.Sequences = append(r.inv.Sequences, s)
		}
		for i := range r.inv.Schemas {
			if r.inv.Schemas[i].Name == t.Schema {
				r.inv.Schemas[i].Tables++
				r.inv.Schemas[i].Bytes += t.Bytes
			}
		}
	}
	return rows.Err()
}

func (r *reader) collations(ctx context.Context) error {
	in, args := r.in()
	rows, err := r.c.QueryContext(ctx, `SELECT DISTINCT TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_COLLATION IS NOT NULL AND TABLE_SCHEMA IN `+in+`
		UNION SELECT DISTINCT COLLATION_NAME FROM information_schema.COLUMNS WHERE COLLATION_NAME IS NOT NULL AND TABLE_SCHEMA IN `+in, append(args, args...)...)
	if err != nil {
		return err
	}
	used, err := strings1(rows)
	if err != nil {
		return err
	}
	r.inv.Collations = append(r.inv.Collations, used...)
	slices.Sort(r.inv.Collations)
	r.inv.Collations = slices.Compact(r.inv.Collations)
	rows, err = r.c.QueryContext(ctx, `SELECT COLLATION_NAME FROM information_schema.COLLATIONS`)
	if err != nil {
		return err
	}
	all, err := strings1(rows)
	r.inv.Available.Collations = map[string]bool{}
	for _, c := range all {
		r.inv.Available.Collations[c] = true
	}
	if err != nil {
		return err
	}
	rows, err = r.c.QueryContext(ctx, `SELECT UPPER(ENGINE) FROM information_schema.ENGINES WHERE SUPPORT IN ('YES', 'DEFAULT')`)
	if err != nil {
		return err
	}
	engines, err := strings1(rows)
	r.inv.Available.Engines = map[string]bool{}
	for _, e := range engines {
		r.inv.Available.Engines[e] = true
	}
	return err
}

func (r *reader) definers(ctx context.Context) error {
	in, args := r.in()
	rows, err := r.c.QueryContext(ctx, `SELECT 'VIEW', TABLE_SCHEMA, TABLE_NAME, DEFINER, '' FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN `+in+`
		UNION ALL SELECT ROUTINE_TYPE, ROUTINE_SCHEMA, ROUTINE_NAME, DEFINER, '' FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN `+in+`
		UNION ALL SELECT 'TRIGGER', TRIGGER_SCHEMA, TRIGGER_NAME, DEFINER, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN `+in+`
		UNION ALL SELECT 'EVENT', EVENT_SCHEMA, EVENT_NAME, DEFINER, '' FROM information_schema.EVENTS WHERE EVENT_SCHEMA IN `+in+`
		ORDER BY 2, 3, 1`, slices.Concat(args, args, args, args)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d database.Definer
		var table string
		if err := rows.Scan(&d.Kind, &d.Schema, &d.Name, &d.Definer, &table); err != nil {
			return err
		}
		r.inv.Definers = append(r.inv.Definers, d)
		switch d.Kind {
		case "TRIGGER":
			r.inv.Triggers = append(r.inv.Triggers, database.Object{Schema: d.Schema, Name: d.Name, Table: table})
		case "EVENT":
			r.inv.Events = append(r.inv.Events, database.Object{Schema: d.Schema, Name: d.Name})
		}
	}
	return rows.Err()
}

func (r *reader) accounts(ctx context.Context) error {
	rows, err := r.c.QueryContext(ctx, `SELECT CONCAT(User, '@', Host) FROM mysql.user ORDER BY User, Host`)
	var me *driver.MySQLError
	if errors.As(err, &me) && (me.Number == 1142 || me.Number == 1044) {
		// Not allowed to list accounts: nothing is said about them,
		// rather than every definer reported missing.
		return nil
	}
	if err != nil {
		return err
	}
	all, err := strings1(rows)
	if err != nil {
		return err
	}
	r.inv.Available.Roles = map[string]bool{}
	for _, a := range all {
		r.inv.Available.Roles[a] = true
		user, _, _ := strings.Cut(a, "@")
		if !slices.Contains(builtinAccounts, user) {
			r.inv.Roles = append(r.inv.Roles, database.Role{Name: a, Login: true})
		}
	}
	return nil
}

// sample times a read of about limit bytes of the largest table's rows.
func (r *reader) sample(ctx context.Context, limit int64) error {
	var big *database.Table
	for i, t := range r.inv.Tables {
		if t.DataBytes > 0 && t.Rows != 0 && (big == nil || t.DataBytes > big.DataBytes) {
			big = &r.inv.Tables[i]
		}
	}
	if big == nil {
		return nil
	}
	perRow := int64(100)
	if big.Rows > 0 {
		perRow = max(1, big.DataBytes/big.Rows)
	}
	q := fmt.Sprintf("SELECT * FROM %s.%s LIMIT %d", quote(big.Schema), quote(big.Name), max(100, limit/perRow))
	start := time.Now()
	rows, err := r.c.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	s := &database.ReadSample{Table: big.QualifiedName()}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		s.Rows++
		for _, v := range vals {
			s.Bytes += int64(len(v))
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.Seconds = time.Since(start).Seconds()
	r.inv.Read = s
	return nil
}

func quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

func strings1(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Package postgres reads a PostgreSQL server's inventory for sortie db
// plan: read-only queries on the catalogs, in a session whose transactions
// are read-only by default, plus one bounded, timed COPY of the largest
// table's rows to measure the read rate. It is the only code of the
// database move that knows pgx; everything it returns is database's plain
// types.
//
// It works with what a non-superuser sees (an RDS master user is not a
// superuser): a sequence it may not read shows no last value rather than
// failing the plan.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sortie-dev/sortie/internal/database"
)

// userSchemas is the condition on a namespace alias n that keeps the
// database's own schemas: not the catalogs, TOAST or temporary ones.
const userSchemas = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'`

// notInExtension keeps objects of pg_class alias c that an extension did
// not create (CREATE EXTENSION makes them again at the target).
const notInExtension = `NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')`

// Open connects to the endpoint's database. Its errors are
// *database.URLError (the URL is not one pgx can use) and
// *database.ConnectError (no server, refused login, no such database).
// The password comes from the URL or, as libpq does it, PGPASSFILE or
// ~/.pgpass; PG* environment variables fill what the URL leaves out.
func Open(ctx context.Context, ep database.Endpoint, side database.Side) (*pgx.Conn, error) {
	// The plan reads only: a session whose transactions are read-only
	// cannot write by mistake, and bounded waits cannot hang on a lock.
	cfg, err := sessionConfig(ep, side, "sortie db plan", map[string]string{
		"default_transaction_read_only": "on", "statement_timeout": "300s", "lock_timeout": "10s"})
	if err != nil {
		return nil, err
	}
	return dial(ctx, ep, side, cfg)
}

// classify turns pgx's connect error into a ConnectError, once.
func classify(ep database.Endpoint, side database.Side, err error) error {
	ce := &database.ConnectError{Side: side, Engine: database.PostgreSQL, Endpoint: ep.String(), Kind: database.Refused, Err: err}
	var pe *pgconn.PgError
	var ne *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &pe):
		ce.Err = errors.New(pe.Message)
		switch pe.Code {
		case "28P01", "28000":
			ce.Kind = database.Auth
		case "3D000":
			ce.Kind = database.NoDatabase
		}
	case errors.As(err, &dnsErr):
		ce.Kind, ce.Err = database.Unreachable, dnsErr
	case errors.As(err, &ne):
		ce.Kind, ce.Err = database.Unreachable, ne
	case errors.Is(err, context.DeadlineExceeded):
		ce.Kind, ce.Err = database.Unreachable, errors.New("no answer in time")
	default:
		// pgx's own wording (a password the server asked for and none
		// was given, for one) after its "failed to connect to" prefix.
		if inner := errors.Unwrap(err); inner != nil {
			ce.Err = inner
		}
		var pce *pgconn.ConnectError
		if errors.As(err, &pce) && pce.Config != nil && pce.Config.Password == "" {
			ce.Kind = database.Auth
		}
	}
	return ce
}

// Inspect reads the inventory of the endpoint's database.
func Inspect(ctx context.Context, ep database.Endpoint, o database.InspectOptions) (*database.Inventory, error) {
	c, err := Open(ctx, ep, o.Side)
	if err != nil {
		return nil, err
	}
	defer c.Close(context.WithoutCancel(ctx))
	inv := &database.Inventory{Engine: database.PostgreSQL, Server: ep.String(), Product: "PostgreSQL"}
	steps := []struct {
		what string
		read func(context.Context, *pgx.Conn, *database.Inventory) error
	}{
		{"version and database", readServer},
		{"tables", readTables},
		{"schemas", readSchemas},
		{"sequences", readSequences},
		{"large objects", readLargeObjects},
		{"extensions", readExtensions},
		{"roles", readRoles},
		{"owners", readOwners},
		{"collations", readCollations},
	}
	for _, s := range steps {
		if err := s.read(ctx, c, inv); err != nil {
			return nil, fmt.Errorf("%s %s: read %s: %w", o.Side, ep, s.what, err)
		}
	}
	if o.SampleBytes > 0 {
		if err := sample(ctx, c, inv, o.SampleBytes); err != nil {
			return nil, fmt.Errorf("%s %s: timed read: %w", o.Side, ep, err)
		}
	}
	return inv, nil
}

func readServer(ctx context.Context, c *pgx.Conn, inv *database.Inventory) error {
	var version, db string
	err := c.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('server_version_num')::int, current_database(),
		pg_encoding_to_char(d.encoding), d.datcollate, d.datctype,
		EXISTS (SELECT 1 FROM pg_roles WHERE rolname IN ('rdsadmin', 'rds_superuser'))
		FROM pg_database d WHERE d.datname = current_database()`).
		Scan(&version, &inv.VersionNum, &db, &inv.Encoding, &inv.Collation, &inv.Ctype, &inv.RDS)
	if err != nil {
		return err
	}
	// "15.18 (Debian 15.18-0+deb12u1)": the number is the version.
	inv.Version, _, _ = strings.Cut(version, " ")
	inv.Databases = []string{db}
	return nil
}

func readTables(ctx context.Context, c *pgx.Conn, inv *database.Inventory) error {
	rows, err := c.Query(ctx, `SELECT n.nspname, c.relname, pg_total_relation_size(c.oid), pg_table_size(c.oid),
		c.reltuples::bigint, c.relkind = 'p', c.relispartition,
		EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p'),
		CASE c.relreplident WHEN 'd' THEN 'default' WHEN 'n' THEN 'nothing' WHEN 'f' THEN 'full' WHEN 'i' THEN 'index' END
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND `+userSchemas+` AND `+notInExtension+`
		ORDER BY 1, 2`)
	if err != nil {
		return err
	}
	inv.Tables, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (database.Table, error) {
		var t database.Table
		err := r.Scan(&t.Schema, &t.Name, &t.Bytes, &t.DataBytes, &t.Rows, &t.Partitioned, &t.Partition, &t.PrimaryKey, &t.ReplicaIdentity)
		// -1: never analysed (PostgreSQL 14 on; before, 0).
		if t.Rows < 0 {
			t.Rows = -1
		}
		return t, err
	})
	return err
}

func readSchemas(ctx context.Context, c *pgx.Conn, inv *database.Inventory) error {
	rows, err := c.Query(ctx, `SELECT n.nspname FROM pg_namespace n WHERE `+userSchemas+`
		AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_namespace'::regclass AND x.objid = n.oid AND x.deptype = 'e')
		ORDER BY 1`)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, name := range names {
		s := database.Schema{Name: name}
		for _, t := range inv.Tables {
			if t.Schema == name {
				s.Tables++
				s.Bytes += t.Bytes
			}
		}
		inv.Schemas = append(inv.Schemas, s)
	}
	return nil
}

func readSequences(ctx context.Context, c *pgx.Conn, inv *database.Inventory) error {
	// The owner is the column a serial (deptype a) or an identity
	// (deptype i) sequence feeds.
	rows, err := c.Query(ctx, `SELECT n.nspname, c.relname, s.last_value, o.col, coalesce(o.deptype = 'i', false)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_sequences s ON s.schemaname = n.nspname AND s.sequencename = c.relname
		LEFT JOIN LATERAL (
			SELECT tn.nspname || '.' || t.relname || '.' || a.attname AS col, d.deptype
			FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
			JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
			WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
			LIMIT 1) o ON true
		WHERE c.relkind = 'S' AND `+userSchemas+` AND `+notInExtension+`
		ORDER BY 1, 2`)
	if err != nil {
		return err
	}
	inv.Sequences, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (database.Sequence, error) {
		var s database.Sequence
		var owned *string
		err := r.Scan(&s.Schema, &s.Name, &s.LastValue, &owned, &s.Identity)
		if owned != nil {
			s.OwnedBy = *owned
		}
		return s, err
	})
	return err
}

func readLargeObjects(ctx context.Context, c *pgx.Conn, inv *database.Inventory) error {
	// pg_largeobject itself is for superusers; its metadata and its size
	// are for everyone.
	return c.QueryRow(ctx, `SELECT (SELECT count(*) FROM pg_largeobject_metadata), pg_relation_size('pg_largeobject')`).
		Scan(&inv.LargeObjects.Count, &inv.LargeObjects.Bytes)
}

func readExtensions(ctx context.Context, c *pgx.Conn, inv *database.Inventory) error {
	// plpgsql is in every database of every PostgreSQL.
	rows, err := c.Query(ctx, `SELECT e.extname, e.extversion, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
		WHERE e.extname <> 'plpgsql' ORDER BY 1`)
	if err != nil {
		return err
	}
	if inv.Extensions, err = pgx.CollectRows(rows, pgx.RowToStructByPos[database.Extension]); err != nil {
		return err
	}
	rows, err = c.Query(ctx, `SELECT name, coalesce(default_version, '') FROM pg_available_extensions`)
	if err != nil {
		return err
	}
	inv.Available.Extensions = map[string]string{}
	var name, version string
	_, err = pgx.ForEachRow(rows, []any{&name, &version}, func() error {
		inv.Available.Extensions[name] = version
		return nil
	})
	return err
}

func readRoles(ctx context.Context, c *pgx.Conn, inv *database.Inventory) error {
	rows, err := c.Query(ctx, `SELECT r.rolname, r.rolcanlogin, r.rolsuper,
		coalesce(array_agg(g.rolname ORDER BY g.rolname) FILTER (WHERE g.rolname IS NOT NULL), '{}')
		FROM pg_roles r LEFT JOIN pg_auth_members m ON m.member = r.oid LEFT JOIN pg_roles g ON g.oid = m.roleid
		GROUP BY 1, 2, 3 ORDER BY 1`)
	if err != nil {
		return err
	}
	all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[database.Role])
	if err != nil {
		return err
	}
	inv.Available.Roles = map[string]bool{}
	for _, r := range all {
		inv.Available.Roles[r.Name] = true
		// PostgreSQL's own roles (pg_read_all_data...) are everywhere.
		if !strings.HasPrefix(r.Name, "pg_") {
			if len(r.MemberOf) == 0 {
				r.MemberOf = nil
			}
			inv.Roles = append(inv.Roles, r)
		}
	}
	return nil
}

func readOwners(ctx context.Context, c *pgx.Conn, inv *database.Inventory) error {
	rows, err := c.Query(ctx, `SELECT DISTINCT pg_get_userbyid(owner) FROM (
		SELECT c.relowner AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE `+userSchemas+`
		UNION SELECT n.nspowner FROM pg_namespace n WHERE `+userSchemas+`
		UNION SELECT p.proowner FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE `+userSchemas+`
		UNION SELECT t.typowner FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE `+userSchemas+`
		) o ORDER BY 1`)
	if err != nil {
		return err
	}
	owners, err := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, o := range owners {
		// pg_database_owner owns public since PostgreSQL 15: it is
		// whoever owns the database, everywhere.
		if !strings.HasPrefix(o, "pg_") {
			inv.Owners = append(inv.Owners, o)
		}
	}
	return err
}

func readCollations(ctx context.Context, c *pgx.Conn, inv *database.Inventory) error {
	// The columns' own collations from pg_catalog must exist at the
	// target; those a schema of the database defines are made by the
	// dump itself.
	rows, err := c.Query(ctx, `SELECT DISTINCT co.collname FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_collation co ON co.oid = a.attcollation
		WHERE a.attnum > 0 AND NOT a.attisdropped AND co.collname <> 'default'
		AND co.collnamespace = 'pg_catalog'::regnamespace AND `+userSchemas+`
		ORDER BY 1`)
	if err != nil {
		return err
	}
	if inv.Collations, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return err
	}
	rows, err = c.Query(ctx, `SELECT collname FROM pg_collation`)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	inv.Available.Collations = map[string]bool{}
	for _, n := range names {
		inv.Available.Collations[n] = true
	}
	return err
}

// sample times a COPY of about limit bytes of the largest table's rows to
// this process: the rate at which a copy can read from the source, over
// the same network path.
func sample(ctx context.Context, c *pgx.Conn, inv *database.Inventory, limit int64) error {
	var big *database.Table
	for i, t := range inv.Tables {
		if t.Partitioned || t.DataBytes == 0 {
			continue
		}
		if big == nil || t.DataBytes > big.DataBytes {
			big = &inv.Tables[i]
		}
	}
	if big == nil {
		return nil
	}
	// LIMIT in rows from the table's average row size on disk; a table
	// never analysed is taken to hold 100-byte rows.
	perRow := int64(100)
	if big.Rows > 0 {
		perRow = max(1, big.DataBytes/big.Rows)
	}
	n := max(100, limit/perRow)
	q := fmt.Sprintf("COPY (SELECT * FROM ONLY %s LIMIT %d) TO STDOUT", pgx.Identifier{big.Schema, big.Name}.Sanitize(), n)
	w := &counter{}
	start := time.Now()
	tag, err := c.PgConn().CopyTo(ctx, w, q)
	if err != nil {
		return err
	}
	inv.Read = &database.ReadSample{Table: big.QualifiedName(), Bytes: w.n, Rows: tag.RowsAffected(), Seconds: time.Since(start).Seconds()}
	return nil
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*counter)(nil)

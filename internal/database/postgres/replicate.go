package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sortie-dev/sortie/internal/database"
)

// An online move (db copy --online, then db cutover) keeps the target up
// to date with PostgreSQL's own logical replication while the data is
// copied and until the cut-over. The only objects sortie creates at the
// source are a publication and a logical replication slot, both named for
// the job, and removed by the cut-over or an abort; the target subscribes
// to them. The slot is created first, and it exports a snapshot: the copy
// reads every table at that snapshot, so replication starts exactly where
// the copy's data ends — nothing twice, nothing missed.

// Slot is a logical replication slot just created at the source, with the
// snapshot it exported. The snapshot can be imported (SET TRANSACTION
// SNAPSHOT) only while the slot's replication connection stays open and
// idle: Release closes it once every copy transaction has imported it.
type Slot struct {
	Name string
	// Snapshot is the exported snapshot's name; LSN the slot's consistent
	// point, where replication of the changes after the snapshot starts.
	Snapshot, LSN string
	conn          *pgconn.PgConn
}

// Release closes the slot's replication connection; the slot itself
// stays, and keeps the source's WAL until the subscription consumes it.
func (s *Slot) Release(ctx context.Context) error {
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close(ctx)
	s.conn = nil
	return err
}

// ErrNoReplicaIdentity is returned when a table to publish has neither a
// primary key nor a replica identity: once it is published, UPDATE and
// DELETE on it fail at the source.
var ErrNoReplicaIdentity = errors.New("tables without a primary key or replica identity")

// Unreplicable returns the tables of names ("schema.table", as
// database.Table names them) that have neither a primary key nor a
// replica identity (a unique index, or FULL): publishing them would make
// UPDATE and DELETE on them fail at the source.
func Unreplicable(ctx context.Context, c *pgx.Conn, names []string) ([]string, error) {
	rows, err := c.Query(ctx, `
SELECT n.nspname || '.' || c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname || '.' || c.relname = ANY($1) AND c.relkind = 'r'
  AND (c.relreplident = 'n'
    OR (c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary))
    OR (c.relreplident = 'i' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident)))
ORDER BY 1`, names)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// CreateSlot creates, at the source, the publication name for tables
// ("schema.table") and the logical replication slot name (pgoutput), and
// returns the slot with its exported snapshot. It refuses, before creating
// anything, tables that have no primary key or replica identity. The
// publication is made with publish_via_partition_root off: a partition's
// changes are applied to the same partition at the target.
func CreateSlot(ctx context.Context, src database.Endpoint, name string, tables []string) (*Slot, error) {
	c, err := connect(ctx, src, database.Source, "sortie db copy --online", nil)
	if err != nil {
		return nil, err
	}
	defer c.Close(ctx)
	bad, err := Unreplicable(ctx, c, tables)
	if err != nil {
		return nil, fmt.Errorf("source: read the tables' replica identity: %w", err)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%w: %s; give each a primary key, or ALTER TABLE … REPLICA IDENTITY FULL (or USING INDEX), at the source, then run again: sortie does not change the source's tables", ErrNoReplicaIdentity, strings.Join(bad, ", "))
	}
	quoted := make([]string, len(tables))
	for i, t := range tables {
		schema, table, _ := strings.Cut(t, ".")
		quoted[i] = pgx.Identifier{schema, table}.Sanitize()
	}
	if _, err := c.Exec(ctx, "CREATE PUBLICATION "+pgx.Identifier{name}.Sanitize()+" FOR TABLE "+strings.Join(quoted, ", ")); err != nil {
		return nil, fmt.Errorf("source: create publication %s: %w", name, err)
	}
	rc, err := connect(ctx, src, database.Source, "sortie db copy --online", map[string]string{"replication": "database"})
	if err != nil {
		c.Exec(ctx, "DROP PUBLICATION IF EXISTS "+pgx.Identifier{name}.Sanitize())
		return nil, err
	}
	pc := rc.PgConn()
	res, err := pc.Exec(ctx, "CREATE_REPLICATION_SLOT "+pgx.Identifier{name}.Sanitize()+" LOGICAL pgoutput (SNAPSHOT 'export')").ReadAll()
	if err == nil && (len(res) != 1 || len(res[0].Rows) != 1 || len(res[0].Rows[0]) < 3) {
		err = fmt.Errorf("unexpected answer %v", res)
	}
	if err != nil {
		pc.Close(ctx)
		c.Exec(ctx, "DROP PUBLICATION IF EXISTS "+pgx.Identifier{name}.Sanitize())
		return nil, fmt.Errorf("source: create replication slot %s: %w (the source needs wal_level = logical: on RDS, rds.logical_replication = 1 in its parameter group)", name, err)
	}
	row := res[0].Rows[0]
	return &Slot{Name: name, LSN: string(row[1]), Snapshot: string(row[2]), conn: pc}, nil
}

// Subscribe creates, at the target, the subscription name to the source's
// publication and slot of that name, without copying data (the copy did)
// and enabled: the target's apply worker connects to the source with the
// source URL's host, port, database, user and password (the URL's, or
// the one pgpass gave this machine), so the source must accept the
// target's connections.
func Subscribe(ctx context.Context, dst, src database.Endpoint, name string) error {
	cfg, err := pgx.ParseConfig(src.URL())
	if err != nil {
		return &database.URLError{Side: database.Source, URL: src.String(), Err: err}
	}
	conninfo := fmt.Sprintf("host=%s port=%d dbname=%s user=%s", quoteConn(cfg.Host), cfg.Port, quoteConn(cfg.Database), quoteConn(cfg.User))
	if cfg.Password != "" {
		conninfo += " password=" + quoteConn(cfg.Password)
	}
	// The URL's own TLS mode (libpq's default, prefer, when it names
	// none): verify-full stays verify-full. A CA file the URL names is a
	// path on this machine, not the target's: the target's must be set
	// there (sslrootcert in its conninfo is the operator's to add).
	mode := "prefer"
	if u, err := url.Parse(src.URL()); err == nil && u.Query().Get("sslmode") != "" {
		mode = u.Query().Get("sslmode")
	}
	conninfo += " sslmode=" + quoteConn(mode)
	c, err := connect(ctx, dst, database.Target, "sortie db copy --online", nil)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	q := fmt.Sprintf("CREATE SUBSCRIPTION %s CONNECTION %s PUBLICATION %s WITH (create_slot = false, slot_name = %s, copy_data = false, enabled = true)",
		pgx.Identifier{name}.Sanitize(), quoteLiteral(conninfo), pgx.Identifier{name}.Sanitize(), quoteLiteral(name))
	if _, err := c.Exec(ctx, q); err != nil {
		return fmt.Errorf("target: create subscription %s: %w (the target must reach the source at %s:%d)", name, err, cfg.Host, cfg.Port)
	}
	return nil
}

// Lag is how far the target's subscription is behind the source.
type Lag struct {
	// Bytes of WAL between the source's current position and what the
	// subscription confirmed applying.
	Bytes int64
	// Active says the subscription's walsender is connected.
	Active bool
}

// ReplicationLag reads the slot name's lag at the source.
func ReplicationLag(ctx context.Context, c *pgx.Conn, name string) (Lag, error) {
	var l Lag
	var bytes *int64
	err := c.QueryRow(ctx, `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, active FROM pg_replication_slots WHERE slot_name = $1`, name).Scan(&bytes, &l.Active)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, fmt.Errorf("source: no replication slot %s: was db copy --online run for this job?", name)
	}
	if bytes != nil {
		l.Bytes = *bytes
	}
	return l, err
}

// WaitCaughtUp waits until the subscription has confirmed everything the
// source had written when it was called, polling every interval, and
// returns the source's position it waited for.
func WaitCaughtUp(ctx context.Context, c *pgx.Conn, name string, interval time.Duration) (string, error) {
	var want string
	if err := c.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&want); err != nil {
		return "", err
	}
	for {
		var done *bool
		err := c.QueryRow(ctx, `SELECT confirmed_flush_lsn >= $1::pg_lsn FROM pg_replication_slots WHERE slot_name = $2`, want, name).Scan(&done)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", fmt.Errorf("source: no replication slot %s", name)
		}
		if err != nil {
			return "", err
		}
		if done != nil && *done {
			return want, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(interval):
		}
	}
}

// Freeze stops writes to the source database: new sessions' transactions
// are read-only by default, and the database's other client sessions are
// ended so that they reconnect read-only. It returns how many were ended.
// A session that sets its transactions read-write explicitly can still
// write: the cut-over's final comparison would show it.
func Freeze(ctx context.Context, c *pgx.Conn) (int, error) {
	var db string
	if err := c.QueryRow(ctx, `SELECT current_database()`).Scan(&db); err != nil {
		return 0, err
	}
	if _, err := c.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{db}.Sanitize()+" SET default_transaction_read_only = on"); err != nil {
		return 0, fmt.Errorf("source: freeze %s: %w", db, err)
	}
	var n int
	err := c.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&n)
	return n, err
}

// Thaw undoes Freeze: the source database takes writes again.
func Thaw(ctx context.Context, c *pgx.Conn) error {
	var db string
	if err := c.QueryRow(ctx, `SELECT current_database()`).Scan(&db); err != nil {
		return err
	}
	_, err := c.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{db}.Sanitize()+" RESET default_transaction_read_only")
	return err
}

// DropReplication removes the job's replication objects: the target's
// subscription (disabled and detached from the slot first, so dropping it
// does not need the source), then the source's slot and publication. Each
// that does not exist is skipped, so it can run again after a failure.
func DropReplication(ctx context.Context, src, dst database.Endpoint, name string) error {
	id, lit := pgx.Identifier{name}.Sanitize(), quoteLiteral(name)
	t, err := connect(ctx, dst, database.Target, "sortie db cutover", nil)
	if err != nil {
		return err
	}
	defer t.Close(ctx)
	var exists bool
	if err := t.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("target: %w", err)
	}
	if exists {
		for _, q := range []string{"ALTER SUBSCRIPTION " + id + " DISABLE", "ALTER SUBSCRIPTION " + id + " SET (slot_name = NONE)", "DROP SUBSCRIPTION " + id} {
			if _, err := t.Exec(ctx, q); err != nil {
				return fmt.Errorf("target: %s: %w", q, err)
			}
		}
	}
	s, err := connect(ctx, src, database.Source, "sortie db cutover", nil)
	if err != nil {
		return err
	}
	defer s.Close(ctx)
	// The walsender may take a moment to let go of the slot.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := s.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = `+lit)
		var pe *pgconn.PgError
		if err == nil {
			break
		}
		if !errors.As(err, &pe) || pe.Code != "55006" || time.Now().After(deadline) {
			return fmt.Errorf("source: drop replication slot %s: %w", name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := s.Exec(ctx, "DROP PUBLICATION IF EXISTS "+id); err != nil {
		return fmt.Errorf("source: drop publication %s: %w", name, err)
	}
	return nil
}

// connect opens a session for the online move's bookkeeping, with
// runtime parameters extra (replication=database for a replication
// connection).
func connect(ctx context.Context, ep database.Endpoint, side database.Side, app string, extra map[string]string) (*pgx.Conn, error) {
	cfg, err := sessionConfig(ep, side, app, map[string]string{"lock_timeout": "10s"})
	if err != nil {
		return nil, err
	}
	// The move's own objects (publication, slot, subscription) are made
	// and dropped even while Freeze holds the database read-only.
	cfg.RuntimeParams["default_transaction_read_only"] = "off"
	for k, v := range extra {
		cfg.RuntimeParams[k] = v
	}
	if extra["replication"] != "" {
		// A replication connection speaks the simple protocol only.
		cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	}
	return dial(ctx, ep, side, cfg)
}

// quoteConn quotes a libpq connection string value.
func quoteConn(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// quoteLiteral quotes an SQL string literal.
func quoteLiteral(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

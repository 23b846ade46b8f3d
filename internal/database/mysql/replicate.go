package mysql

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/sortie-dev/sortie/internal/database"
)

// An online move of a MySQL or MariaDB database keeps the target up to
// date with the engine's own replication: the target becomes a replica of
// the source from the binary log position the copy's snapshot was taken
// at, filtered to the databases moved, until the cut-over. Nothing is
// created at the source; the source's user needs REPLICATION SLAVE (and
// on RDS, binlog retention long enough for the copy: CALL
// mysql.rds_set_configuration('binlog retention hours', 24)).

// Position is a place in the source's binary log.
type Position struct {
	File string `json:"file"`
	Pos  int64  `json:"pos"`
}

func (p Position) String() string { return fmt.Sprintf("%s:%d", p.File, p.Pos) }

// open returns one session to the endpoint's server.
func open(ctx context.Context, ep database.Endpoint, side database.Side) (*sql.DB, *sql.Conn, error) {
	cfg, err := config(ep, side)
	if err != nil {
		return nil, nil, err
	}
	connector, err := driver.NewConnector(cfg)
	if err != nil {
		return nil, nil, &database.URLError{Side: side, URL: ep.String(), Err: err}
	}
	db := sql.OpenDB(connector)
	c, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, classify(ep, side, err)
	}
	return db, c, nil
}

// SnapshotPosition starts, on c, a transaction with a consistent snapshot
// and returns the binary log position that snapshot matches (MariaDB's
// binlog_snapshot_file and _position, read without locking anything): a
// copy read in that transaction, then replication from that position,
// carries every change once. The caller commits or rolls back.
func SnapshotPosition(ctx context.Context, c *sql.Conn) (Position, error) {
	if _, err := c.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
		return Position{}, err
	}
	rows, err := c.QueryContext(ctx, "SHOW STATUS LIKE 'binlog_snapshot_%'")
	if err != nil {
		return Position{}, err
	}
	defer rows.Close()
	var p Position
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return Position{}, err
		}
		switch strings.ToLower(k) {
		case "binlog_snapshot_file":
			p.File = v
		case "binlog_snapshot_position":
			p.Pos, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if err := rows.Err(); err != nil {
		return Position{}, err
	}
	if p.File == "" {
		return Position{}, errors.New("the server gives no binlog position for a consistent snapshot: the binary log is off (log_bin), or this is MySQL, whose snapshot position needs a global read lock")
	}
	return p, nil
}

// currentPosition is the source's binary log position now.
func currentPosition(ctx context.Context, c *sql.Conn) (Position, error) {
	rows, err := c.QueryContext(ctx, "SHOW MASTER STATUS")
	if err != nil {
		return Position{}, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return Position{}, errors.New("the source's binary log is off (log_bin): replication needs it")
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return Position{}, err
	}
	pos, _ := strconv.ParseInt(string(vals[1]), 10, 64)
	return Position{File: string(vals[0]), Pos: pos}, rows.Err()
}

// StartReplica makes the target a replica of the source from pos, applying
// only the databases the copy moved (source name → target name: a
// database the target names otherwise is rewritten, replicate_rewrite_db),
// and starts it. The target connects to the source with the source URL's
// address, user and password.
func StartReplica(ctx context.Context, dst, src database.Endpoint, pos Position, databases map[string]string) error {
	scfg, err := config(src, database.Source)
	if err != nil {
		return err
	}
	host, port, _ := strings.Cut(scfg.Addr, ":")
	if port == "" {
		port = "3306"
	}
	db, c, err := open(ctx, dst, database.Target)
	if err != nil {
		return err
	}
	defer db.Close()
	defer c.Close()
	var targets, rewrites []string
	for from, to := range databases {
		targets = append(targets, to)
		if from != to {
			rewrites = append(rewrites, from+"->"+to)
		}
	}
	slices.Sort(targets)
	slices.Sort(rewrites)
	for _, q := range []string{
		"STOP SLAVE",
		fmt.Sprintf("CHANGE MASTER TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, MASTER_LOG_FILE=%s, MASTER_LOG_POS=%d, MASTER_USE_GTID=no",
			literal(host), port, literal(scfg.User), literal(scfg.Passwd), literal(pos.File), pos.Pos),
		"SET GLOBAL replicate_rewrite_db = " + literal(strings.Join(rewrites, ",")),
		"SET GLOBAL replicate_do_db = " + literal(strings.Join(targets, ",")),
		"START SLAVE",
	} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("target: %s: %w", strings.SplitN(q, " MASTER_PASSWORD", 2)[0], err)
		}
	}
	return nil
}

// ReplicaStatus is the target's replication state.
type ReplicaStatus struct {
	IO, SQL bool // the replication threads run
	// Executed is the source position the target has applied up to.
	Executed Position
	// Behind is the replica's own estimate of its delay; -1 unknown.
	Behind    int64
	LastError string
}

// Replica reads the target's SHOW SLAVE STATUS.
func Replica(ctx context.Context, c *sql.Conn) (ReplicaStatus, error) {
	rows, err := c.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return ReplicaStatus{}, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return ReplicaStatus{}, errors.New("target: not a replica: was db copy --online run for this job?")
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return ReplicaStatus{}, err
	}
	get := map[string]string{}
	for i, c := range cols {
		get[c] = vals[i].String
	}
	st := ReplicaStatus{
		IO:        get["Slave_IO_Running"] == "Yes",
		SQL:       get["Slave_SQL_Running"] == "Yes",
		Executed:  Position{File: get["Relay_Master_Log_File"]},
		Behind:    -1,
		LastError: strings.TrimSpace(get["Last_SQL_Error"] + " " + get["Last_IO_Error"]),
	}
	st.Executed.Pos, _ = strconv.ParseInt(get["Exec_Master_Log_Pos"], 10, 64)
	if b, err := strconv.ParseInt(get["Seconds_Behind_Master"], 10, 64); err == nil {
		st.Behind = b
	}
	return st, rows.Err()
}

// WaitCaughtUp waits until the target has applied everything the source
// had logged when it was called, polling every interval; a replication
// thread that stopped with an error ends the wait with it.
func WaitCaughtUp(ctx context.Context, src, dst database.Endpoint, interval time.Duration) (Position, error) {
	sdb, sc, err := open(ctx, src, database.Source)
	if err != nil {
		return Position{}, err
	}
	defer sdb.Close()
	defer sc.Close()
	want, err := currentPosition(ctx, sc)
	if err != nil {
		return Position{}, fmt.Errorf("source: %w", err)
	}
	ddb, dc, err := open(ctx, dst, database.Target)
	if err != nil {
		return Position{}, err
	}
	defer ddb.Close()
	defer dc.Close()
	for {
		st, err := Replica(ctx, dc)
		if err != nil {
			return Position{}, err
		}
		if !st.SQL || !st.IO {
			return Position{}, fmt.Errorf("target: replication stopped: %s", cmp.Or(st.LastError, "no error given; SHOW SLAVE STATUS at the target"))
		}
		if st.Executed.File > want.File || st.Executed.File == want.File && st.Executed.Pos >= want.Pos {
			return want, nil
		}
		select {
		case <-ctx.Done():
			return Position{}, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// Freeze stops writes at the source server: read_only on, then every
// other client session ended, so that a session of an account that may
// bypass read_only (SUPER, READ_ONLY ADMIN: an administrator's, often the
// application's on a small install) stops too; such an account can still
// reconnect and write, which the cut-over's final comparison would show.
// The replicas' binlog dump threads are kept. It returns how many
// sessions were ended. On RDS read_only is a parameter group setting, and
// this fails saying so.
func Freeze(ctx context.Context, src database.Endpoint) (int, error) {
	if err := setReadOnly(ctx, src, "ON"); err != nil {
		return 0, err
	}
	db, c, err := open(ctx, src, database.Source)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	defer c.Close()
	rows, err := c.QueryContext(ctx, `SELECT ID FROM information_schema.PROCESSLIST
WHERE ID <> CONNECTION_ID() AND COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon') AND USER NOT IN ('system user', 'event_scheduler')`)
	if err != nil {
		return 0, fmt.Errorf("source: list the sessions to end: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	n := 0
	for _, id := range ids {
		if _, err := c.ExecContext(ctx, fmt.Sprintf("KILL CONNECTION %d", id)); err != nil {
			// RDS's master user ends sessions through its procedure.
			if _, err := c.ExecContext(ctx, fmt.Sprintf("CALL mysql.rds_kill(%d)", id)); err != nil {
				continue // gone already, or not ours to end
			}
		}
		n++
	}
	return n, nil
}

// Thaw undoes Freeze.
func Thaw(ctx context.Context, src database.Endpoint) error {
	return setReadOnly(ctx, src, "OFF")
}

func setReadOnly(ctx context.Context, src database.Endpoint, v string) error {
	db, c, err := open(ctx, src, database.Source)
	if err != nil {
		return err
	}
	defer db.Close()
	defer c.Close()
	if _, err := c.ExecContext(ctx, "SET GLOBAL read_only = "+v); err != nil {
		return fmt.Errorf("source: SET GLOBAL read_only = %s: %w (on RDS, set read_only in the instance's parameter group)", v, err)
	}
	return nil
}

// StopReplica stops the target's replication and forgets the source
// (RESET SLAVE ALL): the target stands alone, as after a cut-over.
func StopReplica(ctx context.Context, dst database.Endpoint) error {
	db, c, err := open(ctx, dst, database.Target)
	if err != nil {
		return err
	}
	defer db.Close()
	defer c.Close()
	for _, q := range []string{"STOP SLAVE", "RESET SLAVE ALL", "SET GLOBAL replicate_do_db = ''", "SET GLOBAL replicate_rewrite_db = ''"} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("target: %s: %w", q, err)
		}
	}
	return nil
}

func literal(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

package mysql

import (
	"context"
	"fmt"
	"time"

	"github.com/sortie-dev/sortie/internal/database"
)

// Replication is a MySQL or MariaDB online move's cut-over side
// (database.Replication): the target is a replica of the source.
type Replication struct {
	Src, Dst database.Endpoint
	// Poll is how often the catch-up looks at the replica (default 200 ms).
	Poll time.Duration
}

var _ database.Replication = (*Replication)(nil)

// Freeze sets the source server read-only.
func (r *Replication) Freeze(ctx context.Context) (string, error) {
	n, err := Freeze(ctx, r.Src)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("read_only = ON on the source server, %d other sessions ended", n), nil
}

// CaughtUp waits until the replica applied the source's current position.
func (r *Replication) CaughtUp(ctx context.Context) (string, error) {
	poll := r.Poll
	if poll == 0 {
		poll = 200 * time.Millisecond
	}
	pos, err := WaitCaughtUp(ctx, r.Src, r.Dst, poll)
	if err != nil {
		return "", err
	}
	return "binlog " + pos.String(), nil
}

// Sequences raises each target table's AUTO_INCREMENT counter to the
// source's where it is lower: row-based replication writes the rows'
// values, not the counters, and a source's counter can be past its
// highest row (rolled-back inserts, deleted rows).
func (r *Replication) Sequences(ctx context.Context) (int, error) {
	sdb, sc, err := open(ctx, r.Src, database.Source)
	if err != nil {
		return 0, err
	}
	defer sdb.Close()
	defer sc.Close()
	ddb, dc, err := open(ctx, r.Dst, database.Target)
	if err != nil {
		return 0, err
	}
	defer ddb.Close()
	defer dc.Close()
	sc.ExecContext(ctx, "SET SESSION information_schema_stats_expiry = 0") // MySQL 8; MariaDB has none
	rows, err := sc.QueryContext(ctx, `SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND AUTO_INCREMENT IS NOT NULL`, r.Src.Database)
	if err != nil {
		return 0, fmt.Errorf("source: read the AUTO_INCREMENT counters: %w", err)
	}
	type counter struct {
		table string
		next  int64
	}
	var cs []counter
	for rows.Next() {
		var c counter
		if err := rows.Scan(&c.table, &c.next); err != nil {
			rows.Close()
			return 0, err
		}
		cs = append(cs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, c := range cs {
		// ALTER TABLE … AUTO_INCREMENT never lowers a counter below the
		// table's highest value: setting the source's is safe.
		if _, err := dc.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s.%s AUTO_INCREMENT = %d", quote(r.Dst.Database), quote(c.table), c.next)); err != nil {
			return 0, fmt.Errorf("target: set %s's AUTO_INCREMENT: %w", c.table, err)
		}
	}
	return len(cs), nil
}

// Drop stops the replica and forgets the source.
func (r *Replication) Drop(ctx context.Context) error { return StopReplica(ctx, r.Dst) }

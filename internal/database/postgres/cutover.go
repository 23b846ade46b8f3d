package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/sortie-dev/sortie/internal/database"
)

// Replication is a PostgreSQL online move's cut-over side
// (database.Replication): its publication, slot and subscription are all
// named Name.
type Replication struct {
	Src, Dst database.Endpoint
	Name     string
	// Poll is how often the catch-up looks at the slot (default 200 ms).
	Poll time.Duration
}

var _ database.Replication = (*Replication)(nil)

// activeWait is how long the catch-up waits for the subscription's apply
// worker to be connected (PostgreSQL restarts a failed one after
// wal_retrieve_retry_interval, 5 s by default).
const activeWait = 30 * time.Second

// Freeze makes the source database read-only and ends its other sessions.
func (r *Replication) Freeze(ctx context.Context) (string, error) {
	c, err := connect(ctx, r.Src, database.Source, "sortie db cutover", nil)
	if err != nil {
		return "", err
	}
	defer c.Close(ctx)
	n, err := Freeze(ctx, c)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s read-only (default_transaction_read_only), %d other sessions ended", r.Src.Database, n), nil
}

// CaughtUp waits for the subscription to confirm the source's current
// position.
func (r *Replication) CaughtUp(ctx context.Context) (string, error) {
	c, err := connect(ctx, r.Src, database.Source, "sortie db cutover", nil)
	if err != nil {
		return "", err
	}
	defer c.Close(ctx)
	poll := r.Poll
	if poll == 0 {
		poll = 200 * time.Millisecond
	}
	// The target's apply worker may be (re)connecting: give it a while.
	for deadline := time.Now().Add(activeWait); ; {
		lag, err := ReplicationLag(ctx, c, r.Name)
		if err != nil {
			return "", err
		}
		if lag.Active {
			break
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("source: the subscription %s has not connected to its slot for %s: check the target's log (is the subscription enabled, can the target reach the source?)", r.Name, activeWait)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(poll):
		}
	}
	lsn, err := WaitCaughtUp(ctx, c, r.Name, poll)
	if err != nil {
		return "", err
	}
	return "WAL " + lsn, nil
}

// Sequences sets the target's sequences from the source's values.
func (r *Replication) Sequences(ctx context.Context) (int, error) {
	s, err := openCopy(ctx, r.Src, database.Source)
	if err != nil {
		return 0, err
	}
	defer s.Close(ctx)
	t, err := openCopy(ctx, r.Dst, database.Target)
	if err != nil {
		return 0, err
	}
	defer t.Close(ctx)
	n, err := (*copier)(nil).sequences(ctx, s, t)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(n)
}

// Drop removes the subscription, the slot and the publication.
func (r *Replication) Drop(ctx context.Context) error {
	return DropReplication(ctx, r.Src, r.Dst, r.Name)
}

// ThawDatabase undoes Freeze on the endpoint's database.
func ThawDatabase(ctx context.Context, ep database.Endpoint) error {
	c, err := connect(ctx, ep, database.Source, "sortie db abort", nil)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	return Thaw(ctx, c)
}

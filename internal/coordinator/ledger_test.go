package coordinator_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sortie-dev/sortie/internal/coordinator"
	"github.com/sortie-dev/sortie/internal/ledgertest"
	"github.com/sortie-dev/sortie/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// pool returns a pool on a fresh, migrated database of the package's
// cluster.
func pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := pgtest.Shared(t, "coordinator").Database(t)
	p, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if err := coordinator.Migrate(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

// The coordinator's ledger passes the suite the SQLite journal passes.
// The cases share a database; each has a job of its own.
func TestLedgerSuite(t *testing.T) {
	p := pool(t)
	ledgertest.Run(t, func(t *testing.T) ledgertest.Job {
		return &suiteJob{pool: p, scope: coordinator.Scope{Job: rand.Text(), Partition: 3}}
	})
}

type suiteJob struct {
	pool  *pgxpool.Pool
	scope coordinator.Scope
}

// suiteLedger gives the ledger the suite's Flush and Close; the scope's
// Recovering is cleared after a clean end, as River starts a new job's
// partition at its first attempt.
type suiteLedger struct {
	*coordinator.Ledger
	job *suiteJob
}

func (s suiteLedger) Flush() error { return s.Ledger.Flush(context.Background()) }
func (s suiteLedger) Close() error {
	s.job.scope.Recovering = false
	return s.Ledger.Close(context.Background())
}

func (j *suiteJob) Open(t *testing.T) ledgertest.Ledger {
	l, err := coordinator.OpenLedger(context.Background(), j.pool, j.scope)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(context.Background()) })
	return suiteLedger{Ledger: l, job: j}
}

// Kill makes the next attempt a recovering one, as River's attempt after
// a rescued job is.
func (j *suiteJob) Kill(t *testing.T, l ledgertest.Ledger) {
	if err := l.(suiteLedger).Ledger.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	j.scope.Recovering = true
}

var suiteStates = map[int]ledgertest.State{coordinator.StateStarted: ledgertest.Started, coordinator.StateDone: ledgertest.Done,
	coordinator.StateFailed: ledgertest.Failed, coordinator.StateDeleted: ledgertest.Deleted}

func (j *suiteJob) Object(t *testing.T, key string) (ledgertest.Object, bool) {
	t.Helper()
	var o ledgertest.Object
	var state int
	err := j.pool.QueryRow(context.Background(), `SELECT state, size, src_etag, dst_etag, reason, attempts
		FROM sortie_objects WHERE job = $1 AND key = $2`, j.scope.Job, key).
		Scan(&state, &o.Size, &o.SrcETag, &o.DstETag, &o.Reason, &o.Attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return ledgertest.Object{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	o.State = suiteStates[state]
	return o, true
}

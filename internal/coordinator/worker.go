package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/transfer"
)

// DefaultLease is how long a partition's worker may be silent before
// another takes the partition over.
//
// River rescues a job only once its JobTimeout has passed, and a partition
// takes as long as its bytes do (a 5 TB object, hours), so the liveness of
// a partition's worker is sortie's own: the worker holds the partition's
// advisory lock on a session of its own and beats a heartbeat in
// sortie_leases every Lease/5. Every worker hands back the running
// partitions whose heartbeat is older than Lease (takeOver), as River's
// rescuer would, and a worker that takes one whose silent worker's
// session lingers (cut off, not killed) ends that session.
const DefaultLease = 5 * time.Minute

// Task is one attempt at one partition, handed to the caller's RunFunc,
// which copies the partition's keys with Ledger as the run's ledger and
// Listener among its listeners.
type Task struct {
	Job       Job
	Run       int
	Partition Partition
	Attempt   int
	Ledger    *Ledger
	// Listener counts what the attempt does, for its heartbeat (what
	// sortie jobs show reads of a partition in progress).
	Listener event.Listener
}

// RunFunc runs one attempt at a partition. It returns an error only for
// what stops the whole attempt (a failed listing, a source refusing the
// worker); failures of single objects are in the summary.
type RunFunc func(ctx context.Context, t Task) (*transfer.Summary, error)

// WorkerOptions configure a worker.
type WorkerOptions struct {
	// Name identifies the worker in the leases, the results and River's
	// jobs; default HOST:PID.
	Name string
	// Partitions is how many partitions the worker works at once;
	// default 1 (each partition's run has its own --workers).
	Partitions int
	// Lease: see DefaultLease. Every worker of a job should use the same.
	Lease time.Duration
	Run   RunFunc
	Log   *slog.Logger
	// Finished, if set, is told of each attempt's end: its result when
	// it ran to the end (recorded), else the error that stopped it.
	Finished func(t Task, r *Result, err error)
}

// Worker works partitions until stopped.
type Worker struct {
	client *river.Client[pgx.Tx]
	stop   context.CancelFunc
	done   chan struct{} // closed when the takeover loop returned
}

// StartWorker starts working the coordinator's partitions in the
// background; Stop it.
func (c *Coordinator) StartWorker(ctx context.Context, o WorkerOptions) (*Worker, error) {
	if o.Name == "" {
		host, _ := os.Hostname()
		o.Name = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	o.Partitions = max(o.Partitions, 1)
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &partitionWorker{c: c, o: o}); err != nil {
		return nil, err
	}
	client, err := river.NewClient(riverpgxv5.New(c.pool), &river.Config{
		ID:      o.Name,
		Queues:  map[string]river.QueueConfig{Queue: {MaxWorkers: o.Partitions}},
		Workers: workers,
		// A partition takes as long as its bytes do: no timeout, and so no
		// rescue by River; the lease guards it (see DefaultLease).
		JobTimeout:  -1,
		MaxAttempts: MaxAttempts,
		// A run's partitions are its record (sortie jobs show, the SQL of
		// docs/coordinator.md): River's cleaner must not delete them after
		// a day, in the middle of a multi-day run.
		CompletedJobRetentionPeriod: -1,
		CancelledJobRetentionPeriod: -1,
		DiscardedJobRetentionPeriod: -1,
		// River's own messages at info are routine (leadership, queues).
		Logger: slog.New(warnOnly{o.Log.Handler()}),
	})
	if err != nil {
		return nil, fmt.Errorf("start the worker: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		return nil, fmt.Errorf("start the worker: %w", err)
	}
	lctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	w := &Worker{client: client, stop: stop, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(max(o.Lease/5, time.Second))
		defer t.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-t.C:
			}
			if err := c.takeOver(lctx, o); err != nil && lctx.Err() == nil {
				o.Log.Warn("hand back the partitions of silent workers", "err", err)
			}
		}
	}()
	return w, nil
}

// Stop stops taking partitions and cancels those in progress, whose next
// attempt (on any worker) continues from the ledger; it returns when they
// have stopped.
func (w *Worker) Stop(ctx context.Context) error {
	w.stop()
	<-w.done
	return w.client.StopAndCancel(ctx)
}

// takeOverSQL hands back the running partitions whose worker's heartbeat
// is older than the lease (or that have none, well after their attempt
// began): the same change of River's job row River's own rescuer makes
// (JobRescueMany in riverdriver/riverpgxv5: an error appended, the rescue
// counted, retryable now, or discarded at the last attempt, or cancelled
// if a cancel was asked).
const takeOverSQL = `
UPDATE river_job j SET
	state = CASE WHEN j.metadata ? 'cancel_attempted_at' THEN 'cancelled'::river_job_state
		WHEN j.attempt >= j.max_attempts THEN 'discarded'::river_job_state
		ELSE 'retryable'::river_job_state END,
	finalized_at = CASE WHEN j.metadata ? 'cancel_attempted_at' OR j.attempt >= j.max_attempts THEN now() END,
	scheduled_at = now(),
	errors = array_append(j.errors, jsonb_build_object('at', now(), 'attempt', j.attempt, 'trace', '',
		'error', 'the worker ' || coalesce(j.attempted_by[array_length(j.attempted_by, 1)], '?') || ' stopped its heartbeat; the partition is handed to another')),
	metadata = j.metadata || jsonb_build_object('river:rescue_count', coalesce((j.metadata->>'river:rescue_count')::int, 0) + 1)
WHERE j.kind = $1 AND j.state = 'running' AND j.attempted_at < now() - $2 * interval '1 second'
	AND NOT EXISTS (SELECT 1 FROM sortie_leases l
		WHERE l.job = j.args->>'job' AND l.partition = (j.args->>'partition')::int AND l.beat > now() - $2 * interval '1 second')
RETURNING j.args->>'job', (j.args->>'partition')::int`

func (c *Coordinator) takeOver(ctx context.Context, o WorkerOptions) error {
	rows, err := c.pool.Query(ctx, takeOverSQL, PartitionArgs{}.Kind(), o.Lease.Seconds())
	if err != nil {
		return err
	}
	var job string
	var part int
	_, err = pgx.ForEachRow(rows, []any{&job, &part}, func() error {
		o.Log.Warn("a partition's worker stopped its heartbeat; the partition goes to another worker", "job", job, "partition", part)
		return nil
	})
	return err
}

// warnOnly passes on warnings and errors only.
type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

type partitionWorker struct {
	river.WorkerDefaults[PartitionArgs]
	c *Coordinator
	o WorkerOptions
}

// NextRetry implements river.Worker: an attempt that stopped is tried
// again soon (10 s, 40 s, 90 s, …), not on River's default schedule of
// hours, since a run is waiting for it.
func (w *partitionWorker) NextRetry(job *river.Job[PartitionArgs]) time.Time {
	return time.Now().Add(time.Duration(job.Attempt*job.Attempt) * 10 * time.Second)
}

// errHeld says another worker holds the partition's lease.
var errHeld = errors.New("another worker holds the partition")

// errLeaseLost cancels an attempt whose heartbeat failed.
var errLeaseLost = errors.New("the partition's lease was lost (the coordinator database is unreachable, or another worker took it over)")

// errSuperseded says River's row no longer records this attempt as the
// running one: another attempt's report changed it.
var errSuperseded = errors.New("the partition's job row no longer records this attempt as running")

// ErrSetup wraps what a RunFunc returns when the partition cannot be run
// on this worker at all (a profile missing from its AWS config, a store it
// cannot reach): the partition goes back to the queue for other workers
// without using an attempt, instead of being discarded by a worker that
// fails every partition in a millisecond.
var ErrSetup = errors.New("this worker cannot run the job")

// setupHold is how long a worker that could not set a partition up keeps
// its slot before handing the partition back: it takes at most
// --partitions-at-once partitions per setupHold, so the workers that can
// run them get them, and none is delayed by more than that.
const setupHold = 5 * time.Second

func (w *partitionWorker) Work(ctx context.Context, rj *river.Job[PartitionArgs]) error {
	a := rj.Args
	job, part, runState, err := w.c.load(ctx, a)
	if err != nil {
		return err
	}
	if runState != "running" {
		// A partition of a run that ended (interrupted, taken over by a
		// later run): nothing waits for it.
		return river.JobCancel(fmt.Errorf("run %d of job %s has ended (%s)", a.Run, a.Job, runState))
	}
	l, err := w.c.acquire(ctx, a, w.o)
	if errors.Is(err, errHeld) {
		// The partition's holder is alive: it went back to the queue by a
		// stale report. Look again soon; the holder completes it.
		return river.JobSnooze(max(w.o.Lease/5, time.Second))
	}
	if err != nil {
		return err
	}
	defer l.release()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	beats := l.heartbeat(ctx, cancel)
	defer beats()

	ledger, err := OpenLedger(ctx, w.c.pool, Scope{Job: a.Job, Partition: a.Partition, Recovering: rj.Attempt > 1 || a.Recover})
	if err != nil {
		return err
	}
	task := Task{Job: job, Run: a.Run, Partition: part, Attempt: rj.Attempt, Ledger: ledger, Listener: &l.counts}
	sum, runErr := w.o.Run(ctx, task)
	lost := errors.Is(context.Cause(ctx), errLeaseLost)
	if runErr == nil {
		runErr = ctx.Err()
	}
	if lost {
		runErr = errLeaseLost
	}
	if runErr != nil {
		// What it did is kept for the next attempt, which continues.
		ledger.Close(ctx)
		w.finished(task, nil, runErr)
		switch {
		case errors.Is(runErr, ErrSetup):
			select {
			case <-ctx.Done():
			case <-time.After(setupHold):
			}
			return river.JobSnooze(0)
		case lost:
			// Not the partition's fault (a database failover, or this
			// worker cut off and taken over): no attempt is used.
			return river.JobSnooze(0)
		}
		return runErr
	}
	result := ResultOf(sum)
	res, err := json.Marshal(result)
	if err != nil {
		ledger.Close(ctx)
		return err
	}
	// The partition's last ledger records, its result and its completion
	// commit together, or not at all (the next attempt then finds the
	// objects copied and records them) — on the lease's own session, so
	// that a commit proves the session holding the partition's lock was
	// alive; the heartbeat stops first, as it shares that session.
	beats()
	err = pgx.BeginFunc(ctx, l.conn, func(tx pgx.Tx) error {
		var held bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sortie_leases WHERE job = $1 AND partition = $2 AND backend = pg_backend_pid())`,
			a.Job, a.Partition).Scan(&held); err != nil {
			return err
		}
		if !held {
			return errLeaseLost
		}
		// River's completion checks the row is running, not whose attempt
		// it is: check both, locking the row until the commit.
		var state string
		var attempt int
		if err := tx.QueryRow(ctx, `SELECT state::text, attempt FROM river_job WHERE id = $1 FOR UPDATE`, rj.ID).Scan(&state, &attempt); err != nil {
			return err
		}
		if state != "running" || attempt != rj.Attempt {
			return errSuperseded
		}
		if err := ledger.FlushTx(ctx, tx); err != nil {
			return err
		}
		// The first result of a partition in a run stands.
		if _, err := tx.Exec(ctx, `INSERT INTO sortie_results (job, run, partition, worker, attempt, result) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (job, run, partition) DO NOTHING`, a.Job, a.Run, a.Partition, w.o.Name, rj.Attempt, res); err != nil {
			return err
		}
		done, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, rj)
		if err != nil {
			return err
		}
		if done.State != rivertype.JobStateCompleted {
			return errSuperseded
		}
		return nil
	})
	if cerr := ledger.Close(ctx); err == nil {
		err = cerr
	}
	if errors.Is(err, errSuperseded) || errors.Is(err, errLeaseLost) {
		// Another attempt owns the row now; the partition will be run
		// again, and find its objects copied.
		w.finished(task, nil, err)
		return river.JobSnooze(0)
	}
	if err != nil {
		err = fmt.Errorf("record partition %d of job %s: %w", a.Partition, a.Job, err)
		w.finished(task, nil, err)
		return err
	}
	w.finished(task, &result, nil)
	return nil
}

func (w *partitionWorker) finished(t Task, r *Result, err error) {
	if w.o.Finished != nil {
		w.o.Finished(t, r, err)
	}
}

// load reads the job and the partition of a, and the state of a's run.
func (c *Coordinator) load(ctx context.Context, a PartitionArgs) (Job, Partition, string, error) {
	j := Job{ID: a.Job}
	p := Partition{Number: a.Partition}
	var through, inventory *string
	var spec []byte
	var state string
	err := c.pool.QueryRow(ctx, `SELECT j.command, j.source, j.destination, j.spec, p.after, p.through, p.inventory, coalesce(r.state, 'unknown')
		FROM sortie_jobs j JOIN sortie_partitions p USING (job) LEFT JOIN sortie_runs r ON r.job = j.job AND r.run = $3
		WHERE j.job = $1 AND p.partition = $2`, a.Job, a.Partition, a.Run).
		Scan(&j.Command, &j.Source, &j.Destination, &spec, &p.Range.After, &through, &inventory, &state)
	if err != nil {
		return j, p, "", fmt.Errorf("read partition %d of job %s: %w", a.Partition, a.Job, err)
	}
	j.Spec = spec
	if through != nil {
		p.Range.Through = *through
	}
	if inventory != nil {
		p.Inventory = *inventory
	}
	return j, p, state, nil
}

// lease is a partition held by this worker: a session of its own holding
// the partition's advisory lock, which PostgreSQL releases when the
// session ends (the worker killed, its connection lost), and the
// partition's row in sortie_leases, whose heartbeat says the session's
// worker is still alive.
type lease struct {
	conn    *pgx.Conn
	backend int // the session's process ID
	job     string
	part    int
	every   time.Duration
	counts  counter
}

// lockKey is the first half of a partition's advisory lock: the job's;
// non-negative, so that it reads the same in pg_locks.classid (an oid).
func lockKey(job string) int32 {
	h := fnv.New32a()
	h.Write([]byte(job))
	return int32(h.Sum32() & 0x7fffffff)
}

func (c *Coordinator) acquire(ctx context.Context, a PartitionArgs, o WorkerOptions) (*lease, error) {
	conn, err := pgx.ConnectConfig(ctx, c.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("connect for the lease of partition %d: %w", a.Partition, err)
	}
	l := &lease{conn: conn, job: a.Job, part: a.Partition, every: max(o.Lease/5, time.Second)}
	for try := 0; ; try++ {
		var got bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, lockKey(a.Job), a.Partition).Scan(&got); err != nil {
			conn.Close(ctx)
			return nil, fmt.Errorf("lock partition %d: %w", a.Partition, err)
		}
		if got {
			break
		}
		// Held: by a live worker, or by the session of one cut off, whose
		// heartbeat stopped and whose session PostgreSQL has not noticed
		// is gone. That session — the one pg_locks says holds the lock,
		// when the lease row names it and its beat is stale — is ended,
		// which frees the lock.
		var holder int
		var stale bool
		err := conn.QueryRow(ctx, `SELECT k.pid, l.beat < now() - $3 * interval '1 second'
			FROM pg_locks k JOIN sortie_leases l ON l.backend = k.pid AND l.job = $4 AND l.partition = $2
			WHERE k.locktype = 'advisory' AND k.classid::bigint = $1 AND k.objid::bigint = $2 AND k.objsubid = 2 AND k.granted`,
			lockKey(a.Job), a.Partition, o.Lease.Seconds(), a.Job).Scan(&holder, &stale)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) || !stale || try >= 20 {
			conn.Close(ctx)
			return nil, errHeld
		}
		if try == 0 {
			o.Log.Warn("taking over a partition whose worker stopped its heartbeat", "job", a.Job, "partition", a.Partition, "backend", holder)
			if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend($1)`, holder); err != nil {
				conn.Close(ctx)
				return nil, fmt.Errorf("end the session of partition %d's silent worker: %w", a.Partition, err)
			}
		}
		select {
		case <-ctx.Done():
			conn.Close(context.WithoutCancel(ctx))
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	err = conn.QueryRow(ctx, `INSERT INTO sortie_leases (job, partition, run, worker, backend) VALUES ($1, $2, $3, $4, pg_backend_pid())
		ON CONFLICT (job, partition) DO UPDATE SET run = excluded.run, worker = excluded.worker, backend = excluded.backend,
			started = now(), beat = now(), objects = 0, bytes = 0, failed = 0, released = false
		RETURNING backend`, a.Job, a.Partition, a.Run, o.Name).Scan(&l.backend)
	if err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("record the lease of partition %d: %w", a.Partition, err)
	}
	return l, nil
}

// heartbeat renews the lease until the returned func is called; a renewal
// that fails cancels the attempt with errLeaseLost.
func (l *lease) heartbeat(ctx context.Context, cancel context.CancelCauseFunc) (stop func()) {
	done := make(chan struct{})
	quit := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(l.every)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			bctx, bcancel := context.WithTimeout(ctx, l.every)
			tag, err := l.conn.Exec(bctx, `UPDATE sortie_leases SET beat = now(), objects = $3, bytes = $4, failed = $5
				WHERE job = $1 AND partition = $2 AND backend = pg_backend_pid()`,
				l.job, l.part, l.counts.objects.Load(), l.counts.bytes.Load(), l.counts.failed.Load())
			bcancel()
			if err != nil || tag.RowsAffected() != 1 {
				cancel(errLeaseLost)
				return
			}
		}
	}()
	return sync.OnceFunc(func() {
		close(quit)
		<-done
	})
}

// release gives the partition up. The row stays, marked released with a
// fresh beat, so that no worker takes the partition over in the moment
// before River records how the attempt ended.
func (l *lease) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l.conn.Exec(ctx, `UPDATE sortie_leases SET released = true, beat = now(), objects = $3, bytes = $4, failed = $5
		WHERE job = $1 AND partition = $2 AND backend = pg_backend_pid()`,
		l.job, l.part, l.counts.objects.Load(), l.counts.bytes.Load(), l.counts.failed.Load())
	l.conn.Close(ctx) // ends the session, and with it the lock
}

// counter counts an attempt's confirmed copies and failures.
type counter struct {
	objects, bytes, failed atomic.Int64
}

func (c *counter) Event(e event.Event) {
	switch e.Kind {
	case event.Copied:
		c.objects.Add(1)
		c.bytes.Add(e.Size)
	case event.Failed:
		c.failed.Add(1)
	}
}

package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/sortie-dev/sortie/internal/listing"
	"github.com/sortie-dev/sortie/internal/transfer"
)

// Job is what every worker needs to run a job's partitions: its identity
// (the same ID the journal of a single-machine run would have), and Spec,
// the caller's own description of the run (sides, profiles, options),
// which this package keeps and hands back without reading it.
type Job struct {
	ID          string
	Command     string // copy, sync
	Source      string
	Destination string
	Spec        json.RawMessage
}

// Partition is one part of a job: the keys of Range, or with Inventory the
// objects one file of an S3 Inventory report lists (within Range).
type Partition struct {
	Number    int
	Range     listing.Range
	Inventory string
}

// PartitionArgs are a River job's arguments: one partition of one run of a
// job. Unique by all three, so that enqueuing a run twice adds nothing and
// every run re-enqueues each partition.
type PartitionArgs struct {
	Job       string `json:"job"`
	Run       int    `json:"run"`
	Partition int    `json:"partition"`
	// Recover says the job's previous run did not end cleanly: its last
	// ledger records may be lost, so the first attempt recovers too.
	Recover bool `json:"recover,omitempty"`
}

// Kind implements river.JobArgs.
func (PartitionArgs) Kind() string { return "sortie_partition" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PartitionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: MaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

const (
	// Queue is the River queue of sortie's partitions.
	Queue = "sortie"
	// MaxAttempts bounds the attempts at a partition whose run stops
	// (a listing that fails, a source that refuses the worker) before
	// River discards it and the job's run reports it failed. A worker
	// that is killed or stopped costs no attempt of its own beyond the
	// one it was on.
	MaxAttempts = 5
)

// Coordinator is a connection to the coordinator's database.
type Coordinator struct {
	pool *pgxpool.Pool
	// river inserts and cancels jobs; it works none.
	river *river.Client[pgx.Tx]
}

// CheckURL says whether url is a PostgreSQL URL, without connecting.
func CheckURL(url string) error {
	if _, err := pgxpool.ParseConfig(url); err != nil {
		return errNotURL
	}
	return nil
}

// errNotURL does not quote the URL, which may hold a password.
var errNotURL = errors.New("not a PostgreSQL URL: give postgres://USER@HOST:PORT/DATABASE, with the password in PGPASSWORD or ~/.pgpass")

// Open connects to the coordinator's database at url and migrates it (the
// sortie_ tables and River's). Close it when done.
func Open(ctx context.Context, url string) (*Coordinator, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, errNotURL
	}
	cfg.MaxConns = max(cfg.MaxConns, 8)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		// The network's own error says it best; pgx's repeats it per address.
		var ne *net.OpError
		if errors.As(err, &ne) {
			err = ne
		}
		return nil, fmt.Errorf("connect to the coordinator database %s@%s:%d/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &Coordinator{pool: pool, river: client}, nil
}

// Pool is the coordinator's connection pool.
func (c *Coordinator) Pool() *pgxpool.Pool { return c.pool }

// Close closes the connections.
func (c *Coordinator) Close() { c.pool.Close() }

// Planner plans a new job's partitions; it is called only at a job's first
// run.
type Planner func(ctx context.Context) ([]Partition, error)

// Run is one run of a job: what StartRun enqueued.
type Run struct {
	Job        string
	Number     int
	Partitions int
	// Recovering says the previous run did not end cleanly.
	Recovering bool
	Started    time.Time
	// waiter holds the run's waiter lock until EndRun: a second process
	// starting the job meanwhile is refused instead of taking over.
	waiter *pgx.Conn
}

// ErrRunWaited says another process is waiting for the job's last run.
var ErrRunWaited = errors.New("another sortie process is running this job")

// StartRun records job (the first time: with the partitions plan returns),
// starts a new run of it and enqueues each partition as a River job. A
// previous run still recorded as running lost the process that waited for
// it (stopped, killed): it is ended as interrupted and its partitions not
// yet finished are cancelled, and this run takes over.
func (c *Coordinator) StartRun(ctx context.Context, job Job, plan Planner) (*Run, error) {
	var run Run
	// The waiter lock: held by the process that waits for the job's run,
	// on a session of its own, freed when that process ends.
	waiter, err := pgx.ConnectConfig(ctx, c.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("start a run of job %s: %w", job.ID, err)
	}
	var got bool
	if err := waiter.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, -1)`, lockKey(job.ID)).Scan(&got); err != nil || !got {
		waiter.Close(ctx)
		if err == nil {
			err = fmt.Errorf("%w: wait for it (sortie jobs show %s --coordinator …), or stop it and run this again", ErrRunWaited, job.ID)
		}
		return nil, fmt.Errorf("start a run of job %s: %w", job.ID, err)
	}
	run.waiter = waiter
	err = pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		// One StartRun of a job at a time: the job's row is the lock.
		_, err := tx.Exec(ctx, `INSERT INTO sortie_jobs (job, command, source, destination, spec) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (job) DO UPDATE SET spec = excluded.spec`, job.ID, job.Command, job.Source, job.Destination, []byte(job.Spec))
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM sortie_partitions WHERE job = $1`, job.ID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			parts, err := plan(ctx)
			if err != nil {
				return err
			}
			if len(parts) == 0 {
				return errors.New("the plan has no partitions")
			}
			rows := make([][]any, len(parts))
			for i, p := range parts {
				rows[i] = []any{job.ID, p.Number, p.Range.After, nullable(p.Range.Through), nullable(p.Inventory)}
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"sortie_partitions"}, []string{"job", "partition", "after", "through", "inventory"}, pgx.CopyFromRows(rows)); err != nil {
				return fmt.Errorf("record the partitions: %w", err)
			}
			n = len(parts)
		}
		var last int
		var lastState string
		err = tx.QueryRow(ctx, `SELECT run, state FROM sortie_runs WHERE job = $1 ORDER BY run DESC LIMIT 1`, job.ID).Scan(&last, &lastState)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if lastState == "running" {
			// The previous run's waiting process was killed (it holds the
			// waiter lock while it lives); its partitions' River jobs are
			// cancelled so that they stop being worked for a run nobody
			// waits for, and this run takes over.
			if err := c.cancelRun(ctx, tx, job.ID, last); err != nil {
				return err
			}
		}
		run = Run{Job: job.ID, Number: last + 1, Partitions: n, Recovering: last > 0 && lastState != "done", waiter: waiter}
		if err := tx.QueryRow(ctx, `INSERT INTO sortie_runs (job, run) VALUES ($1, $2) RETURNING started`, job.ID, run.Number).Scan(&run.Started); err != nil {
			return err
		}
		params := make([]river.InsertManyParams, n)
		for i := range n {
			params[i] = river.InsertManyParams{Args: PartitionArgs{Job: job.ID, Run: run.Number, Partition: i, Recover: run.Recovering}}
		}
		if _, err := c.river.InsertManyFastTx(ctx, tx, params); err != nil {
			return fmt.Errorf("enqueue the partitions: %w", err)
		}
		return nil
	})
	if err != nil {
		waiter.Close(ctx)
		return nil, fmt.Errorf("start a run of job %s: %w", job.ID, err)
	}
	return &run, nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// cancelRun marks a run interrupted and cancels its partitions that are
// not finished. River's jobs in flight are cancelled by River's own
// means: a running one is told through its client, which stops it.
func (c *Coordinator) cancelRun(ctx context.Context, tx pgx.Tx, job string, run int) error {
	if _, err := tx.Exec(ctx, `UPDATE sortie_runs SET state = 'interrupted', ended = now() WHERE job = $1 AND run = $2 AND state = 'running'`, job, run); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT id FROM river_job WHERE kind = $1 AND args->>'job' = $2 AND (args->>'run')::int = $3
		AND state NOT IN ('completed', 'cancelled', 'discarded')`, PartitionArgs{}.Kind(), job, run)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	for _, id := range ids {
		if _, err := c.river.JobCancelTx(ctx, tx, id); err != nil {
			return fmt.Errorf("cancel partition job %d of run %d: %w", id, run, err)
		}
	}
	return nil
}

// EndRun records how a run ended: "done" (every partition completed),
// "failed" or "interrupted".
func (c *Coordinator) EndRun(ctx context.Context, r *Run, state string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opTimeout)
	defer cancel()
	err := pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		// Partitions left unfinished (of a run that stopped, or left
		// queued by a stale report after their result was in) stop here.
		if err := c.cancelRun(ctx, tx, r.Job, r.Number); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE sortie_runs SET state = $3, ended = now() WHERE job = $1 AND run = $2`, r.Job, r.Number, state)
		return err
	})
	if r.waiter != nil {
		r.waiter.Close(ctx)
		r.waiter = nil
	}
	if err != nil {
		return fmt.Errorf("record the end of run %d of job %s: %w", r.Number, r.Job, err)
	}
	return nil
}

// Progress is where a run stands.
type Progress struct {
	Partitions, Done, Running, Waiting, Retrying, Failed int
	// Objects, Bytes and FailedObjects count the finished partitions'
	// copied objects and those the running ones report at their last
	// heartbeat.
	Objects, Bytes, FailedObjects int64
	// Workers are the workers holding a partition now.
	Workers []string
	// Errors holds the last error of each partition that River retries
	// or discarded, by partition.
	Errors map[int]string
}

// Finished says every partition completed, or was given up.
func (p Progress) Finished() bool { return p.Done+p.Failed == p.Partitions }

// RunProgress reads where r stands, from River's jobs, the results and
// the leases.
func (c *Coordinator) RunProgress(ctx context.Context, r *Run) (Progress, error) {
	p := Progress{Partitions: r.Partitions, Errors: map[int]string{}}
	// Done counts results, not River's rows: the first result of a
	// partition in a run is its record.
	rows, err := c.pool.Query(ctx, `SELECT (j.args->>'partition')::int, j.state::text,
			coalesce(j.errors[array_length(j.errors, 1)]->>'error', ''),
			EXISTS (SELECT 1 FROM sortie_results s WHERE s.job = $2 AND s.run = $3 AND s.partition = (j.args->>'partition')::int)
		FROM river_job j WHERE j.kind = $1 AND j.args->>'job' = $2 AND (j.args->>'run')::int = $3`,
		PartitionArgs{}.Kind(), r.Job, r.Number)
	if err != nil {
		return p, fmt.Errorf("read the progress of job %s: %w", r.Job, err)
	}
	var part int
	var state, lastErr string
	var finished bool
	_, err = pgx.ForEachRow(rows, []any{&part, &state, &lastErr, &finished}, func() error {
		switch {
		case finished:
			p.Done++
			return nil
		case state == "running":
			p.Running++
		case state == "retryable":
			p.Retrying++
		case state == "discarded" || state == "cancelled":
			p.Failed++
		default:
			p.Waiting++
		}
		if lastErr != "" {
			p.Errors[part] = lastErr
		}
		return nil
	})
	if err != nil {
		return p, fmt.Errorf("read the progress of job %s: %w", r.Job, err)
	}
	err = c.pool.QueryRow(ctx, `SELECT coalesce(sum((result->>'copied')::bigint), 0), coalesce(sum((result->>'copied_bytes')::bigint), 0),
			coalesce(sum(jsonb_array_length(coalesce(result->'failed', '[]'))), 0)
		FROM sortie_results WHERE job = $1 AND run = $2`, r.Job, r.Number).Scan(&p.Objects, &p.Bytes, &p.FailedObjects)
	if err != nil {
		return p, fmt.Errorf("read the results of job %s: %w", r.Job, err)
	}
	var objs, bytes, failed int64
	var workers []string
	err = c.pool.QueryRow(ctx, `SELECT coalesce(sum(objects), 0), coalesce(sum(bytes), 0), coalesce(sum(failed), 0), coalesce(array_agg(DISTINCT worker), '{}')
		FROM sortie_leases WHERE job = $1 AND run = $2 AND NOT released`, r.Job, r.Number).Scan(&objs, &bytes, &failed, &workers)
	if err != nil {
		return p, fmt.Errorf("read the leases of job %s: %w", r.Job, err)
	}
	p.Objects, p.Bytes, p.FailedObjects, p.Workers = p.Objects+objs, p.Bytes+bytes, p.FailedObjects+failed, workers
	return p, nil
}

// Wait polls r every interval until every partition finished (or ctx
// ends), calling report with each reading. A reading that fails (the
// database restarting, failing over) is tried again, and told to
// unreachable once per outage: the workers go on meanwhile, and ending
// the run for it would cancel their work.
func (c *Coordinator) Wait(ctx context.Context, r *Run, every time.Duration, report func(Progress), unreachable func(error)) (Progress, error) {
	t := time.NewTicker(every)
	defer t.Stop()
	var last Progress
	down := false
	for {
		p, err := c.RunProgress(ctx, r)
		switch {
		case err != nil && ctx.Err() != nil:
			return last, ctx.Err()
		case err != nil:
			if !down && unreachable != nil {
				unreachable(err)
			}
			down = true
		default:
			down, last = false, p
			if report != nil {
				report(p)
			}
			if p.Finished() {
				return p, nil
			}
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-t.C:
		}
	}
}

// Result is what one partition's run did, as the worker that finished it
// recorded it: transfer.Summary's counts, with failures as text.
type Result struct {
	SrcObjects      int64     `json:"source_objects"`
	SrcBytes        int64     `json:"source_bytes"`
	Copied          int64     `json:"copied"`
	CopiedBytes     int64     `json:"copied_bytes"`
	Updated         int64     `json:"updated"`
	MetadataUpdated int64     `json:"metadata_updated"`
	Unchanged       int64     `json:"unchanged"`
	UnchangedBytes  int64     `json:"unchanged_bytes"`
	Deleted         int64     `json:"deleted"`
	DeleteRefused   string    `json:"delete_refused,omitempty"`
	Failed          []Failure `json:"failed,omitempty"`
	Quirks          []string  `json:"quirks,omitempty"`
	Locked          int64     `json:"locked,omitempty"`
	Compliance      int64     `json:"compliance,omitempty"`
	ComplianceUntil time.Time `json:"compliance_until,omitzero"`
	LockDropped     int64     `json:"lock_dropped,omitempty"`
	Encrypted       int64     `json:"encrypted,omitempty"`
	Seconds         float64   `json:"seconds"`
}

// Failure is an object a partition's run gave up on.
type Failure struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// ResultOf turns a run's summary into a Result.
func ResultOf(s *transfer.Summary) Result {
	r := Result{SrcObjects: s.SrcObjects, SrcBytes: s.SrcBytes, Copied: s.Copied, CopiedBytes: s.CopiedBytes, Updated: s.Updated,
		MetadataUpdated: s.MetadataUpdated, Unchanged: s.Unchanged, UnchangedBytes: s.UnchangedBytes, Deleted: s.Deleted,
		DeleteRefused: s.DeleteRefused, Quirks: s.Quirks, Locked: s.Locked, Compliance: s.Compliance, ComplianceUntil: s.ComplianceUntil,
		LockDropped: s.LockDropped, Encrypted: s.Encrypted, Seconds: s.Elapsed.Seconds()}
	for _, f := range s.Failed {
		r.Failed = append(r.Failed, Failure{Key: f.Key, Reason: f.Err.Error()})
	}
	return r
}

// Summary adds up the results of a run's partitions into one
// transfer.Summary, as a single-machine run of the whole job reports.
// Elapsed is left to the caller (the run's wall time, not the sum).
func (c *Coordinator) Summary(ctx context.Context, r *Run) (*transfer.Summary, error) {
	rows, err := c.pool.Query(ctx, `SELECT result FROM sortie_results WHERE job = $1 AND run = $2 ORDER BY partition`, r.Job, r.Number)
	if err != nil {
		return nil, fmt.Errorf("read the results of job %s: %w", r.Job, err)
	}
	results, err := pgx.CollectRows(rows, pgx.RowTo[Result])
	if err != nil {
		return nil, fmt.Errorf("read the results of job %s: %w", r.Job, err)
	}
	s := &transfer.Summary{}
	var refused []string
	for _, x := range results {
		s.SrcObjects += x.SrcObjects
		s.SrcBytes += x.SrcBytes
		s.Copied += x.Copied
		s.CopiedBytes += x.CopiedBytes
		s.Updated += x.Updated
		s.MetadataUpdated += x.MetadataUpdated
		s.Unchanged += x.Unchanged
		s.UnchangedBytes += x.UnchangedBytes
		s.Deleted += x.Deleted
		s.Locked += x.Locked
		s.Compliance += x.Compliance
		s.LockDropped += x.LockDropped
		s.Encrypted += x.Encrypted
		if x.ComplianceUntil.After(s.ComplianceUntil) {
			s.ComplianceUntil = x.ComplianceUntil
		}
		if x.DeleteRefused != "" {
			refused = append(refused, x.DeleteRefused)
		}
		for _, q := range x.Quirks {
			if !slices.Contains(s.Quirks, q) {
				s.Quirks = append(s.Quirks, q)
			}
		}
		for _, f := range x.Failed {
			s.Failed = append(s.Failed, transfer.Failure{Key: f.Key, Err: errors.New(f.Reason)})
		}
	}
	if len(refused) > 0 {
		s.DeleteRefused = fmt.Sprintf("%d of the job's partitions deleted nothing: %s", len(refused), strings.Join(slices.Compact(refused), "; "))
	}
	slices.SortFunc(s.Failed, func(a, b transfer.Failure) int { return strings.Compare(a.Key, b.Key) })
	return s, nil
}

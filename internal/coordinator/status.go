package coordinator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// JobInfo is one job as sortie jobs lists it: what the ledger holds of
// every run, and the last run.
type JobInfo struct {
	ID, Command, Source, Destination string
	Created                          time.Time
	Partitions                       int
	Runs                             int
	// LastRun is the last run's number, state (running, done, failed,
	// interrupted) and times; Ended is zero while it runs.
	LastRun        int
	State          string
	Started, Ended time.Time
	// The ledger's objects by state, across runs, and the uploads it
	// keeps for resuming.
	Done, DoneBytes, Failed, InProgress, Uploads int64
}

// ErrNoJob says no job has the ID asked for.
var ErrNoJob = errors.New("no such job in the coordinator")

const jobInfoSQL = `
SELECT j.job, j.command, j.source, j.destination, j.created,
	(SELECT count(*) FROM sortie_partitions p WHERE p.job = j.job),
	coalesce(r.run, 0), coalesce(r.state, 'not started'), coalesce(r.started, j.created), coalesce(r.ended, '0001-01-01'),
	coalesce(o.done, 0), coalesce(o.done_bytes, 0), coalesce(o.failed, 0), coalesce(o.started, 0),
	(SELECT count(*) FROM sortie_uploads u WHERE u.job = j.job)
FROM sortie_jobs j
LEFT JOIN LATERAL (SELECT run, state, started, ended FROM sortie_runs r WHERE r.job = j.job ORDER BY run DESC LIMIT 1) r ON true
LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE state = 2) AS done, sum(size) FILTER (WHERE state = 2) AS done_bytes,
		count(*) FILTER (WHERE state = 3) AS failed, count(*) FILTER (WHERE state = 1) AS started
	FROM sortie_objects o WHERE o.job = j.job) o ON true`

func scanJobInfo(row pgx.CollectableRow) (JobInfo, error) {
	var in JobInfo
	err := row.Scan(&in.ID, &in.Command, &in.Source, &in.Destination, &in.Created, &in.Partitions, &in.LastRun, &in.State,
		&in.Started, &in.Ended, &in.Done, &in.DoneBytes, &in.Failed, &in.InProgress, &in.Uploads)
	if in.Ended.Year() == 1 {
		in.Ended = time.Time{}
	}
	in.Runs = in.LastRun
	return in, err
}

// Jobs lists the coordinator's jobs, the most recently run first.
func (c *Coordinator) Jobs(ctx context.Context) ([]JobInfo, error) {
	rows, err := c.pool.Query(ctx, jobInfoSQL+` ORDER BY coalesce(r.started, j.created) DESC`)
	if err != nil {
		return nil, fmt.Errorf("list the coordinator's jobs: %w", err)
	}
	jobs, err := pgx.CollectRows(rows, scanJobInfo)
	if err != nil {
		return nil, fmt.Errorf("list the coordinator's jobs: %w", err)
	}
	return jobs, nil
}

// PartitionInfo is one partition in the job's last run.
type PartitionInfo struct {
	Partition
	// State is River's state of the partition's job in the last run
	// (available, running, retryable, completed, discarded, cancelled…).
	State   string
	Attempt int
	// Worker is the worker holding it now, else the one that finished it.
	Worker string
	// Objects and Bytes are what it copied (at the last heartbeat while
	// it runs); Seconds its time, Beat the last heartbeat while it runs.
	Objects, Bytes, Failed int64
	Seconds                float64
	Beat                   time.Time
	LastError              string
}

// WorkerInfo is one worker's share of the job's last run.
type WorkerInfo struct {
	Name string
	// Finished counts the partitions it finished; Objects and Bytes what
	// they copied, in Seconds of partition time (added up).
	Finished       int
	Objects, Bytes int64
	Seconds        float64
	// Holding are the partitions it holds now, with the age of its
	// heartbeat.
	Holding []int
	Beat    time.Time
}

// JobDetail is what sortie jobs show prints of a job.
type JobDetail struct {
	JobInfo
	Partitions []PartitionInfo
	Workers    []WorkerInfo
	// Failures are the first failed objects of the ledger.
	Failures     []ObjectFailure
	LastRunStart time.Time
}

// ObjectFailure is an object the ledger records as failed.
type ObjectFailure struct {
	Key      string
	Attempts int
	Reason   string
}

// Detail reads a job whose ID starts with id (as git takes a short
// hash), with its last run's partitions and workers and its first
// maxFailures failed objects.
func (c *Coordinator) Detail(ctx context.Context, id string, maxFailures int) (*JobDetail, error) {
	rows, err := c.pool.Query(ctx, jobInfoSQL+` WHERE j.job LIKE $1 || '%'`, id)
	if err != nil {
		return nil, fmt.Errorf("read job %s: %w", id, err)
	}
	jobs, err := pgx.CollectRows(rows, scanJobInfo)
	switch {
	case err != nil:
		return nil, fmt.Errorf("read job %s: %w", id, err)
	case len(jobs) == 0:
		return nil, fmt.Errorf("%w: %s (sortie jobs --coordinator lists them)", ErrNoJob, id)
	case len(jobs) > 1:
		return nil, fmt.Errorf("job ID %s is ambiguous: %d jobs start with it", id, len(jobs))
	}
	d := &JobDetail{JobInfo: jobs[0]}
	rows, err = c.pool.Query(ctx, `
SELECT p.partition, p.after, coalesce(p.through, ''), coalesce(p.inventory, ''),
	coalesce(rj.state::text, 'not enqueued'), coalesce(rj.attempt, 0),
	coalesce(l.worker, res.worker, ''), coalesce(l.objects, (res.result->>'copied')::bigint, 0),
	coalesce(l.bytes, (res.result->>'copied_bytes')::bigint, 0),
	coalesce(l.failed, jsonb_array_length(coalesce(res.result->'failed', '[]')), 0),
	coalesce(extract(epoch FROM now() - l.started), (res.result->>'seconds')::float8, 0),
	coalesce(l.beat, '0001-01-01'),
	coalesce(CASE WHEN rj.state <> 'completed' THEN rj.errors[array_length(rj.errors, 1)]->>'error' END, '')
FROM sortie_partitions p
LEFT JOIN river_job rj ON rj.kind = $3 AND rj.args->>'job' = p.job AND (rj.args->>'run')::int = $2
	AND (rj.args->>'partition')::int = p.partition
LEFT JOIN sortie_leases l ON l.job = p.job AND l.partition = p.partition AND l.run = $2 AND NOT l.released
LEFT JOIN sortie_results res ON res.job = p.job AND res.partition = p.partition AND res.run = $2
WHERE p.job = $1 ORDER BY p.partition`, d.ID, d.LastRun, PartitionArgs{}.Kind())
	if err != nil {
		return nil, fmt.Errorf("read the partitions of job %s: %w", d.ID, err)
	}
	d.Partitions, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (PartitionInfo, error) {
		var p PartitionInfo
		err := row.Scan(&p.Number, &p.Range.After, &p.Range.Through, &p.Inventory, &p.State, &p.Attempt, &p.Worker,
			&p.Objects, &p.Bytes, &p.Failed, &p.Seconds, &p.Beat, &p.LastError)
		if p.Beat.Year() == 1 {
			p.Beat = time.Time{}
		}
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the partitions of job %s: %w", d.ID, err)
	}
	byName := map[string]*WorkerInfo{}
	var order []string
	for _, p := range d.Partitions {
		if p.Worker == "" {
			continue
		}
		w := byName[p.Worker]
		if w == nil {
			w = &WorkerInfo{Name: p.Worker}
			byName[p.Worker] = w
			order = append(order, p.Worker)
		}
		if p.Beat.IsZero() {
			w.Finished++
		} else {
			w.Holding = append(w.Holding, p.Number)
			if p.Beat.After(w.Beat) {
				w.Beat = p.Beat
			}
		}
		w.Objects += p.Objects
		w.Bytes += p.Bytes
		w.Seconds += p.Seconds
	}
	for _, n := range order {
		d.Workers = append(d.Workers, *byName[n])
	}
	rows, err = c.pool.Query(ctx, `SELECT key, attempts, reason FROM sortie_objects WHERE job = $1 AND state = $2 ORDER BY key LIMIT $3`,
		d.ID, StateFailed, maxFailures)
	if err != nil {
		return nil, fmt.Errorf("read the failures of job %s: %w", d.ID, err)
	}
	d.Failures, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ObjectFailure])
	if err != nil {
		return nil, fmt.Errorf("read the failures of job %s: %w", d.ID, err)
	}
	return d, nil
}

// Finished is a partition's recorded result in a run.
type Finished struct {
	Partition int
	Worker    string
	Attempt   int
	Result    Result
}

// FinishedSince returns the results of r's partitions not in seen, and
// adds them to it: what finished since the last call.
func (c *Coordinator) FinishedSince(ctx context.Context, r *Run, seen map[int]bool) ([]Finished, error) {
	known := make([]int32, 0, len(seen))
	for p := range seen {
		known = append(known, int32(p))
	}
	rows, err := c.pool.Query(ctx, `SELECT partition, worker, attempt, result FROM sortie_results
		WHERE job = $1 AND run = $2 AND NOT (partition = ANY($3)) ORDER BY finished, partition`, r.Job, r.Number, known)
	if err != nil {
		return nil, fmt.Errorf("read the results of job %s: %w", r.Job, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Finished])
	if err != nil {
		return nil, fmt.Errorf("read the results of job %s: %w", r.Job, err)
	}
	for _, f := range out {
		seen[f.Partition] = true
	}
	return out, nil
}

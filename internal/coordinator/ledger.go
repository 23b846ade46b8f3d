package coordinator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sortie-dev/sortie/internal/transfer"
)

// Object states, as the journal numbers them.
const (
	StateStarted = 1
	StateDone    = 2
	StateFailed  = 3
	StateDeleted = 4
)

const (
	// batchSize ops are committed in one transaction (and one round
	// trip: they are sent as a pipeline).
	batchSize = 2000
	// maxPending ops wait at most; past it, the method that adds one
	// commits the batch itself, so that a slow database slows the run
	// down instead of filling memory.
	maxPending = 4 * batchSize
	// flushEvery bounds how long a record waits before it is committed.
	flushEvery = 100 * time.Millisecond
	// opTimeout bounds the queries of the transfer.Ledger methods, which
	// take no context.
	opTimeout = time.Minute
)

// Scope is what a ledger records for: one partition of one job.
type Scope struct {
	Job       string
	Partition int
	// Recovering says an earlier attempt at this partition may have lost
	// its last, uncommitted writes (its worker was killed or cut off;
	// for River, an attempt after the first): every object the listings
	// show already copied is then recorded as confirmed. Without it a
	// no-op run writes nothing per object.
	Recovering bool
}

// Ledger is one partition's record in the coordinator's database: it
// implements transfer.Ledger. Writes are buffered and committed in
// batches, by a goroutine, at Flush and FlushTx, and at Close;
// UploadStarted commits before it returns.
type Ledger struct {
	pool  *pgxpool.Pool
	scope Scope

	mu      sync.Mutex
	pending []op
	last    map[string]int // the index in pending of each key's last record
	closed  bool

	// commitMu makes batches commit in the order they were taken.
	commitMu sync.Mutex

	errMu sync.Mutex
	err   error // the first write error; reported by Flush and Close

	kick     chan struct{} // a full batch waits
	quit     chan struct{} // closed by Close
	done     chan struct{} // closed when the flushing goroutine returned
	closeOne sync.Once

	// unfinished holds the partition's keys an earlier attempt left
	// started (few: those in flight when it ended).
	unfinished sync.Map
	// uploads maps keys to the upload recorded for them (few: those in
	// flight), so that Unchanged needs no query and an upload ended a
	// moment ago is not offered again before its end is committed.
	uploads sync.Map
}

var _ transfer.Ledger = (*Ledger)(nil)

// op is one record: a statement on the rows of one key (args[1]).
type op struct {
	sql  string
	args []any
	// set, if not empty, is the statement that records many ops of this
	// sql, for distinct keys, at once: it takes an array per argument of
	// sql, in the same order.
	set string
	// started marks a Started record, which a Done made before it was
	// taken turns into one record of both.
	started bool
}

// OpenLedger opens the ledger of s in a database Migrate has brought to
// SchemaVersion (a *SchemaError otherwise). Close it when the attempt
// ends.
func OpenLedger(ctx context.Context, pool *pgxpool.Pool, s Scope) (*Ledger, error) {
	if err := checkSchema(ctx, pool); err != nil {
		return nil, err
	}
	l := &Ledger{pool: pool, scope: s, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	if err := l.load(ctx); err != nil {
		return nil, fmt.Errorf("open the ledger of job %s partition %d: %w", s.Job, s.Partition, err)
	}
	go l.flusher()
	return l, nil
}

func (l *Ledger) load(ctx context.Context) error {
	rows, err := l.pool.Query(ctx, `SELECT key FROM sortie_objects WHERE job = $1 AND partition = $2 AND state = $3`,
		l.scope.Job, l.scope.Partition, StateStarted)
	if err != nil {
		return err
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, k := range keys {
		l.unfinished.Store(k, struct{}{})
	}
	rows, err = l.pool.Query(ctx, `SELECT key, upload_id FROM sortie_uploads WHERE job = $1 AND partition = $2`,
		l.scope.Job, l.scope.Partition)
	if err != nil {
		return err
	}
	var k, id string
	_, err = pgx.ForEachRow(rows, []any{&k, &id}, func() error {
		l.uploads.Store(k, id)
		return nil
	})
	return err
}

// flusher commits a batch when one is full and every flushEvery.
func (l *Ledger) flusher() {
	defer close(l.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		select {
		case <-l.kick:
		case <-tick.C:
		case <-l.quit:
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		l.Flush(ctx)
		cancel()
	}
}

func (l *Ledger) send(sql string, args ...any) { l.sendOp(op{sql: sql, args: args}) }

func (l *Ledger) sendSet(set, sql string, args ...any) { l.sendOp(op{sql: sql, args: args, set: set}) }

func (l *Ledger) sendOp(o op) {
	l.mu.Lock()
	if l.closed { // a late write from a cancelled worker is dropped
		l.mu.Unlock()
		return
	}
	if l.last == nil {
		l.last = map[string]int{}
	}
	l.last[o.args[1].(string)] = len(l.pending)
	l.pending = append(l.pending, o)
	n := len(l.pending)
	l.mu.Unlock()
	l.pressure(n)
}

// pressure starts a commit when a batch is full, and makes the caller
// wait for one when too much waits.
func (l *Ledger) pressure(n int) {
	switch {
	case n >= maxPending:
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		l.Flush(ctx)
		cancel()
	case n >= batchSize:
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

// take removes and returns what is pending. Call it with commitMu held.
func (l *Ledger) take() []op {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.pending
	l.pending = nil
	clear(l.last)
	return b
}

func (l *Ledger) fail(err error) error {
	err = fmt.Errorf("write the ledger of job %s partition %d: %w", l.scope.Job, l.scope.Partition, err)
	l.errMu.Lock()
	defer l.errMu.Unlock()
	if l.err == nil {
		l.err = err
	}
	return err
}

// Err returns the first write error, if any.
func (l *Ledger) Err() error {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	return l.err
}

// apply sends a batch through tx as one pipeline. Records of different
// keys commute, so the batch is cut into rounds — a key's n-th record in
// round n — and within a round the records of one kind go as one
// set-based statement: the thousands of Started and Done of small objects
// cost a few statements, not one each.
func apply(ctx context.Context, tx pgx.Tx, batch []op) error {
	var rounds [][]op
	last := make(map[string]int, len(batch))
	for _, o := range batch {
		key := o.args[1].(string)
		r := 0
		if p, ok := last[key]; ok {
			r = p + 1
		}
		last[key] = r
		if r == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[r] = append(rounds[r], o)
	}
	var b pgx.Batch
	for _, round := range rounds {
		groups := map[string][]op{}
		var order []string
		for _, o := range round {
			if o.set == "" {
				b.Queue(o.sql, o.args...)
				continue
			}
			if _, ok := groups[o.set]; !ok {
				order = append(order, o.set)
			}
			groups[o.set] = append(groups[o.set], o)
		}
		for _, set := range order {
			if g := groups[set]; len(g) == 1 {
				b.Queue(g[0].sql, g[0].args...)
			} else {
				b.Queue(set, columns(g)...)
			}
		}
	}
	return tx.SendBatch(ctx, &b).Close()
}

// columns turns the arguments of ops of one kind into one array per
// argument.
func columns(g []op) []any {
	cols := make([]any, len(g[0].args))
	for i, a := range g[0].args {
		switch a.(type) {
		case string:
			cols[i] = column(g, i, func(a any) string { return a.(string) })
		case int64:
			cols[i] = column(g, i, func(a any) int64 { return a.(int64) })
		case int:
			cols[i] = column(g, i, func(a any) int64 { return int64(a.(int)) })
		case bool:
			cols[i] = column(g, i, func(a any) bool { return a.(bool) })
		case time.Time:
			cols[i] = column(g, i, func(a any) time.Time { return a.(time.Time) })
		default:
			panic(fmt.Sprintf("coordinator: no array form for %T", a))
		}
	}
	return cols
}

func column[T any](g []op, i int, conv func(any) T) []T {
	c := make([]T, len(g))
	for j, o := range g {
		c[j] = conv(o.args[i])
	}
	return c
}

// Flush commits everything recorded so far, in a transaction of its own,
// and returns the first write error. A batch that failed is not tried
// again (the journal does the same): the next attempt at the partition
// finds what it lost.
func (l *Ledger) Flush(ctx context.Context) error {
	l.commitMu.Lock()
	defer l.commitMu.Unlock()
	if batch := l.take(); len(batch) > 0 {
		if err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error { return apply(ctx, tx, batch) }); err != nil {
			l.fail(err)
		}
	}
	return l.Err()
}

// FlushTx writes everything recorded so far through tx, which the caller
// commits — with a partition's completion, so that the two are committed
// together or not at all. If tx is rolled back those records are lost, as
// a killed worker's last batch is: the next attempt at the partition
// opens with Recovering. Call it when the partition's work has ended:
// records made after it may commit before tx does.
func (l *Ledger) FlushTx(ctx context.Context, tx pgx.Tx) error {
	l.commitMu.Lock()
	defer l.commitMu.Unlock()
	if batch := l.take(); len(batch) > 0 {
		if err := apply(ctx, tx, batch); err != nil {
			return l.fail(err)
		}
	}
	return l.Err()
}

// Close commits what is pending and stops the ledger; records made after
// it are dropped. It returns the first write error. A cancelled ctx does
// not stop the last commit (a run interrupted keeps what it did, for the
// next attempt to continue): only its values are used, with a timeout.
func (l *Ledger) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opTimeout)
	defer cancel()
	l.closeOne.Do(func() {
		close(l.quit)
		<-l.done
	})
	err := l.Flush(ctx)
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	// What a record sent during the last flush left.
	if ferr := l.Flush(ctx); err == nil {
		err = ferr
	}
	return err
}

// queryCtx bounds a query of a transfer.Ledger method.
func queryCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}

// Resumable implements transfer.Ledger.
func (l *Ledger) Resumable(key, srcETag string, size int64) (transfer.Upload, bool) {
	current, ok := l.uploads.Load(key)
	if !ok {
		return transfer.Upload{}, false
	}
	ctx, cancel := queryCtx()
	defer cancel()
	var u transfer.Upload
	err := l.pool.QueryRow(ctx, `SELECT upload_id, src_etag, opaque, size, part_size, parts, by_number
		FROM sortie_uploads WHERE job = $1 AND key = $2`, l.scope.Job, key).
		Scan(&u.ID, &u.SrcETag, &u.Opaque, &u.Size, &u.PartSize, &u.Parts, &u.ByNumber)
	if err != nil || u.ID != current.(string) || u.SrcETag != srcETag || u.Size != size {
		return transfer.Upload{}, false
	}
	rows, err := l.pool.Query(ctx, `SELECT number, etag, md5, size, hash_state FROM sortie_parts
		WHERE job = $1 AND key = $2 AND upload_id = $3`, l.scope.Job, key, u.ID)
	if err != nil {
		return transfer.Upload{}, false
	}
	u.Done = map[int]transfer.DonePart{}
	var p transfer.DonePart
	_, err = pgx.ForEachRow(rows, []any{&p.Number, &p.ETag, &p.MD5, &p.Size, &p.HashState}, func() error {
		u.Done[p.Number] = p
		p = transfer.DonePart{}
		return nil
	})
	return u, err == nil
}

const (
	startedConflict = `ON CONFLICT (job, key) DO UPDATE SET partition = excluded.partition, size = excluded.size,
		src_etag = excluded.src_etag, state = excluded.state, attempts = sortie_objects.attempts + 1, reason = '',
		started = excluded.started, updated = excluded.updated`
	startedSet = `INSERT INTO sortie_objects (job, key, partition, size, src_etag, state, attempts, started, updated)
		SELECT u.job, u.key, u.partition, u.size, u.src_etag, u.state, 1, u.t, u.t
		FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], $5::text[], $6::smallint[], $7::timestamptz[])
		AS u(job, key, partition, size, src_etag, state, t) ` + startedConflict
	doneSet = `UPDATE sortie_objects AS o SET state = u.state, dst_etag = u.dst_etag, size = u.size, reason = '', updated = u.t
		FROM unnest($1::text[], $2::text[], $3::smallint[], $4::text[], $5::bigint[], $6::timestamptz[])
		AS u(job, key, state, dst_etag, size, t) WHERE o.job = u.job AND o.key = u.key`
	versionConflict = `ON CONFLICT (job, key, src_version) DO UPDATE SET dst_version = excluded.dst_version,
		marker = excluded.marker, updated = excluded.updated`
	versionSet = `INSERT INTO sortie_versions (job, key, src_version, dst_version, marker, updated)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::timestamptz[]) ` + versionConflict
	// copied is a Started and its Done in one.
	copiedConflict = `ON CONFLICT (job, key) DO UPDATE SET partition = excluded.partition, size = excluded.size,
		src_etag = excluded.src_etag, state = excluded.state, attempts = sortie_objects.attempts + 1, reason = '',
		dst_etag = excluded.dst_etag, started = excluded.started, updated = excluded.updated`
	copiedSQL = `INSERT INTO sortie_objects (job, key, partition, size, src_etag, state, attempts, dst_etag, started, updated)
		VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9) ` + copiedConflict
	copiedSet = `INSERT INTO sortie_objects (job, key, partition, size, src_etag, state, attempts, dst_etag, started, updated)
		SELECT u.job, u.key, u.partition, u.size, u.src_etag, u.state, 1, u.dst_etag, u.started, u.t
		FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], $5::text[], $6::smallint[], $7::text[],
		$8::timestamptz[], $9::timestamptz[]) AS u(job, key, partition, size, src_etag, state, dst_etag, started, t) ` + copiedConflict
	// When recovering, most rows already say so: leave those alone rather
	// than write a new version of each.
	unchangedConflict = `ON CONFLICT (job, key) DO UPDATE SET state = excluded.state, size = excluded.size,
		dst_etag = excluded.dst_etag, reason = '', updated = excluded.updated
		WHERE sortie_objects.state <> excluded.state OR sortie_objects.size <> excluded.size
		OR sortie_objects.dst_etag <> excluded.dst_etag OR sortie_objects.reason <> ''`
	unchangedSet = `INSERT INTO sortie_objects (job, key, partition, size, src_etag, state, dst_etag, updated)
		SELECT u.job, u.key, u.partition, u.size, '', u.state, u.dst_etag, u.t
		FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], $5::smallint[], $6::text[], $7::timestamptz[])
		AS u(job, key, partition, size, state, dst_etag, t) ` + unchangedConflict
)

// Started implements transfer.Ledger.
func (l *Ledger) Started(key string, size int64, srcETag string) {
	t := time.Now()
	l.sendOp(op{set: startedSet, started: true, sql: `INSERT INTO sortie_objects (job, key, partition, size, src_etag, state, attempts, started, updated)
		VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) ` + startedConflict,
		args: []any{l.scope.Job, key, l.scope.Partition, size, srcETag, StateStarted, t}})
}

// UploadStarted implements transfer.Ledger: the record is committed before
// it returns, since parts must not be sent for an upload no attempt could
// find.
func (l *Ledger) UploadStarted(key string, u transfer.Upload) error {
	if l.isClosed() {
		return errors.New("record the upload of " + key + ": the ledger is closed")
	}
	l.uploads.Store(key, u.ID)
	l.send(`DELETE FROM sortie_parts WHERE job = $1 AND key = $2`, l.scope.Job, key)
	l.send(`INSERT INTO sortie_uploads (job, key, partition, upload_id, src_etag, opaque, size, part_size, parts, by_number, started)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (job, key) DO UPDATE SET partition = excluded.partition, upload_id = excluded.upload_id,
		src_etag = excluded.src_etag, opaque = excluded.opaque, size = excluded.size, part_size = excluded.part_size,
		parts = excluded.parts, by_number = excluded.by_number, started = excluded.started`,
		l.scope.Job, key, l.scope.Partition, u.ID, u.SrcETag, u.Opaque, u.Size, u.PartSize, u.Parts, u.ByNumber, time.Now())
	ctx, cancel := queryCtx()
	defer cancel()
	return l.Flush(ctx)
}

func (l *Ledger) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// PartDone implements transfer.Ledger.
func (l *Ledger) PartDone(key, uploadID string, p transfer.DonePart) {
	l.send(`INSERT INTO sortie_parts (job, key, upload_id, number, etag, md5, size, hash_state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (job, key, upload_id, number) DO UPDATE SET etag = excluded.etag, md5 = excluded.md5,
		size = excluded.size, hash_state = excluded.hash_state`,
		l.scope.Job, key, uploadID, p.Number, p.ETag, p.MD5, p.Size, p.HashState)
}

// UploadEnded implements transfer.Ledger.
func (l *Ledger) UploadEnded(key, uploadID string) {
	l.uploads.CompareAndDelete(key, uploadID)
	l.send(`DELETE FROM sortie_parts WHERE job = $1 AND key = $2 AND upload_id = $3`, l.scope.Job, key, uploadID)
	l.send(`DELETE FROM sortie_uploads WHERE job = $1 AND key = $2 AND upload_id = $3`, l.scope.Job, key, uploadID)
}

// Done implements transfer.Ledger. A small object's Started and Done are
// usually made within one batch: they become one record, one row version
// instead of two.
func (l *Ledger) Done(key string, size int64, dstETag string) {
	t := time.Now()
	l.mu.Lock()
	if i, ok := l.last[key]; ok && l.pending[i].started {
		st := l.pending[i].args // job, key, partition, size, src etag, state, time
		l.pending[i] = op{sql: copiedSQL, set: copiedSet,
			args: []any{l.scope.Job, key, l.scope.Partition, size, st[4], StateDone, dstETag, st[6], t}}
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	l.sendSet(doneSet, `UPDATE sortie_objects SET state = $3, dst_etag = $4, size = $5, reason = '', updated = $6
		WHERE job = $1 AND key = $2`, l.scope.Job, key, StateDone, dstETag, size, t)
}

// Unchanged implements transfer.Ledger.
func (l *Ledger) Unchanged(key string, size int64, dstETag string) string {
	if _, ok := l.unfinished.LoadAndDelete(key); ok || l.scope.Recovering {
		l.sendSet(unchangedSet, `INSERT INTO sortie_objects (job, key, partition, size, src_etag, state, dst_etag, updated)
			VALUES ($1, $2, $3, $4, '', $5, $6, $7) `+unchangedConflict,
			l.scope.Job, key, l.scope.Partition, size, StateDone, dstETag, time.Now())
	}
	if id, ok := l.uploads.Load(key); ok {
		return id.(string)
	}
	return ""
}

// Failed implements transfer.Ledger.
func (l *Ledger) Failed(key, reason string) {
	l.send(`INSERT INTO sortie_objects (job, key, partition, size, src_etag, state, attempts, reason, updated)
		VALUES ($1, $2, $3, 0, '', $4, 1, $5, $6)
		ON CONFLICT (job, key) DO UPDATE SET state = excluded.state, reason = excluded.reason, updated = excluded.updated`,
		l.scope.Job, key, l.scope.Partition, StateFailed, reason, time.Now())
}

// Deleted implements transfer.Ledger.
func (l *Ledger) Deleted(key string) {
	l.send(`INSERT INTO sortie_objects (job, key, partition, size, src_etag, state, updated)
		VALUES ($1, $2, $3, 0, '', $4, $5)
		ON CONFLICT (job, key) DO UPDATE SET state = excluded.state, updated = excluded.updated`,
		l.scope.Job, key, l.scope.Partition, StateDeleted, time.Now())
}

// VersionDone implements transfer.Ledger.
func (l *Ledger) VersionDone(key, srcID, dstID string, marker bool) {
	l.sendSet(versionSet, `INSERT INTO sortie_versions (job, key, src_version, dst_version, marker, updated)
		VALUES ($1, $2, $3, $4, $5, $6) `+versionConflict, l.scope.Job, key, srcID, dstID, marker, time.Now())
}

// Carried implements transfer.Ledger. It reads what was committed, by
// earlier attempts and this one; a key's entries are written by one
// worker, after it asked.
func (l *Ledger) Carried(key string) map[string]string {
	ctx, cancel := queryCtx()
	defer cancel()
	rows, err := l.pool.Query(ctx, `SELECT src_version, dst_version FROM sortie_versions WHERE job = $1 AND key = $2`,
		l.scope.Job, key)
	if err != nil {
		return nil // the destination's metadata then tells
	}
	m := map[string]string{}
	var s, d string
	if _, err := pgx.ForEachRow(rows, []any{&s, &d}, func() error { m[s] = d; return nil }); err != nil {
		return nil
	}
	return m
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/internal/database"
)

// Copy copies the source's database into the target's: the roles the
// schema refers to (created without passwords when missing), the schema's
// pre-data with pg_dump, every table's rows streamed with COPY between the
// two servers, several tables at once, all read in one snapshot of the
// source (exported by a transaction held for the whole copy, imported by
// each worker, and given to pg_dump), the large objects, the post-data
// (indexes, constraints, triggers), then the sequences set from the
// source's values.
//
// The source is only read: every session it opens has read-only
// transactions. Each step is recorded in o.Ledger; a run of the same job
// skips what an earlier run finished, and copies again (after TRUNCATE at
// the target) a table that was in flight — only if this job created it.
//
// Errors returned are those that stop the copy before it changed anything
// or that leave it unable to go on (*database.ConnectError,
// *database.URLError, *database.TargetNotEmptyError,
// *database.ToolMissingError, *database.LedgerError, ctx's); a table or a
// phase that failed is in the result's Failures, and the phases after it
// are left for the next run.
func Copy(ctx context.Context, src, dst database.Endpoint, o database.CopyOptions) (*database.CopyResult, error) {
	o.Jobs = max(o.Jobs, 1)
	res := database.NewCopyResult(database.PostgreSQL, src, dst)
	defer res.Finish()
	c := &copier{src: src, dst: dst, o: o, res: res, throttle: database.NewThrottle(o.ReadLimit)}
	return res, c.run(ctx)
}

type copier struct {
	src, dst database.Endpoint
	o        database.CopyOptions
	res      *database.CopyResult
	throttle *database.Throttle

	tools    tools
	snapshot string
	tables   []table
	// existing are the target's tables before this run (schema.name).
	existing map[string]bool
	major    int
}

// table is a source table whose rows are copied: an ordinary table or a
// leaf partition (a partitioned table has no rows of its own).
type table struct {
	schema, name string
	partitioned  bool
	bytes, rows  int64
	// columns are those COPY carries: not dropped, not generated (the
	// target computes generated columns itself).
	columns []string
}

func (t table) qualified() string { return t.schema + "." + t.name }
func (t table) ident() string     { return pgx.Identifier{t.schema, t.name}.Sanitize() }

func (t table) columnList() string {
	if len(t.columns) == 0 {
		return ""
	}
	q := make([]string, len(t.columns))
	for i, c := range t.columns {
		q[i] = pgx.Identifier{c}.Sanitize()
	}
	return " (" + strings.Join(q, ", ") + ")"
}

func (c *copier) run(ctx context.Context) error {
	holder, err := openCopy(ctx, c.src, database.Source)
	if err != nil {
		return err
	}
	defer holder.Close(context.WithoutCancel(ctx))
	target, err := openCopy(ctx, c.dst, database.Target)
	if err != nil {
		return err
	}
	defer target.Close(context.WithoutCancel(ctx))

	var version string
	if err := holder.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('server_version_num')::int / 10000`).Scan(&version, &c.major); err != nil {
		return fmt.Errorf("source %s: read the version: %w", c.src, err)
	}
	c.res.Product = "PostgreSQL"
	c.res.Version, _, _ = strings.Cut(version, " ")
	if c.tools, err = findTools(ctx, c.o.BinDir, c.major); err != nil {
		return err
	}
	if c.tables, err = sourceTables(ctx, holder); err != nil {
		return fmt.Errorf("source %s: list the tables: %w", c.src, err)
	}
	if c.existing, err = targetTables(ctx, target); err != nil {
		return fmt.Errorf("target %s: list the tables: %w", c.dst, err)
	}
	L := c.o.Ledger
	schemaState, _ := L.Phase(database.PhaseSchema)
	c.res.Resumed = schemaState != database.NotStarted
	if schemaState == database.Started && c.createdExist() {
		// The restore is one transaction: tables this job meant to
		// create exist, so it committed and only its record was lost.
		if err := L.EndPhase(ctx, database.PhaseSchema, "recovered"); err != nil {
			return err
		}
		schemaState = database.Done
	}
	if schemaState != database.Done {
		if err := c.checkTarget(ctx, target); err != nil {
			return err
		}
	}

	// --online: the replication slot comes first, and its snapshot is
	// the copy's, so replication starts where the rows end.
	slot, err := c.slot(ctx)
	if err != nil {
		return err
	}
	if slot != nil {
		defer slot.Release(context.WithoutCancel(ctx))
	}

	// The snapshot every read comes from: schema, rows, large objects,
	// post-data. Held until the post-data is dumped.
	tx, err := holder.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("source %s: begin the snapshot: %w", c.src, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if slot != nil {
		c.snapshot = slot.Snapshot
		if _, err := tx.Exec(ctx, `SET TRANSACTION SNAPSHOT '`+c.snapshot+`'`); err != nil {
			return fmt.Errorf("source %s: import the replication slot's snapshot: %w", c.src, err)
		}
	} else if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&c.snapshot); err != nil {
		return fmt.Errorf("source %s: export the snapshot: %w", c.src, err)
	}

	var total int64
	var leaves int
	for _, t := range c.tables {
		if !t.partitioned {
			total += t.bytes
			leaves++
		}
	}
	c.o.Emit(database.CopyEvent{Kind: database.EventPlanned, Tables: leaves, Bytes: total})

	if err := c.phase(ctx, database.PhaseRoles, func() (string, error) { return c.roles(ctx, tx, target) }); err != nil {
		return err
	}
	if detail, ok := c.done(database.PhaseRoles); ok && detail != "" {
		c.res.RolesCreated = strings.Split(detail, ",")
	}
	if err := c.phase(ctx, database.PhaseSchema, func() (string, error) { return "", c.schema(ctx) }); err != nil {
		return err
	}
	if len(c.res.Failures) > 0 {
		return nil
	}
	if err := c.data(ctx); err != nil {
		return err
	}
	if len(c.res.Failures) > 0 {
		return nil
	}
	c.res.Phases = append(c.res.Phases, database.PhaseData)
	if _, d := L.Phase(database.PhaseLargeObjects); d != "" {
		c.res.LargeObjects, c.res.LargeObjectBytes = parseLO(d)
		c.res.Phases = append(c.res.Phases, database.PhaseLargeObjects)
	}
	// A post-data an earlier run began may have made some indexes.
	postState, _ := L.Phase(database.PhasePostData)
	tolerant := c.o.IntoExisting || postState == database.Started
	if err := c.phase(ctx, database.PhasePostData, func() (string, error) { return "", c.restore(ctx, "post-data", tolerant) }); err != nil {
		return err
	}
	if len(c.res.Failures) > 0 {
		return nil
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("source %s: end the snapshot: %w", c.src, err)
	}
	if c.o.Online {
		if slot != nil {
			if err := slot.Release(ctx); err != nil {
				return fmt.Errorf("source %s: close the replication slot's session: %w", c.src, err)
			}
		}
		if err := c.phase(ctx, database.PhaseReplication, func() (string, error) {
			return c.o.ReplicationName, Subscribe(ctx, c.dst, c.src, c.o.ReplicationName)
		}); err != nil {
			return err
		}
		if len(c.res.Failures) > 0 {
			return nil
		}
	}
	if err := c.phase(ctx, database.PhaseSequences, func() (string, error) { return c.sequences(ctx, holder, target) }); err != nil {
		return err
	}
	if d, ok := c.done(database.PhaseSequences); ok {
		c.res.Sequences, _ = strconv.Atoi(d)
	}
	c.notes()
	return nil
}

// slot creates --online's publication and replication slot, whose
// exported snapshot the copy reads at, and returns it; nil when the copy
// is not online, or when its rows are all copied already (the slot an
// earlier run made, and its place in the WAL, are kept). A slot an earlier
// run made before its rows were all copied cannot serve: its snapshot
// ended with that run. It is dropped and a new one made, and the tables
// that run finished are copied again (emptied first: only tables this job
// created, as for a table in flight).
func (c *copier) slot(ctx context.Context) (*Slot, error) {
	if !c.o.Online {
		return nil, nil
	}
	L := c.o.Ledger
	if st, _ := L.Phase(database.PhaseData); st == database.Done {
		return nil, nil
	}
	name := c.o.ReplicationName
	if st, _ := L.Phase(database.PhaseReplication); st != database.NotStarted {
		if err := DropReplication(ctx, c.src, c.dst, name); err != nil {
			return nil, err
		}
		for _, t := range c.tables {
			if L.Table(t.qualified()).State == database.Done {
				if err := L.StartTable(ctx, t.qualified()); err != nil {
					return nil, err
				}
			}
		}
	}
	var leaves []string
	for _, t := range c.tables {
		if !t.partitioned {
			leaves = append(leaves, t.qualified())
		}
	}
	if err := L.StartPhase(ctx, database.PhaseReplication); err != nil {
		return nil, err
	}
	return CreateSlot(ctx, c.src, name, leaves)
}

// phase runs fn unless the ledger says an earlier run did it, recording
// its start and its end. A failure of fn is the result's, named after the
// phase; only the ledger's own failures and ctx's stop the copy.
func (c *copier) phase(ctx context.Context, name string, fn func() (string, error)) error {
	if _, ok := c.done(name); ok {
		c.o.Emit(database.CopyEvent{Kind: database.EventPhaseSkipped, Phase: name})
		c.res.Phases = append(c.res.Phases, name)
		return nil
	}
	if err := c.o.Ledger.StartPhase(ctx, name); err != nil {
		return err
	}
	c.o.Emit(database.CopyEvent{Kind: database.EventPhase, Phase: name})
	detail, err := fn()
	if err != nil {
		var le *database.LedgerError
		if ctx.Err() != nil || errors.As(err, &le) {
			return err
		}
		c.res.Fail(name, err)
		c.o.Emit(database.CopyEvent{Kind: database.EventWarning, Phase: name, Reason: err.Error()})
		return nil
	}
	if err := c.o.Ledger.EndPhase(ctx, name, detail); err != nil {
		return err
	}
	c.o.Emit(database.CopyEvent{Kind: database.EventPhaseDone, Phase: name, Reason: detail})
	c.res.Phases = append(c.res.Phases, name)
	return nil
}

func (c *copier) done(name string) (string, bool) {
	s, d := c.o.Ledger.Phase(name)
	return d, s == database.Done
}

// createdExist says the tables this job recorded as its own exist at the
// target.
func (c *copier) createdExist() bool {
	for _, t := range c.tables {
		if c.o.Ledger.Table(t.qualified()).Created && c.existing[t.qualified()] {
			return true
		}
	}
	return false
}

// checkTarget refuses a target that holds tables, unless --into-existing;
// then the tables the source has must be empty there.
func (c *copier) checkTarget(ctx context.Context, target *pgx.Conn) error {
	// Tables this job created (a schema restore whose record was lost
	// is recovered before) are not the operator's.
	var theirs []string
	for name := range c.existing {
		if !c.o.Ledger.Table(name).Created {
			theirs = append(theirs, name)
		}
	}
	slices.Sort(theirs)
	if len(theirs) == 0 {
		return nil
	}
	if !c.o.IntoExisting {
		return &database.TargetNotEmptyError{Target: c.dst.String(), Tables: theirs[:min(len(theirs), 5)], Count: len(theirs)}
	}
	var full []string
	for _, t := range c.tables {
		if t.partitioned || !c.existing[t.qualified()] || c.o.Ledger.Table(t.qualified()).State != database.NotStarted {
			continue
		}
		var rows bool
		if err := target.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ONLY `+t.ident()+`)`).Scan(&rows); err != nil {
			return fmt.Errorf("target %s: look into %s: %w", c.dst, t.qualified(), err)
		}
		if rows {
			full = append(full, t.qualified())
		}
	}
	if len(full) > 0 {
		return &database.TargetNotEmptyError{Target: c.dst.String(), Tables: full[:min(len(full), 5)], Count: len(full), Rows: true}
	}
	return nil
}

// schema restores the pre-data section: types, tables, sequences,
// functions, views — everything the rows need, and nothing (indexes,
// constraints, triggers) that would slow them down or fire on them.
func (c *copier) schema(ctx context.Context) error {
	var created []string
	for _, t := range c.tables {
		if !c.existing[t.qualified()] {
			created = append(created, t.qualified())
		}
	}
	// Recorded before the restore: after a crash, these are the tables
	// a resumed run may empty.
	if err := c.o.Ledger.MarkCreated(ctx, created); err != nil {
		return err
	}
	return c.restore(ctx, "pre-data", c.o.IntoExisting)
}

// restore pipes pg_dump's section into psql at the target, in one
// transaction that stops at the first error — or, when tolerant (copying
// into existing tables, or finishing a post-data an earlier run began),
// statement by statement, where objects that already exist are kept as
// they are and any other error is a failure.
func (c *copier) restore(ctx context.Context, section string, tolerant bool) error {
	return c.tools.dumpRestore(ctx, c.src, c.dst, c.snapshot, section, tolerant)
}

// data copies every table not finished by an earlier run, Jobs at a time,
// and the large objects beside them.
func (c *copier) data(ctx context.Context) error {
	var work []*table
	for i := range c.tables {
		t := &c.tables[i]
		if t.partitioned {
			continue
		}
		rec := c.o.Ledger.Table(t.qualified())
		if rec.State == database.Done {
			c.res.Tables = append(c.res.Tables, database.TableCopy{Name: t.qualified(), Rows: rec.Rows, Bytes: rec.Bytes, Earlier: true})
			c.o.Emit(database.CopyEvent{Kind: database.EventTableSkipped, Table: t.qualified(), Rows: rec.Rows, Bytes: rec.Bytes})
			continue
		}
		work = append(work, t)
	}
	// The largest first, so that the last table to finish is a small one.
	slices.SortStableFunc(work, func(a, b *table) int { return int(min(max(b.bytes-a.bytes, -1), 1)) })
	loState, _ := c.o.Ledger.Phase(database.PhaseLargeObjects)
	wantLO := loState != database.Done

	var mu sync.Mutex
	var next atomic.Int64
	var loTaken atomic.Bool
	g, gctx := errgroup.WithContext(ctx)
	for range min(c.o.Jobs, max(len(work), 1)) {
		g.Go(func() error {
			w := &worker{c: c}
			defer w.close(context.WithoutCancel(gctx))
			// One worker takes the large objects first: they are
			// often the largest single item.
			if wantLO && loTaken.CompareAndSwap(false, true) {
				if err := w.largeObjects(gctx); err != nil {
					var le *database.LedgerError
					if gctx.Err() != nil || errors.As(err, &le) {
						return err
					}
					mu.Lock()
					c.res.Fail(database.PhaseLargeObjects, err)
					mu.Unlock()
				}
			}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(work) {
					return nil
				}
				t := work[i]
				start := time.Now()
				rows, bytes, err := w.copyTable(gctx, t)
				tc := database.TableCopy{Name: t.qualified(), Rows: rows, Bytes: bytes, Seconds: time.Since(start).Seconds()}
				if err != nil {
					var le *database.LedgerError
					if gctx.Err() != nil || errors.As(err, &le) {
						return err
					}
					tc.Error = err.Error()
					c.o.Emit(database.CopyEvent{Kind: database.EventTableFailed, Table: t.qualified(), Reason: err.Error()})
				} else {
					c.o.Emit(database.CopyEvent{Kind: database.EventTableDone, Table: t.qualified(), Rows: rows, Bytes: bytes})
				}
				mu.Lock()
				c.res.Tables = append(c.res.Tables, tc)
				if err != nil {
					c.res.Fail(t.qualified(), err)
				}
				mu.Unlock()
			}
		})
	}
	err := g.Wait()
	slices.SortFunc(c.res.Tables, func(a, b database.TableCopy) int { return strings.Compare(a.Name, b.Name) })
	return err
}

// worker is one lane of the data phase: a source session in the shared
// snapshot and a target session, (re)opened when needed.
type worker struct {
	c      *copier
	srcC   *pgx.Conn
	srcTx  pgx.Tx
	target *pgx.Conn
}

func (w *worker) open(ctx context.Context) error {
	if w.srcC != nil && w.srcC.IsClosed() || w.target != nil && w.target.IsClosed() {
		w.close(ctx)
	}
	if w.srcC == nil {
		c, err := openCopy(ctx, w.c.src, database.Source)
		if err != nil {
			return err
		}
		tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err == nil {
			_, err = tx.Exec(ctx, `SET TRANSACTION SNAPSHOT '`+w.c.snapshot+`'`)
		}
		if err != nil {
			c.Close(ctx)
			return fmt.Errorf("source %s: import the snapshot: %w", w.c.src, err)
		}
		w.srcC, w.srcTx = c, tx
	}
	if w.target == nil {
		c, err := openCopy(ctx, w.c.dst, database.Target)
		if err != nil {
			return err
		}
		w.target = c
	}
	return nil
}

func (w *worker) close(ctx context.Context) {
	if w.srcC != nil {
		w.srcC.Close(ctx)
		w.srcC, w.srcTx = nil, nil
	}
	if w.target != nil {
		w.target.Close(ctx)
		w.target = nil
	}
}

// copyTable streams one table: COPY TO at the source into COPY FROM at
// the target, through a pipe, in a target transaction that commits before
// the ledger records the table done.
func (w *worker) copyTable(ctx context.Context, t *table) (rows, bytes int64, err error) {
	L := w.c.o.Ledger
	name := t.qualified()
	rec := L.Table(name)
	truncate := false
	if rec.State == database.Started {
		if !rec.Created {
			return 0, 0, fmt.Errorf("was being copied when an earlier run stopped, and existed at the target before this job: sortie empties only the tables it created; empty it (TRUNCATE %s) and run again", t.ident())
		}
		truncate = true
	}
	if err := w.open(ctx); err != nil {
		return 0, 0, err
	}
	if err := L.StartTable(ctx, name); err != nil {
		return 0, 0, err
	}
	w.c.o.Emit(database.CopyEvent{Kind: database.EventTableStarted, Table: name, Bytes: t.bytes})
	tx, err := w.target.Begin(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("target: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if truncate {
		if _, err := tx.Exec(ctx, `TRUNCATE ONLY `+t.ident()); err != nil {
			return 0, 0, fmt.Errorf("target: empty the rows an earlier run left: %w", err)
		}
	}
	cols := t.columnList()
	pr, pw := io.Pipe()
	meter := &database.Meter{W: pw, Ctx: ctx, Throttle: w.c.throttle, Options: w.c.o, Table: name}
	srcDone := make(chan error, 1)
	go func() {
		_, err := w.srcTx.Conn().PgConn().CopyTo(ctx, meter, `COPY `+t.ident()+cols+` TO STDOUT`)
		pw.CloseWithError(err)
		srcDone <- err
	}()
	tag, dstErr := tx.Conn().PgConn().CopyFrom(ctx, pr, `COPY `+t.ident()+cols+` FROM STDIN`)
	// The reader is closed whatever happened, so that the source side
	// cannot block on a pipe nobody reads.
	pr.CloseWithError(errTargetEnded)
	srcErr := <-srcDone
	switch {
	case srcErr != nil && !errors.Is(srcErr, errTargetEnded):
		return 0, meter.N, fmt.Errorf("source: %w", srcErr)
	case dstErr != nil:
		return 0, meter.N, fmt.Errorf("target: %w", dstErr)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, meter.N, fmt.Errorf("target: commit: %w", err)
	}
	rows = tag.RowsAffected()
	if err := L.EndTable(ctx, name, rows, meter.N); err != nil {
		return rows, meter.N, err
	}
	return rows, meter.N, nil
}

// errTargetEnded is what the source's side of a table's pipe meets when
// the target's COPY ended first (it failed).
var errTargetEnded = errors.New("the target's COPY ended")

// largeObjects copies every large object, with its OID and owner, in one
// target transaction. A run that resumes an interrupted large-objects
// phase first removes the objects of the source's OIDs at the target:
// before its first attempt the phase made sure none existed there.
func (w *worker) largeObjects(ctx context.Context) error {
	L := w.c.o.Ledger
	if err := w.open(ctx); err != nil {
		return err
	}
	rows, err := w.srcTx.Query(ctx, `SELECT oid::bigint, pg_get_userbyid(lomowner), lomacl IS NOT NULL FROM pg_largeobject_metadata ORDER BY oid`)
	if err != nil {
		return fmt.Errorf("source: list the large objects: %w", err)
	}
	type lo struct {
		oid   uint32
		owner string
	}
	var los []lo
	var withACL int
	var oid int64
	var owner string
	var acl bool
	_, err = pgx.ForEachRow(rows, []any{&oid, &owner, &acl}, func() error {
		los = append(los, lo{uint32(oid), owner})
		if acl {
			withACL++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("source: list the large objects: %w", err)
	}
	state, _ := L.Phase(database.PhaseLargeObjects)
	if state == database.NotStarted && len(los) > 0 {
		oids := make([]int64, len(los))
		for i, l := range los {
			oids[i] = int64(l.oid)
		}
		var clash int64
		if err := w.target.QueryRow(ctx, `SELECT count(*) FROM pg_largeobject_metadata WHERE oid::bigint = ANY($1)`, oids).Scan(&clash); err != nil {
			return fmt.Errorf("target: %w", err)
		}
		if clash > 0 {
			return fmt.Errorf("%d large objects of the source's OIDs already exist at the target; sortie never overwrites them", clash)
		}
	}
	if err := L.StartPhase(ctx, database.PhaseLargeObjects); err != nil {
		return err
	}
	w.c.o.Emit(database.CopyEvent{Kind: database.EventPhase, Phase: database.PhaseLargeObjects})
	tx, err := w.target.Begin(ctx)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var bytes int64
	srcLO, dstLO := w.srcTx.LargeObjects(), tx.LargeObjects()
	for _, l := range los {
		if state == database.Started {
			if _, err := tx.Exec(ctx, `SELECT lo_unlink(oid) FROM pg_largeobject_metadata WHERE oid = $1`, l.oid); err != nil {
				return fmt.Errorf("target: large object %d: %w", l.oid, err)
			}
		}
		if _, err := dstLO.Create(ctx, l.oid); err != nil {
			return fmt.Errorf("target: create large object %d: %w", l.oid, err)
		}
		r, err := srcLO.Open(ctx, l.oid, pgx.LargeObjectModeRead)
		if err != nil {
			return fmt.Errorf("source: open large object %d: %w", l.oid, err)
		}
		wr, err := dstLO.Open(ctx, l.oid, pgx.LargeObjectModeWrite)
		if err != nil {
			return fmt.Errorf("target: open large object %d: %w", l.oid, err)
		}
		meter := &database.Meter{W: wr, Ctx: ctx, Throttle: w.c.throttle, Options: w.c.o, Table: "large objects"}
		if _, err := io.CopyBuffer(meter, r, make([]byte, 256<<10)); err != nil {
			return fmt.Errorf("large object %d: %w", l.oid, err)
		}
		r.Close()
		wr.Close()
		bytes += meter.N
		if _, err := tx.Exec(ctx, fmt.Sprintf(`ALTER LARGE OBJECT %d OWNER TO %s`, l.oid, pgx.Identifier{l.owner}.Sanitize())); err != nil {
			return fmt.Errorf("target: large object %d: owner %s: %w", l.oid, l.owner, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("target: commit the large objects: %w", err)
	}
	detail := fmt.Sprintf("%d %d %d", len(los), bytes, withACL)
	if err := L.EndPhase(ctx, database.PhaseLargeObjects, detail); err != nil {
		return err
	}
	w.c.o.Emit(database.CopyEvent{Kind: database.EventPhaseDone, Phase: database.PhaseLargeObjects, Rows: int64(len(los)), Bytes: bytes})
	return nil
}

// parseLO reads the large-objects phase's detail: count, bytes, with ACL.
func parseLO(d string) (n, bytes int64) {
	f := strings.Fields(d)
	if len(f) >= 2 {
		n, _ = strconv.ParseInt(f[0], 10, 64)
		bytes, _ = strconv.ParseInt(f[1], 10, 64)
	}
	return n, bytes
}

// sequences sets each of the target's sequences from the source's value,
// with is_called, so that the next value handed out at the target is the
// one the source would hand out.
func (c *copier) sequences(ctx context.Context, src, target *pgx.Conn) (string, error) {
	rows, err := src.Query(ctx, `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'S' AND `+userSchemas+` AND `+notInExtension+` ORDER BY 1, 2`)
	if err != nil {
		return "", fmt.Errorf("source: list the sequences: %w", err)
	}
	type seq struct{ schema, name string }
	seqs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (seq, error) {
		var s seq
		err := r.Scan(&s.schema, &s.name)
		return s, err
	})
	if err != nil {
		return "", fmt.Errorf("source: list the sequences: %w", err)
	}
	for _, s := range seqs {
		id := pgx.Identifier{s.schema, s.name}.Sanitize()
		var last int64
		var called bool
		if err := src.QueryRow(ctx, `SELECT last_value, is_called FROM `+id).Scan(&last, &called); err != nil {
			return "", fmt.Errorf("source: read sequence %s.%s: %w", s.schema, s.name, err)
		}
		if _, err := target.Exec(ctx, `SELECT setval($1::regclass, $2, $3)`, id, last, called); err != nil {
			return "", fmt.Errorf("target: set sequence %s.%s: %w", s.schema, s.name, err)
		}
	}
	return strconv.Itoa(len(seqs)), nil
}

// roles creates at the target the roles the source's schema refers to —
// owners, grantees, policies' roles, large objects' owners — that it
// lacks, without passwords (the operator sets them), with their login,
// createdb, createrole and inherit attributes and their memberships in
// roles the target has. RDS's own roles are never created.
func (c *copier) roles(ctx context.Context, src pgx.Tx, target *pgx.Conn) (string, error) {
	rows, err := src.Query(ctx, `WITH refs(r) AS (
		SELECT c.relowner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE `+userSchemas+`
		UNION SELECT (aclexplode(c.relacl)).grantee FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relacl IS NOT NULL AND `+userSchemas+`
		UNION SELECT (aclexplode(a.attacl)).grantee FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE a.attacl IS NOT NULL AND `+userSchemas+`
		UNION SELECT n.nspowner FROM pg_namespace n WHERE `+userSchemas+`
		UNION SELECT (aclexplode(n.nspacl)).grantee FROM pg_namespace n WHERE n.nspacl IS NOT NULL AND `+userSchemas+`
		UNION SELECT p.proowner FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE `+userSchemas+`
		UNION SELECT (aclexplode(p.proacl)).grantee FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proacl IS NOT NULL AND `+userSchemas+`
		UNION SELECT t.typowner FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE `+userSchemas+`
		UNION SELECT (aclexplode(t.typacl)).grantee FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typacl IS NOT NULL AND `+userSchemas+`
		UNION SELECT d.defaclrole FROM pg_default_acl d
		UNION SELECT (aclexplode(d.defaclacl)).grantee FROM pg_default_acl d
		UNION SELECT unnest(p.polroles) FROM pg_policy p
		UNION SELECT m.lomowner FROM pg_largeobject_metadata m
		UNION SELECT e.evtowner FROM pg_event_trigger e)
		SELECT r.rolname, r.rolcanlogin, r.rolinherit, r.rolcreatedb, r.rolcreaterole,
		coalesce(array_agg(g.rolname ORDER BY g.rolname) FILTER (WHERE g.rolname IS NOT NULL), '{}')
		FROM refs JOIN pg_roles r ON r.oid = refs.r
		LEFT JOIN pg_auth_members m ON m.member = r.oid LEFT JOIN pg_roles g ON g.oid = m.roleid
		WHERE r.rolname NOT LIKE 'pg\_%'
		GROUP BY 1, 2, 3, 4, 5 ORDER BY 1`)
	if err != nil {
		return "", fmt.Errorf("source: read the roles: %w", err)
	}
	type role struct {
		name                              string
		login, inherit, createdb, creater bool
		memberOf                          []string
	}
	roles, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (role, error) {
		var o role
		err := r.Scan(&o.name, &o.login, &o.inherit, &o.createdb, &o.creater, &o.memberOf)
		return o, err
	})
	if err != nil {
		return "", fmt.Errorf("source: read the roles: %w", err)
	}
	rows, err = target.Query(ctx, `SELECT rolname FROM pg_roles`)
	if err != nil {
		return "", fmt.Errorf("target: read the roles: %w", err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("target: read the roles: %w", err)
	}
	exists := map[string]bool{}
	for _, h := range have {
		exists[h] = true
	}
	var created []string
	for _, r := range roles {
		if exists[r.name] || database.IsRDSRole(r.name) {
			continue
		}
		attrs := []string{"NOLOGIN"}
		if r.login {
			attrs[0] = "LOGIN"
		}
		if !r.inherit {
			attrs = append(attrs, "NOINHERIT")
		}
		if r.createdb {
			attrs = append(attrs, "CREATEDB")
		}
		if r.creater {
			attrs = append(attrs, "CREATEROLE")
		}
		if _, err := target.Exec(ctx, `CREATE ROLE `+pgx.Identifier{r.name}.Sanitize()+` `+strings.Join(attrs, " ")); err != nil {
			return "", fmt.Errorf("target: create role %s: %w", r.name, err)
		}
		exists[r.name] = true
		created = append(created, r.name)
	}
	for _, r := range roles {
		if !slices.Contains(created, r.name) {
			continue
		}
		for _, g := range r.memberOf {
			if exists[g] {
				if _, err := target.Exec(ctx, `GRANT `+pgx.Identifier{g}.Sanitize()+` TO `+pgx.Identifier{r.name}.Sanitize()); err != nil {
					return "", fmt.Errorf("target: grant %s to %s: %w", g, r.name, err)
				}
			}
		}
	}
	return strings.Join(created, ","), nil
}

// notes says what the operator must still do.
func (c *copier) notes() {
	if len(c.res.RolesCreated) > 0 {
		c.res.Note("roles-no-password", strings.Join(c.res.RolesCreated, ", "))
	}
	if _, d := c.o.Ledger.Phase(database.PhaseLargeObjects); d != "" {
		if f := strings.Fields(d); len(f) == 3 && f[2] != "0" {
			c.res.Note("lo-acl", f[2])
		}
	}
	if c.res.Resumed {
		c.res.Note("resumed-snapshot")
	}
	if c.o.Online {
		if c.res.LargeObjects > 0 {
			c.res.Note("online-lo", strconv.FormatInt(c.res.LargeObjects, 10))
		}
		c.res.Note("online", c.o.ReplicationName, c.res.Source, c.res.Target)
	} else {
		c.res.Note("verify", c.res.Source, c.res.Target)
	}
}

// sourceTables lists the tables of the source's database, with the
// columns COPY carries.
func sourceTables(ctx context.Context, c *pgx.Conn) ([]table, error) {
	rows, err := c.Query(ctx, `SELECT n.nspname, c.relname, c.relkind = 'p', pg_table_size(c.oid), greatest(c.reltuples, 0)::bigint,
		coalesce((SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
			WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''), '{}')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't' AND `+userSchemas+` AND `+notInExtension+`
		ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		var t table
		err := r.Scan(&t.schema, &t.name, &t.partitioned, &t.bytes, &t.rows, &t.columns)
		return t, err
	})
}

// targetTables lists the tables the target's database holds.
func targetTables(ctx context.Context, c *pgx.Conn) (map[string]bool, error) {
	rows, err := c.Query(ctx, `SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND `+userSchemas+` AND `+notInExtension)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m, err
}

// openCopy opens a session for the copy: at the source, read-only
// transactions, no statement timeout (a table's COPY takes as long as it
// takes) and no idle-in-transaction timeout (the snapshot's transaction
// waits for the whole copy); at the target, the same timeouts off.
func openCopy(ctx context.Context, ep database.Endpoint, side database.Side) (*pgx.Conn, error) {
	cfg, err := sessionConfig(ep, side, "sortie db copy", nil)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["statement_timeout"] = "0"
	cfg.RuntimeParams["idle_in_transaction_session_timeout"] = "0"
	// COPY's text is read back by the other server: the settings that
	// shape it are pinned the same on both sides, whatever a database or
	// a parameter group sets (DateStyle 'SQL, DMY' would swap days and
	// months at a target in ISO, MDY; extra_float_digits=0 rounds floats).
	cfg.RuntimeParams["DateStyle"] = "ISO, MDY"
	cfg.RuntimeParams["IntervalStyle"] = "postgres"
	cfg.RuntimeParams["extra_float_digits"] = "3"
	cfg.RuntimeParams["TimeZone"] = "UTC"
	cfg.RuntimeParams["bytea_output"] = "hex"
	if side == database.Source {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
		// A table another session holds exclusively (an ALTER TABLE
		// under way) fails its copy rather than waiting for ever.
		cfg.RuntimeParams["lock_timeout"] = "10s"
	}
	return dial(ctx, ep, side, cfg)
}

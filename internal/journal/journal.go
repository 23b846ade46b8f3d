// Package journal keeps the durable record of a copy or sync job in an
// embedded SQLite database (pure Go, no cgo): one file per job, keyed by
// source, destination and the options that change the result. It records
// each object's state — started, done with the destination's confirmation,
// failed with the reason and attempt count — and the multipart uploads in
// flight with their confirmed parts, so that a run killed at any moment is
// resumed by running the same command again.
//
// Writes are batched by one goroutine into transactions, in write-ahead-log
// mode, so that the journal is not the bottleneck of a run. A file that is
// not a sortie journal, or one written by an incompatible version, is
// refused with an error that says so; it is never silently started afresh.
//
// It is not for deciding what to copy: the diff of the listings does that.
package journal

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sortie-dev/sortie/internal/transfer"
)

// FormatVersion is the journal format this build reads and writes. A
// journal of another format is refused.
const FormatVersion = 1

// Object states.
const (
	StateStarted = 1
	StateDone    = 2
	StateFailed  = 3
	StateDeleted = 4
)

// Job identifies what a journal is for.
type Job struct {
	Source      string
	Destination string
	// Options are the settings that change the result (filters, sync or
	// copy, storage class), rendered as text; the job's ID depends on them.
	Options string
}

// CopyJob is the identity of a copy or sync job: its source and
// destination (as identity strings that name endpoint and bucket) and the
// options that change what ends up at the destination.
func CopyJob(command, source, destination string, include, exclude []string, storageClass string) Job {
	return Job{Source: source, Destination: destination,
		Options: fmt.Sprintf("%s include=%q exclude=%q storage-class=%q", command, include, exclude, storageClass)}
}

// ID is the job's stable identifier: the same command gets the same ID.
func (j Job) ID() string {
	h := sha256.Sum256([]byte(j.Source + "\x00" + j.Destination + "\x00" + j.Options))
	return hex.EncodeToString(h[:6])
}

// Dir returns the directory journals live in by default:
// $XDG_STATE_HOME/sortie, or ~/.local/state/sortie.
func Dir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "sortie"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the home directory for the journal: %w; pass --journal", err)
	}
	return filepath.Join(home, ".local", "state", "sortie"), nil
}

// FormatError reports a file that is not a journal this build can use.
type FormatError struct {
	Path   string
	Reason string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("open journal %s: %s; move it aside (sortie never overwrites a journal it cannot read) or pass --journal with another path", e.Path, e.Reason)
}

// JobMismatchError reports a journal recorded for another job.
type JobMismatchError struct {
	Path     string
	Recorded Job
}

func (e *JobMismatchError) Error() string {
	return fmt.Sprintf("journal %s belongs to another job (%s → %s); pass a different --journal", e.Path, e.Recorded.Source, e.Recorded.Destination)
}

const schema = `
CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE objects (
	key      TEXT PRIMARY KEY,
	size     INTEGER NOT NULL,
	src_etag TEXT NOT NULL,
	state    INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	reason   TEXT NOT NULL DEFAULT '',
	dst_etag TEXT NOT NULL DEFAULT '',
	started  INTEGER NOT NULL DEFAULT 0,
	updated  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE uploads (
	key       TEXT PRIMARY KEY,
	upload_id TEXT NOT NULL,
	src_etag  TEXT NOT NULL,
	opaque    INTEGER NOT NULL,
	size      INTEGER NOT NULL,
	part_size INTEGER NOT NULL,
	parts     INTEGER NOT NULL,
	by_number INTEGER NOT NULL,
	started   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE parts (
	key        TEXT NOT NULL,
	upload_id  TEXT NOT NULL,
	number     INTEGER NOT NULL,
	etag       TEXT NOT NULL,
	md5        BLOB,
	size       INTEGER NOT NULL,
	hash_state BLOB,
	PRIMARY KEY (key, upload_id, number)
) WITHOUT ROWID;
CREATE TABLE runs (
	id       INTEGER PRIMARY KEY,
	command  TEXT NOT NULL,
	started  INTEGER NOT NULL,
	ended    INTEGER NOT NULL DEFAULT 0,
	outcome  TEXT NOT NULL DEFAULT 'running',
	pid      INTEGER NOT NULL DEFAULT 0,
	src_objects INTEGER NOT NULL DEFAULT 0,
	src_bytes   INTEGER NOT NULL DEFAULT 0,
	copied   INTEGER NOT NULL DEFAULT 0,
	copied_bytes INTEGER NOT NULL DEFAULT 0,
	unchanged INTEGER NOT NULL DEFAULT 0,
	deleted  INTEGER NOT NULL DEFAULT 0,
	failed   INTEGER NOT NULL DEFAULT 0
);
` + versionsSchema

// versionsSchema holds the history a history copy (--versions) carried:
// each source version of a key and the destination version it became. It
// is created on opening too, so journals written before it keep working.
const versionsSchema = `
CREATE TABLE IF NOT EXISTS versions (
	key         TEXT NOT NULL,
	src_version TEXT NOT NULL,
	dst_version TEXT NOT NULL,
	marker      INTEGER NOT NULL,
	updated     INTEGER NOT NULL,
	PRIMARY KEY (key, src_version)
) WITHOUT ROWID;
`

// Journal is one job's record, open for a run.
type Journal struct {
	db   *sql.DB
	path string
	job  Job

	ops     chan op
	flushes chan chan error
	quit    chan struct{} // closed by Close: the writer drains and returns
	done    chan struct{} // closed by the writer when it has returned
	closeMu sync.Once

	errMu sync.Mutex
	err   error // the first write error; reported by Flush and Close

	// unfinished holds the keys an earlier run left started, neither done
	// nor failed: few (those in flight at a crash), so kept in memory.
	unfinished sync.Map
	// uploads maps keys to the upload recorded for them (few: those in
	// flight), so that Unchanged needs no query.
	uploads sync.Map
	// recovering is set when the last run was killed: its last batch of
	// records may be lost, so every object found already copied is
	// recorded as confirmed. After a clean end nothing was lost, and a
	// no-op run writes nothing per object.
	recovering bool
	// created says this Open made the file. Close removes such a journal
	// if it still records nothing: a run that fails its preflight checks
	// (opened after the journal, so that an unusable journal stops it
	// first) must not leave a job behind that never started.
	created bool
}

var _ transfer.Ledger = (*Journal)(nil)

// openDB opens the SQLite file with WAL and a busy timeout.
func openDB(path string) (*sql.DB, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	return db, nil
}

// Open opens the journal at path for job, creating it if it does not exist.
func Open(ctx context.Context, path string, job Job) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create journal directory: %w; pass --journal", err)
	}
	_, statErr := os.Stat(path)
	fresh := errors.Is(statErr, os.ErrNotExist)
	if !fresh {
		// Look before opening for writing: turning on WAL would rewrite
		// the header of a file that is not ours.
		recorded, err := readJob(ctx, path)
		if err != nil {
			return nil, err
		}
		if recorded != job {
			return nil, &JobMismatchError{Path: path, Recorded: recorded}
		}
	}
	db, err := openDB(path)
	if err != nil {
		return nil, &FormatError{Path: path, Reason: err.Error()}
	}
	if fresh {
		if err := create(ctx, db, job); err != nil {
			db.Close()
			os.Remove(path)
			return nil, fmt.Errorf("create journal %s: %w", path, err)
		}
	}
	if !fresh {
		if _, err := db.ExecContext(ctx, versionsSchema); err != nil {
			db.Close()
			return nil, &FormatError{Path: path, Reason: unreadable(err)}
		}
	}
	j := &Journal{db: db, path: path, job: job, ops: make(chan op, 4096), flushes: make(chan chan error),
		quit: make(chan struct{}), done: make(chan struct{}), created: fresh}
	if err := j.loadUnfinished(ctx); err != nil {
		db.Close()
		return nil, err
	}
	go j.writer()
	return j, nil
}

func (j *Journal) loadUnfinished(ctx context.Context) error {
	var outcome string
	err := j.db.QueryRowContext(ctx, `SELECT outcome FROM runs ORDER BY id DESC LIMIT 1`).Scan(&outcome)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return &FormatError{Path: j.path, Reason: unreadable(err)}
	}
	j.recovering = outcome == "running"
	rows, err := j.db.QueryContext(ctx, `SELECT key FROM objects WHERE state = ?`, StateStarted)
	if err != nil {
		return &FormatError{Path: j.path, Reason: unreadable(err)}
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return &FormatError{Path: j.path, Reason: unreadable(err)}
		}
		j.unfinished.Store(k, struct{}{})
	}
	if err := rows.Err(); err != nil {
		return &FormatError{Path: j.path, Reason: unreadable(err)}
	}
	ups, err := j.db.QueryContext(ctx, `SELECT key, upload_id FROM uploads`)
	if err != nil {
		return &FormatError{Path: j.path, Reason: unreadable(err)}
	}
	defer ups.Close()
	for ups.Next() {
		var k, id string
		if err := ups.Scan(&k, &id); err != nil {
			return &FormatError{Path: j.path, Reason: unreadable(err)}
		}
		j.uploads.Store(k, id)
	}
	return ups.Err()
}

func create(ctx context.Context, db *sql.DB, job Job) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return err
	}
	for k, v := range map[string]string{
		"app": "sortie", "format": strconv.Itoa(FormatVersion), "source": job.Source,
		"destination": job.Destination, "options": job.Options, "created": strconv.FormatInt(time.Now().Unix(), 10),
	} {
		if _, err := tx.ExecContext(ctx, "INSERT INTO meta (k, v) VALUES (?, ?)", k, v); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// readJob checks an existing journal through a read-only connection.
func readJob(ctx context.Context, path string) (Job, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return Job{}, &FormatError{Path: path, Reason: err.Error()}
	}
	defer db.Close()
	return check(ctx, db, path)
}

// unreadable describes a SQLite error met while reading a journal's header.
func unreadable(err error) string {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // primary result code
		case sqlite3.SQLITE_CORRUPT:
			return "file is damaged (" + shortErr(err) + ")"
		case sqlite3.SQLITE_NOTADB:
			return "file is not a sortie journal (not an SQLite database)"
		}
	}
	return "file is not a sortie journal (" + shortErr(err) + ")"
}

// check reads a journal's header and refuses what this build cannot use.
func check(ctx context.Context, db *sql.DB, path string) (Job, error) {
	rows, err := db.QueryContext(ctx, "SELECT k, v FROM meta")
	if err != nil {
		return Job{}, &FormatError{Path: path, Reason: unreadable(err)}
	}
	defer rows.Close()
	meta := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return Job{}, &FormatError{Path: path, Reason: unreadable(err)}
		}
		meta[k] = v
	}
	if err := rows.Err(); err != nil {
		return Job{}, &FormatError{Path: path, Reason: unreadable(err)}
	}
	if meta["app"] != "sortie" {
		return Job{}, &FormatError{Path: path, Reason: "file is not a sortie journal"}
	}
	v, err := strconv.Atoi(meta["format"])
	switch {
	case err != nil:
		return Job{}, &FormatError{Path: path, Reason: fmt.Sprintf("unreadable format version %q", meta["format"])}
	case v > FormatVersion:
		return Job{}, &FormatError{Path: path, Reason: fmt.Sprintf("written by a newer sortie (format %d, this one reads %d); upgrade sortie", v, FormatVersion)}
	case v < FormatVersion:
		return Job{}, &FormatError{Path: path, Reason: fmt.Sprintf("written by an older sortie (format %d, this one reads %d)", v, FormatVersion)}
	}
	// A damaged page elsewhere in the file must not be found halfway
	// through a run: look at every page now.
	var verdict string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&verdict); err != nil || verdict != "ok" {
		if err != nil {
			verdict = shortErr(err)
		}
		return Job{}, &FormatError{Path: path, Reason: "file is damaged (" + verdict + ")"}
	}
	return Job{Source: meta["source"], Destination: meta["destination"], Options: meta["options"]}, nil
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.Index(s, "\n"); i >= 0 {
		s = s[:i]
	}
	return s
}

// Path returns the journal's file.
func (j *Journal) Path() string { return j.path }

// op is one write, applied by the writer goroutine inside a transaction.
type op struct {
	sql  string
	args []any
}

func (j *Journal) send(sql string, args ...any) {
	select {
	case j.ops <- op{sql: sql, args: args}:
	case <-j.quit: // closed: a late write from a cancelled worker is dropped
	}
}

// writer applies ops in batches: a transaction every 100 ms or 2,000 ops,
// whichever comes first, and on every Flush and at Close.
func (j *Journal) writer() {
	defer close(j.done)
	batch := make([]op, 0, 2000)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	commit := func() {
		if len(batch) == 0 {
			return
		}
		err := j.apply(batch)
		batch = batch[:0]
		if err != nil {
			j.errMu.Lock()
			if j.err == nil {
				j.err = err
			}
			j.errMu.Unlock()
		}
	}
	add := func(o op) {
		batch = append(batch, o)
		if len(batch) == cap(batch) {
			commit()
		}
	}
	drain := func() {
		for {
			select {
			case o := <-j.ops:
				add(o)
			default:
				commit()
				return
			}
		}
	}
	for {
		select {
		case o := <-j.ops:
			add(o)
		case <-tick.C:
			commit()
		case ack := <-j.flushes:
			drain()
			ack <- j.Err()
		case <-j.quit:
			drain()
			return
		}
	}
}

func (j *Journal) apply(batch []op) error {
	tx, err := j.db.Begin()
	if err != nil {
		return fmt.Errorf("write journal %s: %w", j.path, err)
	}
	defer tx.Rollback()
	// A batch repeats a handful of statements thousands of times: prepare
	// each once.
	stmts := make(map[string]*sql.Stmt, 8)
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	for _, o := range batch {
		st, ok := stmts[o.sql]
		if !ok {
			if st, err = tx.Prepare(o.sql); err != nil {
				return fmt.Errorf("write journal %s: %w", j.path, err)
			}
			stmts[o.sql] = st
		}
		if _, err := st.Exec(o.args...); err != nil {
			return fmt.Errorf("write journal %s: %w", j.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write journal %s: %w", j.path, err)
	}
	return nil
}

// Err returns the first write error, if any.
func (j *Journal) Err() error {
	j.errMu.Lock()
	defer j.errMu.Unlock()
	return j.err
}

// Flush writes everything sent so far and returns the first write error.
func (j *Journal) Flush() error {
	ack := make(chan error, 1)
	select {
	case j.flushes <- ack:
		return <-ack
	case <-j.done:
		return j.Err()
	}
}

// Close writes what is pending and closes the journal. A journal this
// Open created, in which no run was started and nothing was recorded, is
// removed: it would only list a job that never ran.
func (j *Journal) Close() error {
	var err error
	j.closeMu.Do(func() {
		close(j.quit)
		<-j.done
		err = j.Err()
		remove := err == nil && j.created && j.empty()
		if cerr := j.db.Close(); err == nil {
			err = cerr
		}
		if remove && err == nil {
			err = removeFiles(j.path)
		}
	})
	return err
}

// empty reports whether the journal records no run, no object and no
// upload. Any doubt (a failed query) counts as not empty: a journal with
// state is never removed.
func (j *Journal) empty() bool {
	var n int64
	err := j.db.QueryRow(`SELECT (SELECT COUNT(*) FROM runs) + (SELECT COUNT(*) FROM objects) +
		(SELECT COUNT(*) FROM uploads) + (SELECT COUNT(*) FROM parts)`).Scan(&n)
	return err == nil && n == 0
}

// removeFiles deletes a journal and its WAL and shared-memory files.
func removeFiles(path string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func now() int64 { return time.Now().UnixNano() }

// Resumable implements transfer.Ledger.
func (j *Journal) Resumable(key, srcETag string, size int64) (transfer.Upload, bool) {
	// The in-memory view is updated at once; the table only when the batch
	// is written. An upload ended a moment ago must not be offered again.
	current, ok := j.uploads.Load(key)
	if !ok {
		return transfer.Upload{}, false
	}
	var u transfer.Upload
	var opaque, byNumber int
	err := j.db.QueryRow(`SELECT upload_id, src_etag, opaque, size, part_size, parts, by_number FROM uploads WHERE key = ?`, key).
		Scan(&u.ID, &u.SrcETag, &opaque, &u.Size, &u.PartSize, &u.Parts, &byNumber)
	if err != nil || u.ID != current.(string) || u.SrcETag != srcETag || u.Size != size {
		return transfer.Upload{}, false
	}
	u.Opaque, u.ByNumber = opaque != 0, byNumber != 0
	rows, err := j.db.Query(`SELECT number, etag, md5, size, hash_state FROM parts WHERE key = ? AND upload_id = ?`, key, u.ID)
	if err != nil {
		return transfer.Upload{}, false
	}
	defer rows.Close()
	u.Done = map[int]transfer.DonePart{}
	for rows.Next() {
		var p transfer.DonePart
		if err := rows.Scan(&p.Number, &p.ETag, &p.MD5, &p.Size, &p.HashState); err != nil {
			return transfer.Upload{}, false
		}
		u.Done[p.Number] = p
	}
	return u, rows.Err() == nil
}

// Started implements transfer.Ledger.
func (j *Journal) Started(key string, size int64, srcETag string) {
	t := now()
	j.send(`INSERT INTO objects (key, size, src_etag, state, attempts, started, updated) VALUES (?, ?, ?, ?, 1, ?, ?)
		ON CONFLICT (key) DO UPDATE SET size = excluded.size, src_etag = excluded.src_etag, state = excluded.state,
		attempts = objects.attempts + 1, reason = '', started = excluded.started, updated = excluded.updated`,
		key, size, srcETag, StateStarted, t, t)
}

// UploadStarted implements transfer.Ledger: the record is flushed before it
// returns, since parts must not be sent for an upload no run could find.
func (j *Journal) UploadStarted(key string, u transfer.Upload) error {
	j.uploads.Store(key, u.ID)
	j.send(`DELETE FROM parts WHERE key = ?`, key)
	j.send(`INSERT OR REPLACE INTO uploads (key, upload_id, src_etag, opaque, size, part_size, parts, by_number, started)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, key, u.ID, u.SrcETag, boolInt(u.Opaque), u.Size, u.PartSize, u.Parts, boolInt(u.ByNumber), now())
	return j.Flush()
}

// PartDone implements transfer.Ledger.
func (j *Journal) PartDone(key, uploadID string, p transfer.DonePart) {
	j.send(`INSERT OR REPLACE INTO parts (key, upload_id, number, etag, md5, size, hash_state) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		key, uploadID, p.Number, p.ETag, p.MD5, p.Size, p.HashState)
}

// UploadEnded implements transfer.Ledger.
func (j *Journal) UploadEnded(key, uploadID string) {
	j.uploads.CompareAndDelete(key, uploadID)
	j.send(`DELETE FROM parts WHERE key = ? AND upload_id = ?`, key, uploadID)
	j.send(`DELETE FROM uploads WHERE key = ? AND upload_id = ?`, key, uploadID)
}

// Done implements transfer.Ledger.
func (j *Journal) Done(key string, size int64, dstETag string) {
	j.send(`UPDATE objects SET state = ?, dst_etag = ?, size = ?, reason = '', updated = ? WHERE key = ?`, StateDone, dstETag, size, now(), key)
}

// Unchanged implements transfer.Ledger.
func (j *Journal) Unchanged(key string, size int64, dstETag string) string {
	if _, ok := j.unfinished.LoadAndDelete(key); ok || j.recovering {
		t := now()
		j.send(`INSERT INTO objects (key, size, src_etag, state, dst_etag, updated) VALUES (?, ?, '', ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET state = excluded.state, size = excluded.size, dst_etag = excluded.dst_etag,
			reason = '', updated = excluded.updated`, key, size, StateDone, dstETag, t)
	}
	if id, ok := j.uploads.Load(key); ok {
		return id.(string)
	}
	return ""
}

// Failed implements transfer.Ledger.
func (j *Journal) Failed(key, reason string) {
	t := now()
	j.send(`INSERT INTO objects (key, size, src_etag, state, attempts, reason, updated) VALUES (?, 0, '', ?, 1, ?, ?)
		ON CONFLICT (key) DO UPDATE SET state = excluded.state, reason = excluded.reason, updated = excluded.updated`,
		key, StateFailed, reason, t)
}

// Deleted implements transfer.Ledger.
func (j *Journal) Deleted(key string) {
	t := now()
	j.send(`INSERT INTO objects (key, size, src_etag, state, updated) VALUES (?, 0, '', ?, ?)
		ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated = excluded.updated`, key, StateDeleted, t)
}

// VersionDone implements transfer.Ledger.
func (j *Journal) VersionDone(key, srcID, dstID string, marker bool) {
	j.send(`INSERT OR REPLACE INTO versions (key, src_version, dst_version, marker, updated) VALUES (?, ?, ?, ?, ?)`,
		key, srcID, dstID, boolInt(marker), now())
}

// Carried implements transfer.Ledger. It reads what earlier runs recorded
// (and this one's writes already committed); a key's entries are written
// by one worker, after it asked.
func (j *Journal) Carried(key string) map[string]string {
	rows, err := j.db.Query(`SELECT src_version, dst_version FROM versions WHERE key = ?`, key)
	if err != nil {
		return nil // the destination's metadata then tells
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var s, d string
		if rows.Scan(&s, &d) == nil {
			m[s] = d
		}
	}
	return m
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// RunStarted records the start of a run and returns its ID.
func (j *Journal) RunStarted(command string) (int64, error) {
	res, err := j.db.Exec(`INSERT INTO runs (command, started, pid) VALUES (?, ?, ?)`, command, now(), os.Getpid())
	if err != nil {
		return 0, fmt.Errorf("write journal %s: %w", j.path, err)
	}
	return res.LastInsertId()
}

// Outcome says how a run ended: "interrupted" (cancelled), "failed" (it
// stopped, objects failed, or sync refused to delete), or "done".
func Outcome(s *transfer.Summary, runErr error) string {
	switch {
	case errors.Is(runErr, context.Canceled):
		return "interrupted"
	case runErr != nil || s == nil || len(s.Failed) > 0 || s.DeleteRefused != "":
		return "failed"
	}
	return "done"
}

// RunEnded records how a run ended (see Outcome), with its summary.
func (j *Journal) RunEnded(id int64, s *transfer.Summary, runErr error) error {
	outcome := Outcome(s, runErr)
	if s == nil {
		s = &transfer.Summary{}
	}
	if err := j.Flush(); err != nil {
		return err
	}
	_, err := j.db.Exec(`UPDATE runs SET ended = ?, outcome = ?, src_objects = ?, src_bytes = ?, copied = ?, copied_bytes = ?,
		unchanged = ?, deleted = ?, failed = ? WHERE id = ?`, now(), outcome, s.SrcObjects, s.SrcBytes, s.Copied, s.CopiedBytes,
		s.Unchanged, s.Deleted, len(s.Failed), id)
	if err != nil {
		return fmt.Errorf("write journal %s: %w", j.path, err)
	}
	return nil
}

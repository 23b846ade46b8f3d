// Package ledger is the durable record of one sortie db copy job, in an
// embedded SQLite file (the pure-Go driver the object journal uses): the
// phases done (roles, schema, data, large objects, post-data, sequences,
// the binlog position), each table started or finished with its row
// count, and which tables this job created at the target. A run killed at
// any moment is resumed by running the same command again: finished
// tables are skipped, and a table that was in flight is emptied and copied
// again — but only a table this job created.
//
// Each record is written in its own transaction before the call returns
// (synchronous=FULL): a db copy records a few steps per table, not one per
// object, so batching would save nothing and could lose a finished table.
// A file that is not a db copy ledger, or one of another format, is
// refused; it is never silently started afresh.
//
// It is not the object journal (internal/journal), whose records are per
// object and whose jobs sortie jobs lists.
package ledger

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
	"syscall"
	"time"

	"modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sortie-dev/sortie/internal/database"
)

// FormatVersion is the ledger format this build reads and writes; a ledger
// of another format is refused.
const FormatVersion = 1

// kind tells a db copy ledger from the object journal, which shares the
// meta table's shape.
const kind = "db-copy"

// Job identifies what a ledger is for: the source and the target, as
// endpoints without passwords.
type Job struct {
	Source, Target string
}

// ID is the job's stable identifier.
func (j Job) ID() string {
	h := sha256.Sum256([]byte("db copy\x00" + j.Source + "\x00" + j.Target))
	return hex.EncodeToString(h[:6])
}

// FormatError is a file that is not a ledger this build can use.
type FormatError struct {
	Path   string
	Reason string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("open db copy journal %s: %s; move it aside (sortie never overwrites a journal it cannot read) or pass --journal with another path", e.Path, e.Reason)
}

// JobMismatchError is a ledger recorded for another source or target.
type JobMismatchError struct {
	Path     string
	Recorded Job
}

func (e *JobMismatchError) Error() string {
	return fmt.Sprintf("db copy journal %s belongs to another job (%s → %s); pass a different --journal", e.Path, e.Recorded.Source, e.Recorded.Target)
}

// BusyError is a job another sortie process is running now.
type BusyError struct {
	Path string
	PID  int
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("db copy journal %s: process %d is running this job now; wait for it or stop it", e.Path, e.PID)
}

const schema = `
CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE phases (
	name    TEXT PRIMARY KEY,
	state   INTEGER NOT NULL,
	detail  TEXT NOT NULL DEFAULT '',
	run     INTEGER NOT NULL,
	updated INTEGER NOT NULL
);
CREATE TABLE tables (
	name    TEXT PRIMARY KEY,
	state   INTEGER NOT NULL DEFAULT 0,
	created INTEGER NOT NULL DEFAULT 0,
	rows    INTEGER NOT NULL DEFAULT 0,
	bytes   INTEGER NOT NULL DEFAULT 0,
	run     INTEGER NOT NULL DEFAULT 0,
	updated INTEGER NOT NULL
);
CREATE TABLE runs (
	id      INTEGER PRIMARY KEY,
	pid     INTEGER NOT NULL,
	started INTEGER NOT NULL,
	ended   INTEGER NOT NULL DEFAULT 0,
	outcome TEXT NOT NULL DEFAULT 'running'
);
`

// Ledger is one job's record, open for a run. It implements
// database.Ledger and is safe for concurrent use.
type Ledger struct {
	db   *sql.DB
	path string
	run  int64

	mu     sync.Mutex
	phases map[string]phase
	tables map[string]database.TableRecord
	// resumed says an earlier run recorded something.
	resumed bool
	// fresh says this Open made the file; wrote that a step was
	// recorded. Close removes a fresh ledger that recorded nothing: a run
	// refused before it began leaves no job behind.
	fresh, wrote bool
}

type phase struct {
	state  database.State
	detail string
}

var _ database.Ledger = (*Ledger)(nil)

// Dir is where db copy ledgers live by default: the db directory of the
// object journals' (under $XDG_STATE_HOME/sortie or ~/.local/state/sortie),
// apart from them so that sortie jobs does not take them for its own.
func Dir(journalDir string) string { return filepath.Join(journalDir, "db") }

// Open opens the ledger at path for job, creating it if it does not exist,
// and records a new run.
func Open(ctx context.Context, path string, job Job) (*Ledger, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the db copy journal's directory: %w; pass --journal", err)
	}
	_, statErr := os.Stat(path)
	fresh := errors.Is(statErr, os.ErrNotExist)
	if !fresh {
		// Look through a read-only connection first: opening for writing
		// in WAL mode would rewrite the header of a file that is not ours.
		recorded, err := readJob(ctx, path)
		if err != nil {
			return nil, err
		}
		if recorded != job {
			return nil, &JobMismatchError{Path: path, Recorded: recorded}
		}
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, &FormatError{Path: path, Reason: err.Error()}
	}
	db.SetMaxOpenConns(1)
	if fresh {
		if err := create(ctx, db, job); err != nil {
			db.Close()
			os.Remove(path)
			return nil, fmt.Errorf("create db copy journal %s: %w", path, err)
		}
	}
	l := &Ledger{db: db, path: path, phases: map[string]phase{}, tables: map[string]database.TableRecord{}, fresh: fresh}
	if err := l.load(ctx); err != nil {
		db.Close()
		return nil, err
	}
	res, err := db.ExecContext(ctx, `INSERT INTO runs (pid, started) VALUES (?, ?)`, os.Getpid(), time.Now().Unix())
	if err == nil {
		l.run, err = res.LastInsertId()
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("db copy journal %s: record the run: %w", path, err)
	}
	return l, nil
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
	for k, v := range map[string]string{"app": "sortie", "kind": kind, "format": strconv.Itoa(FormatVersion),
		"source": job.Source, "target": job.Target, "created": strconv.FormatInt(time.Now().Unix(), 10)} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (k, v) VALUES (?, ?)`, k, v); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func readJob(ctx context.Context, path string) (Job, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return Job{}, &FormatError{Path: path, Reason: err.Error()}
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT k, v FROM meta`)
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
	switch {
	case meta["app"] != "sortie":
		return Job{}, &FormatError{Path: path, Reason: "file is not a sortie journal"}
	case meta["kind"] != kind:
		return Job{}, &FormatError{Path: path, Reason: "file is an object copy's journal, not a db copy's"}
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
	var verdict string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&verdict); err != nil || verdict != "ok" {
		if err != nil {
			verdict = unreadable(err)
		}
		return Job{}, &FormatError{Path: path, Reason: "file is damaged (" + verdict + ")"}
	}
	return Job{Source: meta["source"], Target: meta["target"]}, nil
}

func unreadable(err error) string {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CORRUPT:
			return "file is damaged"
		case sqlite3.SQLITE_NOTADB:
			return "file is not a sortie journal (not an SQLite database)"
		}
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return "file is not a sortie journal (" + s + ")"
}

func (l *Ledger) load(ctx context.Context) error {
	var pid int
	var outcome string
	err := l.db.QueryRowContext(ctx, `SELECT pid, outcome FROM runs ORDER BY id DESC LIMIT 1`).Scan(&pid, &outcome)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return &FormatError{Path: l.path, Reason: unreadable(err)}
	default:
		l.resumed = true
		if outcome == "running" && pid != os.Getpid() && alive(pid) {
			return &BusyError{Path: l.path, PID: pid}
		}
	}
	rows, err := l.db.QueryContext(ctx, `SELECT name, state, detail FROM phases`)
	if err != nil {
		return &FormatError{Path: l.path, Reason: unreadable(err)}
	}
	for rows.Next() {
		var name string
		var p phase
		if err := rows.Scan(&name, &p.state, &p.detail); err != nil {
			rows.Close()
			return &FormatError{Path: l.path, Reason: unreadable(err)}
		}
		l.phases[name] = p
	}
	rows.Close()
	rows, err = l.db.QueryContext(ctx, `SELECT name, state, created, rows, bytes FROM tables`)
	if err != nil {
		return &FormatError{Path: l.path, Reason: unreadable(err)}
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var t database.TableRecord
		if err := rows.Scan(&name, &t.State, &t.Created, &t.Rows, &t.Bytes); err != nil {
			return &FormatError{Path: l.path, Reason: unreadable(err)}
		}
		l.tables[name] = t
	}
	return rows.Err()
}

// alive reports whether a process runs with that pid (the kill -0 probe).
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Path is the ledger's file.
func (l *Ledger) Path() string { return l.path }

// Resumed says an earlier run of this job had begun.
func (l *Ledger) Resumed() bool { return l.resumed }

// Phase implements database.Ledger.
func (l *Ledger) Phase(name string) (database.State, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.phases[name]
	return p.state, p.detail
}

// StartPhase implements database.Ledger.
func (l *Ledger) StartPhase(ctx context.Context, name string) error {
	return l.setPhase(ctx, name, database.Started, "")
}

// EndPhase implements database.Ledger.
func (l *Ledger) EndPhase(ctx context.Context, name, detail string) error {
	return l.setPhase(ctx, name, database.Done, detail)
}

func (l *Ledger) setPhase(ctx context.Context, name string, s database.State, detail string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.db.ExecContext(ctx, `INSERT INTO phases (name, state, detail, run, updated) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET state = excluded.state, detail = excluded.detail, run = excluded.run, updated = excluded.updated`,
		name, s, detail, l.run, time.Now().UnixNano())
	if err != nil {
		return &database.LedgerError{Err: fmt.Errorf("%s: %w", l.path, err)}
	}
	l.phases[name] = phase{state: s, detail: detail}
	l.wrote = true
	return nil
}

// Table implements database.Ledger.
func (l *Ledger) Table(name string) database.TableRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tables[name]
}

// MarkCreated implements database.Ledger.
func (l *Ledger) MarkCreated(ctx context.Context, names []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return &database.LedgerError{Err: err}
	}
	defer tx.Rollback()
	now := time.Now().UnixNano()
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tables (name, created, updated) VALUES (?, 1, ?)
			ON CONFLICT (name) DO UPDATE SET created = 1, updated = excluded.updated`, n, now); err != nil {
			return &database.LedgerError{Err: err}
		}
	}
	if err := tx.Commit(); err != nil {
		return &database.LedgerError{Err: err}
	}
	l.wrote = l.wrote || len(names) > 0
	for _, n := range names {
		t := l.tables[n]
		t.Created = true
		l.tables[n] = t
	}
	return nil
}

// StartTable implements database.Ledger.
func (l *Ledger) StartTable(ctx context.Context, name string) error {
	return l.setTable(ctx, name, database.Started, 0, 0)
}

// EndTable implements database.Ledger.
func (l *Ledger) EndTable(ctx context.Context, name string, rows, bytes int64) error {
	return l.setTable(ctx, name, database.Done, rows, bytes)
}

func (l *Ledger) setTable(ctx context.Context, name string, s database.State, rows, bytes int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.db.ExecContext(ctx, `INSERT INTO tables (name, state, rows, bytes, run, updated) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET state = excluded.state, rows = excluded.rows, bytes = excluded.bytes, run = excluded.run, updated = excluded.updated`,
		name, s, rows, bytes, l.run, time.Now().UnixNano())
	if err != nil {
		return &database.LedgerError{Err: fmt.Errorf("%s: %w", l.path, err)}
	}
	l.wrote = true
	t := l.tables[name]
	t.State, t.Rows, t.Bytes = s, rows, bytes
	l.tables[name] = t
	return nil
}

// Close records how the run ended (done, failed, interrupted) and closes
// the file.
func (l *Ledger) Close(outcome string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.db.Exec(`UPDATE runs SET ended = ?, outcome = ? WHERE id = ?`, time.Now().Unix(), outcome, l.run)
	if cerr := l.db.Close(); err == nil {
		err = cerr
	}
	if l.fresh && !l.wrote {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(l.path + suffix)
		}
	}
	return err
}

package database

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// The phases of sortie db copy, in the order they run, as the ledger
// records them. Not every engine has every phase (MySQL has no roles and
// no large objects; PostgreSQL records no binlog position).
const (
	// PhaseRoles: the roles the schema refers to, created at the target
	// without passwords when missing (PostgreSQL).
	PhaseRoles = "roles"
	// PhaseSchema: tables, types, functions, views — what must exist
	// before the rows (pg_dump's pre-data; mariadb-dump --no-data).
	PhaseSchema = "schema"
	// PhaseData: every table's rows; each table is also recorded alone.
	PhaseData = "data"
	// PhaseLargeObjects: PostgreSQL's large objects.
	PhaseLargeObjects = "large-objects"
	// PhasePostData: indexes, constraints, triggers (pg_dump's
	// post-data; MySQL's triggers, routines and events).
	PhasePostData = "post-data"
	// PhaseSequences: sequences (PostgreSQL) or AUTO_INCREMENT counters
	// (MySQL) set from the source's values.
	PhaseSequences = "sequences"
	// PhaseBinlog: the source's binary log position of the data's
	// snapshot (MySQL), the point --online will replicate from.
	PhaseBinlog = "binlog-position"
	// PhaseReplication: --online's replication set up (PostgreSQL: the
	// slot created before the data's snapshot, the subscription after
	// the data; MySQL: the target made a replica from the binlog
	// position). Its detail is the replication's name.
	PhaseReplication = "replication"
)

// State is where a table or a phase stands in the ledger.
type State int

const (
	NotStarted State = iota
	// Started: begun and not confirmed; after a crash, what the target
	// holds of it is unknown.
	Started
	// Done: the target confirmed it (committed) before it was recorded.
	Done
)

// TableRecord is what the ledger knows of one table.
type TableRecord struct {
	State State
	// Rows and Bytes are what the finished copy wrote.
	Rows, Bytes int64
	// Created says this job's schema phase made the table at the target:
	// the only tables a resumed copy may empty (TRUNCATE) before copying
	// them again.
	Created bool
}

// Ledger is the durable record of one db copy job, written by the engines
// as they go and read by a later run to resume. Each method that records
// something returns once the record is durable: a process killed right
// after keeps it. Nothing is recorded Done before the target committed it.
type Ledger interface {
	// Phase returns a phase's state and the detail recorded with it.
	Phase(name string) (State, string)
	// StartPhase records that a phase began.
	StartPhase(ctx context.Context, name string) error
	// EndPhase records a phase done, with a detail (the binlog position,
	// the roles created) a later run or the report reads back.
	EndPhase(ctx context.Context, name, detail string) error
	// Table returns what the ledger knows of a table (schema.name).
	Table(name string) TableRecord
	// MarkCreated records the tables this job's schema phase made at the
	// target.
	MarkCreated(ctx context.Context, names []string) error
	// StartTable records that a table's copy began: from now on, until
	// EndTable, the target's rows of that table are unknown.
	StartTable(ctx context.Context, name string) error
	// EndTable records a table copied and committed at the target.
	EndTable(ctx context.Context, name string, rows, bytes int64) error
}

// CopyOptions are what a copy engine is asked for.
type CopyOptions struct {
	// Jobs is how many tables are copied at once (at least 1).
	Jobs int
	// IntoExisting allows a target that already holds tables: the
	// schema's objects that exist are kept as they are, and the source's
	// rows go into them, which must be empty.
	IntoExisting bool
	// ReadLimit caps the bytes per second read from the source, across
	// all tables (0: no cap), to spare a production server.
	ReadLimit int64
	// BinDir is where the engine's client programs are (pg_dump and psql;
	// mariadb-dump and mariadb); "" looks in the usual places.
	BinDir string
	// Online keeps the target up to date by the engine's own replication
	// after the copy, until sortie db cutover; ReplicationName names its
	// objects (ReplicationName of the job's ID).
	Online          bool
	ReplicationName string
	// Ledger is the job's record; required.
	Ledger Ledger
	// Listener is told of each step; nil for none.
	Listener CopyListener
	Log      *slog.Logger
}

// CopyEventKind names an event. The strings are part of the --json
// contract.
type CopyEventKind string

const (
	// EventPlanned: the copy knows its work: Tables tables of about Bytes
	// bytes of data (the source's size on disk), Rows rows (estimated).
	EventPlanned CopyEventKind = "planned"
	// EventPhase: a phase began.
	EventPhase CopyEventKind = "phase"
	// EventPhaseDone: a phase ended; Phase names it, Reason gives its
	// detail.
	EventPhaseDone CopyEventKind = "phase-done"
	// EventPhaseSkipped: a phase an earlier run finished.
	EventPhaseSkipped CopyEventKind = "phase-skipped"
	// EventTableStarted: a table's copy began (Bytes: its estimated
	// size).
	EventTableStarted CopyEventKind = "table-started"
	// EventTableDone: a table committed at the target, with its rows and
	// the bytes streamed.
	EventTableDone CopyEventKind = "table-done"
	// EventTableSkipped: finished by an earlier run.
	EventTableSkipped CopyEventKind = "table-skipped"
	// EventTableFailed: the table's copy failed; Reason says why.
	EventTableFailed CopyEventKind = "table-failed"
	// EventBytes: N more bytes of Table streamed (not in --json).
	EventBytes CopyEventKind = "bytes"
	// EventWarning: something the operator should know.
	EventWarning CopyEventKind = "warning"
)

// CopyEvent is one thing that happened during a copy.
type CopyEvent struct {
	Kind   CopyEventKind `json:"event"`
	Phase  string        `json:"phase,omitempty"`
	Table  string        `json:"table,omitempty"`
	Tables int           `json:"tables,omitempty"`
	Rows   int64         `json:"rows,omitempty"`
	Bytes  int64         `json:"bytes,omitempty"`
	Reason string        `json:"reason,omitempty"`
	// N is the byte count of an EventBytes.
	N int64 `json:"-"`
}

// CopyListener receives events, from several goroutines at once; it must
// not block for long.
type CopyListener interface {
	CopyEvent(CopyEvent)
}

// Emit sends e to l when there is one.
func (o CopyOptions) Emit(e CopyEvent) {
	if o.Listener != nil {
		o.Listener.CopyEvent(e)
	}
}

// TableCopy is one table's outcome.
type TableCopy struct {
	Name  string `json:"table"`
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
	// Seconds is this run's time on it (0 for a table an earlier run
	// copied).
	Seconds float64 `json:"seconds"`
	// Earlier says an earlier run of the job copied it.
	Earlier bool   `json:"earlier_run,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Failure is a named thing that did not arrive: a table, or a phase.
type Failure struct {
	Object string `json:"object"`
	Reason string `json:"reason"`
}

// Note is something the operator must still do, or know, after the copy:
// a catalog code and its arguments.
type Note struct {
	Code string   `json:"code"`
	Args []string `json:"args,omitempty"`
}

// CopyResult is what a copy did, for the summary.
type CopyResult struct {
	Engine Engine `json:"engine"`
	// Source and Target are the endpoints without passwords.
	Source string `json:"source"`
	Target string `json:"target"`
	// Product and Version are the source's.
	Product string `json:"product"`
	Version string `json:"version"`
	// Resumed says an earlier run of the job had begun.
	Resumed bool        `json:"resumed"`
	Tables  []TableCopy `json:"tables"`
	// Phases are the phases done, this run or earlier, in order.
	Phases []string `json:"phases"`
	// Sequences is how many sequences or AUTO_INCREMENT counters were
	// set.
	Sequences        int       `json:"sequences"`
	LargeObjects     int64     `json:"large_objects"`
	LargeObjectBytes int64     `json:"large_object_bytes"`
	RolesCreated     []string  `json:"roles_created,omitempty"`
	BinlogPosition   string    `json:"binlog_position,omitempty"`
	Failures         []Failure `json:"failures"`
	Notes            []Note    `json:"notes"`
	Seconds          float64   `json:"seconds"`
	started          time.Time
}

// NewCopyResult starts a result now.
func NewCopyResult(engine Engine, src, dst Endpoint) *CopyResult {
	return &CopyResult{Engine: engine, Source: src.String(), Target: dst.String(), Tables: []TableCopy{}, Phases: []string{}, Failures: []Failure{}, Notes: []Note{}, started: time.Now()}
}

// Finish stamps the elapsed time.
func (r *CopyResult) Finish() { r.Seconds = time.Since(r.started).Seconds() }

// Fail records a named failure.
func (r *CopyResult) Fail(object string, err error) {
	r.Failures = append(r.Failures, Failure{Object: object, Reason: oneLine(err.Error())})
}

// Note adds something for the operator.
func (r *CopyResult) Note(code string, args ...string) {
	r.Notes = append(r.Notes, Note{Code: code, Args: args})
}

// Rows and Bytes are the totals over the tables.
func (r *CopyResult) Rows() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Rows
	}
	return n
}

// Bytes is the data streamed, over every table (earlier runs included).
func (r *CopyResult) Bytes() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Bytes
	}
	return n
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// TargetNotEmptyError is a target that already holds tables (or, with
// --into-existing, tables that already hold rows): sortie never merges
// into them silently.
type TargetNotEmptyError struct {
	Target string
	// Tables are some of them, schema.name.
	Tables []string
	Count  int
	// Rows says the tables hold rows (--into-existing was given).
	Rows bool
}

func (e *TargetNotEmptyError) Error() string {
	list := strings.Join(e.Tables, ", ")
	if e.Count > len(e.Tables) {
		list += fmt.Sprintf(" and %d more", e.Count-len(e.Tables))
	}
	if e.Rows {
		return fmt.Sprintf("target %s: %d tables already hold rows (%s); sortie never merges rows into a table: empty them or give an empty database", e.Target, e.Count, list)
	}
	return fmt.Sprintf("target %s already holds %d tables (%s); give an empty database, or pass --into-existing to copy into the tables there", e.Target, e.Count, list)
}

// ToolMissingError is a client program the copy runs that is not
// installed.
type ToolMissingError struct {
	Tool    string
	Package string // Debian's
	Detail  string
}

func (e *ToolMissingError) Error() string {
	s := fmt.Sprintf("%s not found", e.Tool)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s + fmt.Sprintf("; install Debian's %s package (apt-get install %s)", e.Package, e.Package)
}

// LedgerError is a ledger that could not record a step: the copy stops,
// since what it did could no longer be resumed.
type LedgerError struct{ Err error }

func (e *LedgerError) Error() string { return "record the copy's progress: " + e.Err.Error() }
func (e *LedgerError) Unwrap() error { return e.Err }

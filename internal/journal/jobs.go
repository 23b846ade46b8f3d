package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Info summarises one journal, for sortie jobs.
type Info struct {
	ID   string
	Path string
	Job
	Command string // of the last run
	// State is the last run's outcome: "running", "done", "failed",
	// "interrupted" (cancelled, or killed: its process is gone), or
	// StateNotStarted when no run was ever started.
	State      string
	Done       int64 // objects confirmed by the destination, over all runs
	DoneBytes  int64
	Failed     int64 // objects whose last attempt failed
	InProgress int64 // started and neither done nor failed
	Uploads    int64 // multipart uploads recorded in flight
	Runs       int64
	// LastActivity is the last write, or the creation of a journal with
	// no run; zero if the journal does not say.
	LastActivity time.Time
}

// Failure is one failed object.
type Failure struct {
	Key      string
	Reason   string
	Attempts int
	When     time.Time
}

// Inspect opens a journal read-only and summarises it.
func Inspect(ctx context.Context, path string) (Info, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return Info{}, &FormatError{Path: path, Reason: err.Error()}
	}
	defer db.Close()
	job, err := check(ctx, db, path)
	if err != nil {
		return Info{}, err
	}
	in := Info{ID: strings.TrimSuffix(filepath.Base(path), ".db"), Path: path, Job: job}
	q := func(query string, dst ...any) error {
		if err := db.QueryRowContext(ctx, query).Scan(dst...); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return &FormatError{Path: path, Reason: "file is damaged (" + shortErr(err) + ")"}
		}
		return nil
	}
	if err := q(fmt.Sprintf(`SELECT COUNT(*), COALESCE(SUM(size), 0) FROM objects WHERE state = %d`, StateDone), &in.Done, &in.DoneBytes); err != nil {
		return Info{}, err
	}
	if err := q(fmt.Sprintf(`SELECT COUNT(*) FROM objects WHERE state = %d`, StateFailed), &in.Failed); err != nil {
		return Info{}, err
	}
	if err := q(fmt.Sprintf(`SELECT COUNT(*) FROM objects WHERE state = %d`, StateStarted), &in.InProgress); err != nil {
		return Info{}, err
	}
	if err := q(`SELECT COUNT(*) FROM uploads`, &in.Uploads); err != nil {
		return Info{}, err
	}
	var last, started, ended int64
	var pid int
	if err := q(`SELECT COUNT(*) FROM runs`, &in.Runs); err != nil {
		return Info{}, err
	}
	if err := q(`SELECT command, outcome, pid, started, ended FROM runs ORDER BY id DESC LIMIT 1`, &in.Command, &in.State, &pid, &started, &ended); err != nil {
		return Info{}, err
	}
	if in.State == "running" && !alive(pid) {
		in.State = "interrupted"
	}
	if err := q(`SELECT COALESCE(MAX(updated), 0) FROM objects`, &last); err != nil {
		return Info{}, err
	}
	if in.Runs == 0 {
		// Left by a process that stopped between opening the journal and
		// starting its run (killed during its preflight checks), or one
		// that is in them now: say so, and date it by its creation.
		in.State = StateNotStarted
		in.Command, _, _ = strings.Cut(job.Options, " ")
		var created string
		if err := q(`SELECT v FROM meta WHERE k = 'created'`, &created); err != nil {
			return Info{}, err
		}
		if sec, err := strconv.ParseInt(created, 10, 64); err == nil && last == 0 {
			last = time.Unix(sec, 0).UnixNano()
		}
	}
	if t := max(last, started, ended); t > 0 {
		in.LastActivity = time.Unix(0, t)
	}
	return in, nil
}

// StateNotStarted is the State of a journal in which no run was started.
const StateNotStarted = "not started"

// alive reports whether a process with this ID exists.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Failures returns up to limit failed objects, in key order.
func Failures(ctx context.Context, path string, limit int) ([]Failure, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT key, reason, attempts, updated FROM objects WHERE state = ? ORDER BY key LIMIT ?`, StateFailed, limit)
	if err != nil {
		return nil, &FormatError{Path: path, Reason: "file is damaged (" + shortErr(err) + ")"}
	}
	defer rows.Close()
	var out []Failure
	for rows.Next() {
		var f Failure
		var t int64
		if err := rows.Scan(&f.Key, &f.Reason, &f.Attempts, &t); err != nil {
			return nil, err
		}
		f.When = time.Unix(0, t)
		out = append(out, f)
	}
	return out, rows.Err()
}

// List summarises every journal in dir, most recent first. A journal that
// cannot be read is returned as an error beside the others.
func List(ctx context.Context, dir string) ([]Info, []error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.db"))
	if err != nil {
		return nil, []error{err}
	}
	var infos []Info
	var errs []error
	for _, p := range paths {
		in, err := Inspect(ctx, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		infos = append(infos, in)
	}
	slices.SortFunc(infos, func(a, b Info) int { return b.LastActivity.Compare(a.LastActivity) })
	return infos, errs
}

// Remove deletes a journal's files. It refuses one whose run is still going.
func Remove(ctx context.Context, path string) error {
	in, err := Inspect(ctx, path)
	if err == nil && in.State == "running" {
		return fmt.Errorf("job %s is running; stop it first", in.ID)
	}
	return removeFiles(path)
}

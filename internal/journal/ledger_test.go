package journal

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/sortie-dev/sortie/internal/ledgertest"
)

// The journal passes the ledger suite the coordinator's ledger passes too.
func TestLedgerSuite(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) ledgertest.Job {
		j := &suiteJob{path: filepath.Join(t.TempDir(), "j.db")}
		t.Cleanup(func() {
			if j.db != nil {
				j.db.Close()
			}
		})
		return j
	})
}

// suiteJob opens the journal as a run does: a run is started on opening
// and ended on closing, unless it is killed.
type suiteJob struct {
	path string
	db   *sql.DB // read-only, opened by the first Object
}

type suiteLedger struct {
	*Journal
	run int64
}

func (s *suiteLedger) Close() error {
	if err := s.RunEnded(s.run, nil, nil); err != nil {
		return err
	}
	return s.Journal.Close()
}

func (j *suiteJob) Open(t *testing.T) ledgertest.Ledger {
	jr := open(t, j.path)
	id, err := jr.RunStarted("copy")
	if err != nil {
		t.Fatal(err)
	}
	l := &suiteLedger{Journal: jr, run: id}
	t.Cleanup(func() { jr.Close() })
	return l
}

// Kill leaves the run recorded as running, as a killed process does.
func (j *suiteJob) Kill(t *testing.T, l ledgertest.Ledger) {
	if err := l.(*suiteLedger).Journal.Close(); err != nil {
		t.Fatal(err)
	}
}

var suiteStates = map[int]ledgertest.State{StateStarted: ledgertest.Started, StateDone: ledgertest.Done,
	StateFailed: ledgertest.Failed, StateDeleted: ledgertest.Deleted}

func (j *suiteJob) Object(t *testing.T, key string) (ledgertest.Object, bool) {
	t.Helper()
	if j.db == nil {
		db, err := sql.Open("sqlite", "file:"+j.path+"?mode=ro&_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		j.db = db
	}
	var o ledgertest.Object
	var state int
	err := j.db.QueryRowContext(context.Background(), `SELECT state, size, src_etag, dst_etag, reason, attempts FROM objects WHERE key = ?`, key).
		Scan(&state, &o.Size, &o.SrcETag, &o.DstETag, &o.Reason, &o.Attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return ledgertest.Object{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	o.State = suiteStates[state]
	return o, true
}

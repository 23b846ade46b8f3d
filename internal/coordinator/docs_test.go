package coordinator_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sortie-dev/sortie/internal/coordinator"
	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/listing"
	"github.com/sortie-dev/sortie/internal/pgtest"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/faulty"
	"github.com/sortie-dev/sortie/internal/store/mem"
	"github.com/sortie-dev/sortie/internal/store/storetest"
	"github.com/sortie-dev/sortie/internal/transfer"
)

// guide is the operator's guide whose SQL these tests run.
const guide = "../../docs/coordinator.md"

// docBlock is one ```sql block of the guide.
type docBlock struct {
	line  int // of the opening fence
	norun bool
	sql   string
}

// sqlBlocks reads the guide's ```sql blocks; "```sql norun" marks those
// that are not queries to run as sortie (the administrator's CREATE ROLE).
func sqlBlocks(t *testing.T) []docBlock {
	t.Helper()
	f, err := os.Open(guide)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []docBlock
	var cur *docBlock
	var fenced bool // inside a block of another language
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		fence := strings.HasPrefix(strings.TrimSpace(line), "```")
		switch {
		case cur != nil && fence:
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.sql += line + "\n"
		case fenced && fence:
			fenced = false
		case fence:
			info := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "```"))
			if len(info) > 0 && info[0] == "sql" {
				cur = &docBlock{line: n, norun: len(info) > 1 && info[1] == "norun"}
				if len(info) > 1 && !cur.norun {
					t.Fatalf("%s:%d: ```%s: a sql block is plain or norun", guide, n, strings.Join(info, " "))
				}
			} else {
				fenced = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil || fenced {
		t.Fatalf("%s: a code block is not closed", guide)
	}
	return blocks
}

// runQueries runs every block to run, failing t on any error; each block
// is one query, whose rows are all read.
func runQueries(t *testing.T, ctx context.Context, p *pgxpool.Pool, blocks []docBlock, when string) {
	t.Helper()
	for _, b := range blocks {
		if b.norun {
			continue
		}
		rows, err := p.Query(ctx, b.sql)
		n := 0
		if err == nil {
			for rows.Next() {
				n++
			}
			rows.Close()
			err = rows.Err()
		}
		if err != nil {
			t.Errorf("%s: the query at %s:%d fails: %v\n%s", when, guide, b.line, err, b.sql)
			continue
		}
		t.Logf("%s: %s:%d: %d rows", when, guide, b.line, n)
	}
}

// docJob is a small job over mem stores: 4 partitions, one object the
// destination refuses, one partition whose first attempt fails, and one
// held at the end of its run until release is called.
type docJob struct {
	job  coordinator.Job
	src  *mem.Store
	dst  store.Store
	plan coordinator.Planner

	once            sync.Once
	held, unblocked chan struct{}
	failedOnce      sync.Once
}

const refusedKey = "labo/013"

func newDocJob(t *testing.T) *docJob {
	src := mem.New("src")
	for i := range 80 {
		k := fmt.Sprintf("%s/%03d", []string{"cours", "labo", "photos", "theses"}[i%4], i)
		storetest.Put(t, src, k, []byte(k), store.Metadata{})
	}
	dst := faulty.Wrap(mem.New("dst"), &faulty.Faults{PutErr: func(key string, n int) error {
		if key == refusedKey {
			return errors.New("refused by the test's destination")
		}
		return nil
	}})
	j := &docJob{
		job: coordinator.Job{ID: "job-" + t.Name(), Command: "copy", Source: src.String(), Destination: dst.String(), Spec: json.RawMessage(`{}`)},
		src: src, dst: dst,
		held: make(chan struct{}), unblocked: make(chan struct{}),
	}
	j.plan = func(ctx context.Context) ([]coordinator.Partition, error) {
		rs, err := listing.Ranges(ctx, src, 4, 256)
		parts := make([]coordinator.Partition, len(rs))
		for i, r := range rs {
			parts[i] = coordinator.Partition{Number: i, Range: r}
		}
		return parts, err
	}
	return j
}

func (j *docJob) run(ctx context.Context, task coordinator.Task) (*transfer.Summary, error) {
	if task.Partition.Number == 1 && task.Attempt == 1 {
		var first bool
		j.failedOnce.Do(func() { first = true })
		if first {
			// An attempt that stops: an entry in River's errors column.
			return nil, errors.New("list the source: refused by the test")
		}
	}
	sum, err := transfer.Run(ctx, j.src, j.dst, transfer.Options{Workers: 4, Range: task.Partition.Range, Ledger: task.Ledger,
		Listener: event.Multi{task.Listener}, MaxDelete: -1})
	if task.Partition.Number == 0 {
		// Held with its lease, heartbeat and ledger rows in place.
		j.once.Do(func() { close(j.held) })
		select {
		case <-j.unblocked:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return sum, err
}

func (j *docJob) release() { close(j.unblocked) }

// The SQL of docs/coordinator.md runs on a coordinator's database: every
// ```sql block not marked norun, while a partition is being worked (a
// lease held, a heartbeat beating, a failed attempt, a failed object), once
// every partition is done, and after the run ended.
func TestGuideQueries(t *testing.T) {
	blocks := sqlBlocks(t)
	runnable := 0
	for _, b := range blocks {
		if !b.norun {
			runnable++
		}
	}
	if runnable < 10 {
		t.Fatalf("%s has %d sql blocks to run; want the monitoring queries", guide, runnable)
	}
	ctx := context.Background()
	c := open(t)
	j := newDocJob(t)
	w, err := c.StartWorker(ctx, coordinator.WorkerOptions{Name: "docs-1", Partitions: 2, Run: j.run, Lease: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Stop(context.Background()) })
	run, err := c.StartRun(ctx, j.job, j.plan)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-j.held:
	case <-time.After(time.Minute):
		t.Fatal("partition 0 was not worked within a minute")
	}
	// Let the heartbeat beat (every lease/5) with the attempt's counts.
	time.Sleep(1500 * time.Millisecond)
	runQueries(t, ctx, c.Pool(), blocks, "while partition 0 runs")
	var leases int
	if err := c.Pool().QueryRow(ctx, `SELECT count(*) FROM sortie_leases`).Scan(&leases); err != nil || leases == 0 {
		t.Errorf("no lease while a partition is held (%v): the queries ran on nothing", err)
	}

	j.release()
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	p, err := c.Wait(wctx, run, 100*time.Millisecond, nil, nil)
	cancel()
	if err != nil || p.Done != run.Partitions {
		t.Fatalf("wait: %+v, %v; want every partition done", p, err)
	}
	runQueries(t, ctx, c.Pool(), blocks, "every partition done")

	if err := c.EndRun(ctx, run, "done"); err != nil {
		t.Fatal(err)
	}
	runQueries(t, ctx, c.Pool(), blocks, "after the run")

	// The state the queries read was there: an attempt's error in River's
	// column, the refused object failed with its reason.
	var errs, failed int
	err = c.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM river_job, unnest(errors) WHERE kind = 'sortie_partition'),
		(SELECT count(*) FROM sortie_objects WHERE state = $1 AND key = $2 AND reason <> '')`, coordinator.StateFailed, refusedKey).Scan(&errs, &failed)
	if err != nil || errs == 0 || failed != 1 {
		t.Errorf("River errors %d, failed objects %d (%v); want at least one error and the refused object", errs, failed, err)
	}
}

// The role the guide has the administrator create, with the privileges it
// names and no other, is enough: a managed service's administrator (not a
// superuser) runs the guide's norun block; sortie, logged in as that role,
// creates its tables and River's, runs a job, and ends another session of
// its own role, as a worker taking over from one cut off does.
func TestGuideRole(t *testing.T) {
	var setup *docBlock
	for _, b := range sqlBlocks(t) {
		if b.norun && strings.Contains(b.sql, "CREATE ROLE") {
			setup = &b
			break
		}
	}
	if setup == nil {
		t.Fatalf("%s has no norun block with CREATE ROLE", guide)
	}
	ctx := context.Background()
	// A cluster of its own: roles belong to the cluster, not a database.
	s := pgtest.Start(t)
	adminPW, sortiePW := rand.Text(), rand.Text()
	s.Exec(t, "postgres", "CREATE ROLE admin LOGIN CREATEROLE CREATEDB PASSWORD '"+adminPW+"'")
	admin, err := pgx.Connect(ctx, s.URLFor("admin", adminPW, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	// One statement at a time, as psql sends them: CREATE DATABASE cannot
	// run in a transaction, which a multi-statement query is.
	for _, stmt := range statements(setup.sql) {
		if _, err := admin.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s:%d as a non-superuser administrator: %s: %v", guide, setup.line, stmt, err)
		}
	}
	// What psql's \password sortie does.
	if _, err := admin.Exec(ctx, "ALTER ROLE sortie PASSWORD '"+sortiePW+"'"); err != nil {
		t.Fatal(err)
	}

	url := s.URLFor("sortie", sortiePW, "sortie")
	c, err := coordinator.Open(ctx, url)
	if err != nil {
		t.Fatalf("open the coordinator as the guide's role: %v", err)
	}
	defer c.Close()
	j := newDocJob(t)
	j.release()
	w, err := c.StartWorker(ctx, coordinator.WorkerOptions{Name: "docs-role", Partitions: 2, Run: j.run, Lease: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop(context.Background())
	run, err := c.StartRun(ctx, j.job, j.plan)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	p, err := c.Wait(wctx, run, 100*time.Millisecond, nil, nil)
	cancel()
	if err != nil || p.Done != run.Partitions {
		t.Fatalf("wait: %+v, %v; want every partition done", p, err)
	}

	other, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	var pid int
	if err := other.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	var ended bool
	if err := c.Pool().QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&ended); err != nil || !ended {
		t.Fatalf("pg_terminate_backend of another session of the role: %v, %v; want true", ended, err)
	}
	var super bool
	if err := c.Pool().QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil || super {
		t.Fatalf("the role is a superuser (%v): the test proves nothing", err)
	}
}

// statements splits SQL into its statements, leaving out comment lines
// and psql's backslash commands; the guide's have no ; inside literals.
func statements(sql string) []string {
	var out []string
	var cur strings.Builder
	for line := range strings.Lines(sql) {
		l := strings.TrimSpace(line)
		if l == "" || strings.HasPrefix(l, "--") || strings.HasPrefix(l, `\`) {
			continue
		}
		cur.WriteString(line)
		if strings.HasSuffix(l, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

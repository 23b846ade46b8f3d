package coordinator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/coordinator"
	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/listing"
	"github.com/sortie-dev/sortie/internal/pgtest"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/mem"
	"github.com/sortie-dev/sortie/internal/store/storetest"
	"github.com/sortie-dev/sortie/internal/transfer"
)

// open returns a coordinator on a fresh database of the package's cluster.
func open(t *testing.T) *coordinator.Coordinator {
	t.Helper()
	c, err := coordinator.Open(context.Background(), pgtest.Shared(t, "coordinator").Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Two workers in one process share a job's partitions through River: every
// object arrives, each partition's result is recorded once, and the run's
// summary adds up to a whole copy; a second run copies nothing.
func TestWorkersShareAJob(t *testing.T) {
	ctx := context.Background()
	c := open(t)
	src, dst := mem.New("src"), mem.New("dst")
	var keys []string
	for i := range 400 {
		k := fmt.Sprintf("%s/%03d", []string{"cours", "labo", "photos", "theses"}[i%4], i)
		storetest.Put(t, src, k, []byte(k), store.Metadata{})
		keys = append(keys, k)
	}
	slices.Sort(keys)
	runner := func(ctx context.Context, task coordinator.Task) (*transfer.Summary, error) {
		return transfer.Run(ctx, src, dst, transfer.Options{Workers: 4, Range: task.Partition.Range, Ledger: task.Ledger,
			Listener: event.Multi{task.Listener}, MaxDelete: -1})
	}
	job := coordinator.Job{ID: "job-" + t.Name(), Command: "copy", Source: src.String(), Destination: dst.String(), Spec: json.RawMessage(`{}`)}
	plan := func(ctx context.Context) ([]coordinator.Partition, error) {
		rs, err := listing.Ranges(ctx, src, 8, 256)
		parts := make([]coordinator.Partition, len(rs))
		for i, r := range rs {
			parts[i] = coordinator.Partition{Number: i, Range: r}
		}
		return parts, err
	}
	for _, name := range []string{"w1", "w2"} {
		w, err := c.StartWorker(ctx, coordinator.WorkerOptions{Name: name, Partitions: 2, Run: runner, Lease: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Stop(context.Background()) })
	}
	for i, want := range []int64{400, 0} {
		run, err := c.StartRun(ctx, job, plan)
		if err != nil {
			t.Fatal(err)
		}
		if run.Number != i+1 || run.Partitions < 4 {
			t.Fatalf("run %d has %d partitions; want run %d with several", run.Number, run.Partitions, i+1)
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		p, err := c.Wait(wctx, run, 100*time.Millisecond, nil, nil)
		cancel()
		if err != nil || p.Done != run.Partitions {
			t.Fatalf("wait: %+v, %v; want every partition done", p, err)
		}
		if err := c.EndRun(ctx, run, "done"); err != nil {
			t.Fatal(err)
		}
		sum, err := c.Summary(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		if sum.SrcObjects != 400 || sum.Copied != want || sum.Unchanged != 400-want || len(sum.Failed) != 0 {
			t.Fatalf("run %d: listed %d, copied %d, unchanged %d, failed %d; want 400, %d, %d, 0", run.Number, sum.SrcObjects, sum.Copied, sum.Unchanged, len(sum.Failed), want, 400-want)
		}
	}
	if got := storetest.Keys(t, dst); !slices.Equal(got, keys) {
		t.Fatalf("destination has %d keys, want the source's %d", len(got), len(keys))
	}
	var done int
	if err := c.Pool().QueryRow(ctx, `SELECT count(*) FROM sortie_objects WHERE job = $1 AND state = $2`, job.ID, coordinator.StateDone).Scan(&done); err != nil || done != 400 {
		t.Fatalf("the ledger has %d objects done (%v), want 400", done, err)
	}
}

// A worker that cannot run the job at all (a profile missing from its AWS
// config) leaves the partitions to the others instead of using up their
// attempts; a second process starting the same job while the first waits
// for its run is refused.
func TestBrokenWorkerAndSecondWaiter(t *testing.T) {
	ctx := context.Background()
	c := open(t)
	src, dst := mem.New("src"), mem.New("dst")
	for i := range 60 {
		k := fmt.Sprintf("%c/%02d", 'a'+i%6, i)
		storetest.Put(t, src, k, []byte(k), store.Metadata{})
	}
	good := func(ctx context.Context, task coordinator.Task) (*transfer.Summary, error) {
		// Slower than the broken worker, so that it is offered most.
		time.Sleep(200 * time.Millisecond)
		return transfer.Run(ctx, src, dst, transfer.Options{Workers: 2, Range: task.Partition.Range, Ledger: task.Ledger, MaxDelete: -1})
	}
	broken := func(context.Context, coordinator.Task) (*transfer.Summary, error) {
		return nil, fmt.Errorf("%w: source: AWS profile \"src\" is not defined", coordinator.ErrSetup)
	}
	for name, run := range map[string]coordinator.RunFunc{"good": good, "broken": broken} {
		w, err := c.StartWorker(ctx, coordinator.WorkerOptions{Name: name, Partitions: 2, Run: run, Lease: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Stop(context.Background()) })
	}
	job := coordinator.Job{ID: "job-" + t.Name(), Command: "copy", Source: "src", Destination: "dst", Spec: json.RawMessage(`{}`)}
	plan := func(ctx context.Context) ([]coordinator.Partition, error) {
		rs, err := listing.Ranges(ctx, src, 6, 256)
		parts := make([]coordinator.Partition, len(rs))
		for i, r := range rs {
			parts[i] = coordinator.Partition{Number: i, Range: r}
		}
		return parts, err
	}
	run, err := c.StartRun(ctx, job, plan)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartRun(ctx, job, plan); !errors.Is(err, coordinator.ErrRunWaited) {
		t.Fatalf("a second StartRun while the first waits: %v, want ErrRunWaited", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	p, err := c.Wait(wctx, run, 100*time.Millisecond, nil, nil)
	if err != nil || p.Done != run.Partitions || p.Failed != 0 {
		t.Fatalf("wait: %+v, %v; want every partition done by the good worker, none given up", p, err)
	}
	if err := c.EndRun(ctx, run, "done"); err != nil {
		t.Fatal(err)
	}
	if got := storetest.Keys(t, dst); len(got) != 60 {
		t.Fatalf("destination has %d keys, want 60", len(got))
	}
	// The job's next run starts once the first ended.
	if run2, err := c.StartRun(ctx, job, plan); err != nil || run2.Number != 2 {
		t.Fatalf("the next run: %v, %v; want run 2", run2, err)
	} else {
		c.EndRun(ctx, run2, "interrupted")
	}
}

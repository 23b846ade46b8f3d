package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/sortie-dev/sortie/internal/coordinator"
)

func newWorkerCmd(e *env) *cobra.Command {
	var f coordinatorFlags
	var workers int
	var name string
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Copy the partitions of the jobs in a coordinator database, until stopped",
		Long: `Copy the partitions of the copy and sync jobs that sortie copy --coordinator
and sortie sync --coordinator put in the coordinator database (PostgreSQL),
on this machine, until stopped with Ctrl-C or SIGTERM. Run it on as many
machines as the job needs; each takes partitions as they come, copies them
with the job's options, and records each object in the coordinator's ledger.

A worker that is stopped hands its partitions back; one that is killed or cut
off has its partitions taken over after --lease, and the next worker continues
them from the ledger, large objects from their confirmed parts. The profiles
the job names (--from-profile, --to-profile) must exist in this machine's AWS
config.`,
		Args: exactArgs(0, "no arguments (the jobs are in the coordinator database)"),
		RunE: func(cmd *cobra.Command, args []string) error { return runWorker(cmd.Context(), e, &f, workers, name) },
	}
	f.register(cmd.Flags(), false)
	cmd.Flags().IntVar(&workers, "workers", 0, "objects or parts moved at once in each partition (default: the job's --workers)")
	cmd.Flags().StringVar(&name, "name", "", "this worker's name in the coordinator (default HOST:PID)")
	return cmd
}

func runWorker(ctx context.Context, e *env, f *coordinatorFlags, workers int, name string) error {
	if err := f.resolve(); err != nil {
		return err
	}
	if f.url == "" {
		return usage("sortie worker needs --coordinator postgres://USER@HOST/DATABASE (or $%s)", coordinatorEnv)
	}
	if workers < 0 || workers > 1024 {
		return usage("--workers %d: give a number from 1 to 1024, or 0 for the job's", workers)
	}
	if name == "" {
		host, _ := os.Hostname()
		name = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	c, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	r := &partitionRunner{log: e.log, workers: workers, atOnce: f.partitionsAtOnce}
	w, err := c.StartWorker(ctx, coordinator.WorkerOptions{Name: name, Partitions: f.partitionsAtOnce, Lease: f.lease, Run: r.run, Log: e.log,
		Finished: func(t coordinator.Task, res *coordinator.Result, err error) {
			switch {
			case errors.Is(err, coordinator.ErrSetup):
				fmt.Fprintf(e.stderr, "partition %d of job %s cannot run on this worker, left to others: %s\n", t.Partition.Number, t.Job.ID, oneLine(err.Error()))
				return
			case err != nil:
				fmt.Fprintf(e.stderr, "partition %d of job %s (attempt %d) stopped: %s\n", t.Partition.Number, t.Job.ID, t.Attempt, oneLine(err.Error()))
				return
			}
			fmt.Fprintf(e.stderr, "partition %d of job %s done: %s copied, %s unchanged, %d failed, in %s\n", t.Partition.Number, t.Job.ID,
				countBytes(res.Copied, res.CopiedBytes), humanize.Comma(res.Unchanged), len(res.Failed), (time.Duration(res.Seconds * float64(time.Second))).Round(time.Millisecond))
		}})
	if err != nil {
		return usage("%v", oneLine(err.Error()))
	}
	fmt.Fprintf(e.stderr, "sortie worker %s: working the partitions in %s, %d at once; stop with Ctrl-C or SIGTERM\n", name, f.shown(), f.partitionsAtOnce)
	<-ctx.Done()
	fmt.Fprintf(e.stderr, "sortie worker %s: stopping; partitions in progress go back to the coordinator and continue from its ledger\n", name)
	stop, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return w.Stop(stop)
}

package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/sortie-dev/sortie/internal/coordinator"
	"github.com/sortie-dev/sortie/internal/progress"
)

// jsonCoordinatorJob is a coordinator job in sortie jobs --json: the
// fields of a journal's job, and where it is kept.
type jsonCoordinatorJob struct {
	jsonJob
	Partitions int `json:"partitions"`
	LastRun    int `json:"last_run"`
}

func runCoordinatorJobs(ctx context.Context, e *env, f *coordinatorFlags, asJSON bool) error {
	c, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	jobs, err := c.Jobs(ctx)
	if err != nil {
		return usage("%v", oneLine(err.Error()))
	}
	if asJSON {
		j := progress.NewJSON(e.stdout)
		for _, in := range jobs {
			if err := j.Write(coordinatorJobJSON(in, f)); err != nil {
				return err
			}
		}
		return nil
	}
	if len(jobs) == 0 {
		fmt.Fprintf(e.stdout, "no jobs in the coordinator %s\n", f.shown())
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCOMMAND\tSTATE\tRUN\tPARTITIONS\tDONE\tBYTES\tFAILED\tLAST RUN STARTED\tSOURCE → DESTINATION")
	for _, in := range jobs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%d\t%s\t%s → %s\n", in.ID, in.Command, in.State, in.LastRun, in.Partitions,
			humanize.Comma(in.Done), humanize.IBytes(uint64(in.DoneBytes)), in.Failed, when(in.Started, "2006-01-02 15:04"), in.Source, in.Destination)
	}
	return tw.Flush()
}

func coordinatorJobJSON(in coordinator.JobInfo, f *coordinatorFlags) jsonCoordinatorJob {
	last := in.Ended
	if last.IsZero() {
		last = in.Started
	}
	return jsonCoordinatorJob{jsonJob: jsonJob{ID: in.ID, Source: in.Source, Destination: in.Destination, Command: in.Command, State: in.State,
		Done: in.Done, DoneBytes: in.DoneBytes, Failed: in.Failed, InProgress: in.InProgress, Uploads: in.Uploads, Runs: int64(in.Runs),
		LastActivity: last, Coordinator: f.shown()}, Partitions: in.Partitions, LastRun: in.LastRun}
}

func runCoordinatorJobShow(ctx context.Context, e *env, f *coordinatorFlags, id string) error {
	c, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	d, err := c.Detail(ctx, id, 1000)
	if err != nil {
		return usage("%v", oneLine(err.Error()))
	}
	w := e.stdout
	fmt.Fprintf(w, "job %s (coordinator %s)\n", d.ID, f.shown())
	fmt.Fprintf(w, "  %-14s %s → %s\n", "transfer", d.Source, d.Destination)
	fmt.Fprintf(w, "  %-14s %s, run %d of %s, started %s", "state", d.State, d.LastRun, d.Command, when(d.Started, time.RFC3339))
	if !d.Ended.IsZero() {
		fmt.Fprintf(w, ", ended %s", d.Ended.Format(time.RFC3339))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  %-14s %s objects, %s (every run)\n", "done", humanize.Comma(d.Done), humanize.IBytes(uint64(d.DoneBytes)))
	fmt.Fprintf(w, "  %-14s %s\n", "failed", humanize.Comma(d.Failed))
	fmt.Fprintf(w, "  %-14s %s objects, %s multipart uploads to resume\n", "in progress", humanize.Comma(d.InProgress), humanize.Comma(d.Uploads))

	counts := map[string]int{}
	for _, p := range d.Partitions {
		counts[p.State]++
	}
	var states []string
	for _, s := range []string{"completed", "running", "available", "scheduled", "retryable", "pending", "discarded", "cancelled", "not enqueued"} {
		if counts[s] > 0 {
			states = append(states, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	fmt.Fprintf(w, "  %-14s %d: %s\n", "partitions", len(d.Partitions), strings.Join(states, ", "))
	if len(d.Workers) > 0 {
		fmt.Fprintf(w, "workers (run %d):\n", d.LastRun)
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  WORKER\tFINISHED\tHOLDING\tOBJECTS\tBYTES\tOBJECTS/S\tMIB/S\tLAST HEARTBEAT")
		for _, wk := range d.Workers {
			holding, beat := "-", "-"
			if len(wk.Holding) > 0 {
				holding = fmt.Sprint(wk.Holding)
				beat = time.Since(wk.Beat).Round(time.Second).String() + " ago"
			}
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", wk.Name, wk.Finished, holding, humanize.Comma(wk.Objects), humanize.IBytes(uint64(wk.Bytes)),
				rate(float64(wk.Objects), wk.Seconds), rate(float64(wk.Bytes)/(1<<20), wk.Seconds), beat)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "partitions (run %d):\n", d.LastRun)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tSTATE\tATTEMPT\tWORKER\tOBJECTS\tBYTES\tFAILED\tKEYS\tLAST ERROR")
	for _, p := range d.Partitions {
		keys := fmt.Sprintf("%s … %s", shortKey(p.Range.After, "(start)"), shortKey(p.Range.Through, "(end)"))
		if p.Inventory != "" {
			keys = "inventory " + p.Inventory
		}
		worker := p.Worker
		if worker == "" {
			worker = "-"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%d\t%s\t%s\t%s\t%d\t%s\t%s\n", p.Number, p.State, p.Attempt, worker, humanize.Comma(p.Objects),
			humanize.IBytes(uint64(p.Bytes)), p.Failed, keys, oneLine(p.LastError))
	}
	tw.Flush()
	if len(d.Failures) > 0 {
		fmt.Fprintf(w, "failed objects:\n")
		for _, fl := range d.Failures {
			fmt.Fprintf(w, "  %s (%d attempts): %s\n", fl.Key, fl.Attempts, oneLine(fl.Reason))
		}
		if d.Failed > int64(len(d.Failures)) {
			fmt.Fprintf(w, "  … and %d more\n", d.Failed-int64(len(d.Failures)))
		}
	}
	if d.State != "done" {
		fmt.Fprintf(w, "run the same %s command again to resume (with --coordinator)\n", d.Command)
	}
	return nil
}

// rate is n per second of secs, or "-".
func rate(n, secs float64) string {
	if secs <= 0 {
		return "-"
	}
	return humanize.CommafWithDigits(n/secs, 1)
}

// shortKey shows a range boundary: the U+10FFFF sortie appends to cut
// just below a key is shown as "…", and long keys are cut.
func shortKey(k, empty string) string {
	if k == "" {
		return empty
	}
	k = strings.ReplaceAll(k, "\U0010FFFF", "…")
	if r := []rune(k); len(r) > 40 {
		k = string(r[:39]) + "…"
	}
	return fmt.Sprintf("%q", k)
}

// coordinatorJobsBetween finds the coordinator's jobs between the same two
// places, for verify to report as it reports journals. A coordinator that
// cannot be read is reported and skipped: verify's verdict is its own.
func coordinatorJobsBetween(ctx context.Context, e *env, f *coordinatorFlags, src, dst *side) []coordinator.JobInfo {
	if f.url == "" {
		return nil
	}
	c, err := f.open(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "sortie: %s\n", oneLine(err.Error()))
		return nil
	}
	defer c.Close()
	jobs, err := c.Jobs(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "sortie: %s\n", oneLine(err.Error()))
		return nil
	}
	var out []coordinator.JobInfo
	for _, in := range jobs {
		if in.Source == src.identity() && in.Destination == dst.identity() {
			out = append(out, in)
		}
	}
	return out
}

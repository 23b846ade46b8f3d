package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/sortie-dev/sortie/internal/journal"
	"github.com/sortie-dev/sortie/internal/progress"
)

func newJobsCmd(e *env) *cobra.Command {
	var asJSON bool
	var coord coordinatorFlags
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List the journals of copy and sync jobs: source, destination, state, counts, last activity",
		Long: `List the journals of copy and sync jobs, most recent first. Journals live in
$XDG_STATE_HOME/sortie (or ~/.local/state/sortie), one per job; a job is its
source, destination and the options that change the result. Re-running the
same copy or sync command resumes its job.`,
		Args: exactArgs(0, "no arguments (see sortie jobs show ID)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if coord.fromEnv(); coord.url != "" {
				return runCoordinatorJobs(cmd.Context(), e, &coord, asJSON)
			}
			return runJobs(cmd.Context(), e, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per job")
	cmd.PersistentFlags().StringVar(&coord.url, "coordinator", "", "list the jobs of this coordinator database (default $"+coordinatorEnv+") instead of this machine's journals")
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one job with its failed objects",
		Args:  exactArgs(1, "a job ID (or a journal file)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if coord.fromEnv(); coord.url != "" {
				return runCoordinatorJobShow(cmd.Context(), e, &coord, args[0])
			}
			return runJobShow(cmd.Context(), e, args[0])
		},
	}
	rm := &cobra.Command{
		Use:   "rm ID",
		Short: "Delete a job's journal (not while it runs)",
		Args:  exactArgs(1, "a job ID (or a journal file)"),
		RunE:  func(cmd *cobra.Command, args []string) error { return runJobRm(cmd.Context(), e, args[0]) },
	}
	cmd.AddCommand(show, rm)
	return cmd
}

// jobPath turns an ID (or a path) into the journal's file.
func jobPath(arg string) (string, error) {
	if strings.ContainsRune(arg, os.PathSeparator) || strings.HasSuffix(arg, ".db") {
		return arg, nil
	}
	dir, err := journal.Dir()
	if err != nil {
		return "", usage("%v", err)
	}
	p := filepath.Join(dir, arg+".db")
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return "", usage("no job %q in %s; sortie jobs lists them", arg, dir)
	}
	return p, nil
}

type jsonJob struct {
	ID           string    `json:"id"`
	Source       string    `json:"source"`
	Destination  string    `json:"destination"`
	Command      string    `json:"command"`
	State        string    `json:"state"`
	Done         int64     `json:"done"`
	DoneBytes    int64     `json:"done_bytes"`
	Failed       int64     `json:"failed"`
	InProgress   int64     `json:"in_progress"`
	Uploads      int64     `json:"multipart_uploads_in_flight"`
	Runs         int64     `json:"runs"`
	LastActivity time.Time `json:"last_activity,omitzero"`
	Journal      string    `json:"journal,omitempty"`
	// Coordinator is the database of a job spread over many machines
	// (without its password); such a job has no journal.
	Coordinator string `json:"coordinator,omitempty"`
}

func toJSON(in journal.Info) jsonJob {
	return jsonJob{ID: in.ID, Source: in.Source, Destination: in.Destination, Command: in.Command, State: in.State,
		Done: in.Done, DoneBytes: in.DoneBytes, Failed: in.Failed, InProgress: in.InProgress, Uploads: in.Uploads,
		Runs: in.Runs, LastActivity: in.LastActivity, Journal: in.Path}
}

func runJobs(ctx context.Context, e *env, asJSON bool) error {
	dir, err := journal.Dir()
	if err != nil {
		return usage("%v", err)
	}
	infos, errs := journal.List(ctx, dir)
	for _, err := range errs {
		fmt.Fprintf(e.stderr, "sortie: %s\n", oneLine(err.Error()))
	}
	if asJSON {
		j := progress.NewJSON(e.stdout)
		for _, in := range infos {
			if err := j.Write(toJSON(in)); err != nil {
				return err
			}
		}
		return nil
	}
	if len(infos) == 0 {
		fmt.Fprintf(e.stdout, "no jobs in %s\n", dir)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCOMMAND\tSTATE\tDONE\tBYTES\tFAILED\tLAST ACTIVITY\tSOURCE → DESTINATION")
	notStarted := 0
	for _, in := range infos {
		if in.State == journal.StateNotStarted {
			notStarted++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s → %s\n", in.ID, in.Command, in.State, humanize.Comma(in.Done),
			humanize.IBytes(uint64(in.DoneBytes)), in.Failed, when(in.LastActivity, "2006-01-02 15:04"), in.Source, in.Destination)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if notStarted > 0 {
		fmt.Fprintf(e.stdout, "note: %s never started a run: its process stopped before the run began, or is checking source and destination now; sortie jobs rm ID removes one\n",
			plural(notStarted, "job"))
	}
	return nil
}

// when formats t, or "-" for a journal that records no time.
func when(t time.Time, layout string) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(layout)
}

func runJobShow(ctx context.Context, e *env, arg string) error {
	path, err := jobPath(arg)
	if err != nil {
		return err
	}
	in, err := journal.Inspect(ctx, path)
	if err != nil {
		return usage("%v", err)
	}
	w := e.stdout
	fmt.Fprintf(w, "job %s (%s)\n", in.ID, in.Path)
	fmt.Fprintf(w, "  %-14s %s → %s\n", "transfer", in.Source, in.Destination)
	fmt.Fprintf(w, "  %-14s %s, last run: %s (%d runs)\n", "state", in.State, in.Command, in.Runs)
	fmt.Fprintf(w, "  %-14s %s objects, %s\n", "done", humanize.Comma(in.Done), humanize.IBytes(uint64(in.DoneBytes)))
	fmt.Fprintf(w, "  %-14s %s\n", "failed", humanize.Comma(in.Failed))
	fmt.Fprintf(w, "  %-14s %s objects, %s multipart uploads to resume\n", "in progress", humanize.Comma(in.InProgress), humanize.Comma(in.Uploads))
	fmt.Fprintf(w, "  %-14s %s\n", "last activity", when(in.LastActivity, time.RFC3339))
	fails, err := journal.Failures(ctx, path, 1000)
	if err != nil {
		return usage("%v", err)
	}
	if len(fails) > 0 {
		fmt.Fprintf(w, "failed objects:\n")
		for _, f := range fails {
			fmt.Fprintf(w, "  %s (%d attempts): %s\n", f.Key, f.Attempts, oneLine(f.Reason))
		}
		if in.Failed > int64(len(fails)) {
			fmt.Fprintf(w, "  … and %d more\n", in.Failed-int64(len(fails)))
		}
	}
	switch in.State {
	case "done":
	case journal.StateNotStarted:
		fmt.Fprintf(w, "no run of this job has started; run the %s command to start it, or sortie jobs rm %s\n", in.Command, in.ID)
	default:
		fmt.Fprintf(w, "run the same %s command again to resume\n", in.Command)
	}
	return nil
}

func runJobRm(ctx context.Context, e *env, arg string) error {
	path, err := jobPath(arg)
	if err != nil {
		return err
	}
	in, err := journal.Inspect(ctx, path)
	if err == nil && in.Uploads > 0 {
		fmt.Fprintf(e.stderr, "note: this job had %d multipart uploads in flight; sortie cleanup DST aborts them\n", in.Uploads)
	}
	if err := journal.Remove(ctx, path); err != nil {
		return usage("remove job: %v", err)
	}
	fmt.Fprintf(e.stdout, "removed %s\n", path)
	return nil
}

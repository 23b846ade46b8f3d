package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/sortie-dev/sortie/internal/filter"
	"github.com/sortie-dev/sortie/internal/journal"
	"github.com/sortie-dev/sortie/internal/progress"
	"github.com/sortie-dev/sortie/internal/verify"
)

type verifyOptions struct {
	fromProfile, toProfile string
	workers, listWorkers   int
	include, exclude       []string
	json, exact, skipMeta  bool
}

func newVerifyCmd(e *env) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify SRC DST",
		Short: "Compare every object: exit 0 iff DST holds every SRC object with the same size, content and metadata",
		Long: `Compare every object of SRC with DST, by size, by checksum and by metadata
(Content-Type and the other headers, user metadata, tags). Content is proved by
ETags where both sides give comparable MD5s, otherwise by hashing the bytes;
never by dates. A local directory is always re-read and hashed.

Exit code 0 when DST holds every SRC object intact; 1 when any is missing,
different or could not be checked (each is listed). Objects found only at DST
are listed too; with --exact they also make the exit code 1 (use it after a
sync).`,
		Args: exactArgs(2, "SRC and DST"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), e, o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.fromProfile, "from-profile", "", "AWS shared-config profile for SRC")
	f.StringVar(&o.toProfile, "to-profile", "", "AWS shared-config profile for DST")
	f.IntVar(&o.workers, "workers", 16, "objects checked at once")
	f.IntVar(&o.listWorkers, "list-workers", 1, "list each side with this many requests at once, over folders or key ranges; for stores that serve requests in parallel (AWS S3)")
	f.StringArrayVar(&o.include, "include", nil, "check only keys matching this glob (repeatable)")
	f.StringArrayVar(&o.exclude, "exclude", nil, "skip keys matching this glob (repeatable)")
	f.BoolVar(&o.json, "json", false, "print JSON lines (one event per object, then a report) on stdout")
	f.BoolVar(&o.exact, "exact", false, "also fail when DST has objects SRC lacks")
	f.BoolVar(&o.skipMeta, "skip-metadata", false, "compare size and content only")
	return cmd
}

func runVerify(ctx context.Context, e *env, o *verifyOptions, srcArg, dstArg string) error {
	if err := checkWorkers(o.workers, o.listWorkers); err != nil {
		return err
	}
	flt, err := filter.New(o.include, o.exclude)
	if err != nil {
		return usage("%v", err)
	}
	src, dst, err := openSides(ctx, srcArg, dstArg, o.fromProfile, o.toProfile, o.workers, e.log)
	if err != nil {
		return err
	}
	if err := src.check(ctx); err != nil {
		return err
	}
	if err := dst.check(ctx); err != nil {
		return err
	}
	out := startOutput(ctx, e, o.json, "verified")
	jsonOut, stop := out.json, out.stop
	rep, runErr := verify.Run(ctx, src.store, dst.store, verify.Options{
		Workers: o.workers, ListWorkers: o.listWorkers, SkipMetadata: o.skipMeta, Filter: flt, Listener: out.listeners, Log: e.log,
	})
	if stop != nil {
		stop()
	}
	hist := src.history(ctx, flt, e.log)
	ok := rep.OK(o.exact)
	jobs := jobsBetween(ctx, src, dst)
	if jsonOut != nil {
		if err := writeVerifyJSON(jsonOut, src, dst, rep, ok, runErr, jobs, hist); err != nil {
			return err
		}
	} else {
		next := append([]string{"sortie", "copy", src.loc.Raw, dst.loc.Raw},
			selectionFlags(o.fromProfile, o.toProfile, o.include, o.exclude)...)
		printVerify(e.stdout, src, dst, rep, ok, o.exact, runErr, hist, next)
		for _, j := range jobs {
			fmt.Fprintf(e.stdout, "journal: %s job %s is %s: %s objects confirmed, %s failed (sortie jobs show %s)\n",
				j.Command, j.ID, j.State, humanize.Comma(j.Done), humanize.Comma(j.Failed), j.ID)
		}
	}
	switch {
	case errors.Is(runErr, context.Canceled):
		return runErr
	case runErr != nil:
		return &exitError{code: ExitFailures, err: fmt.Errorf("verify stopped: %v", oneLine(runErr.Error()))}
	case !ok:
		return &exitError{code: ExitFailures, err: fmt.Errorf("%s does not match %s", dst.loc, src.loc)}
	}
	return nil
}

type jsonVerify struct {
	Event       string        `json:"event"`
	Source      string        `json:"source"`
	Destination string        `json:"destination"`
	Identical   bool          `json:"identical"`
	Objects     int64         `json:"objects"`
	Bytes       int64         `json:"bytes"`
	Verified    int64         `json:"verified"`
	ByETag      int64         `json:"verified_by_etag"`
	ByHash      int64         `json:"verified_by_hash"`
	Missing     int64         `json:"missing"`
	Mismatched  int64         `json:"mismatched"`
	Extra       int64         `json:"extra"`
	Unchecked   int64         `json:"unchecked"`
	Problems    []jsonProblem `json:"problems"`
	Error       string        `json:"error,omitempty"`
	Seconds     float64       `json:"seconds"`
	Jobs        []jsonJob     `json:"jobs"`
	// LeftBehind is the history of a versioned source that verify does
	// not compare.
	LeftBehind *jsonLeftBehind `json:"left_behind,omitempty"`
}

type jsonProblem struct {
	Kind   string `json:"kind"`
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// jobsBetween finds the journals of copy and sync jobs between the same two
// places, so that verify can say what the copies recorded: an object a copy
// gave up on is never missing from what the user is told.
func jobsBetween(ctx context.Context, src, dst *side) []journal.Info {
	dir, err := journal.Dir()
	if err != nil {
		return nil
	}
	infos, _ := journal.List(ctx, dir)
	var out []journal.Info
	for _, in := range infos {
		if in.Source == src.identity() && in.Destination == dst.identity() {
			out = append(out, in)
		}
	}
	return out
}

func writeVerifyJSON(j *progress.JSON, src, dst *side, rep *verify.Report, ok bool, runErr error, jobs []journal.Info, hist *history) error {
	out := jsonVerify{Event: "report", Source: src.loc.String(), Destination: dst.loc.String(), Identical: ok && runErr == nil,
		Objects: rep.Objects, Bytes: rep.Bytes, Verified: rep.Verified, ByETag: rep.ByETag, ByHash: rep.ByHash,
		Missing: rep.Missing, Mismatched: rep.Mismatched, Extra: rep.Extra, Unchecked: rep.Unchecked,
		Problems: []jsonProblem{}, Seconds: rep.Elapsed.Seconds(), Jobs: []jsonJob{}, LeftBehind: hist.json()}
	for _, in := range jobs {
		out.Jobs = append(out.Jobs, toJSON(in))
	}
	for _, p := range rep.Problems {
		out.Problems = append(out.Problems, jsonProblem{Kind: string(p.Kind), Key: p.Key, Reason: p.Reason})
	}
	if runErr != nil {
		out.Error = oneLine(runErr.Error())
	}
	return j.Write(out)
}

func printVerify(w io.Writer, src, dst *side, rep *verify.Report, ok, exact bool, runErr error, hist *history, next []string) {
	fmt.Fprintf(w, "sortie verify %s → %s\n", src.loc, dst.loc)
	fmt.Fprintf(w, "  %-12s %s\n", "checked", countBytes(rep.Objects, rep.Bytes))
	fmt.Fprintf(w, "  %-12s %s  (%s by ETag, %s by hashing the bytes)\n", "identical", humanize.Comma(rep.Verified), humanize.Comma(rep.ByETag), humanize.Comma(rep.ByHash))
	fmt.Fprintf(w, "  %-12s %s\n", "missing", humanize.Comma(rep.Missing))
	fmt.Fprintf(w, "  %-12s %s\n", "different", humanize.Comma(rep.Mismatched))
	if rep.Unchecked > 0 {
		fmt.Fprintf(w, "  %-12s %s\n", "unreadable", humanize.Comma(rep.Unchecked))
	}
	extraNote := ""
	if !exact && rep.Extra > 0 {
		extraNote = "  (not an error without --exact)"
	}
	fmt.Fprintf(w, "  %-12s %s%s\n", "only at dst", humanize.Comma(rep.Extra), extraNote)
	if n := hist.note(src); n != "" {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	if len(rep.Problems) > 0 {
		fmt.Fprintf(w, "problems:\n")
		for _, p := range rep.Problems {
			fmt.Fprintf(w, "  %-9s %s: %s\n", p.Kind, p.Key, p.Reason)
		}
		if n := rep.Missing + rep.Mismatched + rep.Extra + rep.Unchecked; n > int64(len(rep.Problems)) {
			fmt.Fprintf(w, "  … and %s more (use --json for the full list)\n", humanize.Comma(n-int64(len(rep.Problems))))
		}
	}
	switch {
	case errors.Is(runErr, context.Canceled):
		fmt.Fprintf(w, "interrupted before every object was checked\n")
	case runErr != nil:
		fmt.Fprintf(w, "stopped: %s\n", oneLine(runErr.Error()))
	case ok:
		fmt.Fprintf(w, "IDENTICAL: every source object is at the destination with the same size, content and metadata\n")
	default:
		fmt.Fprintf(w, "NOT IDENTICAL: run sortie copy (or sync) again, then verify\n")
		if rep.Missing+rep.Mismatched+rep.Unchecked > 0 {
			fmt.Fprintf(w, "next: %s\n", commandLine(next))
		}
	}
}

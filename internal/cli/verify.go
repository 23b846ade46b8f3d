package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/sortie-dev/sortie/internal/coordinator"
	"github.com/sortie-dev/sortie/internal/filter"
	"github.com/sortie-dev/sortie/internal/journal"
	"github.com/sortie-dev/sortie/internal/progress"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/verify"
)

type verifyOptions struct {
	fromProfile, toProfile string
	workers, listWorkers   int
	include, exclude       []string
	json, exact, skipMeta  bool
	versions, noLock       bool
	enc                    encryptionFlags
	coord                  coordinatorFlags
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
sync).

What verify does not compare it names: "identical except: ..." instead of
"IDENTICAL", e.g. the noncurrent versions and delete markers of a versioned
SRC, or tags a DST cannot keep. With --exact that too makes the exit code 1,
except what a flag asked to leave out (--skip-metadata, --no-lock).

With --versions, each key's whole history is compared instead, oldest to
newest: the same versions and delete markers in the same order, each version
with the same size, content and metadata, and recording the SRC version it
was copied from (x-amz-meta-sortie-source-version-id). Both sides must be
versioned S3 buckets; "missing" and "only at dst" then count keys.`,
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
	f.StringVar(&o.coord.url, "coordinator", "", "also report what the coordinator database's jobs between SRC and DST recorded (default $"+coordinatorEnv+")")
	f.BoolVar(&o.exact, "exact", false, "also fail when DST has objects SRC lacks, or when anything was not compared (but what --skip-metadata or --no-lock leave out)")
	f.BoolVar(&o.skipMeta, "skip-metadata", false, "compare size and content only")
	f.BoolVar(&o.versions, "versions", false, "compare every key's history (versions and delete markers), not only the current objects")
	o.enc.register(f, false)
	f.BoolVar(&o.noLock, "no-lock", false, "the copy was made without Object Lock: do not compare retention and legal holds")
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
	srcEnc, dstEnc, err := o.enc.sides()
	if err != nil {
		return err
	}
	src, dst, err := openSides(ctx, srcArg, dstArg, o.fromProfile, o.toProfile, o.workers, srcEnc, dstEnc, e.log)
	if err != nil {
		return err
	}
	if o.versions {
		for _, s := range []*side{src, dst} {
			if _, ok := s.store.(store.Versioned); !ok {
				return usage("verify --versions: %s %s keeps no object history; --versions compares two S3 buckets", s.role, s.loc)
			}
		}
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
		Workers: o.workers, ListWorkers: o.listWorkers, SkipMetadata: o.skipMeta, Filter: flt,
		Versions: o.versions, NoLock: o.noLock, Listener: out.listeners, Log: e.log,
	})
	if stop != nil {
		stop()
	}
	if rep == nil {
		return usage("verify: %v", runErr)
	}
	hist := leftBehind(rep)
	ok := rep.OK(o.exact)
	gaps := o.gapTexts(rep)
	jobs := jobsBetween(ctx, src, dst)
	o.coord.fromEnv()
	cjobs := coordinatorJobsBetween(ctx, e, &o.coord, src, dst)
	if jsonOut != nil {
		if err := writeVerifyJSON(jsonOut, src, dst, rep, o.versions, ok, runErr, jobs, cjobs, &o.coord, hist, gaps); err != nil {
			return err
		}
	} else {
		next := []string{"sortie", "copy", src.loc.Raw, dst.loc.Raw}
		if o.versions {
			next = append(next, "--versions")
			if o.noLock {
				next = append(next, "--no-lock")
			}
		}
		next = append(next, selectionFlags(o.fromProfile, o.toProfile, o.include, o.exclude)...)
		printVerify(e.stdout, src, dst, rep, o, runErr, hist, gaps, next)
		for _, j := range jobs {
			fmt.Fprintf(e.stdout, "journal: %s job %s is %s: %s objects confirmed, %s failed (sortie jobs show %s)\n",
				j.Command, j.ID, j.State, humanize.Comma(j.Done), humanize.Comma(j.Failed), j.ID)
		}
		for _, j := range cjobs {
			fmt.Fprintf(e.stdout, "coordinator: %s job %s is %s (run %d): %s objects confirmed, %s failed (sortie jobs show %s --coordinator %s)\n",
				j.Command, j.ID, j.State, j.LastRun, humanize.Comma(j.Done), humanize.Comma(j.Failed), j.ID, o.coord.shown())
		}
	}
	switch {
	case errors.Is(runErr, context.Canceled):
		return runErr
	case runErr != nil:
		return &exitError{code: ExitFailures, err: fmt.Errorf("verify stopped: %v", oneLine(runErr.Error()))}
	case !ok && clean(rep, o.exact):
		return &exitError{code: ExitFailures, err: fmt.Errorf("%s is not proved identical to %s under --exact: %s not compared", dst.loc, src.loc, notComparedWhat(rep))}
	case !ok:
		return &exitError{code: ExitFailures, err: fmt.Errorf("%s does not match %s", dst.loc, src.loc)}
	}
	return nil
}

// clean reports whether nothing verify compared differs, whatever it could
// not compare.
func clean(rep *verify.Report, exact bool) bool {
	return rep.OK(false) && (!exact || rep.Extra == 0)
}

// notComparedWhat names what was not compared that --exact counts.
func notComparedWhat(rep *verify.Report) string {
	var what []string
	for _, g := range rep.NotCompared {
		if !g.Asked && !slices.Contains(what, g.What) {
			what = append(what, g.What)
		}
	}
	return strings.Join(what, ", ")
}

// gapTexts renders what the run did not compare, one line each, with the
// flag that would compare it or that asked to leave it out.
func (o *verifyOptions) gapTexts(rep *verify.Report) []string {
	out := []string{}
	for _, g := range rep.NotCompared {
		t := g.String()
		switch {
		case g.What == verify.GapHistory && rep.LeftBehind != nil && rep.LeftBehind.Err == nil:
			t += " (pass --versions)"
		case g.What == verify.GapMetadata && g.Asked:
			t += " (--skip-metadata)"
		case g.What == verify.GapLock && g.Asked:
			t += " (--no-lock)"
		}
		out = append(out, oneLine(t))
	}
	return out
}

// leftBehind is the history a verification of current objects did not
// compare, as plan and copy report it: nil when the source keeps none or
// its versioning state is unknown (the report names that).
func leftBehind(rep *verify.Report) *history {
	lb := rep.LeftBehind
	if lb == nil || lb.Versioning == "" {
		return nil
	}
	return &history{versioning: lb.Versioning, counts: lb.Counts, err: lb.Err}
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
	// not compare (without --versions).
	LeftBehind *jsonLeftBehind `json:"left_behind,omitempty"`
	// NotCompared names what verify did not compare, one line each;
	// "identical" is said of the rest.
	NotCompared []string `json:"not_compared"`
	// History counts the histories compared under --versions; objects,
	// bytes and verified then count versions.
	History *jsonVerifiedHistory `json:"history,omitempty"`
}

type jsonVerifiedHistory struct {
	Keys            int64 `json:"keys"`
	Versions        int64 `json:"versions"`
	DeleteMarkers   int64 `json:"delete_markers"`
	MarkersVerified int64 `json:"delete_markers_verified"`
}

type jsonProblem struct {
	Kind string `json:"kind"`
	Key  string `json:"key"`
	// Position is, under --versions, the entry of the key's history, 1
	// for the oldest; absent for the key as a whole.
	Position int    `json:"position,omitempty"`
	Version  string `json:"version,omitempty"`
	Reason   string `json:"reason"`
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

func writeVerifyJSON(j *progress.JSON, src, dst *side, rep *verify.Report, versions, ok bool, runErr error, jobs []journal.Info, cjobs []coordinator.JobInfo, coord *coordinatorFlags, hist *history, gaps []string) error {
	out := jsonVerify{Event: "report", Source: src.loc.String(), Destination: dst.loc.String(), Identical: ok && runErr == nil,
		Objects: rep.Objects, Bytes: rep.Bytes, Verified: rep.Verified, ByETag: rep.ByETag, ByHash: rep.ByHash,
		Missing: rep.Missing, Mismatched: rep.Mismatched, Extra: rep.Extra, Unchecked: rep.Unchecked,
		Problems: []jsonProblem{}, Seconds: rep.Elapsed.Seconds(), Jobs: []jsonJob{}, LeftBehind: hist.json(), NotCompared: gaps}
	if versions {
		out.History = &jsonVerifiedHistory{Keys: rep.Keys, Versions: rep.Objects, DeleteMarkers: rep.DeleteMarkers, MarkersVerified: rep.MarkersVerified}
	}
	for _, in := range jobs {
		out.Jobs = append(out.Jobs, toJSON(in))
	}
	for _, in := range cjobs {
		out.Jobs = append(out.Jobs, coordinatorJobJSON(in, coord).jsonJob)
	}
	for _, p := range rep.Problems {
		out.Problems = append(out.Problems, jsonProblem{Kind: string(p.Kind), Key: p.Key, Position: p.Position, Version: p.Version, Reason: p.Reason})
	}
	if runErr != nil {
		out.Error = oneLine(runErr.Error())
	}
	return j.Write(out)
}

func printVerify(w io.Writer, src, dst *side, rep *verify.Report, o *verifyOptions, runErr error, hist *history, gaps []string, next []string) {
	if o.versions {
		fmt.Fprintf(w, "sortie verify --versions %s → %s\n", src.loc, dst.loc)
		fmt.Fprintf(w, "  %-12s %s\n", "keys", humanize.Comma(rep.Keys))
		fmt.Fprintf(w, "  %-12s %s  %s\n", "versions", humanize.Comma(rep.Objects), humanize.IBytes(uint64(rep.Bytes)))
	} else {
		fmt.Fprintf(w, "sortie verify %s → %s\n", src.loc, dst.loc)
		fmt.Fprintf(w, "  %-12s %s\n", "checked", countBytes(rep.Objects, rep.Bytes))
	}
	fmt.Fprintf(w, "  %-12s %s  (%s by ETag, %s by hashing the bytes)\n", "identical", humanize.Comma(rep.Verified), humanize.Comma(rep.ByETag), humanize.Comma(rep.ByHash))
	if o.versions {
		fmt.Fprintf(w, "  %-12s %s  (%s in place)\n", "markers", humanize.Comma(rep.DeleteMarkers), humanize.Comma(rep.MarkersVerified))
	}
	fmt.Fprintf(w, "  %-12s %s\n", "missing", humanize.Comma(rep.Missing))
	fmt.Fprintf(w, "  %-12s %s\n", "different", humanize.Comma(rep.Mismatched))
	if rep.Unchecked > 0 {
		fmt.Fprintf(w, "  %-12s %s\n", "unreadable", humanize.Comma(rep.Unchecked))
	}
	extraNote := ""
	if !o.exact && rep.Extra > 0 {
		extraNote = "  (not an error without --exact)"
	}
	fmt.Fprintf(w, "  %-12s %s%s\n", "only at dst", humanize.Comma(rep.Extra), extraNote)
	if n := hist.note(src); n != "" {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	if len(rep.Problems) > 0 {
		if o.versions {
			fmt.Fprintf(w, "problems (#n is the nth entry of the key's history, #1 the oldest):\n")
		} else {
			fmt.Fprintf(w, "problems:\n")
		}
		for _, p := range rep.Problems {
			at := p.Key
			if at == "" {
				at = "(version listing)"
			}
			if p.Position > 0 {
				at = fmt.Sprintf("%s #%d (version %s)", at, p.Position, p.Version)
			}
			fmt.Fprintf(w, "  %-9s %s: %s\n", p.Kind, at, p.Reason)
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
	case !clean(rep, o.exact):
		if len(gaps) > 0 {
			fmt.Fprintf(w, "not compared: %s\n", strings.Join(gaps, "; "))
		}
		if o.versions {
			fmt.Fprintf(w, "NOT IDENTICAL: run sortie copy --versions again, then verify --versions (a history copy adds what a history lacks, never rewrites one that differs)\n")
		} else {
			fmt.Fprintf(w, "NOT IDENTICAL: run sortie copy (or sync) again, then verify\n")
		}
		if rep.Missing+rep.Mismatched+rep.Unchecked > 0 {
			fmt.Fprintf(w, "next: %s\n", commandLine(next))
		}
	case len(gaps) > 0:
		fmt.Fprintf(w, "identical except: %s\n", strings.Join(gaps, "; "))
		if o.exact && !rep.Complete() {
			fmt.Fprintf(w, "--exact: exit code 1, since what was not compared is not proved identical\n")
		}
	case o.versions:
		fmt.Fprintf(w, "IDENTICAL: every key's history is at the destination, entry by entry, with the same size, content and metadata\n")
	default:
		fmt.Fprintf(w, "IDENTICAL: every source object is at the destination with the same size, content and metadata\n")
	}
}

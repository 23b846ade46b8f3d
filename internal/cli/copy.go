package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/sortie-dev/sortie/internal/assess/prices"
	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/filter"
	"github.com/sortie-dev/sortie/internal/journal"
	"github.com/sortie-dev/sortie/internal/location"
	"github.com/sortie-dev/sortie/internal/progress"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/transfer"
)

type mode int

const (
	modeCopy mode = iota
	modeSync
	modePlan
)

// defaultEgressPrice is AWS's public price for data transfer out of S3 to
// the internet, first pricing tier (up to 10 TB a month), in US dollars per
// GB: the dated price file that assess prices the exit with, so that plan
// and assess never disagree. The first 100 GB a month across an account
// are free; the later tiers are cheaper.
func defaultEgressPrice() float64 { return prices.Default().Egress.Tiers[0].USDPerGB }

// copyOptions are the flags of copy, sync and plan.
type copyOptions struct {
	fromProfile, toProfile string
	workers                int
	partSize, bwlimit      string
	include, exclude       []string
	dryRun, json           bool
	storageClass           string
	maxDelete              int
	egressPrice            float64
	createBucket           bool
	journal                string
	noJournal              bool
	listWorkers            int
	versions, noLock       bool
	lossReport             string
	enc                    encryptionFlags
	coord                  coordinatorFlags
}

func newCopyCmd(e *env, m mode) *cobra.Command {
	o := &copyOptions{}
	cmd := &cobra.Command{Args: exactArgs(2, "SRC and DST")}
	switch m {
	case modeCopy:
		cmd.Use, cmd.Short = "copy SRC DST", "Copy objects that are missing or different at DST; never deletes"
	case modeSync:
		cmd.Use, cmd.Short = "sync SRC DST", "Make DST identical to SRC: copy, then delete what DST has that SRC lacks"
	case modePlan:
		cmd.Use, cmd.Short = "plan SRC DST", "Show what copy or sync would do, changing nothing: counts, bytes, egress cost"
	}
	cmd.Long = cmd.Short + `.

SRC and DST are s3://BUCKET[/PREFIX], file:///PATH or a local directory.
An object counts as copied only when the destination has confirmed its size
and checksum. Objects already at DST with the same size and checksum are
skipped, so running the same command again resumes an interrupted copy and
moves only what changed; large objects continue from their confirmed parts
(the job's journal: sortie jobs).`
	if m == modePlan {
		cmd.Long = cmd.Short + `.

SRC and DST are s3://BUCKET[/PREFIX], file:///PATH or a local directory; a
destination that does not exist yet is planned as empty. plan lists both
sides and compares them as copy and sync would (size, then checksums), reads
no object bodies and writes nothing. It reports what copy would move (new and
changed objects), what sync would also delete, and the egress this would
cost at --egress-price-per-gb.`
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return runCopy(cmd.Context(), e, m, o, args[0], args[1])
	}
	f := cmd.Flags()
	f.StringVar(&o.fromProfile, "from-profile", "", "AWS shared-config profile for SRC (default: the SDK's default chain)")
	f.StringVar(&o.toProfile, "to-profile", "", "AWS shared-config profile for DST (default: the SDK's default chain)")
	f.IntVar(&o.workers, "workers", transfer.DefaultWorkers, "objects or parts moved at once")
	f.StringVar(&o.partSize, "part-size", "16MiB", "part size for multipart uploads, when the source's own layout cannot be mirrored")
	f.StringVar(&o.bwlimit, "bwlimit", "0", "cap on bytes read from SRC per second, e.g. 50MiB (0: no cap)")
	f.IntVar(&o.listWorkers, "list-workers", 1, "list each side with this many requests at once, over folders or key ranges; for stores that serve requests in parallel (AWS S3)")
	f.StringArrayVar(&o.include, "include", nil, "copy only keys matching this glob (repeatable; * ** ? [..] {a,b})")
	f.StringArrayVar(&o.exclude, "exclude", nil, "skip keys matching this glob (repeatable)")
	f.BoolVar(&o.json, "json", false, "print JSON lines (one event per object, then a summary) on stdout")
	f.BoolVar(&o.versions, "versions", false, "copy every version and delete marker of each key, oldest first, into a destination with versioning enabled (history is only added to: nothing is deleted)")
	f.BoolVar(&o.noLock, "no-lock", false, "copy a source with Object Lock into a destination without it, dropping retention and legal holds (the loss report says so)")
	o.enc.register(f, m != modePlan)
	f.StringVar(&o.lossReport, "loss-report", "", "also write the loss report (what was and was not carried: history, Object Lock, encryption) to this file: JSON if it ends in .json, else Markdown")
	if m != modePlan {
		f.BoolVar(&o.dryRun, "dry-run", false, "decide everything, change nothing")
		f.StringVar(&o.storageClass, "storage-class", "", "storage class for written objects (default: the destination's)")
		f.BoolVar(&o.createBucket, "create-bucket", false, "create the destination bucket if it does not exist")
	}
	if m != modePlan {
		f.StringVar(&o.journal, "journal", "", "the job's journal file (default: $XDG_STATE_HOME/sortie/JOB-ID.db, else ~/.local/state/sortie/)")
		f.BoolVar(&o.noJournal, "no-journal", false, "keep no journal: an interrupted multipart upload is then aborted, not resumed")
	}
	if m != modePlan {
		o.coord.register(f, true)
	}
	if m == modeSync {
		f.IntVar(&o.maxDelete, "max-delete", -1, "refuse to delete anything if more than this many objects would be deleted (-1: no limit)")
	}
	if m == modePlan {
		f.Float64Var(&o.egressPrice, "egress-price-per-gb", defaultEgressPrice(),
			"price of egress in USD per GB (2^30 bytes); default: AWS's public price for S3 data transfer out to the internet, first tier (to 10 TB/month, us-east-1), from the price file sortie assess uses ("+prices.Default().Date+"); the first 100 GB each month are free")
	}
	return cmd
}

func (o *copyOptions) engineOptions(m mode) (transfer.Options, error) {
	if err := checkWorkers(o.workers, o.listWorkers); err != nil {
		return transfer.Options{}, err
	}
	ps, err := humanize.ParseBytes(o.partSize)
	if err != nil || ps < 5<<20 || ps > 5<<30 {
		return transfer.Options{}, usage("--part-size %q: give a size from 5MiB to 5GiB, e.g. 64MiB", o.partSize)
	}
	bw, err := humanize.ParseBytes(o.bwlimit)
	if err != nil || bw > math.MaxInt64 {
		return transfer.Options{}, usage("--bwlimit %q: give bytes per second, e.g. 50MiB or 0 for no cap", o.bwlimit)
	}
	flt, err := filter.New(o.include, o.exclude)
	if err != nil {
		return transfer.Options{}, usage("%v", err)
	}
	if o.egressPrice < 0 {
		return transfer.Options{}, usage("--egress-price-per-gb %v: a price cannot be negative", o.egressPrice)
	}
	opts := transfer.Options{
		Workers: o.workers, PartSize: int64(ps), BandwidthLimit: int64(bw),
		StorageClass: o.storageClass, DryRun: o.dryRun || m == modePlan,
		Delete: (m == modeSync || m == modePlan) && !o.versions, MaxDelete: -1, Filter: flt, ListWorkers: o.listWorkers,
		Versions: o.versions, NoLock: o.noLock,
	}
	if m == modeSync {
		opts.MaxDelete = o.maxDelete
	}
	return opts, nil
}

func runCopy(ctx context.Context, e *env, m mode, o *copyOptions, srcArg, dstArg string) error {
	opts, err := o.engineOptions(m)
	if err != nil {
		return err
	}
	if err := o.coord.resolve(); err != nil {
		return err
	}
	if err := o.checkCoordinated(m); err != nil {
		return err
	}
	coordinated := o.coord.url != ""
	srcEnc, dstEnc, err := o.enc.sides()
	if err != nil {
		return err
	}
	src, dst, err := openSides(ctx, srcArg, dstArg, o.fromProfile, o.toProfile, o.workers, srcEnc, dstEnc, e.log)
	if err != nil {
		return err
	}
	if err := checkOverlap(src, dst); err != nil {
		return err
	}
	// The journal is opened before anything is touched: a journal that
	// cannot be used stops the run with source and destination untouched.
	var jr *journal.Journal
	if m != modePlan && !o.dryRun && !o.noJournal && !coordinated {
		if jr, err = openJournal(ctx, m, o, src, dst); err != nil {
			return err
		}
		defer jr.Close()
		opts.Ledger = jr
	}
	if err := src.check(ctx); err != nil {
		return err
	}
	if m == modePlan || o.dryRun {
		err = dst.checkMaybeMissing(ctx)
	} else {
		err = dst.prepare(ctx, o.createBucket, func() store.BucketSpec { return src.bucketSpec(ctx, e.log) })
	}
	if err != nil {
		return err
	}
	// Nothing moves before the destination is known to keep what the
	// source's objects carry: history, retention, encryption.
	if o.versions {
		if err := checkVersioned(ctx, src, dst); err != nil {
			return err
		}
	}
	real := m != modePlan && !o.dryRun
	lock, err := checkLock(ctx, src, dst, o.noLock, real)
	switch {
	case err != nil && real:
		return err
	case err != nil:
		// A plan says what copy would refuse, and plans the rest.
		lock = &lockPlan{refused: oneLine(err.Error())}
	}
	if real {
		if err := checkEncryption(ctx, dst, dstEnc); err != nil {
			return err
		}
	}
	if coordinated {
		return runCoordinated(ctx, e, m, o, src, dst, opts, lock, dstEnc)
	}

	verb := map[mode]string{modeCopy: "copied", modeSync: "synced", modePlan: "planned"}[m]
	out := startOutput(ctx, e, o.json, verb)
	opts.Listener, opts.Log = out.listeners, e.log
	jsonOut, stop := out.json, out.stop
	var runID int64
	if jr != nil {
		if runID, err = jr.RunStarted(map[mode]string{modeCopy: "copy", modeSync: "sync"}[m]); err != nil {
			return usage("%v", err)
		}
	}
	sum, runErr := transfer.Run(ctx, src.store, dst.store, opts)
	if stop != nil {
		stop()
	}
	var hist *history
	if !o.versions {
		hist = src.history(ctx, opts.Filter, e.log)
	}
	loss := buildLoss(lossInput{src: src, dst: dst, sum: sum, hist: hist, lock: lock, sse: sseNote(dstEnc), dryRun: opts.DryRun})
	if o.lossReport != "" && runErr == nil {
		if err := loss.write(o.lossReport, e.stdout); err != nil {
			return err
		}
	}
	if jr != nil {
		if err := jr.RunEnded(runID, sum, runErr); err != nil && runErr == nil {
			runErr = err
		}
		if !o.json {
			defer fmt.Fprintf(e.stdout, "journal: %s (sortie jobs show %s)\n", jr.Path(), strings.TrimSuffix(filepath.Base(jr.Path()), ".db"))
		}
	}
	if m == modePlan {
		next := append([]string{"sortie", "copy", src.loc.Raw, dst.loc.Raw}, o.hintFlags()...)
		if dst.missing && dst.loc.Kind == location.S3 {
			next = append(next, "--create-bucket")
		}
		return printPlan(e.stdout, jsonOut, src, dst, sum, o.egressPrice, runErr, hist, loss, next)
	}
	return finishCopy(e, jsonOut, m, o, src, dst, sum, runErr, o.dryRun, hist, loss)
}

// finishCopy prints a copy's or sync's summary, with the verify command
// to run next, and returns the error that gives the run's exit code.
func finishCopy(e *env, jsonOut *progress.JSON, m mode, o *copyOptions, src, dst *side, sum *transfer.Summary, runErr error, dryRun bool, hist *history, loss *lossReport) error {
	next := []string{"sortie", "verify", src.loc.Raw, dst.loc.Raw}
	// --exact fails on what was not compared: the history a sync of
	// current objects leaves behind is never compared.
	if m == modeSync && (hist == nil || hist.err == nil && !hist.counts.LeftBehind()) {
		next = append(next, "--exact")
	}
	next = append(next, o.hintFlags()...)
	if err := printCopySummary(e.stdout, jsonOut, m, src, dst, sum, runErr, dryRun, hist, loss, next); err != nil {
		return err
	}
	switch {
	case errors.Is(runErr, context.Canceled):
		return runErr
	case runErr != nil:
		return &exitError{code: ExitFailures, err: fmt.Errorf("run stopped: %v", oneLine(runErr.Error()))}
	case len(sum.Failed) > 0:
		return failures{int64(len(sum.Failed))}
	case sum.DeleteRefused != "":
		return &exitError{code: ExitFailures, err: errors.New(sum.DeleteRefused)}
	}
	return nil
}

// jsonSummary is the last JSON line of copy and sync.
type jsonSummary struct {
	Event          string        `json:"event"`
	Command        string        `json:"command"`
	Source         string        `json:"source"`
	Destination    string        `json:"destination"`
	DryRun         bool          `json:"dry_run,omitempty"`
	SrcObjects     int64         `json:"source_objects"`
	SrcBytes       int64         `json:"source_bytes"`
	Copied         int64         `json:"copied"`
	CopiedBytes    int64         `json:"copied_bytes"`
	Updated        int64         `json:"updated"`
	Unchanged      int64         `json:"unchanged"`
	UnchangedBytes int64         `json:"unchanged_bytes"`
	Deleted        int64         `json:"deleted"`
	DeleteRefused  string        `json:"delete_refused,omitempty"`
	Failed         []jsonFailure `json:"failed"`
	// LeftBehind is the history of a versioned source that was not copied.
	LeftBehind *jsonLeftBehind `json:"left_behind,omitempty"`
	// MetadataUpdated counts objects whose metadata or tags alone were
	// brought up to date; StoreQuirks are the destination's known
	// differences, each once.
	MetadataUpdated int64    `json:"metadata_updated"`
	StoreQuirks     []string `json:"store_quirks,omitempty"`
	// History is what a history copy (--versions) did; LossReport what
	// reached the destination and what did not.
	History     *jsonHistory `json:"history,omitempty"`
	LossReport  *lossReport  `json:"loss_report,omitempty"`
	Interrupted bool         `json:"interrupted,omitempty"`
	Error       string       `json:"error,omitempty"`
	Seconds     float64      `json:"seconds"`
}

type jsonFailure struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// hintFlags are the flags of this run that a suggested next command needs
// to look at the same objects in the same places.
func (o *copyOptions) hintFlags() []string {
	f := selectionFlags(o.fromProfile, o.toProfile, o.include, o.exclude)
	if o.versions {
		f = append(f, "--versions")
	}
	if o.noLock {
		f = append(f, "--no-lock")
	}
	return append(f, o.enc.hintFlags()...)
}

// selectionFlags renders the flags that choose where the sides are and which
// keys count, in the form every command takes them.
func selectionFlags(fromProfile, toProfile string, include, exclude []string) []string {
	var f []string
	if fromProfile != "" {
		f = append(f, "--from-profile", fromProfile)
	}
	if toProfile != "" {
		f = append(f, "--to-profile", toProfile)
	}
	for _, g := range include {
		f = append(f, "--include", g)
	}
	for _, g := range exclude {
		f = append(f, "--exclude", g)
	}
	return f
}

// commandLine renders args as a POSIX shell runs them: an argument with
// anything but plain characters is single-quoted, so that a hint can be
// pasted as printed (globs, spaces, quotes in keys and paths).
func commandLine(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string {
	plain := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
	}) < 0
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// jsonHistory is a history copy's counts, in entries of keys' histories.
type jsonHistory struct {
	Keys          int64 `json:"keys"`
	Versions      int64 `json:"versions_written"`
	VersionBytes  int64 `json:"version_bytes_written"`
	DeleteMarkers int64 `json:"delete_markers_written"`
	Kept          int64 `json:"entries_already_there"`
	NullVersions  int64 `json:"null_versions"`
	// RedundantMarkers are delete markers that hide nothing, not written.
	RedundantMarkers int64 `json:"redundant_delete_markers"`
	DstOnlyKeys      int64 `json:"destination_only_keys"`
	// The source's history as listed.
	SourceCurrent       int `json:"source_current"`
	SourceNoncurrent    int `json:"source_noncurrent"`
	SourceDeleteMarkers int `json:"source_delete_markers"`
}

func historyJSON(h *transfer.HistorySummary) *jsonHistory {
	if h == nil {
		return nil
	}
	return &jsonHistory{Keys: h.Keys, Versions: h.Versions, VersionBytes: h.VersionBytes, DeleteMarkers: h.Markers, Kept: h.Kept,
		NullVersions: h.NullVersions, RedundantMarkers: h.RedundantMarkers, DstOnlyKeys: h.DstOnly,
		SourceCurrent: h.Source.Current, SourceNoncurrent: h.Source.Noncurrent, SourceDeleteMarkers: h.Source.DeleteMarkers}
}

func nonEmpty(l *lossReport) *lossReport {
	if l == nil || l.empty() {
		return nil
	}
	return l
}

func printCopySummary(w io.Writer, j *progress.JSON, m mode, src, dst *side, sum *transfer.Summary, runErr error, dryRun bool, hist *history, loss *lossReport, next []string) error {
	name := map[mode]string{modeCopy: "copy", modeSync: "sync"}[m]
	if j != nil {
		js := jsonSummary{Event: "summary", Command: name, Source: src.loc.String(), Destination: dst.loc.String(), DryRun: dryRun,
			SrcObjects: sum.SrcObjects, SrcBytes: sum.SrcBytes, Copied: sum.Copied, CopiedBytes: sum.CopiedBytes,
			Updated: sum.Updated, Unchanged: sum.Unchanged, UnchangedBytes: sum.UnchangedBytes, Deleted: sum.Deleted,
			DeleteRefused: sum.DeleteRefused, Failed: []jsonFailure{}, Seconds: sum.Elapsed.Seconds(),
			Interrupted: errors.Is(runErr, context.Canceled), LeftBehind: hist.json(),
			MetadataUpdated: sum.MetadataUpdated, StoreQuirks: sum.Quirks,
			History: historyJSON(sum.History), LossReport: nonEmpty(loss)}
		for _, f := range sum.Failed {
			js.Failed = append(js.Failed, jsonFailure{Key: f.Key, Reason: oneLine(f.Err.Error())})
		}
		if runErr != nil && !js.Interrupted {
			js.Error = oneLine(runErr.Error())
		}
		return j.Write(js)
	}
	copied, deleted := "copied", "deleted"
	if dryRun {
		copied, deleted = "would copy", "would delete"
	}
	fmt.Fprintf(w, "sortie %s %s → %s\n", name, src.loc, dst.loc)
	if dst.missing {
		fmt.Fprintf(w, "  note: %s\n", dst.missingNote())
	}
	fmt.Fprintf(w, "  %-12s %s\n", copied, countBytes(sum.Copied, sum.CopiedBytes)+updatedNote(sum.Updated))
	if sum.MetadataUpdated > 0 {
		what := "metadata"
		if dryRun {
			what = "would update"
		}
		fmt.Fprintf(w, "  %-12s %s objects (metadata or tags only, in place)\n", what, humanize.Comma(sum.MetadataUpdated))
	}
	if h := sum.History; h != nil {
		fmt.Fprintf(w, "  %-12s %s and %s, oldest first (%s already there)\n", "history", plural(int(h.Versions), "version"), plural(int(h.Markers), "delete marker"), entries(h.Kept))
	} else {
		fmt.Fprintf(w, "  %-12s %s\n", "unchanged", countBytes(sum.Unchanged, sum.UnchangedBytes))
	}
	if m == modeSync && sum.History == nil {
		fmt.Fprintf(w, "  %-12s %s objects\n", deleted, humanize.Comma(sum.Deleted))
	}
	fmt.Fprintf(w, "  %-12s %d\n", "failed", len(sum.Failed))
	rate := ""
	if s := sum.Elapsed.Seconds(); s > 0 && sum.CopiedBytes > 0 && !dryRun {
		rate = fmt.Sprintf(" · %s/s", humanize.IBytes(uint64(float64(sum.CopiedBytes)/s)))
	}
	fmt.Fprintf(w, "  %-12s %s%s\n", "elapsed", sum.Elapsed.Round(time.Millisecond), rate)
	if sum.DeleteRefused != "" {
		fmt.Fprintf(w, "  note: %s\n", sum.DeleteRefused)
	}
	if n := hist.note(src); n != "" {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	for _, q := range sum.Quirks {
		fmt.Fprintf(w, "  note: %s\n", q)
	}
	loss.text(w)
	if len(sum.Failed) > 0 {
		fmt.Fprintf(w, "failed objects:\n")
		for _, f := range sum.Failed {
			fmt.Fprintf(w, "  %s: %s\n", f.Key, oneLine(f.Err.Error()))
		}
	}
	switch {
	case errors.Is(runErr, context.Canceled):
		left := sum.SrcObjects - sum.Copied - sum.Unchanged - sum.MetadataUpdated - int64(len(sum.Failed))
		fmt.Fprintf(w, "interrupted: at least %s objects are not yet copied\n", humanize.Comma(max(left, 0)))
		fmt.Fprintf(w, "run the same command again to finish; objects already confirmed are not copied again, and large objects continue from their confirmed parts\n")
	case runErr != nil:
		fmt.Fprintf(w, "stopped: %s\n", oneLine(runErr.Error()))
	case len(sum.Failed) > 0:
		fmt.Fprintf(w, "run the same command again to retry the failed objects\n")
	case !dryRun:
		fmt.Fprintf(w, "next: %s\n", commandLine(next))
	}
	return nil
}

func countBytes(n, b int64) string {
	return fmt.Sprintf("%s objects  %s", humanize.Comma(n), humanize.IBytes(uint64(b)))
}

func updatedNote(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("  (%s replaced an older version)", humanize.Comma(n))
}

// jsonPlan is plan's JSON output.
type jsonPlan struct {
	Event          string `json:"event"`
	Source         string `json:"source"`
	Destination    string `json:"destination"`
	SrcObjects     int64  `json:"source_objects"`
	SrcBytes       int64  `json:"source_bytes"`
	CopyObjects    int64  `json:"copy_objects"`
	CopyBytes      int64  `json:"copy_bytes"`
	NewObjects     int64  `json:"new_objects"`
	ChangedObjects int64  `json:"changed_objects"`
	Unchanged      int64  `json:"unchanged_objects"`
	UnchangedBytes int64  `json:"unchanged_bytes"`
	SyncDeletes    int64  `json:"sync_would_delete"`
	// DestinationMissing says the destination bucket or directory does
	// not exist yet: it was planned as empty.
	DestinationMissing bool `json:"destination_missing,omitempty"`
	// LeftBehind is the history of a versioned source a copy would leave.
	LeftBehind  *jsonLeftBehind `json:"left_behind,omitempty"`
	History     *jsonHistory    `json:"history,omitempty"`
	LossReport  *lossReport     `json:"loss_report,omitempty"`
	EgressPrice float64         `json:"egress_price_usd_per_gb"`
	EgressCost  float64         `json:"egress_cost_usd"`
	Error       string          `json:"error,omitempty"`
}

func printPlan(w io.Writer, j *progress.JSON, src, dst *side, sum *transfer.Summary, price float64, runErr error, hist *history, loss *lossReport, next []string) error {
	gb := float64(sum.CopiedBytes) / (1 << 30)
	cost := gb * price
	if j != nil {
		p := jsonPlan{Event: "plan", Source: src.loc.String(), Destination: dst.loc.String(),
			SrcObjects: sum.SrcObjects, SrcBytes: sum.SrcBytes, CopyObjects: sum.Copied, CopyBytes: sum.CopiedBytes,
			NewObjects: sum.Copied - sum.Updated, ChangedObjects: sum.Updated, Unchanged: sum.Unchanged,
			UnchangedBytes: sum.UnchangedBytes, SyncDeletes: sum.Deleted, EgressPrice: price, EgressCost: math.Round(cost*100) / 100,
			DestinationMissing: dst.missing, LeftBehind: hist.json(), History: historyJSON(sum.History), LossReport: nonEmpty(loss)}
		if runErr != nil {
			p.Error = oneLine(runErr.Error())
		}
		if err := j.Write(p); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w, "sortie plan %s → %s (nothing was changed)\n", src.loc, dst.loc)
		if dst.missing {
			fmt.Fprintf(w, "  note: %s\n", dst.missingNote())
		}
		fmt.Fprintf(w, "  %-18s %s\n", "source", countBytes(sum.SrcObjects, sum.SrcBytes))
		fmt.Fprintf(w, "  %-18s %s  (%s new, %s changed)\n", "to copy", countBytes(sum.Copied, sum.CopiedBytes),
			humanize.Comma(sum.Copied-sum.Updated), humanize.Comma(sum.Updated))
		fmt.Fprintf(w, "  %-18s %s\n", "already there", countBytes(sum.Unchanged, sum.UnchangedBytes))
		if h := sum.History; h != nil {
			fmt.Fprintf(w, "  %-18s %s and %s to write, oldest first (%s already there)\n", "history", plural(int(h.Versions), "version"), plural(int(h.Markers), "delete marker"), entries(h.Kept))
		} else {
			fmt.Fprintf(w, "  %-18s %s objects at the destination that the source lacks (copy never deletes)\n", "sync would delete", humanize.Comma(sum.Deleted))
		}
		fmt.Fprintf(w, "  %-18s $%.2f  (%.2f GB × $%.3f/GB%s)\n", "egress estimate", cost, gb, price, egressNote(src))
		if n := hist.note(src); n != "" {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		loss.text(w)
		if runErr != nil {
			fmt.Fprintf(w, "  incomplete: %s\n", oneLine(runErr.Error()))
		} else {
			fmt.Fprintf(w, "next: %s\n", commandLine(next))
		}
	}
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			return runErr
		}
		return &exitError{code: ExitFailures, err: fmt.Errorf("plan incomplete: %v", oneLine(runErr.Error()))}
	}
	return nil
}

func egressNote(src *side) string {
	if src.endpoint == "" && src.loc.Kind == location.S3 {
		return "; AWS's first 100 GB a month are free; AWS may waive egress for a customer leaving (ask AWS support first)"
	}
	if src.loc.Kind == location.FS {
		return "; a local source costs no egress"
	}
	return "; source is " + strings.TrimPrefix(src.endpoint, "http://") + ": use its provider's price"
}

// openJournal opens the job's journal: --journal, or the default file named
// by the job's ID (source, destination, and the options that change what
// ends up at the destination).
func openJournal(ctx context.Context, m mode, o *copyOptions, src, dst *side) (*journal.Journal, error) {
	command := map[mode]string{modeCopy: "copy", modeSync: "sync"}[m]
	if o.versions {
		// A history copy writes other things than a copy of current
		// objects: its own job, its own journal.
		command += " --versions"
	}
	job := journal.CopyJob(command, src.identity(), dst.identity(), o.include, o.exclude, o.storageClass)
	path := o.journal
	if path == "" {
		dir, err := journal.Dir()
		if err != nil {
			return nil, usage("%v", err)
		}
		path = filepath.Join(dir, job.ID()+".db")
	}
	j, err := journal.Open(ctx, path, job)
	if err != nil {
		return nil, usage("%v", err)
	}
	return j, nil
}

// output is what a run reports to: the progress display and, with --json,
// the JSON lines on stdout.
type output struct {
	listeners event.Multi
	json      *progress.JSON // nil without --json
	stop      func()         // ends the progress display; nil if none
}

// startOutput sets up the listeners of a run: with asJSON, each object's
// events go to the JSON lines, before the summary. The live display goes
// to stderr, except when JSON goes to a terminal too.
func startOutput(ctx context.Context, e *env, asJSON bool, verb string) output {
	stats := progress.NewStats()
	out := output{listeners: event.Multi{stats}}
	if asJSON {
		out.json = progress.NewJSON(e.stdout)
		out.listeners = append(out.listeners, out.json)
	}
	if !asJSON || !e.terminal {
		d := &progress.Display{W: e.stderr, Terminal: e.terminal, Verb: verb, Stats: stats}
		out.stop = d.Start(ctx)
	}
	return out
}

// checkWorkers bounds the concurrency flags every command shares.
func checkWorkers(workers, listWorkers int) error {
	if workers < 1 || workers > 1024 {
		return usage("--workers %d: give a number from 1 to 1024", workers)
	}
	if listWorkers < 1 || listWorkers > 256 {
		return usage("--list-workers %d: give a number from 1 to 256", listWorkers)
	}
	return nil
}

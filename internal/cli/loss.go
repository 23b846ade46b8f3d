package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/sortie-dev/sortie/internal/diff"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/transfer"
)

// lossReport says, for one bucket moved, what of its history, retention and
// encryption reached the destination and what did not: what a records
// office signs off. Each line is a whole sentence.
type lossReport struct {
	Source      string   `json:"source"`
	Destination string   `json:"destination"`
	Carried     []string `json:"carried"`
	NotCarried  []string `json:"not_carried"`
	Warnings    []string `json:"warnings"`
}

func (l *lossReport) empty() bool {
	return len(l.Carried)+len(l.NotCarried)+len(l.Warnings) == 0
}

// lossInput is what a loss report is made from.
type lossInput struct {
	src, dst *side
	sum      *transfer.Summary
	hist     *history  // the history a copy of current objects left; nil if none or --versions
	lock     *lockPlan // nil when not checked
	sse      string    // --sse, "" for none
	dryRun   bool
}

func buildLoss(in lossInput) *lossReport {
	l := &lossReport{Source: in.src.loc.String(), Destination: in.dst.loc.String(), Carried: []string{}, NotCarried: []string{}, Warnings: []string{}}
	sum := in.sum
	verb := "were"
	if in.dryRun {
		verb = "would be"
	}
	if h := sum.History; h != nil {
		l.Carried = append(l.Carried, fmt.Sprintf("%s and %s %s written in their order (%s already at the destination, of %s keys)",
			plural(int(h.Versions), "version")+" ("+humanize.IBytes(uint64(h.VersionBytes))+")", plural(int(h.Markers), "delete marker"), verb,
			entries(h.Kept), humanize.Comma(h.Keys)))
		if h.Source.Hidden > 0 {
			l.Carried = append(l.Carried, fmt.Sprintf("keys whose latest entry is a delete marker stay deleted, with their history: %s", humanize.Comma(int64(h.Source.Hidden))))
		}
		l.NotCarried = append(l.NotCarried, fmt.Sprintf("version IDs and last-modified dates: the destination gives each version its own; the source's are kept in x-amz-meta-%s and x-amz-meta-%s. Lifecycle rules that expire noncurrent versions count from the copy date: their clocks restart",
			diff.SourceVersionKey, diff.SourceModifiedKey))
		if h.NullVersions > 0 {
			l.NotCarried = append(l.NotCarried, fmt.Sprintf("%s (written before versioning was enabled, or while it was suspended) got a version ID of their own", plural(int(h.NullVersions), "null version")))
		}
		if h.RedundantMarkers > 0 {
			l.NotCarried = append(l.NotCarried, fmt.Sprintf("%s that hide nothing (on a key with no version beneath, or on another marker) were not written: every read of those keys is the same without them, and MinIO and versitygw keep none", plural(int(h.RedundantMarkers), "delete marker")))
		}
		if h.DstOnly > 0 {
			l.Warnings = append(l.Warnings, fmt.Sprintf("%s have history at the destination only; left as they are", plural(int(h.DstOnly), "key")))
		}
	}
	if in.hist != nil {
		switch {
		case in.hist.err != nil:
			l.NotCarried = append(l.NotCarried, fmt.Sprintf("the source's noncurrent versions and delete markers (how many is unknown: %s); only current objects were copied", oneLine(rootCause(in.hist.err).Error())))
		case in.hist.counts.LeftBehind():
			c := in.hist.counts
			l.NotCarried = append(l.NotCarried, fmt.Sprintf("%s and %s: only current objects were copied (--versions copies the history)",
				plural(c.Noncurrent, "noncurrent version")+" ("+humanize.IBytes(uint64(c.NoncurrentBytes))+")", plural(c.DeleteMarkers, "delete marker")))
		}
	}
	what := "objects"
	if sum.History != nil {
		what = "versions"
	}
	if lp := in.lock; lp != nil && lp.refused != "" {
		l.Warnings = append(l.Warnings, "copy would refuse this destination: "+lp.refused)
	}
	if lp := in.lock; lp != nil && lp.unknown != "" {
		l.Warnings = append(l.Warnings, fmt.Sprintf("the source bucket's Object Lock configuration could not be read (%s): each object's retention is read with it and written where the destination takes it", lp.unknown))
	}
	if lp := in.lock; lp != nil && lp.source.Enabled {
		switch {
		case lp.noLock:
			l.NotCarried = append(l.NotCarried, fmt.Sprintf("Object Lock (--no-lock): %s %s %s written without their retention or legal hold; the destination does not protect them",
				humanize.Comma(sum.LockDropped), what, verb))
		default:
			how := ""
			if lp.probed {
				how = "; the destination was checked to enforce retention (a throw-away GOVERNANCE version it refused to delete)"
			}
			l.Carried = append(l.Carried, fmt.Sprintf("Object Lock: %s %s %s written with their retention and legal hold%s", humanize.Comma(sum.Locked), what, verb, how))
			if d := lp.source; d.DefaultMode != "" && lp.dest.DefaultMode == "" {
				l.NotCarried = append(l.NotCarried, fmt.Sprintf("the source bucket's default retention (%s) is not set on the destination bucket: new objects written there get none", defaultRetention(d)))
			}
		}
	}
	if sum.Compliance > 0 {
		until := sum.ComplianceUntil.UTC().Format("2006-01-02 15:04 UTC")
		l.Warnings = append(l.Warnings, fmt.Sprintf("%s under COMPLIANCE retention, until %s at the latest, cannot be deleted at the source before then, by anyone: AWS's waiver of data-transfer-out charges for leaving asks that the data be deleted; plan the last step of the exit after %s, or agree it with AWS first",
			plural(int(sum.Compliance), strings.TrimSuffix(what, "s")), until, until))
	}
	if sum.Encrypted > 0 {
		if in.sse != "" {
			l.Carried = append(l.Carried, fmt.Sprintf("encryption: %s stored encrypted at the source %s written with %s, confirmed by the destination after each write", plural(int(sum.Encrypted), strings.TrimSuffix(what, "s")), verb, in.sse))
		} else {
			l.NotCarried = append(l.NotCarried, fmt.Sprintf("encryption: %s stored encrypted at the source %s written without server-side encryption (pass --sse to ask the destination for it)", plural(int(sum.Encrypted), strings.TrimSuffix(what, "s")), verb))
		}
	}
	return l
}

func entries(n int64) string {
	if n == 1 {
		return "1 entry"
	}
	return humanize.Comma(n) + " entries"
}

func defaultRetention(l store.BucketLock) string {
	switch {
	case l.DefaultDays > 0:
		return fmt.Sprintf("%s, %d days", l.DefaultMode, l.DefaultDays)
	case l.DefaultYears > 0:
		return fmt.Sprintf("%s, %d years", l.DefaultMode, l.DefaultYears)
	}
	return l.DefaultMode
}

// text prints the report under a run's summary.
func (l *lossReport) text(w io.Writer) {
	if l.empty() {
		return
	}
	fmt.Fprintf(w, "loss report:\n")
	for _, s := range l.Carried {
		fmt.Fprintf(w, "  carried      %s\n", s)
	}
	for _, s := range l.NotCarried {
		fmt.Fprintf(w, "  not carried  %s\n", s)
	}
	for _, s := range l.Warnings {
		fmt.Fprintf(w, "  warning      %s\n", s)
	}
}

// markdown renders the report for a board or an auditor.
func (l *lossReport) markdown(w io.Writer) {
	fmt.Fprintf(w, "# Loss report: %s → %s\n\n", l.Source, l.Destination)
	section := func(title string, lines []string) {
		fmt.Fprintf(w, "## %s\n\n", title)
		if len(lines) == 0 {
			fmt.Fprintf(w, "None.\n\n")
			return
		}
		for _, s := range lines {
			fmt.Fprintf(w, "- %s\n", s)
		}
		fmt.Fprintln(w)
	}
	section("Carried", l.Carried)
	section("Not carried", l.NotCarried)
	section("Warnings", l.Warnings)
}

// write saves the report to path, atomically: JSON when the name ends in
// .json, Markdown otherwise.
func (l *lossReport) write(path string, stdout io.Writer) error {
	return writeOutput(path, stdout, func(w io.Writer) error {
		if strings.HasSuffix(path, ".json") {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(l)
		}
		l.markdown(w)
		return nil
	})
}

package database

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sortie-dev/sortie/internal/lang"
)

// namesShown is how many names the final line lists before "and N more".
const namesShown = 5

func vmsg(l lang.Lang, key string, args ...any) string { return verifyMessages.T(l, key, args...) }

// count is "1 table", "3 tables": noun.1 or noun.n with the number.
func count(l lang.Lang, noun string, n int64) string {
	if n == 1 || (l == lang.French && n == 0) {
		return vmsg(l, noun+".1", l.Int(n))
	}
	return vmsg(l, noun+".n", l.Int(n))
}

// tally is what the final line counts.
type tally struct {
	tables, sequences, largeObjects int
	rows                            int64
	diffTables, diffSeqs, diffLOs   int
	notTables, notSeqs, notLOs      int
	diffNames, notNames             []string
}

func (r *VerifyReport) tally() tally {
	var c tally
	for _, t := range r.Tables {
		if t.compared() {
			c.tables++
			c.rows += t.SourceRows
		}
		switch t.Status {
		case Different:
			c.diffTables++
			c.diffNames = append(c.diffNames, t.QualifiedName())
		case NotCompared:
			c.notTables++
			c.notNames = append(c.notNames, t.QualifiedName())
		}
	}
	for _, s := range r.Sequences {
		if s.Source != nil && s.Target != nil {
			c.sequences++
		}
		switch s.Status {
		case Different:
			c.diffSeqs++
			c.diffNames = append(c.diffNames, s.QualifiedName())
		case NotCompared:
			c.notSeqs++
			c.notNames = append(c.notNames, s.QualifiedName())
		}
	}
	lo := r.LargeObjects
	switch lo.Status {
	case Identical:
		c.largeObjects = lo.Source
	case Different:
		c.largeObjects = lo.Source
		c.diffLOs = len(lo.Missing) + len(lo.Extra) + len(lo.Changed)
		c.diffNames = append(c.diffNames, vmsg(lang.English, "large-objects"))
	case NotCompared:
		c.notLOs = 1
		c.notNames = append(c.notNames, vmsg(lang.English, "large-objects"))
	}
	return c
}

// Verdict is the report's one word: identical only when everything was
// compared and nothing differs; different when anything differs (even if
// something else could not be compared); not-compared (NOT VERIFIED) when
// nothing was found to differ but something, or everything, was not
// compared.
func (r *VerifyReport) Verdict() Status {
	c := r.tally()
	switch {
	case c.diffTables+c.diffSeqs+c.diffLOs > 0:
		return Different
	case c.notTables+c.notSeqs+c.notLOs > 0 || c.tables == 0 || r.Blind != "":
		return NotCompared
	}
	return Identical
}

func (r *VerifyReport) comparedList(l lang.Lang, c tally) string {
	parts := []string{count(l, "table", int64(c.tables)), count(l, "row", c.rows), count(l, "sequence", int64(c.sequences))}
	if r.Engine != MySQL {
		parts = append(parts, count(l, "largeobject", int64(c.largeObjects)))
	}
	return strings.Join(parts, ", ")
}

func names(l lang.Lang, n []string) string {
	if len(n) > namesShown {
		return vmsg(l, "and-more", strings.Join(n[:namesShown], ", "), len(n)-namesShown)
	}
	return strings.Join(n, ", ")
}

func kinds(l lang.Lang, tables, seqs, los int) string {
	var parts []string
	if tables > 0 {
		parts = append(parts, count(l, "table", int64(tables)))
	}
	if seqs > 0 {
		parts = append(parts, count(l, "sequence", int64(seqs)))
	}
	if los > 0 {
		parts = append(parts, count(l, "largeobject", int64(los)))
	}
	return strings.Join(parts, ", ")
}

// Summary is the report's last line, for a board: IDENTICAL, DIFFERENT or
// NOT VERIFIED, with what was compared.
func (r *VerifyReport) Summary(l lang.Lang) string {
	c := r.tally()
	compared := r.comparedList(l, c)
	switch r.Verdict() {
	case Identical:
		return vmsg(l, "summary-same", compared)
	case Different:
		key := "summary-diff"
		if c.diffTables+c.diffSeqs+c.diffLOs == 1 {
			key = "summary-diff.1"
		}
		s := vmsg(l, key, kinds(l, c.diffTables, c.diffSeqs, c.diffLOs), names(l, c.diffNames), compared)
		if n := c.notTables + c.notSeqs + c.notLOs; n > 0 {
			s += "; " + vmsg(l, "summary-notcmp", kinds(l, c.notTables, c.notSeqs, c.notLOs), names(l, c.notNames))
		}
		return s
	}
	var why []string
	if r.Blind != "" {
		why = append(why, vmsg(l, "blind", r.Blind))
	}
	if n := c.notTables + c.notSeqs + c.notLOs; n > 0 {
		why = append(why, vmsg(l, "summary-notcmp", kinds(l, c.notTables, c.notSeqs, c.notLOs), names(l, c.notNames)))
	}
	if c.tables == 0 {
		if len(r.Tables) == 0 {
			why = append(why, vmsg(l, "no-tables-why"))
		} else {
			why = append(why, vmsg(l, "no-tables"))
		}
	}
	s := vmsg(l, "summary-not", strings.Join(why, "; "))
	if c.tables > 0 || c.sequences > 0 {
		s += vmsg(l, "summary-then", compared)
	}
	return s
}

// Write writes the report as text, json or md, in l; its last line (the
// summary) is what a board reads.
func (r *VerifyReport) Write(w io.Writer, format string, l lang.Lang) error {
	switch format {
	case "json":
		out := struct {
			Schema  int    `json:"schema"`
			Verdict Status `json:"verdict"`
			Summary string `json:"summary"`
			*VerifyReport
		}{1, r.Verdict(), r.Summary(l), r}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "md":
		return r.writeMarkdown(w, l)
	case "text", "":
		return r.writeText(w, l)
	}
	return fmt.Errorf("format %q: give text, json or md", format)
}

func (r *VerifyReport) facts(l lang.Lang) [][2]string {
	f := [][2]string{
		{vmsg(l, "source"), r.Source.Server + " — " + r.Source.Product + " " + r.Source.Version},
		{vmsg(l, "target"), r.Target.Server + " — " + r.Target.Product + " " + r.Target.Version},
	}
	ss, ts := strings.Join(r.Source.Settings, ", "), strings.Join(r.Target.Settings, ", ")
	if ss == ts {
		f = append(f, [2]string{vmsg(l, "settings"), ss + " " + vmsg(l, "both")})
	} else {
		f = append(f, [2]string{vmsg(l, "settings"), vmsg(l, "source") + ": " + ss}, [2]string{"", vmsg(l, "target") + ": " + ts})
	}
	f = append(f, [2]string{vmsg(l, "method"), vmsg(l, "method-line", l.Int(int64(r.Options.ChunkRows)), r.Options.Parallel, r.Options.MaxKeys)},
		[2]string{vmsg(l, "elapsed"), vmsg(l, "seconds", l.Number(r.Seconds, 1))})
	return f
}

func statusLabel(l lang.Lang, s Status) string {
	switch s {
	case Identical:
		return vmsg(l, "identical")
	case Different:
		return vmsg(l, "different")
	}
	return vmsg(l, "not-compared")
}

// headline is a table's one line after its name.
func (t TableResult) headline(l lang.Lang) string {
	var parts []string
	switch {
	case t.OnlyAt == Source:
		parts = append(parts, vmsg(l, "only-source"))
	case t.OnlyAt == Target && t.Status == NotCompared:
		return vmsg(l, "only-target-blind")
	case t.OnlyAt == Target:
		parts = append(parts, vmsg(l, "only-target"))
	case t.Method == "partition":
		parts = append(parts, vmsg(l, "partition", t.PartitionOf))
	case t.Error != "" && t.Chunks == 0:
	default:
		unit := "chunk"
		if t.Method == "full-hash" {
			unit = "bucket"
		}
		if t.SourceRows == t.TargetRows {
			parts = append(parts, vmsg(l, "rows-line", l.Int(t.SourceRows), count(l, unit, int64(t.Chunks))))
		} else {
			parts = append(parts, vmsg(l, "rows-both", l.Int(t.SourceRows), l.Int(t.TargetRows)))
		}
		if t.Method == "full-hash" {
			parts = append(parts, vmsg(l, "full-hash"))
		}
		if t.ByteOrder {
			parts = append(parts, vmsg(l, "byte-order"))
		}
	}
	if t.Error != "" {
		parts = append(parts, t.Error)
	}
	if l == lang.French {
		return strings.Join(parts, " ; ")
	}
	return strings.Join(parts, "; ")
}

// details are a table's differences, one line each.
func (t TableResult) details(l lang.Lang) []string {
	var out []string
	for _, c := range t.Columns {
		switch {
		case c.Target == "":
			out = append(out, vmsg(l, "column-missing", c.Name, c.Source))
		case c.Source == "":
			out = append(out, vmsg(l, "column-extra", c.Name, c.Target))
		default:
			out = append(out, vmsg(l, "column-type", c.Name, c.Source, c.Target))
		}
	}
	if t.KeyDiffers {
		k, tk := strings.Join(t.Key, ", "), strings.Join(t.TargetKey, ", ")
		if k == "" {
			k = vmsg(l, "no-key")
		}
		if tk == "" {
			tk = vmsg(l, "no-key")
		}
		out = append(out, vmsg(l, "key-differs", k, tk))
	}
	for _, r := range t.Ranges {
		what := vmsg(l, "range-all")
		if r.Range.After != nil || r.Range.Upto != nil {
			what = vmsg(l, "key-range", FormatRange(t.Key, r.Range))
		}
		out = append(out, vmsg(l, "range", what, l.Int(r.SourceRows), l.Int(r.TargetRows)))
	}
	for _, r := range t.Rows {
		key := FormatKey(t.Key, r.Key)
		switch {
		case r.Key == nil:
			sum := r.Sum
			if len(sum) > 12 {
				sum = sum[:12]
			}
			out = append(out, vmsg(l, "keyless-row", sum, l.Int(r.SourceCount), l.Int(r.TargetCount)))
		case r.Kind == OnlyAtSource:
			out = append(out, vmsg(l, "row-only-source", key))
		case r.Kind == OnlyAtTarget:
			out = append(out, vmsg(l, "row-only-target", key))
		case len(r.Columns) > 0:
			out = append(out, vmsg(l, "row-changed", key, strings.Join(r.Columns, ", ")))
		default:
			out = append(out, vmsg(l, "row-changed-any", key))
		}
	}
	if t.Capped {
		out = append(out, vmsg(l, "capped", len(t.Rows)))
	}
	return out
}

// FormatKey writes a key as id=5, or (a, b)=(1, x) for several columns.
func FormatKey(cols []string, k Key) string {
	if len(cols) == 1 && len(k) == 1 {
		return cols[0] + "=" + keyPart(k[0])
	}
	return "(" + strings.Join(cols, ", ") + ")=" + tuple(k)
}

func tuple(k Key) string {
	if len(k) == 1 {
		return keyPart(k[0])
	}
	p := make([]string, len(k))
	for i, v := range k {
		p[i] = keyPart(v)
	}
	return "(" + strings.Join(p, ", ") + ")"
}

// keyPart quotes a key's value when it could be misread in a list.
func keyPart(v string) string {
	if v == "" || strings.ContainsAny(v, " ,()=\"'<>\t\n") {
		return strconv.Quote(v)
	}
	return v
}

// FormatRange writes a key range as 5000 < id ≤ 10000.
// (the whole table when both bounds are open: "all").
func FormatRange(cols []string, r KeyRange) string {
	c := strings.Join(cols, ", ")
	if len(cols) > 1 {
		c = "(" + c + ")"
	}
	switch {
	case r.After == nil && r.Upto == nil:
		return "all"
	case r.After == nil:
		return c + " ≤ " + tuple(r.Upto)
	case r.Upto == nil:
		return c + " > " + tuple(r.After)
	}
	return tuple(r.After) + " < " + c + " ≤ " + tuple(r.Upto)
}

func (s SequenceResult) line(l lang.Lang) string {
	st := func(s string) string {
		if s == "" {
			return "?"
		}
		return s
	}
	switch {
	case s.Error != "":
		return s.Error
	case s.OnlyAt == Source:
		return vmsg(l, "seq-missing", l.Int(*s.Source))
	case s.Status == Different:
		return vmsg(l, "seq-behind", l.Int(*s.Source), st(s.SourceState), l.Int(*s.Target), st(s.TargetState))
	}
	return vmsg(l, "seq-line", l.Int(*s.Source), st(s.SourceState), l.Int(*s.Target), st(s.TargetState))
}

func (s SequenceResult) label(l lang.Lang) string {
	if s.Status == Different && s.OnlyAt == "" {
		return vmsg(l, "behind")
	}
	return statusLabel(l, s.Status)
}

func (o LargeObjectsResult) line(l lang.Lang) string {
	if o.Error != "" {
		return o.Error
	}
	if o.Status == Different {
		oids := func(v []uint32) string {
			if len(v) == 0 {
				return vmsg(l, "none")
			}
			p := make([]string, 0, min(len(v), namesShown))
			for _, x := range v[:min(len(v), namesShown)] {
				p = append(p, strconv.FormatUint(uint64(x), 10))
			}
			if len(v) > namesShown {
				return vmsg(l, "and-more", strings.Join(p, ", "), len(v)-namesShown)
			}
			return strings.Join(p, ", ")
		}
		return vmsg(l, "lo-diff", l.Int(int64(o.Source)), l.Int(int64(o.Target)), oids(o.Missing), oids(o.Extra), oids(o.Changed))
	}
	return vmsg(l, "lo-line", count(l, "largeobject", int64(o.Source)), l.Bytes(o.Bytes))
}

func (r *VerifyReport) writeText(w io.Writer, l lang.Lang) error {
	fmt.Fprintf(w, "%s\n", vmsg(l, "title"))
	for _, f := range r.facts(l) {
		fmt.Fprintf(w, "  %-13s %s\n", f[0], f[1])
	}
	for _, t := range r.Tables {
		fmt.Fprintf(w, "  %-13s %s: %s\n", statusLabel(l, t.Status), t.QualifiedName(), t.headline(l))
		for _, d := range t.details(l) {
			fmt.Fprintf(w, "  %-13s   %s\n", "", d)
		}
	}
	for _, s := range r.Sequences {
		fmt.Fprintf(w, "  %-13s %s %s: %s\n", s.label(l), vmsg(l, "sequence"), s.QualifiedName(), s.line(l))
	}
	if r.LargeObjects.Status != "" {
		fmt.Fprintf(w, "  %-13s %s: %s\n", statusLabel(l, r.LargeObjects.Status), vmsg(l, "large-objects"), r.LargeObjects.line(l))
	}
	_, err := fmt.Fprintln(w, r.Summary(l))
	return err
}

func (r *VerifyReport) writeMarkdown(w io.Writer, l lang.Lang) error {
	fmt.Fprintf(w, "# %s\n\n**%s**\n\n## %s\n\n| | |\n|---|---|\n", vmsg(l, "title"), cell(r.Summary(l)), vmsg(l, "h-facts"))
	for _, f := range r.facts(l) {
		fmt.Fprintf(w, "| %s | %s |\n", cell(f[0]), cell(f[1]))
	}
	fmt.Fprintf(w, "\n## %s\n\n| %s | %s | %s | %s | %s |\n|---|---|---:|---:|---|\n",
		vmsg(l, "h-tables"), vmsg(l, "h-table"), vmsg(l, "h-status"), vmsg(l, "h-source"), vmsg(l, "h-target"), vmsg(l, "h-detail"))
	for _, t := range r.Tables {
		status := statusLabel(l, t.Status)
		if t.Status != Identical {
			status = "**" + status + "**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", cell(t.QualifiedName()), status, l.Int(t.SourceRows), l.Int(t.TargetRows), cell(t.headline(l)))
	}
	var diffs []string
	for _, t := range r.Tables {
		for _, d := range t.details(l) {
			diffs = append(diffs, "- **"+cell(t.QualifiedName())+"**: "+cell(d))
		}
	}
	if len(diffs) > 0 {
		fmt.Fprintf(w, "\n## %s\n\n%s\n", vmsg(l, "h-differences"), strings.Join(diffs, "\n"))
	}
	if len(r.Sequences) > 0 {
		fmt.Fprintf(w, "\n## %s\n\n| %s | %s | |\n|---|---|---|\n", vmsg(l, "h-sequences"), vmsg(l, "sequence"), vmsg(l, "h-status"))
		for _, s := range r.Sequences {
			label := s.label(l)
			if s.Status != Identical {
				label = "**" + label + "**"
			}
			fmt.Fprintf(w, "| %s | %s | %s |\n", cell(s.QualifiedName()), label, cell(s.line(l)))
		}
	}
	if r.LargeObjects.Status != "" {
		fmt.Fprintf(w, "\n## %s\n\n%s: %s\n", vmsg(l, "large-objects"), statusLabel(l, r.LargeObjects.Status), cell(r.LargeObjects.line(l)))
	}
	_, err := fmt.Fprintf(w, "\n%s\n", r.Summary(l))
	return err
}

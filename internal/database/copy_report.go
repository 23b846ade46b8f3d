package database

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sortie-dev/sortie/internal/lang"
)

func cm(l lang.Lang, key string, args ...any) string { return copyMessages.T(l, key, args...) }

// Text is the note in l.
func (n Note) Text(l lang.Lang) string {
	a := make([]any, len(n.Args))
	for i, v := range n.Args {
		a[i] = v
	}
	return cm(l, n.Code, a...)
}

// Write writes the copy's summary as text, json or md, in l.
func (r *CopyResult) Write(w io.Writer, format string, l lang.Lang) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r.JSON(l))
	case "md":
		return r.writeMarkdown(w, l)
	case "text", "":
		return r.writeText(w, l)
	}
	return fmt.Errorf("format %q: give text, json or md", format)
}

// CopyJSON is the summary as JSON: the result, its totals, and each
// note's text in the report's language.
type CopyJSON struct {
	Event  string `json:"event"`
	Schema int    `json:"schema"`
	*CopyResult
	TotalRows  int64    `json:"rows"`
	TotalBytes int64    `json:"bytes"`
	ToDo       []string `json:"to_do"`
}

// JSON is the summary's JSON value.
func (r *CopyResult) JSON(l lang.Lang) CopyJSON {
	j := CopyJSON{Event: "summary", Schema: 1, CopyResult: r, TotalRows: r.Rows(), TotalBytes: r.Bytes(), ToDo: []string{}}
	for _, n := range r.Notes {
		j.ToDo = append(j.ToDo, n.Text(l))
	}
	return j
}

func (r *CopyResult) facts(l lang.Lang) [][2]string {
	var f [][2]string
	server := r.Source
	if r.Product != "" {
		server += " (" + r.Product + " " + r.Version + ")"
	}
	f = append(f, [2]string{cm(l, "source"), server}, [2]string{cm(l, "target"), r.Target})
	earlier := 0
	for _, t := range r.Tables {
		if t.Earlier {
			earlier++
		}
	}
	tables := cm(l, "tables-line", l.Int(int64(len(r.Tables))))
	if earlier > 0 {
		tables = cm(l, "tables-resume", l.Int(int64(len(r.Tables))), l.Int(int64(earlier)))
	}
	f = append(f, [2]string{cm(l, "tables"), tables}, [2]string{cm(l, "rows"), l.Int(r.Rows())},
		[2]string{cm(l, "data"), cm(l, "data-line", l.Bytes(r.Bytes()))})
	if r.LargeObjects > 0 {
		f = append(f, [2]string{cm(l, "large-obj"), cm(l, "lo-line", l.Int(r.LargeObjects), l.Bytes(r.LargeObjectBytes))})
	}
	if slices.Contains(r.Phases, PhaseSequences) {
		if r.Engine == MySQL {
			f = append(f, [2]string{cm(l, "counters"), cm(l, "counter-line", l.Int(int64(r.Sequences)))})
		} else {
			f = append(f, [2]string{cm(l, "sequences"), cm(l, "seq-line", l.Int(int64(r.Sequences)))})
		}
	}
	if len(r.RolesCreated) > 0 {
		f = append(f, [2]string{cm(l, "roles"), cm(l, "roles-line", strings.Join(r.RolesCreated, ", "))})
	}
	if r.BinlogPosition != "" {
		f = append(f, [2]string{cm(l, "binlog"), r.BinlogPosition})
	}
	f = append(f, [2]string{cm(l, "phases"), strings.Join(r.Phases, ", ")},
		[2]string{cm(l, "time"), seconds(l, r.Seconds)})
	return f
}

func seconds(l lang.Lang, s float64) string {
	d := time.Duration(s * float64(time.Second))
	if d < time.Minute {
		return l.Number(s, 1) + "\u00a0s"
	}
	return d.Round(time.Second).String()
}

// byRows is the tables, the largest (in bytes) first.
func (r *CopyResult) largestTables(n int) ([]TableCopy, int) {
	t := slices.Clone(r.Tables)
	slices.SortStableFunc(t, func(a, b TableCopy) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), strings.Compare(a.Name, b.Name))
	})
	if len(t) > n {
		return t[:n], len(t) - n
	}
	return t, 0
}

func (r *CopyResult) summary(l lang.Lang) string {
	if len(r.Failures) > 0 {
		names := make([]string, len(r.Failures))
		for i, f := range r.Failures {
			names[i] = f.Object
		}
		return cm(l, "summary-bad", strings.Join(names, ", "))
	}
	return cm(l, "summary-ok", l.Int(int64(len(r.Tables))), l.Int(r.Rows()), seconds(l, r.Seconds))
}

func (r *CopyResult) tableLine(l lang.Lang, t TableCopy) string {
	s := fmt.Sprintf("%s %s, %s", l.Int(t.Rows), cm(l, "rows"), l.Bytes(t.Bytes))
	if t.Earlier {
		return s + ", " + cm(l, "earlier")
	}
	return s + ", " + seconds(l, t.Seconds)
}

func (r *CopyResult) writeText(w io.Writer, l lang.Lang) error {
	fmt.Fprintln(w, cm(l, "title"))
	for _, f := range r.facts(l) {
		fmt.Fprintf(w, "  %-16s %s\n", f[0], f[1])
	}
	tables, more := r.largestTables(textTables)
	for _, t := range tables {
		if t.Error == "" {
			fmt.Fprintf(w, "  %-16s %s: %s\n", cm(l, "table"), t.Name, r.tableLine(l, t))
		}
	}
	if more > 0 {
		fmt.Fprintf(w, "  %s\n", cm(l, "more-tables", more))
	}
	for _, f := range r.Failures {
		fmt.Fprintf(w, "%-9s %s: %s\n", cm(l, "failed"), f.Object, f.Reason)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "%-9s %s\n", cm(l, "todo"), n.Text(l))
	}
	_, err := fmt.Fprintln(w, r.summary(l))
	return err
}

func (r *CopyResult) writeMarkdown(w io.Writer, l lang.Lang) error {
	fmt.Fprintf(w, "# %s\n\n%s\n\n## %s\n\n| | |\n|---|---|\n", cm(l, "title"), r.summary(l), cm(l, "facts"))
	for _, f := range r.facts(l) {
		fmt.Fprintf(w, "| %s | %s |\n", cell(f[0]), cell(f[1]))
	}
	tables, more := r.largestTables(textTables)
	fmt.Fprintf(w, "\n## %s\n\n| %s | %s | %s | %s |\n|---|---:|---:|---:|\n", cm(l, "tables"), cm(l, "table"), cm(l, "rows"), cm(l, "size"), cm(l, "seconds"))
	for _, t := range tables {
		if t.Error != "" {
			continue
		}
		secs := l.Number(t.Seconds, 1)
		if t.Earlier {
			secs = cm(l, "earlier")
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", cell(t.Name), l.Int(t.Rows), l.Bytes(t.Bytes), secs)
	}
	if more > 0 {
		fmt.Fprintf(w, "\n%s\n", cm(l, "more-tables", more))
	}
	if len(r.Failures) > 0 {
		fmt.Fprintf(w, "\n## %s\n\n| %s | %s |\n|---|---|\n", cm(l, "failures"), cm(l, "object"), cm(l, "reason"))
		for _, f := range r.Failures {
			fmt.Fprintf(w, "| %s | %s |\n", cell(f.Object), cell(f.Reason))
		}
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(w, "\n## %s\n\n", cm(l, "todo-title"))
		for i, n := range r.Notes {
			fmt.Fprintf(w, "%s. %s\n", strconv.Itoa(i+1), n.Text(l))
		}
	}
	return nil
}

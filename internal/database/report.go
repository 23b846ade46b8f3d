package database

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/sortie-dev/sortie/internal/lang"
)

// textTables is how many tables the text and Markdown reports list, the
// largest first; JSON lists every one.
const textTables = 25

// msg renders key in l with args, formatting only a message that takes
// arguments (a finding's advice often takes none of its finding's).
func msg(l lang.Lang, key string, args ...string) string {
	t, ok := messages.Text(key)
	if !ok {
		return key
	}
	s := t[0]
	if l == lang.French && t[1] != "" {
		s = t[1]
	}
	if !strings.Contains(s, "%") {
		return s
	}
	a := make([]any, len(args))
	for i, v := range args {
		a[i] = v
	}
	return fmt.Sprintf(s, a...)
}

// raw is key's template in l, for messages formatted with numbers.
func raw(l lang.Lang, key string) string {
	t, ok := messages.Text(key)
	if !ok {
		return key
	}
	if l == lang.French && t[1] != "" {
		return t[1]
	}
	return t[0]
}

// What is the finding's message in l; Do is what to do about it.
func (f Finding) What(l lang.Lang) string { return msg(l, f.Code, f.Args...) }

// Do is what to do about the finding, in l.
func (f Finding) Do(l lang.Lang) string { return msg(l, f.Code+".do", f.Args...) }

// Duration writes an estimate the way a person plans with it.
func Duration(l lang.Lang, seconds float64) string {
	switch {
	case seconds < 60:
		return msg(l, "under-minute")
	case seconds < 3600:
		return fmt.Sprintf(raw(l, "minutes"), int(math.Ceil(seconds/60)))
	}
	m := int(math.Ceil(seconds / 60))
	return fmt.Sprintf(raw(l, "hours"), m/60, m%60)
}

// Write writes the plan as text, json or md, in l.
func (p *Plan) Write(w io.Writer, format string, l lang.Lang) error {
	switch format {
	case "json":
		type finding struct {
			Finding
			Message string `json:"message"`
			Action  string `json:"action"`
		}
		out := struct {
			Schema   int        `json:"schema"`
			Blockers int        `json:"blockers"`
			Source   *Inventory `json:"source"`
			Target   *Inventory `json:"target"`
			Findings []finding  `json:"findings"`
			Estimate Estimate   `json:"estimate"`
		}{1, p.Blockers(), p.Source, p.Target, []finding{}, p.Estimate}
		for _, f := range p.Findings {
			out.Findings = append(out.Findings, finding{f, f.What(l), f.Do(l)})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "md":
		return p.writeMarkdown(w, l)
	case "text", "":
		return p.writeText(w, l)
	}
	return fmt.Errorf("format %q: give text, json or md", format)
}

func (p *Plan) summary(l lang.Lang) string {
	b := p.Blockers()
	warn := len(p.Findings) - b
	if b == 0 {
		return fmt.Sprintf(raw(l, "summary-ok"), warn)
	}
	return fmt.Sprintf(raw(l, "summary-bad"), b, warn)
}

func serverLine(l lang.Lang, inv *Inventory) string {
	s := fmt.Sprintf("%s %s", inv.Product, inv.Version)
	if inv.RDS {
		s += " (" + msg(l, "rds") + ")"
	}
	if len(inv.Databases) > 0 {
		s += ", " + msg(l, "databases") + " " + strings.Join(inv.Databases, ", ")
	}
	if inv.Encoding != "" {
		s += ", " + inv.Encoding
	}
	if inv.Collation != "" {
		s += ", " + msg(l, "collation") + " " + inv.Collation
	}
	return s
}

func (p *Plan) estimateLine(l lang.Lang) string {
	r := p.Source.Read
	if p.Estimate.Rate == 0 || r == nil {
		return msg(l, "estimate-none")
	}
	return msg(l, "estimate-line", Duration(l, p.Estimate.Seconds), l.Bytes(p.Estimate.DataBytes), l.Bytes(int64(p.Estimate.Rate))+"/s",
		l.Bytes(r.Bytes), r.Table, fmt.Sprintf(raw(l, "seconds"), l.Number(r.Seconds, 3)))
}

// facts are the plan's facts as label and value, for text and Markdown.
func (p *Plan) facts(l lang.Lang) [][2]string {
	src := p.Source
	f := [][2]string{
		{msg(l, "source"), src.Server + " — " + serverLine(l, src)},
		{msg(l, "target"), p.Target.Server + " — " + serverLine(l, p.Target)},
		{msg(l, "size"), fmt.Sprintf(raw(l, "size-line"), l.Bytes(src.TotalBytes()), len(src.Tables), l.Bytes(src.DataBytes()))},
	}
	for _, s := range src.Schemas {
		f = append(f, [2]string{"  " + msg(l, "schema") + " " + s.Name, fmt.Sprintf("%s, %d %s", l.Bytes(s.Bytes), s.Tables, msg(l, "tables"))})
	}
	var seqs []string
	for _, s := range src.Sequences {
		v := msg(l, "never-used")
		if s.LastValue != nil {
			v = msg(l, "last", l.Int(*s.LastValue))
		}
		if s.OwnedBy != "" {
			kind := s.OwnedBy
			if s.Identity {
				kind += " " + msg(l, "identity")
			}
			v += ", " + msg(l, "for", kind)
		}
		seqs = append(seqs, s.Schema+"."+s.Name+" ("+v+")")
	}
	f = append(f, [2]string{msg(l, "sequences"), listOrNone(l, seqs)})
	if src.Engine == PostgreSQL {
		f = append(f, [2]string{msg(l, "large-obj"), msg(l, "lo-line", l.Int(src.LargeObjects.Count), l.Bytes(src.LargeObjects.Bytes))})
		var ext []string
		for _, e := range src.Extensions {
			ext = append(ext, e.Name+" "+e.Version)
		}
		f = append(f, [2]string{msg(l, "extensions"), listOrNone(l, ext)})
	}
	var roles []string
	for _, r := range src.Roles {
		s := r.Name
		if len(r.MemberOf) > 0 {
			s += " (" + strings.Join(r.MemberOf, ", ") + ")"
		}
		roles = append(roles, s)
	}
	f = append(f, [2]string{msg(l, "roles"), listOrNone(l, roles)})
	if src.Engine == MySQL {
		var tr, ev []string
		for _, t := range src.Triggers {
			tr = append(tr, t.Schema+"."+t.Name+" ("+t.Table+")")
		}
		for _, e := range src.Events {
			ev = append(ev, e.Schema+"."+e.Name)
		}
		f = append(f, [2]string{msg(l, "triggers"), listOrNone(l, tr)}, [2]string{msg(l, "events"), listOrNone(l, ev)})
		bl := msg(l, "off")
		if src.LogBin {
			bl = src.BinlogFormat
		}
		f = append(f, [2]string{msg(l, "binlog"), bl})
	}
	f = append(f, [2]string{msg(l, "collation"), listOrNone(l, src.Collations)})
	f = append(f, [2]string{msg(l, "estimate"), p.estimateLine(l)})
	return f
}

func listOrNone(l lang.Lang, s []string) string {
	if len(s) == 0 {
		return msg(l, "none")
	}
	return strings.Join(s, ", ")
}

// largest is the tables by size, largest first, at most n.
func largest(tables []Table, n int) ([]Table, int) {
	t := append([]Table(nil), tables...)
	sortTablesBySize(t)
	if len(t) > n {
		return t[:n], len(t) - n
	}
	return t, 0
}

func (p *Plan) tableKey(l lang.Lang, t Table) string {
	switch {
	case t.PrimaryKey:
		return msg(l, "pk")
	case t.ReplicaIdentity == "full" || t.ReplicaIdentity == "index":
		return "replica identity " + t.ReplicaIdentity
	}
	return msg(l, "no-pk")
}

func rowsText(l lang.Lang, n int64) string {
	if n < 0 {
		return "?"
	}
	return "~" + l.Int(n)
}

func (p *Plan) writeText(w io.Writer, l lang.Lang) error {
	fmt.Fprintf(w, "%s\n", msg(l, "title"))
	for _, f := range p.facts(l) {
		fmt.Fprintf(w, "  %-14s %s\n", f[0], f[1])
	}
	tables, more := largest(p.Source.Tables, textTables)
	for _, t := range tables {
		extra := ""
		if t.Engine != "" {
			extra = ", " + t.Engine
		}
		fmt.Fprintf(w, "  %-14s %s: %s, %s %s, %s%s\n", msg(l, "table"), t.QualifiedName(), l.Bytes(t.Bytes), rowsText(l, t.Rows), msg(l, "rows"), p.tableKey(l, t), extra)
	}
	if more > 0 {
		fmt.Fprintf(w, "  %s\n", fmt.Sprintf(raw(l, "more-tables"), more))
	}
	for _, f := range p.Findings {
		label := msg(l, "warning")
		if f.Severity == Blocker {
			label = msg(l, "blocker")
		}
		_, err := fmt.Fprintf(w, "%-9s %s: %s; %s\n", label, f.Object, f.What(l), f.Do(l))
		if err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, p.summary(l))
	return err
}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func (p *Plan) writeMarkdown(w io.Writer, l lang.Lang) error {
	fmt.Fprintf(w, "# %s\n\n%s\n\n## %s\n\n| | |\n|---|---|\n", msg(l, "title"), p.summary(l), msg(l, "facts"))
	for _, f := range p.facts(l) {
		fmt.Fprintf(w, "| %s | %s |\n", cell(strings.TrimSpace(f[0])), cell(f[1]))
	}
	tables, more := largest(p.Source.Tables, textTables)
	fmt.Fprintf(w, "\n## %s\n\n| %s | %s | %s | %s |\n|---|---:|---:|---|\n", msg(l, "tables"), msg(l, "table"), msg(l, "size"), msg(l, "rows"), msg(l, "key"))
	for _, t := range tables {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", cell(t.QualifiedName()), l.Bytes(t.Bytes), rowsText(l, t.Rows), p.tableKey(l, t))
	}
	if more > 0 {
		fmt.Fprintf(w, "\n%s\n", fmt.Sprintf(raw(l, "more-tables"), more))
	}
	if len(p.Findings) > 0 {
		fmt.Fprintf(w, "\n## %s\n\n| %s | %s | %s | %s |\n|---|---|---|---|\n", msg(l, "findings"), msg(l, "severity"), msg(l, "object"), msg(l, "what"), msg(l, "do"))
		for _, f := range p.Findings {
			label := msg(l, "warning")
			if f.Severity == Blocker {
				label = "**" + msg(l, "blocker") + "**"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", label, cell(f.Object), cell(f.What(l)), cell(f.Do(l)))
		}
	}
	return nil
}

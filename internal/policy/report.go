package policy

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes v as indented JSON (a plan: SchemaVersion).
func WriteJSON(w io.Writer, v any) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(v)
}

// Summary is the one-line count of outcomes.
func (p *Plan) Summary(l Lang) string {
	c := p.Counts()
	var parts []string
	for _, o := range []Outcome{Exact, Narrower, NotCarried, Broader, Invalid, Ignored} {
		parts = append(parts, fmt.Sprintf("%d %s", c[o], strings.ToLower(l.t(string(o)))))
	}
	return strings.Join(parts, ", ")
}

// WriteText writes the plan as terminal tables.
func WriteText(w io.Writer, p *Plan, f Format) error {
	l := f.Lang
	fmt.Fprintf(w, "%s — %s %s → %s (%s)\n", l.t("plan.title"), l.t("account"), p.Account, p.TargetName, strings.Join(p.Buckets, ", "))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "\n%s\n", l.t("principals"))
	for _, pi := range p.Principals {
		state := l.t("carried")
		if !pi.Carried {
			state = l.t("notcarried")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", l.t("kind."+pi.Kind), pi.nameIn(l), state, pi.Reason.In(l))
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s\n", l.t("colon", l.t("loss"), p.Summary(l)))
	fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", strings.ToUpper(l.t("outcome")), strings.ToUpper(l.t("source")), strings.ToUpper(l.t("statement")),
		strings.ToUpper(l.t("applies")), strings.ToUpper(l.t("reason")))
	for _, r := range p.Rows {
		if r.Outcome == Ignored {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", l.t(string(r.Outcome)), r.Source.In(l), stmtLabel(r), short(idStrings(r.AppliesTo, l), 3, l), Join(r.Reasons...).in(l))
	}
	tw.Flush()
	writeTargetText(w, p, l)
	writeEffectiveText(w, p, f)
	if len(p.Problems) > 0 {
		fmt.Fprintf(w, "\n%s\n", l.t("colon.end", l.t("problems")))
		for _, pr := range p.Problems {
			fmt.Fprintf(w, "  %s\n", pr)
		}
	}
	if p.Refused() {
		fmt.Fprintf(w, "\n%s\n", l.t("refused"))
	}
	return nil
}

func stmtLabel(r Row) string {
	if r.Statement == 0 {
		return "—"
	}
	if r.Sid != "" {
		return fmt.Sprintf("%d %s", r.Statement, r.Sid)
	}
	return fmt.Sprint(r.Statement)
}

func short(s []string, n int, l Lang) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return l.t("list.plus", strings.Join(s[:n], ", "), len(s)-n)
}

func idStrings(ids []PrincipalID, l Lang) []string {
	var out []string
	for _, id := range ids {
		out = append(out, id.In(l))
	}
	return out
}

// nameIn is the principal's name, anonymous access named in l.
func (pi PrincipalInfo) nameIn(l Lang) string {
	if pi.Kind == KindAnonymous {
		return l.t("anonymous.name")
	}
	return pi.Name
}

func mark(d Decision) string {
	switch d {
	case Allow:
		return "✓"
	case Unknown:
		return "?"
	}
	return "·"
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "*", `\*`, "_", `\_`, "<", "&lt;").Replace(s)
}

// WriteMarkdown writes the plan for people who do not read JSON.
func WriteMarkdown(w io.Writer, p *Plan, f Format) error {
	l := f.Lang
	fmt.Fprintf(w, "# %s — %s\n\n", l.t("plan.title"), p.TargetName)
	fmt.Fprintf(w, "- %s\n- %s\n- %s\n\n", l.t("colon", l.t("account"), p.Account), l.t("colon", l.t("target"), p.TargetName), l.t("colon", l.t("buckets"), strings.Join(p.Buckets, ", ")))
	fmt.Fprintf(w, "## %s\n\n| %s | %s | | %s |\n|---|---|---|---|\n", l.t("principals"), l.t("kind"), l.t("principal"), l.t("reason"))
	for _, pi := range p.Principals {
		state := l.t("carried")
		if !pi.Carried {
			state = "**" + l.t("notcarried") + "**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", l.t("kind."+pi.Kind), mdEscape(pi.nameIn(l)), state, mdEscape(pi.Reason.In(l)))
	}
	fmt.Fprintf(w, "\n## %s\n\n%s\n\n| %s | %s | %s | %s | %s |\n|---|---|---|---|---|\n", l.t("loss"), p.Summary(l),
		l.t("outcome"), l.t("source"), l.t("statement"), l.t("applies"), l.t("reason"))
	for _, r := range p.Rows {
		if r.Outcome == Ignored {
			continue
		}
		o := l.t(string(r.Outcome))
		if r.Outcome != Exact {
			o = "**" + o + "**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", o, mdEscape(r.Source.In(l)), mdEscape(stmtLabel(r)), mdEscape(short(idStrings(r.AppliesTo, l), 4, l)), mdEscape(Join(r.Reasons...).in(l)))
	}
	writeTargetMarkdown(w, p, l)
	writeEffectiveMarkdown(w, p, f)
	if p.Refused() {
		fmt.Fprintf(w, "\n**%s**\n", l.t("refused"))
	}
	return nil
}

package policy

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Lang is "en" or "fr", as in the assessment report.
type Lang string

var words = map[string][2]string{ // en, fr
	"plan.title":    {"Access translation", "Traduction des accès"},
	"probe.title":   {"Access probe", "Vérification des accès"},
	"account":       {"Account", "Compte"},
	"target":        {"Target", "Cible"},
	"buckets":       {"Buckets", "Compartiments"},
	"principals":    {"Principals", "Identités"},
	"loss":          {"Loss report", "Rapport des pertes"},
	"effective":     {"Effective permissions on AWS", "Permissions effectives sur AWS"},
	"legend":        {"✓ allowed, · denied, ? depends on the request (see the JSON)", "✓ autorisé, · refusé, ? dépend de la requête (voir le JSON)"},
	"carried":       {"carried", "reprise"},
	"notcarried":    {"not carried", "non reprise"},
	"outcome":       {"Outcome", "Résultat"},
	"source":        {"Source", "Origine"},
	"statement":     {"Stmt", "Énoncé"},
	"applies":       {"Applies to", "S'applique à"},
	"reason":        {"Reason", "Motif"},
	"principal":     {"Principal", "Identité"},
	"bucket":        {"Bucket", "Compartiment"},
	"prefix":        {"Prefix", "Préfixe"},
	"kind":          {"Kind", "Type"},
	"op":            {"Operation", "Opération"},
	"aws":           {"AWS", "AWS"},
	"verdict":       {"Verdict", "Verdict"},
	"exact":         {"exact", "exacte"},
	"broader":       {"BROADER", "PLUS LARGE"},
	"narrower":      {"narrower", "plus étroite"},
	"not-carried":   {"not carried", "non reprise"},
	"ignored":       {"ignored", "ignorée"},
	"invalid":       {"invalid", "invalide"},
	"match":         {"match", "conforme"},
	"expected-loss": {"expected loss", "perte attendue"},
	"mismatch":      {"MISMATCH", "ÉCART"},
	"unknown":       {"cannot compare", "non comparable"},
	"error":         {"error", "erreur"},
	"allowed":       {"allowed", "autorisé"},
	"denied":        {"denied", "refusé"},
	"aws.unknown":   {"depends on the request", "dépend de la requête"},
	"summary":       {"Summary", "Bilan"},
	"refused":       {"Broader than AWS: refused without --allow-broader", "Plus large qu'AWS : refusé sans --allow-broader"},
	"problems":      {"Could not be read", "Illisible"},
}

func (l Lang) t(key string) string {
	w, ok := words[key]
	if !ok {
		return key
	}
	if l == "fr" {
		return w[1]
	}
	return w[0]
}

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
func WriteText(w io.Writer, p *Plan, l Lang) error {
	fmt.Fprintf(w, "%s — %s %s → %s (%s)\n", l.t("plan.title"), l.t("account"), p.Account, p.TargetName, strings.Join(p.Buckets, ", "))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "\n%s\n", l.t("principals"))
	for _, pi := range p.Principals {
		state := l.t("carried")
		if !pi.Carried {
			state = l.t("notcarried")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", pi.Kind, pi.Name, state, pi.Reason)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s: %s\n", l.t("loss"), p.Summary(l))
	fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", strings.ToUpper(l.t("outcome")), strings.ToUpper(l.t("source")), strings.ToUpper(l.t("statement")),
		strings.ToUpper(l.t("applies")), strings.ToUpper(l.t("reason")))
	for _, r := range p.Rows {
		if r.Outcome == Ignored {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", l.t(string(r.Outcome)), r.Source, stmtLabel(r), short(idStrings(r.AppliesTo), 3), strings.Join(r.Reasons, "; "))
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s (%s)\n", l.t("effective"), l.t("legend"))
	writeEffective(tw, p.Effective, "  ", "\t")
	tw.Flush()
	if len(p.Problems) > 0 {
		fmt.Fprintf(w, "\n%s:\n", l.t("problems"))
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

func short(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(" +%d", len(s)-n)
}

func idStrings(ids []PrincipalID) []string {
	var out []string
	for _, id := range ids {
		out = append(out, id.String())
	}
	return out
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

// writeEffective prints one line per principal, bucket and prefix.
func writeEffective(w io.Writer, checks []Check, indent, sep string) {
	fmt.Fprintf(w, "%s%s\n", indent, strings.Join([]string{"PRINCIPAL", "BUCKET", "PREFIX", "list", "get", "put", "delete"}, sep))
	for i := 0; i+len(Ops) <= len(checks); i += len(Ops) {
		c := checks[i]
		prefix := c.Prefix
		if prefix == "" {
			prefix = "/"
		}
		cells := []string{c.Principal, c.Bucket, prefix}
		for _, x := range checks[i : i+len(Ops)] {
			cells = append(cells, mark(x.AWS))
		}
		fmt.Fprintf(w, "%s%s\n", indent, strings.Join(cells, sep))
	}
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "*", `\*`, "_", `\_`, "<", "&lt;").Replace(s)
}

// WriteMarkdown writes the plan for people who do not read JSON.
func WriteMarkdown(w io.Writer, p *Plan, l Lang) error {
	fmt.Fprintf(w, "# %s — %s\n\n", l.t("plan.title"), p.TargetName)
	fmt.Fprintf(w, "- %s: %s\n- %s: %s\n- %s: %s\n\n", l.t("account"), p.Account, l.t("target"), p.TargetName, l.t("buckets"), strings.Join(p.Buckets, ", "))
	fmt.Fprintf(w, "## %s\n\n| %s | %s | | %s |\n|---|---|---|---|\n", l.t("principals"), l.t("kind"), l.t("principal"), l.t("reason"))
	for _, pi := range p.Principals {
		state := l.t("carried")
		if !pi.Carried {
			state = "**" + l.t("notcarried") + "**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", pi.Kind, mdEscape(pi.Name), state, mdEscape(pi.Reason))
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
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", o, mdEscape(r.Source), mdEscape(stmtLabel(r)), mdEscape(short(idStrings(r.AppliesTo), 4)), mdEscape(strings.Join(r.Reasons, "; ")))
	}
	fmt.Fprintf(w, "\n## %s\n\n%s\n\n", l.t("effective"), l.t("legend"))
	var b strings.Builder
	writeEffective(&b, p.Effective, "| ", " | ")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	for i, line := range lines {
		fmt.Fprintf(w, "%s |\n", mdEscapeCells(line))
		if i == 0 {
			fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
		}
	}
	if p.Refused() {
		fmt.Fprintf(w, "\n**%s**\n", l.t("refused"))
	}
	return nil
}

// mdEscapeCells escapes a table line's underscores and stars, not its pipes.
func mdEscapeCells(s string) string {
	return strings.NewReplacer("*", `\*`, "_", `\_`).Replace(s)
}

// T returns the report word for key in l.
func (l Lang) T(key string) string { return l.t(key) }

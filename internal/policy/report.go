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

	"effective.title":  {"Effective permissions, AWS and %s", "Permissions effectives, AWS et %s"},
	"effective.legend": {"l list, g get, p put, d delete allowed; · denied; ? depends on the request (see the JSON); AWS→%s where they differ; a prefix is listed where it differs from its bucket", "l lister, g lire, p écrire, d supprimer autorisé ; · refusé ; ? dépend de la requête (voir le JSON) ; AWS→%s là où ils diffèrent ; un préfixe n'est listé que s'il diffère de son compartiment"},
	"access":           {"Access", "Accès"},
	"no.access":        {"no access", "aucun accès"},
	"anonymous.name":   {"(anonymous)", "(anonyme)"},
	"kind.user":        {"user", "utilisateur"},
	"kind.group":       {"group", "groupe"},
	"kind.role":        {"role", "rôle"},
	"kind.anonymous":   {"anonymous", "anonyme"},
	"op.list":          {"list", "lister"},
	"op.get":           {"get", "lire"},
	"op.put":           {"put", "écrire"},
	"op.delete":        {"delete", "supprimer"},
	"translated.title": {"Translated for %s", "Traduction pour %s"},
	"users":            {"Users", "Utilisateurs"},
	"users.inline":     {"Users and their inline policies", "Utilisateurs et leurs politiques intégrées"},
	"user":             {"User", "Utilisateur"},
	"groups":           {"Groups", "Groupes"},
	"group":            {"Group", "Groupe"},
	"members":          {"Members", "Membres"},
	"members.lc":       {"members", "membres"},
	"policies":         {"Policies", "Politiques"},
	"policies.lc":      {"policies", "politiques"},
	"no.policy":        {"no policy", "aucune politique"},
	"bucket.policies":  {"Bucket policies", "Politiques de compartiment"},
	"public.access":    {"Block Public Access", "Blocage de l'accès public"},
	"settings":         {"Settings", "Réglages"},
	"keys":             {"Keys and their bucket flags", "Clés et leurs droits par compartiment"},
	"key":              {"Key", "Clé"},
	"garage.read":      {"read", "lecture"},
	"garage.write":     {"write", "écriture"},
	"garage.owner":     {"owner", "propriétaire"},
	"effect.Allow":     {"Allow", "Autoriser"},
	"effect.Deny":      {"Deny", "Refuser"},
	"everyone":         {"everyone", "tout le monde"},
	"stmt.on":          {"on", "sur"},
	"stmt.noton":       {"on all but", "sur tout sauf"},
	"stmt.if":          {"if", "si"},
	"stmt.and":         {"and", "et"},
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
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", l.t("kind."+pi.Kind), pi.Name, state, pi.Reason)
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
	writeTargetText(w, p, l)
	writeEffectiveText(w, p, f)
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

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "*", `\*`, "_", `\_`, "<", "&lt;").Replace(s)
}

// WriteMarkdown writes the plan for people who do not read JSON.
func WriteMarkdown(w io.Writer, p *Plan, f Format) error {
	l := f.Lang
	fmt.Fprintf(w, "# %s — %s\n\n", l.t("plan.title"), p.TargetName)
	fmt.Fprintf(w, "- %s: %s\n- %s: %s\n- %s: %s\n\n", l.t("account"), p.Account, l.t("target"), p.TargetName, l.t("buckets"), strings.Join(p.Buckets, ", "))
	fmt.Fprintf(w, "## %s\n\n| %s | %s | | %s |\n|---|---|---|---|\n", l.t("principals"), l.t("kind"), l.t("principal"), l.t("reason"))
	for _, pi := range p.Principals {
		state := l.t("carried")
		if !pi.Carried {
			state = "**" + l.t("notcarried") + "**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", l.t("kind."+pi.Kind), mdEscape(pi.Name), state, mdEscape(pi.Reason))
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
	writeTargetMarkdown(w, p, l)
	writeEffectiveMarkdown(w, p, f)
	if p.Refused() {
		fmt.Fprintf(w, "\n**%s**\n", l.t("refused"))
	}
	return nil
}

// T returns the report word for key in l.
func (l Lang) T(key string) string { return l.t(key) }

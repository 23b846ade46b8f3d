package policy

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/sortie-dev/sortie/internal/account"
)

// Format says how a plan is written for people.
type Format struct {
	Lang Lang
	// Grid writes every check of the effective permissions, one line per
	// principal, bucket and prefix, instead of one line per principal.
	Grid bool
}

// opLetters mark the four operations in a summary: the letter when
// allowed, · when denied, ? when it depends on the request.
var opLetters = map[string]string{"list": "l", "get": "g", "put": "p", "delete": "d"}

func letter(op string, d Decision) string {
	switch d {
	case Allow:
		return opLetters[op]
	case Unknown:
		return "?"
	}
	return "·"
}

// place is a bucket's top or one of its prefixes, with what AWS and the
// target allow there.
type place struct {
	bucket, prefix string
	aws, target    string // one letter per op, in Ops order
}

func (pl place) label() string {
	if pl.prefix == "" {
		return pl.bucket
	}
	return pl.bucket + "/" + pl.prefix
}

func (pl place) access() string {
	if pl.aws == pl.target {
		return pl.aws
	}
	return pl.aws + "→" + pl.target
}

func (pl place) none() bool {
	return strings.Trim(pl.aws, "·") == "" && strings.Trim(pl.target, "·") == ""
}

// summary is one principal's access: the places whose access differs
// from the top of their bucket (a prefix that inherits the top's is left
// out), and the tops where something is allowed or unsure.
type summary struct {
	principal string
	places    []place
}

func summarise(checks []Check) []summary {
	var out []summary
	for i := 0; i+len(Ops) <= len(checks); i += len(Ops) {
		c := checks[i]
		pl := place{bucket: c.Bucket, prefix: c.Prefix}
		for _, x := range checks[i : i+len(Ops)] {
			pl.aws += letter(x.Op, x.AWS)
			pl.target += letter(x.Op, onTargetOr(x))
		}
		if len(out) == 0 || out[len(out)-1].principal != c.Principal {
			out = append(out, summary{principal: c.Principal})
		}
		s := &out[len(out)-1]
		s.places = append(s.places, pl)
	}
	for i := range out {
		var kept []place
		var top place
		for _, pl := range out[i].places {
			if pl.prefix == "" {
				top = pl
				if !pl.none() {
					kept = append(kept, pl)
				}
				continue
			}
			if pl.bucket == top.bucket && pl.aws == top.aws && pl.target == top.target {
				continue
			}
			kept = append(kept, pl)
		}
		out[i].places = kept
	}
	return out
}

// onTargetOr is the target's answer, or AWS's for checks made without a
// plan (probe's).
func onTargetOr(c Check) Decision {
	if c.OnTargetText == "" {
		return c.AWS
	}
	return c.OnTarget
}

func principalLabel(name string, l Lang) string {
	return Check{Principal: name}.Who().In(l)
}

func (s summary) line(l Lang) string {
	if len(s.places) == 0 {
		return l.t("no.access")
	}
	var parts []string
	for _, pl := range s.places {
		parts = append(parts, pl.label()+" "+pl.access())
	}
	return strings.Join(parts, ", ")
}

func (p *Plan) effectiveTitle(l Lang) string {
	return fmt.Sprintf(l.t("effective.title"), p.TargetName)
}

// writeEffectiveText writes the effective permissions, per principal or
// as the full grid.
func writeEffectiveText(w io.Writer, p *Plan, f Format) {
	l := f.Lang
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "\n%s\n  %s\n", p.effectiveTitle(l), fmt.Sprintf(l.t("effective.legend"), p.TargetName))
	if !f.Grid {
		for _, s := range summarise(p.Effective) {
			fmt.Fprintf(tw, "  %s\t%s\n", principalLabel(s.principal, l), s.line(l))
		}
		tw.Flush()
		return
	}
	for _, row := range grid(p.Effective, l) {
		fmt.Fprintf(tw, "  %s\n", strings.Join(row, "\t"))
	}
	tw.Flush()
}

// grid is the full table: a header, then one row per principal, bucket
// and prefix, each op's cell AWS's mark, and the target's after → where
// it differs.
func grid(checks []Check, l Lang) [][]string {
	head := []string{strings.ToUpper(l.t("principal")), strings.ToUpper(l.t("bucket")), strings.ToUpper(l.t("prefix"))}
	for _, op := range Ops {
		head = append(head, l.t("op."+op))
	}
	rows := [][]string{head}
	for i := 0; i+len(Ops) <= len(checks); i += len(Ops) {
		c := checks[i]
		prefix := c.Prefix
		if prefix == "" {
			prefix = "/"
		}
		row := []string{principalLabel(c.Principal, l), c.Bucket, prefix}
		for _, x := range checks[i : i+len(Ops)] {
			cell := mark(x.AWS)
			if t := onTargetOr(x); mark(t) != cell {
				cell += "→" + mark(t)
			}
			row = append(row, cell)
		}
		rows = append(rows, row)
	}
	return rows
}

func writeEffectiveMarkdown(w io.Writer, p *Plan, f Format) {
	l := f.Lang
	fmt.Fprintf(w, "\n## %s\n\n%s\n\n", p.effectiveTitle(l), mdEscape(fmt.Sprintf(l.t("effective.legend"), p.TargetName)))
	if !f.Grid {
		fmt.Fprintf(w, "| %s | %s |\n|---|---|\n", l.t("principal"), l.t("access"))
		for _, s := range summarise(p.Effective) {
			fmt.Fprintf(w, "| %s | %s |\n", mdEscape(principalLabel(s.principal, l)), mdEscape(s.line(l)))
		}
		return
	}
	for i, row := range grid(p.Effective, l) {
		for j := range row {
			row[j] = mdEscape(row[j])
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		if i == 0 {
			fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(row)))
		}
	}
}

// statementText is one target statement on one line.
func statementText(st outStatement, l Lang) string {
	parts := []string{l.t("effect." + st.Effect)}
	if who := principalText(st.Principal, l); who != "" {
		parts = append(parts, who)
	}
	parts = append(parts, strings.Join(st.Action, ", "))
	if len(st.Resource) > 0 {
		parts = append(parts, l.t("stmt.on"), strings.Join(st.Resource, ", "))
	}
	if len(st.NotResource) > 0 {
		parts = append(parts, l.t("stmt.noton"), strings.Join(st.NotResource, ", "))
	}
	var conds []string
	for _, op := range sortedKeys(st.Condition) {
		for _, k := range sortedKeys(st.Condition[op]) {
			conds = append(conds, op+" "+k+" "+strings.Join(st.Condition[op][k], " | "))
		}
	}
	if len(conds) > 0 {
		parts = append(parts, l.t("stmt.if"), strings.Join(conds, " "+l.t("stmt.and")+" "))
	}
	return strings.Join(parts, " ")
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func principalText(p any, l Lang) string {
	switch p := p.(type) {
	case nil:
		return ""
	case string:
		if p == "*" {
			return l.t("everyone")
		}
		return p
	case map[string][]string:
		if slices.Equal(p["AWS"], []string{"*"}) {
			return l.t("everyone")
		}
		return strings.Join(p["AWS"], ", ")
	}
	return fmt.Sprint(p)
}

func orNone(s []string, l Lang) string {
	if len(s) == 0 {
		return "—"
	}
	return strings.Join(s, ", ")
}

// writeTargetText writes what the plan creates on the target.
func writeTargetText(w io.Writer, p *Plan, l Lang) {
	fmt.Fprintf(w, "\n%s\n", fmt.Sprintf(l.t("translated.title"), p.TargetName))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	docs := func(title string, named []NamedDocument, indent string) {
		if len(named) == 0 {
			return
		}
		if title != "" {
			fmt.Fprintf(w, "%s%s\n", indent, title)
		}
		for _, d := range named {
			fmt.Fprintf(w, "%s  %s\n", indent, d.Name)
			for _, st := range d.Document.Statement {
				fmt.Fprintf(w, "%s    %s\n", indent, statementText(st, l))
			}
		}
	}
	bucketDocs := func(bps []BucketPolicy) {
		if len(bps) == 0 {
			return
		}
		fmt.Fprintf(w, "  %s\n", l.t("bucket.policies"))
		for _, b := range bps {
			fmt.Fprintf(w, "    %s\n", b.Bucket)
			for _, st := range b.Document.Statement {
				fmt.Fprintf(w, "      %s\n", statementText(st, l))
			}
		}
	}
	switch {
	case p.MinIO != nil:
		m := p.MinIO
		fmt.Fprintf(w, "  %s\n", l.t("users"))
		for _, u := range m.Users {
			fmt.Fprintf(tw, "    %s\t%s %s\n", u.Name, l.t("policies.lc"), orNone(u.Policies, l))
		}
		tw.Flush()
		if len(m.Groups) > 0 {
			fmt.Fprintf(w, "  %s\n", l.t("groups"))
			for _, g := range m.Groups {
				fmt.Fprintf(tw, "    %s\t%s\n", g.Name, l.t("semicolon", l.t("members.lc")+" "+orNone(g.Members, l), l.t("policies.lc")+" "+orNone(g.Policies, l)))
			}
			tw.Flush()
		}
		docs(l.t("policies"), m.Policies, "  ")
		bucketDocs(m.BucketPolicies)
	case p.Ceph != nil:
		c := p.Ceph
		fmt.Fprintf(w, "  %s\n", l.t("users.inline"))
		for _, u := range c.Users {
			if len(u.Policies) == 0 {
				fmt.Fprintf(w, "    %s\n", l.t("colon", u.UID, l.t("no.policy")))
				continue
			}
			fmt.Fprintf(w, "    %s\n", u.UID)
			docs("", u.Policies, "    ")
		}
		bucketDocs(c.BucketPolicies)
		if len(c.PublicAccess) > 0 {
			fmt.Fprintf(w, "  %s\n", l.t("public.access"))
			for _, pa := range c.PublicAccess {
				fmt.Fprintf(tw, "    %s\t%s\n", pa.Bucket, orNone(publicFlags(pa.Config), l))
			}
			tw.Flush()
		}
	case p.Garage != nil:
		fmt.Fprintf(w, "  %s\n", l.t("keys"))
		for _, k := range p.Garage.Keys {
			var grants []string
			for _, b := range k.Buckets {
				grants = append(grants, b.Bucket+" "+garageFlagText(b, l))
			}
			fmt.Fprintf(tw, "    %s\t%s\n", k.Name, strings.Join(grants, l.t("sep.reasons")))
		}
		tw.Flush()
	}
}

func publicFlags(c *account.PublicAccessBlock) []string {
	if c == nil {
		return nil
	}
	var on []string
	for _, f := range []struct {
		name string
		on   bool
	}{{"BlockPublicAcls", c.BlockPublicAcls}, {"IgnorePublicAcls", c.IgnorePublicAcls},
		{"BlockPublicPolicy", c.BlockPublicPolicy}, {"RestrictPublicBuckets", c.RestrictPublicBuckets}} {
		if f.on {
			on = append(on, f.name)
		}
	}
	return on
}

func garageFlagText(g GarageGrant, l Lang) string {
	var on []string
	for _, f := range []struct {
		name string
		on   bool
	}{{"read", g.Read}, {"write", g.Write}, {"owner", g.Owner}} {
		if f.on {
			on = append(on, l.t("garage."+f.name))
		}
	}
	return strings.Join(on, ", ")
}

// writeTargetMarkdown writes what the plan creates on the target, each
// document as the JSON the target is given.
func writeTargetMarkdown(w io.Writer, p *Plan, l Lang) {
	fmt.Fprintf(w, "\n## %s\n", fmt.Sprintf(l.t("translated.title"), p.TargetName))
	doc := func(title string, d Document) {
		b, _ := json.MarshalIndent(d, "", "  ")
		fmt.Fprintf(w, "\n#### %s\n\n```json\n%s\n```\n", mdEscape(title), b)
	}
	bucketDocs := func(bps []BucketPolicy) {
		if len(bps) == 0 {
			return
		}
		fmt.Fprintf(w, "\n### %s\n", l.t("bucket.policies"))
		for _, b := range bps {
			doc(b.Bucket, b.Document)
		}
	}
	switch {
	case p.MinIO != nil:
		m := p.MinIO
		fmt.Fprintf(w, "\n### %s\n\n| %s | %s |\n|---|---|\n", l.t("users"), l.t("user"), l.t("policies"))
		for _, u := range m.Users {
			fmt.Fprintf(w, "| %s | %s |\n", mdEscape(u.Name), mdEscape(orNone(u.Policies, l)))
		}
		if len(m.Groups) > 0 {
			fmt.Fprintf(w, "\n### %s\n\n| %s | %s | %s |\n|---|---|---|\n", l.t("groups"), l.t("group"), l.t("members"), l.t("policies"))
			for _, g := range m.Groups {
				fmt.Fprintf(w, "| %s | %s | %s |\n", mdEscape(g.Name), mdEscape(orNone(g.Members, l)), mdEscape(orNone(g.Policies, l)))
			}
		}
		if len(m.Policies) > 0 {
			fmt.Fprintf(w, "\n### %s\n", l.t("policies"))
			for _, d := range m.Policies {
				doc(d.Name, d.Document)
			}
		}
		bucketDocs(m.BucketPolicies)
	case p.Ceph != nil:
		c := p.Ceph
		fmt.Fprintf(w, "\n### %s\n\n| %s | %s |\n|---|---|\n", l.t("users.inline"), l.t("user"), l.t("policies"))
		for _, u := range c.Users {
			var names []string
			for _, d := range u.Policies {
				names = append(names, d.Name)
			}
			fmt.Fprintf(w, "| %s | %s |\n", mdEscape(u.UID), mdEscape(orNone(names, l)))
		}
		for _, u := range c.Users {
			for _, d := range u.Policies {
				doc(u.UID+" / "+d.Name, d.Document)
			}
		}
		bucketDocs(c.BucketPolicies)
		if len(c.PublicAccess) > 0 {
			fmt.Fprintf(w, "\n### %s\n\n| %s | %s |\n|---|---|\n", l.t("public.access"), l.t("bucket"), l.t("settings"))
			for _, pa := range c.PublicAccess {
				fmt.Fprintf(w, "| %s | %s |\n", mdEscape(pa.Bucket), orNone(publicFlags(pa.Config), l))
			}
		}
	case p.Garage != nil:
		fmt.Fprintf(w, "\n### %s\n\n| %s | %s | %s | %s | %s |\n|---|---|---|---|---|\n", l.t("keys"), l.t("key"), l.t("bucket"),
			l.t("garage.read"), l.t("garage.write"), l.t("garage.owner"))
		yes := func(b bool) string {
			if b {
				return "✓"
			}
			return "·"
		}
		for _, k := range p.Garage.Keys {
			for _, b := range k.Buckets {
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", mdEscape(k.Name), mdEscape(b.Bucket), yes(b.Read), yes(b.Write), yes(b.Owner))
			}
		}
	}
}

// Package report renders an exit plan: a self-contained HTML page for a
// board (charts drawn here as SVG, no scripts, no fonts or anything else
// fetched), Markdown, JSON for scripts, and a terminal summary — in English
// or French.
package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sortie-dev/sortie/internal/assess"
	"github.com/sortie-dev/sortie/internal/lang"
)

//go:embed report.html.tmpl
var htmlTemplate string

// JSON writes the plan as indented JSON (schema: docs/assess.md).
func JSON(w io.Writer, p *assess.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// view is what the templates see: the plan and formatting in one language.
type view struct {
	*assess.Plan
	L lang.Lang
}

func (v view) T(key string, args ...any) string { return messages.T(v.L, key, args...) }
func (v view) Money(x float64) string           { return v.L.Money(x, v.Plan.Assumptions.Currency) }
func (v view) BillMoney(x float64) string       { return v.L.Money(x, v.Plan.Costs.Currency) }
func (v view) TargetMoney(x float64) string     { return v.L.Money(x, v.Plan.Costs.TargetCurrency) }
func (v view) Bytes(b int64) string             { return v.L.Bytes(b) }
func (v view) Num(x int64) string               { return v.L.Int(x) }
func (v view) Dec(x float64) string             { return v.L.Number(x, 1) }
func (v view) Rate(bps float64) string          { return v.L.Rate(bps) }
func (v view) Percent(x float64) string         { return v.L.Percent(x) }
func (v view) GB() string                       { return v.L.GB() }
func (v view) Kind(k string) string             { return assess.KindName(v.L, k) }

// Colon is the colon of a label, with French's space before it.
func (v view) Colon() string {
	if v.L == lang.French {
		return "\u00a0:"
	}
	return ":"
}

// UnitPrice writes a price per GB with the decimals it has: the second
// egress tier is $0.085, not $0.09.
func (v view) UnitPrice(x float64) string {
	return v.L.MoneyPrecise(x, v.Plan.Assumptions.Currency, lang.Decimals(x, 2, 4)) + "/" + v.L.GB()
}

// Source says where the inventory was read from: account/awsread writes
// "offline (DIR)", "live (profile NAME)" or "live (default profile)".
func (v view) Source() string {
	s := v.Inventory.Source
	switch {
	case strings.HasPrefix(s, "offline (") && strings.HasSuffix(s, ")"):
		return v.T("source.offline", s[len("offline ("):len(s)-1])
	case strings.HasPrefix(s, "live (profile ") && strings.HasSuffix(s, ")"):
		return v.T("source.profile", s[len("live (profile "):len(s)-1])
	case s == "live (default profile)":
		return v.T("source.default")
	}
	return s
}

// SizesFrom names where a bucket's figures come from.
func (v view) SizesFrom(s string) string {
	if messages.Has("from." + s) {
		return v.T("from." + s)
	}
	return s
}

// Known reports whether every bucket's size was read.
func (v view) Known() bool { return v.Data.Sizes == "complete" || v.Data.Sizes == "" }

// DataLine is the headline's data figure: the bytes, a lower bound when
// some sizes are unknown, or unknown.
func (v view) DataLine() string {
	switch v.Data.Sizes {
	case "unknown":
		return v.T("unknown.data")
	case "partial":
		return v.T("atleast", v.Bytes(v.Data.Bytes))
	}
	return v.Bytes(v.Data.Bytes)
}

// DaysLine is the headline's transfer time, restores included.
func (v view) DaysLine() string {
	switch v.Data.Sizes {
	case "unknown":
		return v.T("unknown.days")
	case "partial":
		return v.T("atleast", v.Dec(v.Data.TotalDays)+" "+v.T("days"))
	}
	return v.Dec(v.Data.TotalDays) + " " + v.T("days")
}

// DaysParts says what the transfer time is made of, so that it matches the
// monthly table (copying only) and the restores before it.
func (v view) DaysParts() string {
	d := v.Data
	if d.RestoreHours == 0 {
		return v.T("transfer.copy", v.Dec(d.TransferDays))
	}
	return v.T("transfer.parts", v.Dec(d.RestoreHours/24), v.Dec(d.TransferDays))
}

// EgressLine is the headline's egress cost.
func (v view) EgressLine() string {
	switch v.Data.Sizes {
	case "unknown":
		return v.T("unknown.egress")
	case "partial":
		return v.T("atleast", v.Money(v.Data.EgressCost))
	}
	return v.Money(v.Data.EgressCost)
}

// SizesWhy is the problem behind unknown sizes, one line.
func (v view) SizesWhy() string {
	if v.Known() {
		return ""
	}
	return v.T("sizes.why", v.Data.SizesUnknown, len(v.Data.Buckets), strings.Join(v.Data.SizesProblems, "; "))
}

// WaiverLine is the verdict on AWS's exit waiver.
func (v view) WaiverLine() string {
	d := v.Data.Waiver
	switch d.Verdict {
	case "fits":
		return v.T("waiver.fits", d.Days)
	case "unknown":
		return v.T("waiver.unknown", d.Days)
	}
	return v.T("waiver.nofit", d.Days)
}

// WaiverClass is the verdict's colour.
func (v view) WaiverClass() string {
	switch v.Data.Waiver.Verdict {
	case "fits":
		return "ok"
	case "unknown":
		return "warn"
	}
	return "bad"
}

// WaiverText explains the verdict.
func (v view) WaiverText() string {
	w := v.Data.Waiver
	switch w.Verdict {
	case "fits":
		return v.T("waiver.ok", v.Dec(v.Data.TotalDays))
	case "unknown":
		return v.SizesWhy()
	}
	return v.T("waiver.beyond", w.Days, v.Money(w.CostBeyond), v.Rate(w.NeededBitsPerSecond))
}

// MonthsNote reconciles the monthly table (days of copying) with the
// headline's transfer time (restores, then copying).
func (v view) MonthsNote() string {
	d := v.Data
	if d.RestoreHours == 0 {
		return ""
	}
	return v.T("months.note", v.Dec(d.TransferDays), v.Dec(d.RestoreHours/24), v.Dec(d.TotalDays))
}

// Group is one service of the bill and the items it pays for.
type Group struct {
	Service string
	Monthly string
	Items   []assess.Item
}

// Groups are the mapping's items by billed service, the largest spend
// first, then those with no spend on the bill (all of them, without one).
func (v view) Groups() []Group {
	var out []Group
	for _, s := range v.Services {
		if s.Items == 0 {
			continue
		}
		g := Group{Service: s.Service, Monthly: v.T("per.month", v.BillMoney(s.Monthly))}
		for _, it := range v.Items {
			if it.Service == s.Service {
				g.Items = append(g.Items, it)
			}
		}
		out = append(out, g)
	}
	rest := Group{}
	if v.Bill != nil {
		rest.Service = v.T("nospend")
	}
	for _, it := range v.Items {
		if it.Service == "" {
			rest.Items = append(rest.Items, it)
		}
	}
	if len(rest.Items) > 0 {
		out = append(out, rest)
	}
	return out
}

// Unmapped are the billed services no item explains.
func (v view) Unmapped() []assess.ServiceSpend {
	var out []assess.ServiceSpend
	for _, s := range v.Services {
		if s.Items == 0 {
			out = append(out, s)
		}
	}
	return out
}

func (v view) ServiceChart() template.HTML {
	if v.Bill == nil {
		return ""
	}
	var bars []bar
	for _, s := range v.Bill.Services {
		bars = append(bars, bar{Label: s.Name, Value: s.Cost, Text: v.BillMoney(s.Cost)})
	}
	return barChart(v.T("chart.services"), bars, 8, v.T("other"), v.BillMoney)
}

func (v view) MonthChart() template.HTML {
	if v.Bill == nil {
		return ""
	}
	var bars []bar
	for _, m := range v.Bill.Months {
		bars = append(bars, bar{Label: m.Month, Value: m.Charges, Text: v.BillMoney(m.Charges)})
	}
	return barChart(v.T("chart.months"), bars, 0, "", v.BillMoney)
}

func (v view) ClassChart() template.HTML {
	var bars []bar
	for _, c := range v.Data.Classes {
		bars = append(bars, bar{Label: c.Class, Value: float64(c.Bytes), Text: v.Bytes(c.Bytes)})
	}
	return barChart(v.T("chart.classes"), bars, 0, "", func(x float64) string { return v.Bytes(int64(x)) })
}

func (v view) EgressChart() template.HTML {
	var bars []bar
	for _, m := range v.Data.EgressMonths {
		bars = append(bars, bar{Label: m.Month, Value: m.Cost, Text: v.Money(m.Cost)})
	}
	return barChart(v.T("chart.egress"), bars, 0, "", v.Money)
}

func (v view) Tier(t float64) string {
	if t == 0 {
		return v.T("beyond")
	}
	return v.T("upto", v.L.Number(t, 0), v.L.GB())
}

// BucketMapLine is the --bucket-map for every renamed bucket.
func (v view) BucketMapLine() string {
	if len(v.BucketMap) == 0 {
		return ""
	}
	return v.T("bucket.map", strings.Join(v.BucketMap, ","))
}

// HTML writes the report as one self-contained HTML file.
func HTML(w io.Writer, p *assess.Plan, l lang.Lang) error {
	t, err := template.New("report").Parse(htmlTemplate)
	if err != nil {
		return err
	}
	return t.Execute(w, view{p, l})
}

// Markdown writes the report as Markdown.
func Markdown(w io.Writer, p *assess.Plan, l lang.Lang) error {
	v := view{p, l}
	var b strings.Builder
	cell := func(s string) string { return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s) }
	fmt.Fprintf(&b, "# %s\n\n", v.T("title"))
	fmt.Fprintf(&b, "%s · %s · %s\n\n", v.T("pair", v.T("account"), p.Inventory.Account), v.T("pair", v.T("source"), v.Source()), v.T("pair", v.T("generated"), p.Generated))
	fmt.Fprintf(&b, "## %s\n\n", v.T("headline"))
	for _, line := range Headlines(p, l) {
		fmt.Fprintf(&b, "- %s\n", line)
	}
	fmt.Fprintf(&b, "\n## %s\n\n| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|---|---|---|\n",
		v.T("buckets"), v.T("bucket"), v.T("target.name"), v.T("region"), v.T("size"), v.T("objects"), v.T("sizes.from"), v.T("requests"), v.T("restore"), v.T("egress.short"))
	for _, bk := range p.Data.Buckets {
		from := v.SizesFrom(bk.SizesFrom)
		if bk.SizesUnknownBecause != "" {
			from += " (" + bk.SizesUnknownBecause + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(bk.Name), cell(bk.TargetName), bk.Region, v.Bytes(bk.Bytes), v.Num(bk.Objects), cell(from), v.Money(bk.RequestCost), v.Money(bk.RestoreCost), v.Money(bk.EgressCost))
	}
	if line := v.BucketMapLine(); line != "" {
		fmt.Fprintf(&b, "\n%s\n", line)
	}
	fmt.Fprintf(&b, "\n## %s\n\n| %s | %s | %s (%s) | %s |\n|---|---|---|---|\n", v.T("months"), v.T("month"), v.T("days"), v.T("volume"), l.GB(), v.T("cost"))
	for _, m := range p.Data.EgressMonths {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", m.Month, v.Dec(m.Days), l.Number(m.GB, 0), v.Money(m.Cost))
	}
	if n := v.MonthsNote(); n != "" {
		fmt.Fprintf(&b, "\n%s\n", n)
	}
	fmt.Fprintf(&b, "\n## %s\n\n**%s.** %s\n\n", v.T("waiver"), v.WaiverLine(), v.WaiverText())
	fmt.Fprintf(&b, "%s\n\n", v.T("waiver.conditions"))
	for _, c := range p.Data.Waiver.Conditions {
		fmt.Fprintf(&b, "- %s\n", c)
	}
	fmt.Fprintf(&b, "\n## %s\n\n| %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|\n", v.T("mapping"), v.T("kind"), v.T("name"), v.T("detail"), v.T("target"), v.T("flags"), v.T("score"))
	for _, g := range v.Groups() {
		if g.Service != "" {
			fmt.Fprintf(&b, "| **%s** | | | | %s | |\n", cell(g.Service), g.Monthly)
		}
		for _, it := range g.Items {
			target := it.Target
			if target == "manual" {
				target = "**" + v.T("manual") + "**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d |\n", v.Kind(it.Kind), cell(it.Name), cell(it.Detail), cell(target), cell(strings.Join(it.Flags, "; ")), it.Effort)
		}
	}
	if un := v.Unmapped(); len(un) > 0 {
		fmt.Fprintf(&b, "\n### %s\n\n| %s | %s | %s |\n|---|---|---|\n", v.T("unmapped"), v.T("service"), v.T("monthly"), v.T("what"))
		for _, s := range un {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(s.Service), v.BillMoney(s.Monthly), cell(s.Note))
		}
	}
	if p.Bill != nil {
		fmt.Fprintf(&b, "\n## %s\n\n| %s | %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|---|\n", v.T("bill"), v.T("month"), v.T("charges"), v.T("credits"), v.T("refunds"), v.T("tax"), v.T("discounts"), v.T("net"))
		for _, m := range p.Bill.Months {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", m.Month, v.BillMoney(m.Charges), v.BillMoney(m.Credits), v.BillMoney(m.Refunds), v.BillMoney(m.Tax), v.BillMoney(m.Discounts), v.BillMoney(m.Net))
		}
	}
	if len(p.Inventory.Problems) > 0 {
		fmt.Fprintf(&b, "\n## %s\n\n", v.T("problems"))
		for _, pr := range p.Inventory.Problems {
			fmt.Fprintf(&b, "- %s\n", v.T("pair", strings.TrimSpace(pr.Service+" "+pr.Region), pr.Error))
		}
	}
	fmt.Fprintf(&b, "\n## %s\n\n- %s\n- %s\n- %s\n- %s\n", v.T("assumptions"),
		v.T("pair", v.T("bandwidth"), v.Rate(p.Assumptions.BitsPerSecond)+" ("+v.Percent(p.Assumptions.Utilization)+" "+v.T("utilization")+")"),
		v.T("pair", v.T("start"), p.Assumptions.Start), v.T("pair", v.T("prices"), p.Assumptions.PricesDate+", "+p.Assumptions.PricesSource),
		v.T("pair", v.T("tiers"), v.Tiers()))
	for _, n := range p.Assumptions.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Tiers lists the egress tiers, each price with its own precision.
func (v view) Tiers() string {
	parts := []string{v.T("free", v.L.Number(v.Assumptions.FreeGB, 0), v.L.GB())}
	var tiers []string
	for _, t := range v.Assumptions.EgressTiers {
		tiers = append(tiers, v.Tier(t.UpToGB)+" "+v.UnitPrice(t.USDPerGB))
	}
	return parts[0] + "; " + strings.Join(tiers, ", ")
}

// Headlines are the figures a reader needs first, one line each.
func Headlines(p *assess.Plan, l lang.Lang) []string {
	v := view{p, l}
	d := p.Data
	lines := []string{
		v.T("pair", v.T("data"), v.DataLine()+", "+v.Num(d.Objects)+" "+v.T("objects")),
	}
	if why := v.SizesWhy(); why != "" {
		lines = append(lines, why)
	}
	lines = append(lines,
		v.T("pair", v.T("transfer"), v.DaysLine()+" "+v.T("at")+" "+v.Rate(p.Assumptions.BitsPerSecond*p.Assumptions.Utilization)+" ("+v.DaysParts()+")"),
		v.T("pair", v.T("egress"), v.EgressLine()),
		v.WaiverLine(),
	)
	if p.Costs.AWSFromBill {
		lines = append(lines, v.T("pair", v.T("aws.monthly"), v.BillMoney(p.Costs.AWSMonthly)))
	}
	if p.Costs.TargetCurrency != "" {
		lines = append(lines, v.T("pair", v.T("target.monthly"), v.TargetMoney(p.Costs.TargetMonthly)))
	}
	lines = append(lines, v.T("pair", v.T("effort"), strconv.Itoa(p.Effort)))
	return lines
}

// Summary writes what a terminal shows after an assessment: what was read,
// the headlines, the first thing that could not be read, and where the
// report went (output; "-" for standard output says nothing).
func Summary(w io.Writer, p *assess.Plan, l lang.Lang, output string) error {
	v := view{p, l}
	inv := p.Inventory
	var b strings.Builder
	var counts []string
	for _, c := range []struct {
		key string
		n   int
	}{{"n.buckets", len(inv.Buckets)}, {"n.instances", len(inv.Instances)}, {"n.volumes", len(inv.Volumes)},
		{"n.databases", len(inv.Databases)}, {"n.zones", len(inv.Zones)}, {"n.functions", len(inv.Functions)},
		{"n.desktops", len(inv.AppStreamFleets) + len(inv.WorkSpaces)}, {"n.filesystems", len(inv.FileSystems)}, {"n.other", len(inv.Other)}} {
		key := c.key
		if c.n == 1 || c.n == 0 && l == lang.French {
			key += ".1" // French counts zero in the singular too
		}
		counts = append(counts, v.T(key, c.n))
	}
	fmt.Fprintf(&b, "%s\n", v.T("summary.account", inv.Account, v.Source(), strings.Join(counts, ", ")))
	for _, line := range Headlines(p, l) {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	if n := len(inv.Problems); n > 0 {
		pr := inv.Problems[0]
		fmt.Fprintf(&b, "  %s\n", v.T("summary.problems", n, v.T("pair", strings.TrimSpace(pr.Service+" "+pr.Region), pr.Error)))
	}
	if output != "-" {
		abs, err := filepath.Abs(output)
		if err != nil {
			abs = output
		}
		fmt.Fprintf(&b, "%s\n", v.T("summary.written", abs))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

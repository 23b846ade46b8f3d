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
	"strings"

	"github.com/sortie-dev/sortie/internal/assess"
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
	L Lang
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

// Headline figures, shared by every format.
func (v view) WaiverLine() string {
	d := v.Data.Waiver
	if d.Fits {
		return v.T("waiver.fits", d.Days)
	}
	return v.T("waiver.nofit", d.Days)
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
	return v.T("upto", v.L.Number(t, 0))
}

// HTML writes the report as one self-contained HTML file.
func HTML(w io.Writer, p *assess.Plan, l Lang) error {
	t, err := template.New("report").Parse(htmlTemplate)
	if err != nil {
		return err
	}
	return t.Execute(w, view{p, l})
}

// Markdown writes the report as Markdown.
func Markdown(w io.Writer, p *assess.Plan, l Lang) error {
	v := view{p, l}
	var b strings.Builder
	cell := func(s string) string { return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s) }
	fmt.Fprintf(&b, "# %s\n\n", v.T("title"))
	fmt.Fprintf(&b, "%s: %s · %s: %s · %s: %s\n\n", v.T("account"), p.Inventory.Account, v.T("source"), p.Inventory.Source, v.T("generated"), p.Generated)
	fmt.Fprintf(&b, "## %s\n\n", v.T("headline"))
	for _, line := range Headlines(p, l) {
		fmt.Fprintf(&b, "- %s\n", line)
	}
	fmt.Fprintf(&b, "\n## %s\n\n| %s | %s | %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|---|---|\n",
		v.T("buckets"), v.T("bucket"), v.T("region"), v.T("size"), v.T("objects"), v.T("sizes.from"), v.T("requests"), v.T("restore"), v.T("egress.short"))
	for _, bk := range p.Data.Buckets {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(bk.Name), bk.Region, v.Bytes(bk.Bytes), v.Num(bk.Objects), bk.SizesFrom, v.Money(bk.RequestCost), v.Money(bk.RestoreCost), v.Money(bk.EgressCost))
	}
	fmt.Fprintf(&b, "\n## %s\n\n| %s | %s | %s |\n|---|---|---|\n", v.T("months"), v.T("month"), v.T("volume"), v.T("cost"))
	for _, m := range p.Data.EgressMonths {
		fmt.Fprintf(&b, "| %s | %s GB | %s |\n", m.Month, l.Number(m.GB, 0), v.Money(m.Cost))
	}
	fmt.Fprintf(&b, "\n## %s\n\n**%s.** ", v.T("waiver"), v.WaiverLine())
	if w := p.Data.Waiver; w.Fits {
		fmt.Fprintf(&b, "%s\n\n", v.T("waiver.ok", v.Dec(p.Data.TotalDays)))
	} else {
		fmt.Fprintf(&b, "%s\n\n", v.T("waiver.beyond", w.Days, v.Money(w.CostBeyond), v.Rate(w.NeededBitsPerSecond)))
	}
	fmt.Fprintf(&b, "%s\n\n", v.T("waiver.conditions"))
	for _, c := range p.Data.Waiver.Conditions {
		fmt.Fprintf(&b, "- %s\n", c)
	}
	fmt.Fprintf(&b, "\n## %s\n\n| %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|\n", v.T("mapping"), v.T("kind"), v.T("name"), v.T("detail"), v.T("target"), v.T("flags"), v.T("score"))
	for _, it := range p.Items {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d |\n", it.Kind, cell(it.Name), cell(it.Detail), cell(it.Target), cell(strings.Join(it.Flags, "; ")), it.Effort)
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
			fmt.Fprintf(&b, "- %s %s: %s\n", pr.Service, pr.Region, pr.Error)
		}
	}
	fmt.Fprintf(&b, "\n## %s\n\n- %s: %s (%s %s)\n- %s: %s\n- %s: %s, %s\n",
		v.T("assumptions"), v.T("bandwidth"), v.Rate(p.Assumptions.BitsPerSecond), v.Percent(p.Assumptions.Utilization), v.T("utilization"),
		v.T("start"), p.Assumptions.Start, v.T("prices"), p.Assumptions.PricesDate, p.Assumptions.PricesSource)
	for _, n := range p.Assumptions.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Headlines are the figures a reader needs first, one line each.
func Headlines(p *assess.Plan, l Lang) []string {
	v := view{p, l}
	d := p.Data
	lines := []string{
		fmt.Sprintf("%s: %s, %s %s", v.T("data"), v.Bytes(d.Bytes), v.Num(d.Objects), v.T("objects")),
		fmt.Sprintf("%s: %s %s %s %s", v.T("transfer"), v.Dec(d.TotalDays), v.T("days"), v.T("at"), v.Rate(p.Assumptions.BitsPerSecond*p.Assumptions.Utilization)),
		fmt.Sprintf("%s: %s", v.T("egress"), v.Money(d.EgressCost)),
		v.WaiverLine(),
	}
	if p.Costs.AWSFromBill {
		lines = append(lines, fmt.Sprintf("%s: %s", v.T("aws.monthly"), v.BillMoney(p.Costs.AWSMonthly)))
	}
	if p.Costs.TargetCurrency != "" {
		lines = append(lines, fmt.Sprintf("%s: %s", v.T("target.monthly"), v.TargetMoney(p.Costs.TargetMonthly)))
	}
	lines = append(lines, fmt.Sprintf("%s: %d", v.T("effort"), p.Effort))
	return lines
}

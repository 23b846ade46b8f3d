package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/assess"
	"github.com/sortie-dev/sortie/internal/assess/prices"
	"github.com/sortie-dev/sortie/internal/assess/report"
	"github.com/sortie-dev/sortie/internal/bill"
	"github.com/sortie-dev/sortie/internal/bill/billtest"
	"github.com/sortie-dev/sortie/internal/lang"
)

// samplePlan is the plan of the sample account (internal/account/sample)
// under fixed assumptions: 1 Gbps at 80%, from 2027-01-04, onto MinIO,
// with the sample bill. The inventory is the one account/awsread's test
// reads from the aws-cli export and keeps in sample/inventory.json, so
// these tests need no SDK.
func samplePlan(t *testing.T, l lang.Lang) *assess.Plan {
	return planOf(t, "inventory.json", billtest.Sample(), l)
}

func planOf(t *testing.T, inventory string, lines []billtest.Line, l lang.Lang) *assess.Plan {
	t.Helper()
	b0, err := os.ReadFile("../../account/sample/" + inventory)
	if err != nil {
		t.Fatal(err)
	}
	inv := &account.Inventory{}
	if err := json.Unmarshal(b0, inv); err != nil {
		t.Fatal(err)
	}
	cur := filepath.Join(t.TempDir(), "cur.parquet")
	if err := billtest.WriteFile(cur, billtest.CUR2Parquet, lines); err != nil {
		t.Fatal(err)
	}
	b, err := bill.Read(cur)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := assess.LoadTargetPrices("../../../docs/target-prices.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return assess.BuildPlan(inv, assess.PlanOptions{Prices: prices.Default(), BitsPerSecond: 1e9, Bandwidth: "1Gbps", Utilization: 0.8,
		Start: time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC), Target: "minio", Now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
		Bill: b, TargetPrices: tp, Lang: l})
}

// universityBill is the sample bill with the virtual lab on AppStream,
// the second-largest service of a university's bill.
func universityBill() []billtest.Line {
	lines := billtest.Sample()
	for _, m := range []time.Time{time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)} {
		lines = append(lines,
			billtest.Line{Type: "Usage", Product: "AmazonAppStream", UsageType: "CAN1-stream.standard.large-AlwaysOn", Region: "ca-central-1", Start: m, Amount: 28800, Cost: 512.00},
			billtest.Line{Type: "Usage", Product: "AmazonAppStream", UsageType: "CAN1-stream.graphics.g4dn.xlarge-OnDemand", Region: "ca-central-1", Start: m, Amount: 1100, Cost: 236.50},
			billtest.Line{Type: "Usage", Product: "AmazonCloudWatch", UsageType: "CAN1-CW:MetricMonitorUsage", Region: "ca-central-1", Start: m, Amount: 300, Cost: 9.00},
		)
	}
	return lines
}

func render(t *testing.T, p *assess.Plan, l lang.Lang) (html, md string) {
	t.Helper()
	var h, m bytes.Buffer
	if err := report.HTML(&h, p, l); err != nil {
		t.Fatal(err)
	}
	if err := report.Markdown(&m, p, l); err != nil {
		t.Fatal(err)
	}
	return h.String(), m.String()
}

// Worked by hand: 95,829 GB stored × €0.0085 = 814.55; block 3,478 GiB
// (volumes 2,758, snapshots 600, databases 120) × €0.045 = 156.51;
// flavours 42 + 6.50 + 118 + 139 = 305.50; databases 42 + 29 = 71; the
// always-on virtual lab 40 × SCS-2V-8 at 42 = 1,680; the WorkSpaces
// SCS-2V-4 29 + SCS-2V-8 42 → €3,098.56 a month. The bill averages
// $1,827.32 of charges a month.
func TestHeadlines(t *testing.T) {
	en := strings.Join(report.Headlines(samplePlan(t, lang.English), lang.English), "\n")
	fr := strings.Join(report.Headlines(samplePlan(t, lang.French), lang.French), "\n")
	for _, want := range []string{"93.6\u00a0TiB, 43,960,000 objects", "12.4 days", "$7,518.23", "Fits AWS's 60-day exit waiver", "AWS spend per month (bill average): $1,827.32", "after the exit: €3,098.56"} {
		if !strings.Contains(en, want) {
			t.Errorf("English headlines lack %q:\n%s", want, en)
		}
	}
	for _, want := range []string{"93,6\u00a0Tio, 43\u202f960\u202f000 objets", "12,4 jours", "7\u202f518,23\u00a0$US", "Tient dans les 60 jours", "1\u202f827,32\u00a0$US"} {
		if !strings.Contains(fr, want) {
			t.Errorf("French headlines lack %q:\n%s", want, fr)
		}
	}
}

// Sizes CloudWatch would not give are unknown in every format, with the
// reason — never "0 B, fits the waiver".
func TestUnknownSizesInEveryFormat(t *testing.T) {
	for _, l := range []lang.Lang{lang.English, lang.French} {
		p := planOf(t, "inventory-cloudwatch-refused.json", billtest.Sample(), l)
		html, md := render(t, p, l)
		var js, sum bytes.Buffer
		report.JSON(&js, p)
		report.Summary(&sum, p, l, "-")
		unknown, fits := "Object data to move: unknown", "Fits AWS"
		if l == lang.French {
			unknown, fits = "Données objets à déplacer\u00a0: inconnues", "Tient dans"
		}
		for name, out := range map[string]string{"html": html, "md": md, "summary": sum.String()} {
			flat, want := out, unknown
			if name == "html" { // the figure is in its own element
				flat = strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(out, " ")), " ")
				want = strings.Join(strings.Fields(strings.ReplaceAll(strings.ReplaceAll(unknown, ":", ""), "\u00a0", " ")), " ")
			}
			for _, want := range []string{want, "AccessDenied", "cloudwatch:GetMetricData"} {
				if !strings.Contains(flat, want) {
					t.Errorf("%s/%s lacks %q", l, name, want)
				}
			}
			for _, bad := range []string{"0\u00a0B,", "0\u00a0o,", fits} {
				if strings.Contains(out, bad) {
					t.Errorf("%s/%s says %q", l, name, bad)
				}
			}
		}
		if !strings.Contains(js.String(), `"verdict": "unknown"`) || !strings.Contains(js.String(), `"sizes": "unknown"`) {
			t.Errorf("JSON lacks the unknown verdict")
		}
	}
}

// The mapping shows each service's monthly spend beside its items, and the
// spend no item explains.
func TestBillBesideItems(t *testing.T) {
	p := planOf(t, "inventory.json", universityBill(), lang.English)
	html, md := render(t, p, lang.English)
	for name, out := range map[string]string{"html": html, "md": md} {
		for _, want := range []string{"AmazonAppStream", "$748.50 a month", "Apache Guacamole", "Spend with nothing in the plan", "AmazonCloudWatch", "Prometheus"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
	if i, j := strings.Index(md, "**AmazonAppStream**"), strings.Index(md, "virtual-lab-gpu"); i < 0 || j < i {
		t.Errorf("the virtual lab is not under its spend")
	}
}

// Unit prices keep their precision: the second egress tier is $0.085.
func TestPricesWithTheirPrecision(t *testing.T) {
	_, md := render(t, samplePlan(t, lang.English), lang.English)
	html, mdFR := render(t, samplePlan(t, lang.French), lang.French)
	for name, c := range map[string]struct{ out, want string }{
		"md": {md, "up to 51,200 GB $0.085/GB"}, "md fr": {mdFR, "jusqu'à 51\u202f200 Go 0,085\u00a0$US/Go"}, "html fr": {html, "0,085\u00a0$US/Go"},
	} {
		if !strings.Contains(c.out, c.want) {
			t.Errorf("%s lacks %q", name, c.want)
		}
	}
}

// The headline's 12.4 days are the 0.5 days of restores and the 11.9 days
// of copying the monthly table lists; the report says so.
func TestTransferDaysReconciled(t *testing.T) {
	p := samplePlan(t, lang.English)
	d := p.Data
	days := 0.0
	for _, m := range d.EgressMonths {
		days += m.Days
	}
	if diff := days - d.TransferDays; diff > 1e-6 || diff < -1e-6 || d.TotalDays != d.RestoreHours/24+d.TransferDays {
		t.Fatalf("months %.3f days, transfer %.3f, total %.3f, restores %.1f h", days, d.TransferDays, d.TotalDays, d.RestoreHours)
	}
	html, md := render(t, p, lang.English)
	for name, out := range map[string]string{"html": html, "md": md} {
		for _, want := range []string{"0.5 days of restores, then 11.9 days of copying", "The months above are the 11.9 days of copying; the restores of archived objects take 0.5 days before it: 12.4 days in all"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
}

// The effort heading states the scale; every score is on it.
func TestEffortColumnOnItsScale(t *testing.T) {
	p := samplePlan(t, lang.English)
	_, md := render(t, p, lang.English)
	if !strings.Contains(md, "1–5 each") {
		t.Fatal("the heading no longer states the scale")
	}
	for _, line := range strings.Split(md, "\n") {
		if m := regexp.MustCompile(`\| ([0-9]+) \|$`).FindStringSubmatch(line); m != nil && (m[1] < "1" || m[1] > "5" || len(m[1]) > 1) {
			t.Errorf("score %s off the scale: %s", m[1], line)
		}
	}
}

// In French, no text of the report's or the plan's catalog is left in
// English, in the page, the Markdown or the terminal summary.
func TestFrenchEverywhere(t *testing.T) {
	if err := report.Messages().Check(); err != nil {
		t.Fatal(err)
	}
	p := planOf(t, "inventory.json", universityBill(), lang.French)
	html, md := render(t, p, lang.French)
	var sum bytes.Buffer
	report.Summary(&sum, p, lang.French, "r.html")
	// AWS's own error messages are quoted as AWS wrote them.
	strip := func(s string) string {
		for _, pr := range p.Inventory.Problems {
			s = strings.ReplaceAll(s, pr.Error, "")
		}
		return s
	}
	outputs := map[string]string{"html": strip(html), "md": strip(md), "summary": strip(sum.String())}
	verb := regexp.MustCompile(`%[-+# 0]*[0-9*]*(?:\.[0-9*]+)?[a-zA-Z%]`)
	for _, c := range []*lang.Catalog{report.Messages(), assess.Messages()} {
		for _, k := range c.Keys() {
			text, _ := c.Text(k)
			if text[0] == text[1] {
				continue
			}
			for _, frag := range verb.Split(text[0], -1) {
				frag = strings.TrimSpace(frag)
				if len(frag) < 10 || strings.Contains(text[1], frag) {
					continue
				}
				for name, out := range outputs {
					if strings.Contains(out, frag) {
						t.Errorf("French %s has English %q (%s)", name, frag, k)
					}
				}
			}
		}
	}
	for _, en := range []string{"Account ", "Not readable", "Assessment written to", "offline (", "objects"} {
		for name, out := range outputs {
			if strings.Contains(out, en) {
				t.Errorf("French %s has %q", name, en)
			}
		}
	}
}

// The JSON output is the documented schema: a script can read it back.
func TestJSONRoundTrip(t *testing.T) {
	p := samplePlan(t, lang.English)
	var b bytes.Buffer
	if err := report.JSON(&b, p); err != nil {
		t.Fatal(err)
	}
	var back assess.Plan
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.SchemaVersion != 2 || back.Data.Bytes != p.Data.Bytes || len(back.Items) != len(p.Items) || back.Effort != p.Effort || back.Data.Waiver.Verdict != "fits" {
		t.Errorf("round trip lost data")
	}
	var generic map[string]any
	json.Unmarshal(b.Bytes(), &generic)
	for _, key := range []string{"schema_version", "assumptions", "inventory", "data", "items", "effort_total", "costs", "services"} {
		if _, ok := generic[key]; !ok {
			t.Errorf("JSON lacks %q", key)
		}
	}
}

// Nothing in the page points outside it.
func TestHTMLIsSelfContained(t *testing.T) {
	html, _ := render(t, samplePlan(t, lang.English), lang.English)
	for _, bad := range []string{"<script", "<link", "@import", "src=\"http", "url(http"} {
		if strings.Contains(html, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if strings.Count(html, "<svg") < 2 {
		t.Errorf("charts missing")
	}
}

// The terminal summary counts in the singular where the language does.
func TestSummaryCountsAgree(t *testing.T) {
	for _, tc := range []struct {
		l           lang.Lang
		want, not   string
		zero, zero2 string
	}{
		{lang.English, "1 file system,", "1 file systems", "0 databases", ""},
		{lang.French, "1 système de fichiers,", "1 systèmes", "0 base,", "0 bases"},
	} {
		p := samplePlan(t, tc.l)
		p.Inventory.FileSystems = p.Inventory.FileSystems[:1]
		p.Inventory.Databases = nil
		var b strings.Builder
		if err := report.Summary(&b, p, tc.l, "-"); err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(b.String(), "\n")
		if !strings.Contains(first, tc.want) || strings.Contains(first, tc.not) || !strings.Contains(first, tc.zero) || tc.zero2 != "" && strings.Contains(first, tc.zero2) {
			t.Errorf("%s: %q, want %q and %q", tc.l, first, tc.want, tc.zero)
		}
	}
}

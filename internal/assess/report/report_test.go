package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/assess"
	"github.com/sortie-dev/sortie/internal/assess/prices"
	"github.com/sortie-dev/sortie/internal/assess/report"
	"github.com/sortie-dev/sortie/internal/bill"
	"github.com/sortie-dev/sortie/internal/bill/billtest"
)

// samplePlan is the plan of the sample account (internal/account/sample)
// under fixed assumptions: 1 Gbps at 80%, from 2027-01-04, onto MinIO. The
// inventory is the one account/awsread's test reads from the aws-cli
// export and keeps in sample/inventory.json, so these tests need no SDK.
func samplePlan(t *testing.T) *assess.Plan {
	t.Helper()
	b0, err := os.ReadFile("../../account/sample/inventory.json")
	if err != nil {
		t.Fatal(err)
	}
	inv := &account.Inventory{}
	if err := json.Unmarshal(b0, inv); err != nil {
		t.Fatal(err)
	}
	cur := filepath.Join(t.TempDir(), "cur.parquet")
	if err := billtest.WriteFile(cur, billtest.CUR2Parquet, billtest.Sample()); err != nil {
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
		Bill: b, TargetPrices: tp})
}

// Worked by hand: 95,829 GB stored × €0.0085 = 814.55; block 3,478 GiB
// (volumes 2,758, snapshots 600, databases 120) × €0.045 = 156.51;
// flavours 42 + 6.50 + 118 + 139 = 305.50; databases 42 + 29 = 71 →
// €1,347.56 a month. The bill averages $1,827.32 of charges a month.
func TestHeadlines(t *testing.T) {
	p := samplePlan(t)
	en := strings.Join(report.Headlines(p, report.English), "\n")
	fr := strings.Join(report.Headlines(p, report.French), "\n")
	for _, want := range []string{"93.6\u00a0TiB, 43,960,000 objects", "12.4 days", "$7,518.23", "Fits AWS's 60-day exit waiver", "AWS spend per month (bill average): $1,827.32", "after the exit: €1,347.56"} {
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

// The JSON output is the documented schema: a script can read it back.
func TestJSONRoundTrip(t *testing.T) {
	p := samplePlan(t)
	var b bytes.Buffer
	if err := report.JSON(&b, p); err != nil {
		t.Fatal(err)
	}
	var back assess.Plan
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.SchemaVersion != 1 || back.Data.Bytes != p.Data.Bytes || len(back.Items) != len(p.Items) || back.Effort != p.Effort {
		t.Errorf("round trip lost data")
	}
	var generic map[string]any
	json.Unmarshal(b.Bytes(), &generic)
	for _, key := range []string{"schema_version", "assumptions", "inventory", "data", "items", "effort_total", "costs"} {
		if _, ok := generic[key]; !ok {
			t.Errorf("JSON lacks %q", key)
		}
	}
}

// Nothing in the page points outside it.
func TestHTMLIsSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := report.HTML(&b, samplePlan(t), report.English); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script", "<link", "@import", "src=\"http", "url(http"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if strings.Count(page, "<svg") < 2 {
		t.Errorf("charts missing")
	}
}

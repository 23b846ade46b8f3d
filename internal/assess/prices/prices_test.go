package prices

import (
	"math"
	"testing"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// The tier boundaries of AWS's public egress prices, from both sides.
func TestEgressMonth(t *testing.T) {
	p := Default()
	const tb = 1024.0
	cases := []struct {
		name        string
		outside, gb float64
		want        float64
	}{
		{"nothing", 0, 0, 0},
		{"inside the free 100 GB", 0, 100, 0},
		{"one GB past the free allowance", 0, 101, 0.09},
		{"exactly 10 TB", 0, 10 * tb, (10*tb - 100) * 0.09},
		{"one GB into the second tier", 0, 10*tb + 1, (10*tb-100)*0.09 + 0.085},
		{"exactly 50 TB", 0, 50 * tb, (10*tb-100)*0.09 + 40*tb*0.085},
		{"exactly 150 TB", 0, 150 * tb, (10*tb-100)*0.09 + 40*tb*0.085 + 100*tb*0.07},
		{"200 TB", 0, 200 * tb, (10*tb-100)*0.09 + 40*tb*0.085 + 100*tb*0.07 + 50*tb*0.05},
		{"other traffic already used the free GB", 100, 10, 10 * 0.09},
		{"other traffic half-way through the free GB", 50, 100, 50 * 0.09},
		{"other traffic already in the second tier", 20 * tb, 1, 0.085},
		{"straddling the 10 TB boundary", 10*tb - 1, 2, 0.09 + 0.085},
	}
	for _, c := range cases {
		if got := p.EgressMonth(c.outside, c.gb); !near(got, c.want) {
			t.Errorf("%s: EgressMonth(%v, %v) = %.6f, want %.6f", c.name, c.outside, c.gb, got, c.want)
		}
	}
}

// A move is priced month by month; each month has its own free GB and tiers.
func TestSpreadAcrossMonths(t *testing.T) {
	p := Default()
	start := time.Date(2027, 1, 20, 0, 0, 0, 0, time.UTC)
	// 100 GB a day for 30 days: 12 days in January, 18 in February.
	months := p.Spread(start, 3000, 100)
	if len(months) != 2 {
		t.Fatalf("months = %+v", months)
	}
	if months[0].Month != "2027-01" || !near(months[0].GB, 1200) || !near(months[0].Days, 12) {
		t.Errorf("January = %+v", months[0])
	}
	if months[1].Month != "2027-02" || !near(months[1].GB, 1800) || !near(months[1].Days, 18) {
		t.Errorf("February = %+v", months[1])
	}
	want := (1200-100)*0.09 + (1800-100)*0.09
	if got := months[0].Cost + months[1].Cost; !near(got, want) {
		t.Errorf("total = %.4f, want %.4f (free GB counted in each month)", got, want)
	}
	// The same volume in one month pays the free allowance once.
	one := p.Spread(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), 3000, 1000)
	if len(one) != 1 || !near(one[0].Cost, 2900*0.09) {
		t.Errorf("one month = %+v", one)
	}
	if p.Spread(start, 0, 100) != nil {
		t.Error("nothing to move should give no months")
	}
}

func TestParseRejects(t *testing.T) {
	for _, body := range []string{
		`not json`,
		`{"date":"yesterday","egress":{"tiers":[{"usd_per_gb":1}]}}`,
		`{"date":"2026-01-01","egress":{"tiers":[{"up_to_gb":10,"usd_per_gb":1}]}}`,
		`{"date":"2026-01-01","egress":{"tiers":[{"up_to_gb":10,"usd_per_gb":1},{"up_to_gb":5,"usd_per_gb":1},{"usd_per_gb":1}]}}`,
	} {
		if _, err := parse([]byte(body)); err == nil {
			t.Errorf("parse(%s) accepted", body)
		}
	}
}

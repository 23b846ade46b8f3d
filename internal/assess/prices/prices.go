// Package prices holds the public AWS prices an exit plan is computed with —
// one dated data file, embedded and overridable — and the arithmetic of
// tiered egress spread over the months a move spans.
package prices

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"time"
)

//go:embed aws-us-east-1.json
var defaultFile []byte

// Prices is the content of a price file. Every amount is in Currency.
type Prices struct {
	Date     string `json:"date"`
	Source   string `json:"source"`
	Currency string `json:"currency"`
	// GBBytes is how many bytes AWS bills as one GB (2^30).
	GBBytes  float64          `json:"gb_bytes"`
	Egress   Egress           `json:"egress"`
	Requests Requests         `json:"requests"`
	Classes  map[string]Class `json:"storage_classes"`
	Waiver   Waiver           `json:"waiver"`
}

// Egress is data transfer out to the internet, billed per month.
type Egress struct {
	FreeGBPerMonth float64 `json:"free_gb_per_month"`
	Tiers          []Tier  `json:"tiers"`
}

// Tier prices the GB of a month up to UpToGB (0: no limit, the last tier),
// counted from the month's first GB.
type Tier struct {
	UpToGB   float64 `json:"up_to_gb"`
	USDPerGB float64 `json:"usd_per_gb"`
}

// Requests are the source's request prices for a standard-class object.
type Requests struct {
	GetPer1000  float64 `json:"get_per_1000"`
	ListPer1000 float64 `json:"list_per_1000"`
	KeysPerList float64 `json:"keys_per_list"`
}

// Class is what reading a storage class costs beyond egress.
type Class struct {
	RetrievalPerGB float64  `json:"retrieval_usd_per_gb"`
	GetPer1000     float64  `json:"get_per_1000"`
	Restore        *Restore `json:"restore,omitempty"`
}

// Restore is the restore an archive class needs before a GET.
type Restore struct {
	Tier       string  `json:"tier"`
	Hours      float64 `json:"hours"`
	USDPerGB   float64 `json:"usd_per_gb"`
	USDPer1000 float64 `json:"usd_per_1000"`
}

// Waiver is AWS's data-transfer-out waiver for customers leaving.
type Waiver struct {
	Days       int      `json:"days"`
	Conditions []string `json:"conditions"`
	// ConditionsByLang are the conditions translated, by language code
	// (fr): a report in that language prints them instead.
	ConditionsByLang map[string][]string `json:"conditions_by_lang,omitempty"`
	Source           string              `json:"source"`
}

// Default returns the embedded prices.
func Default() *Prices {
	p, err := parse(defaultFile)
	if err != nil {
		panic("embedded price file: " + err.Error()) // a build defect, caught by the tests
	}
	return p
}

// Load reads a price file.
func Load(path string) (*Prices, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("price file: %w", err)
	}
	p, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("price file %s: %w", path, err)
	}
	return p, nil
}

func parse(b []byte) (*Prices, error) {
	var p Prices
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("not a price file (%v)", err)
	}
	if _, err := time.Parse(time.DateOnly, p.Date); err != nil {
		return nil, errors.New(`"date" must be the day the prices were read, as YYYY-MM-DD`)
	}
	if p.GBBytes <= 0 {
		p.GBBytes = 1 << 30
	}
	if len(p.Egress.Tiers) == 0 || p.Egress.Tiers[len(p.Egress.Tiers)-1].UpToGB != 0 {
		return nil, errors.New(`"egress.tiers" must end with a tier without "up_to_gb" (the rest of the month)`)
	}
	last := 0.0
	for _, t := range p.Egress.Tiers[:len(p.Egress.Tiers)-1] {
		if t.UpToGB <= last {
			return nil, errors.New(`"egress.tiers" must rise: each "up_to_gb" above the one before`)
		}
		last = t.UpToGB
	}
	if p.Waiver.Days <= 0 {
		p.Waiver.Days = 60
	}
	return &p, nil
}

// GB converts bytes to billed GB.
func (p *Prices) GB(bytes int64) float64 { return float64(bytes) / p.GBBytes }

// EgressMonth is what gb of data transfer out cost in one month, on top of
// outside GB already sent that month by other traffic: the month's first
// free GB cost nothing, then each GB is priced by the tier its rank in the
// month falls in.
func (p *Prices) EgressMonth(outside, gb float64) float64 {
	if gb <= 0 {
		return 0
	}
	cost := 0.0
	from, to := outside, outside+gb
	free := p.Egress.FreeGBPerMonth
	if from < free {
		from = min(free, to)
	}
	lower := 0.0
	for _, t := range p.Egress.Tiers {
		upper := t.UpToGB
		if upper == 0 {
			upper = math.Inf(1)
		}
		lo, hi := max(from, lower), min(to, upper)
		if hi > lo {
			cost += (hi - lo) * t.USDPerGB
		}
		lower = upper
	}
	return cost
}

// Month is one calendar month of a move.
type Month struct {
	Month string  `json:"month"` // YYYY-MM
	Days  float64 `json:"days"`  // days of the move in this month
	GB    float64 `json:"gb"`
	Cost  float64 `json:"cost"`
}

// Spread schedules gb at gbPerDay from start, month by month, and prices
// each month's egress on its own tiers (the free GB and tier boundaries
// reset every month, which is why a slower move can cost less per GB only at
// the free allowance, and a faster one never costs more).
func (p *Prices) Spread(start time.Time, gb, gbPerDay float64) []Month {
	if gb <= 0 || gbPerDay <= 0 {
		return nil
	}
	var out []Month
	t := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	left := gb
	for left > 1e-9 {
		next := time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		days := next.Sub(t).Hours() / 24
		moved := min(left, days*gbPerDay)
		used := moved / gbPerDay
		out = append(out, Month{Month: t.Format("2006-01"), Days: used, GB: moved, Cost: p.EgressMonth(0, moved)})
		left -= moved
		t = next
	}
	return out
}

package bill

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Kind classifies a line item; credits, refunds, taxes and discounts are
// kept apart from charges so that the spend a board sees is the spend.
type Kind int

const (
	Charge Kind = iota // usage, fees, savings plans and reservations
	Credit
	Refund
	Tax
	Discount
)

// Item is one normalised line item.
type Item struct {
	Kind      Kind
	Service   string // product code: AmazonS3, AmazonEC2, AWSDataTransfer…
	UsageType string // e.g. CAN1-DataTransfer-Out-Bytes
	Region    string // a Region's code; "" when no column names one (global)
	Month     string // YYYY-MM of the usage start
	Amount    float64
	Cost      float64
	Currency  string
	// Provider is who sold it, as a multi-cloud FOCUS file names it ("AWS",
	// "Microsoft", "Oracle"…); empty in a CUR, which is all AWS.
	Provider string
}

// Summary is a bill summed up.
type Summary struct {
	Format   string   `json:"format"` // cur2, cur-legacy, focus
	Files    []string `json:"files"`
	Lines    int64    `json:"lines"` // line items summed: AWS's, not OtherProviders'
	Currency string   `json:"currency"`
	Months   []Month  `json:"months"`
	// Services and Regions hold charges only (no credits, refunds, taxes).
	// Regions are named by code (us-east-1), whichever column of the line
	// item named the Region; "global" holds the lines none did.
	Services []Amount `json:"services"`
	Regions  []Amount `json:"regions"`
	// Egress lists the data-transfer-out-to-internet usage types.
	Egress  []Usage `json:"egress"`
	Charges float64 `json:"charges"`
	Credits float64 `json:"credits"` // negative, as billed
	Refunds float64 `json:"refunds"`
	Tax     float64 `json:"tax"`
	// Discounts are EDP, bundled and private-rate discounts (negative).
	Discounts float64 `json:"discounts"`
	Net       float64 `json:"net"`
	// OtherProviders are the providers other than AWS whose line items a
	// multi-cloud FOCUS file also holds (Microsoft, Oracle, Google…), with
	// how many were left out of every figure above; empty for a CUR.
	OtherProviders []ProviderLines `json:"other_providers,omitempty"`
}

// ProviderLines counts one provider's line items.
type ProviderLines struct {
	Provider string `json:"provider"`
	Lines    int64  `json:"lines"`
}

// Month is one month of the bill.
type Month struct {
	Month     string  `json:"month"`
	Charges   float64 `json:"charges"`
	Credits   float64 `json:"credits"`
	Refunds   float64 `json:"refunds"`
	Tax       float64 `json:"tax"`
	Discounts float64 `json:"discounts"`
	Net       float64 `json:"net"`
}

// Amount is a named sum.
type Amount struct {
	Name string  `json:"name"`
	Cost float64 `json:"cost"`
}

// Usage is a usage type's quantity and cost.
type Usage struct {
	UsageType string  `json:"usage_type"`
	GB        float64 `json:"gb"`
	Cost      float64 `json:"cost"`
}

// MonthlyCharges is the average of the months' charges: the running cost
// of the account before credits, refunds and taxes.
func (s *Summary) MonthlyCharges() float64 {
	if len(s.Months) == 0 {
		return 0
	}
	return s.Charges / float64(len(s.Months))
}

// EgressGB sums data transfer out to the internet.
func (s *Summary) EgressGB() float64 {
	t := 0.0
	for _, u := range s.Egress {
		t += u.GB
	}
	return t
}

// isEgress reports whether a usage type is data transfer out to the
// internet: DataTransfer-Out-Bytes with or without a region prefix
// (USE1-, CAN1-, EUC1-…); not inter-region (-AWS-Out-) or CloudFront.
func isEgress(usageType string) bool {
	_, rest, found := strings.Cut(usageType, "-DataTransfer-Out-Bytes")
	return usageType == "DataTransfer-Out-Bytes" || (found && rest == "")
}

// summer accumulates items.
type summer struct {
	s        Summary
	months   map[string]*Month
	services map[string]float64
	regions  map[string]float64
	egress   map[string]*Usage
	others   map[string]int64 // line items of other providers, by name
}

func newSummer() *summer {
	return &summer{months: map[string]*Month{}, services: map[string]float64{}, regions: map[string]float64{}, egress: map[string]*Usage{},
		others: map[string]int64{}}
}

// isAWS reports whether a FOCUS provider name is AWS: "AWS" as AWS's own
// FOCUS export and the FinOps Foundation's samples write it, or "Amazon Web
// Services…"; an empty one is a CUR's line item.
func isAWS(provider string) bool {
	p := strings.ToLower(provider)
	return p == "" || p == "aws" || p == "amazon" || strings.HasPrefix(p, "aws ") || strings.HasPrefix(p, "amazon web services")
}

func (m *summer) add(it Item) error {
	if !isAWS(it.Provider) {
		// Counted before the currency check: another cloud may bill in
		// another currency.
		m.others[it.Provider]++
		return nil
	}
	m.s.Lines++
	if it.Currency != "" {
		if m.s.Currency == "" {
			m.s.Currency = it.Currency
		} else if it.Currency != m.s.Currency {
			return fmt.Errorf("line items in two currencies (%s and %s); give one bill at a time", quoted(m.s.Currency), quoted(it.Currency))
		}
	}
	mo := m.months[it.Month]
	if mo == nil {
		mo = &Month{Month: it.Month}
		m.months[it.Month] = mo
	}
	switch it.Kind {
	case Credit:
		mo.Credits += it.Cost
	case Refund:
		mo.Refunds += it.Cost
	case Tax:
		mo.Tax += it.Cost
	case Discount:
		mo.Discounts += it.Cost
	default:
		mo.Charges += it.Cost
		m.services[it.Service] += it.Cost
		region := it.Region
		if region == "" {
			region = "global"
		}
		m.regions[region] += it.Cost
		if isEgress(it.UsageType) {
			u := m.egress[it.UsageType]
			if u == nil {
				u = &Usage{UsageType: it.UsageType}
				m.egress[it.UsageType] = u
			}
			u.GB += it.Amount
			u.Cost += it.Cost
		}
	}
	return nil
}

func (m *summer) done() *Summary {
	s := m.s
	for _, mo := range m.months {
		mo.Net = mo.Charges + mo.Credits + mo.Refunds + mo.Tax + mo.Discounts
		s.Months = append(s.Months, *mo)
		s.Charges += mo.Charges
		s.Credits += mo.Credits
		s.Refunds += mo.Refunds
		s.Tax += mo.Tax
		s.Discounts += mo.Discounts
	}
	s.Net = s.Charges + s.Credits + s.Refunds + s.Tax + s.Discounts
	slices.SortFunc(s.Months, func(a, b Month) int { return strings.Compare(a.Month, b.Month) })
	s.Services = sorted(m.services)
	s.Regions = sorted(m.regions)
	for _, u := range m.egress {
		s.Egress = append(s.Egress, *u)
	}
	slices.SortFunc(s.Egress, func(a, b Usage) int { return strings.Compare(a.UsageType, b.UsageType) })
	for p, n := range m.others {
		s.OtherProviders = append(s.OtherProviders, ProviderLines{Provider: p, Lines: n})
	}
	slices.SortFunc(s.OtherProviders, func(a, b ProviderLines) int { return strings.Compare(a.Provider, b.Provider) })
	if s.Currency == "" {
		s.Currency = "USD"
	}
	return &s
}

func sorted(m map[string]float64) []Amount {
	out := make([]Amount, 0, len(m))
	for k, v := range m {
		out = append(out, Amount{Name: k, Cost: v})
	}
	slices.SortFunc(out, func(a, b Amount) int {
		if a.Cost != b.Cost {
			if a.Cost > b.Cost {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// Read sums the bill at path: a file (.parquet, .csv, .csv.gz) or a
// directory (a Data Exports folder with its Manifest.json, or any folder of
// such files, read in name order). Its errors are *FileError.
func Read(path string) (*Summary, error) {
	files, err := billFiles(path)
	if err != nil {
		return nil, err
	}
	m := newSummer()
	format := ""
	for _, f := range files {
		got, err := readFile(f, m)
		if err != nil {
			return nil, err
		}
		if format != "" && got != format {
			name, err := filepath.Rel(path, f)
			if err != nil {
				name = f
			}
			return nil, fileError(path, "%s is a %s file, the others %s; give one export at a time", name, got, format)
		}
		format = got
	}
	s := m.done()
	s.Format, s.Files = format, files
	return s, nil
}

func billFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: osError(err)}
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	if b, err := os.ReadFile(filepath.Join(path, "Manifest.json")); err == nil {
		var man struct {
			DataFiles []string `json:"dataFiles"`
		}
		if err := json.Unmarshal(b, &man); err != nil {
			return nil, fileError(path, "Manifest.json is not a Data Exports manifest (%v); download the whole export folder again", err)
		}
		var files []string
		for _, f := range man.DataFiles {
			// The manifest names S3 URIs; the files sit beside it.
			local := filepath.Join(path, filepath.Base(f))
			if _, err := os.Stat(local); err != nil {
				return nil, fileError(path, "Manifest.json lists %s, not found beside it; download the whole export folder", filepath.Base(f))
			}
			files = append(files, local)
		}
		if len(files) > 0 {
			return files, nil
		}
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && billFile(p) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, &FileError{Path: path, Err: osError(err)}
	}
	if len(files) == 0 {
		return nil, fileError(path, "no .parquet, .csv or .csv.gz files in it; give the folder the export was downloaded to")
	}
	slices.Sort(files)
	return files, nil
}

func billFile(p string) bool {
	p = strings.ToLower(p)
	return strings.HasSuffix(p, ".parquet") || strings.HasSuffix(p, ".csv") || strings.HasSuffix(p, ".csv.gz")
}

// month returns YYYY-MM from a CUR date: 2026-10-01T00:00:00Z,
// 2026-10-01T00:00:00.000Z, or 2026-10-01 00:00:00.
func month(s string) string {
	if len(s) >= 7 && s[4] == '-' {
		return s[:7]
	}
	return ""
}

// kindOf classifies a CUR line item type or a FOCUS charge category.
func kindOf(t string) Kind {
	switch t {
	case "Credit":
		return Credit
	case "Refund", "Adjustment": // FOCUS has no refund category: adjustments
		return Refund
	case "Tax":
		return Tax
	case "BundledDiscount", "EdpDiscount", "PrivateRateDiscount", "DistributorDiscount", "Discount":
		return Discount
	}
	return Charge
}

// Package billtest writes Cost and Usage Report files — CUR 2.0 as Parquet
// and gzip CSV, legacy CUR as CSV and as Parquet, FOCUS CSV — from line
// items, for tests, benchmarks and the demo.
package billtest

import (
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Line is a line item in the terms every format shares.
type Line struct {
	Type      string // CUR line item type: Usage, Credit, Refund, Tax, SavingsPlanNegation…
	Product   string // AmazonS3, AmazonEC2, AWSDataTransfer…
	UsageType string
	Region    string
	Start     time.Time
	Amount    float64
	Cost      float64
}

// Sample is a realistic two-month bill of a university account, in USD:
// storage, requests, egress from two regions, compute under a savings plan,
// a database, taxes, a credit, a refund and an EDP discount. The sums the
// tests expect are worked out by hand beside each month.
func Sample() []Line {
	sep := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	oct := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var out []Line
	for _, m := range []time.Time{sep, oct} {
		out = append(out,
			Line{"Usage", "AmazonS3", "CAN1-TimedStorage-ByteHrs", "ca-central-1", m, 52000, 1196.00},
			Line{"Usage", "AmazonS3", "CAN1-Requests-Tier1", "ca-central-1", m, 1200000, 6.00},
			Line{"Usage", "AWSDataTransfer", "CAN1-DataTransfer-Out-Bytes", "ca-central-1", m, 1500, 126.00},
			Line{"Usage", "AWSDataTransfer", "DataTransfer-Out-Bytes", "us-east-1", m, 200, 9.00},
			Line{"Usage", "AWSDataTransfer", "CAN1-USE1-AWS-Out-Bytes", "ca-central-1", m, 300, 6.00},
			Line{"Usage", "AmazonEC2", "CAN1-BoxUsage:m5.large", "ca-central-1", m, 720, 76.32},
			Line{"SavingsPlanCoveredUsage", "AmazonEC2", "CAN1-BoxUsage:r5.xlarge", "ca-central-1", m, 720, 198.72},
			Line{"SavingsPlanNegation", "AmazonEC2", "CAN1-BoxUsage:r5.xlarge", "ca-central-1", m, 720, -198.72},
			Line{"SavingsPlanRecurringFee", "ComputeSavingsPlans", "ComputeSP:1yrNoUpfront", "", m, 720, 120.00},
			Line{"Usage", "AmazonRDS", "CAN1-Multi-AZUsage:db.m5.large", "ca-central-1", m, 720, 288.00},
			Line{"Tax", "AmazonS3", "", "", m, 1, 150.00},
			Line{"Credit", "AmazonEC2", "", "", m, 0, -250.00},
			Line{"EdpDiscount", "AmazonS3", "", "", m, 0, -40.00},
		)
	}
	out = append(out, Line{"Refund", "AmazonS3", "CAN1-TimedStorage-ByteHrs", "ca-central-1", oct, 0, -35.00})
	// Per month: charges 1196+6+126+9+6+76.32+198.72-198.72+120+288 = 1827.32;
	// tax 150, credits -250, discounts -40; October also refunds -35.
	return out
}

var cur2Header = []string{"identity_line_item_id", "bill_billing_period_start_date", "bill_payer_account_name", "line_item_usage_account_name",
	"line_item_line_item_type", "line_item_product_code", "line_item_usage_type", "line_item_usage_start_date", "line_item_usage_amount",
	"line_item_unblended_cost", "line_item_currency_code", "product", "product_region_code"}

var legacyHeader = []string{"identity/LineItemId", "bill/BillingPeriodStartDate", "lineItem/LineItemType", "lineItem/ProductCode",
	"lineItem/UsageType", "lineItem/UsageStartDate", "lineItem/UsageAmount", "lineItem/UnblendedCost", "lineItem/CurrencyCode", "product/region"}

var focusHeader = []string{"BillingPeriodStart", "ChargeCategory", "ServiceName", "x_UsageType", "ChargePeriodStart", "ConsumedQuantity", "BilledCost", "BillingCurrency", "RegionId"}

func period(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC) }

func curRecord(i int, l Line) []string {
	return []string{fmt.Sprintf("li-%08d", i), period(l.Start).Format(time.RFC3339), l.Type, l.Product, l.UsageType, l.Start.Format(time.RFC3339),
		strconv.FormatFloat(l.Amount, 'f', -1, 64), strconv.FormatFloat(l.Cost, 'f', -1, 64), "USD", l.Region}
}

// cur2Record is curRecord with CUR 2.0's own columns: the account names and
// the product map, which CUR 2.0's CSV writes as JSON.
func cur2Record(i int, l Line) []string {
	r := curRecord(i, l)
	product := "{}"
	if l.Region != "" {
		product = fmt.Sprintf(`{"region":%q}`, l.Region)
	}
	return append(append(append(r[:2:2], payerName, usageAccountName), r[2:9]...), product, r[9])
}

const payerName, usageAccountName = "University Payer", "research"

func focusRecord(l Line) []string {
	cat := map[string]string{"Tax": "Tax", "Credit": "Credit", "Refund": "Adjustment", "EdpDiscount": "Adjustment", "SavingsPlanRecurringFee": "Purchase"}[l.Type]
	if cat == "" {
		cat = "Usage"
	}
	return []string{period(l.Start).Format(time.RFC3339), cat, l.Product, l.UsageType, l.Start.Format(time.RFC3339),
		strconv.FormatFloat(l.Amount, 'f', -1, 64), strconv.FormatFloat(l.Cost, 'f', -1, 64), "USD", l.Region}
}

// Format is a file format WriteFile can write.
type Format string

const (
	CUR2Parquet Format = "cur2-parquet"
	CUR2CSVGzip Format = "cur2-csv-gz"
	LegacyCSV   Format = "legacy-csv"
	// LegacyParquet is a legacy CUR delivered as Parquet, its columns named
	// as Athena reads them: lineItem/UsageType becomes line_item_usage_type.
	LegacyParquet Format = "legacy-parquet"
	FocusCSV      Format = "focus-csv"
)

// WriteFile writes lines to path in format f.
func WriteFile(path string, f Format, lines []Line) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(out, f, func(yield func(Line) bool) {
		for _, l := range lines {
			if !yield(l) {
				return
			}
		}
	}); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// cur2Row is a CUR 2.0 Parquet row: the columns sortie reads, with AWS's
// names and types (timestamps in milliseconds).
type cur2Row struct {
	ID               string            `parquet:"identity_line_item_id"`
	Period           time.Time         `parquet:"bill_billing_period_start_date,timestamp(millisecond)"`
	PayerName        string            `parquet:"bill_payer_account_name"`
	UsageAccountName string            `parquet:"line_item_usage_account_name"`
	Product          map[string]string `parquet:"product"`
	Type             string            `parquet:"line_item_line_item_type"`
	ProductCode      string            `parquet:"line_item_product_code"`
	UsageType        string            `parquet:"line_item_usage_type,optional"`
	Start            time.Time         `parquet:"line_item_usage_start_date,timestamp(millisecond)"`
	Amount           float64           `parquet:"line_item_usage_amount"`
	Cost             float64           `parquet:"line_item_unblended_cost"`
	Currency         string            `parquet:"line_item_currency_code"`
	Region           string            `parquet:"product_region_code,optional"`
}

// legacyRow is a legacy CUR Parquet row: legacy columns under the names
// Athena gives them (product/region is product_region, product/ProductName
// product_product_name, a user tag resource_tags_user_project).
type legacyRow struct {
	ID          string    `parquet:"identity_line_item_id"`
	Interval    string    `parquet:"identity_time_interval"`
	Period      time.Time `parquet:"bill_billing_period_start_date,timestamp(millisecond)"`
	Account     string    `parquet:"line_item_usage_account_id"`
	Type        string    `parquet:"line_item_line_item_type"`
	Start       time.Time `parquet:"line_item_usage_start_date,timestamp(millisecond)"`
	Product     string    `parquet:"line_item_product_code"`
	UsageType   string    `parquet:"line_item_usage_type,optional"`
	Amount      float64   `parquet:"line_item_usage_amount"`
	Currency    string    `parquet:"line_item_currency_code"`
	Cost        float64   `parquet:"line_item_unblended_cost"`
	ProductName string    `parquet:"product_product_name,optional"`
	Region      string    `parquet:"product_region,optional"`
	Project     string    `parquet:"resource_tags_user_project,optional"`
}

// writeParquet streams rows made by row from lines to w.
func writeParquet[T any](w io.Writer, lines func(func(Line) bool), row func(i int, l Line) T) error {
	pw := parquet.NewGenericWriter[T](w, parquet.PageBufferSize(1<<20))
	i := 0
	var err error
	batch := make([]T, 0, 1024)
	flush := func() {
		if err == nil && len(batch) > 0 {
			_, err = pw.Write(batch)
			batch = batch[:0]
		}
	}
	lines(func(l Line) bool {
		i++
		batch = append(batch, row(i, l))
		if len(batch) == cap(batch) {
			flush()
		}
		return err == nil
	})
	flush()
	if err != nil {
		return err
	}
	return pw.Close()
}

// Write streams lines (possibly generated, for a large file) to w.
func Write(w io.Writer, f Format, lines func(func(Line) bool)) error {
	switch f {
	case CUR2Parquet:
		return writeParquet(w, lines, func(i int, l Line) cur2Row {
			product := map[string]string{}
			if l.Region != "" {
				product["region"] = l.Region
			}
			return cur2Row{ID: fmt.Sprintf("li-%08d", i), Period: period(l.Start), PayerName: payerName, UsageAccountName: usageAccountName,
				Product: product, Type: l.Type, ProductCode: l.Product, UsageType: l.UsageType, Start: l.Start, Amount: l.Amount, Cost: l.Cost,
				Currency: "USD", Region: l.Region}
		})
	case LegacyParquet:
		return writeParquet(w, lines, func(i int, l Line) legacyRow {
			p := period(l.Start)
			return legacyRow{ID: fmt.Sprintf("li-%08d", i), Interval: p.Format(time.RFC3339) + "/" + p.AddDate(0, 1, 0).Format(time.RFC3339),
				Period: p, Account: "210987654321", Type: l.Type, Start: l.Start, Product: l.Product, UsageType: l.UsageType, Amount: l.Amount,
				Currency: "USD", Cost: l.Cost, ProductName: l.Product, Region: l.Region, Project: "archive"}
		})
	case CUR2CSVGzip, LegacyCSV, FocusCSV:
		var gz *gzip.Writer
		if f == CUR2CSVGzip {
			gz = gzip.NewWriter(w)
			w = gz
		}
		c := csv.NewWriter(w)
		header := map[Format][]string{CUR2CSVGzip: cur2Header, LegacyCSV: legacyHeader, FocusCSV: focusHeader}[f]
		c.Write(header)
		i := 0
		lines(func(l Line) bool {
			i++
			switch f {
			case FocusCSV:
				c.Write(focusRecord(l))
			case CUR2CSVGzip:
				c.Write(cur2Record(i, l))
			default:
				c.Write(curRecord(i, l))
			}
			return true
		})
		c.Flush()
		if err := c.Error(); err != nil {
			return err
		}
		if gz != nil {
			return gz.Close()
		}
		return nil
	}
	return fmt.Errorf("unknown format %q", f)
}

package bill_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"

	"github.com/sortie-dev/sortie/internal/bill"
	"github.com/sortie-dev/sortie/internal/bill/billtest"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// The sample bill, in each format, sums to the figures worked out by hand
// in billtest.Sample.
func TestFormatsSumTheSame(t *testing.T) {
	for _, f := range []struct {
		format billtest.Format
		file   string
		want   string
	}{
		{billtest.CUR2Parquet, "part-00000.snappy.parquet", "cur2"},
		{billtest.CUR2CSVGzip, "part-00000.csv.gz", "cur2"},
		{billtest.LegacyCSV, "legacy-cur-00001.csv", "cur-legacy"},
		// A legacy CUR delivered as Parquet has CUR 2.0's style of column
		// names (line_item_usage_type) but is no CUR 2.0: product_region,
		// product_product_name and resource_tags_user_… give it away.
		{billtest.LegacyParquet, "legacy-cur-00001.snappy.parquet", "cur-legacy-parquet"},
		{billtest.FocusCSV, "focus-00001.csv", "focus"},
	} {
		t.Run(string(f.format), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), f.file)
			if err := billtest.WriteFile(path, f.format, billtest.Sample()); err != nil {
				t.Fatal(err)
			}
			s, err := bill.Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if s.Format != f.want || s.Lines != 27 || s.Currency != "USD" {
				t.Errorf("format %s, %d lines, %s", s.Format, s.Lines, s.Currency)
			}
			const charges = 1827.32 // per month, see billtest.Sample
			if len(s.Months) != 2 || s.Months[0].Month != "2026-09" || !near(s.Months[0].Charges, charges) || !near(s.Months[1].Charges, charges) {
				t.Fatalf("months = %+v", s.Months)
			}
			if !near(s.Tax, 300) || !near(s.Charges, 2*charges) {
				t.Errorf("tax %.2f charges %.2f", s.Tax, s.Charges)
			}
			if f.format == billtest.FocusCSV {
				// FOCUS files refunds and discounts alike as adjustments.
				if !near(s.Credits, -500) || !near(s.Refunds+s.Discounts, -115) {
					t.Errorf("credits %.2f adjustments %.2f", s.Credits, s.Refunds+s.Discounts)
				}
			} else if !near(s.Credits, -500) || !near(s.Refunds, -35) || !near(s.Discounts, -80) {
				t.Errorf("credits %.2f refunds %.2f discounts %.2f", s.Credits, s.Refunds, s.Discounts)
			}
			if !near(s.Net, 2*charges+300-500-35-80) || !near(s.Months[1].Net, charges+150-250-35-40) {
				t.Errorf("net %.2f, October %.2f", s.Net, s.Months[1].Net)
			}
			if !near(s.MonthlyCharges(), charges) {
				t.Errorf("monthly charges %.2f", s.MonthlyCharges())
			}
			// Internet egress only: not the inter-region CAN1-USE1-AWS-Out-Bytes.
			if len(s.Egress) != 2 || !near(s.EgressGB(), 3400) || s.Egress[0].UsageType != "CAN1-DataTransfer-Out-Bytes" || !near(s.Egress[0].Cost, 252) {
				t.Errorf("egress = %+v", s.Egress)
			}
			if s.Services[0].Name != "AmazonS3" || !near(s.Services[0].Cost, 2*1202) {
				t.Errorf("services = %+v", s.Services)
			}
		})
	}
}

// A Data Exports folder is read through its manifest.
func TestManifest(t *testing.T) {
	dir := t.TempDir()
	lines := billtest.Sample()
	if err := billtest.WriteFile(filepath.Join(dir, "uni-cur-00001.snappy.parquet"), billtest.CUR2Parquet, lines[:13]); err != nil {
		t.Fatal(err)
	}
	if err := billtest.WriteFile(filepath.Join(dir, "uni-cur-00002.snappy.parquet"), billtest.CUR2Parquet, lines[13:]); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "Manifest.json"), []byte(`{"dataFiles":["s3://bills/uni/data/BILLING_PERIOD=2026-10/uni-cur-00001.snappy.parquet","s3://bills/uni/data/BILLING_PERIOD=2026-10/uni-cur-00002.snappy.parquet"]}`), 0o644)
	s, err := bill.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Files) != 2 || s.Lines != 27 || !near(s.Charges, 2*1827.32) {
		t.Errorf("files %v lines %d charges %.2f", s.Files, s.Lines, s.Charges)
	}
	os.WriteFile(filepath.Join(dir, "Manifest.json"), []byte(`{"dataFiles":["s3://bills/uni/data/missing.parquet"]}`), 0o644)
	if _, err := bill.Read(dir); err == nil || !strings.Contains(err.Error(), "missing.parquet") {
		t.Errorf("missing data file: %v", err)
	}
}

func TestBadBills(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	if err := billtest.WriteFile(good, billtest.CUR2Parquet, billtest.Sample()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	truncated := filepath.Join(dir, "truncated.parquet")
	os.WriteFile(truncated, b[:len(b)/2], 0o644)
	gzGood := filepath.Join(dir, "good.csv.gz")
	billtest.WriteFile(gzGood, billtest.CUR2CSVGzip, billtest.Sample())
	gb, _ := os.ReadFile(gzGood)
	gzCut := filepath.Join(dir, "cut.csv.gz")
	os.WriteFile(gzCut, gb[:len(gb)-20], 0o644)
	wrong := filepath.Join(dir, "wrong.csv")
	os.WriteFile(wrong, []byte("date,amount,what\n2026-10-01,12,coffee\n"), 0o644)
	badNumber := filepath.Join(dir, "badnum.csv")
	os.WriteFile(badNumber, []byte("lineItem/LineItemType,lineItem/ProductCode,lineItem/UsageStartDate,lineItem/UnblendedCost\nUsage,AmazonS3,2026-10-01T00:00:00Z,twelve\n"), 0o644)
	notGzip := filepath.Join(dir, "plain.csv.gz")
	os.WriteFile(notGzip, []byte("not gzip"), 0o644)
	for _, c := range []struct{ path, want string }{
		{truncated, "truncated"},
		{gzCut, "truncated or damaged"},
		{wrong, "unexpected columns (date, amount, what"},
		{badNumber, `line 2: cost "twelve" is not a number`},
		{notGzip, "not a gzip file"},
		{filepath.Join(dir, "nothing-here.csv"), "no such file"},
	} {
		_, err := bill.Read(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), filepath.Base(c.path)) {
			t.Errorf("%s: err = %v, want it to name the file and say %q", filepath.Base(c.path), err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error spans lines: %q", filepath.Base(c.path), err)
		}
	}
}

// amounts turns a summary's named sums into a map, rounded to the cent.
func amounts(as []bill.Amount) map[string]float64 {
	m := map[string]float64{}
	for _, a := range as {
		m[a.Name] = math.Round(a.Cost*100) / 100
	}
	return m
}

// A FOCUS 1.2 file in the shape of the FinOps Foundation's sample data:
// quoted strings, empty fields written as a bare NULL, and AWS, Microsoft,
// Oracle and Google rows in one file. Only the AWS rows are AWS spend; the
// others are counted by provider so that the report can say they were left
// out, and the Microsoft rows' euros do not trip the one-currency check.
func TestFocusMultiCloud(t *testing.T) {
	s, err := bill.Read(filepath.Join("testdata", "focus-1.2-multicloud.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != "focus" || s.Lines != 6 || s.Currency != "USD" {
		t.Errorf("format %s, %d lines, %s; want focus, 6 lines, USD", s.Format, s.Lines, s.Currency)
	}
	if !near(s.Charges, 574.92) || !near(s.Tax, 50) || !near(s.Credits, -30) || !near(s.Net, 594.92) {
		t.Errorf("charges %.2f tax %.2f credits %.2f net %.2f; want 574.92, 50, -30, 594.92", s.Charges, s.Tax, s.Credits, s.Net)
	}
	want := []bill.ProviderLines{{Provider: "Google", Lines: 1}, {Provider: "Microsoft", Lines: 3}, {Provider: "Oracle", Lines: 2}}
	if !slices.Equal(s.OtherProviders, want) {
		t.Errorf("other providers %+v, want %+v", s.OtherProviders, want)
	}
	regions := amounts(s.Regions)
	if len(regions) != 3 || regions["eu-west-1"] != 483.92 || regions["us-east-1"] != 18 || regions["global"] != 73 {
		t.Errorf("regions %v, want eu-west-1 483.92, us-east-1 18, global 73 (no NULL, no Azure region)", regions)
	}
	b, _ := json.Marshal(s)
	if !strings.Contains(string(b), `"other_providers":[{"provider":"Google","lines":1},`) {
		t.Errorf("JSON %s has no other_providers", b)
	}
}

// A legacy CUR with AWS's documented product/ columns. Inter-region and
// internet transfer lines leave product/regionCode empty and name their
// region in product/region (a code, or in older reports a name such as
// "EU (Ireland)"), product/fromRegionCode, or product/location; only lines
// that no column places in a region — CloudFront's edge locations — are
// global.
func TestLegacyRegions(t *testing.T) {
	s, err := bill.Read(filepath.Join("testdata", "legacy-cur-regions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != "cur-legacy" || s.Lines != 7 || !near(s.Charges, 123.62) || !near(s.Tax, 6.91) {
		t.Errorf("format %s, %d lines, charges %.2f, tax %.2f; want cur-legacy, 7, 123.62, 6.91", s.Format, s.Lines, s.Charges, s.Tax)
	}
	got := amounts(s.Regions)
	want := map[string]float64{"us-east-1": 89.12, "eu-west-1": 12, "us-west-2": 9, "sa-east-1": 5, "global": 8.5}
	if !maps.Equal(got, want) {
		t.Errorf("regions %v, want %v", got, want)
	}
}

// Region names as AWS has written them over the years map to their codes;
// codes, and names that are no region, pass or fall through.
func TestRegionNames(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"us-east-1", "us-east-1"},
		{"US East (N. Virginia)", "us-east-1"},
		{"US WEST (Oregon)", "us-west-2"},
		{"EU (Frankfurt)", "eu-central-1"},
		{"Europe (Frankfurt)", "eu-central-1"},
		{"South America (São Paulo)", "sa-east-1"},
		{"South America (Sao Paulo)", "sa-east-1"},
		{"Asia Pacific (Osaka-Local)", "ap-northeast-3"},
		{"AWS GovCloud (US)", "us-gov-west-1"},
		{"AWS GovCloud (US-East)", "us-gov-east-1"},
		{"Canada West (Calgary)", "ca-west-1"},
		{"us-east-1-bos-1", "us-east-1-bos-1"},
		{"Europe", ""},
		{"External", ""},
		{"Global", ""},
		{"", ""},
	} {
		if got := bill.RegionCode(c.in); got != c.want {
			t.Errorf("RegionCode(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// An error about a file's content is one line of at most a few hundred
// printable characters that names the file and says what to do, however
// long or binary the content it quotes: a Hive text export's header is one
// \x01-separated field of kilobytes.
func TestContentErrorsAreOneShortLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var cols []string
	for i := range 200 {
		cols = append(cols, fmt.Sprintf("line_item_column_%03d", i))
	}
	hive := write("hive-000000_0.csv", []byte(strings.Join(cols, "\x01")+"\n"+strings.Repeat("x\x01", 200)+"\n"))
	legacy := "lineItem/LineItemType,lineItem/ProductCode,lineItem/UsageStartDate,lineItem/UnblendedCost,lineItem/CurrencyCode\n"
	longCost := write("long-cost.csv", []byte(legacy+"Usage,AmazonS3,2026-10-01T00:00:00Z,\"1\x1b[31m"+strings.Repeat("9", 5000)+"\n\",USD\n"))
	badDate := write("bad-date.csv", []byte(legacy+"Usage,AmazonS3,\x00\x01"+strings.Repeat("z", 3000)+",1,USD\n"))
	currencies := write("currencies.csv", []byte(legacy+"Usage,AmazonS3,2026-10-01T00:00:00Z,1,USD\nUsage,AmazonS3,2026-10-01T00:00:00Z,1,\"EUR\r\n"+strings.Repeat("\x07", 900)+"\"\n"))
	zipped := write("legacy-cur-00001.csv", append([]byte("PK\x03\x04\x14\x00\x08\x00"), bytes.Repeat([]byte{0, 0xff, 0x1b, '\n'}, 1000)...))
	binary := write("export.csv", bytes.Repeat([]byte{0x89, 0, 0x1f, 0xfe, 0x01}, 1000))
	type other struct {
		A, B, C, D, E string
		Note          string `parquet:"note\x01with\x02controls"`
	}
	otherParquet := filepath.Join(dir, "other.parquet")
	f, _ := os.Create(otherParquet)
	pw := parquet.NewGenericWriter[other](f)
	pw.Write([]other{{A: "a"}})
	pw.Close()
	f.Close()
	manifest := filepath.Join(dir, "export")
	os.Mkdir(manifest, 0o755)
	write(filepath.Join("export", "Manifest.json"), []byte("\x00\x01{"+strings.Repeat("\x1b", 2000)))

	for _, c := range []struct {
		path, want string
		is         error
	}{
		{hive, `separated by "\x01", not commas`, bill.ErrUnknownFormat},
		{longCost, "is not a number", nil},
		{badDate, "is not a date", nil},
		{currencies, "two currencies", nil},
		{zipped, "unzip it", nil},
		{binary, "not a CUR 2.0, legacy CUR or FOCUS file", bill.ErrUnknownFormat},
		{otherParquet, "not a CUR 2.0, legacy CUR or FOCUS file", bill.ErrUnknownFormat},
		{manifest, "not a Data Exports manifest", nil},
	} {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			_, err := bill.Read(c.path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, filepath.Base(c.path)) || !strings.Contains(msg, c.want) {
				t.Errorf("error %q does not name the file and say %q", msg, c.want)
			}
			if n := utf8.RuneCountInString(msg); n > 400 {
				t.Errorf("error is %d characters, want at most 400: %q", n, msg)
			}
			for _, r := range msg {
				if !unicode.IsPrint(r) {
					t.Errorf("error holds %U: %q", r, msg)
					break
				}
			}
			var fe *bill.FileError
			if !errors.As(err, &fe) {
				t.Errorf("error %q is no *bill.FileError", msg)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %q is not %v", msg, c.is)
			}
			// Cutting the quoted content short keeps what to do.
			if c.is == bill.ErrUnknownFormat && !strings.HasSuffix(msg, "; export the report as CSV or Parquet") {
				t.Errorf("error %q lost what to do", msg)
			}
		})
	}
}

// A file is read for what its first bytes say it is: a gzip CSV or a
// Parquet file saved under a plain .csv name is still read.
func TestEncodingByContent(t *testing.T) {
	for _, f := range []billtest.Format{billtest.CUR2CSVGzip, billtest.CUR2Parquet} {
		path := filepath.Join(t.TempDir(), "bill.csv")
		if err := billtest.WriteFile(path, f, billtest.Sample()); err != nil {
			t.Fatal(err)
		}
		s, err := bill.Read(path)
		if err != nil || s.Lines != 27 {
			t.Errorf("%s as bill.csv: %v", f, err)
		}
	}
}

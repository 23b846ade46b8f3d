package bill

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// layout names the columns a format's line items are read from; the first
// four are required.
type layout struct {
	format                      string
	kind, service, start, cost  string
	usageType, amount, currency string
	// regions are read in order, the first that names a Region (RegionCode)
	// giving the line item's: transfer lines leave the region code empty
	// and name theirs in another column, the source region's first.
	regions []string
	// providers name who sold the line item, in a file that may hold other
	// clouds' too (FOCUS); the first present is used.
	providers []string
}

var layouts = []layout{
	{format: "cur2", kind: "line_item_line_item_type", service: "line_item_product_code", start: "line_item_usage_start_date", cost: "line_item_unblended_cost",
		usageType: "line_item_usage_type", amount: "line_item_usage_amount", currency: "line_item_currency_code", regions: []string{"product_region_code", "product_region", "product_from_region_code", "product_location", "product_from_location"}},
	{format: "cur-legacy", kind: "lineItem/LineItemType", service: "lineItem/ProductCode", start: "lineItem/UsageStartDate", cost: "lineItem/UnblendedCost",
		usageType: "lineItem/UsageType", amount: "lineItem/UsageAmount", currency: "lineItem/CurrencyCode", regions: []string{"product/regionCode", "product/region", "product/fromRegionCode", "product/location", "product/fromLocation"}},
	{format: "focus", kind: "ChargeCategory", service: "ServiceName", start: "ChargePeriodStart", cost: "BilledCost",
		usageType: "x_UsageType", amount: "ConsumedQuantity", currency: "BillingCurrency", regions: []string{"RegionId", "Region", "RegionName"},
		// FOCUS 1.3 deprecated ProviderName for ServiceProviderName.
		providers: []string{"ProviderName", "ServiceProviderName"}},
}

// index maps a layout onto a header: the position of each column, -1 when
// an optional one is absent.
type index struct {
	format                                                            string
	kind, service, start, cost, usageType, amount, currency, provider int
	regions                                                           []int
}

// match maps header onto the first layout whose cost column it has. A
// header read from Parquet (inParquet) may be a legacy CUR's under the
// names Athena gives its columns, which are CUR 2.0's style.
func match(header []string, inParquet bool) (index, error) {
	pos := map[string]int{}
	for i, h := range header {
		pos[strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")] = i
	}
	get := func(name string) int {
		if i, ok := pos[name]; ok {
			return i
		}
		return -1
	}
	for _, l := range layouts {
		if get(l.cost) < 0 {
			continue
		}
		ix := index{format: l.format, kind: get(l.kind), service: get(l.service), start: get(l.start), cost: get(l.cost),
			usageType: get(l.usageType), amount: get(l.amount), currency: get(l.currency), provider: -1}
		for _, r := range l.regions {
			if i := get(r); i >= 0 {
				ix.regions = append(ix.regions, i)
			}
		}
		for _, p := range l.providers {
			if i := get(p); i >= 0 {
				ix.provider = i
				break
			}
		}
		if l.format == "cur2" && legacyAthena(pos) {
			ix.format = "cur-legacy"
			if inParquet {
				ix.format = "cur-legacy-parquet"
			}
		}
		var missing []string
		for name, i := range map[string]int{l.kind: ix.kind, l.service: ix.service, l.start: ix.start} {
			if i < 0 {
				missing = append(missing, name)
			}
		}
		slices.Sort(missing)
		if len(missing) > 0 {
			return index{}, fmt.Errorf("a %s header without the column(s) %s; export the whole report, not a selection of its columns", ix.format, strings.Join(missing, ", "))
		}
		return ix, nil
	}
	return index{}, fmt.Errorf("unexpected columns (%s)%s: %w (it has no line_item_unblended_cost, lineItem/UnblendedCost or BilledCost column); export the report as CSV or Parquet",
		columns(header), why(header), ErrUnknownFormat)
}

// columns shows the first columns of a header that is no bill's.
func columns(header []string) string {
	shown := header
	if len(shown) > 4 {
		shown = shown[:4]
	}
	s := printable(strings.Join(shown, ", "), 50)
	if len(header) > len(shown) && !strings.HasSuffix(s, "…") {
		s += "…"
	}
	return s
}

// why tells, when it can, why a header is no bill's: a file that is text
// but not comma-separated (Hive's \x01, tabs, semicolons) reads as one
// column; a binary one has bytes no text has.
func why(header []string) string {
	first := strings.Join(header, ",")
	if !utf8.ValidString(first) || strings.ContainsRune(first, 0) {
		return ", not text"
	}
	if len(header) == 1 {
		for _, sep := range []string{"\x01", "\t", ";", "|"} {
			if strings.Contains(first, sep) {
				return fmt.Sprintf(", separated by %s, not commas", strconv.Quote(sep))
			}
		}
	}
	return ""
}

// legacyAthena reports whether a header with CUR 2.0's style of names is a
// legacy CUR's, as Parquet delivers it: it has a column that CUR 2.0 keeps
// in its product or resource_tags map instead (product_region,
// product_product_name, a tag such as resource_tags_user_project) and none
// of the columns CUR 2.0 alone has.
func legacyAthena(pos map[string]int) bool {
	legacy := false
	for name := range pos {
		// CUR 2.0's maps are one column in CSV, key_value leaves in Parquet.
		top, _, _ := strings.Cut(name, ".")
		switch {
		case top == "product" || top == "resource_tags" || top == "cost_category" || top == "discount",
			name == "bill_payer_account_name" || name == "line_item_usage_account_name":
			return false
		case name == "product_region" || name == "product_product_name" || strings.HasPrefix(name, "resource_tags_"):
			legacy = true
		}
	}
	return legacy
}

// item builds a line item from string fields.
func (ix index) item(raw func(int) string) (Item, error) {
	field := func(i int) string { return value(raw(i)) }
	num := func(i int, name string) (float64, error) {
		s := field(i)
		if s == "" {
			return 0, nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("%s %s is not a number", name, quoted(s))
		}
		return v, nil
	}
	cost, err := num(ix.cost, "cost")
	if err != nil {
		return Item{}, err
	}
	amount, err := num(ix.amount, "usage amount")
	if err != nil {
		return Item{}, err
	}
	it := Item{Kind: kindOf(field(ix.kind)), Service: field(ix.service), UsageType: field(ix.usageType), Region: ix.region(field),
		Month: month(field(ix.start)), Amount: amount, Cost: cost, Currency: field(ix.currency), Provider: field(ix.provider)}
	if it.Month == "" {
		return Item{}, fmt.Errorf("usage start %s is not a date", quoted(field(ix.start)))
	}
	return it, nil
}

// value is a field as read: exports written through a database (the FinOps
// Foundation's FOCUS samples among them) spell an empty field NULL.
func value(s string) string {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "null") {
		return ""
	}
	return s
}

// region is the first of the line item's region columns that names a
// Region, as its code; "" (summed as global) when none does.
func (ix index) region(field func(int) string) string {
	for _, i := range ix.regions {
		if r := RegionCode(field(i)); r != "" {
			return r
		}
	}
	return ""
}

// readFile adds the line items of the file at path to m and returns its
// format. What the file is comes from its first bytes rather than its name
// where they tell: Parquet, gzip, or a ZIP archive (legacy CUR's other
// compression, which this package does not open).
func readFile(path string, m *summer) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", &FileError{Path: path, Err: osError(err)}
	}
	defer f.Close()
	magic := make([]byte, 4)
	n, _ := f.ReadAt(magic, 0)
	magic = magic[:n]
	name := strings.ToLower(path)
	switch {
	case string(magic) == "PAR1" || strings.HasSuffix(name, ".parquet"):
		return readParquet(path, f, m)
	case string(magic) == "PK\x03\x04":
		return "", fileError(path, "a ZIP archive, not CSV or Parquet; unzip it and give the .csv inside")
	}
	var r io.Reader = f
	if bytes.HasPrefix(magic, []byte{0x1f, 0x8b}) || strings.HasSuffix(name, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return "", fileError(path, "not a gzip file (%v); download it again, or give it without .gz if it is plain CSV", err)
		}
		defer gz.Close()
		r = gz
	}
	return readCSV(path, r, m)
}

func readCSV(path string, r io.Reader, m *summer) (string, error) {
	c := csv.NewReader(r)
	c.ReuseRecord = true
	header, err := c.Read()
	switch {
	case err == io.EOF:
		return "", fileError(path, "the file is empty; download it again")
	case isDamaged(err):
		return "", &FileError{Path: path, Err: damaged(err)}
	case err != nil:
		return "", fileError(path, "%w: its first line is no CSV header (%v); export the report as CSV or Parquet", ErrUnknownFormat, err)
	}
	ix, err := match(header, false)
	if err != nil {
		return "", &FileError{Path: path, Err: err}
	}
	for {
		rec, err := c.Read()
		if err == io.EOF {
			return ix.format, nil
		}
		if err != nil {
			return "", &FileError{Path: path, Err: damaged(err)}
		}
		it, err := ix.item(func(i int) string {
			if i < 0 || i >= len(rec) {
				return ""
			}
			return rec[i]
		})
		if err == nil {
			err = m.add(it)
		}
		if err != nil {
			line, _ := c.FieldPos(0)
			return "", &FileError{Path: path, Line: int64(line), Err: err}
		}
	}
}

func isDamaged(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader)
}

// damaged says what to do about a read error that a download may cure.
func damaged(err error) error {
	if isDamaged(err) {
		return fmt.Errorf("the file is %w (%v); download it again", ErrDamaged, err)
	}
	return err
}

// readParquet reads row groups a batch of rows at a time; only the batch is
// in memory.
func readParquet(path string, f *os.File, m *summer) (string, error) {
	st, err := f.Stat()
	if err != nil {
		return "", &FileError{Path: path, Err: osError(err)}
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return "", fileError(path, "not a readable Parquet file (%v): it may be %w — download it again", err, ErrDamaged)
	}
	cols := pf.Schema().Columns()
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = strings.Join(c, ".")
	}
	ix, err := match(header, true)
	if err != nil {
		return "", &FileError{Path: path, Err: err}
	}
	// Timestamps are stored as integers; their unit is in the schema.
	units := make([]time.Duration, len(cols))
	for i, c := range cols {
		leaf, ok := pf.Schema().Lookup(c...)
		if !ok {
			continue
		}
		if lt := leaf.Node.Type().LogicalType(); lt != nil {
			if ts, ok := lt.Value.(*format.TimestampType); ok && ts.Unit.Value != nil {
				units[i] = ts.Unit.Value.Duration()
			}
		}
	}
	rows := make([]parquet.Row, 512)
	fields := make([]string, len(cols))
	for _, rg := range pf.RowGroups() {
		if err := readRowGroup(rg, rows, fields, units, ix, m); err != nil {
			return "", &FileError{Path: path, Err: err}
		}
	}
	return ix.format, nil
}

// readRowGroup adds a row group's line items to m, a batch of rows at a time.
func readRowGroup(rg parquet.RowGroup, rows []parquet.Row, fields []string, units []time.Duration, ix index, m *summer) error {
	rr := rg.Rows()
	defer rr.Close()
	for {
		n, err := rr.ReadRows(rows)
		for _, row := range rows[:n] {
			clear(fields)
			for _, v := range row {
				c := v.Column()
				if c < 0 || c >= len(fields) || v.IsNull() {
					continue
				}
				fields[c] = valueString(v, units[c])
			}
			it, err := ix.item(func(i int) string {
				if i < 0 {
					return ""
				}
				return fields[i]
			})
			if err != nil {
				return err
			}
			if err := m.add(it); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return damaged(err)
		}
	}
}

func valueString(v parquet.Value, unit time.Duration) string {
	switch v.Kind() {
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return string(v.ByteArray())
	case parquet.Double:
		return strconv.FormatFloat(v.Double(), 'g', -1, 64)
	case parquet.Float:
		return strconv.FormatFloat(float64(v.Float()), 'g', -1, 32)
	case parquet.Int64:
		if unit > 0 {
			return time.Unix(0, v.Int64()*int64(unit)).UTC().Format(time.RFC3339)
		}
		return strconv.FormatInt(v.Int64(), 10)
	case parquet.Int32:
		return strconv.FormatInt(int64(v.Int32()), 10)
	}
	return v.String()
}

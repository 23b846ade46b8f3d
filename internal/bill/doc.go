// Package bill reads AWS bills one line item at a time, so files of
// gigabytes are summed in bounded memory, into a Summary: charges by month,
// service and Region, kept apart from credits, refunds, taxes and
// discounts, and the data transfer out to the internet.
//
// It tells the formats apart by their columns (and a file's encoding,
// Parquet or gzip, by its first bytes rather than its name), and labels
// each:
//
//   - cur2: CUR 2.0 from AWS Data Exports, Parquet or gzip CSV, a folder
//     read through its Manifest.json;
//   - cur-legacy: the legacy Cost and Usage Report as CSV (lineItem/…
//     headers), gzip or not;
//   - cur-legacy-parquet: the legacy report delivered as Parquet, whose
//     columns carry the names Athena gives them (line_item_usage_type,
//     product_region) — CUR 2.0's style, not CUR 2.0's schema;
//   - focus: FOCUS 1.x CSV, AWS's own export or a multi-cloud file, of
//     which only AWS's line items are summed and the other providers'
//     counted (Summary.OtherProviders).
//
// Its errors are *FileError: one short printable line that names the file
// and says what to do, whatever the file holds.
//
// It is not a bill explorer: it keeps sums, never the line items, and
// knows nothing of prices or of the account the bill is for.
package bill

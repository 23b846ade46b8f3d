// Package inventory reads an Amazon S3 Inventory report — its manifest.json
// and the gzip-compressed CSV data files it lists — so that a bucket of
// billions of objects can be cut into partitions and copied without listing
// it: one data file becomes one sorted run of objects, and Source presents
// such a run as the listing of the bucket it describes.
//
// What AWS documents, and what this package therefore does not assume
// (Amazon S3 User Guide, "Locating your inventory list",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html,
// and "Amazon S3 inventory",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html):
//
//   - The guide says nothing about the order of the rows in a data file, nor
//     that the files of one report hold disjoint or ordered key ranges. So
//     ReadObjects sorts each file itself and refuses a key listed twice in
//     it, and nothing here relies on one file's keys sorting before the
//     next's. Whoever combines several files (one partition per file, or a
//     merge) must not assume they are disjoint: a key current in two files
//     would otherwise be copied twice or, across partitions, raced.
//   - The inventory is "eventually consistent": "the list might not include
//     recently added or deleted objects". A listing from it is a snapshot
//     as of the report's creationTimestamp. Objects are read from the live
//     bucket (Source forwards Stat and Open), so an object changed since is
//     copied as it is now, and one deleted since fails as not found.
//   - "When using the CSV file format, the key name is URL-encoded and must
//     be decoded before you can use it." See decodeKey for how.
//
// A Source over one file's objects says the bucket holds only those. A
// copy from it is safe; a sync that deletes what the source lacks is not,
// unless the destination's listing is limited to keys that file alone
// covers (a listing.Range holding that file's keys and no other file's):
// otherwise it would delete every key the other files list. Source's List
// starts with a binary search, so listing.Plan and listing.Ranges probe it
// cheaply.
//
// Only CSV reports are read: ORC and Parquet are refused by ParseManifest.
//
// Memory: ReadObjects holds one data file's current objects in memory, about
// the key plus 150 bytes each. AWS splits a report into several files
// but documents no bound on their size (its example manifest lists one of
// 2 GiB compressed), so callers read files one or a few at a time, never a
// whole report at once.
//
// It is not for reading the objects, writing an inventory, configuring one
// on a bucket, or fetching the report: callers open manifest.json and the
// data files from the destination bucket with a store and pass readers in.
// Nor is it a history source: the rows of noncurrent versions and delete
// markers are skipped, and Source forwards store.Versioned to the live
// bucket, whose Versions lists the bucket itself, not the report.
package inventory

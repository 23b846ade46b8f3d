package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/sortie-dev/sortie/internal/location"
)

// Sentinel errors, wrapped in the errors ParseManifest and ReadObjects
// return; callers branch with errors.Is.
var (
	// ErrUnsupportedFormat: the report is not CSV (ORC, Parquet).
	ErrUnsupportedFormat = errors.New("inventory format not supported")
	// ErrNoETag: the report's schema has no ETag column, so a copy from it
	// could compare objects by size only.
	ErrNoETag = errors.New("inventory has no ETag column")
	// ErrOtherBucket: a row describes an object of another bucket than the
	// manifest's source bucket.
	ErrOtherBucket = errors.New("row is for another bucket")
	// ErrDuplicateKey: a data file lists the same current key twice.
	ErrDuplicateKey = errors.New("key listed twice")
)

// Manifest is an inventory report's manifest.json.
type Manifest struct {
	// SourceBucket is the bucket the report lists. DestinationBucket is
	// the bucket holding the report, as AWS gives it: an ARN,
	// "arn:aws:s3:::bucket" (DestinationBucketName strips it).
	SourceBucket, DestinationBucket string
	Version                         string
	// CreationTimestamp is when the report began scanning the bucket
	// (AWS gives milliseconds since the epoch, as a string); zero if the
	// manifest has none.
	CreationTimestamp time.Time
	// FileFormat is "CSV": ParseManifest refuses the others.
	FileFormat string
	// Columns are the names of the data files' columns, in order: the
	// manifest's fileSchema split on ", ".
	Columns []string
	// Files are the data files, keys in DestinationBucket.
	Files []File
}

// File is one data file of a report.
type File struct {
	Key  string
	Size int64
	// MD5 is the manifest's MD5checksum of the file, hex.
	MD5 string
}

// manifestLimit bounds what ParseManifest reads: a manifest lists files,
// not objects, and even a report of billions of objects lists a few
// thousand (a few hundred bytes each).
const manifestLimit = 64 << 20

// manifestJSON is manifest.json's shape, with AWS's field names (User
// Guide, "Locating your inventory list", the CSV example).
type manifestJSON struct {
	SourceBucket      string          `json:"sourceBucket"`
	DestinationBucket string          `json:"destinationBucket"`
	Version           string          `json:"version"`
	CreationTimestamp json.RawMessage `json:"creationTimestamp"`
	FileFormat        string          `json:"fileFormat"`
	FileSchema        string          `json:"fileSchema"`
	Files             []struct {
		Key         string `json:"key"`
		Size        int64  `json:"size"`
		MD5checksum string `json:"MD5checksum"`
	} `json:"files"`
}

// The columns ReadObjects reads, named as in the CSV fileSchema.
const (
	colBucket         = "Bucket"
	colKey            = "Key"
	colVersionID      = "VersionId"
	colIsLatest       = "IsLatest"
	colIsDeleteMarker = "IsDeleteMarker"
	colSize           = "Size"
	colLastModified   = "LastModifiedDate"
	colETag           = "ETag"
	colStorageClass   = "StorageClass"
)

// ParseManifest reads and checks a manifest.json. It refuses, with an error
// that says what to change, a report that is not CSV, a schema without
// Bucket, Key, Size or ETag (without ETag a copy would compare objects by
// size only, and sortie compares checksums), a manifest listing no files,
// and a file with an empty key.
func ParseManifest(r io.Reader) (*Manifest, error) {
	b, err := io.ReadAll(io.LimitReader(r, manifestLimit+1))
	if err != nil {
		return nil, fmt.Errorf("read inventory manifest: %w", err)
	}
	if len(b) > manifestLimit {
		return nil, fmt.Errorf("inventory manifest: larger than %d MiB; is it a manifest.json?", manifestLimit>>20)
	}
	var mj manifestJSON
	if err := json.Unmarshal(b, &mj); err != nil {
		return nil, fmt.Errorf("inventory manifest: not a manifest.json: %v", err)
	}
	m := &Manifest{
		SourceBucket:      mj.SourceBucket,
		DestinationBucket: mj.DestinationBucket,
		Version:           mj.Version,
		FileFormat:        mj.FileFormat,
	}
	if m.SourceBucket == "" {
		return nil, errors.New("inventory manifest: no sourceBucket; is it an S3 Inventory manifest.json?")
	}
	if m.CreationTimestamp, err = parseMillis(mj.CreationTimestamp); err != nil {
		return nil, fmt.Errorf("inventory manifest: creationTimestamp %s: %v", mj.CreationTimestamp, err)
	}
	if !strings.EqualFold(m.FileFormat, "CSV") {
		return nil, fmt.Errorf("inventory manifest: fileFormat %q: %w: sortie reads CSV reports only; set the inventory configuration's output format to CSV and use its next report",
			m.FileFormat, ErrUnsupportedFormat)
	}
	if m.Columns, err = parseSchema(mj.FileSchema); err != nil {
		return nil, err
	}
	if len(mj.Files) == 0 {
		return nil, errors.New("inventory manifest: lists no data files; use a complete report (one with its manifest.checksum), or copy the bucket without its inventory")
	}
	seen := make(map[string]bool, len(mj.Files))
	for i, f := range mj.Files {
		if f.Key == "" {
			return nil, fmt.Errorf("inventory manifest: file %d of %d has an empty key; the manifest is damaged, use another report", i+1, len(mj.Files))
		}
		if seen[f.Key] {
			return nil, fmt.Errorf("inventory manifest: file %q listed twice; the manifest is damaged, use another report", f.Key)
		}
		seen[f.Key] = true
		m.Files = append(m.Files, File{Key: f.Key, Size: f.Size, MD5: f.MD5checksum})
	}
	return m, nil
}

// parseMillis reads creationTimestamp: milliseconds since the epoch, which
// AWS writes as a JSON string ("1514944800000"); a bare number is taken too.
func parseMillis(raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, err
		}
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms < 0 {
		return time.Time{}, errors.New("want milliseconds since the epoch")
	}
	return time.UnixMilli(ms).UTC(), nil
}

// parseSchema splits a CSV fileSchema ("Bucket, Key, VersionId, ...") and
// checks that it has what a copy needs.
func parseSchema(schema string) ([]string, error) {
	if strings.TrimSpace(schema) == "" {
		return nil, errors.New("inventory manifest: no fileSchema; is it an S3 Inventory manifest.json?")
	}
	cols := strings.Split(schema, ",")
	seen := make(map[string]bool, len(cols))
	for i, c := range cols {
		c = strings.TrimSpace(c)
		if c == "" || seen[c] {
			return nil, fmt.Errorf("inventory manifest: fileSchema %q: column %d is empty or repeated", schema, i+1)
		}
		seen[c] = true
		cols[i] = c
	}
	for _, need := range []string{colBucket, colKey} {
		if !seen[need] {
			return nil, fmt.Errorf("inventory manifest: fileSchema %q has no %s column; is it an S3 Inventory report?", schema, need)
		}
	}
	if !seen[colSize] {
		return nil, fmt.Errorf("inventory manifest: fileSchema %q has no Size column; add the Size field to the inventory configuration and use its next report", schema)
	}
	if !seen[colETag] {
		return nil, fmt.Errorf("inventory manifest: fileSchema %q: %w: a copy from it could compare objects by size only, and sortie compares checksums; add the ETag field to the inventory configuration and use its next report",
			schema, ErrNoETag)
	}
	return cols, nil
}

// DestinationBucketName returns the name of the bucket holding the report's
// files: DestinationBucket without its ARN prefix ("arn:aws:s3:::",
// whatever the partition), or as it is if it is not an ARN.
func (m *Manifest) DestinationBucketName() string {
	// arn:partition:s3:::bucket — region and account are empty for buckets.
	parts := strings.SplitN(m.DestinationBucket, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && parts[2] == "s3" {
		return parts[5]
	}
	return m.DestinationBucket
}

// ManifestLocation parses an s3://BUCKET/KEY argument naming one report's
// manifest.json, returning the bucket (checked as location.Parse checks
// one) and the key, taken as written: a destination prefix may hold "//".
func ManifestLocation(arg string) (bucket, key string, err error) {
	const want = "give the manifest.json of one report, as s3://BUCKET/PREFIX/SOURCE-BUCKET/CONFIG-ID/YYYY-MM-DDTHH-MMZ/manifest.json"
	loc, err := location.Parse(arg)
	if err != nil {
		return "", "", fmt.Errorf("inventory manifest %w; %s", err, want)
	}
	if loc.Kind != location.S3 {
		return "", "", fmt.Errorf("inventory manifest %q is not an S3 location; %s", arg, want)
	}
	_, rest, _ := strings.Cut(arg, "://")
	_, key, _ = strings.Cut(rest, "/")
	if key == "" || path.Base(key) != "manifest.json" {
		return "", "", fmt.Errorf("inventory manifest %q does not name a manifest.json; %s", arg, want)
	}
	return loc.Bucket, key, nil
}

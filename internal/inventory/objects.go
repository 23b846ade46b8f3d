package inventory

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sortie-dev/sortie/internal/store"
)

// RowError is a data file's row that cannot be used.
type RowError struct {
	File string // the data file's key, as the manifest names it
	Row  int    // from 1, counting every row of the file
	Err  error
}

func (e *RowError) Error() string {
	return fmt.Sprintf("inventory data file %s row %d: %v", e.File, e.Row, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// ctxEvery is how many rows ReadObjects reads between looks at ctx.
const ctxEvery = 4096

// columns are the positions of the columns ReadObjects reads; -1 for one
// the report does not have.
type columns struct {
	bucket, key, isLatest, isDeleteMarker, size, lastModified, etag, storageClass int
}

func columnsOf(names []string) (columns, error) {
	c := columns{-1, -1, -1, -1, -1, -1, -1, -1}
	for i, n := range names {
		switch n {
		case colBucket:
			c.bucket = i
		case colKey:
			c.key = i
		case colIsLatest:
			c.isLatest = i
		case colIsDeleteMarker:
			c.isDeleteMarker = i
		case colSize:
			c.size = i
		case colLastModified:
			c.lastModified = i
		case colETag:
			c.etag = i
		case colStorageClass:
			c.storageClass = i
		}
	}
	if c.bucket < 0 || c.key < 0 || c.size < 0 || c.etag < 0 {
		return c, errors.New("manifest columns lack Bucket, Key, Size or ETag; read the manifest with ParseManifest")
	}
	return c, nil
}

// byKey sorts a file's objects by key, and the rows they came from along
// with them (for messages about duplicates, found only once the file is
// sorted), without a second copy of the objects. Equal keys sort by row,
// so that a duplicate is always reported at its later row.
type byKey struct {
	objs []store.Object
	rows []int
}

func (b byKey) Len() int { return len(b.objs) }
func (b byKey) Less(i, j int) bool {
	if c := strings.Compare(b.objs[i].Key, b.objs[j].Key); c != 0 {
		return c < 0
	}
	return b.rows[i] < b.rows[j]
}
func (b byKey) Swap(i, j int) {
	b.objs[i], b.objs[j] = b.objs[j], b.objs[i]
	b.rows[i], b.rows[j] = b.rows[j], b.rows[i]
}

// ReadObjects reads one data file of m's report — gzip-compressed CSV
// without a header row, columns as m.Columns — and returns its current
// objects in ascending bytewise order of their keys, each key once.
// fileKey names the file in errors.
//
// Rows of noncurrent versions (IsLatest false) and delete markers
// (IsDeleteMarker true) are skipped. Keys are URL-decoded (decodeKey);
// Size and ETag are filled (the ETag without quotes, as store.Object keeps
// it), ModTime (from LastModifiedDate) and StorageClass when the report has
// them. VersionID is left empty, as a live listing leaves it: the copy then
// reads the current object, not the version the report saw.
//
// A row for another bucket than m.SourceBucket, a malformed row, a key that
// does not decode to UTF-8 and a key listed twice are errors (*RowError)
// naming the file and row. The whole file's current objects are held in
// memory (see the package comment).
func ReadObjects(ctx context.Context, r io.Reader, m *Manifest, fileKey string) ([]store.Object, error) {
	cols, err := columnsOf(m.Columns)
	if err != nil {
		return nil, fmt.Errorf("inventory data file %s: %v", fileKey, err)
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(r, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("inventory data file %s: not gzip-compressed: %w", fileKey, err)
	}
	defer zr.Close()
	cr := csv.NewReader(zr)
	cr.FieldsPerRecord = len(m.Columns)
	cr.ReuseRecord = true

	classes := map[string]string{} // a few storage classes, kept once each
	var sorted byKey
	for row := 1; ; row++ {
		if row%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("inventory data file %s: %w", fileKey, err)
			}
		}
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				// Not the CSV's shape but the stream's: a truncated or
				// corrupt gzip file (or a failed read).
				return nil, fmt.Errorf("inventory data file %s: reading after row %d: %w; fetch the file again", fileKey, row-1, err)
			}
			return nil, &RowError{File: fileKey, Row: row, Err: fmt.Errorf("not a CSV row of the manifest's %d columns: %v", len(m.Columns), pe.Err)}
		}
		o, current, err := parseRow(rec, cols, m, classes)
		if err != nil {
			return nil, &RowError{File: fileKey, Row: row, Err: err}
		}
		if current {
			sorted.objs = append(sorted.objs, o)
			sorted.rows = append(sorted.rows, row)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("inventory data file %s: %w", fileKey, err)
	}
	sort.Sort(sorted)
	objs := sorted.objs
	for i := 1; i < len(objs); i++ {
		if objs[i-1].Key == objs[i].Key {
			return nil, &RowError{File: fileKey, Row: sorted.rows[i],
				Err: fmt.Errorf("%q: %w (also row %d) as a current object", objs[i].Key, ErrDuplicateKey, sorted.rows[i-1])}
		}
	}
	return objs, nil
}

// parseRow reads one row; current is false for a row ReadObjects skips.
func parseRow(rec []string, c columns, m *Manifest, classes map[string]string) (o store.Object, current bool, err error) {
	if b := rec[c.bucket]; b != m.SourceBucket {
		return o, false, fmt.Errorf("bucket %q: %w (the manifest's source bucket is %q)", b, ErrOtherBucket, m.SourceBucket)
	}
	latest, err := parseBool(rec, c.isLatest, colIsLatest, true)
	if err != nil {
		return o, false, err
	}
	marker, err := parseBool(rec, c.isDeleteMarker, colIsDeleteMarker, false)
	if err != nil {
		return o, false, err
	}
	key, err := decodeKey(rec[c.key])
	if err != nil {
		return o, false, err
	}
	if !latest || marker {
		return o, false, nil
	}
	size, err := strconv.ParseInt(rec[c.size], 10, 64)
	if err != nil || size < 0 {
		return o, false, fmt.Errorf("key %q: Size %q is not a number of bytes", key, rec[c.size])
	}
	etag := strings.Trim(rec[c.etag], `"`)
	if etag == "" {
		return o, false, fmt.Errorf("key %q: no ETag", key)
	}
	o = store.Object{Key: strings.Clone(key), Size: size, ETag: strings.Clone(etag)}
	if c.lastModified >= 0 && rec[c.lastModified] != "" {
		// The guide gives no format; reports write ISO 8601 in UTC with
		// milliseconds ("2016-11-06T21:32:00.000Z"), which RFC 3339
		// parsing takes with or without the fraction.
		t, err := time.Parse(time.RFC3339, rec[c.lastModified])
		if err != nil {
			return store.Object{}, false, fmt.Errorf("key %q: LastModifiedDate %q is not an ISO 8601 time", key, rec[c.lastModified])
		}
		o.ModTime = t.UTC()
	}
	if c.storageClass >= 0 {
		sc := rec[c.storageClass]
		kept, ok := classes[sc]
		if !ok && len(classes) < 64 {
			kept = strings.Clone(sc)
			classes[kept] = kept
		} else if !ok {
			kept = strings.Clone(sc)
		}
		o.StorageClass = kept
	}
	return o, true, nil
}

// parseBool reads an IsLatest or IsDeleteMarker cell: "true" or "false"
// (the guide writes "True"; case is ignored). A report of current versions
// only has neither column; missing gives def.
func parseBool(rec []string, i int, name string, def bool) (bool, error) {
	if i < 0 {
		return def, nil
	}
	switch v := rec[i]; {
	case strings.EqualFold(v, "true"):
		return true, nil
	case strings.EqualFold(v, "false"):
		return false, nil
	default:
		return false, fmt.Errorf("%s %q is neither true nor false", name, v)
	}
}

// decodeKey undoes the URL encoding of a CSV report's Key column. The User
// Guide ("Amazon S3 inventory", the inventory list's Key name field) says
// only: "When using the CSV file format, the key name is URL-encoded and
// must be decoded before you can use it." Reports encode as HTML forms do
// (application/x-www-form-urlencoded, Java's URLEncoder): a space is "+", a
// "+" in the key is "%2B", "/" is "%2F" and every byte of a non-ASCII
// character is %XX of its UTF-8 encoding — cloud-custodian, reading real
// reports, found spaces written as "+" and had to decode them
// (https://github.com/cloud-custodian/cloud-custodian/issues/1997, fixed
// with unquote_plus). AWS's own CSV examples of keys for S3 Batch
// Operations, which takes inventory reports as manifests, write spaces as
// "%20" ("object%20key%20with%20spaces", User Guide, "Creating an S3 Batch
// Operations job", section "Creating a manifest file"). url.QueryUnescape reads both: "+" and "%20" are a space,
// "%2B" a plus. A key that does not decode, or decodes to bytes that are
// not UTF-8 (S3 keys are UTF-8), is refused rather than guessed at.
func decodeKey(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("empty key")
	}
	k, err := url.QueryUnescape(raw)
	if err != nil {
		return "", fmt.Errorf("key %q does not URL-decode: %v", raw, err)
	}
	if !utf8.ValidString(k) {
		return "", fmt.Errorf("key %q does not decode to UTF-8", raw)
	}
	return k, nil
}

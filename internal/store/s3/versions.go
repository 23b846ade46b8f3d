package s3

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sortie-dev/sortie/internal/store"
)

var _ store.Versioned = (*Store)(nil)

// versionPage is how many entries a ListObjectVersions page asks for; tests
// lower it to cross page boundaries.
var versionPage int32 = 1000

// Versioning implements store.Versioned with GetBucketVersioning.
func (s *Store) Versioning(ctx context.Context) (store.Versioning, error) {
	out, err := s.client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(s.bucket)})
	if err != nil {
		return "", s.wrap("get versioning of", "", err)
	}
	return store.Versioning(out.Status), nil
}

// SetVersioning enables or suspends versioning on the bucket (it cannot be
// turned off once enabled). versitygw accepts it only when started with
// --versioning-dir.
func (s *Store) SetVersioning(ctx context.Context, v store.Versioning) error {
	if v != store.VersioningEnabled && v != store.VersioningSuspended {
		return &store.OpError{Op: "set versioning of", Store: s.name, Err: fmt.Errorf("state %q: want %q or %q", v, store.VersioningEnabled, store.VersioningSuspended)}
	}
	_, err := s.client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(s.bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatus(v)},
	})
	if err != nil {
		return s.wrap("set versioning of", "", err)
	}
	return nil
}

// AddDeleteMarker implements store.Versioned: a DELETE without a version ID,
// which a bucket with versioning enabled answers with a new marker's ID.
// Where the answer names no marker (versioning off or suspended), the
// write was not one and it fails rather than report a history it did not
// make.
func (s *Store) AddDeleteMarker(ctx context.Context, key string) (string, error) {
	out, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.prefix + key),
	}, oneAttempt) // a retry after a lost answer would add a second marker
	if err != nil {
		return "", s.wrap("add a delete marker to", key, err)
	}
	id := aws.ToString(out.VersionId)
	if !aws.ToBool(out.DeleteMarker) || id == "" || id == store.NullVersion {
		return "", &store.OpError{Op: "add a delete marker to", Store: s.name, Key: key,
			Err: fmt.Errorf("the store answered without a new delete marker (version %q): is versioning enabled on the bucket?", id)}
	}
	return id, nil
}

// StatVersion implements store.Versioned.
func (s *Store) StatVersion(ctx context.Context, key, versionID string) (store.Info, error) {
	if versionID == "" {
		return store.Info{}, &store.OpError{Op: "stat version of", Store: s.name, Key: key, Err: errors.New("no version ID")}
	}
	return s.stat(ctx, key, versionID)
}

// Versions implements store.Versioned with ListObjectVersions.
//
// The SDK decodes a page into two lists, Versions and DeleteMarkers, each in
// the page's order but without their interleaving, which sorting by time
// cannot restore: AWS gives times to the second (aws/aws-sdk-go-v2#3164,
// aws/aws-sdk-java-v2#1620). So a middleware reads the raw XML of each page
// first and records only the order of its <Version> and <DeleteMarker>
// elements; the SDK still decodes every field, and the two lists are merged
// back along that record (AWS and MinIO interleave them in history order).
// A record that does not account for exactly the entries the SDK decoded
// fails the page.
//
// versitygw (1.8) does not interleave: it writes a page's delete markers
// first and its versions last, with other elements between, and gives
// versions seconds and markers nanoseconds. A page whose entries are split
// so, or whose keys do not ascend in document order, is merged instead key
// by key (see newer), each list keeping its own order. versitygw also lists
// the key-marker's own versions (S3 starts after it), and on a page that
// resumes inside a key lists the key's latest version again: entries at or
// before startAfter, and a (key, version) already yielded, are dropped.
func (s *Store) Versions(ctx context.Context, startAfter string) iter.Seq2[store.Version, error] {
	return func(yield func(store.Version, error) bool) {
		in := &s3.ListObjectVersionsInput{Bucket: aws.String(s.bucket), MaxKeys: aws.Int32(versionPage)}
		if s.prefix != "" {
			in.Prefix = aws.String(s.prefix)
		}
		if startAfter != "" {
			in.KeyMarker = aws.String(s.prefix + startAfter)
		}
		// The version IDs yielded for the key being listed.
		var key string
		seen := map[string]bool{}
		for {
			var page []store.Version
			var out *s3.ListObjectVersionsOutput
			err := listRetry.Do(ctx, func(int) error {
				var order entryOrder
				var err error
				out, err = s.client.ListObjectVersions(ctx, in, oneAttempt, order.capture)
				if err != nil {
					return s.wrap("list versions", "", err)
				}
				if page, err = s.interleave(out, order); err != nil {
					return &store.OpError{Op: "list versions", Store: s.name, Err: err}
				}
				if order.split || !keysAscend(page) {
					if page, err = s.merge(out); err != nil {
						return &store.OpError{Op: "list versions", Store: s.name, Err: err}
					}
				}
				return nil
			})
			if err != nil {
				yield(store.Version{}, err)
				return
			}
			for _, v := range page {
				if startAfter != "" && v.Key <= startAfter {
					continue
				}
				if v.Key != key {
					key = v.Key
					clear(seen)
				}
				if seen[v.VersionID] {
					continue
				}
				seen[v.VersionID] = true
				if !yield(v, nil) {
					return
				}
			}
			if !aws.ToBool(out.IsTruncated) {
				return
			}
			if aws.ToString(out.NextKeyMarker) == "" {
				yield(store.Version{}, &store.OpError{Op: "list versions", Store: s.name, Err: errors.New("truncated page without a next key marker")})
				return
			}
			in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
		}
	}
}

// interleave merges a page's versions and delete markers in the order the
// raw response listed them.
func (s *Store) interleave(out *s3.ListObjectVersionsOutput, order entryOrder) ([]store.Version, error) {
	if !order.seen {
		return nil, errors.New("the response body was not captured")
	}
	if n, want := len(order.markers), len(out.Versions)+len(out.DeleteMarkers); n != want {
		return nil, fmt.Errorf("the response lists %d entries, the SDK decoded %d", n, want)
	}
	page := make([]store.Version, 0, len(order.markers))
	vs, ds := out.Versions, out.DeleteMarkers
	for _, marker := range order.markers {
		if marker {
			if len(ds) == 0 {
				return nil, errors.New("the response lists more delete markers than the SDK decoded")
			}
			page = append(page, s.marker(ds[0]))
			ds = ds[1:]
			continue
		}
		if len(vs) == 0 {
			return nil, errors.New("the response lists more versions than the SDK decoded")
		}
		page = append(page, s.version(vs[0]))
		vs = vs[1:]
	}
	return page, nil
}

func (s *Store) marker(d types.DeleteMarkerEntry) store.Version {
	return store.Version{
		Key:          strings.TrimPrefix(aws.ToString(d.Key), s.prefix),
		VersionID:    aws.ToString(d.VersionId),
		IsLatest:     aws.ToBool(d.IsLatest),
		DeleteMarker: true,
		ModTime:      aws.ToTime(d.LastModified),
	}
}

func (s *Store) version(v types.ObjectVersion) store.Version {
	return store.Version{
		Key:          strings.TrimPrefix(aws.ToString(v.Key), s.prefix),
		VersionID:    aws.ToString(v.VersionId),
		IsLatest:     aws.ToBool(v.IsLatest),
		Size:         aws.ToInt64(v.Size),
		ETag:         strings.Trim(aws.ToString(v.ETag), `"`),
		ModTime:      aws.ToTime(v.LastModified),
		StorageClass: storageClass(string(v.StorageClass)),
	}
}

// keysAscend reports whether a page's keys never go down, as they do in
// ListObjectVersions order.
func keysAscend(page []store.Version) bool {
	for i := 1; i < len(page); i++ {
		if page[i].Key < page[i-1].Key {
			return false
		}
	}
	return true
}

// merge rebuilds a page's order from its two lists, for a server that
// listed them apart. Each list is in the server's order (keys ascending,
// each key newest first), and a page break falls in the server's order too,
// so only a version and a marker of the same key on one page need deciding;
// newer decides them or the page fails.
func (s *Store) merge(out *s3.ListObjectVersionsOutput) ([]store.Version, error) {
	page := make([]store.Version, 0, len(out.Versions)+len(out.DeleteMarkers))
	vs, ds := out.Versions, out.DeleteMarkers
	for len(vs) > 0 || len(ds) > 0 {
		if len(ds) == 0 {
			page = append(page, s.version(vs[0]))
			vs = vs[1:]
			continue
		}
		if len(vs) == 0 {
			page = append(page, s.marker(ds[0]))
			ds = ds[1:]
			continue
		}
		v, d := s.version(vs[0]), s.marker(ds[0])
		first := v.Key < d.Key
		if v.Key == d.Key {
			var err error
			if first, err = newer(v, d); err != nil {
				return nil, err
			}
		}
		if first {
			page = append(page, v)
			vs = vs[1:]
		} else {
			page = append(page, d)
			ds = ds[1:]
		}
	}
	if !keysAscend(page) {
		return nil, errors.New("keys out of order in both lists")
	}
	return page, nil
}

// newer reports whether a came after b in the history of their key, or
// fails when the listing cannot tell. In order: the latest entry is the
// newest; two ULID version IDs compare as their text (versitygw names
// versions with ULIDs from a monotonic source, and orders them so itself);
// otherwise the times decide if their precision lets them (a time with no
// fraction may be anywhere in its second).
func newer(a, b store.Version) (bool, error) {
	switch {
	case a.IsLatest && !b.IsLatest:
		return true, nil
	case b.IsLatest && !a.IsLatest:
		return false, nil
	case isULID(a.VersionID) && isULID(b.VersionID) && a.VersionID != b.VersionID:
		return a.VersionID > b.VersionID, nil
	}
	if !a.ModTime.Before(b.ModTime.Add(precision(b.ModTime))) {
		return true, nil
	}
	if !b.ModTime.Before(a.ModTime.Add(precision(a.ModTime))) {
		return false, nil
	}
	return false, fmt.Errorf("%w: %s and %s of %q: the server lists versions apart from delete markers, and their times (%s, %s) are too close to tell",
		store.ErrAmbiguousOrder, a.VersionID, b.VersionID, a.Key, a.ModTime.Format(time.RFC3339Nano), b.ModTime.Format(time.RFC3339Nano))
}

// precision is how coarse a time may be, judged by its trailing zeros.
func precision(t time.Time) time.Duration {
	ns := t.Nanosecond()
	switch {
	case ns == 0:
		return time.Second
	case ns%int(time.Millisecond) == 0:
		return time.Millisecond
	case ns%int(time.Microsecond) == 0:
		return time.Microsecond
	}
	return time.Nanosecond
}

// isULID reports whether id is a ULID in its canonical text form: 26
// characters of Crockford's base32, upper case, the first at most 7.
func isULID(id string) bool {
	if len(id) != 26 || id[0] > '7' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z') || c == 'I' || c == 'L' || c == 'O' || c == 'U' {
			return false
		}
	}
	return true
}

// entryOrder records, for one ListObjectVersions response, whether each
// entry in document order is a delete marker (true) or a version (false).
type entryOrder struct {
	seen    bool
	markers []bool
	// split says other elements came between entries: the server wrote
	// its versions and markers as two runs, not one history.
	split bool
}

// capture adds, for one call, a deserialize middleware that runs before the
// SDK's own decoder sees the response: it reads the body, records the entry
// order, and hands the SDK the same bytes.
func (o *entryOrder) capture(opts *s3.Options) {
	opts.APIOptions = append(opts.APIOptions, func(st *middleware.Stack) error {
		return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("sortieVersionOrder", o.handle), middleware.After)
	})
}

func (o *entryOrder) handle(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if err != nil {
		return out, md, err
	}
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok || resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return out, md, nil // the SDK reports the error
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		// A body cut short: the page is fetched again.
		return out, md, fmt.Errorf("read list versions response: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	o.markers, o.split, err = entryKinds(raw)
	if err != nil {
		return out, md, fmt.Errorf("decode list versions response: %w", err)
	}
	o.seen = true
	return out, md, nil
}

// entryKinds lists the kinds of the root element's <Version> and
// <DeleteMarker> children in document order, skipping everything else, and
// says whether other elements came between them.
func entryKinds(raw []byte) (kinds []bool, split bool, err error) {
	d := xml.NewDecoder(bytes.NewReader(raw))
	depth := 0
	run := 0 // 0 before the entries, 1 in them, 2 after
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if depth != 0 {
				return nil, false, io.ErrUnexpectedEOF
			}
			return kinds, split, nil
		}
		if err != nil {
			return nil, false, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				depth++
				continue
			}
			switch t.Name.Local {
			case "Version", "DeleteMarker":
				kinds = append(kinds, t.Name.Local == "DeleteMarker")
				if run == 2 {
					split = true
				}
				run = 1
			default:
				if run == 1 {
					run = 2
				}
			}
			if err := d.Skip(); err != nil {
				return nil, false, err
			}
		case xml.EndElement:
			depth--
		}
	}
}

package inventory

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// awsColumns is the fileSchema of AWS's CSV example manifest.
var awsColumns = []string{"Bucket", "Key", "VersionId", "IsLatest", "IsDeleteMarker", "Size", "LastModifiedDate", "ETag",
	"StorageClass", "IsMultipartUploaded", "ReplicationStatus", "EncryptionStatus", "ObjectLockRetainUntilDate",
	"ObjectLockMode", "ObjectLockLegalHoldStatus", "IntelligentTieringAccessTier", "BucketKeyStatus", "ChecksumAlgorithm",
	"ObjectAccessControlList", "ObjectOwner"}

func TestParseManifestAWSExample(t *testing.T) {
	m, err := ParseManifest(strings.NewReader(string(readFixture(t, "manifest.json"))))
	if err != nil {
		t.Fatal(err)
	}
	if m.SourceBucket != "amzn-s3-demo-source-bucket" || m.DestinationBucket != "arn:aws:s3:::example-inventory-destination-bucket" ||
		m.Version != "2016-11-30" || m.FileFormat != "CSV" {
		t.Errorf("got %+v", m)
	}
	if want := time.Date(2018, 1, 3, 2, 0, 0, 0, time.UTC); !m.CreationTimestamp.Equal(want) {
		t.Errorf("creation timestamp: got %v, want %v", m.CreationTimestamp, want)
	}
	if !slices.Equal(m.Columns, awsColumns) {
		t.Errorf("columns:\ngot  %q\nwant %q", m.Columns, awsColumns)
	}
	want := []File{{
		Key:  "Inventory/amzn-s3-demo-source-bucket/2016-11-06T21-32Z/files/939c6d46-85a9-4ba8-87bd-9db705a579ce.csv.gz",
		Size: 2147483647,
		MD5:  "f11166069f1990abeb9c97ace9cdfabc",
	}}
	if !slices.Equal(m.Files, want) {
		t.Errorf("files: got %+v, want %+v", m.Files, want)
	}
	if got := m.DestinationBucketName(); got != "example-inventory-destination-bucket" {
		t.Errorf("destination bucket name: got %q", got)
	}
}

// edit returns AWS's CSV example manifest with change applied to its
// decoded JSON object.
func edit(t *testing.T, change func(m map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readFixture(t, "manifest.json"), &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func withoutColumn(m map[string]any, col string) {
	cols := strings.Split(m["fileSchema"].(string), ", ")
	m["fileSchema"] = strings.Join(slices.DeleteFunc(cols, func(c string) bool { return c == col }), ", ")
}

func TestParseManifestRefused(t *testing.T) {
	aws := string(readFixture(t, "manifest.json"))
	cases := []struct {
		name, input string
		want        string // in the message
		is          error
	}{
		{"ORC", string(readFixture(t, "manifest-orc.json")), `fileFormat "ORC"`, ErrUnsupportedFormat},
		{"Parquet", string(readFixture(t, "manifest-parquet.json")), `fileFormat "Parquet"`, ErrUnsupportedFormat},
		{"no Key", edit(t, func(m map[string]any) { withoutColumn(m, "Key") }), "no Key column", nil},
		{"no Bucket", edit(t, func(m map[string]any) { withoutColumn(m, "Bucket") }), "no Bucket column", nil},
		{"no Size", edit(t, func(m map[string]any) { withoutColumn(m, "Size") }), "add the Size field", nil},
		{"no ETag", edit(t, func(m map[string]any) { withoutColumn(m, "ETag") }), "by size only", ErrNoETag},
		{"no schema", edit(t, func(m map[string]any) { delete(m, "fileSchema") }), "no fileSchema", nil},
		{"repeated column", edit(t, func(m map[string]any) { m["fileSchema"] = m["fileSchema"].(string) + ", Key" }), "repeated", nil},
		{"no files", edit(t, func(m map[string]any) { m["files"] = []any{} }), "lists no data files", nil},
		{"files missing", edit(t, func(m map[string]any) { delete(m, "files") }), "lists no data files", nil},
		{"empty file key", edit(t, func(m map[string]any) {
			m["files"] = append(m["files"].([]any), map[string]any{"key": "", "size": 1, "MD5checksum": "x"})
		}), "file 2 of 2 has an empty key", nil},
		{"file twice", edit(t, func(m map[string]any) { m["files"] = append(m["files"].([]any), m["files"].([]any)[0]) }), "listed twice", nil},
		{"no source bucket", edit(t, func(m map[string]any) { delete(m, "sourceBucket") }), "no sourceBucket", nil},
		{"bad timestamp", edit(t, func(m map[string]any) { m["creationTimestamp"] = "2018-01-03" }), "creationTimestamp", nil},
		{"truncated", aws[:len(aws)/2], "not a manifest.json", nil},
		{"empty", "", "not a manifest.json", nil},
		{"array", "[]", "not a manifest.json", nil},
		{"wrong types", `{"sourceBucket": 1}`, "not a manifest.json", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := ParseManifest(strings.NewReader(c.input))
			if err == nil {
				t.Fatalf("got %+v, want an error", m)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) || !strings.HasPrefix(msg, "inventory manifest") || strings.Contains(msg, "\n") {
				t.Errorf("got %q, want one line starting \"inventory manifest\" containing %q", msg, c.want)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("got %v, want one wrapping %v", err, c.is)
			}
		})
	}
}

func TestParseManifestTimestampNumber(t *testing.T) {
	m, err := ParseManifest(strings.NewReader(edit(t, func(m map[string]any) { m["creationTimestamp"] = 1514944800000 })))
	if err != nil {
		t.Fatal(err)
	}
	if m.CreationTimestamp.UnixMilli() != 1514944800000 {
		t.Errorf("got %v", m.CreationTimestamp)
	}
}

func TestDestinationBucketName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"arn:aws:s3:::example-destination-bucket", "example-destination-bucket"},
		{"arn:aws-cn:s3:::bucket-in-china", "bucket-in-china"},
		{"plain-bucket", "plain-bucket"},
	} {
		if got := (&Manifest{DestinationBucket: c.in}).DestinationBucketName(); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestManifestLocation(t *testing.T) {
	const key = "destination-prefix/amzn-s3-demo-source-bucket/config-ID/2016-11-06T21-32Z/manifest.json"
	for _, c := range []struct {
		arg, bucket, key string
		bad              string // in the error, "" for none
	}{
		{"s3://example-inventory-destination-bucket/" + key, "example-inventory-destination-bucket", key, ""},
		{"S3://example-inventory-destination-bucket/" + key, "example-inventory-destination-bucket", key, ""},
		// A destination prefix ending in "/" gives keys with "//" (kept).
		{"s3://b-1//x/manifest.json", "b-1", "/x/manifest.json", ""},
		{"s3://b-1/manifest.json", "b-1", "manifest.json", ""},
		{"s3://b-1/prefix/", "", "", "does not name a manifest.json"},
		{"s3://b-1/prefix/manifest.checksum", "", "", "does not name a manifest.json"},
		{"s3://b-1", "", "", "does not name a manifest.json"},
		{"s3:///manifest.json", "", "", "no bucket name"},
		{"/tmp/manifest.json", "", "", "not an S3 location"},
		{"https://b-1.s3.amazonaws.com/manifest.json", "", "", "unsupported scheme"},
		{"", "", "", "empty location"},
	} {
		bucket, key, err := ManifestLocation(c.arg)
		switch {
		case c.bad == "" && (err != nil || bucket != c.bucket || key != c.key):
			t.Errorf("%q: got %q, %q, %v; want %q, %q", c.arg, bucket, key, err, c.bucket, c.key)
		case c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad) || !strings.Contains(err.Error(), "s3://BUCKET/")):
			t.Errorf("%q: got %q, %q, %v; want an error containing %q and the form to use", c.arg, bucket, key, err, c.bad)
		}
	}
}

// FuzzParseManifest checks that no input panics and every refusal is one
// line.
func FuzzParseManifest(f *testing.F) {
	for _, name := range []string{"manifest.json", "manifest-orc.json", "manifest-parquet.json"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte(`{"sourceBucket":"b","fileFormat":"CSV","fileSchema":"Bucket, Key, Size, ETag","files":[{"key":"k"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(strings.NewReader(string(b)))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error of more than one line: %q", err)
			}
			return
		}
		if m.SourceBucket == "" || len(m.Files) == 0 || !slices.Contains(m.Columns, "ETag") {
			t.Errorf("accepted %+v", m)
		}
	})
}

package inventory

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/store"
)

const fileKey = "Inventory/amzn-s3-demo-source-bucket/2016-11-06T21-32Z/files/939c6d46-85a9-4ba8-87bd-9db705a579ce.csv.gz"

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// awsManifest is AWS's CSV example manifest; current drops the columns a
// report of current versions only leaves out.
func awsManifest(t testing.TB, current bool) *Manifest {
	t.Helper()
	m, err := ParseManifest(bytes.NewReader(readFixture(t, "manifest.json")))
	if err != nil {
		t.Fatal(err)
	}
	if current {
		m.Columns = slices.DeleteFunc(m.Columns, func(c string) bool {
			return c == "VersionId" || c == "IsLatest" || c == "IsDeleteMarker"
		})
	}
	return m
}

var modified = time.Date(2016, 11, 6, 21, 32, 0, 0, time.UTC)

func TestReadObjectsVersions(t *testing.T) {
	got, err := ReadObjects(context.Background(), bytes.NewReader(gz(t, readFixture(t, "data-versions.csv"))), awsManifest(t, false), fileKey)
	if err != nil {
		t.Fatal(err)
	}
	// objectkey1's older version, objectkey3 (under a delete marker) and
	// photos/jpgs/objectkey4 (noncurrent only) are not current objects.
	want := []store.Object{
		{Key: "object key with spaces", Size: 16777216, ETag: "717e5e6763efa99e70c9069f3e621fcb-2", ModTime: modified, StorageClass: "GLACIER"},
		{Key: "objectkey1", Size: 10, ETag: "b103cf770970859a62db040b1d8e311b", ModTime: modified, StorageClass: "STANDARD_IA"},
		{Key: "photos/jpgs/newjersey/objectkey5", Size: 5, ETag: "424cba7551acc7eea087fc723f8f99ea", ModTime: modified, StorageClass: "STANDARD"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestReadObjectsCurrent(t *testing.T) {
	got, err := ReadObjects(context.Background(), bytes.NewReader(gz(t, readFixture(t, "data-current.csv"))), awsManifest(t, true), fileKey)
	if err != nil {
		t.Fatal(err)
	}
	// Rows out of order come back sorted bytewise; each key decoded.
	want := []struct {
		key  string
		size int64
	}{
		{"1+2=3.txt", 3},              // 1%2B2%3D3.txt: a real plus is %2B
		{"a/b/", 0},                   // a%2Fb%2F
		{"café/日本.txt", 7},            // caf%C3%A9%2F%E6%97%A5%E6%9C%AC.txt: UTF-8 bytes
		{"object key with spaces", 6}, // object+key+with+spaces
		{"objectkey2", 0},
		{"photos/jpgs/object key with spaces", 2}, // ...object%20key%20with%20spaces
		{"photos/jpgs/objectkey4", 4},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d objects %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		if got[i].Key != w.key || got[i].Size != w.size || got[i].ModTime != modified || got[i].ETag == "" || got[i].VersionID != "" {
			t.Errorf("object %d: got %+v, want key %q size %d", i, got[i], w.key, w.size)
		}
	}
	if got[0].StorageClass != "INTELLIGENT_TIERING" || got[1].ETag != "d41d8cd98f00b204e9800998ecf8427e" {
		t.Errorf("got %+v", got[:2])
	}
}

// rows are a fixture's lines, for tests that change one.
func rows(t *testing.T, name string) []string {
	return strings.Split(strings.TrimSuffix(string(readFixture(t, name)), "\n"), "\n")
}

func TestReadObjectsRefused(t *testing.T) {
	current := rows(t, "data-current.csv")
	versions := rows(t, "data-versions.csv")
	// replaceRow returns the fixture with its row i changed.
	replaceRow := func(lines []string, i int, old, new string) []byte {
		out := slices.Clone(lines)
		if !strings.Contains(out[i], old) {
			t.Fatalf("row %d has no %q", i+1, old)
		}
		out[i] = strings.Replace(out[i], old, new, 1)
		return []byte(strings.Join(out, "\n") + "\n")
	}
	appendRow := func(lines []string, row string) []byte {
		return []byte(strings.Join(append(slices.Clone(lines), row), "\n") + "\n")
	}
	cases := []struct {
		name     string
		versions bool
		csv      []byte
		row      int    // the row named, 0 for a file-level error
		want     string // in the message
		is       error
	}{
		{"other bucket", false, replaceRow(current, 2, `"amzn-s3-demo-source-bucket"`, `"amzn-s3-demo-bucket1"`), 3, `bucket "amzn-s3-demo-bucket1"`, ErrOtherBucket},
		{"too few columns", false, replaceRow(current, 1, `"STANDARD",`, ``), 2, "not a CSV row of the manifest's 17 columns", nil},
		{"bare quote", false, replaceRow(current, 1, `"7"`, `7"`), 2, "not a CSV row", nil},
		{"size not a number", false, replaceRow(current, 1, `"7"`, `"seven"`), 2, `Size "seven"`, nil},
		{"negative size", false, replaceRow(current, 1, `"7"`, `"-7"`), 2, `Size "-7"`, nil},
		{"empty size", false, replaceRow(current, 1, `"7"`, `""`), 2, `Size ""`, nil},
		{"bad escape", false, replaceRow(current, 0, `objectkey4`, `objectkey%zz`), 1, "does not URL-decode", nil},
		{"not UTF-8", false, replaceRow(current, 0, `objectkey4`, `objectkey%FF`), 1, "does not decode to UTF-8", nil},
		{"empty key", false, replaceRow(current, 0, `"photos%2Fjpgs%2Fobjectkey4"`, `""`), 1, "empty key", nil},
		{"no ETag", false, replaceRow(current, 4, `"d41d8cd98f00b204e9800998ecf8427e"`, `""`), 5, "no ETag", nil},
		{"bad date", false, replaceRow(current, 1, `2016-11-06T21:32:00.000Z`, `06/11/2016 21:32`), 2, "LastModifiedDate", nil},
		// The same key, its space written "+" in one row and "%20" in
		// another: one object listed twice.
		{"duplicate key", false, appendRow(current, strings.Replace(current[2], "object+key+with+spaces", "object%20key%20with%20spaces", 1)), 8, `"object key with spaces": key listed twice (also row 3)`, ErrDuplicateKey},
		{"two latest versions", true, replaceRow(versions, 1, `"false","false","3"`, `"true","false","3"`), 3, `"objectkey1": key listed twice (also row 2)`, ErrDuplicateKey},
		{"IsLatest not a boolean", true, replaceRow(versions, 0, `"true","false"`, `"yes","false"`), 1, `IsLatest "yes"`, nil},
		{"IsDeleteMarker not a boolean", true, replaceRow(versions, 4, `"true","true"`, `"true","1"`), 5, `IsDeleteMarker "1"`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			objs, err := ReadObjects(context.Background(), bytes.NewReader(gz(t, c.csv)), awsManifest(t, !c.versions), fileKey)
			checkRefused(t, objs, err, c.row, c.want, c.is)
		})
	}

	// Streams that are not a gzip-compressed CSV.
	whole := gz(t, readFixture(t, "data-current.csv"))
	corrupt := slices.Clone(whole)
	corrupt[len(corrupt)-6] ^= 0xff // the CRC-32 trailer
	for _, c := range []struct {
		name, want string
		body       []byte
	}{
		{"not gzip", "not gzip-compressed", readFixture(t, "data-current.csv")},
		{"empty", "not gzip-compressed", nil},
		{"truncated gzip", "fetch the file again", whole[:len(whole)/2]},
		{"bad checksum", "fetch the file again", corrupt},
	} {
		t.Run(c.name, func(t *testing.T) {
			objs, err := ReadObjects(context.Background(), bytes.NewReader(c.body), awsManifest(t, true), fileKey)
			checkRefused(t, objs, err, 0, c.want, nil)
		})
	}
}

func checkRefused(t *testing.T, objs []store.Object, err error, row int, want string, is error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got %d objects, want an error", len(objs))
	}
	msg := err.Error()
	if !strings.Contains(msg, want) || !strings.Contains(msg, fileKey) || strings.Contains(msg, "\n") {
		t.Errorf("got %q, want one line naming the file and containing %q", msg, want)
	}
	var re *RowError
	switch {
	case row == 0 && errors.As(err, &re):
		t.Errorf("got a row error %v, want a file-level one", err)
	case row != 0 && (!errors.As(err, &re) || re.Row != row || re.File != fileKey):
		t.Errorf("got %#v, want a *RowError for row %d", err, row)
	}
	if is != nil && !errors.Is(err, is) {
		t.Errorf("got %v, want one wrapping %v", err, is)
	}
}

func TestReadObjectsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ReadObjects(ctx, bytes.NewReader(gz(t, readFixture(t, "data-current.csv"))), awsManifest(t, true), fileKey)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestReadObjectsUncheckedManifest(t *testing.T) {
	m := &Manifest{SourceBucket: "b", Columns: []string{"Bucket", "Key"}}
	_, err := ReadObjects(context.Background(), bytes.NewReader(gz(t, []byte(`"b","k"`+"\n"))), m, fileKey)
	if err == nil || !strings.Contains(err.Error(), "ParseManifest") {
		t.Errorf("got %v, want a refusal naming ParseManifest", err)
	}
}

// FuzzReadObjects feeds CSV text (gzipped by the harness unless raw, which
// feeds the bytes as they are) and checks only that nothing panics and
// that what is returned is sorted, each key once.
func FuzzReadObjects(f *testing.F) {
	for _, name := range []string{"data-current.csv", "data-versions.csv"} {
		f.Add(readFixture(f, name), false)
	}
	f.Add(gz(f, readFixture(f, "data-current.csv")), true)
	f.Add([]byte(`"amzn-s3-demo-source-bucket","a+b%2F%C3%A9","1","","x","STANDARD"`+"\n"), false)
	mCurrent, mVersions := awsManifest(f, true), awsManifest(f, false)
	// One writer, reset for each input, and stored rather than compressed
	// blocks: a new compressor for each input makes fuzzing crawl.
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.NoCompression)
	f.Fuzz(func(t *testing.T, data []byte, raw bool) {
		body := data
		if !raw {
			buf.Reset()
			zw.Reset(&buf)
			zw.Write(data)
			zw.Close()
			body = buf.Bytes()
		}
		for _, m := range []*Manifest{mCurrent, mVersions} {
			objs, err := ReadObjects(context.Background(), bytes.NewReader(body), m, fileKey)
			if err != nil {
				continue
			}
			for i, o := range objs {
				if o.Key == "" || (i > 0 && objs[i-1].Key >= o.Key) {
					t.Fatalf("objects not sorted and unique at %d: %q", i, o.Key)
				}
			}
		}
	})
}

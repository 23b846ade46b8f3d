package location

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		arg     string
		want    string // String() of the result, or the start of the error
		wantErr bool
	}{
		{"s3://bucket", "s3://bucket", false},
		{"s3://bucket/", "s3://bucket", false},
		{"s3://bucket/data/2024", "s3://bucket/data/2024", false},
		{"S3://Bucket_1/x", "s3://Bucket_1/x", false},
		{"file:///srv/data", "/srv/data", false},
		{"/srv/data/../data", "/srv/data", false},
		{"s3://", "no bucket name", true},
		{"s3:/bucket", "write S3 locations", true},
		{"s3:bucket", "write S3 locations", true},
		{"s3://ab", "must be 3 to 63", true},
		{"s3://bad bucket", "has the character", true},
		{"gs://bucket", "unsupported scheme", true},
		{"file://relative/path", "absolute path", true},
		{"", "empty location", true},
		{"a\x00b", "NUL", true},
	} {
		l, err := Parse(tc.arg)
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) err = %v, want one containing %q", tc.arg, err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("Parse(%q): error spans lines", tc.arg)
			}
			continue
		}
		if err != nil || l.String() != tc.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tc.arg, l.String(), err, tc.want)
		}
	}
}

func TestOverlaps(t *testing.T) {
	p := func(s string) Location {
		l, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"s3://bkt/x", "s3://bkt/x/y", true},
		{"s3://bkt", "s3://bkt/y", true},
		{"s3://bkt/x", "s3://bkt/xy", false},
		{"s3://bkt/x", "s3://cat/x", false},
		{"/srv/a", "/srv/a/b", true},
		{"/srv/a", "/srv/ab", false},
		{"/srv/a", "s3://srv/a", false},
	} {
		if got := Overlaps(p(tc.a), p(tc.b)); got != tc.want {
			t.Errorf("Overlaps(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

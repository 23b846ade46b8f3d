package location

import (
	"errors"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/bucketname"
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

// Bucket names: AWS's rules, loosened for a source as AWS documents for
// buckets made in us-east-1 before March 2018 (upper case, '_', up to 255
// characters); a destination follows the current rules.
func TestBucketNames(t *testing.T) {
	long := strings.Repeat("a", 64)
	for _, tc := range []struct {
		bucket  string
		source  string // "" when Parse accepts it, else part of its error
		destErr string // "" when CheckDestination accepts it
	}{
		{"archive", "", ""},
		{"uni-research.data-2024", "", ""},
		{"a1b", "", ""},
		{"Legacy_Bucket", "", `has 'L'; a destination bucket name uses lower case`},
		{"legacy_bucket", "", `has '_'`},
		{long, "", "is 64 characters; bucket names must be 3 to 63"},
		{"my..bucket", "", "two adjacent periods"},
		{"bucket-", "", "must end with a letter or a digit"},
		{"ab", "is 2 characters; bucket names must be 3 to 63", "-"},
		{strings.Repeat("a", 256), "3 to 63 characters (255 for buckets made in us-east-1", "-"},
		{"-bucket", "must begin with a letter or a digit", "-"},
		{".bucket", "must begin with a letter or a digit", "-"},
		{"192.168.5.4", "formatted as an IP address", "-"},
		{"bad bucket", "has the character ' '", "-"},
		{"caf\u00e9", "has the character 'é'", "-"},
		{"1.2.3.4.5", "", ""},
		// A period beside a hyphen, and the names AWS reserves: an old
		// bucket or an access point alias may be read from, but not
		// written to.
		{"lab.-archive", "", `period beside a hyphen (".-")`},
		{"lab-.archive", "", `period beside a hyphen ("-.")`},
		{"xn--archive", "", `begins with "xn--", a prefix AWS reserves`},
		{"sthree-archive", "", `begins with "sthree-"`},
		{"amzn-s3-demo-bucket", "", `begins with "amzn-s3-demo-"`},
		{"my-ap-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias", "", `ends with "-s3alias", which AWS reserves for access point aliases`},
		{"my-olap-hrzrlukc5m36ft7okagglf3gmwluquse1b--ol-s3", "", `ends with "--ol-s3"`},
		{"mfzwi23gnjvgw.mrap", "", `ends with ".mrap"`},
		{"archive--usw2-az1--x-s3", "", `ends with "--x-s3", which AWS reserves for directory buckets`},
		{"warehouse--table-s3", "", `ends with "--table-s3"`},
		{"s3alias-archive", "", ""},
	} {
		t.Run(tc.bucket[:min(len(tc.bucket), 20)], func(t *testing.T) {
			l, err := Parse("s3://" + tc.bucket + "/prefix")
			switch {
			case tc.source == "" && err != nil:
				t.Fatalf("Parse: %v, want it accepted as a source", err)
			case tc.source != "" && (err == nil || !strings.Contains(err.Error(), tc.source)):
				t.Fatalf("Parse: %v, want an error saying %q", err, tc.source)
			case err != nil:
				if !strings.Contains(err.Error(), tc.bucket) {
					t.Errorf("Parse: %v does not name the bucket", err)
				}
				return
			}
			err = l.CheckDestination()
			switch {
			case tc.destErr == "" && err != nil:
				t.Errorf("CheckDestination: %v, want it accepted", err)
			case tc.destErr != "" && (err == nil || !strings.Contains(err.Error(), tc.destErr)):
				t.Errorf("CheckDestination: %v, want an error saying %q", err, tc.destErr)
			case err != nil && (!strings.Contains(err.Error(), tc.bucket) || strings.Contains(err.Error(), "\n")):
				t.Errorf("CheckDestination: %v does not name the bucket on one line", err)
			}
		})
	}
	// The rule broken is a type, not only words.
	_, err := Parse("s3://ab")
	var be *bucketname.Error
	if !errors.As(err, &be) || be.Reason != bucketname.Length {
		t.Errorf("Parse(s3://ab): %v, want a *bucketname.Error for its length", err)
	}
	l, _ := Parse("s3://my..bucket")
	if err := l.CheckDestination(); !errors.As(err, &be) || be.Reason != bucketname.Dots {
		t.Errorf("CheckDestination(s3://my..bucket): %v, want a *bucketname.Error for its periods", err)
	}
	if l, _ := Parse("/srv/Data_1"); l.CheckDestination() != nil {
		t.Error("CheckDestination refused a directory")
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

package bucketname

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// AWS's examples of valid and invalid names (the "Example general purpose
// bucket names" section of the naming rules page), then one name for each
// rule the page lists.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		why  []Reason
		msg  string // part of Check's error; "" when why is nil
	}{
		// Valid, and following AWS's recommendations.
		{"docexamplebucket1", nil, ""},
		{"log-delivery-march-2020", nil, ""},
		{"my-hosted-content", nil, ""},
		// Valid, though AWS recommends periods only for website hosting.
		{"docexamplewebsite.com", nil, ""},
		{"www.docexamplewebsite.com", nil, ""},
		{"my.example.s3.bucket", nil, ""},
		// Invalid.
		{"doc_example_bucket", []Reason{Underscore}, `has '_'; a destination bucket name uses lower case`},
		{"DocExampleBucket", []Reason{Upper}, `has 'D'; a destination bucket name uses lower case`},
		{"doc-example-bucket-", []Reason{Ends}, "must end with a letter or a digit"},

		// Length.
		{"a1b", nil, ""},
		{strings.Repeat("a", 63), nil, ""},
		{"ab", []Reason{Length}, "is 2 characters; bucket names must be 3 to 63 characters"},
		{"", []Reason{Length}, "is 0 characters"},
		{strings.Repeat("a", 64), []Reason{Length}, "is 64 characters; bucket names must be 3 to 63"},
		{strings.Repeat("research-data-", 5), []Reason{Length, Ends}, "is 70 characters"},
		// Characters, each kind once, in the order they appear.
		{"Uni_Lab_Backups", []Reason{Upper, Underscore}, `has 'U'`},
		{"bad bucket", []Reason{Characters}, `has the character ' '; bucket names use lower case letters`},
		{"caf\u00e9", []Reason{Characters, Ends}, `has the character 'é'`}, // é is no letter of S3's
		// Ends.
		{"-bucket", []Reason{Ends}, "must begin with a letter or a digit"},
		{".bucket", []Reason{Ends}, "must begin with a letter or a digit"},
		{"bucket.", []Reason{Ends}, "must end with a letter or a digit"},
		// Periods.
		{"my..bucket", []Reason{Dots}, "has two adjacent periods"},
		{"lab.-archive", []Reason{Dots}, `has a period beside a hyphen (".-")`},
		{"lab-.archive", []Reason{Dots}, `has a period beside a hyphen ("-.")`},
		// IP addresses, as S3 judges them: by shape, not by value.
		{"192.168.5.4", []Reason{IP}, "formatted as an IP address"},
		{"999.1.1.1", []Reason{IP}, "formatted as an IP address"},
		{"1.2.3.4.5", nil, ""},
		{"1.2.3", nil, ""},
		// Reserved prefixes.
		{"xn--doc-example", []Reason{Reserved}, `begins with "xn--", a prefix AWS reserves`},
		{"sthree-configurator", []Reason{Reserved}, `begins with "sthree-"`},
		{"amzn-s3-demo-bucket", []Reason{Reserved}, `begins with "amzn-s3-demo-"`},
		{"axn--b", nil, ""},
		// Reserved suffixes.
		{"my-ap-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias", []Reason{Reserved}, `ends with "-s3alias", which AWS reserves for access point aliases`},
		{"my-olap-hrzrlukc5m36ft7okagglf3gmwluquse1b--ol-s3", []Reason{Reserved}, `ends with "--ol-s3"`},
		{"mfzwi23gnjvgw.mrap", []Reason{Reserved}, `ends with ".mrap", which AWS reserves for Multi-Region Access Points`},
		{"bucket-base-name--usw2-az1--x-s3", []Reason{Reserved}, `reserves for directory buckets`},
		{"warehouse--table-s3", []Reason{Reserved}, `reserves for S3 Tables buckets`},
		{"s3alias-first", nil, ""},
		// Several rules at once, in Problems' order.
		{"-Sthree_x..", []Reason{Upper, Underscore, Ends, Dots}, `has 'S'`},
		{"xn--1.2.3.4", []Reason{Reserved}, `begins with "xn--"`}, // four groups, but one is "xn--1"
	} {
		t.Run(tc.name[:min(len(tc.name), 24)], func(t *testing.T) {
			if got := Problems(tc.name); !slices.Equal(got, tc.why) {
				t.Errorf("Problems(%q) = %v, want %v", tc.name, got, tc.why)
			}
			err := Check(tc.name)
			if tc.why == nil {
				if err != nil {
					t.Errorf("Check(%q) = %v, want nil", tc.name, err)
				}
				return
			}
			var e *Error
			switch {
			case !errors.As(err, &e):
				t.Fatalf("Check(%q) = %v, want an *Error", tc.name, err)
			case e.Reason != tc.why[0] || e.Name != tc.name:
				t.Errorf("Check(%q): reason %q name %q, want %q %q", tc.name, e.Reason, e.Name, tc.why[0], tc.name)
			case !strings.Contains(err.Error(), tc.msg):
				t.Errorf("Check(%q) = %v, want it to say %q", tc.name, err, tc.msg)
			}
			oneLine(t, err, tc.name)
		})
	}
}

// The rules us-east-1 applied before March 2018: what the current rules
// refuse for upper case, '_', length up to 255, the last character and
// periods, and the reserved names, it accepts.
func TestCheckLegacy(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  string // "" when accepted
	}{
		{"docexamplebucket1", ""},
		{"DocExampleBucket", ""},
		{"doc_example_bucket", ""},
		{"doc-example-bucket-", ""},
		{"my..bucket", ""},
		{"lab.-archive", ""},
		{strings.Repeat("a", 255), ""},
		{"xn--doc-example", ""},
		{"my-ap-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias", ""},
		{"ab", "is 2 characters; bucket names must be 3 to 63 characters"},
		{strings.Repeat("a", 256), "is 256 characters; bucket names are 3 to 63 characters (255 for buckets made in us-east-1 before March 2018)"},
		{"_bucket", "must begin with a letter or a digit"},
		{"-bucket", "must begin with a letter or a digit"},
		{"192.168.5.4", "formatted as an IP address"},
		{"bad bucket", "has the character ' '; bucket names use letters, digits, '-', '_' and '.'"},
	} {
		t.Run(tc.name[:min(len(tc.name), 24)], func(t *testing.T) {
			err := CheckLegacy(tc.name)
			switch {
			case tc.msg == "" && err != nil:
				t.Errorf("CheckLegacy(%q) = %v, want nil", tc.name, err)
			case tc.msg != "" && (err == nil || !strings.Contains(err.Error(), tc.msg)):
				t.Errorf("CheckLegacy(%q) = %v, want it to say %q", tc.name, err, tc.msg)
			case err != nil:
				oneLine(t, err, tc.name)
			}
		})
	}
}

func oneLine(t *testing.T, err error, name string) {
	t.Helper()
	if s := err.Error(); strings.Contains(s, "\n") || !strings.HasPrefix(s, `bucket name "`+name+`" `) {
		t.Errorf("%q: want one line that begins with the quoted name", s)
	}
}

func TestPropose(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"docexamplebucket1", "docexamplebucket1"},
		{"doc_example_bucket", "doc-example-bucket"},
		{"DocExampleBucket", "docexamplebucket"},
		{"doc-example-bucket-", "doc-example-bucket"},
		{"Uni_Lab_Backups", "uni-lab-backups"},
		{"192.168.5.4", "192-168-5-4"},
		{"999.1.1.1", "999-1-1-1"},
		{"doc..example", "doc.example"},
		{"lab.-archive", "lab-archive"},
		{"xn--doc-example", "doc-example"},
		{"xn--1.2.3.4", "1-2-3-4"},
		{"amzn-s3-demo-bucket", "bucket"},
		{"my-ap-s3alias", "my-ap"},
		{"data--x-s3", "data"},
		{"ab", "bucket-ab"},
		{"", "bucket"},
		{"_", "bucket"},
	} {
		if got := Propose(tc.name, nil); got != tc.want {
			t.Errorf("Propose(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	// Too long: cut to 63, and two names that share their first 63
	// characters stay apart.
	a, b := Propose(strings.Repeat("research-data-", 5)+"a", nil), Propose(strings.Repeat("research-data-", 5)+"b", nil)
	if len(a) != 63 || len(b) != 63 || a == b || Check(a) != nil {
		t.Errorf("long names proposed %q and %q, want two different valid names of 63", a, b)
	}
	// A proposal never lands on another bucket's name.
	taken := map[string]bool{"uni-lab-backups": true, "uni-lab-backups-2": true}
	if got := Propose("Uni_Lab_Backups", taken); got != "uni-lab-backups-3" {
		t.Errorf("collision: proposed %s, want uni-lab-backups-3", got)
	}
	long := strings.Repeat("b", 63)
	if got := Propose(long, map[string]bool{long: true}); len(got) != 63 || got == long || Check(got) != nil {
		t.Errorf("collision at 63: proposed %s", got)
	}
}

// Whatever the name, the proposal is one Check accepts, and a name Check
// accepts is proposed unchanged.
func FuzzPropose(f *testing.F) {
	for _, s := range []string{"Uni_Lab_Backups", "xn--1.2.3.4", "-.-", "a..-s3alias", "sthree-xn--a", "999.1.1.1", strings.Repeat("a.", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := Propose(name, map[string]bool{"bucket": true})
		if err := Check(got); err != nil || got == "bucket" {
			t.Fatalf("Propose(%q) = %q: %v", name, got, err)
		}
		if Check(name) == nil && name != "bucket" {
			if got := Propose(name, nil); got != name {
				t.Fatalf("Propose(%q) = %q, want the valid name kept", name, got)
			}
		}
	})
}

// Every reason Problems can give is in Reasons.
func TestReasons(t *testing.T) {
	for _, name := range []string{"", "Ab_ .-..", "192.168.5.4", "xn--a"} {
		for _, r := range Problems(name) {
			if !slices.Contains(Reasons(), r) {
				t.Errorf("Problems(%q) gave %q, missing from Reasons", name, r)
			}
		}
	}
}

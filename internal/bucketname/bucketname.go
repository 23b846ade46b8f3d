package bucketname

import (
	"crypto/sha256"
	"fmt"
	"strings"
)

// Reason names the rule a bucket name breaks. Its value is a stable code
// that reports may key their own wording on.
type Reason string

// The rules, each with its code. Upper case and '_' are their own reasons,
// apart from Characters, because old us-east-1 buckets have them: a plan
// can say why such a bucket needs a new name on a store that follows the
// current rules.
const (
	Length     Reason = "length"       // 3 to 63 characters (255 under the legacy rules)
	Upper      Reason = "upper"        // upper-case letters
	Underscore Reason = "underscore"   // _
	Characters Reason = "characters"   // anything else but a-z 0-9 . -
	Ends       Reason = "ends"         // must begin and end with a letter or digit
	Dots       Reason = "dots"         // two periods, or a period beside a hyphen
	IP         Reason = "ip"           // formatted as an IPv4 address
	Reserved   Reason = "reserved-fix" // a prefix or suffix AWS reserves
)

// Reasons returns every Reason, in the order Problems reports them, for a
// caller that words each one to check it has them all.
func Reasons() []Reason {
	return []Reason{Length, Upper, Underscore, Characters, Ends, Dots, IP, Reserved}
}

// Error is a bucket name refused by one rule. Its message is one line
// that names the bucket and the rule.
type Error struct {
	Name   string
	Reason Reason
	detail string // what follows the quoted name
}

func (e *Error) Error() string { return fmt.Sprintf("bucket name %q %s", e.Name, e.detail) }

var reservedPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}

// reservedSuffixes, with what AWS keeps each for. The legacy rules do not
// check them, nor the prefixes: they came later, and a name that carries
// one (an access point alias, a directory bucket) may still stand where a
// bucket's name does in a request.
var reservedSuffixes = []struct{ suffix, what string }{
	{"-s3alias", "access point aliases"},
	{"--ol-s3", "Object Lambda access point aliases"},
	{".mrap", "Multi-Region Access Points"},
	{"--x-s3", "directory buckets"},
	{"--table-s3", "S3 Tables buckets"},
}

// Check returns nil when name follows AWS's current rules for a general
// purpose bucket, or else an *Error for the first rule it breaks, in the
// order of Problems. These are the rules a new bucket must follow.
func Check(name string) error {
	if p := problems(name, false); len(p) > 0 {
		return p[0]
	}
	return nil
}

// CheckLegacy is Check with the rules us-east-1 applied before March 2018,
// under which buckets that still exist were made: up to 255 characters,
// upper case letters and '_' allowed, no rule on the last character or on
// periods, and no reserved prefixes or suffixes.
func CheckLegacy(name string) error {
	if p := problems(name, true); len(p) > 0 {
		return p[0]
	}
	return nil
}

// Problems returns every current rule name breaks, each once: Length,
// then Upper, Underscore and Characters in the order their characters
// appear, then Ends, Dots, IP and Reserved. It returns nothing when Check
// accepts name.
func Problems(name string) []Reason {
	var why []Reason
	for _, e := range problems(name, false) {
		why = append(why, e.Reason)
	}
	return why
}

// problems returns the first error of each rule name breaks, in the order
// Problems documents.
func problems(name string, legacy bool) []*Error {
	var out []*Error
	add := func(r Reason, format string, args ...any) {
		for _, e := range out {
			if e.Reason == r {
				return
			}
		}
		out = append(out, &Error{Name: name, Reason: r, detail: fmt.Sprintf(format, args...)})
	}
	switch n := len(name); {
	case legacy && n > 63 && n <= 255: // long, as old us-east-1 buckets may be
	case legacy && n > 255:
		add(Length, "is %d characters; bucket names are 3 to 63 characters (255 for buckets made in us-east-1 before March 2018)", n)
	case n < 3 || n > 63:
		add(Length, "is %d characters; bucket names must be 3 to 63 characters", n)
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '-':
		case legacy && (c >= 'A' && c <= 'Z' || c == '_'):
		// "A destination": where a bucket is written to or created, the
		// current rules apply; the legacy ones allow both.
		case c >= 'A' && c <= 'Z':
			add(Upper, "has %q; a destination bucket name uses lower case letters, digits, '-' and '.' (upper case and '_' exist only in old us-east-1 buckets)", c)
		case c == '_':
			add(Underscore, "has %q; a destination bucket name uses lower case letters, digits, '-' and '.' (upper case and '_' exist only in old us-east-1 buckets)", c)
		case legacy:
			add(Characters, "has the character %q; bucket names use letters, digits, '-', '_' and '.'", c)
		default:
			add(Characters, "has the character %q; bucket names use lower case letters, digits, '-' and '.'", c)
		}
	}
	// A letter in upper case is a letter here: DocExampleBucket breaks
	// Upper, not Ends.
	if name != "" && !alnum(name[0]) {
		add(Ends, "must begin with a letter or a digit")
	}
	if legacy {
		if ipLike(name) {
			add(IP, "is formatted as an IP address, which bucket names must not be")
		}
		return out
	}
	if name != "" && !alnum(name[len(name)-1]) {
		add(Ends, "must end with a letter or a digit")
	}
	// AWS's page today lists only two adjacent periods; a period beside a
	// hyphen broke its older rule that each label begin and end with a
	// letter or digit, and MinIO still refuses it.
	if strings.Contains(name, "..") {
		add(Dots, "has two adjacent periods, which bucket names must not have")
	}
	for _, s := range []string{".-", "-."} {
		if strings.Contains(name, s) {
			add(Dots, "has a period beside a hyphen (%q), which bucket names must not have", s)
		}
	}
	if ipLike(name) {
		add(IP, "is formatted as an IP address, which bucket names must not be")
	}
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(name, p) {
			add(Reserved, "begins with %q, a prefix AWS reserves; bucket names must not", p)
		}
	}
	for _, s := range reservedSuffixes {
		if strings.HasSuffix(name, s.suffix) {
			add(Reserved, "ends with %q, which AWS reserves for %s; bucket names must not", s.suffix, s.what)
		}
	}
	return out
}

// ipLike reports whether s is four dot-separated groups of one to three
// digits: S3 refuses 999.1.1.1 as it does 192.168.5.4.
func ipLike(s string) bool {
	groups := strings.Split(s, ".")
	if len(groups) != 4 {
		return false
	}
	for _, g := range groups {
		if len(g) == 0 || len(g) > 3 || strings.Trim(g, "0123456789") != "" {
			return false
		}
	}
	return true
}

func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Propose returns a name Check accepts, as close to name as the rules
// allow, and not in taken: lower case, every other character a hyphen,
// no double periods nor a period beside a hyphen, letters or digits at
// both ends, a reserved prefix or suffix dropped, an IP-like name's
// periods made hyphens, a name too long cut and given a short hash of the
// original (two long names that share a beginning stay apart), too short
// padded.
func Propose(name string, taken map[string]bool) string {
	var b strings.Builder
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	s := b.String()
	for _, r := range [][2]string{{"..", "."}, {".-", "-"}, {"-.", "-"}} {
		for strings.Contains(s, r[0]) {
			s = strings.ReplaceAll(s, r[0], r[1])
		}
	}
	for changed := true; changed; {
		changed = false
		for _, p := range reservedPrefixes {
			if strings.HasPrefix(s, p) {
				s, changed = strings.TrimPrefix(s, p), true
			}
		}
		for _, x := range reservedSuffixes {
			if strings.HasSuffix(s, x.suffix) {
				s, changed = strings.TrimSuffix(s, x.suffix), true
			}
		}
		if t := strings.Trim(s, ".-"); t != s {
			s, changed = t, true
		}
	}
	// After the trimming: xn--1.2.3.4 is IP-like only without its prefix.
	if ipLike(s) {
		s = strings.ReplaceAll(s, ".", "-")
	}
	if len(s) > 63 {
		sum := sha256.Sum256([]byte(name))
		s = strings.TrimRight(s[:54], ".-") + fmt.Sprintf("-%x", sum[:4])
	}
	if len(s) < 3 {
		s = strings.TrimRight("bucket-"+s, "-")
	}
	candidate := s
	for i := 2; taken[candidate]; i++ {
		suffix := fmt.Sprintf("-%d", i)
		candidate = strings.TrimRight(s[:min(len(s), 63-len(suffix))], ".-") + suffix
	}
	return candidate
}

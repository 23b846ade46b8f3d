package assess

import (
	"crypto/sha256"
	"fmt"
	"strings"
)

// Why a bucket name is refused: S3's rules for a new general purpose
// bucket, which MinIO, Ceph RGW (rgw_relaxed_s3_bucket_names off, the
// default) and Garage apply too. Old us-east-1 buckets were created under
// laxer rules: upper case, underscores, up to 255 characters.
const (
	nameLength      = "length"       // 3 to 63 characters
	nameUpper       = "upper"        // upper-case letters
	nameUnderscore  = "underscore"   // _
	nameCharacters  = "characters"   // anything else but a-z 0-9 . -
	nameEnds        = "ends"         // must begin and end with a letter or digit
	nameDots        = "dots"         // two periods, or a period beside a hyphen
	nameIP          = "ip"           // looks like an IPv4 address
	nameReservedFix = "reserved-fix" // xn--, sthree-, amzn-s3-demo-; -s3alias, --ol-s3, .mrap, --x-s3, --table-s3
)

var (
	reservedPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	reservedSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

// BucketNameProblems returns why a store that applies S3's naming rules
// refuses name, or nothing when it accepts it.
func BucketNameProblems(name string) []string {
	var why []string
	add := func(w string) {
		for _, x := range why {
			if x == w {
				return
			}
		}
		why = append(why, w)
	}
	if n := len(name); n < 3 || n > 63 {
		add(nameLength)
	}
	for _, c := range name {
		switch {
		case c >= 'A' && c <= 'Z':
			add(nameUpper)
		case c == '_':
			add(nameUnderscore)
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '-':
		default:
			add(nameCharacters)
		}
	}
	// Upper case is its own reason: DocExampleBucket begins with a letter.
	if lower := strings.ToLower(name); name != "" && (!alnum(lower[0]) || !alnum(lower[len(lower)-1])) {
		add(nameEnds)
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		add(nameDots)
	}
	if ipLike(name) {
		add(nameIP)
	}
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(name, p) {
			add(nameReservedFix)
		}
	}
	for _, s := range reservedSuffixes {
		if strings.HasSuffix(name, s) {
			add(nameReservedFix)
		}
	}
	return why
}

// ipLike reports whether s is four dot-separated groups of one to three
// digits: S3 refuses 999.1.1.1 as it does 192.168.5.4 (and so does the
// destination check of sortie copy, internal/location).
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

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// ProposeBucketName returns a name the rules accept, as close to name as
// they allow, and not in taken: lower case, every other character a
// hyphen, no double periods, letters or digits at both ends, a reserved
// prefix or suffix dropped, an IP-like name's periods made hyphens, a
// name too long cut and given a short hash of the original (two long
// names that share a beginning stay apart), too short padded.
func ProposeBucketName(name string, taken map[string]bool) string {
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
	if ipLike(s) {
		s = strings.ReplaceAll(s, ".", "-")
	}
	for changed := true; changed; {
		changed = false
		for _, p := range reservedPrefixes {
			if strings.HasPrefix(s, p) {
				s, changed = strings.TrimPrefix(s, p), true
			}
		}
		for _, x := range reservedSuffixes {
			if strings.HasSuffix(s, x) {
				s, changed = strings.TrimSuffix(s, x), true
			}
		}
		if t := strings.Trim(s, ".-"); t != s {
			s, changed = t, true
		}
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

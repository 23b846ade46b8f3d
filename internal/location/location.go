// Package location parses the SRC and DST arguments of sortie's commands:
// s3://BUCKET[/PREFIX], file:///PATH, or a plain local path. It opens
// nothing; it only says what the user named, or why that is not a place.
package location

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Kind is the type of store a location names.
type Kind int

const (
	S3 Kind = iota
	FS
)

// Location is a parsed SRC or DST.
type Location struct {
	Kind   Kind
	Bucket string // S3
	Prefix string // S3, without leading "/"; "" for the whole bucket
	Path   string // FS, absolute and clean
	Raw    string
}

func (l Location) String() string {
	if l.Kind == FS {
		return l.Path
	}
	if l.Prefix == "" {
		return "s3://" + l.Bucket
	}
	return "s3://" + l.Bucket + "/" + l.Prefix
}

// Parse reads one argument.
func Parse(arg string) (Location, error) {
	if strings.TrimSpace(arg) == "" {
		return Location{}, fmt.Errorf("empty location: give s3://BUCKET[/PREFIX] or a local directory")
	}
	if strings.ContainsRune(arg, 0) {
		return Location{}, fmt.Errorf("location %q contains a NUL byte", arg)
	}
	scheme, rest, hasScheme := strings.Cut(arg, "://")
	if !hasScheme {
		if strings.HasPrefix(strings.ToLower(arg), "s3:") {
			return Location{}, fmt.Errorf("location %q: write S3 locations as s3://BUCKET[/PREFIX]", arg)
		}
		abs, err := filepath.Abs(arg)
		if err != nil {
			return Location{}, fmt.Errorf("location %q: %v", arg, err)
		}
		return Location{Kind: FS, Path: abs, Raw: arg}, nil
	}
	switch strings.ToLower(scheme) {
	case "s3":
		bucket, prefix, _ := strings.Cut(rest, "/")
		if err := checkBucket(bucket); err != nil {
			return Location{}, fmt.Errorf("location %q: %v", arg, err)
		}
		prefix = strings.TrimLeft(prefix, "/")
		return Location{Kind: S3, Bucket: bucket, Prefix: prefix, Raw: arg}, nil
	case "file":
		if !strings.HasPrefix(rest, "/") {
			return Location{}, fmt.Errorf("location %q: file URLs need an absolute path, as file:///data/backup", arg)
		}
		return Location{Kind: FS, Path: filepath.Clean(rest), Raw: arg}, nil
	default:
		return Location{}, fmt.Errorf("location %q: unsupported scheme %q; use s3://BUCKET[/PREFIX], file:///PATH or a local path", arg, scheme+"://")
	}
}

// checkBucket applies AWS's bucket naming rules to a bucket sortie reads
// from, with the exception AWS documents for buckets created in us-east-1
// before March 2018: up to 255 characters, upper case letters and
// underscores. Those buckets still exist and are what an exit reads; a
// destination must follow the current rules too (CheckDestination). Rules
// that only govern creating a bucket (reserved prefixes and suffixes such
// as -s3alias) are not checked: access point aliases carry them and are
// used wherever a bucket name is.
func checkBucket(b string) error { return bucketRules(b, true) }

// CheckDestination refuses an S3 location whose bucket name breaks AWS's
// current naming rules, which S3-compatible stores follow too: sortie
// writes into a destination, often into a bucket it creates, and a name
// the server refuses would otherwise come back as the server's error. A
// filesystem location is always accepted.
func (l Location) CheckDestination() error {
	if l.Kind != S3 {
		return nil
	}
	if err := bucketRules(l.Bucket, false); err != nil {
		return fmt.Errorf("location %q: %v", l.Raw, err)
	}
	return nil
}

// bucketRules checks b against AWS's general purpose bucket naming rules
// (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html);
// legacy loosens them as us-east-1 did before March 2018.
func bucketRules(b string, legacy bool) error {
	maxLen := 63
	if legacy {
		maxLen = 255
	}
	switch {
	case b == "":
		return fmt.Errorf("no bucket name after s3://")
	case len(b) < 3 || len(b) > maxLen:
		if legacy && len(b) > 63 {
			return fmt.Errorf("bucket name %q is %d characters; bucket names are 3 to 63 characters (255 for buckets made in us-east-1 before March 2018)", b, len(b))
		}
		return fmt.Errorf("bucket name %q is %d characters; bucket names must be 3 to 63 characters", b, len(b))
	}
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.':
		case c >= 'A' && c <= 'Z' || c == '_':
			if !legacy {
				return fmt.Errorf("bucket name %q has %q; a destination bucket name uses lower case letters, digits, '-' and '.' (upper case and '_' exist only in old us-east-1 buckets)", b, c)
			}
		default:
			return fmt.Errorf("bucket name %q has the character %q; bucket names use letters, digits, '-' and '.'", b, c)
		}
	}
	switch {
	case !alnum(b[0]):
		return fmt.Errorf("bucket name %q must begin with a letter or a digit", b)
	case !legacy && !alnum(b[len(b)-1]):
		return fmt.Errorf("bucket name %q must end with a letter or a digit", b)
	case !legacy && strings.Contains(b, ".."):
		return fmt.Errorf("bucket name %q has two adjacent periods, which bucket names must not have", b)
	case isIPv4(b):
		return fmt.Errorf("bucket name %q is formatted as an IP address, which bucket names must not be", b)
	}
	return nil
}

func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isIPv4 reports whether s looks like a dotted IPv4 address: four groups
// of one to three digits, as S3 judges it (it refuses 999.1.1.1 too).
func isIPv4(s string) bool {
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

// Overlaps reports whether one location lies inside the other, given that
// both reach the same server (the caller knows about endpoints): copying or
// syncing between them would read what it writes.
func Overlaps(a, b Location) bool {
	if a.Kind != b.Kind {
		return false
	}
	if a.Kind == FS {
		return within(a.Path, b.Path) || within(b.Path, a.Path)
	}
	if a.Bucket != b.Bucket {
		return false
	}
	pa, pb := folder(a.Prefix), folder(b.Prefix)
	return strings.HasPrefix(pa, pb) || strings.HasPrefix(pb, pa)
}

func folder(p string) string {
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

func within(child, parent string) bool {
	rel, err := filepath.Rel(parent, child)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// Package location parses the SRC and DST arguments of sortie's commands:
// s3://BUCKET[/PREFIX], file:///PATH, or a plain local path. It opens
// nothing; it only says what the user named, or why that is not a place.
package location

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sortie-dev/sortie/internal/bucketname"
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
			return Location{}, fmt.Errorf("location %q: %w", arg, err)
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
// underscores (bucketname.CheckLegacy). Those buckets still exist and are
// what an exit reads; a destination must follow the current rules too
// (CheckDestination). Rules that only govern creating a bucket (reserved
// prefixes and suffixes such as -s3alias) are not checked: access point
// aliases carry them and are used wherever a bucket name is.
func checkBucket(b string) error {
	if b == "" {
		return fmt.Errorf("no bucket name after s3://")
	}
	return bucketname.CheckLegacy(b)
}

// CheckDestination refuses an S3 location whose bucket name breaks AWS's
// current naming rules (bucketname.Check), which S3-compatible stores
// follow too: sortie writes into a destination, often into a bucket it
// creates, and a name the server refuses would otherwise come back as the
// server's error. The reserved prefixes and suffixes are refused here
// too, though on AWS an access point alias (-s3alias) takes writes: sortie
// may create the bucket a destination names and CreateBucket takes no
// alias, the stores an exit lands on have none, and the bucket's own name
// reaches the same objects. A filesystem location is always accepted.
func (l Location) CheckDestination() error {
	if l.Kind != S3 {
		return nil
	}
	if err := bucketname.Check(l.Bucket); err != nil {
		return fmt.Errorf("location %q: %w", l.Raw, err)
	}
	return nil
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

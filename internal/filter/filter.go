// Package filter decides which keys a run touches, from --include and
// --exclude globs. It knows nothing of stores; the diff applies it to both
// sides alike, so an excluded key is neither copied nor deleted.
//
// Globs follow rclone's syntax, matched against keys relative to the SRC/DST
// prefix: "*" and "?" stay within one path segment, "**" crosses segments,
// "[a-z]" and "{jpg,png}" work as in a shell. A pattern that starts with "/"
// is anchored at the root; any other pattern may match at any depth
// ("*.jpg" matches "a/b/c.jpg"). A pattern ending in "/" matches everything
// under a folder ("logs/"). A key is kept when it matches no --exclude and,
// if any --include is given, at least one --include; order does not matter.
package filter

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Filter holds compiled patterns. The zero value keeps everything.
type Filter struct {
	include, exclude []string
}

// New checks and normalises the patterns.
func New(include, exclude []string) (*Filter, error) {
	f := &Filter{}
	for _, p := range include {
		n, err := normalise(p)
		if err != nil {
			return nil, fmt.Errorf("--include %q: %w", p, err)
		}
		f.include = append(f.include, n)
	}
	for _, p := range exclude {
		n, err := normalise(p)
		if err != nil {
			return nil, fmt.Errorf("--exclude %q: %w", p, err)
		}
		f.exclude = append(f.exclude, n)
	}
	return f, nil
}

func normalise(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("empty pattern")
	}
	if strings.HasSuffix(p, "/") {
		p += "**"
	}
	if anchored, ok := strings.CutPrefix(p, "/"); ok {
		p = anchored
	} else if !strings.HasPrefix(p, "**/") {
		p = "**/" + p
	}
	if !doublestar.ValidatePattern(p) {
		return "", fmt.Errorf("not a valid glob (check brackets and braces)")
	}
	return p, nil
}

// Match reports whether key is kept.
func (f *Filter) Match(key string) bool {
	if f == nil {
		return true
	}
	for _, p := range f.exclude {
		if ok, _ := doublestar.Match(p, key); ok {
			return false
		}
	}
	if len(f.include) == 0 {
		return true
	}
	for _, p := range f.include {
		if ok, _ := doublestar.Match(p, key); ok {
			return true
		}
	}
	return false
}

// Empty reports whether the filter keeps every key.
func (f *Filter) Empty() bool { return f == nil || len(f.include)+len(f.exclude) == 0 }

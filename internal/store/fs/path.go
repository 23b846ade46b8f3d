package fs

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// tmpPrefix starts the names of files being written; listings skip them and
// keys that would use them are refused.
const tmpPrefix = ".sortie.tmp."

// Limits of common Linux filesystems (NAME_MAX, PATH_MAX).
const (
	maxSegment = 255
	maxPath    = 4095
)

// keyPath maps an object key to a path under root, or says why it cannot:
// a key must never name a file outside root, nor one that a listing would
// read back as another key. Keys ending in "/" are folder markers and map to
// the directory itself.
func keyPath(root, key string) (string, error) {
	switch {
	case key == "":
		return "", fmt.Errorf("empty key")
	case !utf8.ValidString(key):
		return "", fmt.Errorf("key is not valid UTF-8")
	case strings.IndexByte(key, 0) >= 0:
		return "", fmt.Errorf("key contains a NUL byte")
	case strings.HasPrefix(key, "/"):
		return "", fmt.Errorf("key is an absolute path")
	}
	segs := strings.Split(strings.TrimSuffix(key, "/"), "/")
	for _, seg := range segs {
		switch {
		case seg == "":
			return "", fmt.Errorf("key has an empty path segment (\"//\")")
		case seg == "." || seg == "..":
			return "", fmt.Errorf("key has a %q segment", seg)
		case len(seg) > maxSegment:
			return "", fmt.Errorf("key has a segment of %d bytes, more than the filesystem's %d", len(seg), maxSegment)
		case strings.HasPrefix(seg, tmpPrefix):
			return "", fmt.Errorf("key segment starts with %q, reserved for sortie's temporary files", tmpPrefix)
		}
	}
	p := filepath.Join(root, filepath.FromSlash(strings.TrimSuffix(key, "/")))
	if len(p) > maxPath {
		return "", fmt.Errorf("path would be %d bytes, more than the filesystem's %d", len(p), maxPath)
	}
	// Belt and braces: whatever the checks above missed, the joined path
	// must still be inside root.
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("key would escape the destination")
	}
	return p, nil
}

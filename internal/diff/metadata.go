package diff

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sortie-dev/sortie/internal/store"
)

// DirectoryType is the Content-Type some stores give folder markers
// (zero-byte keys ending in "/") whatever was written: versitygw keeps them
// as directories, and a directory has no other type.
const DirectoryType = "application/x-directory"

// Quirk names a difference between two objects' metadata that the
// destination store makes on every write, so no copy can remove it: it is
// reported once per run, never as a mismatch.
type Quirk string

// QuirkDirectoryType is a folder marker whose Content-Type the destination
// rewrote to DirectoryType.
const QuirkDirectoryType Quirk = "the destination stores folder markers (keys ending in \"/\") with Content-Type " +
	DirectoryType + " whatever the source's is (versitygw does); no copy can change that"

// CompareMetadata says how dst's metadata differs from src's, or "" if it
// does not: the system headers, the user metadata and, with tags, the tag
// sets, and the Object Lock state. The user keys that a copy adds ("mtime",
// and a history copy's SourceVersionKey and SourceModifiedKey) are allowed
// at the destination when the source lacks them. This is the one comparison verify makes and
// copy and sync act on, so that a sync followed by a verify converges.
func CompareMetadata(src, dst store.Metadata, tags bool) string {
	for _, h := range []struct{ name, s, d string }{
		{"Content-Type", src.ContentType, dst.ContentType},
		{"Content-Encoding", src.ContentEncoding, dst.ContentEncoding},
		{"Content-Disposition", src.ContentDisposition, dst.ContentDisposition},
		{"Content-Language", src.ContentLanguage, dst.ContentLanguage},
		{"Cache-Control", src.CacheControl, dst.CacheControl},
		{"Expires", src.Expires, dst.Expires},
	} {
		if h.s != h.d {
			return fmt.Sprintf("metadata differs: %s %q at the destination, %q at the source", h.name, h.d, h.s)
		}
	}
	du := maps.Clone(dst.User)
	for _, k := range []string{MTimeKey, SourceVersionKey, SourceModifiedKey} {
		if _, ok := src.User[k]; !ok {
			delete(du, k)
		}
	}
	if !maps.Equal(src.User, du) && (len(src.User) > 0 || len(du) > 0) {
		for _, k := range slices.Sorted(maps.Keys(src.User)) {
			if v, ok := du[k]; !ok || v != src.User[k] {
				return fmt.Sprintf("metadata differs: x-amz-meta-%s %q at the destination, %q at the source", k, du[k], src.User[k])
			}
		}
		for _, k := range slices.Sorted(maps.Keys(du)) {
			if _, ok := src.User[k]; !ok {
				return fmt.Sprintf("metadata differs: x-amz-meta-%s only at the destination", k)
			}
		}
	}
	if !src.Lock.Equal(dst.Lock) {
		return fmt.Sprintf("object lock differs: %s at the destination, %s at the source", FormatLock(dst.Lock), FormatLock(src.Lock))
	}
	if tags && !maps.Equal(src.Tags, dst.Tags) && (len(src.Tags) > 0 || len(dst.Tags) > 0) {
		return fmt.Sprintf("tags differ: %v at the destination, %v at the source", dst.Tags, src.Tags)
	}
	return ""
}

// FormatLock renders a version's Object Lock state for messages.
func FormatLock(l store.Lock) string {
	var parts []string
	if l.Mode != "" {
		parts = append(parts, fmt.Sprintf("%s until %s", l.Mode, l.RetainUntil.UTC().Format(time.RFC3339)))
	}
	if l.LegalHold {
		parts = append(parts, "legal hold")
	}
	if len(parts) == 0 {
		return "no retention"
	}
	return strings.Join(parts, ", ")
}

// CompareInfo compares the metadata of two objects at the same key as
// CompareMetadata does, first setting aside what the destination store is
// known to rewrite: it returns the difference that remains ("" if none),
// and the quirk it set aside ("" if none).
func CompareInfo(src, dst store.Info, tags bool) (reason string, quirk Quirk) {
	dm := dst.Meta
	if strings.HasSuffix(src.Key, "/") && src.Size == 0 && dm.ContentType == DirectoryType && src.Meta.ContentType != DirectoryType {
		dm.ContentType, quirk = src.Meta.ContentType, QuirkDirectoryType
	}
	return CompareMetadata(src.Meta, dm, tags), quirk
}

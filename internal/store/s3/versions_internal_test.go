package s3

import (
	"errors"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/store"
)

// newer decides only what the listing proves: a time without a fraction may
// lie anywhere in its second, so a marker inside that second is a tie.
func TestNewerRefusesToGuess(t *testing.T) {
	sec := time.Date(2026, 12, 1, 13, 44, 52, 0, time.UTC)
	v := store.Version{Key: "k", VersionID: "v", ModTime: sec}
	for _, tc := range []struct {
		name   string
		marker store.Version
		newer  bool // the marker is newer
		tie    bool
	}{
		{"marker inside the version's second", store.Version{Key: "k", VersionID: "d", DeleteMarker: true, ModTime: sec.Add(345466238)}, false, true},
		{"marker in the next second", store.Version{Key: "k", VersionID: "d", DeleteMarker: true, ModTime: sec.Add(time.Second + 1)}, true, false},
		{"marker before the second", store.Version{Key: "k", VersionID: "d", DeleteMarker: true, ModTime: sec.Add(-1)}, false, false},
		{"the marker is latest", store.Version{Key: "k", VersionID: "d", DeleteMarker: true, IsLatest: true, ModTime: sec.Add(1)}, true, false},
		{"ULIDs decide", store.Version{Key: "k", VersionID: "01M8RXKRBS3S833CYH8JDYEPYC", DeleteMarker: true, ModTime: sec.Add(1)}, false, false},
	} {
		other := v
		if tc.name == "ULIDs decide" {
			other.VersionID = "01M8RXKRBVB8W9QWGD2KWKESRP"
		}
		got, err := newer(tc.marker, other)
		if (err != nil) != tc.tie || (err == nil && got != tc.newer) || (err != nil && !errors.Is(err, store.ErrAmbiguousOrder)) {
			t.Errorf("%s: newer = %v, %v; want %v, tie %v", tc.name, got, err, tc.newer, tc.tie)
		}
	}
	for id, want := range map[string]bool{
		"01M8RXKRBS3S833CYH8JDYEPYC":           true,
		"81fc2ed8-5506-4385-929f-4a65257ef9bb": false,
		"null":                                 false,
		"01M8RXKRBS3S833CYH8JDYEPYc":           false,
		"81M8RXKRBS3S833CYH8JDYEPYC":           false,
	} {
		if isULID(id) != want {
			t.Errorf("isULID(%q) = %v, want %v", id, !want, want)
		}
	}
}

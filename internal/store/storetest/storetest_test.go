package storetest

import (
	"fmt"
	"testing"

	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/mem"
)

// recorder collects the failures a check reports instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// Stores whose capabilities and interfaces disagree.
type (
	// claims multipart bounds, implements nothing optional
	claimsMultipart struct{ store.Store }
	// implements Multipart (as the old faulty wrapper did over any store)
	// but reports the inner store's empty bounds
	hidesBounds struct {
		store.Store
		store.Multipart
	}
	// lists parts without taking uploads
	listsPartsOnly struct {
		store.Store
		store.PartLister
	}
	// honest: no optional interface, no bounds
	plainOnly struct{ store.Store }
)

func (claimsMultipart) Capabilities() store.Capabilities {
	return store.Capabilities{MinPartSize: 1, MaxPartSize: 5 << 30, MaxParts: 10000}
}
func (hidesBounds) Capabilities() store.Capabilities    { return store.Capabilities{} }
func (listsPartsOnly) Capabilities() store.Capabilities { return store.Capabilities{} }
func (plainOnly) Capabilities() store.Capabilities      { return store.Capabilities{} }

func TestCapabilitiesCatchLies(t *testing.T) {
	m := mem.New("m")
	for _, tc := range []struct {
		name string
		s    store.Store
		fail bool
	}{
		{"claims multipart without the interface", claimsMultipart{m}, true},
		{"implements multipart without claiming it", hidesBounds{m, m}, true},
		{"lists parts without multipart", listsPartsOnly{m, m}, true},
		{"plain and honest", plainOnly{m}, false},
		{"mem", m, false},
	} {
		r := &recorder{TB: t}
		checkCapabilities(r, tc.s)
		if got := len(r.errs) > 0; got != tc.fail {
			t.Errorf("%s: failed %v (%q), want %v", tc.name, got, r.errs, tc.fail)
		}
	}
}

package store

import (
	"fmt"
	"testing"
)

func TestEffectiveHistory(t *testing.T) {
	v := func(id string) Version { return Version{VersionID: id} }
	m := func(id string) Version { return Version{VersionID: id, DeleteMarker: true} }
	for _, tc := range []struct {
		in      []Version
		want    string
		dropped int
	}{
		{nil, "[]", 0},
		{[]Version{m("a")}, "[]", 1},
		{[]Version{m("a"), v("b"), m("c"), m("d"), v("e"), m("f")}, "[b c e f]", 2},
		{[]Version{v("a"), v("b")}, "[a b]", 0},
	} {
		got, dropped := EffectiveHistory(tc.in)
		ids := []string{}
		for _, g := range got {
			ids = append(ids, g.VersionID)
		}
		if s := fmt.Sprint(ids); s != tc.want || dropped != tc.dropped {
			t.Errorf("EffectiveHistory(%v) = %s, %d; want %s, %d", tc.in, s, dropped, tc.want, tc.dropped)
		}
	}
}

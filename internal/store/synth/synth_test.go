package synth

import (
	"context"
	"io"
	"testing"

	"github.com/sortie-dev/sortie/internal/store/storetest"
)

func TestOrderAndDifferences(t *testing.T) {
	a := &Store{N: 1000, Size: 64, WithETags: true}
	b := &Store{N: 1000, Size: 64, Version: 1, ChangeEvery: 100, WithETags: true}
	prev, n, diff := "", 0, 0
	nextB, stop := pull(b)
	defer stop()
	for o, err := range a.List(context.Background(), "") {
		if err != nil {
			t.Fatal(err)
		}
		if o.Key <= prev {
			t.Fatalf("%q after %q", o.Key, prev)
		}
		ob := nextB()
		if ob.Key != o.Key {
			t.Fatalf("keys differ: %q %q", o.Key, ob.Key)
		}
		if ob.ETag != o.ETag {
			diff++
		}
		prev = o.Key
		n++
	}
	if n != 1000 || diff != 10 {
		t.Errorf("%d keys, %d differences; want 1000 and 10", n, diff)
	}
	rc, info, err := a.Open(context.Background(), a.key(7), defaultRead())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	if len(body) != 64 || info.Size != 64 || string(body) != string(a.Body(7)) {
		t.Errorf("body of 7: %d bytes", len(body))
	}
}

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    *Store
	}{
		{"etags", &Store{Name: "etags", N: 100, Size: 64, WithETags: true}},
		{"no etags", &Store{Name: "plain", N: 100, Size: 64}},
		{"changed", &Store{Name: "changed", N: 100, Size: 64, Version: 1, ChangeEvery: 7, WithETags: true}},
		{"empty bodies", &Store{Name: "empty", N: 10, WithETags: true}},
	} {
		t.Run(tc.name, func(t *testing.T) { storetest.RunReadOnly(t, tc.s) })
	}
}

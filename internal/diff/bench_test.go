package diff

import (
	"context"
	"testing"

	"github.com/sortie-dev/sortie/internal/store/synth"
)

// BenchmarkMerge merges two generated listings of 100,000 keys, 1% of which
// differ, and compares every pair: the listing merge's own cost per key.
func BenchmarkMerge(b *testing.B) {
	const n = 100_000
	src := &synth.Store{N: n, WithETags: true}
	dst := &synth.Store{N: n, WithETags: true, Version: 1, ChangeEvery: 100}
	b.ReportAllocs()
	for b.Loop() {
		different := 0
		for e, err := range Merge(context.Background(), src.List(context.Background(), ""), dst.List(context.Background(), ""), "s", "d", nil) {
			if err != nil {
				b.Fatal(err)
			}
			if Compare(e.Src, e.Dst) == Different {
				different++
			}
		}
		if different != n/100 {
			b.Fatalf("%d different", different)
		}
	}
	b.ReportMetric(float64(n), "keys/op")
}

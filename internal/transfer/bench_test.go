package transfer

import (
	"bytes"
	"context"
	"testing"

	"github.com/sortie-dev/sortie/internal/store/synth"
)

// BenchmarkReadHash is hashing while streaming: one 16 MiB part read into
// its buffer and MD5-hashed, as every byte copied is.
func BenchmarkReadHash(b *testing.B) {
	r := newRun(&synth.Store{}, &synth.Store{}, Options{})
	data := bytes.Repeat([]byte("sortie"), (16<<20)/6+1)[:16<<20]
	buf := make([]byte, len(data))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := r.readFull(context.Background(), bytes.NewReader(data), buf, "k"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEngineSmallObjects copies 10,000 generated 4 KiB objects into a
// sink that discards them: the engine's cost per object, without a network.
func BenchmarkEngineSmallObjects(b *testing.B) {
	const n = 10_000
	b.SetBytes(n * 4096)
	for b.Loop() {
		sum, err := Run(context.Background(), &synth.Store{N: n, Size: 4096}, &synth.Store{}, Options{MaxDelete: -1})
		if err != nil || sum.Copied != n {
			b.Fatalf("copied %d: %v", sum.Copied, err)
		}
	}
	b.ReportMetric(n, "objects/op")
}

package main

import (
	"context"
	"os"
	"testing"

	"github.com/sortie-dev/sortie/internal/pgtest"
)

// BenchmarkScaling is the bench with the PostgreSQL that internal/pgtest
// starts (it starts servers for a testing.TB only). It is a benchmark so
// that the test suite never runs it; bench/coordinator.sh runs it once:
//
//	go test -run XXX -bench Scaling -benchtime 1x ./bench/coordinator -args -sortie /abs/path/sortie [-rounds 3]
func BenchmarkScaling(b *testing.B) {
	pg := pgtest.Start(b)
	url := pg.Database(b)
	for range b.N {
		if err := run(context.Background(), options(url), os.Stdout); err != nil {
			b.Fatal(err)
		}
	}
}

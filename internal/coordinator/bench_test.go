package coordinator_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sortie-dev/sortie/internal/coordinator"
	"github.com/sortie-dev/sortie/internal/journal"
	"github.com/sortie-dev/sortie/internal/transfer"
)

// The ledger's cost per small object (Started then Done), batched, on
// PostgreSQL against the SQLite journal in the same run:
//
//	go test -run '^$' -bench Ledger ./internal/coordinator
func BenchmarkLedger(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, l transfer.Ledger, flush func() error) {
		b.ResetTimer()
		for i := range b.N {
			key := fmt.Sprintf("dataset/part-%02d/object-%08d.bin", i%20, i)
			l.Started(key, 4096, "0123456789abcdef0123456789abcdef")
			l.Done(key, 4096, "0123456789abcdef0123456789abcdef")
		}
		if err := flush(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "objects/s")
	}
	b.Run("sqlite", func(b *testing.B) {
		j, err := journal.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), journal.Job{Source: "s3://a", Destination: "s3://b"})
		if err != nil {
			b.Fatal(err)
		}
		defer j.Close()
		run(b, j, j.Flush)
	})
	b.Run("postgres", func(b *testing.B) {
		l, err := coordinator.OpenLedger(ctx, pool(b), coordinator.Scope{Job: "bench", Partition: 1})
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close(ctx)
		run(b, l, func() error { return l.Flush(ctx) })
	})
}

// Workers share one database: 1, 2 and 3 ledgers (partitions of one job)
// recording at once, objects/s in all.
func BenchmarkLedgerWorkers(b *testing.B) {
	ctx := context.Background()
	p := pool(b)
	for _, workers := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("postgres-%d", workers), func(b *testing.B) {
			ledgers := make([]*coordinator.Ledger, workers)
			for w := range ledgers {
				l, err := coordinator.OpenLedger(ctx, p, coordinator.Scope{Job: fmt.Sprintf("bench-%d-%d", workers, b.N), Partition: w})
				if err != nil {
					b.Fatal(err)
				}
				ledgers[w] = l
			}
			b.ResetTimer()
			var wg sync.WaitGroup
			for w, l := range ledgers {
				wg.Go(func() {
					for i := w; i < b.N; i += workers {
						key := fmt.Sprintf("dataset/part-%02d/object-%08d.bin", w, i)
						l.Started(key, 4096, "0123456789abcdef0123456789abcdef")
						l.Done(key, 4096, "0123456789abcdef0123456789abcdef")
					}
					if err := l.Close(ctx); err != nil {
						b.Error(err)
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

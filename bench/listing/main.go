// Command listing measures listing speed on a real MinIO bucket: page after
// page against split over key ranges, in one run, same bucket.
//
//	bench/listing.sh [-keys 100000]
package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"flag"
	"fmt"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/internal/listing"
	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
)

func main() {
	keys := flag.Int("keys", 100000, "objects in the bucket")
	rounds := flag.Int("rounds", 3, "rounds")
	flag.Parse()
	if err := run(*keys, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "listing:", err)
		os.Exit(1)
	}
}

func run(n, rounds int) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "sortie-listing-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	srv, err := s3test.Start(s3test.MinIO, tmp)
	if err != nil {
		return err
	}
	defer srv.Stop()
	st, err := s3store.New(ctx, srv.Config("listing", ""))
	if err != nil {
		return err
	}
	if err := st.CreateBucket(ctx); err != nil {
		return err
	}
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range n {
		g.Go(func() error {
			b := []byte(fmt.Sprint(i))
			sum := md5.Sum(b)
			_, err := st.Put(gctx, store.PutInput{Key: fmt.Sprintf("dataset/part-%02d/object-%07d.bin", i%50, i), Body: bytes.NewReader(b), Size: int64(len(b)), MD5: sum[:]})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seeded %d keys in %.1fs\n", n, time.Since(start).Seconds())
	results := map[int][]time.Duration{}
	workers := []int{1, 4, 8, 16}
	for range rounds {
		for _, w := range workers {
			start := time.Now()
			count := 0
			for _, err := range listing.List(ctx, st, "", listing.Options{Workers: w}) {
				if err != nil {
					return err
				}
				count++
			}
			if count != n {
				return fmt.Errorf("%d workers listed %d keys, want %d", w, count, n)
			}
			results[w] = append(results[w], time.Since(start))
		}
	}
	fmt.Printf("\nlisting %d keys (50 folders) on one MinIO on loopback, best of %d rounds\n\n| list workers | seconds | keys/s | speed-up |\n|---|---|---|---|\n", n, rounds)
	base := best(results[1])
	for _, w := range workers {
		b := best(results[w])
		fmt.Printf("| %d | %.2f | %.0f | %.2f× |\n", w, b.Seconds(), float64(n)/b.Seconds(), base.Seconds()/b.Seconds())
	}
	return nil
}

func best(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = min(m, d)
	}
	return m
}

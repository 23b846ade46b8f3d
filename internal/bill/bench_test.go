package bill_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/bill"
	"github.com/sortie-dev/sortie/internal/bill/billtest"
)

// BenchmarkReadLargeCUR streams a generated CUR 2.0 CSV of about 1 GiB
// (SORTIE_CUR_BYTES to change it) and reports the peak heap while reading:
// it must stay flat whatever the file's size.
//
//	go test -run '^$' -bench ReadLargeCUR -benchtime 1x ./internal/bill
func BenchmarkReadLargeCUR(b *testing.B) {
	size := int64(1 << 30)
	if s := os.Getenv("SORTIE_CUR_BYTES"); s != "" {
		size, _ = strconv.ParseInt(s, 10, 64)
	}
	path := filepath.Join(b.TempDir(), "large.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	sample := billtest.Sample()
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const lineBytes = 170 // a sample line's size in CSV, near enough
	n := int(size / lineBytes)
	err = billtest.Write(f, billtest.LegacyCSV, func(yield func(billtest.Line) bool) {
		for i := range n {
			l := sample[i%len(sample)]
			l.Start = start.AddDate(0, 0, i%730) // two years of days: 24 months
			if !yield(l) {
				return
			}
		}
	})
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for range b.N {
		var peak uint64
		done := make(chan struct{})
		go func() {
			var m runtime.MemStats
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
				select {
				case <-done:
					return
				case <-t.C:
				}
			}
		}()
		s, err := bill.Read(path)
		close(done)
		if err != nil {
			b.Fatal(err)
		}
		if s.Lines != int64(n) {
			b.Fatalf("read %d lines of %d", s.Lines, n)
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(s.Lines), "lines")
	}
}

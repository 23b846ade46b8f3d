package verify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sortie-dev/sortie/internal/retry"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/faulty"
	"github.com/sortie-dev/sortie/internal/store/mem"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// localRead makes verify hash a store's bytes, as it does a filesystem's.
type localRead struct{ store.Store }

func (l localRead) Capabilities() store.Capabilities {
	c := l.Store.Capabilities()
	c.LocalRead = true
	return c
}

// (d) Verify's reads go through the throttle gate, as copy's do: a store
// answering 503 SlowDown to every first read is waited out (not counted
// against the retry attempts, here one), and the reads after it run at
// half the concurrency, the store's shared limit having been cut.
func TestThrottledReadsBackOffThroughTheGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers, objects = 8, 8
		src, inner := mem.New("src"), mem.New("dst")
		for i := range objects {
			k := fmt.Sprintf("k%d", i)
			storetest.Put(t, src, k, []byte("body of "+k), store.Metadata{})
			storetest.Put(t, inner, k, []byte("body of "+k), store.Metadata{})
		}
		var mu sync.Mutex
		inflight, peak := 0, map[bool]int{} // by "is a retry"
		slowDown := &store.OpError{Op: "open", Err: errors.New("503 SlowDown"), Retry: true, Throttle: true, RetryAfter: time.Second}
		df := &faulty.Faults{OpenErr: func(k string, n int) error {
			mu.Lock()
			inflight++
			peak[n > 1] = max(peak[n > 1], inflight)
			mu.Unlock()
			time.Sleep(100 * time.Millisecond) // the request's round trip
			mu.Lock()
			inflight--
			mu.Unlock()
			if n == 1 {
				return slowDown
			}
			return nil
		}}
		gate := retry.NewGate(workers)
		start := time.Now()
		rep, err := Run(context.Background(), src, localRead{faulty.Wrap(inner, df)}, Options{
			Workers: workers, SkipMetadata: true, Retry: retry.Policy{Attempts: 1}, DstGate: gate,
		})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK(true) || rep.Verified != objects || rep.ByHash != objects {
			t.Fatalf("report %+v, want all %d verified by hash", rep, objects)
		}
		if d := time.Since(start); d < time.Second {
			t.Errorf("verified in %v, want at least the 1s the store asked for", d)
		}
		if peak[false] != workers || peak[true] > workers/2 {
			t.Errorf("peak concurrency %d before the throttle and %d after, want %d and at most %d", peak[false], peak[true], workers, workers/2)
		}
		if l := gate.Limit(); l >= workers {
			t.Errorf("gate limit %d after the run, want below %d", l, workers)
		}
	})
}

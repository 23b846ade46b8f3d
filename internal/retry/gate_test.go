package retry

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestAIMD(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	a := newAIMD(16, c.now)
	a.throttled()
	if got := a.current(); got != 8 {
		t.Fatalf("after one throttle: limit %v, want 8", got)
	}
	a.throttled() // same second: the same congestion event
	if got := a.current(); got != 8 {
		t.Fatalf("second throttle within a second cut again: %v", got)
	}
	for range 5 {
		c.advance(time.Second)
		a.throttled()
	}
	if got := a.current(); got != 1 {
		t.Fatalf("limit %v, want the floor 1", got)
	}
	// Additive increase: about one more slot per window of successes.
	for range 1 + 2 + 3 {
		a.success()
	}
	if got := a.current(); got < 3.4 || got > 4 {
		t.Fatalf("after 6 successes from 1: limit %v, want about 4", got)
	}
	for range 1000 {
		a.success()
	}
	if got := a.current(); got != 16 {
		t.Fatalf("recovered limit %v, want the cap 16", got)
	}
}

func TestAIMDBoundsConcurrency(t *testing.T) {
	a := newAIMD(4, time.Now)
	a.limit = 2
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			running.Add(-1)
			a.release()
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 2 {
		t.Errorf("peak concurrency %d with limit 2", p)
	}
}

func TestGateOutlastsThrottling(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	g := NewGate(8)
	g.now = c.now
	g.store.now, g.prefix("data/x").now = c.now, c.now
	var waits []time.Duration
	g.sleep = func(ctx context.Context, d time.Duration) error { waits = append(waits, d); c.advance(d); return nil }
	throttle := &store.OpError{Op: "put", Err: errors.New("SlowDown"), Retry: true, Throttle: true, RetryAfter: 2 * time.Second}
	calls := 0
	// Thirty refusals in a row: far more than any fixed retry count.
	err := g.Do(context.Background(), "data/x", func() error {
		calls++
		if calls <= 30 {
			return throttle
		}
		return nil
	})
	if err != nil || calls != 31 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
	if waits[0] < 2*time.Second {
		t.Errorf("first wait %v ignores Retry-After 2s", waits[0])
	}
	if g.store.current() >= 8 || g.prefix("data/x").current() >= 8 {
		t.Errorf("limits not lowered: store %v prefix %v", g.store.current(), g.prefix("data/x").current())
	}
	if g.prefix("other/y").current() != 8 {
		t.Error("another prefix was slowed down")
	}
}

func TestGateGivesUpAfterDeadline(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	g := NewGate(2)
	g.now = c.now
	g.deadline = time.Minute
	g.sleep = func(ctx context.Context, d time.Duration) error { c.advance(d); return nil }
	throttle := &store.OpError{Op: "put", Err: errors.New("SlowDown"), Retry: true, Throttle: true, RetryAfter: 10 * time.Second}
	err := g.Do(context.Background(), "k", func() error { return throttle })
	if ok, _ := store.IsThrottle(err); !ok || store.IsTransient(err) {
		t.Fatalf("err %v, want a final (not transient) throttle error after the deadline", err)
	}
	if other := errors.New("boom"); g.Do(context.Background(), "k", func() error { return other }) != other {
		t.Error("a non-throttle error was not returned as is")
	}
}

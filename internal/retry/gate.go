package retry

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/sortie-dev/sortie/internal/store"
)

// aimd is a concurrency limit that halves when the store throttles and
// grows by one for every window of successes: additive increase,
// multiplicative decrease, as TCP does with its congestion window.
type aimd struct {
	mu       sync.Mutex
	limit    float64
	max      float64
	inflight int
	wake     chan struct{} // closed and replaced when a slot may have freed
	lastCut  time.Time
	now      func() time.Time
}

func newAIMD(max int, now func() time.Time) *aimd {
	return &aimd{limit: float64(max), max: float64(max), wake: make(chan struct{}), now: now}
}

func (a *aimd) acquire(ctx context.Context) error {
	for {
		a.mu.Lock()
		if a.inflight < max(int(a.limit), 1) {
			a.inflight++
			a.mu.Unlock()
			return nil
		}
		wake := a.wake
		a.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (a *aimd) release() {
	a.mu.Lock()
	a.inflight--
	a.signal()
	a.mu.Unlock()
}

// signal wakes every waiter; the caller holds mu.
func (a *aimd) signal() {
	close(a.wake)
	a.wake = make(chan struct{})
}

func (a *aimd) success() {
	a.mu.Lock()
	if a.limit < a.max {
		a.limit = min(a.max, a.limit+1/a.limit)
		a.signal()
	}
	a.mu.Unlock()
}

// throttled halves the limit, at most once a second: the requests already
// in flight when the store started refusing all come back throttled, and
// one cut is the answer to all of them.
func (a *aimd) throttled() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if t := a.now(); t.Sub(a.lastCut) >= time.Second {
		a.limit = max(1, a.limit/2)
		a.lastCut = t
	}
}

func (a *aimd) current() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.limit
}

// Gate admits the requests to one store: a limit for the store, and one per
// top-level key prefix, since S3 throttles per prefix partition. It is the
// only layer that answers throttling (see the package comment); the engines
// that read or write a store (copy, verify) send every data request
// through the store's gate. A Gate is safe for concurrent use.
type Gate struct {
	workers  int
	store    *aimd
	mu       sync.Mutex
	prefixes map[string]*aimd
	// backoff is the wait after a throttle that gave no Retry-After.
	backoff Policy
	// deadline bounds how long one request may keep being throttled.
	deadline time.Duration
	sleep    func(ctx context.Context, d time.Duration) error
	now      func() time.Time
}

// maxPrefixes bounds the per-prefix limits kept; keys beyond share one.
const maxPrefixes = 1024

// NewGate returns a gate that admits up to workers requests at once, and
// fewer while the store throttles.
func NewGate(workers int) *Gate {
	workers = max(workers, 1)
	return &Gate{
		workers:  workers,
		store:    newAIMD(workers, time.Now),
		prefixes: map[string]*aimd{},
		backoff:  Policy{Base: 100 * time.Millisecond, Max: 5 * time.Second},
		deadline: 30 * time.Minute,
		sleep:    Sleep,
		now:      time.Now,
	}
}

func (g *Gate) prefix(key string) *aimd {
	p, _, _ := strings.Cut(key, "/")
	g.mu.Lock()
	defer g.mu.Unlock()
	a, ok := g.prefixes[p]
	if !ok {
		if len(g.prefixes) >= maxPrefixes {
			p = "\x00overflow"
			if a, ok = g.prefixes[p]; ok {
				return a
			}
		}
		a = newAIMD(g.workers, g.now)
		g.prefixes[p] = a
	}
	return a
}

// Do runs fn under the store's and the key's prefix's limits. A throttled
// fn lowers both limits, waits as the store asked (or backs off with
// jitter), and runs again: throttling is the store's way of saying "later",
// not "no", so it is not counted against the retry attempts of other
// failures. Only after the deadline does a throttle become a failure.
func (g *Gate) Do(ctx context.Context, key string, fn func() error) error {
	pl := g.prefix(key)
	var first time.Time
	for n := 1; ; n++ {
		if err := g.store.acquire(ctx); err != nil {
			return err
		}
		if err := pl.acquire(ctx); err != nil {
			g.store.release()
			return err
		}
		err := fn()
		pl.release()
		g.store.release()
		throttled, after := store.IsThrottle(err)
		if !throttled {
			if err == nil {
				g.store.success()
				pl.success()
			}
			return err
		}
		g.store.throttled()
		pl.throttled()
		if first.IsZero() {
			first = g.now()
		}
		if g.now().Sub(first) > g.deadline {
			// Final: no other layer may start another deadline's worth
			// of waiting (the error is not transient).
			return &store.OpError{Op: "throttled", Key: key, Throttle: true,
				Err: fmt.Errorf("the store still refused after %s of backing off: %w", g.deadline, err)}
		}
		wait := max(after, g.backoff.Delay(min(n, 10)))
		// A little jitter even on Retry-After, so that every worker told
		// "1 second" does not come back in the same instant.
		wait += time.Duration(rand.Int64N(int64(50 * time.Millisecond)))
		if err := g.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Limit returns how many requests the gate admits to the store at once
// now: the workers it was made with, less while the store throttles.
func (g *Gate) Limit() int { return max(int(g.store.current()), 1) }

package transfer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/sortie-dev/sortie/internal/retry"
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

// gate admits the requests to one store: a limit for the store, and one per
// top-level key prefix, since S3 throttles per prefix partition.
type gate struct {
	workers  int
	store    *aimd
	mu       sync.Mutex
	prefixes map[string]*aimd
	// backoff is the wait after a throttle that gave no Retry-After.
	backoff retry.Policy
	// deadline bounds how long one request may keep being throttled.
	deadline time.Duration
	sleep    func(ctx context.Context, d time.Duration) error
	now      func() time.Time
}

// maxPrefixes bounds the per-prefix limits kept; keys beyond share one.
const maxPrefixes = 1024

func newGate(workers int) *gate {
	return &gate{
		workers:  workers,
		store:    newAIMD(workers, time.Now),
		prefixes: map[string]*aimd{},
		backoff:  retry.Policy{Base: 100 * time.Millisecond, Max: 5 * time.Second},
		deadline: 30 * time.Minute,
		sleep:    retry.Sleep,
		now:      time.Now,
	}
}

func (g *gate) prefix(key string) *aimd {
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

// do runs fn under the store's and the key's prefix's limits. A throttled
// fn lowers both limits, waits as the store asked (or backs off with
// jitter), and runs again: throttling is the store's way of saying "later",
// not "no", so it is not counted against the retry attempts of other
// failures. Only after the deadline does a throttle become a failure.
func (g *gate) do(ctx context.Context, key string, fn func() error) error {
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
			// Final: the object-level retries must not start another
			// deadline's worth of waiting.
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

// The engine's data-path requests, each admitted by its side's gate.

func (r *run) open(ctx context.Context, key string, opts store.ReadOptions) (rc io.ReadCloser, info store.Info, err error) {
	err = r.srcGate.do(ctx, key, func() error {
		rc, info, err = r.src.Open(ctx, key, opts)
		return err
	})
	return rc, info, err
}

func (r *run) put(ctx context.Context, in store.PutInput) (got store.Object, err error) {
	err = r.dstGate.do(ctx, in.Key, func() error {
		if s, ok := in.Body.(io.Seeker); ok {
			s.Seek(0, io.SeekStart) // a throttled attempt may have read some of it
		}
		got, err = r.dst.Put(ctx, in)
		return err
	})
	return got, err
}

func (r *run) createMultipart(ctx context.Context, key string, meta store.Metadata) (id string, err error) {
	err = r.dstGate.do(ctx, key, func() error {
		id, err = r.mp.CreateMultipart(ctx, key, meta, r.opts.StorageClass)
		return err
	})
	return id, err
}

func (r *run) uploadPart(ctx context.Context, key, id string, n int, buf, sum []byte) (etag string, err error) {
	err = r.dstGate.do(ctx, key, func() error {
		etag, err = r.mp.UploadPart(ctx, key, id, n, bytes.NewReader(buf), int64(len(buf)), sum)
		return err
	})
	return etag, err
}

func (r *run) completeMultipart(ctx context.Context, key, id string, parts []store.Part) (got store.Object, err error) {
	err = r.dstGate.do(ctx, key, func() error {
		got, err = r.mp.CompleteMultipart(ctx, key, id, parts)
		return err
	})
	return got, err
}

func (r *run) delete(ctx context.Context, key string) error {
	return r.dstGate.do(ctx, key, func() error { return r.dst.Delete(ctx, key) })
}

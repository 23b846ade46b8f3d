package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/sortie-dev/sortie/internal/store"
)

// Policy says how often and how long to retry one request.
type Policy struct {
	// Attempts bounds the attempts of a request that keeps failing with
	// transient errors (at least 1).
	Attempts int
	// Mismatches bounds the attempts of a request whose bytes keep failing
	// their checksum (at least 1: 0 reports the first mismatch). They are
	// counted apart from transient failures: a part that is cut short once
	// and then corrupted once has used one of each.
	Mismatches int
	// Throttles bounds the attempts of a throttled request in a loop that
	// no Gate admits (listings, a store's preflight check); 0 returns a
	// throttled error at once, to the Gate that admitted the request.
	Throttles int
	Base      time.Duration // the first delay's cap
	Max       time.Duration // no delay is longer
	// Sleep waits for d or until ctx is done; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Default is the policy of the engines' data requests: it is their only
// retry layer (the SDK makes one attempt at them), so it outlasts a store
// that restarts — eight attempts span about a minute at worst.
var Default = Policy{Attempts: 8, Mismatches: 3, Base: 500 * time.Millisecond, Max: 20 * time.Second}

// Delay returns the wait before attempt n+1 (n counts from 1): a random
// duration up to min(Max, Base·2^(n-1)) — "full jitter", which spreads
// retries of many workers hitting one throttled server.
func (p Policy) Delay(n int) time.Duration {
	ceiling := p.Base << min(n-1, 30)
	if ceiling <= 0 || ceiling > p.Max {
		ceiling = p.Max
	}
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling) + 1
}

// Kind is how a retry layer sees an error.
type Kind int

const (
	Permanent Kind = iota // not worth another attempt, or cancellation
	Transient             // may pass: Policy.Attempts
	Mismatch              // bytes failed their checksum: Policy.Mismatches
	Throttled             // the store asked to slow down: the Gate's
)

// KindOf classifies err for the retry layers.
func KindOf(err error) Kind {
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Permanent
	case errors.Is(err, store.ErrChecksumMismatch):
		return Mismatch
	}
	if t, _ := store.IsThrottle(err); t {
		return Throttled
	}
	if store.IsTransient(err) {
		return Transient
	}
	return Permanent
}

// Do calls fn until it succeeds, fails for good, or the attempts of the
// kind of failure it keeps returning run out; it returns fn's last error.
// A throttled error is returned as it is unless the policy has Throttles:
// the Gate that admits the request waits out throttling.
func (p Policy) Do(ctx context.Context, fn func(attempt int) error) error {
	sleep := p.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	var transient, mismatches, throttles int
	for n := 1; ; n++ {
		err := fn(n)
		if err == nil || ctx.Err() != nil {
			return err
		}
		delay := p.Delay(n)
		switch KindOf(err) {
		case Throttled:
			if throttles++; throttles >= p.Throttles {
				return err
			}
			if _, after := store.IsThrottle(err); after > delay {
				delay = after // the store said how long
			}
		case Transient:
			if transient++; transient >= max(p.Attempts, 1) {
				return err
			}
		case Mismatch:
			if mismatches++; mismatches >= max(p.Mismatches, 1) {
				return err
			}
		default:
			return err
		}
		if serr := sleep(ctx, delay); serr != nil {
			return err
		}
	}
}

// Sleep waits for d, or returns ctx's error as soon as ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

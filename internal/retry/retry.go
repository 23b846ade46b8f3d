// Package retry runs an operation again when it fails for a reason that may
// pass: capped exponential backoff with full jitter, a bounded number of
// attempts, and sleeps that end at once when the context is cancelled.
//
// Whether an error is worth retrying is decided by the store adapter that
// classified it (store.IsTransient); this package only reads the verdict.
// Cancellation is never retried.
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/sortie-dev/sortie/internal/store"
)

// Policy says how often and how long to retry.
type Policy struct {
	Attempts int           // total attempts, at least 1
	Base     time.Duration // the first delay's cap
	Max      time.Duration // no delay is longer
	// Sleep waits for d or until ctx is done; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Retryable decides which errors to retry; default store.IsTransient.
	Retryable func(error) bool
}

// Default is the object-level policy: the SDK has already retried each
// request, so these attempts cover failures that span requests (a body cut
// short, a checksum mismatch, a server that restarted).
var Default = Policy{Attempts: 5, Base: 500 * time.Millisecond, Max: 30 * time.Second}

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

// Do calls fn until it succeeds, returns an error not worth retrying, or the
// attempts run out; it returns fn's last error.
func (p Policy) Do(ctx context.Context, fn func(attempt int) error) error {
	sleep := p.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	retryable := p.Retryable
	if retryable == nil {
		retryable = store.IsTransient
	}
	attempts := max(p.Attempts, 1)
	var err error
	for n := 1; ; n++ {
		err = fn(n)
		if err == nil || n >= attempts || !retryable(err) ||
			errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return err
		}
		if serr := sleep(ctx, p.Delay(n)); serr != nil {
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

package retry

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/store"
)

var (
	transient = &store.OpError{Op: "put", Err: errors.New("500 InternalError"), Retry: true}
	permanent = &store.OpError{Op: "put", Err: store.ErrPermission}
	badDigest = &store.OpError{Op: "upload part", Err: fmt.Errorf("%w (BadDigest)", store.ErrChecksumMismatch), Retry: true}
	throttled = &store.OpError{Op: "put", Err: errors.New("503 SlowDown"), Retry: true, Throttle: true}
)

func TestDo(t *testing.T) {
	for _, tc := range []struct {
		name      string
		errs      []error // what each call returns
		wantCalls int
		wantErr   error
	}{
		{"ok first time", []error{nil}, 1, nil},
		{"transient then ok", []error{transient, transient, nil}, 3, nil},
		{"permanent stops", []error{permanent, nil}, 1, permanent},
		{"gives up after Attempts", []error{transient, transient, transient, transient}, 3, transient},
		{"checksum retried", []error{store.ErrChecksumMismatch, nil}, 2, nil},
		{"checksum gives up after Mismatches", []error{badDigest, badDigest, nil}, 2, badDigest},
		{"kinds counted apart", []error{transient, badDigest, transient, nil}, 4, nil},
		{"throttle is the gate's", []error{throttled, nil}, 1, throttled},
		{"cancel not retried", []error{context.Canceled, nil}, 1, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var slept []time.Duration
			p := Policy{Attempts: 3, Mismatches: 2, Base: time.Second, Max: 4 * time.Second,
				Sleep: func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
			calls := 0
			err := p.Do(context.Background(), func(int) error { calls++; return tc.errs[calls-1] })
			if calls != tc.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tc.wantCalls)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if len(slept) != calls-1 && err == nil {
				t.Errorf("slept %d times for %d calls", len(slept), calls)
			}
		})
	}
}

// The zero Policy tries once: a mismatch or a transient error is reported
// at once.
func TestZeroPolicyTriesOnce(t *testing.T) {
	for _, e := range []error{transient, badDigest} {
		calls := 0
		Policy{}.Do(context.Background(), func(int) error { calls++; return e })
		if calls != 1 {
			t.Errorf("%v: %d calls, want 1", e, calls)
		}
	}
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Kind
	}{
		{nil, Permanent},
		{permanent, Permanent},
		{transient, Transient},
		{badDigest, Mismatch},
		{store.ErrChecksumMismatch, Mismatch},
		{throttled, Throttled},
		{fmt.Errorf("open: %w", context.Canceled), Permanent},
		{&store.OpError{Op: "open", Err: context.DeadlineExceeded, Retry: true}, Permanent},
	} {
		if got := KindOf(tc.err); got != tc.want {
			t.Errorf("KindOf(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestDelayBounds(t *testing.T) {
	p := Policy{Base: 100 * time.Millisecond, Max: time.Second}
	for n := 1; n <= 40; n++ {
		ceiling := min(p.Base<<min(n-1, 30), p.Max)
		for range 50 {
			d := p.Delay(n)
			if d <= 0 || d > ceiling {
				t.Fatalf("Delay(%d) = %v, want in (0, %v]", n, d, ceiling)
			}
		}
	}
}

func TestSleepWakesOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep = %v, want Canceled", err)
	}
}

// A loop that no gate admits (listings, checks) waits out throttling
// itself, for as long as the store's Retry-After says, within Throttles.
func TestThrottlesWithoutAGate(t *testing.T) {
	slow := &store.OpError{Op: "list", Err: errors.New("503 SlowDown"), Retry: true, Throttle: true, RetryAfter: 7 * time.Second}
	var slept []time.Duration
	p := Policy{Attempts: 2, Throttles: 3, Base: time.Millisecond, Max: time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	calls := 0
	errs := []error{slow, throttled, nil}
	if err := p.Do(context.Background(), func(int) error { calls++; return errs[calls-1] }); err != nil || calls != 3 {
		t.Fatalf("err %v after %d calls, want success on the third", err, calls)
	}
	if slept[0] != 7*time.Second || slept[1] > time.Second {
		t.Errorf("slept %v, want the store's 7s then a backoff", slept)
	}
	calls = 0
	errs = []error{throttled, throttled, throttled, nil}
	if err := p.Do(context.Background(), func(int) error { calls++; return errs[calls-1] }); !errors.Is(err, throttled) || calls != 3 {
		t.Errorf("err %v after %d calls, want the throttle after Throttles (3)", err, calls)
	}
}

package database

import (
	"context"
	"io"

	"golang.org/x/time/rate"
)

// Throttle caps the bytes per second read from a source, shared by every
// table copied at once. The zero of *Throttle (nil) does not wait.
type Throttle struct{ l *rate.Limiter }

// NewThrottle caps reads at bytesPerSecond; 0 or less means no cap (nil).
func NewThrottle(bytesPerSecond int64) *Throttle {
	if bytesPerSecond <= 0 {
		return nil
	}
	// A burst of a quarter second's worth (at least 64 KiB): smooth
	// enough for a server, large enough for one COPY message.
	burst := max(int(bytesPerSecond/4), 64<<10)
	return &Throttle{l: rate.NewLimiter(rate.Limit(bytesPerSecond), burst)}
}

// Wait blocks until n more bytes may be read, or ctx ends.
func (t *Throttle) Wait(ctx context.Context, n int) error {
	if t == nil {
		return nil
	}
	for n > 0 {
		k := min(n, t.l.Burst())
		if err := t.l.WaitN(ctx, k); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// Meter is the writer a table's rows stream through on their way from the
// source to the target: it waits for the throttle, counts the bytes and
// tells the listener.
type Meter struct {
	W        io.Writer
	Ctx      context.Context
	Throttle *Throttle
	Options  CopyOptions
	Table    string
	N        int64
}

func (m *Meter) Write(p []byte) (int, error) {
	if err := m.Throttle.Wait(m.Ctx, len(p)); err != nil {
		return 0, err
	}
	n, err := m.W.Write(p)
	m.N += int64(n)
	if n > 0 {
		m.Options.Emit(CopyEvent{Kind: EventBytes, Table: m.Table, N: int64(n)})
	}
	return n, err
}

// Package progress shows a run while it happens: a live status line on a
// terminal, a plain line every few seconds when output is a log or a pipe,
// and JSON lines for scripts. All three are event listeners; none of them
// knows how objects are copied.
package progress

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/sortie-dev/sortie/internal/event"
)

// Stats counts events; it is safe for concurrent use.
type Stats struct {
	listed, listedBytes atomic.Int64
	listDone            atomic.Bool
	done, doneBytes     atomic.Int64 // copied or verified
	read                atomic.Int64 // bytes read from the source
	unchanged           atomic.Int64
	failed              atomic.Int64
	deleted             atomic.Int64
	start               time.Time
}

// NewStats starts counting now.
func NewStats() *Stats { return &Stats{start: time.Now()} }

// Event implements event.Listener.
func (s *Stats) Event(e event.Event) {
	switch e.Kind {
	case event.Listed:
		s.listed.Add(1)
		s.listedBytes.Add(e.Size)
	case event.ListDone:
		s.listDone.Store(true)
	case event.Bytes:
		s.read.Add(e.N)
	case event.Copied, event.WouldCopy, event.Verified:
		s.done.Add(1)
		s.doneBytes.Add(e.Size)
	case event.Unchanged:
		s.unchanged.Add(1)
	case event.Failed, event.Mismatch, event.Missing:
		s.failed.Add(1)
	case event.Deleted, event.WouldDelete:
		s.deleted.Add(1)
	}
}

// Display writes the status of a run at intervals.
type Display struct {
	W        io.Writer
	Terminal bool          // redraw one line in place
	Interval time.Duration // between lines; default 1s on a terminal, 10s otherwise
	Verb     string        // "copied", "verified"
	Stats    *Stats

	rate    float64 // bytes/s, smoothed
	lastN   int64
	lastT   time.Time
	drawn   bool
	started time.Time
}

// Start draws until the returned stop function is called; stop waits for
// the drawing goroutine to end and clears a terminal line.
func (d *Display) Start(ctx context.Context) (stop func()) {
	if d.Interval == 0 {
		d.Interval = 10 * time.Second
		if d.Terminal {
			d.Interval = 500 * time.Millisecond
		}
	}
	d.started, d.lastT = time.Now(), time.Now()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(d.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				if d.Terminal && d.drawn {
					fmt.Fprint(d.W, "\r\033[K")
				}
				return
			case now := <-t.C:
				d.draw(now)
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}

func (d *Display) draw(now time.Time) {
	s := d.Stats
	read := s.read.Load()
	if dt := now.Sub(d.lastT).Seconds(); dt > 0 {
		inst := float64(read-d.lastN) / dt
		if d.rate == 0 {
			d.rate = inst
		} else {
			d.rate = 0.7*d.rate + 0.3*inst
		}
	}
	d.lastN, d.lastT = read, now
	line := Line(s, d.Verb, d.rate, now.Sub(d.started))
	if d.Terminal {
		fmt.Fprint(d.W, "\r\033[K"+line)
		d.drawn = true
	} else {
		fmt.Fprintln(d.W, line)
	}
}

// Line renders one status line.
func Line(s *Stats, verb string, rate float64, elapsed time.Duration) string {
	done, doneB := s.done.Load(), s.doneBytes.Load()
	skipped := s.unchanged.Load()
	listed, listedB := s.listed.Load(), s.listedBytes.Load()
	more := "+"
	if s.listDone.Load() {
		more = ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s%s objects", verb, humanize.Comma(done+skipped), humanize.Comma(listed), more)
	fmt.Fprintf(&b, " · %s/%s%s", humanize.IBytes(uint64(doneB)), humanize.IBytes(uint64(listedB)), more)
	fmt.Fprintf(&b, " · %s/s", humanize.IBytes(uint64(max(rate, 0))))
	if rate > 0 && s.listDone.Load() {
		left := float64(listedB-doneB) / rate
		if left >= 0 {
			fmt.Fprintf(&b, " · ETA %s", (time.Duration(left) * time.Second).Round(time.Second))
		}
	}
	if n := s.failed.Load(); n > 0 {
		fmt.Fprintf(&b, " · %d failed", n)
	}
	if n := s.deleted.Load(); n > 0 {
		fmt.Fprintf(&b, " · %d deleted", n)
	}
	fmt.Fprintf(&b, " · %s", elapsed.Round(time.Second))
	return b.String()
}

// JSON writes events as JSON lines, one object per line, for scripts. Byte
// counts and listing ticks are left out: they are for progress bars.
type JSON struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewJSON writes to w.
func NewJSON(w io.Writer) *JSON { return &JSON{enc: json.NewEncoder(w)} }

// Event implements event.Listener.
func (j *JSON) Event(e event.Event) {
	switch e.Kind {
	case event.Bytes, event.Listed, event.ListDone:
		return
	}
	j.mu.Lock()
	j.enc.Encode(e)
	j.mu.Unlock()
}

// Write encodes any value as one more JSON line (the final summary).
func (j *JSON) Write(v any) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.enc.Encode(v)
}

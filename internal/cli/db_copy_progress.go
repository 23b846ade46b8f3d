package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/progress"
)

// dbProgress shows a db copy while it runs, on stderr: a line per phase
// and per finished table, and a status line — the tables done of all, the
// bytes streamed, the rate, the tables in flight with their bytes —
// redrawn in place on a terminal, printed every ten seconds otherwise.
// With --json, the events also go to stdout as JSON lines.
type dbProgress struct {
	w        io.Writer
	terminal bool
	json     *progress.JSON
	show     bool

	mu       sync.Mutex
	tables   int
	estimate int64
	done     int
	failed   int
	bytes    int64
	inFlight map[string]int64
	started  time.Time
	drawn    bool
	rate     float64
	lastN    int64
	lastT    time.Time

	stopOnce sync.Once
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

func startDBProgress(ctx context.Context, e *env, asJSON bool) *dbProgress {
	p := &dbProgress{w: e.stderr, terminal: e.terminal, inFlight: map[string]int64{}, started: time.Now(), lastT: time.Now()}
	if asJSON {
		p.json = progress.NewJSON(e.stdout)
	}
	// As copy does: with --json on a terminal, the JSON is the display.
	p.show = !asJSON || !e.terminal
	interval := 10 * time.Second
	if p.terminal {
		interval = 500 * time.Millisecond
	}
	ctx, p.cancel = context.WithCancel(ctx)
	if p.show {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case now := <-t.C:
					p.mu.Lock()
					p.draw(now)
					p.mu.Unlock()
				}
			}
		}()
	}
	return p
}

// stop ends the display and clears a terminal's status line.
func (p *dbProgress) stop() {
	p.stopOnce.Do(func() {
		p.cancel()
		p.wg.Wait()
		p.mu.Lock()
		defer p.mu.Unlock()
		p.clear()
	})
}

// CopyEvent implements database.CopyListener.
func (p *dbProgress) CopyEvent(e database.CopyEvent) {
	if e.Kind != database.EventBytes && p.json != nil {
		p.json.Write(e)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Kind {
	case database.EventPlanned:
		p.tables, p.estimate = e.Tables, e.Bytes
	case database.EventBytes:
		p.bytes += e.N
		p.inFlight[e.Table] += e.N
	case database.EventTableStarted:
		p.inFlight[e.Table] = 0
	case database.EventTableSkipped:
		p.done++
		p.say("table %s: already copied by an earlier run (%s rows)", e.Table, humanize.Comma(e.Rows))
	case database.EventTableDone:
		p.done++
		delete(p.inFlight, e.Table)
		p.say("table %s: %s rows, %s", e.Table, humanize.Comma(e.Rows), humanize.IBytes(uint64(e.Bytes)))
	case database.EventTableFailed:
		p.failed++
		delete(p.inFlight, e.Table)
		p.say("table %s: FAILED: %s", e.Table, e.Reason)
	case database.EventPhase:
		p.say("%s…", e.Phase)
	case database.EventPhaseSkipped:
		p.say("%s: done by an earlier run", e.Phase)
	case database.EventWarning:
		p.say("%s: FAILED: %s", e.Phase, e.Reason)
	}
}

// say prints one line above the status line.
func (p *dbProgress) say(format string, args ...any) {
	if !p.show {
		return
	}
	p.clear()
	fmt.Fprintf(p.w, format+"\n", args...)
	if p.terminal {
		p.draw(time.Now())
	}
}

func (p *dbProgress) clear() {
	if p.terminal && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

func (p *dbProgress) draw(now time.Time) {
	if dt := now.Sub(p.lastT).Seconds(); dt >= 0.2 {
		inst := float64(p.bytes-p.lastN) / dt
		if p.rate == 0 {
			p.rate = inst
		} else {
			p.rate = 0.7*p.rate + 0.3*inst
		}
		p.lastN, p.lastT = p.bytes, now
	}
	var b strings.Builder
	fmt.Fprintf(&b, "copied %d/%d tables · %s", p.done, p.tables, humanize.IBytes(uint64(p.bytes)))
	if p.estimate > 0 {
		fmt.Fprintf(&b, " of ~%s", humanize.IBytes(uint64(p.estimate)))
	}
	fmt.Fprintf(&b, " · %s/s", humanize.IBytes(uint64(max(p.rate, 0))))
	if p.failed > 0 {
		fmt.Fprintf(&b, " · %d failed", p.failed)
	}
	names := make([]string, 0, len(p.inFlight))
	for n := range p.inFlight {
		names = append(names, n)
	}
	slices.Sort(names)
	for i, n := range names {
		if i == 3 {
			fmt.Fprintf(&b, " +%d", len(names)-3)
			break
		}
		fmt.Fprintf(&b, " · %s %s", n, humanize.IBytes(uint64(p.inFlight[n])))
	}
	fmt.Fprintf(&b, " · %s", now.Sub(p.started).Round(time.Second))
	if p.terminal {
		fmt.Fprint(p.w, "\r\033[K"+b.String())
		p.drawn = true
	} else {
		fmt.Fprintln(p.w, b.String())
	}
}

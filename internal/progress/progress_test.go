package progress

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/event"
)

func TestLine(t *testing.T) {
	s := NewStats()
	for range 3 {
		s.Event(event.Event{Kind: event.Listed, Size: 1 << 20})
	}
	s.Event(event.Event{Kind: event.Copied, Size: 1 << 20})
	s.Event(event.Event{Kind: event.Unchanged, Size: 1 << 20})
	s.Event(event.Event{Kind: event.Failed, Key: "x"})
	got := Line(s, "copied", 512<<10, 3*time.Second)
	for _, want := range []string{"copied 2/3+ objects", "1.0 MiB/3.0 MiB+", "512 KiB/s", "1 failed", "3s"} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "ETA") {
		t.Errorf("ETA shown while still listing: %q", got)
	}
	s.Event(event.Event{Kind: event.ListDone})
	if got := Line(s, "copied", 1<<20, time.Second); !strings.Contains(got, "ETA 2s") {
		t.Errorf("line %q lacks the ETA", got)
	}
}

func TestJSONSkipsInternalEvents(t *testing.T) {
	var buf bytes.Buffer
	j := NewJSON(&buf)
	j.Event(event.Event{Kind: event.Bytes, N: 10})
	j.Event(event.Event{Kind: event.Listed, Key: "a"})
	j.Event(event.Event{Kind: event.Copied, Key: "a", Size: 3, ETag: "e"})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d lines: %q", len(lines), buf.String())
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil || m["event"] != "copied" || m["key"] != "a" {
		t.Errorf("line %q: %v", lines[0], err)
	}
}

func TestDisplayPlainLines(t *testing.T) {
	var buf bytes.Buffer
	s := NewStats()
	d := &Display{W: &buf, Interval: 5 * time.Millisecond, Verb: "copied", Stats: s}
	stop := d.Start(t.Context())
	time.Sleep(30 * time.Millisecond)
	stop()
	if n := strings.Count(buf.String(), "\n"); n < 1 {
		t.Errorf("no plain progress lines in %q", buf.String())
	}
	if strings.Contains(buf.String(), "\r") {
		t.Error("carriage return written when not a terminal")
	}
}

// Package event defines what the engines (transfer, verify) tell the world
// while they run: typed values sent to a Listener. Progress displays, JSON
// lines and reports are listeners; the engines know none of them.
package event

import "sync"

// Kind names an event. The strings are part of the --json contract.
type Kind string

const (
	Copied      Kind = "copied"       // the destination confirmed size and checksum
	Unchanged   Kind = "unchanged"    // already at the destination, same content
	Failed      Kind = "failed"       // gave up on the object; Reason says why
	Deleted     Kind = "deleted"      // removed from the destination (sync)
	WouldCopy   Kind = "would-copy"   // --dry-run / plan
	WouldDelete Kind = "would-delete" // --dry-run / plan
	Bytes       Kind = "bytes"        // N more bytes read from the source (not in --json)
	Verified    Kind = "verified"     // verify: the object matches
	Mismatch    Kind = "mismatch"     // verify: present but different
	Missing     Kind = "missing"      // verify: at the source only
	Extra       Kind = "extra"        // verify: at the destination only
	Warning     Kind = "warning"      // something the user should know; not a failure
	Resumed     Kind = "resumed"      // a multipart upload continued from N confirmed parts
	Listed      Kind = "listed"       // a source object was listed (not in --json)
	ListDone    Kind = "list-done"    // the source listing has ended (not in --json)
)

// Event is one thing that happened to one object.
type Event struct {
	Kind   Kind   `json:"event"`
	Key    string `json:"key,omitempty"`
	Size   int64  `json:"size,omitempty"`
	ETag   string `json:"etag,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Update marks a copy that replaced an older destination object.
	Update bool `json:"update,omitempty"`
	// Version is the source version an event of a history copy or
	// verify is about, DstVersion the destination's ID for it, and
	// DeleteMarker says the entry is a delete marker.
	Version      string `json:"version,omitempty"`
	DstVersion   string `json:"dst_version,omitempty"`
	DeleteMarker bool   `json:"delete_marker,omitempty"`
	// N is the byte count of a Bytes event.
	N int64 `json:"-"`
}

// Listener receives events. It is called from many goroutines at once and
// must not block for long: the engine waits for it.
type Listener interface {
	Event(Event)
}

// Multi sends every event to each listener in turn.
type Multi []Listener

func (m Multi) Event(e Event) {
	for _, l := range m {
		if l != nil {
			l.Event(e)
		}
	}
}

// Recorder keeps every event except Bytes, for tests.
type Recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *Recorder) Event(e Event) {
	if e.Kind == Bytes {
		return
	}
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// Events returns what was recorded so far.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Keys returns the keys of the recorded events of one kind.
func (r *Recorder) Keys(k Kind) []string {
	var keys []string
	for _, e := range r.Events() {
		if e.Kind == k {
			keys = append(keys, e.Key)
		}
	}
	return keys
}

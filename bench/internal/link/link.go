package link

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// Link is a far link between clients on this machine and one server: a
// TCP proxy on 127.0.0.1 that delays each direction by a one-way delay and
// caps each direction's bandwidth, shared by every connection through it.
//
// The delay is a property of the path, not of a read: each chunk read from
// one side is booked on its direction's wire (which serialises it at the
// link's rate, after whatever the other connections booked before it),
// stamped with the moment its last byte is on the wire, and written to the
// other side one delay after that. A window of data is in flight, as on a
// real path, so throughput does not depend on how the tools size their
// reads. A new connection pays one round trip before its first byte leaves,
// as a TCP handshake does, although connect returns at once on loopback.
type Link struct {
	ln     net.Listener
	target string
	delay  time.Duration // one way
	up     *wire         // client → server
	down   *wire         // server → client
	wg     sync.WaitGroup

	conns atomic.Int64
	mu    sync.Mutex
	reqs  map[string]int64 // request lines seen client → server, by kind
	// first and last request line seen since the last snapshot
	first, last time.Time
	// trace, when set, gets a line for each request: seconds since
	// traceStart, traceName, the connection's number, the request target.
	trace      io.Writer // set by SetTrace
	traceName  string
	traceStart time.Time
}

// SetTrace makes the link write a line for each request to w: seconds
// since the last TraceAs, the name it gave, the connection's number, and
// the request target.
func (l *Link) SetTrace(w io.Writer) {
	l.mu.Lock()
	l.trace = w
	l.mu.Unlock()
}

// TraceAs names the run that the following requests belong to.
func (l *Link) TraceAs(name string) {
	l.mu.Lock()
	l.traceName, l.traceStart = name, time.Now()
	l.mu.Unlock()
}

// wire is one direction of the link: a queue drained at a fixed rate.
type wire struct {
	mu    sync.Mutex
	rate  float64   // bytes per second
	free  time.Time // when the wire has sent everything booked so far
	bytes atomic.Int64
}

const (
	chunkSize = 32 << 10
	// window bounds the bytes one connection has in flight in one
	// direction: 4 MiB, as Linux's autotuned TCP buffers allow, so that
	// one connection could fill the link alone (200 Mbit/s × 20 ms is
	// 0.5 MB).
	window = 4 << 20
	// slack: a sender keeps its wire booked this far ahead before it
	// sleeps, so that a timer that wakes late on a busy machine does not
	// leave the wire idle; delivery times stay exact.
	slack = 5 * time.Millisecond
)

// book puts n bytes on the wire and returns when their last byte is sent.
func (w *wire) book(n int) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	if w.free.Before(now) {
		w.free = now
	}
	w.free = w.free.Add(time.Duration(float64(n) / w.rate * float64(time.Second)))
	w.bytes.Add(int64(n))
	return w.free
}

// Start starts a link to target (host:port) with the given round trip
// and bandwidth in bits per second for each direction.
func Start(target string, rtt time.Duration, bitsPerSec float64) (*Link, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &Link{ln: ln, target: target, delay: rtt / 2,
		up: &wire{rate: bitsPerSec / 8}, down: &wire{rate: bitsPerSec / 8}, reqs: map[string]int64{}}
	l.wg.Add(1)
	go l.serve()
	return l, nil
}

// Addr is the link's address, host:port.
func (l *Link) Addr() string { return l.ln.Addr().String() }

// Close stops accepting; connections already open end with their peers.
func (l *Link) Close() { l.ln.Close(); l.wg.Wait() }

func (l *Link) serve() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		accepted := time.Now()
		s, err := net.Dial("tcp", l.target)
		if err != nil {
			c.Close()
			continue
		}
		id := l.conns.Add(1)
		var done sync.WaitGroup
		done.Add(2)
		go func() { defer done.Done(); l.pipe(s, c, l.up, accepted.Add(3*l.delay), id) }()
		go func() { defer done.Done(); l.pipe(c, s, l.down, time.Time{}, 0) }()
		go func() { done.Wait(); c.Close(); s.Close() }()
	}
}

type chunk struct {
	b  []byte
	at time.Time // when it arrives at the far end
}

// pipe carries src to dst through w. notBefore holds back the first bytes
// of a new connection until its handshake would have ended (SYN, SYN-ACK,
// then the data's own one-way trip). A non-zero conn (the connection's
// number) parses request lines.
func (l *Link) pipe(dst, src net.Conn, w *wire, notBefore time.Time, conn int64) {
	ch := make(chan chunk, 4096)
	inFlight := semaphore.NewWeighted(window)
	go func() {
		defer close(ch)
		var carry []byte
		for {
			b := make([]byte, chunkSize)
			n, err := src.Read(b)
			if n > 0 {
				if conn != 0 {
					carry = l.countRequests(conn, append(carry, b[:n]...))
				}
				inFlight.Acquire(context.Background(), int64(n))
				sent := w.book(n)
				if d := time.Until(sent); d > slack {
					time.Sleep(d - slack)
				}
				at := sent.Add(l.delay)
				if at.Before(notBefore) {
					at = notBefore
				}
				ch <- chunk{b[:n], at}
			}
			if err != nil {
				return
			}
		}
	}()
	var werr error
	for c := range ch {
		if werr != nil {
			inFlight.Release(int64(len(c.b)))
			continue // drain so the reader ends
		}
		if d := time.Until(c.at); d > 0 {
			time.Sleep(d)
		}
		_, werr = dst.Write(c.b)
		inFlight.Release(int64(len(c.b)))
		if werr != nil {
			src.Close()
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok && werr == nil {
		tc.CloseWrite()
	} else {
		dst.Close()
	}
}

// countRequests counts the HTTP request lines in data and returns what
// follows the last complete line. It reads the client-to-server stream as
// lines, which is exact here because nothing sends a body to the far
// server: the far side is the source, which is only read.
func (l *Link) countRequests(conn int64, data []byte) []byte {
	for {
		i := bytes.Index(data, []byte("\r\n"))
		if i < 0 {
			break
		}
		line := data[:i]
		data = data[i+2:]
		if !bytes.HasSuffix(line, []byte(" HTTP/1.1")) {
			if bytes.HasPrefix(bytes.ToLower(line), []byte("range:")) {
				l.add(conn, "(of which with Range)", nil)
			}
			continue
		}
		method, target, _ := bytes.Cut(bytes.TrimSuffix(line, []byte(" HTTP/1.1")), []byte(" "))
		path, query, _ := bytes.Cut(target, []byte("?"))
		_, key, _ := bytes.Cut(bytes.TrimPrefix(path, []byte("/")), []byte("/"))
		kind := string(method) + " object"
		switch {
		case len(key) == 0 && string(method) == "GET" && (len(query) == 0 || bytes.Contains(query, []byte("list-type=")) ||
			bytes.HasPrefix(query, []byte("prefix=")) || bytes.HasPrefix(query, []byte("delimiter="))):
			kind = string(method) + " list"
		case len(key) == 0:
			kind = string(method) + " bucket ?" + subresource(query)
		case bytes.HasPrefix(query, []byte("x-id=")):
			// The AWS SDK names the operation in x-id.
			op, _, _ := bytes.Cut(query[len("x-id="):], []byte("&"))
			kind = string(method) + " object (" + string(op) + ")"
		case len(query) > 0:
			kind = string(method) + " object ?" + subresource(query)
		}
		l.add(conn, kind, target)
	}
	if len(data) > 8<<10 {
		data = data[len(data)-8<<10:] // no header line is this long
	}
	return append([]byte(nil), data...)
}

// subresource names a query's first parameter, without its value.
func subresource(q []byte) string {
	name, _, _ := bytes.Cut(q, []byte("&"))
	name, _, _ = bytes.Cut(name, []byte("="))
	return string(name)
}

func (l *Link) add(conn int64, kind string, target []byte) {
	now := time.Now()
	l.mu.Lock()
	l.reqs[kind]++
	if l.trace != nil && target != nil {
		fmt.Fprintf(l.trace, "%.3f\t%s\t%d\t%s\n", now.Sub(l.traceStart).Seconds(), l.traceName, conn, target)
	}
	if kind[0] != '(' {
		if l.first.IsZero() {
			l.first = now
		}
		l.last = now
	}
	l.mu.Unlock()
}

// Counters is what crossed the link.
type Counters struct {
	Conns    int64
	Up, Down int64            // bytes
	Reqs     map[string]int64 // request lines by kind ("GET object", "GET list", …)
	// TotalReqs is the sum of Reqs without the notes in parentheses
	// ("(of which with Range)"); set by Since.
	TotalReqs   int64
	First, Last time.Time // first and last request line seen
}

// Snapshot returns the counts so far. First and Last are those since the
// previous snapshot, which they restart.
func (l *Link) Snapshot() Counters {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := Counters{Conns: l.conns.Load(), Up: l.up.bytes.Load(), Down: l.down.bytes.Load(), Reqs: map[string]int64{},
		First: l.first, Last: l.last}
	l.first, l.last = time.Time{}, time.Time{}
	for k, v := range l.reqs {
		c.Reqs[k] = v
	}
	return c
}

// Since returns what crossed the link between before and c (snapshots in
// that order, nothing between them).
func (c Counters) Since(before Counters) Counters {
	d := Counters{Conns: c.Conns - before.Conns, Up: c.Up - before.Up, Down: c.Down - before.Down, Reqs: map[string]int64{},
		First: c.First, Last: c.Last}
	for k, v := range c.Reqs {
		if n := v - before.Reqs[k]; n > 0 {
			d.Reqs[k] = n
			if k[0] != '(' {
				d.TotalReqs += n
			}
		}
	}
	return d
}

package link

import (
	"io"
	"net"
	"testing"
	"time"
)

// echoServer answers each connection with n bytes after it reads one byte.
func echoServer(t *testing.T, n int64) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b := make([]byte, 1)
				if _, err := c.Read(b); err != nil {
					return
				}
				io.CopyN(c, zeros{}, n)
			}()
		}
	}()
	return ln.Addr().String()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func fetch(t *testing.T, addr string) int64 {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, c)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A one-byte exchange on a new connection costs the handshake's round trip
// and the exchange's own; a stream runs at the link's rate whatever the
// read sizes; two streams share the rate. The upper bounds are loose: this
// machine is shared and busy; the lower bounds are the physics.
func TestLink(t *testing.T) {
	const rtt = 40 * time.Millisecond
	for _, tc := range []struct {
		name    string
		size    int64
		streams int
		want    time.Duration
	}{
		{"one byte", 1, 1, 2 * rtt},
		{"8 MB stream", 8e6, 1, 2*rtt + 320*time.Millisecond},
		{"two 4 MB streams", 4e6, 2, 2*rtt + 320*time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Start(echoServer(t, tc.size), rtt, 200e6)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			start := time.Now()
			done := make(chan int64, tc.streams)
			for range tc.streams {
				go func() { done <- fetch(t, l.Addr()) }()
			}
			for range tc.streams {
				if n := <-done; n != tc.size {
					t.Errorf("got %d bytes, want %d", n, tc.size)
				}
			}
			got := time.Since(start)
			if got < tc.want-2*time.Millisecond || got > 2*tc.want+50*time.Millisecond {
				t.Errorf("took %v, want about %v", got, tc.want)
			}
		})
	}
}

package s3test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Faults says what a Proxy does wrong. Fractions are of requests, drawn
// from a seeded generator; injection stops after MaxFaults so that every
// test run is bounded.
type Faults struct {
	Seed      uint64
	SlowDown  float64 // answer 503 SlowDown (with Retry-After)
	Throttle  float64 // answer 429 Too Many Requests
	Status500 float64 // answer 500 InternalError
	Reset     float64 // cut a GET response mid-body with a TCP reset
	Truncate  float64 // end a GET response early, short of its Content-Length
	Latency   time.Duration
	MaxFaults int64
	// CorruptKey: PUT and UploadPart bodies for keys ending in it get one
	// byte flipped and are re-signed without their Content-MD5, so the
	// server stores the damage: a destination that corrupts silently.
	CorruptKey string
	// ThrottleKey: the first ThrottleFirst requests for keys ending in it
	// are answered 503 SlowDown (the first with Retry-After: 1), outside
	// MaxFaults: a hot key S3 keeps refusing.
	ThrottleKey   string
	ThrottleFirst int
	// TamperKey: PUT and UploadPart bodies for keys ending in it get one
	// byte flipped and are sent on with the client's headers and signature
	// untouched: an attacker or a faulty middlebox on the path.
	TamperKey string
}

// Proxy is an HTTP proxy on loopback in front of a real server that
// injects faults.
type Proxy struct {
	URL    string
	target *Server
	faults Faults
	srv    *http.Server
	tr     *http.Transport

	mu       sync.Mutex
	rng      *rand.Rand
	hot      int // requests for ThrottleKey refused so far
	injected atomic.Int64
	counts   map[string]int64
}

// StartProxy starts a proxy in front of target, stopped when the test ends.
func StartProxy(tb testing.TB, target *Server, f Faults) *Proxy {
	tb.Helper()
	if f.MaxFaults == 0 {
		f.MaxFaults = 1000
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{URL: "http://" + l.Addr().String(), target: target, faults: f,
		rng: rand.New(rand.NewPCG(f.Seed, 99)), counts: map[string]int64{},
		tr: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); p.srv.Serve(l) }()
	tb.Cleanup(func() { p.srv.Close(); <-done; p.tr.CloseIdleConnections() })
	return p
}

// Server returns a Server value that reaches the target through the proxy,
// for writing profiles.
func (p *Proxy) Server() *Server {
	return &Server{Kind: p.target.Kind + "-via-proxy", Endpoint: p.URL, AccessKey: p.target.AccessKey, SecretKey: p.target.SecretKey}
}

// Injected returns how many faults of each kind were injected, and how many
// PUTs carried an unsigned payload ("unsigned-payload").
func (p *Proxy) Injected() map[string]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int64, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// draw picks at most one fault for a request.
func (p *Proxy) draw(r *http.Request) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := p.faults.ThrottleKey; k != "" && strings.HasSuffix(r.URL.Path, "/"+k) && p.hot < p.faults.ThrottleFirst {
		p.hot++
		p.counts["hot-key"]++
		if p.hot == 1 {
			return "slowdown"
		}
		return "slowdown-no-retry-after"
	}
	if p.injected.Load() >= p.faults.MaxFaults {
		return ""
	}
	x := p.rng.Float64()
	pick := ""
	for _, c := range []struct {
		name string
		frac float64
		get  bool
	}{
		{"slowdown", p.faults.SlowDown, false}, {"throttle", p.faults.Throttle, false}, {"500", p.faults.Status500, false},
		{"reset", p.faults.Reset, true}, {"truncate", p.faults.Truncate, true},
	} {
		if c.get && r.Method != http.MethodGet {
			continue
		}
		if x < c.frac {
			pick = c.name
			break
		}
		x -= c.frac
	}
	if pick != "" {
		p.injected.Add(1)
		p.counts[pick]++
	}
	return pick
}

func (p *Proxy) count(name string) {
	p.mu.Lock()
	p.counts[name]++
	p.mu.Unlock()
}

func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>proxy</RequestId></Error>`, code, msg)
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.faults.Latency > 0 {
		time.Sleep(p.faults.Latency)
	}
	fault := p.draw(r)
	switch fault {
	case "slowdown":
		io.Copy(io.Discard, r.Body)
		s3Error(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		return
	case "slowdown-no-retry-after":
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
		return
	case "throttle":
		io.Copy(io.Discard, r.Body)
		s3Error(w, http.StatusTooManyRequests, "TooManyRequests", "Too many requests.")
		return
	case "500":
		io.Copy(io.Discard, r.Body)
		s3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	}
	target, _ := url.Parse(p.target.Endpoint)
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target.String()+r.URL.RequestURI(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	out.ContentLength = r.ContentLength
	// The client signed the Host it dialled: keep it, so the signature holds.
	out.Host = r.Host
	if r.Method == http.MethodPut && r.Header.Get("X-Amz-Content-Sha256") == "UNSIGNED-PAYLOAD" {
		p.count("unsigned-payload")
	}
	if p.faults.TamperKey != "" && r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/"+p.faults.TamperKey) {
		body, err := io.ReadAll(r.Body)
		if err != nil || len(body) == 0 {
			http.Error(w, "tamper: cannot read body", http.StatusBadGateway)
			return
		}
		body[len(body)/2] ^= 0xff
		out.Body = io.NopCloser(bytes.NewReader(body))
		p.count("tampered")
	}
	if p.faults.CorruptKey != "" && r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/"+p.faults.CorruptKey) {
		if err := p.corrupt(out, r); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
	}
	resp, err := p.tr.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	if (fault == "reset" || fault == "truncate") && resp.ContentLength > 1 {
		io.CopyN(w, resp.Body, resp.ContentLength/2)
		w.(http.Flusher).Flush()
		if fault == "reset" {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				if tcp, ok := conn.(*net.TCPConn); ok {
					tcp.SetLinger(0) // close with RST, not FIN
				}
				conn.Close()
			}
		}
		// truncate: returning short of Content-Length makes the server
		// close the connection.
		return
	}
	io.Copy(w, resp.Body)
}

// corrupt flips one byte of the request body and re-signs the request with
// the target's credentials, without Content-MD5.
func (p *Proxy) corrupt(out, in *http.Request) error {
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return err
	}
	if len(body) > 0 {
		body[len(body)/2] ^= 0x01
	}
	p.count("corrupt")
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	out.Header.Del("Content-Md5")
	out.Header.Del("Authorization")
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	out.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: p.target.AccessKey, SecretAccessKey: p.target.SecretKey}
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).
		SignHTTP(context.Background(), creds, out, hash, "s3", "us-east-1", time.Now())
}

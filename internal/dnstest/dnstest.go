// Package dnstest starts real DNS servers for tests: BIND's named, serving
// zone files on a free 127.0.0.1 port, and nothing else (no recursion, no
// other interface).
package dnstest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Server is a running named.
type Server struct {
	// Addr is host:port, for UDP and TCP alike.
	Addr string
}

// Start runs named for tb with zones (zone name → master file contents),
// waits until it answers each zone's SOA, and stops it when tb ends. It
// fails tb when named is missing (./scripts/test installs Debian's bind9).
func Start(tb testing.TB, zones map[string][]byte) *Server {
	tb.Helper()
	bin, err := exec.LookPath("named")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/named"); serr == nil {
			bin = "/usr/sbin/named"
		} else {
			tb.Fatal("dnstest: named not found: install Debian's bind9 (./scripts/test does)")
		}
	}
	dir := tb.TempDir()
	port, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	var conf strings.Builder
	fmt.Fprintf(&conf, "options {\n  directory %q;\n  pid-file %q;\n  listen-on port %d { 127.0.0.1; };\n  listen-on-v6 { none; };\n  recursion no;\n  dnssec-validation no;\n  notify no;\n};\n",
		dir, filepath.Join(dir, "named.pid"), port)
	fmt.Fprintf(&conf, "controls { };\n")
	for name, data := range zones {
		f := filepath.Join(dir, strings.TrimSuffix(name, ".")+".zone")
		if err := os.WriteFile(f, data, 0o644); err != nil {
			tb.Fatal(err)
		}
		// Route 53 holds names BIND's check-names refuses by default;
		// the export warns about them, the server serves them.
		fmt.Fprintf(&conf, "zone %q { type primary; file %q; check-names warn; };\n", strings.TrimSuffix(name, "."), f)
	}
	cf := filepath.Join(dir, "named.conf")
	if err := os.WriteFile(cf, []byte(conf.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "named.log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "-g", "-c", cf)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		tb.Fatalf("dnstest: start named: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		log.Close()
	})
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port)}
	deadline := time.Now().Add(10 * time.Second)
	for name := range zones {
		for {
			m := new(dns.Msg)
			m.SetQuestion(dns.Fqdn(name), dns.TypeSOA)
			r, err := dns.Exchange(m, s.Addr)
			if err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0 {
				break
			}
			select {
			case <-done:
				out, _ := os.ReadFile(log.Name())
				tb.Fatalf("dnstest: named exited:\n%s", out)
			default:
			}
			if time.Now().After(deadline) {
				out, _ := os.ReadFile(log.Name())
				tb.Fatalf("dnstest: named does not answer %s's SOA on %s:\n%s", name, s.Addr, out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return s
}

// freePort finds a port free for both UDP and TCP on 127.0.0.1.
func freePort() (int, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("no port free for UDP and TCP")
}

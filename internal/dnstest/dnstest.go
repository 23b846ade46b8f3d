// Package dnstest starts real DNS servers for tests, serving zone files on
// a free 127.0.0.1 port and nothing else (no recursion, no other
// interface, no security poll): BIND's named, and PowerDNS's authoritative
// server with its bind backend and LUA records.
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
	return serve(tb, port, zones, filepath.Join(dir, "named.log"), bin, "-g", "-c", cf)
}

// serve runs a server (bin and args) logging to logFile, waits until it
// answers every zone's SOA on port, and stops it when tb ends.
func serve(tb testing.TB, port int, zones map[string][]byte, logFile, bin string, args ...string) *Server {
	tb.Helper()
	log, err := os.Create(logFile)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		tb.Fatalf("dnstest: start %s: %v", filepath.Base(bin), err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		log.Close()
	})
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port)}
	s.waitSOA(tb, zones, done, logFile)
	return s
}

// waitSOA waits until the server answers each zone's SOA; it fails tb
// with the server's log when the server exits or does not answer.
func (s *Server) waitSOA(tb testing.TB, zones map[string][]byte, exited <-chan struct{}, logFile string) {
	tb.Helper()
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
			case <-exited:
				out, _ := os.ReadFile(logFile)
				tb.Fatalf("dnstest: the server exited:\n%s", out)
			default:
			}
			if time.Now().After(deadline) {
				out, _ := os.ReadFile(logFile)
				tb.Fatalf("dnstest: the server does not answer %s's SOA on %s:\n%s", name, s.Addr, out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
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

// PowerDNSOptions say how PowerDNS is started.
type PowerDNSOptions struct {
	// GeoIP launches the geoip backend with Debian's GeoIP country
	// database and EDNS Client Subnet processing, so country() and
	// continent() answer for the subnet a query carries.
	GeoIP bool
}

// GeoIPCountryDB is Debian's geoip-database country file.
const GeoIPCountryDB = "/usr/share/GeoIP/GeoIP.dat"

// StartPowerDNS runs pdns_server for tb with zones (zone name → file
// contents, LUA records allowed), health checks every second, no packet
// or query cache (each query runs its LUA record anew), and stops it when
// tb ends. It fails tb when PowerDNS is missing (./scripts/test installs
// Debian's pdns-server, pdns-backend-bind, pdns-backend-geoip and
// geoip-database).
func StartPowerDNS(tb testing.TB, zones map[string][]byte, opts PowerDNSOptions) *Server {
	tb.Helper()
	bin := "/usr/sbin/pdns_server"
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("pdns_server"); err != nil {
			tb.Fatal("dnstest: pdns_server not found: install Debian's pdns-server and pdns-backend-bind (./scripts/test does)")
		}
	}
	dir := tb.TempDir()
	port, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	var named strings.Builder
	for name, data := range zones {
		f := filepath.Join(dir, strings.TrimSuffix(name, ".")+".zone")
		if err := os.WriteFile(f, data, 0o644); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&named, "zone %q { type master; file %q; };\n", strings.TrimSuffix(name, "."), f)
	}
	if err := os.WriteFile(filepath.Join(dir, "named.conf"), []byte(named.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	conf := []string{
		"launch=bind",
		"bind-config=" + filepath.Join(dir, "named.conf"),
		"local-address=127.0.0.1",
		fmt.Sprintf("local-port=%d", port),
		"socket-dir=" + dir,
		"daemon=no", "guardian=no", "disable-syslog=yes",
		"security-poll-suffix=", // no query to the Internet for security news
		"enable-lua-records=yes",
		"lua-health-checks-interval=1",
		"cache-ttl=0", "query-cache-ttl=0", "negquery-cache-ttl=0",
	}
	if opts.GeoIP {
		if _, err := os.Stat(GeoIPCountryDB); err != nil {
			tb.Fatal("dnstest: " + GeoIPCountryDB + " not found: install Debian's geoip-database and pdns-backend-geoip (./scripts/test does)")
		}
		geo := filepath.Join(dir, "geo.yaml")
		if err := os.WriteFile(geo, []byte("domains: []\n"), 0o644); err != nil {
			tb.Fatal(err)
		}
		conf[0] = "launch=bind,geoip"
		conf = append(conf, "geoip-database-files=dat:"+GeoIPCountryDB, "geoip-zones-file="+geo, "edns-subnet-processing=yes")
	}
	if err := os.WriteFile(filepath.Join(dir, "pdns.conf"), []byte(strings.Join(conf, "\n")+"\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	return serve(tb, port, zones, filepath.Join(dir, "pdns.log"), bin, "--config-dir="+dir)
}

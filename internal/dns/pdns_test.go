package dns

import (
	"context"
	"fmt"
	"math"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/dnstest"
)

// askFrom asks server for name and type as a resolver serving subnet
// would (EDNS Client Subnet), and returns the answer's values, sorted.
func askFrom(t *testing.T, server, name string, typ uint16, subnet string) []string {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, typ)
	if subnet != "" {
		_, n, err := net.ParseCIDR(subnet)
		if err != nil {
			t.Fatal(err)
		}
		ones, _ := n.Mask.Size()
		o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
		o.SetUDPSize(1232)
		o.Option = append(o.Option, &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: uint8(ones), Address: n.IP.To4()})
		m.Extra = append(m.Extra, o)
	}
	r, err := dns.Exchange(m, server)
	if err != nil {
		t.Fatalf("%s %s: %v", name, dns.TypeToString[typ], err)
	}
	if r.Rcode != dns.RcodeSuccess {
		t.Fatalf("%s %s: %s", name, dns.TypeToString[typ], dns.RcodeToString[r.Rcode])
	}
	var vs []string
	for _, rr := range r.Answer {
		vs = append(vs, strings.TrimPrefix(rr.String(), rr.Header().String()))
	}
	slices.Sort(vs)
	return vs
}

// luaNames are the names and types the variant wrote as LUA records.
func luaNames(t *testing.T, pdns []byte) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, line := range strings.Split(string(pdns), "\n") {
		f := strings.Split(line, "\t")
		if len(f) >= 5 && f[3] == "LUA" {
			names[f[0]+" "+strings.Fields(f[4])[0]] = true
		}
	}
	return names
}

// The fixture zones' PowerDNS variants, served by PowerDNS with LUA
// records and the geoip backend on Debian's country database: every plain
// record is answered as the plain file has it, the weighted record answers
// one of its sets, and the geolocation record answers by the client's
// subnet, most specific location first. (The failover record is not
// queried here: its health check would reach outside loopback.)
func TestPowerDNSFixtureZones(t *testing.T) {
	d, res := exportFixture(t, Options{})
	zones := map[string][]byte{}
	for name, data := range res.Files {
		if zone, ok := strings.CutSuffix(name, ".pdns.zone"); ok {
			zones[zone] = data
		}
	}
	if len(zones) != len(d.Zones) {
		t.Fatalf("%d PowerDNS variants for %d zones", len(zones), len(d.Zones))
	}
	srv := dnstest.StartPowerDNS(t, zones, dnstest.PowerDNSOptions{GeoIP: true})
	checked := 0
	for zone, pdns := range zones {
		lua := luaNames(t, pdns)
		plain := res.Files[zone+".zone"]
		zp := dns.NewZoneParser(strings.NewReader(string(plain)), "", "")
		want := map[string][]string{}
		var order []string
		for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
			k := rr.Header().Name + " " + dns.TypeToString[rr.Header().Rrtype]
			if lua[k] {
				continue
			}
			if _, ok := want[k]; !ok {
				order = append(order, k)
			}
			want[k] = append(want[k], strings.TrimPrefix(rr.String(), rr.Header().String()))
		}
		if err := zp.Err(); err != nil {
			t.Fatal(err)
		}
		for _, k := range order {
			name, typ, _ := strings.Cut(k, " ")
			if name != zone+"." && typ == "NS" {
				continue // a delegation: the child zone, served here too, answers
			}
			if !dnsName(strings.ReplaceAll(name, "*", "\\052")) {
				// The loss report warns: PowerDNS refuses such queries.
				m := new(dns.Msg)
				m.SetQuestion(name, dns.StringToType[typ])
				if r, err := dns.Exchange(m, srv.Addr); err != nil || r.Rcode != dns.RcodeServerFailure {
					t.Errorf("%s: PowerDNS answered %v, %v; the loss report says SERVFAIL", k, r, err)
				}
				continue
			}
			got := askFrom(t, srv.Addr, name, dns.StringToType[typ], "")
			slices.Sort(want[k])
			if !slices.Equal(got, want[k]) {
				t.Errorf("%s: PowerDNS answers %q, the plain file holds %q", k, got, want[k])
			}
			checked++
		}
	}
	if checked < 25 {
		t.Errorf("only %d names and types checked", checked)
	}
	// Weighted: one set per answer, both seen.
	seen := map[string]int{}
	for range 60 {
		got := askFrom(t, srv.Addr, "api.labo.example.ca.", dns.TypeA, "")
		if len(got) != 1 || !slices.Contains([]string{"192.0.2.44", "192.0.2.45"}, got[0]) {
			t.Fatalf("weighted answer %q", got)
		}
		seen[got[0]]++
	}
	if len(seen) != 2 {
		t.Errorf("weighted answers over 60 queries: %v", seen)
	}
	// Geolocation, by the resolver's subnet (Debian's GeoIP country data):
	// Université de Montréal's network is in Canada; RENATER's in France,
	// which is in Europe; Google's resolvers in the United States, which
	// has no set of its own here (New York needs a region database), so
	// North America's; a private network is nowhere, so the default.
	for subnet, want := range map[string]string{
		"132.204.0.0/24": "192.0.2.104",
		"193.51.24.0/24": "192.0.2.102",
		"8.8.8.0/24":     "192.0.2.101",
		"10.1.0.0/24":    "192.0.2.100",
		"":               "192.0.2.100", // loopback, no subnet
	} {
		if got := askFrom(t, srv.Addr, "cours.labo.example.ca.", dns.TypeA, subnet); !slices.Equal(got, []string{want}) {
			t.Errorf("cours from %q: %q, want %s", subnet, got, want)
		}
	}
}

func rset(name, typ string, ttl int64, values ...string) account.RecordSet {
	return account.RecordSet{Name: name, Type: typ, TTL: ttl, Values: values, Routing: "simple"}
}

// routedZone is a small zone of loopback addresses with the given routed
// sets, and the health checks they name.
func routedZone(t *testing.T, sets []account.RecordSet, checks ...account.HealthCheck) (plain, pdns []byte) {
	res := routedExport(t, sets, checks...)
	return res.Files["routed.example.zone"], res.Files["routed.example.pdns.zone"]
}

func routedExport(t *testing.T, sets []account.RecordSet, checks ...account.HealthCheck) *Result {
	t.Helper()
	d := &account.DNS{HealthChecks: checks, Zones: []account.HostedZone{{
		ID: "Z0ROUTED", Name: "routed.example.",
		RecordSets: append([]account.RecordSet{
			rset("routed.example.", "NS", 172800, "ns1.routed.example."),
			rset("routed.example.", "SOA", 900, "ns1.routed.example. hostmaster.routed.example. 1 7200 900 1209600 86400"),
			rset("ns1.routed.example.", "A", 300, "127.0.0.1"),
		}, sets...),
	}}}
	res, err := Export(d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Weighted 80/20 over 400 queries answers each set in its share, within
// five standard deviations (± 0.10); a weighted name whose sets hold
// several values answers a whole set each time, and never the set of
// weight 0.
func TestPowerDNSWeighted(t *testing.T) {
	w := func(name, id string, weight int64, values ...string) account.RecordSet {
		r := rset(name, "A", 60, values...)
		r.Routing, r.SetIdentifier, r.Weight = "weighted", id, weight
		return r
	}
	_, pdns := routedZone(t, []account.RecordSet{
		w("api.routed.example.", "bleu", 80, "127.0.1.1"),
		w("api.routed.example.", "vert", 20, "127.0.1.2"),
		w("pool.routed.example.", "a", 50, "127.0.2.1", "127.0.2.2"),
		w("pool.routed.example.", "b", 50, "127.0.2.3"),
		w("pool.routed.example.", "off", 0, "127.0.2.9"),
	})
	if n := len(luaNames(t, pdns)); n != 2 {
		t.Fatalf("%d LUA records, want 2:\n%s", n, pdns)
	}
	srv := dnstest.StartPowerDNS(t, map[string][]byte{"routed.example": pdns}, dnstest.PowerDNSOptions{})
	const n = 400
	counts := map[string]int{}
	for range n {
		got := askFrom(t, srv.Addr, "api.routed.example.", dns.TypeA, "")
		if len(got) != 1 {
			t.Fatalf("weighted answer %q", got)
		}
		counts[got[0]]++
	}
	share := float64(counts["127.0.1.1"]) / n
	t.Logf("80/20 weighted over %d queries: %v (share %.3f)", n, counts, share)
	if math.Abs(share-0.8) > 0.10 || counts["127.0.1.1"]+counts["127.0.1.2"] != n {
		t.Errorf("80/20 weighted: %v over %d queries", counts, n)
	}
	sets := map[string]int{}
	for range 100 {
		got := askFrom(t, srv.Addr, "pool.routed.example.", dns.TypeA, "")
		sets[strings.Join(got, ",")]++
	}
	if len(sets) != 2 || sets["127.0.2.1,127.0.2.2"] == 0 || sets["127.0.2.3"] == 0 {
		t.Errorf("multi-value weighted sets answered: %v", sets)
	}
}

// Failover with a TCP health check: the primary is answered while its
// port accepts connections, the secondary once it closes, and the primary
// again when it reopens.
func TestPowerDNSFailover(t *testing.T) {
	primary, secondary := "127.0.3.1", "127.0.3.2"
	var lp, ls net.Listener
	var port int
	for range 20 {
		l, err := net.Listen("tcp", primary+":0")
		if err != nil {
			t.Fatal(err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		if s, err := net.Listen("tcp", fmt.Sprintf("%s:%d", secondary, port)); err == nil {
			lp, ls = l, s
			break
		}
		l.Close()
	}
	if lp == nil {
		t.Fatal("no port free on both loopback addresses")
	}
	defer ls.Close()
	for _, l := range []net.Listener{lp, ls} {
		go accept(l)
	}
	p := rset("portail.routed.example.", "A", 30, primary)
	p.Routing, p.SetIdentifier, p.Failover, p.HealthCheck = "failover", "primaire", "PRIMARY", "hc-portail"
	s := rset("portail.routed.example.", "A", 30, secondary)
	s.Routing, s.SetIdentifier, s.Failover = "failover", "secondaire", "SECONDARY"
	_, pdns := routedZone(t, []account.RecordSet{p, s},
		account.HealthCheck{ID: "hc-portail", Type: "TCP", IP: primary, Port: int32(port), Interval: 10, FailureThreshold: 1})
	if !strings.Contains(string(pdns), "ifportup") {
		t.Fatalf("no ifportup record:\n%s", pdns)
	}
	srv := dnstest.StartPowerDNS(t, map[string][]byte{"routed.example": pdns}, dnstest.PowerDNSOptions{})
	until := func(want string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var got []string
		for ctx.Err() == nil {
			got = askFrom(t, srv.Addr, "portail.routed.example.", dns.TypeA, "")
			if slices.Equal(got, []string{want}) {
				// Stable: the next answers agree.
				for range 5 {
					if g := askFrom(t, srv.Addr, "portail.routed.example.", dns.TypeA, ""); !slices.Equal(g, got) {
						t.Fatalf("answer flapped from %q to %q", got, g)
					}
				}
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("portail answers %q, not %s, after 20 s", got, want)
	}
	until(primary)
	lp.Close()
	until(secondary)
	lp2, err := net.Listen("tcp", fmt.Sprintf("%s:%d", primary, port))
	if err != nil {
		t.Fatal(err)
	}
	defer lp2.Close()
	go accept(lp2)
	until(primary)
}

func accept(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

package dns

import (
	"context"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/dnstest"
)

// The exported zone served by two real BIND servers on loopback: the same
// file passes; a missing record, a changed TTL and a different value each
// fail, named.
func TestVerifyBetweenTwoServers(t *testing.T) {
	res, err := Export(labo(), Options{NS: []string{"ns1.sovereign.example."}})
	if err != nil {
		t.Fatal(err)
	}
	zone := res.Files["labo.example.ca.zone"]
	old := dnstest.Start(t, map[string][]byte{"labo.example.ca": zone})
	same := dnstest.Start(t, map[string][]byte{"labo.example.ca": zone})
	rep, err := Verify(context.Background(), "labo.example.ca", zone, nil, old.Addr, same.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Checked < 15 || rep.OldSerial != 1 || rep.NewSerial != 1 {
		t.Fatalf("identical servers: %+v", rep)
	}
	// Every record of the export, as the server answers it.
	for _, line := range strings.Split(string(zone), "\n") {
		if line == "" || strings.HasPrefix(line, ";") || strings.HasPrefix(line, "$") {
			continue
		}
		rr, err := dns.NewRR(line)
		if err != nil || rr == nil {
			t.Fatalf("the export's line %q: %v", line, err)
		}
		got, err := ask(context.Background(), &dns.Client{}, old.Addr, rr.Header().Name, rr.Header().Rrtype)
		if err != nil || !served(got, rr) {
			t.Errorf("%s: served %v, %v", line, got, err)
		}
	}

	changed := strings.NewReplacer(
		"mail.labo.example.ca.\t300\tIN\tA\t192.0.2.25\n", "", // missing
		"www.labo.example.ca.\t300\tIN\tA\t192.0.2.60", "www.labo.example.ca.\t600\tIN\tA\t192.0.2.60", // TTL
		"192.0.2.99", "192.0.2.98", // value
	).Replace(string(zone))
	other := dnstest.Start(t, map[string][]byte{"labo.example.ca": []byte(changed)})
	rep, err = Verify(context.Background(), "labo.example.ca", zone, nil, old.Addr, other.Addr)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, d := range rep.Differences {
		names[d.Name] = d.Why
	}
	for name, want := range map[string]string{
		"mail.labo.example.ca.": "missing at the new servers: A 192.0.2.25", // the wildcard answers instead
		"www.labo.example.ca.":  "TTL differs",
		"*.labo.example.ca.":    "missing at the new servers",
	} {
		if !strings.Contains(names[name], want) {
			t.Errorf("%s: %q, want %q (all: %v)", name, names[name], want, rep.Differences)
		}
	}
	if rep.OK() {
		t.Error("a changed zone verified")
	}
}

func served(got []dns.RR, want dns.RR) bool {
	for _, g := range got {
		if dns.IsDuplicate(g, want) && g.Header().Ttl == want.Header().Ttl {
			return true
		}
	}
	return false
}

// Routed names between a server that routes them (PowerDNS serving the
// LUA variant, standing in for Route 53) and one that serves the plain
// downgrade (BIND): they pass, named as routed; a value no Route 53 set
// holds fails.
func TestVerifyRouted(t *testing.T) {
	weighted := func(id string, w int64, v string) account.RecordSet {
		r := rset("api.routed.example.", "A", 60, v)
		r.Routing, r.SetIdentifier, r.Weight = "weighted", id, w
		return r
	}
	geo := func(id, country, v string) account.RecordSet {
		r := rset("cours.routed.example.", "A", 60, v)
		r.Routing, r.SetIdentifier, r.Geo = "geolocation", id, &account.GeoLocation{Country: country}
		return r
	}
	// The failover's check goes to a loopback port nobody listens on:
	// PowerDNS then answers the primary, as Route 53 does when every set
	// fails.
	p := rset("portail.routed.example.", "A", 60, "127.0.4.1")
	p.Routing, p.SetIdentifier, p.Failover, p.HealthCheck = "failover", "primaire", "PRIMARY", "hc"
	s := rset("portail.routed.example.", "A", 60, "127.0.4.2")
	s.Routing, s.SetIdentifier, s.Failover = "failover", "secondaire", "SECONDARY"
	res := routedExport(t, []account.RecordSet{
		weighted("bleu", 80, "127.0.1.1"), weighted("vert", 20, "127.0.1.2"),
		geo("canada", "CA", "127.0.2.1"), geo("defaut", "*", "127.0.2.2"),
		p, s,
		rset("www.routed.example.", "A", 300, "127.0.5.1"),
	}, account.HealthCheck{ID: "hc", Type: "TCP", IP: "127.0.4.1", Port: 9})
	plain, pdns := res.Files["routed.example.zone"], res.Files["routed.example.pdns.zone"]
	routed := res.Routed["routed.example.zone"]
	if len(routed) != 3 {
		t.Fatalf("routed %v", routed)
	}
	old := dnstest.StartPowerDNS(t, map[string][]byte{"routed.example": pdns}, dnstest.PowerDNSOptions{})
	bind := dnstest.Start(t, map[string][]byte{"routed.example": plain})
	rep, err := Verify(context.Background(), "routed.example", plain, routed, old.Addr, bind.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || len(rep.Routed) != 3 || rep.Checked != 7 {
		t.Fatalf("PowerDNS against BIND: %+v", rep)
	}
	wrong := dnstest.Start(t, map[string][]byte{"routed.example": []byte(strings.Replace(string(plain), "127.0.1.2", "127.0.1.3", 1))})
	rep, err = Verify(context.Background(), "routed.example", plain, routed, old.Addr, wrong.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || len(rep.Differences) != 1 || rep.Differences[0].Name != "api.routed.example." || !strings.Contains(rep.Differences[0].Why, "in no Route 53 set: A 127.0.1.3") {
		t.Errorf("a value in no set: %+v", rep.Differences)
	}
}

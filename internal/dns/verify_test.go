package dns

import (
	"context"
	"strings"
	"testing"

	"github.com/miekg/dns"

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
	rep, err := Verify(context.Background(), "labo.example.ca", zone, old.Addr, same.Addr)
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
	rep, err = Verify(context.Background(), "labo.example.ca", zone, old.Addr, other.Addr)
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

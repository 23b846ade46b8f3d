package dns

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/account"
)

// labo is a zone in Route 53's shapes (the API reference's examples): an
// apex alias to a load balancer, an alias chain, weighted, failover and
// geolocation sets, a wildcard and an escaped name as Route 53 returns
// them, a DKIM key longer than one TXT string, CAA, SRV and MX.
func labo() *account.DNS {
	const zid = "Z1D633PJN98FT9"
	rs := func(name, typ string, ttl int64, values ...string) account.RecordSet {
		return account.RecordSet{Name: name, Type: typ, TTL: ttl, Values: values, Routing: "simple"}
	}
	alias := func(name, typ, target, kind, zone string) account.RecordSet {
		return account.RecordSet{Name: name, Type: typ, Routing: "simple", Alias: &account.Alias{HostedZoneID: zone, DNSName: target, Kind: kind}}
	}
	weighted := func(id string, w int64, v string) account.RecordSet {
		r := rs("api.labo.example.ca.", "A", 60, v)
		r.Routing, r.SetIdentifier, r.Weight = "weighted", id, w
		return r
	}
	dkim := `"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAz8ExampleExampleExampleExampleExampleExampleExampleExampleExampleExampleExampleExampleExampleExampleExampleExampleExampleExampleExampleExampleExampleExampleExampleExampleExam" "pleExampleExampleExampleExampleExampleIDAQAB"`
	primary := rs("portal.labo.example.ca.", "A", 60, "192.0.2.10")
	primary.Routing, primary.SetIdentifier, primary.Failover, primary.HealthCheck = "failover", "portal-primary", "PRIMARY", "abcdef11-2222-3333-4444-555555fedcba"
	secondary := rs("portal.labo.example.ca.", "A", 60, "192.0.2.20")
	secondary.Routing, secondary.SetIdentifier, secondary.Failover = "failover", "portal-secondary", "SECONDARY"
	geoFR := rs("www-fr.labo.example.ca.", "A", 300, "192.0.2.30")
	geoFR.Routing, geoFR.SetIdentifier, geoFR.Geo = "geolocation", "france", &account.GeoLocation{Country: "FR"}
	geoDefault := rs("www-fr.labo.example.ca.", "A", 300, "192.0.2.31")
	geoDefault.Routing, geoDefault.SetIdentifier, geoDefault.Geo = "geolocation", "default", &account.GeoLocation{Country: "*"}
	return &account.DNS{Zones: []account.HostedZone{{
		ID: zid, Name: "labo.example.ca.",
		RecordSets: []account.RecordSet{
			alias("labo.example.ca.", "A", "dualstack.my-load-balancer-1234567890.us-west-2.elb.amazonaws.com.", "elb", "Z1H1FL5HABSF5"),
			rs("labo.example.ca.", "MX", 300, "10 mail.labo.example.ca."),
			rs("labo.example.ca.", "NS", 172800, "ns-2048.awsdns-64.com.", "ns-2049.awsdns-65.net."),
			rs("labo.example.ca.", "SOA", 900, "ns-2048.awsdns-64.com. hostmaster.example.com. 1 7200 900 1209600 86400"),
			rs("labo.example.ca.", "TXT", 300, `"v=spf1 include:_spf.example.com ~all"`),
			rs("labo.example.ca.", "CAA", 300, `0 issue "letsencrypt.org"`),
			rs("\\052.labo.example.ca.", "A", 300, "192.0.2.99"),
			rs("_sip._tcp.labo.example.ca.", "SRV", 300, "10 60 5060 sip.labo.example.ca."),
			weighted("api-blue", 80, "192.0.2.40"), weighted("api-green", 20, "192.0.2.41"),
			alias("app.labo.example.ca.", "A", "origin.labo.example.ca.", "record", zid),
			rs("caf\\303\\251.labo.example.ca.", "A", 300, "192.0.2.50"),
			rs("mail.labo.example.ca.", "A", 300, "192.0.2.25"),
			rs("origin.labo.example.ca.", "A", 300, "192.0.2.60", "192.0.2.61"),
			primary, secondary,
			rs("selector1._domainkey.labo.example.ca.", "TXT", 300, dkim),
			alias("static.labo.example.ca.", "A", "d111111abcdef8.cloudfront.net.", "cloudfront", "Z2FDTNDATAQYW2"),
			alias("static.labo.example.ca.", "AAAA", "d111111abcdef8.cloudfront.net.", "cloudfront", "Z2FDTNDATAQYW2"),
			alias("www.labo.example.ca.", "A", "app.labo.example.ca.", "record", zid),
			geoFR, geoDefault,
		},
		DNSSEC: &account.DNSSEC{Status: "SIGNING", DSTTL: 3600},
	}}}
}

func checkzone(t *testing.T, zone string, data []byte) string {
	t.Helper()
	bin, err := exec.LookPath("named-checkzone")
	if err != nil {
		t.Fatal("named-checkzone not found: install Debian's bind9-utils (./scripts/test does)")
	}
	f := filepath.Join(t.TempDir(), "zone")
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// -k warn: a name that is not a host name (café, kept as Route 53
	// holds it) is a warning, which the loss report states too.
	out, err := exec.Command(bin, "-k", "warn", "-i", "local", zone, f).CombinedOutput()
	if err != nil {
		t.Fatalf("named-checkzone refused the zone: %v\n%s\n%s", err, out, data)
	}
	return string(out)
}

func TestExportLabo(t *testing.T) {
	res, err := Export(labo(), Options{NS: []string{"ns1.sovereign.example", "ns2.sovereign.example."}})
	if err != nil {
		t.Fatal(err)
	}
	data, ok := res.Files["labo.example.ca.zone"]
	if !ok {
		t.Fatalf("files %v", res.Files)
	}
	if out := checkzone(t, "labo.example.ca", data); !strings.Contains(out, "caf") {
		t.Errorf("named-checkzone did not warn about the non-host name:\n%s", out)
	}
	zone := string(data)
	for _, want := range []string{
		"labo.example.ca.\t900\tIN\tSOA\tns1.sovereign.example. hostmaster.example.com. 1 7200 900 1209600 86400",
		"labo.example.ca.\t172800\tIN\tNS\tns2.sovereign.example.",
		"*.labo.example.ca.\t300\tIN\tA\t192.0.2.99",
		"caf\\195\\169.labo.example.ca.\t300\tIN\tA\t192.0.2.50",
		"www.labo.example.ca.\t300\tIN\tA\t192.0.2.60", // www → app → origin, flattened
		"www.labo.example.ca.\t300\tIN\tA\t192.0.2.61",
		"api.labo.example.ca.\t60\tIN\tA\t192.0.2.41", // weighted: both
		"portal.labo.example.ca.\t60\tIN\tA\t192.0.2.10",
		"www-fr.labo.example.ca.\t300\tIN\tA\t192.0.2.31", // geolocation: the default
		"static.labo.example.ca.\t60\tIN\tCNAME\td111111abcdef8.cloudfront.net.",
		`0 issue "letsencrypt.org"`,
	} {
		if !strings.Contains(zone, want) {
			t.Errorf("zone lacks %q:\n%s", want, zone)
		}
	}
	for _, not := range []string{"192.0.2.20", "192.0.2.30", "awsdns", "my-load-balancer"} {
		if strings.Contains(zone, not) {
			t.Errorf("zone holds %q, which the plain file must not:\n%s", not, zone)
		}
	}
	if strings.Count(zone, "static.labo.example.ca.") != 1 {
		t.Errorf("the A and AAAA aliases to one CloudFront name must give one CNAME:\n%s", zone)
	}
	// The long DKIM key keeps its two strings.
	if !strings.Contains(zone, `ExamExam" "pleExample`) && !strings.Contains(zone, `Exam" "pleExample`) {
		t.Errorf("the DKIM key lost its split:\n%s", zone)
	}
	status := map[string]Status{}
	for _, e := range res.Loss {
		status[e.Name+" "+e.Type] = e.Status
	}
	for k, want := range map[string]Status{
		"labo.example.ca. A":        NotCarried, // apex alias to an ELB
		"api.labo.example.ca. A":    Downgraded,
		"portal.labo.example.ca. A": Downgraded,
		"www.labo.example.ca. A":    Kept,
		"static.labo.example.ca. A": Downgraded,
		"labo.example.ca. DS":       ZoneWarning,
	} {
		if status[k] != want {
			t.Errorf("%s: %q, want %q", k, status[k], want)
		}
	}
}

func TestExportBadAliases(t *testing.T) {
	for name, target := range map[string]string{"loop": "b.labo.example.ca.", "missing": "nowhere.labo.example.ca."} {
		t.Run(name, func(t *testing.T) {
			d := labo()
			z := &d.Zones[0]
			a := account.RecordSet{Name: "a.labo.example.ca.", Type: "A", Routing: "simple", Alias: &account.Alias{HostedZoneID: z.ID, DNSName: target, Kind: "record"}}
			b := account.RecordSet{Name: "b.labo.example.ca.", Type: "A", Routing: "simple", Alias: &account.Alias{HostedZoneID: z.ID, DNSName: "a.labo.example.ca.", Kind: "record"}}
			z.RecordSets = append(z.RecordSets, a, b)
			res, err := Export(d, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var why string
			for _, e := range res.Loss {
				if e.Name == "a.labo.example.ca." {
					why = string(e.Status) + ": " + e.Why
				}
			}
			want := map[string]string{"loop": "alias loop", "missing": "does not hold"}[name]
			if !strings.Contains(why, want) {
				t.Errorf("a: %q, want %q", why, want)
			}
			checkzone(t, "labo.example.ca", res.Files["labo.example.ca.zone"])
		})
	}
}

func TestPresentName(t *testing.T) {
	for in, want := range map[string]string{
		"\\052.example.com.":      "*.example.com.",
		"a\\052b.example.com.":    "a\\042b.example.com.",
		"caf\\303\\251.example.":  "caf\\195\\169.example.",
		"_sip._tcp.example.com.":  "_sip._tcp.example.com.",
		"with\\040space.example.": "with\\032space.example.",
	} {
		if got := presentName(in); got != want {
			t.Errorf("presentName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteLoss(t *testing.T) {
	res, err := Export(labo(), Options{NS: []string{"ns1.sovereign.example."}})
	if err != nil {
		t.Fatal(err)
	}
	SortLoss(res.Loss)
	for _, tc := range []struct{ format, lang, want string }{
		{"text", "en", "downgraded"}, {"md", "fr", "| dégradé |"}, {"json", "en", `"status": "not_carried"`},
	} {
		var b strings.Builder
		if err := WriteLoss(&b, res.Loss, tc.format, tc.lang); err != nil || !strings.Contains(b.String(), tc.want) {
			t.Errorf("%s/%s: %v\n%s", tc.format, tc.lang, err, b.String())
		}
	}
	if err := WriteLoss(&strings.Builder{}, res.Loss, "html", "en"); err == nil {
		t.Error("html accepted")
	}
}

func TestDecimalEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`"an accented e: \351"`:                 `"an accented e: \233"`,
		`"quotes \" stay"`:                      `"quotes \" stay"`,
		`"!^(\\+441632960083)$!sip:\\1@x.com!"`: `"!^(\\+441632960083)$!sip:\\1@x.com!"`,
		`"\052"`:                                `"\042"`,
	} {
		if got := decimalEscapes(in); got != want {
			t.Errorf("decimalEscapes(%s) = %s, want %s", in, got, want)
		}
	}
}

// --resolve: an apex alias to a load balancer answers the addresses the
// lookup gave (AAAA too); a failed lookup is reported with the advice, and
// nothing is written for it.
func TestExportResolveApex(t *testing.T) {
	lookups := map[string][]netip.Addr{
		"A":    {netip.MustParseAddr("192.0.2.200"), netip.MustParseAddr("192.0.2.201")},
		"AAAA": {netip.MustParseAddr("2001:db8::200")},
	}
	d := labo()
	z := &d.Zones[0]
	z.RecordSets = append(z.RecordSets, account.RecordSet{Name: "labo.example.ca.", Type: "AAAA", Routing: "simple",
		Alias: &account.Alias{HostedZoneID: "Z1H1FL5HABSF5", DNSName: "dualstack.my-load-balancer-1234567890.us-west-2.elb.amazonaws.com.", Kind: "elb"}})
	var asked []string
	res, err := Export(d, Options{Resolve: func(name, typ string) ([]netip.Addr, error) {
		asked = append(asked, name+" "+typ)
		return lookups[typ], nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	zone := string(res.Files["labo.example.ca.zone"])
	checkzone(t, "labo.example.ca", res.Files["labo.example.ca.zone"])
	for _, want := range []string{"labo.example.ca.\t60\tIN\tA\t192.0.2.200", "labo.example.ca.\t60\tIN\tA\t192.0.2.201", "labo.example.ca.\t60\tIN\tAAAA\t2001:db8::200"} {
		if !strings.Contains(zone, want) {
			t.Errorf("zone lacks %q:\n%s", want, zone)
		}
	}
	if len(asked) != 2 || asked[0] != "dualstack.my-load-balancer-1234567890.us-west-2.elb.amazonaws.com. A" {
		t.Errorf("lookups %v", asked)
	}
	res, err = Export(labo(), Options{Resolve: func(string, string) ([]netip.Addr, error) { return nil, fmt.Errorf("no such host") }})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Loss {
		if e.Name == "labo.example.ca." && e.Type == "A" && (e.Status != NotCarried || !strings.Contains(e.Why, "could not be resolved (no such host)")) {
			t.Errorf("failed lookup: %+v", e)
		}
	}
}

package awsread

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/awsconfig"
)

// zonesExport is the DNS fixture account: an offline export of Route 53
// built from the API reference's and aws-cli's documented examples (see
// its SOURCES.md). testdata/live-dns is the same account as Route 53's
// REST API answers it.
const zonesExport = "../../dns/testdata/zones-export"

// The fixture's zone IDs.
const (
	zoneParent = "Z3M3LMPEXAMPLE" // example.ca.
	zoneLabo   = "Z1D633PJN98FT9" // labo.example.ca., signed
	zoneIntra  = "Z2LD58HEXAMPLE" // intra.example.ca., private
)

func readZonesExport(t *testing.T, dir string, opts DNSOptions) *account.DNS {
	t.Helper()
	o, err := NewOffline(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := o.DNS(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// copyZonesExport returns a copy of the fixture to break.
func copyZonesExport(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(zonesExport)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func zoneByID(t *testing.T, d *account.DNS, id string) *account.HostedZone {
	t.Helper()
	for i := range d.Zones {
		if d.Zones[i].ID == id {
			return &d.Zones[i]
		}
	}
	t.Fatalf("zone %s not read; zones %+v", id, d.Zones)
	return nil
}

// sets returns the record sets of name and typ, in the zone's order.
func sets(z *account.HostedZone, name, typ string) []account.RecordSet {
	var out []account.RecordSet
	for _, rs := range z.RecordSets {
		if rs.Name == name && rs.Type == typ {
			out = append(out, rs)
		}
	}
	return out
}

// The fixture's zones, read offline, kept for the DNS deliverable's tests
// (which read the model without the SDK). Review the golden line by line
// against the export when it changes.
func TestZonesExport(t *testing.T) {
	d := readZonesExport(t, zonesExport, DNSOptions{})
	d.Source = "offline (zones-export)"
	if len(d.Problems) != 0 {
		t.Errorf("problems = %+v, want none: every file is in the export", d.Problems)
	}
	checkGolden(t, "../../dns/testdata/zones.dns.json", d, "TestZonesExport")

	if d.Account != "123456789012" || len(d.Zones) != 3 || len(d.HealthChecks) != 2 {
		t.Fatalf("account %q, %d zones, %d health checks", d.Account, len(d.Zones), len(d.HealthChecks))
	}
	var names []string
	for _, z := range d.Zones {
		names = append(names, z.Name)
		if z.Unread != nil {
			t.Errorf("zone %s unread: %v", z.Name, z.Unread)
		}
	}
	if strings.Join(names, " ") != "example.ca. intra.example.ca. labo.example.ca." {
		t.Errorf("zones %v, want them by name", names)
	}

	labo := zoneByID(t, d, zoneLabo)
	if labo.Private || labo.RecordCount != 40 || len(labo.RecordSets) != 40 || labo.Comment != "Site public du laboratoire" ||
		strings.Join(labo.NameServers, " ") != "ns-2048.awsdns-64.com ns-2049.awsdns-65.net ns-2050.awsdns-66.org ns-2051.awsdns-67.co.uk" {
		t.Errorf("labo = %d sets of %d, name servers %v", len(labo.RecordSets), labo.RecordCount, labo.NameServers)
	}
	// Signed, its DS record's TTL taken from the parent zone in the account.
	wantDNSSEC := &account.DNSSEC{Status: "SIGNING", DSTTL: 3600, DSFrom: zoneParent, Keys: []account.SigningKey{{
		Name: "labo_ksk", Status: "ACTIVE", KeyTag: 55648, Flag: 257, Algorithm: "ECDSAP256SHA256", AlgorithmType: 13, Digest: "SHA-256", DigestType: 2,
		DSRecord:     "55648 13 2 B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17",
		DNSKEYRecord: "257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==",
		KMSKey:       "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}}
	if !reflect.DeepEqual(labo.DNSSEC, wantDNSSEC) {
		t.Errorf("labo DNSSEC = %+v, want %+v", labo.DNSSEC, wantDNSSEC)
	}
	if p := zoneByID(t, d, zoneParent); p.DNSSEC == nil || p.DNSSEC.Status != "NOT_SIGNING" || p.DNSSEC.Keys != nil {
		t.Errorf("parent DNSSEC = %+v", p.DNSSEC)
	}
	intra := zoneByID(t, d, zoneIntra)
	if !intra.Private || intra.DNSSEC != nil || intra.NameServers != nil ||
		!reflect.DeepEqual(intra.VPCs, []account.ZoneVPC{{ID: "vpc-0ca1000000000a001", Region: "ca-central-1"}}) || len(intra.RecordSets) != 5 {
		t.Errorf("intra = %+v", intra)
	}

	// The apex is an alias to the campus load balancer; www → app →
	// origin's A records is a chain inside the zone; static is CloudFront's.
	elb := &account.Alias{HostedZoneID: "ZQSVJUPU6J1EY", DNSName: "dualstack.moodle-alb-424835706.ca-central-1.elb.amazonaws.com.", EvaluateTargetHealth: true, Kind: "elb"}
	for _, typ := range []string{"A", "AAAA"} {
		if s := sets(labo, "labo.example.ca.", typ); len(s) != 1 || !reflect.DeepEqual(s[0].Alias, elb) || s[0].TTL != 0 || s[0].Values != nil || s[0].Routing != "simple" {
			t.Errorf("apex %s = %+v", typ, s)
		}
	}
	chain := map[string]string{"www.labo.example.ca.": "app.labo.example.ca.", "app.labo.example.ca.": "origin.labo.example.ca."}
	for from, to := range chain {
		if s := sets(labo, from, "A"); len(s) != 1 || s[0].Alias == nil || s[0].Alias.DNSName != to || s[0].Alias.Kind != "record" || s[0].Alias.HostedZoneID != zoneLabo {
			t.Errorf("%s = %+v, want an alias to %s in the zone", from, s, to)
		}
	}
	if s := sets(labo, "origin.labo.example.ca.", "A"); len(s) != 1 || strings.Join(s[0].Values, ",") != "192.0.2.10,192.0.2.11" || s[0].TTL != 300 {
		t.Errorf("origin = %+v", s)
	}
	if s := sets(labo, "static.labo.example.ca.", "AAAA"); len(s) != 1 || s[0].Alias.Kind != "cloudfront" || s[0].Alias.HostedZoneID != "Z2FDTNDATAQYW2" {
		t.Errorf("static = %+v", s)
	}

	// Routing, one name per policy.
	api := sets(labo, "api.labo.example.ca.", "A")
	if len(api) != 2 || api[0].Routing != "weighted" || api[0].Weight != 80 || api[0].SetIdentifier != "bleu" || api[1].Weight != 20 || api[0].TTL != 60 {
		t.Errorf("api = %+v, want weighted 80/20", api)
	}
	portail := sets(labo, "portail.labo.example.ca.", "A")
	if len(portail) != 2 || portail[0].Failover != "PRIMARY" || portail[0].HealthCheck != "abcdef11-2222-3333-4444-555555fedcba" ||
		portail[1].Failover != "SECONDARY" || portail[1].HealthCheck != "" || portail[1].Routing != "failover" {
		t.Errorf("portail = %+v, want a checked primary and a secondary", portail)
	}
	cours := sets(labo, "cours.labo.example.ca.", "A")
	if len(cours) != 5 || cours[2].SetIdentifier != "defaut" || !reflect.DeepEqual(cours[2].Geo, &account.GeoLocation{Country: "*"}) ||
		!reflect.DeepEqual(cours[4].Geo, &account.GeoLocation{Country: "US", Subdivision: "NY"}) || cours[0].Geo.Continent != "NA" || cours[0].Routing != "geolocation" {
		t.Errorf("cours = %+v, want geolocation with a default", cours)
	}
	mv := sets(labo, "ressources.labo.example.ca.", "A")
	if len(mv) != 3 || !mv[0].MultiValue || mv[0].Routing != "multivalue" || mv[0].HealthCheck != "abcdef66-7777-8888-9999-000000fedcba" || mv[1].HealthCheck != "" {
		t.Errorf("ressources = %+v, want three multivalue answers, one checked", mv)
	}
	if v := sets(labo, "video.labo.example.ca.", "A"); len(v) != 2 || v[1].Routing != "latency" || v[1].Region != "eu-west-3" {
		t.Errorf("video = %+v, want latency", v)
	}
	if c := sets(labo, "campus.labo.example.ca.", "A"); len(c) != 2 || c[0].Routing != "ip-based" ||
		!reflect.DeepEqual(c[0].CIDR, &account.CIDRRouting{Collection: "c8c02a84-aaaa-bbbb-e0d2-d833a2f80106", Location: "*"}) {
		t.Errorf("campus = %+v, want IP-based with a default", c)
	}
	if c := sets(labo, "carte.labo.example.ca.", "A"); len(c) != 2 || c[0].Routing != "geoproximity" ||
		!reflect.DeepEqual(c[0].GeoProximity, &account.GeoProximity{Region: "ca-central-1", Bias: 10}) ||
		!reflect.DeepEqual(c[1].GeoProximity, &account.GeoProximity{Latitude: "48.86", Longitude: "2.35"}) {
		t.Errorf("carte = %+v, want geoproximity", c)
	}

	// Names and values as Route 53 holds them: octal escapes kept, TXT
	// strings quoted and split.
	if s := sets(labo, `\052.labo.example.ca.`, "A"); len(s) != 1 || s[0].Values[0] != "192.0.2.50" {
		t.Errorf(`wildcard = %+v, want its name as \052.labo.example.ca.`, s)
	}
	if s := sets(labo, `ex\344mple.labo.example.ca.`, "A"); len(s) != 1 {
		t.Errorf(`no record set named ex\344mple.labo.example.ca.`)
	}
	dkim := sets(labo, "courriel._domainkey.labo.example.ca.", "TXT")
	if len(dkim) != 1 || len(dkim[0].Values) != 1 {
		t.Fatalf("DKIM = %+v", dkim)
	}
	first, rest, ok := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(dkim[0].Values[0], `"`), `"`), `" "`)
	if !ok || len(first) != 255 || !strings.HasPrefix(first, "v=DKIM1; k=rsa; p=MIIB") || !strings.HasSuffix(rest, "IDAQAB") || len(first)+len(rest) != 410 {
		t.Errorf("DKIM value = %q, want two quoted strings of 255 and 155 characters", dkim[0].Values[0])
	}
	txt := sets(labo, "labo.example.ca.", "TXT")
	if len(txt) != 1 || txt[0].Values[1] != `"This string includes \"quotation marks\"."` || !strings.HasSuffix(txt[0].Values[2], `format: \351"`) {
		t.Errorf("TXT = %q", txt[0].Values)
	}
	if n := sets(labo, "telephonie.labo.example.ca.", "NAPTR"); len(n) != 1 || n[0].Values[0] != `100 50 "u" "E2U+sip" "!^(\\+441632960083)$!sip:\\1@example.com!" .` {
		t.Errorf("NAPTR = %q", n[0].Values)
	}
	types := map[string]bool{}
	for _, rs := range labo.RecordSets {
		types[rs.Type] = true
	}
	for _, typ := range []string{"A", "AAAA", "CAA", "MX", "NAPTR", "NS", "SOA", "SPF", "SRV", "SSHFP", "TLSA", "TXT"} {
		if !types[typ] {
			t.Errorf("labo has no %s record set", typ)
		}
	}
	if ds := sets(zoneByID(t, d, zoneParent), "labo.example.ca.", "DS"); len(ds) != 1 || ds[0].TTL != 3600 || ds[0].Values[0] != labo.DNSSEC.Keys[0].DSRecord {
		t.Errorf("parent's DS for labo = %+v, want the KSK's DS record", ds)
	}

	want := []account.HealthCheck{
		{ID: "abcdef11-2222-3333-4444-555555fedcba", Type: "HTTPS", IP: "198.51.100.10", FQDN: "portail.labo.example.ca", Port: 443, Path: "/sante",
			EnableSNI: true, Interval: 30, FailureThreshold: 3},
		{ID: "abcdef66-7777-8888-9999-000000fedcba", Type: "TCP", IP: "203.0.113.1", Port: 443, Interval: 30, FailureThreshold: 3},
	}
	if !reflect.DeepEqual(d.HealthChecks, want) {
		t.Errorf("health checks = %+v, want %+v", d.HealthChecks, want)
	}
}

// dnsFileTypes are the SDK output types of the export's files the DNS
// reader reads, by file name (by command for a zone's files).
func dnsFileTypes() map[string]func() any {
	return map[string]func() any{
		fileIdentity:     func() any { return new(sts.GetCallerIdentityOutput) },
		fileRegions:      func() any { return new(ec2.DescribeRegionsOutput) },
		fileZones:        func() any { return new(route53.ListHostedZonesOutput) },
		fileHealthChecks: func() any { return new(route53.ListHealthChecksOutput) },
		fileHostedZone:   func() any { return new(route53.GetHostedZoneOutput) },
		fileRecordSets:   func() any { return new(route53.ListResourceRecordSetsOutput) },
		fileDNSSEC:       func() any { return new(route53.GetDNSSECOutput) },
	}
}

// Every file of the fixture decodes into its SDK output type with no
// member left over: the export holds aws-cli's shapes, not ours.
func TestZonesExportHasOnlyRealMembers(t *testing.T) {
	types := dnsFileTypes()
	n := 0
	err := filepath.WalkDir(zonesExport, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		rel, _ := filepath.Rel(zonesExport, path)
		parts := strings.Split(filepath.ToSlash(strings.TrimSuffix(rel, ".json")), "/")
		key := parts[len(parts)-1]
		if len(parts) != 1 && (len(parts) != 3 || parts[0] != dirZones) {
			t.Errorf("%s: not where the reader looks", rel)
			return nil
		}
		newOut, ok := types[key]
		if !ok {
			t.Errorf("%s: no SDK type for it; the reader does not read it", rel)
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := decodeStrict(b, newOut()); err != nil {
			t.Errorf("%s: %v", rel, err)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 12 {
		t.Errorf("checked %d files, want 12", n)
	}
}

// dnsFixture is Route 53's REST API (and STS) answering from testdata/
// live-dns: route53/OPERATION[.ZONE][.START].xml, where START is the page's
// StartRecordName and StartRecordType (and StartRecordIdentifier) for
// ListResourceRecordSets, the marker for ListHealthChecks. The lab's
// record sets come in pages of 14, as Route 53 answers maxitems=14, so
// that the reader follows pages the way Route 53 hands them out.
type dnsFixture struct {
	*fixtureAWS
	mu sync.Mutex
	// queries holds the query of every Route 53 request, by operation.
	queries map[string][]string
	// deny makes an operation ("GetDNSSEC") answer AccessDenied.
	deny map[string]bool
}

func (f *dnsFixture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil || m[2] != "route53" {
		f.fixtureAWS.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodGet {
		f.t.Errorf("sortie sent a %s to Route 53: it must only read", r.Method)
		http.Error(w, "read-only fixture", http.StatusMethodNotAllowed)
		return
	}
	path := strings.Split(strings.TrimPrefix(r.URL.Path, "/2013-04-01/"), "/")
	q := r.URL.Query()
	var op, name string
	switch {
	case len(path) == 1 && path[0] == "hostedzone":
		op, name = "ListHostedZones", "ListHostedZones"
	case len(path) == 2 && path[0] == "hostedzone":
		op, name = "GetHostedZone", "GetHostedZone."+path[1]
	case len(path) == 3 && path[0] == "hostedzone" && path[2] == "rrset":
		op, name = "ListResourceRecordSets", "ListResourceRecordSets."+path[1]
		if start := q.Get("name"); start != "" {
			name += "." + start + q.Get("type")
			if id := q.Get("identifier"); id != "" {
				name += "." + id
			}
		}
	case len(path) == 3 && path[0] == "hostedzone" && path[2] == "dnssec":
		op, name = "GetDNSSEC", "GetDNSSEC."+path[1]
	case len(path) == 1 && path[0] == "healthcheck":
		op, name = "ListHealthChecks", "ListHealthChecks"
		if marker := q.Get("marker"); marker != "" {
			name += "." + marker
		}
	default:
		http.Error(w, "unexpected Route 53 request "+r.URL.String(), http.StatusNotImplemented)
		return
	}
	f.count("route53 " + op)
	f.mu.Lock()
	f.queries[op] = append(f.queries[op], strings.Join(path, "/")+"?"+r.URL.RawQuery)
	deny := f.deny[op]
	f.mu.Unlock()
	if deny {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: route53:` + op + `</Message></Error><RequestId>1</RequestId></ErrorResponse>`))
		return
	}
	f.serve(w, "route53/"+name, "xml", "text/xml")
}

// liveDNSFixture points a profile at the Route 53 fixture and returns a
// Live reader through it, the way a user's profile would be read.
func liveDNSFixture(t *testing.T) (*dnsFixture, *Live) {
	t.Helper()
	f := &dnsFixture{
		fixtureAWS: &fixtureAWS{dir: "testdata/live-dns", t: t, requests: map[string]int{}, forms: map[string][]url.Values{}, deny: map[string]bool{}},
		queries:    map[string][]string{}, deny: map[string]bool{},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	dir := t.TempDir()
	cfg, creds := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	os.WriteFile(cfg, []byte("[profile fixture]\nregion = ca-central-1\nendpoint_url = http://"+l.Addr().String()+"\n"), 0o600)
	os.WriteFile(creds, []byte("[fixture]\naws_access_key_id = AKIDFIXTURE\naws_secret_access_key = fixture\n"), 0o600)
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	awsCfg, err := awsconfig.Load(context.Background(), awsconfig.Options{Profile: "fixture", MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return f, NewLive(awsCfg)
}

// The same account read through the API (the SDK against Route 53's REST
// XML, page by page) and from aws-cli's export gives the same zones, byte
// for byte.
func TestLiveAndOfflineGiveTheSameDNS(t *testing.T) {
	f, l := liveDNSFixture(t)
	live, err := l.DNS(context.Background(), DNSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	off := readZonesExport(t, zonesExport, DNSOptions{})
	live.Source, off.Source = "", ""
	a, _ := json.MarshalIndent(live, "", "  ")
	b, _ := json.MarshalIndent(off, "", "  ")
	if !bytes.Equal(a, b) || !reflect.DeepEqual(live, off) {
		t.Fatalf("live and offline zones differ:\nlive:\n%s\noffline:\n%s", a, b)
	}
	// The lab's record sets in three pages, each started where the last
	// ended, the third at a set identifier; the private zone is not asked
	// for DNSSEC; the health checks in two pages.
	wantPages := []string{
		"hostedzone/" + zoneLabo + "/rrset?",
		"hostedzone/" + zoneLabo + "/rrset?name=bastion.labo.example.ca.&type=A",
		"hostedzone/" + zoneLabo + "/rrset?identifier=primaire&name=portail.labo.example.ca.&type=A",
	}
	var labo []string
	for _, q := range f.queries["ListResourceRecordSets"] {
		if strings.HasPrefix(q, "hostedzone/"+zoneLabo+"/") {
			labo = append(labo, q)
		}
	}
	if !reflect.DeepEqual(labo, wantPages) {
		t.Errorf("record set pages asked = %q, want %q", labo, wantPages)
	}
	if n := f.requests["route53 ListResourceRecordSets"]; n != 5 {
		t.Errorf("%d ListResourceRecordSets requests, want 5 (3 pages and 2 zones of one)", n)
	}
	if dnssec := strings.Join(f.queries["GetDNSSEC"], " "); strings.Contains(dnssec, zoneIntra) || f.requests["route53 GetDNSSEC"] != 2 {
		t.Errorf("GetDNSSEC asked for %s, want the two public zones only", dnssec)
	}
	if f.requests["route53 ListHealthChecks"] != 2 || f.requests["route53 GetHostedZone"] != 3 || f.requests["route53 ListHostedZones"] != 1 {
		t.Errorf("requests = %v", f.requests)
	}
}

// A call the credentials may not make is a problem line naming the zone;
// the rest is read.
func TestLiveDNSRefusedIsAProblem(t *testing.T) {
	f, l := liveDNSFixture(t)
	f.deny["GetDNSSEC"] = true
	f.deny["ListHealthChecks"] = true
	d, err := l.DNS(context.Background(), DNSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range d.Problems {
		got = append(got, p.Service+": "+p.Error)
	}
	want := []string{
		"route53 (dnssec): zone example.ca. (" + zoneParent + "): AccessDenied: User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: route53:GetDNSSEC",
		"route53 (dnssec): zone labo.example.ca. (" + zoneLabo + "): AccessDenied: User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: route53:GetDNSSEC",
		"route53 (health checks): AccessDenied: User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: route53:ListHealthChecks",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	labo := zoneByID(t, d, zoneLabo)
	if labo.DNSSEC != nil || !reflect.DeepEqual(labo.Unread, []string{"dnssec"}) || len(labo.RecordSets) != 40 || d.HealthChecks != nil {
		t.Errorf("labo: DNSSEC %+v, unread %v, %d record sets; %d health checks", labo.DNSSEC, labo.Unread, len(labo.RecordSets), len(d.HealthChecks))
	}
	if intra := zoneByID(t, d, zoneIntra); intra.Unread != nil {
		t.Errorf("the private zone, never asked for DNSSEC, is unread: %v", intra.Unread)
	}
}

// An export that lacks files, or holds aws-cli's refusals, reads with a
// problem line for each and the zone's part unread; what is there is read.
func TestDNSMissingFilesAreProblems(t *testing.T) {
	dir := copyZonesExport(t)
	for _, f := range []string{zoneFile(zoneLabo, fileDNSSEC), zoneFile(zoneIntra, fileHostedZone), zoneFile(zoneParent, fileRecordSets), fileHealthChecks} {
		if err := os.Remove(filepath.Join(dir, f+".json")); err != nil {
			t.Fatal(err)
		}
	}
	msg := "\nAn error occurred (AccessDenied) when calling the ListResourceRecordSets operation: User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: route53:ListResourceRecordSets\n"
	if err := os.WriteFile(filepath.Join(dir, zoneFile(zoneParent, fileRecordSets)+".error"), []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
	d := readZonesExport(t, dir, DNSOptions{})
	var got []string
	for _, p := range d.Problems {
		got = append(got, p.Service+": "+p.Error)
	}
	want := []string{
		"route53 (record sets): zone example.ca. (" + zoneParent + "): AccessDenied: User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: route53:ListResourceRecordSets",
		"route53 (hosted zone): zone intra.example.ca. (" + zoneIntra + "): route53/" + zoneIntra + "/get-hosted-zone.json is not in the directory (re-run the export script, or read it live)",
		"route53 (dnssec): zone labo.example.ca. (" + zoneLabo + "): route53/" + zoneLabo + "/get-dnssec.json is not in the directory (re-run the export script, or read it live)",
		"route53 (health checks): route53-list-health-checks.json is not in the directory (re-run the export script, or read it live)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	unread := map[string][]string{}
	for _, z := range d.Zones {
		unread[z.ID] = z.Unread
	}
	wantUnread := map[string][]string{zoneParent: {"record sets"}, zoneIntra: {"hosted zone"}, zoneLabo: {"dnssec"}}
	if !reflect.DeepEqual(unread, wantUnread) {
		t.Errorf("unread = %v, want %v", unread, wantUnread)
	}
	// The private zone's VPCs are unknown, its records read (the listing's
	// count checks them); the lab's record sets are all there.
	intra, labo := zoneByID(t, d, zoneIntra), zoneByID(t, d, zoneLabo)
	if !intra.Private || intra.VPCs != nil || len(intra.RecordSets) != 5 || len(labo.RecordSets) != 40 || zoneByID(t, d, zoneParent).RecordSets != nil {
		t.Errorf("intra %+v; labo %d record sets", intra, len(labo.RecordSets))
	}
}

// A zone's export cut short (the script stopped while aws-cli wrote it) is
// a problem line naming the file and saying so; so is a listing that is
// valid JSON but lacks record sets Route 53 counts, and a file that is not
// aws-cli's output at all. The zone's record sets are then unread, never
// passed off as the whole zone.
func TestDNSExportCutShort(t *testing.T) {
	file := zoneFile(zoneLabo, fileRecordSets)
	whole, err := os.ReadFile(filepath.Join(zonesExport, file+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var listing struct{ ResourceRecordSets []json.RawMessage }
	if err := json.Unmarshal(whole, &listing); err != nil {
		t.Fatal(err)
	}
	listing.ResourceRecordSets = listing.ResourceRecordSets[:31]
	partial, _ := json.MarshalIndent(listing, "", "    ")
	for _, c := range []struct {
		name     string
		content  []byte
		problem  string
		nRecords int
	}{
		{"cut short", whole[:len(whole)/2], file + ".json in DIR ends before its JSON does: the export was cut short (re-run the export script, or read it live)", 0},
		{"some record sets", partial, "31 record sets read of the 40 Route 53 counts; the listing is incomplete (re-run the export script, or read it live)", 31},
		{"not aws-cli's", []byte("<html>503 Service Unavailable</html>\n"), file + ".json in DIR is not aws-cli JSON output: invalid character '<'", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := copyZonesExport(t)
			if err := os.WriteFile(filepath.Join(dir, file+".json"), c.content, 0o644); err != nil {
				t.Fatal(err)
			}
			d := readZonesExport(t, dir, DNSOptions{})
			if len(d.Problems) != 1 {
				t.Fatalf("problems = %+v, want one", d.Problems)
			}
			p := d.Problems[0]
			want := "zone labo.example.ca. (" + zoneLabo + "): " + strings.ReplaceAll(c.problem, "DIR", dir)
			if p.Service != "route53 (record sets)" || !strings.HasPrefix(p.Error, want) {
				t.Errorf("problem = %s: %s\nwant %s", p.Service, p.Error, want)
			}
			labo := zoneByID(t, d, zoneLabo)
			if !reflect.DeepEqual(labo.Unread, []string{"record sets"}) || len(labo.RecordSets) != c.nRecords {
				t.Errorf("labo unread %v with %d record sets", labo.Unread, len(labo.RecordSets))
			}
		})
	}
}

// --zones selects zones by name or ID; a name the account lacks is a
// usage error naming it and the zones there are.
func TestDNSZonesOption(t *testing.T) {
	// The lab alone: its parent not read, its DS TTL is unknown.
	d := readZonesExport(t, zonesExport, DNSOptions{Zones: []string{"labo.example.ca"}})
	if len(d.Zones) != 1 || d.Zones[0].ID != zoneLabo || d.Zones[0].DNSSEC.DSTTL != 0 || d.Zones[0].DNSSEC.DSFrom != "" || len(d.Problems) != 0 {
		t.Errorf("zones = %+v problems %+v", d.Zones, d.Problems)
	}
	d = readZonesExport(t, zonesExport, DNSOptions{Zones: []string{"/hostedzone/" + zoneIntra, "EXAMPLE.CA."}})
	if len(d.Zones) != 2 || d.Zones[0].Name != "example.ca." || d.Zones[1].Name != "intra.example.ca." || len(d.HealthChecks) != 2 {
		t.Errorf("zones = %+v", d.Zones)
	}

	o, err := NewOffline(zonesExport)
	if err != nil {
		t.Fatal(err)
	}
	_, err = o.DNS(context.Background(), DNSOptions{Zones: []string{"labo.example.ca", "labo.example.com"}})
	if !errors.Is(err, ErrUnknownZone) || !strings.Contains(err.Error(), `"labo.example.com"`) || !strings.Contains(err.Error(), "--zones") ||
		!strings.Contains(err.Error(), "(example.ca., intra.example.ca., labo.example.ca.)") {
		t.Errorf("err = %v, want ErrUnknownZone naming the zone, the account's zones and --zones", err)
	}
}

// The export script makes every call the DNS reader reads a file of.
func TestExportScriptWritesTheDNSFiles(t *testing.T) {
	var b strings.Builder
	if err := WriteExportScript(&b); err != nil {
		t.Fatal(err)
	}
	script := b.String()
	for _, line := range []string{
		"run " + fileZones + " aws route53 list-hosted-zones\n",
		"run " + fileHealthChecks + " aws route53 list-health-checks\n",
		`run route53/$zone/get-hosted-zone aws route53 get-hosted-zone --id "$zone"`,
		`run route53/$zone/list-resource-record-sets aws route53 list-resource-record-sets --hosted-zone-id "$zone"`,
		`run route53/$zone/get-dnssec aws route53 get-dnssec --hosted-zone-id "$zone"`,
	} {
		if !strings.Contains(script, line) {
			t.Errorf("the script lacks %q", line)
		}
	}
	// aws-cli reads every page itself unless told otherwise.
	if strings.Contains(script, "--max-items") || strings.Contains(script, "--no-paginate") {
		t.Error("the script limits a listing")
	}
}

// The export script, run with an aws-cli that answers as the fixture
// account does, writes a directory the DNS reads the same from: every call
// is made, every file lands where the reader looks, and a private zone is
// not asked for DNSSEC.
func TestExportScriptRoundTripDNS(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("the export script is a bash script; this test needs bash")
	}
	fixture, err := filepath.Abs(zonesExport)
	if err != nil {
		t.Fatal(err)
	}
	// This aws answers Route 53's and STS's calls from the fixture, with
	// aws-cli's text output for the script's --query; every other call is
	// refused as aws-cli reports a refusal.
	var zones strings.Builder
	for _, z := range readZonesExport(t, zonesExport, DNSOptions{}).Zones {
		private := "False"
		if z.Private {
			private = "True"
		}
		zones.WriteString("/hostedzone/" + z.ID + "\t" + private + "\n")
	}
	bin := t.TempDir()
	stub := `#!/usr/bin/env bash
svc=$1 op=$2; shift 2
query= zone=
while [ $# -gt 0 ]; do
  case $1 in
    --query) query=$2; shift ;;
    --id|--hosted-zone-id) zone=$2; shift ;;
  esac
  shift
done
f=
case "$svc $op" in
  "sts get-caller-identity") f=sts-get-caller-identity ;;
  "ec2 describe-regions") f=ec2-describe-regions ;;
  "route53 list-hosted-zones")
    if [ -n "$query" ]; then
      [ "$query" = "HostedZones[].[Id,Config.PrivateZone]" ] || { echo "stub aws: unknown --query $query" >&2; exit 2; }
      printf '%s' "$STUB_ZONES"; exit 0
    fi
    f=route53-list-hosted-zones ;;
  "route53 list-health-checks") f=route53-list-health-checks ;;
  "route53 get-hosted-zone"|"route53 list-resource-record-sets"|"route53 get-dnssec") f=route53/$zone/$op ;;
esac
if [ -n "$f" ] && [ -f "$STUB_DIR/$f.json" ] && [ -z "$query" ]; then cat "$STUB_DIR/$f.json"; exit 0; fi
echo "An error occurred (AccessDenied) when calling the $op operation: the stub aws has no answer for it" >&2
exit 254
`
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	var b strings.Builder
	if err := WriteExportScript(&b); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(work, "export.sh")
	if err := os.WriteFile(script, []byte(b.String()), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "export")
	cmd := exec.Command(bash, script, out, "ca-central-1")
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "STUB_DIR="+fixture, "STUB_ZONES="+zones.String())
	log, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("export script: %v\n%s", err, log)
	}
	if strings.Contains(string(log), "stub aws:") {
		t.Errorf("the script made a call the stub does not know:\n%s", log)
	}
	var missing []string
	filepath.WalkDir(fixture, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
			rel, _ := filepath.Rel(fixture, path)
			if _, err := os.Stat(filepath.Join(out, rel)); err != nil {
				missing = append(missing, rel)
			}
		}
		return nil
	})
	if len(missing) > 0 {
		t.Errorf("the script did not write %v", missing)
	}
	if m, _ := filepath.Glob(filepath.Join(out, dirZones, zoneIntra, fileDNSSEC+".*")); len(m) != 0 {
		t.Errorf("the script asked the private zone for DNSSEC: %v", m)
	}
	got := readZonesExport(t, out, DNSOptions{})
	want := readZonesExport(t, fixture, DNSOptions{})
	got.Source, want.Source = "", ""
	if !reflect.DeepEqual(got, want) {
		a, _ := json.MarshalIndent(got, "", " ")
		t.Errorf("the script's export reads differently:\n%s", a)
	}
}

package dns

import (
	"bytes"
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/miekg/dns"

	"github.com/sortie-dev/sortie/internal/account"
)

// Options say how zones are written.
type Options struct {
	// NS are the target's name servers (absolute names): the apex NS
	// records are replaced with them and the SOA's primary is the first.
	// Empty keeps Route 53's, with a warning in the report.
	NS []string
	// Zones keeps only these zone names (with or without the final dot);
	// empty keeps all.
	Zones []string
	// Designate also writes the zones as OpenTofu for OpenStack Designate
	// (Result.Designate).
	Designate bool
	// Resolve, when set, looks up the addresses (typ A or AAAA) of the AWS
	// resource an apex alias points to, so the apex can answer them: a
	// CNAME cannot stand there. Nil reports such an alias, not carried.
	Resolve func(name, typ string) ([]netip.Addr, error)
}

// Status is what became of one record set.
type Status string

const (
	Kept        Status = "kept"
	Downgraded  Status = "downgraded"
	NotCarried  Status = "not_carried"
	ZoneWarning Status = "warning"
)

// Entry is one line of the loss report.
type Entry struct {
	Zone   string `json:"zone"`
	Name   string `json:"name,omitempty"`
	Type   string `json:"type,omitempty"`
	Set    string `json:"set_identifier,omitempty"`
	Status Status `json:"status"`
	Why    string `json:"why,omitempty"`
	// PowerDNS says how the PowerDNS variant (ZONE.pdns.zone) differs
	// from the plain file for a routed record set: a LUA record that keeps
	// the routing, or why it keeps the plain file's downgrade.
	PowerDNS string `json:"powerdns,omitempty"`
}

// Result is an export: the files by name (ZONE.zone and its PowerDNS
// variant ZONE.pdns.zone) and the report.
type Result struct {
	Files map[string][]byte
	Loss  []Entry
	// Routed are the routed record sets of each zone file (by file name,
	// then "NAME TYPE" as the file spells them): every value Route 53 may
	// answer for them, in presentation form. Verify compares these names
	// as the values that may be answered, not as one fixed answer.
	Routed map[string]map[string][]string
	// Designate is dns.tf, the zones as openstack_dns_zone_v2 and
	// openstack_dns_recordset_v2 resources, when Options.Designate asked
	// for it: the plain files' records, of the types Designate accepts.
	Designate []byte
}

// Export writes every zone of d as a master file NAME.zone, and as
// NAME.pdns.zone, which keeps what routing it can as PowerDNS LUA records.
func Export(d *account.DNS, opts Options) (*Result, error) {
	if d == nil {
		return nil, fmt.Errorf("the account's DNS was not read")
	}
	var ns []string
	for _, n := range opts.NS {
		n = dns.Fqdn(strings.ToLower(strings.TrimSpace(n)))
		if _, ok := dns.IsDomainName(n); !ok || !hostName(n) || strings.Count(n, ".") < 2 {
			return nil, fmt.Errorf("--ns %q is not a name server's host name (e.g. ns1.provider.example)", strings.TrimSuffix(n, "."))
		}
		ns = append(ns, n)
	}
	res := &Result{Files: map[string][]byte{}, Routed: map[string]map[string][]string{}}
	seen := map[string]string{}
	var tf *hclwrite.File
	tfNames := map[string]bool{}
	if opts.Designate {
		tf = hclwrite.NewEmptyFile()
		tf.Body().AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte("# Written by sortie dns export: the Route 53 zones for OpenStack Designate.\n# Designate writes each zone's SOA and apex NS from its own pool's servers.\n")}})
	}
	moving := map[string]bool{}
	for _, z := range d.Zones {
		if !z.Private && wanted(z.Name, opts.Zones) {
			moving[z.Name] = true
		}
	}
	checks := map[string]account.HealthCheck{}
	for _, hc := range d.HealthChecks {
		checks[hc.ID] = hc
	}
	for _, z := range d.Zones {
		if !wanted(z.Name, opts.Zones) {
			continue
		}
		w := &zoneWriter{zone: z, ns: ns, res: res, checks: checks, moving: moving, lookup: opts.Resolve}
		if slices.Contains(z.Unread, "record sets") {
			w.report("", "", "", NotCarried, "the zone's record sets could not all be read: no file is written for it")
			continue
		}
		data, pdns, err := w.write()
		if err != nil {
			return nil, fmt.Errorf("zone %s: %w", z.Name, err)
		}
		file := fileName(z)
		if _, dup := seen[file]; dup {
			// A public and a private zone of one name.
			file = strings.TrimSuffix(file, ".zone") + "." + z.ID + ".zone"
		}
		seen[file] = z.ID
		res.Files[file] = data
		res.Files[strings.TrimSuffix(file, ".zone")+".pdns.zone"] = pdns
		res.Routed[file] = w.routed
		if tf != nil {
			w.designate(tf, tfNames)
		}
	}
	if tf != nil {
		res.Designate = tf.Bytes()
	}
	return res, nil
}

func wanted(name string, zones []string) bool {
	if len(zones) == 0 {
		return true
	}
	for _, z := range zones {
		if dns.Fqdn(strings.ToLower(z)) == name {
			return true
		}
	}
	return false
}

// fileName is the zone's name without its final dot, .zone; characters a
// file name should not hold are replaced.
func fileName(z account.HostedZone) string {
	name := strings.TrimSuffix(presentName(z.Name), ".")
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, name)
	return name + ".zone"
}

// presentName turns a Route 53 name (octal escapes for every byte but
// a-z, 0-9, hyphen and underscore) into its master-file form (RFC 1035:
// decimal escapes), a leading \052 label into the wildcard *.
func presentName(r53 string) string {
	labels := strings.Split(strings.TrimSuffix(r53, "."), ".")
	var b strings.Builder
	for i, l := range labels {
		raw := unoctal(l)
		if i == 0 && raw == "*" {
			b.WriteString("*")
		} else {
			for _, c := range []byte(raw) {
				switch {
				case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
					b.WriteByte(c)
				default:
					fmt.Fprintf(&b, "\\%03d", c)
				}
			}
		}
		b.WriteByte('.')
	}
	return b.String()
}

// unoctal decodes Route 53's \ooo escapes.
func unoctal(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// decimalEscapes rewrites Route 53's octal escapes in a value (\351 for é
// in a TXT string) as a master file's decimal ones (\233); other escapes
// (\" and \\) are kept as they are.
func decimalEscapes(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' || i+1 >= len(v) {
			b.WriteByte(v[i])
			continue
		}
		if i+4 <= len(v) {
			if n, err := strconv.ParseUint(v[i+1:i+4], 8, 8); err == nil {
				fmt.Fprintf(&b, "\\%03d", n)
				i += 3
				continue
			}
		}
		b.WriteByte(v[i])
		b.WriteByte(v[i+1])
		i++
	}
	return b.String()
}

// zoneWriter writes one zone.
type zoneWriter struct {
	zone   account.HostedZone
	ns     []string
	res    *Result
	checks map[string]account.HealthCheck
	// moving are the public zones exported with this one, by name: a
	// delegation to one of them is rewritten for the target.
	moving map[string]bool
	lookup func(name, typ string) ([]netip.Addr, error)
	rrs    []dns.RR
	// routed are the routed record sets' possible answers (Result.Routed).
	routed map[string][]string
	// luaRecs are the LUA records of the PowerDNS variant, each standing for
	// the plain records rrs[start:end].
	luaRecs []luaSpan
}

type luaSpan struct {
	start, end int
	line       string
}

func (w *zoneWriter) report(name, typ, set string, s Status, why string) {
	w.res.Loss = append(w.res.Loss, Entry{Zone: w.zone.Name, Name: name, Type: typ, Set: set, Status: s, Why: why})
}

// key groups the record sets of one name and type.
type key struct{ name, typ string }

func (w *zoneWriter) write() (plain, pdns []byte, err error) {
	z := w.zone
	apex := z.Name
	groups := map[key][]account.RecordSet{}
	var order []key
	for _, rs := range z.RecordSets {
		k := key{rs.Name, rs.Type}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], rs)
	}
	if z.Private {
		w.report("", "", "", ZoneWarning, fmt.Sprintf("a private zone, answered only in %s: serve it on an internal resolver of the new network only", vpcList(z.VPCs)))
	}
	if z.LinkedService != "" {
		w.report("", "", "", ZoneWarning, "the zone is created and managed by "+z.LinkedService+" (e.g. Cloud Map): the service, not this file, keeps its records current")
	}
	if len(w.ns) == 0 {
		w.report(apex, "NS", "", ZoneWarning, "no --ns given: the apex NS and the SOA still name Route 53's servers; the new servers must be named before the delegation changes")
	}
	if s := z.DNSSEC; s != nil && s.Status == "SIGNING" {
		w.report(apex, "DS", "", ZoneWarning, dnssecSteps(z))
	}
	cnames := map[string]bool{} // names that became a CNAME
	for _, k := range order {
		sets := groups[k]
		switch {
		case k.typ == "SOA" && k.name == apex:
			w.soa(sets[0])
			continue
		case k.typ == "NS" && k.name == apex && len(w.ns) > 0:
			for _, n := range w.ns {
				w.add(k.name, "NS", 172800, n)
			}
			w.report(k.name, "NS", "", Kept, "replaced with the target's name servers ("+strings.Join(w.ns, ", ")+")")
			continue
		case k.typ == "DS" && w.moving[k.name]:
			// The child moves to servers that cannot sign with Route 53's
			// keys: a DS left in the parent would make it bogus.
			w.report(presentName(k.name), "DS", "", NotCarried, "the DS of "+presentName(k.name)+", which moves too and is served unsigned by the new servers: resolvers that validate would refuse it; remove the DS from this zone in Route 53 first, as the child's DNSSEC exit steps say, or publish the target's DS once it signs")
			continue
		case k.typ == "NS" && w.moving[k.name] && len(w.ns) > 0:
			// A child zone that moves too: the parent delegates to the
			// target, or after the cut-over it sends resolvers back to
			// Route 53.
			ttl := sets[0].TTL
			for _, n := range w.ns {
				w.add(k.name, "NS", ttl, n)
			}
			w.report(presentName(k.name), "NS", "", Kept, "delegation to "+presentName(k.name)+", exported too: rewritten to the target's name servers ("+strings.Join(w.ns, ", ")+")")
			continue
		}
		start := len(w.rrs)
		values, ttl, status, why := w.resolve(k, sets, groups, cnames)
		if status == NotCarried {
			w.report(presentName(k.name), k.typ, setIDs(sets), NotCarried, why)
			continue
		}
		typ := k.typ
		if status == Downgraded && strings.HasPrefix(why, "CNAME:") {
			typ, why = "CNAME", strings.TrimPrefix(why, "CNAME:")
			if cnames[k.name] {
				continue // A and AAAA aliases to one resource: one CNAME
			}
			cnames[k.name] = true
		}
		var bad []string
		for _, v := range values {
			if err := w.add(k.name, typ, ttl, v); err != nil {
				bad = append(bad, fmt.Sprintf("%q (%v)", v, err))
			}
		}
		if len(bad) > 0 {
			w.report(presentName(k.name), k.typ, setIDs(sets), NotCarried, "values a master file cannot hold, left out: "+strings.Join(bad, "; "))
			continue
		}
		w.report(presentName(k.name), k.typ, setIDs(sets), status, why)
		if r := sets[0].Routing; r != "" && r != "simple" {
			w.possible(k, typ, sets, groups)
		}
		if line, how := w.lua(k, sets, groups, ttl); how != "" {
			w.res.Loss[len(w.res.Loss)-1].PowerDNS = how
			if line != "" {
				w.luaRecs = append(w.luaRecs, luaSpan{start, len(w.rrs), line})
			}
		}
		if tp := sets[0].TrafficPolicyInstance; tp != "" {
			w.report(presentName(k.name), k.typ, "", ZoneWarning, "written by Traffic Flow policy instance "+tp+": the policy's rules are not carried, only the records it made")
		}
		switch {
		case !dnsName(k.name):
			// Seen on PowerDNS 4.7: "Received a malformed qdomain …:
			// sending servfail".
			w.report(presentName(k.name), k.typ, "", ZoneWarning, "a name with bytes other than letters, digits, hyphens and underscores: BIND loads it only with check-names warn or ignore, and PowerDNS answers SERVFAIL to every query for it; an internationalised name belongs in its xn-- form")
		case (typ == "A" || typ == "AAAA" || typ == "MX") && !hostName(k.name):
			w.report(presentName(k.name), k.typ, "", ZoneWarning, "not a host name (letters, digits and hyphens): BIND refuses to load it unless the zone says check-names warn or ignore; PowerDNS serves it")
		}
	}
	// A CNAME must be alone at its name.
	for name := range cnames {
		for _, rr := range w.rrs {
			if rr.Header().Name == presentName(name) && rr.Header().Rrtype != dns.TypeCNAME && rr.Header().Rrtype != dns.TypeRRSIG && rr.Header().Rrtype != dns.TypeNSEC {
				return nil, nil, fmt.Errorf("%s: an alias to an AWS resource became a CNAME, but the name also has %s records; give that name a fixed address instead", presentName(name), dns.TypeToString[rr.Header().Rrtype])
			}
		}
	}
	var b, p bytes.Buffer
	fmt.Fprintf(&b, "; %s, exported from Route 53 hosted zone %s by sortie dns export\n", presentName(apex), z.ID)
	fmt.Fprintf(&b, "; routing policies are downgraded as the loss report says\n$ORIGIN %s\n", presentName(apex))
	fmt.Fprintf(&p, "; %s, exported from Route 53 hosted zone %s by sortie dns export: the PowerDNS variant\n", presentName(apex), z.ID)
	fmt.Fprintf(&p, "; routing is kept as LUA records where the loss report says so: load it with PowerDNS's bind backend\n")
	fmt.Fprintf(&p, "; and enable-lua-records=yes (geolocation also needs the geoip backend and a country database)\n$ORIGIN %s\n", presentName(apex))
	spans := w.luaRecs
	for i, rr := range w.rrs {
		b.WriteString(rr.String())
		b.WriteByte('\n')
		for len(spans) > 0 && spans[0].end <= i {
			spans = spans[1:]
		}
		switch {
		case len(spans) > 0 && i == spans[0].start:
			p.WriteString(spans[0].line)
			p.WriteByte('\n')
		case len(spans) > 0 && i > spans[0].start && i < spans[0].end:
		default:
			p.WriteString(rr.String())
			p.WriteByte('\n')
		}
	}
	return b.Bytes(), p.Bytes(), nil
}

// possible records every value Route 53 may answer for a routed name and
// type: each set's values, an alias to the zone's records flattened, an
// alias to an AWS resource as the CNAME the file holds.
func (w *zoneWriter) possible(k key, typ string, sets []account.RecordSet, groups map[key][]account.RecordSet) {
	if w.routed == nil {
		w.routed = map[string][]string{}
	}
	id := presentName(k.name) + " " + typ
	for _, rs := range sets {
		vs := rs.Values
		switch {
		case rs.Alias == nil:
		case rs.Alias.Kind == "record" || rs.Alias.HostedZoneID == w.zone.ID:
			vs, _, _ = w.flatten(rs.Alias.DNSName, k.typ, groups, map[string]bool{k.name: true})
		default:
			vs = []string{rs.Alias.DNSName}
		}
		for _, v := range vs {
			rr, err := dns.NewRR(fmt.Sprintf("%s 0 IN %s %s", presentName(k.name), typ, decimalEscapes(v)))
			if err != nil || rr == nil {
				continue
			}
			text := strings.TrimPrefix(rr.String(), rr.Header().String())
			if !slices.Contains(w.routed[id], text) {
				w.routed[id] = append(w.routed[id], text)
			}
		}
	}
}

// hostName says every label of a Route 53 name is a host name's (RFC 952,
// 1123: letters, digits and hyphens), a leading wildcard allowed: BIND's
// check-names test for address records.
func hostName(r53 string) bool { return labelsOf(r53, "-") }

// dnsName says every label of a Route 53 name holds only letters, digits,
// hyphens and underscores (a leading wildcard allowed): names PowerDNS
// answers queries for.
func dnsName(r53 string) bool { return labelsOf(r53, "-_") }

// labelsOf says every label of a Route 53 name (lower case, escaped) holds
// only letters, digits and the bytes of extra, a leading \052 allowed.
func labelsOf(r53, extra string) bool {
	labels := strings.Split(strings.TrimSuffix(r53, "."), ".")
	for i, l := range labels {
		if i == 0 && l == "\\052" {
			continue
		}
		for _, c := range []byte(l) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte(extra, c) >= 0) {
				return false
			}
		}
	}
	return true
}

func vpcList(v []account.ZoneVPC) string {
	var s []string
	for _, x := range v {
		s = append(s, x.ID+" ("+x.Region+")")
	}
	if len(s) == 0 {
		return "its VPCs"
	}
	return strings.Join(s, ", ")
}

func setIDs(sets []account.RecordSet) string {
	var ids []string
	for _, s := range sets {
		if s.SetIdentifier != "" {
			ids = append(ids, s.SetIdentifier)
		}
	}
	return strings.Join(ids, ",")
}

// add parses one record and keeps it.
func (w *zoneWriter) add(name, typ string, ttl int64, value string) error {
	rr, err := dns.NewRR(fmt.Sprintf("%s %d IN %s %s", presentName(name), ttl, typ, decimalEscapes(value)))
	if err != nil {
		return err
	}
	if rr == nil {
		return fmt.Errorf("empty record")
	}
	w.rrs = append(w.rrs, rr)
	return nil
}

// soa writes the SOA, its primary the target's first name server.
func (w *zoneWriter) soa(rs account.RecordSet) {
	if len(rs.Values) == 0 {
		w.report(rs.Name, "SOA", "", NotCarried, "the SOA has no value")
		return
	}
	rr, err := dns.NewRR(fmt.Sprintf("%s %d IN SOA %s", presentName(rs.Name), rs.TTL, rs.Values[0]))
	if err != nil {
		w.report(rs.Name, "SOA", "", NotCarried, "the SOA does not parse: "+err.Error())
		return
	}
	soa := rr.(*dns.SOA)
	why := "kept"
	if len(w.ns) > 0 {
		soa.Ns = w.ns[0]
		why = "primary server " + w.ns[0]
	}
	w.rrs = append(w.rrs, soa)
	w.report(presentName(rs.Name), "SOA", "", Kept, why)
}

// resolve returns the values to write for the record sets of one name and
// type, their TTL, and how they were kept.
func (w *zoneWriter) resolve(k key, sets []account.RecordSet, groups map[key][]account.RecordSet, cnames map[string]bool) (values []string, ttl int64, s Status, why string) {
	chosen, s, why := pick(sets)
	ttl = -1
	for _, rs := range chosen {
		if rs.Alias == nil {
			values = append(values, rs.Values...)
			if ttl < 0 || rs.TTL < ttl {
				ttl = rs.TTL
			}
			continue
		}
		a := rs.Alias
		if a.Kind == "record" || a.HostedZoneID == w.zone.ID {
			vs, t, err := w.flatten(a.DNSName, k.typ, groups, map[string]bool{k.name: true})
			if err != nil {
				return nil, 0, NotCarried, err.Error()
			}
			values = append(values, vs...)
			if ttl < 0 || t < ttl {
				ttl = t
			}
			if s == Kept {
				s, why = Kept, "alias to "+presentName(a.DNSName)+", flattened to its values"
			}
			continue
		}
		// An AWS resource: its name is the answer, as a CNAME, except at
		// the apex, where a CNAME cannot be.
		if k.name == w.zone.Name {
			return w.resolveApex(k, a, len(sets))
		}
		if k.typ != "A" && k.typ != "AAAA" && k.typ != "CNAME" {
			return nil, 0, NotCarried, fmt.Sprintf("alias of type %s to %s %s", k.typ, a.Kind, a.DNSName)
		}
		if len(sets) > 1 {
			return nil, 0, NotCarried, fmt.Sprintf("routed aliases to %s: a CNAME answers one name", a.DNSName)
		}
		return []string{a.DNSName}, 60, Downgraded, fmt.Sprintf("CNAME:alias to %s %s written as a CNAME to it (TTL 60, as Route 53 answers for %s); a CNAME cannot share its name with other records", a.Kind, a.DNSName, a.Kind)
	}
	if ttl < 0 {
		ttl = 300
	}
	return dedupe(values), ttl, s, why
}

// resolveApex answers an apex alias to an AWS resource with the resource's
// addresses, looked up now, when the export was asked to (--resolve).
func (w *zoneWriter) resolveApex(k key, a *account.Alias, sets int) ([]string, int64, Status, string) {
	advice := "use the target's ALIAS/ANAME record, give the apex the addresses of the service's new home, or export with --resolve"
	typ := dns.StringToType[k.typ]
	switch {
	case w.lookup == nil:
		return nil, 0, NotCarried, fmt.Sprintf("alias at the apex to %s %s: a CNAME cannot stand at the apex; %s", a.Kind, a.DNSName, advice)
	case typ != dns.TypeA && typ != dns.TypeAAAA:
		return nil, 0, NotCarried, fmt.Sprintf("alias of type %s at the apex to %s %s: only addresses can be resolved", k.typ, a.Kind, a.DNSName)
	case sets > 1:
		return nil, 0, NotCarried, fmt.Sprintf("routed aliases at the apex to %s: resolving one would drop the routing; %s", a.DNSName, advice)
	}
	addrs, err := w.lookup(a.DNSName, k.typ)
	if err == nil && len(addrs) == 0 {
		err = fmt.Errorf("no %s records", k.typ)
	}
	if err != nil {
		return nil, 0, NotCarried, fmt.Sprintf("alias at the apex to %s %s, which could not be resolved (%v): %s", a.Kind, a.DNSName, err, advice)
	}
	var vs []string
	for _, ad := range addrs {
		vs = append(vs, ad.Unmap().String())
	}
	slices.Sort(vs)
	return dedupe(vs), 60, Downgraded, fmt.Sprintf("alias at the apex to %s %s, resolved at export time to %s (TTL 60, as Route 53 answers for it): these are AWS's addresses, and they change; point the apex at the service's new home before the AWS resource goes", a.Kind, a.DNSName, strings.Join(vs, ", "))
}

// flatten resolves an alias to a record set of the zone: its values, or,
// for an alias, the values it resolves to; seen detects loops.
func (w *zoneWriter) flatten(target, typ string, groups map[key][]account.RecordSet, seen map[string]bool) ([]string, int64, error) {
	target = strings.ToLower(target)
	if seen[target] {
		return nil, 0, fmt.Errorf("alias loop through %s", presentName(target))
	}
	seen[target] = true
	sets, ok := groups[key{target, typ}]
	if !ok {
		return nil, 0, fmt.Errorf("alias to %s %s, which the zone does not hold", presentName(target), typ)
	}
	chosen, _, _ := pick(sets)
	var values []string
	ttl := int64(-1)
	for _, rs := range chosen {
		if rs.Alias != nil {
			if rs.Alias.Kind != "record" && rs.Alias.HostedZoneID != w.zone.ID {
				return nil, 0, fmt.Errorf("alias to %s, itself an alias to %s %s: a flattened record cannot follow an AWS resource", presentName(target), rs.Alias.Kind, rs.Alias.DNSName)
			}
			vs, t, err := w.flatten(rs.Alias.DNSName, typ, groups, seen)
			if err != nil {
				return nil, 0, err
			}
			values = append(values, vs...)
			if ttl < 0 || t < ttl {
				ttl = t
			}
			continue
		}
		values = append(values, rs.Values...)
		if ttl < 0 || rs.TTL < ttl {
			ttl = rs.TTL
		}
	}
	return values, ttl, nil
}

// pick downgrades a name's routed record sets to what a plain zone file
// answers, and says how.
func pick(sets []account.RecordSet) ([]account.RecordSet, Status, string) {
	if len(sets) == 1 && (sets[0].Routing == "" || sets[0].Routing == "simple") {
		return sets, Kept, ""
	}
	routing := sets[0].Routing
	switch routing {
	case "failover":
		for _, s := range sets {
			if s.Failover == "PRIMARY" {
				return []account.RecordSet{s}, Downgraded, "failover: the primary only (" + s.SetIdentifier + "); its health check and the secondary are not carried"
			}
		}
	case "geolocation", "geoproximity", "ip-based":
		for _, s := range sets {
			if s.Geo != nil && s.Geo.Country == "*" || s.CIDR != nil && s.CIDR.Location == "*" {
				return []account.RecordSet{s}, Downgraded, routing + ": the default set only (" + s.SetIdentifier + "); the locations are not carried"
			}
		}
		return sets, Downgraded, routing + " without a default set: every set's values, round robin"
	case "weighted":
		var keep []account.RecordSet
		var w []string
		for _, s := range sets {
			w = append(w, fmt.Sprintf("%s %d", s.SetIdentifier, s.Weight))
			if s.Weight > 0 {
				keep = append(keep, s)
			}
		}
		if len(keep) == 0 {
			keep = sets
		}
		return keep, Downgraded, "weighted (" + strings.Join(w, ", ") + "): every value, round robin, equal shares"
	case "latency":
		return sets, Downgraded, "latency: every region's values, round robin"
	case "multivalue":
		return sets, Downgraded, "multivalue: every value; the health checks are not carried"
	}
	return sets, Downgraded, routing + ": every value, round robin"
}

func dedupe(vs []string) []string {
	var out []string
	for _, v := range vs {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// dnssecSteps is the exit order for a signed zone, with its DS TTL.
func dnssecSteps(z account.HostedZone) string {
	ttl := "its TTL (dig DS " + presentName(z.Name) + " at the parent; unknown here)"
	if z.DNSSEC.DSTTL > 0 {
		ttl = fmt.Sprintf("its TTL of %d s (%s)", z.DNSSEC.DSTTL, humanDuration(z.DNSSEC.DSTTL))
	}
	where := "at the registrar"
	if z.DNSSEC.DSFrom != "" {
		where = "from the parent zone (Route 53 hosted zone " + z.DNSSEC.DSFrom + ")"
	}
	return "DNSSEC signing is on, and the new servers cannot sign with Route 53's keys: 1. remove the DS record " + where + "; 2. wait out " + ttl + "; 3. disable signing in Route 53 (and only then move the NS records), or sign at the target and publish its new DS"
}

func humanDuration(s int64) string {
	switch {
	case s%86400 == 0:
		return plural(s/86400, "day")
	case s%3600 == 0:
		return plural(s/3600, "hour")
	}
	return plural((s+59)/60, "minute")
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// SortLoss orders a report by zone, then name, then type.
func SortLoss(l []Entry) {
	slices.SortStableFunc(l, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Zone, b.Zone), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type))
	})
}

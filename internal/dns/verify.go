package dns

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Difference is one name and type the new servers do not answer as the
// old ones do.
type Difference struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Why  string `json:"why"`
}

// VerifyReport is a comparison of two servers over a zone's records.
type VerifyReport struct {
	Zone string `json:"zone"`
	// Checked counts the names and types asked of both servers.
	Checked     int          `json:"checked"`
	Differences []Difference `json:"differences"`
	// Routed are the names and types whose Route 53 record sets are
	// routed (weighted, failover, geolocation…): an answer there depends
	// on who asks and when, so they were compared as the values either
	// side answered over several queries, each of which must be one the
	// account's record sets hold. Their routing itself (the weights, which
	// set a location or a failure gets) was not compared.
	Routed []string `json:"routed,omitempty"`
	// OldSerial and NewSerial are the apex SOA serials each answered.
	OldSerial uint32 `json:"old_serial"`
	NewSerial uint32 `json:"new_serial"`
}

// RoutedQueries is how many times each side is asked for a routed name.
const RoutedQueries = 8

// OK reports whether the new servers answer everything the old ones do.
func (r *VerifyReport) OK() bool { return len(r.Differences) == 0 }

// Verify asks the old and the new name servers (host:port) for every name
// and type of zone's master file (what Export wrote), and compares the
// answers as sets, TTLs included. The names and types in routed (the
// export's Result.Routed for this file) are compared as the values they
// may answer (see VerifyReport.Routed). It fails closed: a query that gets
// no answer from one side is a difference, never a match.
func Verify(ctx context.Context, zone string, master []byte, routed map[string][]string, old, new string) (*VerifyReport, error) {
	zone = dns.Fqdn(strings.ToLower(zone))
	type key struct {
		name string
		typ  uint16
	}
	var keys []key
	seen := map[key]bool{}
	zp := dns.NewZoneParser(bytes.NewReader(master), zone, "")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		k := key{strings.ToLower(rr.Header().Name), rr.Header().Rrtype}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("zone %s: %v", zone, err)
	}
	rep := &VerifyReport{Zone: zone, Differences: []Difference{}}
	c := &dns.Client{Timeout: 3 * time.Second}
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rep.Checked++
		typ := dns.TypeToString[k.typ]
		if values, ok := routed[k.name+" "+typ]; ok {
			rep.Routed = append(rep.Routed, k.name+" "+typ)
			if why := compareRouted(ctx, c, old, new, k.name, k.typ, values); why != "" {
				rep.Differences = append(rep.Differences, Difference{k.name, typ, why})
			}
			continue
		}
		a, aerr := ask(ctx, c, old, k.name, k.typ)
		b, berr := ask(ctx, c, new, k.name, k.typ)
		switch {
		case aerr != nil:
			rep.Differences = append(rep.Differences, Difference{k.name, typ, "the old servers did not answer: " + aerr.Error()})
			continue
		case berr != nil:
			rep.Differences = append(rep.Differences, Difference{k.name, typ, "the new servers did not answer: " + berr.Error()})
			continue
		}
		if k.typ == dns.TypeSOA && k.name == zone {
			rep.OldSerial, rep.NewSerial = serial(a), serial(b)
			continue // the SOA is rewritten for the new servers
		}
		if k.typ == dns.TypeNS && k.name == zone {
			continue // the apex NS are the new servers by design
		}
		if why := compare(a, b); why != "" {
			rep.Differences = append(rep.Differences, Difference{k.name, typ, why})
		}
	}
	return rep, nil
}

// ask returns the answer records of one query, over TCP when the UDP
// answer was truncated; a non-success code is an error.
func ask(ctx context.Context, c *dns.Client, server, name string, typ uint16) ([]dns.RR, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, typ)
	m.RecursionDesired = false
	r, _, err := c.ExchangeContext(ctx, m, server)
	if err == nil && r.Truncated {
		tcp := *c
		tcp.Net = "tcp"
		r, _, err = tcp.ExchangeContext(ctx, m, server)
	}
	if err != nil {
		return nil, err
	}
	if r.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("%s", dns.RcodeToString[r.Rcode])
	}
	var out []dns.RR
	for _, rr := range r.Answer {
		if rr.Header().Rrtype == typ || typ == dns.TypeCNAME || rr.Header().Rrtype == dns.TypeCNAME {
			out = append(out, rr)
		}
	}
	return out, nil
}

// compareRouted asks each side RoutedQueries times for a routed name and
// says how their answers fail to be ones the account's record sets hold
// (values), or "".
func compareRouted(ctx context.Context, c *dns.Client, old, new, name string, typ uint16, values []string) string {
	union := func(server string) (map[string]map[uint32]bool, error) {
		seen := map[string]map[uint32]bool{}
		for range RoutedQueries {
			rrs, err := ask(ctx, c, server, name, typ)
			if err != nil {
				return nil, err
			}
			for _, rr := range rrs {
				h := rr.Header()
				text := strings.TrimPrefix(rr.String(), h.String())
				if seen[text] == nil {
					seen[text] = map[uint32]bool{}
				}
				seen[text][h.Ttl] = true
			}
		}
		return seen, nil
	}
	a, err := union(old)
	if err != nil {
		return "the old servers did not answer: " + err.Error()
	}
	b, err := union(new)
	if err != nil {
		return "the new servers did not answer: " + err.Error()
	}
	var why, foreign, strange, ttl []string
	oldTTLs := map[uint32]bool{}
	for v, ts := range a {
		if !slices.Contains(values, v) {
			foreign = append(foreign, dns.TypeToString[typ]+" "+v)
		}
		for t := range ts {
			oldTTLs[t] = true
		}
	}
	for v, ts := range b {
		if !slices.Contains(values, v) {
			strange = append(strange, dns.TypeToString[typ]+" "+v)
		}
		for t := range ts {
			if !oldTTLs[t] && len(a) > 0 {
				ttl = append(ttl, fmt.Sprintf("%s %s TTL %d", dns.TypeToString[typ], v, t))
			}
		}
	}
	slices.Sort(foreign)
	slices.Sort(strange)
	slices.Sort(ttl)
	if len(foreign) > 0 {
		why = append(why, "the old servers answer what the account's record sets do not hold (is the export current?): "+strings.Join(foreign, "; "))
	}
	if len(strange) > 0 {
		why = append(why, "only at the new servers, in no Route 53 set: "+strings.Join(strange, "; "))
	}
	if len(a) > 0 && len(b) == 0 {
		why = append(why, "no answer at the new servers")
	}
	if len(ttl) > 0 {
		why = append(why, "TTL differs from every TTL the old servers answered: "+strings.Join(ttl, "; "))
	}
	return strings.Join(why, "; ")
}

func serial(rrs []dns.RR) uint32 {
	for _, rr := range rrs {
		if s, ok := rr.(*dns.SOA); ok {
			return s.Serial
		}
	}
	return 0
}

// compare says how b's answer differs from a's, or "": the same records
// (as their presentation without the TTL) and the same TTL for each.
func compare(a, b []dns.RR) string {
	set := func(rrs []dns.RR) map[string]uint32 {
		m := map[string]uint32{}
		for _, rr := range rrs {
			h := *rr.Header()
			text := strings.TrimPrefix(rr.String(), h.String())
			m[dns.TypeToString[h.Rrtype]+" "+text] = h.Ttl
		}
		return m
	}
	sa, sb := set(a), set(b)
	var missing, extra, ttl []string
	for v, t := range sa {
		bt, ok := sb[v]
		switch {
		case !ok:
			missing = append(missing, v)
		case bt != t:
			ttl = append(ttl, fmt.Sprintf("%s TTL %d, was %d", v, bt, t))
		}
	}
	for v := range sb {
		if _, ok := sa[v]; !ok {
			extra = append(extra, v)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	slices.Sort(ttl)
	var why []string
	if len(missing) > 0 {
		why = append(why, "missing at the new servers: "+strings.Join(missing, "; "))
	}
	if len(extra) > 0 {
		why = append(why, "only at the new servers: "+strings.Join(extra, "; "))
	}
	if len(ttl) > 0 {
		why = append(why, "TTL differs: "+strings.Join(ttl, "; "))
	}
	return strings.Join(why, "; ")
}

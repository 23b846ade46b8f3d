package dns

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/sortie-dev/sortie/internal/account"
)

// The PowerDNS variant (ZONE.pdns.zone) is the plain file with the routed
// record sets PowerDNS can still route written as LUA records instead of
// their downgrade: weighted as pickwrandom, failover with a TCP or HTTP(S)
// health check as ifportup/ifurlup, geolocation as country(), continent()
// and region(). PowerDNS's bind backend loads it with enable-lua-records;
// geolocation needs the geoip backend and a country database, without
// which every answer is the default set. Each LUA record is one Lua
// expression or script over the zone's own values, single-quoted: a value
// with a quote or a backslash in it keeps the plain downgrade.

// luaTypes are the types a LUA record is written for: their values are
// host names, addresses and numbers, which need no quoting in Lua.
var luaTypes = []string{"A", "AAAA", "CNAME", "MX", "SRV", "PTR"}

// lua returns the LUA record for the record sets of k, and how it keeps
// their routing; "" and why not when the variant keeps the plain file's
// downgrade.
func (w *zoneWriter) lua(k key, sets []account.RecordSet, groups map[key][]account.RecordSet, ttl int64) (line, how string) {
	routing := sets[0].Routing
	switch routing {
	case "", "simple":
		return "", ""
	case "latency":
		return "", "as the plain file: latency routing has no LUA equivalent here (pickclosest needs a city database and each region's addresses)"
	case "multivalue":
		return "", "as the plain file: every value; the per-record health checks are not carried"
	case "ip-based":
		return "", "as the plain file: the CIDR collection's blocks are not read (aws route53 list-cidr-blocks); a LUA netmask() record could route them"
	case "geoproximity":
		return "", "as the plain file: geoproximity's regions and bias have no LUA equivalent"
	}
	if !slices.Contains(luaTypes, k.typ) {
		return "", "as the plain file: LUA records are written for " + strings.Join(luaTypes, ", ") + " only"
	}
	values := make([][]string, len(sets))
	for i, rs := range sets {
		vs, err := w.setValues(k, rs, groups)
		if err != nil {
			return "", "as the plain file: " + err.Error()
		}
		values[i] = vs
	}
	var script string
	switch routing {
	case "weighted":
		script, how = weightedScript(sets, values)
	case "failover":
		script, how = w.failoverScript(k, sets, values)
	case "geolocation":
		script, how = geoScript(sets, values)
	default:
		return "", "as the plain file: " + routing + " routing has no LUA equivalent here"
	}
	if script == "" {
		return "", how
	}
	return fmt.Sprintf("%s\t%d\tIN\tLUA\t%s %s", presentName(k.name), ttl, k.typ, quoteChunks(script)), how
}

// setValues are one record set's values, an alias to a record of the zone
// flattened; an alias to an AWS resource has none a LUA record can name.
func (w *zoneWriter) setValues(k key, rs account.RecordSet, groups map[key][]account.RecordSet) ([]string, error) {
	vs := rs.Values
	if rs.Alias != nil {
		if rs.Alias.Kind != "record" && rs.Alias.HostedZoneID != w.zone.ID {
			return nil, fmt.Errorf("set %s is an alias to %s %s", rs.SetIdentifier, rs.Alias.Kind, rs.Alias.DNSName)
		}
		var err error
		if vs, _, err = w.flatten(rs.Alias.DNSName, k.typ, groups, map[string]bool{k.name: true}); err != nil {
			return nil, err
		}
	}
	for _, v := range vs {
		if strings.ContainsAny(v, "'\"\\\n\r") || v == "" {
			return nil, fmt.Errorf("value %q of set %s cannot stand in a Lua string as written", v, rs.SetIdentifier)
		}
	}
	return dedupe(vs), nil
}

func luaList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "'" + v + "'"
	}
	return "{" + strings.Join(q, ",") + "}"
}

// weightedScript picks a set by its weight, as Route 53 does, and answers
// all its values. Route 53 answers a set of weight 0 only when every set
// weighs 0, and then each equally.
func weightedScript(sets []account.RecordSet, values [][]string) (string, string) {
	var idx []int
	for i, s := range sets {
		if s.Weight > 0 {
			idx = append(idx, i)
		}
	}
	all0 := len(idx) == 0
	if all0 {
		for i := range sets {
			idx = append(idx, i)
		}
	}
	weight := func(i int) int64 {
		if all0 {
			return 1
		}
		return sets[i].Weight
	}
	single := true
	var shares []string
	for _, i := range idx {
		single = single && len(values[i]) == 1
		shares = append(shares, fmt.Sprintf("%s %d", sets[i].SetIdentifier, weight(i)))
	}
	var script string
	if single {
		var pairs []string
		for _, i := range idx {
			pairs = append(pairs, fmt.Sprintf("{%d,'%s'}", weight(i), values[i][0]))
		}
		script = "pickwrandom({" + strings.Join(pairs, ",") + "})"
	} else {
		var tables, pairs []string
		for n, i := range idx {
			tables = append(tables, luaList(values[i]))
			pairs = append(pairs, fmt.Sprintf("{%d,'%d'}", weight(i), n+1))
		}
		script = ";local s={" + strings.Join(tables, ",") + "} return s[tonumber(pickwrandom({" + strings.Join(pairs, ",") + "}))]"
	}
	how := "LUA pickwrandom: each set answered in its weight's share (" + strings.Join(shares, ", ") + ")"
	for _, s := range sets {
		if s.HealthCheck != "" {
			how += "; the sets' health checks are not carried: a failing set keeps its share"
			break
		}
	}
	return script, how
}

// failoverScript answers the primary while its health check passes and
// the secondary otherwise, for a TCP or HTTP(S) check: PowerDNS checks
// each address of both sets (ifportup on the check's port, ifurlup on its
// URL) and the script answers the primary when any of its addresses is
// up, else the secondary's — and, as Route 53 does when every set is
// unhealthy, the primary when nothing is up (PowerDNS's check then
// returns every address).
func (w *zoneWriter) failoverScript(k key, sets []account.RecordSet, values [][]string) (string, string) {
	if k.typ != "A" && k.typ != "AAAA" {
		return "", "as the plain file: PowerDNS's health checks answer addresses (A and AAAA) only"
	}
	var prim, sec []string
	var pset *account.RecordSet
	for i := range sets {
		addrs := make([]string, 0, len(values[i]))
		for _, v := range values[i] {
			a, err := netip.ParseAddr(v)
			if err != nil {
				return "", "as the plain file: " + v + " is not an address"
			}
			addrs = append(addrs, a.String()) // PowerDNS's own spelling
		}
		switch sets[i].Failover {
		case "PRIMARY":
			prim, pset = append(prim, addrs...), &sets[i]
		case "SECONDARY":
			sec = append(sec, addrs...)
		}
	}
	if pset == nil || len(sec) == 0 {
		return "", "as the plain file: the failover pair is not whole"
	}
	if pset.HealthCheck == "" {
		return "", "as the plain file: the primary has no health check, so Route 53 answers it always"
	}
	hc, ok := w.checks[pset.HealthCheck]
	switch {
	case !ok:
		return "", "as the plain file: health check " + pset.HealthCheck + " was not read"
	case hc.Disabled:
		return "", "as the plain file: the primary's health check is disabled, so Route 53 answers it always"
	case hc.Inverted:
		return "", "as the plain file: the primary's health check is inverted, which PowerDNS cannot express"
	}
	both := luaList(dedupe(append(slices.Clone(prim), sec...)))
	opts := "selector='all',backupSelector='all'"
	var check, what string
	switch hc.Type {
	case "TCP":
		check = fmt.Sprintf("ifportup(%d,%s,{%s})", hc.Port, both, opts)
		what = fmt.Sprintf("port %d accepts a TCP connection (ifportup)", hc.Port)
	case "HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH":
		url := checkURL(hc)
		if strings.ContainsAny(url+hc.Search, "'\"\\\n") {
			return "", "as the plain file: the health check's URL or search string cannot stand in a Lua string"
		}
		if hc.Search != "" {
			opts += ",stringmatch='" + hc.Search + "'"
		}
		check = fmt.Sprintf("ifurlup('%s',%s,{%s})", url, both, opts)
		what = url + " answers 200 (ifurlup)"
		if hc.Search != "" {
			what = url + " answers 200 with " + hc.Search + " (ifurlup)"
		}
	default:
		return "", "as the plain file: a " + hc.Type + " health check has no PowerDNS equivalent"
	}
	var cond []string
	for _, a := range prim {
		cond = append(cond, "up['"+a+"']")
	}
	script := ";local up={} for _,a in ipairs(" + check + ") do up[a]=true end if " + strings.Join(cond, " or ") + " then return " + luaList(prim) + " end return " + luaList(sec)
	how := "LUA failover: the primary while " + what + " on one of its addresses, else the secondary"
	if hc.IP != "" && !slices.Contains(prim, hc.IP) {
		how += "; Route 53 checked " + hc.IP + ", PowerDNS checks the record's own addresses"
	}
	how += "; PowerDNS checks from the name server itself every few seconds (lua-health-checks-interval), where Route 53 checked from its regions"
	if hc.Interval > 0 {
		how += fmt.Sprintf(" every %d s with %d failures to switch", hc.Interval, hc.FailureThreshold)
	}
	return script, how
}

// checkURL is the URL an HTTP(S) health check requests.
func checkURL(hc account.HealthCheck) string {
	scheme, port := "http", int32(80)
	if strings.HasPrefix(hc.Type, "HTTPS") {
		scheme, port = "https", 443
	}
	host := hc.FQDN
	if host == "" {
		host = hc.IP
		if a, err := netip.ParseAddr(host); err == nil && a.Is6() {
			host = "[" + host + "]"
		}
	}
	if hc.Port != 0 && hc.Port != port {
		host = fmt.Sprintf("%s:%d", host, hc.Port)
	}
	path := hc.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return scheme + "://" + host + path
}

// geoScript answers the most specific location that matches the client
// (Route 53's order: subdivision, country, continent, then the default
// set), and nothing when no set matches and there is no default.
func geoScript(sets []account.RecordSet, values [][]string) (string, string) {
	type rule struct {
		rank int
		cond string
		vals []string
	}
	var rules []rule
	def := "{}"
	for i, s := range sets {
		g := s.Geo
		switch {
		case g == nil:
			return "", "as the plain file: set " + s.SetIdentifier + " has no location"
		case g.Country == "*":
			def = luaList(values[i])
		case g.Subdivision != "":
			rules = append(rules, rule{0, fmt.Sprintf("(country('%s') and region('%s'))", g.Country, g.Subdivision), values[i]})
		case g.Country != "":
			rules = append(rules, rule{1, fmt.Sprintf("country('%s')", g.Country), values[i]})
		case g.Continent != "":
			rules = append(rules, rule{2, fmt.Sprintf("continent('%s')", g.Continent), values[i]})
		}
	}
	slices.SortStableFunc(rules, func(a, b rule) int { return cmp.Compare(a.rank, b.rank) })
	var b strings.Builder
	b.WriteString(";")
	for i, r := range rules {
		if i > 0 {
			b.WriteString("else")
		}
		fmt.Fprintf(&b, "if %s then return %s ", r.cond, luaList(r.vals))
	}
	if len(rules) > 0 {
		fmt.Fprintf(&b, "end ")
	}
	fmt.Fprintf(&b, "return %s", def)
	how := "LUA geolocation: country(), continent() and region() of the client's address or its EDNS Client Subnet, most specific first; needs PowerDNS's geoip backend with a country database (a region database for subdivisions), without which every answer is the default set"
	if def == "{}" {
		how += "; no default set: elsewhere, no answer, as Route 53"
	}
	return b.String(), how
}

// quoteChunks writes a LUA record's content as quoted strings of at most
// 255 bytes, which PowerDNS joins back.
func quoteChunks(s string) string {
	var parts []string
	for len(s) > 250 {
		parts = append(parts, `"`+s[:250]+`"`)
		s = s[250:]
	}
	parts = append(parts, `"`+s+`"`)
	return strings.Join(parts, " ")
}

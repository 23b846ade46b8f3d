package dns

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/miekg/dns"
	"github.com/zclconf/go-cty/cty"
)

// DesignateTypes are the record types OpenStack Designate accepts with
// its default configuration (supported_record_type); a record of another
// type is left out of dns.tf and reported.
var DesignateTypes = []string{"A", "AAAA", "CNAME", "MX", "SRV", "TXT", "SPF", "NS", "PTR", "SSHFP", "SOA", "NAPTR", "CAA", "CERT"}

// designate adds the zone's plain records to f as OpenTofu for Designate:
// an openstack_dns_zone_v2 and one openstack_dns_recordset_v2 per name and
// type. Designate writes the SOA and the apex NS itself, from its pool's
// servers, so they are not written. A private zone is not written:
// Designate serves what it holds to the Internet.
func (w *zoneWriter) designate(f *hclwrite.File, names map[string]bool) {
	if w.zone.Private {
		w.report("", "", "", ZoneWarning, "Designate (dns.tf): not written, a private zone; Designate's zones are served publicly")
		return
	}
	var soa *dns.SOA
	type group struct {
		name, typ string
		ttl       uint32
		records   []string
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, rr := range w.rrs {
		h := rr.Header()
		typ := dns.TypeToString[h.Rrtype]
		if s, ok := rr.(*dns.SOA); ok {
			soa = s
			continue
		}
		if typ == "NS" && h.Name == presentName(w.zone.Name) {
			continue
		}
		k := h.Name + " " + typ
		g := byKey[k]
		if g == nil {
			g = &group{name: h.Name, typ: typ, ttl: h.Ttl}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.ttl = min(g.ttl, h.Ttl)
		g.records = append(g.records, strings.TrimPrefix(rr.String(), h.String()))
	}
	if soa == nil {
		w.report("", "", "", ZoneWarning, "Designate (dns.tf): not written, the zone has no SOA")
		return
	}
	if soa.Mbox == "awsdns-hostmaster.amazon.com." {
		w.report(presentName(w.zone.Name), "SOA", "", ZoneWarning, "Designate (dns.tf): the zone's email is Route 53's default, awsdns-hostmaster@amazon.com: set the institution's hostmaster in dns.tf")
	}
	zone := tfName(names, strings.TrimSuffix(presentName(w.zone.Name), "."))
	b := f.Body()
	b.AppendNewline()
	z := b.AppendNewBlock("resource", []string{"openstack_dns_zone_v2", zone}).Body()
	z.SetAttributeValue("name", cty.StringVal(presentName(w.zone.Name)))
	z.SetAttributeValue("email", cty.StringVal(email(soa.Mbox)))
	z.SetAttributeValue("ttl", cty.NumberIntVal(int64(soa.Hdr.Ttl)))
	z.SetAttributeValue("type", cty.StringVal("PRIMARY"))
	z.SetAttributeValue("description", cty.StringVal("Route 53 hosted zone "+w.zone.ID+", by sortie dns export"))
	for _, g := range groups {
		switch {
		case !slices.Contains(DesignateTypes, g.typ):
			w.report(g.name, g.typ, "", ZoneWarning, "Designate (dns.tf): not written, Designate's default configuration refuses "+g.typ+" records (supported_record_type)")
			continue
		case !dnsName(strings.ReplaceAll(g.name, "*", "\\052")):
			w.report(g.name, g.typ, "", ZoneWarning, "Designate (dns.tf): not written, Designate refuses names with bytes other than letters, digits, hyphens and underscores")
			continue
		}
		b.AppendNewline()
		rs := b.AppendNewBlock("resource", []string{"openstack_dns_recordset_v2", tfName(names, zone+"_"+strings.TrimSuffix(strings.TrimSuffix(g.name, presentName(w.zone.Name)), ".")+"_"+g.typ)}).Body()
		rs.SetAttributeTraversal("zone_id", hcl.Traversal{hcl.TraverseRoot{Name: "openstack_dns_zone_v2"}, hcl.TraverseAttr{Name: zone}, hcl.TraverseAttr{Name: "id"}})
		rs.SetAttributeValue("name", cty.StringVal(g.name))
		rs.SetAttributeValue("type", cty.StringVal(g.typ))
		rs.SetAttributeValue("ttl", cty.NumberIntVal(int64(g.ttl)))
		vals := make([]cty.Value, len(g.records))
		for i, r := range g.records {
			vals[i] = cty.StringVal(r)
		}
		rs.SetAttributeValue("records", cty.ListVal(vals))
	}
}

// email turns an SOA's mailbox name (hostmaster.example.com.) into the
// address Designate asks for (hostmaster@example.com).
func email(mbox string) string {
	local, domain, _ := strings.Cut(strings.TrimSuffix(mbox, "."), ".")
	return strings.ReplaceAll(local, "\\.", ".") + "@" + domain
}

// tfName makes s an OpenTofu resource name ([a-z0-9_], a letter first),
// unique in names.
func tfName(names map[string]bool, s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '*':
			b.WriteString("wildcard")
		default:
			b.WriteByte('_')
		}
	}
	name := strings.Trim(b.String(), "_")
	for strings.Contains(name, "__") {
		name = strings.ReplaceAll(name, "__", "_")
	}
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		name = "z_" + name
	}
	base := name
	for i := 2; names[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	names[name] = true
	return name
}

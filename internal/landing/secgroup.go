package landing

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/sortie-dev/sortie/internal/account"
)

// Rule is one Neutron security-group rule the module writes, with the AWS
// rule it comes from.
type Rule struct {
	Group     string // the AWS security group ID
	Direction string // ingress, egress
	EtherType string // IPv4, IPv6
	// Protocol is "" for any, else tcp, udp, icmp, ipv6-icmp or a number.
	Protocol string
	// PortMin and PortMax bound ports (tcp, udp) or are the ICMP type and
	// code; 0 means unset (any).
	PortMin, PortMax int32
	// Exactly one of RemoteCIDR, RemoteGroup and RemoteAddressGroup is set.
	RemoteCIDR  string
	RemoteGroup string // an AWS security group ID of the same account
	// RemoteAddressGroup is the AWS prefix list whose address group the
	// rule names.
	RemoteAddressGroup string
	// From is the AWS rule this is part of.
	From account.SGRule
}

// securityGroups writes each group, with delete_default_rules so that
// Neutron's allow-all egress rules do not widen it, and one rule per AWS
// peer. A peer that cannot be expressed exactly is left out and listed:
// the group comes out narrower, never wider.
func (t *translator) securityGroups() {
	var groups []account.SecurityGroup
	for _, g := range byID(t.net.SecurityGroups, func(g account.SecurityGroup) string { return g.ID }) {
		if !t.skipVPC[g.VPC] {
			groups = append(groups, g)
		}
	}
	for _, g := range groups {
		t.groups[g.ID] = g
		tag := g.Tag
		if tag == "" {
			tag = g.Name
		}
		if g.Name == "default" {
			tag = t.names.lookup(tNetwork, g.VPC) + "_default"
		}
		t.names.name(tSecgroup, g.ID, tag)
	}
	lists := map[string]account.PrefixList{}
	for _, p := range t.net.PrefixLists {
		lists[p.ID] = p
	}
	for _, g := range groups {
		name := t.names.lookup(tSecgroup, g.ID)
		gb := resource(tSecgroup, name, fmt.Sprintf("AWS security group %s (%s) of %s", g.ID, g.Name, g.VPC))
		// Neutron keeps one group named "default" per project.
		osName := g.Name
		if g.Name == "default" {
			osName = name
		}
		gb.set("name", str(osName))
		desc := strings.TrimSpace(g.Description)
		if desc == "" {
			desc = g.Name
		}
		gb.set("description", str(desc+" (AWS "+g.ID+")"))
		gb.set("delete_default_rules", boolean(true))
		t.secgroups = append(t.secgroups, gb)
		written, left := 0, 0
		for _, d := range []struct {
			dir   string
			rules []account.SGRule
		}{{"ingress", g.Ingress}, {"egress", g.Egress}} {
			for _, r := range d.rules {
				out, dropped := t.translateRule(g, d.dir, r, lists)
				for _, nr := range out {
					written++
					b := t.ruleBlock(gb, name, written, nr)
					t.rules = append(t.rules, nr)
					t.ruleAddrs = append(t.ruleAddrs, b.address())
					t.secgroups = append(t.secgroups, b)
				}
				for _, why := range dropped {
					left++
					t.loss.add(FeatureSGRule, NotTranslated, g.ID, "", why+" (left out: the group is narrower than on AWS, never wider)")
				}
			}
		}
		status := Exact
		why := fmt.Sprintf("%d rules", written)
		if left > 0 {
			status = Different
			why = fmt.Sprintf("%d rules written, %d AWS peers left out (listed below): narrower than on AWS", written, left)
		}
		t.loss.add(FeatureSecurityGroup, status, g.ID, "security group "+name, why)
	}
}

func (t *translator) ruleBlock(gb *block, group string, n int, r Rule) *block {
	b := resource(tRule, fmt.Sprintf("%s_%d", group, n), "")
	b.set("security_group_id", ref(gb.address()+".id"))
	b.set("direction", str(r.Direction))
	b.set("ethertype", str(r.EtherType))
	if r.Protocol != "" {
		b.set("protocol", str(r.Protocol))
	}
	// The provider wants both or neither, and sends 0 as unset (the
	// client's omitempty): 0 is "any", so an ICMP type with any code is
	// its type and 0.
	if r.PortMin != 0 || r.PortMax != 0 {
		b.set("port_range_min", num(r.PortMin))
		b.set("port_range_max", num(r.PortMax))
	}
	switch {
	case r.RemoteCIDR != "":
		b.set("remote_ip_prefix", str(r.RemoteCIDR))
	case r.RemoteGroup != "":
		b.set("remote_group_id", ref(tSecgroup+"."+t.names.lookup(tSecgroup, r.RemoteGroup)+".id"))
	case r.RemoteAddressGroup != "":
		b.set("remote_address_group_id", ref(tAddressGroup+"."+t.names.lookup(tAddressGroup, r.RemoteAddressGroup)+".id"))
	}
	return b
}

// addressGroup writes, once, the Neutron address group of a customer-
// managed prefix list, and returns its resource name.
func (t *translator) addressGroup(l account.PrefixList) (string, string) {
	if name := t.names.lookup(tAddressGroup, l.ID); name != "" {
		return name, ""
	}
	var addrs list
	for _, c := range l.Entries {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return "", fmt.Sprintf("entry %q is not a CIDR", c)
		}
		addrs = append(addrs, str(p.Masked().String()))
	}
	name := t.names.name(tAddressGroup, l.ID, l.Name)
	b := resource(tAddressGroup, name, fmt.Sprintf("AWS prefix list %s (%s, %s)", l.ID, l.Name, l.Family))
	b.set("name", str(l.Name))
	b.set("description", str("AWS prefix list "+l.ID))
	b.set("addresses", addrs)
	t.addressGroups = append(t.addressGroups, b)
	t.loss.add(FeaturePrefixList, Exact, l.ID, "address group "+name, fmt.Sprintf("%d entries", len(addrs)))
	return name, ""
}

// translateRule turns one AWS IpPermission into Neutron rules, and names
// each peer it could not express exactly.
func (t *translator) translateRule(g account.SecurityGroup, dir string, r account.SGRule, lists map[string]account.PrefixList) (out []Rule, dropped []string) {
	proto, pmin, pmax, v4ok, v6ok, err := neutronProtocol(r)
	if err != "" {
		for range peers(r) {
			dropped = append(dropped, fmt.Sprintf("%s rule %s: %s", dir, describeRule(r), err))
		}
		return nil, dropped
	}
	base := Rule{Group: g.ID, Direction: dir, Protocol: proto, PortMin: pmin, PortMax: pmax, From: r}
	add := func(cidr string) {
		p, perr := netip.ParsePrefix(cidr)
		if perr != nil {
			dropped = append(dropped, fmt.Sprintf("%s rule %s: peer %q is not a CIDR", dir, describeRule(r), cidr))
			return
		}
		nr := base
		nr.RemoteCIDR = p.Masked().String()
		nr.EtherType = "IPv4"
		if p.Addr().Is6() {
			nr.EtherType = "IPv6"
		}
		if nr.EtherType == "IPv4" && !v4ok || nr.EtherType == "IPv6" && !v6ok {
			dropped = append(dropped, fmt.Sprintf("%s rule %s: protocol %s does not apply to %s", dir, describeRule(r), r.Protocol, cidr))
			return
		}
		out = append(out, nr)
	}
	for _, c := range r.CIDRs {
		add(c)
	}
	for _, c := range r.IPv6CIDRs {
		add(c)
	}
	for _, pl := range r.PrefixLists {
		l, ok := lists[pl]
		if !ok || len(l.Entries) == 0 {
			dropped = append(dropped, fmt.Sprintf("%s rule %s: prefix list %s was not read (AWS-managed lists name AWS services)", dir, describeRule(r), pl))
			continue
		}
		// A Neutron address group holds the same addresses, and the rule
		// names it as AWS's names the list, for the list's family.
		et := "IPv4"
		if l.Family == "IPv6" {
			et = "IPv6"
		}
		if et == "IPv4" && !v4ok || et == "IPv6" && !v6ok {
			dropped = append(dropped, fmt.Sprintf("%s rule %s: protocol %s does not apply to prefix list %s (%s)", dir, describeRule(r), r.Protocol, pl, l.Family))
			continue
		}
		if _, err := t.addressGroup(l); err != "" {
			dropped = append(dropped, fmt.Sprintf("%s rule %s: prefix list %s: %s", dir, describeRule(r), pl, err))
			continue
		}
		nr := base
		nr.EtherType, nr.RemoteAddressGroup = et, pl
		out = append(out, nr)
	}
	for _, ref := range r.Groups {
		other, known := t.groups[ref.ID]
		switch {
		case ref.Peering != "" || ref.Owner != "" && ref.Owner != g.Owner:
			dropped = append(dropped, fmt.Sprintf("%s rule %s: peer group %s belongs to account %s%s, which this zone does not hold", dir, describeRule(r), ref.ID, ref.Owner, viaPeering(ref)))
			continue
		case !known:
			dropped = append(dropped, fmt.Sprintf("%s rule %s: peer group %s was not read", dir, describeRule(r), ref.ID))
			continue
		case other.VPC != g.VPC:
			dropped = append(dropped, fmt.Sprintf("%s rule %s: peer group %s is in another VPC", dir, describeRule(r), ref.ID))
			continue
		}
		// A group peer allows the member interfaces' addresses, IPv4 and
		// IPv6: one rule for each.
		for _, et := range []string{"IPv4", "IPv6"} {
			if et == "IPv4" && !v4ok || et == "IPv6" && !v6ok {
				continue
			}
			nr := base
			nr.EtherType, nr.RemoteGroup = et, ref.ID
			out = append(out, nr)
		}
	}
	return out, dropped
}

func viaPeering(g account.GroupRef) string {
	if g.Peering == "" {
		return ""
	}
	return " through peering " + g.Peering
}

// peers lists a rule's peers, for messages.
func peers(r account.SGRule) []string {
	var p []string
	p = append(p, r.CIDRs...)
	p = append(p, r.IPv6CIDRs...)
	p = append(p, r.PrefixLists...)
	for _, g := range r.Groups {
		p = append(p, g.ID)
	}
	return p
}

func describeRule(r account.SGRule) string {
	switch r.Protocol {
	case "-1":
		return "all traffic"
	case "tcp", "udp", "6", "17":
		if r.FromPort == r.ToPort {
			return fmt.Sprintf("%s %d", r.Protocol, r.FromPort)
		}
		return fmt.Sprintf("%s %d-%d", r.Protocol, r.FromPort, r.ToPort)
	case "icmp", "1", "icmpv6", "58":
		return fmt.Sprintf("%s type %d code %d", r.Protocol, r.FromPort, r.ToPort)
	}
	return "protocol " + r.Protocol
}

// neutronProtocol maps an AWS rule's protocol and ports to Neutron's, and
// says which address families it applies to; err is why it cannot.
func neutronProtocol(r account.SGRule) (proto string, pmin, pmax int32, v4, v6 bool, err string) {
	switch p := strings.ToLower(r.Protocol); p {
	case "-1", "all":
		return "", 0, 0, true, true, ""
	case "tcp", "udp", "6", "17":
		proto = map[string]string{"6": "tcp", "17": "udp"}[p]
		if proto == "" {
			proto = p
		}
		lo, hi := r.FromPort, r.ToPort
		switch {
		case lo == -1 && hi == -1, lo == 0 && hi == 65535:
			return proto, 0, 0, true, true, "" // every port
		case lo < 0 || hi > 65535 || lo > hi:
			return "", 0, 0, false, false, fmt.Sprintf("port range %d-%d is not valid", lo, hi)
		case lo == 0:
			// Neutron takes ports from 1; port 0 is not a port anything
			// listens on, so 1 is the same for every connection.
			lo = 1
		}
		return proto, lo, hi, true, true, ""
	case "icmp", "1":
		return icmp("icmp", r, true, false)
	case "icmpv6", "58":
		return icmp("ipv6-icmp", r, false, true)
	default:
		n, perr := strconv.Atoi(p)
		if perr != nil || n < 0 || n > 255 {
			return "", 0, 0, false, false, "protocol " + r.Protocol + " is not an IP protocol"
		}
		return p, 0, 0, true, true, ""
	}
}

// icmp maps an ICMP rule: FromPort is the type, ToPort the code, -1 any.
// Neutron puts the type in port_range_min and the code in port_range_max;
// a code needs a type.
func icmp(proto string, r account.SGRule, v4, v6 bool) (string, int32, int32, bool, bool, string) {
	typ, code := r.FromPort, r.ToPort
	switch {
	case typ == -1:
		return proto, 0, 0, v4, v6, ""
	case typ < 0 || typ > 255 || code < -1 || code > 255:
		return "", 0, 0, false, false, fmt.Sprintf("ICMP type %d code %d is not valid", typ, code)
	case typ == 0 || code == 0:
		// Neutron reads 0 as unset: type 0 (echo reply) or code 0 would
		// widen to every type or code.
		return "", 0, 0, false, false, fmt.Sprintf("ICMP type %d code %d: Neutron cannot express a type or code 0 without widening it to all", typ, code)
	case code == -1:
		return proto, typ, 0, v4, v6, ""
	}
	return proto, typ, code, v4, v6, ""
}

package landing

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/flavour"
)

// Options choose what is translated.
type Options struct {
	// Regions keeps only these regions' resources; empty keeps all.
	Regions []string
}

// Result is a translation: the module and its loss report.
type Result struct {
	Module *Module
	Loss   *Loss
	// Rules are the security-group rules written, with the AWS rule each
	// comes from, so that "never wider" can be checked rule by rule.
	Rules []Rule

	// For tests: the names given, and each rule's resource address.
	names     *namer
	ruleAddrs []string
}

// Resource type names of terraform-provider-openstack 3.x.
const (
	tNetwork      = "openstack_networking_network_v2"
	tSubnet       = "openstack_networking_subnet_v2"
	tRouter       = "openstack_networking_router_v2"
	tRouterIf     = "openstack_networking_router_interface_v2"
	tRoute        = "openstack_networking_router_route_v2"
	tSecgroup     = "openstack_networking_secgroup_v2"
	tRule         = "openstack_networking_secgroup_rule_v2"
	tAddressGroup = "openstack_networking_address_group_v2"
	tPort         = "openstack_networking_port_v2"
	tInstance     = "openstack_compute_instance_v2"
	tKeypair      = "openstack_compute_keypair_v2"
	tVolume       = "openstack_blockstorage_volume_v3"
	tAttach       = "openstack_compute_volume_attach_v2"
	tFloatingIP   = "openstack_networking_floatingip_v2"
	tFIPAssoc     = "openstack_networking_floatingip_associate_v2"
	tLB           = "openstack_lb_loadbalancer_v2"
	tListener     = "openstack_lb_listener_v2"
	tPool         = "openstack_lb_pool_v2"
	tMonitor      = "openstack_lb_monitor_v2"
	tMember       = "openstack_lb_member_v2"
)

// translator holds one translation's state.
type translator struct {
	net       *account.Network
	names     *namer
	loss      *Loss
	rules     []Rule
	ruleAddrs []string

	network, compute, secgroups, balancers []*block
	addressGroups                          []*block
	images, flavours, publicKeys           map[string]string // variable defaults and placeholders by name
	// subnetsOf maps a VPC to its subnets, in ID order.
	subnetsOf map[string][]account.Subnet
	subnetVPC map[string]string
	// skipVPC are the VPCs not translated (an unused default VPC), whose
	// groups and tables are not either.
	skipVPC map[string]bool
	groups  map[string]account.SecurityGroup
	// ipOwner maps a private IP to the port resource that holds it.
	portOfIface map[string]string
}

// Translate writes the landing zone of net.
func Translate(net *account.Network, opts Options) (*Result, error) {
	if net == nil {
		return nil, fmt.Errorf("the account's network was not read")
	}
	n := filterRegions(net, opts.Regions)
	t := &translator{net: n, names: newNamer(), loss: &Loss{}, images: map[string]string{}, flavours: map[string]string{},
		publicKeys: map[string]string{}, subnetsOf: map[string][]account.Subnet{}, subnetVPC: map[string]string{},
		groups: map[string]account.SecurityGroup{}, portOfIface: map[string]string{}}
	if err := t.checkOverlaps(); err != nil {
		return nil, err
	}
	t.networks()
	t.securityGroups()
	t.keyPairs()
	t.machines()
	t.loadBalancers()
	t.notTranslated()
	files := map[string][]byte{
		"versions.tf":      VersionsFile(),
		"network.tf":       file("Networks, subnets and routers: one network per AWS VPC.", t.network),
		"security.tf":      file("Security groups, rule by rule; Neutron's default egress rules are deleted\nso that only AWS's egress rules remain. AWS prefix lists are address groups.", append(t.addressGroups, t.secgroups...)),
		"compute.tf":       file("Machines: ports with their fixed IPs and groups, volumes, key pairs and\nfloating IPs.", t.compute),
		"variables.tf":     t.variablesFile(),
		"terraform.tfvars": t.tfvarsFile(),
	}
	if len(t.balancers) > 0 {
		files["loadbalancers.tf"] = file("Load balancers (Octavia).", t.balancers)
	}
	t.loss.sort()
	return &Result{Module: &Module{Files: files}, Loss: t.loss, Rules: t.rules, names: t.names, ruleAddrs: t.ruleAddrs}, nil
}

func filterRegions(n *account.Network, regions []string) *account.Network {
	if len(regions) == 0 {
		return n
	}
	keep := func(r string) bool { return slices.Contains(regions, r) }
	out := &account.Network{}
	for _, v := range n.VPCs {
		if keep(v.Region) {
			out.VPCs = append(out.VPCs, v)
		}
	}
	for _, v := range n.Subnets {
		if keep(v.Region) {
			out.Subnets = append(out.Subnets, v)
		}
	}
	for _, v := range n.RouteTables {
		if keep(v.Region) {
			out.RouteTables = append(out.RouteTables, v)
		}
	}
	for _, v := range n.Gateways {
		if keep(v.Region) {
			out.Gateways = append(out.Gateways, v)
		}
	}
	for _, v := range n.SecurityGroups {
		if keep(v.Region) {
			out.SecurityGroups = append(out.SecurityGroups, v)
		}
	}
	for _, v := range n.NetworkACLs {
		if keep(v.Region) {
			out.NetworkACLs = append(out.NetworkACLs, v)
		}
	}
	for _, v := range n.PrefixLists {
		if keep(v.Region) {
			out.PrefixLists = append(out.PrefixLists, v)
		}
	}
	for _, v := range n.KeyPairs {
		if keep(v.Region) {
			out.KeyPairs = append(out.KeyPairs, v)
		}
	}
	for _, v := range n.Addresses {
		if keep(v.Region) {
			out.Addresses = append(out.Addresses, v)
		}
	}
	for _, v := range n.Images {
		if keep(v.Region) {
			out.Images = append(out.Images, v)
		}
	}
	for _, v := range n.Machines {
		if keep(v.Region) {
			out.Machines = append(out.Machines, v)
		}
	}
	for _, v := range n.LoadBalancers {
		if keep(v.Region) {
			out.LoadBalancers = append(out.LoadBalancers, v)
		}
	}
	for _, v := range n.TargetGroups {
		if keep(v.Region) {
			out.TargetGroups = append(out.TargetGroups, v)
		}
	}
	return out
}

func byID[T any](items []T, id func(T) string) []T {
	s := slices.Clone(items)
	slices.SortFunc(s, func(a, b T) int { return cmp.Compare(id(a), id(b)) })
	return s
}

// checkOverlaps refuses subnets of one VPC whose CIDRs overlap (AWS
// forbids it: the input is damaged), naming both.
func (t *translator) checkOverlaps() error {
	subs := byID(t.net.Subnets, func(s account.Subnet) string { return s.ID })
	for i, a := range subs {
		pa, err := netip.ParsePrefix(a.CIDR)
		if err != nil {
			return fmt.Errorf("subnet %s: CIDR %q: %v", a.ID, a.CIDR, err)
		}
		for _, b := range subs[i+1:] {
			if a.VPC != b.VPC {
				continue
			}
			if pb, err := netip.ParsePrefix(b.CIDR); err == nil && pa.Overlaps(pb) {
				return fmt.Errorf("subnets %s (%s) and %s (%s) of %s overlap, which AWS does not allow: check the export", a.ID, a.CIDR, b.ID, b.CIDR, a.VPC)
			}
		}
	}
	return nil
}

// networks writes a network per VPC, its subnets, and a router where the
// VPC reaches the internet (an internet or NAT gateway).
func (t *translator) networks() {
	for _, s := range byID(t.net.Subnets, func(s account.Subnet) string { return s.ID }) {
		t.subnetsOf[s.VPC] = append(t.subnetsOf[s.VPC], s)
		t.subnetVPC[s.ID] = s.VPC
	}
	t.skipVPC = map[string]bool{}
	gwOf := map[string][]account.Gateway{}
	for _, g := range byID(t.net.Gateways, func(g account.Gateway) string { return g.ID }) {
		vpc := g.VPC
		if vpc == "" && g.Subnet != "" {
			vpc = t.subnetVPC[g.Subnet]
		}
		gwOf[vpc] = append(gwOf[vpc], g)
	}
	used := t.vpcsInUse()
	for _, v := range byID(t.net.VPCs, func(v account.VPC) string { return v.ID }) {
		if v.Default && !used[v.ID] {
			// AWS makes one in every region; nothing runs in this one.
			t.loss.add(FeatureVPC, NotTranslated, v.ID, "", "the default VPC AWS creates in every region, with no instance or load balancer in it: not needed")
			t.skipVPC[v.ID] = true
			continue
		}
		name := t.names.name(tNetwork, v.ID, v.Name)
		nb := resource(tNetwork, name, fmt.Sprintf("AWS VPC %s (%s) in %s", v.ID, strings.Join(v.CIDRs, ", "), v.Region))
		nb.set("name", str(name))
		nb.set("admin_state_up", boolean(true))
		t.network = append(t.network, nb)
		t.loss.add(FeatureVPC, Exact, v.ID, "network "+name, "")
		if v.DHCPOptions != "" {
			t.loss.add(FeatureDHCP, NotTranslated, v.ID, "", "DHCP option set "+v.DHCPOptions+": Neutron subnets carry DNS servers and host routes instead; set dns_nameservers on the subnets if the option set names any")
		}
		t.loss.add(FeatureResolver, Different, v.ID, "", "the VPC resolver at the base address +2 does not exist in OpenStack: machines get the provider's DNS (or the subnets' dns_nameservers)")
		if len(v.IPv6CIDRs) > 0 {
			t.loss.add(FeatureIPv6, NotTranslated, v.ID, "", "IPv6 blocks "+strings.Join(v.IPv6CIDRs, ", ")+" are AWS-assigned; ask the provider for an IPv6 subnet pool")
		}
		var subnets []string
		for _, s := range t.subnetsOf[v.ID] {
			sname := t.names.name(tSubnet, s.ID, s.Name)
			sb := resource(tSubnet, sname, fmt.Sprintf("AWS subnet %s (%s)", s.ID, s.Zone))
			sb.set("name", str(sname))
			sb.set("network_id", ref(nb.address()+".id"))
			sb.set("cidr", str(s.CIDR))
			sb.set("ip_version", num(4))
			t.network = append(t.network, sb)
			subnets = append(subnets, sb.address())
			t.loss.add(FeatureSubnet, Exact, s.ID, "subnet "+sname, "")
			if s.MapPublicIP {
				t.loss.add(FeatureSubnet, Different, s.ID, "subnet "+sname, "instances launched here get a public IP on AWS; in OpenStack only the floating IPs written for Elastic IPs are public")
			}
		}
		gws := gwOf[v.ID]
		if len(gws) == 0 {
			continue
		}
		rname := t.names.name(tRouter, v.ID, v.Name)
		rb := resource(tRouter, rname, fmt.Sprintf("the internet access of AWS VPC %s (%s)", v.ID, gatewayIDs(gws)))
		rb.set("name", str(rname))
		rb.set("external_network_id", ref("var.external_network_id"))
		t.network = append(t.network, rb)
		for _, g := range gws {
			switch {
			case g.Kind == "internet":
				t.loss.add(FeatureGateway, Exact, g.ID, "router "+rname, "the router's external gateway")
			case g.Kind == "nat" && g.Private:
				t.loss.add(FeatureGateway, NotTranslated, g.ID, "", "a private NAT gateway translates to other private networks: no Neutron counterpart")
			default:
				t.loss.add(FeatureGateway, Different, g.ID, "router "+rname, "a NAT gateway becomes the router's SNAT: outbound traffic leaves from the router's external address, not "+g.PublicIP)
			}
		}
		for i, s := range t.subnetsOf[v.ID] {
			ib := resource(tRouterIf, t.names.name(tRouterIf, s.ID, t.names.lookup(tSubnet, s.ID)), "")
			ib.set("router_id", ref(rb.address()+".id"))
			ib.set("subnet_id", ref(subnets[i]+".id"))
			t.network = append(t.network, ib)
			if !t.reachesInternet(s) {
				t.loss.add(FeatureRoute, Different, s.ID, "router "+rname, "this subnet has no route to an internet or NAT gateway on AWS; on the router it reaches the internet through SNAT: detach it if it must stay isolated")
			}
		}
		t.routes(v, rb)
	}
}

func diskText(d account.Disk) string {
	if d.Type == "" {
		return fmt.Sprintf("%d GiB", d.GiB)
	}
	return fmt.Sprintf("%s, %d GiB", d.Type, d.GiB)
}

// routedVia returns the destinations of the routes whose next hop is this
// interface (or, for the primary one, the machine).
func (t *translator) routedVia(m account.Machine, i int, ifc account.Interface) []string {
	var out []string
	for _, rt := range byID(t.net.RouteTables, func(r account.RouteTable) string { return r.ID }) {
		for _, r := range rt.Routes {
			if (r.Target == "network-interface" && r.TargetID == ifc.ID) || (r.Target == "instance" && r.TargetID == m.ID && i == 0) {
				if !slices.Contains(out, r.Destination) {
					out = append(out, r.Destination)
				}
			}
		}
	}
	return out
}

// instanceStore says an EC2 type comes with instance-store disks: the
// families with a "d" after their generation (m5d, c6gd, g4dn), and the
// storage-optimised i and d families.
func instanceStore(typ string) bool {
	family, _, _ := strings.Cut(typ, ".")
	if family == "" {
		return false
	}
	if (family[0] == 'i' || family[0] == 'd') && len(family) > 1 && family[1] >= '0' && family[1] <= '9' {
		return true
	}
	rest := strings.TrimLeft(family, "abcdefghijklmnopqrstuvwxyz")
	rest = strings.TrimLeft(rest, "0123456789")
	return strings.Contains(rest, "d")
}

// vpcsInUse are the VPCs an instance or a load balancer is in.
func (t *translator) vpcsInUse() map[string]bool {
	used := map[string]bool{}
	for _, m := range t.net.Machines {
		for _, i := range m.Interfaces {
			used[t.subnetVPC[i.Subnet]] = true
		}
	}
	for _, lb := range t.net.LoadBalancers {
		used[lb.VPC] = true
	}
	return used
}

func gatewayIDs(gs []account.Gateway) string {
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	return strings.Join(ids, ", ")
}

// tableOf returns the route table serving a subnet: the one naming it,
// else the VPC's main table.
func (t *translator) tableOf(s account.Subnet) (account.RouteTable, bool) {
	var main account.RouteTable
	found := false
	for _, rt := range t.net.RouteTables {
		if rt.VPC != s.VPC {
			continue
		}
		if slices.Contains(rt.Subnets, s.ID) {
			return rt, true
		}
		if rt.Main {
			main, found = rt, true
		}
	}
	return main, found
}

func (t *translator) reachesInternet(s account.Subnet) bool {
	rt, ok := t.tableOf(s)
	if !ok {
		return false
	}
	for _, r := range rt.Routes {
		if (r.Destination == "0.0.0.0/0") && (r.Target == "internet-gateway" || r.Target == "nat-gateway") && !r.Blackhole {
			return true
		}
	}
	return false
}

// routes writes the VPC's static routes to a machine or interface as
// router routes; Neutron's apply to the whole router, AWS's to the
// subnets of one table.
func (t *translator) routes(v account.VPC, rb *block) {
	tables := byID(t.net.RouteTables, func(r account.RouteTable) string { return r.ID })
	var vpcTables []account.RouteTable
	for _, rt := range tables {
		if rt.VPC == v.ID {
			vpcTables = append(vpcTables, rt)
		}
	}
	seen := map[string]bool{}
	for _, rt := range vpcTables {
		for _, r := range rt.Routes {
			switch r.Target {
			case "local", "internet-gateway", "nat-gateway":
				continue
			case "instance", "network-interface":
			default:
				t.loss.add(FeatureRoute, NotTranslated, rt.ID, "", fmt.Sprintf("route to %s via %s %s: no OpenStack counterpart in this module", r.Destination, r.Target, r.TargetID))
				continue
			}
			hop := t.nextHop(r)
			if hop == "" || r.Blackhole {
				t.loss.add(FeatureRoute, NotTranslated, rt.ID, "", fmt.Sprintf("route to %s via %s %s: the target's address is unknown", r.Destination, r.Target, r.TargetID))
				continue
			}
			key := r.Destination + " " + hop
			if seen[key] {
				continue
			}
			seen[key] = true
			name := t.names.name(tRoute, rt.ID+"/"+r.Destination, rb.labels[1]+"_"+r.Destination)
			b := resource(tRoute, name, fmt.Sprintf("AWS route table %s: %s via %s %s", rt.ID, r.Destination, r.Target, r.TargetID))
			b.set("router_id", ref(rb.address()+".id"))
			b.set("destination_cidr", str(r.Destination))
			b.set("next_hop", str(hop))
			t.network = append(t.network, b)
			status, why := Exact, ""
			if len(vpcTables) > 1 && !allTablesHave(vpcTables, r) {
				status, why = Different, "Neutron routes apply to every subnet on the router; on AWS only to the subnets of "+rt.ID
			}
			t.loss.add(FeatureRoute, status, rt.ID, "route "+name, why)
		}
	}
}

func allTablesHave(tables []account.RouteTable, r account.Route) bool {
	for _, rt := range tables {
		if !slices.ContainsFunc(rt.Routes, func(o account.Route) bool { return o.Destination == r.Destination && o.TargetID == r.TargetID }) {
			return false
		}
	}
	return true
}

// nextHop is the private IP a route to a machine or interface leads to.
func (t *translator) nextHop(r account.Route) string {
	for _, m := range t.net.Machines {
		for i, ifc := range m.Interfaces {
			if len(ifc.PrivateIPs) == 0 {
				continue
			}
			if (r.Target == "instance" && m.ID == r.TargetID && i == 0) || (r.Target == "network-interface" && ifc.ID == r.TargetID) {
				return ifc.PrivateIPs[0]
			}
		}
	}
	return ""
}

// keyPairs writes each key pair: with its public key where AWS returned
// it, else from a variable the operator fills.
func (t *translator) keyPairs() {
	for _, k := range byID(t.net.KeyPairs, func(k account.KeyPair) string { return k.Name }) {
		name := t.names.name(tKeypair, k.Name, k.Name)
		b := resource(tKeypair, name, fmt.Sprintf("AWS key pair %s (%s)", k.Name, k.ID))
		b.set("name", str(k.Name))
		if k.PublicKey != "" {
			b.set("public_key", str(strings.TrimSpace(k.PublicKey)))
			t.loss.add(FeatureKeyPair, Exact, k.Name, "key pair "+name, "")
		} else {
			b.set("public_key", index{ref("var.public_keys"), name})
			t.publicKeys[name] = ""
			t.loss.add(FeatureKeyPair, Different, k.Name, "key pair "+name, "AWS did not return its public key: give it in terraform.tfvars (public_keys), or OpenStack would make a new key")
		}
		t.compute = append(t.compute, b)
	}
}

// machines writes each machine's ports, volumes, instance and floating IPs.
func (t *translator) machines() {
	keyName := func(name string) string { return t.names.lookup(tKeypair, name) }
	addrOf := map[string]account.Address{}
	for _, a := range t.net.Addresses {
		if a.Interface != "" {
			addrOf[a.Interface] = a
		} else if a.Instance != "" {
			addrOf[a.Instance] = a
		}
	}
	for _, m := range byID(t.net.Machines, func(m account.Machine) string { return m.ID }) {
		if m.State == "terminated" || m.State == "shutting-down" {
			continue
		}
		name := t.names.name(tInstance, m.ID, m.Name)
		fl, standard, gpu, ok := flavour.EC2(m.Type)
		if !ok {
			fl = "CHOOSE-A-FLAVOUR"
			t.loss.add(FeatureMachine, Different, m.ID, "instance "+name, "instance type "+m.Type+" is not in the flavour mapping: set flavours[\""+name+"\"]")
		} else if !standard {
			t.loss.add(FeatureMachine, Different, m.ID, "instance "+name, m.Type+" is larger than any SCS standard flavour: "+fl+" is named by SCS's rule; check the provider has it")
		}
		t.flavours[name] = fl
		if gpu {
			t.loss.add(FeatureGPU, Different, m.ID, "instance "+name, m.Type+" has a GPU or accelerator: the flavour "+fl+" has none; ask the provider for a GPU flavour and set flavours[\""+name+"\"]")
		}
		if instanceStore(m.Type) {
			t.loss.add(FeatureVolume, NotTranslated, m.ID, "", m.Type+" has instance-store disks (ephemeral, lost at stop on AWS too): not carried; a flavour with a local disk gives the same")
		}
		if strings.HasPrefix(strings.ToLower(m.Platform), "windows") {
			t.loss.add(FeatureWindows, Different, m.ID, "instance "+name, "Windows: its licence is AWS's (included in the hourly price); the provider must license it, and the image must be a Windows one")
		}
		var ports []string
		for i, ifc := range m.Interfaces {
			pname := t.names.name(tPort, ifc.ID, fmt.Sprintf("%s_%d", name, i))
			vpc := t.subnetVPC[ifc.Subnet]
			netName, subName := t.names.lookup(tNetwork, vpc), t.names.lookup(tSubnet, ifc.Subnet)
			if netName == "" || subName == "" {
				t.loss.add(FeatureMachine, NotTranslated, m.ID, "", fmt.Sprintf("interface %s is in subnet %s, which was not read", ifc.ID, ifc.Subnet))
				continue
			}
			pb := resource(tPort, pname, fmt.Sprintf("AWS network interface %s of %s", ifc.ID, m.ID))
			pb.set("name", str(pname))
			pb.set("network_id", ref(tNetwork+"."+netName+".id"))
			pb.set("admin_state_up", boolean(true))
			var groups list
			for _, g := range ifc.Groups {
				if gn := t.names.lookup(tSecgroup, g); gn != "" {
					groups = append(groups, ref(tSecgroup+"."+gn+".id"))
				}
			}
			pb.set("security_group_ids", groups)
			for _, ip := range ifc.PrivateIPs {
				pb.nested("fixed_ip", attr{"subnet_id", ref(tSubnet + "." + subName + ".id")}, attr{"ip_address", str(ip)})
			}
			if ifc.NoSourceDestCheck {
				// AWS lets it send and receive for others' addresses (a
				// router or NAT instance): Neutron's anti-spoofing drops
				// that unless the routed prefixes are allowed pairs.
				routed := t.routedVia(m, i, ifc)
				for _, p := range routed {
					pb.nested("allowed_address_pairs", attr{"ip_address", str(p)})
				}
				if len(routed) > 0 {
					t.loss.add(FeatureMachine, Different, ifc.ID, "port "+pname, "source/destination check off: allowed address pairs for "+strings.Join(routed, ", ")+", the prefixes routed through it")
				} else {
					t.loss.add(FeatureMachine, NotTranslated, ifc.ID, "", "source/destination check off, and no route leads through it: add allowed address pairs for the prefixes it forwards")
				}
			}
			t.compute = append(t.compute, pb)
			t.portOfIface[ifc.ID] = pb.address()
			ports = append(ports, pb.address())
			t.loss.add(FeatureMachine, Exact, ifc.ID, "port "+pname, "fixed IPs "+strings.Join(ifc.PrivateIPs, ", ")+" kept")
			if len(ifc.IPv6s) > 0 {
				t.loss.add(FeatureIPv6, NotTranslated, ifc.ID, "", "IPv6 addresses "+strings.Join(ifc.IPv6s, ", ")+" are AWS's")
			}
			a, ok := addrOf[ifc.ID]
			if !ok && i == 0 {
				a, ok = addrOf[m.ID]
			}
			if ok {
				fname := t.names.name(tFloatingIP, a.AllocationID, pname)
				fb := resource(tFloatingIP, fname, fmt.Sprintf("AWS Elastic IP %s (%s)", a.PublicIP, a.AllocationID))
				fb.set("pool", ref("var.external_network_name"))
				t.compute = append(t.compute, fb)
				ab := resource(tFIPAssoc, fname, "")
				ab.set("floating_ip", ref(fb.address()+".address"))
				ab.set("port_id", ref(pb.address()+".id"))
				t.compute = append(t.compute, ab)
				t.loss.add(FeatureAddress, Different, a.AllocationID, "floating IP "+fname, "a new public address from the provider's pool: "+a.PublicIP+" stays AWS's; update DNS")
			} else if ifc.PublicIP != "" {
				t.loss.add(FeatureAddress, NotTranslated, ifc.ID, "", "public IP "+ifc.PublicIP+" was auto-assigned by AWS (no Elastic IP): add a floating IP if the machine must be reachable")
			}
		}
		var root *account.Disk
		var data []account.Disk
		for _, d := range m.Disks {
			if d.Root || d.Device == m.RootDevice {
				root = &d
			} else {
				data = append(data, d)
			}
		}
		where := ""
		if m.Zone != "" {
			where = " in " + m.Zone
		}
		ib := resource(tInstance, name, fmt.Sprintf("AWS instance %s (%s, %s)%s", m.ID, m.Type, m.Platform, where))
		ib.set("name", str(name))
		ib.set("flavor_name", index{ref("var.flavours"), name})
		if m.State == "stopped" || m.State == "stopping" {
			// As it is on AWS: created, then shut off.
			ib.set("power_state", str("shutoff"))
			t.loss.add(FeatureMachine, Exact, m.ID, "instance "+name, "stopped on AWS: power_state shutoff")
		}
		if kn := keyName(m.KeyName); kn != "" {
			ib.set("key_pair", ref(tKeypair+"."+kn+".name"))
		}
		t.images[name] = m.Image
		if root != nil {
			vname := t.names.name(tVolume, root.Volume, name+"_root")
			vb := resource(tVolume, vname, fmt.Sprintf("AWS volume %s (%s), the root of %s", root.Volume, diskText(*root), m.ID))
			vb.set("name", str(vname))
			vb.set("size", num(root.GiB))
			vb.set("image_id", index{ref("var.images"), name})
			t.compute = append(t.compute, vb)
			ib.nested("block_device", attr{"uuid", ref(vb.address() + ".id")}, attr{"source_type", str("volume")},
				attr{"destination_type", str("volume")}, attr{"boot_index", num(0)}, attr{"delete_on_termination", boolean(false)})
			t.loss.add(FeatureVolume, Exact, root.Volume, "volume "+vname, fmt.Sprintf("%d GiB, created from the image in images[%q]: the disk's contents move in a later step", root.GiB, name))
		} else {
			ib.set("image_id", index{ref("var.images"), name})
			t.loss.add(FeatureVolume, Different, m.ID, "instance "+name, "no EBS root volume was read: it boots from the image in images[\""+name+"\"] on the provider's ephemeral disk")
		}
		for _, p := range ports {
			ib.nested("network", attr{"port", ref(p + ".id")})
		}
		t.compute = append(t.compute, ib)
		t.loss.add(FeatureMachine, Exact, m.ID, "instance "+name, "flavour "+fl)
		for _, d := range data {
			vname := t.names.name(tVolume, d.Volume, name+"_"+strings.TrimPrefix(d.Device, "/dev/"))
			vb := resource(tVolume, vname, fmt.Sprintf("AWS volume %s (%s) at %s of %s", d.Volume, diskText(d), d.Device, m.ID))
			vb.set("name", str(vname))
			vb.set("size", num(d.GiB))
			t.compute = append(t.compute, vb)
			ab := resource(tAttach, vname, "")
			ab.set("instance_id", ref(ib.address()+".id"))
			ab.set("volume_id", ref(vb.address()+".id"))
			t.compute = append(t.compute, ab)
			t.loss.add(FeatureVolume, Exact, d.Volume, "volume "+vname, fmt.Sprintf("%d GiB, empty: the disk's contents move in a later step", d.GiB))
		}
		if m.IAMProfile != "" {
			t.loss.add(FeatureIAMProfile, NotTranslated, m.ID, "", "instance profile "+m.IAMProfile+": OpenStack machines have no role; give the application credentials of its own")
		}
		if m.PlacementGroup != "" {
			t.loss.add(FeaturePlacement, NotTranslated, m.ID, "", "placement group "+m.PlacementGroup+": use a Nova server group (affinity or anti-affinity) if it matters")
		}
		if m.Tenancy != "" && m.Tenancy != "default" {
			t.loss.add(FeatureTenancy, NotTranslated, m.ID, "", m.Tenancy+" tenancy: ask the provider for dedicated hosts")
		}
		t.loss.add(FeatureUserData, NotTranslated, m.ID, "", "user data is not read by describe-instances: copy it from the launch template or instance attribute if the machine needs it at boot")
	}
}

// notTranslated lists what has no counterpart at all.
func (t *translator) notTranslated() {
	for _, a := range byID(t.net.NetworkACLs, func(a account.NetworkACL) string { return a.ID }) {
		if t.skipVPC[a.VPC] {
			continue
		}
		if a.Default && defaultACL(a) {
			t.loss.add(FeatureACL, Exact, a.ID, "", "the default ACL allows everything: nothing to write")
			continue
		}
		t.loss.add(FeatureACL, NotTranslated, a.ID, "", fmt.Sprintf("network ACL with %d entries (stateless, per subnet): OpenStack has FWaaS at most; the security groups alone now guard these subnets", len(a.Entries)))
	}
	for _, img := range byID(t.net.Images, func(i account.Image) string { return i.ID }) {
		t.loss.add(FeatureImage, NotTranslated, img.ID, "", "AMI "+img.Name+": export it (ec2 export-image) and upload it to Glance, then set images[...]")
	}
}

// defaultACL says an ACL is AWS's default: allow all in and out.
func defaultACL(a account.NetworkACL) bool {
	for _, e := range a.Entries {
		if e.Action == "deny" && e.Number != 32767 {
			return false
		}
	}
	return true
}

// VersionsFile is the module's versions.tf: the OpenTofu and provider
// versions it needs, and the provider configured from the environment.
// Other files written into the module (dns export's dns.tf) rely on it.
func VersionsFile() []byte {
	tf := &block{kind: "terraform"}
	rp := block{kind: "required_providers"}
	rp.attrs = []attr{{"openstack", object{{"source", str("terraform-provider-openstack/openstack")}, {"version", str(ProviderVersion)}}}}
	tf.blocks = []block{rp}
	tf.set("required_version", str(">= 1.6"))
	p := &block{kind: "provider", labels: []string{"openstack"}, comment: "Configured by the OS_* environment or clouds.yaml (OS_CLOUD), as the openstack CLI is."}
	return file("Written by sortie landing. Review, then: tofu init && tofu plan", []*block{tf, p})
}

// object is an HCL object value.
type object []attr

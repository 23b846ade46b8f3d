package landing

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/account"
)

// twoTier is a small estate in the shape aws-cli describes: a VPC with a
// public and a private subnet, an internet and a NAT gateway, a chain of
// security groups by reference, an instance with two volumes and an
// Elastic IP.
func twoTier() *account.Network {
	return &account.Network{
		VPCs:    []account.VPC{{ID: "vpc-0a60eb65b4EXAMPLE", Region: "ca-central-1", Name: "campus", CIDRs: []string{"10.0.0.0/16"}, DHCPOptions: "dopt-19edf471"}},
		Subnets: []account.Subnet{{ID: "subnet-0bb1c79de3EXAMPLE", Region: "ca-central-1", VPC: "vpc-0a60eb65b4EXAMPLE", Name: "public", Zone: "ca-central-1a", CIDR: "10.0.1.0/24", MapPublicIP: true}, {ID: "subnet-0cc1c79de3EXAMPLE", Region: "ca-central-1", VPC: "vpc-0a60eb65b4EXAMPLE", Name: "private", Zone: "ca-central-1b", CIDR: "10.0.2.0/24"}},
		RouteTables: []account.RouteTable{
			{ID: "rtb-pub", Region: "ca-central-1", VPC: "vpc-0a60eb65b4EXAMPLE", Subnets: []string{"subnet-0bb1c79de3EXAMPLE"}, Routes: []account.Route{{Destination: "10.0.0.0/16", Target: "local"}, {Destination: "0.0.0.0/0", Target: "internet-gateway", TargetID: "igw-1"}}},
			{ID: "rtb-priv", Region: "ca-central-1", VPC: "vpc-0a60eb65b4EXAMPLE", Main: true, Routes: []account.Route{{Destination: "10.0.0.0/16", Target: "local"}, {Destination: "0.0.0.0/0", Target: "nat-gateway", TargetID: "nat-1"}, {Destination: "172.16.0.0/12", Target: "instance", TargetID: "i-web"}}},
		},
		Gateways: []account.Gateway{{ID: "igw-1", Region: "ca-central-1", Kind: "internet", VPC: "vpc-0a60eb65b4EXAMPLE"}, {ID: "nat-1", Region: "ca-central-1", Kind: "nat", Subnet: "subnet-0bb1c79de3EXAMPLE", PublicIP: "203.0.113.5"}},
		SecurityGroups: []account.SecurityGroup{
			{ID: "sg-web", Region: "ca-central-1", VPC: "vpc-0a60eb65b4EXAMPLE", Owner: "123456789012", Name: "web", Ingress: []account.SGRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}, IPv6CIDRs: []string{"::/0"}}, {Protocol: "icmp", FromPort: 8, ToPort: -1, CIDRs: []string{"10.0.0.0/16"}}}, Egress: []account.SGRule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}},
			{ID: "sg-app", Region: "ca-central-1", VPC: "vpc-0a60eb65b4EXAMPLE", Owner: "123456789012", Name: "app", Ingress: []account.SGRule{{Protocol: "tcp", FromPort: 8080, ToPort: 8080, Groups: []account.GroupRef{{ID: "sg-web", Owner: "123456789012"}, {ID: "sg-other", Owner: "210987654321", Peering: "pcx-1"}}}}},
		},
		KeyPairs:  []account.KeyPair{{Name: "ops", ID: "key-1", Region: "ca-central-1", PublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample ops"}},
		Addresses: []account.Address{{AllocationID: "eipalloc-1", Region: "ca-central-1", PublicIP: "198.51.100.7", Instance: "i-web"}},
		Machines: []account.Machine{{ID: "i-web", Region: "ca-central-1", Name: "moodle", Type: "t3.large", State: "running", Platform: "Linux/UNIX", Image: "ami-0abcdef1234567890", KeyName: "ops", RootDevice: "/dev/xvda",
			Interfaces: []account.Interface{{ID: "eni-1", Subnet: "subnet-0bb1c79de3EXAMPLE", PrivateIPs: []string{"10.0.1.10"}, Groups: []string{"sg-web"}}},
			Disks:      []account.Disk{{Device: "/dev/xvda", Volume: "vol-root", GiB: 30, Root: true}, {Device: "/dev/sdf", Volume: "vol-data", GiB: 200}}}},
	}
}

func TestTranslateTwoTier(t *testing.T) {
	res, err := Translate(twoTier(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("SHOW") != "" {
		for _, name := range sortedKeys(res.Module.Files) {
			fmt.Printf("=== %s\n%s", name, res.Module.Files[name])
		}
		res.Loss.Write(os.Stdout, "text", "en")
	}
	again, _ := Translate(twoTier(), Options{})
	for name, b := range res.Module.Files {
		if string(again.Module.Files[name]) != string(b) {
			t.Errorf("%s differs between two runs", name)
		}
	}
	for _, r := range res.Rules {
		if why := wider(r); why != "" {
			t.Errorf("rule %+v is wider than its AWS rule: %s", r, why)
		}
	}
	if c := res.Loss.Counts(); c[NotTranslated] == 0 || c[Exact] == 0 {
		t.Errorf("loss counts %v", c)
	}
	sec := string(res.Module.Files["security.tf"])
	for _, want := range []string{"delete_default_rules = true", "remote_group_id   = openstack_networking_secgroup_v2.web.id", `protocol          = "icmp"`} {
		if !strings.Contains(sec, want) {
			t.Errorf("security.tf lacks %q", want)
		}
	}
}

// wider says how a Neutron rule allows more than the AWS rule it comes
// from, or "": the protocol, every port, and the peer must be within it.
func wider(r Rule) string {
	a := r.From
	switch p := a.Protocol; {
	case p == "-1":
	case r.Protocol == "":
		return "any protocol from " + p
	case p == "icmpv6" && r.Protocol != "ipv6-icmp", p == "icmp" && r.Protocol != "icmp", (p == "tcp" || p == "udp") && r.Protocol != p:
		return "protocol " + r.Protocol + " from " + p
	}
	switch a.Protocol {
	case "tcp", "udp":
		lo, hi := r.PortMin, r.PortMax
		if lo == 0 && hi == 0 {
			lo, hi = 0, 65535
		}
		alo, ahi := a.FromPort, a.ToPort
		if alo == -1 {
			alo, ahi = 0, 65535
		}
		if lo < max(alo, 1) && !(alo == 0 && lo <= 1) || hi > ahi {
			return fmt.Sprintf("ports %d-%d from %d-%d", lo, hi, alo, ahi)
		}
	case "icmp", "icmpv6":
		if a.FromPort != -1 && (r.PortMin != a.FromPort) {
			return fmt.Sprintf("ICMP type %d from %d", r.PortMin, a.FromPort)
		}
		if a.ToPort != -1 && r.PortMax != a.ToPort {
			return fmt.Sprintf("ICMP code %d from %d", r.PortMax, a.ToPort)
		}
	}
	switch {
	case r.RemoteAddressGroup != "":
		for _, pl := range a.PrefixLists {
			if pl == r.RemoteAddressGroup {
				return ""
			}
		}
		return "prefix list " + r.RemoteAddressGroup + " not in the AWS rule"
	case r.RemoteGroup != "":
		for _, g := range a.Groups {
			if g.ID == r.RemoteGroup {
				return ""
			}
		}
		return "group " + r.RemoteGroup + " not in the AWS rule"
	case r.RemoteCIDR != "":
		p := netip.MustParsePrefix(r.RemoteCIDR)
		for _, c := range append(append([]string{}, a.CIDRs...), a.IPv6CIDRs...) {
			if q, err := netip.ParsePrefix(c); err == nil && q.Bits() <= p.Bits() && q.Contains(p.Addr()) {
				return ""
			}
		}
		return "CIDR " + r.RemoteCIDR + " not within the AWS rule's"
	}
	return "no peer"
}

package awsread

import (
	"context"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/account/sample"
)

// networkFileTypes are the SDK output types of the files the network
// reader reads, by file name (by directory for the calls made per object).
func networkFileTypes() map[string]func() any {
	return map[string]func() any{
		fileIdentity:         func() any { return new(sts.GetCallerIdentityOutput) },
		fileRegions:          func() any { return new(ec2.DescribeRegionsOutput) },
		fileVPCs:             func() any { return new(ec2.DescribeVpcsOutput) },
		fileSubnets:          func() any { return new(ec2.DescribeSubnetsOutput) },
		fileRouteTables:      func() any { return new(ec2.DescribeRouteTablesOutput) },
		fileInternetGateways: func() any { return new(ec2.DescribeInternetGatewaysOutput) },
		fileNATGateways:      func() any { return new(ec2.DescribeNatGatewaysOutput) },
		fileSecurityGroups:   func() any { return new(ec2.DescribeSecurityGroupsOutput) },
		fileNetworkACLs:      func() any { return new(ec2.DescribeNetworkAclsOutput) },
		filePrefixLists:      func() any { return new(ec2.DescribeManagedPrefixListsOutput) },
		dirPrefixListEntries: func() any { return new(ec2.GetManagedPrefixListEntriesOutput) },
		fileKeyPairs:         func() any { return new(ec2.DescribeKeyPairsOutput) },
		fileAddresses:        func() any { return new(ec2.DescribeAddressesOutput) },
		fileOwnImages:        func() any { return new(ec2.DescribeImagesOutput) },
		fileImagesInUse:      func() any { return new(ec2.DescribeImagesOutput) },
		fileInstances:        func() any { return new(ec2.DescribeInstancesOutput) },
		fileVolumes:          func() any { return new(ec2.DescribeVolumesOutput) },
		fileLoadBalancers:    func() any { return new(elb.DescribeLoadBalancersOutput) },
		fileTargetGroups:     func() any { return new(elb.DescribeTargetGroupsOutput) },
		dirListeners:         func() any { return new(elb.DescribeListenersOutput) },
		dirTargetHealth:      func() any { return new(elb.DescribeTargetHealthOutput) },
	}
}

// Every file of the sample account that the network reader reads decodes
// into its SDK output type with no member left over, as the fixture
// account's do: the demo's landing zone comes from aws-cli's shapes.
func TestSampleNetworkHasOnlyRealMembers(t *testing.T) {
	types := networkFileTypes()
	checked := map[string]int{}
	err := fs.WalkDir(sample.Account(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		parts := strings.Split(strings.TrimSuffix(path, ".json"), "/")
		key := parts[len(parts)-1]
		if len(parts) == 3 { // REGION/COMMAND/OBJECT
			key = parts[1]
		}
		newOut, ok := types[key]
		if !ok || parts[0] == dirBuckets {
			return nil // the inventory's files, which assess reads
		}
		b, err := fs.ReadFile(sample.Account(), path)
		if err != nil {
			return err
		}
		if err := decodeStrict(b, newOut()); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		checked[parts[0]]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Per region: the thirteen calls, instances and volumes, and the
	// instances' AMIs where there are instances; ca-central-1's load
	// balancer adds its listeners and its target group's health.
	want := map[string]int{"ca-central-1": 18, "eu-west-3": 15, "us-east-1": 16, fileIdentity: 1, fileRegions: 1}
	if !reflect.DeepEqual(checked, want) {
		t.Errorf("checked %v, want %v", checked, want)
	}
}

// The sample account's network reads with no problem line, and holds the
// estate the demo's landing zone translates.
func TestSampleNetwork(t *testing.T) {
	o, err := OfflineFS(sample.Account(), "sample")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := o.Network(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Problems) != 0 {
		t.Errorf("problems = %+v, want none: every call has its file", inv.Problems)
	}
	n := inv.Network
	count := func(region string) []int {
		var c [10]int
		for _, v := range n.VPCs {
			if v.Region == region {
				c[0]++
			}
		}
		for _, s := range n.Subnets {
			if s.Region == region {
				c[1]++
			}
		}
		for _, g := range n.SecurityGroups {
			if g.Region == region {
				c[2]++
			}
		}
		for _, g := range n.Gateways {
			if g.Region == region {
				c[3]++
			}
		}
		for _, m := range n.Machines {
			if m.Region == region {
				c[4]++
			}
		}
		for _, a := range n.Addresses {
			if a.Region == region {
				c[5]++
			}
		}
		for _, k := range n.KeyPairs {
			if k.Region == region {
				c[6]++
			}
		}
		for _, i := range n.Images {
			if i.Region == region {
				c[7]++
			}
		}
		for _, l := range n.LoadBalancers {
			if l.Region == region {
				c[8]++
			}
		}
		for _, r := range n.RouteTables {
			if r.Region == region {
				c[9]++
			}
		}
		return c[:]
	}
	// vpcs subnets groups gateways machines addresses keys images lbs route-tables
	for region, want := range map[string][]int{
		"ca-central-1": {3, 10, 8, 5, 3, 3, 1, 2, 1, 7},
		"eu-west-3":    {1, 3, 1, 1, 0, 0, 0, 0, 0, 1},
		"us-east-1":    {2, 7, 3, 2, 1, 1, 1, 1, 0, 2},
	} {
		if got := count(region); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: vpcs subnets groups gateways machines addresses keys images lbs route-tables = %v, want %v", region, got, want)
		}
	}
	if len(n.PrefixLists) != 0 || len(n.TargetGroups) != 1 {
		t.Errorf("%d prefix lists %d target groups, want 0 (no rule names one) and 1", len(n.PrefixLists), len(n.TargetGroups))
	}

	vpcs := map[string]account.VPC{}
	for _, v := range n.VPCs {
		vpcs[v.Name] = v
	}
	if m := vpcs["moodle"]; m.ID != "vpc-0a1b2c3d4e5f10001" || !reflect.DeepEqual(m.CIDRs, []string{"10.20.0.0/16"}) || m.Default {
		t.Errorf("moodle VPC = %+v", m)
	}
	subnets := map[string]account.Subnet{}
	for _, s := range n.Subnets {
		subnets[s.ID] = s
	}
	groups := map[string]account.SecurityGroup{}
	for _, g := range n.SecurityGroups {
		groups[g.ID] = g
	}
	// The chain: web from anywhere, app from web, db from app, ssh from the campus.
	web, app, db, ssh := groups["sg-0a1b2c3d4e5f90011"], groups["sg-0a1b2c3d4e5f90012"], groups["sg-0a1b2c3d4e5f90013"], groups["sg-0a1b2c3d4e5f90014"]
	anywhere := []string{"0.0.0.0/0"}
	if !reflect.DeepEqual(web.Ingress, []account.SGRule{{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: anywhere}, {Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: anywhere}}) {
		t.Errorf("web ingress = %+v", web.Ingress)
	}
	ref := func(id string) []account.GroupRef { return []account.GroupRef{{ID: id, Owner: "123456789012"}} }
	if !reflect.DeepEqual(app.Ingress, []account.SGRule{{Protocol: "tcp", FromPort: 22, ToPort: 22, Groups: ref(ssh.ID)}, {Protocol: "tcp", FromPort: 8787, ToPort: 8787, Groups: ref(web.ID)}}) {
		t.Errorf("app ingress = %+v", app.Ingress)
	}
	if !reflect.DeepEqual(db.Ingress, []account.SGRule{{Protocol: "tcp", FromPort: 5432, ToPort: 5432, Groups: ref(app.ID)}}) {
		t.Errorf("db ingress = %+v", db.Ingress)
	}
	if !reflect.DeepEqual(ssh.Ingress, []account.SGRule{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRs: []string{"192.0.2.0/24"}}}) {
		t.Errorf("ssh ingress = %+v", ssh.Ingress)
	}

	machines := map[string]account.Machine{}
	for _, m := range n.Machines {
		machines[m.Name] = m
	}
	// Each machine's disk is its volume of the inventory, at its size.
	volumes := map[string]account.Volume{}
	o2, _ := OfflineFS(sample.Account(), "sample")
	full, err := o2.Collect(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range full.Volumes {
		volumes[v.ID] = v
	}
	for name, want := range map[string]struct {
		subnet, public string
		groups         []string
	}{
		"moodle-web":     {"moodle-public-a", "203.0.113.10", []string{web.ID, app.ID}},
		"bastion":        {"moodle-public-b", "198.51.100.30", []string{ssh.ID}},
		"stats-rstudio":  {"moodle-private-a", "", []string{app.ID}},
		"licence-server": {"licences-a", "203.0.113.80", []string{"sg-0f9e8d7c6b5a90011"}},
	} {
		m := machines[name]
		if len(m.Interfaces) != 1 || len(m.Disks) != 1 {
			t.Errorf("%s: %d interfaces %d disks, want 1 and 1", name, len(m.Interfaces), len(m.Disks))
			continue
		}
		ifc, d := m.Interfaces[0], m.Disks[0]
		if subnets[ifc.Subnet].Name != want.subnet || ifc.PublicIP != want.public || !reflect.DeepEqual(ifc.Groups, want.groups) {
			t.Errorf("%s: interface %+v, want in %s, public IP %q, groups %v", name, ifc, want.subnet, want.public, want.groups)
		}
		if v := volumes[d.Volume]; !d.Root || v.Attached != m.ID || d.GiB != v.GiB || d.Type != v.Type {
			t.Errorf("%s: disk %+v, volume %+v", name, d, v)
		}
		if !slices.ContainsFunc(n.KeyPairs, func(k account.KeyPair) bool { return k.Name == m.KeyName && k.Region == m.Region && k.PublicKey != "" }) {
			t.Errorf("%s: key pair %q is not among the region's, with its public key", name, m.KeyName)
		}
		if !slices.ContainsFunc(n.Images, func(i account.Image) bool { return i.ID == m.Image }) {
			t.Errorf("%s: image %q not read", name, m.Image)
		}
	}
	if p := machines["moodle-web"].IAMProfile; p != "arn:aws:iam::123456789012:instance-profile/moodle-ec2" {
		t.Errorf("moodle-web's instance profile = %q", p)
	}
	if machines["stats-rstudio"].State != "stopped" || machines["old-test"].ID != "" {
		t.Errorf("stats-rstudio %+v; the terminated old-test is left out: %+v", machines["stats-rstudio"], machines["old-test"])
	}
	var eip account.Address
	for _, a := range n.Addresses {
		if a.Instance == machines["moodle-web"].ID {
			eip = a
		}
	}
	if eip.PublicIP != "203.0.113.10" || eip.Interface != machines["moodle-web"].Interfaces[0].ID || eip.PrivateIP != "10.20.0.10" {
		t.Errorf("moodle-web's Elastic IP = %+v", eip)
	}

	// The load balancer the tagging API counts, in front of moodle-web.
	lb, tg := n.LoadBalancers[0], n.TargetGroups[0]
	if lb.Name != "moodle" || lb.Scheme != "internet-facing" || !reflect.DeepEqual(lb.SecurityGroups, []string{web.ID}) || len(lb.Listeners) != 2 ||
		lb.Listeners[0].Action != "redirect" || lb.Listeners[1].Forward != tg.ARN || !reflect.DeepEqual(tg.Targets, []string{machines["moodle-web"].ID}) {
		t.Errorf("load balancer %+v, target group %+v", lb, tg)
	}
	// The fleets' and desktops' subnets and group, which the inventory names.
	if s := subnets["subnet-0a1b2c3d4e5f60001"]; s.VPC != vpcs["virtual-lab"].ID {
		t.Errorf("the AppStream fleets' subnet = %+v, want in the virtual-lab VPC", s)
	}
	if s := subnets["subnet-0a1b2c3d4e5f60002"]; s.VPC != vpcs["virtual-lab"].ID || s.CIDR != "10.0.1.0/24" {
		t.Errorf("the WorkSpaces' subnet = %+v, want 10.0.1.0/24 (their addresses are 10.0.1.5 and .6)", s)
	}
	if g := groups["sg-0a1b2c3d4e5f60001"]; g.VPC != vpcs["virtual-lab"].ID {
		t.Errorf("the AppStream fleets' group = %+v", g)
	}
}

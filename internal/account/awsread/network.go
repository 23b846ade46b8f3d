package awsread

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sortie-dev/sortie/internal/account"
)

// networkReader is what the network estate is read from, live or offline.
// As with reader, every method returns the SDK's output type, whole (all
// pages), so that one conversion serves both.
type networkReader interface {
	Identity(ctx context.Context) (*sts.GetCallerIdentityOutput, error)
	Regions(ctx context.Context) (*ec2.DescribeRegionsOutput, error)
	// covers returns an error when region cannot be read at all: an
	// offline export made for other regions has no directory for it.
	covers(region string) error
	VPCs(ctx context.Context, region string) (*ec2.DescribeVpcsOutput, error)
	Subnets(ctx context.Context, region string) (*ec2.DescribeSubnetsOutput, error)
	RouteTables(ctx context.Context, region string) (*ec2.DescribeRouteTablesOutput, error)
	InternetGateways(ctx context.Context, region string) (*ec2.DescribeInternetGatewaysOutput, error)
	NATGateways(ctx context.Context, region string) (*ec2.DescribeNatGatewaysOutput, error)
	SecurityGroups(ctx context.Context, region string) (*ec2.DescribeSecurityGroupsOutput, error)
	NetworkACLs(ctx context.Context, region string) (*ec2.DescribeNetworkAclsOutput, error)
	PrefixLists(ctx context.Context, region string) (*ec2.DescribeManagedPrefixListsOutput, error)
	PrefixListEntries(ctx context.Context, region, id string) (*ec2.GetManagedPrefixListEntriesOutput, error)
	KeyPairs(ctx context.Context, region string) (*ec2.DescribeKeyPairsOutput, error)
	Addresses(ctx context.Context, region string) (*ec2.DescribeAddressesOutput, error)
	// OwnImages are the AMIs the account owns; ImagesByID those of ids
	// that still exist (a deregistered AMI is no error, only absent). The
	// offline export holds the instances' AMIs as the script found them,
	// so the answer may hold more than ids: the caller keeps what it asked.
	OwnImages(ctx context.Context, region string) (*ec2.DescribeImagesOutput, error)
	ImagesByID(ctx context.Context, region string, ids []string) (*ec2.DescribeImagesOutput, error)
	Instances(ctx context.Context, region string) (*ec2.DescribeInstancesOutput, error)
	Volumes(ctx context.Context, region string) (*ec2.DescribeVolumesOutput, error)
	LoadBalancers(ctx context.Context, region string) (*elb.DescribeLoadBalancersOutput, error)
	TargetGroups(ctx context.Context, region string) (*elb.DescribeTargetGroupsOutput, error)
	// Listeners and TargetHealth are read per load balancer and target
	// group; names are unique per region and account, and name the
	// offline files.
	Listeners(ctx context.Context, region, lbName, lbARN string) (*elb.DescribeListenersOutput, error)
	TargetHealth(ctx context.Context, region, tgName, tgARN string) (*elb.DescribeTargetHealthOutput, error)
}

var (
	_ networkReader = (*Live)(nil)
	_ networkReader = (*Offline)(nil)
)

// Network reads the account's network estate — VPCs and what is in them,
// down to the machines, their disks and the load balancers — in
// opts.Regions (all enabled regions when empty). The inventory it returns
// holds Account, Source, Regions, Network and Problems only: a call the
// credentials may not make is a problem line, never an error. A region the
// account has not enabled is ErrUnknownRegion. opts.Deep is ignored.
func (l *Live) Network(ctx context.Context, opts Options) (*account.Inventory, error) {
	return readNetwork(ctx, l, l.source, opts)
}

// Network reads the network estate from the export; a file it lacks is a
// problem line, and a region the export was not made for is one line for
// the region.
func (o *Offline) Network(ctx context.Context, opts Options) (*account.Inventory, error) {
	return readNetwork(ctx, o, "offline ("+o.dir+")", opts)
}

func readNetwork(ctx context.Context, r networkReader, source string, opts Options) (*account.Inventory, error) {
	inv := &account.Inventory{Source: source, Network: &account.Network{}}
	problem := func(service, region string, err error) {
		inv.Problems = append(inv.Problems, account.Problem{Service: service, Region: region, Error: problemText(err)})
	}
	if err := identify(ctx, r, inv, opts, problem); err != nil {
		return nil, err
	}
	for _, region := range inv.Regions {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := r.covers(region); err != nil {
			problem("ec2", region, err)
			continue
		}
		readRegionNetwork(ctx, r, inv.Network, region, problem)
	}
	return inv, ctx.Err()
}

// identify reads the account ID and the regions to read: opts.Regions,
// each of which must be enabled, or every enabled region.
func identify(ctx context.Context, r interface {
	Identity(ctx context.Context) (*sts.GetCallerIdentityOutput, error)
	Regions(ctx context.Context) (*ec2.DescribeRegionsOutput, error)
}, inv *account.Inventory, opts Options, problem func(string, string, error)) error {
	if id, err := r.Identity(ctx); err != nil {
		problem("sts", "", err)
	} else {
		inv.Account = aws.ToString(id.Account)
	}
	var enabled []string
	if out, err := r.Regions(ctx); err != nil {
		problem("ec2 (regions)", "", err)
	} else {
		for _, reg := range out.Regions {
			if s := aws.ToString(reg.OptInStatus); s == "" || s == "opt-in-not-required" || s == "opted-in" {
				enabled = append(enabled, aws.ToString(reg.RegionName))
			}
		}
	}
	slices.Sort(enabled)
	switch {
	case len(opts.Regions) > 0:
		for _, want := range opts.Regions {
			if len(enabled) > 0 && !slices.Contains(enabled, want) {
				return fmt.Errorf("%w %q: not among the account's enabled regions (%s); check --regions", ErrUnknownRegion, want, strings.Join(enabled, ", "))
			}
		}
		inv.Regions = slices.Clone(opts.Regions)
	case len(enabled) > 0:
		inv.Regions = enabled
	default:
		inv.Regions = []string{"us-east-1"}
	}
	return nil
}

// nameTag returns the Name tag's value, "" when untagged.
func nameTag(tags []ec2types.Tag) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == "Name" {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// readRegionNetwork reads region's estate into n. Each list is sorted by
// ID (by name for key pairs, load balancers and target groups), so that
// the same account reads the same whatever order AWS answers in.
func readRegionNetwork(ctx context.Context, r networkReader, n *account.Network, region string, problem func(string, string, error)) {
	var vpcs []account.VPC
	if out, err := r.VPCs(ctx, region); err != nil {
		problem("ec2 (vpcs)", region, err)
	} else {
		for _, v := range out.Vpcs {
			vpcs = append(vpcs, convertVPC(v, region))
		}
	}
	n.VPCs = append(n.VPCs, sortedBy(vpcs, func(v account.VPC) string { return v.ID })...)

	var subnets []account.Subnet
	if out, err := r.Subnets(ctx, region); err != nil {
		problem("ec2 (subnets)", region, err)
	} else {
		for _, s := range out.Subnets {
			sn := account.Subnet{ID: aws.ToString(s.SubnetId), Region: region, VPC: aws.ToString(s.VpcId), Name: nameTag(s.Tags),
				Zone: aws.ToString(s.AvailabilityZone), CIDR: aws.ToString(s.CidrBlock), MapPublicIP: aws.ToBool(s.MapPublicIpOnLaunch)}
			for _, a := range s.Ipv6CidrBlockAssociationSet {
				if a.Ipv6CidrBlockState == nil || strings.EqualFold(string(a.Ipv6CidrBlockState.State), string(ec2types.SubnetCidrBlockStateCodeAssociated)) {
					sn.IPv6CIDR = aws.ToString(a.Ipv6CidrBlock)
					break
				}
			}
			subnets = append(subnets, sn)
		}
	}
	n.Subnets = append(n.Subnets, sortedBy(subnets, func(s account.Subnet) string { return s.ID })...)

	var tables []account.RouteTable
	var routePrefixLists []string
	if out, err := r.RouteTables(ctx, region); err != nil {
		problem("ec2 (route tables)", region, err)
	} else {
		for _, t := range out.RouteTables {
			rt := account.RouteTable{ID: aws.ToString(t.RouteTableId), Region: region, VPC: aws.ToString(t.VpcId), Name: nameTag(t.Tags)}
			for _, a := range t.Associations {
				if aws.ToBool(a.Main) {
					rt.Main = true
				}
				if s := aws.ToString(a.SubnetId); s != "" {
					rt.Subnets = append(rt.Subnets, s)
				}
			}
			slices.Sort(rt.Subnets)
			for _, route := range t.Routes {
				rt.Routes = append(rt.Routes, convertRoute(route))
				if pl := aws.ToString(route.DestinationPrefixListId); pl != "" {
					routePrefixLists = append(routePrefixLists, pl)
				}
			}
			tables = append(tables, rt)
		}
	}
	n.RouteTables = append(n.RouteTables, sortedBy(tables, func(t account.RouteTable) string { return t.ID })...)

	var gateways []account.Gateway
	if out, err := r.InternetGateways(ctx, region); err != nil {
		problem("ec2 (internet gateways)", region, err)
	} else {
		for _, g := range out.InternetGateways {
			gw := account.Gateway{ID: aws.ToString(g.InternetGatewayId), Region: region, Kind: "internet", Name: nameTag(g.Tags)}
			for _, a := range g.Attachments {
				// "available" is what AWS says of an attached internet gateway.
				if a.State == ec2types.AttachmentStatusAttached || a.State == "available" {
					gw.VPC = aws.ToString(a.VpcId)
				}
			}
			gateways = append(gateways, gw)
		}
	}
	if out, err := r.NATGateways(ctx, region); err != nil {
		problem("ec2 (nat gateways)", region, err)
	} else {
		for _, g := range out.NatGateways {
			// Deleted and failed gateways stay listed for a while; they
			// route nothing.
			if g.State == ec2types.NatGatewayStateDeleted || g.State == ec2types.NatGatewayStateDeleting || g.State == ec2types.NatGatewayStateFailed {
				continue
			}
			gw := account.Gateway{ID: aws.ToString(g.NatGatewayId), Region: region, Kind: "nat", VPC: aws.ToString(g.VpcId),
				Name: nameTag(g.Tags), Subnet: aws.ToString(g.SubnetId), Private: g.ConnectivityType == ec2types.ConnectivityTypePrivate}
			for _, a := range g.NatGatewayAddresses {
				if ip := aws.ToString(a.PublicIp); ip != "" && (gw.PublicIP == "" || aws.ToBool(a.IsPrimary)) {
					gw.PublicIP = ip
				}
			}
			gateways = append(gateways, gw)
		}
	}
	n.Gateways = append(n.Gateways, sortedBy(gateways, func(g account.Gateway) string { return g.ID })...)

	var groups []account.SecurityGroup
	var rulePrefixLists []string
	if out, err := r.SecurityGroups(ctx, region); err != nil {
		problem("ec2 (security groups)", region, err)
	} else {
		for _, g := range out.SecurityGroups {
			sg := account.SecurityGroup{ID: aws.ToString(g.GroupId), Region: region, VPC: aws.ToString(g.VpcId), Owner: aws.ToString(g.OwnerId),
				Name: aws.ToString(g.GroupName), Description: aws.ToString(g.Description), Tag: nameTag(g.Tags)}
			for _, p := range g.IpPermissions {
				sg.Ingress = append(sg.Ingress, convertPermission(p))
			}
			for _, p := range g.IpPermissionsEgress {
				sg.Egress = append(sg.Egress, convertPermission(p))
			}
			for _, rule := range slices.Concat(sg.Ingress, sg.Egress) {
				rulePrefixLists = append(rulePrefixLists, rule.PrefixLists...)
			}
			groups = append(groups, sg)
		}
	}
	n.SecurityGroups = append(n.SecurityGroups, sortedBy(groups, func(g account.SecurityGroup) string { return g.ID })...)

	var acls []account.NetworkACL
	if out, err := r.NetworkACLs(ctx, region); err != nil {
		problem("ec2 (network acls)", region, err)
	} else {
		for _, a := range out.NetworkAcls {
			acl := account.NetworkACL{ID: aws.ToString(a.NetworkAclId), Region: region, VPC: aws.ToString(a.VpcId), Name: nameTag(a.Tags), Default: aws.ToBool(a.IsDefault)}
			for _, as := range a.Associations {
				if s := aws.ToString(as.SubnetId); s != "" {
					acl.Subnets = append(acl.Subnets, s)
				}
			}
			slices.Sort(acl.Subnets)
			for _, e := range a.Entries {
				acl.Entries = append(acl.Entries, convertACLEntry(e))
			}
			// Ingress first, then egress, each in the order AWS evaluates.
			slices.SortStableFunc(acl.Entries, func(x, y account.ACLEntry) int {
				if x.Egress != y.Egress {
					if x.Egress {
						return 1
					}
					return -1
				}
				return cmp.Compare(x.Number, y.Number)
			})
			acls = append(acls, acl)
		}
	}
	n.NetworkACLs = append(n.NetworkACLs, sortedBy(acls, func(a account.NetworkACL) string { return a.ID })...)

	n.PrefixLists = append(n.PrefixLists, readPrefixLists(ctx, r, region, slices.Concat(rulePrefixLists, routePrefixLists), problem)...)

	var keys []account.KeyPair
	if out, err := r.KeyPairs(ctx, region); err != nil {
		problem("ec2 (key pairs)", region, err)
	} else {
		for _, k := range out.KeyPairs {
			keys = append(keys, account.KeyPair{Name: aws.ToString(k.KeyName), ID: aws.ToString(k.KeyPairId), Region: region,
				Type: string(k.KeyType), PublicKey: aws.ToString(k.PublicKey)})
		}
	}
	n.KeyPairs = append(n.KeyPairs, sortedBy(keys, func(k account.KeyPair) string { return k.Name })...)

	var addrs []account.Address
	if out, err := r.Addresses(ctx, region); err != nil {
		problem("ec2 (addresses)", region, err)
	} else {
		for _, a := range out.Addresses {
			addrs = append(addrs, account.Address{AllocationID: aws.ToString(a.AllocationId), Region: region, Name: nameTag(a.Tags),
				PublicIP: aws.ToString(a.PublicIp), Instance: aws.ToString(a.InstanceId), Interface: aws.ToString(a.NetworkInterfaceId),
				PrivateIP: aws.ToString(a.PrivateIpAddress)})
		}
	}
	n.Addresses = append(n.Addresses, sortedBy(addrs, func(a account.Address) string { return a.AllocationID + " " + a.PublicIP })...)

	machines, imageIDs := readMachines(ctx, r, region, problem)
	n.Machines = append(n.Machines, machines...)
	n.Images = append(n.Images, readImages(ctx, r, region, imageIDs, problem)...)

	lbs, tgs := readLoadBalancing(ctx, r, region, problem)
	n.LoadBalancers = append(n.LoadBalancers, lbs...)
	n.TargetGroups = append(n.TargetGroups, tgs...)
}

func sortedBy[T any](s []T, key func(T) string) []T {
	slices.SortStableFunc(s, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	return s
}

func convertVPC(v ec2types.Vpc, region string) account.VPC {
	vpc := account.VPC{ID: aws.ToString(v.VpcId), Region: region, Name: nameTag(v.Tags), Default: aws.ToBool(v.IsDefault)}
	// "default" is AWS's name for no option set at all.
	if d := aws.ToString(v.DhcpOptionsId); d != "default" {
		vpc.DHCPOptions = d
	}
	if c := aws.ToString(v.CidrBlock); c != "" {
		vpc.CIDRs = append(vpc.CIDRs, c)
	}
	for _, a := range v.CidrBlockAssociationSet {
		c := aws.ToString(a.CidrBlock)
		if !associated(a.CidrBlockState) || slices.Contains(vpc.CIDRs, c) {
			continue
		}
		vpc.CIDRs = append(vpc.CIDRs, c)
	}
	for _, a := range v.Ipv6CidrBlockAssociationSet {
		if !associated(a.Ipv6CidrBlockState) {
			continue
		}
		vpc.IPv6CIDRs = append(vpc.IPv6CIDRs, aws.ToString(a.Ipv6CidrBlock))
	}
	return vpc
}

// associated reports whether a VPC's CIDR block is in use; aws-cli's own
// examples print the state in capitals, the API in lower case.
func associated(s *ec2types.VpcCidrBlockState) bool {
	return s == nil || strings.EqualFold(string(s.State), string(ec2types.VpcCidrBlockStateCodeAssociated))
}

// convertRoute names what a route leads to. An instance's route names its
// network interface too; the interface is the exact next hop, so it wins.
func convertRoute(r ec2types.Route) account.Route {
	rt := account.Route{Destination: aws.ToString(r.DestinationCidrBlock), Blackhole: r.State == ec2types.RouteStateBlackhole}
	if rt.Destination == "" {
		rt.Destination = aws.ToString(r.DestinationIpv6CidrBlock)
	}
	if rt.Destination == "" {
		rt.Destination = aws.ToString(r.DestinationPrefixListId)
	}
	gw := aws.ToString(r.GatewayId)
	set := func(target string, id *string) { rt.Target, rt.TargetID = target, aws.ToString(id) }
	switch {
	case gw == "local":
		rt.Target = "local"
	case strings.HasPrefix(gw, "igw-"):
		set("internet-gateway", r.GatewayId)
	case strings.HasPrefix(gw, "vgw-"):
		set("vpn-gateway", r.GatewayId)
	case strings.HasPrefix(gw, "vpce-"):
		set("vpc-endpoint", r.GatewayId)
	case r.NatGatewayId != nil:
		set("nat-gateway", r.NatGatewayId)
	case r.NetworkInterfaceId != nil:
		set("network-interface", r.NetworkInterfaceId)
	case r.InstanceId != nil:
		set("instance", r.InstanceId)
	case r.VpcPeeringConnectionId != nil:
		set("peering", r.VpcPeeringConnectionId)
	case r.TransitGatewayId != nil:
		set("transit-gateway", r.TransitGatewayId)
	case r.EgressOnlyInternetGatewayId != nil:
		set("egress-only-internet-gateway", r.EgressOnlyInternetGatewayId)
	case r.CarrierGatewayId != nil:
		set("carrier-gateway", r.CarrierGatewayId)
	case r.LocalGatewayId != nil:
		set("local-gateway", r.LocalGatewayId)
	case r.CoreNetworkArn != nil:
		set("core-network", r.CoreNetworkArn)
	case r.OdbNetworkArn != nil:
		set("odb-network", r.OdbNetworkArn)
	case r.IpAddress != nil:
		set("route-server", r.IpAddress)
	case gw != "":
		set("gateway", r.GatewayId)
	}
	return rt
}

// convertPermission turns one IpPermission into one rule, as AWS gives it:
// ports absent (protocol -1) are 0.
func convertPermission(p ec2types.IpPermission) account.SGRule {
	rule := account.SGRule{Protocol: aws.ToString(p.IpProtocol), FromPort: aws.ToInt32(p.FromPort), ToPort: aws.ToInt32(p.ToPort)}
	for _, r := range p.IpRanges {
		rule.CIDRs = append(rule.CIDRs, aws.ToString(r.CidrIp))
	}
	for _, r := range p.Ipv6Ranges {
		rule.IPv6CIDRs = append(rule.IPv6CIDRs, aws.ToString(r.CidrIpv6))
	}
	for _, g := range p.UserIdGroupPairs {
		rule.Groups = append(rule.Groups, account.GroupRef{ID: aws.ToString(g.GroupId), Owner: aws.ToString(g.UserId), Peering: aws.ToString(g.VpcPeeringConnectionId)})
	}
	for _, pl := range p.PrefixListIds {
		rule.PrefixLists = append(rule.PrefixLists, aws.ToString(pl.PrefixListId))
	}
	return rule
}

// convertACLEntry keeps AWS's protocol number ("-1", "6", "17", "1", "58");
// an ICMP entry's type and code go in FromPort and ToPort, as for rules.
func convertACLEntry(e ec2types.NetworkAclEntry) account.ACLEntry {
	entry := account.ACLEntry{Number: aws.ToInt32(e.RuleNumber), Egress: aws.ToBool(e.Egress), Protocol: aws.ToString(e.Protocol),
		Action: string(e.RuleAction), CIDR: aws.ToString(e.CidrBlock), IPv6CIDR: aws.ToString(e.Ipv6CidrBlock)}
	switch {
	case e.IcmpTypeCode != nil && (entry.Protocol == "1" || entry.Protocol == "58"):
		entry.FromPort, entry.ToPort = aws.ToInt32(e.IcmpTypeCode.Type), aws.ToInt32(e.IcmpTypeCode.Code)
	case e.PortRange != nil:
		entry.FromPort, entry.ToPort = aws.ToInt32(e.PortRange.From), aws.ToInt32(e.PortRange.To)
	}
	return entry
}

// readPrefixLists returns the customer-managed prefix lists that rules or
// routes name, with their entries. AWS-managed lists (com.amazonaws.…)
// are left out: their entries are AWS's addresses, which another cloud
// cannot reach the same way; the rules still name them.
func readPrefixLists(ctx context.Context, r networkReader, region string, referenced []string, problem func(string, string, error)) []account.PrefixList {
	if len(referenced) == 0 {
		return nil
	}
	out, err := r.PrefixLists(ctx, region)
	if err != nil {
		problem("ec2 (prefix lists)", region, err)
		return nil
	}
	var lists []account.PrefixList
	for _, p := range out.PrefixLists {
		id := aws.ToString(p.PrefixListId)
		if aws.ToString(p.OwnerId) == "AWS" || !slices.Contains(referenced, id) {
			continue
		}
		pl := account.PrefixList{ID: id, Region: region, Name: aws.ToString(p.PrefixListName), Family: aws.ToString(p.AddressFamily)}
		entries, err := r.PrefixListEntries(ctx, region, id)
		if err != nil {
			problem("ec2 (prefix list entries)", region, fmt.Errorf("prefix list %s: %s", id, problemText(err)))
			continue
		}
		for _, e := range entries.Entries {
			pl.Entries = append(pl.Entries, aws.ToString(e.Cidr))
		}
		lists = append(lists, pl)
	}
	return sortedBy(lists, func(p account.PrefixList) string { return p.ID })
}

// readMachines reads the instances (all but terminated ones) with their
// disks' sizes, and returns the AMIs they run.
func readMachines(ctx context.Context, r networkReader, region string, problem func(string, string, error)) ([]account.Machine, []string) {
	out, err := r.Instances(ctx, region)
	if err != nil {
		problem("ec2", region, err)
		return nil, nil
	}
	volumes := map[string]ec2types.Volume{}
	if vols, err := r.Volumes(ctx, region); err != nil {
		// The disks are still listed, their sizes 0: unknown.
		problem("ec2 (volumes)", region, err)
	} else {
		for _, v := range vols.Volumes {
			volumes[aws.ToString(v.VolumeId)] = v
		}
	}
	var machines []account.Machine
	var images []string
	for _, res := range out.Reservations {
		for _, in := range res.Instances {
			if in.State != nil && in.State.Name == ec2types.InstanceStateNameTerminated {
				continue
			}
			m := convertMachine(in, region, volumes)
			machines = append(machines, m)
			if m.Image != "" && !slices.Contains(images, m.Image) {
				images = append(images, m.Image)
			}
		}
	}
	slices.Sort(images)
	return sortedBy(machines, func(m account.Machine) string { return m.ID }), images
}

// convertMachine converts one instance. User data is not in
// DescribeInstances' answer (it takes DescribeInstanceAttribute per
// instance, and would copy secrets into an export), so UserData stays
// false: unknown.
func convertMachine(in ec2types.Instance, region string, volumes map[string]ec2types.Volume) account.Machine {
	m := account.Machine{ID: aws.ToString(in.InstanceId), Region: region, Name: nameTag(in.Tags), Type: string(in.InstanceType),
		Platform: aws.ToString(in.PlatformDetails), Image: aws.ToString(in.ImageId), KeyName: aws.ToString(in.KeyName),
		RootDevice: aws.ToString(in.RootDeviceName)}
	if in.State != nil {
		m.State = string(in.State.Name)
	}
	if p := in.Placement; p != nil {
		m.Zone, m.PlacementGroup, m.Tenancy = aws.ToString(p.AvailabilityZone), aws.ToString(p.GroupName), string(p.Tenancy)
	}
	if in.IamInstanceProfile != nil {
		m.IAMProfile = aws.ToString(in.IamInstanceProfile.Arn)
	}
	type ordered struct {
		card, device int32
		iface        account.Interface
	}
	var ifaces []ordered
	for _, ni := range in.NetworkInterfaces {
		iface := account.Interface{ID: aws.ToString(ni.NetworkInterfaceId), Subnet: aws.ToString(ni.SubnetId)}
		ips := slices.Clone(ni.PrivateIpAddresses)
		slices.SortStableFunc(ips, func(a, b ec2types.InstancePrivateIpAddress) int {
			switch pa, pb := aws.ToBool(a.Primary), aws.ToBool(b.Primary); {
			case pa && !pb:
				return -1
			case pb && !pa:
				return 1
			}
			return 0
		})
		for _, ip := range ips {
			iface.PrivateIPs = append(iface.PrivateIPs, aws.ToString(ip.PrivateIpAddress))
		}
		if len(iface.PrivateIPs) == 0 && ni.PrivateIpAddress != nil {
			iface.PrivateIPs = []string{aws.ToString(ni.PrivateIpAddress)}
		}
		for _, ip := range ni.Ipv6Addresses {
			iface.IPv6s = append(iface.IPv6s, aws.ToString(ip.Ipv6Address))
		}
		for _, g := range ni.Groups {
			iface.Groups = append(iface.Groups, aws.ToString(g.GroupId))
		}
		if ni.Association != nil {
			iface.PublicIP = aws.ToString(ni.Association.PublicIp)
		}
		// Absent means on, AWS's default.
		iface.NoSourceDestCheck = ni.SourceDestCheck != nil && !*ni.SourceDestCheck
		o := ordered{iface: iface}
		if a := ni.Attachment; a != nil {
			o.card, o.device = aws.ToInt32(a.NetworkCardIndex), aws.ToInt32(a.DeviceIndex)
		}
		ifaces = append(ifaces, o)
	}
	slices.SortStableFunc(ifaces, func(a, b ordered) int {
		return cmp.Or(cmp.Compare(a.device, b.device), cmp.Compare(a.card, b.card))
	})
	for _, o := range ifaces {
		m.Interfaces = append(m.Interfaces, o.iface)
	}
	for _, bd := range in.BlockDeviceMappings {
		if bd.Ebs == nil {
			continue
		}
		d := account.Disk{Device: aws.ToString(bd.DeviceName), Volume: aws.ToString(bd.Ebs.VolumeId),
			Root: aws.ToString(bd.DeviceName) == m.RootDevice, DeleteOnTermination: aws.ToBool(bd.Ebs.DeleteOnTermination)}
		if v, ok := volumes[d.Volume]; ok {
			d.GiB, d.Type = int64(aws.ToInt32(v.Size)), string(v.VolumeType)
		}
		m.Disks = append(m.Disks, d)
	}
	slices.SortStableFunc(m.Disks, func(a, b account.Disk) int {
		if a.Root != b.Root {
			if a.Root {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Device, b.Device)
	})
	return m
}

// readImages returns the AMIs the account owns and those its machines run
// (which may be public or shared), each once.
func readImages(ctx context.Context, r networkReader, region string, used []string, problem func(string, string, error)) []account.Image {
	seen := map[string]bool{}
	var images []account.Image
	add := func(img ec2types.Image) {
		id := aws.ToString(img.ImageId)
		if seen[id] {
			return
		}
		seen[id] = true
		images = append(images, account.Image{ID: id, Region: region, Name: aws.ToString(img.Name), Platform: aws.ToString(img.PlatformDetails), Owner: aws.ToString(img.OwnerId)})
	}
	if out, err := r.OwnImages(ctx, region); err != nil {
		problem("ec2 (images)", region, err)
	} else {
		for _, img := range out.Images {
			add(img)
		}
	}
	if len(used) > 0 {
		if out, err := r.ImagesByID(ctx, region, used); err != nil {
			problem("ec2 (images in use)", region, err)
		} else {
			for _, img := range out.Images {
				if slices.Contains(used, aws.ToString(img.ImageId)) {
					add(img)
				}
			}
		}
	}
	return sortedBy(images, func(i account.Image) string { return i.ID })
}

func readLoadBalancing(ctx context.Context, r networkReader, region string, problem func(string, string, error)) ([]account.LoadBalancer, []account.TargetGroup) {
	var lbs []account.LoadBalancer
	if out, err := r.LoadBalancers(ctx, region); err != nil {
		problem("elbv2 (load balancers)", region, err)
	} else {
		for _, l := range out.LoadBalancers {
			lb := account.LoadBalancer{ARN: aws.ToString(l.LoadBalancerArn), Region: region, Name: aws.ToString(l.LoadBalancerName),
				Type: string(l.Type), Scheme: string(l.Scheme), VPC: aws.ToString(l.VpcId), SecurityGroups: l.SecurityGroups}
			for _, z := range l.AvailabilityZones {
				lb.Subnets = append(lb.Subnets, aws.ToString(z.SubnetId))
			}
			slices.Sort(lb.Subnets)
			ls, err := r.Listeners(ctx, region, lb.Name, lb.ARN)
			if err != nil {
				problem("elbv2 (listeners)", region, fmt.Errorf("load balancer %s: %s", lb.Name, problemText(err)))
			} else {
				for _, li := range ls.Listeners {
					lb.Listeners = append(lb.Listeners, convertListener(li))
				}
				slices.SortStableFunc(lb.Listeners, func(a, b account.Listener) int {
					return cmp.Or(cmp.Compare(a.Port, b.Port), strings.Compare(a.Protocol, b.Protocol))
				})
			}
			lbs = append(lbs, lb)
		}
	}
	var tgs []account.TargetGroup
	if out, err := r.TargetGroups(ctx, region); err != nil {
		problem("elbv2 (target groups)", region, err)
	} else {
		for _, g := range out.TargetGroups {
			tg := account.TargetGroup{ARN: aws.ToString(g.TargetGroupArn), Region: region, Name: aws.ToString(g.TargetGroupName),
				Protocol: string(g.Protocol), Port: aws.ToInt32(g.Port), VPC: aws.ToString(g.VpcId), TargetType: string(g.TargetType),
				HealthProtocol: string(g.HealthCheckProtocol), HealthPath: aws.ToString(g.HealthCheckPath), HealthPort: aws.ToString(g.HealthCheckPort)}
			h, err := r.TargetHealth(ctx, region, tg.Name, tg.ARN)
			if err != nil {
				problem("elbv2 (target health)", region, fmt.Errorf("target group %s: %s", tg.Name, problemText(err)))
			} else {
				for _, d := range h.TargetHealthDescriptions {
					if d.Target != nil {
						tg.Targets = append(tg.Targets, aws.ToString(d.Target.Id))
					}
				}
				slices.Sort(tg.Targets)
			}
			tgs = append(tgs, tg)
		}
	}
	return sortedBy(lbs, func(l account.LoadBalancer) string { return l.Name }), sortedBy(tgs, func(t account.TargetGroup) string { return t.Name })
}

// convertListener reads the default action that ends the chain (the last
// by Order: authentication actions come before it).
func convertListener(l elbtypes.Listener) account.Listener {
	li := account.Listener{ARN: aws.ToString(l.ListenerArn), Protocol: string(l.Protocol), Port: aws.ToInt32(l.Port), Certificates: len(l.Certificates)}
	actions := slices.Clone(l.DefaultActions)
	slices.SortStableFunc(actions, func(a, b elbtypes.Action) int { return cmp.Compare(aws.ToInt32(a.Order), aws.ToInt32(b.Order)) })
	if len(actions) == 0 {
		return li
	}
	last := actions[len(actions)-1]
	li.Action = string(last.Type)
	if last.Type == elbtypes.ActionTypeEnumForward {
		switch {
		case last.ForwardConfig != nil && len(last.ForwardConfig.TargetGroups) == 1:
			li.Forward = aws.ToString(last.ForwardConfig.TargetGroups[0].TargetGroupArn)
		case last.ForwardConfig != nil && len(last.ForwardConfig.TargetGroups) > 1:
			// Weighted between several groups: no single one.
		default:
			li.Forward = aws.ToString(last.TargetGroupArn)
		}
	}
	return li
}

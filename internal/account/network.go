package account

// Network is an account's EC2 estate beyond counts: what a landing zone
// rebuilds in another cloud. Every item carries its region; names are the
// AWS Name tags ("" when untagged).
type Network struct {
	VPCs           []VPC           `json:"vpcs"`
	Subnets        []Subnet        `json:"subnets"`
	RouteTables    []RouteTable    `json:"route_tables"`
	Gateways       []Gateway       `json:"gateways"`
	SecurityGroups []SecurityGroup `json:"security_groups"`
	NetworkACLs    []NetworkACL    `json:"network_acls"`
	PrefixLists    []PrefixList    `json:"prefix_lists"`
	KeyPairs       []KeyPair       `json:"key_pairs"`
	Addresses      []Address       `json:"addresses"`
	Images         []Image         `json:"images"`
	Machines       []Machine       `json:"machines"`
	LoadBalancers  []LoadBalancer  `json:"load_balancers"`
	TargetGroups   []TargetGroup   `json:"target_groups"`
}

// VPC is an EC2 virtual private cloud.
type VPC struct {
	ID      string `json:"id"`
	Region  string `json:"region"`
	Name    string `json:"name,omitempty"`
	Default bool   `json:"default,omitempty"`
	// CIDRs are its IPv4 blocks, the primary first; IPv6CIDRs its IPv6
	// blocks.
	CIDRs     []string `json:"cidrs"`
	IPv6CIDRs []string `json:"ipv6_cidrs,omitempty"`
	// DHCPOptions is the ID of its DHCP option set ("" for none: AWS
	// calls that set "default").
	DHCPOptions string `json:"dhcp_options,omitempty"`
}

// Subnet is a VPC subnet.
type Subnet struct {
	ID     string `json:"id"`
	Region string `json:"region"`
	VPC    string `json:"vpc"`
	Name   string `json:"name,omitempty"`
	Zone   string `json:"availability_zone"`
	CIDR   string `json:"cidr"`
	// IPv6CIDR is its IPv6 block, "" for none.
	IPv6CIDR string `json:"ipv6_cidr,omitempty"`
	// MapPublicIP says instances launched in it get a public address.
	MapPublicIP bool `json:"map_public_ip,omitempty"`
}

// RouteTable is a VPC route table and the subnets it serves.
type RouteTable struct {
	ID      string   `json:"id"`
	Region  string   `json:"region"`
	VPC     string   `json:"vpc"`
	Name    string   `json:"name,omitempty"`
	Main    bool     `json:"main,omitempty"` // serves the VPC's subnets that no other table names
	Subnets []string `json:"subnets,omitempty"`
	Routes  []Route  `json:"routes"`
}

// Route is one route of a table.
type Route struct {
	// Destination is an IPv4 or IPv6 CIDR, or a prefix list ID (pl-…).
	Destination string `json:"destination"`
	// Target is what the route leads to: "local", "internet-gateway",
	// "nat-gateway", "instance", "network-interface", "peering",
	// "transit-gateway", "vpn-gateway", "vpc-endpoint",
	// "egress-only-internet-gateway", "carrier-gateway",
	// "local-gateway", "core-network" (Cloud WAN, TargetID its ARN),
	// "odb-network", "route-server" (TargetID the next hop's IP), or
	// "gateway" for a gateway ID of a kind not named here; TargetID its ID
	// ("" for local). A route to an instance names the instance's network
	// interface too; it is then "network-interface", the exact next hop.
	Target   string `json:"target"`
	TargetID string `json:"target_id,omitempty"`
	// Blackhole says the target no longer exists.
	Blackhole bool `json:"blackhole,omitempty"`
}

// Gateway is an internet or NAT gateway.
type Gateway struct {
	ID     string `json:"id"`
	Region string `json:"region"`
	Kind   string `json:"kind"` // "internet", "nat"
	VPC    string `json:"vpc,omitempty"`
	Name   string `json:"name,omitempty"`
	// Subnet and PublicIP are a NAT gateway's; Private says it is a
	// private NAT gateway (no public address).
	Subnet   string `json:"subnet,omitempty"`
	PublicIP string `json:"public_ip,omitempty"`
	Private  bool   `json:"private,omitempty"`
}

// SecurityGroup is a VPC security group with its rules.
type SecurityGroup struct {
	ID          string   `json:"id"`
	Region      string   `json:"region"`
	VPC         string   `json:"vpc"`
	Owner       string   `json:"owner"` // account ID
	Name        string   `json:"name"`  // the group name, not a tag
	Description string   `json:"description,omitempty"`
	Tag         string   `json:"name_tag,omitempty"`
	Ingress     []SGRule `json:"ingress"`
	Egress      []SGRule `json:"egress"`
}

// SGRule is one IpPermission of a security group: a protocol and port
// range, and every source (or, for egress, destination) it allows.
type SGRule struct {
	// Protocol is "-1" (all), "tcp", "udp", "icmp", "icmpv6", or an IP
	// protocol number as text.
	Protocol string `json:"protocol"`
	// FromPort and ToPort bound the ports, for tcp and udp; for icmp and
	// icmpv6 they are the type and code (-1: any). Both are -1, or absent
	// (0), where the protocol has none.
	FromPort int32 `json:"from_port"`
	ToPort   int32 `json:"to_port"`
	// CIDRs, IPv6CIDRs, Groups and PrefixLists are the peers the rule
	// allows.
	CIDRs       []string   `json:"cidrs,omitempty"`
	IPv6CIDRs   []string   `json:"ipv6_cidrs,omitempty"`
	Groups      []GroupRef `json:"groups,omitempty"`
	PrefixLists []string   `json:"prefix_lists,omitempty"`
}

// GroupRef is a security group a rule names as its peer.
type GroupRef struct {
	ID    string `json:"id"`
	Owner string `json:"owner,omitempty"` // account ID, when given
	// Peering is the VPC peering connection it is reached through, "" for
	// a group of the same VPC.
	Peering string `json:"peering,omitempty"`
}

// NetworkACL is a VPC network ACL: stateless rules per subnet.
type NetworkACL struct {
	ID      string     `json:"id"`
	Region  string     `json:"region"`
	VPC     string     `json:"vpc"`
	Name    string     `json:"name,omitempty"`
	Default bool       `json:"default,omitempty"`
	Subnets []string   `json:"subnets,omitempty"`
	Entries []ACLEntry `json:"entries"`
}

// ACLEntry is one rule of a network ACL. A NetworkACL lists its ingress
// entries first, then its egress ones, each by rule number: the order AWS
// evaluates them in.
type ACLEntry struct {
	Number int32 `json:"rule_number"`
	Egress bool  `json:"egress,omitempty"`
	// Protocol is as AWS gives it: "-1" (all) or an IP protocol number
	// ("6" tcp, "17" udp, "1" icmp, "58" icmpv6).
	Protocol string `json:"protocol"`
	Action   string `json:"action"` // allow, deny
	CIDR     string `json:"cidr,omitempty"`
	IPv6CIDR string `json:"ipv6_cidr,omitempty"`
	// FromPort and ToPort bound the ports for tcp and udp; for icmp and
	// icmpv6 they are the ICMP type and code (-1: any), as in SGRule. Both
	// are 0 where the protocol has none.
	FromPort int32 `json:"from_port,omitempty"`
	ToPort   int32 `json:"to_port,omitempty"`
}

// PrefixList is a customer-managed prefix list that a rule or a route
// names, with its entries. AWS-managed lists (com.amazonaws.REGION.s3…)
// are not listed: rules and routes still name them by ID.
type PrefixList struct {
	ID      string   `json:"id"`
	Region  string   `json:"region"`
	Name    string   `json:"name"`
	Family  string   `json:"address_family"` // IPv4, IPv6
	Entries []string `json:"entries"`
}

// KeyPair is an EC2 key pair; PublicKey is "" when AWS did not return it
// (describe-key-pairs without --include-public-key, or an old key).
type KeyPair struct {
	Name      string `json:"name"`
	ID        string `json:"id,omitempty"`
	Region    string `json:"region"`
	Type      string `json:"type,omitempty"` // rsa, ed25519
	PublicKey string `json:"public_key,omitempty"`
}

// Address is an Elastic IP; Instance and Interface are "" when it is not
// associated (a NAT gateway's address has an Interface and no Instance).
type Address struct {
	AllocationID string `json:"allocation_id"`
	Region       string `json:"region"`
	Name         string `json:"name,omitempty"`
	PublicIP     string `json:"public_ip"`
	Instance     string `json:"instance,omitempty"`
	Interface    string `json:"network_interface,omitempty"`
	PrivateIP    string `json:"private_ip,omitempty"`
}

// Image is an AMI the account owns or its instances run.
type Image struct {
	ID       string `json:"id"`
	Region   string `json:"region"`
	Name     string `json:"name,omitempty"`
	Platform string `json:"platform,omitempty"` // PlatformDetails
	Owner    string `json:"owner,omitempty"`
}

// Machine is an EC2 instance as a landing zone rebuilds it: where it sits,
// what guards it, what it boots from and what it carries. (Instance is the
// same instance as assess counts it.)
type Machine struct {
	ID       string `json:"id"`
	Region   string `json:"region"`
	Name     string `json:"name,omitempty"`
	Type     string `json:"type"`
	State    string `json:"state"`
	Platform string `json:"platform"` // PlatformDetails: Linux/UNIX, Windows…
	Image    string `json:"image"`
	KeyName  string `json:"key_name,omitempty"`
	Zone     string `json:"availability_zone,omitempty"`
	// Interfaces are its network interfaces, the primary (device 0) first.
	Interfaces []Interface `json:"interfaces"`
	// RootDevice is the device name of the root volume (/dev/xvda…).
	RootDevice string `json:"root_device,omitempty"`
	// Disks are its EBS volumes by device name; instance-store volumes
	// are not listed by AWS here, only counted by type.
	Disks []Disk `json:"disks"`
	// What has no OpenStack counterpart or needs a decision.
	IAMProfile     string `json:"iam_instance_profile,omitempty"`
	PlacementGroup string `json:"placement_group,omitempty"`
	Tenancy        string `json:"tenancy,omitempty"` // default, dedicated, host
	// UserData is not read, so always false: DescribeInstances does not
	// return it, and reading it (DescribeInstanceAttribute per instance)
	// would copy what are often secrets into the export. Treat it as
	// unknown.
	UserData bool `json:"user_data,omitempty"`
}

// Interface is one network interface of a machine.
type Interface struct {
	ID         string   `json:"id"`
	Subnet     string   `json:"subnet"`
	PrivateIPs []string `json:"private_ips"` // the primary first
	IPv6s      []string `json:"ipv6s,omitempty"`
	Groups     []string `json:"security_groups"`
	PublicIP   string   `json:"public_ip,omitempty"`
	// NoSourceDestCheck says AWS's source/destination check is off: the
	// interface may carry traffic that is neither from nor to its own
	// addresses (a router, NAT or VPN instance, often a route's target).
	NoSourceDestCheck bool `json:"no_source_dest_check,omitempty"`
}

// Disk is an EBS volume attached to a machine.
type Disk struct {
	Device string `json:"device"`
	Volume string `json:"volume"`
	// GiB and Type come from DescribeVolumes: 0 and "" when the volumes
	// could not be read (a problem line says so).
	GiB  int64  `json:"gib"`
	Type string `json:"type,omitempty"`
	Root bool   `json:"root,omitempty"`
	// DeleteOnTermination is AWS's setting for the attachment.
	DeleteOnTermination bool `json:"delete_on_termination,omitempty"`
}

// LoadBalancer is an Elastic Load Balancing v2 load balancer (ALB, NLB).
type LoadBalancer struct {
	ARN            string     `json:"arn"`
	Region         string     `json:"region"`
	Name           string     `json:"name"`
	Type           string     `json:"type"`   // application, network, gateway
	Scheme         string     `json:"scheme"` // internet-facing, internal
	VPC            string     `json:"vpc"`
	Subnets        []string   `json:"subnets"`
	SecurityGroups []string   `json:"security_groups,omitempty"`
	Listeners      []Listener `json:"listeners"`
}

// Listener is a load balancer's listener and where it forwards.
type Listener struct {
	ARN      string `json:"arn"`
	Protocol string `json:"protocol"` // HTTP, HTTPS, TCP, UDP, TLS…
	Port     int32  `json:"port"`
	// Forward is the target group its default action forwards to, ""
	// when the default action is not a single forward (redirect, fixed
	// response, several weighted groups).
	Forward string `json:"forward,omitempty"`
	// Action is the default action's type (forward, redirect, …).
	Action string `json:"action"`
	// Certificates counts the certificates DescribeListeners names: the
	// default one (ACM or IAM) of an HTTPS or TLS listener. Further SNI
	// certificates are listed by describe-listener-certificates, not read.
	Certificates int `json:"certificates,omitempty"`
}

// TargetGroup is a load balancer target group and its health check.
type TargetGroup struct {
	ARN        string `json:"arn"`
	Region     string `json:"region"`
	Name       string `json:"name"`
	Protocol   string `json:"protocol"`
	Port       int32  `json:"port"`
	VPC        string `json:"vpc"`
	TargetType string `json:"target_type"` // instance, ip, lambda, alb
	// Health check: protocol, path (HTTP) and port ("traffic-port").
	HealthProtocol string `json:"health_protocol,omitempty"`
	HealthPath     string `json:"health_path,omitempty"`
	HealthPort     string `json:"health_port,omitempty"`
	// Targets are the registered targets' IDs (instance IDs, IPs, Lambda
	// or ALB ARNs), from describe-target-health, sorted; nil when there
	// are none or they could not be read (a problem line says which).
	Targets []string `json:"targets,omitempty"`
}

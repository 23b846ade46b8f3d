package account

// DNS is an account's Route 53 estate as a DNS move needs it: every hosted
// zone read whole, its record sets exactly as Route 53 holds them, and the
// health checks their routing names. It is read on its own (awsread's
// Reader.DNS), so it carries its own account, source and problems.
//
// Names and values are Route 53's, byte for byte, never normalised: a
// zone-file writer, not the reader, decides how each is spelled elsewhere.
type DNS struct {
	Account string `json:"account,omitempty"`
	Source  string `json:"source"` // "live (profile x)" or "offline (dir)"
	// Zones are sorted by name, then ID (a public and a private zone may
	// share a name).
	Zones []HostedZone `json:"zones"`
	// HealthChecks are every health check of the account, sorted by ID,
	// whether a record set names it or not.
	HealthChecks []HealthCheck `json:"health_checks"`
	// Problems are what could not be read; a zone also says, in Unread,
	// which of its parts they cost it.
	Problems []Problem `json:"problems"`
}

// HostedZone is a Route 53 hosted zone and its record sets.
type HostedZone struct {
	// ID is the zone's ID without Route 53's "/hostedzone/" prefix.
	ID string `json:"id"`
	// Name is the zone's name as Route 53 returns it: lower case, with its
	// final dot, and with Route 53's escapes (see RecordSet.Name).
	Name    string `json:"name"`
	Comment string `json:"comment,omitempty"`
	Private bool   `json:"private,omitempty"`
	// VPCs are the VPCs a private zone answers in; nil for a public zone.
	VPCs []ZoneVPC `json:"vpcs,omitempty"`
	// RecordCount is Route 53's count of the zone's record sets (SOA and NS
	// included). The reader checks it against the record sets it read.
	RecordCount int64 `json:"record_count"`
	// NameServers are a public zone's delegation set: the name servers the
	// parent zone (the registrar, for a registered domain) delegates to.
	NameServers []string `json:"name_servers,omitempty"`
	// DelegationSet is the ID of the reusable delegation set the zone
	// uses, "" for the set Route 53 assigned to this zone alone.
	DelegationSet string `json:"delegation_set,omitempty"`
	// LinkedService is the service principal of the AWS service that
	// created and manages the zone (servicediscovery.amazonaws.com for
	// Cloud Map), "" for a zone the account manages itself.
	LinkedService string `json:"linked_service,omitempty"`
	// DNSSEC is the zone's signing status; nil for a private zone (Route
	// 53 signs public zones only) or when it could not be read.
	DNSSEC *DNSSEC `json:"dnssec,omitempty"`
	// RecordSets are in Route 53's order: by name with its labels
	// reversed, then by type.
	RecordSets []RecordSet `json:"record_sets"`
	// Unread names what of the zone could not be read, or not wholly:
	// "hosted zone" (its VPCs and name servers), "record sets", "dnssec".
	// Each has its problem line. A zone whose record sets are unread must
	// not be written out as if they were all there.
	Unread []string `json:"unread,omitempty"`
}

// ZoneVPC is a VPC a private hosted zone is associated with.
type ZoneVPC struct {
	ID     string `json:"id"`
	Region string `json:"region"`
}

// DNSSEC is a public zone's DNSSEC signing, as GetDNSSEC reports it.
type DNSSEC struct {
	// Status is Route 53's ServeSignature: SIGNING, NOT_SIGNING, DELETING,
	// ACTION_NEEDED or INTERNAL_FAILURE.
	Status        string `json:"status"`
	StatusMessage string `json:"status_message,omitempty"`
	// Keys are the zone's key-signing keys; their DS records are what the
	// parent zone holds while the zone is signed.
	Keys []SigningKey `json:"keys,omitempty"`
	// DSTTL is the TTL of the zone's DS record set in its parent zone,
	// which resolvers cache: a zone leaving DNSSEC must wait it out after
	// the DS record is removed and before signing stops. GetDNSSEC does not
	// say it; the reader takes it from the parent zone when the parent is
	// among the zones read (DSFrom is then that zone's ID). 0: unknown,
	// ask the parent's name servers (dig DS NAME).
	DSTTL  int64  `json:"ds_ttl,omitempty"`
	DSFrom string `json:"ds_from,omitempty"`
}

// SigningKey is a Route 53 key-signing key (KSK).
type SigningKey struct {
	Name   string `json:"name"`
	Status string `json:"status"` // ACTIVE, INACTIVE, ACTION_NEEDED, DELETING, INTERNAL_FAILURE
	KeyTag int32  `json:"key_tag"`
	Flag   int32  `json:"flag"` // 257: a KSK
	// Algorithm and Digest name the signing and digest algorithms as
	// Route 53 does (ECDSAP256SHA256, SHA-256), with their numbers.
	Algorithm     string `json:"algorithm"`
	AlgorithmType int32  `json:"algorithm_type"`
	Digest        string `json:"digest"`
	DigestType    int32  `json:"digest_type"`
	// DSRecord is the DS record's data for the parent zone ("KEYTAG
	// ALGORITHM DIGESTTYPE DIGEST"); DNSKEYRecord is the key's DNSKEY data.
	DSRecord     string `json:"ds_record"`
	DNSKEYRecord string `json:"dnskey_record,omitempty"`
	// KMSKey is the ARN of the KMS key the KSK is built on.
	KMSKey string `json:"kms_key,omitempty"`
}

// RecordSet is one Route 53 resource record set: a name and type, its
// values or its alias target, and its routing.
type RecordSet struct {
	// Name is as Route 53 returns it: lower case, with its final dot, and
	// with every character other than a-z, 0-9, hyphen and underscore
	// (and the dots between labels) as a backslash and three octal digits. A wildcard's "*" is \052
	// ("\\052" in JSON). The escapes are octal, where a master file's
	// (RFC 1035) are decimal: \052 is written * there, \344 is \228.
	Name string `json:"name"`
	Type string `json:"type"` // A, AAAA, CAA, CNAME, DS, HTTPS, MX, NAPTR, NS, PTR, SOA, SPF, SRV, SSHFP, SVCB, TLSA, TXT
	// TTL is in seconds; 0 for an alias, whose TTL is its target's.
	TTL int64 `json:"ttl"`
	// Values are the ResourceRecords' values verbatim, in Route 53's
	// presentation: a TXT value is its quoted strings ("a" "b", each at
	// most 255 characters, with \" and octal escapes), an MX value "10
	// mail.example.com.". Nil for an alias.
	Values []string `json:"values,omitempty"`
	// Alias is set for an alias record set, which has no values.
	Alias *Alias `json:"alias,omitempty"`

	// Routing says how Route 53 chooses among the record sets of one name
	// and type: "simple", "weighted", "latency", "geolocation",
	// "failover", "multivalue", "ip-based" (CIDR) or "geoproximity". All
	// but simple record sets have a SetIdentifier, unique for the name and
	// type, and the field of their policy.
	Routing       string `json:"routing"`
	SetIdentifier string `json:"set_identifier,omitempty"`
	// Weight is a weighted set's weight (0-255): its share is Weight over
	// the sum of the name's weights. 0 means answered only when every set
	// of the name weighs 0.
	Weight int64 `json:"weight,omitempty"`
	// Region is a latency set's AWS region.
	Region string `json:"region,omitempty"`
	// Geo is a geolocation set's location.
	Geo *GeoLocation `json:"geo,omitempty"`
	// Failover is PRIMARY or SECONDARY.
	Failover string `json:"failover,omitempty"`
	// MultiValue marks a multivalue answer set.
	MultiValue bool `json:"multivalue,omitempty"`
	// CIDR is an IP-based set's CIDR collection and location.
	CIDR *CIDRRouting `json:"cidr,omitempty"`
	// GeoProximity is a geoproximity set's location and bias.
	GeoProximity *GeoProximity `json:"geoproximity,omitempty"`
	// HealthCheck is the ID of the health check Route 53 consults before
	// answering with this set.
	HealthCheck string `json:"health_check,omitempty"`
	// TrafficPolicyInstance is the ID of the traffic policy instance
	// (Traffic Flow) that created the set and owns it.
	TrafficPolicyInstance string `json:"traffic_policy_instance,omitempty"`
}

// Alias is where an alias record set points: another record set of the
// same zone, or an AWS resource.
type Alias struct {
	// HostedZoneID is the target's hosted zone: the zone's own ID for a
	// record of the zone, else the AWS resource's (Z2FDTNDATAQYW2 for
	// CloudFront, the region's for a load balancer).
	HostedZoneID string `json:"hosted_zone_id"`
	// DNSName is the target's name as Route 53 returns it (with its final
	// dot; dualstack. before a load balancer's name).
	DNSName              string `json:"dns_name"`
	EvaluateTargetHealth bool   `json:"evaluate_target_health,omitempty"`
	// Kind is what the target is, from its zone and name: "record" (a
	// record set of the same zone), "elb", "cloudfront", "s3-website",
	// "api-gateway", "vpc-endpoint", "elastic-beanstalk",
	// "global-accelerator", "app-runner", or "aws" for another AWS
	// resource.
	Kind string `json:"kind"`
}

// GeoLocation is a geolocation record set's location: a continent, a
// country, or a country's subdivision. Country "*" is the default set,
// answered where no other set's location matches.
type GeoLocation struct {
	Continent   string `json:"continent,omitempty"`   // AF, AN, AS, EU, OC, NA, SA
	Country     string `json:"country,omitempty"`     // ISO 3166 alpha-2, or "*"
	Subdivision string `json:"subdivision,omitempty"` // a state of the US…
}

// CIDRRouting names the CIDR collection location an IP-based record set
// answers for; location "*" is the default set.
type CIDRRouting struct {
	Collection string `json:"collection"`
	Location   string `json:"location"`
}

// GeoProximity is a geoproximity record set's location, an AWS region, a
// Local Zone group or coordinates, and the bias that grows (positive) or
// shrinks (negative) the area it answers for.
type GeoProximity struct {
	Region         string `json:"region,omitempty"`
	LocalZoneGroup string `json:"local_zone_group,omitempty"`
	Latitude       string `json:"latitude,omitempty"`
	Longitude      string `json:"longitude,omitempty"`
	Bias           int32  `json:"bias,omitempty"`
}

// HealthCheck is a Route 53 health check: what it checks and how.
type HealthCheck struct {
	ID string `json:"id"`
	// Type is HTTP, HTTPS, HTTP_STR_MATCH, HTTPS_STR_MATCH, TCP (an
	// endpoint), CALCULATED (other health checks), CLOUDWATCH_METRIC (an
	// alarm) or RECOVERY_CONTROL (an ARC routing control).
	Type string `json:"type"`
	// The endpoint: an IP address, or a name Route 53 resolves (IPv4 only)
	// when IP is "", and for HTTP(S) the Host header and SNI name too.
	IP   string `json:"ip,omitempty"`
	FQDN string `json:"fqdn,omitempty"`
	Port int32  `json:"port,omitempty"`
	// Path is the HTTP(S) resource requested; Search the string a
	// *_STR_MATCH check looks for in the first 5,120 bytes of the body.
	Path      string `json:"path,omitempty"`
	Search    string `json:"search_string,omitempty"`
	EnableSNI bool   `json:"enable_sni,omitempty"`
	// Interval is seconds between checks (10 or 30); FailureThreshold the
	// consecutive results that change the status.
	Interval         int32 `json:"interval,omitempty"`
	FailureThreshold int32 `json:"failure_threshold,omitempty"`
	// Regions are the checker regions, nil for Route 53's default set.
	Regions []string `json:"regions,omitempty"`
	// Children and HealthThreshold are a CALCULATED check's: healthy when
	// at least HealthThreshold of the children are.
	Children        []string `json:"children,omitempty"`
	HealthThreshold int32    `json:"health_threshold,omitempty"`
	// Alarm and AlarmRegion are a CLOUDWATCH_METRIC check's alarm;
	// InsufficientData its status while the alarm has no data.
	Alarm            string `json:"alarm,omitempty"`
	AlarmRegion      string `json:"alarm_region,omitempty"`
	InsufficientData string `json:"insufficient_data,omitempty"`
	// RoutingControl is a RECOVERY_CONTROL check's routing control ARN.
	RoutingControl string `json:"routing_control,omitempty"`
	// Inverted reports unhealthy as healthy and the reverse; Disabled
	// always reports healthy.
	Inverted bool `json:"inverted,omitempty"`
	Disabled bool `json:"disabled,omitempty"`
	// LinkedService is the service principal of the AWS service that
	// created the check, "" for the account's own.
	LinkedService string `json:"linked_service,omitempty"`
}

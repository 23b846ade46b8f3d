package awsread

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sortie-dev/sortie/internal/account"
)

// dnsReader is what Route 53 is read from, live or offline. As with
// reader, every method returns the SDK's output type, whole (all pages),
// so that one conversion serves both. Zone IDs are given without the
// "/hostedzone/" prefix.
type dnsReader interface {
	Identity(ctx context.Context) (*sts.GetCallerIdentityOutput, error)
	Zones(ctx context.Context) (*route53.ListHostedZonesOutput, error)
	HostedZone(ctx context.Context, id string) (*route53.GetHostedZoneOutput, error)
	RecordSets(ctx context.Context, id string) (*route53.ListResourceRecordSetsOutput, error)
	// DNSSEC is read for public zones only: Route 53 does not sign private
	// ones.
	DNSSEC(ctx context.Context, id string) (*route53.GetDNSSECOutput, error)
	HealthChecks(ctx context.Context) (*route53.ListHealthChecksOutput, error)
}

var (
	_ dnsReader = (*Live)(nil)
	_ dnsReader = (*Offline)(nil)
)

// DNSOptions narrow what DNS reads.
type DNSOptions struct {
	// Zones names the hosted zones to read, each by name (as Route 53
	// spells it, escapes included; the final dot and case do not matter)
	// or by ID. A name held by a public and a private zone selects both.
	// Every one must be in the account. Empty: every zone.
	Zones []string
}

// ErrUnknownZone is returned when DNSOptions.Zones (--zones) names a zone
// the account does not have.
var ErrUnknownZone = errors.New("unknown hosted zone")

// DNS reads the account's hosted zones, each with every record set, its
// VPCs or name servers and its DNSSEC status, and the account's health
// checks. A call the credentials may not make is a problem line, never an
// error; a zone named in opts that the account lacks is ErrUnknownZone.
func (l *Live) DNS(ctx context.Context, opts DNSOptions) (*account.DNS, error) {
	return readDNS(ctx, l, l.source, opts)
}

// DNS reads the zones from the export; a file it lacks or cannot decode
// (an export cut short) is a problem line naming the file.
func (o *Offline) DNS(ctx context.Context, opts DNSOptions) (*account.DNS, error) {
	return readDNS(ctx, o, "offline ("+o.dir+")", opts)
}

func readDNS(ctx context.Context, r dnsReader, source string, opts DNSOptions) (*account.DNS, error) {
	d := &account.DNS{Source: source}
	problem := func(service string, err error) {
		d.Problems = append(d.Problems, account.Problem{Service: service, Error: problemText(err)})
	}
	if id, err := r.Identity(ctx); err != nil {
		problem("sts", err)
	} else {
		d.Account = aws.ToString(id.Account)
	}
	list, err := r.Zones(ctx)
	if err != nil {
		problem("route53", err)
		list = &route53.ListHostedZonesOutput{}
	}
	zones := slices.Clone(list.HostedZones)
	slices.SortStableFunc(zones, func(a, b r53types.HostedZone) int {
		if c := strings.Compare(strings.ToLower(aws.ToString(a.Name)), strings.ToLower(aws.ToString(b.Name))); c != 0 {
			return c
		}
		return strings.Compare(zoneID(a.Id), zoneID(b.Id))
	})
	// A failed listing leaves nothing to check the selection against; its
	// problem line says why nothing was read.
	if err == nil {
		if zones, err = selectZones(zones, opts.Zones); err != nil {
			return nil, err
		}
	}
	for _, z := range zones {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d.Zones = append(d.Zones, readZone(ctx, r, z, problem))
	}
	dsTTLs(d.Zones)

	if out, err := r.HealthChecks(ctx); err != nil {
		problem("route53 (health checks)", err)
	} else {
		for _, h := range out.HealthChecks {
			d.HealthChecks = append(d.HealthChecks, convertHealthCheck(h))
		}
		d.HealthChecks = sortedBy(d.HealthChecks, func(h account.HealthCheck) string { return h.ID })
	}
	return d, ctx.Err()
}

// zoneID strips Route 53's "/hostedzone/" prefix.
func zoneID(id *string) string { return strings.TrimPrefix(aws.ToString(id), "/hostedzone/") }

// selectZones keeps the zones want names, by name or ID, in the order of
// zones; every name must match one.
func selectZones(zones []r53types.HostedZone, want []string) ([]r53types.HostedZone, error) {
	if len(want) == 0 {
		return zones, nil
	}
	matches := func(z r53types.HostedZone, w string) bool {
		name := strings.ToLower(aws.ToString(z.Name))
		w = strings.ToLower(w)
		return w == name || w+"." == name || strings.EqualFold(strings.TrimPrefix(w, "/hostedzone/"), zoneID(z.Id))
	}
	for _, w := range want {
		if !slices.ContainsFunc(zones, func(z r53types.HostedZone) bool { return matches(z, w) }) {
			var names []string
			for _, z := range zones {
				names = append(names, aws.ToString(z.Name))
			}
			return nil, fmt.Errorf("%w %q: not among the account's zones (%s); check --zones", ErrUnknownZone, w, strings.Join(names, ", "))
		}
	}
	var kept []r53types.HostedZone
	for _, z := range zones {
		if slices.ContainsFunc(want, func(w string) bool { return matches(z, w) }) {
			kept = append(kept, z)
		}
	}
	return kept, nil
}

// readZone reads one zone: GetHostedZone for its VPCs and name servers
// (and a fresher record count than the listing's), every record set, and
// a public zone's DNSSEC. What cannot be read is a problem line naming the
// zone and a word in Unread.
func readZone(ctx context.Context, r dnsReader, z r53types.HostedZone, problem func(string, error)) account.HostedZone {
	hz := convertZone(z)
	zoneProblem := func(service, part string, err error) {
		problem(service, fmt.Errorf("zone %s (%s): %s", hz.Name, hz.ID, problemText(err)))
		hz.Unread = append(hz.Unread, part)
	}
	if out, err := r.HostedZone(ctx, hz.ID); err != nil {
		zoneProblem("route53 (hosted zone)", "hosted zone", err)
	} else {
		if out.HostedZone != nil {
			// The same zone, read again; its count is the one the record
			// sets are checked against.
			fresh := convertZone(*out.HostedZone)
			hz.RecordCount, hz.Comment, hz.LinkedService = fresh.RecordCount, fresh.Comment, fresh.LinkedService
		}
		for _, v := range out.VPCs {
			hz.VPCs = append(hz.VPCs, account.ZoneVPC{ID: aws.ToString(v.VPCId), Region: string(v.VPCRegion)})
		}
		if ds := out.DelegationSet; ds != nil {
			hz.NameServers = slices.Clone(ds.NameServers)
			hz.DelegationSet = strings.TrimPrefix(aws.ToString(ds.Id), "/delegationset/")
		}
	}
	if out, err := r.RecordSets(ctx, hz.ID); err != nil {
		zoneProblem("route53 (record sets)", "record sets", err)
	} else {
		for _, rs := range out.ResourceRecordSets {
			hz.RecordSets = append(hz.RecordSets, convertRecordSet(rs, hz.ID))
		}
		// Route 53 counts every record set; fewer read means a listing
		// cut short (an export made with --max-items, a zone changed while
		// it was read), which must not pass for the whole zone.
		if n := int64(len(hz.RecordSets)); hz.RecordCount > 0 && n != hz.RecordCount {
			zoneProblem("route53 (record sets)", "record sets",
				fmt.Errorf("%d record sets read of the %d Route 53 counts; the listing is incomplete (re-run the export script, or read it live)", n, hz.RecordCount))
		}
	}
	if !hz.Private {
		if out, err := r.DNSSEC(ctx, hz.ID); err != nil {
			zoneProblem("route53 (dnssec)", "dnssec", err)
		} else {
			hz.DNSSEC = convertDNSSEC(out)
		}
	}
	return hz
}

func convertZone(z r53types.HostedZone) account.HostedZone {
	hz := account.HostedZone{ID: zoneID(z.Id), Name: aws.ToString(z.Name), RecordCount: aws.ToInt64(z.ResourceRecordSetCount)}
	if c := z.Config; c != nil {
		hz.Private, hz.Comment = c.PrivateZone, aws.ToString(c.Comment)
	}
	if s := z.LinkedService; s != nil {
		hz.LinkedService = aws.ToString(s.ServicePrincipal)
	}
	return hz
}

// convertRecordSet keeps every name and value as Route 53 returned it.
func convertRecordSet(rs r53types.ResourceRecordSet, zone string) account.RecordSet {
	set := account.RecordSet{Name: aws.ToString(rs.Name), Type: string(rs.Type), TTL: aws.ToInt64(rs.TTL),
		SetIdentifier: aws.ToString(rs.SetIdentifier), Weight: aws.ToInt64(rs.Weight), Region: string(rs.Region),
		Failover: string(rs.Failover), MultiValue: aws.ToBool(rs.MultiValueAnswer), HealthCheck: aws.ToString(rs.HealthCheckId),
		TrafficPolicyInstance: aws.ToString(rs.TrafficPolicyInstanceId)}
	for _, v := range rs.ResourceRecords {
		set.Values = append(set.Values, aws.ToString(v.Value))
	}
	if a := rs.AliasTarget; a != nil {
		set.Alias = &account.Alias{HostedZoneID: aws.ToString(a.HostedZoneId), DNSName: aws.ToString(a.DNSName), EvaluateTargetHealth: a.EvaluateTargetHealth}
		set.Alias.Kind = aliasKind(set.Alias, zone)
	}
	if g := rs.GeoLocation; g != nil {
		set.Geo = &account.GeoLocation{Continent: aws.ToString(g.ContinentCode), Country: aws.ToString(g.CountryCode), Subdivision: aws.ToString(g.SubdivisionCode)}
	}
	if c := rs.CidrRoutingConfig; c != nil {
		set.CIDR = &account.CIDRRouting{Collection: aws.ToString(c.CollectionId), Location: aws.ToString(c.LocationName)}
	}
	if g := rs.GeoProximityLocation; g != nil {
		set.GeoProximity = &account.GeoProximity{Region: aws.ToString(g.AWSRegion), LocalZoneGroup: aws.ToString(g.LocalZoneGroup), Bias: aws.ToInt32(g.Bias)}
		if c := g.Coordinates; c != nil {
			set.GeoProximity.Latitude, set.GeoProximity.Longitude = aws.ToString(c.Latitude), aws.ToString(c.Longitude)
		}
	}
	// A record set has at most one policy; Route 53 refuses to mix them.
	switch {
	case rs.Weight != nil:
		set.Routing = "weighted"
	case set.Region != "":
		set.Routing = "latency"
	case set.Geo != nil:
		set.Routing = "geolocation"
	case set.Failover != "":
		set.Routing = "failover"
	case set.MultiValue:
		set.Routing = "multivalue"
	case set.CIDR != nil:
		set.Routing = "ip-based"
	case set.GeoProximity != nil:
		set.Routing = "geoproximity"
	default:
		set.Routing = "simple"
	}
	return set
}

// aliasKind says what an alias points at. Route 53 lets an alias name a
// record set of its own zone or an AWS resource; the resource is told by
// its DNS name, the form each service gives its endpoints.
func aliasKind(a *account.Alias, zone string) string {
	if strings.EqualFold(a.HostedZoneID, zone) {
		return "record"
	}
	name := strings.TrimSuffix(strings.ToLower(a.DNSName), ".")
	onAWS := strings.HasSuffix(name, ".amazonaws.com")
	switch {
	// NAME-ID.REGION.elb.amazonaws.com (ALB, CLB), NAME-ID.elb.REGION.amazonaws.com (NLB)
	case onAWS && strings.Contains(name, ".elb."):
		return "elb"
	case strings.HasSuffix(name, ".cloudfront.net"):
		return "cloudfront"
	case onAWS && strings.Contains(name, "s3-website"):
		return "s3-website"
	case onAWS && strings.Contains(name, ".execute-api."):
		return "api-gateway"
	case strings.HasSuffix(name, ".vpce.amazonaws.com"):
		return "vpc-endpoint"
	case strings.HasSuffix(name, ".elasticbeanstalk.com"):
		return "elastic-beanstalk"
	case strings.HasSuffix(name, ".awsglobalaccelerator.com"):
		return "global-accelerator"
	case strings.HasSuffix(name, ".awsapprunner.com"):
		return "app-runner"
	}
	return "aws"
}

func convertDNSSEC(out *route53.GetDNSSECOutput) *account.DNSSEC {
	d := &account.DNSSEC{}
	if s := out.Status; s != nil {
		d.Status, d.StatusMessage = aws.ToString(s.ServeSignature), aws.ToString(s.StatusMessage)
	}
	for _, k := range out.KeySigningKeys {
		d.Keys = append(d.Keys, account.SigningKey{Name: aws.ToString(k.Name), Status: aws.ToString(k.Status), KeyTag: k.KeyTag, Flag: k.Flag,
			Algorithm: aws.ToString(k.SigningAlgorithmMnemonic), AlgorithmType: k.SigningAlgorithmType,
			Digest: aws.ToString(k.DigestAlgorithmMnemonic), DigestType: k.DigestAlgorithmType,
			DSRecord: aws.ToString(k.DSRecord), DNSKEYRecord: aws.ToString(k.DNSKEYRecord), KMSKey: aws.ToString(k.KmsArn)})
	}
	d.Keys = sortedBy(d.Keys, func(k account.SigningKey) string { return k.Name })
	return d
}

// dsTTLs fills each public zone's DS TTL from its parent, when the parent
// (the longest public zone whose name ends the zone's) was read and holds
// a DS record set for it.
func dsTTLs(zones []account.HostedZone) {
	for i := range zones {
		z := &zones[i]
		if z.DNSSEC == nil {
			continue
		}
		name := strings.ToLower(z.Name)
		var parent *account.HostedZone
		for j := range zones {
			p := &zones[j]
			pn := strings.ToLower(p.Name)
			if p.Private || pn == name || !strings.HasSuffix(name, "."+pn) {
				continue
			}
			if parent == nil || len(pn) > len(parent.Name) {
				parent = p
			}
		}
		if parent == nil {
			continue
		}
		for _, rs := range parent.RecordSets {
			if rs.Type == "DS" && rs.SetIdentifier == "" && strings.EqualFold(rs.Name, z.Name) {
				z.DNSSEC.DSTTL, z.DNSSEC.DSFrom = rs.TTL, parent.ID
			}
		}
	}
}

func convertHealthCheck(h r53types.HealthCheck) account.HealthCheck {
	hc := account.HealthCheck{ID: aws.ToString(h.Id)}
	if s := h.LinkedService; s != nil {
		hc.LinkedService = aws.ToString(s.ServicePrincipal)
	}
	c := h.HealthCheckConfig
	if c == nil {
		return hc
	}
	hc.Type, hc.IP, hc.FQDN, hc.Port = string(c.Type), aws.ToString(c.IPAddress), aws.ToString(c.FullyQualifiedDomainName), aws.ToInt32(c.Port)
	hc.Path, hc.Search, hc.EnableSNI = aws.ToString(c.ResourcePath), aws.ToString(c.SearchString), aws.ToBool(c.EnableSNI)
	hc.Interval, hc.FailureThreshold = aws.ToInt32(c.RequestInterval), aws.ToInt32(c.FailureThreshold)
	for _, r := range c.Regions {
		hc.Regions = append(hc.Regions, string(r))
	}
	hc.Children, hc.HealthThreshold = slices.Clone(c.ChildHealthChecks), aws.ToInt32(c.HealthThreshold)
	if a := c.AlarmIdentifier; a != nil {
		hc.Alarm, hc.AlarmRegion = aws.ToString(a.Name), string(a.Region)
	}
	hc.InsufficientData, hc.RoutingControl = string(c.InsufficientDataHealthStatus), aws.ToString(c.RoutingControlArn)
	hc.Inverted, hc.Disabled = aws.ToBool(c.Inverted), aws.ToBool(c.Disabled)
	return hc
}

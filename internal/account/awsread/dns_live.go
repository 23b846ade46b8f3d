package awsread

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
)

// The live Route 53 reads: Get and List calls only, every page. Route 53
// is global: one endpoint answers for every region.

func (l *Live) route53() *route53.Client { return route53.NewFromConfig(l.cfg) }

// HostedZone implements dnsReader.
func (l *Live) HostedZone(ctx context.Context, id string) (*route53.GetHostedZoneOutput, error) {
	return l.route53().GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(id)})
}

// RecordSets implements dnsReader: ListResourceRecordSets from the start,
// each next page from the name, type and set identifier the last one
// ends at. (The SDK's paginator can stop early on a name repeated across
// pages, which a name with many weighted sets does legitimately.)
func (l *Live) RecordSets(ctx context.Context, id string) (*route53.ListResourceRecordSetsOutput, error) {
	c := l.route53()
	all := &route53.ListResourceRecordSetsOutput{}
	in := &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(id)}
	for {
		out, err := c.ListResourceRecordSets(ctx, in)
		if err != nil {
			return nil, err
		}
		all.ResourceRecordSets = append(all.ResourceRecordSets, out.ResourceRecordSets...)
		if !out.IsTruncated {
			return all, nil
		}
		next := &route53.ListResourceRecordSetsInput{HostedZoneId: in.HostedZoneId,
			StartRecordName: out.NextRecordName, StartRecordType: out.NextRecordType, StartRecordIdentifier: out.NextRecordIdentifier}
		if len(out.ResourceRecordSets) == 0 || aws.ToString(next.StartRecordName) == aws.ToString(in.StartRecordName) &&
			next.StartRecordType == in.StartRecordType && aws.ToString(next.StartRecordIdentifier) == aws.ToString(in.StartRecordIdentifier) {
			return nil, fmt.Errorf("list record sets of %s: Route 53 answered page %s %s %s again", id, aws.ToString(in.StartRecordName), in.StartRecordType, aws.ToString(in.StartRecordIdentifier))
		}
		in = next
	}
}

// DNSSEC implements dnsReader.
func (l *Live) DNSSEC(ctx context.Context, id string) (*route53.GetDNSSECOutput, error) {
	return l.route53().GetDNSSEC(ctx, &route53.GetDNSSECInput{HostedZoneId: aws.String(id)})
}

// HealthChecks implements dnsReader.
func (l *Live) HealthChecks(ctx context.Context) (*route53.ListHealthChecksOutput, error) {
	all := &route53.ListHealthChecksOutput{}
	p := route53.NewListHealthChecksPaginator(l.route53(), &route53.ListHealthChecksInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.HealthChecks = append(all.HealthChecks, out.HealthChecks...)
	}
	return all, nil
}

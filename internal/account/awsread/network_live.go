package awsread

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// The live network reads: Describe calls only, every page.

func (l *Live) ec2(region string) *ec2.Client { return ec2.NewFromConfig(l.regional(region)) }
func (l *Live) elb(region string) *elb.Client { return elb.NewFromConfig(l.regional(region)) }

// covers implements networkReader: the API answers for every region.
func (l *Live) covers(string) error { return nil }

// VPCs implements networkReader.
func (l *Live) VPCs(ctx context.Context, region string) (*ec2.DescribeVpcsOutput, error) {
	all := &ec2.DescribeVpcsOutput{}
	p := ec2.NewDescribeVpcsPaginator(l.ec2(region), &ec2.DescribeVpcsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.Vpcs = append(all.Vpcs, out.Vpcs...)
	}
	return all, nil
}

// Subnets implements networkReader.
func (l *Live) Subnets(ctx context.Context, region string) (*ec2.DescribeSubnetsOutput, error) {
	all := &ec2.DescribeSubnetsOutput{}
	p := ec2.NewDescribeSubnetsPaginator(l.ec2(region), &ec2.DescribeSubnetsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.Subnets = append(all.Subnets, out.Subnets...)
	}
	return all, nil
}

// RouteTables implements networkReader.
func (l *Live) RouteTables(ctx context.Context, region string) (*ec2.DescribeRouteTablesOutput, error) {
	all := &ec2.DescribeRouteTablesOutput{}
	p := ec2.NewDescribeRouteTablesPaginator(l.ec2(region), &ec2.DescribeRouteTablesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.RouteTables = append(all.RouteTables, out.RouteTables...)
	}
	return all, nil
}

// InternetGateways implements networkReader.
func (l *Live) InternetGateways(ctx context.Context, region string) (*ec2.DescribeInternetGatewaysOutput, error) {
	all := &ec2.DescribeInternetGatewaysOutput{}
	p := ec2.NewDescribeInternetGatewaysPaginator(l.ec2(region), &ec2.DescribeInternetGatewaysInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.InternetGateways = append(all.InternetGateways, out.InternetGateways...)
	}
	return all, nil
}

// NATGateways implements networkReader.
func (l *Live) NATGateways(ctx context.Context, region string) (*ec2.DescribeNatGatewaysOutput, error) {
	all := &ec2.DescribeNatGatewaysOutput{}
	p := ec2.NewDescribeNatGatewaysPaginator(l.ec2(region), &ec2.DescribeNatGatewaysInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.NatGateways = append(all.NatGateways, out.NatGateways...)
	}
	return all, nil
}

// SecurityGroups implements networkReader.
func (l *Live) SecurityGroups(ctx context.Context, region string) (*ec2.DescribeSecurityGroupsOutput, error) {
	all := &ec2.DescribeSecurityGroupsOutput{}
	p := ec2.NewDescribeSecurityGroupsPaginator(l.ec2(region), &ec2.DescribeSecurityGroupsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.SecurityGroups = append(all.SecurityGroups, out.SecurityGroups...)
	}
	return all, nil
}

// NetworkACLs implements networkReader.
func (l *Live) NetworkACLs(ctx context.Context, region string) (*ec2.DescribeNetworkAclsOutput, error) {
	all := &ec2.DescribeNetworkAclsOutput{}
	p := ec2.NewDescribeNetworkAclsPaginator(l.ec2(region), &ec2.DescribeNetworkAclsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.NetworkAcls = append(all.NetworkAcls, out.NetworkAcls...)
	}
	return all, nil
}

// PrefixLists implements networkReader: the account's own, those shared
// with it, and AWS's.
func (l *Live) PrefixLists(ctx context.Context, region string) (*ec2.DescribeManagedPrefixListsOutput, error) {
	all := &ec2.DescribeManagedPrefixListsOutput{}
	p := ec2.NewDescribeManagedPrefixListsPaginator(l.ec2(region), &ec2.DescribeManagedPrefixListsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.PrefixLists = append(all.PrefixLists, out.PrefixLists...)
	}
	return all, nil
}

// PrefixListEntries implements networkReader: the current version's.
func (l *Live) PrefixListEntries(ctx context.Context, region, id string) (*ec2.GetManagedPrefixListEntriesOutput, error) {
	all := &ec2.GetManagedPrefixListEntriesOutput{}
	p := ec2.NewGetManagedPrefixListEntriesPaginator(l.ec2(region), &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(id)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.Entries = append(all.Entries, out.Entries...)
	}
	return all, nil
}

// KeyPairs implements networkReader, with the public keys.
func (l *Live) KeyPairs(ctx context.Context, region string) (*ec2.DescribeKeyPairsOutput, error) {
	return l.ec2(region).DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{IncludePublicKey: aws.Bool(true)})
}

// Addresses implements networkReader (DescribeAddresses has no pages).
func (l *Live) Addresses(ctx context.Context, region string) (*ec2.DescribeAddressesOutput, error) {
	return l.ec2(region).DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
}

func (l *Live) images(ctx context.Context, region string, in *ec2.DescribeImagesInput) (*ec2.DescribeImagesOutput, error) {
	all := &ec2.DescribeImagesOutput{}
	p := ec2.NewDescribeImagesPaginator(l.ec2(region), in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.Images = append(all.Images, out.Images...)
	}
	return all, nil
}

// OwnImages implements networkReader.
func (l *Live) OwnImages(ctx context.Context, region string) (*ec2.DescribeImagesOutput, error) {
	return l.images(ctx, region, &ec2.DescribeImagesInput{Owners: []string{"self"}})
}

// imageFilterValues is EC2's limit of values in one filter.
const imageFilterValues = 200

// ImagesByID implements networkReader. It filters on image-id rather than
// naming ImageIds, which fails whole when one AMI was deregistered since
// its instance was launched; deprecated AMIs are included.
func (l *Live) ImagesByID(ctx context.Context, region string, ids []string) (*ec2.DescribeImagesOutput, error) {
	all := &ec2.DescribeImagesOutput{}
	for start := 0; start < len(ids); start += imageFilterValues {
		out, err := l.images(ctx, region, &ec2.DescribeImagesInput{
			Filters:           []ec2types.Filter{{Name: aws.String("image-id"), Values: ids[start:min(start+imageFilterValues, len(ids))]}},
			IncludeDeprecated: aws.Bool(true),
		})
		if err != nil {
			return nil, err
		}
		all.Images = append(all.Images, out.Images...)
	}
	return all, nil
}

// LoadBalancers implements networkReader.
func (l *Live) LoadBalancers(ctx context.Context, region string) (*elb.DescribeLoadBalancersOutput, error) {
	all := &elb.DescribeLoadBalancersOutput{}
	p := elb.NewDescribeLoadBalancersPaginator(l.elb(region), &elb.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.LoadBalancers = append(all.LoadBalancers, out.LoadBalancers...)
	}
	return all, nil
}

// TargetGroups implements networkReader.
func (l *Live) TargetGroups(ctx context.Context, region string) (*elb.DescribeTargetGroupsOutput, error) {
	all := &elb.DescribeTargetGroupsOutput{}
	p := elb.NewDescribeTargetGroupsPaginator(l.elb(region), &elb.DescribeTargetGroupsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.TargetGroups = append(all.TargetGroups, out.TargetGroups...)
	}
	return all, nil
}

// Listeners implements networkReader.
func (l *Live) Listeners(ctx context.Context, region, _, lbARN string) (*elb.DescribeListenersOutput, error) {
	all := &elb.DescribeListenersOutput{}
	p := elb.NewDescribeListenersPaginator(l.elb(region), &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.Listeners = append(all.Listeners, out.Listeners...)
	}
	return all, nil
}

// TargetHealth implements networkReader (one answer, no pages).
func (l *Live) TargetHealth(ctx context.Context, region, _, tgARN string) (*elb.DescribeTargetHealthOutput, error) {
	return l.elb(region).DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)})
}

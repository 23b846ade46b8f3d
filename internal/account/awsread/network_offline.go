package awsread

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// The network estate's files, per region (REGION/NAME.json), named for
// the aws-cli command as the export script writes them. The calls made
// once per prefix list, load balancer or target group write one file each
// in a directory named for the command, the file named for the object:
//
//	REGION/ec2-get-managed-prefix-list-entries/PREFIX-LIST-ID.json
//	REGION/elbv2-describe-listeners/LOAD-BALANCER-NAME.json
//	REGION/elbv2-describe-target-health/TARGET-GROUP-NAME.json
//
// so that a call refused leaves its .error beside the others, as for a
// bucket's settings. Instances and volumes are the inventory's files.
const (
	fileVPCs             = "ec2-describe-vpcs"
	fileSubnets          = "ec2-describe-subnets"
	fileRouteTables      = "ec2-describe-route-tables"
	fileInternetGateways = "ec2-describe-internet-gateways"
	fileNATGateways      = "ec2-describe-nat-gateways"
	fileSecurityGroups   = "ec2-describe-security-groups"
	fileNetworkACLs      = "ec2-describe-network-acls"
	filePrefixLists      = "ec2-describe-managed-prefix-lists"
	dirPrefixListEntries = "ec2-get-managed-prefix-list-entries"
	fileKeyPairs         = "ec2-describe-key-pairs" // --include-public-key
	fileAddresses        = "ec2-describe-addresses"
	fileOwnImages        = "ec2-describe-images"        // --owners self
	fileImagesInUse      = "ec2-describe-images-in-use" // the instances' AMIs, by image-id filter
	fileLoadBalancers    = "elbv2-describe-load-balancers"
	fileTargetGroups     = "elbv2-describe-target-groups"
	dirListeners         = "elbv2-describe-listeners"
	dirTargetHealth      = "elbv2-describe-target-health"
)

// covers implements networkReader: the export must have REGION/.
func (o *Offline) covers(region string) error {
	st, err := fs.Stat(o.fsys, region)
	if errors.Is(err, fs.ErrNotExist) || err == nil && !st.IsDir() {
		return fmt.Errorf("%s/ is not in the directory: the export was made without this region (re-run the export script with it, or read it live)", region)
	}
	return err
}

// VPCs implements networkReader.
func (o *Offline) VPCs(_ context.Context, region string) (*ec2.DescribeVpcsOutput, error) {
	return load[ec2.DescribeVpcsOutput](o, region+"/"+fileVPCs)
}

// Subnets implements networkReader.
func (o *Offline) Subnets(_ context.Context, region string) (*ec2.DescribeSubnetsOutput, error) {
	return load[ec2.DescribeSubnetsOutput](o, region+"/"+fileSubnets)
}

// RouteTables implements networkReader.
func (o *Offline) RouteTables(_ context.Context, region string) (*ec2.DescribeRouteTablesOutput, error) {
	return load[ec2.DescribeRouteTablesOutput](o, region+"/"+fileRouteTables)
}

// InternetGateways implements networkReader.
func (o *Offline) InternetGateways(_ context.Context, region string) (*ec2.DescribeInternetGatewaysOutput, error) {
	return load[ec2.DescribeInternetGatewaysOutput](o, region+"/"+fileInternetGateways)
}

// NATGateways implements networkReader.
func (o *Offline) NATGateways(_ context.Context, region string) (*ec2.DescribeNatGatewaysOutput, error) {
	return load[ec2.DescribeNatGatewaysOutput](o, region+"/"+fileNATGateways)
}

// SecurityGroups implements networkReader.
func (o *Offline) SecurityGroups(_ context.Context, region string) (*ec2.DescribeSecurityGroupsOutput, error) {
	return load[ec2.DescribeSecurityGroupsOutput](o, region+"/"+fileSecurityGroups)
}

// NetworkACLs implements networkReader.
func (o *Offline) NetworkACLs(_ context.Context, region string) (*ec2.DescribeNetworkAclsOutput, error) {
	return load[ec2.DescribeNetworkAclsOutput](o, region+"/"+fileNetworkACLs)
}

// PrefixLists implements networkReader.
func (o *Offline) PrefixLists(_ context.Context, region string) (*ec2.DescribeManagedPrefixListsOutput, error) {
	return load[ec2.DescribeManagedPrefixListsOutput](o, region+"/"+filePrefixLists)
}

// PrefixListEntries implements networkReader.
func (o *Offline) PrefixListEntries(_ context.Context, region, id string) (*ec2.GetManagedPrefixListEntriesOutput, error) {
	return load[ec2.GetManagedPrefixListEntriesOutput](o, region+"/"+dirPrefixListEntries+"/"+id)
}

// KeyPairs implements networkReader.
func (o *Offline) KeyPairs(_ context.Context, region string) (*ec2.DescribeKeyPairsOutput, error) {
	return load[ec2.DescribeKeyPairsOutput](o, region+"/"+fileKeyPairs)
}

// Addresses implements networkReader.
func (o *Offline) Addresses(_ context.Context, region string) (*ec2.DescribeAddressesOutput, error) {
	return load[ec2.DescribeAddressesOutput](o, region+"/"+fileAddresses)
}

// OwnImages implements networkReader.
func (o *Offline) OwnImages(_ context.Context, region string) (*ec2.DescribeImagesOutput, error) {
	return load[ec2.DescribeImagesOutput](o, region+"/"+fileOwnImages)
}

// ImagesByID implements networkReader: the script asked for every
// instance's AMI, terminated ones' included; the caller keeps those of ids.
func (o *Offline) ImagesByID(_ context.Context, region string, _ []string) (*ec2.DescribeImagesOutput, error) {
	return load[ec2.DescribeImagesOutput](o, region+"/"+fileImagesInUse)
}

// LoadBalancers implements networkReader.
func (o *Offline) LoadBalancers(_ context.Context, region string) (*elb.DescribeLoadBalancersOutput, error) {
	return load[elb.DescribeLoadBalancersOutput](o, region+"/"+fileLoadBalancers)
}

// TargetGroups implements networkReader.
func (o *Offline) TargetGroups(_ context.Context, region string) (*elb.DescribeTargetGroupsOutput, error) {
	return load[elb.DescribeTargetGroupsOutput](o, region+"/"+fileTargetGroups)
}

// Listeners implements networkReader.
func (o *Offline) Listeners(_ context.Context, region, lbName, _ string) (*elb.DescribeListenersOutput, error) {
	return load[elb.DescribeListenersOutput](o, region+"/"+dirListeners+"/"+lbName)
}

// TargetHealth implements networkReader.
func (o *Offline) TargetHealth(_ context.Context, region, tgName, _ string) (*elb.DescribeTargetHealthOutput, error) {
	return load[elb.DescribeTargetHealthOutput](o, region+"/"+dirTargetHealth+"/"+tgName)
}

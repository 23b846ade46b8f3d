package awsread

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/appstream"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/workspaces"
	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/awsconfig"
)

// Live reads an account through the AWS API, read-only: only Describe,
// List and Get calls.
type Live struct {
	cfg aws.Config
	// now is the end of the CloudWatch window; tests fix it.
	now func() time.Time
	// source names the reading in the inventory: "live (profile x)".
	source string
}

// NewLive reads with cfg (from awsconfig.Load, so the profile, its
// endpoint_url and its credentials are resolved as for copy).
func NewLive(cfg aws.Config) *Live {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return &Live{cfg: cfg, now: time.Now, source: "live"}
}

// Collect reads the inventory.
func (l *Live) Collect(ctx context.Context, opts Options) (*account.Inventory, error) {
	return collect(ctx, l, l.source, opts)
}

func (l *Live) regional(region string) aws.Config {
	c := l.cfg.Copy()
	c.Region = region
	return c
}

func (l *Live) s3(region string) *s3.Client {
	return awsconfig.S3(l.cfg, region)
}

// Identity implements reader.
func (l *Live) Identity(ctx context.Context) (*sts.GetCallerIdentityOutput, error) {
	return sts.NewFromConfig(l.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
}

// Regions implements reader.
func (l *Live) Regions(ctx context.Context) (*ec2.DescribeRegionsOutput, error) {
	return ec2.NewFromConfig(l.cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
}

// Buckets implements reader.
func (l *Live) Buckets(ctx context.Context) (*s3.ListBucketsOutput, error) {
	all := &s3.ListBucketsOutput{}
	p := s3.NewListBucketsPaginator(l.s3(l.cfg.Region), &s3.ListBucketsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.Buckets = append(all.Buckets, out.Buckets...)
		all.Owner = out.Owner
	}
	return all, nil
}

// BucketConfig implements reader. region is "" when ListBuckets did not say
// (older endpoints); GetBucketLocation tells.
func (l *Live) BucketConfig(ctx context.Context, bucket, region string) (*bucketConfig, error) {
	if region == "" {
		loc, err := l.s3(l.cfg.Region).GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &bucket})
		if err != nil {
			return nil, err
		}
		region = string(loc.LocationConstraint)
		if region == "" {
			region = "us-east-1"
		}
	}
	c := l.s3(region)
	in := func() *string { return aws.String(bucket) }
	cfg := &bucketConfig{Region: region}
	var errs settingErrs
	keep := errs.keep
	if out, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: in()}); keep(err) {
		cfg.Versioning = out
	}
	if out, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: in()}); keep(err) {
		cfg.Lifecycle = out
	}
	if out, err := c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: in()}); keep(err) {
		cfg.Replication = out
	}
	if out, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: in()}); keep(err) {
		cfg.Encryption = out
	}
	if out, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: in()}); keep(err) {
		cfg.ObjectLock = out
	}
	if out, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: in()}); keep(err) {
		cfg.PublicAccess = out
	}
	// A bucket whose settings could not be read is still inventoried; the
	// first refusal is reported.
	return cfg, errs.first()
}

// Metrics implements reader: the last three days of daily averages.
func (l *Live) Metrics(ctx context.Context, region string, buckets []string) ([]cwtypes.MetricDataQuery, *cloudwatch.GetMetricDataOutput, error) {
	queries := MetricQueries(buckets)
	c := cloudwatch.NewFromConfig(l.regional(region))
	end := l.now().UTC().Truncate(24 * time.Hour)
	all := &cloudwatch.GetMetricDataOutput{}
	for start := 0; start < len(queries); start += 500 { // the API's limit per call
		batch := queries[start:min(start+500, len(queries))]
		p := cloudwatch.NewGetMetricDataPaginator(c, &cloudwatch.GetMetricDataInput{
			MetricDataQueries: batch, StartTime: aws.Time(end.Add(-72 * time.Hour)), EndTime: aws.Time(end),
		})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, nil, err
			}
			all.MetricDataResults = append(all.MetricDataResults, out.MetricDataResults...)
		}
	}
	return queries, all, nil
}

// Instances implements reader.
func (l *Live) Instances(ctx context.Context, region string) (*ec2.DescribeInstancesOutput, error) {
	all := &ec2.DescribeInstancesOutput{}
	p := ec2.NewDescribeInstancesPaginator(ec2.NewFromConfig(l.regional(region)), &ec2.DescribeInstancesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.Reservations = append(all.Reservations, out.Reservations...)
	}
	return all, nil
}

// Volumes implements reader.
func (l *Live) Volumes(ctx context.Context, region string) (*ec2.DescribeVolumesOutput, error) {
	all := &ec2.DescribeVolumesOutput{}
	p := ec2.NewDescribeVolumesPaginator(ec2.NewFromConfig(l.regional(region)), &ec2.DescribeVolumesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.Volumes = append(all.Volumes, out.Volumes...)
	}
	return all, nil
}

// Snapshots implements reader: the account's own snapshots only.
func (l *Live) Snapshots(ctx context.Context, region string) (*ec2.DescribeSnapshotsOutput, error) {
	all := &ec2.DescribeSnapshotsOutput{}
	p := ec2.NewDescribeSnapshotsPaginator(ec2.NewFromConfig(l.regional(region)), &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.Snapshots = append(all.Snapshots, out.Snapshots...)
	}
	return all, nil
}

// Databases implements reader.
func (l *Live) Databases(ctx context.Context, region string) (*rds.DescribeDBInstancesOutput, error) {
	all := &rds.DescribeDBInstancesOutput{}
	p := rds.NewDescribeDBInstancesPaginator(rds.NewFromConfig(l.regional(region)), &rds.DescribeDBInstancesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.DBInstances = append(all.DBInstances, out.DBInstances...)
	}
	return all, nil
}

// Functions implements reader.
func (l *Live) Functions(ctx context.Context, region string) (*lambda.ListFunctionsOutput, error) {
	all := &lambda.ListFunctionsOutput{}
	p := lambda.NewListFunctionsPaginator(lambda.NewFromConfig(l.regional(region)), &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.Functions = append(all.Functions, out.Functions...)
	}
	return all, nil
}

// Resources implements reader.
func (l *Live) Resources(ctx context.Context, region string) (*tagging.GetResourcesOutput, error) {
	all := &tagging.GetResourcesOutput{}
	p := tagging.NewGetResourcesPaginator(tagging.NewFromConfig(l.regional(region)), &tagging.GetResourcesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.ResourceTagMappingList = append(all.ResourceTagMappingList, out.ResourceTagMappingList...)
	}
	return all, nil
}

// Fleets implements reader: DescribeFleets, page by page (the SDK has no
// paginator for it).
func (l *Live) Fleets(ctx context.Context, region string) (*appstream.DescribeFleetsOutput, error) {
	c := appstream.NewFromConfig(l.regional(region))
	all := &appstream.DescribeFleetsOutput{}
	var token *string
	for {
		out, err := c.DescribeFleets(ctx, &appstream.DescribeFleetsInput{NextToken: token})
		if err != nil {
			return nil, err
		}
		all.Fleets = append(all.Fleets, out.Fleets...)
		if aws.ToString(out.NextToken) == "" {
			return all, nil
		}
		token = out.NextToken
	}
}

// Stacks implements reader, page by page.
func (l *Live) Stacks(ctx context.Context, region string) (*appstream.DescribeStacksOutput, error) {
	c := appstream.NewFromConfig(l.regional(region))
	all := &appstream.DescribeStacksOutput{}
	var token *string
	for {
		out, err := c.DescribeStacks(ctx, &appstream.DescribeStacksInput{NextToken: token})
		if err != nil {
			return nil, err
		}
		all.Stacks = append(all.Stacks, out.Stacks...)
		if aws.ToString(out.NextToken) == "" {
			return all, nil
		}
		token = out.NextToken
	}
}

// WorkSpaces implements reader.
func (l *Live) WorkSpaces(ctx context.Context, region string) (*workspaces.DescribeWorkspacesOutput, error) {
	all := &workspaces.DescribeWorkspacesOutput{}
	p := workspaces.NewDescribeWorkspacesPaginator(workspaces.NewFromConfig(l.regional(region)), &workspaces.DescribeWorkspacesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.Workspaces = append(all.Workspaces, out.Workspaces...)
	}
	return all, nil
}

// FileSystems implements reader.
func (l *Live) FileSystems(ctx context.Context, region string) (*efs.DescribeFileSystemsOutput, error) {
	all := &efs.DescribeFileSystemsOutput{}
	p := efs.NewDescribeFileSystemsPaginator(efs.NewFromConfig(l.regional(region)), &efs.DescribeFileSystemsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.FileSystems = append(all.FileSystems, out.FileSystems...)
	}
	return all, nil
}

// IAM implements reader with one paginated GetAccountAuthorizationDetails.
func (l *Live) IAM(ctx context.Context) (*account.AuthorizationDetails, error) {
	all := &iam.GetAccountAuthorizationDetailsOutput{}
	p := iam.NewGetAccountAuthorizationDetailsPaginator(iam.NewFromConfig(l.cfg), &iam.GetAccountAuthorizationDetailsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.UserDetailList = append(all.UserDetailList, out.UserDetailList...)
		all.GroupDetailList = append(all.GroupDetailList, out.GroupDetailList...)
		all.RoleDetailList = append(all.RoleDetailList, out.RoleDetailList...)
		all.Policies = append(all.Policies, out.Policies...)
	}
	return fromSDK(all), nil
}

// Zones implements reader.
func (l *Live) Zones(ctx context.Context) (*route53.ListHostedZonesOutput, error) {
	all := &route53.ListHostedZonesOutput{}
	p := route53.NewListHostedZonesPaginator(route53.NewFromConfig(l.cfg), &route53.ListHostedZonesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all.HostedZones = append(all.HostedZones, out.HostedZones...)
	}
	return all, nil
}

// Distributions implements reader.
func (l *Live) Distributions(ctx context.Context) (*cf.ListDistributionsOutput, error) {
	all := &cf.ListDistributionsOutput{}
	c := cf.NewFromConfig(l.cfg)
	var marker *string
	for {
		out, err := c.ListDistributions(ctx, &cf.ListDistributionsInput{Marker: marker})
		if err != nil {
			return nil, err
		}
		if out.DistributionList == nil {
			return all, nil
		}
		if all.DistributionList == nil {
			all.DistributionList = out.DistributionList
		} else {
			all.DistributionList.Items = append(all.DistributionList.Items, out.DistributionList.Items...)
		}
		if !aws.ToBool(out.DistributionList.IsTruncated) || out.DistributionList.NextMarker == nil {
			return all, nil
		}
		marker = out.DistributionList.NextMarker
	}
}

// Count implements reader: every object of bucket listed, its bytes and
// objects summed per storage class (--deep).
func (l *Live) Count(ctx context.Context, bucket, region string) (map[string]account.Usage, error) {
	usage := map[string]account.Usage{}
	p := s3.NewListObjectsV2Paginator(l.s3(region), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range out.Contents {
			class := string(o.StorageClass)
			if class == "" {
				class = "STANDARD"
			}
			u := usage[class]
			u.Bytes += aws.ToInt64(o.Size)
			u.Objects++
			usage[class] = u
		}
	}
	return usage, nil
}

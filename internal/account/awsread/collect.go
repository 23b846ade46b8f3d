package awsread

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/appstream"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/workspaces"
	"github.com/aws/smithy-go"
	"github.com/sortie-dev/sortie/internal/account"
)

// reader is what an inventory is read from: the AWS API or a directory of
// aws-cli output. Every method returns the SDK's output type, whole (all
// pages), so that one conversion serves both.
type reader interface {
	Identity(ctx context.Context) (*sts.GetCallerIdentityOutput, error)
	Regions(ctx context.Context) (*ec2.DescribeRegionsOutput, error)
	Buckets(ctx context.Context) (*s3.ListBucketsOutput, error)
	BucketConfig(ctx context.Context, bucket, region string) (*bucketConfig, error)
	// Metrics returns the CloudWatch queries used for region's buckets and
	// their results.
	Metrics(ctx context.Context, region string, buckets []string) ([]cwtypes.MetricDataQuery, *cloudwatch.GetMetricDataOutput, error)
	Instances(ctx context.Context, region string) (*ec2.DescribeInstancesOutput, error)
	Volumes(ctx context.Context, region string) (*ec2.DescribeVolumesOutput, error)
	Snapshots(ctx context.Context, region string) (*ec2.DescribeSnapshotsOutput, error)
	Databases(ctx context.Context, region string) (*rds.DescribeDBInstancesOutput, error)
	Functions(ctx context.Context, region string) (*lambda.ListFunctionsOutput, error)
	Resources(ctx context.Context, region string) (*tagging.GetResourcesOutput, error)
	Fleets(ctx context.Context, region string) (*appstream.DescribeFleetsOutput, error)
	Stacks(ctx context.Context, region string) (*appstream.DescribeStacksOutput, error)
	WorkSpaces(ctx context.Context, region string) (*workspaces.DescribeWorkspacesOutput, error)
	FileSystems(ctx context.Context, region string) (*efs.DescribeFileSystemsOutput, error)
	IAM(ctx context.Context) (*account.AuthorizationDetails, error)
	Zones(ctx context.Context) (*route53.ListHostedZonesOutput, error)
	Distributions(ctx context.Context) (*cf.ListDistributionsOutput, error)
	// Count lists a bucket and sums bytes and objects per storage class.
	Count(ctx context.Context, bucket, region string) (map[string]account.Usage, error)
}

// bucketConfig gathers a bucket's settings; a nil member was not configured.
type bucketConfig struct {
	Region       string // where the bucket lives, when the listing did not say
	Versioning   *s3.GetBucketVersioningOutput
	Lifecycle    *s3.GetBucketLifecycleConfigurationOutput
	Replication  *s3.GetBucketReplicationOutput
	Encryption   *s3.GetBucketEncryptionOutput
	ObjectLock   *s3.GetObjectLockConfigurationOutput
	PublicAccess *s3.GetPublicAccessBlockOutput
}

// notConfigured reports whether err says a bucket has no such configuration
// — an answer, not a failure.
func notConfigured(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "NoSuchLifecycleConfiguration", "ReplicationConfigurationNotFoundError",
		"ServerSideEncryptionConfigurationNotFoundError", "ObjectLockConfigurationNotFoundError",
		"NoSuchPublicAccessBlockConfiguration", "NoSuchBucketPolicy", "NotImplemented", "XNotImplemented":
		return true
	}
	return false
}

// settingErrs gathers the failures to read a bucket's settings. A setting
// the bucket does not have, or (offline) a file the export never wrote, is
// an answer, not a failure.
type settingErrs []error

// keep reports whether err is nil, and records it if it is a failure.
func (e *settingErrs) keep(err error) bool {
	var missing errMissing
	if err != nil && !notConfigured(err) && !errors.As(err, &missing) {
		*e = append(*e, err)
	}
	return err == nil
}

func (e settingErrs) first() error {
	if len(e) > 0 {
		return e[0]
	}
	return nil
}

// notOffered reports whether err says the service has no endpoint in the
// region (AWS offers AppStream and WorkSpaces in some Regions only): the
// SDK's lookup of a host that does not exist, or aws-cli's "Could not
// connect to the endpoint URL" for it. The region then holds none.
func notOffered(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.IsNotFound
	}
	var ce *cliError
	return errors.As(err, &ce) && strings.HasPrefix(ce.msg, "Could not connect to the endpoint URL")
}

// problemText makes an error one line for the plan.
func problemText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		msg := ae.ErrorMessage()
		if msg == "" {
			return ae.ErrorCode()
		}
		return ae.ErrorCode() + ": " + firstLine(msg)
	}
	return firstLine(err.Error())
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// Options narrow what Collect and Network read.
type Options struct {
	// Regions limits the regional services to these; every one must be
	// enabled in the account. Empty: all enabled regions.
	Regions []string
	// Deep lists every bucket to count objects and bytes per class, instead
	// of reading CloudWatch's daily metrics (live only).
	Deep bool
}

// ErrUnknownRegion is returned when --regions names a region the account
// does not have enabled.
var ErrUnknownRegion = errors.New("unknown region")

func collect(ctx context.Context, r reader, source string, opts Options) (*account.Inventory, error) {
	inv := &account.Inventory{Source: source}
	problem := func(service, region string, err error) {
		inv.Problems = append(inv.Problems, account.Problem{Service: service, Region: region, Error: problemText(err)})
	}
	if err := identify(ctx, r, inv, opts, problem); err != nil {
		return nil, err
	}

	if err := collectBuckets(ctx, r, inv, opts, problem); err != nil {
		return nil, err
	}
	for _, region := range inv.Regions {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		collectRegion(ctx, r, inv, region, problem)
	}
	if d, err := r.IAM(ctx); err != nil {
		problem("iam", "", err)
	} else {
		inv.IAM = d.Summary()
	}
	if out, err := r.Zones(ctx); err != nil {
		problem("route53", "", err)
	} else {
		for _, z := range out.HostedZones {
			inv.Zones = append(inv.Zones, account.Zone{
				ID: strings.TrimPrefix(aws.ToString(z.Id), "/hostedzone/"), Name: aws.ToString(z.Name),
				Private: z.Config != nil && z.Config.PrivateZone, Records: aws.ToInt64(z.ResourceRecordSetCount),
			})
		}
	}
	if out, err := r.Distributions(ctx); err != nil {
		problem("cloudfront", "", err)
	} else if out.DistributionList != nil {
		for _, d := range out.DistributionList.Items {
			dist := account.Distribution{ID: aws.ToString(d.Id), Domain: aws.ToString(d.DomainName)}
			if d.Aliases != nil {
				dist.Aliases = d.Aliases.Items
			}
			if d.Origins != nil {
				for _, o := range d.Origins.Items {
					dist.Origins = append(dist.Origins, aws.ToString(o.DomainName))
				}
			}
			inv.Distributions = append(inv.Distributions, dist)
		}
	}
	return inv, ctx.Err()
}

func collectBuckets(ctx context.Context, r reader, inv *account.Inventory, opts Options, problem func(string, string, error)) error {
	out, err := r.Buckets(ctx)
	if err != nil {
		problem("s3", "", err)
		return nil
	}
	byRegion := map[string][]int{}
	for _, b := range out.Buckets {
		name := aws.ToString(b.Name)
		region := aws.ToString(b.BucketRegion)
		bucket := account.Bucket{Name: name, Region: region, Classes: map[string]account.Usage{}, Sizes: "unknown"}
		// Settings that could be read are kept even when others were refused.
		cfg, err := r.BucketConfig(ctx, name, region)
		if cfg != nil {
			if bucket.Region == "" {
				bucket.Region = cfg.Region
			}
			cfg.apply(&bucket)
		}
		if err != nil {
			problem("s3", region, fmt.Errorf("bucket %s: %s", name, problemText(err)))
		}
		if bucket.Region == "" {
			bucket.Region = "us-east-1"
		}
		inv.Buckets = append(inv.Buckets, bucket)
		byRegion[bucket.Region] = append(byRegion[bucket.Region], len(inv.Buckets)-1)
	}
	// Regions in order, so that problems are listed the same way every run.
	for _, region := range slices.Sorted(maps.Keys(byRegion)) {
		idx := byRegion[region]
		if opts.Deep {
			for _, i := range idx {
				b := &inv.Buckets[i]
				usage, err := r.Count(ctx, b.Name, region)
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					problem("s3 (listing)", region, fmt.Errorf("bucket %s: %s", b.Name, problemText(err)))
					continue
				}
				b.Classes, b.Sizes = usage, "listing"
			}
			continue
		}
		names := make([]string, len(idx))
		for k, i := range idx {
			names[k] = inv.Buckets[i].Name
		}
		queries, res, err := r.Metrics(ctx, region, names)
		if err != nil {
			problem("cloudwatch", region, err)
			continue
		}
		applyMetrics(inv, idx, queries, res)
	}
	slices.SortFunc(inv.Buckets, func(a, b account.Bucket) int { return strings.Compare(a.Name, b.Name) })
	return nil
}

func (c *bucketConfig) apply(b *account.Bucket) {
	if c.Versioning != nil {
		b.Versioning = string(c.Versioning.Status)
	}
	if c.Lifecycle != nil {
		b.LifecycleRules = len(c.Lifecycle.Rules)
	}
	if c.Replication != nil && c.Replication.ReplicationConfiguration != nil {
		b.Replication = len(c.Replication.ReplicationConfiguration.Rules) > 0
	}
	if c.Encryption != nil && c.Encryption.ServerSideEncryptionConfiguration != nil {
		for _, rule := range c.Encryption.ServerSideEncryptionConfiguration.Rules {
			if rule.ApplyServerSideEncryptionByDefault != nil {
				b.Encryption = string(rule.ApplyServerSideEncryptionByDefault.SSEAlgorithm)
			}
		}
	}
	if c.ObjectLock != nil && c.ObjectLock.ObjectLockConfiguration != nil {
		b.ObjectLock = c.ObjectLock.ObjectLockConfiguration.ObjectLockEnabled == "Enabled"
	}
	if c.PublicAccess != nil && c.PublicAccess.PublicAccessBlockConfiguration != nil {
		p := c.PublicAccess.PublicAccessBlockConfiguration
		b.PublicBlocked = aws.ToBool(p.BlockPublicAcls) && aws.ToBool(p.IgnorePublicAcls) && aws.ToBool(p.BlockPublicPolicy) && aws.ToBool(p.RestrictPublicBuckets)
	}
}

// storageTypes maps CloudWatch's S3 StorageType dimension to the storage
// class it measures. Intelligent-Tiering's tiers all count as one class.
var storageTypes = map[string]string{
	"StandardStorage":                "STANDARD",
	"IntelligentTieringFAStorage":    "INTELLIGENT_TIERING",
	"IntelligentTieringIAStorage":    "INTELLIGENT_TIERING",
	"IntelligentTieringAAStorage":    "INTELLIGENT_TIERING",
	"IntelligentTieringAIAStorage":   "INTELLIGENT_TIERING",
	"IntelligentTieringDAAStorage":   "INTELLIGENT_TIERING",
	"StandardIAStorage":              "STANDARD_IA",
	"OneZoneIAStorage":               "ONEZONE_IA",
	"GlacierInstantRetrievalStorage": "GLACIER_IR",
	"GlacierStorage":                 "GLACIER",
	"DeepArchiveStorage":             "DEEP_ARCHIVE",
	"ReducedRedundancyStorage":       "REDUCED_REDUNDANCY",
}

// StorageTypes lists CloudWatch's storage types in a fixed order, for the
// queries that the live reader and the export script both build.
func StorageTypes() []string {
	keys := make([]string, 0, len(storageTypes))
	for k := range storageTypes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// MetricQueries builds the GetMetricData queries for buckets: one per
// bucket and storage type for BucketSizeBytes, and one per bucket for
// NumberOfObjects (which CloudWatch only reports for all types together).
// Ids are b<bucket index>_<type index>, and b<bucket index>_n.
func MetricQueries(buckets []string) []cwtypes.MetricDataQuery {
	var q []cwtypes.MetricDataQuery
	metric := func(id, bucket, name, st string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{
			Id: aws.String(id),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/S3"), MetricName: aws.String(name), Dimensions: []cwtypes.Dimension{
					{Name: aws.String("BucketName"), Value: aws.String(bucket)},
					{Name: aws.String("StorageType"), Value: aws.String(st)},
				}},
				Period: aws.Int32(86400), Stat: aws.String("Average"),
			},
		}
	}
	for i, b := range buckets {
		for j, st := range StorageTypes() {
			q = append(q, metric(fmt.Sprintf("b%d_%d", i, j), b, "BucketSizeBytes", st))
		}
		q = append(q, metric(fmt.Sprintf("b%d_n", i), b, "NumberOfObjects", "AllStorageTypes"))
	}
	return q
}

// applyMetrics turns GetMetricData results into per-class usage: the latest
// daily value of each series.
func applyMetrics(inv *account.Inventory, idx []int, queries []cwtypes.MetricDataQuery, res *cloudwatch.GetMetricDataOutput) {
	byName := map[string]*account.Bucket{}
	for _, i := range idx {
		byName[inv.Buckets[i].Name] = &inv.Buckets[i]
	}
	type series struct{ bucket, metric, st string }
	byID := map[string]series{}
	for _, q := range queries {
		if q.MetricStat == nil || q.MetricStat.Metric == nil {
			continue
		}
		s := series{metric: aws.ToString(q.MetricStat.Metric.MetricName)}
		for _, d := range q.MetricStat.Metric.Dimensions {
			switch aws.ToString(d.Name) {
			case "BucketName":
				s.bucket = aws.ToString(d.Value)
			case "StorageType":
				s.st = aws.ToString(d.Value)
			}
		}
		byID[aws.ToString(q.Id)] = s
	}
	objects := map[string]int64{}
	for _, r := range res.MetricDataResults {
		s, ok := byID[aws.ToString(r.Id)]
		b := byName[s.bucket]
		if !ok || b == nil || len(r.Values) == 0 {
			continue
		}
		// Results come newest first; take the value of the latest day.
		latest := 0
		for k := range r.Timestamps {
			if k < len(r.Values) && r.Timestamps[k].After(r.Timestamps[latest]) {
				latest = k
			}
		}
		v := int64(r.Values[latest])
		b.Sizes = "cloudwatch"
		switch s.metric {
		case "NumberOfObjects":
			objects[s.bucket] = v
		case "BucketSizeBytes":
			class, ok := storageTypes[s.st]
			if !ok || v == 0 {
				continue
			}
			u := b.Classes[class]
			u.Bytes += v
			b.Classes[class] = u
		}
	}
	for name, n := range objects {
		b := byName[name]
		total := b.Total().Bytes
		if total == 0 {
			if n > 0 {
				b.Classes["STANDARD"] = account.Usage{Objects: n}
			}
			continue
		}
		classes := make([]string, 0, len(b.Classes))
		for c := range b.Classes {
			classes = append(classes, c)
		}
		slices.Sort(classes)
		var given int64
		for k, c := range classes {
			u := b.Classes[c]
			if k == len(classes)-1 {
				u.Objects = n - given
			} else {
				u.Objects = int64(float64(n) * float64(u.Bytes) / float64(total))
			}
			given += u.Objects
			b.Classes[c] = u
		}
		b.ObjectsEstimated = len(classes) > 1
	}
}

func collectRegion(ctx context.Context, r reader, inv *account.Inventory, region string, problem func(string, string, error)) {
	if out, err := r.Instances(ctx, region); err != nil {
		problem("ec2", region, err)
	} else {
		for _, res := range out.Reservations {
			for _, in := range res.Instances {
				i := account.Instance{ID: aws.ToString(in.InstanceId), Region: region, Type: string(in.InstanceType), Platform: aws.ToString(in.PlatformDetails)}
				if in.State != nil {
					i.State = string(in.State.Name)
				}
				for _, t := range in.Tags {
					if aws.ToString(t.Key) == "Name" {
						i.Name = aws.ToString(t.Value)
					}
				}
				if i.State == "terminated" {
					continue
				}
				inv.Instances = append(inv.Instances, i)
			}
		}
	}
	if out, err := r.Volumes(ctx, region); err != nil {
		problem("ec2 (volumes)", region, err)
	} else {
		for _, v := range out.Volumes {
			vol := account.Volume{ID: aws.ToString(v.VolumeId), Region: region, GiB: int64(aws.ToInt32(v.Size)), Type: string(v.VolumeType)}
			if len(v.Attachments) > 0 {
				vol.Attached = aws.ToString(v.Attachments[0].InstanceId)
			}
			inv.Volumes = append(inv.Volumes, vol)
		}
	}
	if out, err := r.Snapshots(ctx, region); err != nil {
		problem("ec2 (snapshots)", region, err)
	} else {
		for _, s := range out.Snapshots {
			inv.Snapshots = append(inv.Snapshots, account.Snapshot{ID: aws.ToString(s.SnapshotId), Region: region, GiB: int64(aws.ToInt32(s.VolumeSize))})
		}
	}
	if out, err := r.Databases(ctx, region); err != nil {
		problem("rds", region, err)
	} else {
		for _, d := range out.DBInstances {
			db := account.Database{ID: aws.ToString(d.DBInstanceIdentifier), Region: region,
				Engine: aws.ToString(d.Engine), Version: aws.ToString(d.EngineVersion), Class: aws.ToString(d.DBInstanceClass),
				GiB: int64(aws.ToInt32(d.AllocatedStorage)), MultiAZ: aws.ToBool(d.MultiAZ),
				MasterUser: aws.ToString(d.MasterUsername), DBName: aws.ToString(d.DBName), IAMAuth: aws.ToBool(d.IAMDatabaseAuthenticationEnabled)}
			if e := d.Endpoint; e != nil {
				db.Address, db.Port = aws.ToString(e.Address), aws.ToInt32(e.Port)
			}
			inv.Databases = append(inv.Databases, db)
		}
	}
	if out, err := r.Functions(ctx, region); err != nil {
		problem("lambda", region, err)
	} else {
		for _, f := range out.Functions {
			inv.Functions = append(inv.Functions, account.Function{Name: aws.ToString(f.FunctionName), Region: region, Runtime: string(f.Runtime), MemMB: aws.ToInt32(f.MemorySize)})
		}
	}
	// Read in detail here: the tagging API's count of these types is left
	// out of Other, where it would count them twice. A reader refused keeps
	// its type's count in Other, the best figure there is.
	detailed := map[string]bool{}
	// regional reports a refusal; a service AWS does not offer in region
	// (AppStream, WorkSpaces are in some only) holds nothing there.
	regional := func(service, typ string, err error) bool {
		if err == nil {
			detailed[typ] = true
			return true
		}
		if !notOffered(err) {
			problem(service, region, err)
		}
		return false
	}
	if out, err := r.Fleets(ctx, region); regional("appstream (fleets)", "appstream:fleet", err) {
		for _, f := range out.Fleets {
			fl := account.AppStreamFleet{Name: aws.ToString(f.Name), Region: region, InstanceType: aws.ToString(f.InstanceType),
				FleetType: string(f.FleetType), State: string(f.State), Platform: string(f.Platform), Image: aws.ToString(f.ImageName)}
			if f.ComputeCapacityStatus != nil {
				fl.Desired = aws.ToInt32(f.ComputeCapacityStatus.Desired)
			}
			inv.AppStreamFleets = append(inv.AppStreamFleets, fl)
		}
	}
	if out, err := r.Stacks(ctx, region); regional("appstream (stacks)", "appstream:stack", err) {
		for _, s := range out.Stacks {
			st := account.AppStreamStack{Name: aws.ToString(s.Name), Region: region}
			for _, c := range s.StorageConnectors {
				st.Storage = append(st.Storage, string(c.ConnectorType))
			}
			inv.AppStreamStacks = append(inv.AppStreamStacks, st)
		}
	}
	if out, err := r.WorkSpaces(ctx, region); regional("workspaces", "workspaces:workspace", err) {
		for _, w := range out.Workspaces {
			ws := account.WorkSpace{ID: aws.ToString(w.WorkspaceId), Region: region, UserName: aws.ToString(w.UserName),
				Directory: aws.ToString(w.DirectoryId), Bundle: aws.ToString(w.BundleId), State: string(w.State)}
			if p := w.WorkspaceProperties; p != nil {
				ws.ComputeType, ws.RunningMode = string(p.ComputeTypeName), string(p.RunningMode)
				ws.RootGiB, ws.UserGiB = aws.ToInt32(p.RootVolumeSizeGib), aws.ToInt32(p.UserVolumeSizeGib)
			}
			inv.WorkSpaces = append(inv.WorkSpaces, ws)
		}
	}
	if out, err := r.FileSystems(ctx, region); regional("efs", "elasticfilesystem:file-system", err) {
		for _, f := range out.FileSystems {
			fs := account.FileSystem{ID: aws.ToString(f.FileSystemId), Name: aws.ToString(f.Name), Region: region,
				PerformanceMode: string(f.PerformanceMode), ThroughputMode: string(f.ThroughputMode), Encrypted: aws.ToBool(f.Encrypted),
				MountTargets: f.NumberOfMountTargets}
			if f.SizeInBytes != nil {
				fs.Bytes = f.SizeInBytes.Value
			}
			inv.FileSystems = append(inv.FileSystems, fs)
		}
	}
	if out, err := r.Resources(ctx, region); err != nil {
		problem("tagging", region, err)
	} else {
		counts := map[string]int{}
		for _, m := range out.ResourceTagMappingList {
			if t := otherType(aws.ToString(m.ResourceARN)); t != "" && !detailed[t] {
				counts[t]++
			}
		}
		for t, n := range counts {
			i := slices.IndexFunc(inv.Other, func(c account.ResourceCount) bool { return c.Type == t })
			if i < 0 {
				inv.Other = append(inv.Other, account.ResourceCount{Type: t})
				i = len(inv.Other) - 1
			}
			inv.Other[i].Count += n
		}
		slices.SortFunc(inv.Other, func(a, b account.ResourceCount) int { return strings.Compare(a.Type, b.Type) })
	}
}

// covered are the resource types read in detail; the tagging API's count
// of everything else makes the rest visible.
var covered = map[string]bool{
	"s3": true, "ec2:instance": true, "ec2:volume": true, "ec2:snapshot": true, "rds:db": true,
	"lambda:function": true, "cloudfront:distribution": true, "route53:hostedzone": true,
	"iam:user": true, "iam:group": true, "iam:role": true, "iam:policy": true,
}

// otherType returns "service:type" for an ARN not covered in detail, or "".
// arn:aws:sqs:eu-west-3:123:queue-name has no type: the service stands.
func otherType(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	service, res := parts[2], parts[5]
	typ, _, found := strings.Cut(res, "/")
	if !found {
		typ, _, found = strings.Cut(res, ":")
	}
	t := service
	if found {
		t = service + ":" + typ
	}
	if covered[service] || covered[t] {
		return ""
	}
	return t
}

package awsread

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

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

// The offline directory's layout: one file per aws-cli command, named for
// it, as the export script writes it. A command that failed leaves its
// stderr in NAME.error instead of NAME.json.
const (
	fileIdentity      = "sts-get-caller-identity"
	fileRegions       = "ec2-describe-regions"
	fileBuckets       = "s3api-list-buckets"
	fileIAM           = "iam-get-account-authorization-details"
	fileZones         = "route53-list-hosted-zones"
	fileDistributions = "cloudfront-list-distributions"
	fileInstances     = "ec2-describe-instances"
	fileVolumes       = "ec2-describe-volumes"
	fileSnapshots     = "ec2-describe-snapshots"
	fileDatabases     = "rds-describe-db-instances"
	fileFunctions     = "lambda-list-functions"
	fileResources     = "resourcegroupstaggingapi-get-resources"
	fileFleets        = "appstream-describe-fleets"
	fileStacks        = "appstream-describe-stacks"
	fileWorkSpaces    = "workspaces-describe-workspaces"
	fileFileSystems   = "efs-describe-file-systems"
	fileMetricQueries = "cloudwatch-queries"
	fileMetricData    = "cloudwatch-get-metric-data"
	dirBuckets        = "s3"
)

// Offline reads an account from a directory of aws-cli JSON output.
type Offline struct {
	fsys fs.FS
	dir  string
}

// NewOffline opens dir; it must exist and hold at least the bucket listing
// or the regions, so that a wrong path fails with one line.
func NewOffline(dir string) (*Offline, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("offline account directory %s: %w", dir, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("offline account directory %s: not a directory; give the directory sortie assess export-script wrote", dir)
	}
	return OfflineFS(os.DirFS(dir), dir)
}

// OfflineFS reads an account from fsys (the demo's embedded sample).
func OfflineFS(fsys fs.FS, name string) (*Offline, error) {
	found := false
	for _, f := range []string{fileBuckets, fileRegions, fileIdentity} {
		for _, ext := range []string{".json", ".error"} {
			if _, err := fs.Stat(fsys, f+ext); err == nil {
				found = true
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("offline account directory %s: no %s.json or %s.json in it; create it with sortie assess export-script", name, fileBuckets, fileRegions)
	}
	return &Offline{fsys: fsys, dir: name}, nil
}

// Collect reads the inventory.
func (o *Offline) Collect(ctx context.Context, opts Options) (*account.Inventory, error) {
	return collect(ctx, o, "offline ("+o.dir+")", opts)
}

// errMissing says a file the reader wanted is not in the directory.
type errMissing struct{ name string }

func (e errMissing) Error() string {
	return fmt.Sprintf("%s.json is not in the directory (re-run the export script, or read it live)", e.name)
}

// cliError is a command's failure as aws-cli printed it.
type cliError struct{ code, msg string }

func (e *cliError) Error() string                 { return e.code + ": " + e.msg }
func (e *cliError) ErrorCode() string             { return e.code }
func (e *cliError) ErrorMessage() string          { return e.msg }
func (e *cliError) ErrorFault() smithy.ErrorFault { return smithy.FaultUnknown }

// "An error occurred (AccessDenied) when calling the ListBuckets operation: Access Denied"
var cliErrorRE = regexp.MustCompile(`An error occurred \(([^)]+)\)[^:]*:\s*(.*)`)

// raw returns NAME.json, or the error in NAME.error; nil bytes for an
// empty answer (aws-cli prints nothing for one).
func (o *Offline) raw(name string) ([]byte, error) {
	b, err := fs.ReadFile(o.fsys, name+".json")
	if errors.Is(err, fs.ErrNotExist) {
		msg, err2 := fs.ReadFile(o.fsys, name+".error")
		if err2 != nil {
			return nil, errMissing{name}
		}
		text := strings.TrimSpace(string(msg))
		if m := cliErrorRE.FindStringSubmatch(text); m != nil {
			return nil, &cliError{code: m[1], msg: firstLine(m[2])}
		}
		return nil, &cliError{code: "Error", msg: firstLine(text)}
	}
	if err != nil {
		return nil, fmt.Errorf("%s.json: %w", name, err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, nil
	}
	return b, nil
}

// load decodes NAME.json into the SDK output type T, or returns the error
// in NAME.error.
func load[T any](o *Offline, name string) (*T, error) {
	b, err := o.raw(name)
	if err != nil || b == nil {
		return new(T), err
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		return nil, o.notCLI(name, err)
	}
	return out, nil
}

func (o *Offline) notCLI(name string, err error) error {
	return fmt.Errorf("%s.json in %s is not aws-cli JSON output: %v", name, o.dir, firstLine(err.Error()))
}

// Identity implements reader.
func (o *Offline) Identity(context.Context) (*sts.GetCallerIdentityOutput, error) {
	return load[sts.GetCallerIdentityOutput](o, fileIdentity)
}

// Regions implements reader.
func (o *Offline) Regions(context.Context) (*ec2.DescribeRegionsOutput, error) {
	return load[ec2.DescribeRegionsOutput](o, fileRegions)
}

// Buckets implements reader.
func (o *Offline) Buckets(context.Context) (*s3.ListBucketsOutput, error) {
	return load[s3.ListBucketsOutput](o, fileBuckets)
}

// BucketConfig implements reader.
func (o *Offline) BucketConfig(_ context.Context, bucket, region string) (*bucketConfig, error) {
	dir := filepath.ToSlash(filepath.Join(dirBuckets, bucket)) + "/"
	cfg := &bucketConfig{Region: region}
	var errs settingErrs
	keep := errs.keep
	if region == "" {
		var loc struct{ LocationConstraint *string }
		if l, err := load[struct{ LocationConstraint *string }](o, dir+"get-bucket-location"); keep(err) {
			loc = *l
		}
		cfg.Region = locationRegion(loc.LocationConstraint)
	}
	if out, err := load[s3.GetBucketVersioningOutput](o, dir+"get-bucket-versioning"); keep(err) {
		cfg.Versioning = out
	}
	if out, err := load[s3.GetBucketLifecycleConfigurationOutput](o, dir+"get-bucket-lifecycle-configuration"); keep(err) {
		cfg.Lifecycle = out
	}
	if out, err := load[s3.GetBucketReplicationOutput](o, dir+"get-bucket-replication"); keep(err) {
		cfg.Replication = out
	}
	if out, err := load[s3.GetBucketEncryptionOutput](o, dir+"get-bucket-encryption"); keep(err) {
		cfg.Encryption = out
	}
	if out, err := load[s3.GetObjectLockConfigurationOutput](o, dir+"get-object-lock-configuration"); keep(err) {
		cfg.ObjectLock = out
	}
	if out, err := load[s3.GetPublicAccessBlockOutput](o, dir+"get-public-access-block"); keep(err) {
		cfg.PublicAccess = out
	}
	return cfg, errs.first()
}

// locationRegion turns GetBucketLocation's answer into a region: none
// means us-east-1, and "EU" is the old name of eu-west-1.
func locationRegion(c *string) string {
	switch {
	case c == nil || *c == "" || *c == "None":
		return "us-east-1"
	case *c == "EU":
		return "eu-west-1"
	}
	return *c
}

// Metrics implements reader: the queries the export script sent, and what
// CloudWatch answered.
func (o *Offline) Metrics(_ context.Context, region string, _ []string) ([]cwtypes.MetricDataQuery, *cloudwatch.GetMetricDataOutput, error) {
	q, err := load[[]cwtypes.MetricDataQuery](o, region+"/"+fileMetricQueries)
	if err != nil {
		return nil, nil, err
	}
	out, err := load[cloudwatch.GetMetricDataOutput](o, region+"/"+fileMetricData)
	if err != nil {
		return nil, nil, err
	}
	return *q, out, nil
}

// Instances implements reader.
func (o *Offline) Instances(_ context.Context, region string) (*ec2.DescribeInstancesOutput, error) {
	return load[ec2.DescribeInstancesOutput](o, region+"/"+fileInstances)
}

// Volumes implements reader.
func (o *Offline) Volumes(_ context.Context, region string) (*ec2.DescribeVolumesOutput, error) {
	return load[ec2.DescribeVolumesOutput](o, region+"/"+fileVolumes)
}

// Snapshots implements reader.
func (o *Offline) Snapshots(_ context.Context, region string) (*ec2.DescribeSnapshotsOutput, error) {
	return load[ec2.DescribeSnapshotsOutput](o, region+"/"+fileSnapshots)
}

// Databases implements reader.
func (o *Offline) Databases(_ context.Context, region string) (*rds.DescribeDBInstancesOutput, error) {
	return load[rds.DescribeDBInstancesOutput](o, region+"/"+fileDatabases)
}

// Functions implements reader.
func (o *Offline) Functions(_ context.Context, region string) (*lambda.ListFunctionsOutput, error) {
	return load[lambda.ListFunctionsOutput](o, region+"/"+fileFunctions)
}

// Resources implements reader.
func (o *Offline) Resources(_ context.Context, region string) (*tagging.GetResourcesOutput, error) {
	return load[tagging.GetResourcesOutput](o, region+"/"+fileResources)
}

// Fleets implements reader.
func (o *Offline) Fleets(_ context.Context, region string) (*appstream.DescribeFleetsOutput, error) {
	return load[appstream.DescribeFleetsOutput](o, region+"/"+fileFleets)
}

// Stacks implements reader.
func (o *Offline) Stacks(_ context.Context, region string) (*appstream.DescribeStacksOutput, error) {
	return load[appstream.DescribeStacksOutput](o, region+"/"+fileStacks)
}

// WorkSpaces implements reader.
func (o *Offline) WorkSpaces(_ context.Context, region string) (*workspaces.DescribeWorkspacesOutput, error) {
	return load[workspaces.DescribeWorkspacesOutput](o, region+"/"+fileWorkSpaces)
}

// FileSystems implements reader.
func (o *Offline) FileSystems(_ context.Context, region string) (*efs.DescribeFileSystemsOutput, error) {
	return load[efs.DescribeFileSystemsOutput](o, region+"/"+fileFileSystems)
}

// IAM implements reader.
func (o *Offline) IAM(context.Context) (*account.AuthorizationDetails, error) {
	b, err := o.raw(fileIAM)
	if err != nil || b == nil {
		return &account.AuthorizationDetails{}, err
	}
	out, err := decodeIAM(b)
	if err != nil {
		return nil, o.notCLI(fileIAM, err)
	}
	return fromSDK(out), nil
}

// Zones implements reader.
func (o *Offline) Zones(context.Context) (*route53.ListHostedZonesOutput, error) {
	return load[route53.ListHostedZonesOutput](o, fileZones)
}

// Distributions implements reader.
func (o *Offline) Distributions(context.Context) (*cf.ListDistributionsOutput, error) {
	return load[cf.ListDistributionsOutput](o, fileDistributions)
}

// Count implements reader: an export holds no listings.
func (o *Offline) Count(context.Context, string, string) (map[string]account.Usage, error) {
	return nil, errors.New("--deep lists buckets live; an offline export has CloudWatch's figures only")
}

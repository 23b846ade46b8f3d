package assess

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Access is what decides who may touch an account's buckets: IAM and, per
// bucket, its policy, ACL and Block Public Access settings. sortie policy
// reads it.
type Access struct {
	Account  string                `json:"account"`
	IAM      *AuthorizationDetails `json:"iam"`
	Buckets  []BucketAccess        `json:"buckets"`
	Problems []Problem             `json:"problems,omitempty"`
}

// BucketAccess is one bucket's resource-side access settings; a nil or
// empty member was not configured.
type BucketAccess struct {
	Name         string                                  `json:"name"`
	Region       string                                  `json:"region"`
	Policy       string                                  `json:"policy,omitempty"`
	ACL          *s3.GetBucketAclOutput                  `json:"-"`
	Grants       []s3types.Grant                         `json:"-"`
	PublicAccess *s3types.PublicAccessBlockConfiguration `json:"-"`
}

// accessReader is the part of reader access needs, plus the two reads only
// sortie policy makes.
type accessReader interface {
	Identity(ctx context.Context) (*string, error) // the account ID
	Buckets(ctx context.Context) (*s3.ListBucketsOutput, error)
	IAM(ctx context.Context) (*AuthorizationDetails, error)
	BucketAccess(ctx context.Context, bucket, region string) (*BucketAccess, error)
}

// Access reads IAM and the settings of buckets (all of the account's when
// buckets is empty). A bucket named but absent is an error; a setting that
// may not be read is a problem line, as in the inventory.
func (l *Live) Access(ctx context.Context, buckets []string) (*Access, error) {
	return readAccess(ctx, liveAccess{l}, buckets)
}

// Access reads IAM and bucket settings from the offline directory.
func (o *Offline) Access(ctx context.Context, buckets []string) (*Access, error) {
	return readAccess(ctx, offlineAccess{o}, buckets)
}

type liveAccess struct{ *Live }

func (l liveAccess) Identity(ctx context.Context) (*string, error) {
	out, err := l.Live.Identity(ctx)
	if err != nil {
		return nil, err
	}
	return out.Account, nil
}

// BucketAccess reads the policy, ACL and Block Public Access of bucket.
func (l liveAccess) BucketAccess(ctx context.Context, bucket, region string) (*BucketAccess, error) {
	if region == "" {
		loc, err := l.s3(l.cfg.Region).GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &bucket})
		if err != nil {
			return nil, err
		}
		region = locationRegion(aws.String(string(loc.LocationConstraint)))
	}
	c := l.s3(region)
	b := &BucketAccess{Name: bucket, Region: region}
	var errs settingErrs
	keep := errs.keep
	if out, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &bucket}); keep(err) {
		b.Policy = aws.ToString(out.Policy)
	}
	if out, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &bucket}); keep(err) {
		b.ACL, b.Grants = out, out.Grants
	}
	if out, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &bucket}); keep(err) {
		b.PublicAccess = out.PublicAccessBlockConfiguration
	}
	return b, errors.Join(errs...)
}

type offlineAccess struct{ *Offline }

func (o offlineAccess) Identity(ctx context.Context) (*string, error) {
	out, err := o.Offline.Identity(ctx)
	if err != nil {
		return nil, err
	}
	return out.Account, nil
}

// BucketAccess reads s3/BUCKET/get-bucket-{policy,acl}.json and
// get-public-access-block.json.
func (o offlineAccess) BucketAccess(_ context.Context, bucket, region string) (*BucketAccess, error) {
	dir := filepath.ToSlash(filepath.Join(dirBuckets, bucket)) + "/"
	b := &BucketAccess{Name: bucket, Region: region}
	var errs settingErrs
	keep := errs.keep
	if out, err := load[s3.GetBucketPolicyOutput](o.Offline, dir+"get-bucket-policy"); keep(err) {
		b.Policy = aws.ToString(out.Policy)
	}
	if out, err := load[s3.GetBucketAclOutput](o.Offline, dir+"get-bucket-acl"); keep(err) {
		b.ACL, b.Grants = out, out.Grants
	}
	if out, err := load[s3.GetPublicAccessBlockOutput](o.Offline, dir+"get-public-access-block"); keep(err) {
		b.PublicAccess = out.PublicAccessBlockConfiguration
	}
	return b, errors.Join(errs...)
}

func readAccess(ctx context.Context, r accessReader, only []string) (*Access, error) {
	a := &Access{}
	if id, err := r.Identity(ctx); err == nil {
		a.Account = aws.ToString(id)
	} else {
		a.Problems = append(a.Problems, Problem{Service: "sts", Error: problemText(err)})
	}
	iamDetails, err := r.IAM(ctx)
	if err != nil {
		// Without IAM there is nothing to translate but bucket policies;
		// the caller decides whether that is enough.
		a.Problems = append(a.Problems, Problem{Service: "iam", Error: problemText(err)})
		iamDetails = &AuthorizationDetails{}
	}
	a.IAM = iamDetails
	list, err := r.Buckets(ctx)
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	found := map[string]bool{}
	for _, b := range list.Buckets {
		name := aws.ToString(b.Name)
		if len(only) > 0 && !slices.Contains(only, name) {
			continue
		}
		found[name] = true
		ba, err := r.BucketAccess(ctx, name, aws.ToString(b.BucketRegion))
		if err != nil {
			a.Problems = append(a.Problems, Problem{Service: "s3", Region: ba.regionOr(), Error: name + ": " + problemText(err)})
		}
		if ba != nil {
			a.Buckets = append(a.Buckets, *ba)
		}
	}
	for _, name := range only {
		if !found[name] {
			return nil, fmt.Errorf("bucket %q is not in the account's bucket list; check --buckets", name)
		}
	}
	return a, nil
}

func (b *BucketAccess) regionOr() string {
	if b == nil {
		return ""
	}
	return b.Region
}

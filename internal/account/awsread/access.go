package awsread

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/sortie-dev/sortie/internal/account"
)

// accessReader is the part of reader access needs, plus the two reads only
// sortie policy makes.
type accessReader interface {
	Identity(ctx context.Context) (*string, error) // the account ID
	Buckets(ctx context.Context) (*s3.ListBucketsOutput, error)
	IAM(ctx context.Context) (*account.AuthorizationDetails, error)
	BucketAccess(ctx context.Context, bucket, region string) (*account.BucketAccess, error)
}

// Access reads IAM and the settings of buckets (all of the account's when
// buckets is empty). A bucket named but absent is an error; a setting that
// may not be read is a problem line, as in the inventory.
func (l *Live) Access(ctx context.Context, buckets []string) (*account.Access, error) {
	return readAccess(ctx, liveAccess{l}, buckets)
}

// Access reads IAM and bucket settings from the offline directory.
func (o *Offline) Access(ctx context.Context, buckets []string) (*account.Access, error) {
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
func (l liveAccess) BucketAccess(ctx context.Context, bucket, region string) (*account.BucketAccess, error) {
	if region == "" {
		loc, err := l.s3(l.cfg.Region).GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &bucket})
		if err != nil {
			return nil, err
		}
		region = locationRegion(aws.String(string(loc.LocationConstraint)))
	}
	c := l.s3(region)
	var r accessRead
	r.policy, r.policyErr = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &bucket})
	r.acl, r.aclErr = c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &bucket})
	r.block, r.blockErr = c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &bucket})
	return r.convert(bucket, region)
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
func (o offlineAccess) BucketAccess(_ context.Context, bucket, region string) (*account.BucketAccess, error) {
	dir := filepath.ToSlash(filepath.Join(dirBuckets, bucket)) + "/"
	var r accessRead
	r.policy, r.policyErr = load[s3.GetBucketPolicyOutput](o.Offline, dir+"get-bucket-policy")
	r.acl, r.aclErr = load[s3.GetBucketAclOutput](o.Offline, dir+"get-bucket-acl")
	r.block, r.blockErr = load[s3.GetPublicAccessBlockOutput](o.Offline, dir+"get-public-access-block")
	return r.convert(bucket, region)
}

// accessRead is what the three reads of a bucket's access settings
// returned, live or offline.
type accessRead struct {
	policy    *s3.GetBucketPolicyOutput
	policyErr error
	acl       *s3.GetBucketAclOutput
	aclErr    error
	block     *s3.GetPublicAccessBlockOutput
	blockErr  error
}

// convert turns the reads into the account model. A setting the bucket
// does not have is an answer; one that could not be read (refused, or a
// file the export did not write) is named in Unread, because a reader
// that took it as absent could grant what a bucket policy denies.
func (r accessRead) convert(bucket, region string) (*account.BucketAccess, error) {
	b := &account.BucketAccess{Name: bucket, Region: region}
	var errs []error
	read := func(setting string, err error) bool {
		if err == nil {
			return true
		}
		if !notConfigured(err) {
			b.Unread = append(b.Unread, setting)
			errs = append(errs, fmt.Errorf("%s: %w", setting, err))
		}
		return false
	}
	if read("bucket policy", r.policyErr) {
		b.Policy = aws.ToString(r.policy.Policy)
	}
	if read("bucket ACL", r.aclErr) {
		acl := &account.ACL{}
		if r.acl.Owner != nil {
			acl.OwnerID = aws.ToString(r.acl.Owner.ID)
		}
		for _, g := range r.acl.Grants {
			if g.Grantee == nil {
				continue
			}
			acl.Grants = append(acl.Grants, account.Grant{GranteeID: aws.ToString(g.Grantee.ID), GranteeURI: aws.ToString(g.Grantee.URI),
				GranteeEmail: aws.ToString(g.Grantee.EmailAddress), Permission: string(g.Permission)})
		}
		b.ACL = acl
	}
	if read("public access block", r.blockErr) && r.block.PublicAccessBlockConfiguration != nil {
		c := r.block.PublicAccessBlockConfiguration
		b.PublicAccess = &account.PublicAccessBlock{BlockPublicAcls: aws.ToBool(c.BlockPublicAcls), IgnorePublicAcls: aws.ToBool(c.IgnorePublicAcls),
			BlockPublicPolicy: aws.ToBool(c.BlockPublicPolicy), RestrictPublicBuckets: aws.ToBool(c.RestrictPublicBuckets)}
	}
	return b, errors.Join(errs...)
}

func readAccess(ctx context.Context, r accessReader, only []string) (*account.Access, error) {
	a := &account.Access{}
	if id, err := r.Identity(ctx); err == nil {
		a.Account = aws.ToString(id)
	} else {
		a.Problems = append(a.Problems, account.Problem{Service: "sts", Error: problemText(err)})
	}
	iamDetails, err := r.IAM(ctx)
	if err != nil {
		// Without IAM there is nothing to translate but bucket policies;
		// the caller decides whether that is enough.
		a.Problems = append(a.Problems, account.Problem{Service: "iam", Error: problemText(err)})
		iamDetails = &account.AuthorizationDetails{}
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
			a.Problems = append(a.Problems, account.Problem{Service: "s3", Region: regionOf(ba), Error: name + ": " + problemText(err)})
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

func regionOf(b *account.BucketAccess) string {
	if b == nil {
		return ""
	}
	return b.Region
}

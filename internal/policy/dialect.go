package policy

import (
	"regexp"
	"slices"
	"strings"
)

// awsS3Actions is the S3 part of AWS's Service Authorization Reference
// ("Actions defined by Amazon S3"), as of 2026-11, without the S3 Control
// (account-level) and Outposts actions, which name no bucket. It expands
// wildcards and tells unknown actions from real ones.
var awsS3Actions = strings.Fields(`
s3:AbortMultipartUpload s3:BypassGovernanceRetention s3:CreateBucket
s3:DeleteBucket s3:DeleteBucketOwnershipControls s3:DeleteBucketPolicy s3:DeleteBucketWebsite
s3:DeleteObject s3:DeleteObjectTagging s3:DeleteObjectVersion s3:DeleteObjectVersionTagging
s3:GetAccelerateConfiguration s3:GetAnalyticsConfiguration s3:GetBucketAcl s3:GetBucketCORS
s3:GetBucketLocation s3:GetBucketLogging s3:GetBucketNotification s3:GetBucketObjectLockConfiguration
s3:GetBucketOwnershipControls s3:GetBucketPolicy s3:GetBucketPolicyStatus s3:GetBucketPublicAccessBlock
s3:GetBucketRequestPayment s3:GetBucketTagging s3:GetBucketVersioning s3:GetBucketWebsite
s3:GetEncryptionConfiguration s3:GetIntelligentTieringConfiguration s3:GetInventoryConfiguration
s3:GetLifecycleConfiguration s3:GetMetricsConfiguration s3:GetObject s3:GetObjectAcl
s3:GetObjectAttributes s3:GetObjectLegalHold s3:GetObjectRetention s3:GetObjectTagging
s3:GetObjectTorrent s3:GetObjectVersion s3:GetObjectVersionAcl s3:GetObjectVersionAttributes
s3:GetObjectVersionForReplication s3:GetObjectVersionTagging s3:GetObjectVersionTorrent
s3:GetReplicationConfiguration s3:ListAllMyBuckets s3:ListBucket s3:ListBucketMultipartUploads
s3:ListBucketVersions s3:ListMultipartUploadParts s3:PutAccelerateConfiguration
s3:PutAnalyticsConfiguration s3:PutBucketAcl s3:PutBucketCORS s3:PutBucketLogging
s3:PutBucketNotification s3:PutBucketObjectLockConfiguration s3:PutBucketOwnershipControls
s3:PutBucketPolicy s3:PutBucketPublicAccessBlock s3:PutBucketRequestPayment s3:PutBucketTagging
s3:PutBucketVersioning s3:PutBucketWebsite s3:PutEncryptionConfiguration
s3:PutIntelligentTieringConfiguration s3:PutInventoryConfiguration s3:PutLifecycleConfiguration
s3:PutMetricsConfiguration s3:PutObject s3:PutObjectAcl s3:PutObjectLegalHold s3:PutObjectRetention
s3:PutObjectTagging s3:PutObjectVersionAcl s3:PutObjectVersionTagging s3:PutReplicationConfiguration
s3:ReplicateDelete s3:ReplicateObject s3:ReplicateTags s3:RestoreObject`)

// accountS3Actions are S3 actions that name no bucket (S3 Control, Storage
// Lens, Batch Operations, access points); a pattern matching only these
// is real but has nothing to carry.
var accountS3Actions = strings.Fields(`
s3:CreateJob s3:DescribeJob s3:ListJobs s3:UpdateJobPriority s3:UpdateJobStatus
s3:DescribeMultiRegionAccessPointOperation s3:ListMultiRegionAccessPoints s3:GetMultiRegionAccessPoint
s3:ListAccessPoints s3:GetAccessPoint s3:GetAccessPointPolicy s3:PutAccessPointPolicy s3:CreateAccessPoint
s3:GetAccountPublicAccessBlock s3:PutAccountPublicAccessBlock s3:GetStorageLensConfiguration
s3:ListStorageLensConfigurations s3:PutStorageLensConfiguration s3:GetStorageLensDashboard
s3:ListAccessGrants s3:GetAccessGrant s3:ListAccessGrantsInstances s3:ListCallerAccessGrants`)

// accountLevel reports whether pattern names S3 actions, all of them
// account-level.
func accountLevel(pattern string) bool {
	p := strings.ToLower(pattern)
	return slices.ContainsFunc(accountS3Actions, func(a string) bool { return wildcard(p, strings.ToLower(a)) })
}

// expand returns the AWS S3 actions a pattern matches, sorted.
func expand(pattern string) []string {
	var out []string
	p := strings.ToLower(pattern)
	for _, a := range awsS3Actions {
		if wildcard(p, strings.ToLower(a)) {
			out = append(out, a)
		}
	}
	return out
}

// Dialect is what a target's access control can express.
type Dialect struct {
	Name string
	// Actions are the S3 actions its policies accept (nil: no policies).
	Actions []string
	// Keys are the condition keys it evaluates, spelt as it expects them
	// (MinIO matches them case-sensitively); a key ending in "/" admits any
	// suffix (tag keys).
	Keys []string
	// Operators it evaluates (without IfExists / ForAnyValue).
	Operators  []string
	IfExists   bool
	SetOps     bool // ForAnyValue: / ForAllValues:
	NotAction  bool
	Variables  bool // ${aws:username} in resources and values
	MaxPolicy  int  // bytes, 0 when unknown
	BucketOnly bool // bucket policies apply to anonymous requests only
	// ValidName says why a user or group name is refused, or nothing.
	ValidName func(string) Msg
	Source    string // where these facts come from
}

// action returns a spelt as the dialect expects (MinIO matches actions
// case-sensitively: s3:GetBucketCors), or "" if it has no such action.
func (d *Dialect) action(a string) string {
	for _, s := range d.Actions {
		if strings.EqualFold(s, a) {
			return s
		}
	}
	return ""
}

// key returns k spelt as the dialect expects, or "" if it does not
// evaluate it.
func (d *Dialect) key(k string) string {
	for _, s := range d.Keys {
		if strings.EqualFold(s, k) {
			return s
		}
		if strings.HasSuffix(s, "/") && len(k) > len(s) && strings.EqualFold(k[:len(s)], s) {
			return s + k[len(s):]
		}
	}
	return ""
}

// supportsCondition says why a condition cannot be carried, or nothing.
func (d *Dialect) supportsCondition(c Condition) Msg {
	qual, base, ifExists := splitOperator(c.Operator)
	switch {
	case d.key(c.Key) == "":
		return M("d.no.key", d.Name, c.Key)
	case !slices.Contains(d.Operators, base):
		return M("d.no.op", d.Name, base)
	case ifExists && !d.IfExists:
		return M("d.no.ifexists", d.Name)
	case qual != "" && !d.SetOps:
		return M("d.no.setop", d.Name, qual)
	}
	return Msg{}
}

var commonOperators = []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
	"StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
	"NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals", "DateNotEquals", "DateLessThan",
	"DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals", "Bool", "IpAddress", "NotIpAddress", "Null"}

// minioReserved are the characters MinIO refuses in an access key
// (internal/auth/credentials.go: reservedChars).
var minioReserved = regexp.MustCompile(`[=,]`)

// Dialects by target name.
var Dialects = map[string]*Dialect{
	"minio": {
		Name: "MinIO",
		// minio/pkg/v3 v3.1.3 policy/action.go supportedActions, the ones
		// AWS also has (MinIO-only actions are never generated).
		Actions: strings.Fields(`s3:AbortMultipartUpload s3:CreateBucket s3:DeleteBucket s3:DeleteBucketPolicy
s3:DeleteObject s3:GetBucketLocation s3:GetBucketNotification s3:GetBucketPolicy s3:GetBucketCors s3:PutBucketCors
s3:GetObject s3:GetObjectAttributes s3:ListAllMyBuckets s3:ListBucket s3:GetBucketPolicyStatus s3:ListBucketVersions
s3:ListBucketMultipartUploads s3:ListMultipartUploadParts s3:PutLifecycleConfiguration s3:GetLifecycleConfiguration
s3:PutBucketNotification s3:PutBucketPolicy s3:PutObject s3:BypassGovernanceRetention s3:PutObjectRetention
s3:GetObjectRetention s3:GetObjectLegalHold s3:PutObjectLegalHold s3:GetBucketObjectLockConfiguration
s3:PutBucketObjectLockConfiguration s3:GetBucketTagging s3:PutBucketTagging s3:GetObjectVersion
s3:GetObjectVersionAttributes s3:GetObjectVersionTagging s3:DeleteObjectVersion s3:DeleteObjectVersionTagging
s3:PutObjectVersionTagging s3:GetObjectTagging s3:PutObjectTagging s3:DeleteObjectTagging
s3:PutEncryptionConfiguration s3:GetEncryptionConfiguration s3:PutBucketVersioning s3:GetBucketVersioning
s3:GetReplicationConfiguration s3:PutReplicationConfiguration s3:ReplicateObject s3:ReplicateDelete s3:ReplicateTags
s3:GetObjectVersionForReplication s3:RestoreObject`),
		// minio/pkg/v3 v3.1.3 policy/condition/keyname.go.
		Keys: strings.Fields(`s3:x-amz-copy-source s3:x-amz-server-side-encryption
s3:x-amz-server-side-encryption-customer-algorithm s3:x-amz-metadata-directive s3:x-amz-content-sha256
s3:x-amz-storage-class s3:x-amz-server-side-encryption-aws-kms-key-id s3:LocationConstraint s3:prefix
s3:delimiter s3:versionid s3:max-keys s3:object-lock-remaining-retention-days s3:object-lock-mode
s3:object-lock-retain-until-date s3:object-lock-legal-hold aws:Referer aws:SourceIp aws:UserAgent
aws:SecureTransport aws:CurrentTime aws:EpochTime aws:principaltype aws:userid aws:username aws:groups
s3:signatureversion s3:authType s3:ExistingObjectTag/ s3:RequestObjectTagKeys s3:RequestObjectTag/`),
		Operators: append(slices.Clone(commonOperators), "BinaryEquals"),
		IfExists:  true, SetOps: true, NotAction: true, Variables: true,
		// cmd/admin-handlers-users.go and bucket-policy-handlers.go refuse
		// bodies over maxBucketPolicySize, 20 KiB.
		MaxPolicy:  20 << 10,
		BucketOnly: true,
		ValidName: func(n string) Msg {
			switch {
			case len(n) < 3:
				return M("minio.short")
			case minioReserved.MatchString(n):
				return M("minio.reserved")
			}
			return Msg{}
		},
		Source: "minio/pkg v3.1.3 (policy actions and condition keys), MinIO server RELEASE 2026-02 (limits)",
	},
	"ceph": {
		Name: "Ceph RGW",
		// docs.ceph.com, Object Gateway "Bucket Policies" and "Role/User
		// policies": the S3 actions RGW implements.
		Actions: strings.Fields(`s3:AbortMultipartUpload s3:CreateBucket s3:DeleteBucketPolicy s3:DeleteBucket
s3:DeleteBucketWebsite s3:DeleteObject s3:DeleteObjectVersion s3:DeleteObjectTagging s3:DeleteObjectVersionTagging
s3:GetAccelerateConfiguration s3:GetBucketAcl s3:GetBucketCORS s3:GetBucketLocation s3:GetBucketLogging
s3:GetBucketNotification s3:GetBucketPolicy s3:GetBucketPolicyStatus s3:GetBucketPublicAccessBlock
s3:GetBucketRequestPayment s3:GetBucketTagging s3:GetBucketVersioning s3:GetBucketWebsite
s3:GetLifecycleConfiguration s3:GetObjectAcl s3:GetObject s3:GetObjectTorrent s3:GetObjectVersionAcl
s3:GetObjectVersion s3:GetObjectVersionTorrent s3:GetObjectTagging s3:GetObjectVersionTagging
s3:GetReplicationConfiguration s3:GetEncryptionConfiguration s3:ListAllMyBuckets s3:ListBucketMultipartUploads
s3:ListBucket s3:ListBucketVersions s3:ListMultipartUploadParts s3:PutAccelerateConfiguration s3:PutBucketAcl
s3:PutBucketCORS s3:PutBucketLogging s3:PutBucketNotification s3:PutBucketPolicy s3:PutBucketPublicAccessBlock
s3:PutBucketRequestPayment s3:PutBucketTagging s3:PutBucketVersioning s3:PutBucketWebsite
s3:PutLifecycleConfiguration s3:PutObjectAcl s3:PutObject s3:PutObjectVersionAcl s3:PutObjectTagging
s3:PutObjectVersionTagging s3:PutReplicationConfiguration s3:PutEncryptionConfiguration s3:RestoreObject
s3:GetBucketObjectLockConfiguration s3:PutBucketObjectLockConfiguration s3:GetObjectRetention
s3:PutObjectRetention s3:GetObjectLegalHold s3:PutObjectLegalHold s3:BypassGovernanceRetention`),
		Keys: strings.Fields(`aws:CurrentTime aws:EpochTime aws:PrincipalType aws:Referer aws:SecureTransport
aws:SourceIp aws:UserAgent aws:username s3:x-amz-acl s3:x-amz-grant-read s3:x-amz-grant-write
s3:x-amz-grant-read-acp s3:x-amz-grant-write-acp s3:x-amz-grant-full-control s3:x-amz-copy-source
s3:x-amz-server-side-encryption s3:x-amz-metadata-directive s3:x-amz-storage-class s3:VersionId
s3:LocationConstraint s3:prefix s3:delimiter s3:max-keys s3:ExistingObjectTag/ s3:RequestObjectTag/
s3:RequestObjectTagKeys`),
		Operators: commonOperators,
		IfExists:  true, SetOps: true, NotAction: true,
		// RGW documents policy variables for role session policies only;
		// sortie writes each user's name in.
		Variables: false,
		ValidName: func(n string) Msg {
			if strings.ContainsAny(n, "$:") {
				return M("rgw.reserved")
			}
			return Msg{}
		},
		Source: "docs.ceph.com Object Gateway: Bucket Policies, IAM user policies (Squid 19.2)",
	},
	"garage": {
		Name: "Garage",
		ValidName: func(n string) Msg {
			return Msg{}
		},
		Source: "garagehq.deuxfleurs.fr: Garage has per-key, per-bucket read/write/owner flags and no policies (v1.x/v2.x)",
	},
}

// Garage's three flags and the S3 actions each lets through
// (garagehq.deuxfleurs.fr, "S3 compatibility" and the key permission model).
var garageFlags = map[string][]string{
	"read": strings.Fields(`s3:GetObject s3:GetObjectVersion s3:ListBucket s3:ListBucketVersions
s3:ListBucketMultipartUploads s3:ListMultipartUploadParts s3:GetBucketLocation s3:GetBucketVersioning
s3:GetObjectAttributes s3:GetObjectTagging`),
	"write": strings.Fields(`s3:PutObject s3:DeleteObject s3:DeleteObjectVersion s3:AbortMultipartUpload
s3:PutObjectTagging s3:DeleteObjectTagging s3:RestoreObject`),
	"owner": strings.Fields(`s3:DeleteBucket s3:PutBucketWebsite s3:GetBucketWebsite s3:DeleteBucketWebsite
s3:PutBucketCORS s3:GetBucketCORS s3:PutLifecycleConfiguration s3:GetLifecycleConfiguration
s3:PutBucketPolicy s3:GetBucketPolicy s3:DeleteBucketPolicy`),
}

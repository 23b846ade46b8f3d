package account

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
	Name   string `json:"name"`
	Region string `json:"region"`
	Policy string `json:"policy,omitempty"`
	// ACL is nil when the bucket's ACL was not read.
	ACL *ACL `json:"acl,omitempty"`
	// PublicAccess is nil when the bucket has no Block Public Access
	// configuration of its own.
	PublicAccess *PublicAccessBlock `json:"public_access,omitempty"`
	// Unread names the settings that could not be read (policy, acl,
	// public-access-block): a reader of access must not take them as
	// absent.
	Unread []string `json:"unread,omitempty"`
}

// ACL is a bucket's access control list.
type ACL struct {
	OwnerID string  `json:"owner_id,omitempty"`
	Grants  []Grant `json:"grants"`
}

// Grant is one ACL grant. Exactly one of the grantee fields is set.
type Grant struct {
	// GranteeID is a canonical user ID.
	GranteeID string `json:"grantee_id,omitempty"`
	// GranteeURI is a predefined group (AllUsers, AuthenticatedUsers, LogDelivery).
	GranteeURI   string `json:"grantee_uri,omitempty"`
	GranteeEmail string `json:"grantee_email,omitempty"`
	// Permission is READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL.
	Permission string `json:"permission"`
}

// The predefined groups an ACL grants to.
const (
	AllUsersURI  = "http://acs.amazonaws.com/groups/global/AllUsers"
	AuthUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// PublicAccessBlock is a bucket's Block Public Access configuration; an
// unset setting is false, as S3 treats it.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"BlockPublicAcls"`
	IgnorePublicAcls      bool `json:"IgnorePublicAcls"`
	BlockPublicPolicy     bool `json:"BlockPublicPolicy"`
	RestrictPublicBuckets bool `json:"RestrictPublicBuckets"`
}

// All reports whether all four settings are on.
func (p *PublicAccessBlock) All() bool {
	return p != nil && p.BlockPublicAcls && p.IgnorePublicAcls && p.BlockPublicPolicy && p.RestrictPublicBuckets
}

package policy

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sortie-dev/sortie/internal/assess"
)

//go:embed aws-managed.json
var awsManagedJSON []byte

// Managed is sortie's bundled copy of the AWS-managed policies it expands.
type Managed struct {
	Retrieved string `json:"retrieved"`
	Policies  map[string]struct {
		Version  string          `json:"version"`
		Reduced  string          `json:"reduced,omitempty"`
		Document json.RawMessage `json:"document"`
	} `json:"policies"`
}

// BundledManaged returns the bundled AWS-managed policies.
func BundledManaged() *Managed {
	var m Managed
	if err := json.Unmarshal(awsManagedJSON, &m); err != nil {
		panic("policy: bundled aws-managed.json: " + err.Error())
	}
	return &m
}

// unit is one policy document as the loss report lists it: where it comes
// from, whom it applies to and its parsed statements.
type unit struct {
	label  string // "user alice: inline home"
	kind   string // inline-user, inline-group, managed, aws-managed, bucket-policy, bucket-acl
	name   string // the policy's own name (for target-side names)
	owner  string // the user or group of an inline policy
	policy *Policy
	err    error // the document could not be read at all
	users  []string
	groups []string
	bucket string // resource kinds
	// restricted: Block Public Access's RestrictPublicBuckets keeps public
	// statements of this bucket policy from anonymous requests.
	restricted bool
}

type user struct {
	name, arn string
	groups    []string
	tags      []assess.Tag
	units     []*unit // identity units: own inline, attached, groups'
	boundary  *unit
	carried   bool // decided once by translator.principals
}

type account struct {
	id       string
	pre      map[string][]string // prefixes(), computed once
	users    []*user
	groups   map[string][]string // group → members
	roles    []assess.IAMRole
	units    []*unit // identity and resource units, in report order
	buckets  []assess.BucketAccess
	managed  map[string]*unit // ARN → unit
	problems []string
}

// load builds the account model from what assess read.
func load(a *assess.Access, bundled *Managed) *account {
	acc := &account{id: a.Account, groups: map[string][]string{}, managed: map[string]*unit{}, buckets: a.Buckets}
	for _, p := range a.Problems {
		acc.problems = append(acc.problems, fmt.Sprintf("%s %s: %s", p.Service, p.Region, p.Error))
	}
	iam := a.IAM
	parse := func(u *unit, doc assess.Document) *unit {
		if len(doc) == 0 {
			u.err = fmt.Errorf("empty or undecodable policy document")
			return u
		}
		u.policy, u.err = Parse(doc)
		return u
	}
	managedUnit := func(arn string) *unit {
		if u, ok := acc.managed[arn]; ok {
			return u
		}
		name := arn[strings.LastIndex(arn, "/")+1:]
		u := &unit{name: name, kind: "managed", label: "managed policy " + name}
		isAWS := strings.HasPrefix(arn, "arn:aws:iam::aws:policy/")
		if isAWS {
			u.kind, u.label = "aws-managed", "AWS-managed policy "+name
		}
		found := false
		for _, p := range iam.Policies {
			if p.Arn != arn {
				continue
			}
			for _, v := range p.PolicyVersionList {
				if v.IsDefaultVersion || v.VersionID == p.DefaultVersionID {
					parse(u, v.Document)
					found = true
				}
			}
		}
		if !found && isAWS {
			if b, ok := bundled.Policies[arn]; ok {
				parse(u, assess.Document(b.Document))
				u.label += fmt.Sprintf(" (sortie's copy of %s, %s)", b.Version, bundled.Retrieved)
				found = true
			}
		}
		if !found {
			u.err = fmt.Errorf("the document of %s is not in the IAM export nor in sortie's bundled copy (%s)", arn, bundled.Retrieved)
		}
		acc.managed[arn] = u
		acc.units = append(acc.units, u)
		return u
	}
	groupUnits := map[string][]*unit{}
	for _, g := range iam.GroupDetailList {
		for _, ip := range g.GroupPolicyList {
			u := parse(&unit{label: "group " + g.GroupName + ": inline " + ip.PolicyName, kind: "inline-group",
				name: ip.PolicyName, owner: g.GroupName, groups: []string{g.GroupName}}, ip.PolicyDocument)
			acc.units = append(acc.units, u)
			groupUnits[g.GroupName] = append(groupUnits[g.GroupName], u)
		}
		for _, ap := range g.AttachedManagedPolicies {
			u := managedUnit(ap.PolicyArn)
			u.groups = append(u.groups, g.GroupName)
			groupUnits[g.GroupName] = append(groupUnits[g.GroupName], u)
		}
		acc.groups[g.GroupName] = nil
	}
	for _, iu := range iam.UserDetailList {
		us := &user{name: iu.UserName, arn: iu.Arn, groups: iu.GroupList, tags: iu.Tags}
		for _, ip := range iu.UserPolicyList {
			u := parse(&unit{label: "user " + iu.UserName + ": inline " + ip.PolicyName, kind: "inline-user",
				name: ip.PolicyName, owner: iu.UserName, users: []string{iu.UserName}}, ip.PolicyDocument)
			acc.units = append(acc.units, u)
			us.units = append(us.units, u)
		}
		for _, ap := range iu.AttachedManagedPolicies {
			u := managedUnit(ap.PolicyArn)
			u.users = append(u.users, iu.UserName)
			us.units = append(us.units, u)
		}
		for _, g := range iu.GroupList {
			acc.groups[g] = append(acc.groups[g], iu.UserName)
			us.units = append(us.units, groupUnits[g]...)
		}
		if iu.PermissionsBoundary != nil {
			us.boundary = managedUnit(iu.PermissionsBoundary.PolicyArn)
		}
		acc.users = append(acc.users, us)
	}
	acc.roles = iam.RoleDetailList
	for _, b := range a.Buckets {
		if b.Policy != "" {
			u := &unit{label: "bucket " + b.Name + ": bucket policy", kind: "bucket-policy", name: "policy", bucket: b.Name}
			parse(u, assess.Document(b.Policy))
			u.restricted = b.PublicAccess != nil && b.PublicAccess.RestrictPublicBuckets != nil && *b.PublicAccess.RestrictPublicBuckets
			acc.units = append(acc.units, u)
		}
		if acl := aclPolicy(b); acl != nil {
			acc.units = append(acc.units, &unit{label: "bucket " + b.Name + ": ACL", kind: "bucket-acl", name: "acl", bucket: b.Name, policy: acl})
		}
	}
	return acc
}

const (
	allUsersURI  = "http://acs.amazonaws.com/groups/global/AllUsers"
	authUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// aclPolicy rewrites a bucket ACL's grants to others than the owner as
// bucket-policy statements, with S3's documented meaning of each
// permission on a bucket. IgnorePublicAcls drops the public grants.
func aclPolicy(b assess.BucketAccess) *Policy {
	ignorePublic := b.PublicAccess != nil && b.PublicAccess.IgnorePublicAcls != nil && *b.PublicAccess.IgnorePublicAcls
	owner := ""
	if b.ACL != nil && b.ACL.Owner != nil && b.ACL.Owner.ID != nil {
		owner = *b.ACL.Owner.ID
	}
	perms := map[s3types.Permission][]string{
		s3types.PermissionRead:     {"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"},
		s3types.PermissionWrite:    {"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"},
		s3types.PermissionReadAcp:  {"s3:GetBucketAcl"},
		s3types.PermissionWriteAcp: {"s3:PutBucketAcl"},
	}
	perms[s3types.PermissionFullControl] = slices.Concat(perms["READ"], perms["WRITE"], perms["READ_ACP"], perms["WRITE_ACP"])
	p := &Policy{Version: "2012-10-17"}
	for _, g := range b.Grants {
		if g.Grantee == nil {
			continue
		}
		pr := &Principal{}
		switch {
		case g.Grantee.URI != nil && *g.Grantee.URI == allUsersURI:
			if ignorePublic {
				continue
			}
			pr.All = true
		case g.Grantee.URI != nil && *g.Grantee.URI == authUsersURI:
			if ignorePublic {
				continue
			}
			pr.Authenticated = true
		case g.Grantee.ID != nil && *g.Grantee.ID == owner:
			continue // the owning account: its users need identity policies
		case g.Grantee.ID != nil:
			pr.Canonical = []string{*g.Grantee.ID}
		case g.Grantee.EmailAddress != nil:
			pr.Canonical = []string{*g.Grantee.EmailAddress}
		default:
			continue
		}
		st := Statement{Index: len(p.Statements), Sid: "ACL " + string(g.Permission), Effect: "Allow", Principal: pr,
			Action: perms[g.Permission], Resource: []string{"arn:aws:s3:::" + b.Name}}
		if g.Permission == s3types.PermissionWrite || g.Permission == s3types.PermissionFullControl {
			st.Resource = append(st.Resource, "arn:aws:s3:::"+b.Name+"/*")
		}
		p.Statements = append(p.Statements, st)
	}
	if len(p.Statements) == 0 {
		return nil
	}
	return p
}

// who returns the requester for user u.
func (acc *account) who(u *user) Who {
	return Who{Account: acc.id, ARN: u.arn, UserName: u.name}
}

// sources returns what AWS evaluates for u's requests (nil u: anonymous).
func (acc *account) sources(u *user) []Source {
	var out []Source
	if u != nil {
		seen := map[*unit]bool{}
		for _, un := range u.units {
			if un.policy != nil && !seen[un] {
				seen[un] = true
				out = append(out, Source{Name: un.label, Kind: Identity, Policy: un.policy})
			}
		}
		if u.boundary != nil && u.boundary.policy != nil {
			out = append(out, Source{Name: u.boundary.label, Kind: Boundary, Policy: u.boundary.policy})
		}
	}
	for _, un := range acc.units {
		if un.bucket == "" || un.policy == nil {
			continue
		}
		p := un.policy
		if u == nil && un.restricted {
			p = withoutPublicAllows(p)
		}
		out = append(out, Source{Name: un.label, Kind: Resource, Policy: p})
	}
	return out
}

// withoutPublicAllows drops allow statements open to everyone: what
// RestrictPublicBuckets does to anonymous requests. (RestrictPublicBuckets
// keeps them for the account's own users; the anonymous caller never is
// Authenticated, so dropping those too changes nothing for it.)
func withoutPublicAllows(p *Policy) *Policy {
	q := &Policy{Version: p.Version}
	for _, st := range p.Statements {
		if st.Effect == "Allow" && st.Principal != nil && (st.Principal.All || st.Principal.Authenticated) {
			continue
		}
		q.Statements = append(q.Statements, st)
	}
	return q
}

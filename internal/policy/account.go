package policy

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sortie-dev/sortie/internal/account"
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
	title  Msg    // "user alice: inline home", for reports
	label  string // title in English: names sources and target policies
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
	tags      []account.Tag
	units     []*unit // identity units: own inline, attached, groups'
	boundary  *unit
	carried   bool // decided once by translator.principals
}

type model struct {
	id       string
	pre      map[string][]string // prefixes(), computed once
	users    []*user
	groups   map[string][]string // group → members
	roles    []account.IAMRole
	units    []*unit // identity and resource units, in report order
	buckets  []account.BucketAccess
	managed  map[string]*unit // ARN → unit
	problems []string
}

// load builds the account model from what assess read.
func load(a *account.Access, bundled *Managed) *model {
	acc := &model{id: a.Account, groups: map[string][]string{}, managed: map[string]*unit{}, buckets: a.Buckets}
	for _, p := range a.Problems {
		acc.problems = append(acc.problems, fmt.Sprintf("%s %s: %s", p.Service, p.Region, p.Error))
	}
	iam := a.IAM
	parse := func(u *unit, doc account.Document) *unit {
		titled(u)
		if len(doc) == 0 {
			u.err = Errorf("err.empty.doc")
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
		u := &unit{name: name, kind: "managed", title: M("label.managed", name)}
		isAWS := strings.HasPrefix(arn, "arn:aws:iam::aws:policy/")
		if isAWS {
			u.kind, u.title = "aws-managed", M("label.aws.managed", name)
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
				parse(u, account.Document(b.Document))
				u.title = M("label.bundled", u.title, b.Version, bundled.Retrieved)
				found = true
			}
		}
		if !found {
			u.err = Errorf("err.managed.missing", arn, bundled.Retrieved)
		}
		u.label = u.title.String()
		acc.managed[arn] = u
		acc.units = append(acc.units, u)
		return u
	}
	groupUnits := map[string][]*unit{}
	for _, g := range iam.GroupDetailList {
		for _, ip := range g.GroupPolicyList {
			u := parse(&unit{title: M("label.inline.group", g.GroupName, ip.PolicyName), kind: "inline-group",
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
			u := parse(&unit{title: M("label.inline.user", iu.UserName, ip.PolicyName), kind: "inline-user",
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
		if b := iu.PermissionsBoundary; b != nil {
			if b.Arn == "" || (b.Type != "" && b.Type != "Policy") {
				us.boundary = &unit{name: "(unreadable)", kind: "boundary", title: M("label.boundary", iu.UserName),
					err: Errorf("err.boundary.type", b.Type, b.Arn)}
				us.boundary.label = us.boundary.title.String()
			} else {
				us.boundary = managedUnit(b.Arn)
			}
		}
		acc.users = append(acc.users, us)
	}
	acc.roles = iam.RoleDetailList
	for _, b := range a.Buckets {
		if slices.Contains(b.Unread, "bucket policy") {
			// A policy that could not be read may deny what identity
			// policies allow: nothing is granted on the bucket until it
			// is read.
			acc.units = append(acc.units, titled(&unit{title: M("label.bucket.unreadable", b.Name),
				kind: "bucket-policy", name: "policy", bucket: b.Name, policy: denyAll(b.Name)}))
		}
		if b.Policy != "" {
			u := titled(&unit{title: M("label.bucket.policy", b.Name), kind: "bucket-policy", name: "policy", bucket: b.Name})
			parse(u, account.Document(b.Policy))
			u.restricted = b.PublicAccess != nil && b.PublicAccess.RestrictPublicBuckets
			acc.units = append(acc.units, u)
		}
		if acl := aclPolicy(b); acl != nil {
			acc.units = append(acc.units, titled(&unit{title: M("label.acl", b.Name), kind: "bucket-acl", name: "acl", bucket: b.Name, policy: acl}))
		}
	}
	return acc
}

// aclPolicy rewrites a bucket ACL's grants to others than the owner as
// bucket-policy statements, with S3's documented meaning of each
// permission on a bucket. IgnorePublicAcls drops the public grants.
func aclPolicy(b account.BucketAccess) *Policy {
	if b.ACL == nil {
		return nil
	}
	ignorePublic := b.PublicAccess != nil && b.PublicAccess.IgnorePublicAcls
	perms := map[string][]string{
		"READ":      {"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"},
		"WRITE":     {"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"},
		"READ_ACP":  {"s3:GetBucketAcl"},
		"WRITE_ACP": {"s3:PutBucketAcl"},
	}
	perms["FULL_CONTROL"] = slices.Concat(perms["READ"], perms["WRITE"], perms["READ_ACP"], perms["WRITE_ACP"])
	p := &Policy{Version: "2012-10-17"}
	for _, g := range b.ACL.Grants {
		pr := &Principal{}
		switch {
		case g.GranteeURI == account.AllUsersURI:
			if ignorePublic {
				continue
			}
			pr.All = true
		case g.GranteeURI == account.AuthUsersURI:
			if ignorePublic {
				continue
			}
			pr.Authenticated = true
		case g.GranteeID != "" && g.GranteeID == b.ACL.OwnerID:
			continue // the owning account: its users need identity policies
		case g.GranteeID != "":
			pr.Canonical = []string{g.GranteeID}
		case g.GranteeEmail != "":
			pr.Canonical = []string{g.GranteeEmail}
		default:
			continue
		}
		st := Statement{Index: len(p.Statements), Sid: "ACL " + g.Permission, Effect: "Allow", Principal: pr,
			Action: perms[g.Permission], Resource: []string{"arn:aws:s3:::" + b.Name}}
		if g.Permission == "WRITE" || g.Permission == "FULL_CONTROL" {
			st.Resource = append(st.Resource, "arn:aws:s3:::"+b.Name+"/*")
		}
		p.Statements = append(p.Statements, st)
	}
	if len(p.Statements) == 0 {
		return nil
	}
	return p
}

// denyAll is a bucket policy denying everything on bucket to everyone.
func denyAll(bucket string) *Policy {
	return &Policy{Version: "2012-10-17", Statements: []Statement{{Sid: "unreadable policy", Effect: "Deny", Principal: &Principal{All: true},
		Action: []string{"s3:*"}, Resource: []string{"arn:aws:s3:::" + bucket, "arn:aws:s3:::" + bucket + "/*"}}}}
}

// unreadable says why u's access cannot be known, or "": a boundary, a
// policy or a statement that could not be read may cap or deny what the
// rest allows, so carrying u without it could grant more than AWS does.
// (An unreadable Allow statement only narrows, and is reported as such.)
func (u *user) unreadable() Msg {
	if b := u.boundary; b != nil && (b.err != nil || b.policy == nil) {
		return M("unreadable.boundary", b.name, errText(b.err))
	}
	for _, un := range u.units {
		if un.err != nil || un.policy == nil {
			return M("unreadable.unit", un.title, errText(un.err))
		}
		for _, st := range un.policy.Statements {
			if st.Err != nil && st.Effect != "Allow" {
				return M("unreadable.stmt", un.title, st.Index+1, errText(st.Err))
			}
		}
	}
	return Msg{}
}

// errText is err as a message argument ("<nil>" as %v prints it).
func errText(err error) any {
	if err == nil {
		return "<nil>"
	}
	return errMsg(err)
}

// titled sets u's English label from its title.
func titled(u *unit) *unit {
	u.label = u.title.String()
	return u
}

// who returns the requester for user u.
func (acc *model) who(u *user) Who {
	return Who{Account: acc.id, ARN: u.arn, UserName: u.name}
}

// sources returns what AWS evaluates for u's requests (nil u: anonymous).
func (acc *model) sources(u *user) []Source {
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

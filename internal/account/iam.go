package assess

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// AuthorizationDetails is GetAccountAuthorizationDetails' output as aws-cli
// prints it. It is sortie's own type, not the SDK's: the API returns policy
// documents URL-encoded in strings, aws-cli prints them as JSON objects, and
// Document accepts both.
type AuthorizationDetails struct {
	UserDetailList  []IAMUser   `json:"UserDetailList"`
	GroupDetailList []IAMGroup  `json:"GroupDetailList"`
	RoleDetailList  []IAMRole   `json:"RoleDetailList"`
	Policies        []IAMPolicy `json:"Policies"`
}

// IAMUser is a user with its groups and policies.
type IAMUser struct {
	UserName                string           `json:"UserName"`
	Arn                     string           `json:"Arn"`
	GroupList               []string         `json:"GroupList"`
	AttachedManagedPolicies []AttachedPolicy `json:"AttachedManagedPolicies"`
	UserPolicyList          []InlinePolicy   `json:"UserPolicyList"`
	PermissionsBoundary     *AttachedPolicy  `json:"PermissionsBoundary,omitempty"`
	Tags                    []Tag            `json:"Tags,omitempty"`
}

// Tag is an IAM tag; policies test a principal's tags (aws:PrincipalTag).
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// IAMGroup is a group with its policies.
type IAMGroup struct {
	GroupName               string           `json:"GroupName"`
	Arn                     string           `json:"Arn"`
	AttachedManagedPolicies []AttachedPolicy `json:"AttachedManagedPolicies"`
	GroupPolicyList         []InlinePolicy   `json:"GroupPolicyList"`
}

// IAMRole is a role with its trust policy and policies.
type IAMRole struct {
	RoleName                 string           `json:"RoleName"`
	Arn                      string           `json:"Arn"`
	AssumeRolePolicyDocument Document         `json:"AssumeRolePolicyDocument"`
	AttachedManagedPolicies  []AttachedPolicy `json:"AttachedManagedPolicies"`
	RolePolicyList           []InlinePolicy   `json:"RolePolicyList"`
}

// IAMPolicy is a managed policy with its versions.
type IAMPolicy struct {
	PolicyName        string          `json:"PolicyName"`
	Arn               string          `json:"Arn"`
	DefaultVersionID  string          `json:"DefaultVersionId"`
	AttachmentCount   int32           `json:"AttachmentCount"`
	PolicyVersionList []PolicyVersion `json:"PolicyVersionList"`
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	VersionID        string   `json:"VersionId"`
	IsDefaultVersion bool     `json:"IsDefaultVersion"`
	Document         Document `json:"Document"`
}

// AttachedPolicy names a managed policy attached to a principal.
type AttachedPolicy struct {
	PolicyName string `json:"PolicyName"`
	PolicyArn  string `json:"PolicyArn"`
}

// InlinePolicy is a policy embedded in a principal.
type InlinePolicy struct {
	PolicyName     string   `json:"PolicyName"`
	PolicyDocument Document `json:"PolicyDocument"`
}

// Document is a policy document as JSON.
type Document json.RawMessage

// UnmarshalJSON accepts a JSON object (aws-cli) or a string holding the
// document, URL-encoded (the API) or not.
func (d *Document) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		doc, err := decodeDocument(s)
		if err != nil {
			return err
		}
		*d = doc
		return nil
	}
	*d = append(Document(nil), b...)
	return nil
}

// MarshalJSON writes the document as a JSON object.
func (d Document) MarshalJSON() ([]byte, error) {
	if len(d) == 0 {
		return []byte("null"), nil
	}
	return d, nil
}

func decodeDocument(s string) (Document, error) {
	if s == "" {
		return nil, nil
	}
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		u, err := url.QueryUnescape(s)
		if err != nil {
			return nil, fmt.Errorf("policy document is neither JSON nor URL-encoded JSON: %w", err)
		}
		s = u
	}
	if !json.Valid([]byte(s)) {
		return nil, fmt.Errorf("policy document is not valid JSON")
	}
	return Document(s), nil
}

// fromSDK converts the API's output (all pages appended) to
// AuthorizationDetails, decoding documents. A document that cannot be
// decoded is kept empty; the policy translator reports it.
func fromSDK(out *iam.GetAccountAuthorizationDetailsOutput) *AuthorizationDetails {
	doc := func(s *string) Document { d, _ := decodeDocument(aws.ToString(s)); return d }
	attached := func(in []iamtypes.AttachedPolicy) []AttachedPolicy {
		out := make([]AttachedPolicy, len(in))
		for i, a := range in {
			out[i] = AttachedPolicy{PolicyName: aws.ToString(a.PolicyName), PolicyArn: aws.ToString(a.PolicyArn)}
		}
		return out
	}
	inline := func(in []iamtypes.PolicyDetail) []InlinePolicy {
		var out []InlinePolicy
		for _, p := range in {
			out = append(out, InlinePolicy{PolicyName: aws.ToString(p.PolicyName), PolicyDocument: doc(p.PolicyDocument)})
		}
		return out
	}
	d := &AuthorizationDetails{}
	for _, u := range out.UserDetailList {
		user := IAMUser{UserName: aws.ToString(u.UserName), Arn: aws.ToString(u.Arn), GroupList: u.GroupList,
			AttachedManagedPolicies: attached(u.AttachedManagedPolicies), UserPolicyList: inline(u.UserPolicyList)}
		for _, t := range u.Tags {
			user.Tags = append(user.Tags, Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
		}
		if u.PermissionsBoundary != nil {
			user.PermissionsBoundary = &AttachedPolicy{PolicyArn: aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn)}
		}
		d.UserDetailList = append(d.UserDetailList, user)
	}
	for _, g := range out.GroupDetailList {
		d.GroupDetailList = append(d.GroupDetailList, IAMGroup{GroupName: aws.ToString(g.GroupName), Arn: aws.ToString(g.Arn),
			AttachedManagedPolicies: attached(g.AttachedManagedPolicies), GroupPolicyList: inline(g.GroupPolicyList)})
	}
	for _, r := range out.RoleDetailList {
		d.RoleDetailList = append(d.RoleDetailList, IAMRole{RoleName: aws.ToString(r.RoleName), Arn: aws.ToString(r.Arn),
			AssumeRolePolicyDocument: doc(r.AssumeRolePolicyDocument), AttachedManagedPolicies: attached(r.AttachedManagedPolicies), RolePolicyList: inline(r.RolePolicyList)})
	}
	for _, p := range out.Policies {
		pol := IAMPolicy{PolicyName: aws.ToString(p.PolicyName), Arn: aws.ToString(p.Arn), DefaultVersionID: aws.ToString(p.DefaultVersionId), AttachmentCount: aws.ToInt32(p.AttachmentCount)}
		for _, v := range p.PolicyVersionList {
			pol.PolicyVersionList = append(pol.PolicyVersionList, PolicyVersion{VersionID: aws.ToString(v.VersionId), IsDefaultVersion: v.IsDefaultVersion, Document: doc(v.Document)})
		}
		d.Policies = append(d.Policies, pol)
	}
	return d
}

// Summary counts identities and policies for the inventory.
func (d *AuthorizationDetails) Summary() *IAM {
	s := &IAM{Users: len(d.UserDetailList), Groups: len(d.GroupDetailList)}
	awsManaged := map[string]bool{}
	note := func(ps []AttachedPolicy) {
		for _, p := range ps {
			if strings.HasPrefix(p.PolicyArn, "arn:aws:iam::aws:policy/") {
				awsManaged[p.PolicyArn] = true
			}
		}
	}
	for _, u := range d.UserDetailList {
		s.InlinePolicies += len(u.UserPolicyList)
		note(u.AttachedManagedPolicies)
	}
	for _, g := range d.GroupDetailList {
		s.InlinePolicies += len(g.GroupPolicyList)
		note(g.AttachedManagedPolicies)
	}
	for _, r := range d.RoleDetailList {
		s.InlinePolicies += len(r.RolePolicyList)
		note(r.AttachedManagedPolicies)
		if serviceOnly(r.AssumeRolePolicyDocument) {
			s.ServiceRoles++
		} else {
			s.Roles++
		}
	}
	for _, p := range d.Policies {
		if !strings.HasPrefix(p.Arn, "arn:aws:iam::aws:policy/") {
			s.ManagedPolicies++
		}
	}
	s.AWSManagedInUse = len(awsManaged)
	return s
}

// serviceOnly reports whether a trust policy lets only AWS services assume
// the role (such roles have nothing to carry to another cloud).
func serviceOnly(doc Document) bool {
	var trust struct {
		Statement json.RawMessage
	}
	if json.Unmarshal(doc, &trust) != nil || len(trust.Statement) == 0 {
		return false
	}
	var stmts []struct{ Principal json.RawMessage }
	if json.Unmarshal(trust.Statement, &stmts) != nil {
		var one struct{ Principal json.RawMessage }
		if json.Unmarshal(trust.Statement, &one) != nil {
			return false
		}
		stmts = append(stmts, one)
	}
	for _, s := range stmts {
		var p map[string]json.RawMessage
		if json.Unmarshal(s.Principal, &p) != nil || len(p) != 1 || p["Service"] == nil {
			return false
		}
	}
	return len(stmts) > 0
}

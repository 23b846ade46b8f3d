package account

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// AuthorizationDetails is what GetAccountAuthorizationDetails tells:
// users, groups, roles and managed policies with their documents. The
// readers fill it from the SDK's output type, live or decoded from
// aws-cli's JSON, through one conversion; member names follow the API's.
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
	PermissionsBoundary     *Boundary        `json:"PermissionsBoundary,omitempty"`
	Tags                    []Tag            `json:"Tags,omitempty"`
}

// Boundary is a permissions boundary as the API gives it: the managed
// policy that caps a user's or role's identity policies. Type is "Policy"
// (the only kind IAM has); a boundary of another type, or one whose ARN is
// empty, cannot be evaluated, and a principal with such a boundary must not
// be carried as if it had none.
type Boundary struct {
	Type string `json:"PermissionsBoundaryType"`
	Arn  string `json:"PermissionsBoundaryArn"`
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
	PermissionsBoundary      *Boundary        `json:"PermissionsBoundary,omitempty"`
	Tags                     []Tag            `json:"Tags,omitempty"`
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
		doc, err := DecodeDocument(s)
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

// DecodeDocument reads a policy document from the API's form: JSON,
// URL-encoded or not.
func DecodeDocument(s string) (Document, error) {
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

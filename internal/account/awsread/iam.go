package awsread

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sortie-dev/sortie/internal/account"
)

// documentMembers are the members of GetAccountAuthorizationDetails'
// output that hold policy documents: the API gives them as URL-encoded
// strings, aws-cli prints them as JSON objects.
var documentMembers = map[string]bool{"PolicyDocument": true, "Document": true, "AssumeRolePolicyDocument": true}

// decodeIAM decodes aws-cli's GetAccountAuthorizationDetails JSON into the
// SDK's own output type, so that the offline reader goes through the same
// conversion as the live one: a member the API has (a permissions boundary,
// a role's tags) cannot be lost to a shape of our own.
func decodeIAM(b []byte) (*iam.GetAccountAuthorizationDetailsOutput, error) {
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	if err := stringifyDocuments(raw); err != nil {
		return nil, err
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	out := &iam.GetAccountAuthorizationDetailsOutput{}
	if err := json.Unmarshal(b, out); err != nil {
		return nil, err
	}
	return out, nil
}

// stringifyDocuments turns every policy document that aws-cli printed as a
// JSON object back into the string the API type holds.
func stringifyDocuments(v any) error {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if documentMembers[k] {
				if _, isString := child.(string); !isString && child != nil {
					b, err := json.Marshal(child)
					if err != nil {
						return fmt.Errorf("%s: %w", k, err)
					}
					v[k] = string(b)
				}
				continue
			}
			if err := stringifyDocuments(child); err != nil {
				return err
			}
		}
	case []any:
		for _, child := range v {
			if err := stringifyDocuments(child); err != nil {
				return err
			}
		}
	}
	return nil
}

// fromSDK converts the API's output (all pages appended) to the account
// model, decoding documents. A document that cannot be decoded is kept
// empty; the policy translator reports it as not readable.
func fromSDK(out *iam.GetAccountAuthorizationDetailsOutput) *account.AuthorizationDetails {
	doc := func(s *string) account.Document { d, _ := account.DecodeDocument(aws.ToString(s)); return d }
	attached := func(in []iamtypes.AttachedPolicy) []account.AttachedPolicy {
		out := make([]account.AttachedPolicy, len(in))
		for i, a := range in {
			out[i] = account.AttachedPolicy{PolicyName: aws.ToString(a.PolicyName), PolicyArn: aws.ToString(a.PolicyArn)}
		}
		return out
	}
	inline := func(in []iamtypes.PolicyDetail) []account.InlinePolicy {
		var out []account.InlinePolicy
		for _, p := range in {
			out = append(out, account.InlinePolicy{PolicyName: aws.ToString(p.PolicyName), PolicyDocument: doc(p.PolicyDocument)})
		}
		return out
	}
	boundary := func(b *iamtypes.AttachedPermissionsBoundary) *account.Boundary {
		if b == nil {
			return nil
		}
		return &account.Boundary{Type: string(b.PermissionsBoundaryType), Arn: aws.ToString(b.PermissionsBoundaryArn)}
	}
	tags := func(in []iamtypes.Tag) []account.Tag {
		var out []account.Tag
		for _, t := range in {
			out = append(out, account.Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
		}
		return out
	}
	d := &account.AuthorizationDetails{}
	for _, u := range out.UserDetailList {
		d.UserDetailList = append(d.UserDetailList, account.IAMUser{
			UserName: aws.ToString(u.UserName), Arn: aws.ToString(u.Arn), GroupList: u.GroupList,
			AttachedManagedPolicies: attached(u.AttachedManagedPolicies), UserPolicyList: inline(u.UserPolicyList),
			PermissionsBoundary: boundary(u.PermissionsBoundary), Tags: tags(u.Tags),
		})
	}
	for _, g := range out.GroupDetailList {
		d.GroupDetailList = append(d.GroupDetailList, account.IAMGroup{GroupName: aws.ToString(g.GroupName), Arn: aws.ToString(g.Arn),
			AttachedManagedPolicies: attached(g.AttachedManagedPolicies), GroupPolicyList: inline(g.GroupPolicyList)})
	}
	for _, r := range out.RoleDetailList {
		d.RoleDetailList = append(d.RoleDetailList, account.IAMRole{RoleName: aws.ToString(r.RoleName), Arn: aws.ToString(r.Arn),
			AssumeRolePolicyDocument: doc(r.AssumeRolePolicyDocument), AttachedManagedPolicies: attached(r.AttachedManagedPolicies),
			RolePolicyList: inline(r.RolePolicyList), PermissionsBoundary: boundary(r.PermissionsBoundary), Tags: tags(r.Tags)})
	}
	for _, p := range out.Policies {
		pol := account.IAMPolicy{PolicyName: aws.ToString(p.PolicyName), Arn: aws.ToString(p.Arn), DefaultVersionID: aws.ToString(p.DefaultVersionId), AttachmentCount: aws.ToInt32(p.AttachmentCount)}
		for _, v := range p.PolicyVersionList {
			pol.PolicyVersionList = append(pol.PolicyVersionList, account.PolicyVersion{VersionID: aws.ToString(v.VersionId), IsDefaultVersion: v.IsDefaultVersion, Document: doc(v.Document)})
		}
		d.Policies = append(d.Policies, pol)
	}
	return d
}

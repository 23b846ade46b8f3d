// Package apply creates a policy plan's users, groups and policies on
// MinIO through its admin API, idempotently.
package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/minio/madmin-go/v3"
	mcreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sortie-dev/sortie/internal/awsconfig"
	"github.com/sortie-dev/sortie/internal/policy"
)

// Change is one thing apply did.
type Change struct {
	Kind   string     `json:"kind"` // policy, user, group, user-policies, group-policies, bucket-policy
	Name   string     `json:"name"`
	Action policy.Msg `json:"action"` // created, updated, added members …
}

func (c Change) String() string { return c.In("en") }

// In writes the change in l: "user alice: created".
func (c Change) In(l policy.Lang) string {
	return l.T("change", policy.M("change."+c.Kind), c.Name, c.Action)
}

// Target is the MinIO server and the operator's access to it.
type Target struct {
	Endpoint string // http(s)://host:port
	Creds    aws.Credentials
	S3       *s3.Client // with the operator's credentials, for bucket policies
}

// NewTarget is the MinIO reached with an operator profile.
func NewTarget(t *awsconfig.Target) Target {
	return Target{Endpoint: t.Endpoint, Creds: t.Creds, S3: awsconfig.S3(t.Config, t.Region)}
}

// Apply makes the target match plan.MinIO. New users get a generated
// secret, saved in secrets before the user is created so that a crash
// cannot leave a user whose secret nobody has. Nothing already there is
// removed or detached; a user's existing secret is kept.
func Apply(ctx context.Context, plan *policy.Plan, t Target, secrets *policy.Secrets, save func() error) ([]Change, error) {
	if plan.MinIO == nil {
		return nil, policy.Errorf("apply.not.minio", plan.TargetName)
	}
	u, err := url.Parse(t.Endpoint)
	if err != nil || u.Host == "" {
		return nil, policy.Errorf("apply.endpoint", t.Endpoint)
	}
	adm, err := madmin.NewWithOptions(u.Host, &madmin.Options{
		Creds: mcreds.NewStaticV4(t.Creds.AccessKeyID, t.Creds.SecretAccessKey, t.Creds.SessionToken), Secure: u.Scheme == "https"})
	if err != nil {
		return nil, policy.Errorf("apply.client", u.Host, err)
	}
	m := plan.MinIO
	var changes []Change
	note := func(kind, name string, action policy.Msg) { changes = append(changes, Change{kind, name, action}) }

	for _, b := range m.BucketPolicies {
		if _, err := t.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &b.Bucket}); err != nil {
			return changes, policy.Errorf("apply.no.bucket", b.Bucket, short(err))
		}
	}
	for _, p := range m.Policies {
		want, _ := json.Marshal(p.Document)
		info, err := adm.InfoCannedPolicyV2(ctx, p.Name)
		var have []byte
		if info != nil {
			have = info.Policy
		}
		switch {
		case err != nil && !notFound(err):
			return changes, policy.Errorf("apply.read.policy", p.Name, u.Host, err)
		case err == nil && same(have, want):
			continue
		}
		if err := adm.AddCannedPolicy(ctx, p.Name, want); err != nil {
			return changes, policy.Errorf("apply.refused.policy", p.Name, err)
		}
		if err == nil && have != nil {
			note("policy", p.Name, policy.M("change.updated"))
		} else {
			note("policy", p.Name, policy.M("change.created"))
		}
	}
	for _, usr := range m.Users {
		info, err := adm.GetUserInfo(ctx, usr.Name)
		switch {
		case err != nil && !notFound(err):
			return changes, policy.Errorf("apply.read.user", usr.Name, u.Host, err)
		case err != nil:
			secret := policy.NewSecret()
			secrets.Users[usr.Name] = policy.Credential{AccessKey: usr.Name, SecretKey: secret}
			if err := save(); err != nil {
				return changes, err
			}
			if err := adm.AddUser(ctx, usr.Name, secret); err != nil {
				return changes, policy.Errorf("apply.refused.user", usr.Name, err)
			}
			note("user", usr.Name, policy.M("change.user.created"))
		case secrets.Users[usr.Name].SecretKey == "":
			note("user", usr.Name, policy.M("change.user.nosecret"))
		}
		if add := missing(info.PolicyName, usr.Policies); len(add) > 0 {
			if _, err := adm.AttachPolicy(ctx, madmin.PolicyAssociationReq{Policies: add, User: usr.Name}); err != nil {
				return changes, policy.Errorf("apply.attach.user", usr.Name, err)
			}
			note("user-policies", usr.Name, policy.M("change.attached", policy.List(add)))
		}
	}
	for _, g := range m.Groups {
		desc, err := adm.GetGroupDescription(ctx, g.Name)
		if err != nil && !notFound(err) {
			return changes, policy.Errorf("apply.read.group", g.Name, u.Host, err)
		}
		var absent []string
		for _, mem := range g.Members {
			if desc == nil || !slices.Contains(desc.Members, mem) {
				absent = append(absent, mem)
			}
		}
		if len(absent) > 0 {
			if err := adm.UpdateGroupMembers(ctx, madmin.GroupAddRemove{Group: g.Name, Members: absent}); err != nil {
				return changes, policy.Errorf("apply.members", g.Name, err)
			}
			note("group", g.Name, policy.M("change.added", policy.List(absent)))
		}
		current := ""
		if desc != nil {
			current = desc.Policy
		}
		if add := missing(current, g.Policies); len(add) > 0 {
			if _, err := adm.AttachPolicy(ctx, madmin.PolicyAssociationReq{Policies: add, Group: g.Name}); err != nil {
				return changes, policy.Errorf("apply.attach.group", g.Name, err)
			}
			note("group-policies", g.Name, policy.M("change.attached", policy.List(add)))
		}
	}
	for _, b := range m.BucketPolicies {
		want, _ := json.Marshal(b.Document)
		out, err := t.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &b.Bucket})
		if err == nil && same([]byte(aws.ToString(out.Policy)), want) {
			continue
		}
		if err != nil && !notFound(err) {
			return changes, policy.Errorf("apply.read.bucket", b.Bucket, err)
		}
		if _, err := t.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &b.Bucket, Policy: aws.String(string(want))}); err != nil {
			return changes, policy.Errorf("apply.refused.bucket", b.Bucket, err)
		}
		note("bucket-policy", b.Bucket, policy.M("change.bucket.set"))
	}
	return changes, nil
}

func short(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return err.Error()
}

// notFound tells "no such user/group/policy" from a failure.
func notFound(err error) bool {
	var me madmin.ErrorResponse
	if errors.As(err, &me) {
		switch me.Code {
		case "XMinioAdminNoSuchUser", "XMinioAdminNoSuchGroup", "XMinioAdminNoSuchPolicy":
			return true
		}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucketPolicy" {
		return true
	}
	return false
}

// missing returns the policies of want not in current (MinIO's
// comma-separated list). Policies attached by hand are left alone.
func missing(current string, want []string) []string {
	have := strings.Split(current, ",")
	for i := range have {
		have[i] = strings.TrimSpace(have[i])
	}
	var out []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			out = append(out, w)
		}
	}
	return out
}

// same reports whether MinIO holds the document it is given: both sides
// are put in one form that keeps what the policy means and drops what
// MinIO rewrites on the way in (minio/pkg v3.1.3, policy.Policy and
// BucketPolicy UnmarshalJSON, condition/*func.go): statements in any
// order, one of several equal statements (equal without their Sid, as
// MinIO compares them: it keeps the first and drops the rest), sets for
// actions, resources, principals and condition values, address ranges as
// net.IPNet prints them (lower case, host bits cleared, a bare address
// read as /32), booleans, numbers and dates parsed.
func same(a, b []byte) bool {
	ca, err1 := canonical(a)
	cb, err2 := canonical(b)
	return err1 == nil && err2 == nil && ca == cb
}

func canonical(doc []byte) (string, error) {
	p, err := policy.Parse(doc)
	if err != nil {
		return "", err
	}
	set := func(s []string) string {
		s = slices.Clone(s)
		slices.Sort(s)
		return strings.Join(slices.Compact(s), ",")
	}
	parts := []string{"Version " + p.Version}
	for _, st := range p.Statements {
		if st.Err != nil {
			return "", st.Err
		}
		var conds []string
		for _, c := range st.Condition {
			vals, err := conditionValues(c.Operator, c.Values)
			if err != nil {
				return "", err
			}
			conds = append(conds, c.Operator+"/"+c.Key+"="+set(vals))
		}
		principal := ""
		if st.Principal != nil {
			principal = fmt.Sprint(st.Principal.All, set(st.Principal.AWS))
		}
		parts = append(parts, strings.Join([]string{st.Effect, principal, set(st.Action), set(st.NotAction),
			set(st.Resource), set(st.NotResource), set(conds)}, "|"))
	}
	slices.Sort(parts)
	return strings.Join(slices.Compact(parts), "\n"), nil
}

// conditionValues writes the values of operator op as MinIO keeps them.
func conditionValues(op string, vals []string) ([]string, error) {
	_, base, _ := strings.Cut(op, ":")
	if base == "" {
		base = op
	}
	base = strings.TrimSuffix(base, "IfExists")
	out := make([]string, len(vals))
	for i, v := range vals {
		switch {
		case base == "IpAddress" || base == "NotIpAddress":
			if !strings.Contains(v, "/") {
				v += "/32"
			}
			_, n, err := net.ParseCIDR(v)
			if err != nil {
				return nil, policy.Errorf("apply.range", op, v)
			}
			v = n.String()
		case base == "Bool" || base == "Null":
			if b, err := strconv.ParseBool(v); err == nil {
				v = strconv.FormatBool(b)
			}
		case strings.HasPrefix(base, "Numeric"):
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				v = strconv.FormatFloat(f, 'g', -1, 64)
			}
		case strings.HasPrefix(base, "Date"):
			if t, err := time.Parse(time.RFC3339, v); err == nil {
				v = t.UTC().Format(time.RFC3339Nano)
			}
		}
		out[i] = v
	}
	return out, nil
}

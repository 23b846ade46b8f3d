package policy

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sortie-dev/sortie/internal/account"
)

// Check is one access question, asked of AWS's evaluation and, by probe,
// of the target: may Principal do Op in Bucket under Prefix?
type Check struct {
	Principal string   `json:"principal"` // user name, or "(anonymous)"
	Bucket    string   `json:"bucket"`    // the AWS bucket's name
	Prefix    string   `json:"prefix"`    // "" for the bucket's top
	Op        string   `json:"op"`        // list, get, put, delete
	AWS       Decision `json:"-"`
	AWSText   string   `json:"aws"`
	Why       []string `json:"why,omitempty"`
	// OnTarget is the plan's answer: the target's objects evaluated with
	// AWS's rules (see Plan.Effective). Probe's checks leave it unset.
	OnTarget     Decision `json:"-"`
	OnTargetText string   `json:"on_target,omitempty"`
}

// Who is the check's principal: a user, or anonymous requests (no IAM
// user can be called "(anonymous)": IAM names allow only letters, digits
// and +=,.@_-).
func (c Check) Who() PrincipalID {
	if c.Principal == Anonymous {
		return AnonymousID
	}
	return User(c.Principal)
}

// Anonymous is the principal name of unsigned requests.
const Anonymous = "(anonymous)"

// Ops are the operations checked, in table order.
var Ops = []string{"list", "get", "put", "delete"}

var opAction = map[string]string{"list": "s3:ListBucket", "get": "s3:GetObject", "put": "s3:PutObject", "delete": "s3:DeleteObject"}

// ProbeKey is the object key a check uses under its prefix.
func ProbeKey(prefix, run, op string) string {
	return prefix + "sortie-probe-" + run + "-" + op
}

// RequestFacts are what a check's requests are known to carry.
type RequestFacts struct {
	Secure   bool   // HTTPS
	SourceIP string // "" when the address the target sees is unknown
	Now      time.Time
	// OutsideAWS: the requests do not come through a VPC endpoint (a
	// probe's do not; in the plan, AWS's own traffic may).
	OutsideAWS bool
	// Sent: the requests are exactly the probe's, sent without a referer,
	// ACL, encryption or other header a client chooses, so those keys are
	// known to be absent. Otherwise (the plan asks about the requests users
	// will make) they are unknown, and a condition on them is Unknown.
	Sent bool
}

// request builds the request AWS would evaluate for check c.
func (acc *model) request(c Check, u *user, f RequestFacts) Request {
	ctx := map[string][]string{
		"aws:securetransport":        {map[bool]string{true: "true", false: "false"}[f.Secure]},
		"aws:multifactorauthpresent": nil, // long-term access keys carry no MFA
		"aws:currenttime":            {f.Now.UTC().Format(time.RFC3339)},
	}
	if f.Sent {
		for _, k := range []string{"s3:x-amz-server-side-encryption", "s3:x-amz-acl", "s3:x-amz-storage-class",
			"s3:x-amz-copy-source", "s3:versionid", "s3:delimiter", "aws:referer", "aws:useragent"} {
			ctx[k] = nil
		}
	}
	ctx["aws:epochtime"] = []string{strconv.FormatInt(f.Now.Unix(), 10)}
	if f.OutsideAWS {
		for _, k := range []string{"aws:sourcevpce", "aws:sourcevpc", "aws:vpcsourceip"} {
			ctx[k] = nil
		}
	}
	if f.SourceIP != "" {
		ctx["aws:sourceip"] = []string{f.SourceIP}
	}
	who := Who{Anonymous: true}
	if u != nil {
		who = acc.who(u)
		ctx["aws:username"] = []string{u.name}
		ctx["aws:principaltype"] = []string{"User"}
		ctx["aws:principaltag/"] = nil
		for _, t := range u.tags {
			ctx["aws:principaltag/"+strings.ToLower(t.Key)] = []string{t.Value}
		}
	} else {
		ctx["aws:username"] = nil
		ctx["aws:principaltype"] = []string{"Anonymous"}
		ctx["aws:principaltag/"] = nil // an unsigned request has no principal, so no tags
	}
	r := Request{Who: who, Action: opAction[c.Op], Context: ctx}
	if c.Op == "list" {
		r.Resource = "arn:aws:s3:::" + c.Bucket
		ctx["s3:max-keys"] = []string{"1"}
		if c.Prefix != "" {
			ctx["s3:prefix"] = []string{c.Prefix}
		} else {
			ctx["s3:prefix"] = nil
		}
	} else {
		r.Resource = "arn:aws:s3:::" + c.Bucket + "/" + ProbeKey(c.Prefix, "x", c.Op)
	}
	return r
}

// prefixes returns, per moved bucket, the prefixes its policies name
// (the literal part of resources and s3:prefix values, cut at the last
// "/" before a wildcard), with ${aws:username} written for each user.
func (acc *model) prefixes() map[string][]string {
	out := map[string][]string{}
	add := func(bucket, p string) {
		if i := strings.IndexAny(p, "*?$"); i >= 0 {
			p = p[:i]
		}
		if i := strings.LastIndexByte(p, '/'); i >= 0 {
			p = p[:i+1]
		} else {
			p = ""
		}
		if p != "" && !strings.Contains(p, "//") && !slices.Contains(out[bucket], p) {
			out[bucket] = append(out[bucket], p)
		}
	}
	var names []string
	for _, u := range acc.users {
		names = append(names, u.name)
	}
	for _, un := range acc.units {
		if un.policy == nil {
			continue
		}
		for _, st := range un.policy.Statements {
			for _, name := range names {
				ctx := map[string][]string{"aws:username": {name}}
				for _, r := range slices.Concat(st.Resource, st.NotResource) {
					r, err := substitute(r, ctx)
					if err != nil {
						continue
					}
					r = strings.ReplaceAll(r, `\`, "")
					rest, ok := strings.CutPrefix(r, "arn:aws:s3:::")
					if !ok {
						continue
					}
					b, key, ok := strings.Cut(rest, "/")
					if ok && acc.moved(b) {
						add(b, key)
					}
				}
				for _, c := range st.Condition {
					if !strings.EqualFold(c.Key, "s3:prefix") {
						continue
					}
					for _, v := range c.Values {
						v, err := substitute(v, ctx)
						if err != nil {
							continue
						}
						for _, r := range st.Resource {
							if b := bucketOf(r); acc.moved(b) {
								add(b, strings.ReplaceAll(v, `\`, "")+"*")
							}
						}
					}
				}
			}
		}
	}
	for b := range out {
		slices.Sort(out[b])
	}
	return out
}

func (acc *model) moved(bucket string) bool {
	return slices.ContainsFunc(acc.buckets, func(b account.BucketAccess) bool { return b.Name == bucket })
}

// questions returns u's checks (nil u: anonymous), not yet evaluated: the
// top of every moved bucket and each prefix its policies name, every op.
func (acc *model) questions(u *user) []Check {
	if acc.pre == nil {
		acc.pre = acc.prefixes()
	}
	name := Anonymous
	if u != nil {
		name = u.name
	}
	var out []Check
	for _, b := range acc.buckets {
		for _, p := range append([]string{""}, acc.pre[b.Name]...) {
			for _, op := range Ops {
				out = append(out, Check{Principal: name, Bucket: b.Name, Prefix: p, Op: op})
			}
		}
	}
	return out
}

// checks asks AWS's evaluation every check of the principals and, if
// anonymous, of unsigned requests.
func (acc *model) checks(f RequestFacts, principals []*user, anonymous bool) []Check {
	if anonymous {
		principals = append(slices.Clone(principals), nil)
	}
	var out []Check
	for _, u := range principals {
		sources := acc.sources(u)
		for _, c := range acc.questions(u) {
			r := Evaluate(sources, acc.request(c, u, f))
			c.AWS, c.AWSText, c.Why = r.Decision, r.Decision.String(), r.Why
			out = append(out, c)
		}
	}
	return out
}

func (acc *model) carriedUsers() []*user {
	var out []*user
	for _, u := range acc.users {
		if u.carried {
			out = append(out, u)
		}
	}
	return out
}

// ChecksFor asks AWS's evaluation every check for the carried users and
// anonymous access, for requests with the given facts (a probe's).
func (p *Plan) ChecksFor(f RequestFacts) []Check {
	return p.acc.checks(f, p.acc.carriedUsers(), true)
}

// GroupsOf returns the groups user is a member of.
func (p *Plan) GroupsOf(user string) []string {
	var out []string
	for g, members := range p.acc.groups {
		if slices.Contains(members, user) {
			out = append(out, g)
		}
	}
	return out
}

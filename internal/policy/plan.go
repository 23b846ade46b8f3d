package policy

import (
	"encoding/json"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sortie-dev/sortie/internal/account"
)

// Outcome says what a translation kept of a statement.
type Outcome string

const (
	Exact      Outcome = "exact"       // the target grants and denies the same
	Broader    Outcome = "broader"     // the target grants more: an error unless AllowBroader
	Narrower   Outcome = "narrower"    // someone loses access
	NotCarried Outcome = "not-carried" // nothing of it reaches the target
	Ignored    Outcome = "ignored"     // it does not touch the moved buckets
	Invalid    Outcome = "invalid"     // it could not be read
)

// worse orders outcomes by how much attention they need.
var severity = map[Outcome]int{Ignored: 0, Exact: 1, Narrower: 2, NotCarried: 3, Invalid: 4, Broader: 5}

// Row is one line of the loss report: a statement, or a whole principal
// or document.
type Row struct {
	Source    Msg           `json:"source"`
	Statement int           `json:"statement,omitempty"` // 1-based; 0 for a whole document or principal
	Sid       string        `json:"sid,omitempty"`
	Effect    string        `json:"effect,omitempty"`
	AppliesTo []PrincipalID `json:"applies_to,omitempty"`
	Buckets   []string      `json:"buckets,omitempty"`
	Outcome   Outcome       `json:"outcome"`
	Reasons   []Msg         `json:"reasons,omitempty"`
}

// Principal kinds. IAM keeps users, groups and roles apart: a user and a
// group may have the same name, so a principal is always named with its
// kind.
const (
	KindUser      = "user"
	KindGroup     = "group"
	KindRole      = "role"
	KindAnonymous = "anonymous"
)

// PrincipalID names a principal by kind and name.
type PrincipalID struct {
	Kind string `json:"kind"` // user, group, role, anonymous
	Name string `json:"name"`
}

// User, Group and Role name principals of those kinds.
func User(name string) PrincipalID  { return PrincipalID{KindUser, name} }
func Group(name string) PrincipalID { return PrincipalID{KindGroup, name} }
func Role(name string) PrincipalID  { return PrincipalID{KindRole, name} }

// AnonymousID is unsigned requests.
var AnonymousID = PrincipalID{KindAnonymous, Anonymous}

func (id PrincipalID) String() string {
	if id.Kind == KindAnonymous {
		return Anonymous
	}
	return id.Kind + " " + id.Name
}

// PrincipalInfo is a user, group, role or anonymous access and whether it
// is carried.
type PrincipalInfo struct {
	PrincipalID
	Carried bool     `json:"carried"`
	Reason  Msg      `json:"reason,omitzero"`
	Members []string `json:"members,omitempty"`
}

// Options steer a translation.
type Options struct {
	Target       string            // minio, ceph, garage
	BucketMap    map[string]string // AWS bucket → target bucket
	AllowBroader bool
	Now          time.Time
}

// SchemaVersion is the plan's JSON format: 2 names every principal by kind
// and name ({"kind": "group", "name": "sensor"}), where 1 wrote bare names.
const SchemaVersion = 2

// Plan is a translation: the loss report, AWS's effective permissions and
// the target-side objects.
type Plan struct {
	SchemaVersion int               `json:"schema_version"`
	Target        string            `json:"target"`
	TargetName    string            `json:"target_name"`
	Account       string            `json:"account"`
	Buckets       []string          `json:"buckets"`
	BucketMap     map[string]string `json:"bucket_map,omitempty"`
	AllowBroader  bool              `json:"allow_broader"`
	Generated     time.Time         `json:"generated"`
	Principals    []PrincipalInfo   `json:"principals"`
	Rows          []Row             `json:"loss_report"`
	Effective     []Check           `json:"effective_on_aws"`
	MinIO         *MinIOPlan        `json:"minio,omitempty"`
	Ceph          *CephPlan         `json:"ceph,omitempty"`
	Garage        *GaragePlan       `json:"garage,omitempty"`
	Problems      []string          `json:"problems,omitempty"`
	Facts         string            `json:"dialect_source"`

	acc *model
}

// Counts returns how many rows have each outcome.
func (p *Plan) Counts() map[Outcome]int {
	m := map[Outcome]int{}
	for _, r := range p.Rows {
		m[r.Outcome]++
	}
	return m
}

// Refused reports whether the plan grants more than AWS somewhere without
// AllowBroader.
func (p *Plan) Refused() bool {
	return !p.AllowBroader && p.Counts()[Broader] > 0
}

// outStatement is a statement as written for a target.
type outStatement struct {
	Sid         string                         `json:"Sid,omitempty"`
	Effect      string                         `json:"Effect"`
	Principal   any                            `json:"Principal,omitempty"`
	Action      []string                       `json:"Action"`
	Resource    []string                       `json:"Resource,omitempty"`
	NotResource []string                       `json:"NotResource,omitempty"`
	Condition   map[string]map[string][]string `json:"Condition,omitempty"`
}

// Document is a target-side policy document.
type Document struct {
	Version   string         `json:"Version"`
	Statement []outStatement `json:"Statement"`
}

func (d Document) size() int {
	b, _ := json.Marshal(d)
	return len(b)
}

// Build translates the account's access to the target.
func Build(a *account.Access, opts Options) (*Plan, error) {
	d, ok := Dialects[opts.Target]
	if !ok {
		return nil, Errorf("err.target", opts.Target)
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	acc := load(a, BundledManaged())
	p := &Plan{SchemaVersion: SchemaVersion, Target: opts.Target, TargetName: d.Name, Account: acc.id, BucketMap: opts.BucketMap,
		AllowBroader: opts.AllowBroader, Generated: opts.Now.UTC().Truncate(time.Second), Problems: acc.problems, Facts: d.Source, acc: acc}
	for _, b := range acc.buckets {
		p.Buckets = append(p.Buckets, b.Name)
	}
	t := &translator{d: d, opts: opts, acc: acc, plan: p}
	t.principals()
	facts := RequestFacts{Secure: true, Now: opts.Now}
	p.Effective = acc.checks(facts, t.carriedUsers(), true)
	switch opts.Target {
	case "minio":
		t.minio()
	case "ceph":
		t.ceph()
	case "garage":
		t.garage()
	}
	t.onTarget(facts)
	return p, nil
}

type translator struct {
	d    *Dialect
	opts Options
	acc  *model
	plan *Plan
}

// principals decides which users and groups are carried: those with some
// access to the moved buckets on AWS, under a name the target accepts.
func (t *translator) principals() {
	facts := RequestFacts{Secure: true, Now: t.opts.Now}
	for _, u := range t.acc.users {
		info := PrincipalInfo{PrincipalID: User(u.name), Carried: true}
		access := t.ownAccess(u, facts)
		switch why := t.d.ValidName(u.name); {
		case !why.IsZero():
			info.Carried, info.Reason = false, M("name.refused", u.name, why)
		case !u.unreadable().IsZero():
			info.Carried, info.Reason = false, u.unreadable()
		case !access:
			info.Carried, info.Reason = false, M("no.aws.access")
		case u.boundary != nil:
			info.Reason = M("boundary.applied", u.boundary.name)
		}
		u.carried = info.Carried
		t.plan.Principals = append(t.plan.Principals, info)
	}
	for _, g := range slices.Sorted(maps.Keys(t.acc.groups)) {
		info := PrincipalInfo{PrincipalID: Group(g), Carried: true}
		for _, m := range t.acc.groups[g] {
			if t.userCarried(m) {
				info.Members = append(info.Members, m)
			}
		}
		if why := t.d.ValidName(g); !why.IsZero() {
			info.Carried, info.Reason = false, M("name.refused", g, why)
		} else if len(info.Members) == 0 {
			info.Carried, info.Reason = false, M("no.carried.member")
		}
		t.plan.Principals = append(t.plan.Principals, info)
	}
	for _, r := range t.acc.roles {
		reason := M("role.sts", t.d.Name)
		if serviceTrust(r.AssumeRolePolicyDocument) != "" {
			reason = M("role.service", serviceTrust(r.AssumeRolePolicyDocument))
		} else if mfaTrust(r.AssumeRolePolicyDocument) {
			reason = M("join", reason, M("role.mfa", t.d.Name))
		}
		t.plan.Principals = append(t.plan.Principals, PrincipalInfo{PrincipalID: Role(r.RoleName), Reason: reason})
		var pols []Msg
		for _, ap := range r.AttachedManagedPolicies {
			pols = append(pols, Text(ap.PolicyName))
		}
		for _, ip := range r.RolePolicyList {
			pols = append(pols, M("role.inline", ip.PolicyName))
		}
		row := Row{Source: M("label.role", r.RoleName), AppliesTo: []PrincipalID{Role(r.RoleName)}, Outcome: NotCarried, Reasons: []Msg{reason}}
		if len(pols) > 0 {
			row.Reasons = append(row.Reasons, M("role.policies", List(pols)))
		}
		t.plan.Rows = append(t.plan.Rows, row)
	}
}

// ownAccess reports whether u reaches the moved buckets on AWS by its
// own policies or statements naming it: what everyone may do (a public
// bucket, an organisation-wide grant) makes no user worth carrying.
func (t *translator) ownAccess(u *user, f RequestFacts) bool {
	var own []Source
	for _, s := range t.acc.sources(u) {
		if s.Kind == Resource {
			s.Policy = withoutPublicAllows(s.Policy)
		}
		own = append(own, s)
	}
	for _, c := range t.acc.questions(u) {
		if d := Evaluate(own, t.acc.request(c, u, f)).Decision; d == Allow || d == Unknown {
			return true
		}
	}
	return false
}

func serviceTrust(doc account.Document) string {
	p, err := Parse(doc)
	if err != nil {
		return ""
	}
	var svcs []string
	for _, st := range p.Statements {
		if st.Principal == nil || len(st.Principal.Service) == 0 || len(st.Principal.AWS) > 0 {
			return ""
		}
		svcs = append(svcs, st.Principal.Service...)
	}
	return strings.Join(svcs, ", ")
}

func mfaTrust(doc account.Document) bool {
	p, err := Parse(doc)
	if err != nil {
		return false
	}
	for _, st := range p.Statements {
		for _, c := range st.Condition {
			if strings.EqualFold(c.Key, "aws:MultiFactorAuthPresent") || strings.EqualFold(c.Key, "aws:MultiFactorAuthAge") {
				return true
			}
		}
	}
	return false
}

func (t *translator) userCarried(name string) bool {
	return slices.ContainsFunc(t.acc.users, func(u *user) bool { return u.name == name && u.carried })
}

func (p *Plan) principal(id PrincipalID) PrincipalInfo {
	for _, pi := range p.Principals {
		if pi.PrincipalID == id {
			return pi
		}
	}
	return PrincipalInfo{}
}

func (t *translator) carriedUsers() []*user { return t.acc.carriedUsers() }

func (t *translator) groupCarried(g string) bool {
	return t.plan.principal(Group(g)).Carried
}

// translated is one statement as the target gets it, with its verdict.
type translated struct {
	out     *outStatement // nil when nothing is carried
	outcome Outcome
	reasons []Msg
	buckets []string
}

func (x *translated) worsen(o Outcome, reason Msg) {
	if severity[o] > severity[x.outcome] {
		x.outcome = o
	}
	if !reason.IsZero() {
		x.reasons = append(x.reasons, reason)
	}
}

// statement translates one statement's action, resource and condition
// parts. user, when set, is written for ${aws:username} on targets that do
// not substitute it.
func (t *translator) statement(st Statement, user string) translated {
	x := translated{outcome: Exact}
	if st.Err != nil {
		return translated{outcome: Invalid, reasons: []Msg{errMsg(st.Err)}}
	}
	// Actions, as the S3 actions AWS defines.
	var acts []string
	whole := false
	var unknown []string
	if len(st.Action) > 0 {
		for _, a := range s3Only(st.Action) {
			if a == "*" || strings.EqualFold(a, "s3:*") {
				whole = true
			}
			e := expand(a)
			if len(e) == 0 && !accountLevel(a) {
				unknown = append(unknown, a)
			}
			acts = append(acts, e...)
		}
	} else {
		for _, a := range awsS3Actions {
			if !anyActionMatches(st.NotAction, a) {
				acts = append(acts, a)
			}
		}
		whole = len(acts) == len(awsS3Actions)
	}
	slices.Sort(acts)
	acts = slices.Compact(acts)
	for _, a := range unknown {
		x.reasons = append(x.reasons, M("action.unknown", a))
	}
	if len(acts) == 0 {
		if len(unknown) > 0 {
			x.outcome = Invalid
			return x
		}
		return translated{outcome: Ignored, reasons: []Msg{M("no.s3.action")}}
	}
	// Resources: only S3 ARNs of moved buckets, renamed.
	res, buckets, rr := t.resources(slices.Concat(st.Resource, st.NotResource), user)
	x.reasons = append(x.reasons, rr...)
	x.buckets = buckets
	if len(res) == 0 {
		return translated{outcome: Ignored, reasons: []Msg{M("no.moved.bucket")}}
	}
	out := &outStatement{Sid: st.Sid, Effect: st.Effect}
	if len(st.NotResource) > 0 {
		out.NotResource = res
	} else {
		out.Resource = res
	}
	var kept, lost []string
	for _, a := range acts {
		if sp := t.d.action(a); sp != "" {
			kept = append(kept, sp)
		} else {
			lost = append(lost, a)
		}
	}
	switch {
	case t.d.Actions == nil: // Garage: the caller maps actions to flags
		out.Action = acts
	case whole:
		out.Action = []string{"s3:*"}
	default:
		out.Action = kept
	}
	if t.d.Actions != nil && len(lost) > 0 && st.Effect == "Allow" {
		x.reasons = append(x.reasons, M("actions.missing", len(lost), t.d.Name, abbreviate(lost, 4)))
	}
	if len(out.Action) == 0 {
		return translated{outcome: Exact, reasons: append(x.reasons, M("nothing.exists", t.d.Name))}
	}
	// Conditions.
	var dropped []Msg
	for _, c := range st.Condition {
		if why := t.d.supportsCondition(c); !why.IsZero() {
			dropped = append(dropped, why)
			continue
		}
		vals := c.Values
		if user != "" {
			vals = nil
			for _, v := range c.Values {
				vals = append(vals, strings.ReplaceAll(v, "${aws:username}", user))
			}
		}
		if out.Condition == nil {
			out.Condition = map[string]map[string][]string{}
		}
		if out.Condition[c.Operator] == nil {
			out.Condition[c.Operator] = map[string][]string{}
		}
		if _, base, _ := splitOperator(c.Operator); base == "IpAddress" || base == "NotIpAddress" {
			vals = withPrefixes(vals)
		}
		key := t.d.key(c.Key)
		if prev, twice := out.Condition[c.Operator][key]; twice {
			both, never, ok := conjoin(c.Operator, prev, vals)
			switch {
			case never:
				return translated{outcome: Exact, buckets: x.buckets, reasons: append(x.reasons, M("cond.never", c.Operator, c.Key))}
			case !ok:
				dropped = append(dropped, M("cond.cannot.and", t.d.Name, c.Operator, c.Key))
				continue
			}
			vals = both
		}
		out.Condition[c.Operator][key] = vals
	}
	x.out = out
	if len(dropped) > 0 {
		cond := Join(dropped...)
		switch {
		case st.Effect == "Allow" && t.opts.AllowBroader:
			out.Condition = nil
			x.worsen(Broader, M("cond.broader.allow", cond))
		case st.Effect == "Allow":
			x.out = nil
			x.worsen(NotCarried, M("cond.notgranted", cond))
		case t.opts.AllowBroader:
			x.out = nil
			x.worsen(Broader, M("cond.deny.dropped", cond))
		default:
			out.Condition = nil
			x.worsen(Narrower, M("cond.deny.all", cond))
		}
	}
	return x
}

// withPrefixes writes a bare address as the one-address range AWS means
// by it: MinIO reads a bare address as /32 whatever its family, which for
// an IPv6 address is a range of 2^96 addresses.
func withPrefixes(vals []string) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		if a, err := netip.ParseAddr(v); err == nil {
			v = netip.PrefixFrom(a, a.BitLen()).String()
		}
		out[i] = v
	}
	return out
}

func abbreviate(s []string, n int) Msg {
	if len(s) <= n {
		return Text(strings.Join(s, ", "))
	}
	return M("list.more", strings.Join(s[:n], ", "), len(s)-n)
}

// resources keeps the S3 resources that can reach a moved bucket, renamed
// per the bucket map, and returns the moved buckets they touch.
func (t *translator) resources(in []string, user string) (out, buckets []string, reasons []Msg) {
	touch := func(b string) {
		if !slices.Contains(buckets, b) {
			buckets = append(buckets, b)
		}
	}
	var other []string
	for _, r := range in {
		if r == "*" {
			r = "arn:aws:s3:::*"
		}
		rest, ok := strings.CutPrefix(r, "arn:aws:s3:::")
		if !ok {
			continue // another service's resource
		}
		if strings.Contains(rest, "${") {
			switch {
			case t.d.Variables:
			case user != "":
				rest = strings.ReplaceAll(rest, "${aws:username}", user)
			default:
				reasons = append(reasons, M("resource.variable", r, t.d.Name))
				continue
			}
		}
		b, key, hasKey := strings.Cut(rest, "/")
		suffix := ""
		if hasKey {
			suffix = "/" + key
		}
		if strings.ContainsAny(b, "*?") {
			matched := false
			for _, mb := range t.acc.buckets {
				if wildcard(b, mb.Name) {
					matched = true
					touch(mb.Name)
					if nb, ok := t.opts.BucketMap[mb.Name]; ok && nb != mb.Name && !wildcard(b, nb) {
						out = append(out, "arn:aws:s3:::"+nb+suffix)
					}
				}
			}
			if matched {
				out = append(out, "arn:aws:s3:::"+rest)
			}
			continue
		}
		if !t.acc.moved(b) {
			other = append(other, b)
			continue
		}
		touch(b)
		if nb, ok := t.opts.BucketMap[b]; ok {
			b = nb
		}
		out = append(out, "arn:aws:s3:::"+b+suffix)
	}
	if len(other) > 0 && len(out) > 0 {
		slices.Sort(other)
		reasons = append(reasons, M("resource.others", strings.Join(slices.Compact(other), ", ")))
	}
	slices.Sort(buckets)
	return out, buckets, reasons
}

// audience returns the carried users a bucket-policy statement applies
// to, whether it applies to anonymous requests, and the principals it
// names that are not carried.
func (t *translator) audience(un *unit, st Statement) (users []string, anonymous bool, lost []Msg) {
	for _, u := range t.acc.users {
		if principalMatches(st, t.acc.who(u)) {
			if t.userCarried(u.name) {
				users = append(users, u.name)
			} else if st.Principal != nil && !st.Principal.All && !st.Principal.Authenticated {
				lost = append(lost, M("lost.user", u.name))
			}
		}
	}
	anonymous = principalMatches(st, Who{Anonymous: true})
	if anonymous && un.restricted && st.Effect == "Allow" {
		anonymous = false
	}
	p := st.Principal
	if p == nil {
		p = st.NotPrincipal
		lost = append(lost, M("lost.notprincipal"))
	}
	if p == nil {
		return
	}
	for _, a := range p.AWS {
		if a == "*" || a == t.acc.id || a == "arn:aws:iam::"+t.acc.id+":root" {
			continue
		}
		if slices.ContainsFunc(t.acc.users, func(u *user) bool { return u.arn == a }) {
			continue
		}
		switch {
		case strings.Contains(a, ":role/") || strings.Contains(a, ":assumed-role/"):
			lost = append(lost, M("lost.role", a))
		default:
			lost = append(lost, M("lost.account", a))
		}
	}
	for _, s := range p.Service {
		lost = append(lost, M("lost.service", s))
	}
	for _, f := range p.Federated {
		lost = append(lost, M("lost.federated", f))
	}
	for _, c := range p.Canonical {
		lost = append(lost, M("lost.canonical", abbrevID(c)))
	}
	if p.Authenticated {
		lost = append(lost, M("lost.authenticated"))
	}
	return
}

func abbrevID(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.+@-]+`)

func policyName(parts ...string) string {
	return unsafeName.ReplaceAllString(strings.Join(parts, "-"), "-")
}

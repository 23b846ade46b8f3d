package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"github.com/sortie-dev/sortie/internal/account"
)

// MinIOPlan is what sortie policy apply creates on MinIO.
type MinIOPlan struct {
	Users          []MinIOUser     `json:"users"`
	Groups         []MinIOGroup    `json:"groups"`
	Policies       []NamedDocument `json:"policies"`
	BucketPolicies []BucketPolicy  `json:"bucket_policies,omitempty"`
}

// MinIOUser is a user (its access key is its AWS name) with its directly
// attached policies.
type MinIOUser struct {
	Name     string   `json:"name"`
	Policies []string `json:"policies,omitempty"`
}

// MinIOGroup is a group with members and policies.
type MinIOGroup struct {
	Name     string   `json:"name"`
	Members  []string `json:"members"`
	Policies []string `json:"policies,omitempty"`
}

// NamedDocument is a named policy.
type NamedDocument struct {
	Name     string   `json:"name"`
	Document Document `json:"document"`
}

// BucketPolicy is a bucket's policy on the target (its target name).
type BucketPolicy struct {
	Bucket   string   `json:"bucket"`
	Document Document `json:"document"`
}

// CephPlan is users with inline policies, bucket policies and Block
// Public Access, as RGW's IAM and S3 APIs take them.
type CephPlan struct {
	Users          []CephUser     `json:"users"`
	BucketPolicies []BucketPolicy `json:"bucket_policies,omitempty"`
	PublicAccess   []PublicAccess `json:"public_access_blocks,omitempty"`
}

// CephUser is an RGW user (uid = AWS user name) with inline policies.
type CephUser struct {
	UID      string          `json:"uid"`
	Policies []NamedDocument `json:"policies"`
}

// PublicAccess is a bucket's Block Public Access configuration.
type PublicAccess struct {
	Bucket string                     `json:"bucket"`
	Config *account.PublicAccessBlock `json:"config"`
}

// GaragePlan is one key per user with per-bucket flags.
type GaragePlan struct {
	Keys []GarageKey `json:"keys"`
}

// GarageKey is a Garage access key named for the user.
type GarageKey struct {
	Name    string        `json:"name"`
	Buckets []GarageGrant `json:"buckets"`
}

// GarageGrant is `garage bucket allow --read --write --owner`.
type GarageGrant struct {
	Bucket string `json:"bucket"`
	Read   bool   `json:"read"`
	Write  bool   `json:"write"`
	Owner  bool   `json:"owner"`
}

func (t *translator) targetBucket(b string) string {
	if nb, ok := t.opts.BucketMap[b]; ok {
		return nb
	}
	return b
}

func (t *translator) addRow(un *unit, st Statement, applies []PrincipalID, x translated) int {
	r := Row{Source: un.title, Statement: st.Index + 1, Sid: st.Sid, Effect: st.Effect, AppliesTo: applies,
		Buckets: x.buckets, Outcome: x.outcome, Reasons: x.reasons}
	t.plan.Rows = append(t.plan.Rows, r)
	return len(t.plan.Rows) - 1
}

// owners returns the carried users and groups an identity unit is
// attached to, for reports.
func (t *translator) owners(un *unit) (users, groups []string) {
	for _, u := range un.users {
		if t.userCarried(u) {
			users = append(users, u)
		}
	}
	for _, g := range un.groups {
		if t.groupCarried(g) {
			groups = append(groups, g)
		}
	}
	return users, groups
}

func applies(users, groups []string) []PrincipalID {
	var out []PrincipalID
	for _, u := range users {
		out = append(out, User(u))
	}
	for _, g := range groups {
		out = append(out, Group(g))
	}
	return out
}

func (t *translator) docError(un *unit) {
	t.plan.Rows = append(t.plan.Rows, Row{Source: un.title, Outcome: Invalid, Reasons: []Msg{errMsg(un.err)},
		AppliesTo: applies(un.users, un.groups)})
}

// bucketAudience finds whom a bucket-policy statement reaches on the
// target and marks x with what is lost: principals that are not carried,
// or a statement that only delegates to the account.
func (t *translator) bucketAudience(un *unit, st Statement, x *translated) (users []string, anon bool, who []PrincipalID) {
	users, anon, lost := t.audience(un, st)
	who = audienceIDs(users, anon)
	if un.restricted && st.Effect == "Allow" && st.Principal != nil && st.Principal.All {
		x.reasons = append(x.reasons, M("restricted.public"))
	}
	if len(lost) > 0 && st.Effect == "Allow" {
		if len(who) == 0 {
			x.worsen(NotCarried, M("not.carried.for", List(lost)))
			x.out = nil
		} else {
			x.worsen(Narrower, M("not.carried.for", List(lost)))
		}
	}
	if len(who) == 0 && len(lost) == 0 && x.outcome == Exact {
		x.reasons = append(x.reasons, M("delegates"))
		x.out = nil
	}
	return users, anon, who
}

func audienceIDs(users []string, anon bool) []PrincipalID {
	who := applies(users, nil)
	if anon {
		who = append(who, AnonymousID)
	}
	return who
}

// policyNames gives target-side policies their names. A name is made
// from where the policy comes from (user-alice-home for user alice's
// inline policy home, group-sensor-instrument, aws-ReadOnlyAccess), and
// two origins can still make one name: a user "a-b" with a policy "c" and
// a user "a" with a policy "b-c", a customer-managed policy named like an
// inline one, characters MinIO refuses replaced by "-". Every origin that
// shares its name gets a suffix from a hash of the origin, so a name never
// passes from one origin to another when the account changes: apply
// updates a policy by name and never detaches one.
type policyNames struct {
	origins map[string][]string // name → origins, in the order first asked
	of      map[string]string   // origin → name
}

func newPolicyNames() *policyNames {
	return &policyNames{origins: map[string][]string{}, of: map[string]string{}}
}

// claim records that origin wants name.
func (n *policyNames) claim(origin, name string) {
	if _, ok := n.of[origin]; ok {
		return
	}
	n.of[origin] = name
	n.origins[name] = append(n.origins[name], origin)
}

// name returns origin's final name.
func (n *policyNames) name(origin string) string {
	name := n.of[origin]
	if len(n.origins[name]) < 2 {
		return name
	}
	h := sha256.Sum256([]byte(origin))
	return name + "-" + hex.EncodeToString(h[:3])
}

// identityPolicyName is the name an identity unit's policy is given on
// the target, before collisions are resolved.
func identityPolicyName(un *unit) string {
	switch un.kind {
	case "inline-user":
		return policyName(KindUser, un.owner, un.name)
	case "inline-group":
		return policyName(KindGroup, un.owner, un.name)
	case "aws-managed":
		return policyName("aws", un.name)
	}
	return policyName(un.name)
}

// minio: policies named for their AWS origin, attached to users and
// groups; bucket-policy statements folded into the users they name (MinIO
// applies bucket policies to anonymous requests only) and kept in the
// bucket policy for anonymous ones.
func (t *translator) minio() {
	m := &MinIOPlan{}
	// Documents, attachments and rows are kept by origin (a unit's label,
	// or a bucket and user) until every name is known.
	docs := map[string]*Document{}
	var order []string
	rowsOf := map[string][]int{}
	attachU := map[string][]string{} // user → origins
	attachG := map[string][]string{} // group → origins
	names := newPolicyNames()
	add := func(origin, name string, st outStatement, row int) {
		if docs[origin] == nil {
			docs[origin] = &Document{Version: "2012-10-17"}
			order = append(order, origin)
			names.claim(origin, name)
		}
		docs[origin].Statement = append(docs[origin].Statement, st)
		if !slices.Contains(rowsOf[origin], row) {
			rowsOf[origin] = append(rowsOf[origin], row)
		}
	}
	attach := func(to map[string][]string, who, origin string) {
		if !slices.Contains(to[who], origin) {
			to[who] = append(to[who], origin)
		}
	}
	bucketDocs := map[string]*Document{}
	carried := t.carriedUsers()
	for _, un := range t.acc.units {
		if un.err != nil {
			t.docError(un)
			continue
		}
		if un.bucket == "" {
			users, groups := t.owners(un)
			if len(un.users)+len(un.groups) == 0 {
				continue // attached to roles only: the role's row says so
			}
			name := identityPolicyName(un)
			for _, st := range un.policy.Statements {
				x := t.statement(st, "")
				if x.out != nil && len(users)+len(groups) == 0 && x.outcome != Ignored {
					x.worsen(NotCarried, M("attached.not.carried"))
					x.out = nil
				}
				row := t.addRow(un, st, applies(un.users, un.groups), x)
				if x.out != nil {
					add(un.label, name, *x.out, row)
				}
			}
			if docs[un.label] != nil {
				for _, u := range users {
					attach(attachU, u, un.label)
				}
				for _, g := range groups {
					attach(attachG, g, un.label)
				}
			}
			continue
		}
		tb := t.targetBucket(un.bucket)
		for _, st := range un.policy.Statements {
			x := t.statement(st, "")
			if st.Err != nil {
				t.addRow(un, st, nil, x)
				continue
			}
			users, anon, who := t.bucketAudience(un, st, &x)
			row := t.addRow(un, st, who, x)
			if x.out == nil {
				continue
			}
			if anon {
				s := *x.out
				s.Principal = map[string][]string{"AWS": {"*"}}
				if bucketDocs[tb] == nil {
					bucketDocs[tb] = &Document{Version: "2012-10-17"}
				}
				bucketDocs[tb].Statement = append(bucketDocs[tb].Statement, s)
			}
			if len(users) > 0 && len(users) == len(carried) {
				origin := "bucket " + tb
				add(origin, policyName("bucket", tb), *x.out, row)
				for _, u := range users {
					attach(attachU, u, origin)
				}
			} else {
				for _, u := range users {
					origin := "bucket " + tb + " for user " + u
					add(origin, policyName("bucket", tb, u), *x.out, row)
					attach(attachU, u, origin)
				}
			}
		}
	}
	dropped := map[string]bool{}
	for _, origin := range order {
		d, name := docs[origin], names.name(origin)
		if n := d.size(); t.d.MaxPolicy > 0 && n > t.d.MaxPolicy {
			for _, r := range rowsOf[origin] {
				row := &t.plan.Rows[r]
				if severity[NotCarried] > severity[row.Outcome] {
					row.Outcome = NotCarried
				}
				row.Reasons = append(row.Reasons, M("policy.too.big", name, n, t.d.Name, t.d.MaxPolicy))
			}
			dropped[origin] = true
			continue
		}
		m.Policies = append(m.Policies, NamedDocument{Name: name, Document: *d})
	}
	attached := func(origins []string) []string {
		var out []string
		for _, o := range origins {
			if !dropped[o] {
				out = append(out, names.name(o))
			}
		}
		return out
	}
	for _, u := range carried {
		m.Users = append(m.Users, MinIOUser{Name: u.name, Policies: attached(attachU[u.name])})
	}
	for _, pi := range t.plan.Principals {
		if pi.Kind == KindGroup && pi.Carried {
			m.Groups = append(m.Groups, MinIOGroup{Name: pi.Name, Members: pi.Members, Policies: attached(attachG[pi.Name])})
		}
	}
	for _, b := range t.acc.buckets {
		tb := t.targetBucket(b.Name)
		if d := bucketDocs[tb]; d != nil {
			m.BucketPolicies = append(m.BucketPolicies, BucketPolicy{Bucket: tb, Document: *d})
		}
	}
	if len(m.BucketPolicies) > 0 {
		t.plan.Principals = append(t.plan.Principals, PrincipalInfo{PrincipalID: AnonymousID, Carried: true})
	}
	t.plan.MinIO = m
}

// ceph: one RGW user per carried user with its identity policies inline
// (groups flattened, ${aws:username} written in), bucket policies naming
// RGW users, Block Public Access as it was.
func (t *translator) ceph() {
	c := &CephPlan{}
	carried := t.carriedUsers()
	type origin struct {
		name string // before collisions are resolved
		doc  Document
		from string
	}
	perUser := map[string][]origin{}
	for _, un := range t.acc.units {
		if un.err != nil {
			t.docError(un)
			continue
		}
		if un.bucket != "" {
			continue
		}
		if len(un.users)+len(un.groups) == 0 {
			continue
		}
		var audience []string
		for _, u := range carried {
			if slices.Contains(u.units, un) {
				audience = append(audience, u.name)
			}
		}
		who := applies(audience, nil)
		first := ""
		if len(audience) > 0 {
			first = audience[0]
		}
		for _, st := range un.policy.Statements {
			x := t.statement(st, first)
			if x.out != nil && len(audience) == 0 && x.outcome != Ignored {
				x.worsen(NotCarried, M("attached.not.carried"))
			}
			if un.kind == "inline-group" || len(un.groups) > 0 {
				if x.out != nil {
					x.reasons = append(x.reasons, M("ceph.group.flattened"))
				}
			}
			t.addRow(un, st, who, x)
		}
		for _, u := range audience {
			d := Document{Version: "2012-10-17"}
			for _, st := range un.policy.Statements {
				if x := t.statement(st, u); x.out != nil {
					d.Statement = append(d.Statement, *x.out)
				}
			}
			if len(d.Statement) > 0 {
				perUser[u] = append(perUser[u], origin{identityPolicyName(un), d, un.label})
			}
		}
	}
	for _, u := range carried {
		// An RGW user's inline policies are named per user: a second
		// PutUserPolicy of one name would replace the first.
		names := newPolicyNames()
		for _, o := range perUser[u.name] {
			names.claim(o.from, o.name)
		}
		var docs []NamedDocument
		for _, o := range perUser[u.name] {
			docs = append(docs, NamedDocument{Name: names.name(o.from), Document: o.doc})
		}
		c.Users = append(c.Users, CephUser{UID: u.name, Policies: docs})
	}
	for _, b := range t.acc.buckets {
		tb := t.targetBucket(b.Name)
		d := Document{Version: "2012-10-17"}
		for _, un := range t.acc.units {
			if un.bucket != b.Name || un.err != nil {
				continue
			}
			for _, st := range un.policy.Statements {
				x := t.statement(st, "")
				if st.Err != nil {
					t.addRow(un, st, nil, x)
					continue
				}
				users, _, who := t.bucketAudience(un, st, &x)
				t.addRow(un, st, who, x)
				if x.out == nil {
					continue
				}
				s := *x.out
				if st.Principal != nil && st.Principal.All {
					s.Principal = "*"
				} else {
					var arns []string
					for _, u := range users {
						arns = append(arns, "arn:aws:iam:::user/"+u)
					}
					s.Principal = map[string][]string{"AWS": arns}
				}
				d.Statement = append(d.Statement, s)
			}
		}
		if len(d.Statement) > 0 {
			c.BucketPolicies = append(c.BucketPolicies, BucketPolicy{Bucket: tb, Document: d})
		}
		if b.PublicAccess != nil {
			c.PublicAccess = append(c.PublicAccess, PublicAccess{Bucket: tb, Config: b.PublicAccess})
		}
	}
	t.plan.Ceph = c
}

// garage: per user and bucket, read/write/owner when AWS allows that
// class everywhere in the bucket (or, with AllowBroader, anywhere).
func (t *translator) garage() {
	g := &GaragePlan{}
	carried := t.carriedUsers()
	type key struct{ user, bucket string }
	flags := map[key]*GarageGrant{}
	partial := map[key]map[string]bool{}
	for _, u := range carried {
		sources := t.acc.sources(u)
		for _, b := range t.acc.buckets {
			k := key{u.name, b.Name}
			all := map[string]bool{"read": true, "write": true}
			some := map[string]bool{}
			for _, c := range t.plan.Effective {
				if c.Principal != u.name || c.Bucket != b.Name {
					continue
				}
				class := "read"
				if c.Op == "put" || c.Op == "delete" {
					class = "write"
				}
				if c.AWS != Allow {
					all[class] = false
				}
				if c.AWS == Allow || c.AWS == Unknown {
					some[class] = true
				}
			}
			owner := true
			for _, a := range []string{"s3:DeleteBucket", "s3:PutBucketPolicy"} {
				r := Evaluate(sources, Request{Who: t.acc.who(u), Action: a, Resource: "arn:aws:s3:::" + b.Name,
					Context: map[string][]string{"aws:securetransport": {"true"}, "aws:username": {u.name}}})
				owner = owner && r.Decision == Allow
			}
			gr := &GarageGrant{Bucket: t.targetBucket(b.Name), Owner: owner,
				Read:  all["read"] || (t.opts.AllowBroader && some["read"]),
				Write: all["write"] || (t.opts.AllowBroader && some["write"])}
			flags[k] = gr
			partial[k] = map[string]bool{"read": some["read"] && !all["read"], "write": some["write"] && !all["write"]}
			if gr.Read || gr.Write || gr.Owner {
				if len(g.Keys) == 0 || g.Keys[len(g.Keys)-1].Name != u.name {
					g.Keys = append(g.Keys, GarageKey{Name: u.name})
				}
				g.Keys[len(g.Keys)-1].Buckets = append(g.Keys[len(g.Keys)-1].Buckets, *gr)
			}
		}
	}
	classes := func(acts []string) []string {
		var out []string
		for _, c := range []string{"read", "write", "owner"} {
			if slices.ContainsFunc(acts, func(a string) bool { return slices.Contains(garageFlags[c], a) }) {
				out = append(out, c)
			}
		}
		return out
	}
	for _, un := range t.acc.units {
		if un.err != nil {
			t.docError(un)
			continue
		}
		if un.bucket == "" && len(un.users)+len(un.groups) == 0 {
			continue
		}
		for _, st := range un.policy.Statements {
			var users []string
			var lost []Msg
			anon := false
			if un.bucket != "" {
				users, anon, lost = t.audience(un, st)
			} else {
				for _, u := range carried {
					if slices.Contains(u.units, un) {
						users = append(users, u.name)
					}
				}
			}
			x := t.statement(st, "")
			who := audienceIDs(users, anon)
			if len(lost) > 0 && st.Effect == "Allow" {
				x.worsen(NotCarried, M("not.carried.for", List(lost)))
			}
			if x.out != nil {
				cls := classes(x.out.Action)
				x.out = nil
				if anon && st.Effect == "Allow" {
					x.worsen(Narrower, M("garage.anonymous"))
				}
				for _, u := range users {
					for _, b := range x.buckets {
						k := key{u, b}
						f := flags[k]
						if f == nil {
							continue
						}
						for _, c := range cls {
							granted := map[string]bool{"read": f.Read, "write": f.Write, "owner": f.Owner}[c]
							switch {
							case st.Effect == "Deny" && granted && partial[k][c]:
								x.worsen(Broader, M("garage.cannot.deny", u, M("garage."+c), b))
							case st.Effect == "Allow" && granted && partial[k][c]:
								x.worsen(Broader, M("garage.whole.broader", M("garage."+c), b, u))
							case st.Effect == "Allow" && !granted && c != "owner":
								x.worsen(Narrower, M("garage.whole.narrower", u, M("garage."+c), b))
							}
						}
					}
				}
			}
			t.addRow(un, st, who, x)
		}
	}
	t.plan.Garage = g
}

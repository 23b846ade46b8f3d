package policy

import (
	"fmt"
	"slices"
	"strings"

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

func (t *translator) addRow(un *unit, st Statement, applies []string, x translated) int {
	r := Row{Source: un.label, Statement: st.Index + 1, Sid: st.Sid, Effect: st.Effect, AppliesTo: applies,
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

func applies(users, groups []string) []string {
	out := slices.Clone(users)
	for _, g := range groups {
		out = append(out, "group "+g)
	}
	return out
}

func (t *translator) docError(un *unit) {
	t.plan.Rows = append(t.plan.Rows, Row{Source: un.label, Outcome: Invalid, Reasons: []string{un.err.Error()},
		AppliesTo: applies(un.users, un.groups)})
}

// bucketAudience finds whom a bucket-policy statement reaches on the
// target and marks x with what is lost: principals that are not carried,
// or a statement that only delegates to the account.
func (t *translator) bucketAudience(un *unit, st Statement, x *translated) (users []string, anon bool, who []string) {
	users, anon, lost := t.audience(un, st)
	who = slices.Clone(users)
	if anon {
		who = append(who, Anonymous)
	}
	if un.restricted && st.Effect == "Allow" && st.Principal != nil && st.Principal.All {
		x.reasons = append(x.reasons, "Block Public Access (RestrictPublicBuckets) keeps it from anonymous requests on AWS; the target bucket is not made public either")
	}
	if len(lost) > 0 && st.Effect == "Allow" {
		if len(who) == 0 {
			x.worsen(NotCarried, "not carried for: "+strings.Join(lost, ", "))
			x.out = nil
		} else {
			x.worsen(Narrower, "not carried for: "+strings.Join(lost, ", "))
		}
	}
	if len(who) == 0 && len(lost) == 0 && x.outcome == Exact {
		x.reasons = append(x.reasons, "names the account itself: it delegates to identity policies, nothing to carry")
		x.out = nil
	}
	return users, anon, who
}

// minio: policies named for their AWS origin, attached to users and
// groups; bucket-policy statements folded into the users they name (MinIO
// applies bucket policies to anonymous requests only) and kept in the
// bucket policy for anonymous ones.
func (t *translator) minio() {
	m := &MinIOPlan{}
	docs := map[string]*Document{}
	var order []string
	rowsOf := map[string][]int{}
	attachU := map[string][]string{}
	attachG := map[string][]string{}
	add := func(name string, st outStatement, row int) {
		if docs[name] == nil {
			docs[name] = &Document{Version: "2012-10-17"}
			order = append(order, name)
		}
		docs[name].Statement = append(docs[name].Statement, st)
		if !slices.Contains(rowsOf[name], row) {
			rowsOf[name] = append(rowsOf[name], row)
		}
	}
	attach := func(to map[string][]string, who, name string) {
		if !slices.Contains(to[who], name) {
			to[who] = append(to[who], name)
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
			name := policyName(un.name)
			switch un.kind {
			case "inline-user", "inline-group":
				name = policyName(un.owner, un.name)
			case "aws-managed":
				name = policyName("aws", un.name)
			}
			for _, st := range un.policy.Statements {
				x := t.statement(st, "")
				if x.out != nil && len(users)+len(groups) == 0 && x.outcome != Ignored {
					x.worsen(NotCarried, "attached only to principals that are not carried")
					x.out = nil
				}
				row := t.addRow(un, st, applies(un.users, un.groups), x)
				if x.out != nil {
					add(name, *x.out, row)
				}
			}
			if docs[name] != nil {
				for _, u := range users {
					attach(attachU, u, name)
				}
				for _, g := range groups {
					attach(attachG, g, name)
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
				name := policyName("bucket", tb)
				add(name, *x.out, row)
				for _, u := range users {
					attach(attachU, u, name)
				}
			} else {
				for _, u := range users {
					name := policyName("bucket", tb, u)
					add(name, *x.out, row)
					attach(attachU, u, name)
				}
			}
		}
	}
	for _, name := range order {
		d := docs[name]
		if n := d.size(); t.d.MaxPolicy > 0 && n > t.d.MaxPolicy {
			for _, r := range rowsOf[name] {
				row := &t.plan.Rows[r]
				if severity[NotCarried] > severity[row.Outcome] {
					row.Outcome = NotCarried
				}
				row.Reasons = append(row.Reasons, fmt.Sprintf("policy %s would be %d bytes; %s accepts at most %d: split the AWS policy", name, n, t.d.Name, t.d.MaxPolicy))
			}
			for who := range attachU {
				attachU[who] = slices.DeleteFunc(attachU[who], func(s string) bool { return s == name })
			}
			for who := range attachG {
				attachG[who] = slices.DeleteFunc(attachG[who], func(s string) bool { return s == name })
			}
			continue
		}
		m.Policies = append(m.Policies, NamedDocument{Name: name, Document: *d})
	}
	for _, u := range carried {
		m.Users = append(m.Users, MinIOUser{Name: u.name, Policies: attachU[u.name]})
	}
	for _, pi := range t.plan.Principals {
		if pi.Kind == "group" && pi.Carried {
			m.Groups = append(m.Groups, MinIOGroup{Name: pi.Name, Members: pi.Members, Policies: attachG[pi.Name]})
		}
	}
	for _, b := range t.acc.buckets {
		tb := t.targetBucket(b.Name)
		if d := bucketDocs[tb]; d != nil {
			m.BucketPolicies = append(m.BucketPolicies, BucketPolicy{Bucket: tb, Document: *d})
		}
	}
	if len(m.BucketPolicies) > 0 {
		t.plan.Principals = append(t.plan.Principals, PrincipalInfo{Name: Anonymous, Kind: "anonymous", Carried: true})
	}
	t.plan.MinIO = m
}

// ceph: one RGW user per carried user with its identity policies inline
// (groups flattened, ${aws:username} written in), bucket policies naming
// RGW users, Block Public Access as it was.
func (t *translator) ceph() {
	c := &CephPlan{}
	carried := t.carriedUsers()
	perUser := map[string][]NamedDocument{}
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
		first := ""
		if len(audience) > 0 {
			first = audience[0]
		}
		for _, st := range un.policy.Statements {
			x := t.statement(st, first)
			if x.out != nil && len(audience) == 0 && x.outcome != Ignored {
				x.worsen(NotCarried, "attached only to principals that are not carried")
			}
			if un.kind == "inline-group" || len(un.groups) > 0 {
				if x.out != nil {
					x.reasons = append(x.reasons, "group policy written into each member's inline policies (RGW users without accounts have no groups)")
				}
			}
			t.addRow(un, st, audience, x)
		}
		for _, u := range audience {
			d := Document{Version: "2012-10-17"}
			for _, st := range un.policy.Statements {
				if x := t.statement(st, u); x.out != nil {
					d.Statement = append(d.Statement, *x.out)
				}
			}
			if len(d.Statement) > 0 {
				name := policyName(un.name)
				if un.kind == "inline-group" {
					name = policyName(un.owner, un.name)
				}
				perUser[u] = append(perUser[u], NamedDocument{Name: name, Document: d})
			}
		}
	}
	for _, u := range carried {
		c.Users = append(c.Users, CephUser{UID: u.name, Policies: perUser[u.name]})
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
			var users, lost []string
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
			who := slices.Clone(users)
			if anon {
				who = append(who, Anonymous)
			}
			if len(lost) > 0 && st.Effect == "Allow" {
				x.worsen(NotCarried, "not carried for: "+strings.Join(lost, ", "))
			}
			if x.out != nil {
				cls := classes(x.out.Action)
				x.out = nil
				if anon && st.Effect == "Allow" {
					x.worsen(Narrower, "Garage has no anonymous S3 access; `garage bucket website --allow` serves a bucket's objects on Garage's web endpoint instead")
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
								x.worsen(Broader, fmt.Sprintf("Garage cannot deny: %s keeps %s on %s", u, c, b))
							case st.Effect == "Allow" && granted && partial[k][c]:
								x.worsen(Broader, fmt.Sprintf("Garage grants %s on the whole of %s to %s (AWS: part of it)", c, b, u))
							case st.Effect == "Allow" && !granted && c != "owner":
								x.worsen(Narrower, fmt.Sprintf("Garage grants whole buckets only: %s gets no %s on %s (--allow-broader would grant the whole bucket)", u, c, b))
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

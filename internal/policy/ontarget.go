package policy

import (
	"encoding/json"
)

// onTarget answers every check of the plan for the target's objects: the
// policies, attachments, bucket policies or flags the translation wrote,
// evaluated with AWS's rules and the target's own reach (MinIO applies
// bucket policies to anonymous requests only; Garage has flags, no
// policies). It is what the plan means, not what the server does: probe
// asks the server.
func (t *translator) onTarget(f RequestFacts) {
	users := map[string]*user{}
	for _, u := range t.acc.users {
		users[u.name] = u
	}
	sources := map[string][]Source{} // user name or Anonymous → the target's policies
	who := map[string]Who{}
	for _, u := range t.acc.carriedUsers() {
		who[u.name] = t.acc.who(u)
	}
	who[Anonymous] = Who{Anonymous: true}
	parse := func(name string, kind Kind, d Document) Source {
		b, _ := json.Marshal(d)
		p, err := Parse(b)
		if err != nil {
			p = &Policy{} // the plan wrote it: cannot happen
		}
		return Source{Name: name, Kind: kind, Policy: p}
	}
	var garage map[string]map[string]GarageGrant // user → target bucket → flags
	switch {
	case t.plan.MinIO != nil:
		m := t.plan.MinIO
		docs := map[string]Document{}
		for _, d := range m.Policies {
			docs[d.Name] = d.Document
		}
		attach := func(u string, names []string) {
			for _, n := range names {
				if d, ok := docs[n]; ok {
					sources[u] = append(sources[u], parse("MinIO policy "+n, Identity, d))
				}
			}
		}
		for _, u := range m.Users {
			attach(u.Name, u.Policies)
		}
		for _, g := range m.Groups {
			for _, u := range g.Members {
				attach(u, g.Policies)
			}
		}
		for _, b := range m.BucketPolicies {
			sources[Anonymous] = append(sources[Anonymous], parse("MinIO bucket policy "+b.Bucket, Resource, b.Document))
		}
	case t.plan.Ceph != nil:
		c := t.plan.Ceph
		var bucket []Source
		restricted := map[string]bool{}
		for _, pa := range c.PublicAccess {
			restricted[pa.Bucket] = pa.Config != nil && pa.Config.RestrictPublicBuckets
		}
		anon := []Source{}
		for _, b := range c.BucketPolicies {
			s := parse("RGW bucket policy "+b.Bucket, Resource, b.Document)
			bucket = append(bucket, s)
			if restricted[b.Bucket] {
				s.Policy = withoutPublicAllows(s.Policy)
			}
			anon = append(anon, s)
		}
		for _, u := range c.Users {
			for _, d := range u.Policies {
				sources[u.UID] = append(sources[u.UID], parse("RGW user policy "+u.UID+"/"+d.Name, Identity, d.Document))
			}
			sources[u.UID] = append(sources[u.UID], bucket...)
			// RGW bucket policies name users as arn:aws:iam:::user/NAME.
			w := who[u.UID]
			w.ARN, w.Account = "arn:aws:iam:::user/"+u.UID, ""
			who[u.UID] = w
		}
		sources[Anonymous] = anon
	case t.plan.Garage != nil:
		garage = map[string]map[string]GarageGrant{}
		for _, k := range t.plan.Garage.Keys {
			garage[k.Name] = map[string]GarageGrant{}
			for _, g := range k.Buckets {
				garage[k.Name][g.Bucket] = g
			}
		}
	}
	for i := range t.plan.Effective {
		c := &t.plan.Effective[i]
		tb := t.targetBucket(c.Bucket)
		switch {
		case garage != nil:
			g := garage[c.Principal][tb]
			c.OnTarget = ImplicitDeny
			if (c.Op == "list" || c.Op == "get") && g.Read || (c.Op == "put" || c.Op == "delete") && g.Write {
				c.OnTarget = Allow
			}
		default:
			q := *c
			q.Bucket = tb
			var u *user
			if c.Principal != Anonymous {
				u = users[c.Principal]
			}
			r := t.acc.request(q, u, f)
			r.Who = who[c.Principal]
			c.OnTarget = Evaluate(sources[c.Principal], r).Decision
		}
		c.OnTargetText = c.OnTarget.String()
	}
}

package policy

import (
	"slices"
	"testing"
)

// The plan's own answer for the target, check by check: never more than
// AWS without --allow-broader, and less only where a row of the loss
// report says so for that principal and bucket.
func TestOnTargetAgreesWithTheLossReport(t *testing.T) {
	for _, target := range []string{"minio", "ceph", "garage"} {
		t.Run(target, func(t *testing.T) {
			p, err := Build(campus(t, "uni-research-data", "uni-lab-archive", "uni-website"),
				Options{Target: target, Now: testNow, BucketMap: map[string]string{"uni-website": "www"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range p.Effective {
				if c.OnTargetText == "" {
					t.Fatalf("%+v: no answer for the target", c)
				}
				switch {
				case c.OnTarget == Allow && c.AWS != Allow:
					t.Errorf("%s %s %q %s: %s allows, AWS %s", c.Principal, c.Bucket, c.Prefix, c.Op, target, c.AWS)
				case c.AWS == Allow && c.OnTarget != Allow && !p.lossReported(c):
					t.Errorf("%s %s %q %s: AWS allows, %s %s, and no row of the loss report says so", c.Principal, c.Bucket, c.Prefix, c.Op, target, c.OnTarget)
				}
			}
		})
	}
}

// lossReported: a narrower or not-carried row applies to c's principal
// (or a group of theirs) on c's bucket.
func (p *Plan) lossReported(c Check) bool {
	who := []PrincipalID{AnonymousID}
	if c.Principal != Anonymous {
		who = []PrincipalID{User(c.Principal)}
		for _, g := range p.GroupsOf(c.Principal) {
			who = append(who, Group(g))
		}
	}
	for _, r := range p.Rows {
		if (r.Outcome == Narrower || r.Outcome == NotCarried) && (len(r.Buckets) == 0 || slices.Contains(r.Buckets, c.Bucket)) &&
			slices.ContainsFunc(r.AppliesTo, func(id PrincipalID) bool { return slices.Contains(who, id) }) {
			return true
		}
	}
	return false
}

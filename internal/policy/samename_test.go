package policy

import (
	"slices"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/account"
)

// IAM lets a user and a group share a name: the fixture's lab sensor is a
// user named sensor, and the people who read its readings are the group
// sensor (alice). Each keeps its own policy, attached to itself only.
func TestUserAndGroupOfOneName(t *testing.T) {
	for _, target := range []string{"minio", "ceph"} {
		t.Run(target, func(t *testing.T) {
			p, err := Build(campus(t, "uni-research-data", "uni-lab-archive", "uni-website"), Options{Target: target, Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Rows {
				if r.Source.String() == "group sensor: inline instrument" && r.Outcome != Exact {
					t.Errorf("group sensor statement %d: %s %q, want exact", r.Statement, r.Outcome, r.Reasons)
				}
			}
			if target == "ceph" {
				// alice gets the group's policy, the sensor user its own.
				for _, u := range p.Ceph.Users {
					var names []string
					for _, d := range u.Policies {
						names = append(names, d.Name)
					}
					if len(names) != len(slices.Compact(slices.Sorted(slices.Values(names)))) {
						t.Errorf("ceph user %s: two inline policies of one name: %v", u.UID, names)
					}
				}
				return
			}
			var group *MinIOGroup
			for i := range p.MinIO.Groups {
				if p.MinIO.Groups[i].Name == "sensor" {
					group = &p.MinIO.Groups[i]
				}
			}
			if group == nil || len(group.Policies) != 1 || !slices.Equal(group.Members, []string{"alice"}) {
				t.Fatalf("minio group sensor: %+v, want alice and one policy", group)
			}
			var userPols []string
			for _, u := range p.MinIO.Users {
				if u.Name == "sensor" {
					userPols = u.Policies
				}
			}
			own := "user-sensor-instrument"
			if !slices.Contains(userPols, own) || slices.Contains(userPols, group.Policies[0]) || group.Policies[0] == own {
				t.Fatalf("user sensor's policies %v, group sensor's %v: want each its own", userPols, group.Policies)
			}
			docs := map[string]Document{}
			for _, d := range p.MinIO.Policies {
				docs[d.Name] = d.Document
			}
			if g, u := docs[group.Policies[0]], docs[own]; len(g.Statement) != 2 || len(u.Statement) != 1 {
				t.Errorf("group policy %+v, user policy %+v: want the group's two statements and the user's one", g, u)
			}
			for _, pi := range p.Principals {
				if pi.Name == "sensor" && !pi.Carried {
					t.Errorf("%s not carried: %s", pi.PrincipalID, pi.Reason)
				}
			}
		})
	}
}

// Names built from origins can meet: user lab-a's policy b and user lab's
// policy a-b would both be user-lab-a-b. Each keeps its own document,
// under a name no other origin can take.
func TestPolicyNamesNeverShared(t *testing.T) {
	a := campus(t, "uni-research-data")
	doc := func(prefix string) account.Document {
		return account.Document(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::uni-research-data/` + prefix + `/*"}]}`)
	}
	a.IAM.UserDetailList = append(a.IAM.UserDetailList,
		account.IAMUser{UserName: "lab-a", Arn: "arn:aws:iam::123456789012:user/lab-a", UserPolicyList: []account.InlinePolicy{{PolicyName: "b", PolicyDocument: doc("one")}}},
		account.IAMUser{UserName: "lab", Arn: "arn:aws:iam::123456789012:user/lab", UserPolicyList: []account.InlinePolicy{{PolicyName: "a-b", PolicyDocument: doc("two")}}})
	p, err := Build(a, Options{Target: "minio", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	for _, d := range p.MinIO.Policies {
		docs[d.Name] = d.Document.Statement[0].Resource[0]
	}
	for _, u := range p.MinIO.Users {
		want := map[string]string{"lab-a": "one", "lab": "two"}[u.Name]
		if want == "" {
			continue
		}
		var own []string
		for _, name := range u.Policies {
			if strings.HasPrefix(name, "user-lab-a-b") {
				own = append(own, name)
			}
		}
		if len(own) != 1 || !strings.Contains(docs[own[0]], "/"+want+"/") {
			t.Errorf("user %s: policies %v (%v), want its own document on %s/", u.Name, u.Policies, docs, want)
		}
	}
}

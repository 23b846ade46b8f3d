package policy

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/account"
)

var testNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// campus is the fixture account's access, limited to buckets. The
// aws-cli export in testdata/campus is read into the account model by
// account/awsread, whose test writes testdata/campus.access.json: policy's
// tests read the model, and compile without the AWS SDK.
func campus(t *testing.T, buckets ...string) *account.Access {
	t.Helper()
	b, err := os.ReadFile("testdata/campus.access.json")
	if err != nil {
		t.Fatal(err)
	}
	var a account.Access
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	a.Buckets = slices.DeleteFunc(a.Buckets, func(b account.BucketAccess) bool { return !slices.Contains(buckets, b.Name) })
	return &a
}

var update = flag.Bool("update", false, "rewrite the golden files")

// Ceph and Garage cannot be installed here: their translations of the
// fixture account are checked against reviewed golden files, each flag
// with its reason.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		target  string
		broader bool
	}{{"ceph", false}, {"garage", false}, {"garage", true}, {"minio", false}} {
		name := tc.target
		if tc.broader {
			name += "-allow-broader"
		}
		t.Run(name, func(t *testing.T) {
			p, err := Build(campus(t, "uni-research-data", "uni-lab-archive", "uni-website"),
				Options{Target: tc.target, Now: testNow, AllowBroader: tc.broader, BucketMap: map[string]string{"uni-website": "www"}})
			if err != nil {
				t.Fatal(err)
			}
			p.Effective = nil // its own test; it would drown the translation
			var b bytes.Buffer
			if err := WriteJSON(&b, p); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update once and review the file)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from the golden file; if the change is right, run go test ./internal/policy -run TestGolden -update and review the diff\n%s", golden, b.String())
			}
			for _, r := range p.Rows {
				if r.Outcome != Exact && r.Outcome != Ignored && len(r.Reasons) == 0 {
					t.Errorf("%s statement %d is %s without a reason", r.Source, r.Statement, r.Outcome)
				}
			}
		})
	}
}

func TestGarageFlags(t *testing.T) {
	grants := func(broader bool) map[string]GarageGrant {
		p, err := Build(campus(t, "uni-research-data", "uni-lab-archive", "uni-website"), Options{Target: "garage", Now: testNow, AllowBroader: broader})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]GarageGrant{}
		for _, k := range p.Garage.Keys {
			for _, b := range k.Buckets {
				out[k.Name+" "+b.Bucket] = b
			}
		}
		if broader != (p.Counts()[Broader] > 0) {
			t.Errorf("allow-broader %v: %d broader rows", broader, p.Counts()[Broader])
		}
		if p.Refused() {
			t.Errorf("allow-broader %v: plan refused", broader)
		}
		return out
	}
	narrow, broad := grants(false), grants(true)
	// alice may only touch her home prefix: nothing by default, the whole
	// bucket with --allow-broader.
	if g, ok := narrow["alice uni-research-data"]; ok {
		t.Errorf("alice gets %+v on uni-research-data without --allow-broader", g)
	}
	if g := broad["alice uni-research-data"]; !g.Read || !g.Write {
		t.Errorf("alice with --allow-broader: %+v", g)
	}
	if g := narrow["auditor uni-lab-archive"]; !g.Read || g.Write || g.Owner {
		t.Errorf("auditor: %+v, want read only", g)
	}
	// The admin may not delete in the archive: Garage cannot deny, so the
	// write flag is withheld.
	if g := narrow["carol uni-lab-archive"]; !g.Read || g.Write {
		t.Errorf("carol on the archive: %+v, want read without write", g)
	}
}

// Bad input is reported per statement; the rest is translated.
func TestBadInput(t *testing.T) {
	big := `{"Version":"2012-10-17","Statement":[`
	for i := range 400 {
		if i > 0 {
			big += ","
		}
		big += fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::uni-research-data/projects/p%04d/*"}`, i, i)
	}
	big += "]}"
	a := campus(t, "uni-research-data")
	a.IAM.UserDetailList = append(a.IAM.UserDetailList,
		// dave's access cannot be known: a document and a statement that
		// cannot be read may deny what the rest allows.
		account.IAMUser{UserName: "dave", Arn: "arn:aws:iam::123456789012:user/dave", UserPolicyList: []account.InlinePolicy{
			{PolicyName: "broken", PolicyDocument: account.Document(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow"`)},
			{PolicyName: "good", PolicyDocument: account.Document(`{"Version":"2012-10-17","Statement":[
				{"Sid":"Good","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::uni-research-data/dave/*"}]}`)},
		}},
		account.IAMUser{UserName: "frank", Arn: "arn:aws:iam::123456789012:user/frank", UserPolicyList: []account.InlinePolicy{
			{PolicyName: "effect", PolicyDocument: account.Document(`{"Version":"2012-10-17","Statement":[
				{"Sid":"BadEffect","Effect":"Maybe","Action":"s3:PutObject","Resource":"*"},
				{"Sid":"Good","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::uni-research-data/frank/*"}]}`)},
		}},
		account.IAMUser{UserName: "erin", Arn: "arn:aws:iam::123456789012:user/erin", UserPolicyList: []account.InlinePolicy{
			{PolicyName: "mixed", PolicyDocument: account.Document(`{"Version":"2012-10-17","Statement":[
				{"Sid":"Typo","Effect":"Allow","Action":"s3:GetObjekt","Resource":"arn:aws:s3:::uni-research-data/*"},
				{"Sid":"HalfTypo","Effect":"Allow","Action":["s3:ListBucket","s3:Frobnicate"],"Resource":"arn:aws:s3:::uni-research-data"},
				{"Sid":"Good","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::uni-research-data/erin/*"}]}`)},
			{PolicyName: "huge", PolicyDocument: account.Document(big)},
		}})
	p, err := Build(a, Options{Target: "minio", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	row := func(source string, stmt int) Row {
		for _, r := range p.Rows {
			if r.Source.String() == source && r.Statement == stmt {
				return r
			}
		}
		t.Fatalf("no row %s #%d", source, stmt)
		return Row{}
	}
	tests := []struct {
		source string
		stmt   int
		want   Outcome
		reason string
	}{
		{"user dave: inline broken", 0, Invalid, "not a JSON policy document"},
		{"user dave: inline good", 1, NotCarried, "not carried"},
		{"user frank: inline effect", 1, Invalid, `Effect must be "Allow" or "Deny"`},
		{"user frank: inline effect", 2, NotCarried, "not carried"},
		{"user erin: inline mixed", 1, Invalid, "unknown action s3:GetObjekt"},
		{"user erin: inline mixed", 2, Exact, "unknown action s3:Frobnicate"},
		{"user erin: inline mixed", 3, Exact, ""},
		{"user erin: inline huge", 1, NotCarried, "accepts at most 20480"},
		{"user erin: inline huge", 400, NotCarried, "accepts at most 20480"},
	}
	for _, tt := range tests {
		r := row(tt.source, tt.stmt)
		if r.Outcome != tt.want || !strings.Contains(Join(r.Reasons...).in("en"), tt.reason) {
			t.Errorf("%s #%d: %s %q, want %s with %q", tt.source, tt.stmt, r.Outcome, r.Reasons, tt.want, tt.reason)
		}
	}
	for name, why := range map[string]string{"dave": "user dave: inline broken cannot be read", "frank": "statement 1 cannot be read"} {
		if pi := p.principal(User(name)); pi.Carried || !strings.Contains(pi.Reason.String(), why) {
			t.Errorf("%s: %+v, want not carried because %q", name, pi, why)
		}
	}
	// The good statement still reaches erin's policy; the huge one does not.
	var names []string
	for _, pol := range p.MinIO.Policies {
		names = append(names, pol.Name)
	}
	if !slices.Contains(names, "user-erin-mixed") || slices.Contains(names, "user-erin-huge") || slices.Contains(names, "user-dave-good") {
		t.Errorf("policies: %v", names)
	}
	if pi := p.principal(User("ops=legacy")); pi.Carried || !strings.Contains(pi.Reason.String(), "refuses '=' and ','") {
		t.Errorf("ops=legacy: %+v", pi)
	}
}

// The effective permissions are AWS's: spot checks against the fixture.
func TestEffective(t *testing.T) {
	p, err := Build(campus(t, "uni-research-data", "uni-lab-archive", "uni-website"), Options{Target: "minio", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Decision{}
	for _, c := range p.Effective {
		got[c.Principal+" "+c.Bucket+" "+c.Prefix+" "+c.Op] = c.AWS
	}
	for k, want := range map[string]Decision{
		"alice uni-research-data home/alice/ put":    Allow,
		"alice uni-research-data home/alice/ delete": ExplicitDeny, // not a data steward
		"carol uni-research-data home/alice/ delete": Allow,        // she is
		"alice uni-research-data home/bob/ get":      ImplicitDeny,
		"uploader uni-research-data incoming/ put":   Allow,
		"uploader uni-research-data incoming/ list":  ImplicitDeny,
		"sensor uni-lab-archive instrument/ put":     Unknown, // depends on the source address
		"backup-bot uni-lab-archive  get":            Unknown, // on the VPC endpoint
		"carol uni-lab-archive  delete":              ExplicitDeny,
		"(anonymous) uni-website  get":               Allow,
		"(anonymous) uni-website  list":              Allow, // the ACL's READ
		"(anonymous) uni-research-data public/ get":  ImplicitDeny,
		"alice uni-research-data public/ get":        Unknown, // organisation condition
	} {
		if got[k] != want {
			t.Errorf("%s: %v, want %v", k, got[k], want)
		}
	}
}

// The S3 User Guide's "Restricting access to a specific HTTP referer"
// example: whether an anonymous reader sends the Referer is the reader's
// choice, so the plan says Unknown, not denied.
func TestRefererIsUnknownInThePlan(t *testing.T) {
	a := campus(t, "uni-website")
	a.Buckets[0].Policy = `{
  "Version":"2012-10-17",
  "Id":"HTTP referer policy example",
  "Statement":[
    {
      "Sid":"Allow only GET requests originating from www.example.com and example.com.",
      "Effect":"Allow",
      "Principal":"*",
      "Action":["s3:GetObject","s3:GetObjectVersion"],
      "Resource":"arn:aws:s3:::uni-website/*",
      "Condition":{
        "StringLike":{"aws:Referer":["http://www.example.com/*","http://example.com/*"]}
      }
    }
  ]
}`
	p, err := Build(a, Options{Target: "minio", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range p.Effective {
		if c.Principal == Anonymous && c.Bucket == "uni-website" && c.Op == "get" && c.Prefix == "" {
			found = true
			if c.AWS != Unknown {
				t.Errorf("anonymous get on uni-website = %v, want unknown (the Referer is the client's)", c.AWS)
			}
		}
	}
	if !found {
		t.Fatal("no anonymous get check on uni-website")
	}
}

// A permissions boundary in the API's real shape caps the user; one that
// cannot be read keeps the user from being carried at all.
func TestPermissionsBoundary(t *testing.T) {
	for _, tc := range []struct {
		name     string
		boundary *account.Boundary
		carried  bool
		reason   string
	}{
		{"readable", &account.Boundary{Type: "Policy", Arn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}, true, "applied to the translation"},
		{"not in the export", &account.Boundary{Type: "Policy", Arn: "arn:aws:iam::123456789012:policy/missing"}, false, "cannot be read"},
		{"empty ARN", &account.Boundary{Type: "Policy"}, false, "cannot be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := campus(t, "uni-research-data")
			a.IAM.UserDetailList = append(a.IAM.UserDetailList, account.IAMUser{UserName: "gina", Arn: "arn:aws:iam::123456789012:user/gina",
				UserPolicyList: []account.InlinePolicy{{PolicyName: "rw", PolicyDocument: account.Document(`{"Version":"2012-10-17","Statement":[
					{"Effect":"Allow","Action":["s3:ListBucket","s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::uni-research-data","arn:aws:s3:::uni-research-data/*"]}]}`)}},
				PermissionsBoundary: tc.boundary})
			p, err := Build(a, Options{Target: "minio", Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			pi := p.principal(User("gina"))
			if pi.Carried != tc.carried || !strings.Contains(pi.Reason.String(), tc.reason) {
				t.Fatalf("gina: %+v, want carried=%v with %q", pi, tc.carried, tc.reason)
			}
			for _, c := range p.Effective {
				if c.Principal == "gina" && c.Op == "put" && c.AWS == Allow {
					t.Errorf("gina may put on %s/%s under a read-only boundary", c.Bucket, c.Prefix)
				}
			}
		})
	}
}

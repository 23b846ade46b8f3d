package apply

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/awsconfig"
	"github.com/sortie-dev/sortie/internal/policy"
	"github.com/sortie-dev/sortie/internal/s3test"
)

func campus(t *testing.T) *account.Access {
	t.Helper()
	b, err := os.ReadFile("../testdata/campus.access.json")
	if err != nil {
		t.Fatal(err)
	}
	var a account.Access
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	return &a
}

// MinIO stores a policy as it understands it: an address range in its
// own spelling (2001:DB8::/32 becomes 2001:db8::/32) and a statement
// equal to an earlier one dropped. A second apply compares with what MinIO
// stored and changes nothing.
func TestApplyConverges(t *testing.T) {
	srv := s3test.StartTB(t, s3test.MinIO)
	s3test.WriteProfiles(t, map[string]*s3test.Server{"minio-admin": srv})
	a := campus(t)
	lab := `{"Sid":"Lab","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::uni-research-data/lab/*",
		"Condition":{"IpAddress":{"aws:SourceIp":["2001:DB8:AB::/48","10.20.0.0/16"]}}}`
	a.IAM.UserDetailList = append(a.IAM.UserDetailList, account.IAMUser{UserName: "tess", Arn: "arn:aws:iam::123456789012:user/tess",
		UserPolicyList: []account.InlinePolicy{{PolicyName: "lab", PolicyDocument: account.Document(
			`{"Version":"2012-10-17","Statement":[` + lab + `,` + lab + `]}`)}}})
	for i, b := range a.Buckets {
		if b.Name == "uni-website" {
			// The website's anonymous read, once more from a range.
			var doc map[string]any
			json.Unmarshal([]byte(b.Policy), &doc)
			doc["Statement"] = append(doc["Statement"].([]any), map[string]any{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
				"Resource": "arn:aws:s3:::uni-website/lab/*", "Condition": map[string]any{"IpAddress": map[string]any{"aws:SourceIp": "2001:DB8:AB::/48"}}})
			raw, _ := json.Marshal(doc)
			a.Buckets[i].Policy = string(raw)
		}
	}
	plan, err := policy.Build(a, policy.Options{Target: "minio", Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range plan.Buckets {
		if err := srv.Store(t, b, "").CreateBucket(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	at, err := awsconfig.LoadTarget(t.Context(), awsconfig.Options{Profile: "minio-admin", Flag: "--to"})
	if err != nil {
		t.Fatal(err)
	}
	target := NewTarget(at)
	secrets := &policy.Secrets{Endpoint: srv.Endpoint, Users: map[string]policy.Credential{}}
	save := func() error { return nil }

	first, err := Apply(t.Context(), plan, target, secrets, save)
	if err != nil {
		t.Fatalf("first apply: %v (after %v)", err, first)
	}
	var sawLab bool
	for _, c := range first {
		sawLab = sawLab || c.Kind == "policy" && c.Name == "user-tess-lab"
	}
	if !sawLab {
		t.Fatalf("first apply did not create user-tess-lab: %v", first)
	}
	second, err := Apply(t.Context(), plan, target, secrets, save)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 0 {
		var lines []string
		for _, c := range second {
			lines = append(lines, c.String())
		}
		t.Errorf("second apply made %d changes, want 0:\n%s", len(second), strings.Join(lines, "\n"))
	}
}

// What apply prints is French under --lang fr.
func TestChangesInFrench(t *testing.T) {
	for _, c := range []Change{
		{"policy", "user-tess-lab", policy.M("change.created")},
		{"policy", "user-tess-lab", policy.M("change.updated")},
		{"user", "tess", policy.M("change.user.created")},
		{"user", "tess", policy.M("change.user.nosecret")},
		{"user-policies", "tess", policy.M("change.attached", policy.List([]string{"a", "b"}))},
		{"group", "sensor", policy.M("change.added", policy.List([]string{"alice"}))},
		{"group-policies", "sensor", policy.M("change.attached", policy.List([]string{"a"}))},
		{"bucket-policy", "www", policy.M("change.bucket.set")},
	} {
		fr, en := c.In("fr"), c.String()
		if fr == en {
			t.Errorf("%q is the same in French", en)
		}
		for _, w := range []string{"policy", "user ", "group ", "bucket", "created", "updated", "attached", "added", "secret key"} {
			if strings.Contains(strings.ReplaceAll(fr, c.Name, ""), w) {
				t.Errorf("%q has %q", fr, w)
			}
		}
	}
	if got := (Change{"user", "alice", policy.M("change.user.created")}).String(); got != "user alice: created (secret key in the secrets file)" {
		t.Errorf("English: %q", got)
	}
}

package probe

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/policy"
)

func campusPlan(t *testing.T) *policy.Plan {
	t.Helper()
	b, err := os.ReadFile("../testdata/campus.access.json")
	if err != nil {
		t.Fatal(err)
	}
	var a account.Access
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	p, err := policy.Build(&a, policy.Options{Target: "minio", Now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A loss reported for the user sensor explains nothing about alice, a
// member of the group sensor; one reported for the group does.
func TestVerdictTellsUserFromGroup(t *testing.T) {
	c := policy.Check{Principal: "alice", Bucket: "uni-lab-archive", Prefix: "instrument/", Op: "get", AWS: policy.Allow}
	for _, tt := range []struct {
		row  policy.PrincipalID
		want Verdict
	}{
		{policy.User("sensor"), Narrower},
		{policy.Group("sensor"), ExpectedLoss},
		{policy.User("alice"), ExpectedLoss},
		{policy.Role("alice"), Narrower},
	} {
		p := campusPlan(t)
		p.Rows = append(p.Rows, policy.Row{Source: "test", Statement: 1, Outcome: policy.NotCarried,
			AppliesTo: []policy.PrincipalID{tt.row}, Buckets: []string{"uni-lab-archive"}, Reasons: []string{"test"}})
		if got := verdict(p, c, false, nil); got != tt.want {
			t.Errorf("alice denied, a loss reported for %s: got %s, want %s", tt.row, got, tt.want)
		}
	}
}

// The objects of user anonymous are not those of anonymous requests.
func TestProbeKeyByKind(t *testing.T) {
	user := probeKey(policy.Check{Principal: "anonymous", Op: "put"}, "r")
	anon := probeKey(policy.Check{Principal: policy.Anonymous, Op: "put"}, "r")
	if user == anon {
		t.Errorf("user anonymous and anonymous requests share the probe object %s", user)
	}
}

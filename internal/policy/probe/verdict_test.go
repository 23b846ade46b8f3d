package probe

import (
	"encoding/json"
	"os"
	"strings"
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
		p.Rows = append(p.Rows, policy.Row{Source: policy.Text("test"), Statement: 1, Outcome: policy.NotCarried,
			AppliesTo: []policy.PrincipalID{tt.row}, Buckets: []string{"uni-lab-archive"}, Reasons: []policy.Msg{policy.Text("test")}})
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

// The probe's table and counts are French under --lang fr.
func TestProbeReportInFrench(t *testing.T) {
	r := &Report{Target: "MinIO", Endpoint: "http://127.0.0.1:9000", Counts: map[Verdict]int{Match: 1, ExpectedLoss: 1, Broader: 1, Narrower: 1, CannotTell: 1, Failed: 1},
		Skipped: []policy.Msg{policy.M("probe.no.secret", "bob")}}
	for _, x := range []struct {
		who, op, aws, target string
		v                    Verdict
	}{
		{"alice", "list", "allowed", "allowed", Match},
		{"alice", "get", "allowed", "denied", ExpectedLoss},
		{policy.Anonymous, "put", "denied (explicit)", "allowed", Broader},
		{"carol", "delete", "allowed", "denied", Narrower},
		{"sensor", "put", "unknown", "denied", CannotTell},
		{"alice", "get", "denied", "InternalError", Failed},
	} {
		r.Results = append(r.Results, Result{Check: policy.Check{Principal: x.who, Bucket: "uni-research-data", Op: x.op, AWSText: x.aws}, Target: x.target, Verdict: x.v})
	}
	var text, md strings.Builder
	WriteText(&text, r, "fr")
	WriteMarkdown(&md, r, "fr")
	for name, out := range map[string]string{"text": text.String(), "md": md.String()} {
		for _, w := range []string{"Vérification des accès", "utilisateur alice", "(anonyme)", "lister", "supprimer", "autorisé", "refusé",
			"conforme", "perte attendue", "PLUS LARGE", "ÉCART", "non comparable", "erreur", "laissé de côté : bob : pas de clé secrète"} {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q:\n%s", name, w, out)
			}
		}
		for _, w := range []string{"allowed", "denied", "skipped", "match", "(anonymous)", "user ", "no secret"} {
			if strings.Contains(out, w) {
				t.Errorf("%s has %q:\n%s", name, w, out)
			}
		}
	}
}

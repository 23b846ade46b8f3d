package assess

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/assess/prices"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
)

// liveFixture points a profile at a fixture endpoint and returns a Live
// reader through it, the way a user's profile would be read.
func liveFixture(t *testing.T) (*fixtureAWS, *Live) {
	t.Helper()
	f, url := startFixture(t, "testdata/live")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	creds := filepath.Join(dir, "credentials")
	os.WriteFile(cfg, []byte("[profile fixture]\nregion = ca-central-1\nendpoint_url = "+url+"\n"), 0o600)
	os.WriteFile(creds, []byte("[fixture]\naws_access_key_id = AKIDFIXTURE\naws_secret_access_key = fixture\n"), 0o600)
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	awsCfg, err := s3store.LoadConfig(context.Background(), s3store.Config{Profile: "fixture", MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	l := NewLive(awsCfg)
	l.now = func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) }
	return f, l
}

func testPlanOptions() PlanOptions {
	return PlanOptions{Prices: prices.Default(), BitsPerSecond: 1e9, Bandwidth: "1Gbps", Utilization: 0.8,
		Start: time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC), Target: "minio", Now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
}

// The live reader, through the SDK against AWS's wire formats, and the
// offline reader, on the same account as aws-cli would have written it,
// give the same inventory and the same plan.
func TestLiveAndOfflineGiveTheSamePlan(t *testing.T) {
	f, l := liveFixture(t)
	ctx := context.Background()
	live, err := l.Collect(ctx, "live", Options{})
	if err != nil {
		t.Fatal(err)
	}
	o, err := NewOffline("sample/account")
	if err != nil {
		t.Fatal(err)
	}
	off, err := o.Collect(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	live.Source, off.Source = "", ""
	if !reflect.DeepEqual(live, off) {
		a, _ := json.MarshalIndent(live, "", " ")
		b, _ := json.MarshalIndent(off, "", " ")
		t.Fatalf("live and offline inventories differ:\nlive:\n%s\noffline:\n%s", a, b)
	}
	pl, po := BuildPlan(live, testPlanOptions()), BuildPlan(off, testPlanOptions())
	if !reflect.DeepEqual(pl, po) {
		t.Fatal("same inventory, different plans")
	}

	// What the fixture account holds, checked by hand.
	if live.Account != "123456789012" || strings.Join(live.Regions, ",") != "ca-central-1,eu-west-3,us-east-1" {
		t.Errorf("account %q regions %v (ap-east-1 is not opted in)", live.Account, live.Regions)
	}
	if len(live.Buckets) != 3 || len(live.Instances) != 4 || len(live.Volumes) != 5 || len(live.Snapshots) != 2 ||
		len(live.Databases) != 2 || len(live.Zones) != 2 || len(live.Functions) != 2 || len(live.Distributions) != 1 {
		t.Errorf("counts: %d buckets %d instances %d volumes %d snapshots %d databases %d zones %d functions %d distributions",
			len(live.Buckets), len(live.Instances), len(live.Volumes), len(live.Snapshots), len(live.Databases), len(live.Zones), len(live.Functions), len(live.Distributions))
	}
	web := live.Buckets[2]
	if web.Name != "uni-website" || web.Region != "us-east-1" || web.PublicBlocked || web.Classes["STANDARD"].Bytes != 85<<30 || web.Classes["STANDARD"].Objects != 310000 {
		t.Errorf("uni-website (region from GetBucketLocation) = %+v", web)
	}
	archive := live.Buckets[0]
	if !archive.ObjectLock || !archive.Replication || archive.Encryption != "aws:kms" || archive.Classes["DEEP_ARCHIVE"].Bytes != 25<<40 || archive.Total().Objects != 2400000 {
		t.Errorf("uni-lab-archive = %+v", archive)
	}
	if i := live.IAM; i == nil || i.Users != 3 || i.Groups != 2 || i.Roles != 1 || i.ServiceRoles != 1 || i.ManagedPolicies != 1 || i.InlinePolicies != 1 || i.AWSManagedInUse != 2 {
		t.Errorf("IAM = %+v", live.IAM)
	}
	want := []ResourceCount{{"dynamodb:table", 1}, {"elasticloadbalancing:loadbalancer", 1}, {"sns", 1}, {"sqs", 2}}
	if !reflect.DeepEqual(live.Other, want) {
		t.Errorf("other resources = %v, want %v", live.Other, want)
	}
	if len(live.Problems) != 1 || live.Problems[0].Service != "lambda" || live.Problems[0].Region != "eu-west-3" || !strings.HasPrefix(live.Problems[0].Error, "AccessDeniedException") {
		t.Errorf("problems = %+v, want lambda refused in eu-west-3", live.Problems)
	}
	if f.requests["monitoring GetMetricData"] != 2 || f.requests["iam GetAccountAuthorizationDetails"] != 1 {
		t.Errorf("requests = %v", f.requests)
	}
}

// A service that refuses is a line in the plan; the rest is still read.
func TestLivePermissionErrorsDoNotAbort(t *testing.T) {
	f, l := liveFixture(t)
	f.deny["iam"], f.deny["rds"] = true, true
	inv, err := l.Collect(context.Background(), "live", Options{Regions: []string{"ca-central-1"}})
	if err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, p := range inv.Problems {
		services = append(services, p.Service)
	}
	if strings.Join(services, ",") != "rds,iam" {
		t.Errorf("problems %+v, want rds and iam", inv.Problems)
	}
	if inv.IAM != nil || len(inv.Databases) != 0 || len(inv.Instances) != 3 || len(inv.Buckets) != 3 {
		t.Errorf("the rest was not read: %d instances, %d buckets", len(inv.Instances), len(inv.Buckets))
	}
}

func TestUnknownRegion(t *testing.T) {
	_, l := liveFixture(t)
	_, err := l.Collect(context.Background(), "live", Options{Regions: []string{"ca-central-1", "xx-nowhere-1"}})
	if err == nil || !strings.Contains(err.Error(), `"xx-nowhere-1"`) || !strings.Contains(err.Error(), "--regions") {
		t.Fatalf("err = %v", err)
	}
	o, _ := NewOffline("sample/account")
	if _, err := o.Collect(context.Background(), Options{Regions: []string{"ap-east-1"}}); err == nil {
		t.Error("a region that is not opted in was accepted")
	}
}

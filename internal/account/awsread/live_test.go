package awsread

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/awsconfig"
)

// liveFixture points a profile at a fixture endpoint and returns a Live
// reader through it, the way a user's profile would be read.
func liveFixture(t *testing.T) (*fixtureAWS, *Live) {
	t.Helper()
	return liveFixtureDir(t, "testdata/live")
}

// liveFixtureDir is liveFixture for the account whose API answers are in dir.
func liveFixtureDir(t *testing.T, answers string) (*fixtureAWS, *Live) {
	t.Helper()
	f, url := startFixture(t, answers)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	creds := filepath.Join(dir, "credentials")
	os.WriteFile(cfg, []byte("[profile fixture]\nregion = ca-central-1\nendpoint_url = "+url+"\n"), 0o600)
	os.WriteFile(creds, []byte("[fixture]\naws_access_key_id = AKIDFIXTURE\naws_secret_access_key = fixture\n"), 0o600)
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	// Two attempts, as a user's three: once in a full -race run a loopback
	// connection was closed under a DescribeInstances body ("use of closed
	// network connection"), which the SDK retries in real use; a retry
	// here shows as one more request in f.forms.
	awsCfg, err := awsconfig.Load(context.Background(), awsconfig.Options{Profile: "fixture", MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	l := NewLive(awsCfg)
	l.now = func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) }
	return f, l
}

// The live reader, through the SDK against AWS's wire formats, and the
// offline reader, on the same account as aws-cli would have written it,
// give the same inventory (and so the same plan, which depends on nothing else).
func TestLiveAndOfflineGiveTheSamePlan(t *testing.T) {
	f, l := liveFixture(t)
	ctx := context.Background()
	live, err := l.Collect(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	o, err := NewOffline("../sample/account")
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
	want := []account.ResourceCount{{Type: "dynamodb:table", Count: 1}, {Type: "elasticloadbalancing:loadbalancer", Count: 1}, {Type: "sns", Count: 1}, {Type: "sqs", Count: 2}}
	if !reflect.DeepEqual(live.Other, want) {
		t.Errorf("other resources = %v, want %v", live.Other, want)
	}
	if len(live.Problems) != 1 || live.Problems[0].Service != "lambda" || live.Problems[0].Region != "eu-west-3" || !strings.HasPrefix(live.Problems[0].Error, "AccessDeniedException") {
		t.Errorf("problems = %+v, want lambda refused in eu-west-3", live.Problems)
	}
	// The virtual lab, the desktops and the file system, read in detail;
	// AppStream is not offered in eu-west-3, which is no problem. The GPU
	// fleet the tagging API also lists is not counted again in Other.
	if len(live.AppStreamFleets) != 2 || len(live.AppStreamStacks) != 2 || len(live.WorkSpaces) != 2 || len(live.FileSystems) != 1 {
		t.Errorf("%d fleets %d stacks %d workspaces %d file systems, want 2 2 2 1", len(live.AppStreamFleets), len(live.AppStreamStacks), len(live.WorkSpaces), len(live.FileSystems))
	} else {
		gpu := live.AppStreamFleets[0]
		if gpu.Name != "virtual-lab-gpu" || gpu.InstanceType != "stream.graphics.g4dn.xlarge" || gpu.FleetType != "ON_DEMAND" || gpu.Desired != 20 || gpu.Platform != "WINDOWS_SERVER_2019" {
			t.Errorf("GPU fleet = %+v", gpu)
		}
		if st := live.AppStreamStacks[0]; strings.Join(st.Storage, ",") != "HOMEFOLDERS,ONE_DRIVE" {
			t.Errorf("stack storage = %v", st.Storage)
		}
		if ws := live.WorkSpaces[1]; ws.ComputeType != "PERFORMANCE" || ws.RunningMode != "ALWAYS_ON" || ws.UserGiB != 100 || ws.State != "STOPPED" {
			t.Errorf("workspace = %+v", ws)
		}
		if fs := live.FileSystems[0]; fs.Bytes != 4<<40 || fs.ThroughputMode != "elastic" || !fs.Encrypted || fs.MountTargets != 3 || fs.Name != "hpc-scratch" {
			t.Errorf("file system = %+v", fs)
		}
	}
	if f.requests["monitoring GetMetricData"] != 2 || f.requests["iam GetAccountAuthorizationDetails"] != 1 {
		t.Errorf("requests = %v", f.requests)
	}
}

// A service that refuses is a line in the plan; the rest is still read.
func TestLivePermissionErrorsDoNotAbort(t *testing.T) {
	f, l := liveFixture(t)
	f.deny["iam"], f.deny["rds"] = true, true
	inv, err := l.Collect(context.Background(), Options{Regions: []string{"ca-central-1"}})
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
	_, err := l.Collect(context.Background(), Options{Regions: []string{"ca-central-1", "xx-nowhere-1"}})
	if err == nil || !strings.Contains(err.Error(), `"xx-nowhere-1"`) || !strings.Contains(err.Error(), "--regions") {
		t.Fatalf("err = %v", err)
	}
	o, _ := NewOffline("../sample/account")
	if _, err := o.Collect(context.Background(), Options{Regions: []string{"ap-east-1"}}); err == nil {
		t.Error("a region that is not opted in was accepted")
	}
}

var update = flag.Bool("update", false, "rewrite the golden files")

// The policy fixture account, exported with aws-cli, read into the account
// model: policy's tests read this model (and so compile without the SDK).
func TestCampusAccess(t *testing.T) {
	o, err := NewOffline("../../policy/testdata/campus")
	if err != nil {
		t.Fatal(err)
	}
	a, err := o.Access(context.Background(), []string{"uni-lab-archive", "uni-research-data", "uni-website"})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "../../policy/testdata/campus.access.json", a, "TestCampusAccess")
}

// aws-cli prints a permissions boundary as the API does, type and ARN; the
// offline reader decodes it through the SDK's own type, for users and roles.
func TestPermissionsBoundaryRealShape(t *testing.T) {
	o, err := NewOffline("testdata/boundary")
	if err != nil {
		t.Fatal(err)
	}
	d, err := o.IAM(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := &account.Boundary{Type: "Policy", Arn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}
	if got := d.UserDetailList[0].PermissionsBoundary; !reflect.DeepEqual(got, want) {
		t.Errorf("user boundary = %+v, want %+v", got, want)
	}
	if got := d.RoleDetailList[0].PermissionsBoundary; got == nil || got.Arn != "arn:aws:iam::123456789012:policy/lab-boundary" {
		t.Errorf("role boundary = %+v", got)
	}
	if len(d.UserDetailList[0].UserPolicyList) != 1 || !strings.Contains(string(d.UserDetailList[0].UserPolicyList[0].PolicyDocument), "s3:PutObject") {
		t.Errorf("inline policy = %+v", d.UserDetailList[0].UserPolicyList)
	}
	if tags := d.RoleDetailList[0].Tags; len(tags) != 1 || tags[0].Value != "genomics" {
		t.Errorf("role tags = %+v", tags)
	}
}

// The sample account's inventory, kept for the tests of the deliverables
// (assess reads it without the SDK).
func TestSampleInventory(t *testing.T) {
	o, err := NewOffline("../sample/account")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := o.Collect(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv.Source = "offline (sample)"
	checkGolden(t, "../sample/inventory.json", inv, "TestSampleInventory")
}

// The sample account exported by someone CloudWatch refuses (aws-cli's own
// error text in the .error files): the buckets are listed, their sizes are
// unknown, and the problem says why. assess's tests read this inventory.
func TestSampleInventoryCloudWatchRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../sample/account")); err != nil {
		t.Fatal(err)
	}
	for _, region := range []string{"ca-central-1", "us-east-1"} {
		os.Remove(filepath.Join(dir, region, fileMetricData+".json"))
		msg := "\nAn error occurred (AccessDenied) when calling the GetMetricData operation: User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: cloudwatch:GetMetricData because no identity-based policy allows the cloudwatch:GetMetricData action\n"
		if err := os.WriteFile(filepath.Join(dir, region, fileMetricData+".error"), []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o, err := NewOffline(dir)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := o.Collect(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv.Source = "offline (sample, CloudWatch refused)"
	for _, b := range inv.Buckets {
		if b.Sizes != "unknown" || b.Total() != (account.Usage{}) {
			t.Errorf("bucket %s: sizes %q %+v, want unknown", b.Name, b.Sizes, b.Total())
		}
	}
	var cw []string
	for _, p := range inv.Problems {
		if p.Service == "cloudwatch" {
			cw = append(cw, p.Region)
		}
	}
	if strings.Join(cw, ",") != "ca-central-1,us-east-1" {
		t.Errorf("cloudwatch problems in %v, want ca-central-1 and us-east-1", cw)
	}
	checkGolden(t, "../sample/inventory-cloudwatch-refused.json", inv, "TestSampleInventoryCloudWatchRefused")
}

func checkGolden(t *testing.T, golden string, v any, test string) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s is out of date: run go test ./internal/account/awsread -run %s -update, and review the diff", golden, test)
	}
}

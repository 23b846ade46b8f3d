package awsread

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/account"
)

// campusNetwork is the landing zone's fixture account: an offline export
// of one region (ca-central-1) built from aws-cli's documented outputs.
// testdata/live-network is the same account as the API answers it.
const campusNetwork = "../../landing/testdata/campus-network"

func readCampusNetwork(t *testing.T, dir string, opts Options) *account.Inventory {
	t.Helper()
	o, err := NewOffline(dir)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := o.Network(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// The fixture account's network, read offline, kept for the landing
// zone's tests (which read the model without the SDK).
func TestCampusNetwork(t *testing.T) {
	inv := readCampusNetwork(t, campusNetwork, Options{})
	inv.Source = "offline (campus-network)"
	if len(inv.Problems) != 0 {
		t.Errorf("problems = %+v, want none: every file is in the export", inv.Problems)
	}
	checkGolden(t, "../../landing/testdata/campus-network.network.json", inv, "TestCampusNetwork")

	// What the account holds, checked by hand against the export.
	n := inv.Network
	if inv.Account != "123456789012" || strings.Join(inv.Regions, ",") != "ca-central-1" {
		t.Errorf("account %q regions %v", inv.Account, inv.Regions)
	}
	if len(n.VPCs) != 2 || len(n.Subnets) != 5 || len(n.RouteTables) != 4 || len(n.Gateways) != 3 || len(n.SecurityGroups) != 6 ||
		len(n.NetworkACLs) != 3 || len(n.PrefixLists) != 1 || len(n.KeyPairs) != 2 || len(n.Addresses) != 3 || len(n.Images) != 3 ||
		len(n.Machines) != 2 || len(n.LoadBalancers) != 1 || len(n.TargetGroups) != 1 {
		t.Fatalf("counts: %d vpcs %d subnets %d route tables %d gateways %d groups %d acls %d prefix lists %d keys %d addresses %d images %d machines %d lbs %d tgs",
			len(n.VPCs), len(n.Subnets), len(n.RouteTables), len(n.Gateways), len(n.SecurityGroups), len(n.NetworkACLs), len(n.PrefixLists),
			len(n.KeyPairs), len(n.Addresses), len(n.Images), len(n.Machines), len(n.LoadBalancers), len(n.TargetGroups))
	}
	campus := n.VPCs[0]
	if campus.ID != "vpc-0ca1000000000a001" || campus.Default || campus.DHCPOptions != "dopt-0ca1000000000d001" ||
		!reflect.DeepEqual(campus.IPv6CIDRs, []string{"2001:db8:1234:1a00::/56"}) || !n.VPCs[1].Default {
		t.Errorf("VPCs = %+v", n.VPCs)
	}
	private := n.RouteTables[2]
	want := []account.Route{
		{Destination: "10.0.0.0/16", Target: "local"},
		{Destination: "2001:db8:1234:1a00::/56", Target: "local"},
		{Destination: "0.0.0.0/0", Target: "nat-gateway", TargetID: "nat-0ca1000000000e001"},
		{Destination: "172.16.0.0/12", Target: "network-interface", TargetID: "eni-0ca1000000007a002"},
	}
	if !reflect.DeepEqual(private.Routes, want) || !reflect.DeepEqual(private.Subnets, []string{"subnet-0ca1000000000b021", "subnet-0ca1000000000b022"}) {
		t.Errorf("private route table = %+v", private)
	}
	// The deleted NAT gateway is not listed.
	if g := n.Gateways[2]; g.Kind != "nat" || g.ID != "nat-0ca1000000000e001" || g.PublicIP != "198.51.100.20" || g.Subnet != "subnet-0ca1000000000b011" {
		t.Errorf("gateways = %+v", n.Gateways)
	}
	app := n.SecurityGroups[2]
	wantApp := []account.SGRule{
		{Protocol: "tcp", FromPort: 8080, ToPort: 8080, Groups: []account.GroupRef{{ID: "sg-0ca1000000001a001", Owner: "123456789012"}}},
		{Protocol: "tcp", FromPort: 22, ToPort: 22, PrefixLists: []string{"pl-0ca1000000004a001"}},
	}
	if app.Name != "app" || app.Tag != "campus-app" || !reflect.DeepEqual(app.Ingress, wantApp) {
		t.Errorf("app group = %+v", app)
	}
	lab := n.SecurityGroups[4]
	wantLab := []account.SGRule{
		{Protocol: "-1", CIDRs: []string{"10.0.0.0/16"}},
		{Protocol: "icmp", FromPort: 8, ToPort: -1, CIDRs: []string{"172.16.0.0/12"}},
		{Protocol: "tcp", FromPort: 3389, ToPort: 3389, Groups: []account.GroupRef{{ID: "sg-0be2000000001a010", Owner: "111122223333", Peering: "pcx-0ca1000000002a001"}}},
	}
	if !reflect.DeepEqual(lab.Ingress, wantLab) {
		t.Errorf("lab group ingress = %+v, want %+v", lab.Ingress, wantLab)
	}
	if web := n.SecurityGroups[1]; !reflect.DeepEqual(web.Ingress[0].IPv6CIDRs, []string{"::/0"}) || len(web.Egress) != 1 || web.Egress[0].Protocol != "-1" {
		t.Errorf("web group = %+v", web)
	}
	public := n.NetworkACLs[1]
	if e := public.Entries[1]; e.Number != 90 || e.Action != "deny" || e.Protocol != "6" || e.FromPort != 3389 || e.ToPort != 3389 || e.Egress {
		t.Errorf("public ACL's deny entry = %+v", e)
	}
	if e := public.Entries[0]; e.Number != 85 || e.Protocol != "1" || e.FromPort != 8 || e.ToPort != -1 {
		t.Errorf("public ACL's ICMP entry = %+v", e)
	}
	if pl := n.PrefixLists[0]; pl.ID != "pl-0ca1000000004a001" || !reflect.DeepEqual(pl.Entries, []string{"172.16.10.0/24", "172.20.0.0/16"}) {
		t.Errorf("prefix lists = %+v (the unreferenced and AWS-managed ones are left out)", n.PrefixLists)
	}
	if !strings.HasPrefix(n.KeyPairs[0].PublicKey, "ssh-ed25519 ") || n.KeyPairs[1].PublicKey != "" {
		t.Errorf("key pairs = %+v", n.KeyPairs)
	}
	m := n.Machines[0]
	if m.ID != "i-0ca1000000008a001" || m.Type != "t3.large" || m.Platform != "Linux/UNIX" || m.IAMProfile != "arn:aws:iam::123456789012:instance-profile/moodle-app" {
		t.Errorf("machine = %+v", m)
	}
	wantIfaces := []account.Interface{
		{ID: "eni-0ca1000000007a001", Subnet: "subnet-0ca1000000000b011", PrivateIPs: []string{"10.0.0.10", "10.0.0.11"},
			IPv6s: []string{"2001:db8:1234:1a00::10"}, Groups: []string{"sg-0ca1000000001a002"}, PublicIP: "203.0.113.25"},
		{ID: "eni-0ca1000000007a002", Subnet: "subnet-0ca1000000000b021", PrivateIPs: []string{"10.0.10.10"}, Groups: []string{"sg-0ca1000000001a002"},
			NoSourceDestCheck: true},
	}
	if !reflect.DeepEqual(m.Interfaces, wantIfaces) {
		t.Errorf("interfaces = %+v, want the primary (device 0) first, its primary address first, the VPN leg forwarding", m.Interfaces)
	}
	wantDisks := []account.Disk{
		{Device: "/dev/xvda", Volume: "vol-0ca100000000aa001", GiB: 30, Type: "gp3", Root: true, DeleteOnTermination: true},
		{Device: "/dev/sdf", Volume: "vol-0ca100000000aa002", GiB: 200, Type: "gp3"},
	}
	if !reflect.DeepEqual(m.Disks, wantDisks) {
		t.Errorf("disks = %+v", m.Disks)
	}
	if gpu := n.Machines[1]; gpu.Platform != "Windows" || gpu.Type != "g4dn.xlarge" || gpu.State != "stopped" || gpu.PlacementGroup != "gpu-lab" || gpu.Image != "ami-0e5c1a7b3d9f20002" {
		t.Errorf("GPU machine = %+v", gpu)
	}
	// The instances' AMIs (the public Windows one) join the account's own;
	// the terminated instance's deregistered AMI is nowhere.
	var ids []string
	for _, img := range n.Images {
		ids = append(ids, img.ID)
	}
	if strings.Join(ids, ",") != "ami-0ca1000000009a001,ami-0ca1000000009a003,ami-0e5c1a7b3d9f20002" {
		t.Errorf("images = %v", ids)
	}
	lb := n.LoadBalancers[0]
	wantListeners := []account.Listener{
		{ARN: "arn:aws:elasticloadbalancing:ca-central-1:123456789012:listener/app/moodle-alb/50dc6c495c0c9188/f2f7dc8efc522ab2", Protocol: "HTTP", Port: 80,
			Forward: "arn:aws:elasticloadbalancing:ca-central-1:123456789012:targetgroup/moodle-app/73e2d6bc24d8a067", Action: "forward"},
		{ARN: "arn:aws:elasticloadbalancing:ca-central-1:123456789012:listener/app/moodle-alb/50dc6c495c0c9188/0467ef3c8400ae65", Protocol: "HTTPS", Port: 443,
			Forward: "arn:aws:elasticloadbalancing:ca-central-1:123456789012:targetgroup/moodle-app/73e2d6bc24d8a067", Action: "forward", Certificates: 1},
	}
	if !reflect.DeepEqual(lb.Listeners, wantListeners) || !reflect.DeepEqual(lb.SecurityGroups, []string{"sg-0ca1000000001a001"}) {
		t.Errorf("load balancer = %+v", lb)
	}
	if tg := n.TargetGroups[0]; tg.HealthPath != "/health" || tg.Port != 8080 || !reflect.DeepEqual(tg.Targets, []string{"i-0ca1000000008a001"}) {
		t.Errorf("target group = %+v", tg)
	}
}

// Every file of the fixture decodes into its SDK output type with no
// member left over: the export holds aws-cli's shapes, not ours.
func TestCampusNetworkHasOnlyRealMembers(t *testing.T) {
	types := networkFileTypes()
	n := 0
	err := filepath.WalkDir(campusNetwork, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(campusNetwork, path)
		parts := strings.Split(filepath.ToSlash(strings.TrimSuffix(rel, ".json")), "/")
		key := parts[len(parts)-1]
		if len(parts) == 3 { // REGION/COMMAND/OBJECT
			key = parts[1]
		}
		newOut, ok := types[key]
		if !ok {
			t.Errorf("%s: no SDK type for it; the reader does not read it", rel)
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := decodeStrict(b, newOut()); err != nil {
			t.Errorf("%s: %v", rel, err)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 22 {
		t.Errorf("checked %d files, want 22", n)
	}
}

// The same account read through the API (the SDK against AWS's wire
// format) and from aws-cli's export gives the same network, byte for byte.
func TestLiveAndOfflineGiveTheSameNetwork(t *testing.T) {
	f, l := liveFixtureDir(t, "testdata/live-network")
	live, err := l.Network(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	off := readCampusNetwork(t, campusNetwork, Options{})
	live.Source, off.Source = "", ""
	a, _ := json.MarshalIndent(live, "", "  ")
	b, _ := json.MarshalIndent(off, "", "  ")
	if !bytes.Equal(a, b) || !reflect.DeepEqual(live, off) {
		t.Fatalf("live and offline networks differ:\nlive:\n%s\noffline:\n%s", a, b)
	}
	// What the live reader asked for.
	form := func(op string) map[string][]string {
		forms := f.forms[op]
		if len(forms) != 1 {
			t.Fatalf("%d %s requests, want 1", len(forms), op)
		}
		return forms[0]
	}
	if k := form("ec2 DescribeKeyPairs"); k["IncludePublicKey"][0] != "true" {
		t.Errorf("DescribeKeyPairs %v: the public keys were not asked for", k)
	}
	var own, used map[string][]string
	for _, q := range f.forms["ec2 DescribeImages"] {
		if q.Get("Owner.1") == "self" {
			own = q
		} else {
			used = q
		}
	}
	if own == nil || used == nil || len(f.forms["ec2 DescribeImages"]) != 2 {
		t.Fatalf("DescribeImages requests %v, want one for self and one for the instances' AMIs", f.forms["ec2 DescribeImages"])
	}
	if used["Filter.1.Name"][0] != "image-id" || strings.Join(used["Filter.1.Value.1"], "") != "ami-0ca1000000009a001" ||
		strings.Join(used["Filter.1.Value.2"], "") != "ami-0e5c1a7b3d9f20002" || used["Filter.1.Value.3"] != nil || used["IncludeDeprecated"][0] != "true" {
		t.Errorf("DescribeImages for the instances' AMIs = %v, want the two AMIs of the instances not terminated", used)
	}
	if q := form("ec2 GetManagedPrefixListEntries"); q["PrefixListId"][0] != "pl-0ca1000000004a001" {
		t.Errorf("prefix list entries read for %v, want only the list a rule names", q)
	}
	if q := form("elasticloadbalancing DescribeListeners"); !strings.HasSuffix(q["LoadBalancerArn"][0], "loadbalancer/app/moodle-alb/50dc6c495c0c9188") {
		t.Errorf("DescribeListeners %v", q)
	}
	form("elasticloadbalancing DescribeTargetHealth")
}

// A service the credentials may not call is a problem line; the rest of
// the estate is still read.
func TestLiveNetworkRefusedIsAProblem(t *testing.T) {
	f, l := liveFixtureDir(t, "testdata/live-network")
	f.deny["elasticloadbalancing"] = true
	inv, err := l.Network(context.Background(), Options{Regions: []string{"ca-central-1"}})
	if err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, p := range inv.Problems {
		services = append(services, p.Service)
		if p.Region != "ca-central-1" || !strings.HasPrefix(p.Error, "AccessDenied") {
			t.Errorf("problem %+v", p)
		}
	}
	if strings.Join(services, ",") != "elbv2 (load balancers),elbv2 (target groups)" {
		t.Errorf("problems %+v, want load balancers and target groups refused", inv.Problems)
	}
	if n := inv.Network; len(n.VPCs) != 2 || len(n.Machines) != 2 || len(n.LoadBalancers) != 0 {
		t.Errorf("the rest was not read: %d vpcs %d machines %d load balancers", len(n.VPCs), len(n.Machines), len(n.LoadBalancers))
	}
}

// An export that lacks files, or holds aws-cli's refusals, reads with a
// problem line for each; what is there is read.
func TestNetworkMissingFilesAreProblems(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(campusNetwork)); err != nil {
		t.Fatal(err)
	}
	reg := filepath.Join(dir, "ca-central-1")
	for _, f := range []string{fileSubnets, fileVolumes, dirListeners + "/moodle-alb", dirPrefixListEntries + "/pl-0ca1000000004a001", fileImagesInUse} {
		if err := os.Remove(filepath.Join(reg, f+".json")); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(filepath.Join(reg, fileSecurityGroups+".json")); err != nil {
		t.Fatal(err)
	}
	msg := "\nAn error occurred (UnauthorizedOperation) when calling the DescribeSecurityGroups operation: You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: ec2:DescribeSecurityGroups\n"
	if err := os.WriteFile(filepath.Join(reg, fileSecurityGroups+".error"), []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := readCampusNetwork(t, dir, Options{})
	got := map[string]string{}
	for _, p := range inv.Problems {
		if p.Region != "ca-central-1" {
			t.Errorf("problem %+v has no region", p)
		}
		got[p.Service] = p.Error
	}
	want := map[string]string{
		"ec2 (subnets)":         "ec2-describe-subnets.json is not in the directory",
		"ec2 (security groups)": "UnauthorizedOperation: You are not authorized",
		"ec2 (volumes)":         "ec2-describe-volumes.json is not in the directory",
		"ec2 (images in use)":   "ec2-describe-images-in-use.json is not in the directory",
		"elbv2 (listeners)":     "load balancer moodle-alb: ca-central-1/elbv2-describe-listeners/moodle-alb.json is not in the directory",
	}
	for service, prefix := range want {
		if !strings.Contains(got[service], prefix) {
			t.Errorf("problem for %s = %q, want it to say %q", service, got[service], prefix)
		}
	}
	// Without groups, no rule names the prefix list: its missing entries
	// are no problem.
	if len(got) != len(want) {
		t.Errorf("problems = %+v, want %d", inv.Problems, len(want))
	}
	n := inv.Network
	if len(n.Subnets) != 0 || len(n.SecurityGroups) != 0 || len(n.VPCs) != 2 || len(n.Machines) != 2 || len(n.LoadBalancers) != 1 || n.LoadBalancers[0].Listeners != nil {
		t.Errorf("read: %d subnets %d groups %d vpcs %d machines %d lbs", len(n.Subnets), len(n.SecurityGroups), len(n.VPCs), len(n.Machines), len(n.LoadBalancers))
	}
	// Disks without their volumes' sizes: listed, 0 GiB.
	if d := n.Machines[0].Disks; len(d) != 2 || d[0].GiB != 0 || d[0].Volume != "vol-0ca100000000aa001" {
		t.Errorf("disks = %+v", d)
	}
	if len(n.Images) != 2 {
		t.Errorf("images = %+v, want the account's own two", n.Images)
	}
}

// A rule that names a prefix list whose entries the export lacks is a
// problem, not a list without entries (which would translate as "nobody").
func TestNetworkPrefixListEntriesMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(campusNetwork)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "ca-central-1", dirPrefixListEntries, "pl-0ca1000000004a001.json")); err != nil {
		t.Fatal(err)
	}
	inv := readCampusNetwork(t, dir, Options{})
	if len(inv.Problems) != 1 || inv.Problems[0].Service != "ec2 (prefix list entries)" || !strings.Contains(inv.Problems[0].Error, "prefix list pl-0ca1000000004a001") {
		t.Errorf("problems = %+v", inv.Problems)
	}
	if len(inv.Network.PrefixLists) != 0 {
		t.Errorf("prefix lists = %+v, want none rather than one with no entries", inv.Network.PrefixLists)
	}
}

// A region the account has not enabled is a usage error; one it has, but
// the export was made without, is one problem line.
func TestNetworkRegions(t *testing.T) {
	o, err := NewOffline(campusNetwork)
	if err != nil {
		t.Fatal(err)
	}
	for _, region := range []string{"ap-east-1", "eu-west-3"} {
		_, err := o.Network(context.Background(), Options{Regions: []string{"ca-central-1", region}})
		if !errors.Is(err, ErrUnknownRegion) || !strings.Contains(err.Error(), `"`+region+`"`) || !strings.Contains(err.Error(), "--regions") {
			t.Errorf("region %s: err = %v, want ErrUnknownRegion naming it and --regions", region, err)
		}
	}

	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(campusNetwork)); err != nil {
		t.Fatal(err)
	}
	regions := `{"Regions": [
    {"Endpoint": "ec2.ca-central-1.amazonaws.com", "RegionName": "ca-central-1", "OptInStatus": "opt-in-not-required"},
    {"Endpoint": "ec2.us-east-1.amazonaws.com", "RegionName": "us-east-1", "OptInStatus": "opt-in-not-required"}
]}`
	if err := os.WriteFile(filepath.Join(dir, fileRegions+".json"), []byte(regions), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := readCampusNetwork(t, dir, Options{})
	if strings.Join(inv.Regions, ",") != "ca-central-1,us-east-1" || len(inv.Problems) != 1 {
		t.Fatalf("regions %v problems %+v", inv.Regions, inv.Problems)
	}
	if p := inv.Problems[0]; p.Region != "us-east-1" || !strings.Contains(p.Error, "us-east-1/ is not in the directory") || !strings.Contains(p.Error, "re-run the export script") {
		t.Errorf("problem = %+v", p)
	}
	if len(inv.Network.VPCs) != 2 {
		t.Errorf("ca-central-1 was not read: %d VPCs", len(inv.Network.VPCs))
	}
}

// The export script makes every call the offline reader reads a file of.
func TestExportScriptWritesTheNetworkFiles(t *testing.T) {
	var b strings.Builder
	if err := WriteExportScript(&b); err != nil {
		t.Fatal(err)
	}
	script := b.String()
	for _, f := range []string{fileVPCs, fileSubnets, fileRouteTables, fileInternetGateways, fileNATGateways, fileSecurityGroups,
		fileNetworkACLs, filePrefixLists, fileKeyPairs, fileAddresses, fileOwnImages, fileImagesInUse, fileLoadBalancers, fileTargetGroups} {
		if !strings.Contains(script, "run $r/"+f+" aws ") {
			t.Errorf("the script does not write %s", f)
		}
	}
	for _, d := range []string{dirPrefixListEntries + "/$pl", dirListeners + "/$name", dirTargetHealth + "/$name"} {
		if !strings.Contains(script, "run $r/"+d+" aws ") {
			t.Errorf("the script does not write %s", d)
		}
	}
	for _, arg := range []string{"describe-key-pairs --include-public-key", "describe-images --owners self", "--include-deprecated --filters \"Name=image-id,Values=$ids\""} {
		if !strings.Contains(script, arg) {
			t.Errorf("the script lacks %q", arg)
		}
	}
	for _, line := range strings.Split(script, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, call := range strings.Split(line, " aws ")[1:] {
			verb := strings.Fields(call)
			// $cmd loops over the bucket settings' get- calls.
			if len(verb) > 1 && verb[1] != "$cmd" && !slices.ContainsFunc([]string{"describe-", "get-", "list-"}, func(p string) bool { return strings.HasPrefix(verb[1], p) }) {
				t.Errorf("the script calls %s %s: it must only read", verb[0], verb[1])
			}
		}
	}
}

// decodeStrict decodes aws-cli JSON into an SDK output type, refusing any
// member the type lacks: a fixture holds aws-cli's shapes, not ours.
func decodeStrict(b []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

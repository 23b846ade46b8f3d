package landing

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/account"
)

var update = flag.Bool("update", false, "rewrite the golden module from the translation")

// campus reads the fixture account's network, as account/awsread's tests
// wrote it from the aws-cli export in testdata/campus-network.
func campus(t *testing.T) *account.Network {
	t.Helper()
	b, err := os.ReadFile("testdata/campus-network.network.json")
	if err != nil {
		t.Fatal(err)
	}
	var inv account.Inventory
	if err := json.Unmarshal(b, &inv); err != nil {
		t.Fatal(err)
	}
	if inv.Network == nil {
		t.Fatal("the fixture has no network")
	}
	return inv.Network
}

// The generated module is the golden one, file for file, byte for byte;
// -update rewrites it (review the diff).
func TestGoldenModule(t *testing.T) {
	res, err := Translate(campus(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var loss bytes.Buffer
	res.Loss.Write(&loss, "md", "en")
	res.Module.Files["loss-report.md"] = loss.Bytes()
	dir := "testdata/campus-zone"
	if *update {
		os.RemoveAll(dir)
		if err := res.Module.Write(dir); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, e := range entries {
		onDisk = append(onDisk, e.Name())
	}
	if want := sortedKeys(res.Module.Files); !slices.Equal(onDisk, want) {
		t.Fatalf("files %q, golden %q", want, onDisk)
	}
	for name, b := range res.Module.Files {
		want, _ := os.ReadFile(filepath.Join(dir, name))
		if !bytes.Equal(b, want) {
			t.Errorf("%s differs from the golden file (go test ./internal/landing -update, then review the diff)", name)
		}
	}
	// Byte-identical on every run.
	again, _ := Translate(campus(t), Options{})
	for name, b := range again.Module.Files {
		if !bytes.Equal(b, res.Module.Files[name]) {
			t.Errorf("%s differs between two translations", name)
		}
	}
}

// No generated rule allows more than the AWS rule it comes from: its
// protocol, every port and its peer are within the AWS rule's, a prefix
// list's CIDRs are the list's entries; and every peer AWS allows that is
// not written is listed as left out.
func TestNeverWider(t *testing.T) {
	n := campus(t)
	res, err := Translate(n, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rules) == 0 {
		t.Fatal("no rules written")
	}
	ag := 0
	for _, r := range res.Rules {
		if why := wider(r); why != "" {
			t.Errorf("%s %s rule %+v is wider than AWS's: %s", r.Group, r.Direction, r, why)
		}
		if r.RemoteAddressGroup != "" {
			ag++
		}
	}
	if ag == 0 {
		t.Error("no rule names an address group, though the fixture's app group allows ssh from a prefix list")
	}
	// The address group holds exactly the prefix list's entries.
	sec0 := string(res.Module.Files["security.tf"])
	for _, p := range n.PrefixLists {
		for _, e := range p.Entries {
			if !strings.Contains(sec0, `"`+e+`"`) {
				t.Errorf("prefix list %s entry %s is in no address group", p.ID, e)
			}
		}
	}
	// Every security group starts empty: Neutron's default egress rules
	// would allow what AWS may not.
	sec := string(res.Module.Files["security.tf"])
	if got, want := strings.Count(sec, "delete_default_rules = true"), strings.Count(sec, `resource "openstack_networking_secgroup_v2"`); got != want {
		t.Errorf("%d of %d groups delete Neutron's default rules", got, want)
	}
	// The peering rule is left out, and said.
	if !slices.ContainsFunc(res.Loss.Entries, func(e Entry) bool {
		return e.Feature == FeatureSGRule && e.Status == NotTranslated && strings.Contains(e.Why, "through peering")
	}) {
		t.Error("the rule that names another account's group through a peering is not listed as left out")
	}
}

func TestBadInput(t *testing.T) {
	overlap := twoTier()
	overlap.Subnets = append(overlap.Subnets, account.Subnet{ID: "subnet-overlap", VPC: "vpc-0a60eb65b4EXAMPLE", CIDR: "10.0.1.128/25", Region: "ca-central-1"})
	if _, err := Translate(overlap, Options{}); err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Errorf("overlapping subnets: %v", err)
	}
	bad := twoTier()
	bad.Subnets[0].CIDR = "10.0.1.0/33"
	if _, err := Translate(bad, Options{}); err == nil || !strings.Contains(err.Error(), "subnet-0bb1c79de3EXAMPLE") {
		t.Errorf("a bad CIDR: %v", err)
	}
	if _, err := Translate(nil, Options{}); err == nil {
		t.Error("no network: no error")
	}
	// Names that collide once sanitised stay unique, the same way twice.
	collide := twoTier()
	collide.SecurityGroups[1].Name = "web"
	collide.SecurityGroups[0].Name = "Web!"
	a, err := Translate(collide, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Translate(collide, Options{})
	sec := string(a.Module.Files["security.tf"])
	if strings.Count(sec, `resource "openstack_networking_secgroup_v2" "web"`) != 1 || !strings.Contains(sec, `resource "openstack_networking_secgroup_v2" "web_web"`) && !strings.Contains(sec, `"web_app"`) {
		t.Errorf("colliding names:\n%s", sec)
	}
	if !bytes.Equal(a.Module.Files["security.tf"], b.Module.Files["security.tf"]) {
		t.Error("colliding names resolved differently on two runs")
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"Campus VPC":     "campus_vpc",
		"web-tier (old)": "web_tier_old",
		"1st-subnet":     "r_1st_subnet",
		"":               "",
		"--":             "",
		"sg-0ab12":       "sg_0ab12",
	} {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInstanceStore(t *testing.T) {
	for typ, want := range map[string]bool{"g4dn.xlarge": true, "m5d.large": true, "c6gd.medium": true, "i3.large": true, "d3.xlarge": true,
		"t3.large": false, "m5.large": false, "c6g.medium": false, "g4ad.xlarge": true, "r5.xlarge": false} {
		if got := instanceStore(typ); got != want {
			t.Errorf("instanceStore(%q) = %v, want %v", typ, got, want)
		}
	}
}

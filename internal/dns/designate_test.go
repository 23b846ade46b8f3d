package dns

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/tofutest"
)

// The fixture zones' dns.tf, added to the landing zone's module (its
// golden copy), goes through real OpenTofu with the OpenStack provider,
// offline: init, validate and plan. The plan creates each public zone and
// a record set per name and type of the plain file, with the file's
// values; the SOA, the apex NS, the private zone and the types Designate
// refuses are left out and reported.
func TestDesignateInLandingModule(t *testing.T) {
	tf := tofutest.Find(t)
	_, res := exportFixture(t, Options{Designate: true})
	dir := tofutest.CopyModule(t, "../landing/testdata/campus-zone")
	if err := os.WriteFile(filepath.Join(dir, "dns.tf"), res.Designate, 0o644); err != nil {
		t.Fatal(err)
	}
	tf.Init(t, dir)
	if w := tf.Validate(t, dir); len(w) > 0 {
		t.Errorf("tofu validate warned: %q", w)
	}
	plan := tf.Plan(t, dir)
	zones := map[string]bool{}
	sets := map[string][]string{} // by resource name: the zone's, the name's, the type
	landing := 0
	for _, c := range plan.ResourceChanges() {
		switch c.Type {
		case "openstack_dns_zone_v2":
			zones[c.After["name"].(string)] = true
			if c.After["email"] != "hostmaster@example.com" && c.After["email"] != "awsdns-hostmaster@amazon.com" {
				t.Errorf("%s: email %v", c.Address, c.After["email"])
			}
		case "openstack_dns_recordset_v2":
			for _, r := range c.After["records"].([]any) {
				sets[c.Name] = append(sets[c.Name], r.(string))
			}
			if ref := plan.References(c.Address, "zone_id"); len(ref) == 0 || !strings.HasPrefix(ref[0], "openstack_dns_zone_v2.") {
				t.Errorf("%s: zone_id refers to %v", c.Address, ref)
			}
		default:
			landing++
		}
	}
	if !zones["labo.example.ca."] || !zones["example.ca."] || zones["intra.example.ca."] {
		t.Errorf("zones %v: want the two public ones", zones)
	}
	if landing < 20 {
		t.Errorf("the landing zone's %d resources are not all in the plan", landing)
	}
	for name, want := range map[string][]string{
		"labo_example_ca_www_a": {"192.0.2.10", "192.0.2.11"},
		"labo_example_ca_api_a": {"192.0.2.44", "192.0.2.45"},                         // weighted: the plain file's downgrade
		"example_ca_labo_ns":    {"ns1.sovereign.example.", "ns2.sovereign.example."}, // the delegation to a zone that moves too
	} {
		got := slices.Clone(sets[name])
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	for name := range sets {
		apexNS := name == "labo_example_ca_ns" || name == "example_ca_ns"
		refusedType := strings.HasSuffix(name, "_tlsa") || strings.HasSuffix(name, "_ds") || strings.HasSuffix(name, "_https")
		if apexNS || refusedType || strings.HasSuffix(name, "_soa") {
			t.Errorf("%s written: Designate writes it itself or refuses its type", name)
		}
	}
	refused := 0
	for _, e := range res.Loss {
		if strings.HasPrefix(e.Why, "Designate (dns.tf): not written") {
			refused++
		}
	}
	if refused == 0 {
		t.Error("nothing reported as left out of dns.tf")
	}
	t.Logf("dns.tf: %d zones, %d record sets; %d left out", len(zones), len(sets), refused)
}

package landing

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/flavour"
	"github.com/sortie-dev/sortie/internal/tofutest"
)

var flavourOf = flavour.EC2

// The fixture account's module, as written, goes through real OpenTofu with
// the real OpenStack provider, offline: init from the mirror, validate,
// plan (no Keystone: every change is a creation), and the plan is checked
// resource by resource against the AWS estate. Then tofu test applies it
// against a mock provider, where references resolve.
func TestModuleWithTofu(t *testing.T) {
	tf := tofutest.Find(t)
	n := campus(t)
	res, err := Translate(n, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "zone")
	if err := res.Module.Write(dir); err != nil {
		t.Fatal(err)
	}
	tf.Init(t, dir)
	if w := tf.Validate(t, dir); len(w) > 0 {
		t.Errorf("tofu validate warned: %q", w)
	}
	plan := tf.Plan(t, dir)
	changes := map[string]tofutest.Change{}
	for _, c := range plan.ResourceChanges() {
		if !slices.Equal(c.Actions, []string{"create"}) {
			t.Errorf("%s: actions %v, want create", c.Address, c.Actions)
		}
		changes[c.Address] = c
	}
	get := func(address string) tofutest.Change {
		t.Helper()
		c, ok := changes[address]
		if !ok {
			t.Fatalf("the plan creates no %s", address)
		}
		return c
	}

	// Networks and subnets with their CIDRs.
	subnets := 0
	for _, s := range n.Subnets {
		name := subnetName(t, res, s.ID)
		if name == "" {
			continue // the unused default VPC's
		}
		subnets++
		if got := get(tSubnet + "." + name).After["cidr"]; got != s.CIDR {
			t.Errorf("subnet %s: cidr %v, want %s", s.ID, got, s.CIDR)
		}
	}
	if subnets == 0 {
		t.Fatal("no subnet planned")
	}

	// Every security-group rule, as translated, with its peer.
	for i, r := range res.Rules {
		addr := ruleAddress(t, res, i)
		c := get(addr)
		want := map[string]any{"direction": r.Direction, "ethertype": r.EtherType}
		if r.Protocol != "" {
			want["protocol"] = r.Protocol
		}
		if r.PortMin != 0 || r.PortMax != 0 {
			want["port_range_min"] = float64(r.PortMin)
			want["port_range_max"] = float64(r.PortMax)
		}
		if r.RemoteCIDR != "" {
			want["remote_ip_prefix"] = r.RemoteCIDR
		}
		for k, v := range want {
			if got := c.After[k]; got != v {
				t.Errorf("%s (from %s): %s = %v, want %v", addr, r.Group, k, got, v)
			}
		}
		if r.RemoteGroup != "" {
			peer := tSecgroup + "." + res.groupName(r.RemoteGroup) + ".id"
			if refs := plan.References(addr, "remote_group_id"); !slices.Contains(refs, peer) {
				t.Errorf("%s: remote_group_id refers to %q, want %s", addr, refs, peer)
			}
		}
		if r.RemoteAddressGroup != "" {
			peer := tAddressGroup + "." + res.names.lookup(tAddressGroup, r.RemoteAddressGroup) + ".id"
			if refs := plan.References(addr, "remote_address_group_id"); !slices.Contains(refs, peer) {
				t.Errorf("%s: remote_address_group_id refers to %q, want %s", addr, refs, peer)
			}
		}
	}
	for _, g := range n.SecurityGroups {
		if name := res.groupName(g.ID); name != "" {
			if got := get(tSecgroup + "." + name).After["delete_default_rules"]; got != true {
				t.Errorf("security group %s: delete_default_rules %v", g.ID, got)
			}
		}
	}

	// Prefix lists: address groups with the same entries.
	for _, p := range n.PrefixLists {
		if name := res.names.lookup(tAddressGroup, p.ID); name != "" {
			got, _ := get(tAddressGroup + "." + name).After["addresses"].([]any)
			var addrs []string
			for _, a := range got {
				addrs = append(addrs, fmt.Sprint(a))
			}
			slices.Sort(addrs)
			want := slices.Sorted(slices.Values(p.Entries))
			if !slices.Equal(addrs, want) {
				t.Errorf("address group of %s: %v, want %v", p.ID, addrs, want)
			}
		}
	}

	// Machines: flavours, ports with fixed IPs and groups, volumes.
	for _, m := range n.Machines {
		if m.State == "terminated" {
			continue
		}
		name := res.names.lookup(tInstance, m.ID)
		inst := get(tInstance + "." + name)
		if fl, _, _, _ := flavourOf(m.Type); inst.After["flavor_name"] != fl {
			t.Errorf("instance %s: flavour %v, want %s", m.ID, inst.After["flavor_name"], fl)
		}
		for _, ifc := range m.Interfaces {
			port := get(tPort + "." + res.names.lookup(tPort, ifc.ID))
			fixed, _ := port.After["fixed_ip"].([]any)
			var ips []string
			for _, f := range fixed {
				ips = append(ips, fmt.Sprint(f.(map[string]any)["ip_address"]))
			}
			if !slices.Equal(ips, ifc.PrivateIPs) {
				t.Errorf("port of %s: fixed IPs %v, want %v", ifc.ID, ips, ifc.PrivateIPs)
			}
			refs := plan.References(tPort+"."+res.names.lookup(tPort, ifc.ID), "security_group_ids")
			for _, g := range ifc.Groups {
				if want := tSecgroup + "." + res.groupName(g) + ".id"; !slices.Contains(refs, want) {
					t.Errorf("port of %s: groups %q lack %s", ifc.ID, refs, want)
				}
			}
		}
		for _, d := range m.Disks {
			vol := get(tVolume + "." + res.names.lookup(tVolume, d.Volume))
			if vol.After["size"] != float64(d.GiB) {
				t.Errorf("volume %s: size %v, want %d", d.Volume, vol.After["size"], d.GiB)
			}
		}
	}

	// Applied against a mock provider, every reference resolves: a rule's
	// remote group is its peer group's ID, a port's network its VPC's.
	var asserts strings.Builder
	for i, r := range res.Rules {
		if r.RemoteGroup == "" {
			continue
		}
		addr := ruleAddress(t, res, i)
		fmt.Fprintf(&asserts, "  assert {\n    condition     = %s.remote_group_id == %s.%s.id\n    error_message = \"%s does not name its peer group\"\n  }\n", addr, tSecgroup, res.groupName(r.RemoteGroup), addr)
	}
	for _, s := range n.Subnets {
		if name := subnetName(t, res, s.ID); name != "" {
			fmt.Fprintf(&asserts, "  assert {\n    condition     = %s.%s.network_id == %s.%s.id\n    error_message = \"subnet %s is not on its VPC's network\"\n  }\n",
				tSubnet, name, tNetwork, res.names.lookup(tNetwork, s.VPC), s.ID)
		}
	}
	test := "mock_provider \"openstack\" {}\n\nrun \"apply\" {\n  command = apply\n" + asserts.String() + "}\n"
	if err := os.MkdirAll(filepath.Join(dir, "tests"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tests", "zone.tftest.hcl"), []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := tf.Test(t, dir); !strings.Contains(out, "1 passed, 0 failed") {
		t.Errorf("tofu test:\n%s", out)
	}
}

func subnetName(t *testing.T, res *Result, id string) string {
	t.Helper()
	return res.names.lookup(tSubnet, id)
}

// ruleAddress is the address of the i-th rule written.
func ruleAddress(t *testing.T, res *Result, i int) string {
	t.Helper()
	return res.ruleAddrs[i]
}

func (r *Result) groupName(id string) string { return r.names.lookup(tSecgroup, id) }

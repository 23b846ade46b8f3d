package tofutest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestNetworkModule(t *testing.T) {
	tf := Find(t)
	dir := CopyModule(t, "testdata/network")
	tf.Init(t, dir)
	if w := tf.Validate(t, dir); len(w) > 0 {
		t.Errorf("validate warned: %q", w)
	}

	p := tf.Plan(t, dir)
	got := map[string][]string{}
	byAddress := map[string]Change{}
	for _, c := range p.ResourceChanges() {
		got[c.Address] = c.Actions
		byAddress[c.Address] = c
	}
	want := map[string][]string{
		"openstack_networking_network_v2.app":                {"create"},
		"openstack_networking_subnet_v2.app_a":               {"create"},
		"openstack_networking_secgroup_v2.web":               {"create"},
		"openstack_networking_secgroup_v2.app":               {"create"},
		"openstack_networking_secgroup_rule_v2.app_from_web": {"create"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) { // fmt sorts map keys
		t.Errorf("resource changes: got %v, want %v", got, want)
	}

	subnet := byAddress["openstack_networking_subnet_v2.app_a"]
	if subnet.Type != "openstack_networking_subnet_v2" || subnet.Name != "app_a" || subnet.Mode != "managed" {
		t.Errorf("subnet: got type %q name %q mode %q", subnet.Type, subnet.Name, subnet.Mode)
	}
	if got := subnet.After["cidr"]; got != "10.0.1.0/24" {
		t.Errorf("subnet cidr: got %v, want 10.0.1.0/24", got)
	}
	if got := subnet.After["ip_version"]; got != float64(4) {
		t.Errorf("subnet ip_version: got %v (%T), want 4", got, got)
	}
	// The network's id is unknown until it exists: the plan says so, and
	// the configuration says where it comes from.
	if _, ok := subnet.After["network_id"]; ok || subnet.AfterUnknown["network_id"] != true {
		t.Errorf("subnet network_id: got after %v, after_unknown %v; want unknown", subnet.After["network_id"], subnet.AfterUnknown["network_id"])
	}
	if refs := p.References("openstack_networking_subnet_v2.app_a", "network_id"); !slices.Contains(refs, "openstack_networking_network_v2.app.id") {
		t.Errorf("subnet network_id references: got %q, want openstack_networking_network_v2.app.id", refs)
	}

	rule := byAddress["openstack_networking_secgroup_rule_v2.app_from_web"]
	for k, want := range map[string]any{"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": float64(8080), "port_range_max": float64(8080)} {
		if got := rule.After[k]; got != want {
			t.Errorf("rule %s: got %v, want %v", k, got, want)
		}
	}
	if refs := p.References("openstack_networking_secgroup_rule_v2.app_from_web", "remote_group_id"); !slices.Contains(refs, "openstack_networking_secgroup_v2.web.id") {
		t.Errorf("rule remote_group_id references: got %q, want openstack_networking_secgroup_v2.web.id", refs)
	}
	if refs := p.References("openstack_networking_secgroup_rule_v2.nothing", "remote_group_id"); refs != nil {
		t.Errorf("references of an undeclared resource: got %q, want none", refs)
	}

	if out := tf.Test(t, dir); !strings.Contains(out, "1 passed, 0 failed") {
		t.Errorf("tofu test: got\n%s\nwant 1 passed, 0 failed", out)
	}
	// tofu init leaves only the lock file next to the module.
	if _, err := os.Stat(filepath.Join(dir, ".terraform")); !os.IsNotExist(err) {
		t.Errorf(".terraform in the module directory: got %v, want none (TF_DATA_DIR)", err)
	}
}

func TestFailureSaysWhatTofuSaid(t *testing.T) {
	tf := Find(t)
	dir := CopyModule(t, "testdata/invalid")
	tf.Init(t, dir)
	msg := failure(t, func(tb testing.TB) { tf.Validate(tb, dir) })
	for _, want := range []string{"tofu validate", "main.tf:12: Reference to undeclared resource", `"openstack_networking_network_v2" "missing"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure message: got\n%s\nwant it to contain %q", msg, want)
		}
	}
}

// TestPlanThatAuthenticatesFails: a data source is read during the plan,
// so the provider must reach Keystone. The plan fails, and says it tried:
// which is what makes a passing plan proof that nothing was contacted.
func TestPlanThatAuthenticatesFails(t *testing.T) {
	tf := Find(t)
	dir := CopyModule(t, "testdata/keystone")
	tf.Init(t, dir)
	msg := failure(t, func(tb testing.TB) { tf.Plan(tb, dir) })
	t.Logf("the failure a test sees:\n%s", msg)
	for _, want := range []string{"tofu plan", "connected to OS_AUTH_URL (Keystone)", "/v3/auth/tokens"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure message: got\n%s\nwant it to contain %q", msg, want)
		}
	}
}

// TestEnvironment runs a stand-in for tofu that prints its environment,
// with credentials and a proxy in the test's own.
func TestEnvironment(t *testing.T) {
	t.Setenv("OS_PASSWORD", "leaked")
	t.Setenv("OS_CLOUD", "leaked")
	t.Setenv("HTTPS_PROXY", "http://leaked.invalid:3128")
	t.Setenv("TF_PLUGIN_CACHE_DIR", "/leaked")
	tf := Find(t)
	fake := filepath.Join(t.TempDir(), "tofu")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nenv\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tf.Bin = fake
	tf.Env = []string{"TF_VAR_region=RegionTwo"}
	dir := t.TempDir()
	env := strings.Split(strings.TrimSpace(tf.Test(t, dir)), "\n")

	if leaked := slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return !strings.Contains(kv, "leaked") }); len(leaked) > 0 {
		t.Errorf("environment from the machine reached tofu: %q", leaked)
	}
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	for k, want := range map[string]string{
		"TF_IN_AUTOMATION":   "1",
		"TF_VAR_region":      "RegionTwo",
		"TF_CLI_CONFIG_FILE": filepath.Join(tf.base, "tofurc"),
		"HOME":               filepath.Join(tf.base, "home"),
	} {
		if vars[k] != want {
			t.Errorf("%s: got %q, want %q", k, vars[k], want)
		}
	}
	if u := vars["OS_AUTH_URL"]; !strings.HasPrefix(u, "http://127.0.0.1:") {
		t.Errorf("OS_AUTH_URL: got %q, want a loopback URL", u)
	}
	if d := vars["TF_DATA_DIR"]; !strings.HasPrefix(d, tf.base) {
		t.Errorf("TF_DATA_DIR: got %q, want under %s", d, tf.base)
	}
	rc, err := os.ReadFile(vars["TF_CLI_CONFIG_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rc), "filesystem_mirror") || strings.Contains(string(rc), "direct") {
		t.Errorf("CLI config: got\n%s\nwant the filesystem mirror as the only installation method", rc)
	}
}

func TestFindSaysHowToBuild(t *testing.T) {
	t.Setenv("SORTIE_TOFU", filepath.Join(t.TempDir(), "no-tofu"))
	msg := failure(t, func(tb testing.TB) { Find(tb) })
	if !strings.Contains(msg, "./scripts/test") || strings.Contains(msg, "\n") {
		t.Errorf("Find without tofu: got %q, want one line that says to run ./scripts/test", msg)
	}
}

// failure calls f with a testing.TB that records a failure instead of
// failing t, and returns the message; t fails if f did not fail.
func failure(t *testing.T, f func(testing.TB)) string {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	if r.msg == "" {
		t.Fatal("it did not fail")
	}
	return r.msg
}

type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) { r.msg += fmt.Sprintf(format, args...) }

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

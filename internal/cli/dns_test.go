package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/dnstest"
)

const zonesExport = "../dns/testdata/zones-export"

// Issue 14: the fixture zones offline become master files BIND's checker
// loads, and a loss report.
func TestDNSExportOffline(t *testing.T) {
	base := t.TempDir()
	dir, tf := filepath.Join(base, "zones"), filepath.Join(base, "landing")
	code, out, errs := sortie(t, "dns", "export", "--offline", zonesExport, "--ns", "ns1.sovereign.example,ns2.sovereign.example", "-o", dir, "--designate", tf)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, f := range []string{"labo.example.ca.pdns.zone", "../landing/dns.tf", "../landing/versions.tf"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if !strings.Contains(out, "next: cd "+tf+" && tofu init && tofu plan") {
		t.Errorf("no next step for dns.tf:\n%s", out)
	}
	for _, want := range []string{"DNS loss report:", "weighted", "a CNAME cannot stand at the apex", "remove the DS record"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for _, zone := range []string{"labo.example.ca", "intra.example.ca", "example.ca"} {
		f := filepath.Join(dir, zone+".zone")
		if b, err := exec.Command("named-checkzone", "-k", "warn", zone, f).CombinedOutput(); err != nil {
			t.Errorf("named-checkzone %s: %v\n%s", zone, err, b)
		}
	}
	if md, err := os.ReadFile(filepath.Join(dir, "loss-report.md")); err != nil || !strings.Contains(string(md), "# DNS loss report") {
		t.Errorf("loss-report.md: %v", err)
	}
}

func TestDNSExportBadInput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "zones")
	cut := t.TempDir()
	if err := os.CopyFS(cut, os.DirFS(zonesExport)); err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(filepath.Join(cut, "route53", "Z1D633PJN98FT9", "list-resource-record-sets.json"))
	if len(matches) == 1 {
		b, _ := os.ReadFile(matches[0])
		os.WriteFile(matches[0], b[:len(b)/2], 0o600)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no output", []string{"dns", "export", "--offline", zonesExport}, "-o OUTDIR"},
		{"unknown zone", []string{"dns", "export", "--offline", zonesExport, "--zones", "nope.example.", "-o", out}, "nope.example"},
		{"bad ns", []string{"dns", "export", "--offline", zonesExport, "--ns", "not a name!", "-o", out}, "--ns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, errs := sortie(t, tc.args...)
			if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Errorf("exit %d, want 2 with %q\nstdout %s\nstderr %s", code, tc.want, stdout, errs)
			}
		})
	}
	// A zone cut short is not written, the report says why, and the exit
	// code says something is missing.
	out = filepath.Join(t.TempDir(), "zones")
	code, stdout, errs := sortie(t, "dns", "export", "--offline", cut, "-o", out)
	if code != 1 || !strings.Contains(stdout, "could not all be read") || !strings.Contains(errs, "labo.example.ca. not written") {
		t.Errorf("cut-short export: exit %d\n%s\n%s", code, stdout, errs)
	}
	if _, err := os.Stat(filepath.Join(out, "labo.example.ca.zone")); err == nil {
		t.Error("a zone whose record sets were cut short was written")
	}
}

// Issue 14: dns verify between two real name servers on loopback, the
// check an operator runs before changing the NS records.
func TestDNSVerify(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "zones")
	ns := "ns1.sovereign.example,ns2.sovereign.example"
	if code, out, errs := sortie(t, "dns", "export", "--offline", zonesExport, "--ns", ns, "-o", dir); code != 0 {
		t.Fatalf("export: exit %d\n%s\n%s", code, out, errs)
	}
	zone, err := os.ReadFile(filepath.Join(dir, "labo.example.ca.zone"))
	if err != nil {
		t.Fatal(err)
	}
	old := dnstest.Start(t, map[string][]byte{"labo.example.ca": zone})
	same := dnstest.Start(t, map[string][]byte{"labo.example.ca": zone})
	args := []string{"dns", "verify", "labo.example.ca", "--offline", zonesExport, "--ns", ns, "--old", old.Addr}
	code, out, errs := sortie(t, append(args, "--new", same.Addr)...)
	if code != 0 || !strings.Contains(out, "IDENTICAL") {
		t.Fatalf("verify, same zone: exit %d\n%s\n%s", code, out, errs)
	}
	t.Logf("%s", out)
	changed := strings.Replace(string(zone), "192.0.2.22", "192.0.2.23", 1) // bastion's address
	other := dnstest.Start(t, map[string][]byte{"labo.example.ca": []byte(changed)})
	code, out, errs = sortie(t, append(args, "--new", other.Addr)...)
	if code != 1 || !strings.Contains(out, "bastion.labo.example.ca. A") || !strings.Contains(errs, "do not answer") {
		t.Errorf("verify, changed zone: exit %d\n%s\n%s", code, out, errs)
	}
	t.Logf("%s", out)
	if code, _, errs := sortie(t, "dns", "verify", "labo.example.ca", "--offline", zonesExport); code != 2 || !strings.Contains(errs, "--old and --new") {
		t.Errorf("no servers: exit %d %s", code, errs)
	}
}

// --resolve against a real server standing in for AWS's (BIND on
// loopback, authoritative for the load balancer's name): the apex answers
// the load balancer's addresses. --resolver without --resolve is refused.
func TestDNSExportResolve(t *testing.T) {
	elb := dnstest.Start(t, map[string][]byte{"ca-central-1.elb.amazonaws.com": []byte(`$ORIGIN ca-central-1.elb.amazonaws.com.
@ 60 IN SOA ns1 hostmaster 1 7200 900 1209600 60
@ 60 IN NS ns1
ns1 60 IN A 127.0.0.1
dualstack.moodle-alb-424835706 60 IN A 192.0.2.200
dualstack.moodle-alb-424835706 60 IN AAAA 2001:db8::200
`)})
	dir := filepath.Join(t.TempDir(), "zones")
	code, out, errs := sortie(t, "dns", "export", "--offline", zonesExport, "-o", dir, "--resolve", "--resolver", elb.Addr)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	zone, err := os.ReadFile(filepath.Join(dir, "labo.example.ca.zone"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"labo.example.ca.\t60\tIN\tA\t192.0.2.200", "labo.example.ca.\t60\tIN\tAAAA\t2001:db8::200"} {
		if !strings.Contains(string(zone), want) {
			t.Errorf("zone lacks %q:\n%s", want, zone)
		}
	}
	if !strings.Contains(out, "resolved at export time to 192.0.2.200") {
		t.Errorf("report:\n%s", out)
	}
	if code, _, errs := sortie(t, "dns", "export", "--offline", zonesExport, "-o", dir, "--resolver", elb.Addr); code != 2 || !strings.Contains(errs, "give --resolve too") {
		t.Errorf("--resolver alone: exit %d %s", code, errs)
	}
}

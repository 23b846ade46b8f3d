package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/account/sample"
	"github.com/sortie-dev/sortie/internal/tofutest"
)

const campusExport = "../landing/testdata/campus-network"

// Issue 13: the fixture account offline becomes a module and a loss
// report; a second run writes the same bytes.
func TestLandingOffline(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "zone")
	code, out, errs := sortie(t, "landing", "--offline", campusExport, "-o", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"Landing zone loss report:", "not translated", "through peering", "next: cd "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	files := map[string][]byte{}
	for _, name := range []string{"versions.tf", "network.tf", "security.tf", "compute.tf", "loadbalancers.tf", "variables.tf", "terraform.tfvars", "loss-report.md"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		files[name] = b
	}
	if code, _, errs := sortie(t, "landing", "--offline", campusExport, "-o", dir, "--format", "json", "--lang", "fr"); code != 0 {
		t.Fatalf("second run: exit %d %s", code, errs)
	}
	for name, b := range files {
		again, _ := os.ReadFile(filepath.Join(dir, name))
		if name != "loss-report.md" && !bytes.Equal(again, b) {
			t.Errorf("%s changed on a second run", name)
		}
	}
	if md, _ := os.ReadFile(filepath.Join(dir, "loss-report.md")); !strings.Contains(string(md), "Zone d'accueil") {
		t.Errorf("--lang fr report:\n%s", md)
	}
	_, out, _ = sortie(t, "landing", "--offline", campusExport, "-o", dir, "--format", "json")
	var rep struct {
		Counts  map[string]int `json:"counts"`
		Entries []struct{ Status string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Counts["exact"] == 0 || len(rep.Entries) == 0 {
		t.Errorf("JSON report: %v %+v", err, rep.Counts)
	}
}

func TestLandingBadInput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "zone")
	missing := t.TempDir()
	os.WriteFile(filepath.Join(missing, "sts-get-caller-identity.json"), []byte(`{"Account": "123456789012"}`), 0o600)
	aFile := filepath.Join(t.TempDir(), "file")
	os.WriteFile(aFile, nil, 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no output", []string{"landing", "--offline", campusExport}, "-o OUTDIR"},
		{"both sources", []string{"landing", "--offline", campusExport, "--profile", "x", "-o", out}, "not both"},
		{"unknown region", []string{"landing", "--offline", campusExport, "--regions", "eu-north-9", "-o", out}, "eu-north-9"},
		{"bad format", []string{"landing", "--offline", campusExport, "-o", out, "--format", "html"}, "--format"},
		{"output is a file", []string{"landing", "--offline", campusExport, "-o", aFile}, "is a file"},
		{"not an export", []string{"landing", "--offline", filepath.Join(t.TempDir(), "nothing"), "-o", out}, "nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, errs := sortie(t, tc.args...)
			if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Errorf("exit %d, want 2 with %q\nstdout %s\nstderr %s", code, tc.want, stdout, errs)
			}
		})
	}
	// An export without the network files: every call is a "not read"
	// line, never an abort.
	if len(missing) > 0 {
		os.WriteFile(filepath.Join(missing, "ec2-describe-regions.json"), []byte(`{"Regions": [{"RegionName": "ca-central-1", "Endpoint": "ec2.ca-central-1.amazonaws.com", "OptInStatus": "opt-in-not-required"}]}`), 0o600)
		os.MkdirAll(filepath.Join(missing, "ca-central-1"), 0o700)
		code, stdout, errs := sortie(t, "landing", "--offline", missing, "-o", out)
		if code != 0 || !strings.Contains(stdout, "\n  not read ") {
			t.Errorf("an export without network files: exit %d\n%s\n%s", code, stdout, errs)
		}
	}
}

// Issue 13: the README's two commands, on the fixture account and on the
// demo's sample account: sortie landing, then tofu init and plan in the
// module it wrote (real OpenTofu, the real OpenStack provider, offline).
func TestLandingPlansWithTofu(t *testing.T) {
	tf := tofutest.Find(t)
	sampleDir := filepath.Join(t.TempDir(), "sample-account")
	if err := os.CopyFS(sampleDir, sample.Account()); err != nil {
		t.Fatal(err)
	}
	for name, export := range map[string]string{"campus": campusExport, "sample": sampleDir} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "zone")
			if code, out, errs := sortie(t, "landing", "--offline", export, "-o", dir); code != 0 || strings.Contains(out, "\n  not read ") {
				t.Fatalf("landing: exit %d\n%s\n%s", code, out, errs)
			}
			tf.Init(t, dir)
			if w := tf.Validate(t, dir); len(w) > 0 {
				t.Errorf("validate warned: %q", w)
			}
			creates := 0
			for _, c := range tf.Plan(t, dir).ResourceChanges() {
				if strings.Join(c.Actions, ",") != "create" {
					t.Errorf("%s: %v", c.Address, c.Actions)
				}
				creates++
			}
			t.Logf("%s: tofu plan creates %d resources", name, creates)
			if creates < 10 {
				t.Errorf("only %d resources planned", creates)
			}
		})
	}
}

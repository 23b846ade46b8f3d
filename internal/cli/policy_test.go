package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/policy"
	"github.com/sortie-dev/sortie/internal/policy/probe"
	"github.com/sortie-dev/sortie/internal/s3test"
)

const campus = "../policy/testdata/campus"

var moved = "--buckets=uni-research-data,uni-lab-archive,uni-website"

// The fixture account (admins, read-only auditor, researchers with home
// prefixes, a write-only upload drop, a lab sensor behind an IP condition,
// a VPC-endpoint-only robot, a public website bucket) is translated,
// applied to a real MinIO and probed: every probe matches AWS's evaluation
// or is a loss the report lists; applying again changes nothing.
func TestPolicyOnMinIO(t *testing.T) {
	srv := s3test.StartTB(t, s3test.MinIO)
	s3test.WriteProfiles(t, map[string]*s3test.Server{"minio-admin": srv})
	for _, b := range []string{"uni-research-data", "uni-lab-archive", "uni-website"} {
		if err := srv.Store(t, b, "").CreateBucket(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets.json")

	code, out, errs := sortie(t, "policy", "plan", "--offline", campus, moved, "--format", "json")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, errs)
	}
	var plan policy.Plan
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	if n := len(plan.MinIO.Users); n < 6 {
		t.Fatalf("plan carries %d users, want at least 6", n)
	}

	code, out, errs = sortie(t, "policy", "apply", "--offline", campus, moved, "--to", "minio-admin", "--secrets", secrets)
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
	}
	t.Logf("apply:\n%s", out)
	if !strings.Contains(out, "user alice: created") || !strings.Contains(out, "bucket-policy uni-website") {
		t.Errorf("apply did not report its changes:\n%s", out)
	}
	st, err := os.Stat(secrets)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file: %v, mode %v", err, st.Mode().Perm())
	}
	raw, _ := os.ReadFile(secrets)
	var sec policy.Secrets
	json.Unmarshal(raw, &sec)
	for name, c := range sec.Users {
		if strings.Contains(out+errs, c.SecretKey) {
			t.Errorf("the secret key of %s was printed", name)
		}
	}

	code, out, errs = sortie(t, "policy", "apply", "--offline", campus, moved, "--to", "minio-admin", "--secrets", secrets)
	if code != 0 || !strings.HasPrefix(out, "0 changes") {
		t.Fatalf("second apply: exit %d, want no change:\n%s%s", code, out, errs)
	}
	code, out, errs = sortie(t, "policy", "apply", "--offline", campus, moved, "--to", "minio-admin", "--secrets", secrets, "--lang", "fr")
	if code != 0 || !strings.HasPrefix(out, "0 changements sur ") {
		t.Fatalf("third apply, in French: exit %d, want no change:\n%s%s", code, out, errs)
	}

	code, out, errs = sortie(t, "policy", "probe", "--offline", campus, moved, "--to", "minio-admin", "--secrets", secrets, "--format", "json")
	var rep probe.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("probe: exit %d: %v\n%s%s", code, err, out, errs)
	}
	var text strings.Builder
	probe.WriteText(&text, &rep, "en")
	t.Logf("probe:\n%s", text.String())
	if code != 0 || rep.Failing() {
		t.Fatalf("probe: exit %d, %v\n%s", code, rep.Counts, errs)
	}
	// The probes that show the translation at work, each with the
	// verdict it must have.
	want := map[string]probe.Verdict{
		"alice uni-research-data home/alice/ put":   probe.Match,        // own home
		"alice uni-research-data home/bob/ get":     probe.Match,        // not someone else's (denied both)
		"bob uni-research-data shared/ list":        probe.Match,        // group policy
		"auditor uni-lab-archive / get":             probe.Match,        // AWS-managed read-only
		"auditor uni-lab-archive / put":             probe.Match,        // … and no more
		"uploader uni-research-data incoming/ put":  probe.Match,        // upload drop
		"uploader uni-research-data incoming/ get":  probe.Match,        // write-only
		"carol uni-lab-archive / delete":            probe.Match,        // the archive's deny reaches the admin
		"carol uni-research-data / delete":          probe.ExpectedLoss, // the steward tag cannot be checked: deny applied to all
		"sensor uni-lab-archive instrument/ put":    probe.Match,        // IP condition carried: 127.0.0.1 is off the lab network
		"backup-bot uni-lab-archive / get":          probe.Match,        // not through the VPC endpoint: denied both
		"(anonymous) uni-website / get":             probe.Match,        // public website
		"(anonymous) uni-research-data shared/ get": probe.Match,        // private bucket
	}
	seen := map[string]bool{}
	for _, r := range rep.Results {
		k := r.Principal + " " + r.Bucket + " " + prefixOrRoot(r.Prefix) + " " + r.Op
		if v, ok := want[k]; ok {
			seen[k] = true
			if r.Verdict != v {
				t.Errorf("%s: verdict %s (AWS %s, MinIO %s), want %s", k, r.Verdict, r.AWSText, r.Target, v)
			}
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("no probe %q", k)
		}
	}
	// In French, the same probes.
	code, out, errs = sortie(t, "policy", "probe", "--offline", campus, moved, "--to", "minio-admin", "--secrets", secrets, "--lang", "fr")
	if code != 0 || !strings.Contains(out, "Vérification des accès") || !strings.Contains(out, "utilisateur alice") || strings.Contains(out, "match") {
		t.Errorf("probe in French: exit %d\n%s%s", code, out, errs)
	}
	// The probe's objects are gone.
	for _, b := range []string{"uni-research-data", "uni-lab-archive", "uni-website"} {
		for obj, err := range srv.Store(t, b, "").List(t.Context(), "") {
			if err != nil {
				t.Fatal(err)
			}
			t.Errorf("probe left s3://%s/%s", b, obj.Key)
		}
	}
}

func prefixOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// Bad input: one line naming the thing, exit 2, no stack trace.
func TestPolicyBadInput(t *testing.T) {
	srv := s3test.Shared(t, s3test.MinIO, "dst")
	s3test.WriteProfiles(t, map[string]*s3test.Server{"minio-admin": srv})
	dir := t.TempDir()
	loose := filepath.Join(dir, "loose.json")
	os.WriteFile(loose, []byte(`{"users":{}}`), 0o644)
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o600)
	tests := []struct {
		name     string
		args     []string
		want, fr string // fr: the same error under --lang fr
	}{
		{"unknown target", []string{"policy", "plan", "--offline", campus, "--target", "s4"}, `--target "s4"`, `--target "s4" : choisissez minio, ceph ou garage`},
		{"missing directory", []string{"policy", "plan", "--offline", filepath.Join(dir, "nope")}, "offline account directory", "lecture du compte : "},
		{"not a directory", []string{"policy", "plan", "--offline", notDir}, "not a directory", "lecture du compte : "},
		{"unknown bucket", []string{"policy", "plan", "--offline", campus, "--buckets", "no-such"}, `bucket "no-such" is not in the account`, "lecture du compte : "},
		{"bad bucket map", []string{"policy", "plan", "--offline", campus, "--bucket-map", "uni-website"}, "give OLD=NEW", "donnez ANCIEN=NOUVEAU"},
		{"bucket map of another bucket", []string{"policy", "plan", "--offline", campus, moved, "--bucket-map", "other=x"}, "no bucket other being moved", "le compte n'a pas de compartiment other"},
		{"bad format", []string{"policy", "plan", "--offline", campus, "--format", "pdf"}, `--format "pdf"`, `--format "pdf" : choisissez text, json ou md`},
		{"both sources", []string{"policy", "plan", "--offline", campus, "--profile", "x"}, "give one or the other", "donnez l'un ou l'autre"},
		{"unknown profile", []string{"policy", "plan", "--profile", "no-such-profile"}, "no-such-profile", "lecture du compte : "},
		{"apply without --to", []string{"policy", "apply", "--offline", campus}, "--to: name the operator profile", "--to : nommez le profil d'opérateur"},
		{"apply to garage", []string{"policy", "apply", "--offline", campus, "--target", "garage", "--to", "minio-admin"}, "MinIO's admin API only", "ne parle qu'à l'API d'administration de MinIO"},
		{"secrets readable by others", []string{"policy", "apply", "--offline", campus, moved, "--to", "minio-admin", "--secrets", loose}, "chmod 600", "est lisible par d'autres (mode -rw-r--r--) : lancez chmod 600"},
		{"probe without secrets", []string{"policy", "probe", "--offline", campus, moved, "--to", "minio-admin", "--secrets", filepath.Join(dir, "none.json")}, "run sortie policy apply first", "lancez d'abord sortie policy apply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, l := range []struct{ lang, want string }{{"en", tt.want}, {"fr", tt.fr}} {
				code, _, errs := sortie(t, append(tt.args, "--lang", l.lang)...)
				if code != 2 || !strings.Contains(errs, l.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 || strings.Contains(errs, "goroutine") {
					t.Errorf("--lang %s: exit %d, stderr %q; want exit 2 and one line with %q", l.lang, code, errs, l.want)
				}
			}
		})
	}
}

// plan writes Markdown in French; Garage's whole-bucket flags are narrower
// by default and accepted with --allow-broader.
func TestPolicyPlanFormats(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "acces.md")
	code, out, errs := sortie(t, "policy", "plan", "--offline", campus, moved, "--target", "garage", "--format", "md", "--lang", "fr", "-o", md)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, _ := os.ReadFile(md)
	for _, w := range []string{"# Traduction des accès — Garage", "Rapport des pertes", "non reprise", "plus étroite", "## Traduction pour Garage", "Permissions effectives, AWS et Garage"} {
		if !strings.Contains(string(b), w) {
			t.Errorf("markdown lacks %q", w)
		}
	}
	if !strings.Contains(out, "écrit dans "+md) || !strings.Contains(out, "Rapport des pertes : ") {
		t.Errorf("stdout: %q", out)
	}
	code, _, errs = sortie(t, "policy", "plan", "--offline", campus, moved, "--target", "garage", "--allow-broader")
	if code != 0 {
		t.Errorf("garage with --allow-broader: exit %d %s", code, errs)
	}
	// One line per principal by default; every prefix with --grid.
	_, short, _ := sortie(t, "policy", "plan", "--offline", campus, moved)
	code, full, errs := sortie(t, "policy", "plan", "--offline", campus, moved, "--grid")
	if code != 0 || strings.Count(full, "\n") <= strings.Count(short, "\n")+50 || !strings.Contains(full, "home/alice/") {
		t.Errorf("--grid: exit %d, %d lines against %d without %s", code, strings.Count(full, "\n"), strings.Count(short, "\n"), errs)
	}
}

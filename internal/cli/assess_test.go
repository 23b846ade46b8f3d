package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/assess"
	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

const sampleAccount = "../account/sample/account"

// JSON on standard output, the summary on standard error: a script can pipe it.
func TestAssessOfflineJSON(t *testing.T) {
	code, out, errs := sortie(t, "assess", "--offline", sampleAccount, "--format", "json", "-o", "-", "--start", "2027-01-04", "--lang", "en")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var plan assess.Plan
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("stdout is not the JSON plan: %v", err)
	}
	if plan.SchemaVersion != 2 || plan.Data.Objects != 43960000 || plan.Inventory.Account != "123456789012" {
		t.Errorf("plan: schema %d, %d objects, account %s", plan.SchemaVersion, plan.Data.Objects, plan.Inventory.Account)
	}
	if !strings.Contains(errs, "Object data to move: 93.6") {
		t.Errorf("summary on stderr: %s", errs)
	}
}

func TestAssessWritesEachFormatAndLanguage(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ format, lang, file, want, written string }{
		{"html", "fr", "r.html", "<h1>Évaluation de sortie d&#39;AWS</h1>", "Évaluation écrite dans "},
		{"html", "en", "r-en.html", "AWS exit assessment", "Assessment written to "},
		{"md", "fr", "r.md", "# Évaluation de sortie d'AWS", "Évaluation écrite dans "},
	} {
		out := filepath.Join(dir, c.file)
		code, stdout, errs := sortie(t, "assess", "--offline", sampleAccount, "--format", c.format, "--lang", c.lang, "-o", out)
		if code != 0 {
			t.Fatalf("%s/%s: exit %d %s", c.format, c.lang, code, errs)
		}
		b, err := os.ReadFile(out)
		if err != nil || !strings.Contains(string(b), c.want) {
			t.Errorf("%s lacks %q (%v)", out, c.want, err)
		}
		if !strings.Contains(stdout, c.written+out) {
			t.Errorf("summary does not say where: %s", stdout)
		}
	}
	// French by default when the locale is French.
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", "fr_CA.UTF-8")
	_, out, _ := sortie(t, "assess", "--offline", sampleAccount, "--format", "md", "-o", "-")
	if !strings.HasPrefix(out, "# Évaluation de sortie d'AWS") {
		t.Errorf("LANG=fr_CA gave: %.60s", out)
	}
}

// In French the printed summary is French too, from its first word to
// where the report went.
func TestAssessSummaryInFrench(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.html")
	code, stdout, errs := sortie(t, "assess", "--offline", sampleAccount, "--lang", "fr", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"Compte 123456789012, hors ligne (", "Données objets à déplacer", "Illisible (1, tous dans le rapport)", "Évaluation écrite dans " + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	for _, en := range []string{"Account", "Not readable", "Assessment written to", "offline (", "buckets", "objects"} {
		if strings.Contains(stdout, en) {
			t.Errorf("French summary says %q:\n%s", en, stdout)
		}
	}
}

func TestAssessBadInput(t *testing.T) {
	dir := t.TempDir()
	wrongCSV := filepath.Join(dir, "bill.csv")
	os.WriteFile(wrongCSV, []byte("date,amount\n2026-01-01,3\n"), 0o644)
	badPrices := filepath.Join(dir, "prices.yaml")
	os.WriteFile(badPrices, []byte("currency: EUR\nflavours: [oops\n"), 0o644)
	s3test.WriteProfiles(t, map[string]*s3test.Server{})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--offline", filepath.Join(dir, "nope")}, "offline account directory"},
		{[]string{"--offline", dir}, "create it with sortie assess export-script"},
		{[]string{"--offline", sampleAccount, "--cur", wrongCSV}, "unexpected columns"},
		{[]string{"--offline", sampleAccount, "--bandwidth", "fast"}, "--bandwidth \"fast\""},
		{[]string{"--offline", sampleAccount, "--regions", "xx-nowhere-1"}, "--regions"},
		{[]string{"--offline", sampleAccount, "--lang", "de"}, "--lang"},
		{[]string{"--offline", sampleAccount, "--target", "swift"}, "--target"},
		{[]string{"--offline", sampleAccount, "--target-prices", badPrices}, "target prices"},
		{[]string{"--offline", sampleAccount, "--profile", "x"}, "one or the other"},
		{[]string{"--profile", "no-such-profile"}, `AWS profile "no-such-profile" is not defined`},
	} {
		code, _, errs := sortie(t, append([]string{"assess", "-o", filepath.Join(dir, "out.html")}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", c.args, code, errs, c.want)
		}
	}
}

// --deep counts a real bucket by listing it; the services MinIO does not
// have are reported, not fatal.
func TestAssessDeepOnMinIO(t *testing.T) {
	srv := s3test.Shared(t, s3test.MinIO, "src")
	s3test.WriteProfiles(t, map[string]*s3test.Server{"minio": srv})
	bucket := srv.Bucket(t)
	st := srv.Store(t, bucket, "")
	var want int64
	for i, size := range []int{0, 1, 1000, 5000, 70000} {
		storetest.Put(t, st, "k"+strings.Repeat("x", i), make([]byte, size), store.Metadata{})
		want += int64(size)
	}
	code, out, errs := sortie(t, "assess", "--profile", "minio", "--deep", "--regions", "us-east-1", "--format", "json", "-o", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var plan assess.Plan
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, b := range plan.Inventory.Buckets {
		if b.Name == bucket {
			found = true
			u := b.Total()
			if b.Sizes != "listing" || u.Objects != 5 || u.Bytes != want || b.Classes["STANDARD"].Objects != 5 {
				t.Errorf("bucket %s: %+v", bucket, b)
			}
		}
	}
	if !found {
		t.Fatalf("bucket %s not in the inventory", bucket)
	}
	if len(plan.Inventory.Problems) == 0 {
		t.Error("MinIO has no EC2 or IAM API, yet nothing was reported")
	}
}

package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's first command: the demo runs to the end on its embedded
// endpoints and proves every step.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := sortie(t, "demo", "--dir", dir)
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	if n := strings.Count(out, "IDENTICAL: every source object"); n != 3 {
		t.Errorf("%d verifications passed, want 3\n%s", n, out)
	}
	for _, want := range []string{"sortie copy s3://university-archive", "1 replaced an older version", "Next, with your own buckets"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "university-archive", "labs", "climate", "model-output.nc")); err != nil {
		t.Errorf("local copy missing: %v", err)
	}
	// It ends by saying where the sample account's assessment is.
	report := filepath.Join(dir, "sortie-assessment.html")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, report) {
		t.Errorf("the demo's last line %q does not name %s", last, report)
	}
	page, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("assessment not written: %v", err)
	}
	for _, want := range []string{"AWS exit assessment", "93.6", "uni-research-data", "$1,827.32", "SCS-2V-8"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("assessment lacks %q", want)
		}
	}
}

// Without --dir the demo leaves only its assessment and landing zone behind.
func TestDemoRemovesItsTemporaryFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	code, out, errs := sortie(t, "demo")
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	var left []string
	filepath.WalkDir(tmp, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, path)
		}
		return nil
	})
	var report []string
	zone := 0
	for _, f := range left {
		switch {
		case filepath.Base(f) == "sortie-assessment.html":
			report = append(report, f)
		case filepath.Base(filepath.Dir(f)) == "landing-zone":
			zone++
		default:
			t.Errorf("left behind %s, want only the assessment and the landing zone", f)
		}
	}
	if len(report) != 1 || !strings.Contains(out, report[0]) || zone == 0 || !strings.Contains(out, filepath.Join(filepath.Dir(report[0]), "landing-zone")) {
		t.Errorf("left behind %v, want the assessment and the landing zone the output names", left)
	}
}

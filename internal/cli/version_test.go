package cli_test

import (
	"runtime"
	"strings"
	"testing"
)

// sortie --version and sortie version say which build this is: version,
// commit, Go version, on one line.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, errs := sortie(t, args...)
		if code != 0 || errs != "" {
			t.Fatalf("sortie %s: exit %d, stderr %q", args[0], code, errs)
		}
		if !strings.HasPrefix(out, "sortie ") || !strings.Contains(out, ", commit ") || !strings.Contains(out, runtime.Version()) ||
			strings.Count(out, "\n") != 1 {
			t.Errorf("sortie %s printed %q, want one line with the version, the commit and %s", args[0], out, runtime.Version())
		}
	}
	if code, _, errs := sortie(t, "version", "extra"); code != 2 || !strings.Contains(errs, "version takes no arguments") {
		t.Errorf("sortie version extra: exit %d, %q", code, errs)
	}
}

// A usage error names the command once, after Main's "sortie: ", and
// the help to read by its full path.
func TestFlagErrorsNameTheCommandOnce(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--frobnicate"}, "sortie: unknown flag: --frobnicate (see sortie --help)\n"},
		{[]string{"-x"}, "sortie: unknown shorthand flag: 'x' in -x (see sortie --help)\n"},
		{[]string{"copy", "a", "b", "--frobnicate"}, "sortie: unknown flag: --frobnicate (see sortie copy --help)\n"},
		{[]string{"jobs", "show", "--frobnicate"}, "sortie: unknown flag: --frobnicate (see sortie jobs show --help)\n"},
		{[]string{"copy", "a"}, "sortie: copy takes SRC and DST (got 1 argument); see sortie copy --help\n"},
		{[]string{"jobs", "show"}, "sortie: jobs show takes a job ID (or a journal file) (got 0 arguments); see sortie jobs show --help\n"},
	} {
		code, _, errs := sortie(t, tc.args...)
		if code != 2 || errs != tc.want {
			t.Errorf("sortie %s: exit %d, stderr %q; want 2, %q", strings.Join(tc.args, " "), code, errs, tc.want)
		}
	}
}

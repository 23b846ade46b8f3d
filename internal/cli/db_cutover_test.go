package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/pgtest"
)

// db cutover with no online move between the two databases stops at the
// catch-up, saying which command starts one; db abort then has nothing to
// remove and says so without failing; bad arguments are one line each.
func TestDBCutoverWithoutAMove(t *testing.T) {
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
	pg := pgtest.Start(t)
	src, dst := pg.Database(t), pg.Database(t)
	code, out, errs := sortie(t, "db", "cutover", src, dst, "--lang", "en")
	if code != 1 || !strings.Contains(errs, "was db copy --online run for this job?") || !strings.Contains(out, "NOT CUT OVER: stopped at caught up") {
		t.Errorf("cutover without a move: exit %d\n%s\n%s", code, out, errs)
	}
	if strings.Contains(out+errs, pg.Password) {
		t.Error("the password is shown")
	}
	if code, out, errs := sortie(t, "db", "abort", src, dst); code != 0 || !strings.Contains(out, "replication removed") {
		t.Errorf("abort with nothing to remove: exit %d\n%s\n%s", code, out, errs)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"db", "cutover", src}, "SRC and DST"},
		{[]string{"db", "cutover", src, "mysql://u@127.0.0.1:1/x"}, "one engine"},
		{[]string{"db", "cutover", src, dst, "--format", "html"}, "--format"},
		{[]string{"db", "abort", "not-a-url", dst}, "source"},
	} {
		code, _, errs := sortie(t, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, %q", tc.args, code, errs)
		}
	}
}

// --online with --from-profile is refused before anything is touched: the
// target's replication would log in with a token that expires.
func TestDBCopyOnlineRefusesAToken(t *testing.T) {
	code, out, errs := sortie(t, "db", "copy", "postgres://app@records.abc.ca-central-1.rds.amazonaws.com/records", "postgres://sortie@127.0.0.1:1/records", "--online", "--from-profile", "prod")
	if code != 2 || out != "" || !strings.Contains(errs, "expires in 15 minutes") {
		t.Errorf("exit %d\n%s\n%s", code, out, errs)
	}
}

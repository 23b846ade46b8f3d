package mysql_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/mysql"
	"github.com/sortie-dev/sortie/internal/lang"
)

// The copy of the MariaDB trap schema, checked by the verify engine: every
// table and counter compares identical; a row deleted at the target is
// then caught, named by its key.
func TestCopyThenVerify(t *testing.T) {
	s, src := copySource(t)
	dst := copyTarget(t, s)
	copyRun(t, src, dst, database.CopyOptions{Jobs: 2})
	verify := func() (*database.VerifyReport, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		sv, err := mysql.OpenVerifier(ctx, src, database.Source, 2)
		if err != nil {
			t.Fatal(err)
		}
		defer sv.Close(ctx)
		dv, err := mysql.OpenVerifier(ctx, dst, database.Target, 2)
		if err != nil {
			t.Fatal(err)
		}
		defer dv.Close(ctx)
		rep, err := database.Verify(ctx, sv, dv, database.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		rep.Write(&b, "text", lang.English)
		return rep, b.String()
	}
	rep, out := verify()
	t.Log(rep.Summary(lang.English))
	if rep.Verdict() != database.Identical {
		t.Fatalf("verify after the copy:\n%s", out)
	}
	var table, key string
	if err := copyDB(t, s, dst.Database).QueryRow(`SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY TABLE_NAME LIMIT 1`).Scan(&table, &key); err != nil {
		t.Fatal(err)
	}
	s.Exec(t, dst.Database, "DELETE FROM `"+table+"` ORDER BY `"+key+"` LIMIT 1")
	rep, out = verify()
	if rep.Verdict() != database.Different || !strings.Contains(out, table) || !strings.Contains(out, "only at the source") {
		t.Errorf("a row deleted at the target:\n%s", out)
	}
}

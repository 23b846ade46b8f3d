package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/postgres"
	"github.com/sortie-dev/sortie/internal/lang"
)

// The copy of the trap schema, checked by the verify engine rather than
// by the test's own reading: every table (the partitions, the table
// without a key, the large objects' table), every sequence and every large
// object compare identical — then a row changed at the target is caught,
// named by its key.
func TestCopyThenVerify(t *testing.T) {
	_, src := copySource(t)
	dstServer, dst := copyTarget(t)
	copyRun(t, src, dst, database.CopyOptions{Jobs: 3})
	verify := func() *database.VerifyReport {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s, err := postgres.OpenVerifier(ctx, src, database.Source, 2)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close(ctx)
		d, err := postgres.OpenVerifier(ctx, dst, database.Target, 2)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close(ctx)
		rep, err := database.Verify(ctx, s, d, database.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := verify()
	sum := rep.Summary(lang.English)
	t.Log(sum)
	if rep.Verdict() != database.Identical || !strings.Contains(sum, "large object") {
		var b strings.Builder
		rep.Write(&b, "text", lang.English)
		t.Fatalf("verify after the copy:\n%s", b.String())
	}
	dstServer.Exec(t, dst.Database, `UPDATE people SET height = height + 1e-12 WHERE name = 'p42'`)
	rep = verify()
	var b strings.Builder
	rep.Write(&b, "text", lang.English)
	if rep.Verdict() != database.Different || !strings.Contains(b.String(), "people") || !strings.Contains(b.String(), "height") {
		t.Errorf("a changed float at the target:\n%s", b.String())
	}
}

package postgres_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/ledger"
	"github.com/sortie-dev/sortie/internal/database/postgres"
	"github.com/sortie-dev/sortie/internal/lang"
	"github.com/sortie-dev/sortie/internal/pgtest"
)

// BenchmarkMovePeers copies one generated database three ways in one run,
// between the same two clusters — sortie db copy, pg_dump -Fd -j4 then
// pg_restore -j4, and pgcopydb clone (Debian's) — and then verifies
// sortie's copy, printing the ratios. The size is SORTIE_DBBENCH_MB
// (default 256; bench/dbcopy.sh runs 2048). Run it with bench/dbcopy.sh,
// or: SORTIE_DBBENCH_MB=256 go test -run '^$' -bench BenchmarkMovePeers
// -benchtime 1x -timeout 60m ./internal/database/postgres/
func BenchmarkMovePeers(b *testing.B) {
	mb := 256
	if v, err := strconv.Atoi(os.Getenv("SORTIE_DBBENCH_MB")); err == nil && v > 0 {
		mb = v
	}
	pgcopydb, err := exec.LookPath("pgcopydb")
	if err != nil {
		b.Fatal("pgcopydb not found: install Debian's pgcopydb (bench/dbcopy.sh does)")
	}
	ctx := context.Background()
	s, d := pgtest.Shared(b, "source"), pgtest.Shared(b, "target")
	src, err := database.ParseURL(s.Database(b))
	if err != nil {
		b.Fatal(err)
	}
	// Two tables of about 250 and 100 bytes a row, mb MB in all, with a
	// secondary index and a sequence: a plain application database.
	rows := mb * 1_000_000 / 350
	s.Exec(b, src.Database,
		`CREATE TABLE inscriptions (id bigserial PRIMARY KEY, etudiant int, cours text, note numeric(5,2), depuis timestamptz, dossier jsonb)`,
		fmt.Sprintf(`INSERT INTO inscriptions (etudiant, cours, note, depuis, dossier) SELECT g %% 50000, 'INF' || (g %% 300), (g %% 10000) / 100.0, now() - g * interval '1 second',
			jsonb_build_object('g', g, 'remarque', repeat(md5(g::text), 3)) FROM generate_series(1, %d) g`, rows),
		`CREATE TABLE journal (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, quoi text, quand timestamptz)`,
		fmt.Sprintf(`INSERT INTO journal (quoi, quand) SELECT md5(g::text) || ' é', now() FROM generate_series(1, %d) g`, rows),
		`CREATE INDEX inscriptions_etudiant ON inscriptions (etudiant)`, `ANALYZE`)
	var size int64
	c := conn(b, ctx, s.URL(src.Database))
	c.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&size)
	bin := pgtest.BinDir
	timed := func(name string, fn func() error) float64 {
		start := time.Now()
		if err := fn(); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		return time.Since(start).Seconds()
	}
	run := func(name string, args ...string) error {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v\n%s", err, out)
		}
		return nil
	}
	for b.Loop() {
		sortieDst, _ := database.ParseURL(d.Database(b))
		sortie := timed("sortie db copy", func() error {
			l, err := ledger.Open(ctx, filepath.Join(b.TempDir(), "j.db"), ledger.Job{Source: src.String(), Target: sortieDst.String()})
			if err != nil {
				return err
			}
			defer l.Close("bench")
			res, err := postgres.Copy(ctx, src, sortieDst, database.CopyOptions{Jobs: 4, Ledger: l})
			if err == nil && len(res.Failures) > 0 {
				err = fmt.Errorf("%+v", res.Failures)
			}
			return err
		})
		dumpDst := d.Database(b)
		dir := filepath.Join(b.TempDir(), "dump")
		pgdump := timed("pg_dump | pg_restore", func() error {
			if err := run(filepath.Join(bin, "pg_dump"), "-Fd", "-j4", "-f", dir, "-d", src.URL()); err != nil {
				return err
			}
			return run(filepath.Join(bin, "pg_restore"), "-j4", "-d", dumpDst, dir)
		})
		cloneDst := d.Database(b)
		clone := timed("pgcopydb clone", func() error {
			return run(pgcopydb, "clone", "--source", src.URL(), "--target", cloneDst, "--table-jobs", "4", "--index-jobs", "4",
				"--dir", filepath.Join(b.TempDir(), "pgcopydb"), "--no-owner", "--no-acl")
		})
		var vrows int64
		verify := timed("sortie db verify", func() error {
			sv, err := postgres.OpenVerifier(ctx, src, database.Source, 5)
			if err != nil {
				return err
			}
			defer sv.Close(ctx)
			dv, err := postgres.OpenVerifier(ctx, sortieDst, database.Target, 4)
			if err != nil {
				return err
			}
			defer dv.Close(ctx)
			rep, err := database.Verify(ctx, sv, dv, database.VerifyOptions{})
			if err != nil {
				return err
			}
			if rep.Verdict() != database.Identical {
				return fmt.Errorf("not identical: %s", rep.Summary(lang.English))
			}
			for _, t := range rep.Tables {
				vrows += t.SourceRows
			}
			return nil
		})
		b.Logf("database of %d MB (%d rows in 2 tables): sortie db copy %.1f s, pg_dump -j4 | pg_restore -j4 %.1f s, pgcopydb clone %.1f s; sortie is %.2f× pg_dump|pg_restore and %.2f× pgcopydb (time ratios, higher is faster); verify %.1f s, %.0f rows/s",
			size>>20, 2*rows, sortie, pgdump, clone, pgdump/sortie, clone/sortie, verify, float64(vrows)/verify)
		b.ReportMetric(sortie, "sortie-s")
		b.ReportMetric(pgdump, "pgdump-s")
		b.ReportMetric(clone, "pgcopydb-s")
		b.ReportMetric(pgdump/sortie, "x-pgdump")
		b.ReportMetric(clone/sortie, "x-pgcopydb")
		b.ReportMetric(float64(vrows)/verify, "verify-rows/s")
	}
}

package cli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/mysql"
	"github.com/sortie-dev/sortie/internal/database/postgres"
	"github.com/sortie-dev/sortie/internal/lang"
)

// dbVerifyMaxParallel bounds --parallel: each is a session on each
// server, and a production source has a connection limit.
const dbVerifyMaxParallel = 64

type dbVerifyOptions struct {
	format, lang string
	chunkRows    int
	parallel     int
	maxKeys      int
	fromProfile  string
}

func newDBVerifyCmd(e *env) *cobra.Command {
	o := &dbVerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify SRC DST",
		Short: "Prove that the target database holds what the source holds: rows, sequences, large objects",
		Long: `Compare the source and the target database (URLs as for db plan) table by
table, in read-only sessions on both, with the settings that decide how a
value prints pinned the same on both (PostgreSQL: TimeZone=UTC, DateStyle=ISO,
extra_float_digits=3, IntervalStyle, bytea_output=hex, UTF8; MySQL:
time_zone=+00:00, utf8mb4, sql_mode).

Per table, the rows are cut into chunks of --chunk-rows in primary-key order
and each chunk is hashed on both servers: a row count and an MD5 over every
row's MD5, in key order. A chunk that differs is bisected down to the rows,
which are named by key (only at the source, only at the target, or which
columns differ), up to --max-keys per table; no values are printed. A table
without a primary key is hashed whole, every row's digest sorted (slower:
one full scan per server). Columns and tables present on one side only are
named. Sequences (MySQL: AUTO_INCREMENT) must not be behind at the target;
PostgreSQL large objects are compared by size and MD5.

It fails closed. Exit 0 only when everything was compared and is identical;
1 when a difference was found; 2 when something could not be compared (a
table the login may not read, a MySQL login that cannot list every table, a
database with no tables) or a server could not be used at all (wrong
password, unreachable). The last line says which: IDENTICAL, DIFFERENT or
NOT VERIFIED, with what was compared.`,
		Example: `  sortie db verify postgres://master@records.abc.ca-central-1.rds.amazonaws.com/records postgres://sortie@db.uni.example/records
  sortie db verify mysql://admin@moodle.abc.rds.amazonaws.com/moodle mysql://sortie@10.0.0.5/moodle --format md --lang fr
  sortie db verify postgres://app_iam@records.abc.ca-central-1.rds.amazonaws.com/records postgres://sortie@db.uni.example/records --from-profile prod`,
		Args: exactArgs(2, "SRC and DST, the source's and the target's URLs"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDBVerify(cmd.Context(), e, o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "report on standard output: text, json or md")
	f.StringVar(&o.lang, "lang", "", "report language, fr or en (default: French when the locale is French)")
	f.IntVar(&o.chunkRows, "chunk-rows", database.DefaultChunkRows, "rows per chunk, hashed in one statement on each server")
	f.IntVar(&o.parallel, "parallel", database.DefaultParallel, "chunks hashed at once: sessions on each server (the source gets one more)")
	f.IntVar(&o.maxKeys, "max-keys", database.DefaultMaxKeys, "differing rows named per table; past it only the key ranges are")
	f.StringVar(&o.fromProfile, "from-profile", "", "AWS profile whose credentials sign an RDS IAM token as the source login's password")
	return cmd
}

// verifySide is one opened server.
type verifySide interface {
	database.Hasher
	Close(context.Context)
}

func openVerifySide(ctx context.Context, ep database.Endpoint, side database.Side, sessions int) (verifySide, error) {
	if ep.Engine == database.MySQL {
		v, err := mysql.OpenVerifier(ctx, ep, side, sessions)
		if err != nil {
			return nil, err
		}
		return v, nil
	}
	v, err := postgres.OpenVerifier(ctx, ep, side, sessions)
	if err != nil {
		return nil, err
	}
	return v, nil
}

func runDBVerify(ctx context.Context, e *env, o *dbVerifyOptions, srcURL, dstURL string) error {
	if o.format != "text" && o.format != "json" && o.format != "md" {
		return usage("--format %q: give text, json or md", o.format)
	}
	l, err := lang.ParseLang(o.lang)
	if err != nil {
		return usage("%v", err)
	}
	switch {
	case o.chunkRows < 1:
		return usage("--chunk-rows %d: give a number of rows, 1 or more", o.chunkRows)
	case o.parallel < 1 || o.parallel > dbVerifyMaxParallel:
		return usage("--parallel %d: give 1 to %d", o.parallel, dbVerifyMaxParallel)
	case o.maxKeys < 1:
		return usage("--max-keys %d: give 1 or more", o.maxKeys)
	}
	src, dst, err := dbEndpoints(ctx, srcURL, dstURL, o.fromProfile)
	if err != nil {
		return err
	}
	s, err := openVerifySide(ctx, src, database.Source, o.parallel+1)
	if err != nil {
		return dbErr(ctx, err)
	}
	defer s.Close(ctx)
	d, err := openVerifySide(ctx, dst, database.Target, o.parallel)
	if err != nil {
		return dbErr(ctx, err)
	}
	defer d.Close(ctx)
	rep, err := database.Verify(ctx, s, d, database.VerifyOptions{ChunkRows: o.chunkRows, Parallel: o.parallel, MaxKeys: o.maxKeys})
	if err != nil {
		return dbErr(ctx, err)
	}
	if err := rep.Write(e.stdout, o.format, l); err != nil {
		return err
	}
	switch rep.Verdict() {
	case database.Different:
		return &exitError{code: ExitFailures, err: errors.New(rep.Summary(l))}
	case database.NotCompared:
		return &exitError{code: ExitUsage, err: errors.New(rep.Summary(l))}
	}
	return nil
}

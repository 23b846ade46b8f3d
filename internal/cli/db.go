package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/mysql"
	"github.com/sortie-dev/sortie/internal/database/postgres"
	"github.com/sortie-dev/sortie/internal/lang"
)

// dbSampleBytes bounds the timed read of the source's largest table that
// the copy estimate rests on: enough to see a rate, cheap on a live
// production server.
const dbSampleBytes = 4 << 20

type dbPlanOptions struct {
	format, lang, fromProfile string
}

func newDBCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Move RDS PostgreSQL and MySQL/MariaDB databases: plan, copy, verify, cut over",
		Args:  exactArgs(0, "a subcommand: plan, copy, verify, cutover or abort"),
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	o := &dbPlanOptions{}
	plan := &cobra.Command{
		Use:   "plan SRC DST",
		Short: "Read the source and the target database, change nothing, and say what stands in the way of the copy",
		Long: `Connect to the source and the target (postgres://USER@HOST[:PORT]/DATABASE or
mysql://USER@HOST[:PORT]/[DATABASE]; a MySQL URL without a database means
every schema that is not the server's own) and read, in read-only sessions:
versions; size per schema and table; tables without a primary key or replica
identity; sequences and AUTO_INCREMENT counters; large objects; extensions
used at the source and available at the target (RDS-only ones flagged);
roles and accounts (RDS's rds_superuser, rds_iam, rdsadmin flagged);
encodings and collations; MySQL's storage engines, definers, triggers,
events and binary log format. The copy time is estimated from a timed read
of up to 4 MiB of the source's largest table.

Passwords come from the URL or, when it has none, PGPASSFILE or ~/.pgpass
(PostgreSQL) or ~/.my.cnf's [client] section (MySQL); the URL's parameters
are the driver's (sslmode=require, tls=true). With --from-profile, the
source's password is an RDS IAM authentication token signed with that AWS
profile's credentials (the login must be granted rds_iam, or use the
AWSAuthenticationPlugin); TLS is then required.

Each finding is one line with what to do. Exit 0 when nothing blocks the
copy, 1 when something does, 2 when a server cannot be read at all.`,
		Example: `  sortie db plan postgres://master@records.abc.ca-central-1.rds.amazonaws.com/records postgres://sortie@db.uni.example/records
  sortie db plan mysql://admin@moodle.abc.rds.amazonaws.com/moodle mysql://sortie@10.0.0.5/moodle --format md --lang fr`,
		Args: exactArgs(2, "SRC and DST, the source's and the target's URLs"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDBPlan(cmd.Context(), e, o, args[0], args[1])
		},
	}
	f := plan.Flags()
	f.StringVar(&o.format, "format", "text", "plan on standard output: text, json or md")
	f.StringVar(&o.lang, "lang", "", "plan language, fr or en (default: French when the locale is French)")
	f.StringVar(&o.fromProfile, "from-profile", "", "AWS profile whose credentials sign an RDS IAM token as the source login's password")
	cmd.AddCommand(plan)
	cmd.AddCommand(newDBCopyCmd(e))
	cmd.AddCommand(newDBVerifyCmd(e))
	cmd.AddCommand(newDBCutoverCmd(e), newDBAbortCmd(e))
	return cmd
}

func runDBPlan(ctx context.Context, e *env, o *dbPlanOptions, srcURL, dstURL string) error {
	if o.format != "text" && o.format != "json" && o.format != "md" {
		return usage("--format %q: give text, json or md", o.format)
	}
	l, err := lang.ParseLang(o.lang)
	if err != nil {
		return usage("%v", err)
	}
	src, dst, err := dbEndpoints(ctx, srcURL, dstURL, o.fromProfile)
	if err != nil {
		return err
	}
	inspect := postgres.Inspect
	if src.Engine == database.MySQL {
		inspect = mysql.Inspect
	}
	si, err := inspect(ctx, src, database.InspectOptions{Side: database.Source, SampleBytes: dbSampleBytes})
	if err != nil {
		return dbErr(ctx, err)
	}
	di, err := inspect(ctx, dst, database.InspectOptions{Side: database.Target})
	if err != nil {
		return dbErr(ctx, err)
	}
	p := database.NewPlan(si, di)
	if err := p.Write(e.stdout, o.format, l); err != nil {
		return err
	}
	if n := p.Blockers(); n > 0 {
		return &exitError{code: ExitFailures, err: fmt.Errorf("%s found; resolve them before sortie db copy", plural(n, "blocker"))}
	}
	return nil
}

// dbErr is a reader's error as the command reports it: a server that
// cannot be reached, a login it refuses, a database it lacks, a URL the
// driver cannot use, a catalog the login may not read — all the user's to
// fix (exit 2). An interruption stays one.
func dbErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ce *database.ConnectError
	var ue *database.URLError
	if errors.As(err, &ce) || errors.As(err, &ue) {
		return usage("%v", err)
	}
	return usage("%v; check that the login may read the catalogs", err)
}

package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sortie-dev/sortie/internal/awsconfig"
	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/ledger"
	"github.com/sortie-dev/sortie/internal/database/mysql"
	"github.com/sortie-dev/sortie/internal/database/postgres"
	"github.com/sortie-dev/sortie/internal/lang"
)

type dbCutoverOptions struct {
	format, lang, fromProfile string
	freeze, thaw              bool
	timeout                   time.Duration
}

func newDBCutoverCmd(e *env) *cobra.Command {
	o := &dbCutoverOptions{}
	cmd := &cobra.Command{
		Use:   "cutover SRC DST",
		Short: "End an online move: wait for the target, set its sequences, verify, and remove the replication",
		Long: `End the online move db copy --online began between SRC and DST (the same
URLs). In this order, stopping at the first step that fails with the
replication left in place:

  1. with --freeze, stop the source's writes (PostgreSQL: the database's
     transactions read-only by default, its other sessions ended; MySQL:
     read_only on the server). Without it, stop the applications' writes
     yourself first: a write after step 4 would not reach the target.
  2. wait until the target has applied everything the source logged;
  3. set the target's sequences (AUTO_INCREMENT counters) from the source's;
  4. compare both sides as sortie db verify does;
  5. only when they are identical, remove the replication (PostgreSQL: the
     subscription, the slot and the publication; MySQL: the replica).

It prints the summary to paste into the change record. Exit 0 when the
target stands alone, identical to the source; 1 when a step failed (named);
2 when the servers or the job could not be used.`,
		Example: `  sortie db cutover postgres://master@records.abc.ca-central-1.rds.amazonaws.com/records postgres://sortie@db.uni.example/records --freeze --format md --lang fr`,
		Args:    exactArgs(2, "SRC and DST, the source's and the target's URLs, as given to db copy --online"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDBCutover(cmd.Context(), e, o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.freeze, "freeze", false, "stop the source's writes first (otherwise stop them yourself)")
	f.DurationVar(&o.timeout, "timeout", 30*time.Minute, "give up when the whole cut-over takes longer")
	f.StringVar(&o.format, "format", "text", "summary on standard output: text, json or md")
	f.StringVar(&o.lang, "lang", "", "summary language, fr or en (default: French when the locale is French)")
	f.StringVar(&o.fromProfile, "from-profile", "", "AWS profile whose credentials sign an RDS IAM token as the source login's password")
	return cmd
}

func newDBAbortCmd(e *env) *cobra.Command {
	o := &dbCutoverOptions{}
	cmd := &cobra.Command{
		Use:   "abort SRC DST",
		Short: "Remove an online move's replication without cutting over (and, with --thaw, undo a freeze)",
		Long: `Remove what db copy --online set up between SRC and DST: PostgreSQL's
subscription at the target and the slot and publication at the source (a
slot left behind keeps the source's WAL, and fills its disk); MySQL's
replica at the target. The target's data stays. With --thaw, the source
takes writes again (after db cutover --freeze, once the applications have
moved, or to give up). It can run again after a failure.`,
		Args: exactArgs(2, "SRC and DST, the source's and the target's URLs, as given to db copy --online"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDBAbort(cmd.Context(), e, o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.thaw, "thaw", false, "also make the source writable again (undo db cutover --freeze)")
	f.StringVar(&o.fromProfile, "from-profile", "", "AWS profile whose credentials sign an RDS IAM token as the source login's password")
	return cmd
}

// dbEndpoints parses the source's and the target's URLs, checks they are
// of one engine, and signs the source's RDS IAM token when a profile is
// given.
func dbEndpoints(ctx context.Context, srcURL, dstURL, fromProfile string) (src, dst database.Endpoint, err error) {
	if src, err = database.ParseURL(srcURL); err != nil {
		return src, dst, usage("source %v", err)
	}
	if dst, err = database.ParseURL(dstURL); err != nil {
		return src, dst, usage("target %v", err)
	}
	if src.Engine != dst.Engine {
		return src, dst, usage("the source is %s and the target %s: sortie db moves a database between servers of one engine", src.Engine, dst.Engine)
	}
	if fromProfile != "" {
		cfg, err := awsconfig.Load(ctx, awsconfig.Options{Profile: fromProfile, Flag: "--from-profile"})
		if err != nil {
			return src, dst, usage("%v", err)
		}
		tok, err := awsconfig.RDSAuthToken(ctx, cfg, src.Address(), src.User)
		if err != nil {
			return src, dst, usage("%v", err)
		}
		src = src.WithToken(tok)
	}
	return src, dst, nil
}

// replication is the engine's side of the job's online move.
func replication(src, dst database.Endpoint) database.Replication {
	if src.Engine == database.MySQL {
		return &mysql.Replication{Src: src, Dst: dst}
	}
	name := database.ReplicationName(ledger.Job{Source: src.String(), Target: dst.String()}.ID())
	return &postgres.Replication{Src: src, Dst: dst, Name: name}
}

func runDBCutover(ctx context.Context, e *env, o *dbCutoverOptions, srcURL, dstURL string) error {
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
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	verify := func(ctx context.Context) (*database.VerifyReport, error) {
		opts := database.VerifyOptions{}
		s, err := openVerifySide(ctx, src, database.Source, 5)
		if err != nil {
			return nil, err
		}
		defer s.Close(ctx)
		d, err := openVerifySide(ctx, dst, database.Target, 4)
		if err != nil {
			return nil, err
		}
		defer d.Close(ctx)
		return database.Verify(ctx, s, d, opts)
	}
	res, err := database.Cutover(ctx, replication(src, dst), database.CutoverOptions{Freeze: o.freeze, Verify: verify}, src, dst)
	if werr := res.Write(e.stdout, o.format, l); werr != nil {
		return werr
	}
	if err != nil {
		return &exitError{code: ExitFailures, err: fmt.Errorf("%s: %w", res.Summary(l), err)}
	}
	return nil
}

func runDBAbort(ctx context.Context, e *env, o *dbCutoverOptions, srcURL, dstURL string) error {
	src, dst, err := dbEndpoints(ctx, srcURL, dstURL, o.fromProfile)
	if err != nil {
		return err
	}
	if err := replication(src, dst).Drop(ctx); err != nil {
		return dbErr(ctx, err)
	}
	fmt.Fprintf(e.stdout, "replication removed between %s and %s\n", src, dst)
	if o.thaw {
		if err := thaw(ctx, src); err != nil {
			return dbErr(ctx, err)
		}
		fmt.Fprintf(e.stdout, "source %s takes writes again\n", src)
	}
	return nil
}

func thaw(ctx context.Context, src database.Endpoint) error {
	if src.Engine == database.MySQL {
		return mysql.Thaw(ctx, src)
	}
	return postgres.ThawDatabase(ctx, src)
}

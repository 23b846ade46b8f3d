package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/database/ledger"
	"github.com/sortie-dev/sortie/internal/database/mysql"
	"github.com/sortie-dev/sortie/internal/database/postgres"
	"github.com/sortie-dev/sortie/internal/journal"
	"github.com/sortie-dev/sortie/internal/lang"
)

type dbCopyOptions struct {
	format, lang string
	json         bool
	jobs         int
	intoExisting bool
	journal      string
	bwlimit      string
	binDir       string
	online       bool
	fromProfile  string
}

func newDBCopyCmd(e *env) *cobra.Command {
	o := &dbCopyOptions{}
	cmd := &cobra.Command{
		Use:   "copy SRC DST",
		Short: "Copy a database to the target: schema, rows in one snapshot, indexes, sequences; resumable",
		Long: `Copy the source database into the target (URLs as for sortie db plan), reading
the source only, in read-only sessions.

PostgreSQL: the roles the schema refers to are created at the target when
missing, WITHOUT passwords (the summary names them: set them yourself);
then the schema (pg_dump --section=pre-data, restored with psql); then every
table's rows, -j at a time, streamed with COPY from one server to the other,
all read in one snapshot of the source; the large objects; the indexes,
constraints and triggers (--section=post-data); and the sequences, set from
the source's values. Generated columns are computed by the target.
Needs pg_dump and psql of the source's major version or newer (Debian's
postgresql-client-NN; the newest of /usr/lib/postgresql/*/bin is used).

MySQL and MariaDB: the tables and views (mariadb-dump --no-data), then the
rows of every table from one consistent dump (--single-transaction, with
the binary log position recorded for --online), applied table by table at
the target, then the triggers, routines and events, with their definers,
and the AUTO_INCREMENT counters. Needs Debian's mariadb-client.

--online keeps the target up to date after the copy with the engine's own
replication, until sortie db cutover ends it (or sortie db abort removes
it). PostgreSQL: a publication and a logical replication slot, named for the
job, are created at the source first — the only objects sortie makes there —
and the rows are read at the slot's snapshot, so replication starts exactly
where they end; a table without a primary key or replica identity is refused
before anything is created (publishing it would make its UPDATEs and
DELETEs fail at the source: give it a key, or REPLICA IDENTITY FULL, first);
the target subscribes once the indexes are built, so it must reach the
source with the source URL's login. MySQL/MariaDB: the target becomes a
replica of the source from the dump's binlog position, for the copied
database only; the source's login needs REPLICATION SLAVE.

A target that already holds tables is refused unless --into-existing: then
the objects that exist are kept and the rows go into the tables there,
which must be empty.

Each step is recorded in the job's journal: run the same command again
after a crash or an interruption and the copy resumes — finished tables are
kept, a table that was in flight is emptied at the target (only if this job
created it) and copied again.

Exit 0 when everything arrived; 1 when something failed (named; run again
to retry it); 2 when the copy could not begin (a server unreachable, a
login refused, a database missing, a target that holds tables, a client
program missing).`,
		Example: `  sortie db copy postgres://master@records.abc.ca-central-1.rds.amazonaws.com/records postgres://sortie@db.uni.example/records -j 8
  sortie db copy mysql://admin@moodle.abc.rds.amazonaws.com/moodle mysql://sortie@10.0.0.5/moodle --format md --lang fr`,
		Args: exactArgs(2, "SRC and DST, the source's and the target's URLs"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDBCopy(cmd.Context(), e, o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.IntVarP(&o.jobs, "jobs", "j", 4, "tables copied at once")
	f.BoolVar(&o.intoExisting, "into-existing", false, "copy into a target that already holds tables: existing objects are kept, their tables must be empty")
	f.StringVar(&o.format, "format", "text", "summary on standard output: text, json or md")
	f.StringVar(&o.lang, "lang", "", "summary language, fr or en (default: French when the locale is French)")
	f.BoolVar(&o.json, "json", false, "print JSON lines on stdout (one event per phase and table, then the summary)")
	f.StringVar(&o.journal, "journal", "", "the job's journal file (default: $XDG_STATE_HOME/sortie/db/JOB-ID.db, else ~/.local/state/sortie/db/)")
	f.StringVar(&o.bwlimit, "bwlimit", "0", "cap the rate read from the source, e.g. 50MiB (per second; 0: no cap), to spare a production server")
	f.BoolVar(&o.online, "online", false, "keep the target up to date by the engine's replication after the copy, until sortie db cutover")
	f.StringVar(&o.fromProfile, "from-profile", "", "AWS profile whose credentials sign an RDS IAM token as the source login's password")
	f.StringVar(&o.binDir, "bin-dir", "", "the directory of pg_dump and psql, or of mariadb-dump and mariadb (default: Debian's, else PATH)")
	return cmd
}

func runDBCopy(ctx context.Context, e *env, o *dbCopyOptions, srcURL, dstURL string) error {
	if o.format != "text" && o.format != "json" && o.format != "md" {
		return usage("--format %q: give text, json or md", o.format)
	}
	l, err := lang.ParseLang(o.lang)
	if err != nil {
		return usage("%v", err)
	}
	if o.jobs < 1 || o.jobs > 64 {
		return usage("--jobs %d: give a number from 1 to 64", o.jobs)
	}
	bw, err := humanize.ParseBytes(o.bwlimit)
	if err != nil || bw > 1<<50 {
		return usage("--bwlimit %q: give bytes per second, e.g. 50MiB, or 0 for no cap", o.bwlimit)
	}
	if o.online && o.fromProfile != "" {
		// The target's subscription (replica) logs in to the source on
		// its own, for as long as the move lasts: a token would expire
		// within 15 minutes.
		return usage("--online with --from-profile: the target's replication would log in to the source with an RDS IAM token, which expires in 15 minutes; give the source URL a login with a password for the online move")
	}
	src, dst, err := dbEndpoints(ctx, srcURL, dstURL, o.fromProfile)
	if err != nil {
		return err
	}
	if src.Address() == dst.Address() && src.Database == dst.Database {
		return usage("the source and the target are the same database (%s)", dst)
	}

	job := ledger.Job{Source: src.String(), Target: dst.String()}
	path := o.journal
	if path == "" {
		dir, err := journal.Dir()
		if err != nil {
			return usage("%v", err)
		}
		path = filepath.Join(ledger.Dir(dir), job.ID()+".db")
	}
	// Opened before anything is touched: a journal that cannot be used
	// stops the run with both servers untouched.
	led, err := ledger.Open(ctx, path, job)
	if err != nil {
		return usage("%v", err)
	}
	outcome := "failed"
	defer func() { led.Close(outcome) }()

	prog := startDBProgress(ctx, e, o.json)
	opts := database.CopyOptions{Jobs: o.jobs, IntoExisting: o.intoExisting, ReadLimit: int64(bw), BinDir: o.binDir,
		Ledger: led, Listener: prog, Log: e.log, Online: o.online, ReplicationName: database.ReplicationName(job.ID())}
	run := postgres.Copy
	if src.Engine == database.MySQL {
		run = mysql.Copy
	}
	res, runErr := run(ctx, src, dst, opts)
	prog.stop()
	switch {
	case ctx.Err() != nil:
		outcome = "interrupted"
		return ctx.Err()
	case runErr != nil:
		return dbCopyErr(ctx, runErr)
	}
	if o.json {
		if err := prog.json.Write(res.JSON(l)); err != nil {
			return err
		}
	} else if err := res.Write(e.stdout, o.format, l); err != nil {
		return err
	}
	if o.format == "text" && !o.json {
		fmt.Fprintf(e.stdout, "journal: %s\n", led.Path())
	}
	if n := len(res.Failures); n > 0 {
		names := make([]string, n)
		for i, f := range res.Failures {
			names[i] = f.Object
		}
		return &exitError{code: ExitFailures, err: fmt.Errorf("%s failed (%s); run the same command again to retry", plural(n, "object"), strings.Join(names, ", "))}
	}
	outcome = "done"
	return nil
}

// dbCopyErr is an engine's error as the command reports it: what the user
// must fix before a copy can begin is exit 2, one line; a journal that
// can no longer record is exit 1 (the copy stopped halfway).
func dbCopyErr(ctx context.Context, err error) error {
	var tne *database.TargetNotEmptyError
	var tme *database.ToolMissingError
	var le *database.LedgerError
	switch {
	case errors.As(err, &le):
		return &exitError{code: ExitFailures, err: fmt.Errorf("copy stopped: %v", err)}
	case errors.As(err, &tne), errors.As(err, &tme), errors.Is(err, postgres.ErrNoReplicaIdentity):
		return usage("%v", err)
	}
	return dbErr(ctx, err)
}

package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// SchemaVersion is the version of the sortie_ tables this build reads and
// writes. A database migrated by a newer sortie is refused.
const SchemaVersion = 2

// migrations[i] brings the schema from version i to i+1.
var migrations = []string{
	// 1: the per-object ledger. Keys are the primary key within a job: a
	// key belongs to one partition of the job, named on its row.
	`
CREATE TABLE sortie_objects (
	job       text        NOT NULL,
	key       text        NOT NULL,
	partition integer     NOT NULL,
	size      bigint      NOT NULL,
	src_etag  text        NOT NULL,
	state     smallint    NOT NULL,
	attempts  integer     NOT NULL DEFAULT 0,
	reason    text        NOT NULL DEFAULT '',
	dst_etag  text        NOT NULL DEFAULT '',
	started   timestamptz,
	updated   timestamptz NOT NULL,
	PRIMARY KEY (job, key)
);
-- What an attempt at a partition reads on opening: the objects left started.
CREATE INDEX sortie_objects_unfinished ON sortie_objects (job, partition) WHERE state = 1;
CREATE TABLE sortie_uploads (
	job       text        NOT NULL,
	key       text        NOT NULL,
	partition integer     NOT NULL,
	upload_id text        NOT NULL,
	src_etag  text        NOT NULL,
	opaque    boolean     NOT NULL,
	size      bigint      NOT NULL,
	part_size bigint      NOT NULL,
	parts     integer     NOT NULL,
	by_number boolean     NOT NULL,
	started   timestamptz NOT NULL,
	PRIMARY KEY (job, key)
);
CREATE INDEX sortie_uploads_partition ON sortie_uploads (job, partition);
CREATE TABLE sortie_parts (
	job        text    NOT NULL,
	key        text    NOT NULL,
	upload_id  text    NOT NULL,
	number     integer NOT NULL,
	etag       text    NOT NULL,
	md5        bytea,
	size       bigint  NOT NULL,
	hash_state bytea,
	PRIMARY KEY (job, key, upload_id, number)
);
CREATE TABLE sortie_versions (
	job         text        NOT NULL,
	key         text        NOT NULL,
	src_version text        NOT NULL,
	dst_version text        NOT NULL,
	marker      boolean     NOT NULL,
	updated     timestamptz NOT NULL,
	PRIMARY KEY (job, key, src_version)
);
`,
	// 2: jobs cut into partitions, their runs, each partition's result in
	// a run, and the leases of the partitions being worked.
	`
CREATE TABLE sortie_jobs (
	job         text        PRIMARY KEY,
	command     text        NOT NULL,
	source      text        NOT NULL,
	destination text        NOT NULL,
	spec        jsonb       NOT NULL,
	created     timestamptz NOT NULL DEFAULT now()
);
-- A job's partitions are planned once, at its first run, and kept: a key's
-- ledger rows stay with the partition that holds it, run after run.
CREATE TABLE sortie_partitions (
	job       text    NOT NULL REFERENCES sortie_jobs ON DELETE CASCADE,
	partition integer NOT NULL,
	after     text    NOT NULL,
	through   text,
	inventory text,
	PRIMARY KEY (job, partition)
);
CREATE TABLE sortie_runs (
	job     text        NOT NULL REFERENCES sortie_jobs ON DELETE CASCADE,
	run     integer     NOT NULL,
	started timestamptz NOT NULL DEFAULT now(),
	ended   timestamptz,
	state   text        NOT NULL DEFAULT 'running',
	PRIMARY KEY (job, run)
);
CREATE TABLE sortie_results (
	job       text        NOT NULL,
	run       integer     NOT NULL,
	partition integer     NOT NULL,
	worker    text        NOT NULL,
	attempt   integer     NOT NULL,
	result    jsonb       NOT NULL,
	finished  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (job, run, partition),
	FOREIGN KEY (job, run) REFERENCES sortie_runs ON DELETE CASCADE
);
-- The partitions being worked: the worker, its session holding the
-- partition's advisory lock, and its heartbeat.
CREATE TABLE sortie_leases (
	job       text        NOT NULL,
	partition integer     NOT NULL,
	run       integer     NOT NULL,
	worker    text        NOT NULL,
	backend   integer     NOT NULL,
	started   timestamptz NOT NULL DEFAULT now(),
	beat      timestamptz NOT NULL DEFAULT now(),
	objects   bigint      NOT NULL DEFAULT 0,
	bytes     bigint      NOT NULL DEFAULT 0,
	failed    bigint      NOT NULL DEFAULT 0,
	released  boolean     NOT NULL DEFAULT false,
	PRIMARY KEY (job, partition)
);
`,
}

// SchemaError reports a database whose sortie schema this build cannot
// use.
type SchemaError struct {
	Version int // the database's; 0 when it has none
	Reason  string
}

func (e *SchemaError) Error() string {
	return "coordinator database: " + e.Reason
}

// migrateLock is the advisory lock that serialises migrations: many
// workers start at once against the same database.
const migrateLock = 0x736f72746965 // "sortie"

// Migrate brings the database's sortie_ tables to SchemaVersion, creating
// them on first use, and River's tables to the version this build's River
// needs. Concurrent calls wait for each other. A database migrated by a
// newer sortie is refused with a *SchemaError and left as it is.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	// A session lock, not a transaction's: River applies its migrations
	// one transaction each (one adds an enum value a later one uses). On
	// a connection of its own, outside the pool: callers waiting for the
	// lock must not hold the connections River migrates with.
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("migrate the coordinator database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLock)); err != nil {
		return fmt.Errorf("migrate the coordinator database: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrateLock))
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS sortie_schema (
			version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("migrate the coordinator database: %w", err)
		}
		v, err := version(ctx, tx)
		if err != nil {
			return err
		}
		if v > SchemaVersion {
			return newer(v)
		}
		for ; v < SchemaVersion; v++ {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migrate the coordinator database to version %d: %w", v+1, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO sortie_schema (version) VALUES ($1)`, v+1); err != nil {
				return fmt.Errorf("migrate the coordinator database to version %d: %w", v+1, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// River's own tables (river_job, river_leader, …).
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	if err != nil {
		return fmt.Errorf("migrate River's tables in the coordinator database: %w", err)
	}
	return nil
}

func newer(v int) error {
	return &SchemaError{Version: v, Reason: fmt.Sprintf("migrated by a newer sortie (schema %d, this one reads %d); upgrade sortie", v, SchemaVersion)}
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func version(ctx context.Context, q querier) (int, error) {
	var v int
	if err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM sortie_schema`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read the coordinator schema version: %w", err)
	}
	return v, nil
}

// checkSchema refuses a database not migrated to SchemaVersion.
func checkSchema(ctx context.Context, q querier) error {
	v, err := version(ctx, q)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" { // undefined_table
		return &SchemaError{Reason: "it has no sortie tables; run Migrate first"}
	}
	switch {
	case err != nil:
		return err
	case v > SchemaVersion:
		return newer(v)
	case v < SchemaVersion:
		return &SchemaError{Version: v, Reason: fmt.Sprintf("schema %d is older than this sortie's %d; run Migrate first", v, SchemaVersion)}
	}
	return nil
}

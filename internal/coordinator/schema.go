package coordinator

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SchemaVersion is the version of the sortie_ tables this build reads and
// writes. A database migrated by a newer sortie is refused.
const SchemaVersion = 1

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
// them on first use. Concurrent calls wait for each other. A database
// migrated by a newer sortie is refused with a *SchemaError and left as
// it is.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
			return fmt.Errorf("migrate the coordinator database: %w", err)
		}
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

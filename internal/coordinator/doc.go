// Package coordinator holds the state a job shares between machines, in
// PostgreSQL: for now the per-object ledger (Ledger), the same records
// the SQLite journal keeps, behind the same transfer.Ledger interface, so
// that the copy engine resumes the same way on either; later the River
// jobs that cut a job into partitions and hand them to workers.
//
// Its tables are prefixed sortie_ and made by Migrate, which records a
// schema version and refuses a database a newer sortie migrated. Rows are
// scoped by job, and each object's row names the partition that wrote
// it, so that a partition's last rows can commit in the same transaction
// as its completion (FlushTx).
//
// It is not for single-machine runs: those keep the journal and need no
// PostgreSQL. It is the only package besides the database adapters that
// imports the PostgreSQL driver.
package coordinator

// Package coordinator holds the state a job shares between machines, in
// PostgreSQL, and hands its partitions to workers through River.
//
// A job (the same identity as a single-machine run's journal) is cut once
// into partitions — contiguous key ranges, or the data files of an S3
// Inventory report — kept in sortie_partitions so that a key's ledger rows
// stay with its partition run after run. Each run enqueues every partition
// as a River job, unique per job, run and partition. A worker takes one,
// holds its lease (an advisory lock on a session of its own, and a
// heartbeat row in sortie_leases), runs the caller's copy over it with a
// Ledger — the per-object records the SQLite journal keeps, behind the
// same transfer.Ledger interface — and commits the ledger's last rows, the
// partition's result and River's completion in one transaction, fenced by
// the lease. Workers hand back the partitions of workers whose heartbeat
// stopped (see DefaultLease).
//
// Its tables are prefixed sortie_ and made by Migrate, which records a
// schema version and refuses a database a newer sortie migrated, and
// applies River's migrations.
//
// It is not for single-machine runs: those keep the journal and need no
// PostgreSQL. It knows nothing of stores or flags: what a partition's copy
// does is the caller's RunFunc, and the job's spec is the caller's JSON.
// It is the only package besides the database adapters that imports the
// PostgreSQL driver, and the only one that imports River.
package coordinator

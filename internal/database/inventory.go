package database

import (
	"cmp"
	"slices"
	"strings"
)

// Inventory is what a reader found on one live server, read-only. Lists
// are sorted (by schema, then name) so that the same server gives the same
// plan.
type Inventory struct {
	Engine Engine `json:"engine"`
	// Server is the endpoint, without its password.
	Server string `json:"server"`
	// Product is PostgreSQL, MySQL or MariaDB.
	Product string `json:"product"`
	// Version is the server's own version string (15.18, 10.11.14-MariaDB);
	// VersionNum orders versions: major*10000+minor for PostgreSQL (150018),
	// major*10000+minor*100+patch for MySQL and MariaDB (101114, 80036).
	Version    string `json:"version"`
	VersionNum int    `json:"version_num"`
	// RDS says the server shows signs of Amazon RDS (rdsadmin, rds_* roles).
	RDS bool `json:"rds"`
	// Databases are the databases (PostgreSQL) or schemas (MySQL) read.
	Databases []string `json:"databases"`
	// Encoding, Collation and Ctype are the database's defaults (MySQL:
	// the first schema's character set and collation; Ctype is empty).
	Encoding  string `json:"encoding"`
	Collation string `json:"collation"`
	Ctype     string `json:"ctype,omitempty"`

	Schemas   []Schema   `json:"schemas"`
	Tables    []Table    `json:"tables"`
	Sequences []Sequence `json:"sequences"`
	// LargeObjects is PostgreSQL's pg_largeobject (zero on MySQL).
	LargeObjects LargeObjects `json:"large_objects"`
	// Extensions are those installed in the database (PostgreSQL).
	Extensions []Extension `json:"extensions,omitempty"`
	// Roles are the server's roles (PostgreSQL) or accounts (MySQL,
	// user@host), built-in ones left out.
	Roles []Role `json:"roles"`
	// Owners are the roles that own objects in the databases read
	// (PostgreSQL).
	Owners []string `json:"owners,omitempty"`
	// Collations are the collations the databases' objects use: the
	// databases' defaults and every column's own.
	Collations []string `json:"collations"`

	// MySQL and MariaDB.
	Definers     []Definer `json:"definers,omitempty"`
	Triggers     []Object  `json:"triggers,omitempty"`
	Events       []Object  `json:"events,omitempty"`
	LogBin       bool      `json:"log_bin,omitempty"`
	BinlogFormat string    `json:"binlog_format,omitempty"`

	// What the server offers, for comparing a source with it as a target;
	// long lists, not part of the report.
	Available Available `json:"-"`

	// Read is the measured read of a sample, on a source.
	Read *ReadSample `json:"read,omitempty"`
}

// Available is what a server could hold: the extensions it can install,
// its collations, its storage engines, its accounts.
type Available struct {
	// Extensions maps an installable extension to its default version.
	Extensions map[string]string
	Collations map[string]bool
	// Engines are the storage engines the server supports (MySQL).
	Engines map[string]bool
	// Roles are every role or user@host account, built-in ones included;
	// nil when the reader may not list them.
	Roles map[string]bool
}

// Schema is a schema's size: its tables' data and indexes.
type Schema struct {
	Name   string `json:"name"`
	Tables int    `json:"tables"`
	Bytes  int64  `json:"bytes"`
}

// Table is one table (PostgreSQL: ordinary or partitioned; MySQL: base
// table).
type Table struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	// Bytes is the data with indexes and TOAST; DataBytes the data alone
	// (what a copy reads).
	Bytes     int64 `json:"bytes"`
	DataBytes int64 `json:"data_bytes"`
	// Rows is the server's estimate (pg_class.reltuples, TABLE_ROWS), -1
	// when it has none (never analysed).
	Rows       int64 `json:"rows"`
	PrimaryKey bool  `json:"primary_key"`
	// ReplicaIdentity is PostgreSQL's: default, nothing, full or index.
	ReplicaIdentity string `json:"replica_identity,omitempty"`
	// Partitioned is a PostgreSQL partitioned table: no rows of its own.
	Partitioned bool `json:"partitioned,omitempty"`
	// Partition is a partition of another table.
	Partition bool `json:"partition,omitempty"`
	// Engine is MySQL's storage engine.
	Engine string `json:"engine,omitempty"`
}

// QualifiedName is schema.name.
func (t Table) QualifiedName() string { return t.Schema + "." + t.Name }

// Sequence is a sequence (PostgreSQL) or an AUTO_INCREMENT counter
// (MySQL): a value the copy must carry, or the first insert after the
// cut-over collides.
type Sequence struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	// LastValue is the last value handed out; nil when none was yet.
	LastValue *int64 `json:"last_value"`
	// OwnedBy is the table.column it feeds, when it is a serial, an
	// identity or an AUTO_INCREMENT column.
	OwnedBy  string `json:"owned_by,omitempty"`
	Identity bool   `json:"identity,omitempty"`
}

// LargeObjects counts PostgreSQL's large objects.
type LargeObjects struct {
	Count int64 `json:"count"`
	Bytes int64 `json:"bytes"`
}

// Extension is an installed PostgreSQL extension.
type Extension struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Schema  string `json:"schema"`
}

// Role is a role (PostgreSQL) or an account (MySQL, user@host).
type Role struct {
	Name      string   `json:"name"`
	Login     bool     `json:"login"`
	Superuser bool     `json:"superuser,omitempty"`
	MemberOf  []string `json:"member_of,omitempty"`
}

// Definer is a MySQL view, routine, trigger or event that runs with its
// definer's rights.
type Definer struct {
	Kind    string `json:"kind"` // VIEW, PROCEDURE, FUNCTION, TRIGGER, EVENT
	Schema  string `json:"schema"`
	Name    string `json:"name"`
	Definer string `json:"definer"` // user@host
}

// Object is a named object in a schema (a trigger, an event).
type Object struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	// Table is a trigger's table.
	Table string `json:"table,omitempty"`
}

// ReadSample is a timed read of rows from one table, the rate a copy
// estimate is based on.
type ReadSample struct {
	Table   string  `json:"table"`
	Bytes   int64   `json:"bytes"`
	Rows    int64   `json:"rows"`
	Seconds float64 `json:"seconds"`
}

// Rate is the sample's bytes per second (0 when nothing was read).
func (r *ReadSample) Rate() float64 {
	if r == nil || r.Seconds <= 0 || r.Bytes == 0 {
		return 0
	}
	return float64(r.Bytes) / r.Seconds
}

// DataBytes is the data the tables hold, without indexes: what a copy
// reads.
func (inv *Inventory) DataBytes() int64 {
	var n int64
	for _, t := range inv.Tables {
		n += t.DataBytes
	}
	return n
}

// TotalBytes is the tables' data with their indexes.
func (inv *Inventory) TotalBytes() int64 {
	var n int64
	for _, t := range inv.Tables {
		n += t.Bytes
	}
	return n
}

// sortTablesBySize orders tables largest first, then by name.
func sortTablesBySize(t []Table) {
	slices.SortStableFunc(t, func(a, b Table) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), strings.Compare(a.QualifiedName(), b.QualifiedName()))
	})
}

// InspectOptions are what a reader is asked for.
type InspectOptions struct {
	// Side names the server in errors.
	Side Side
	// SampleBytes bounds the timed read of the largest table that the
	// copy estimate is based on; 0 skips it (a target's inventory).
	SampleBytes int64
}

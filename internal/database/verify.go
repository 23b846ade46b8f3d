package database

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Verify's defaults, for the command's flags.
const (
	// DefaultChunkRows is the rows one chunk holds: a chunk's digest is
	// 32 bytes a row of server memory (10,000 rows: 320 KB), and a chunk
	// that differs is bisected in about 5 steps down to leafRows.
	DefaultChunkRows = 10000
	// DefaultParallel is how many chunks are hashed at once on each
	// server.
	DefaultParallel = 4
	// DefaultMaxKeys is how many differing rows are named per table.
	DefaultMaxKeys = 20
)

// leafRows is where bisection stops halving a range and fetches each
// row's key and digest (never its values) from both servers.
const leafRows = 256

// maxBucketDigits bounds the buckets of a table without a primary key at
// 16⁴.
const maxBucketDigits = 4

// VerifyOptions are what sortie db verify is asked for.
type VerifyOptions struct {
	// ChunkRows is how many rows, in the source's key order, one chunk
	// holds.
	ChunkRows int `json:"chunk_rows"`
	// Parallel is how many chunks are hashed at once; each server gets
	// that many sessions (the source one more, for cutting chunks).
	Parallel int `json:"parallel"`
	// MaxKeys caps the differing rows named per table; past it, only
	// the differing key ranges are named.
	MaxKeys int `json:"max_keys"`
}

func (o VerifyOptions) withDefaults() VerifyOptions {
	if o.ChunkRows <= 0 {
		o.ChunkRows = DefaultChunkRows
	}
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = DefaultMaxKeys
	}
	return o
}

// Key is a row's primary key: one text per key column, as the server
// prints the value under verify's pinned session settings (so that the
// same value prints the same on both servers, and reads back as itself).
type Key []string

// KeyRange is the rows whose key is greater than After and at most Upto,
// in the table's key order; a nil bound is open.
type KeyRange struct {
	After Key `json:"after,omitempty"`
	Upto  Key `json:"upto,omitempty"`
}

// Digest is a set of rows as a server hashed it: how many, and a digest of
// their row digests in key order ("" for none).
type Digest struct {
	Rows int64
	Sum  string
}

// RowDigest is one row's key and the digest of its compared columns. A
// table without a key has none: Count says how many rows have that
// digest.
type RowDigest struct {
	Key   Key
	Sum   string
	Count int64
}

// Bucket is the rows of a table without a key whose digest starts with
// Prefix.
type Bucket struct {
	Prefix string
	Digest
}

// TableSpec is what verify asks both servers about one table: the same
// question, so that the same rows give the same digests.
type TableSpec struct {
	Schema, Name string
	// Columns are the columns compared (those both sides have), in the
	// source's order.
	Columns []string
	// Key is the source's primary key; nil for a table without one,
	// which is hashed whole, in buckets.
	Key []string
	// ByteOrder orders the key's text columns by their bytes (UTF-8),
	// not by their collation: the two servers' collations of the key
	// differ, and chunks must hold the same rows on both.
	ByteOrder bool
	// Partitioned is a partitioned table, hashed with its partitions.
	Partitioned bool
}

// QualifiedName is schema.name, or the name alone when the URL's
// database is the schema (MySQL).
func (t TableSpec) QualifiedName() string { return qualified(t.Schema, t.Name) }

func qualified(schema, name string) string {
	if schema == "" {
		return name
	}
	return schema + "." + name
}

// VerifyColumn is a column as verify compares it.
type VerifyColumn struct {
	Name string
	// Type is the server's spelling of the column's type (format_type,
	// COLUMN_TYPE).
	Type string
}

// VerifyTable is a table of one server, read for verify.
type VerifyTable struct {
	// Schema is the PostgreSQL schema, or the MySQL database when the
	// URL names none ("" when it names one: the two sides' database
	// names may differ).
	Schema, Name string
	Columns      []VerifyColumn
	// Key is the primary key's columns in key order; KeyCollations the
	// identity of each one's collation, with its version where the
	// server gives one ("" for a column that has none).
	Key           []string
	KeyCollations []string
	// Rows is the server's estimate, -1 when it has none.
	Rows int64
	// Partitioned is the root of a partitioned table (PostgreSQL),
	// compared with its partitions; PartitionOf names the root a
	// partition's rows are compared through.
	Partitioned bool
	PartitionOf string
}

// QualifiedName is schema.name, or the name alone.
func (t VerifyTable) QualifiedName() string { return qualified(t.Schema, t.Name) }

// VerifyCatalog is what one server holds, for verify.
type VerifyCatalog struct {
	Engine Engine
	// Server is the endpoint, without its password.
	Server           string
	Product, Version string
	// Settings are the session settings verify pinned, as the server
	// reports them back.
	Settings []string
	Tables   []VerifyTable
	// Blind says why the listing may lack tables (a MySQL login sees
	// only the tables it holds a privilege on); "" when it cannot.
	Blind string
}

// SequenceState is a sequence or AUTO_INCREMENT counter: the value its
// next use gives. Err is set when it could not be read.
type SequenceState struct {
	Schema, Name string
	Next         int64
	// Increment's sign says which way the sequence goes.
	Increment int64
	// State is the server's own words for it, for the report
	// ("last_value 2000, is_called").
	State string
	Err   error
}

// QualifiedName is schema.name, or the name alone.
func (s SequenceState) QualifiedName() string { return qualified(s.Schema, s.Name) }

// LargeObject is a PostgreSQL large object's size and digest.
type LargeObject struct {
	OID   uint32
	Bytes int64
	Sum   string
}

// Hasher is one server opened for verify, in read-only sessions with the
// settings pinned. Every method does its work on the server and returns
// digests, never rows' values; each is safe to call from several
// goroutines at once (the implementation holds one session per call in
// flight). An error of a method that takes a table means that table could
// not be compared (the error says why: permission denied, a timeout);
// verify goes on with the others.
type Hasher interface {
	// Catalog lists the tables, their columns and keys. Its error means
	// nothing can be compared.
	Catalog(ctx context.Context) (*VerifyCatalog, error)
	// KeyAt returns the key of the row offset rows (from 0) into r in
	// key order, or nil when r holds no more rows than offset.
	KeyAt(ctx context.Context, t TableSpec, r KeyRange, offset int64) (Key, error)
	// Sum hashes the rows of r.
	Sum(ctx context.Context, t TableSpec, r KeyRange) (Digest, error)
	// Rows returns the first limit rows of r, key and digest, in key
	// order.
	Rows(ctx context.Context, t TableSpec, r KeyRange, limit int) ([]RowDigest, error)
	// Columns returns a digest of each of t.Columns of the row whose key
	// is k, or nil when there is none.
	Columns(ctx context.Context, t TableSpec, k Key) ([]string, error)
	// Buckets hashes a table without a key whole, in buckets by the
	// first digits hex digits of the row digests.
	Buckets(ctx context.Context, t TableSpec, digits int) ([]Bucket, error)
	// BucketRows returns the distinct row digests of one bucket with
	// how many rows have each, at most limit of them.
	BucketRows(ctx context.Context, t TableSpec, digits int, prefix string, limit int) ([]RowDigest, error)
	// Sequences reads every sequence (AUTO_INCREMENT counter); one it
	// may not read has its Err set.
	Sequences(ctx context.Context) ([]SequenceState, error)
	// LargeObjects digests every large object, in OID order (none on
	// MySQL).
	LargeObjects(ctx context.Context) ([]LargeObject, error)
}

// Status is a table's outcome.
type Status string

const (
	Identical   Status = "identical"
	Different   Status = "different"
	NotCompared Status = "not-compared"
)

// RowKind says how a row differs.
type RowKind string

const (
	OnlyAtSource RowKind = "only-at-source"
	OnlyAtTarget RowKind = "only-at-target"
	Changed      RowKind = "changed"
)

// ColumnDiff is a column that is not the same on both sides: Source or
// Target is "" where the column is missing.
type ColumnDiff struct {
	Name   string `json:"name"`
	Source string `json:"source_type"`
	Target string `json:"target_type"`
}

// RangeDiff is a chunk whose digests differ.
type RangeDiff struct {
	Range      KeyRange `json:"range"`
	SourceRows int64    `json:"source_rows"`
	TargetRows int64    `json:"target_rows"`

	seq int // the chunk's place in key order
}

// RowDiff is a row that differs. Key is nil for a table without a primary
// key: Sum (the row's digest) and the counts on each side name it.
type RowDiff struct {
	Kind RowKind `json:"kind"`
	Key  Key     `json:"key,omitempty"`
	// Columns are the columns whose values differ, for a changed row.
	Columns []string `json:"columns,omitempty"`
	Sum     string   `json:"digest,omitempty"`
	// SourceCount and TargetCount are a keyless row's copies on each
	// side.
	SourceCount int64 `json:"source_count,omitempty"`
	TargetCount int64 `json:"target_count,omitempty"`

	seq int // the chunk's place in key order
}

// TableResult is one table's outcome.
type TableResult struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	Status Status `json:"status"`
	// OnlyAt is the side that has the table when the other lacks it.
	OnlyAt Side `json:"only_at,omitempty"`
	// Method is chunks (by primary key), full-hash (no primary key:
	// every row's digest, sorted, in buckets), or partition (the rows
	// are compared through PartitionOf).
	Method      string   `json:"method,omitempty"`
	Key         []string `json:"key,omitempty"`
	TargetKey   []string `json:"target_key,omitempty"`
	KeyDiffers  bool     `json:"key_differs,omitempty"`
	ByteOrder   bool     `json:"byte_order,omitempty"`
	PartitionOf string   `json:"partition_of,omitempty"`
	Chunks      int      `json:"chunks"`
	SourceRows  int64    `json:"source_rows"`
	TargetRows  int64    `json:"target_rows"`
	// Columns are the columns that differ; rows are compared on the
	// columns both sides have.
	Columns []ColumnDiff `json:"columns,omitempty"`
	Ranges  []RangeDiff  `json:"ranges,omitempty"`
	Rows    []RowDiff    `json:"rows,omitempty"`
	// Capped says MaxKeys rows were named and the search for more
	// stopped: further differing ranges are named, their rows are not.
	Capped bool `json:"capped,omitempty"`
	// Error is why the table could not be compared (wholly).
	Error string `json:"error,omitempty"`
}

// QualifiedName is schema.name, or the name alone.
func (t TableResult) QualifiedName() string { return qualified(t.Schema, t.Name) }

// compared says every chunk of the table was hashed on both sides.
func (t TableResult) compared() bool {
	return t.OnlyAt == "" && t.Error == "" && t.Method != "partition"
}

// SequenceResult is one sequence's outcome: the target's next value must
// not be behind the source's, or the first insert after the cut-over
// collides.
type SequenceResult struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	Status Status `json:"status"`
	OnlyAt Side   `json:"only_at,omitempty"`
	Source *int64 `json:"source_next,omitempty"`
	Target *int64 `json:"target_next,omitempty"`
	// SourceState and TargetState are the servers' words for them.
	SourceState string `json:"source_state,omitempty"`
	TargetState string `json:"target_state,omitempty"`
	Error       string `json:"error,omitempty"`
}

// QualifiedName is schema.name, or the name alone.
func (s SequenceResult) QualifiedName() string { return qualified(s.Schema, s.Name) }

// LargeObjectsResult is the large objects' outcome.
type LargeObjectsResult struct {
	Status  Status   `json:"status"`
	Source  int      `json:"source"`
	Target  int      `json:"target"`
	Bytes   int64    `json:"bytes"`
	Missing []uint32 `json:"missing_at_target,omitempty"`
	Extra   []uint32 `json:"only_at_target,omitempty"`
	Changed []uint32 `json:"changed,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// ServerFacts names a server as verify read it.
type ServerFacts struct {
	Server   string   `json:"server"`
	Product  string   `json:"product"`
	Version  string   `json:"version"`
	Settings []string `json:"settings"`
}

// VerifyReport is what sortie db verify found.
type VerifyReport struct {
	Engine       Engine             `json:"engine"`
	Source       ServerFacts        `json:"source"`
	Target       ServerFacts        `json:"target"`
	Options      VerifyOptions      `json:"options"`
	Tables       []TableResult      `json:"tables"`
	Sequences    []SequenceResult   `json:"sequences"`
	LargeObjects LargeObjectsResult `json:"large_objects"`
	// Blind is why the source's listing may lack tables; it makes the
	// verdict NOT VERIFIED.
	Blind   string  `json:"blind,omitempty"`
	Seconds float64 `json:"seconds"`
}

// Verify compares the source's tables, sequences and large objects with
// the target's. Its error means nothing could be compared (a catalog that
// could not be read, an interruption); everything else — a table the
// login may not read, a query that failed — is in the report, and makes
// its verdict NOT VERIFIED at best.
func Verify(ctx context.Context, src, dst Hasher, o VerifyOptions) (*VerifyReport, error) {
	start := time.Now()
	o = o.withDefaults()
	var sc, dc *VerifyCatalog
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		sc, err = src.Catalog(gctx)
		return wrapSide(Source, "read the catalog", err)
	})
	g.Go(func() (err error) {
		dc, err = dst.Catalog(gctx)
		return wrapSide(Target, "read the catalog", err)
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	rep := &VerifyReport{
		Engine:  sc.Engine,
		Source:  ServerFacts{Server: sc.Server, Product: sc.Product, Version: sc.Version, Settings: sc.Settings},
		Target:  ServerFacts{Server: dc.Server, Product: dc.Product, Version: dc.Version, Settings: dc.Settings},
		Options: o,
		Blind:   sc.Blind,
	}
	v := &verifier{src: src, dst: dst, o: o}
	runs := v.match(rep, sc, dc)

	// The chunks of every table go to one bounded group: a large table
	// is hashed by all the sessions at once, not by one. Cutting chunks
	// (KeyAt on the source) happens here, ahead of the hashing.
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(o.Parallel)
	var seqs []SequenceResult
	var los LargeObjectsResult
	g.Go(func() error {
		seqs = v.sequences(gctx)
		los = v.largeObjects(gctx)
		return gctx.Err()
	})
	for _, tr := range runs {
		if tr.spec.Key == nil {
			g.Go(func() error { v.keyless(gctx, tr); return gctx.Err() })
			continue
		}
		var after Key
		for seq := 0; gctx.Err() == nil && !tr.failed(); seq++ {
			upto, err := src.KeyAt(gctx, tr.spec, KeyRange{After: after}, int64(o.ChunkRows-1))
			if err != nil {
				tr.fail(Source, "cut chunks", err)
				break
			}
			r := KeyRange{After: after, Upto: upto}
			g.Go(func() error { v.chunk(gctx, tr, r, seq); return gctx.Err() })
			if upto == nil {
				break
			}
			after = upto
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, tr := range runs {
		tr.finish(o.MaxKeys)
	}
	rep.Sequences, rep.LargeObjects = seqs, los
	slices.SortFunc(rep.Tables, func(a, b TableResult) int {
		return cmp.Or(strings.Compare(a.Schema, b.Schema), strings.Compare(a.Name, b.Name))
	})
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// SideError is a server's error, named by its side and what verify was
// doing.
type SideError struct {
	Side Side
	Op   string
	Err  error
}

func (e *SideError) Error() string { return fmt.Sprintf("%s: %s: %v", e.Side, e.Op, e.Err) }
func (e *SideError) Unwrap() error { return e.Err }

func wrapSide(s Side, op string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	var ce *ConnectError
	var ue *URLError
	if errors.As(err, &ce) || errors.As(err, &ue) {
		return err
	}
	return &SideError{Side: s, Op: op, Err: err}
}

type verifier struct {
	src, dst Hasher
	o        VerifyOptions
}

// tableRun is one table's comparison under way; chunks of it run at once.
type tableRun struct {
	spec TableSpec
	res  *TableResult
	// rowsEstimate sizes the buckets of a table without a key.
	rowsEstimate int64

	mu  sync.Mutex
	err string
}

func (tr *tableRun) failed() bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.err != ""
}

func (tr *tableRun) fail(s Side, op string, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.err == "" {
		tr.err = fmt.Sprintf("%s: %s: %v", s, op, err)
	}
}

// full says chunk seq need look for no more rows: the chunks up to it
// in key order (itself included) have named max already. Later chunks
// never stop an earlier one, so the rows named are the first in key order
// however the chunks' work interleaves.
func (tr *tableRun) full(max, seq int) bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for _, r := range tr.res.Rows {
		if r.seq <= seq {
			n++
		}
	}
	return n >= max
}

func (tr *tableRun) add(s, t Digest) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.res.Chunks++
	tr.res.SourceRows += s.Rows
	tr.res.TargetRows += t.Rows
}

func (tr *tableRun) addRange(seq int, r KeyRange, s, t Digest) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.res.Ranges = append(tr.res.Ranges, RangeDiff{Range: r, SourceRows: s.Rows, TargetRows: t.Rows, seq: seq})
}

// addRows adds the differing rows one chunk found; finish keeps the
// first MaxKeys in key order.
func (tr *tableRun) addRows(seq int, rows ...RowDiff) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, r := range rows {
		r.seq = seq
		tr.res.Rows = append(tr.res.Rows, r)
	}
}

func (tr *tableRun) capped() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.res.Capped = true
}

// finish sets the table's status once its chunks have all run, and
// keeps the first maxKeys differing rows in key order.
func (tr *tableRun) finish(maxKeys int) {
	res := tr.res
	res.Error = tr.err
	if res.Error != "" {
		// Counts of a table only partly hashed would mislead.
		res.Chunks, res.SourceRows, res.TargetRows = 0, 0, 0
	}
	slices.SortStableFunc(res.Ranges, func(a, b RangeDiff) int { return cmp.Compare(a.seq, b.seq) })
	slices.SortStableFunc(res.Rows, func(a, b RowDiff) int { return cmp.Compare(a.seq, b.seq) })
	if len(res.Rows) > maxKeys {
		res.Rows, res.Capped = res.Rows[:maxKeys], true
	}
	switch {
	case len(res.Columns) > 0 || len(res.Ranges) > 0 || len(res.Rows) > 0 || res.KeyDiffers:
		res.Status = Different
	case res.Error != "":
		res.Status = NotCompared
	default:
		res.Status = Identical
	}
}

// match pairs the source's tables with the target's and says what is
// compared, and how.
func (v *verifier) match(rep *VerifyReport, sc, dc *VerifyCatalog) []*tableRun {
	targets := map[string]VerifyTable{}
	for _, t := range dc.Tables {
		targets[t.QualifiedName()] = t
	}
	var runs []*tableRun
	for _, s := range sc.Tables {
		t, ok := targets[s.QualifiedName()]
		delete(targets, s.QualifiedName())
		if !ok {
			rep.Tables = append(rep.Tables, TableResult{Schema: s.Schema, Name: s.Name, Status: Different, OnlyAt: Source, Key: s.Key})
			continue
		}
		res := TableResult{Schema: s.Schema, Name: s.Name, Key: s.Key, Method: "chunks", PartitionOf: s.PartitionOf}
		have := map[string]string{}
		for _, c := range t.Columns {
			have[c.Name] = c.Type
		}
		spec := TableSpec{Schema: s.Schema, Name: s.Name, Key: s.Key, Partitioned: s.Partitioned}
		for _, c := range s.Columns {
			tt, ok := have[c.Name]
			delete(have, c.Name)
			switch {
			case !ok:
				res.Columns = append(res.Columns, ColumnDiff{Name: c.Name, Source: c.Type})
				continue
			case tt != c.Type:
				res.Columns = append(res.Columns, ColumnDiff{Name: c.Name, Source: c.Type, Target: tt})
			}
			spec.Columns = append(spec.Columns, c.Name)
		}
		for _, c := range t.Columns {
			if tt, ok := have[c.Name]; ok {
				res.Columns = append(res.Columns, ColumnDiff{Name: c.Name, Target: tt})
			}
		}
		if !slices.Equal(s.Key, t.Key) {
			res.KeyDiffers, res.TargetKey = true, t.Key
		}
		switch {
		case s.PartitionOf != "":
			// Its rows are the root's, compared there.
			res.Method = "partition"
			tr := &tableRun{spec: spec, res: &res}
			tr.finish(v.o.MaxKeys)
			rep.Tables = append(rep.Tables, res)
			continue
		case s.Key == nil:
			res.Method = "full-hash"
		default:
			for i, k := range s.Key {
				if !slices.Contains(spec.Columns, k) {
					res.Error = fmt.Sprintf("key column %s is missing or of another type at the target: rows not compared", k)
				}
				if i < len(t.Key) && t.Key[i] == k && i < len(t.KeyCollations) && i < len(s.KeyCollations) && t.KeyCollations[i] != s.KeyCollations[i] {
					spec.ByteOrder = true
				}
				if !slices.Contains(t.Key, k) {
					// No index of the same key at the target: order by
					// bytes rather than trust two collations agree.
					spec.ByteOrder = true
				}
			}
			res.ByteOrder = spec.ByteOrder
		}
		if len(spec.Columns) == 0 && res.Error == "" {
			res.Error = "no column in common: rows not compared"
		}
		rep.Tables = append(rep.Tables, res)
		if res.Error != "" {
			rep.Tables[len(rep.Tables)-1].Status = Different
			continue
		}
		runs = append(runs, &tableRun{spec: spec, rowsEstimate: max(s.Rows, t.Rows)})
	}
	for _, t := range dc.Tables {
		if _, ok := targets[t.QualifiedName()]; ok {
			res := TableResult{Schema: t.Schema, Name: t.Name, Status: Different, OnlyAt: Target, Key: t.Key}
			if sc.Blind != "" {
				// Most likely a table the source's login cannot see:
				// not compared, rather than a difference.
				res.Status, res.Error = NotCompared, "the source's login may not see it"
			}
			rep.Tables = append(rep.Tables, res)
		}
	}
	// The results are appended above; runs point into the final slice.
	for _, tr := range runs {
		for i := range rep.Tables {
			if rep.Tables[i].Schema == tr.spec.Schema && rep.Tables[i].Name == tr.spec.Name && rep.Tables[i].OnlyAt == "" {
				tr.res = &rep.Tables[i]
			}
		}
	}
	// The largest tables first: their chunks start while the small ones
	// fill the gaps.
	slices.SortStableFunc(runs, func(a, b *tableRun) int { return cmp.Compare(b.rowsEstimate, a.rowsEstimate) })
	return runs
}

// both runs f on the source and g on the target at once.
func both[T any](ctx context.Context, f, g func(context.Context) (T, error)) (s, t T, serr, terr error) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t, terr = g(ctx)
	}()
	s, serr = f(ctx)
	wg.Wait()
	return
}

func (v *verifier) sums(ctx context.Context, tr *tableRun, r KeyRange) (s, t Digest, ok bool) {
	s, t, serr, terr := both(ctx,
		func(ctx context.Context) (Digest, error) { return v.src.Sum(ctx, tr.spec, r) },
		func(ctx context.Context) (Digest, error) { return v.dst.Sum(ctx, tr.spec, r) })
	if serr != nil {
		tr.fail(Source, "hash rows", serr)
		return s, t, false
	}
	if terr != nil {
		tr.fail(Target, "hash rows", terr)
		return s, t, false
	}
	return s, t, true
}

// chunk hashes one key range on both servers and, when the digests
// differ, looks for the rows that do.
func (v *verifier) chunk(ctx context.Context, tr *tableRun, r KeyRange, seq int) {
	if tr.failed() {
		return
	}
	s, t, ok := v.sums(ctx, tr, r)
	if !ok {
		return
	}
	tr.add(s, t)
	if s == t {
		return
	}
	tr.addRange(seq, r, s, t)
	v.bisect(ctx, tr, r, s, t, seq)
}

// bisect halves r, by the key of the middle row of the side that has more
// of them, until both sides hold at most leafRows, then compares the rows'
// digests by key.
func (v *verifier) bisect(ctx context.Context, tr *tableRun, r KeyRange, s, t Digest, seq int) {
	if tr.full(v.o.MaxKeys, seq) {
		tr.capped()
		return
	}
	if s.Rows <= leafRows && t.Rows <= leafRows {
		v.leaf(ctx, tr, r, seq)
		return
	}
	side, n, name := v.src, s.Rows, Source
	if t.Rows > s.Rows {
		side, n, name = v.dst, t.Rows, Target
	}
	mid, err := side.KeyAt(ctx, tr.spec, r, n/2-1)
	if err != nil {
		tr.fail(name, "bisect", err)
		return
	}
	if mid == nil {
		tr.fail(name, "bisect", errors.New("the range's rows changed while it was being compared"))
		return
	}
	for _, half := range []KeyRange{{After: r.After, Upto: mid}, {After: mid, Upto: r.Upto}} {
		hs, ht, ok := v.sums(ctx, tr, half)
		if !ok {
			return
		}
		if hs != ht {
			v.bisect(ctx, tr, half, hs, ht, seq)
		}
	}
}

// leaf compares the rows of a small range by key.
func (v *verifier) leaf(ctx context.Context, tr *tableRun, r KeyRange, seq int) {
	sr, trows, serr, terr := both(ctx,
		func(ctx context.Context) ([]RowDigest, error) { return v.src.Rows(ctx, tr.spec, r, leafRows+1) },
		func(ctx context.Context) ([]RowDigest, error) { return v.dst.Rows(ctx, tr.spec, r, leafRows+1) })
	if serr != nil {
		tr.fail(Source, "read row digests", serr)
		return
	}
	if terr != nil {
		tr.fail(Target, "read row digests", terr)
		return
	}
	// Both lists are in the same key order: walking them together names
	// the rows in that order, with no comparison of keys but equality
	// (when the heads differ, one of them is missing on the other side).
	inSrc, inDst := map[string]string{}, map[string]string{}
	for _, row := range sr {
		inSrc[keyString(row.Key)] = row.Sum
	}
	for _, row := range trows {
		inDst[keyString(row.Key)] = row.Sum
	}
	var diffs []RowDiff
	for i, j := 0, 0; i < len(sr) || j < len(trows); {
		var sk, tk string
		if i < len(sr) {
			sk = keyString(sr[i].Key)
		}
		if j < len(trows) {
			tk = keyString(trows[j].Key)
		}
		switch _, srcHasT := inSrc[tk]; {
		case i < len(sr) && j < len(trows) && sk == tk:
			if sr[i].Sum != trows[j].Sum {
				diffs = append(diffs, RowDiff{Kind: Changed, Key: sr[i].Key})
			}
			i, j = i+1, j+1
		case j < len(trows) && !srcHasT:
			diffs = append(diffs, RowDiff{Kind: OnlyAtTarget, Key: trows[j].Key})
			j++
		case i < len(sr):
			if _, ok := inDst[sk]; !ok {
				diffs = append(diffs, RowDiff{Kind: OnlyAtSource, Key: sr[i].Key})
			} else if inDst[sk] != sr[i].Sum {
				// Out of step (the orders disagree): still compared by key.
				diffs = append(diffs, RowDiff{Kind: Changed, Key: sr[i].Key})
			}
			i++
		default:
			j++
		}
	}
	for i := range diffs {
		if diffs[i].Kind != Changed || i >= v.o.MaxKeys {
			continue
		}
		diffs[i].Columns = v.changedColumns(ctx, tr, diffs[i].Key)
	}
	tr.addRows(seq, diffs...)
}

// changedColumns names the columns that differ in the row with key k;
// nil when it could not tell (the row changed meanwhile).
func (v *verifier) changedColumns(ctx context.Context, tr *tableRun, k Key) []string {
	sc, tc, serr, terr := both(ctx,
		func(ctx context.Context) ([]string, error) { return v.src.Columns(ctx, tr.spec, k) },
		func(ctx context.Context) ([]string, error) { return v.dst.Columns(ctx, tr.spec, k) })
	if serr != nil || terr != nil || len(sc) != len(tr.spec.Columns) || len(tc) != len(sc) {
		return nil
	}
	var cols []string
	for i, c := range tr.spec.Columns {
		if sc[i] != tc[i] {
			cols = append(cols, c)
		}
	}
	return cols
}

// keyString is a key as a map key: its texts, length-prefixed so that no
// two keys collide.
func keyString(k Key) string {
	var b strings.Builder
	for _, p := range k {
		fmt.Fprintf(&b, "%d:%s", len(p), p)
	}
	return b.String()
}

// keyless hashes a table without a primary key whole, in buckets of row
// digests sorted by digest: the multiset of its rows, duplicates counted,
// compared without any key. It is one full scan of each side, slower than
// chunks and not parallel within the table.
func (v *verifier) keyless(ctx context.Context, tr *tableRun) {
	// Buckets of about ChunkRows rows; 256 when the server has no
	// estimate (a table never analysed).
	digits := 0
	for n := tr.rowsEstimate; n > int64(v.o.ChunkRows) && digits < maxBucketDigits; n /= 16 {
		digits++
	}
	if tr.rowsEstimate < 0 {
		digits = 2
	}
	sb, tb, serr, terr := both(ctx,
		func(ctx context.Context) ([]Bucket, error) { return v.src.Buckets(ctx, tr.spec, digits) },
		func(ctx context.Context) ([]Bucket, error) { return v.dst.Buckets(ctx, tr.spec, digits) })
	if serr != nil {
		tr.fail(Source, "hash rows", serr)
		return
	}
	if terr != nil {
		tr.fail(Target, "hash rows", terr)
		return
	}
	dst := map[string]Digest{}
	for _, b := range tb {
		dst[b.Prefix] = b.Digest
		tr.res.TargetRows += b.Rows
	}
	var differ []string
	for _, b := range sb {
		tr.res.SourceRows += b.Rows
		if d, ok := dst[b.Prefix]; !ok || d != b.Digest {
			differ = append(differ, b.Prefix)
		}
		delete(dst, b.Prefix)
	}
	for p := range dst {
		differ = append(differ, p)
	}
	slices.Sort(differ)
	tr.res.Chunks = len(sb)
	for seq, p := range differ {
		if tr.full(v.o.MaxKeys, seq) {
			tr.capped()
			return
		}
		limit := 4*v.o.ChunkRows + 1
		sr, trows, serr, terr := both(ctx,
			func(ctx context.Context) ([]RowDigest, error) {
				return v.src.BucketRows(ctx, tr.spec, digits, p, limit)
			},
			func(ctx context.Context) ([]RowDigest, error) {
				return v.dst.BucketRows(ctx, tr.spec, digits, p, limit)
			})
		if serr != nil {
			tr.fail(Source, "read row digests", serr)
			return
		}
		if terr != nil {
			tr.fail(Target, "read row digests", terr)
			return
		}
		counts := map[string][2]int64{}
		var order []string
		for i, rows := range [][]RowDigest{sr, trows} {
			for _, r := range rows {
				c, seen := counts[r.Sum]
				if !seen {
					order = append(order, r.Sum)
				}
				c[i] += r.Count
				counts[r.Sum] = c
			}
		}
		slices.Sort(order)
		var diffs []RowDiff
		for _, sum := range order {
			c := counts[sum]
			switch {
			case c[0] == c[1]:
			case c[0] > c[1]:
				diffs = append(diffs, RowDiff{Kind: OnlyAtSource, Sum: sum, SourceCount: c[0], TargetCount: c[1]})
			default:
				diffs = append(diffs, RowDiff{Kind: OnlyAtTarget, Sum: sum, SourceCount: c[0], TargetCount: c[1]})
			}
		}
		tr.addRows(seq, diffs...)
	}
}

func (v *verifier) sequences(ctx context.Context) []SequenceResult {
	ss, ts, serr, terr := both(ctx, v.src.Sequences, v.dst.Sequences)
	var out []SequenceResult
	if serr != nil || terr != nil {
		side, err := Source, serr
		if serr == nil {
			side, err = Target, terr
		}
		if errors.Is(err, context.Canceled) {
			return nil
		}
		// The sequences are a whole: say which could not be read.
		for _, s := range ss {
			out = append(out, SequenceResult{Schema: s.Schema, Name: s.Name, Status: NotCompared, Error: fmt.Sprintf("%s: read sequences: %v", side, err)})
		}
		if len(out) == 0 {
			out = append(out, SequenceResult{Name: "(sequences)", Status: NotCompared, Error: fmt.Sprintf("%s: read sequences: %v", side, err)})
		}
		return out
	}
	dst := map[string]SequenceState{}
	for _, t := range ts {
		dst[t.QualifiedName()] = t
	}
	for _, s := range ss {
		res := SequenceResult{Schema: s.Schema, Name: s.Name, SourceState: s.State}
		t, ok := dst[s.QualifiedName()]
		delete(dst, s.QualifiedName())
		switch {
		case s.Err != nil:
			res.Status, res.Error = NotCompared, fmt.Sprintf("source: %v", s.Err)
		case !ok:
			res.Status, res.OnlyAt = Different, Source
			res.Source = &s.Next
		case t.Err != nil:
			res.Status, res.Error = NotCompared, fmt.Sprintf("target: %v", t.Err)
			res.Source = &s.Next
		default:
			res.Source, res.Target, res.TargetState = &s.Next, &t.Next, t.State
			behind := t.Next < s.Next
			if s.Increment < 0 {
				behind = t.Next > s.Next
			}
			res.Status = Identical
			if behind {
				res.Status = Different
			}
		}
		out = append(out, res)
	}
	// A sequence only the target has hurts nothing: not a difference.
	return out
}

func (v *verifier) largeObjects(ctx context.Context) LargeObjectsResult {
	sl, tl, serr, terr := both(ctx, v.src.LargeObjects, v.dst.LargeObjects)
	var res LargeObjectsResult
	switch {
	case serr != nil:
		res.Status, res.Error = NotCompared, fmt.Sprintf("source: read large objects: %v", serr)
		return res
	case terr != nil:
		res.Status, res.Error = NotCompared, fmt.Sprintf("target: read large objects: %v", terr)
		return res
	}
	res.Source, res.Target = len(sl), len(tl)
	dst := map[uint32]LargeObject{}
	for _, o := range tl {
		dst[o.OID] = o
	}
	for _, o := range sl {
		res.Bytes += o.Bytes
		t, ok := dst[o.OID]
		delete(dst, o.OID)
		switch {
		case !ok:
			res.Missing = append(res.Missing, o.OID)
		case t.Sum != o.Sum || t.Bytes != o.Bytes:
			res.Changed = append(res.Changed, o.OID)
		}
	}
	for _, o := range tl {
		if _, ok := dst[o.OID]; ok {
			res.Extra = append(res.Extra, o.OID)
		}
	}
	res.Status = Identical
	if len(res.Missing)+len(res.Extra)+len(res.Changed) > 0 {
		res.Status = Different
	}
	if res.Source == 0 && res.Target == 0 {
		res.Status = ""
	}
	return res
}

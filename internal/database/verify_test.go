package database_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/lang"
)

// memHasher is a server in memory whose tables have one integer key:
// the engine's logic (chunks, bisection, the cap, failing closed) without
// a server. The SQL is the engines' packages' to test, on real servers.
type memHasher struct {
	tables map[string]map[int]string
	// fail makes every Sum of that table fail.
	fail     string
	catErr   error
	sums     atomic.Int64
	keyless  map[string]bool
	seqs     []database.SequenceState
	seqErr   error
	objects  []database.LargeObject
	settings []string
}

var _ database.Hasher = (*memHasher)(nil)

func (m *memHasher) Catalog(ctx context.Context) (*database.VerifyCatalog, error) {
	if m.catErr != nil {
		return nil, m.catErr
	}
	c := &database.VerifyCatalog{Engine: database.PostgreSQL, Product: "Mem", Settings: m.settings}
	for name, rows := range m.tables {
		t := database.VerifyTable{Schema: "s", Name: name, Columns: []database.VerifyColumn{{Name: "id", Type: "int"}, {Name: "v", Type: "text"}}, Rows: int64(len(rows))}
		if !m.keyless[name] {
			t.Key, t.KeyCollations = []string{"id"}, []string{""}
		}
		c.Tables = append(c.Tables, t)
	}
	slices.SortFunc(c.Tables, func(a, b database.VerifyTable) int { return strings.Compare(a.Name, b.Name) })
	return c, nil
}

func (m *memHasher) keys(t database.TableSpec, r database.KeyRange) []int {
	var ks []int
	for k := range m.tables[t.Name] {
		if r.After != nil && k <= atoi(r.After[0]) || r.Upto != nil && k > atoi(r.Upto[0]) {
			continue
		}
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func digest(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

func (m *memHasher) row(t database.TableSpec, k int) string {
	return digest(strconv.Itoa(k) + "|" + m.tables[t.Name][k])
}

func (m *memHasher) KeyAt(ctx context.Context, t database.TableSpec, r database.KeyRange, offset int64) (database.Key, error) {
	ks := m.keys(t, r)
	if int(offset) >= len(ks) {
		return nil, nil
	}
	return database.Key{strconv.Itoa(ks[offset])}, nil
}

func (m *memHasher) Sum(ctx context.Context, t database.TableSpec, r database.KeyRange) (database.Digest, error) {
	m.sums.Add(1)
	if t.Name == m.fail {
		return database.Digest{}, errors.New("permission denied for table " + t.Name)
	}
	ks := m.keys(t, r)
	var b strings.Builder
	for _, k := range ks {
		b.WriteString(m.row(t, k))
	}
	if len(ks) == 0 {
		return database.Digest{}, nil
	}
	return database.Digest{Rows: int64(len(ks)), Sum: digest(b.String())}, nil
}

func (m *memHasher) Rows(ctx context.Context, t database.TableSpec, r database.KeyRange, limit int) ([]database.RowDigest, error) {
	var out []database.RowDigest
	for _, k := range m.keys(t, r) {
		if len(out) == limit {
			break
		}
		out = append(out, database.RowDigest{Key: database.Key{strconv.Itoa(k)}, Sum: m.row(t, k), Count: 1})
	}
	return out, nil
}

func (m *memHasher) Columns(ctx context.Context, t database.TableSpec, k database.Key) ([]string, error) {
	v, ok := m.tables[t.Name][atoi(k[0])]
	if !ok {
		return nil, nil
	}
	return []string{digest(k[0]), digest(v)}, nil
}

func (m *memHasher) Buckets(ctx context.Context, t database.TableSpec, digits int) ([]database.Bucket, error) {
	groups := map[string][]string{}
	for k := range m.tables[t.Name] {
		h := m.row(t, k)
		groups[h[:digits]] = append(groups[h[:digits]], h)
	}
	var out []database.Bucket
	for p, hs := range groups {
		slices.Sort(hs)
		out = append(out, database.Bucket{Prefix: p, Digest: database.Digest{Rows: int64(len(hs)), Sum: digest(strings.Join(hs, ""))}})
	}
	return out, nil
}

func (m *memHasher) BucketRows(ctx context.Context, t database.TableSpec, digits int, prefix string, limit int) ([]database.RowDigest, error) {
	var out []database.RowDigest
	for k := range m.tables[t.Name] {
		if h := m.row(t, k); strings.HasPrefix(h, prefix) {
			out = append(out, database.RowDigest{Sum: h, Count: 1})
		}
	}
	return out, nil
}

func (m *memHasher) Sequences(ctx context.Context) ([]database.SequenceState, error) {
	return m.seqs, m.seqErr
}

func (m *memHasher) LargeObjects(ctx context.Context) ([]database.LargeObject, error) {
	return m.objects, nil
}

func mem(tables map[string]int) *memHasher {
	m := &memHasher{tables: map[string]map[int]string{}, keyless: map[string]bool{}, settings: []string{"TimeZone=UTC"}}
	for name, n := range tables {
		rows := map[int]string{}
		for i := 1; i <= n; i++ {
			rows[i] = "v" + strconv.Itoa(i)
		}
		m.tables[name] = rows
	}
	return m
}

func runMem(t *testing.T, src, dst *memHasher, o database.VerifyOptions) *database.VerifyReport {
	t.Helper()
	rep, err := database.Verify(context.Background(), src, dst, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func result(t *testing.T, rep *database.VerifyReport, name string) database.TableResult {
	t.Helper()
	for _, r := range rep.Tables {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no table %s", name)
	return database.TableResult{}
}

func TestVerifyChunksAndBisection(t *testing.T) {
	src, dst := mem(map[string]int{"big": 25000, "small": 10}), mem(map[string]int{"big": 25000, "small": 10})
	o := database.VerifyOptions{ChunkRows: 1000, Parallel: 4, MaxKeys: 5}
	rep := runMem(t, src, dst, o)
	if rep.Verdict() != database.Identical || result(t, rep, "big").Chunks != 26 {
		t.Fatalf("verdict %s, chunks %d", rep.Verdict(), result(t, rep, "big").Chunks)
	}
	identicalSums := src.sums.Load()

	// One row changed deep in a chunk: found by halving, in a few sums.
	dst.tables["big"][12345] = "changed"
	src.sums.Store(0)
	rep = runMem(t, src, dst, o)
	big := result(t, rep, "big")
	if rep.Verdict() != database.Different || len(big.Rows) != 1 || big.Rows[0].Kind != database.Changed ||
		!slices.Equal(big.Rows[0].Columns, []string{"v"}) || big.Rows[0].Key[0] != "12345" {
		t.Fatalf("%+v", big)
	}
	if got := database.FormatRange(big.Key, big.Ranges[0].Range); got != "12000 < id ≤ 13000" {
		t.Errorf("range %q", got)
	}
	if extra := src.sums.Load() - identicalSums; extra > 6 {
		t.Errorf("%d sums more than an identical run: the chunk was not bisected", extra)
	}

	// 5,000 rows more at the target past the source's last key: the open
	// last range catches them; the cap stops the naming at 5.
	delete(dst.tables["big"], 12345)
	dst.tables["big"][12345] = "v12345"
	for i := 30001; i <= 35000; i++ {
		dst.tables["big"][i] = "x"
	}
	rep = runMem(t, src, dst, o)
	big = result(t, rep, "big")
	if len(big.Rows) != 5 || !big.Capped || big.Rows[0].Key[0] != "30001" || big.Rows[0].Kind != database.OnlyAtTarget || big.TargetRows != 30000 {
		t.Fatalf("%+v", big)
	}
	if got := database.FormatRange(big.Key, big.Ranges[0].Range); got != "id > 25000" {
		t.Errorf("range %q", got)
	}
}

func TestVerifyFailsClosedInMemory(t *testing.T) {
	t.Run("a table that cannot be read", func(t *testing.T) {
		src, dst := mem(map[string]int{"a": 10, "b": 10}), mem(map[string]int{"a": 10, "b": 10})
		src.fail = "b"
		rep := runMem(t, src, dst, database.VerifyOptions{})
		if b := result(t, rep, "b"); rep.Verdict() != database.NotCompared || b.Status != database.NotCompared || !strings.Contains(b.Error, "permission denied") || b.SourceRows != 0 {
			t.Fatalf("verdict %s, %+v", rep.Verdict(), b)
		}
		if got := rep.Summary(lang.English); got != "NOT VERIFIED: 1 table not compared (s.b); 1 table, 10 rows, 0 sequences, 0 large objects compared, identical" {
			t.Errorf("summary %q", got)
		}
	})
	t.Run("a difference beside it", func(t *testing.T) {
		src, dst := mem(map[string]int{"a": 10, "b": 10}), mem(map[string]int{"a": 11, "b": 10})
		src.fail = "b"
		rep := runMem(t, src, dst, database.VerifyOptions{})
		if got := rep.Summary(lang.English); rep.Verdict() != database.Different || got != "DIFFERENT: 1 table differs (s.a); 1 table, 10 rows, 0 sequences, 0 large objects compared; 1 table not compared (s.b)" {
			t.Errorf("verdict %s, summary %q", rep.Verdict(), got)
		}
	})
	t.Run("no tables", func(t *testing.T) {
		rep := runMem(t, mem(nil), mem(nil), database.VerifyOptions{})
		if rep.Verdict() != database.NotCompared || rep.Summary(lang.French) != "NON VÉRIFIÉ : aucune table comparée : la source n'en contient aucune" {
			t.Errorf("verdict %s, %q", rep.Verdict(), rep.Summary(lang.French))
		}
	})
	t.Run("sequences that cannot be read", func(t *testing.T) {
		src, dst := mem(map[string]int{"a": 1}), mem(map[string]int{"a": 1})
		dst.seqErr = errors.New("permission denied for schema s")
		src.seqs = []database.SequenceState{{Schema: "s", Name: "a_id_seq", Next: 2, Increment: 1}}
		rep := runMem(t, src, dst, database.VerifyOptions{})
		if rep.Verdict() != database.NotCompared || rep.Sequences[0].Status != database.NotCompared {
			t.Errorf("verdict %s, %+v", rep.Verdict(), rep.Sequences)
		}
	})
	t.Run("a catalog that cannot be read", func(t *testing.T) {
		src, dst := mem(map[string]int{"a": 1}), mem(nil)
		dst.catErr = errors.New("permission denied for schema pg_catalog")
		_, err := database.Verify(context.Background(), src, dst, database.VerifyOptions{})
		var se *database.SideError
		if !errors.As(err, &se) || se.Side != database.Target {
			t.Errorf("got %v, want the target's error", err)
		}
	})
}

func TestVerifySequencesAndKeyless(t *testing.T) {
	src, dst := mem(map[string]int{"log": 100}), mem(map[string]int{"log": 100})
	src.keyless["log"], dst.keyless["log"] = true, true
	src.seqs = []database.SequenceState{{Schema: "s", Name: "up", Next: 100, Increment: 1}, {Schema: "s", Name: "down", Next: -100, Increment: -1}, {Schema: "s", Name: "gone", Next: 1, Increment: 1}}
	dst.seqs = []database.SequenceState{{Schema: "s", Name: "up", Next: 99, Increment: 1}, {Schema: "s", Name: "down", Next: -101, Increment: -1}}
	dst.tables["log"][50] = "changed"
	rep := runMem(t, src, dst, database.VerifyOptions{})
	status := map[string]database.Status{}
	for _, s := range rep.Sequences {
		status[s.Name] = s.Status
	}
	if status["up"] != database.Different || status["down"] != database.Identical || status["gone"] != database.Different {
		t.Errorf("sequences %v", status)
	}
	log := result(t, rep, "log")
	if log.Method != "full-hash" || len(log.Rows) != 2 || log.Rows[0].Key != nil {
		t.Errorf("%+v", log)
	}
	var b bytes.Buffer
	for _, f := range []string{"text", "md", "json"} {
		b.Reset()
		if err := rep.Write(&b, f, lang.French); err != nil || !strings.Contains(b.String(), "DIFFÉRENT : 1 table, 2 séquences diffèrent") {
			t.Errorf("%s: %v\n%s", f, err, b.String())
		}
	}
}

func TestVerifyMessagesAreWhole(t *testing.T) {
	if err := database.VerifyMessages().Check(); err != nil {
		t.Error(err)
	}
}

// TestVerifyNamesTheFirstRowsInKeyOrder: with differences in every
// chunk, the rows named under the cap are the first ones by key, however
// the chunks' work interleaves.
func TestVerifyNamesTheFirstRowsInKeyOrder(t *testing.T) {
	src, dst := mem(map[string]int{"t": 10000}), mem(map[string]int{"t": 10000})
	for k := 500; k <= 10000; k += 500 {
		dst.tables["t"][k] = "changed"
	}
	for range 3 {
		rep := runMem(t, src, dst, database.VerifyOptions{ChunkRows: 1000, Parallel: 8, MaxKeys: 3})
		r := result(t, rep, "t")
		var got []string
		for _, row := range r.Rows {
			got = append(got, row.Key[0])
		}
		if !slices.Equal(got, []string{"500", "1000", "1500"}) || !r.Capped || len(r.Ranges) != 10 {
			t.Fatalf("rows %v, capped %v, ranges %d", got, r.Capped, len(r.Ranges))
		}
	}
}

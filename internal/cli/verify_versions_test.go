package cli_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/diff"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// writeVersions gives a versioned bucket a history: a has three versions
// and a delete marker between the second and the third, b was deleted, c
// has one version with metadata and tags.
func writeVersions(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	storetest.Put(t, st, "a", []byte("one"), store.Metadata{ContentType: "text/plain"})
	storetest.Put(t, st, "a", []byte("two"), store.Metadata{ContentType: "text/plain"})
	if err := st.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	storetest.Put(t, st, "a", []byte("three"), store.Metadata{ContentType: "text/plain", User: map[string]string{"k": "v"}})
	storetest.Put(t, st, "b", []byte("bee"), store.Metadata{})
	if err := st.Delete(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	storetest.Put(t, st, "dir/c", []byte("sea"), store.Metadata{CacheControl: "no-cache", Tags: map[string]string{"t": "1"}})
}

// replayHistory writes src's history to dst by hand, oldest first, as a
// history copy does: each version with its metadata and the source's
// version ID (diff.SourceVersionKey), each delete marker as a marker.
func replayHistory(t *testing.T, src, dst store.Store) {
	t.Helper()
	ctx := context.Background()
	sv, dv := src.(store.Versioned), dst.(store.Versioned)
	var listed []store.Version
	for v, err := range sv.Versions(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, v)
	}
	// Keys ascend and each key's entries are newest first: replay each
	// key's backwards.
	for i := 0; i < len(listed); {
		j := i
		for j < len(listed) && listed[j].Key == listed[i].Key {
			j++
		}
		h := slices.Clone(listed[i:j])
		slices.Reverse(h)
		for _, v := range h {
			if v.DeleteMarker {
				if _, err := dv.AddDeleteMarker(ctx, v.Key); err != nil {
					t.Fatal(err)
				}
				continue
			}
			info, err := sv.StatVersion(ctx, v.Key, v.VersionID)
			if err != nil {
				t.Fatal(err)
			}
			rc, _, err := src.Open(ctx, v.Key, store.ReadOptions{Length: -1, VersionID: v.VersionID})
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			meta := info.Meta.Clone()
			if meta.User == nil {
				meta.User = map[string]string{}
			}
			meta.User[diff.SourceVersionKey] = v.VersionID
			storetest.Put(t, dst, v.Key, b, meta)
		}
		i = j
	}
}

// verify --versions compares two MinIO buckets' histories entry by entry:
// identical after a faithful replay, not identical after one more
// destination version.
func TestVerifyVersionsMinIO(t *testing.T) {
	src, dst, _ := servers(t)
	sb, db := src.VersionedBucket(t), dst.VersionedBucket(t)
	ss, ds := src.Store(t, sb, ""), dst.Store(t, db, "")
	writeVersions(t, ss)
	replayHistory(t, ss, ds)
	args := []string{"verify", "--versions", "s3://" + sb, "s3://" + db, "--from-profile", "src", "--to-profile", "dst"}

	code, out, errs := sortie(t, append(args, "--exact")...)
	if code != 0 || !strings.Contains(out, "IDENTICAL: every key's history is at the destination") {
		t.Fatalf("verify --versions --exact of a faithful replay: exit %d, want 0\n%s%s", code, out, errs)
	}
	t.Logf("verify --versions:\n%s", out)
	for _, want := range []string{"keys         3\n", "versions     5  ", "identical    5  ", "markers      2  (2 in place)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	code, out, _ = sortie(t, append(args, "--json")...)
	rep := last(t, out)
	h, _ := rep["history"].(map[string]any)
	if nc, _ := rep["not_compared"].([]any); code != 0 || rep["identical"] != true || len(nc) != 0 ||
		h["keys"] != 3.0 || h["versions"] != 5.0 || h["delete_markers"] != 2.0 || h["delete_markers_verified"] != 2.0 {
		t.Errorf("--json: exit %d, report %v; want identical, nothing not compared, 3 keys, 5 versions, 2 markers", code, rep)
	}

	// One more version at the destination, as if written after the copy.
	extra := storetest.Put(t, ds, "a", []byte("four"), store.Metadata{ContentType: "text/plain", User: map[string]string{diff.SourceVersionKey: "elsewhere"}})
	code, out, errs = sortie(t, args...)
	want := "  mismatch  a: history differs: 5 entries (4 versions, 1 delete marker) at the destination, 4 entries (3 versions, 1 delete marker) at the source; the destination has 1 entry newer than the source's newest (#5 on)\n"
	if code != 1 || !strings.Contains(out, want) || !strings.Contains(out, "NOT IDENTICAL") {
		t.Fatalf("after a destination version %s was added: exit %d, want 1 and\n%s\ngot\n%s%s", extra.VersionID, code, want, out, errs)
	}
	if !strings.Contains(out, "next: sortie copy s3://"+sb+" s3://"+db+" --versions") {
		t.Errorf("no copy --versions hint in\n%s", out)
	}
	code, out, _ = sortie(t, append(args, "--json")...)
	rep = last(t, out)
	if ps, _ := rep["problems"].([]any); code != 1 || rep["identical"] != false || rep["mismatched"] != 1.0 || len(ps) != 1 {
		t.Errorf("--json after the extra version: exit %d, report %v", code, rep)
	}

	// A side without history is a usage error.
	code, _, errs = sortie(t, "verify", "--versions", "s3://"+sb, t.TempDir(), "--from-profile", "src")
	if code != 2 || !strings.Contains(errs, "keeps no object history") {
		t.Errorf("verify --versions into a directory: exit %d, want 2\n%s", code, errs)
	}
}

// Plain verify of a versioned source compares only the current objects,
// and says so: "identical except: history …", exit 0, and exit 1 under
// --exact, which promises that nothing was left out.
func TestVerifyNamesTheHistoryItDidNotCompare(t *testing.T) {
	src, dst, _ := servers(t)
	sb, db := src.VersionedBucket(t), dst.Bucket(t)
	writeVersions(t, src.Store(t, sb, ""))
	sides := []string{"s3://" + sb, "s3://" + db, "--from-profile", "src", "--to-profile", "dst"}
	if code, out, errs := sortie(t, append([]string{"copy"}, sides...)...); code != 0 {
		t.Fatalf("copy: exit %d\n%s%s", code, out, errs)
	}
	line := "identical except: history: 3 noncurrent versions and 2 delete markers at the source (pass --versions)\n"

	code, out, errs := sortie(t, append([]string{"verify"}, sides...)...)
	if code != 0 || !strings.Contains(out, line) || strings.Contains(out, "IDENTICAL") {
		t.Errorf("verify: exit %d, want 0 and %q, no IDENTICAL\n%s%s", code, line, out, errs)
	}
	t.Logf("verify:\n%s", out)

	code, out, errs = sortie(t, append([]string{"verify", "--exact"}, sides...)...)
	if code != 1 || !strings.Contains(out, line) || !strings.Contains(errs, "not proved identical") {
		t.Errorf("verify --exact: exit %d, want 1 and %q\n%s%s", code, line, out, errs)
	}
	t.Logf("verify --exact:\n%s%s", out, errs)

	for _, exact := range []bool{false, true} {
		args := append([]string{"verify", "--json"}, sides...)
		if exact {
			args = append(args, "--exact")
		}
		_, out, _ = sortie(t, args...)
		rep := last(t, out)
		nc, _ := rep["not_compared"].([]any)
		if rep["identical"] != !exact || len(nc) != 1 || nc[0] != strings.TrimPrefix(strings.TrimSuffix(line, "\n"), "identical except: ") {
			t.Errorf("verify --json (exact %v): identical %v, not_compared %q; want %v and the history line", exact, rep["identical"], nc, !exact)
		}
	}
}

package cli_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// plan --json prints one event per object, then the summary, as its --help
// says.
func TestPlanJSONPerObject(t *testing.T) {
	src, dst, _ := servers(t)
	sb, db := src.Bucket(t), dst.Bucket(t)
	ss, ds := src.Store(t, sb, ""), dst.Store(t, db, "")
	storetest.Put(t, ss, "new", []byte("new"), store.Metadata{})
	storetest.Put(t, ss, "same", []byte("same"), store.Metadata{})
	storetest.Put(t, ds, "same", []byte("same"), store.Metadata{})
	storetest.Put(t, ds, "gone", []byte("gone"), store.Metadata{})
	code, out, errs := sortie(t, "plan", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst", "--json")
	if code != 0 {
		t.Fatalf("plan: %d %s %s", code, out, errs)
	}
	lines := jsonLines(t, out)
	got := map[string]string{}
	for _, l := range lines[:len(lines)-1] {
		k, _ := l["key"].(string)
		ev, _ := l["event"].(string)
		got[k] = ev
	}
	want := map[string]string{"new": "would-copy", "same": "unchanged", "gone": "would-delete"}
	for k, ev := range want {
		if got[k] != ev {
			t.Errorf("event for %q: got %q, want %q\n%s", k, got[k], ev, out)
		}
	}
	if ev := lines[len(lines)-1]["event"]; ev != "plan" {
		t.Errorf("last line: got event %v, want plan", ev)
	}
}

// shellWords splits a command line as a POSIX shell does, for the quoting
// the hints use: single quotes, double quotes, backslashes, blanks.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				t.Fatalf("unterminated single quote in %q", line)
			}
			w.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte(`"\$`+"`", line[i+1]) >= 0 {
					i++
				}
				w.WriteByte(line[i])
			}
			if i == len(line) {
				t.Fatalf("unterminated double quote in %q", line)
			}
			inWord = true
		case c == '\\' && i+1 < len(line):
			i++
			w.WriteByte(line[i])
			inWord = true
		case strings.IndexByte("*?[]{}$`|&;<>()~#!", c) >= 0 && (c != '#' || !inWord):
			t.Fatalf("unquoted shell character %q in %q", c, line)
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// nextHint finds the "next:" line of a run's output and splits it.
func nextHint(t *testing.T, out string) []string {
	t.Helper()
	for l := range strings.Lines(out) {
		if h, ok := strings.CutPrefix(strings.TrimRight(l, "\n"), "next: "); ok {
			words := shellWords(t, h)
			if len(words) < 2 || words[0] != "sortie" {
				t.Fatalf("hint %q is not a sortie command", h)
			}
			return words
		}
	}
	t.Fatalf("no next: hint in\n%s", out)
	return nil
}

// Every "next:" hint is a command that runs as printed: it keeps the
// profiles, the filters and the prefixes of the run, quoted for a shell.
func TestHintsRunAsPrinted(t *testing.T) {
	src, dst, _ := servers(t)
	sb := src.Bucket(t)
	ss := src.Store(t, sb, "")
	storetest.Put(t, ss, "pre/a.txt", []byte("a"), store.Metadata{})
	storetest.Put(t, ss, "pre/it's here.txt", []byte("quoted"), store.Metadata{})
	storetest.Put(t, ss, "pre/skip.bin", []byte("not selected"), store.Metadata{})
	storetest.Put(t, ss, "elsewhere.txt", []byte("outside the prefix"), store.Metadata{})
	sel := []string{"--from-profile", "src", "--to-profile", "dst", "--include", "*.txt", "--exclude", "it's *"}
	srcURL := "s3://" + sb + "/pre/"

	// run runs a command, takes its hint, checks it and runs it.
	run := func(t *testing.T, wantCode int, wantHint []string, args ...string) []string {
		t.Helper()
		code, out, errs := sortie(t, args...)
		if code != wantCode {
			t.Fatalf("%q: exit %d, want %d\n%s%s", args, code, wantCode, out, errs)
		}
		h := nextHint(t, out)
		for _, w := range wantHint {
			if !slices.Contains(h, w) {
				t.Errorf("hint %q lacks %q", h, w)
			}
		}
		code, out, errs = sortie(t, h[1:]...)
		if code != 0 {
			t.Fatalf("hint %q: exit %d, want 0\n%s%s", h, code, out, errs)
		}
		return h
	}

	t.Run("plan into a missing bucket, then copy", func(t *testing.T) {
		db := dst.Bucket(t) + "-new"
		run(t, 0, []string{"copy", "--create-bucket", "*.txt", "it's *", "src", "dst"}, append([]string{"plan", srcURL, "s3://" + db + "/pre/"}, sel...)...)
	})
	t.Run("copy, then verify", func(t *testing.T) {
		db := dst.Bucket(t)
		run(t, 0, []string{"verify", "*.txt", "src", "dst"}, append([]string{"copy", srcURL, "s3://" + db + "/pre/"}, sel...)...)
	})
	t.Run("sync, then verify --exact", func(t *testing.T) {
		db := dst.Bucket(t)
		// An object the filters leave out: verify --exact must not count
		// it, which it would if the hint dropped them.
		storetest.Put(t, dst.Store(t, db, ""), "pre/kept.bin", []byte("not selected"), store.Metadata{})
		run(t, 0, []string{"verify", "--exact", "*.txt"}, append([]string{"sync", srcURL, "s3://" + db + "/pre/"}, sel...)...)
	})
	t.Run("verify not identical, then copy", func(t *testing.T) {
		db := dst.Bucket(t)
		run(t, 1, []string{"copy", "*.txt", "src", "dst"}, append([]string{"verify", srcURL, "s3://" + db + "/pre/"}, sel...)...)
	})
	t.Run("copy into a directory with a space", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a folder", "it's")
		h := run(t, 0, []string{"verify", dir}, "copy", srcURL, dir, "--from-profile", "src")
		if slices.Contains(h, "--to-profile") {
			t.Errorf("hint %q names a profile the run did not have", h)
		}
	})
}

// plan into a destination bucket that does not exist says so, once, and
// that copy needs --create-bucket; it still plans (exit 0), as a dry run.
func TestPlanMissingBucket(t *testing.T) {
	src, dst, _ := servers(t)
	sb := src.Bucket(t)
	storetest.Put(t, src.Store(t, sb, ""), "a", []byte("a"), store.Metadata{})
	db := dst.Bucket(t) + "-absent"
	code, out, errs := sortie(t, "plan", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst")
	if code != 0 {
		t.Fatalf("plan: exit %d, want 0\n%s%s", code, out, errs)
	}
	var notes []string
	for l := range strings.Lines(out) {
		if strings.Contains(l, "does not exist") {
			notes = append(notes, l)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], db) || !strings.Contains(notes[0], "--create-bucket") {
		t.Errorf("got notes %q, want one line naming %s and --create-bucket\n%s", notes, db, out)
	}
	code, out, errs = sortie(t, "plan", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst", "--json")
	if p := last(t, out); code != 0 || p["destination_missing"] != true {
		t.Errorf("plan --json: exit %d, destination_missing %v; want 0, true\n%s%s", code, p["destination_missing"], out, errs)
	}
	// Nothing was created.
	if err := dst.Store(t, db, "").Check(context.Background()); !errors.Is(err, store.ErrNoBucket) {
		t.Errorf("after plan, bucket check: got %v, want ErrNoBucket", err)
	}
}

// Without --versions, a versioned source makes plan, copy and verify say
// how much history they leave behind, in one line and in the JSON summary;
// an unversioned source says nothing.
func TestVersionedSourceLeftBehind(t *testing.T) {
	ctx := context.Background()
	src, dst, _ := servers(t)
	sb := src.VersionedBucket(t)
	ss := src.Store(t, sb, "")
	storetest.Put(t, ss, "a", []byte("first"), store.Metadata{})
	storetest.Put(t, ss, "a", []byte("second"), store.Metadata{})
	storetest.Put(t, ss, "b", []byte("deleted"), store.Metadata{})
	// b's version is noncurrent under its delete marker: 2 noncurrent
	// versions ("first", "deleted": 12 bytes) and 1 delete marker.
	if err := ss.Delete(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	// Left out by --exclude: its history is not counted.
	storetest.Put(t, ss, "skipped/c", []byte("one"), store.Metadata{})
	storetest.Put(t, ss, "skipped/c", []byte("two"), store.Metadata{})
	db := dst.Bucket(t)
	sides := []string{"s3://" + sb, "s3://" + db, "--from-profile", "src", "--to-profile", "dst", "--exclude", "skipped/**"}

	for _, cmd := range []string{"plan", "copy", "verify"} {
		t.Run(cmd, func(t *testing.T) {
			code, out, errs := sortie(t, append([]string{cmd}, sides...)...)
			if code != 0 {
				t.Fatalf("%s: exit %d\n%s%s", cmd, code, out, errs)
			}
			var notes []string
			for l := range strings.Lines(out) {
				if strings.Contains(l, "left behind") {
					notes = append(notes, l)
				}
			}
			if len(notes) != 1 || !strings.Contains(notes[0], "2 noncurrent versions (12 B)") || !strings.Contains(notes[0], "1 delete marker ") {
				t.Errorf("got %q, want one line with 2 noncurrent versions (12 B) and 1 delete marker\n%s", notes, out)
			}
			code, out, errs = sortie(t, append([]string{cmd, "--json"}, sides...)...)
			if code != 0 {
				t.Fatalf("%s --json: exit %d\n%s%s", cmd, code, out, errs)
			}
			lb, _ := last(t, out)["left_behind"].(map[string]any)
			if lb["known"] != true || lb["versioning"] != "Enabled" || lb["noncurrent_versions"] != 2.0 || lb["delete_markers"] != 1.0 || lb["noncurrent_bytes"] != 12.0 {
				t.Errorf("%s --json left_behind: got %v, want 2 noncurrent versions of 12 bytes and 1 delete marker", cmd, lb)
			}
		})
	}

	t.Run("unversioned", func(t *testing.T) {
		plain := src.Bucket(t)
		storetest.Put(t, src.Store(t, plain, ""), "a", []byte("a"), store.Metadata{})
		code, out, errs := sortie(t, "plan", "s3://"+plain, "s3://"+db, "--from-profile", "src", "--to-profile", "dst", "--json")
		if _, ok := last(t, out)["left_behind"]; code != 0 || ok {
			t.Errorf("plan of an unversioned source: exit %d, left_behind present %v; want 0, false\n%s%s", code, ok, out, errs)
		}
	})
}

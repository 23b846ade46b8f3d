package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/cli"
	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// sortie runs the command line in-process, as main does.
func sortie(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Main(context.Background(), args, &out, &errb, false)
	return code, out.String(), errb.String()
}

// servers starts (once per test binary) the two MinIO servers and the
// versitygw the tests share, and writes profiles for them.
func servers(t *testing.T) (src, dst, vgw *s3test.Server) {
	t.Helper()
	src = s3test.Shared(t, s3test.MinIO, "src")
	dst = s3test.Shared(t, s3test.MinIO, "dst")
	vgw = s3test.Shared(t, s3test.VersityGW, "vgw")
	s3test.WriteProfiles(t, map[string]*s3test.Server{"src": src, "dst": dst, "vgw": vgw})
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	return src, dst, vgw
}

func body(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed ^ byte(i*31+i/251)
	}
	return b
}

// multipart uploads b in parts of partSize.
func multipart(t *testing.T, st store.Store, key string, b []byte, partSize int, meta store.Metadata) {
	t.Helper()
	storetest.PutMultipart(t, st, key, b, partSize, meta)
}

// fidelity fills a bucket with everything the issue lists: hostile keys,
// every header, unicode user metadata, tags, zero-byte objects, a folder
// marker, a 1,024-byte key, multipart objects larger than the part size,
// a one-part multipart object (as mc pipe makes) and a large plain one.
func fidelity(t *testing.T, srv *s3test.Server, bucket string) {
	t.Helper()
	st := srv.Store(t, bucket, "")
	for i, k := range storetest.HostileKeys {
		storetest.Put(t, st, k, body(100+i, byte(i)), store.Metadata{ContentType: "application/octet-stream"})
	}
	storetest.Put(t, st, "meta/all-headers.txt", []byte("metadata, all of it\n"), store.Metadata{
		ContentType: "text/plain; charset=utf-8", ContentEncoding: "identity",
		ContentDisposition: `attachment; filename="rapport final.txt"`, ContentLanguage: "fr-CA",
		CacheControl: "private, max-age=600", Expires: "Fri, 01 Jan 2038 00:00:00 GMT",
		User: map[string]string{"owner": "lab-42", "titre": "Données d'été — café", "plain": "ascii"},
		Tags: map[string]string{"project": "exit", "classification": "internal use"},
	})
	storetest.Put(t, st, "zero-byte.bin", nil, store.Metadata{})
	storetest.Put(t, st, "folder/", nil, store.Metadata{ContentType: "application/x-directory"})
	storetest.Put(t, st, "folder/inside.txt", []byte("inside"), store.Metadata{})
	multipart(t, st, "large/multipart-3.bin", body(11<<20, 7), 5<<20, store.Metadata{ContentType: "application/x-hdf5", User: map[string]string{"run": "42"}})
	multipart(t, st, "large/mc-pipe-style.txt", []byte("tiny body uploaded as a one-part multipart upload\n"), 5<<20, store.Metadata{ContentType: "text/plain"})
	storetest.Put(t, st, "large/plain-12MiB.bin", body(12<<20, 9), store.Metadata{ContentType: "application/octet-stream"})
}

func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("stdout line is not JSON: %q", sc.Text())
		}
		lines = append(lines, m)
	}
	return lines
}

func last(t *testing.T, out string) map[string]any {
	t.Helper()
	l := jsonLines(t, out)
	if len(l) == 0 {
		t.Fatalf("no JSON on stdout")
	}
	return l[len(l)-1]
}

func TestCopyVerifyFidelityMinIO(t *testing.T) {
	src, dst, _ := servers(t)
	sb, db := src.Bucket(t), dst.Bucket(t)
	fidelity(t, src, sb)

	code, out, errs := sortie(t, "copy", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst", "--part-size", "5MiB", "--json")
	if code != 0 {
		t.Fatalf("copy exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	sum := last(t, out)
	want := float64(len(storetest.HostileKeys) + 7)
	if sum["copied"] != want || len(sum["failed"].([]any)) != 0 {
		t.Fatalf("summary %v, want %v copied", sum, want)
	}

	code, out, errs = sortie(t, "verify", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst", "--exact")
	if code != 0 || !strings.Contains(out, "IDENTICAL") {
		t.Fatalf("verify exit %d\n%s\n%s", code, out, errs)
	}

	// The source's part layout was mirrored: the ETags are equal.
	ss, ds := src.Store(t, sb, ""), dst.Store(t, db, "")
	for _, k := range []string{"large/multipart-3.bin", "large/mc-pipe-style.txt", "meta/all-headers.txt"} {
		si, err := ss.Stat(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		di, err := ds.Stat(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		if si.ETag != di.ETag {
			t.Errorf("%s: destination ETag %s, source %s", k, di.ETag, si.ETag)
		}
	}
	di, err := ds.Stat(context.Background(), "meta/all-headers.txt")
	if err != nil {
		t.Fatal(err)
	}
	if di.Meta.User["titre"] != "Données d'été — café" || di.Meta.Tags["classification"] != "internal use" || di.Meta.Expires == "" {
		t.Errorf("metadata not carried: %+v", di.Meta)
	}
	if ups, err := ds.ListUploads(context.Background(), ""); err != nil || len(ups) != 0 {
		t.Errorf("multipart uploads left at the destination: %v %v", ups, err)
	}

	// A second copy moves nothing.
	code, out, _ = sortie(t, "copy", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst", "--part-size", "5MiB", "--json")
	if s := last(t, out); code != 0 || s["copied"] != 0.0 || s["unchanged"] != want {
		t.Errorf("re-copy: exit %d summary %v", code, s)
	}
}

func TestSyncMovesOnlyChanges(t *testing.T) {
	src, dst, _ := servers(t)
	sb, db := src.Bucket(t), dst.Bucket(t)
	ss := src.Store(t, sb, "")
	for i := range 20 {
		storetest.Put(t, ss, fmt.Sprintf("docs/file-%02d.txt", i), body(1000+i, byte(i)), store.Metadata{})
	}
	args := []string{"s3://" + sb + "/docs", "s3://" + db + "/mirror", "--from-profile", "src", "--to-profile", "dst", "--json"}
	if code, out, errs := sortie(t, append([]string{"copy"}, args...)...); code != 0 {
		t.Fatalf("copy: %d %s %s", code, out, errs)
	}
	storetest.Put(t, ss, "docs/file-03.txt", []byte("changed"), store.Metadata{})
	storetest.Put(t, ss, "docs/new.txt", []byte("new"), store.Metadata{})
	ss.Delete(context.Background(), "docs/file-07.txt")
	ss.Delete(context.Background(), "docs/file-08.txt")

	code, out, _ := sortie(t, append([]string{"sync", "--max-delete", "1"}, args...)...)
	s := last(t, out)
	if code != 1 || s["deleted"] != 0.0 || s["delete_refused"] == nil || s["copied"] != 2.0 {
		t.Fatalf("--max-delete 1: exit %d, summary %v", code, s)
	}
	ds := dst.Store(t, db, "mirror")
	if _, err := ds.Stat(context.Background(), "file-07.txt"); err != nil {
		t.Fatal("max-delete refused, yet an object was deleted")
	}
	code, out, _ = sortie(t, append([]string{"sync"}, args...)...)
	s = last(t, out)
	if code != 0 || s["copied"] != 0.0 || s["deleted"] != 2.0 || s["unchanged"] != 19.0 {
		t.Fatalf("sync: exit %d, summary %v", code, s)
	}
	if code, out, _ := sortie(t, "verify", "--exact", args[0], args[1], "--from-profile", "src", "--to-profile", "dst"); code != 0 {
		t.Fatalf("verify after sync: %d\n%s", code, out)
	}
	// A dry run of a fresh sync changes nothing.
	storetest.Put(t, ss, "docs/dry.txt", []byte("dry"), store.Metadata{})
	code, out, _ = sortie(t, append([]string{"sync", "--dry-run"}, args...)...)
	if s := last(t, out); code != 0 || s["copied"] != 1.0 || s["dry_run"] != true {
		t.Fatalf("dry run: %d %v", code, s)
	}
	if _, err := ds.Stat(context.Background(), "dry.txt"); err == nil {
		t.Error("dry run wrote an object")
	}
}

func TestVerifyCatchesDamage(t *testing.T) {
	src, dst, _ := servers(t)
	sb, db := src.Bucket(t), dst.Bucket(t)
	ss, ds := src.Store(t, sb, ""), dst.Store(t, db, "")
	for _, k := range []string{"a.txt", "b.txt", "c.txt", "d.txt"} {
		storetest.Put(t, ss, k, []byte("original "+k), store.Metadata{ContentType: "text/plain"})
	}
	if code, out, errs := sortie(t, "copy", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst"); code != 0 {
		t.Fatalf("copy: %d %s %s", code, out, errs)
	}
	info, err := ds.Stat(context.Background(), "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Put(t, ds, "a.txt", []byte("originalXa.txt"), info.Meta) // one byte changed, same size
	ds.Delete(context.Background(), "b.txt")
	storetest.Put(t, ds, "extra.txt", []byte("?"), store.Metadata{})

	code, out, _ := sortie(t, "verify", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst", "--json")
	if code != 1 {
		t.Fatalf("verify exit %d, want 1\n%s", code, out)
	}
	rep := last(t, out)
	if rep["identical"] != false || rep["mismatched"] != 1.0 || rep["missing"] != 1.0 || rep["extra"] != 1.0 || rep["verified"] != 2.0 {
		t.Fatalf("report %v", rep)
	}
	kinds := map[string]string{}
	for _, p := range rep["problems"].([]any) {
		m := p.(map[string]any)
		kinds[m["key"].(string)] = m["kind"].(string)
	}
	if kinds["a.txt"] != "mismatch" || kinds["b.txt"] != "missing" || kinds["extra.txt"] != "extra" {
		t.Errorf("problems %v", kinds)
	}
	// copy repairs it; verify then passes (the extra object only fails --exact).
	if code, _, _ := sortie(t, "copy", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst"); code != 0 {
		t.Fatal("repairing copy failed")
	}
	if code, out, _ := sortie(t, "verify", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst"); code != 0 {
		t.Fatalf("verify after repair: %d\n%s", code, out)
	}
	if code, _, _ := sortie(t, "verify", "--exact", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst"); code != 1 {
		t.Error("verify --exact passed with an extra object")
	}
}

func TestCopyToVersityGW(t *testing.T) {
	src, _, vgw := servers(t)
	sb, vb := src.Bucket(t), vgw.Bucket(t)
	fidelity(t, src, sb)
	code, out, errs := sortie(t, "copy", "s3://"+sb, "s3://"+vb, "--from-profile", "src", "--to-profile", "vgw", "--part-size", "5MiB")
	if code != 0 {
		t.Fatalf("copy to versitygw: %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = sortie(t, "verify", "--exact", "s3://"+sb, "s3://"+vb, "--from-profile", "src", "--to-profile", "vgw")
	if code != 0 {
		t.Fatalf("verify versitygw: %d\n%s\n%s", code, out, errs)
	}
}

func TestFilesystemRoundTrip(t *testing.T) {
	src, dst, _ := servers(t)
	sb, back := src.Bucket(t), dst.Bucket(t)
	fidelity(t, src, sb)
	dir := filepath.Join(t.TempDir(), "export")

	code, out, errs := sortie(t, "copy", "s3://"+sb, dir, "--from-profile", "src", "--part-size", "5MiB")
	if code != 0 {
		t.Fatalf("copy to fs: %d\n%s\n%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "caf\u00e9.txt")); err != nil {
		t.Errorf("NFC key not a file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cafe\u0301.txt")); err != nil {
		t.Errorf("NFD key not a file: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "folder")); err != nil || !fi.IsDir() {
		t.Errorf("folder marker is not a directory: %v", err)
	}
	if code, out, errs := sortie(t, "verify", "--exact", "s3://"+sb, dir, "--from-profile", "src"); code != 0 {
		t.Fatalf("verify fs: %d\n%s\n%s", code, out, errs)
	}
	// A second copy to the folder moves nothing.
	code, out, _ = sortie(t, "copy", "s3://"+sb, dir, "--from-profile", "src", "--json")
	if s := last(t, out); code != 0 || s["copied"] != 0.0 {
		t.Errorf("re-copy to fs: %d %v", code, s)
	}
	// And back to S3, with the metadata kept in extended attributes.
	code, out, errs = sortie(t, "copy", "file://"+dir, "s3://"+back, "--to-profile", "dst", "--part-size", "5MiB")
	if code != 0 {
		t.Fatalf("copy fs to s3: %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := sortie(t, "verify", "--exact", "s3://"+sb, "s3://"+back, "--from-profile", "src", "--to-profile", "dst"); code != 0 {
		t.Fatalf("verify round trip: %d\n%s\n%s", code, out, errs)
	}
	// Corrupting a file on disk is caught: verify re-reads local files.
	p := filepath.Join(dir, "meta", "all-headers.txt")
	b, _ := os.ReadFile(p)
	b[0] ^= 1
	fi, _ := os.Stat(p)
	os.WriteFile(p, b, 0o644)
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	if code, out, _ := sortie(t, "verify", "s3://"+sb, dir, "--from-profile", "src"); code != 1 || !strings.Contains(out, "meta/all-headers.txt") {
		t.Errorf("verify missed a corrupted file: %d\n%s", code, out)
	}
}

func TestPlan(t *testing.T) {
	src, dst, _ := servers(t)
	sb := src.Bucket(t)
	ss := src.Store(t, sb, "")
	storetest.Put(t, ss, "a", body(1<<20, 1), store.Metadata{})
	storetest.Put(t, ss, "b", body(1<<20, 2), store.Metadata{})
	// The destination bucket does not exist yet: plan treats it as empty.
	code, out, errs := sortie(t, "plan", "s3://"+sb, "s3://not-created-yet", "--from-profile", "src", "--to-profile", "dst", "--json", "--egress-price-per-gb", "1024")
	if code != 0 {
		t.Fatalf("plan: %d %s %s", code, out, errs)
	}
	p := last(t, out)
	if p["copy_objects"] != 2.0 || p["copy_bytes"] != float64(2<<20) || p["egress_cost_usd"] != 2.0 {
		t.Errorf("plan %v", p)
	}
	_ = dst
}

// Each bad input: exit code 2 and one line on stderr that names the thing,
// never a panic or a stack trace.
func TestBadInput(t *testing.T) {
	src, dst, _ := servers(t)
	sb := src.Bucket(t)
	storetest.Put(t, src.Store(t, sb, ""), "x", []byte("x"), store.Metadata{})
	dir := t.TempDir()
	aFile := filepath.Join(dir, "a-file")
	os.WriteFile(aFile, []byte("x"), 0o644)

	// Profiles that are wrong in each way a real one can be.
	closed, err := s3test.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := os.Getenv("AWS_CONFIG_FILE")
	creds := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	f, _ := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(f, "\n[profile wrongkey]\nregion = us-east-1\nendpoint_url = %s\n\n[profile unreachable]\nregion = us-east-1\nendpoint_url = http://127.0.0.1:%d\n\n[profile nocreds]\nregion = us-east-1\nendpoint_url = %s\n", src.Endpoint, closed, src.Endpoint)
	f.Close()
	f, _ = os.OpenFile(creds, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(f, "\n[wrongkey]\naws_access_key_id = %s\naws_secret_access_key = not-the-secret\n\n[unreachable]\naws_access_key_id = a\naws_secret_access_key = b\n", src.AccessKey)
	f.Close()

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"malformed url", []string{"copy", "s3:/bucket", dir}, "write S3 locations as s3://"},
		{"unknown scheme", []string{"copy", "gs://bucket", dir}, "unsupported scheme"},
		{"no bucket", []string{"copy", "s3://", dir}, "no bucket name"},
		{"bad bucket name", []string{"verify", "s3://a", dir}, "3 to 63"},
		{"unknown profile", []string{"copy", "s3://" + sb, dir, "--from-profile", "nosuch"}, `AWS profile "nosuch" is not defined`},
		{"wrong credentials", []string{"copy", "s3://" + sb, dir, "--from-profile", "wrongkey"}, "rejected the credentials"},
		{"no credentials", []string{"copy", "s3://" + sb, dir, "--from-profile", "nocreds"}, "no usable AWS credentials"},
		{"unreachable endpoint", []string{"copy", "s3://" + sb, dir, "--from-profile", "unreachable"}, "connection refused"},
		{"missing source bucket", []string{"copy", "s3://no-such-bucket-here", dir, "--from-profile", "src"}, `bucket "no-such-bucket-here" does not exist`},
		{"missing destination bucket", []string{"copy", "s3://" + sb, "s3://no-such-dest-bucket", "--from-profile", "src", "--to-profile", "dst"}, "--create-bucket"},
		{"missing source directory", []string{"copy", filepath.Join(dir, "nope"), "s3://" + sb, "--to-profile", "src"}, "does not exist"},
		{"source is a file", []string{"verify", aFile, "s3://" + sb, "--to-profile", "src"}, "not a directory"},
		{"profile on a directory", []string{"copy", dir, "s3://" + sb, "--from-profile", "src"}, "applies to s3:// locations only"},
		{"overlap", []string{"sync", "s3://" + sb + "/a", "s3://" + sb + "/a/b", "--from-profile", "src", "--to-profile", "src"}, "overlap"},
		{"zero workers", []string{"copy", "s3://" + sb, dir, "--workers", "0"}, "--workers 0"},
		{"tiny part size", []string{"copy", "s3://" + sb, dir, "--part-size", "1KB"}, "--part-size"},
		{"bad bwlimit", []string{"copy", "s3://" + sb, dir, "--bwlimit", "fast"}, "--bwlimit"},
		{"bad glob", []string{"copy", "s3://" + sb, dir, "--include", "[oops"}, "not a valid glob"},
		{"unknown flag", []string{"copy", "s3://" + sb, dir, "--frobnicate"}, "unknown flag"},
		{"one argument", []string{"copy", "s3://" + sb}, "takes SRC and DST"},
		{"unknown command", []string{"teleport"}, "unknown command"},
		{"max-delete on copy", []string{"copy", "s3://" + sb, dir, "--max-delete", "3"}, "unknown flag"},
		{"no-work without coordinator", []string{"copy", "s3://" + sb, dir, "--no-work"}, "need --coordinator"},
		{"coordinator not a url", []string{"copy", "s3://" + sb, dir, "--coordinator", "pas une url"}, "not a PostgreSQL URL"},
		{"coordinator unreachable", []string{"copy", "s3://" + sb, dir, "--from-profile", "src", "--coordinator", fmt.Sprintf("postgres://sortie:s3cret@127.0.0.1:%d/sortie", closed)}, "connection refused"},
		{"coordinator with versions", []string{"copy", "s3://" + sb, dir, "--coordinator", "postgres://x@127.0.0.1/x", "--versions"}, "history copy runs on one machine"},
		{"coordinator with max-delete", []string{"sync", "s3://" + sb, dir, "--coordinator", "postgres://x@127.0.0.1/x", "--max-delete", "3"}, "--max-delete with --coordinator"},
		{"coordinator bad inventory", []string{"copy", "s3://" + sb, dir, "--coordinator", "postgres://x@127.0.0.1/x", "--inventory", "s3://b/not-a-manifest.csv"}, "--inventory"},
		{"worker without coordinator", []string{"worker"}, "needs --coordinator"},
		{"jobs of an unreachable coordinator", []string{"jobs", "--coordinator", fmt.Sprintf("postgres://sortie@127.0.0.1:%d/sortie", closed)}, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := sortie(t, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2\nstdout %s\nstderr %s", code, out, errs)
			}
			lines := strings.Split(strings.TrimRight(errs, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "sortie: ") {
				t.Errorf("stderr is not one line:\n%s", errs)
			}
			if !strings.Contains(errs, tc.want) {
				t.Errorf("stderr %q does not say %q", errs, tc.want)
			}
			if strings.Contains(errs, "goroutine") || strings.Contains(errs, "panic") {
				t.Errorf("stack trace on stderr:\n%s", errs)
			}
			if strings.Contains(errs, "s3cret") {
				t.Errorf("a password reached stderr: %s", errs)
			}
		})
	}
	_ = dst
	// Nothing was created by any of it.
	if ents, _ := os.ReadDir(dir); !slices.EqualFunc(ents, []os.DirEntry{nil}, func(a, b os.DirEntry) bool { return a.Name() == "a-file" }) {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("bad runs wrote into %s: %q", dir, names)
	}
}

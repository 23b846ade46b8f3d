package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// encServers are two MinIO servers with a KMS key and TLS (SSE-S3 and
// SSE-KMS need the one, SSE-C the other), and a versitygw over TLS, which
// answers SSE writes with 200 and stores them unencrypted.
func encServers(t *testing.T) (a, b, vgw *s3test.Server) {
	t.Helper()
	a = s3test.SharedWith(t, s3test.MinIO, "enc-a", s3test.Options{KMS: true, TLS: true})
	b = s3test.SharedWith(t, s3test.MinIO, "enc-b", s3test.Options{KMS: true, TLS: true})
	vgw = s3test.SharedWith(t, s3test.VersityGW, "enc-vgw", s3test.Options{TLS: true})
	s3test.WriteProfiles(t, map[string]*s3test.Server{"a": a, "b": b, "vgwtls": vgw})
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	return a, b, vgw
}

func encStore(t *testing.T, srv *s3test.Server, bucket string, enc s3store.Encryption) *s3store.Store {
	t.Helper()
	return srv.EncryptedStore(t, bucket, "", enc)
}

// Issue 12: objects encrypted at the source are written with --sse, each
// write confirmed by a HEAD; a destination that drops it is refused before
// anything moves; without --sse the loss report says they land unencrypted.
func TestCopySSE(t *testing.T) {
	ctx := context.Background()
	a, b, vgw := encServers(t)
	sb := a.Bucket(t)
	kms := encStore(t, a, sb, s3store.Encryption{Write: store.SSEKMS, KMSKeyID: a.KMSKey})
	storetest.Put(t, kms, "payroll.csv", []byte("name,amount\n"), store.Metadata{ContentType: "text/csv"})
	multipart(t, kms, "scans/big.tif", body(11<<20, 5), 5<<20, store.Metadata{})
	storetest.Put(t, a.Store(t, sb, ""), "public.txt", []byte("hello"), store.Metadata{})

	db := b.Bucket(t)
	code, out, errs := sortie(t, "copy", "s3://"+sb, "s3://"+db, "--from-profile", "a", "--to-profile", "b", "--sse", "AES256")
	if code != 0 {
		t.Fatalf("copy --sse: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "encryption: 2 objects stored encrypted at the source were written with AES256") {
		t.Errorf("loss report:\n%s", out)
	}
	for _, k := range []string{"payroll.csv", "scans/big.tif", "public.txt"} {
		if i, err := b.Store(t, db, "").Stat(ctx, k); err != nil || i.Encryption != store.SSEAES256 {
			t.Errorf("%s at the destination: encryption %q, %v", k, i.Encryption, err)
		}
	}
	if code, out, errs := sortie(t, "verify", "--exact", "s3://"+sb, "s3://"+db, "--from-profile", "a", "--to-profile", "b"); code != 0 {
		t.Errorf("verify: exit %d\n%s\n%s", code, out, errs)
	}

	// Without --sse, the report says the objects land unencrypted.
	plain := b.Bucket(t)
	code, out, _ = sortie(t, "copy", "s3://"+sb, "s3://"+plain, "--from-profile", "a", "--to-profile", "b")
	if code != 0 || !strings.Contains(out, "written without server-side encryption (pass --sse") {
		t.Errorf("copy without --sse: exit %d\n%s", code, out)
	}

	// versitygw answers SSE writes and stores them in the clear: refused.
	vb := vgw.Bucket(t)
	code, _, errs = sortie(t, "copy", "s3://"+sb, "s3://"+vb, "--from-profile", "a", "--to-profile", "vgwtls", "--sse", "AES256")
	if code != 2 || !strings.Contains(errs, "does not store them encrypted") {
		t.Errorf("copy --sse to versitygw: exit %d\n%s", code, errs)
	}
	if keys := storetest.Keys(t, vgw.Store(t, vb, "")); len(keys) != 0 {
		t.Errorf("refused copy wrote %q", keys)
	}
}

// Issue 12: SSE-C objects are read with the customer key from a file and
// written under a new one; verify reads both with their keys.
func TestCopySSEC(t *testing.T) {
	ctx := context.Background()
	a, b, _ := encServers(t)
	dir := t.TempDir()
	oldKey, newKey := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 32)
	oldFile, newFile := filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key")
	os.WriteFile(oldFile, oldKey, 0o600)
	os.WriteFile(newFile, []byte("CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\n"), 0o600) // base64 of newKey
	sb, db := a.Bucket(t), b.Bucket(t)
	src := encStore(t, a, sb, s3store.Encryption{CustomerKey: oldKey})
	storetest.Put(t, src, "clinic/records.db", body(300<<10, 1), store.Metadata{ContentType: "application/octet-stream"})
	multipart(t, src, "clinic/images.tar", body(11<<20, 2), 5<<20, store.Metadata{})

	args := []string{"s3://" + sb, "s3://" + db, "--from-profile", "a", "--to-profile", "b"}
	code, _, errs := sortie(t, append([]string{"copy"}, args...)...)
	if code == 0 {
		t.Errorf("copy of SSE-C objects without the key: exit %d, want a failure\n%s", code, errs)
	}
	code, out, errs := sortie(t, append([]string{"copy", "--sse-c-key-file", oldFile, "--dst-sse-c-key-file", newFile}, args...)...)
	if code != 0 {
		t.Fatalf("copy with keys: exit %d\n%s\n%s", code, out, errs)
	}
	dst := encStore(t, b, db, s3store.Encryption{CustomerKey: newKey})
	for _, k := range []string{"clinic/records.db", "clinic/images.tar"} {
		want, _ := storetest.ReadAll(t, src, k)
		got, info := storetest.ReadAll(t, dst, k)
		if !bytes.Equal(got, want) || info.Encryption != store.SSECustomer {
			t.Errorf("%s at the destination: %d bytes (want %d), encryption %q", k, len(got), len(want), info.Encryption)
		}
	}
	if _, err := encStore(t, b, db, s3store.Encryption{CustomerKey: oldKey}).Stat(ctx, "clinic/records.db"); err == nil {
		t.Error("the destination object opens with the source's key: not re-encrypted")
	}
	next := nextCommand(t, out)
	if code, vout, verrs := sortie(t, next...); code != 0 || !strings.Contains(vout, "IDENTICAL") {
		t.Errorf("%v: exit %d\n%s\n%s", next, code, vout, verrs)
	}
	bad := filepath.Join(dir, "short.key")
	os.WriteFile(bad, []byte("too short"), 0o600)
	code, _, errs = sortie(t, append([]string{"copy", "--sse-c-key-file", bad}, args...)...)
	if code != 2 || !strings.Contains(errs, "not a 256-bit key") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("short key: exit %d\n%s", code, errs)
	}
}

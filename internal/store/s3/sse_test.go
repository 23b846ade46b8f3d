package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// encStore opens bucket on srv with the given encryption.
func encStore(t *testing.T, srv *s3test.Server, bucket string, enc s3store.Encryption) *s3store.Store {
	t.Helper()
	return srv.EncryptedStore(t, bucket, "", enc)
}

// putMultipart writes body as a two-part upload (a 5 MiB part and the
// rest), the smallest layout every server takes.
func putMultipart(t *testing.T, st *s3store.Store, key string, body []byte) (store.Object, error) {
	t.Helper()
	ctx := context.Background()
	id, err := st.CreateMultipart(ctx, key, store.Metadata{}, "")
	if err != nil {
		t.Fatal(err)
	}
	var parts []store.Part
	for i, p := range [][]byte{body[:5<<20], body[5<<20:]} {
		sum := md5.Sum(p)
		etag, err := st.UploadPart(ctx, key, id, i+1, bytes.NewReader(p), int64(len(p)), sum[:])
		if err != nil {
			st.AbortMultipart(ctx, key, id)
			t.Fatalf("upload part %d: %v", i+1, err)
		}
		parts = append(parts, store.Part{Number: i + 1, ETag: etag, Size: int64(len(p))})
	}
	return st.CompleteMultipart(ctx, key, id, parts)
}

func bigBody() []byte { return bytes.Repeat([]byte("0123456789abcdef"), (5<<20+1000)/16) }

func put(st store.Store, key string, body []byte) (store.Object, error) {
	sum := md5.Sum(body)
	return st.Put(context.Background(), store.PutInput{Key: key, Body: bytes.NewReader(body), Size: int64(len(body)), MD5: sum[:]})
}

// SSE-S3 and SSE-KMS on MinIO with a KMS: whole objects and multipart
// uploads come back reported as encrypted the way they were written, and
// the probe passes and leaves nothing behind.
func TestServerSideEncryption(t *testing.T) {
	srv := s3test.SharedWith(t, s3test.MinIO, "kms", s3test.Options{KMS: true})
	ctx := context.Background()
	for _, enc := range []s3store.Encryption{
		{Write: store.SSEAES256},
		{Write: store.SSEKMS},
		{Write: store.SSEKMS, KMSKeyID: srv.KMSKey},
	} {
		t.Run(enc.String(), func(t *testing.T) {
			bucket := srv.Bucket(t)
			st := encStore(t, srv, bucket, enc)
			if _, err := put(st, "small", []byte("encrypted")); err != nil {
				t.Fatalf("put: %v", err)
			}
			if _, err := putMultipart(t, st, "big", bigBody()); err != nil {
				t.Fatalf("multipart: %v", err)
			}
			// A store that asks nothing still reads what the server
			// encrypts by itself, and reports it.
			plain := srv.Store(t, bucket, "")
			for _, key := range []string{"small", "big"} {
				info, err := plain.Stat(ctx, key)
				if err != nil || info.Encryption != enc.Write {
					t.Errorf("stat %s: encryption %q, %v; want %q", key, info.Encryption, err, enc.Write)
				}
				if want := enc.Write == store.SSEKMS; info.OpaqueETag != want {
					t.Errorf("stat %s: OpaqueETag %v, want %v", key, info.OpaqueETag, want)
				}
				r, oi, err := plain.Open(ctx, key, store.ReadOptions{Length: -1})
				if err != nil {
					t.Fatal(err)
				}
				n, err := io.Copy(io.Discard, r)
				r.Close()
				if err != nil || n != info.Size || oi.Encryption != enc.Write {
					t.Errorf("open %s: %d bytes, %v, encryption %q; want %d bytes, %q", key, n, err, oi.Encryption, info.Size, enc.Write)
				}
			}
			if err := st.ProbeEncryption(ctx); err != nil {
				t.Errorf("ProbeEncryption: %v", err)
			}
			if keys := storetest.Keys(t, plain); len(keys) != 2 {
				t.Errorf("keys after the probe = %q, want only big and small", keys)
			}
		})
	}
	t.Run("locked bucket with a default retention", func(t *testing.T) {
		// The probe must not be kept for the bucket's default period.
		st := encStore(t, srv, s3test.BucketName(), s3store.Encryption{Write: store.SSEAES256})
		spec := store.BucketSpec{Lock: store.BucketLock{Enabled: true, DefaultMode: store.LockCompliance, DefaultYears: 1}}
		if err := st.CreateBucketWith(ctx, spec); err != nil {
			t.Fatal(err)
		}
		if err := st.ProbeEncryption(ctx); err != nil {
			t.Fatalf("ProbeEncryption: %v", err)
		}
		if vs := storetest.Versions(t, st, ""); len(vs) != 0 {
			t.Errorf("the probe left %+v behind", vs)
		}
	})
	t.Run("versioned bucket", func(t *testing.T) {
		bucket := srv.VersionedBucket(t)
		if err := encStore(t, srv, bucket, s3store.Encryption{Write: store.SSEAES256}).ProbeEncryption(ctx); err != nil {
			t.Fatalf("ProbeEncryption: %v", err)
		}
		if vs := storetest.Versions(t, srv.Store(t, bucket, ""), ""); len(vs) != 0 {
			t.Errorf("the probe left %+v behind", vs)
		}
	})
}

// MinIO without a KMS refuses SSE-S3 outright (501): an error, not a
// silent plain write, and not one worth retrying.
func TestServerSideEncryptionWithoutKMS(t *testing.T) {
	srv := s3test.Shared(t, s3test.MinIO, "conformance")
	st := encStore(t, srv, srv.Bucket(t), s3store.Encryption{Write: store.SSEAES256})
	_, err := put(st, "k", []byte("x"))
	if err == nil || store.IsTransient(err) {
		t.Fatalf("put with SSE-S3 and no KMS: err = %v, want a permanent error", err)
	}
	t.Logf("minio: %v", err)
}

// versitygw answers writes that ask for SSE with 200 and keeps them
// unencrypted: Put, CompleteMultipart and ProbeEncryption say so with
// ErrNotEncrypted (not transient), and leave the written object alone.
func TestEncryptionNotApplied(t *testing.T) {
	for _, versioned := range []bool{false, true} {
		name := "plain"
		if versioned {
			name = "versioned"
		}
		t.Run(name, func(t *testing.T) {
			srv := s3test.SharedWith(t, s3test.VersityGW, "versioned", s3test.Options{Versioning: true})
			bucket := srv.Bucket(t)
			if versioned {
				bucket = srv.VersionedBucket(t)
			}
			ctx := context.Background()
			for _, enc := range []s3store.Encryption{{Write: store.SSEAES256}, {Write: store.SSEKMS}} {
				st := encStore(t, srv, bucket, enc)
				check := func(what string, err error) {
					t.Helper()
					if !errors.Is(err, store.ErrNotEncrypted) || store.IsTransient(err) {
						t.Errorf("%s with %s: err = %v, want ErrNotEncrypted, not transient", what, enc, err)
						return
					}
					if strings.Contains(err.Error(), "\n") {
						t.Errorf("%s: error is more than one line: %q", what, err)
					}
					t.Logf("versitygw: %v", err)
				}
				_, err := put(st, "small", []byte("not encrypted"))
				check("put", err)
				_, err = putMultipart(t, st, "big", bigBody())
				check("multipart", err)
				for _, key := range []string{"small", "big"} {
					if info, err := st.Stat(ctx, key); err != nil || info.Encryption != "" {
						t.Errorf("stat %s: encryption %q, %v; want the object left in place, unencrypted", key, info.Encryption, err)
					}
				}
				check("probe", st.ProbeEncryption(ctx))
			}
			var left []string
			for v, err := range srv.Store(t, bucket, "").Versions(ctx, "") {
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasPrefix(v.Key, ".sortie-probe-") {
					left = append(left, v.Key+" "+v.VersionID)
				}
			}
			if len(left) > 0 {
				t.Errorf("the probes left %q behind", left)
			}
		})
	}
	// SSE-C too, over TLS: versitygw takes the key, stores the body in
	// clear, and answers a HEAD with the key as if it were any object.
	t.Run("SSE-C", func(t *testing.T) {
		srv := s3test.SharedWith(t, s3test.VersityGW, "tls", s3test.Options{TLS: true})
		bucket := srv.Bucket(t)
		st := encStore(t, srv, bucket, s3store.Encryption{CustomerKey: newKey(t)})
		for what, err := range map[string]error{
			"put":   func() error { _, err := put(st, "small", []byte("x")); return err }(),
			"probe": st.ProbeEncryption(context.Background()),
		} {
			if !errors.Is(err, store.ErrNotEncrypted) {
				t.Errorf("%s with SSE-C: err = %v, want ErrNotEncrypted", what, err)
			}
		}
		if keys := storetest.Keys(t, srv.Store(t, bucket, "")); len(keys) != 1 || keys[0] != "small" {
			t.Errorf("keys = %q, want the put left in place and the probe gone", keys)
		}
	})
}

// checkSSECError checks that a read that lacked an SSE-C object's key
// failed for good, and said SSE-C might be why.
func checkSSECError(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil || store.IsTransient(err) || !strings.Contains(err.Error(), "SSE-C") {
		t.Errorf("%s: err = %v, want a permanent error that names SSE-C", what, err)
		return
	}
	t.Logf("minio, %s: %v", what, err)
}

func newKey(t *testing.T) []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// SSE-C on MinIO over TLS: what a store writes with its key it reads back
// with it, whole, by range and by part; a store without the key, or with
// another, cannot read it and says why.
func TestCustomerKey(t *testing.T) {
	srv := s3test.SharedWith(t, s3test.MinIO, "tls", s3test.Options{TLS: true})
	ctx := context.Background()
	bucket := srv.Bucket(t)
	key := newKey(t)
	st := encStore(t, srv, bucket, s3store.Encryption{CustomerKey: key})
	small := []byte("secret body")
	if _, err := put(st, "small", small); err != nil {
		t.Fatalf("put with SSE-C: %v", err)
	}
	big := bigBody()
	if _, err := putMultipart(t, st, "big", big); err != nil {
		t.Fatalf("multipart with SSE-C: %v", err)
	}
	for key, body := range map[string][]byte{"small": small, "big": big} {
		info, err := st.Stat(ctx, key)
		if err != nil || info.Encryption != store.SSECustomer || !info.OpaqueETag {
			t.Errorf("stat %s: encryption %q, opaque %v, %v; want %q, opaque", key, info.Encryption, info.OpaqueETag, err, store.SSECustomer)
		}
		r, oi, err := st.Open(ctx, key, store.ReadOptions{Length: -1})
		if err != nil {
			t.Fatalf("open %s with the key: %v", key, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, body) || oi.Encryption != store.SSECustomer {
			t.Errorf("open %s: %d bytes (%v), encryption %q; want the body back", key, len(got), err, oi.Encryption)
		}
	}
	r, info, err := st.Open(ctx, "big", store.ReadOptions{PartNumber: 2, Length: -1})
	if err != nil {
		t.Fatalf("open part 2 with the key: %v", err)
	}
	r.Close()
	if info.PartSize != 5<<20 {
		t.Errorf("part 2: PartSize %d, want %d", info.PartSize, 5<<20)
	}
	// The in-place metadata update reads and writes with the key.
	si, _ := st.Stat(ctx, "small")
	if _, err := st.UpdateMetadata(ctx, "small", si.ETag, store.Metadata{ContentType: "text/x-secret"}); err != nil {
		t.Errorf("update metadata with SSE-C: %v", err)
	}
	if err := st.ProbeEncryption(ctx); err != nil {
		t.Errorf("ProbeEncryption with SSE-C: %v", err)
	}
	// An object that is not SSE-C is read without the key.
	if _, err := put(srv.Store(t, bucket, ""), "plain", []byte("plain body")); err != nil {
		t.Fatal(err)
	}
	if info, err := st.Stat(ctx, "plain"); err != nil || info.Encryption != "" {
		t.Errorf("stat of a plain object with a key: encryption %q, %v; want none", info.Encryption, err)
	}
	if r, _, err := st.Open(ctx, "plain", store.ReadOptions{Length: -1}); err != nil {
		t.Errorf("open of a plain object with a key: %v", err)
	} else {
		r.Close()
	}

	for name, other := range map[string]*s3store.Store{
		"no key":      srv.Store(t, bucket, ""),
		"another key": encStore(t, srv, bucket, s3store.Encryption{CustomerKey: newKey(t)}),
	} {
		_, err := other.Stat(ctx, "small")
		checkSSECError(t, "stat with "+name, err)
		_, _, err = other.Open(ctx, "small", store.ReadOptions{Length: -1})
		checkSSECError(t, "open with "+name, err)
	}
}

// The key never shows, and impossible settings are refused at New.
func TestEncryptionConfig(t *testing.T) {
	key := bytes.Repeat([]byte{0xAB}, 32)
	if s := (s3store.Encryption{CustomerKey: key}).String(); strings.Contains(s, "q6ur") || strings.Contains(strings.ToLower(s), "abab") {
		t.Errorf("String() = %q shows the key", s)
	}
	for _, enc := range []s3store.Encryption{
		{Write: "aes256"},
		{Write: store.SSEAES256, KMSKeyID: "k"},
		{CustomerKey: key[:16]},
		{Write: store.SSEKMS, CustomerKey: key},
	} {
		_, err := s3store.New(context.Background(), s3store.Config{Bucket: "b", Encryption: enc})
		if err == nil {
			t.Errorf("New with %+v: no error", enc)
		} else if strings.Contains(err.Error(), "\xab") {
			t.Errorf("New with %s: the error shows the key", enc)
		}
	}
}

// The whole contract holds on stores that encrypt: SSE-S3 and SSE-KMS on
// MinIO with a KMS, and SSE-C on MinIO over TLS.
func TestConformanceEncrypted(t *testing.T) {
	kms := s3test.SharedWith(t, s3test.MinIO, "kms", s3test.Options{KMS: true})
	tls := s3test.SharedWith(t, s3test.MinIO, "tls", s3test.Options{TLS: true})
	for name, c := range map[string]struct {
		srv *s3test.Server
		enc s3store.Encryption
	}{
		"SSE-S3":  {kms, s3store.Encryption{Write: store.SSEAES256}},
		"SSE-KMS": {kms, s3store.Encryption{Write: store.SSEKMS}},
		"SSE-C":   {tls, s3store.Encryption{CustomerKey: bytes.Repeat([]byte{7}, 32)}},
	} {
		t.Run(name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store { return encStore(t, c.srv, c.srv.Bucket(t), c.enc) })
		})
	}
}

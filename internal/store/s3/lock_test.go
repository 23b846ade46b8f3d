package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/awsconfig"
	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// lockServer is the server lock tests share: versitygw keeps Object Lock
// only with --versioning-dir.
func lockServer(t *testing.T, kind string) *s3test.Server {
	return s3test.SharedWith(t, kind, "versioned", s3test.Options{Versioning: true})
}

// Retention and legal hold written with an object (Put, multipart, an
// in-place metadata update) read back from Stat, StatVersion and Open.
// COMPLIANCE versions cannot be removed before their date: theirs is a
// minute ahead, and the server's data goes with the test's temp dir.
func TestLockRoundTrip(t *testing.T) {
	for _, kind := range []string{s3test.MinIO, s3test.VersityGW} {
		t.Run(kind, func(t *testing.T) {
			srv := lockServer(t, kind)
			st := srv.Store(t, srv.LockedBucket(t), "")
			ctx := context.Background()
			soon := time.Now().Add(time.Minute).UTC().Truncate(time.Second)
			later := time.Now().Add(time.Hour).UTC().Truncate(time.Second)

			check := func(key string, want store.Lock) {
				t.Helper()
				info, err := st.Stat(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				if !info.Meta.Lock.Equal(want) {
					t.Errorf("stat %s: lock = %+v, want %+v", key, info.Meta.Lock, want)
				}
				if v, err := st.StatVersion(ctx, key, info.VersionID); err != nil || !v.Meta.Lock.Equal(want) {
					t.Errorf("stat version %s of %s: lock = %+v, %v; want %+v", info.VersionID, key, v.Meta.Lock, err, want)
				}
				r, oi, err := st.Open(ctx, key, store.ReadOptions{Length: -1})
				if err != nil {
					t.Fatal(err)
				}
				r.Close()
				switch {
				case kind == s3test.VersityGW && !oi.Meta.Lock.IsZero():
					t.Errorf("open %s: versitygw now reports the lock on GET (%+v): drop this case and lock.go's note", key, oi.Meta.Lock)
				case kind == s3test.VersityGW:
					// versitygw 1.8's GetObject sends no lock headers; its
					// HeadObject does.
				case !oi.Meta.Lock.Equal(want):
					t.Errorf("open %s: lock = %+v, want %+v", key, oi.Meta.Lock, want)
				}
			}

			gov := store.Lock{Mode: store.LockGovernance, RetainUntil: later, LegalHold: true}
			storetest.Put(t, st, "put", []byte("locked"), store.Metadata{ContentType: "text/plain", Lock: gov})
			check("put", gov)

			// Without Content-MD5 from the caller, the store computes it.
			body := []byte("no md5 given")
			if _, err := st.Put(ctx, store.PutInput{Key: "put-no-md5", Body: bytes.NewReader(body), Size: int64(len(body)), Meta: store.Metadata{Lock: gov}}); err != nil {
				t.Fatalf("put with a lock and no MD5: %v", err)
			}
			check("put-no-md5", gov)

			comp := store.Lock{Mode: store.LockCompliance, RetainUntil: soon}
			id, err := st.CreateMultipart(ctx, "multipart", store.Metadata{Lock: comp}, "")
			if err != nil {
				t.Fatal(err)
			}
			part := bytes.Repeat([]byte("p"), 1<<10)
			sum := md5.Sum(part)
			etag, err := st.UploadPart(ctx, "multipart", id, 1, bytes.NewReader(part), int64(len(part)), sum[:])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.CompleteMultipart(ctx, "multipart", id, []store.Part{{Number: 1, ETag: etag, Size: int64(len(part))}}); err != nil {
				t.Fatal(err)
			}
			check("multipart", comp)

			storetest.Put(t, st, "update", []byte("plain"), store.Metadata{})
			check("update", store.Lock{})
			hold := store.Lock{LegalHold: true}
			info, err := st.Stat(ctx, "update")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.UpdateMetadata(ctx, "update", info.ETag, store.Metadata{ContentType: "text/x-updated", Lock: hold}); err != nil {
				t.Fatalf("update metadata with a legal hold: %v", err)
			}
			check("update", hold)
		})
	}
}

// LockConfig tells a bucket with Object Lock from one without, which is
// not an error.
func TestLockConfig(t *testing.T) {
	for _, kind := range []string{s3test.MinIO, s3test.VersityGW} {
		t.Run(kind, func(t *testing.T) {
			srv := lockServer(t, kind)
			ctx := context.Background()
			for _, tc := range []struct {
				name   string
				bucket func(testing.TB) string
				want   bool
			}{
				{"locked", srv.LockedBucket, true},
				{"versioned", srv.VersionedBucket, false},
				{"plain", srv.Bucket, false},
			} {
				got, err := srv.Store(t, tc.bucket(t), "").LockConfig(ctx)
				if err != nil || got != (store.BucketLock{Enabled: tc.want}) {
					t.Errorf("%s bucket: LockConfig = %+v, %v; want Enabled %v and no default", tc.name, got, err, tc.want)
				}
			}
		})
	}
}

// ProbeLock passes where retention is enforced, fails with
// ErrLockNotEnforced on a bucket without Object Lock, and leaves no probe
// behind either way.
func TestProbeLock(t *testing.T) {
	for _, kind := range []string{s3test.MinIO, s3test.VersityGW} {
		t.Run(kind, func(t *testing.T) {
			srv := lockServer(t, kind)
			ctx := context.Background()
			for _, tc := range []struct {
				name   string
				bucket func(testing.TB) string
				prefix string
				ok     bool
			}{
				// versitygw 1.8 enforces retention but keeps it per key:
				// a newer version replaces the older one's.
				{"locked", srv.LockedBucket, "", kind == s3test.MinIO},
				{"locked with a prefix", srv.LockedBucket, "data", kind == s3test.MinIO},
				{"versioned", srv.VersionedBucket, "", false},
				{"plain", srv.Bucket, "", false},
			} {
				t.Run(tc.name, func(t *testing.T) {
					b := tc.bucket(t)
					st := srv.Store(t, b, tc.prefix)
					err := st.ProbeLock(ctx)
					switch {
					case tc.ok && err != nil:
						t.Errorf("ProbeLock = %v, want nil", err)
					case !tc.ok && !errors.Is(err, store.ErrLockNotEnforced):
						t.Errorf("ProbeLock = %v, want ErrLockNotEnforced", err)
					}
					if err != nil {
						t.Logf("%s: %v", kind, err)
						if strings.Contains(err.Error(), "\n") {
							t.Errorf("error is more than one line: %q", err)
						}
					}
					// The bucket's whole history, versioned or not.
					for v, err := range srv.Store(t, b, "").Versions(ctx, "") {
						if err != nil {
							t.Fatal(err)
						}
						t.Errorf("left behind: %+v", v)
					}
				})
			}
		})
	}
}

// A bucket created from a spec has the versioning and the default
// retention it asked for, as LockConfig reads them back.
func TestCreateBucketWith(t *testing.T) {
	for _, kind := range []string{s3test.MinIO, s3test.VersityGW} {
		t.Run(kind, func(t *testing.T) {
			srv := lockServer(t, kind)
			ctx := context.Background()
			for _, spec := range []store.BucketSpec{
				{},
				{Versioning: store.VersioningEnabled},
				{Lock: store.BucketLock{Enabled: true}},
				{Versioning: store.VersioningEnabled, Lock: store.BucketLock{Enabled: true, DefaultMode: store.LockGovernance, DefaultDays: 1}},
				{Versioning: store.VersioningEnabled, Lock: store.BucketLock{Enabled: true, DefaultMode: store.LockCompliance, DefaultYears: 1}},
			} {
				st := srv.Store(t, s3test.BucketName(), "")
				if err := st.CreateBucketWith(ctx, spec); err != nil {
					t.Fatalf("create bucket with %+v: %v", spec, err)
				}
				want := spec.Versioning
				if spec.Lock.Enabled {
					want = store.VersioningEnabled
				}
				if v, err := st.Versioning(ctx); err != nil || v != want {
					t.Errorf("spec %+v: versioning = %q, %v; want %q", spec, v, err, want)
				}
				if l, err := st.LockConfig(ctx); err != nil || l != spec.Lock {
					t.Errorf("spec %+v: LockConfig = %+v, %v; want %+v", spec, l, err, spec.Lock)
				}
				if spec.Lock.DefaultMode == store.LockGovernance {
					// A version written without retention gets the default:
					// on MinIO (as on AWS) it is stamped on the version;
					// versitygw 1.8 stamps nothing, and instead protects
					// every version until the configuration's own date
					// plus the default period.
					storetest.Put(t, st, "k", []byte("x"), store.Metadata{})
					info, err := st.Stat(ctx, "k")
					if err != nil {
						t.Fatal(err)
					}
					got := info.Meta.Lock
					switch {
					case kind == s3test.VersityGW && !got.IsZero():
						t.Errorf("versitygw now stamps the default retention on versions (%+v): update this test and lock.go's note", got)
					case kind == s3test.VersityGW:
					case got.Mode != store.LockGovernance || got.RetainUntil.Before(time.Now().Add(23*time.Hour)):
						t.Errorf("a version under the default retention: lock = %+v, want GOVERNANCE for a day", got)
					}
				}
			}
			// An existing bucket cannot be given Object Lock any more.
			st := srv.Store(t, srv.Bucket(t), "")
			if err := st.CreateBucketWith(ctx, store.BucketSpec{Lock: store.BucketLock{Enabled: true}}); err == nil {
				t.Error("an existing bucket without Object Lock was accepted as locked")
			} else {
				t.Logf("%s: %v", kind, err)
			}
			if err := st.CreateBucketWith(ctx, store.BucketSpec{}); err != nil {
				t.Errorf("an existing bucket: %v", err)
			}
		})
	}
}

// A store that takes retention headers and then deletes the version
// anyway (as SeaweedFS was seen to) fails the probe with
// ErrLockNotEnforced, and the probe still cleans up after itself.
func TestProbeLockNotEnforced(t *testing.T) {
	var mu sync.Mutex
	var deletes []string // the bypass header of each DELETE
	gone := false
	puts := 0
	var until string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPut:
			puts++
			if puts == 1 && r.Header.Get("x-amz-object-lock-mode") != "GOVERNANCE" || r.Header.Get("Content-MD5") == "" {
				http.Error(w, "the probe sent no retention or no Content-MD5", http.StatusTeapot)
				return
			}
			if puts == 1 {
				until = r.Header.Get("x-amz-object-lock-retain-until-date")
			}
			w.Header().Set("x-amz-version-id", fmt.Sprintf("v%d", puts))
			w.Header().Set("ETag", `"x"`)
		case r.Method == http.MethodHead && !gone:
			// The version keeps its retention: the store only fails to
			// enforce it.
			w.Header().Set("x-amz-object-lock-mode", "GOVERNANCE")
			w.Header().Set("x-amz-object-lock-retain-until-date", until)
			w.Header().Set("Content-Length", "25")
			w.Header().Set("ETag", `"x"`)
		case r.Method == http.MethodDelete:
			deletes = append(deletes, r.Header.Get("x-amz-bypass-governance-retention"))
			gone = true
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodHead && gone:
			w.WriteHeader(http.StatusNotFound)
		case r.Method == http.MethodGet && r.URL.Query().Has("versions"):
			w.Header().Set("Content-Type", "application/xml")
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult><Name>b</Name><IsTruncated>false</IsTruncated></ListVersionsResult>`)
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusTeapot)
		}
	}))
	t.Cleanup(srv.Close)
	st, err := s3store.New(context.Background(), s3store.Config{Bucket: "b", AWS: awsconfig.Options{Endpoint: srv.URL, AccessKey: "k", SecretKey: "s", Region: "us-east-1", MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	err = st.ProbeLock(context.Background())
	if !errors.Is(err, store.ErrLockNotEnforced) {
		t.Fatalf("ProbeLock = %v, want ErrLockNotEnforced", err)
	}
	t.Log(err)
	mu.Lock()
	defer mu.Unlock()
	if len(deletes) == 0 || deletes[0] != "" {
		t.Errorf("deletes (bypass header of each) = %q, want the first without a bypass", deletes)
	}
}

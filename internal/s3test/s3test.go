// Package s3test starts real S3 servers (MinIO, versitygw) on free loopback
// ports for integration tests, with random credentials, and stops them after.
//
// It does not install them: scripts/test does, at pinned versions, and says
// where through SORTIE_MINIO and SORTIE_VERSITYGW. A test that needs a server
// fails — it never skips — when the binary cannot be found, so a green suite
// always means the real servers were exercised.
//
// Options start a server as a test needs it: versioned (versitygw needs a
// flag for it), with a KMS key (MinIO refuses SSE-S3 and SSE-KMS without
// one), or over TLS with a certificate made for the run (MinIO refuses
// SSE-C over plain HTTP); Server.Config trusts that certificate.
package s3test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/awsconfig"
	"github.com/sortie-dev/sortie/internal/store"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
)

// Kinds of server.
const (
	MinIO     = "minio"
	VersityGW = "versitygw"
)

// Server is one running S3 server.
type Server struct {
	Kind      string
	Endpoint  string // http://127.0.0.1:PORT, https:// with Options.TLS
	AccessKey string
	SecretKey string
	Dir       string // where it keeps its data
	// CA is the PEM certificate of a server started with Options.TLS,
	// which its clients must trust (Config does); nil otherwise.
	CA []byte
	// KMSKey is the name of the key a server started with Options.KMS
	// encrypts with, the KMS key ID SSE-KMS writes may name.
	KMSKey string

	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

// Binary finds a server's executable: $SORTIE_<KIND>, then $PATH, then the
// cache directory scripts/test installs into.
func Binary(kind string) (string, error) {
	if p := os.Getenv("SORTIE_" + strings.ToUpper(kind)); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath(kind); err == nil {
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err == nil {
		p := filepath.Join(cache, "sortie-tools", kind, kind)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found: run scripts/test, which installs the pinned test servers, or set SORTIE_%s", kind, strings.ToUpper(kind))
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomString(n int) string {
	return strings.ToLower(rand.Text())[:n]
}

// Options are how a server is started.
type Options struct {
	// Versioning lets buckets be versioned: versitygw is started with
	// --versioning-dir, without which it refuses PutBucketVersioning and
	// Object Lock. MinIO versions any bucket without it.
	Versioning bool
	// KMS starts MinIO with a static KMS key (MINIO_KMS_SECRET_KEY),
	// without which it answers SSE-S3 and SSE-KMS writes with 501. Other
	// servers refuse the option.
	KMS bool
	// TLS serves HTTPS on 127.0.0.1 with a certificate made for the
	// server (Server.CA): MinIO accepts SSE-C only over TLS.
	TLS bool
}

// Start starts a server of the given kind with its data under dir.
func Start(kind, dir string) (*Server, error) {
	return StartWith(kind, dir, Options{})
}

// StartWith starts a server of the given kind with its data under dir, as
// opts says.
func StartWith(kind, dir string, opts Options) (*Server, error) {
	// Nothing in a test may reach beyond loopback: not even the SDK's
	// instance-metadata lookup.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	bin, err := Binary(kind)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range 3 { // a port found free can be taken before the server binds it
		s, err := start(kind, bin, dir, opts)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func start(kind, bin, dir string, opts Options) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if opts.TLS {
		scheme = "https"
	}
	s := &Server{
		Kind:      kind,
		Endpoint:  fmt.Sprintf("%s://127.0.0.1:%d", scheme, port),
		AccessKey: "sortie" + randomString(10),
		SecretKey: randomString(24),
		Dir:       filepath.Join(dir, fmt.Sprintf("%s-%d", kind, port)),
		done:      make(chan struct{}),
	}
	data := filepath.Join(s.Dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var certs string
	if opts.TLS {
		certs = filepath.Join(s.Dir, "certs")
		if s.CA, err = writeCert(certs); err != nil {
			return nil, err
		}
	}
	if opts.KMS && kind != MinIO {
		return nil, fmt.Errorf("%s: Options.KMS is for MinIO only", kind)
	}
	var cmd *exec.Cmd
	env := os.Environ()
	switch kind {
	case MinIO:
		console, err := FreePort()
		if err != nil {
			return nil, err
		}
		args := []string{"server", data, "--address", addr, "--console-address", fmt.Sprintf("127.0.0.1:%d", console), "--quiet"}
		if certs != "" {
			args = append(args, "--certs-dir", certs)
		}
		cmd = exec.Command(bin, args...)
		env = append(env, "MINIO_ROOT_USER="+s.AccessKey, "MINIO_ROOT_PASSWORD="+s.SecretKey,
			"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_PROMETHEUS_AUTH_TYPE=public")
		if opts.KMS {
			key := make([]byte, 32)
			rand.Read(key)
			s.KMSKey = "sortie-test-key"
			env = append(env, "MINIO_KMS_SECRET_KEY="+s.KMSKey+":"+base64.StdEncoding.EncodeToString(key))
		}
	case VersityGW:
		args := []string{"--port", addr}
		if certs != "" {
			args = append(args, "--cert", filepath.Join(certs, "public.crt"), "--key", filepath.Join(certs, "private.key"))
		}
		args = append(args, "posix")
		if opts.Versioning {
			versions := filepath.Join(s.Dir, "versions")
			if err := os.MkdirAll(versions, 0o755); err != nil {
				return nil, err
			}
			args = append(args, "--versioning-dir", versions)
		}
		cmd = exec.Command(bin, append(args, data)...)
		env = append(env, "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
	default:
		return nil, fmt.Errorf("unknown server kind %q", kind)
	}
	cmd.Env = env
	// The server dies with the test binary, even if the binary is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	logf, err := os.Create(filepath.Join(s.Dir, "server.log"))
	if err != nil {
		return nil, err
	}
	s.log = logf
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s.cmd = cmd
	go func() { cmd.Wait(); close(s.done) }()
	if err := s.waitReady(30 * time.Second); err != nil {
		s.Stop()
		tail, _ := os.ReadFile(logf.Name())
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return nil, fmt.Errorf("%s on %s: %w\n%s", kind, addr, err, tail)
	}
	return s, nil
}

func (s *Server) waitReady(timeout time.Duration) error {
	url := s.Endpoint + "/"
	if s.Kind == MinIO {
		url = s.Endpoint + "/minio/health/live"
	}
	client := &http.Client{Timeout: time.Second}
	if s.CA != nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(s.CA)
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return errors.New("server exited during start-up")
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if s.Kind != MinIO || resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %s", timeout)
}

// writeCert makes a self-signed certificate for 127.0.0.1 and localhost,
// valid for a day, and writes it where MinIO's --certs-dir looks
// (public.crt, private.key). It returns the certificate in PEM.
func writeCert(dir string) ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "sortie test server"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	crt := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, "public.crt"), crt, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "private.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}), 0o600); err != nil {
		return nil, err
	}
	return crt, nil
}

// Stop kills the server and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
	s.log.Close()
}

// Start starts a server for one test and stops it when the test ends.
func StartTB(tb testing.TB, kind string) *Server {
	tb.Helper()
	s, err := Start(kind, tb.TempDir())
	if err != nil {
		tb.Fatalf("start %s: %v", kind, err)
	}
	tb.Cleanup(s.Stop)
	return s
}

var (
	sharedMu  sync.Mutex
	shared    = map[string]*Server{}
	sharedTmp string
)

// Shared returns a server of the given kind and name that lives as long as
// the test binary, so that a package's tests share one start-up. Call
// StopShared from TestMain; the servers die with the binary in any case.
func Shared(tb testing.TB, kind, name string) *Server {
	tb.Helper()
	return SharedWith(tb, kind, name, Options{})
}

// SharedWith is Shared for a server started with opts. The name alone
// identifies a shared server: give servers started differently different
// names.
func SharedWith(tb testing.TB, kind, name string, opts Options) *Server {
	tb.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if s, ok := shared[kind+"/"+name]; ok {
		return s
	}
	if sharedTmp == "" {
		d, err := os.MkdirTemp("", "sortie-s3test-")
		if err != nil {
			tb.Fatal(err)
		}
		sharedTmp = d
	}
	s, err := StartWith(kind, sharedTmp, opts)
	if err != nil {
		tb.Fatalf("start %s: %v", kind, err)
	}
	shared[kind+"/"+name] = s
	return s
}

// StopShared stops the servers Shared started and removes their data.
func StopShared() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	for k, s := range shared {
		s.Stop()
		delete(shared, k)
	}
	if sharedTmp != "" {
		os.RemoveAll(sharedTmp)
		sharedTmp = ""
	}
}

// Main runs a package's tests and then stops the servers Shared started:
// call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// Config returns the store configuration that reaches bucket on s.
func (s *Server) Config(bucket, prefix string) s3store.Config {
	return s3store.Config{Bucket: bucket, Prefix: prefix, AWS: awsconfig.Options{Endpoint: s.Endpoint,
		AccessKey: s.AccessKey, SecretKey: s.SecretKey, Region: "us-east-1", CABundle: s.CA}}
}

// BucketName returns a fresh random bucket name, for a test that creates
// the bucket itself.
func BucketName() string { return "b-" + randomString(12) }

// Bucket creates a bucket with a fresh random name and returns the name.
func (s *Server) Bucket(tb testing.TB) string {
	tb.Helper()
	name := BucketName()
	st, err := s3store.New(context.Background(), s.Config(name, ""))
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.CreateBucket(context.Background()); err != nil {
		tb.Fatalf("create bucket on %s: %v", s.Kind, err)
	}
	return name
}

// VersionedBucket creates a bucket with a fresh random name and versioning
// enabled, and returns the name. On versitygw the server must have been
// started with Options.Versioning.
func (s *Server) VersionedBucket(tb testing.TB) string {
	tb.Helper()
	name := s.Bucket(tb)
	if err := s.Store(tb, name, "").SetVersioning(context.Background(), store.VersioningEnabled); err != nil {
		tb.Fatalf("enable versioning on %s: %v", s.Kind, err)
	}
	return name
}

// LockedBucket creates a bucket with a fresh random name and Object Lock
// enabled (and so versioning), and returns the name. On versitygw the
// server must have been started with Options.Versioning.
func (s *Server) LockedBucket(tb testing.TB) string {
	tb.Helper()
	name := BucketName()
	if err := s.Store(tb, name, "").CreateLockedBucket(context.Background()); err != nil {
		tb.Fatalf("create locked bucket on %s: %v", s.Kind, err)
	}
	return name
}

// Store opens bucket (and prefix) on s.
func (s *Server) Store(tb testing.TB, bucket, prefix string) *s3store.Store {
	return s.EncryptedStore(tb, bucket, prefix, s3store.Encryption{})
}

// EncryptedStore opens bucket (and prefix) on s, writing and reading with
// enc (server-side encryption, or an SSE-C key).
func (s *Server) EncryptedStore(tb testing.TB, bucket, prefix string, enc s3store.Encryption) *s3store.Store {
	tb.Helper()
	cfg := s.Config(bucket, prefix)
	cfg.Encryption = enc
	st, err := s3store.New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// ProfileFiles writes an AWS config file and credentials file into dir,
// with one profile per server (profile name → server), a server over TLS
// with its certificate as the profile's ca_bundle, and returns their paths.
// Benchmarks use it; tests use WriteProfiles.
func ProfileFiles(dir string, profiles map[string]*Server) (cfgPath, credsPath string, err error) {
	var cfg, creds strings.Builder
	for name, s := range profiles {
		fmt.Fprintf(&cfg, "[profile %s]\nregion = us-east-1\nendpoint_url = %s\n", name, s.Endpoint)
		if s.CA != nil {
			ca := filepath.Join(dir, name+".pem")
			if err := os.WriteFile(ca, s.CA, 0o600); err != nil {
				return "", "", err
			}
			fmt.Fprintf(&cfg, "ca_bundle = %s\n", ca)
		}
		cfg.WriteString("\n")
		fmt.Fprintf(&creds, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n", name, s.AccessKey, s.SecretKey)
	}
	cfgPath, credsPath = filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(credsPath, []byte(creds.String()), 0o600); err != nil {
		return "", "", err
	}
	return cfgPath, credsPath, nil
}

// WriteProfiles writes the files ProfileFiles writes and points
// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE at them for the rest of
// the test.
func WriteProfiles(tb testing.TB, profiles map[string]*Server) {
	tb.Helper()
	cfgPath, credsPath, err := ProfileFiles(tb.TempDir(), profiles)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Setenv("AWS_CONFIG_FILE", cfgPath)
	tb.Setenv("AWS_SHARED_CREDENTIALS_FILE", credsPath)
	tb.Setenv("AWS_PROFILE", "")
	tb.Setenv("AWS_ACCESS_KEY_ID", "")
	tb.Setenv("AWS_SECRET_ACCESS_KEY", "")
	tb.Setenv("AWS_ENDPOINT_URL", "")
	tb.Setenv("AWS_ENDPOINT_URL_S3", "")
	// An AWS_CA_BUNDLE in the environment (this machine's image sets one
	// to the system's) wins over a profile's ca_bundle, as in aws-cli.
	tb.Setenv("AWS_CA_BUNDLE", "")
	tb.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

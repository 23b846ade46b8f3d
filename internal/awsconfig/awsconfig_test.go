package awsconfig

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// isolate points the SDK at the given shared files and clears every other
// credential source, so that only what a test sets up is found.
func isolate(t *testing.T, configFile, credsFile string) {
	t.Helper()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", configFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credsFile)
}

// A credentials or config file that exists but cannot be read is reported
// as such, with its path, not as a missing profile or missing credentials
// (the SDK skips a file it cannot open, and fails on a directory with an
// error that names neither cause).
func TestUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	os.WriteFile(config, []byte("[profile aws]\nregion = eu-west-1\n"), 0o600)
	creds := filepath.Join(dir, "credentials")
	os.WriteFile(creds, []byte("[aws]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n"), 0o600)
	aDir := filepath.Join(dir, "a-directory")
	os.Mkdir(aDir, 0o700)
	noAccess := filepath.Join(dir, "mode-000")
	os.WriteFile(noAccess, []byte("[aws]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n"), 0o000)
	// A socket cannot be opened even by root (ENXIO), so the unreadable
	// case runs where CI runs as root and mode 000 does not bite.
	socket := filepath.Join(dir, "a-socket")
	l, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	for _, tc := range []struct {
		name          string
		config, creds string
		profile       string
		path, what    string
		rootCanRead   bool
	}{
		{"credentials file is a directory", config, aDir, "aws", aDir, "credentials", false},
		{"credentials file is a directory, default chain", config, aDir, "", aDir, "credentials", false},
		{"config file is a directory", aDir, creds, "aws", aDir, "config", false},
		{"credentials file mode 000", config, noAccess, "aws", noAccess, "credentials", true},
		{"credentials file that cannot be opened", config, socket, "aws", socket, "credentials", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.rootCanRead && os.Geteuid() == 0 {
				t.Skip("root reads a file of mode 000")
			}
			isolate(t, tc.config, tc.creds)
			_, err := Load(context.Background(), Options{Profile: tc.profile, Flag: "--from-profile"})
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != tc.path || fe.What != tc.what {
				t.Fatalf("Load: %v, want a FileError for the %s file %s", err, tc.what, tc.path)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.path) || !strings.Contains(msg, "check its permissions") || strings.Contains(msg, "--from-profile") {
				t.Errorf("message %q: want the path and \"check its permissions\", not a flag to pass", msg)
			}
		})
	}

	// Readable files load; a profile they do not define is still that.
	isolate(t, config, creds)
	if _, err := Load(context.Background(), Options{Profile: "aws"}); err != nil {
		t.Errorf("readable files: %v", err)
	}
	var pe *ProfileError
	if _, err := Load(context.Background(), Options{Profile: "nosuch"}); !errors.As(err, &pe) {
		t.Errorf("undefined profile: %v, want ProfileError", err)
	}
}

// The SDK's own warnings go to Options.Logger at debug level, or nowhere;
// never to the process's stderr. The warning here is the one a machine
// outside EC2 gets from the default chain: the metadata service refuses the
// IMDSv2 token and the SDK says it falls back to IMDSv1.
func TestSDKWarningsGoToTheLogger(t *testing.T) {
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		http.NotFound(w, r)
	}))
	defer imds.Close()
	dir := t.TempDir()
	isolate(t, filepath.Join(dir, "none"), filepath.Join(dir, "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)

	stderr := captureStderr(t)
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err := Load(context.Background(), Options{Logger: log})
	var ce *CredentialsError
	if !errors.As(err, &ce) {
		t.Fatalf("Load: %v, want a CredentialsError", err)
	}
	if !strings.Contains(logged.String(), "falling back to IMDSv1") || !strings.Contains(logged.String(), "level=DEBUG") {
		t.Errorf("logger got %q, want the SDK's IMDSv1 warning at debug level", logged.String())
	}
	// Without a logger the warning is dropped.
	if _, err := Load(context.Background(), Options{}); !errors.As(err, &ce) {
		t.Fatalf("Load without a logger: %v", err)
	}
	if got := stderr(); got != "" {
		t.Errorf("the SDK wrote to stderr: %q", got)
	}
}

// captureStderr sends os.Stderr to a file until the test ends; the returned
// function reads what was written so far.
func captureStderr(t *testing.T) func() string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = f
	t.Cleanup(func() { os.Stderr = saved; f.Close() })
	return func() string {
		b, _ := os.ReadFile(f.Name())
		return string(b)
	}
}

// Options.CABundle makes the SDK trust a server's certificate that the
// system does not: without it, the same request fails on the certificate.
func TestCABundle(t *testing.T) {
	isolate(t, filepath.Join(t.TempDir(), "none"), filepath.Join(t.TempDir(), "none"))
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><IsTruncated>false</IsTruncated></ListBucketResult>`))
	}))
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	list := func(o Options) error {
		t.Helper()
		cfg, err := Load(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		_, err = S3(cfg, "").ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("b")})
		return err
	}
	o := Options{Endpoint: srv.URL, AccessKey: "k", SecretKey: "s", Region: "us-east-1", MaxAttempts: 1}
	var unknown x509.UnknownAuthorityError
	if err := list(o); !errors.As(err, &unknown) {
		t.Errorf("without the bundle: err = %v, want an unknown-authority error", err)
	}
	o.CABundle = ca
	if err := list(o); err != nil {
		t.Errorf("with the bundle: %v", err)
	}
}

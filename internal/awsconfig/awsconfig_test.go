package awsconfig

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

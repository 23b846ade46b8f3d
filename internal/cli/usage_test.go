package cli_test

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// oneLine fails unless stderr is one "sortie: " line saying each of want.
func oneLine(t *testing.T, code int, errs string, want ...string) {
	t.Helper()
	if code != 2 {
		t.Errorf("exit %d, want 2; stderr %q", code, errs)
	}
	if strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "sortie: ") {
		t.Errorf("stderr is not one line: %q", errs)
	}
	for _, w := range want {
		if !strings.Contains(errs, w) {
			t.Errorf("stderr %q does not say %q", errs, w)
		}
	}
	if strings.Contains(errs, "RequestID") || strings.Contains(errs, "HostID") {
		t.Errorf("stderr carries a server's request IDs: %q", errs)
	}
}

// A bucket name no S3 bucket can have is refused before any request, in
// one line that names the bucket and the rule, on either side.
func TestUsageBucketNames(t *testing.T) {
	src, _, _ := servers(t)
	sb := src.Bucket(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"source like an IP address", []string{"copy", "s3://192.168.5.4", dir, "--from-profile", "src"}, []string{`"192.168.5.4"`, "IP address"}},
		{"source too short", []string{"copy", "s3://ab/x", dir, "--from-profile", "src"}, []string{`"ab"`, "3 to 63 characters"}},
		{"destination starts with a hyphen", []string{"copy", "s3://" + sb, "s3://-archive", "--from-profile", "src", "--to-profile", "dst"}, []string{`"-archive"`, "must begin with a letter or a digit"}},
		{"destination like an IP address", []string{"sync", "s3://" + sb, "s3://10.0.0.1", "--from-profile", "src", "--to-profile", "dst"}, []string{`"10.0.0.1"`, "IP address"}},
		{"destination too long", []string{"copy", "s3://" + sb, "s3://" + strings.Repeat("b", 256), "--from-profile", "src", "--to-profile", "dst"}, []string{"is 256 characters", "3 to 63"}},
		{"destination upper case", []string{"copy", "s3://" + sb, "s3://My_Archive", "--from-profile", "src", "--to-profile", "dst", "--create-bucket"}, []string{`"My_Archive"`, "lower case"}},
		{"destination two periods", []string{"sync", "s3://" + sb, "s3://my..archive", "--from-profile", "src", "--to-profile", "dst"}, []string{`"my..archive"`, "two adjacent periods"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := sortie(t, tc.args...)
			oneLine(t, code, errs, tc.want...)
			if strings.Contains(errs, "api error") {
				t.Errorf("the server's error, not sortie's: %q", errs)
			}
		})
	}
}

// A credentials file that cannot be read is reported as that, with its
// path: not as missing credentials, nor a profile to pass.
func TestUsageUnreadableCredentials(t *testing.T) {
	src, _, _ := servers(t)
	sb := src.Bucket(t)
	storetest.Put(t, src.Store(t, sb, ""), "a", []byte("a"), store.Metadata{})
	notAFile := filepath.Join(t.TempDir(), "credentials")
	os.Mkdir(notAFile, 0o700)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", notAFile)
	for _, args := range [][]string{
		{"copy", "s3://" + sb, t.TempDir(), "--from-profile", "src"},
		{"verify", "s3://" + sb, t.TempDir(), "--from-profile", "src"},
		{"cleanup", "s3://" + sb, "--profile", "src"},
	} {
		code, _, errs := sortie(t, args...)
		oneLine(t, code, errs, notAFile, "check its permissions")
		if strings.Contains(errs, "pass --") || strings.Contains(errs, "no usable AWS credentials") {
			t.Errorf("sortie %s: %q blames the credentials, not the file", args[0], errs)
		}
	}
}

// The SDK's warnings never reach the terminal. The one here is what the
// default chain says on a machine whose metadata service refuses IMDSv2
// tokens; the SDK writes it to the process's stderr unless given a logger.
func TestUsageNoSDKWarnings(t *testing.T) {
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			w.WriteHeader(http.StatusForbidden) // no IMDSv2 token
			return
		}
		http.NotFound(w, r)
	}))
	defer imds.Close()
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, nil, 0o600)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	t.Setenv("XDG_STATE_HOME", t.TempDir())

	// The SDK's default logger writes to os.Stderr itself, not to the
	// writer Main is given: look there too.
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = f
	code, _, errs := sortie(t, "copy", "s3://archive", t.TempDir())
	os.Stderr = saved
	f.Close()
	direct, _ := os.ReadFile(f.Name())

	oneLine(t, code, errs, "no usable AWS credentials")
	if len(direct) != 0 || strings.Contains(errs, "WARN") {
		t.Errorf("SDK output reached the terminal: %q %q", direct, errs)
	}
}

// The examples under "Using it" in the README run as written after its
// build command: the binary they call is the one it builds, on PATH, and
// each command and flag exists.
func TestUsageReadmeExamples(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Using it\n")
	if !ok {
		t.Fatal(`README has no "## Using it" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	_, block, ok := strings.Cut(section, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	if !ok {
		t.Fatal("no sh block under Using it")
	}
	output := regexp.MustCompile(`go build -o (\S+) \./cmd/sortie`)
	var built string
	onPath := false
	calls := 0
	sc := bufio.NewScanner(strings.NewReader(block))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if m := output.FindStringSubmatch(line); m != nil {
			built = m[1]
			onPath = !strings.Contains(built, "/") && regexp.MustCompile(`export PATH="?\$PWD:\$PATH"?`).MatchString(line)
			continue
		}
		if len(fields) == 0 {
			continue
		}
		calls++
		switch {
		case built == "":
			t.Fatalf("%q comes before the build command", line)
		case fields[0] == built && onPath, fields[0] == "./"+built:
		default:
			t.Errorf("%q calls %s, but the build writes ./%s%s", line, fields[0], built, map[bool]string{true: " and puts it on PATH"}[onPath])
		}
		// --help after the example's own arguments: cobra parses every
		// flag first, so an unknown one is exit 2.
		if code, _, errs := sortie(t, append(fields[1:], "--help")...); code != 0 {
			t.Errorf("%q: exit %d: %s", line, code, errs)
		}
	}
	if calls == 0 {
		t.Error("no examples under Using it")
	}
}

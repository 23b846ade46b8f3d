package tofutest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Region is the OS_REGION_NAME commands run with (Keystone's default
// region's name), so a plan's resources have it as their region.
const Region = "RegionOne"

// Tofu runs one test's tofu commands. Find makes it; it is not safe for use
// by several goroutines at once.
type Tofu struct {
	// Bin is the tofu binary, Mirror the filesystem mirror that holds the
	// OpenStack provider.
	Bin, Mirror string
	// Env is added, KEY=VALUE, to every command's environment after the
	// defaults, so it can set TF_VAR_name or OS_REGION_NAME; it must not
	// name a real cloud.
	Env []string

	base     string // the test's own directory: HOME, CLI config, data, plans
	keystone *sentinel
	plans    int
}

// Find returns a Tofu for tb: the binary in SORTIE_TOFU and the mirror in
// SORTIE_TOFU_MIRROR, else where scripts/test builds them in the tools
// cache. It fails tb when either is missing.
func Find(tb testing.TB) *Tofu {
	tb.Helper()
	cache, _ := os.UserCacheDir() // on Linux, what scripts/tools.sh uses
	bin := lookup("SORTIE_TOFU", filepath.Join(cache, "sortie-tools", "opentofu", "tofu"))
	mirror := lookup("SORTIE_TOFU_MIRROR", filepath.Join(cache, "sortie-tools", "openstack-mirror"))
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		tb.Fatalf("tofutest: no OpenTofu at %s (SORTIE_TOFU): run ./scripts/test, which builds it into the tools cache", bin)
	}
	pattern := filepath.Join(mirror, "registry.opentofu.org", "terraform-provider-openstack", "openstack", "*", runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-openstack_v*")
	if found, _ := filepath.Glob(pattern); len(found) == 0 {
		tb.Fatalf("tofutest: no OpenStack provider in the mirror %s (SORTIE_TOFU_MIRROR): run ./scripts/test, which builds it into the tools cache", mirror)
	}

	base := tb.TempDir()
	for _, d := range []string{"home", "tmp", "data", "plans"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	// The CLI config is HCL 1; strconv.Quote's escapes are valid there.
	rc := "disable_checkpoint = true\n" +
		"provider_installation {\n" +
		"  filesystem_mirror {\n" +
		"    path    = " + strconv.Quote(mirror) + "\n" +
		"    include = [\"registry.opentofu.org/*/*\"]\n" +
		"  }\n" +
		"}\n"
	if err := os.WriteFile(filepath.Join(base, "tofurc"), []byte(rc), 0o644); err != nil {
		tb.Fatal(err)
	}
	keystone, err := listen()
	if err != nil {
		tb.Fatalf("tofutest: listen on loopback for OS_AUTH_URL: %v", err)
	}
	tb.Cleanup(keystone.close)
	return &Tofu{Bin: bin, Mirror: mirror, base: base, keystone: keystone}
}

func lookup(env, def string) string {
	if p := os.Getenv(env); p != "" {
		return p
	}
	return def
}

// CopyModule copies the module directory src (and everything under it)
// into a new directory of tb's, and returns it: tofu init writes
// .terraform.lock.hcl next to the module, which must not happen under
// testdata.
func CopyModule(tb testing.TB, src string) string {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), filepath.Base(src))
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		tb.Fatalf("tofutest: copy module %s: %v", src, err)
	}
	return dst
}

// Init runs tofu init in dir, installing providers from the mirror only.
// Like tofu, it writes dir/.terraform.lock.hcl; the rest (.terraform) goes
// to the test's own data directory for dir.
func (tf *Tofu) Init(tb testing.TB, dir string) {
	tb.Helper()
	tf.run(tb, dir, nil, "init", "-input=false", "-no-color")
}

// Validate runs tofu validate in dir, which Init must have prepared, and
// fails tb if the module is invalid. It returns the warnings, one line
// each ("summary: detail"), for a test to refuse.
func (tf *Tofu) Validate(tb testing.TB, dir string) (warnings []string) {
	tb.Helper()
	out := tf.run(tb, dir, diagnostics, "validate", "-json", "-no-color")
	var v validation
	if err := json.Unmarshal(out, &v); err != nil {
		tb.Fatalf("tofutest: tofu validate -json in %s: %v\n%s", dir, err, out)
	}
	for _, d := range v.Diagnostics {
		if d.Severity == "warning" {
			warnings = append(warnings, d.String())
		}
	}
	return warnings
}

// validation is tofu validate -json's output.
type validation struct {
	Diagnostics []diagnostic
}

type diagnostic struct {
	Severity, Summary, Detail string
	Range                     *struct {
		Filename string
		Start    struct{ Line int }
	}
}

// String is the diagnostic on one line: "main.tf:12: summary: detail".
func (d diagnostic) String() string {
	s := d.Summary
	if d.Detail != "" {
		s += ": " + strings.Join(strings.Fields(d.Detail), " ")
	}
	if d.Range != nil {
		s = fmt.Sprintf("%s:%d: %s", d.Range.Filename, d.Range.Start.Line, s)
	}
	return s
}

// diagnostics renders validate -json's output for a failure message: one
// line per diagnostic, or the output itself if it is not that JSON.
func diagnostics(out []byte) string {
	var v validation
	if json.Unmarshal(out, &v) != nil {
		return string(out)
	}
	var b strings.Builder
	for _, d := range v.Diagnostics {
		fmt.Fprintf(&b, "%s: %s\n", d.Severity, d)
	}
	return b.String()
}

// Plan runs tofu plan in dir (prepared by Init) with args, such as
// -var-file=FILE, saves the plan outside dir, and returns tofu show -json
// of it. terraform.tfvars in dir is read, as tofu always does.
func (tf *Tofu) Plan(tb testing.TB, dir string, args ...string) *Plan {
	tb.Helper()
	tf.plans++
	file := filepath.Join(tf.base, "plans", fmt.Sprintf("%d.tfplan", tf.plans))
	// -lock=false: a plan writes no state, so there is nothing to lock, and
	// the lock would be a file in dir.
	tf.run(tb, dir, nil, append([]string{"plan", "-input=false", "-no-color", "-lock=false", "-out=" + file}, args...)...)
	out := tf.run(tb, dir, nil, "show", "-json", "-no-color", file)
	p, err := decodePlan(out)
	if err != nil {
		tb.Fatalf("tofutest: tofu show -json of the plan in %s: %v", dir, err)
	}
	return p
}

// Test runs tofu test in dir (prepared by Init) with args, such as
// -filter=FILE or -verbose, fails tb if a run fails, and returns the
// output.
func (tf *Tofu) Test(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	return string(tf.run(tb, dir, nil, append([]string{"test", "-no-color"}, args...)...))
}

// run runs tofu with args in dir and returns its standard output; when tofu
// fails, or anything knocked at OS_AUTH_URL meanwhile, it fails tb with
// all that tofu said, its standard output rendered by show if not nil.
func (tf *Tofu) run(tb testing.TB, dir string, show func([]byte) string, args ...string) []byte {
	tb.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.CommandContext(tb.Context(), tf.Bin, args...)
	cmd.Dir = abs
	cmd.Env = tf.env(abs)
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	contacts := tf.keystone.take()
	name := "tofu " + strings.Join(args, " ")
	if err != nil || len(contacts) > 0 {
		msg := fmt.Sprintf("tofutest: %s in %s: ", name, dir)
		if err != nil {
			msg += err.Error()
		}
		if len(contacts) > 0 {
			if err != nil {
				msg += "; "
			}
			msg += "it connected to OS_AUTH_URL (Keystone), which it must not: " + strings.Join(contacts, ", ")
		}
		out := stdout.String()
		if show != nil {
			out = show(stdout.Bytes())
		}
		tb.Fatalf("%s\n--- stdout\n%s\n--- stderr\n%s", msg, out, stderr.Bytes())
	}
	tb.Logf("%s: %v", name, time.Since(start).Round(time.Millisecond))
	return stdout.Bytes()
}

// env is a command's whole environment: nothing from the machine but PATH
// and tofu's log settings, so no OS_* credentials, clouds.yaml (HOME),
// plugin cache or proxy reaches tofu or the provider.
func (tf *Tofu) env(dir string) []string {
	sum := sha256.Sum256([]byte(dir))
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(tf.base, "home"),
		"TMPDIR=" + filepath.Join(tf.base, "tmp"),
		"TF_CLI_CONFIG_FILE=" + filepath.Join(tf.base, "tofurc"),
		// One data directory per module directory, so that two modules of a
		// test do not share .terraform.
		"TF_DATA_DIR=" + filepath.Join(tf.base, "data", hex.EncodeToString(sum[:8])),
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"CHECKPOINT_DISABLE=1",
		// The provider refuses to configure itself without an endpoint, and
		// authenticates only when a resource first calls the API, which a
		// plan of creations does not. The rest is what an operator's
		// environment has, so that a call is made, not refused for want of
		// a password, and lands on the sentinel; with a region, the plan
		// knows each resource's.
		"OS_AUTH_URL=" + tf.keystone.url,
		"OS_USERNAME=tofutest",
		"OS_PASSWORD=" + tf.keystone.password,
		"OS_PROJECT_NAME=tofutest",
		"OS_USER_DOMAIN_NAME=Default",
		"OS_PROJECT_DOMAIN_NAME=Default",
		"OS_REGION_NAME=" + Region,
	}
	for _, k := range []string{"TF_LOG", "TF_LOG_PATH", "TF_LOG_CORE", "TF_LOG_PROVIDER"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, tf.Env...)
}

// sentinel is the loopback listener OS_AUTH_URL points at. It answers no
// one: it notes the request line of each connection and closes it. It
// serves one connection at a time, so that take can flush the queue with a
// marker connection of its own.
type sentinel struct {
	ln       net.Listener
	url      string
	password string // OS_PASSWORD: made for the test, and never accepted
	flushed  chan struct{}
	done     sync.WaitGroup

	mu       sync.Mutex
	contacts []string
}

// flushLine is what take sends to find where the queue ends.
const flushLine = "tofutest-flush"

func listen() (*sentinel, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sentinel{ln: ln, url: "http://" + ln.Addr().String() + "/v3", password: rand.Text(), flushed: make(chan struct{}, 1)}
	s.done.Go(s.serve)
	return s, nil
}

func (s *sentinel) serve() {
	for {
		c, err := s.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		} else if err != nil {
			continue
		}
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 512)
		n, _ := c.Read(buf)
		c.Close()
		line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		if line == flushLine {
			s.flushed <- struct{}{}
			continue
		}
		if line == "" {
			line = "a connection that sent nothing"
		}
		s.mu.Lock()
		s.contacts = append(s.contacts, strconv.Quote(line))
		s.mu.Unlock()
	}
}

// take returns the connections since the last call. tofu has exited when
// run calls it; a marker connection, served after every connection queued
// before it, makes sure they are all counted.
func (s *sentinel) take() []string {
	if c, err := net.Dial("tcp", s.ln.Addr().String()); err == nil {
		c.Write([]byte(flushLine + "\r\n"))
		c.Close()
		select {
		case <-s.flushed:
		case <-time.After(10 * time.Second):
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.contacts
	s.contacts = nil
	return c
}

func (s *sentinel) close() {
	s.ln.Close()
	s.done.Wait()
}

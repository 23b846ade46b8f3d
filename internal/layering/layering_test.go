package layering

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/sortie-dev/sortie/"

// sdkAdapters may import github.com/aws/...; nothing else may, tests
// included.
var sdkAdapters = []string{
	"internal/awsconfig",
	"internal/account/awsread",
	"internal/store/s3",
	"internal/policy/apply",
	"internal/policy/probe",
	"internal/s3test",
}

// deliverables are the exit deliverables: siblings that read account.
var deliverables = []string{"internal/assess", "internal/policy", "internal/landing", "internal/dns", "internal/database"}

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func list(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports", module+"...")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		p.ImportPath = strings.TrimPrefix(p.ImportPath, module)
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages; the test must see the whole module", len(pkgs))
	}
	return pkgs
}

// under reports whether path is root or inside it.
func under(path, root string) bool { return path == root || strings.HasPrefix(path, root+"/") }

func TestOnlyAdaptersImportTheSDK(t *testing.T) {
	for _, p := range list(t) {
		if slices.Contains(sdkAdapters, p.ImportPath) {
			continue
		}
		for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
			if strings.HasPrefix(imp, "github.com/aws/") {
				t.Errorf("%s imports %s: only the adapters (%s) may; read the account model or a store instead", p.ImportPath, imp, strings.Join(sdkAdapters, ", "))
			}
		}
	}
}

func TestDeliverablesAreSiblings(t *testing.T) {
	for _, p := range list(t) {
		for _, d := range deliverables {
			if !under(p.ImportPath, d) {
				continue
			}
			for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
				imp = strings.TrimPrefix(imp, module)
				for _, other := range deliverables {
					if other != d && under(imp, other) {
						t.Errorf("%s imports %s: exit deliverables read internal/account, never each other", p.ImportPath, imp)
					}
				}
			}
		}
	}
}

func TestAccountIsPlain(t *testing.T) {
	for _, p := range list(t) {
		if p.ImportPath != "internal/account" {
			continue
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module) || strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				t.Errorf("internal/account imports %s: it holds plain types only", imp)
			}
		}
		return
	}
	t.Fatal("internal/account not found")
}

// driverAdapters are the only packages that may import each database
// driver: one adapter per engine, and its test harness.
var driverAdapters = map[string][]string{
	"github.com/jackc/pgx/": {"internal/database/postgres", "internal/pgtest", "internal/coordinator",
		// The scaling bench reads a run's span from the coordinator's tables.
		"bench/coordinator"},
	"github.com/go-sql-driver/mysql": {"internal/database/mysql", "internal/mysqltest"},
	// River is the coordinator's engine, behind its own types (Job,
	// Partition, Task): the CLI never sees a River job.
	"github.com/riverqueue/": {"internal/coordinator"},
}

func TestOnlyAdaptersImportTheDrivers(t *testing.T) {
	for _, p := range list(t) {
		for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
			for prefix, adapters := range driverAdapters {
				if strings.HasPrefix(imp, prefix) && !slices.ContainsFunc(adapters, func(a string) bool { return under(p.ImportPath, a) }) {
					t.Errorf("%s imports %s: only %s may; go through internal/database's types", p.ImportPath, imp, strings.Join(adapters, " and "))
				}
			}
		}
	}
}

package awsread

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestMain lets the test binary stand in for aws-cli: run as "aws", it
// answers from the export in $SORTIE_FAKE_AWS (see fakeAWS).
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "aws" {
		os.Exit(fakeAWS(os.Args[1:], os.Getenv("SORTIE_FAKE_AWS")))
	}
	os.Exit(m.Run())
}

// fakeAWS answers one aws-cli command line from dir, an export in the
// layout the script writes: the JSON aws-cli printed for that call, or
// the --query text the script asks for. A call the export has no file for
// fails as aws-cli does when refused; a --query it does not know fails
// loudly, so that a change to the script's queries changes this test.
func fakeAWS(args []string, dir string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "fake aws: no command")
		return 2
	}
	service, op := args[0], args[1]
	flags := map[string][]string{}
	for i := 2; i < len(args); i++ {
		if !strings.HasPrefix(args[i], "--") {
			continue
		}
		if i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			flags[args[i]] = append(flags[args[i]], args[i+1])
			i++
		} else {
			flags[args[i]] = append(flags[args[i]], "")
		}
	}
	one := func(f string) string {
		if v := flags[f]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	refuse := func() int {
		pascal := ""
		for _, w := range strings.Split(op, "-") {
			pascal += strings.ToUpper(w[:1]) + w[1:]
		}
		fmt.Fprintf(os.Stderr, "\nAn error occurred (AccessDenied) when calling the %s operation: the fake aws has no answer for it\n", pascal)
		return 254
	}
	name := service + "-" + op
	region := one("--region")
	switch op {
	case "describe-key-pairs":
		if _, ok := flags["--include-public-key"]; !ok {
			fmt.Fprintln(os.Stderr, "fake aws: describe-key-pairs without --include-public-key")
			return 2
		}
	case "describe-images":
		switch {
		case one("--owners") == "self":
		case strings.HasPrefix(one("--filters"), "Name=image-id,Values="):
			name += "-in-use"
			if _, ok := flags["--include-deprecated"]; !ok {
				fmt.Fprintln(os.Stderr, "fake aws: the instances' AMIs without --include-deprecated")
				return 2
			}
		default:
			fmt.Fprintln(os.Stderr, "fake aws: describe-images for neither self nor image ids")
			return 2
		}
	case "get-managed-prefix-list-entries":
		name += "/" + one("--prefix-list-id")
	case "describe-listeners":
		name += "/" + arnName(one("--load-balancer-arn"))
	case "describe-target-health":
		name += "/" + arnName(one("--target-group-arn"))
	}
	if region != "" && name != fileRegions {
		name = region + "/" + name
	}
	b, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		return refuse()
	}
	query, ok := flags["--query"]
	if !ok {
		os.Stdout.Write(b)
		return 0
	}
	var out struct {
		Regions       []struct{ RegionName string }
		PrefixLists   []struct{ PrefixListId, OwnerId string }
		Reservations  []struct{ Instances []struct{ ImageId string } }
		LoadBalancers []struct {
			LoadBalancerName, LoadBalancerArn string
		}
		TargetGroups []struct{ TargetGroupName, TargetGroupArn string }
	}
	if err := json.Unmarshal(b, &out); err != nil {
		fmt.Fprintln(os.Stderr, "fake aws:", err)
		return 2
	}
	var lines []string
	switch query[0] {
	case "Regions[].RegionName":
		for _, r := range out.Regions {
			lines = append(lines, r.RegionName)
		}
		lines = []string{strings.Join(lines, "\t")}
	case "PrefixLists[?OwnerId!='AWS'].PrefixListId":
		for _, p := range out.PrefixLists {
			if p.OwnerId != "AWS" {
				lines = append(lines, p.PrefixListId)
			}
		}
		lines = []string{strings.Join(lines, "\t")}
	case "Reservations[].Instances[].ImageId":
		for _, r := range out.Reservations {
			for _, in := range r.Instances {
				lines = append(lines, in.ImageId)
			}
		}
		lines = []string{strings.Join(lines, "\t")}
	case "LoadBalancers[].[LoadBalancerName,LoadBalancerArn]":
		for _, l := range out.LoadBalancers {
			lines = append(lines, l.LoadBalancerName+"\t"+l.LoadBalancerArn)
		}
	case "TargetGroups[].[TargetGroupName,TargetGroupArn]":
		for _, g := range out.TargetGroups {
			lines = append(lines, g.TargetGroupName+"\t"+g.TargetGroupArn)
		}
	default:
		fmt.Fprintf(os.Stderr, "fake aws: %s %s: unknown --query %q\n", service, op, query[0])
		return 2
	}
	fmt.Println(strings.Join(lines, "\n"))
	return 0
}

// The export script, run with aws-cli answering as the fixture account
// does, writes a directory the offline reader reads the same network
// from: every call is made, and every file lands where the reader looks.
func TestExportScriptRoundTrip(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("the export script is a bash script; this test needs bash")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(self, filepath.Join(bin, "aws")); err != nil {
		t.Fatal(err)
	}
	fixture, err := filepath.Abs(campusNetwork)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	script := filepath.Join(work, "export.sh")
	var b strings.Builder
	if err := WriteExportScript(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, []byte(b.String()), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "export")
	cmd := exec.Command(bash, script, out, "ca-central-1")
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "SORTIE_FAKE_AWS="+fixture)
	log, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("export script: %v\n%s", err, log)
	}
	if strings.Contains(string(log), "fake aws:") {
		t.Errorf("the script made a call the fake aws does not know:\n%s", log)
	}

	// Every file of the fixture was written (the fixture is the script's
	// output, so nothing is missing), and the network reads the same.
	var missing []string
	filepath.WalkDir(fixture, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(fixture, path)
			if _, err := os.Stat(filepath.Join(out, rel)); err != nil {
				missing = append(missing, rel)
			}
		}
		return nil
	})
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("the script did not write %v", missing)
	}
	got := readCampusNetwork(t, out, Options{})
	want := readCampusNetwork(t, fixture, Options{})
	got.Source, want.Source = "", ""
	if !reflect.DeepEqual(got, want) {
		a, _ := json.MarshalIndent(got, "", " ")
		t.Errorf("the script's export reads differently:\n%s", a)
	}
	// The inventory's calls the fixture has no answer for are .error
	// files, as a refusal would leave them.
	if _, err := os.Stat(filepath.Join(out, "ca-central-1", fileDatabases+".error")); err != nil {
		t.Errorf("a refused call left no .error file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "ca-central-1", fileDatabases+".json")); err == nil {
		t.Error("a refused call left a .json file")
	}
}

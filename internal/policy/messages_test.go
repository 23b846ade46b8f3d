package policy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every message has both languages with the same verbs, and every key the
// code names is in the catalog (apply, probe and sortie policy's CLI
// included).
func TestCatalog(t *testing.T) {
	if err := words.Check(); err != nil {
		t.Error(err)
	}
	files, _ := filepath.Glob("*.go")
	for _, sub := range []string{"apply/*.go", "probe/*.go", "../cli/policy.go"} {
		more, _ := filepath.Glob(sub)
		files = append(files, more...)
	}
	used := regexp.MustCompile(`(?:\bM|Errorf|\.[tT]|policyUsage\(l,)\(\s*"([a-z][a-z0-9.-]*)"`)
	dynamic := regexp.MustCompile(`(?:\bM|\.[tT])\("([a-z.]+\.)"\s*\+`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if !words.Has(m[1]) && !strings.HasSuffix(m[1], ".") {
				t.Errorf("%s: message %q is not in the catalog", f, m[1])
			}
		}
		for _, m := range dynamic.FindAllStringSubmatch(string(b), -1) {
			if !slices.ContainsFunc(words.Keys(), func(k string) bool { return strings.HasPrefix(k, m[1]) }) {
				t.Errorf("%s: no message starts with %q", f, m[1])
			}
		}
	}
	// The keys made from values.
	var need []string
	for _, k := range []string{KindUser, KindGroup, KindRole, KindAnonymous} {
		need = append(need, "kind."+k)
	}
	for _, op := range Ops {
		need = append(need, "op."+op)
	}
	for _, o := range []Outcome{Exact, Broader, Narrower, NotCarried, Ignored, Invalid} {
		need = append(need, string(o))
	}
	need = append(need, "effect.Allow", "effect.Deny", "garage.read", "garage.write", "garage.owner")
	for _, c := range []string{"policy", "user", "group", "user-policies", "group-policies", "bucket-policy"} {
		need = append(need, "change."+c)
	}
	for _, k := range need {
		if !words.Has(k) {
			t.Errorf("no message %q", k)
		}
	}
}

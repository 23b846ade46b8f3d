package policy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var verb = regexp.MustCompile(`%[-+# 0]*[0-9*]*(?:\.[0-9*]+)?[a-zA-Z%]`)

// Every message has both languages with the same verbs, and every key the
// code names is in the catalog (apply, probe and sortie policy's CLI
// included).
func TestCatalog(t *testing.T) {
	for k, w := range words {
		switch {
		case strings.TrimSpace(w[0]) == "" || strings.TrimSpace(w[1]) == "":
			t.Errorf("%s: a language is missing", k)
		case !slices.Equal(verb.FindAllString(w[0], -1), verb.FindAllString(w[1], -1)):
			t.Errorf("%s: verbs %q in English, %q in French", k, verb.FindAllString(w[0], -1), verb.FindAllString(w[1], -1))
		}
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
			if _, ok := words[m[1]]; !ok && !strings.HasSuffix(m[1], ".") {
				t.Errorf("%s: message %q is not in the catalog", f, m[1])
			}
		}
		for _, m := range dynamic.FindAllStringSubmatch(string(b), -1) {
			if !slices.ContainsFunc(keysOf(words), func(k string) bool { return strings.HasPrefix(k, m[1]) }) {
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
		if _, ok := words[k]; !ok {
			t.Errorf("no message %q", k)
		}
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

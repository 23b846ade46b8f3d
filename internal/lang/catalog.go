package lang

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Text is one message in English and in French, in that order. Both are
// fmt formats taking the same arguments in the same order.
type Text [2]string

// Catalog is one deliverable's messages, made once in its own package:
//
//	var messages = lang.NewCatalog("assess report", map[string]lang.Text{
//		"title": {"AWS exit assessment", "Évaluation de sortie d'AWS"},
//	})
type Catalog struct {
	name string
	m    map[string]Text
}

// NewCatalog makes a catalog named for error messages and tests.
func NewCatalog(name string, m map[string]Text) *Catalog {
	return &Catalog{name: name, m: m}
}

// T returns key's message in l, formatted with args. An unknown key is
// returned as it is, so that it shows in the output (and Check's callers'
// tests catch it) rather than vanishing.
func (c *Catalog) T(l Lang, key string, args ...any) string {
	t, ok := c.m[key]
	if !ok {
		if len(args) > 0 {
			return key + fmt.Sprint(args...)
		}
		return key
	}
	s := t[0]
	if l == French && t[1] != "" {
		s = t[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether key is in the catalog.
func (c *Catalog) Has(key string) bool {
	_, ok := c.m[key]
	return ok
}

// Keys returns the catalog's keys in order.
func (c *Catalog) Keys() []string {
	keys := make([]string, 0, len(c.m))
	for k := range c.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Text returns key's message in both languages.
func (c *Catalog) Text(key string) (Text, bool) {
	t, ok := c.m[key]
	return t, ok
}

var verbRE = regexp.MustCompile(`%[-+# 0]*[0-9*]*(?:\.[0-9*]+)?[a-zA-Z%]`)

// Check reports the messages that would print wrong: a language missing,
// or the two languages taking different fmt verbs (a %d in one and a %s in
// the other prints %!d(string=…)).
func (c *Catalog) Check() error {
	var bad []string
	for _, k := range c.Keys() {
		t := c.m[k]
		switch {
		case strings.TrimSpace(t[0]) == "":
			bad = append(bad, k+": no English")
		case strings.TrimSpace(t[1]) == "":
			bad = append(bad, k+": no French")
		case !slices.Equal(verbRE.FindAllString(t[0], -1), verbRE.FindAllString(t[1], -1)):
			bad = append(bad, fmt.Sprintf("%s: verbs %q in English, %q in French", k, verbRE.FindAllString(t[0], -1), verbRE.FindAllString(t[1], -1)))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("catalog %s: %s", c.name, strings.Join(bad, "; "))
	}
	return nil
}

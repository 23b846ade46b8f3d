package landing

import (
	"strings"
	"unicode"
)

// namer gives resources OpenTofu names from AWS Name tags: lower case,
// [a-z0-9_], starting with a letter, unique per resource type. Callers ask
// in AWS ID order, so a collision is resolved the same way every run: the
// later ID gets the end of its own ID appended.
type namer struct {
	used map[string]map[string]bool // resource type → names
	byID map[string]string          // resource type + AWS ID → name
}

func newNamer() *namer {
	return &namer{used: map[string]map[string]bool{}, byID: map[string]string{}}
}

// name returns the name of the resource of type typ made from AWS object
// id, named tag ("" when untagged: the ID is used).
func (n *namer) name(typ, id, tag string) string {
	if got, ok := n.byID[typ+"\x00"+id]; ok {
		return got
	}
	base := sanitize(tag)
	if base == "" {
		base = sanitize(id)
	}
	used := n.used[typ]
	if used == nil {
		used = map[string]bool{}
		n.used[typ] = used
	}
	name := base
	if used[name] {
		name = base + "_" + sanitize(suffix(id))
		for i := 2; used[name]; i++ {
			name = base + "_" + sanitize(suffix(id)) + "_" + string(rune('0'+i%10))
		}
	}
	used[name] = true
	n.byID[typ+"\x00"+id] = name
	return name
}

// lookup returns the name given to id, or "".
func (n *namer) lookup(typ, id string) string { return n.byID[typ+"\x00"+id] }

func suffix(id string) string {
	_, rest, ok := strings.Cut(id, "-")
	if !ok {
		rest = id
	}
	if len(rest) > 8 {
		rest = rest[len(rest)-8:]
	}
	return rest
}

// sanitize makes s an OpenTofu identifier in sortie's style.
func sanitize(s string) string {
	var b strings.Builder
	lastUnderscore := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			lastUnderscore = false
		case !lastUnderscore && b.Len() > 0:
			b.WriteByte('_')
			lastUnderscore = true
		}
	}
	out := strings.TrimRight(b.String(), "_")
	if out != "" && !unicode.IsLetter(rune(out[0])) {
		out = "r_" + out
	}
	return out
}

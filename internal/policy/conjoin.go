package policy

import (
	"net/netip"
	"slices"
	"strings"
)

// A target's Condition element is an object of operators, each an object
// of keys: the same operator on the same key can be written once. AWS
// ANDs a key written twice (the parser keeps both), so the translation
// must write one value set that holds exactly when both do.

// conjoin returns the values that make operator op on one key hold
// exactly when it holds with a and with b. never: no request satisfies
// both (the statement never applies on AWS). ok is false when one value
// set cannot say it: the caller then takes the narrower side, as for a
// condition the target cannot evaluate.
func conjoin(op string, a, b []string) (vals []string, never, ok bool) {
	qual, base, ifExists := splitOperator(op)
	if slices.Equal(sortedSet(a), sortedSet(b)) {
		return a, false, true
	}
	if hasVariable(a) || hasVariable(b) {
		// ${aws:username} is only known per request.
		return nil, false, false
	}
	switch {
	case (qual == "" || qual == "ForAllValues") && negated(base):
		// v matches none of a and none of b: none of a ∪ b. (For
		// ForAnyValue, "some value outside a and some outside b" is not
		// "some value outside both".)
		return union(a, b), false, true
	case qual != "":
		return nil, false, false
	case base == "Null":
		if len(a) == 1 && len(b) == 1 && strings.EqualFold(a[0], b[0]) {
			return a, false, true
		}
		return nil, true, true // the key cannot be both absent and present
	}
	var inter []string
	switch base {
	case "StringEquals":
		inter = intersect(a, b, func(x, y string) bool { return x == y })
	case "StringEqualsIgnoreCase", "Bool":
		inter = intersect(a, b, strings.EqualFold)
	case "StringLike":
		// A value without wildcards that one side lists and the other
		// side's patterns match is in both; two patterns cannot be
		// intersected into one.
		switch {
		case !hasWildcard(a):
			inter = intersect(a, b, func(x, p string) bool { return wildcard(p, x) })
		case !hasWildcard(b):
			inter = intersect(b, a, func(x, p string) bool { return wildcard(p, x) })
		default:
			return nil, false, false
		}
	case "IpAddress":
		var ok bool
		if inter, ok = intersectPrefixes(a, b); !ok {
			return nil, false, false
		}
	default:
		return nil, false, false
	}
	if len(inter) == 0 {
		if ifExists {
			// Only an absent key satisfies both: not one value set.
			return nil, false, false
		}
		return nil, true, true
	}
	return inter, false, true
}

func sortedSet(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func hasVariable(s []string) bool {
	return slices.ContainsFunc(s, func(v string) bool { return strings.Contains(v, "${") })
}

func hasWildcard(s []string) bool {
	return slices.ContainsFunc(s, func(v string) bool { return strings.ContainsAny(v, "*?") })
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, v := range b {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// intersect keeps the values x of a that match some y of b.
func intersect(a, b []string, match func(x, y string) bool) []string {
	var out []string
	for _, x := range a {
		if slices.ContainsFunc(b, func(y string) bool { return match(x, y) }) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// intersectPrefixes returns the address ranges in both a and b: two
// prefixes overlap only when one contains the other, and then the
// intersection is the smaller.
func intersectPrefixes(a, b []string) ([]string, bool) {
	parse := func(s string) (netip.Prefix, bool) {
		if p, err := netip.ParsePrefix(s); err == nil {
			return p.Masked(), true
		}
		if ip, err := netip.ParseAddr(s); err == nil {
			return netip.PrefixFrom(ip, ip.BitLen()), true
		}
		return netip.Prefix{}, false
	}
	var out []string
	for _, x := range a {
		px, ok := parse(x)
		if !ok {
			return nil, false
		}
		for _, y := range b {
			py, ok := parse(y)
			if !ok {
				return nil, false
			}
			var in string
			switch {
			case px.Bits() >= py.Bits() && py.Contains(px.Addr()):
				in = x
			case py.Bits() > px.Bits() && px.Contains(py.Addr()):
				in = y
			default:
				continue
			}
			if !slices.Contains(out, in) {
				out = append(out, in)
			}
		}
	}
	return out, true
}

package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Decision is the outcome of evaluating a request.
type Decision int

const (
	ImplicitDeny Decision = iota // nothing allowed it
	Allow
	ExplicitDeny
	Unknown // it depends on something sortie cannot know (see Result.Why)
)

func (d Decision) String() string {
	return [...]string{"denied", "allowed", "denied (explicit)", "unknown"}[d]
}

// Allowed reports whether d lets the request through.
func (d Decision) Allowed() bool { return d == Allow }

// Who makes a request.
type Who struct {
	Anonymous bool
	Account   string // 123456789012
	ARN       string // arn:aws:iam::123456789012:user/alice
	UserName  string
}

// Request is what is evaluated. Context holds the condition keys the
// request carries, with lower-case names; a key mapped to nil is known to
// be absent, and a key not in the map is unknown: a condition on it makes
// the result Unknown rather than a guess. Map a key to nil only when AWS
// would find it absent from every request the Request stands for (see
// ChosenByClient).
type Request struct {
	Who      Who
	Action   string // s3:GetObject
	Resource string // arn:aws:s3:::bucket/key
	Context  map[string][]string
}

// ChosenByClient reports whether the value of a condition key is written
// by the client into each request: a header (aws:Referer, aws:UserAgent,
// s3:x-amz-acl and every s3:x-amz-* key), a query parameter (s3:prefix,
// s3:delimiter, s3:max-keys, s3:VersionId) or tags sent with it. A Request
// that stands for a question ("may alice read this bucket?") rather than
// for one request cannot tell these keys and must leave them out of its
// Context, so that a policy that depends on them makes the answer Unknown:
// mapping them to nil says the request carries none, and AWS denies or
// allows as for a request without them. How and where a request is sent
// (aws:SecureTransport, aws:SourceIp, aws:SourceVpce) are facts the caller
// states, not part of this class.
func ChosenByClient(key string) bool {
	key = strings.ToLower(key)
	switch key {
	case "aws:referer", "aws:useragent", "aws:tagkeys",
		"s3:prefix", "s3:delimiter", "s3:max-keys", "s3:versionid", "s3:locationconstraint",
		"s3:requestobjecttagkeys":
		return true
	}
	for _, p := range []string{"s3:x-amz-", "s3:object-lock-", "s3:requestobjecttag/", "aws:requesttag/"} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// Kind says which of AWS's rules a policy falls under.
type Kind int

const (
	Identity Kind = iota // attached to the principal (user, group, managed)
	Resource             // a bucket policy: Principal decides whom it applies to
	Boundary             // a permissions boundary: caps identity policies
)

// Source is a policy with a name for reports.
type Source struct {
	Name   string
	Kind   Kind
	Policy *Policy
}

// Ref points at one statement of a source.
type Ref struct {
	Source string
	Index  int
	Sid    string
}

func (r Ref) String() string {
	if r.Sid != "" {
		return fmt.Sprintf("%s #%d (%s)", r.Source, r.Index+1, r.Sid)
	}
	return fmt.Sprintf("%s #%d", r.Source, r.Index+1)
}

// Result is a decision with what made it.
type Result struct {
	Decision Decision
	By       []Ref    // the statements that allowed or denied
	Why      []string // for Unknown: the conditions that could not be evaluated
}

// Evaluate applies AWS's evaluation logic for a request within one account
// (no SCPs, no session policies): an explicit deny anywhere wins; else an
// allow from an identity policy (within the boundary, if any) or from a
// resource policy naming the principal allows; else the request is denied.
// Statements that cannot be read are skipped (they are reported by the
// translator).
func Evaluate(sources []Source, req Request) Result {
	var r Result
	var allowID, allowRes, boundaryAllows, hasBoundary bool
	var unsureAllow, unsureDeny, unsureBoundary []string
	var allowBy []Ref
	for _, src := range sources {
		if src.Kind != Resource && req.Who.Anonymous {
			continue
		}
		if src.Kind == Boundary {
			hasBoundary = true
		}
		for _, st := range src.Policy.Statements {
			if st.Err != nil {
				continue
			}
			if src.Kind == Resource && !principalMatches(st, req.Who) {
				continue
			}
			m, why := statementApplies(st, req)
			if m == no {
				continue
			}
			ref := Ref{Source: src.Name, Index: st.Index, Sid: st.Sid}
			switch {
			case st.Effect == "Deny":
				if m == yes {
					return Result{Decision: ExplicitDeny, By: []Ref{ref}}
				}
				unsureDeny = append(unsureDeny, why...)
			case src.Kind == Boundary:
				if m == yes {
					boundaryAllows = true
				} else {
					unsureBoundary = append(unsureBoundary, why...)
				}
			case m == yes:
				allowBy = append(allowBy, ref)
				if src.Kind == Resource {
					allowRes = true
				} else {
					allowID = true
				}
			default:
				unsureAllow = append(unsureAllow, why...)
			}
		}
	}
	idOK := allowID
	if hasBoundary && allowID && !boundaryAllows {
		idOK = false
		if len(unsureBoundary) > 0 {
			unsureAllow = append(unsureAllow, unsureBoundary...)
		}
	}
	allowed := idOK || allowRes
	switch {
	case len(unsureDeny) > 0 && (allowed || len(unsureAllow) > 0):
		r = Result{Decision: Unknown, Why: unique(append(unsureDeny, unsureAllow...))}
	case allowed:
		r = Result{Decision: Allow, By: allowBy}
	case len(unsureAllow) > 0:
		r = Result{Decision: Unknown, Why: unique(unsureAllow)}
	default:
		r = Result{Decision: ImplicitDeny}
	}
	return r
}

func unique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

type match int

const (
	no match = iota
	yes
	maybe
)

// statementApplies matches action, resource and conditions.
func statementApplies(st Statement, req Request) (match, []string) {
	if len(st.Action) > 0 && !anyActionMatches(st.Action, req.Action) {
		return no, nil
	}
	if len(st.NotAction) > 0 && anyActionMatches(st.NotAction, req.Action) {
		return no, nil
	}
	switch rm, why := resourceMatches(st, req); rm {
	case no:
		return no, nil
	case maybe:
		return maybe, why
	}
	return conditionsHold(st.Condition, req.Context)
}

func anyActionMatches(patterns []string, action string) bool {
	for _, p := range patterns {
		if wildcard(strings.ToLower(p), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

func resourceMatches(st Statement, req Request) (match, []string) {
	list, negate := st.Resource, false
	if len(st.NotResource) > 0 {
		list, negate = st.NotResource, true
	}
	if len(list) == 0 {
		// Identity statements need Resource; bucket policies too. A
		// statement without one grants nothing.
		return no, nil
	}
	var whys []string
	found := false
	for _, p := range list {
		p, err := substitute(p, req.Context)
		if err != nil {
			whys = append(whys, err.Error())
			continue
		}
		if p == "" {
			continue // the variable's key is absent: no match
		}
		if wildcard(p, req.Resource) {
			found = true
			break
		}
	}
	switch {
	case found:
		return boolMatch(!negate), nil
	case len(whys) > 0:
		// A pattern that cannot be resolved may name the resource: for
		// NotResource too, the statement may or may not apply.
		return maybe, whys
	}
	return boolMatch(negate), nil
}

// substitute replaces policy variables (${aws:username}, ${*}, ${?}, ${$})
// from the request's context. An unknown key is an error; a key known to
// be absent gives "".
func substitute(s string, ctx map[string][]string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		name := s[i+2 : i+j]
		switch name {
		case "*", "?", "$":
			b.WriteString(`\` + name) // literal; wildcard() unescapes
		default:
			key, def, hasDef := strings.Cut(name, ", ")
			// A default stands in for a key known to be absent; an
			// unknown key may be present, so it stays unknown.
			vals, known := lookup(ctx, key)
			switch {
			case !known:
				return "", fmt.Errorf("policy variable ${%s} cannot be evaluated here", key)
			case len(vals) == 1:
				b.WriteString(escapeWildcards(vals[0]))
			case len(vals) > 1:
				return "", fmt.Errorf("policy variable ${%s} has several values", key)
			case hasDef:
				b.WriteString(strings.Trim(def, `'`))
			default:
				return "", nil
			}
		}
		s = s[i+j+1:]
	}
}

func escapeWildcards(s string) string {
	return strings.NewReplacer(`*`, `\*`, `?`, `\?`, `\`, `\\`).Replace(s)
}

// wildcard matches s against p, where * is any run and ? any one
// character; a backslash makes the next character literal.
func wildcard(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if wildcard(p, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			p, s = p[1:], s[1:]
		case '\\':
			if len(p) > 1 {
				p = p[1:]
			}
			fallthrough
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return s == ""
}

func principalMatches(st Statement, who Who) bool {
	if st.Principal != nil {
		return principalIn(st.Principal, who, st.Effect == "Deny")
	}
	if st.NotPrincipal != nil {
		// The IAM User Guide's NotPrincipal example lists Bob and his
		// account so that Bob alone is spared: an account in NotPrincipal
		// spares the account principal, not every user in it.
		return !principalIn(st.NotPrincipal, who, false)
	}
	return false
}

// principalIn says whether who is one of p. An account (its ID or root ARN)
// names every principal of the account only for a deny (accountCovers):
// for an allow, it delegates to the account's own identity policies, and
// otherwise it names the account principal alone.
func principalIn(p *Principal, who Who, accountCovers bool) bool {
	if p.All {
		return true
	}
	if who.Anonymous {
		return false
	}
	if p.Authenticated {
		return true
	}
	for _, a := range p.AWS {
		switch {
		case a == who.ARN:
			return true
		case a == who.Account && who.ARN == "arn:aws:iam::"+who.Account+":root":
			return true
		case accountCovers && (a == who.Account || a == "arn:aws:iam::"+who.Account+":root"):
			return true
		}
	}
	return false
}

// conditionsHold evaluates every condition (they are ANDed).
func conditionsHold(conds []Condition, ctx map[string][]string) (match, []string) {
	result := yes
	var whys []string
	for _, c := range conds {
		m, why := conditionHolds(c, ctx)
		switch m {
		case no:
			return no, nil
		case maybe:
			result = maybe
			whys = append(whys, why)
		}
	}
	return result, whys
}

// Operators sortie evaluates, without qualifiers or IfExists.
var operators = map[string]bool{
	"StringEquals": true, "StringNotEquals": true, "StringEqualsIgnoreCase": true, "StringNotEqualsIgnoreCase": true,
	"StringLike": true, "StringNotLike": true,
	"NumericEquals": true, "NumericNotEquals": true, "NumericLessThan": true, "NumericLessThanEquals": true,
	"NumericGreaterThan": true, "NumericGreaterThanEquals": true,
	"DateEquals": true, "DateNotEquals": true, "DateLessThan": true, "DateLessThanEquals": true,
	"DateGreaterThan": true, "DateGreaterThanEquals": true,
	"Bool": true, "IpAddress": true, "NotIpAddress": true,
	"ArnEquals": true, "ArnLike": true, "ArnNotEquals": true, "ArnNotLike": true, "Null": true,
}

// splitOperator returns the qualifier (ForAnyValue, ForAllValues or ""),
// the base operator and whether IfExists was added.
func splitOperator(op string) (qual, base string, ifExists bool) {
	base = op
	if q, rest, ok := strings.Cut(op, ":"); ok {
		qual, base = q, rest
	}
	if b, ok := strings.CutSuffix(base, "IfExists"); ok {
		base, ifExists = b, true
	}
	return qual, base, ifExists
}

func negated(base string) bool {
	return strings.Contains(base, "Not") && base != "Null"
}

// lookup returns the values of a condition key in a request context and
// whether the context tells them (nil values: known to be absent). It is
// the one place that decides what a request tells, for conditions and
// policy variables alike.
func lookup(ctx map[string][]string, key string) ([]string, bool) {
	key = strings.ToLower(key)
	vals, known := ctx[key]
	if !known && strings.HasPrefix(key, "aws:principaltag/") {
		// The context lists all of the principal's tags, or none.
		_, known = ctx["aws:principaltag/"]
	}
	return vals, known
}

func conditionHolds(c Condition, ctx map[string][]string) (match, string) {
	qual, base, ifExists := splitOperator(c.Operator)
	if !operators[base] || (qual != "" && qual != "ForAnyValue" && qual != "ForAllValues") {
		return maybe, fmt.Sprintf("condition operator %s is not evaluated by sortie", c.Operator)
	}
	vals, known := lookup(ctx, c.Key)
	if !known {
		return maybe, fmt.Sprintf("condition %s on %s depends on the request", c.Operator, c.Key)
	}
	if base == "Null" {
		want := len(c.Values) > 0 && strings.EqualFold(c.Values[0], "true")
		return boolMatch((len(vals) == 0) == want), ""
	}
	if len(vals) == 0 {
		// The empty set: every one of its values holds, none exists to
		// hold for ForAnyValue, whatever the operator and IfExists.
		switch qual {
		case "ForAllValues":
			return yes, ""
		case "ForAnyValue":
			return no, ""
		}
		return boolMatch(ifExists || negated(base)), ""
	}
	policyVals := make([]string, 0, len(c.Values))
	for _, v := range c.Values {
		s, err := substitute(v, ctx)
		if err != nil {
			return maybe, err.Error()
		}
		policyVals = append(policyVals, s)
	}
	sat := func(v string) (bool, error) {
		any := false
		for _, p := range policyVals {
			ok, err := compare(base, v, p)
			if err != nil {
				return false, err
			}
			any = any || ok
		}
		if negated(base) {
			return !any, nil
		}
		return any, nil
	}
	all, some := true, false
	for _, v := range vals {
		ok, err := sat(v)
		if err != nil {
			return maybe, fmt.Sprintf("condition %s on %s: %v", c.Operator, c.Key, err)
		}
		all, some = all && ok, some || ok
	}
	if qual == "ForAllValues" {
		return boolMatch(all), ""
	}
	return boolMatch(some), ""
}

func boolMatch(b bool) match {
	if b {
		return yes
	}
	return no
}

// compare applies the positive form of base to a request value v and a
// policy value p.
func compare(base, v, p string) (bool, error) {
	switch base {
	case "StringEquals", "StringNotEquals":
		return v == p, nil
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		return strings.EqualFold(v, p), nil
	case "StringLike", "StringNotLike":
		return wildcard(p, v), nil
	case "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike":
		return arnLike(p, v), nil
	case "Bool":
		return strings.EqualFold(v, p), nil
	case "IpAddress", "NotIpAddress":
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return false, fmt.Errorf("request value %q is not an IP address", v)
		}
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			a, err2 := netip.ParseAddr(p)
			if err2 != nil {
				return false, fmt.Errorf("%q is not an IP address or CIDR block", p)
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		return pfx.Contains(addr), nil
	}
	if strings.HasPrefix(base, "Numeric") {
		a, err1 := strconv.ParseFloat(v, 64)
		b, err2 := strconv.ParseFloat(p, 64)
		if err1 != nil || err2 != nil {
			return false, fmt.Errorf("%q or %q is not a number", v, p)
		}
		return ordered(strings.TrimPrefix(base, "Numeric"), a, b), nil
	}
	if strings.HasPrefix(base, "Date") {
		a, err1 := parseDate(v)
		b, err2 := parseDate(p)
		if err1 != nil || err2 != nil {
			return false, fmt.Errorf("%q or %q is not a date", v, p)
		}
		return ordered(strings.TrimPrefix(base, "Date"), float64(a.UnixNano()), float64(b.UnixNano())), nil
	}
	return false, fmt.Errorf("operator %s", base)
}

func ordered[T int | float64](rel string, a, b T) bool {
	switch rel {
	case "Equals", "NotEquals":
		return a == b
	case "LessThan":
		return a < b
	case "LessThanEquals":
		return a <= b
	case "GreaterThan":
		return a > b
	case "GreaterThanEquals":
		return a >= b
	}
	return false
}

func parseDate(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date")
}

// arnLike matches ARNs part by part, each part a wildcard pattern.
func arnLike(p, v string) bool {
	pp, vp := strings.SplitN(p, ":", 6), strings.SplitN(v, ":", 6)
	if len(pp) != 6 || len(vp) != 6 {
		return wildcard(p, v)
	}
	for i := range pp {
		if !wildcard(pp[i], vp[i]) {
			return false
		}
	}
	return true
}

// bucketOf returns the bucket an S3 ARN names ("" for "*" or non-S3).
func bucketOf(arn string) string {
	rest, ok := strings.CutPrefix(arn, "arn:aws:s3:::")
	if !ok {
		return ""
	}
	b, _, _ := strings.Cut(rest, "/")
	return b
}

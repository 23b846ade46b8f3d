// Package policy reads AWS access policies, evaluates them with AWS's rules,
// and translates what touches S3 into the dialects of MinIO, Ceph RGW and
// Garage, saying per statement what the translation keeps and what it loses.
package policy

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Policy is a parsed policy document. A statement that cannot be parsed is
// kept with Err set, so that one bad statement does not hide the others.
type Policy struct {
	Version    string
	Statements []Statement
}

// Statement is one statement of a policy. Action, Resource and the other
// lists keep the document's spelling; matching is case-insensitive where
// AWS's is.
type Statement struct {
	Index        int // position in the document, from 0
	Sid          string
	Effect       string // "Allow" or "Deny"
	Principal    *Principal
	NotPrincipal *Principal
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	Condition    []Condition
	Err          error // why the statement could not be read
}

// Principal is a statement's Principal element. All is "*" (or
// {"AWS":"*"}); Authenticated, any signed request, only comes from ACLs.
type Principal struct {
	All           bool
	Authenticated bool
	AWS           []string
	Service       []string
	Federated     []string
	Canonical     []string
}

// Condition is one operator applied to one key with its values.
type Condition struct {
	Operator string // as written: StringLike, ForAnyValue:StringEquals, BoolIfExists…
	Key      string
	Values   []string
}

// stringList accepts a JSON string or an array of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
		for _, r := range raw {
			s, err := scalar(r)
			if err != nil {
				return err
			}
			*l = append(*l, s)
		}
		return nil
	}
	s, err := scalar(b)
	if err != nil {
		return err
	}
	*l = stringList{s}
	return nil
}

// scalar reads a string, or a number or boolean as AWS accepts them in
// condition values ("Bool": {"aws:SecureTransport": false}).
func scalar(b []byte) (string, error) {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return s, nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case bool, float64:
		return fmt.Sprint(v), nil
	}
	return "", Errorf("p.expected.string", string(b))
}

// Parse reads a policy document. It fails only when the document as a
// whole is not a policy (not JSON, no Statement); a bad statement is kept
// with Err set.
func Parse(doc []byte) (*Policy, error) {
	var top struct {
		Version   string
		Statement json.RawMessage
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(&top); err != nil {
		return nil, Errorf("p.not.json", err)
	}
	if len(top.Statement) == 0 || string(top.Statement) == "null" {
		return nil, Errorf("p.no.statement")
	}
	var raws []json.RawMessage
	if bytes.TrimSpace(top.Statement)[0] == '[' {
		if err := json.Unmarshal(top.Statement, &raws); err != nil {
			return nil, Errorf("p.statement.list", err)
		}
	} else {
		raws = []json.RawMessage{top.Statement}
	}
	p := &Policy{Version: top.Version}
	for i, raw := range raws {
		st, err := parseStatement(raw)
		if err != nil {
			st = Statement{Err: err}
		}
		st.Index = i
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

var knownFields = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

func parseStatement(raw json.RawMessage) (Statement, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return Statement{}, Errorf("p.not.object")
	}
	for k := range fields {
		if !slices.Contains(knownFields, k) {
			return Statement{}, Errorf("p.unknown.element", k)
		}
	}
	var st Statement
	list := func(name string, into *[]string) error {
		if r, ok := fields[name]; ok {
			var l stringList
			if err := json.Unmarshal(r, &l); err != nil {
				return Errorf("p.field", name, err)
			}
			*into = l
		}
		return nil
	}
	if r, ok := fields["Sid"]; ok {
		if err := json.Unmarshal(r, &st.Sid); err != nil {
			return st, Errorf("p.sid")
		}
	}
	if err := json.Unmarshal(fields["Effect"], &st.Effect); err != nil || (st.Effect != "Allow" && st.Effect != "Deny") {
		return st, Errorf("p.effect")
	}
	for _, f := range []struct {
		name string
		into *[]string
	}{{"Action", &st.Action}, {"NotAction", &st.NotAction}, {"Resource", &st.Resource}, {"NotResource", &st.NotResource}} {
		if err := list(f.name, f.into); err != nil {
			return st, err
		}
	}
	if (len(st.Action) == 0) == (len(st.NotAction) == 0) {
		return st, Errorf("p.action")
	}
	if len(st.Resource) > 0 && len(st.NotResource) > 0 {
		return st, Errorf("p.resource")
	}
	var err error
	if r, ok := fields["Principal"]; ok {
		if st.Principal, err = parsePrincipal(r); err != nil {
			return st, Errorf("p.field", "Principal", err)
		}
	}
	if r, ok := fields["NotPrincipal"]; ok {
		if st.NotPrincipal, err = parsePrincipal(r); err != nil {
			return st, Errorf("p.field", "NotPrincipal", err)
		}
	}
	if r, ok := fields["Condition"]; ok {
		if st.Condition, err = parseCondition(r); err != nil {
			return st, Errorf("p.field", "Condition", err)
		}
	}
	return st, nil
}

// parseCondition reads a Condition element member by member. AWS's own
// examples write one operator more than once in a block (the S3 User
// Guide's Storage Lens policy has StringEquals three times, one key each);
// decoding into a map would keep only the last. Every operator and key is
// kept, and all of them must hold. The conditions are sorted by operator
// and key, in document order where both repeat.
func parseCondition(raw json.RawMessage) ([]Condition, error) {
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	ops, err := members(raw)
	if err != nil {
		return nil, err
	}
	var out []Condition
	for _, op := range ops {
		keys, err := members(op.value)
		if err != nil {
			return nil, Errorf("p.field", op.name, err)
		}
		for _, k := range keys {
			var vals stringList
			if err := json.Unmarshal(k.value, &vals); err != nil {
				return nil, Errorf("p.field", op.name+" "+k.name, err)
			}
			out = append(out, Condition{Operator: op.name, Key: k.name, Values: vals})
		}
	}
	slices.SortStableFunc(out, func(a, b Condition) int {
		return cmp.Or(strings.Compare(a.Operator, b.Operator), strings.Compare(a.Key, b.Key))
	})
	return out, nil
}

type member struct {
	name  string
	value json.RawMessage
}

// members returns the members of a JSON object in document order, a
// repeated name as often as it is written.
func members(raw []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil {
		return nil, err
	} else if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, Errorf("p.expected.object", abbrevJSON(raw))
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string) // object keys are strings
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{name, v})
	}
	return out, nil
}

func abbrevJSON(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

func parsePrincipal(raw json.RawMessage) (*Principal, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s != "*" {
			return nil, Errorf("p.principal.string")
		}
		return &Principal{All: true}, nil
	}
	var m map[string]stringList
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, Errorf("p.principal.object")
	}
	p := &Principal{}
	for k, v := range m {
		switch k {
		case "AWS":
			if slices.Contains(v, "*") {
				p.All = true
			}
			p.AWS = v
		case "Service":
			p.Service = v
		case "Federated":
			p.Federated = v
		case "CanonicalUser":
			p.Canonical = v
		default:
			return nil, Errorf("p.principal.type", k)
		}
	}
	return p, nil
}

// s3Only keeps the actions in the s3 namespace, and "*".
func s3Only(actions []string) []string {
	var out []string
	for _, a := range actions {
		if a == "*" || strings.HasPrefix(strings.ToLower(a), "s3:") {
			out = append(out, a)
		}
	}
	return out
}

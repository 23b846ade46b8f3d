package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The documents under testdata/conditions are the example policies of the
// Amazon S3 User Guide ("Bucket policy examples") and the IAM User Guide,
// copied as published; each file is named for its page.

func loadPolicy(t *testing.T, name string) *Policy {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("testdata", "conditions", name))
	if err != nil {
		t.Fatal(err)
	}
	return mustParse(t, string(doc))
}

// kv builds a request context from pairs; "<absent>" maps a key to nil
// (known absent) and a value with "|" in it is a multi-valued key.
func kv(pairs ...string) map[string][]string {
	c := map[string][]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		switch v := pairs[i+1]; {
		case v == "<absent>":
			c[pairs[i]] = nil
		default:
			c[pairs[i]] = strings.Split(v, "|")
		}
	}
	return c
}

func matchName(m match) string { return [...]string{"no", "yes", "maybe"}[m] }

// TestConditionKeysAreANDed holds the rule of the IAM User Guide's
// "Conditions with multiple context keys or values": operators are ANDed,
// the keys under one operator are ANDed, the values of one key are ORed,
// and a negated operator's values are NORed.
func TestConditionKeysAreANDed(t *testing.T) {
	cond := func(name string, i int) []Condition {
		t.Helper()
		return loadPolicy(t, name).Statements[i].Condition
	}
	lens := "arn:aws:s3:your-region:111122223333:storage-lens/your-dashboard-configuration-id"
	ana := "arn:aws:iam::222222222222:user/Ana"
	tests := []struct {
		name  string
		conds []Condition
		ctx   map[string][]string
		want  match
	}{
		// S3 User Guide, "Granting permissions for Amazon S3 Storage Lens":
		// the operator StringEquals is written three times, one key each.
		{"storage lens: all three keys hold", cond("s3-storage-lens.json", 0),
			kv("s3:x-amz-acl", "bucket-owner-full-control", "aws:sourceaccount", "111122223333", "aws:sourcearn", lens), yes},
		{"storage lens: another account", cond("s3-storage-lens.json", 0),
			kv("s3:x-amz-acl", "bucket-owner-full-control", "aws:sourceaccount", "999999999999", "aws:sourcearn", lens), no},
		{"storage lens: no canned ACL", cond("s3-storage-lens.json", 0),
			kv("s3:x-amz-acl", "<absent>", "aws:sourceaccount", "111122223333", "aws:sourcearn", lens), no},
		// S3 User Guide, "Granting permissions for Amazon S3 Inventory and
		// Amazon S3 analytics": two keys under one StringEquals.
		{"inventory: all hold", cond("s3-inventory.json", 0),
			kv("aws:sourcearn", "arn:aws:s3:::sourcebucket", "aws:sourceaccount", "123456789012", "s3:x-amz-acl", "bucket-owner-full-control"), yes},
		{"inventory: the first key of the operator fails", cond("s3-inventory.json", 0),
			kv("aws:sourcearn", "arn:aws:s3:::sourcebucket", "aws:sourceaccount", "999999999999", "s3:x-amz-acl", "bucket-owner-full-control"), no},
		{"inventory: the second key of the operator fails", cond("s3-inventory.json", 0),
			kv("aws:sourcearn", "arn:aws:s3:::sourcebucket", "aws:sourceaccount", "123456789012", "s3:x-amz-acl", "private"), no},
		{"inventory: the other operator fails", cond("s3-inventory.json", 0),
			kv("aws:sourcearn", "arn:aws:s3:::otherbucket", "aws:sourceaccount", "123456789012", "s3:x-amz-acl", "bucket-owner-full-control"), no},
		// IAM User Guide, the example of "Conditions with multiple context
		// keys or values".
		{"principal tags: one value of each key", cond("iam-multiple-keys.json", 0),
			kv("aws:principaltag/department", "hr", "aws:principaltag/role", "audit", "aws:principalarn", ana), yes},
		{"principal tags: role outside the list", cond("iam-multiple-keys.json", 0),
			kv("aws:principaltag/department", "hr", "aws:principaltag/role", "intern", "aws:principalarn", ana), no},
		{"principal tags: no role tag", cond("iam-multiple-keys.json", 0),
			kv("aws:principaltag/department", "hr", "aws:principaltag/role", "<absent>", "aws:principalarn", ana), no},
		{"principal tags: another user", cond("iam-multiple-keys.json", 0),
			kv("aws:principaltag/department", "hr", "aws:principaltag/role", "audit", "aws:principalarn", "arn:aws:iam::222222222222:user/Bob"), no},
		// The same page, "Evaluation logic for negated matching condition
		// operators": the values of one key are NORed.
		{"negated: none of the values, every key", cond("iam-multiple-keys-negated.json", 0),
			kv("aws:principaltag/department", "sales", "aws:principaltag/role", "intern", "aws:principalarn", "arn:aws:iam::222222222222:user/Bob"), yes},
		{"negated: one value matches", cond("iam-multiple-keys-negated.json", 0),
			kv("aws:principaltag/department", "legal", "aws:principaltag/role", "intern", "aws:principalarn", "arn:aws:iam::222222222222:user/Bob"), no},
		{"negated: absent keys hold", cond("iam-multiple-keys-negated.json", 0),
			kv("aws:principaltag/department", "<absent>", "aws:principaltag/role", "<absent>", "aws:principalarn", "arn:aws:iam::222222222222:user/Bob"), yes},
		{"negated: the ARN operator fails", cond("iam-multiple-keys-negated.json", 0),
			kv("aws:principaltag/department", "sales", "aws:principaltag/role", "intern", "aws:principalarn", ana), no},
		// S3 User Guide, "Adding a bucket policy to require MFA": values
		// written as JSON true and 3600.
		{"MFA: Null true, the key absent", cond("s3-mfa-age.json", 0), kv("aws:multifactorauthage", "<absent>"), yes},
		{"MFA: Null true, the key present", cond("s3-mfa-age.json", 0), kv("aws:multifactorauthage", "60"), no},
		{"MFA: older than an hour", cond("s3-mfa-age.json", 1), kv("aws:multifactorauthage", "7200"), yes},
		{"MFA: age absent", cond("s3-mfa-age.json", 1), kv("aws:multifactorauthage", "<absent>"), no},
		// IAM User Guide, "AWS global condition context keys": IfExists on
		// two operators; a missing key holds.
		{"IfExists: both keys absent", ifExists, kv("aws:sourceip", "<absent>", "aws:sourcevpc", "<absent>"), yes},
		{"IfExists: IP present and inside", ifExists, kv("aws:sourceip", "203.0.113.7", "aws:sourcevpc", "<absent>"), yes},
		{"IfExists: IP present and outside", ifExists, kv("aws:sourceip", "198.51.100.7", "aws:sourcevpc", "<absent>"), no},
		{"IfExists: VPC present and another", ifExists, kv("aws:sourceip", "<absent>", "aws:sourcevpc", "vpc-other"), no},
		// IAM User Guide, "Creating a condition that tests multiple key
		// values (set operations)".
		{"ForAllValues: every attribute listed", cond("iam-set-operators.json", 0), kv("dynamodb:requestedattributes", "PostDateTime|Message"), yes},
		{"ForAllValues: one attribute not listed", cond("iam-set-operators.json", 0), kv("dynamodb:requestedattributes", "PostDateTime|UserName"), no},
		{"ForAllValues: empty set holds", cond("iam-set-operators.json", 0), kv("dynamodb:requestedattributes", "<absent>"), yes},
		{"ForAnyValue: one attribute listed", cond("iam-set-operators.json", 1), kv("dynamodb:requestedattributes", "UserName|Message|PostDateTime"), yes},
		{"ForAnyValue: none listed", cond("iam-set-operators.json", 1), kv("dynamodb:requestedattributes", "UserName"), no},
		{"ForAnyValue: empty set fails", cond("iam-set-operators.json", 1), kv("dynamodb:requestedattributes", "<absent>"), no},
		// ForAnyValue on an empty set is false even with a negated
		// operator or IfExists: there is no value to satisfy it.
		{"ForAnyValue negated: empty set fails", anyNot, kv("aws:tagkeys", "<absent>"), no},
		{"ForAnyValue negated: every key listed", anyNot, kv("aws:tagkeys", "Owner:Legal|State:NY"), no},
		{"ForAnyValue negated: one key not listed", anyNot, kv("aws:tagkeys", "owner:Legal|Owner:Legal"), yes},
		{"ForAnyValue IfExists: empty set fails", anyIfExists, kv("aws:tagkeys", "<absent>"), no},
		{"ForAllValues negated: empty set holds", allNot, kv("aws:tagkeys", "<absent>"), yes},
		{"ForAllValues negated: one key listed", allNot, kv("aws:tagkeys", "Dept|DataClass"), no},
		{"ForAllValues negated: none listed", allNot, kv("aws:tagkeys", "Dept|SIC"), yes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := conditionsHold(tt.conds, tt.ctx)
			if got != tt.want {
				t.Errorf("got %s (why %v), want %s", matchName(got), why, matchName(tt.want))
			}
		})
	}
}

var (
	ifExists = mustConditions(`{"IpAddressIfExists": {"aws:SourceIp" : ["203.0.113.0/24"]}, "StringEqualsIfExists" : {"aws:SourceVpc" : ["vpc-111bbb22"]}}`)
	// Set operators over an empty set, as Cloud Copilot's IAM simulator
	// documents them (iam.cloudcopilot.io/resources/operators).
	anyNot      = mustConditions(`{"ForAnyValue:StringNotLike": {"aws:TagKeys": ["Owner:*", "State:??"]}}`)
	anyIfExists = mustConditions(`{"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["Owner:*", "State:??"]}}`)
	allNot      = mustConditions(`{"ForAllValues:StringNotEquals": {"aws:TagKeys": ["DataClass", "Owner"]}}`)
)

func mustConditions(block string) []Condition {
	p, err := Parse([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":` + block + `}}`))
	if err != nil || p.Statements[0].Err != nil {
		panic(block)
	}
	return p.Statements[0].Condition
}

// TestConditionUnknownKey: a key the request does not carry makes every
// form of operator Unknown, naming the key; a key known to be absent
// follows AWS's rule for that operator.
func TestConditionUnknownKey(t *testing.T) {
	ops := []string{"StringEquals", "StringNotEquals", "StringLike", "StringNotLikeIfExists", "StringEqualsIfExists", "Bool",
		"BoolIfExists", "Null", "IpAddress", "NotIpAddress", "ArnLike", "ArnNotLike", "NumericLessThan", "DateGreaterThan",
		"ForAnyValue:StringEquals", "ForAllValues:StringLike", "ForAnyValue:StringNotEqualsIfExists"}
	for _, op := range ops {
		t.Run(op, func(t *testing.T) {
			conds := mustConditions(`{"` + op + `": {"aws:Referer": ["http://www.example.com/*"]}}`)
			got, why := conditionsHold(conds, kv("aws:sourceip", "192.0.2.1"))
			if got != maybe || len(why) != 1 || !strings.Contains(why[0], "aws:Referer") {
				t.Errorf("unknown key: got %s, why %q; want maybe naming aws:Referer", matchName(got), why)
			}
		})
	}
}

// TestParseShapes reads the element shapes the user guides use.
func TestParseShapes(t *testing.T) {
	stmt := func(t *testing.T, body string) Statement {
		t.Helper()
		return mustParse(t, `{"Version":"2012-10-17","Statement":`+body+`}`).Statements[0]
	}
	t.Run("Principal", func(t *testing.T) {
		for _, tt := range []struct {
			doc      string
			all      bool
			aws, svc []string
		}{
			{`"*"`, true, nil, nil},
			{`{"AWS":"*"}`, true, []string{"*"}, nil},
			{`{"AWS":"123456789012"}`, false, []string{"123456789012"}, nil},
			{`{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::444455556666:root"]}`, false,
				[]string{"arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"}, nil},
			{`{"Service":["storage-lens.s3.amazonaws.com"]}`, false, nil, []string{"storage-lens.s3.amazonaws.com"}},
			{`{"Service":"s3.amazonaws.com"}`, false, nil, []string{"s3.amazonaws.com"}},
		} {
			st := stmt(t, `{"Effect":"Allow","Principal":`+tt.doc+`,"Action":"s3:GetObject","Resource":"*"}`)
			p := st.Principal
			if p.All != tt.all || strings.Join(p.AWS, ",") != strings.Join(tt.aws, ",") || strings.Join(p.Service, ",") != strings.Join(tt.svc, ",") {
				t.Errorf("%s: got %+v", tt.doc, p)
			}
		}
		st := stmt(t, `{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:GetObject","Resource":"*"}`)
		if len(st.Principal.Canonical) != 1 {
			t.Errorf("CanonicalUser: got %+v", st.Principal)
		}
		st = stmt(t, `{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::444455556666:user/Bob","arn:aws:iam::444455556666:root"]},"Action":"s3:*","Resource":"*"}`)
		if st.Principal != nil || st.NotPrincipal == nil || len(st.NotPrincipal.AWS) != 2 {
			t.Errorf("NotPrincipal: got %+v / %+v", st.Principal, st.NotPrincipal)
		}
	})
	t.Run("Action and Resource", func(t *testing.T) {
		a := stmt(t, `{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`)
		b := stmt(t, `[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]`)
		if len(a.Action) != 1 || len(a.Resource) != 1 || len(b.Action) != 2 || len(b.Resource) != 2 {
			t.Errorf("got %v %v, %v %v", a.Action, a.Resource, b.Action, b.Resource)
		}
	})
	t.Run("Condition values", func(t *testing.T) {
		st := stmt(t, `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{
		  "Null":{"aws:MultiFactorAuthAge":true},"NumericGreaterThan":{"aws:MultiFactorAuthAge":3600},
		  "Bool":{"aws:SecureTransport":"false"},"StringLike":{"aws:Referer":["http://www.example.com/*","http://example.com/*"]}}}`)
		want := map[string]string{"Null": "true", "NumericGreaterThan": "3600", "Bool": "false", "StringLike": "http://www.example.com/*,http://example.com/*"}
		if len(st.Condition) != len(want) {
			t.Fatalf("got %d conditions: %+v", len(st.Condition), st.Condition)
		}
		for _, c := range st.Condition {
			if got := strings.Join(c.Values, ","); got != want[c.Operator] {
				t.Errorf("%s: got %q, want %q", c.Operator, got, want[c.Operator])
			}
		}
	})
	t.Run("Condition operator written twice", func(t *testing.T) {
		conds := loadPolicy(t, "s3-storage-lens.json").Statements[0].Condition
		var keys []string
		for _, c := range conds {
			keys = append(keys, c.Operator+" "+c.Key)
		}
		want := "StringEquals aws:SourceAccount, StringEquals aws:SourceArn, StringEquals s3:x-amz-acl"
		if strings.Join(keys, ", ") != want {
			t.Errorf("got %s, want %s", strings.Join(keys, ", "), want)
		}
	})
	t.Run("bad Condition", func(t *testing.T) {
		for _, c := range []string{`"x"`, `{"StringEquals":"x"}`, `{"StringEquals":{"k":{"a":1}}}`, `[]`} {
			p, err := Parse([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":` + c + `}}`))
			if err != nil || p.Statements[0].Err == nil {
				t.Errorf("%s: read without error", c)
			}
		}
	})
}

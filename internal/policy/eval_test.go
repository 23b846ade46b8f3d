package policy

import (
	"testing"
)

func mustParse(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, doc)
	}
	for _, st := range p.Statements {
		if st.Err != nil {
			t.Fatalf("statement %d: %v", st.Index, st.Err)
		}
	}
	return p
}

var alice = Who{Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/alice", UserName: "alice"}

// ctx is a request context as sortie builds it for a probe over HTTPS from
// a campus address; extra pairs are added or override.
func ctx(kv ...string) map[string][]string {
	c := map[string][]string{
		"aws:username": {"alice"}, "aws:securetransport": {"true"}, "aws:sourceip": {"192.0.2.10"},
		"aws:multifactorauthpresent": nil,
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "<absent>" {
			c[kv[i]] = nil
			continue
		}
		c[kv[i]] = []string{kv[i+1]}
	}
	return c
}

// The policies are the examples of AWS's IAM and S3 user guides, as
// published; each case names its page.
func TestEvaluate(t *testing.T) {
	// IAM User Guide, "Amazon S3: Allows IAM users access to their S3 home
	// directory, programmatically and in the console".
	home := `{"Version":"2012-10-17","Statement":[
	 {"Sid":"ListYourObjects","Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:aws:s3:::bucket-name"],
	  "Condition":{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}},
	 {"Sid":"RWD","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],
	  "Resource":["arn:aws:s3:::bucket-name/home/${aws:username}/*"]}]}`
	// S3 User Guide, "Granting read-only permission to a public anonymous
	// user" and "Managing access to a bucket with a prefix".
	readPrefix := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::amzn-s3-demo-bucket",
	  "Condition":{"StringEquals":{"s3:prefix":["projects/"]}}},
	 {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/projects/*"}]}`
	publicRead := `{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*",
	 "Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::amzn-s3-demo-bucket/*"]}]}`
	// S3 User Guide, "Managing access based on HTTP or HTTPS requests".
	tlsOnly := `{"Version":"2012-10-17","Statement":[{"Sid":"RestrictToTLSRequestsOnly","Action":"s3:*","Effect":"Deny",
	 "Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"],
	 "Condition":{"Bool":{"aws:SecureTransport":"false"}},"Principal":"*"}]}`
	// S3 User Guide, "Managing access based on specific IP addresses".
	ipOnly := `{"Version":"2012-10-17","Id":"S3PolicyId1","Statement":[{"Sid":"IPAllow","Effect":"Deny","Principal":"*",
	 "Action":"s3:*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"],
	 "Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}]}`
	all := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	// IAM User Guide, "Explicit deny": allow everything on a bucket, deny
	// deleting.
	denyDelete := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"]},
	 {"Effect":"Deny","Action":["s3:DeleteObject","s3:DeleteObjectVersion"],"Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}`
	// PowerUserAccess: NotAction.
	powerUser := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]}`
	// IAM User Guide, NotResource: deny everything but one bucket.
	onlyOne := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*",
	 "NotResource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"]}]}`
	// S3 User Guide, "Restricting access to a specific VPC endpoint".
	vpce := `{"Version":"2012-10-17","Statement":[{"Sid":"Access-to-specific-VPCE-only","Principal":"*","Action":"s3:*","Effect":"Deny",
	 "Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"],
	 "Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}`
	// IAM User Guide, "AWS: Denies access to AWS based on the source IP"
	// combined with MFA: "BoolIfExists" on MultiFactorAuthPresent.
	mfa := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*",
	 "Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`
	userGrant := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},
	 "Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}`
	accountGrant := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},
	 "Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}`
	boundary := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}`
	dates := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
	 "Condition":{"DateLessThan":{"aws:CurrentTime":"2027-06-30T00:00:00Z"},"NumericLessThanEquals":{"s3:max-keys":"10"}}}]}`

	id := func(docs ...string) []Source {
		var out []Source
		for _, d := range docs {
			out = append(out, Source{Name: "identity", Kind: Identity, Policy: mustParse(t, d)})
		}
		return out
	}
	res := func(doc string) Source { return Source{Name: "bucket", Kind: Resource, Policy: mustParse(t, doc)} }
	anon := Who{Anonymous: true}
	b := "arn:aws:s3:::amzn-s3-demo-bucket"
	tests := []struct {
		name    string
		sources []Source
		who     Who
		action  string
		arn     string
		ctx     map[string][]string
		want    Decision
	}{
		{"home: own folder get", id(home), alice, "s3:GetObject", "arn:aws:s3:::bucket-name/home/alice/notes.txt", ctx(), Allow},
		{"home: someone else's folder", id(home), alice, "s3:GetObject", "arn:aws:s3:::bucket-name/home/bob/notes.txt", ctx(), ImplicitDeny},
		{"home: list own prefix", id(home), alice, "s3:ListBucket", "arn:aws:s3:::bucket-name", ctx("s3:prefix", "home/alice/"), Allow},
		{"home: list another prefix", id(home), alice, "s3:ListBucket", "arn:aws:s3:::bucket-name", ctx("s3:prefix", "home/bob/"), ImplicitDeny},
		{"home: list without a prefix", id(home), alice, "s3:ListBucket", "arn:aws:s3:::bucket-name", ctx("s3:prefix", "<absent>"), ImplicitDeny},
		{"home: prefix unknown", id(home), alice, "s3:ListBucket", "arn:aws:s3:::bucket-name", map[string][]string{"aws:username": {"alice"}}, Unknown},
		{"home: user name with a star stays literal", id(home), Who{ARN: "x", UserName: "a*"}, "s3:GetObject", "arn:aws:s3:::bucket-name/home/abc/x", ctx("aws:username", "a*"), ImplicitDeny},
		{"prefix: read inside", id(readPrefix), alice, "s3:GetObject", b + "/projects/plan.pdf", ctx(), Allow},
		{"prefix: read outside", id(readPrefix), alice, "s3:GetObject", b + "/finance/plan.pdf", ctx(), ImplicitDeny},
		{"prefix: list it", id(readPrefix), alice, "s3:ListBucket", b, ctx("s3:prefix", "projects/"), Allow},
		{"prefix: write", id(readPrefix), alice, "s3:PutObject", b + "/projects/plan.pdf", ctx(), ImplicitDeny},
		{"public read: anonymous get", []Source{res(publicRead)}, anon, "s3:GetObject", b + "/index.html", ctx(), Allow},
		{"public read: anonymous put", []Source{res(publicRead)}, anon, "s3:PutObject", b + "/index.html", ctx(), ImplicitDeny},
		{"public read: any user too", []Source{res(publicRead)}, alice, "s3:GetObject", b + "/index.html", ctx(), Allow},
		{"anonymous ignores identity policies", id(all), anon, "s3:GetObject", b + "/x", ctx(), ImplicitDeny},
		{"TLS only: over HTTPS", append(id(all), res(tlsOnly)), alice, "s3:GetObject", b + "/x", ctx(), Allow},
		{"TLS only: over HTTP", append(id(all), res(tlsOnly)), alice, "s3:GetObject", b + "/x", ctx("aws:securetransport", "false"), ExplicitDeny},
		{"TLS only: other bucket", append(id(all), res(tlsOnly)), alice, "s3:GetObject", "arn:aws:s3:::other/x", ctx("aws:securetransport", "false"), Allow},
		{"IP: from campus", append(id(all), res(ipOnly)), alice, "s3:PutObject", b + "/x", ctx(), Allow},
		{"IP: from elsewhere", append(id(all), res(ipOnly)), alice, "s3:PutObject", b + "/x", ctx("aws:sourceip", "198.51.100.7"), ExplicitDeny},
		{"explicit deny wins", id(denyDelete), alice, "s3:DeleteObject", b + "/x", ctx(), ExplicitDeny},
		{"explicit deny leaves the rest", id(denyDelete), alice, "s3:PutObject", b + "/x", ctx(), Allow},
		{"deny in one policy beats allow in another", id(all, denyDelete), alice, "s3:DeleteObjectVersion", b + "/x", ctx(), ExplicitDeny},
		{"NotAction allows s3", id(powerUser), alice, "s3:PutObject", b + "/x", ctx(), Allow},
		{"NotAction excludes iam", id(powerUser), alice, "iam:CreateUser", "*", ctx(), ImplicitDeny},
		{"NotResource: the one bucket", id(all, onlyOne), alice, "s3:GetObject", b + "/x", ctx(), Allow},
		{"NotResource: another bucket", id(all, onlyOne), alice, "s3:GetObject", "arn:aws:s3:::other/x", ctx(), ExplicitDeny},
		{"action case-insensitive", id(all), alice, "S3:getobject", b + "/x", ctx(), Allow},
		{"VPC endpoint cannot be known", append(id(all), res(vpce)), alice, "s3:GetObject", b + "/x", ctx(), Unknown},
		{"VPC endpoint known absent", append(id(all), res(vpce)), alice, "s3:GetObject", b + "/x", ctx("aws:sourcevpce", "<absent>"), ExplicitDeny},
		// As the IAM guide warns: the key is absent with long-term access
		// keys, so BoolIfExists holds and the deny applies.
		{"MFA IfExists: long-term keys carry no MFA key", id(all, mfa), alice, "s3:DeleteObject", b + "/x", ctx(), ExplicitDeny},
		{"MFA IfExists: with MFA", id(all, mfa), alice, "s3:DeleteObject", b + "/x", ctx("aws:multifactorauthpresent", "true"), Allow},
		{"MFA IfExists: without MFA", id(all, mfa), alice, "s3:DeleteObject", b + "/x", ctx("aws:multifactorauthpresent", "false"), ExplicitDeny},
		{"bucket policy names the user", []Source{res(userGrant)}, alice, "s3:GetObject", b + "/x", ctx(), Allow},
		{"bucket policy names the account: delegation only", []Source{res(accountGrant)}, alice, "s3:GetObject", b + "/x", ctx(), ImplicitDeny},
		{"boundary caps identity", append(id(all), Source{Name: "boundary", Kind: Boundary, Policy: mustParse(t, boundary)}), alice, "s3:PutObject", b + "/x", ctx(), ImplicitDeny},
		{"boundary lets through", append(id(all), Source{Name: "boundary", Kind: Boundary, Policy: mustParse(t, boundary)}), alice, "s3:GetObject", b + "/x", ctx(), Allow},
		{"dates and numbers", id(dates), alice, "s3:GetObject", b + "/x", ctx("aws:currenttime", "2027-01-01T00:00:00Z", "s3:max-keys", "5"), Allow},
		{"dates: too late", id(dates), alice, "s3:GetObject", b + "/x", ctx("aws:currenttime", "2027-07-01T00:00:00Z", "s3:max-keys", "5"), ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(tt.sources, Request{Who: tt.who, Action: tt.action, Resource: tt.arn, Context: tt.ctx})
			if got.Decision != tt.want {
				t.Errorf("got %v (by %v, why %v), want %v", got.Decision, got.By, got.Why, tt.want)
			}
			if got.Decision == Unknown && len(got.Why) == 0 {
				t.Errorf("Unknown without a reason")
			}
		})
	}
}

func TestWildcard(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"a*c", "abbbc", true}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"home/*", "home/", true}, {"home/*", "home", false}, {`a\*`, "a*", true}, {`a\*`, "ab", false},
		{"arn:aws:s3:::b/*/x", "arn:aws:s3:::b/1/2/x", true},
	}
	for _, tt := range tests {
		if got := wildcard(tt.p, tt.s); got != tt.want {
			t.Errorf("wildcard(%q, %q) = %v", tt.p, tt.s, got)
		}
	}
}

func TestParseBadStatements(t *testing.T) {
	p, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
	  {"Effect":"Permit","Action":"s3:GetObject","Resource":"*"},
	  {"Effect":"Allow","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"*"},
	  {"Effect":"Allow","Actions":"s3:GetObject","Resource":"*"},
	  "not an object"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var bad int
	for _, st := range p.Statements {
		if st.Err != nil {
			bad++
		}
	}
	if len(p.Statements) != 5 || bad != 4 || p.Statements[0].Err != nil {
		t.Fatalf("got %d statements, %d bad: %+v", len(p.Statements), bad, p.Statements)
	}
	for _, doc := range []string{`{"Statement":`, `[]`, `{"Version":"2012-10-17"}`} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: parsed", doc)
		}
	}
}

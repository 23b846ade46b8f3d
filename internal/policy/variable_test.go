package policy

import "testing"

// TestPolicyVariables: a variable whose key the request does not carry is
// unknown even with a default (the request may carry the key); the
// default stands in only for a key known to be absent.
func TestPolicyVariables(t *testing.T) {
	// IAM User Guide, "IAM policy elements: Variables and tags",
	// specifying default values.
	team := id1(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],
	 "Resource":["arn:aws:s3:::amzn-s3-demo-bucket/${aws:PrincipalTag/team, 'company-wide'}/*"]}]}`)
	home := []Source{{Name: "identity", Kind: Identity, Policy: loadPolicy(t, "iam-home-console.json")}}
	// IAM User Guide, NotResource with a variable: deny outside one's
	// home folder.
	onlyHome := append(id1(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`),
		id1(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:PutObject",
	 "NotResource":["arn:aws:s3:::bucket-name/home/${aws:username}/*"]}]}`)...)
	b := "arn:aws:s3:::amzn-s3-demo-bucket/"
	tests := []struct {
		name    string
		sources []Source
		action  string
		arn     string
		ctx     map[string][]string
		want    Decision
	}{
		{"default: tag unknown", team, "s3:GetObject", b + "company-wide/x", kv(), Unknown},
		{"default: no tags at all", team, "s3:GetObject", b + "company-wide/x", kv("aws:principaltag/", "<absent>"), Allow},
		{"default: tag known absent", team, "s3:GetObject", b + "company-wide/x", kv("aws:principaltag/team", "<absent>"), Allow},
		{"default: the user's team", team, "s3:GetObject", b + "physics/x", kv("aws:principaltag/", "<absent>", "aws:principaltag/team", "physics"), Allow},
		{"default: not the user's team", team, "s3:GetObject", b + "company-wide/x", kv("aws:principaltag/", "<absent>", "aws:principaltag/team", "physics"), ImplicitDeny},
		{"NotResource: user unknown", onlyHome, "s3:PutObject", "arn:aws:s3:::bucket-name/home/alice/x", kv(), Unknown},
		{"NotResource: own folder", onlyHome, "s3:PutObject", "arn:aws:s3:::bucket-name/home/alice/x", kv("aws:username", "alice"), Allow},
		{"NotResource: another folder", onlyHome, "s3:PutObject", "arn:aws:s3:::bucket-name/home/bob/x", kv("aws:username", "alice"), ExplicitDeny},
		// IAM User Guide, "Allows IAM users to access their S3 home
		// directory, programmatically and in the console": two keys under
		// one StringEquals, a variable in a value.
		{"console: list the top with the delimiter", home, "s3:ListBucket", "arn:aws:s3:::bucket-name",
			kv("aws:username", "alice", "s3:prefix", "", "s3:delimiter", "/"), Allow},
		{"console: list home/alice/ with the delimiter", home, "s3:ListBucket", "arn:aws:s3:::bucket-name",
			kv("aws:username", "alice", "s3:prefix", "home/alice/", "s3:delimiter", "/"), Allow},
		{"console: list the top without a delimiter", home, "s3:ListBucket", "arn:aws:s3:::bucket-name",
			kv("aws:username", "alice", "s3:prefix", "", "s3:delimiter", "<absent>"), ImplicitDeny},
		{"console: list home/bob/", home, "s3:ListBucket", "arn:aws:s3:::bucket-name",
			kv("aws:username", "alice", "s3:prefix", "home/bob/", "s3:delimiter", "/"), ImplicitDeny},
		{"console: delimiter not known", home, "s3:ListBucket", "arn:aws:s3:::bucket-name",
			kv("aws:username", "alice", "s3:prefix", ""), Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(tt.sources, Request{Who: alice, Action: tt.action, Resource: tt.arn, Context: tt.ctx})
			if got.Decision != tt.want {
				t.Errorf("got %v (by %v, why %v), want %v", got.Decision, got.By, got.Why, tt.want)
			}
		})
	}
}

func id1(t *testing.T, doc string) []Source {
	return []Source{{Name: "identity", Kind: Identity, Policy: mustParse(t, doc)}}
}

package policy

import "testing"

// TestNotPrincipalDeny is the IAM User Guide's NotPrincipal example: every
// principal but Bob is denied. Naming Bob's account spares the account
// principal itself, not every user in it.
func TestNotPrincipalDeny(t *testing.T) {
	src := []Source{{Name: "bucket", Kind: Resource, Policy: loadPolicy(t, "iam-notprincipal-deny.json")},
		{Name: "identity", Kind: Identity, Policy: mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}}
	tests := []struct {
		name string
		who  Who
		want Decision
	}{
		{"Bob", Who{Account: "444455556666", ARN: "arn:aws:iam::444455556666:user/Bob", UserName: "Bob"}, Allow},
		{"another user of Bob's account", Who{Account: "444455556666", ARN: "arn:aws:iam::444455556666:user/alice", UserName: "alice"}, ExplicitDeny},
		{"a user of another account", alice, ExplicitDeny},
		{"anonymous", Who{Anonymous: true}, ExplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(src, Request{Who: tt.who, Action: "s3:GetObject", Resource: "arn:aws:s3:::BUCKETNAME/x", Context: kv()})
			if got.Decision != tt.want {
				t.Errorf("got %v (by %v), want %v", got.Decision, got.By, tt.want)
			}
		})
	}
}

package policy

import (
	"strings"
	"testing"
)

// TestRequestSuppliedKeys runs the S3 User Guide's examples whose keys the
// client chooses with each request (a header, the referer). When sortie
// asks what a principal may do, it cannot know them: Unknown, with the
// key in the reason. A request known to carry no Referer is denied, as
// AWS denies it.
func TestRequestSuppliedKeys(t *testing.T) {
	referer := []Source{{Name: "bucket", Kind: Resource, Policy: loadPolicy(t, "s3-referer.json")}}
	acl := []Source{{Name: "bucket", Kind: Resource, Policy: loadPolicy(t, "s3-canned-acl.json")},
		{Name: "identity", Kind: Identity, Policy: mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}}
	obj := "arn:aws:s3:::DOC-EXAMPLE-BUCKET/photos/cat.jpg"
	anon := Who{Anonymous: true}
	deny := []Source{{Name: "bucket", Kind: Resource, Policy: mustParse(t, `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"},
	 {"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::DOC-EXAMPLE-BUCKET/*",
	  "Condition":{"StringNotLike":{"aws:Referer":["http://www.example.com/*","http://example.com/*"]}}}]}`)}}
	tests := []struct {
		name    string
		sources []Source
		who     Who
		action  string
		ctx     map[string][]string
		want    Decision
		key     string // named in Why when Unknown
	}{
		{"referer: not known", referer, anon, "s3:GetObject", kv("aws:securetransport", "true"), Unknown, "aws:Referer"},
		{"referer: from the site", referer, anon, "s3:GetObject", kv("aws:referer", "http://www.example.com/gallery.html"), Allow, ""},
		{"referer: from elsewhere", referer, anon, "s3:GetObject", kv("aws:referer", "http://attacker.example/"), ImplicitDeny, ""},
		{"referer: request sent without one", referer, anon, "s3:GetObject", kv("aws:referer", "<absent>"), ImplicitDeny, ""},
		{"referer deny: not known", deny, anon, "s3:GetObject", kv(), Unknown, "aws:Referer"},
		{"referer deny: from the site", deny, anon, "s3:GetObject", kv("aws:referer", "http://example.com/"), Allow, ""},
		{"referer deny: without one", deny, anon, "s3:GetObject", kv("aws:referer", "<absent>"), ExplicitDeny, ""},
		{"canned ACL: the user's own identity policy allows", acl, Who{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/dave"}, "s3:PutObject", kv(), Allow, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(tt.sources, Request{Who: tt.who, Action: tt.action, Resource: obj, Context: tt.ctx})
			if got.Decision != tt.want {
				t.Fatalf("got %v (by %v, why %v), want %v", got.Decision, got.By, got.Why, tt.want)
			}
			if tt.key != "" && !strings.Contains(strings.Join(got.Why, "; "), tt.key) {
				t.Errorf("why %q does not name %s", got.Why, tt.key)
			}
		})
	}
	// Without an identity policy that allows, the grant depends on the
	// header the client sends.
	got := Evaluate(acl[:1], Request{Who: Who{Account: "444455556666", ARN: "arn:aws:iam::444455556666:root"},
		Action: "s3:PutObject", Resource: obj, Context: kv()})
	if got.Decision != Unknown || !strings.Contains(strings.Join(got.Why, "; "), "s3:x-amz-acl") {
		t.Errorf("canned ACL for the account: got %v (why %v), want unknown naming s3:x-amz-acl", got.Decision, got.Why)
	}
}

func TestChosenByClient(t *testing.T) {
	for key, want := range map[string]bool{
		"aws:Referer": true, "aws:UserAgent": true, "s3:x-amz-acl": true, "s3:x-amz-server-side-encryption": true,
		"s3:x-amz-grant-full-control": true, "s3:prefix": true, "s3:delimiter": true, "s3:max-keys": true,
		"s3:VersionId": true, "s3:RequestObjectTag/Department": true, "s3:RequestObjectTagKeys": true,
		"aws:RequestTag/team": true, "aws:TagKeys": true,
		"aws:SecureTransport": false, "aws:SourceIp": false, "aws:SourceVpce": false, "aws:username": false,
		"aws:PrincipalTag/role": false, "aws:CurrentTime": false, "aws:MultiFactorAuthPresent": false,
	} {
		if got := ChosenByClient(key); got != want {
			t.Errorf("ChosenByClient(%q) = %v, want %v", key, got, want)
		}
	}
}

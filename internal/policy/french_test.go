package policy

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/account"
)

// english finds English words left in French output, once what is data
// there is taken out: names and ARNs (anything with -:/=_.$*@ or a digit),
// CamelCase operators and keys, JSON documents, `commands`, «quoted»
// values, the commands sortie policy … and sortie copy.
var (
	codeBlock = regexp.MustCompile("(?s)```json.*?```")
	quoted    = regexp.MustCompile("`[^`]*`|«[^»]*»|\"[^\"]*\"")
	command   = regexp.MustCompile(`sortie (policy (plan|apply|probe)|copy)`)
	dataWord  = regexp.MustCompile(`\S*[-:/=_.$*@0-9]\S*|\b[a-z]*[A-Z][a-z]+[A-Z]\w*\b|\b[A-Z][a-z]+[A-Z]\w*\b`)
	exempt    = regexp.MustCompile(`\b(Statement|Action|NotAction|Resource|NotResource|Effect|Sid|Principal|NotPrincipal|Condition|IfExists|ACL|READ|WRITE)\b`)
	english   = regexp.MustCompile(`(?i)(?:^|[^\pL\pN])(the|not|and|of|to|is|are|with|which|its|it|for|from|by|has|have|only|cannot|would|could|carried|allowed|denied|granted|applies|dropped|unknown|policy|statement|bucket|buckets|user|users|group|groups|role|roles|account|access|inline|managed|anonymous|everyone|if|on|read|write|owner|created|updated|attached|added|skipped|error|exact|narrower|broader|ignored|invalid|loss|report|target|prefix|translated|keys|members|policies|allow|deny|list|get|put|delete|no|none|more)(?:$|[^\pL\pN])`)
)

func englishLeft(out string) []string {
	s := codeBlock.ReplaceAllString(out, "")
	s = quoted.ReplaceAllString(s, "")
	s = command.ReplaceAllString(s, "")
	s = dataWord.ReplaceAllString(s, "")
	s = exempt.ReplaceAllString(s, "")
	var left []string
	for _, line := range strings.Split(s, "\n") {
		var w []string
		for _, m := range english.FindAllStringSubmatch(" "+line+" ", -1) {
			w = append(w, m[1])
		}
		if len(w) > 0 {
			left = append(left, strings.Join(w, " ")+"  ← "+strings.TrimSpace(line))
		}
	}
	return left
}

// Every message policy writes is French under --lang fr: the loss report's
// reasons and sources, the target's objects, the effective permissions,
// for each target, a broad account (documents that cannot be read, a
// missing boundary, a repeated condition key) and --allow-broader.
func TestFrenchThroughout(t *testing.T) {
	a := campus(t, "uni-research-data", "uni-lab-archive", "uni-website")
	a.IAM.UserDetailList = append(a.IAM.UserDetailList,
		account.IAMUser{UserName: "dave", Arn: "arn:aws:iam::123456789012:user/dave", UserPolicyList: []account.InlinePolicy{
			{PolicyName: "broken", PolicyDocument: account.Document(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow"`)}}},
		account.IAMUser{UserName: "erin", Arn: "arn:aws:iam::123456789012:user/erin", UserPolicyList: []account.InlinePolicy{
			{PolicyName: "mixed", PolicyDocument: account.Document(`{"Version":"2012-10-17","Statement":[
				{"Sid":"Typo","Effect":"Allow","Action":"s3:GetObjekt","Resource":"arn:aws:s3:::uni-research-data/*"},
				{"Sid":"BadEffect","Effect":"Maybe","Action":"s3:PutObject","Resource":"*"},
				{"Sid":"Element","Effect":"Allow","Actions":"s3:PutObject","Resource":"*"},
				{"Sid":"Twice","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::uni-research-data",
				 "Condition":{"StringLike":{"s3:prefix":"home/*"},"StringLike":{"s3:prefix":"*/reports/*"}}},
				{"Sid":"Never","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::uni-research-data/*",
				 "Condition":{"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"},"StringEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}},
				{"Sid":"Good","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::uni-research-data/erin/*"}]}`)}}},
		account.IAMUser{UserName: "gina", Arn: "arn:aws:iam::123456789012:user/gina", PermissionsBoundary: &account.Boundary{Type: "Policy", Arn: "arn:aws:iam::123456789012:policy/missing"},
			UserPolicyList: []account.InlinePolicy{{PolicyName: "rw", PolicyDocument: account.Document(`{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::uni-research-data/*"}]}`)}}},
	)
	for _, target := range []string{"minio", "ceph", "garage"} {
		for _, broader := range []bool{false, true} {
			p, err := Build(a, Options{Target: target, Now: testNow, AllowBroader: broader, BucketMap: map[string]string{"uni-website": "www"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []Format{{Lang: "fr"}, {Lang: "fr", Grid: true}} {
				var text, md bytes.Buffer
				WriteText(&text, p, f)
				WriteMarkdown(&md, p, f)
				for name, out := range map[string]string{"text": text.String(), "md": md.String()} {
					if left := englishLeft(out); len(left) > 0 {
						t.Errorf("%s, allow-broader %v, %s, grid %v: English left:\n%s", target, broader, name, f.Grid, strings.Join(left, "\n"))
					}
					if englishLeft(strings.ReplaceAll(out, "compartiment", "bucket")) == nil {
						t.Fatal("the check finds nothing")
					}
				}
			}
		}
	}
}

package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/account"
)

// A key written twice under one operator is ANDed by AWS, and a target's
// Condition object can hold it once: the translation writes the values
// that satisfy both, or takes the narrower side, never the broader. The
// documents are in IAM's shape, the operator repeated as the parser keeps
// it (the S3 User Guide's Storage Lens policy repeats StringEquals).
func TestRepeatedKeyIsANDed(t *testing.T) {
	tests := []struct {
		name, effect, action, resource, cond string
		want                                 Outcome
		values                               map[string][]string // operator/key → values written
		reason                               string
	}{
		{"equal values intersect", "Allow", "s3:PutObject", "uni-research-data/*",
			`"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"},"StringEquals":{"s3:x-amz-server-side-encryption":["AES256","aws:kms"]}`,
			Exact, map[string][]string{"StringEquals/s3:x-amz-server-side-encryption": {"AES256"}}, ""},
		{"ranges intersect, keys spelt apart", "Allow", "s3:GetObject", "uni-research-data/*",
			`"IpAddress":{"aws:SourceIp":"10.20.0.0/16"},"IpAddress":{"aws:sourceip":"10.0.0.0/8"}`,
			Exact, map[string][]string{"IpAddress/aws:SourceIp": {"10.20.0.0/16"}}, ""},
		{"negated values unite", "Deny", "s3:GetObject", "uni-research-data/*",
			`"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"},"NotIpAddress":{"aws:SourceIp":"192.168.0.0/16"}`,
			Exact, map[string][]string{"NotIpAddress/aws:SourceIp": {"10.0.0.0/8", "192.168.0.0/16"}}, ""},
		{"a literal and a pattern", "Allow", "s3:ListBucket", "uni-research-data",
			`"StringLike":{"s3:prefix":"home/*"},"StringLike":{"s3:prefix":["home/alice/","shared/"]}`,
			Exact, map[string][]string{"StringLike/s3:prefix": {"home/alice/"}}, ""},
		{"two patterns: an allow is not carried", "Allow", "s3:ListBucket", "uni-research-data",
			`"StringLike":{"s3:prefix":"home/*"},"StringLike":{"s3:prefix":"*/reports/*"}`,
			NotCarried, nil, "cannot write two StringLike conditions on s3:prefix as one"},
		{"two patterns: a deny applies to all", "Deny", "s3:ListBucket", "uni-research-data",
			`"StringLike":{"s3:prefix":"home/*"},"StringLike":{"s3:prefix":"*/reports/*"}`,
			Narrower, nil, "the deny applies unconditionally"},
		{"nothing satisfies both", "Allow", "s3:PutObject", "uni-research-data/*",
			`"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"},"StringEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}`,
			Exact, nil, "cannot both hold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"` + tt.effect + `","Action":"` + tt.action +
				`","Resource":"arn:aws:s3:::` + tt.resource + `","Condition":{` + tt.cond + `}}]}`
			a := campus(t, "uni-research-data")
			a.IAM.UserDetailList = append(a.IAM.UserDetailList, account.IAMUser{UserName: "tess", Arn: "arn:aws:iam::123456789012:user/tess",
				UserPolicyList: []account.InlinePolicy{
					{PolicyName: "p", PolicyDocument: account.Document(doc)},
					// tess is carried whatever p becomes.
					{PolicyName: "base", PolicyDocument: account.Document(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::uni-research-data/tess/*"}]}`)},
				}})
			p, err := Build(a, Options{Target: "minio", Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			var row *Row
			for i, r := range p.Rows {
				if r.Source.String() == "user tess: inline p" {
					row = &p.Rows[i]
				}
			}
			if row == nil {
				t.Fatal("no row for tess's policy")
			}
			if row.Outcome != tt.want || !strings.Contains(Join(row.Reasons...).in("en"), tt.reason) {
				t.Errorf("outcome %s %q, want %s with %q", row.Outcome, row.Reasons, tt.want, tt.reason)
			}
			var got *Document
			for _, d := range p.MinIO.Policies {
				if d.Name == "user-tess-p" {
					got = &d.Document
				}
			}
			switch {
			case tt.values == nil && got != nil && got.Statement[0].Condition != nil:
				b, _ := json.Marshal(got)
				t.Errorf("wrote %s, want no condition", b)
			case tt.values != nil && got == nil:
				t.Fatal("the statement was not carried")
			case tt.values != nil:
				written := map[string][]string{}
				for op, keys := range got.Statement[0].Condition {
					for k, v := range keys {
						written[op+"/"+k] = v
					}
				}
				b, _ := json.Marshal(written)
				w, _ := json.Marshal(tt.values)
				if string(b) != string(w) {
					t.Errorf("wrote %s, want %s", b, w)
				}
			}
			// Whatever is written allows no request AWS denies, and denies
			// every request AWS denies.
			orig := mustParse(t, doc).Statements[0]
			if got == nil {
				return
			}
			raw, _ := json.Marshal(got)
			out := mustParse(t, string(raw)).Statements[0]
			res := "arn:aws:s3:::uni-research-data/home/alice/x"
			if tt.action == "s3:ListBucket" {
				res = "arn:aws:s3:::uni-research-data"
			}
			for _, sse := range []string{"AES256", "aws:kms", "<absent>"} {
				for _, ip := range []string{"10.20.1.1", "10.1.1.1", "192.168.1.1", "8.8.8.8"} {
					for _, prefix := range []string{"home/alice/", "home/bob/", "shared/", "x/reports/y", "home/x/reports/"} {
						req := Request{Action: tt.action, Resource: res,
							Context: kv("s3:x-amz-server-side-encryption", sse, "aws:sourceip", ip, "s3:prefix", prefix)}
						was, _ := statementApplies(orig, req)
						is, _ := statementApplies(out, req)
						if tt.effect == "Allow" && is == yes && was != yes || tt.effect == "Deny" && was == yes && is != yes {
							t.Errorf("%s %s %s: AWS %s, translated %s", sse, ip, prefix, matchName(was), matchName(is))
						}
					}
				}
			}
		})
	}
}

// The cases one value set cannot say are refused, not guessed.
func TestConjoinRefuses(t *testing.T) {
	for _, tt := range []struct {
		op         string
		a, b       []string
		never, ok  bool
		wantValues []string
	}{
		{"ForAnyValue:StringNotEquals", []string{"a"}, []string{"b"}, false, false, nil},
		{"ForAllValues:StringNotEquals", []string{"a"}, []string{"b"}, false, true, []string{"a", "b"}},
		{"StringEquals", []string{"${aws:username}"}, []string{"alice"}, false, false, nil},
		{"StringEqualsIfExists", []string{"a"}, []string{"b"}, false, false, nil},
		{"StringEqualsIgnoreCase", []string{"Private"}, []string{"private", "x"}, false, true, []string{"Private"}},
		{"Null", []string{"true"}, []string{"false"}, true, true, nil},
		{"NumericLessThan", []string{"5"}, []string{"3"}, false, false, nil},
		{"IpAddress", []string{"2001:db8::/32"}, []string{"10.0.0.0/8"}, true, true, nil},
	} {
		vals, never, ok := conjoin(tt.op, tt.a, tt.b)
		if never != tt.never || ok != tt.ok || strings.Join(vals, ",") != strings.Join(tt.wantValues, ",") {
			t.Errorf("%s %v and %v: got %v never=%v ok=%v, want %v never=%v ok=%v", tt.op, tt.a, tt.b, vals, never, ok, tt.wantValues, tt.never, tt.ok)
		}
	}
}

// MinIO reads a bare address in IpAddress as a /32, an IPv6 one too: the
// translation writes the one-address range AWS means.
func TestBareAddressGetsItsPrefix(t *testing.T) {
	a := campus(t, "uni-research-data")
	a.IAM.UserDetailList = append(a.IAM.UserDetailList, account.IAMUser{UserName: "tess", Arn: "arn:aws:iam::123456789012:user/tess",
		UserPolicyList: []account.InlinePolicy{{PolicyName: "p", PolicyDocument: account.Document(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::uni-research-data/*","Condition":{"IpAddress":{"aws:SourceIp":["2001:db8::1","192.0.2.7","10.0.0.0/8"]}}}]}`)}}})
	p, err := Build(a, Options{Target: "minio", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range p.MinIO.Policies {
		if d.Name == "user-tess-p" {
			got := strings.Join(d.Document.Statement[0].Condition["IpAddress"]["aws:SourceIp"], " ")
			if want := "2001:db8::1/128 192.0.2.7/32 10.0.0.0/8"; got != want {
				t.Errorf("wrote %s, want %s", got, want)
			}
			return
		}
	}
	t.Fatal("no policy user-tess-p")
}

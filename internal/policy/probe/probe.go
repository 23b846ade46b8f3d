// Package probe makes real requests on the target as each migrated user,
// and anonymously, and compares what the target does with what AWS's
// evaluation of the same request says.
package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/internal/policy"
)

// Verdict compares the target's answer with AWS's.
type Verdict string

const (
	Match        Verdict = "match"
	ExpectedLoss Verdict = "expected-loss" // AWS allows, the target denies, and the loss report says so
	Broader      Verdict = "broader"       // the target allows what AWS denies
	Narrower     Verdict = "narrower"      // AWS allows, the target denies, unreported
	CannotTell   Verdict = "unknown"       // AWS's answer depends on what sortie cannot know
	Failed       Verdict = "error"         // the request failed otherwise
)

// Result is one probe.
type Result struct {
	policy.Check
	Target  string  `json:"target"` // allowed, denied or the error
	Verdict Verdict `json:"verdict"`
}

// Report is the probe's outcome.
type Report struct {
	Target   string          `json:"target"`
	Endpoint string          `json:"endpoint"`
	Results  []Result        `json:"results"`
	Skipped  []policy.Msg    `json:"skipped,omitempty"`
	Counts   map[Verdict]int `json:"counts"`
}

// Failing reports whether the target grants more than AWS somewhere, or
// differs from AWS in a way the loss report does not explain.
func (r *Report) Failing() bool {
	return r.Counts[Broader]+r.Counts[Narrower]+r.Counts[Failed] > 0
}

// Target is where probes go and with what.
type Target struct {
	Endpoint   string
	Region     string
	Operator   aws.Credentials
	Secrets    *policy.Secrets
	HTTPClient aws.HTTPClient
	Run        string // distinguishes this run's probe objects
}

// Run probes every carried user with a key in the secrets file, and
// anonymous access.
func Run(ctx context.Context, plan *policy.Plan, t Target) (*Report, error) {
	u, err := url.Parse(t.Endpoint)
	if err != nil || u.Host == "" {
		return nil, policy.Errorf("probe.endpoint", t.Endpoint)
	}
	facts := policy.RequestFacts{Secure: u.Scheme == "https", Now: time.Now(), OutsideAWS: true, Sent: true}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() {
		facts.SourceIP = ip.String() // what the target sees of a loopback client
	}
	if t.Run == "" {
		t.Run = fmt.Sprintf("%x", time.Now().UnixNano()&0xffffffff)
	}
	client := func(creds aws.CredentialsProvider) *s3.Client {
		return s3.New(s3.Options{Region: t.Region, BaseEndpoint: aws.String(t.Endpoint), UsePathStyle: true,
			Credentials: creds, HTTPClient: t.HTTPClient,
			RetryMaxAttempts: 1})
	}
	op := client(credentials.StaticCredentialsProvider{Value: t.Operator})
	rep := &Report{Target: plan.TargetName, Endpoint: t.Endpoint, Counts: map[Verdict]int{}}

	clients := map[string]*s3.Client{policy.Anonymous: client(aws.AnonymousCredentials{})}
	for _, pi := range plan.Principals {
		if pi.Kind != "user" || !pi.Carried {
			continue
		}
		c, ok := t.Secrets.Users[pi.Name]
		if !ok || c.SecretKey == "" {
			rep.Skipped = append(rep.Skipped, policy.M("probe.no.secret", pi.Name))
			continue
		}
		clients[pi.Name] = client(credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, ""))
	}
	bucket := func(b string) string {
		if nb, ok := plan.BucketMap[b]; ok {
			return nb
		}
		return b
	}
	// Only the principals with credentials are probed.
	checks := slices.DeleteFunc(plan.ChecksFor(facts), func(c policy.Check) bool { return clients[c.Principal] == nil })
	results := make([]Result, len(checks))
	var created []struct{ bucket, key string }
	defer func() {
		// Only the objects this run made are removed, by the operator.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		for _, o := range created {
			op.DeleteObject(cctx, &s3.DeleteObjectInput{Bucket: &o.bucket, Key: &o.key})
		}
	}()
	// Objects to read and delete exist before anyone tries.
	for _, c := range checks {
		if c.Op != "get" && c.Op != "delete" {
			continue
		}
		b, key := bucket(c.Bucket), probeKey(c, t.Run)
		created = append(created, struct{ bucket, key string }{b, key})
		if _, err := op.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader([]byte("sortie probe\n"))}); err != nil {
			return nil, policy.Errorf("probe.setup", b, key, err)
		}
	}
	for _, c := range checks {
		if c.Op == "put" {
			created = append(created, struct{ bucket, key string }{bucket(c.Bucket), probeKey(c, t.Run)})
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, c := range checks {
		cl := clients[c.Principal]
		g.Go(func() error {
			allowed, err := do(gctx, cl, c, bucket(c.Bucket), probeKey(c, t.Run))
			r := Result{Check: c}
			switch {
			case err != nil:
				r.Target = err.Error()
			case allowed:
				r.Target = "allowed"
			default:
				r.Target = "denied"
			}
			r.Verdict = verdict(plan, c, allowed, err)
			results[i] = r
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	rep.Results = results
	for _, r := range results {
		rep.Counts[r.Verdict]++
	}
	return rep, nil
}

// probeKey is the object a check uses, named for its principal's kind
// too: a user may be called anonymous.
func probeKey(c policy.Check, run string) string {
	who := "user-" + c.Principal
	if c.Principal == policy.Anonymous {
		who = policy.KindAnonymous
	}
	return policy.ProbeKey(c.Prefix, run+"-"+who, c.Op)
}

// do performs check c; it returns whether the target let it through, or
// an error when the answer was neither yes nor access denied.
func do(ctx context.Context, cl *s3.Client, c policy.Check, bucket, key string) (bool, error) {
	var err error
	switch c.Op {
	case "list":
		in := &s3.ListObjectsV2Input{Bucket: &bucket, MaxKeys: aws.Int32(1)}
		if c.Prefix != "" {
			in.Prefix = aws.String(c.Prefix)
		}
		_, err = cl.ListObjectsV2(ctx, in)
	case "get":
		var out *s3.GetObjectOutput
		out, err = cl.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
		if err == nil {
			io.Copy(io.Discard, out.Body)
			out.Body.Close()
		}
	case "put":
		_, err = cl.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader([]byte("sortie probe\n"))})
	case "delete":
		_, err = cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key})
	}
	if err == nil {
		return true, nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied" {
		return false, nil
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden {
		return false, nil
	}
	if errors.As(err, &ae) {
		return false, fmt.Errorf("%s", ae.ErrorCode())
	}
	return false, err
}

// verdict compares; a denial AWS would have granted is an expected loss
// when a row of the loss report that is not exact applies to the same
// principal (or a group of theirs, or everyone) and bucket.
func verdict(plan *policy.Plan, c policy.Check, allowed bool, err error) Verdict {
	switch {
	case err != nil:
		return Failed
	case c.AWS == policy.Unknown:
		return CannotTell
	case allowed == c.AWS.Allowed():
		return Match
	case allowed:
		return Broader
	}
	// The requester and, for a user, its groups: by kind and name, since a
	// row about user sensor says nothing of a member of group sensor.
	who := []policy.PrincipalID{c.Who()}
	if c.Who().Kind == policy.KindUser {
		for _, g := range plan.GroupsOf(c.Principal) {
			who = append(who, policy.Group(g))
		}
	}
	for _, r := range plan.Rows {
		if r.Outcome != policy.Narrower && r.Outcome != policy.NotCarried {
			continue
		}
		if len(r.Buckets) > 0 && !slices.Contains(r.Buckets, c.Bucket) {
			continue
		}
		for _, a := range r.AppliesTo {
			if slices.Contains(who, a) {
				return ExpectedLoss
			}
		}
	}
	return Narrower
}

// WriteText prints the table of probes and the counts.
func WriteText(w io.Writer, r *Report, l policy.Lang) {
	fmt.Fprintf(w, "%s — %s %s\n\n", l.T("probe.title"), r.Target, r.Endpoint)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", strings.ToUpper(l.T("principal")), strings.ToUpper(l.T("bucket")),
		strings.ToUpper(l.T("prefix")), strings.ToUpper(l.T("op")), "AWS", strings.ToUpper(l.T("target")), strings.ToUpper(l.T("verdict")))
	for _, x := range r.Results {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.Who().In(l), x.Bucket, prefixLabel(x.Prefix), l.T("op."+x.Op), l.T(word(x.AWSText)), l.T(x.Target), l.T(verdictWord(x.Verdict)))
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s\n", r.CountsLine(l))
	for _, s := range r.Skipped {
		fmt.Fprintln(w, l.T("probe.skipped", s))
	}
}

// WriteMarkdown writes the same table for a report.
func WriteMarkdown(w io.Writer, r *Report, l policy.Lang) {
	fmt.Fprintf(w, "# %s — %s\n\n%s\n\n", l.T("probe.title"), r.Target, r.CountsLine(l))
	fmt.Fprintf(w, "| %s | %s | %s | %s | AWS | %s | %s |\n|---|---|---|---|---|---|---|\n",
		l.T("principal"), l.T("bucket"), l.T("prefix"), l.T("op"), l.T("target"), l.T("verdict"))
	for _, x := range r.Results {
		v := l.T(verdictWord(x.Verdict))
		if x.Verdict != Match {
			v = "**" + v + "**"
		}
		fmt.Fprintf(w, "| %s | %s | `%s` | %s | %s | %s | %s |\n", x.Who().In(l), x.Bucket, prefixLabel(x.Prefix), l.T("op."+x.Op), l.T(word(x.AWSText)), l.T(x.Target), v)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "\n- %s\n", l.T("probe.skipped", s))
	}
}

// CountsLine is "N match, N expected loss, …".
func (r *Report) CountsLine(l policy.Lang) string {
	var parts []string
	for _, v := range []Verdict{Match, ExpectedLoss, Broader, Narrower, CannotTell, Failed} {
		parts = append(parts, fmt.Sprintf("%d %s", r.Counts[v], strings.ToLower(l.T(verdictWord(v)))))
	}
	return strings.Join(parts, ", ")
}

func prefixLabel(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// word names AWS's decision as the JSON carries it.
func word(aws string) string {
	switch aws {
	case "allowed", "denied":
		return aws
	case "unknown":
		return "aws.unknown"
	}
	return "denied" // explicit or implicit: the probe compares yes and no
}

func verdictWord(v Verdict) string {
	switch v {
	case ExpectedLoss:
		return "expected-loss"
	case Broader:
		return "broader"
	case Narrower:
		return "mismatch"
	case CannotTell:
		return "unknown"
	}
	return string(v)
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/account/awsread"
	"github.com/sortie-dev/sortie/internal/awsconfig"
	"github.com/sortie-dev/sortie/internal/lang"
	"github.com/sortie-dev/sortie/internal/policy"
	"github.com/sortie-dev/sortie/internal/policy/apply"
	"github.com/sortie-dev/sortie/internal/policy/probe"
)

type policyOptions struct {
	profile, offline string
	buckets          []string
	bucketMap        []string
	target           string
	allowBroader     bool
	format, output   string
	lang             string
	to, secrets      string
	grid             bool
}

func newPolicyCmd(e *env) *cobra.Command {
	o := &policyOptions{}
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Carry IAM users, groups and bucket policies to MinIO, Ceph RGW or Garage; report what is lost; probe the result",
		Long: `Read who may touch the buckets being moved — IAM users, groups, roles and
their policies (AWS-managed ones expanded from a bundled, dated copy), bucket
policies, bucket ACLs and Block Public Access — live through a profile or
offline from the directory "sortie assess export-script" fills. Evaluate it
with AWS's rules, translate it to the target's dialect and say, statement by
statement, what is carried exactly, narrower, broader or not at all.

  plan    print the translation and the loss report (exit 1 if it is broader
          than AWS somewhere and --allow-broader is not given)
  apply   create the users, groups and policies on MinIO (admin API); new
          secret keys go to --secrets (mode 0600), never to the terminal
  probe   make real requests on the target as each user and anonymously,
          compare with AWS's evaluation (exit 1 on a mismatch that grants
          more, or one the loss report does not explain)`,
		Args: exactArgs(0, "a subcommand: plan, apply or probe"),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	source := func(c *cobra.Command) {
		f := c.Flags()
		f.StringVar(&o.profile, "profile", "", "AWS profile to read IAM and bucket settings with (default: the SDK's default chain)")
		f.StringVar(&o.offline, "offline", "", "read the account from this directory of aws-cli JSON instead (sortie assess export-script)")
		f.StringSliceVar(&o.buckets, "buckets", nil, "only the access to these buckets (comma-separated; default: all of the account's)")
		f.StringSliceVar(&o.bucketMap, "bucket-map", nil, "rename buckets on the target: OLD=NEW (comma-separated or repeated)")
		f.StringVar(&o.target, "target", "minio", "minio, ceph or garage")
		f.BoolVar(&o.allowBroader, "allow-broader", false, "where the target cannot express a condition or prefix, grant more than AWS did instead of less")
		f.StringVar(&o.lang, "lang", "", "report language, fr or en (default: French when the locale is French)")
	}
	output := func(c *cobra.Command, def string) {
		c.Flags().StringVar(&o.format, "format", def, "text, json or md")
		c.Flags().StringVarP(&o.output, "output", "o", "-", `file to write ("-" for standard output)`)
	}
	operator := func(c *cobra.Command) {
		c.Flags().StringVar(&o.to, "to", "", "operator profile of the target: endpoint_url and its admin keys")
		c.Flags().StringVar(&o.secrets, "secrets", "sortie-secrets.json", "file of the new users' keys (written 0600; read by probe)")
	}
	plan := &cobra.Command{
		Use:   "plan",
		Short: "Translate the account's access for the target and print the loss report",
		Example: `  sortie policy plan --offline ./account --target minio --buckets uni-research-data,uni-website
  sortie policy plan --profile uni-readonly --target garage --format md -o access.md --lang fr`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error { return runPolicyPlan(cmd.Context(), e, o) },
	}
	source(plan)
	output(plan, "text")
	plan.Flags().BoolVar(&o.grid, "grid", false, "text and md: the effective permissions of every principal, bucket and prefix, not one line per principal (the JSON has them all)")
	applyCmd := &cobra.Command{
		Use:     "apply",
		Short:   "Create the plan's users, groups and policies on MinIO, idempotently",
		Example: `  sortie policy apply --offline ./account --to minio-admin --secrets ./secrets.json`,
		Args:    exactArgs(0, "no arguments"),
		RunE:    func(cmd *cobra.Command, args []string) error { return runPolicyApply(cmd.Context(), e, o) },
	}
	source(applyCmd)
	operator(applyCmd)
	probeCmd := &cobra.Command{
		Use:     "probe",
		Short:   "Request as each migrated user and anonymously; compare with AWS's evaluation",
		Example: `  sortie policy probe --offline ./account --to minio-admin --secrets ./secrets.json --format md -o probe.md`,
		Args:    exactArgs(0, "no arguments"),
		RunE:    func(cmd *cobra.Command, args []string) error { return runPolicyProbe(cmd.Context(), e, o) },
	}
	source(probeCmd)
	operator(probeCmd)
	output(probeCmd, "text")
	cmd.AddCommand(plan, applyCmd, probeCmd)
	return cmd
}

// policyLang is the language of policy's output and errors, from --lang
// or the locale.
func policyLang(o *policyOptions) (policy.Lang, error) {
	l, err := lang.ParseLang(o.lang)
	if err != nil {
		return "", usage("%v", err)
	}
	return policy.Lang(l), nil
}

// policyUsage is a usage error (exit 2) in l.
func policyUsage(l policy.Lang, key string, args ...any) error {
	return usage("%s", l.T(key, args...))
}

// inLang writes an error in the report's language: policy's own in l,
// another package's inside a frame in l. It unwraps to the error, so the
// exit code and cancellation are read as before.
type inLang struct {
	err error
	l   policy.Lang
}

func (e *inLang) Error() string { return policy.ErrorIn(e.err, e.l) }
func (e *inLang) Unwrap() error { return e.err }

// framed is err inside message key in l; it unwraps to err.
type framed struct {
	msg string
	err error
}

func (e *framed) Error() string { return e.msg }
func (e *framed) Unwrap() error { return e.err }

func frame(l policy.Lang, key string, err error) error {
	if err == nil {
		return nil
	}
	return &framed{l.T(key, err), err}
}

func inLanguage(err error, l policy.Lang) error {
	if err == nil || l != "fr" {
		return err
	}
	return &inLang{err, l}
}

// buildPolicyPlan reads the account and translates it.
func buildPolicyPlan(ctx context.Context, o *policyOptions, l policy.Lang) (*policy.Plan, error) {
	if _, ok := policy.Dialects[o.target]; !ok {
		return nil, policyUsage(l, "cli.target", o.target)
	}
	if o.format != "" && o.format != "text" && o.format != "json" && o.format != "md" {
		return nil, policyUsage(l, "cli.format", o.format)
	}
	bm := map[string]string{}
	for _, m := range o.bucketMap {
		from, to, ok := strings.Cut(m, "=")
		if !ok || from == "" || to == "" {
			return nil, policyUsage(l, "cli.bucket.map", m)
		}
		bm[from] = to
	}
	if o.offline != "" && o.profile != "" {
		return nil, policyUsage(l, "cli.both.sources")
	}
	r, err := awsread.Open(ctx, o.offline, o.profile, "--profile")
	if err != nil {
		return nil, policyUsage(l, "cli.account", err)
	}
	access, err := r.Access(ctx, o.buckets)
	if err != nil {
		if o.offline != "" {
			return nil, policyUsage(l, "cli.account", err)
		}
		return nil, frame(l, "cli.account", err)
	}
	for from := range bm {
		if !accessHas(access, from) {
			return nil, policyUsage(l, "cli.bucket.map.unknown", from, from)
		}
	}
	p, err := policy.Build(access, policy.Options{Target: o.target, BucketMap: bm, AllowBroader: o.allowBroader})
	if err != nil {
		return nil, usage("%w", err)
	}
	return p, nil
}

func accessHas(a *account.Access, bucket string) bool {
	for _, b := range a.Buckets {
		if b.Name == bucket {
			return true
		}
	}
	return false
}

func runPolicyPlan(ctx context.Context, e *env, o *policyOptions) error {
	l, err := policyLang(o)
	if err != nil {
		return err
	}
	return inLanguage(policyPlan(ctx, e, o, l), l)
}

func policyPlan(ctx context.Context, e *env, o *policyOptions, l policy.Lang) error {
	p, err := buildPolicyPlan(ctx, o, l)
	if err != nil {
		return err
	}
	f := policy.Format{Lang: l, Grid: o.grid}
	err = writeOutput(o.output, e.stdout, func(w io.Writer) error {
		switch o.format {
		case "json":
			return policy.WriteJSON(w, p)
		case "md":
			return policy.WriteMarkdown(w, p, f)
		}
		return policy.WriteText(w, p, f)
	})
	if err != nil {
		return frame(l, "cli.output", err)
	}
	if o.output != "-" {
		fmt.Fprintf(e.stdout, "%s\n%s\n", l.T("colon", l.T("loss"), p.Summary(l)), l.T("cli.wrote", o.output))
	}
	if p.Refused() {
		return &exitError{code: ExitFailures, err: errors.New(l.T("cli.plan.broader", p.Counts()[policy.Broader]))}
	}
	return nil
}

// operatorTarget reads the --to profile: the target's endpoint, region and
// operator credentials.
func operatorTarget(ctx context.Context, o *policyOptions, l policy.Lang) (*awsconfig.Target, error) {
	if o.to == "" {
		return nil, policyUsage(l, "cli.no.to")
	}
	t, err := awsconfig.LoadTarget(ctx, awsconfig.Options{Profile: o.to, Flag: "--to", MaxAttempts: 3})
	if err != nil {
		return nil, policyUsage(l, "cli.operator", err)
	}
	return t, nil
}

func runPolicyApply(ctx context.Context, e *env, o *policyOptions) error {
	l, err := policyLang(o)
	if err != nil {
		return err
	}
	return inLanguage(policyApply(ctx, e, o, l), l)
}

func policyApply(ctx context.Context, e *env, o *policyOptions, l policy.Lang) error {
	if o.target != "minio" {
		return policyUsage(l, "cli.apply.minio", o.target, o.target)
	}
	p, err := buildPolicyPlan(ctx, o, l)
	if err != nil {
		return err
	}
	if p.Refused() {
		return policyUsage(l, "cli.apply.broader", p.Counts()[policy.Broader])
	}
	t, err := operatorTarget(ctx, o, l)
	if err != nil {
		return err
	}
	endpoint := t.Endpoint
	secrets, err := policy.LoadSecrets(o.secrets)
	if err != nil {
		return usage("%w", err)
	}
	if secrets.Endpoint != "" && secrets.Endpoint != endpoint {
		return policyUsage(l, "cli.secrets.endpoint", o.secrets, secrets.Endpoint, endpoint)
	}
	secrets.Endpoint = endpoint
	changes, err := apply.Apply(ctx, p, apply.NewTarget(t), secrets, func() error { return secrets.Save(o.secrets) })
	for _, c := range changes {
		fmt.Fprintln(e.stdout, c.In(l))
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, l.T("cli.applied", len(changes), endpoint, o.secrets))
	return nil
}

func runPolicyProbe(ctx context.Context, e *env, o *policyOptions) error {
	l, err := policyLang(o)
	if err != nil {
		return err
	}
	return inLanguage(policyProbe(ctx, e, o, l), l)
}

func policyProbe(ctx context.Context, e *env, o *policyOptions, l policy.Lang) error {
	p, err := buildPolicyPlan(ctx, o, l)
	if err != nil {
		return err
	}
	t, err := operatorTarget(ctx, o, l)
	if err != nil {
		return err
	}
	if _, err := os.Stat(o.secrets); errors.Is(err, os.ErrNotExist) {
		return policyUsage(l, "cli.no.secrets", o.secrets)
	}
	secrets, err := policy.LoadSecrets(o.secrets)
	if err != nil {
		return usage("%w", err)
	}
	rep, err := probe.Run(ctx, p, probe.Target{Endpoint: t.Endpoint, Region: t.Region, Operator: t.Creds, Secrets: secrets})
	if err != nil {
		return err
	}
	err = writeOutput(o.output, e.stdout, func(w io.Writer) error {
		switch o.format {
		case "json":
			return policy.WriteJSON(w, rep)
		case "md":
			probe.WriteMarkdown(w, rep, l)
			return nil
		}
		probe.WriteText(w, rep, l)
		return nil
	})
	if err != nil {
		return frame(l, "cli.output", err)
	}
	if o.output != "-" {
		fmt.Fprintf(e.stdout, "%s\n%s\n", rep.CountsLine(l), l.T("cli.wrote", o.output))
	}
	if rep.Failing() {
		return &exitError{code: ExitFailures, err: errors.New(l.T("cli.probe.differs", rep.CountsLine(l)))}
	}
	return nil
}

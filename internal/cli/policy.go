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
	"github.com/sortie-dev/sortie/internal/assess/report"
	"github.com/sortie-dev/sortie/internal/awsconfig"
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

// buildPolicyPlan reads the account and translates it.
func buildPolicyPlan(ctx context.Context, o *policyOptions) (*policy.Plan, policy.Lang, error) {
	lang, err := report.ParseLang(o.lang)
	if err != nil {
		return nil, "", usage("%v", err)
	}
	if _, ok := policy.Dialects[o.target]; !ok {
		return nil, "", usage("--target %q: choose minio, ceph or garage", o.target)
	}
	if o.format != "" && o.format != "text" && o.format != "json" && o.format != "md" {
		return nil, "", usage("--format %q: choose text, json or md", o.format)
	}
	bm := map[string]string{}
	for _, m := range o.bucketMap {
		from, to, ok := strings.Cut(m, "=")
		if !ok || from == "" || to == "" {
			return nil, "", usage("--bucket-map %q: give OLD=NEW", m)
		}
		bm[from] = to
	}
	if o.offline != "" && o.profile != "" {
		return nil, "", usage("--offline reads a directory; --profile reads the API: give one or the other")
	}
	r, err := awsread.Open(ctx, o.offline, o.profile, "--profile")
	if err != nil {
		return nil, "", usage("%v", err)
	}
	access, err := r.Access(ctx, o.buckets)
	if err != nil {
		if o.offline != "" {
			return nil, "", usage("%v", err)
		}
		return nil, "", err
	}
	for from := range bm {
		if !accessHas(access, from) {
			return nil, "", usage("--bucket-map %s=…: the account has no bucket %s being moved", from, from)
		}
	}
	p, err := policy.Build(access, policy.Options{Target: o.target, BucketMap: bm, AllowBroader: o.allowBroader})
	if err != nil {
		return nil, "", usage("%v", err)
	}
	return p, policy.Lang(lang), nil
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
	p, lang, err := buildPolicyPlan(ctx, o)
	if err != nil {
		return err
	}
	err = writeOutput(o.output, e.stdout, func(w io.Writer) error {
		switch o.format {
		case "json":
			return policy.WriteJSON(w, p)
		case "md":
			return policy.WriteMarkdown(w, p, policy.Format{Lang: lang, Grid: o.grid})
		}
		return policy.WriteText(w, p, policy.Format{Lang: lang, Grid: o.grid})
	})
	if err != nil {
		return err
	}
	if o.output != "-" {
		fmt.Fprintf(e.stdout, "%s: %s\nwrote %s\n", lang.T("loss"), p.Summary(lang), o.output)
	}
	if p.Refused() {
		return &exitError{code: ExitFailures, err: fmt.Errorf("the translation grants more than AWS did in %d statements; see the loss report, or accept it with --allow-broader", p.Counts()[policy.Broader])}
	}
	return nil
}

// operatorTarget reads the --to profile: the target's endpoint, region and
// operator credentials.
func operatorTarget(ctx context.Context, o *policyOptions) (*awsconfig.Target, error) {
	if o.to == "" {
		return nil, usage("--to: name the operator profile of the target (endpoint_url and admin keys)")
	}
	t, err := awsconfig.LoadTarget(ctx, awsconfig.Options{Profile: o.to, Flag: "--to", MaxAttempts: 3})
	if err != nil {
		return nil, usage("%v", err)
	}
	return t, nil
}

func runPolicyApply(ctx context.Context, e *env, o *policyOptions) error {
	if o.target != "minio" {
		return usage("--target %s: sortie policy apply speaks to MinIO's admin API only; use plan's output for %s", o.target, o.target)
	}
	p, _, err := buildPolicyPlan(ctx, o)
	if err != nil {
		return err
	}
	if p.Refused() {
		return usage("the translation grants more than AWS did in %d statements; nothing applied (see sortie policy plan, or --allow-broader)", p.Counts()[policy.Broader])
	}
	t, err := operatorTarget(ctx, o)
	if err != nil {
		return err
	}
	endpoint := t.Endpoint
	secrets, err := policy.LoadSecrets(o.secrets)
	if err != nil {
		return usage("%v", err)
	}
	if secrets.Endpoint != "" && secrets.Endpoint != endpoint {
		return usage("secrets file %s holds keys for %s, not %s: give another --secrets", o.secrets, secrets.Endpoint, endpoint)
	}
	secrets.Endpoint = endpoint
	changes, err := apply.Apply(ctx, p, apply.NewTarget(t), secrets, func() error { return secrets.Save(o.secrets) })
	for _, c := range changes {
		fmt.Fprintln(e.stdout, c)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d changes on %s; keys of new users in %s (mode 0600)\n", len(changes), endpoint, o.secrets)
	return nil
}

func runPolicyProbe(ctx context.Context, e *env, o *policyOptions) error {
	p, lang, err := buildPolicyPlan(ctx, o)
	if err != nil {
		return err
	}
	t, err := operatorTarget(ctx, o)
	if err != nil {
		return err
	}
	if _, err := os.Stat(o.secrets); errors.Is(err, os.ErrNotExist) {
		return usage("secrets file %s does not exist: run sortie policy apply first", o.secrets)
	}
	secrets, err := policy.LoadSecrets(o.secrets)
	if err != nil {
		return usage("%v", err)
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
			probe.WriteMarkdown(w, rep, lang)
			return nil
		}
		probe.WriteText(w, rep, lang)
		return nil
	})
	if err != nil {
		return err
	}
	if o.output != "-" {
		fmt.Fprintf(e.stdout, "%s\nwrote %s\n", rep.CountsLine(lang), o.output)
	}
	if rep.Failing() {
		return &exitError{code: ExitFailures, err: fmt.Errorf("the target differs from AWS: %s", rep.CountsLine("en"))}
	}
	return nil
}

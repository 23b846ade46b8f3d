package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sortie-dev/sortie/internal/account/awsread"
	"github.com/sortie-dev/sortie/internal/landing"
)

type landingOptions struct {
	exportArgs
	regions []string
}

func newLandingCmd(e *env) *cobra.Command {
	o := &landingOptions{}
	cmd := &cobra.Command{
		Use:   "landing",
		Short: "Write the account's network, security groups, machines and volumes as OpenTofu code for OpenStack, with a loss report",
		Long: `Read the account's EC2 estate — VPCs, subnets, route tables, internet and NAT
gateways, security groups, network ACLs, key pairs, Elastic IPs, instances with
their volumes, ELBv2 load balancers — live through a profile (read-only) or
offline from the directory "sortie assess export-script" fills, and write it
as an OpenTofu root module for terraform-provider-openstack (` + landing.ProviderVersion + `) in
OUTDIR: networks and subnets with the same CIDRs, routers, security groups
rule by rule (never wider than on AWS: a rule that cannot be expressed
exactly is left out and listed), machines with their SCS flavours, ports,
fixed IPs, key pairs and volumes, floating IPs, Octavia load balancers.

variables.tf asks for what only the operator knows (the external network,
an image per machine); terraform.tfvars holds placeholders so that
"tofu init && tofu plan" runs in OUTDIR as written. The loss report (also
written as OUTDIR/loss-report.md) says, per AWS object, what was translated
exactly, with a difference, or not at all, and why. The same account gives
byte-identical files on every run.`,
		Example: `  sortie landing --offline ./account -o zone/
  cd zone && tofu init && tofu plan
  sortie landing --profile uni-readonly --regions ca-central-1 -o zone/ --format md --lang fr`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error { return runLanding(cmd.Context(), e, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.profile, "profile", "", "AWS profile to read the account with, read-only (default: the SDK's default chain)")
	f.StringVar(&o.offline, "offline", "", "read the account from this directory of aws-cli JSON instead (sortie assess export-script)")
	f.StringSliceVar(&o.regions, "regions", nil, "only these regions (comma-separated; default: every enabled region)")
	f.StringVarP(&o.outDir, "output", "o", "", "directory to write the OpenTofu module into (created; sortie's files in it are replaced)")
	f.StringVar(&o.format, "format", "text", "loss report on standard output: text, json or md")
	f.StringVar(&o.lang, "lang", "", "loss report language, fr or en (default: French when the locale is French)")
	return cmd
}

func runLanding(ctx context.Context, e *env, o *landingOptions) error {
	r, l, err := o.open(ctx, "landing", "the OpenTofu module")
	if err != nil {
		return err
	}
	inv, err := r.Network(ctx, awsread.Options{Regions: o.regions})
	if err != nil {
		return o.readErr(err, awsread.ErrUnknownRegion)
	}
	res, err := landing.Translate(inv.Network, landing.Options{Regions: o.regions})
	if err != nil {
		return usage("%v", err)
	}
	for _, p := range inv.Problems {
		res.Loss.AddUnread(fmt.Sprintf("%s %s: %s", p.Service, p.Region, p.Error))
	}
	var md strings.Builder
	if err := res.Loss.Write(&md, "md", string(l)); err != nil {
		return err
	}
	res.Module.Files["loss-report.md"] = []byte(md.String())
	if err := res.Module.Write(o.outDir); err != nil {
		return usage("%v; give another -o", unwrapPath(err))
	}
	if err := res.Loss.Write(e.stdout, o.format, string(l)); err != nil {
		return err
	}
	if o.format == "text" {
		fmt.Fprintf(e.stdout, "module: %s (%s)\nnext: cd %s && tofu init && tofu plan\n", o.outDir, fileList(res.Module.Files), shellQuote(o.outDir))
	}
	return nil
}

func fileList(files map[string][]byte) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, filepath.Base(n))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

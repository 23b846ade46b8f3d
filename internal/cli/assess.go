package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/account/awsread"
	"github.com/sortie-dev/sortie/internal/assess"
	"github.com/sortie-dev/sortie/internal/assess/prices"
	"github.com/sortie-dev/sortie/internal/assess/report"
	"github.com/sortie-dev/sortie/internal/bill"
	"github.com/sortie-dev/sortie/internal/lang"
)

type assessOptions struct {
	profile, offline, cur       string
	regions                     []string
	deep                        bool
	bandwidth                   string
	utilization                 float64
	start                       string
	target, targetPrices, price string
	format, output, lang        string
}

func newAssessCmd(e *env) *cobra.Command {
	o := &assessOptions{}
	cmd := &cobra.Command{
		Use:   "assess",
		Short: "Inventory an AWS account and its bill; write the exit plan (HTML, JSON or Markdown)",
		Long: `Read what an AWS account holds — S3 buckets (sizes per storage class and
settings), EC2 instances, EBS volumes and snapshots, RDS, IAM, Route 53,
Lambda, CloudFront, AppStream fleets and stacks, WorkSpaces, EFS, and a
count of everything else — live through a profile
(read-only calls) or offline from the directory "sortie assess export-script"
fills with aws-cli. With --cur, read the bill too (CUR 2.0 Parquet or CSV,
legacy CUR, FOCUS). Then write the exit plan: volumes, egress cost month by
month on AWS's public tiers, transfer time at --bandwidth, whether it fits
AWS's 60-day exit waiver, where each resource lands and the effort, and
each billed service's monthly spend beside what it pays for.

A service the credentials may not read becomes a line of the plan, not a
failure. Prices come from a dated file embedded in sortie (--prices to use
your own; docs/assess.md has the format).`,
		Example: `  sortie assess --profile uni-readonly --cur ./cur-export --bandwidth 1Gbps
  sortie assess --offline ./account --format md -o plan.md --lang fr
  sortie assess export-script > export.sh && bash export.sh ./account`,
		Args: exactArgs(0, "no arguments (use --profile or --offline)"),
		RunE: func(cmd *cobra.Command, args []string) error { return runAssess(cmd.Context(), e, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.profile, "profile", "", "AWS profile to read the account with (default: the SDK's default chain)")
	f.StringVar(&o.offline, "offline", "", "read the account from this directory of aws-cli JSON (see export-script) instead of the API")
	f.StringSliceVar(&o.regions, "regions", nil, "only these regions (comma-separated; default: every enabled region)")
	f.BoolVar(&o.deep, "deep", false, "list every bucket to count objects and bytes per storage class (slow on large buckets; default: CloudWatch's daily metrics)")
	f.StringVar(&o.cur, "cur", "", "the bill: a CUR 2.0 / legacy CUR / FOCUS file, or a Data Exports folder with its Manifest.json")
	f.StringVar(&o.bandwidth, "bandwidth", "1Gbps", "bandwidth out of AWS for the move (e.g. 500Mbps, 10Gbps)")
	f.Float64Var(&o.utilization, "utilization", 0.8, "share of --bandwidth a long copy sustains, 0 to 1")
	f.StringVar(&o.start, "start", "", "day the move starts, YYYY-MM-DD (default: today)")
	f.StringVar(&o.target, "target", "s3", "what the buckets land on: minio, ceph, garage, seaweedfs, or s3 (a provider's endpoint)")
	f.StringVar(&o.targetPrices, "target-prices", "", "YAML or JSON file of the target's prices, for the after-exit estimate (docs/assess.md)")
	f.StringVar(&o.price, "prices", "", "AWS price file to use instead of the embedded one (same format, docs/assess.md)")
	f.StringVar(&o.format, "format", "html", "html, json or md")
	f.StringVarP(&o.output, "output", "o", "", `file to write ("-" for standard output; default: sortie-assessment.html, .json or .md)`)
	f.StringVar(&o.lang, "lang", "", "report language, fr or en (default: French when the locale is French)")
	cmd.AddCommand(&cobra.Command{
		Use:   "export-script",
		Short: "Print the read-only aws-cli script that writes an account's inventory for --offline",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return awsread.WriteExportScript(e.stdout)
		},
	})
	return cmd
}

var bandwidthRE = regexp.MustCompile(`^(?i)\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(?:bps|bit/s|b/s|bits?)?\s*$`)

// parseBandwidth reads 1Gbps, 500Mbps, 2.5 Gbit/s or a number of bits/s;
// units are decimal, as network links are sold.
func parseBandwidth(s string) (float64, error) {
	m := bandwidthRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("--bandwidth %q: give bits per second, such as 500Mbps or 1Gbps", s)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	v *= map[string]float64{"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}[strings.ToLower(m[2])]
	if v <= 0 {
		return 0, fmt.Errorf("--bandwidth %q: must be more than zero", s)
	}
	return v, nil
}

func runAssess(ctx context.Context, e *env, o *assessOptions) error {
	l, err := lang.ParseLang(o.lang)
	if err != nil {
		return usage("%v", err)
	}
	if o.format != "html" && o.format != "json" && o.format != "md" {
		return usage("--format %q: choose html, json or md", o.format)
	}
	if _, ok := assess.Targets[o.target]; !ok {
		return usage("--target %q: choose minio, ceph, garage, seaweedfs or s3", o.target)
	}
	bps, err := parseBandwidth(o.bandwidth)
	if err != nil {
		return usage("%v", err)
	}
	if o.utilization <= 0 || o.utilization > 1 {
		return usage("--utilization %v: give a share between 0 and 1, such as 0.8", o.utilization)
	}
	now := time.Now()
	start := now
	if o.start != "" {
		if start, err = time.Parse(time.DateOnly, o.start); err != nil {
			return usage("--start %q: give a day as YYYY-MM-DD", o.start)
		}
	}
	if o.offline != "" && (o.profile != "" || o.deep) {
		return usage("--offline reads a directory; --profile and --deep read the API: give one or the other")
	}
	p := prices.Default()
	if o.price != "" {
		if p, err = prices.Load(o.price); err != nil {
			return usage("%v", err)
		}
	}
	var tp *assess.TargetPrices
	if o.targetPrices != "" {
		if tp, err = assess.LoadTargetPrices(o.targetPrices); err != nil {
			return usage("%v", err)
		}
	}
	var b *bill.Summary
	if o.cur != "" {
		if b, err = bill.Read(o.cur); err != nil {
			return usage("%v", err)
		}
	}
	output := o.output
	if output == "" {
		output = "sortie-assessment." + o.format
	}

	inv, err := readAccount(ctx, e, o)
	if err != nil {
		return err
	}
	plan := assess.BuildPlan(inv, assess.PlanOptions{Prices: p, BitsPerSecond: bps, Bandwidth: o.bandwidth, Utilization: o.utilization,
		Start: start, Target: o.target, TargetPrices: tp, Bill: b, Now: now, Lang: l})
	if err := writeReport(plan, o.format, output, l, e.stdout); err != nil {
		return err
	}
	summary := e.stdout
	if output == "-" {
		summary = e.stderr
	}
	return report.Summary(summary, plan, l, output)
}

func readAccount(ctx context.Context, e *env, o *assessOptions) (*account.Inventory, error) {
	r, err := awsread.Open(ctx, o.offline, o.profile, "--profile")
	if err != nil {
		return nil, usage("%v", err)
	}
	inv, err := r.Collect(ctx, awsread.Options{Regions: o.regions, Deep: o.deep})
	if errors.Is(err, awsread.ErrUnknownRegion) {
		return nil, usage("%v", err)
	}
	return inv, err
}

func writeReport(plan *assess.Plan, format, output string, l lang.Lang, stdout io.Writer) error {
	return writeOutput(output, stdout, func(w io.Writer) error {
		switch format {
		case "json":
			return report.JSON(w, plan)
		case "md":
			return report.Markdown(w, plan, l)
		}
		return report.HTML(w, plan, l)
	})
}

// writeOutput is lang.WriteOutput with a path that cannot be written
// reported as a usage error (exit 2): the user gives another -o.
func writeOutput(path string, stdout io.Writer, write func(io.Writer) error) error {
	err := lang.WriteOutput(path, stdout, write)
	if pe, ok := errors.AsType[*lang.PathError](err); ok {
		return usage("%v", pe)
	}
	return err
}

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sortie-dev/sortie/internal/account/awsread"
	"github.com/sortie-dev/sortie/internal/dns"
	"github.com/sortie-dev/sortie/internal/landing"
)

type dnsOptions struct {
	exportArgs
	zones, ns []string
	designate string
	resolve   bool
	resolver  string
}

func newDNSCmd(e *env) *cobra.Command {
	o := &dnsOptions{}
	cmd := &cobra.Command{
		Use:   "dns",
		Short: "Move Route 53 hosted zones: standard zone files, with a loss report",
		Args:  exactArgs(0, "a subcommand: export"),
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	export := &cobra.Command{
		Use:   "export",
		Short: "Write each hosted zone as an RFC 1035 master file, and say what Route 53 held that it cannot",
		Long: `Read every hosted zone and its record sets — live through a profile (read-only)
or offline from the directory "sortie assess export-script" fills — and write
each zone as ZONE.zone in OUTDIR, a master file BIND, PowerDNS, CoreDNS and
Knot load: the SOA and apex NS name the target's servers (--ns), aliases to
records of the zone are flattened to their values, aliases to AWS resources
become CNAMEs (at the apex they are reported: a CNAME cannot stand there),
and routing policies are downgraded (weighted, latency, multivalue: every
value; failover: the primary; geolocation: the default set).

Each zone is also written as ZONE.pdns.zone, for PowerDNS's bind backend
with enable-lua-records=yes: there weighted sets stay weighted (LUA
pickwrandom), failover with a TCP or HTTP(S) health check stays failover
(ifportup, ifurlup), and geolocation stays geolocation (country(),
continent(), region(): the geoip backend and a country database needed).

The loss report (also OUTDIR/loss-report.md) names every record set that
was downgraded or not carried, and why, what the PowerDNS variant keeps,
and prints the DNSSEC exit steps with the DS TTL.`,
		Example: `  sortie dns export --offline ./account --ns ns1.provider.example,ns2.provider.example -o zones/
  named-checkzone labo.example.ca zones/labo.example.ca.zone
  sortie dns export --offline ./account -o zones/ --designate landing/   # after sortie landing -o landing/`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error { return runDNSExport(cmd.Context(), e, o) },
	}
	f := export.Flags()
	f.StringVar(&o.profile, "profile", "", "AWS profile to read Route 53 with, read-only (default: the SDK's default chain)")
	f.StringVar(&o.offline, "offline", "", "read the account from this directory of aws-cli JSON instead (sortie assess export-script)")
	f.StringSliceVar(&o.zones, "zones", nil, "only these zones, by name or ID (comma-separated; default: all)")
	f.StringSliceVar(&o.ns, "ns", nil, "the target's name servers, for the SOA and the apex NS (comma-separated)")
	f.StringVarP(&o.outDir, "output", "o", "", "directory to write the zone files into (created)")
	f.BoolVar(&o.resolve, "resolve", false, "answer an apex alias to an AWS resource (a load balancer, CloudFront) with its addresses, looked up now")
	f.StringVar(&o.resolver, "resolver", "", "the resolver --resolve asks, HOST[:PORT] (default: the system's)")
	f.StringVar(&o.designate, "designate", "", "also write the zones as OpenTofu for OpenStack Designate, DIR/dns.tf (DIR: the module sortie landing wrote, or a new one)")
	f.StringVar(&o.format, "format", "text", "loss report on standard output: text, json or md")
	f.StringVar(&o.lang, "lang", "", "loss report language, fr or en (default: French when the locale is French)")
	vo := &dnsVerifyOptions{}
	verifyCmd := &cobra.Command{
		Use:   "verify ZONE",
		Short: "Ask the old and the new name servers for every record of the zone's export, and compare",
		Long: `Before the NS records change at the registrar: take ZONE's record sets from the
account (as export does), ask the old servers (--old) and the new ones (--new)
for every name and type of the export, and compare the answers as sets, TTLs
included. Exit 0 only when the new servers answer everything the old ones
do; each difference is named. The apex SOA (rewritten for the new servers)
and NS are not compared; their serials are shown.

A routed record set (weighted, failover, geolocation, latency…) answers
according to who asks and when, at Route 53 and at a PowerDNS serving the
LUA variant alike: those names are asked several times on each side, and
every value either side answers must be one the account's record sets
hold. The report names them: their routing itself is not compared.`,
		Example: `  sortie dns verify labo.example.ca --offline ./account --ns ns1.provider.example --old ns-2048.awsdns-64.com --new ns1.provider.example`,
		Args:    exactArgs(1, "ZONE"),
		RunE:    func(cmd *cobra.Command, args []string) error { return runDNSVerify(cmd.Context(), e, vo, args[0]) },
	}
	vf := verifyCmd.Flags()
	vf.StringVar(&vo.profile, "profile", "", "AWS profile to read Route 53 with, read-only")
	vf.StringVar(&vo.offline, "offline", "", "read the account from this directory of aws-cli JSON instead")
	vf.StringSliceVar(&vo.ns, "ns", nil, "the target's name servers, as given to dns export")
	vf.StringVar(&vo.old, "old", "", "the old name server, HOST[:PORT] (port 53 by default)")
	vf.StringVar(&vo.new, "new", "", "the new name server, HOST[:PORT]")
	vf.BoolVar(&vo.json, "json", false, "print the report as JSON")
	cmd.AddCommand(export, verifyCmd)
	return cmd
}

type dnsVerifyOptions struct {
	profile, offline string
	ns               []string
	old, new         string
	json             bool
}

func runDNSVerify(ctx context.Context, e *env, o *dnsVerifyOptions, zone string) error {
	if o.old == "" || o.new == "" {
		return usage("dns verify needs --old and --new, the name servers to compare (HOST[:PORT])")
	}
	if o.offline != "" && o.profile != "" {
		return usage("give --offline or --profile, not both")
	}
	r, err := awsread.Open(ctx, o.offline, o.profile, "--profile")
	if err != nil {
		return usage("%v", err)
	}
	d, err := r.DNS(ctx, awsread.DNSOptions{Zones: []string{zone}})
	switch {
	case errors.Is(err, awsread.ErrUnknownZone), err != nil && o.offline != "":
		return usage("%v", err)
	case err != nil:
		return err
	}
	res, err := dns.Export(d, dns.Options{NS: o.ns})
	if err != nil {
		return usage("%v", err)
	}
	var master []byte
	var name string
	for n, b := range res.Files {
		if strings.HasSuffix(n, ".pdns.zone") {
			continue // the names and types are the plain file's
		}
		if master != nil {
			return usage("zone %s is both a public and a private zone; verify one by its ID", zone)
		}
		master, name = b, n
	}
	if master == nil {
		return usage("zone %s could not be exported (its record sets were not all read): nothing to verify", zone)
	}
	rep, err := dns.Verify(ctx, strings.TrimSuffix(name, ".zone"), master, res.Routed[name], hostPort(o.old), hostPort(o.new))
	if err != nil {
		return &exitError{code: ExitFailures, err: err}
	}
	if o.json {
		if err := jsonEncode(e.stdout, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "sortie dns verify %s: old %s, new %s\n", rep.Zone, o.old, o.new)
		fmt.Fprintf(e.stdout, "  checked      %d names and types\n  SOA serial   %d at the old servers, %d at the new\n", rep.Checked, rep.OldSerial, rep.NewSerial)
		if len(rep.Routed) > 0 {
			fmt.Fprintf(e.stdout, "  routed       %d of them (%s): asked %d times each, compared as the values the account's record sets hold; the routing itself (weights, failover, locations) is not compared\n",
				len(rep.Routed), strings.Join(rep.Routed, ", "), dns.RoutedQueries)
		}
		for _, d := range rep.Differences {
			fmt.Fprintf(e.stdout, "  differs      %s %s: %s\n", d.Name, d.Type, d.Why)
		}
		switch {
		case rep.OK() && len(rep.Routed) > 0:
			fmt.Fprintf(e.stdout, "IDENTICAL except routing: the new servers answer every record of the export as the old ones do, and the %d routed names only with values their Route 53 sets hold\n", len(rep.Routed))
		case rep.OK():
			fmt.Fprintf(e.stdout, "IDENTICAL: the new servers answer every record of the export as the old ones do\n")
		default:
			fmt.Fprintf(e.stdout, "NOT IDENTICAL: %d names and types answer differently; do not change the NS records yet\n", len(rep.Differences))
		}
	}
	if !rep.OK() {
		return &exitError{code: ExitFailures, err: fmt.Errorf("the new servers do not answer %s as the old ones do (%d differences)", rep.Zone, len(rep.Differences))}
	}
	return nil
}

// lookup returns the addresses of a name by the system's resolver, or by
// server (HOST[:PORT]) when one is given.
func lookup(ctx context.Context, server string) func(string, string) ([]netip.Addr, error) {
	r := net.DefaultResolver
	if server != "" {
		addr := hostPort(server)
		r = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}}
	}
	return func(name, typ string) ([]netip.Addr, error) {
		network := "ip4"
		if typ == "AAAA" {
			network = "ip6"
		}
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		addrs, err := r.LookupNetIP(ctx, network, name)
		if dnsErr, ok := errors.AsType[*net.DNSError](err); ok {
			return nil, errors.New(dnsErr.Err)
		}
		return addrs, err
	}
}

// hostPort adds DNS's port to a host given without one.
func hostPort(s string) string {
	if _, _, err := net.SplitHostPort(s); err == nil {
		return s
	}
	return net.JoinHostPort(strings.Trim(s, "[]"), "53")
}

func runDNSExport(ctx context.Context, e *env, o *dnsOptions) error {
	r, l, err := o.open(ctx, "dns export", "the zone files")
	if err != nil {
		return err
	}
	d, err := r.DNS(ctx, awsread.DNSOptions{Zones: o.zones})
	if err != nil {
		return o.readErr(err, awsread.ErrUnknownZone)
	}
	opts := dns.Options{NS: o.ns, Designate: o.designate != ""}
	if o.resolver != "" && !o.resolve {
		return usage("--resolver is the resolver --resolve asks; give --resolve too")
	}
	if o.resolve {
		opts.Resolve = lookup(ctx, o.resolver)
	}
	res, err := dns.Export(d, opts)
	if err != nil {
		return usage("%v", err)
	}
	if o.designate != "" {
		if err := writeDesignate(o.designate, e.stdout, res.Designate); err != nil {
			return err
		}
	}
	for _, p := range d.Problems {
		res.Loss = append(res.Loss, dns.Entry{Zone: p.Service, Status: dns.NotCarried, Why: "not read: " + p.Error})
	}
	dns.SortLoss(res.Loss)
	var md strings.Builder
	if err := dns.WriteLoss(&md, res.Loss, "md", string(l)); err != nil {
		return err
	}
	res.Files["loss-report.md"] = []byte(md.String())
	if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		return usage("create %s: %v; give another -o", o.outDir, unwrapPath(err))
	}
	for name, data := range res.Files {
		if err := writeOutput(filepath.Join(o.outDir, name), e.stdout, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return err
		}
	}
	if err := dns.WriteLoss(e.stdout, res.Loss, o.format, string(l)); err != nil {
		return err
	}
	if o.format == "text" {
		fmt.Fprintf(e.stdout, "zones: %s (%s)\n", o.outDir, fileList(res.Files))
		if o.designate != "" {
			fmt.Fprintf(e.stdout, "Designate: %s\nnext: cd %s && tofu init && tofu plan\n", filepath.Join(o.designate, "dns.tf"), shellQuote(o.designate))
		}
	}
	// A zone left out must not pass unnoticed: loading the others and
	// moving the delegation would lose it.
	var missing []string
	for _, z := range d.Zones {
		if slices.Contains(z.Unread, "record sets") {
			missing = append(missing, z.Name)
		}
	}
	if len(missing) > 0 {
		return &exitError{code: ExitFailures, err: fmt.Errorf("%s not written: the record sets could not all be read; export again once they can (the report says why)", strings.Join(missing, ", "))}
	}
	return nil
}

// writeDesignate writes dir/dns.tf, and, when dir has none, the
// versions.tf sortie landing writes (the same file, so a later landing run
// leaves the module whole).
func writeDesignate(dir string, stdout io.Writer, tf []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usage("create %s: %v; give another --designate", dir, unwrapPath(err))
	}
	if _, err := os.Stat(filepath.Join(dir, "versions.tf")); errors.Is(err, os.ErrNotExist) {
		if err := writeOutput(filepath.Join(dir, "versions.tf"), stdout, func(w io.Writer) error { _, err := w.Write(landing.VersionsFile()); return err }); err != nil {
			return err
		}
	}
	return writeOutput(filepath.Join(dir, "dns.tf"), stdout, func(w io.Writer) error { _, err := w.Write(tf); return err })
}

func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

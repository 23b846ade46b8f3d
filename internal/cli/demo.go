package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/sortie-dev/sortie/internal/account/sample"
	"github.com/sortie-dev/sortie/internal/awsconfig"
	"github.com/sortie-dev/sortie/internal/bill/billtest"
	"github.com/sortie-dev/sortie/internal/demo"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
)

const demoBucket = "university-archive"

func newDemoCmd(e *env) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole flow on an embedded sample: no AWS account, nothing to install",
		Long: `Start two S3-compatible endpoints inside this process, on loopback: one
stands in for Amazon S3 and is filled with a university's sample data, the
other is the target you control. Then plan, copy, verify and sync between
them with the same code and the same AWS profiles a real exit uses, and copy
the bucket onto a local folder too.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error { return runDemo(cmd.Context(), e, dir) },
	}
	cmd.Flags().StringVar(&dir, "dir", "", "where to put the local-folder copy and the demo's AWS profiles (default: a new temporary directory)")
	return cmd
}

func runDemo(ctx context.Context, e *env, dir string) error {
	w := e.stdout
	temporary := dir == ""
	if temporary {
		d, err := os.MkdirTemp("", "sortie-demo-")
		if err != nil {
			return usage("create a directory for the demo: %v", err)
		}
		dir = d
		// The copies, the servers' data and the sample account take about
		// 100 MB a run: only the assessment is kept, to be opened.
		defer removeAllBut(dir, demoReport, demoZone)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return usage("--dir %s: %v", dir, err)
	}
	fmt.Fprintf(w, "sortie demo — a whole exit from \"AWS\" to a store you control, on this machine\n\n")

	aws, err := demo.Start()
	if err != nil {
		return err
	}
	defer aws.Close()
	sovereign, err := demo.Start()
	if err != nil {
		return err
	}
	defer sovereign.Close()

	// Real AWS shared-config profiles, read by the SDK as a user's would be.
	cfgPath, credPath := filepath.Join(dir, "aws-config"), filepath.Join(dir, "aws-credentials")
	cfg := fmt.Sprintf("[profile demo-aws]\nregion = us-east-1\nendpoint_url = %s\n\n[profile demo-sovereign]\nregion = us-east-1\nendpoint_url = %s\n", aws.URL, sovereign.URL)
	creds := "[demo-aws]\naws_access_key_id = DEMOAWS\naws_secret_access_key = demo-secret\n\n[demo-sovereign]\naws_access_key_id = DEMOSOV\naws_secret_access_key = demo-secret\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return usage("write demo profiles: %v", err)
	}
	if err := os.WriteFile(credPath, []byte(creds), 0o600); err != nil {
		return usage("write demo profiles: %v", err)
	}
	restore := setenv(map[string]string{
		"AWS_CONFIG_FILE": cfgPath, "AWS_SHARED_CREDENTIALS_FILE": credPath,
		"AWS_PROFILE": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "", "AWS_EC2_METADATA_DISABLED": "true",
		// The demo's jobs are throwaway: keep their journals with it.
		"XDG_STATE_HOME": filepath.Join(dir, "state"),
	})
	defer restore()

	fmt.Fprintf(w, "1. Two S3-compatible endpoints on loopback (gofakes3, in this process):\n")
	fmt.Fprintf(w, "     demo-aws        %s   stands in for Amazon S3\n", aws.URL)
	fmt.Fprintf(w, "     demo-sovereign  %s   the target you control\n", sovereign.URL)
	fmt.Fprintf(w, "   as AWS profiles in %s\n\n", cfgPath)

	files := demo.Sample()
	src, err := s3store.New(ctx, s3store.Config{Bucket: demoBucket, AWS: awsconfig.Options{Profile: "demo-aws"}, Logger: e.log})
	if err != nil {
		return err
	}
	if err := src.CreateBucket(ctx); err != nil {
		return err
	}
	if err := demo.Seed(ctx, src, files); err != nil {
		return fmt.Errorf("fill the demo source: %w", err)
	}
	var total int64
	multipart := 0
	for _, f := range files {
		total += int64(f.Size)
		if f.PartSize > 0 {
			multipart++
		}
	}
	fmt.Fprintf(w, "2. Filled s3://%s on demo-aws with a university's sample: %d objects, %s\n", demoBucket, len(files), humanize.IBytes(uint64(total)))
	fmt.Fprintf(w, "   (course files with French names, NFC and NFD forms of \"Café\", %d lab datasets uploaded in parts,\n", multipart)
	fmt.Fprintf(w, "   user metadata, a folder marker, an empty file)\n\n")

	bucketURL := "s3://" + demoBucket
	profiles := &copyOptions{fromProfile: "demo-aws", toProfile: "demo-sovereign", workers: 8, partSize: "8MiB", bwlimit: "0",
		egressPrice: defaultEgressPrice(), createBucket: true, maxDelete: -1, listWorkers: 1}
	flags := "--from-profile demo-aws --to-profile demo-sovereign"

	step := func(n int, title, command string) {
		fmt.Fprintf(w, "%d. %s\n   $ %s\n", n, title, command)
	}
	step(3, "Plan: what would move, and what it would cost in egress", "sortie plan "+bucketURL+" "+bucketURL+" "+flags)
	if err := runCopy(ctx, e, modePlan, profiles, bucketURL, bucketURL); err != nil {
		return err
	}
	fmt.Fprintln(w)
	step(4, "Copy: every object hashed as it streams, confirmed by the target", "sortie copy "+bucketURL+" "+bucketURL+" "+flags+" --part-size 8MiB --create-bucket")
	if err := runCopy(ctx, e, modeCopy, profiles, bucketURL, bucketURL); err != nil {
		return err
	}
	fmt.Fprintln(w)
	vopts := &verifyOptions{fromProfile: "demo-aws", toProfile: "demo-sovereign", workers: 8, listWorkers: 1}
	step(5, "Verify: prove every object arrived with the same bytes and metadata", "sortie verify "+bucketURL+" "+bucketURL+" "+flags)
	if err := runVerify(ctx, e, vopts, bucketURL, bucketURL); err != nil {
		return err
	}
	fmt.Fprintln(w)

	// A week later, the source has moved on.
	changed := files[len(files)-1] // a lecture
	if err := demo.Upload(ctx, src, changed, 2); err != nil {
		return err
	}
	if err := src.Delete(ctx, "admin/notes 100% final.txt"); err != nil {
		return err
	}
	added := demo.File{Key: "courses/PHY-1001/lectures/lecture-13.pdf", Size: 300 << 10, Meta: changed.Meta}
	if err := demo.Upload(ctx, src, added, 1); err != nil {
		return err
	}
	fmt.Fprintf(w, "   A week later the source has changed: %q updated, %q added,\n   %q deleted.\n", changed.Key, added.Key, "admin/notes 100% final.txt")
	step(6, "Sync until cutover: only the changes move, and the deletion follows", "sortie sync "+bucketURL+" "+bucketURL+" "+flags)
	if err := runCopy(ctx, e, modeSync, profiles, bucketURL, bucketURL); err != nil {
		return err
	}
	fmt.Fprintln(w)
	vopts.exact = true
	step(7, "Verify again, exactly: nothing missing, nothing extra", "sortie verify --exact "+bucketURL+" "+bucketURL+" "+flags)
	if err := runVerify(ctx, e, vopts, bucketURL, bucketURL); err != nil {
		return err
	}
	fmt.Fprintln(w)

	local := filepath.Join(dir, "university-archive")
	local2 := &copyOptions{fromProfile: "demo-aws", workers: 8, partSize: "8MiB", bwlimit: "0", maxDelete: -1, listWorkers: 1}
	step(8, "Or onto a filesystem: atomic writes, metadata kept in extended attributes", "sortie copy "+bucketURL+" "+local+" --from-profile demo-aws")
	if err := runCopy(ctx, e, modeCopy, local2, bucketURL, local); err != nil {
		return err
	}
	fmt.Fprintln(w)
	vopts = &verifyOptions{fromProfile: "demo-aws", workers: 8, exact: true, listWorkers: 1}
	step(9, "And verify the folder, re-reading every file", "sortie verify --exact "+bucketURL+" "+local+" --from-profile demo-aws")
	if err := runVerify(ctx, e, vopts, bucketURL, local); err != nil {
		return err
	}

	fmt.Fprintln(w)

	// The assessment that comes before a real exit, on a sample account:
	// the directory export-script would have written, and a CUR 2.0 bill.
	account, billDir := filepath.Join(dir, "sample-account"), filepath.Join(dir, "sample-bill")
	if err := os.CopyFS(account, sample.Account()); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("write the sample account: %w", err)
	}
	if err := os.MkdirAll(billDir, 0o755); err != nil {
		return fmt.Errorf("write the sample bill: %w", err)
	}
	if err := billtest.WriteFile(filepath.Join(billDir, "sample-cur-00001.snappy.parquet"), billtest.CUR2Parquet, billtest.Sample()); err != nil {
		return fmt.Errorf("write the sample bill: %w", err)
	}
	report := filepath.Join(dir, demoReport)
	step(10, "Assess a whole account before the move: inventory, bill, egress, waiver, where each thing lands",
		"sortie assess --offline "+account+" --cur "+billDir+" -o "+report)
	aopts := &assessOptions{offline: account, cur: billDir, bandwidth: "1Gbps", utilization: 0.8, target: "s3", format: "html", output: report, lang: "en"}
	if err := runAssess(ctx, e, aopts); err != nil {
		return err
	}

	fmt.Fprintln(w)
	zone := filepath.Join(dir, demoZone)
	step(11, "Write the landing zone: its network, security groups and machines as OpenTofu code for OpenStack",
		"sortie landing --offline "+account+" -o "+zone)
	if err := runLanding(ctx, e, &landingOptions{exportArgs: exportArgs{offline: account, outDir: zone, format: "text", lang: "en"}}); err != nil {
		return err
	}

	kept := "The files are in " + local + "."
	if temporary {
		kept = "The demo's copies are removed when it ends, all but the assessment and the landing zone (run sortie demo --dir DIR to keep them)."
	}
	fmt.Fprintf(w, `
Done. %s

Next, with your own buckets: put the target in a profile in ~/.aws/config,
    [profile target]
    endpoint_url = https://s3.your-provider.example
and run
    sortie plan   s3://YOUR-BUCKET s3://YOUR-BUCKET --from-profile YOUR-AWS-PROFILE --to-profile target
    sortie copy   s3://YOUR-BUCKET s3://YOUR-BUCKET --from-profile YOUR-AWS-PROFILE --to-profile target
    sortie verify s3://YOUR-BUCKET s3://YOUR-BUCKET --from-profile YOUR-AWS-PROFILE --to-profile target
and, before all that, assess your account (read-only):
    sortie assess --profile YOUR-AWS-PROFILE --cur YOUR-CUR-EXPORT-FOLDER

The sample account's landing zone is in %s (tofu init && tofu plan there).
The sample account's assessment is in %s — open it in a browser.
`, kept, zone, report)
	return nil
}

// demoReport and demoZone are the demo's assessment and landing zone, what
// it keeps of a temporary directory.
const (
	demoReport = "sortie-assessment.html"
	demoZone   = "landing-zone"
)

// removeAllBut removes what dir holds except the entries keep names.
func removeAllBut(dir string, keep ...string) {
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		if !slices.Contains(keep, en.Name()) {
			os.RemoveAll(filepath.Join(dir, en.Name()))
		}
	}
}

// setenv sets variables ("" unsets) and returns a function that restores
// them; the demo's profiles must win over whatever the user's shell has.
func setenv(vars map[string]string) func() {
	type old struct {
		v  string
		ok bool
	}
	saved := map[string]old{}
	for k, v := range vars {
		ov, ok := os.LookupEnv(k)
		saved[k] = old{ov, ok}
		if v == "" {
			os.Unsetenv(k)
		} else {
			os.Setenv(k, v)
		}
	}
	return func() {
		for k, o := range saved {
			if o.ok {
				os.Setenv(k, o.v)
			} else {
				os.Unsetenv(k)
			}
		}
	}
}

package assess_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/assess"
	"github.com/sortie-dev/sortie/internal/assess/prices"
	"github.com/sortie-dev/sortie/internal/bill"
	"github.com/sortie-dev/sortie/internal/bill/billtest"
	"github.com/sortie-dev/sortie/internal/lang"
)

// inventory reads one of the inventories account/awsread keeps from the
// sample account's aws-cli export.
func inventory(t *testing.T, name string) *account.Inventory {
	t.Helper()
	b, err := os.ReadFile("../account/sample/" + name)
	if err != nil {
		t.Fatal(err)
	}
	inv := &account.Inventory{}
	if err := json.Unmarshal(b, inv); err != nil {
		t.Fatal(err)
	}
	return inv
}

func readBill(t *testing.T, f billtest.Format, lines []billtest.Line) *bill.Summary {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bill")
	switch f {
	case billtest.FocusCSV:
		path += ".csv"
	default:
		path += ".parquet"
	}
	if err := billtest.WriteFile(path, f, lines); err != nil {
		t.Fatal(err)
	}
	b, err := bill.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func plan(inv *account.Inventory, b *bill.Summary, l lang.Lang) *assess.Plan {
	return assess.BuildPlan(inv, assess.PlanOptions{Prices: prices.Default(), BitsPerSecond: 1e9, Bandwidth: "1Gbps", Utilization: 0.8,
		Start: time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC), Target: "minio", Now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Bill: b, Lang: l})
}

// The invalid and valid examples of S3's bucket naming rules page.
func TestBucketNameRules(t *testing.T) {
	for _, c := range []struct {
		name string
		why  []string
		want string // proposed
	}{
		{"docexamplebucket1", nil, ""},
		{"log-delivery-march-2020", nil, ""},
		{"my-hosted-content", nil, ""},
		{"docexamplewebsite.com", nil, ""},
		{"doc_example_bucket", []string{"underscore"}, "doc-example-bucket"},
		{"DocExampleBucket", []string{"upper"}, "docexamplebucket"},
		{"doc-example-bucket-", []string{"ends"}, "doc-example-bucket"},
		{"Uni_Lab_Backups", []string{"upper", "underscore"}, "uni-lab-backups"},
		{"192.168.5.4", []string{"ip"}, "192-168-5-4"},
		{"999.1.1.1", []string{"ip"}, "999-1-1-1"},
		{"doc..example", []string{"dots"}, "doc.example"},
		{"xn--doc-example", []string{"reserved-fix"}, "doc-example"},
		{"ab", []string{"length"}, "bucket-ab"},
		{"lab.-archive", []string{"dots"}, "lab-archive"},
		{strings.Repeat("research-data-", 5), []string{"length", "ends"}, ""},
	} {
		why := assess.BucketNameProblems(c.name)
		if !slices.Equal(why, c.why) {
			t.Errorf("%s: problems %v, want %v", c.name, why, c.why)
		}
		if c.why == nil {
			continue
		}
		got := assess.ProposeBucketName(c.name, nil)
		if p := assess.BucketNameProblems(got); len(p) > 0 {
			t.Errorf("%s: proposed %s is refused too (%v)", c.name, got, p)
		}
		if c.want != "" && got != c.want {
			t.Errorf("%s: proposed %s, want %s", c.name, got, c.want)
		}
		if c.want == "" && len(got) != 63 {
			t.Errorf("%s: proposed %s (%d), want it cut to 63", c.name, got, len(got))
		}
	}
	// A proposal never lands on another bucket's name.
	if got := assess.ProposeBucketName("Uni_Lab_Backups", map[string]bool{"uni-lab-backups": true}); got != "uni-lab-backups-2" {
		t.Errorf("collision: proposed %s, want uni-lab-backups-2", got)
	}
}

// An old us-east-1 bucket whose name MinIO refuses is flagged in the plan
// with the name to create and the --bucket-map to pass; the bucket table
// carries the new name, and the plan lists the whole map.
func TestBucketNamesTheTargetRefuses(t *testing.T) {
	inv := inventory(t, "inventory.json")
	legacy := inv.Buckets[2]
	legacy.Name = "Uni_Lab_Backups"
	taken := legacy
	taken.Name = "uni-lab-backups"
	inv.Buckets = append(inv.Buckets, legacy, taken)
	p := plan(inv, nil, lang.English)
	var it assess.Item
	for _, i := range p.Items {
		if i.Kind == "bucket" && i.Name == "Uni_Lab_Backups" {
			it = i
		}
	}
	if it.NewName != "uni-lab-backups-2" || it.BucketMap != "Uni_Lab_Backups=uni-lab-backups-2" || !strings.Contains(it.Target, "uni-lab-backups-2 on MinIO") {
		t.Fatalf("legacy bucket item = %+v", it)
	}
	flag := strings.Join(it.Flags, "\n")
	for _, want := range []string{"MinIO refuses the name Uni_Lab_Backups (upper case, underscore)", "--bucket-map Uni_Lab_Backups=uni-lab-backups-2", "sortie copy s3://Uni_Lab_Backups s3://uni-lab-backups-2"} {
		if !strings.Contains(flag, want) {
			t.Errorf("flags lack %q:\n%s", want, flag)
		}
	}
	if !slices.Equal(p.BucketMap, []string{"Uni_Lab_Backups=uni-lab-backups-2"}) {
		t.Errorf("plan bucket map %v", p.BucketMap)
	}
	for _, b := range p.Data.Buckets {
		want := b.Name
		if b.Name == "Uni_Lab_Backups" {
			want = "uni-lab-backups-2"
		}
		if b.TargetName != want {
			t.Errorf("bucket %s lands as %s, want %s", b.Name, b.TargetName, want)
		}
	}
}

// The sample account read by someone CloudWatch refused: its buckets'
// sizes are unknown, which is not zero; the waiver cannot be judged.
func TestUnknownSizesAreNotZero(t *testing.T) {
	p := plan(inventory(t, "inventory-cloudwatch-refused.json"), nil, lang.English)
	d := p.Data
	if d.Sizes != "unknown" || d.SizesUnknown != 3 || d.Waiver.Verdict != "unknown" || d.Waiver.Fits {
		t.Errorf("sizes %q (%d unknown), waiver %q fits %v; want unknown, 3, unknown, false", d.Sizes, d.SizesUnknown, d.Waiver.Verdict, d.Waiver.Fits)
	}
	if len(d.SizesProblems) != 2 || !strings.HasPrefix(d.SizesProblems[0], "cloudwatch ca-central-1: AccessDenied: ") {
		t.Errorf("sizes problems %q, want CloudWatch's refusal in ca-central-1 and us-east-1", d.SizesProblems)
	}
	for _, b := range d.Buckets {
		if !strings.Contains(b.SizesUnknownBecause, "cloudwatch:GetMetricData") {
			t.Errorf("bucket %s: unknown because %q", b.Name, b.SizesUnknownBecause)
		}
	}
	// Some known, some not: what is known is a lower bound.
	inv := inventory(t, "inventory.json")
	inv.Buckets[2].Classes, inv.Buckets[2].Sizes = map[string]account.Usage{}, "unknown"
	if p := plan(inv, nil, lang.English); p.Data.Sizes != "partial" || p.Data.Waiver.Verdict != "unknown" ||
		!strings.Contains(p.Data.Buckets[2].SizesUnknownBecause, "no storage metrics") {
		t.Errorf("partial: sizes %q verdict %q why %q", p.Data.Sizes, p.Data.Waiver.Verdict, p.Data.Buckets[2].SizesUnknownBecause)
	}
}

// A realistic university bill: the sample bill with the virtual lab on
// AppStream (its second-largest service), WorkSpaces, EFS and CloudWatch.
func universityBill() []billtest.Line {
	lines := billtest.Sample()
	for _, m := range []time.Time{time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)} {
		// Only the product code matters to the join; the usage types are
		// AppStream's instance hours and user fees.
		lines = append(lines,
			billtest.Line{Type: "Usage", Product: "AmazonAppStream", UsageType: "CAN1-stream.standard.large-AlwaysOn", Region: "ca-central-1", Start: m, Amount: 28800, Cost: 512.00},
			billtest.Line{Type: "Usage", Product: "AmazonAppStream", UsageType: "CAN1-stream.graphics.g4dn.xlarge-OnDemand", Region: "ca-central-1", Start: m, Amount: 1100, Cost: 236.50},
			billtest.Line{Type: "Usage", Product: "AmazonAppStream", UsageType: "CAN1-AppStream-RDS-SAL", Region: "ca-central-1", Start: m, Amount: 310, Cost: 130.20},
			billtest.Line{Type: "Usage", Product: "AmazonWorkSpaces", UsageType: "CAN1-AW-HW-2-AutoStop-Usage", Region: "ca-central-1", Start: m, Amount: 2, Cost: 71.00},
			billtest.Line{Type: "Usage", Product: "AmazonEFS", UsageType: "CAN1-ElasticFileSystem-ElasticStorage", Region: "ca-central-1", Start: m, Amount: 4096, Cost: 122.88},
			billtest.Line{Type: "Usage", Product: "AmazonCloudWatch", UsageType: "CAN1-CW:MetricMonitorUsage", Region: "ca-central-1", Start: m, Amount: 300, Cost: 9.00},
		)
	}
	return lines
}

// Every service with spend is beside its items, with its monthly spend;
// spend that no item explains is listed with what it is.
func TestBillJoinedWithInventory(t *testing.T) {
	p := plan(inventory(t, "inventory.json"), readBill(t, billtest.CUR2Parquet, universityBill()), lang.English)
	by := map[string]assess.ServiceSpend{}
	var order []string
	for _, s := range p.Services {
		by[s.Service] = s
		order = append(order, s.Service)
	}
	if len(order) < 2 || order[1] != "AmazonAppStream" {
		t.Errorf("services by spend %v: the virtual lab should come second", order)
	}
	for _, c := range []struct {
		service string
		monthly float64
		items   int
		kinds   []string
	}{
		{"AmazonS3", 1202, 3, []string{"bucket"}},
		{"AmazonAppStream", 878.70, 4, []string{"appstream-fleet", "appstream-stack"}},
		{"AmazonEC2", 76.32, 11, []string{"instance", "volume", "snapshot"}},
		{"AmazonRDS", 288, 2, []string{"database"}},
		{"AmazonWorkSpaces", 71, 2, []string{"workspace"}},
		{"AmazonEFS", 122.88, 1, []string{"file-system"}},
	} {
		s := by[c.service]
		if !near(s.Monthly, c.monthly) || s.Items != c.items || !slices.Equal(s.Kinds, c.kinds) {
			t.Errorf("%s: %+v, want %.2f a month over %d items %v", c.service, s, c.monthly, c.items, c.kinds)
		}
	}
	for _, svc := range []string{"AWSDataTransfer", "ComputeSavingsPlans", "AmazonCloudWatch"} {
		if s := by[svc]; s.Items != 0 || s.Note == "" || s.Monthly == 0 {
			t.Errorf("%s (no item) = %+v, want its spend and a note", svc, s)
		}
	}
	for _, it := range p.Items {
		if it.Kind != "iam" && it.Kind != "zone" && it.Kind != "function" && it.Kind != "distribution" && it.Kind != "other" && it.Service == "" {
			t.Errorf("%s %s has no billed service", it.Kind, it.Name)
		}
	}

	// The virtual lab lands on open alternatives, with its effort and flags.
	for _, it := range p.Items {
		switch it.Kind {
		case "appstream-fleet":
			if !strings.Contains(it.Target, "Apache Guacamole") || !strings.Contains(it.Target, "noVNC") || it.Effort != 5 {
				t.Errorf("fleet %s: %q effort %d", it.Name, it.Target, it.Effort)
			}
			if it.Name == "virtual-lab-gpu" && (!strings.Contains(it.Target, "SCS-4V-16") || !strings.Contains(strings.Join(it.Flags, " "), "GPU flavours")) {
				t.Errorf("GPU fleet: %q %q", it.Target, it.Flags)
			}
		case "appstream-stack":
			if !strings.Contains(strings.Join(it.Flags, " "), "home folders") {
				t.Errorf("stack %s flags %q", it.Name, it.Flags)
			}
		case "workspace":
			if !strings.Contains(it.Target, "Guacamole") {
				t.Errorf("workspace %s: %q", it.Name, it.Target)
			}
		case "file-system":
			if !strings.Contains(it.Target, "NFS") || !strings.Contains(it.Target, "CephFS") || !strings.Contains(strings.Join(it.Flags, " "), "4.0\u00a0TiB") {
				t.Errorf("EFS: %q %q", it.Target, it.Flags)
			}
		}
	}

	// A FOCUS bill names services; the join follows the names.
	var focus []billtest.Line
	for _, l := range universityBill() {
		switch l.Product {
		case "AmazonAppStream":
			l.Product = "Amazon AppStream"
		case "AmazonS3":
			l.Product = "Amazon Simple Storage Service"
		}
		focus = append(focus, l)
	}
	p = plan(inventory(t, "inventory.json"), readBill(t, billtest.FocusCSV, focus), lang.English)
	for _, s := range p.Services {
		if (s.Service == "Amazon AppStream" && s.Items != 4) || (s.Service == "Amazon Simple Storage Service" && s.Items != 3) {
			t.Errorf("FOCUS %s: %d items", s.Service, s.Items)
		}
	}
}

// When the AppStream reader was refused, the tagging API's count still
// gets the virtual lab's mapping.
func TestCountedFleetsAreMapped(t *testing.T) {
	inv := inventory(t, "inventory.json")
	inv.AppStreamFleets, inv.AppStreamStacks = nil, nil
	inv.Other = append(inv.Other, account.ResourceCount{Type: "appstream:fleet", Count: 3})
	p := plan(inv, nil, lang.English)
	for _, it := range p.Items {
		if it.Name == "appstream:fleet" {
			if it.Kind != "appstream-fleet" || !strings.Contains(it.Target, "Guacamole") || !strings.Contains(it.Detail, "3, counted by the tagging API") {
				t.Errorf("counted fleet item %+v", it)
			}
			return
		}
	}
	t.Error("no item for the counted fleets")
}

// The scale is 1–5, as the report's heading says: the sample's archive
// bucket collects enough flags to reach 6.
func TestEffortOnTheScale(t *testing.T) {
	p := plan(inventory(t, "inventory.json"), nil, lang.English)
	sum := 0
	for _, it := range p.Items {
		if it.Effort < 1 || it.Effort > assess.MaxEffort {
			t.Errorf("%s %s scores %d, off the 1–%d scale", it.Kind, it.Name, it.Effort, assess.MaxEffort)
		}
		if it.Name == "uni-lab-archive" && it.Effort != 5 {
			t.Errorf("uni-lab-archive scores %d, want 5", it.Effort)
		}
		sum += it.Effort
	}
	if sum != p.Effort {
		t.Errorf("effort total %d, items sum to %d", p.Effort, sum)
	}
}

// The plan's texts are French in a French plan.
func TestPlanInFrench(t *testing.T) {
	if err := assess.Messages().Check(); err != nil {
		t.Fatal(err)
	}
	p := plan(inventory(t, "inventory.json"), nil, lang.French)
	var b strings.Builder
	for _, it := range p.Items {
		b.WriteString(it.Detail + "\n" + it.Target + "\n" + strings.Join(it.Flags, "\n") + "\n")
	}
	b.WriteString(strings.Join(p.Assumptions.Notes, "\n") + strings.Join(p.Data.Waiver.Conditions, "\n"))
	text := b.String()
	for _, en := range []string{"objects", "OpenStack server, flavour", "not attached", "lifecycle rules", "records", "Egress is priced", "Ask AWS Support"} {
		if strings.Contains(text, en) {
			t.Errorf("French plan says %q", en)
		}
	}
}

func near(a, b float64) bool { return a-b < 0.005 && b-a < 0.005 }

// ListBuckets refused: there is no bucket to count, which is not an
// account with no data. A bucket's settings refused is not that.
func TestBucketListingRefused(t *testing.T) {
	inv := inventory(t, "inventory.json")
	inv.Buckets = nil
	inv.Problems = append(inv.Problems, account.Problem{Service: "s3", Error: "AccessDenied: Access Denied"})
	if p := plan(inv, nil, lang.English); p.Data.Sizes != "unknown" || p.Data.Waiver.Fits || len(p.Data.SizesProblems) != 1 {
		t.Errorf("listing refused: sizes %q fits %v problems %q", p.Data.Sizes, p.Data.Waiver.Fits, p.Data.SizesProblems)
	}
	inv = inventory(t, "inventory.json")
	inv.Problems = append(inv.Problems, account.Problem{Service: "s3", Error: "bucket uni-website: AccessDenied: Access Denied"})
	if p := plan(inv, nil, lang.English); p.Data.Sizes != "complete" || !p.Data.Waiver.Fits {
		t.Errorf("settings refused: sizes %q fits %v", p.Data.Sizes, p.Data.Waiver.Fits)
	}
}

// Each RDS instance sortie can move names the pre-flight to run, from its
// endpoint, master user and database (the sample account's, as
// describe-db-instances gives them); IAM authentication adds the profile
// flag; an engine sortie does not move gets none.
func TestDatabasesNameTheirPreflight(t *testing.T) {
	for _, tc := range []struct {
		db   account.Database
		want string
	}{
		{account.Database{Engine: "postgres", Address: "moodle-db.c9akciq32.ca-central-1.rds.amazonaws.com", Port: 5432, MasterUser: "moodleadmin", DBName: "moodle", IAMAuth: true},
			"sortie db plan postgres://moodleadmin@moodle-db.c9akciq32.ca-central-1.rds.amazonaws.com:5432/moodle postgres://sortie@TARGET-HOST/moodle [--from-profile PROFILE]"},
		{account.Database{Engine: "mariadb", Address: "wiki.x.eu-west-3.rds.amazonaws.com", Port: 3306, MasterUser: "admin"},
			"sortie db plan mysql://admin@wiki.x.eu-west-3.rds.amazonaws.com:3306/ mysql://sortie@TARGET-HOST/"},
		{account.Database{Engine: "aurora-postgresql", Address: "c.cluster-x.ca-central-1.rds.amazonaws.com", Port: 5432, MasterUser: "m"},
			"sortie db plan postgres://m@c.cluster-x.ca-central-1.rds.amazonaws.com:5432/postgres postgres://sortie@TARGET-HOST/postgres"},
		{account.Database{Engine: "oracle-ee", Address: "o.x.rds.amazonaws.com", Port: 1521}, ""},
		{account.Database{Engine: "postgres"}, ""},
	} {
		inv := &account.Inventory{Databases: []account.Database{tc.db}}
		got := ""
		for _, it := range plan(inv, nil, lang.English).Items {
			for _, f := range it.Flags {
				if _, cmd, ok := strings.Cut(f, "first, the pre-flight (read-only): "); ok {
					got = cmd
				}
			}
		}
		if got != tc.want {
			t.Errorf("%s: %q\nwant %q", tc.db.Engine, got, tc.want)
		}
	}
}

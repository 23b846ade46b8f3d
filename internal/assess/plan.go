package assess

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/assess/prices"
	"github.com/sortie-dev/sortie/internal/bill"
	"github.com/sortie-dev/sortie/internal/lang"
)

// SchemaVersion is the version of the plan's JSON schema (docs/assess.md).
// It changes only when a field changes meaning or goes away. 2: the
// waiver's fits is false when bucket sizes are unknown (verdict says
// "unknown"); an item's effort is at most 5; texts are in the plan's lang.
const SchemaVersion = 2

// PlanOptions are the assumptions a plan is computed under.
type PlanOptions struct {
	Prices *prices.Prices
	// BitsPerSecond is the bandwidth out of AWS; Utilization the share of
	// it a long copy sustains.
	BitsPerSecond float64
	Bandwidth     string // as the user wrote it, for the report
	Utilization   float64
	Start         time.Time
	Target        string // a key of Targets
	TargetPrices  *TargetPrices
	Bill          *bill.Summary
	Now           time.Time
	// Lang is the language of the plan's texts (targets, flags, notes).
	Lang lang.Lang
}

// Plan is the exit plan: sortie assess's output in every format.
type Plan struct {
	SchemaVersion int                `json:"schema_version"`
	Generated     string             `json:"generated"`
	Assumptions   Assumptions        `json:"assumptions"`
	Inventory     *account.Inventory `json:"inventory"`
	Data          DataPlan           `json:"data"`
	Items         []Item             `json:"items"`
	Effort        int                `json:"effort_total"`
	Bill          *bill.Summary      `json:"bill,omitempty"`
	// Services joins the bill to the items: each billed service's monthly
	// spend and the items it pays for (none: spend nothing here maps).
	Services []ServiceSpend `json:"services,omitempty"`
	// BucketMap renames the buckets whose names the target refuses, as
	// sortie policy's --bucket-map takes it: OLD=NEW.
	BucketMap []string `json:"bucket_map,omitempty"`
	Costs     Costs    `json:"costs"`
}

// ServiceSpend is one service of the bill and what it pays for.
type ServiceSpend struct {
	Service string   `json:"service"` // as the bill names it: AmazonS3, or FOCUS's Amazon Simple Storage Service
	Monthly float64  `json:"monthly"` // average charges per month
	Items   int      `json:"items"`   // items of the plan it pays for
	Kinds   []string `json:"kinds,omitempty"`
	// Note says what to do with spend no item explains.
	Note string `json:"note,omitempty"`
}

// Assumptions are the inputs the figures depend on, printed with them.
type Assumptions struct {
	Bandwidth     string        `json:"bandwidth"`
	BitsPerSecond float64       `json:"bits_per_second"`
	Utilization   float64       `json:"utilization"`
	Start         string        `json:"start"`
	Target        Target        `json:"target"`
	PricesDate    string        `json:"prices_date"`
	PricesSource  string        `json:"prices_source"`
	Currency      string        `json:"currency"`
	GBBytes       float64       `json:"gb_bytes"`
	EgressTiers   []prices.Tier `json:"egress_tiers"`
	FreeGB        float64       `json:"egress_free_gb_per_month"`
	Notes         []string      `json:"notes"`
	Lang          lang.Lang     `json:"lang"`
}

// DataPlan is what moving the buckets involves.
type DataPlan struct {
	// Sizes says whether the figures below count every bucket: "complete",
	// "partial" (some buckets' sizes are unknown: a lower bound) or
	// "unknown" (none could be read; the figures are not zero, they are
	// missing).
	Sizes        string `json:"sizes"`
	SizesUnknown int    `json:"buckets_sizes_unknown"`
	// SizesProblems are the problem lines that explain the unknown sizes.
	SizesProblems []string       `json:"sizes_problems,omitempty"`
	Bytes         int64          `json:"bytes"`
	Objects       int64          `json:"objects"`
	Classes       []ClassPlan    `json:"classes"`
	Buckets       []BucketPlan   `json:"buckets"`
	RequestCost   float64        `json:"request_cost"`
	RetrievalCost float64        `json:"retrieval_cost"`
	RestoreCost   float64        `json:"restore_cost"`
	RestoreHours  float64        `json:"restore_hours"`
	EgressCost    float64        `json:"egress_cost"` // without the waiver
	EgressMonths  []prices.Month `json:"egress_months"`
	TransferDays  float64        `json:"transfer_days"`
	TotalDays     float64        `json:"total_days"` // restores, then transfer
	Waiver        WaiverPlan     `json:"waiver"`
	// Cost is everything moving the data costs at AWS without the waiver:
	// requests, retrievals, restores and egress.
	Cost float64 `json:"cost"`
}

// ClassPlan sums one storage class over all buckets.
type ClassPlan struct {
	Class        string  `json:"class"`
	Bytes        int64   `json:"bytes"`
	Objects      int64   `json:"objects"`
	NeedsRestore bool    `json:"needs_restore"`
	RestoreHours float64 `json:"restore_hours,omitempty"`
	RestoreCost  float64 `json:"restore_cost,omitempty"`
	Retrieval    float64 `json:"retrieval_cost,omitempty"`
	Requests     float64 `json:"request_cost"`
}

// BucketPlan is one bucket's share.
type BucketPlan struct {
	Name      string `json:"name"`
	Region    string `json:"region"`
	Bytes     int64  `json:"bytes"`
	Objects   int64  `json:"objects"`
	SizesFrom string `json:"sizes_from"`
	// SizesUnknownBecause says why, when SizesFrom is "unknown".
	SizesUnknownBecause string `json:"sizes_unknown_because,omitempty"`
	// TargetName is the bucket's name on the target: its own, or the name
	// proposed when the target refuses it.
	TargetName    string  `json:"target_name"`
	NeedsRestore  bool    `json:"needs_restore"`
	RequestCost   float64 `json:"request_cost"`
	RestoreCost   float64 `json:"restore_cost"`
	RetrievalCost float64 `json:"retrieval_cost"`
	// EgressCost is the bucket's share of the move's egress, by bytes
	// (tiers apply to the month's total, not to a bucket).
	EgressCost   float64 `json:"egress_cost"`
	TransferDays float64 `json:"transfer_days"`
}

// WaiverPlan says whether the move fits AWS's exit waiver.
type WaiverPlan struct {
	Days int `json:"days"`
	// Verdict is "fits", "does_not_fit", or "unknown" when bucket sizes
	// could not be read and the known part alone fits.
	Verdict    string   `json:"verdict"`
	Fits       bool     `json:"fits"` // verdict is "fits"
	Conditions []string `json:"conditions"`
	Source     string   `json:"source"`
	// CostBeyond is the egress of the data still moving after the window,
	// which the waiver would not cover.
	CostBeyond float64 `json:"cost_beyond_window"`
	// NeededBitsPerSecond is the bandwidth at which the move would fit.
	NeededBitsPerSecond float64 `json:"needed_bits_per_second"`
}

// Item is one resource and where it lands.
type Item struct {
	// Kind is bucket, instance, volume, snapshot, database, zone, iam,
	// function, distribution, appstream-fleet, appstream-stack, workspace,
	// file-system or other.
	Kind   string   `json:"kind"`
	Name   string   `json:"name"`
	Region string   `json:"region,omitempty"`
	Detail string   `json:"detail,omitempty"`
	Target string   `json:"target"` // where it lands, or "manual"
	Flags  []string `json:"flags,omitempty"`
	Effort int      `json:"effort"` // 1 (routine) … 5 (a project of its own)
	// Service is the bill's service the item is paid through, when the
	// bill has spend on it.
	Service string `json:"service,omitempty"`
	// NewName is a bucket's name on the target when the target refuses
	// its own; BucketMap the OLD=NEW that carries it.
	NewName   string `json:"new_name,omitempty"`
	BucketMap string `json:"bucket_map,omitempty"`
}

// dbPlanCommand is the sortie db plan command for an RDS instance sortie
// can move (PostgreSQL, MySQL, MariaDB), from its endpoint, master user
// and database; TARGET-HOST stands for the target's server. "" for another
// engine or an instance whose endpoint is unknown.
func dbPlanCommand(db account.Database) string {
	engine := strings.ToLower(db.Engine)
	var scheme, name string
	switch {
	case strings.Contains(engine, "postgres"):
		scheme, name = "postgres", cmp.Or(db.DBName, "postgres")
	case strings.Contains(engine, "mysql"), strings.Contains(engine, "mariadb"):
		scheme, name = "mysql", db.DBName
	}
	if scheme == "" || db.Address == "" {
		return ""
	}
	host := db.Address
	if db.Port != 0 {
		host = net.JoinHostPort(db.Address, strconv.Itoa(int(db.Port)))
	}
	user := cmp.Or(db.MasterUser, "USER")
	cmd := fmt.Sprintf("sortie db plan %s://%s@%s/%s %s://sortie@TARGET-HOST/%s", scheme, user, host, name, scheme, name)
	if db.IAMAuth {
		cmd += " [--from-profile PROFILE]"
	}
	return cmd
}

// MaxEffort is the top of the effort scale: a project of its own.
const MaxEffort = 5

// Costs compares spend before and after.
type Costs struct {
	Currency       string     `json:"currency"`
	AWSMonthly     float64    `json:"aws_monthly"` // average charges per month, from the bill
	AWSFromBill    bool       `json:"aws_from_bill"`
	TargetCurrency string     `json:"target_currency,omitempty"`
	TargetMonthly  float64    `json:"target_monthly"`
	TargetLines    []CostLine `json:"target_lines,omitempty"`
	Unpriced       []string   `json:"unpriced,omitempty"`
}

// CostLine is one line of the after-exit estimate.
type CostLine struct {
	What    string  `json:"what"`
	Monthly float64 `json:"monthly"`
}

// TargetPrices is the documented format of --target-prices (YAML or JSON).
type TargetPrices struct {
	Provider       string             `json:"provider"`
	Date           string             `json:"date"`
	Currency       string             `json:"currency"`
	StorageGBMonth float64            `json:"storage_gb_month"`
	BlockGBMonth   float64            `json:"block_gb_month"`
	Flavours       map[string]float64 `json:"flavours"` // monthly price per flavour
}

// LoadTargetPrices reads a target price file.
func LoadTargetPrices(path string) (*TargetPrices, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("target prices: %w", err)
	}
	var tp TargetPrices
	if err := yaml.UnmarshalStrict(b, &tp); err != nil {
		return nil, fmt.Errorf("target prices %s: %v (see docs/assess.md for the format)", path, strings.SplitN(strings.TrimSpace(err.Error()), "\n", 2)[0])
	}
	if tp.Currency == "" {
		return nil, fmt.Errorf("target prices %s: give the currency the prices are in (currency: EUR)", path)
	}
	return &tp, nil
}

// BuildPlan computes the exit plan for inv.
func BuildPlan(inv *account.Inventory, o PlanOptions) *Plan {
	p := o.Prices
	if o.Utilization <= 0 || o.Utilization > 1 {
		o.Utilization = 0.8
	}
	if o.Lang == "" {
		o.Lang = lang.English
	}
	target, ok := Targets[o.Target]
	if !ok {
		target = Targets["s3"]
	}
	t := func(key string, args ...any) string { return messages.T(o.Lang, key, args...) }
	plan := &Plan{SchemaVersion: SchemaVersion, Generated: o.Now.UTC().Format(time.RFC3339), Inventory: inv, Bill: o.Bill}
	plan.Assumptions = Assumptions{
		Bandwidth: o.Bandwidth, BitsPerSecond: o.BitsPerSecond, Utilization: o.Utilization, Start: o.Start.Format(time.DateOnly),
		Target: target, PricesDate: p.Date, PricesSource: p.Source, Currency: p.Currency, GBBytes: p.GBBytes,
		EgressTiers: p.Egress.Tiers, FreeGB: p.Egress.FreeGBPerMonth, Lang: o.Lang,
		Notes: []string{t("note.egress"), t("note.restore"), t("note.gb"), t("note.effort")},
	}
	plan.Data = dataPlan(inv, p, o)
	if d := plan.Data; d.SizesUnknown > 0 {
		plan.Assumptions.Notes = append(plan.Assumptions.Notes, t("note.sizes", d.SizesUnknown, len(d.Buckets)))
	}
	if o.Lang != lang.English && len(p.Waiver.ConditionsByLang[string(o.Lang)]) == 0 {
		plan.Assumptions.Notes = append(plan.Assumptions.Notes, t("note.waiverfr"))
	}
	plan.Items = items(inv, target, &plan.Data, o.Lang)
	for i := range plan.Items {
		it := &plan.Items[i]
		it.Effort = min(max(it.Effort, 1), MaxEffort)
		plan.Effort += it.Effort
		if it.BucketMap != "" {
			plan.BucketMap = append(plan.BucketMap, it.BucketMap)
		}
	}
	if o.Bill != nil {
		plan.Services = joinBill(o.Bill, plan.Items, o.Lang)
	}
	plan.Costs = costs(inv, plan.Items, &plan.Data, o)
	return plan
}

func dataPlan(inv *account.Inventory, p *prices.Prices, o PlanOptions) DataPlan {
	var d DataPlan
	classes := map[string]*ClassPlan{}
	bytesPerDay := o.BitsPerSecond * o.Utilization / 8 * 86400
	why := map[string]bool{}
	for _, b := range inv.Buckets {
		bp := BucketPlan{Name: b.Name, Region: b.Region, SizesFrom: b.Sizes, TargetName: b.Name}
		if b.Sizes == "unknown" {
			d.SizesUnknown++
			bp.SizesUnknownBecause = sizesProblem(inv, b, o.Lang)
			why[bp.SizesUnknownBecause] = true
		}
		for _, class := range slices.Sorted(maps.Keys(b.Classes)) {
			u := b.Classes[class]
			c := classes[class]
			if c == nil {
				c = &ClassPlan{Class: class}
				classes[class] = c
			}
			c.Bytes += u.Bytes
			c.Objects += u.Objects
			pc, known := p.Classes[class]
			if !known {
				pc = p.Classes["STANDARD"]
			}
			gb := p.GB(u.Bytes)
			req := float64(u.Objects) / 1000 * pc.GetPer1000
			ret := gb * pc.RetrievalPerGB
			c.Requests += req
			c.Retrieval += ret
			bp.RequestCost += req
			bp.RetrievalCost += ret
			if pc.Restore != nil && u.Objects+u.Bytes > 0 {
				rc := gb*pc.Restore.USDPerGB + float64(u.Objects)/1000*pc.Restore.USDPer1000
				c.NeedsRestore, c.RestoreHours = true, pc.Restore.Hours
				c.RestoreCost += rc
				bp.RestoreCost += rc
				bp.NeedsRestore = true
				d.RestoreHours = max(d.RestoreHours, pc.Restore.Hours)
			}
			bp.Bytes += u.Bytes
			bp.Objects += u.Objects
		}
		// Listing the bucket: one LIST per thousand keys.
		bp.RequestCost += math.Ceil(float64(bp.Objects)/p.Requests.KeysPerList) / 1000 * p.Requests.ListPer1000
		if bytesPerDay > 0 {
			bp.TransferDays = float64(bp.Bytes) / bytesPerDay
		}
		d.Bytes += bp.Bytes
		d.Objects += bp.Objects
		d.RequestCost += bp.RequestCost
		d.RestoreCost += bp.RestoreCost
		d.RetrievalCost += bp.RetrievalCost
		d.Buckets = append(d.Buckets, bp)
	}
	for _, c := range classes {
		d.Classes = append(d.Classes, *c)
	}
	slices.SortFunc(d.Classes, func(a, b ClassPlan) int {
		if a.Bytes != b.Bytes {
			if a.Bytes > b.Bytes {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Class, b.Class)
	})
	gb := p.GB(d.Bytes)
	if bytesPerDay > 0 {
		d.TransferDays = float64(d.Bytes) / bytesPerDay
		gbPerDay := p.GB(int64(bytesPerDay))
		start := o.Start.Add(time.Duration(d.RestoreHours * float64(time.Hour)))
		d.EgressMonths = p.Spread(start, gb, gbPerDay)
	}
	for _, m := range d.EgressMonths {
		d.EgressCost += m.Cost
	}
	for i := range d.Buckets {
		if d.Bytes > 0 {
			d.Buckets[i].EgressCost = d.EgressCost * float64(d.Buckets[i].Bytes) / float64(d.Bytes)
		}
	}
	d.TotalDays = d.RestoreHours/24 + d.TransferDays
	d.Cost = d.RequestCost + d.RetrievalCost + d.RestoreCost + d.EgressCost
	// The account's listing itself refused: no bucket is known at all.
	for _, pr := range inv.Problems {
		if pr.Service == "s3" && pr.Region == "" && !strings.HasPrefix(pr.Error, "bucket ") {
			why[problemLine(pr)] = true
		}
	}
	d.SizesProblems = slices.Sorted(maps.Keys(why))
	switch {
	case len(why) == 0:
		d.Sizes = "complete"
	case d.SizesUnknown == len(d.Buckets):
		d.Sizes = "unknown"
	default:
		d.Sizes = "partial"
	}
	w := p.Waiver
	conditions := w.Conditions
	if c := w.ConditionsByLang[string(o.Lang)]; len(c) > 0 {
		conditions = c
	}
	d.Waiver = WaiverPlan{Days: w.Days, Conditions: conditions, Source: w.Source}
	switch fits := d.TotalDays <= float64(w.Days); {
	case !fits:
		d.Waiver.Verdict = "does_not_fit" // what is known already does not fit
	case d.Sizes != "complete":
		d.Waiver.Verdict = "unknown"
	default:
		d.Waiver.Verdict, d.Waiver.Fits = "fits", true
	}
	if d.Waiver.Verdict == "does_not_fit" && bytesPerDay > 0 {
		// What still moves after the window is billed at the tiers.
		window := float64(w.Days) - d.RestoreHours/24
		beyond := gb - p.GB(int64(bytesPerDay))*max(window, 0)
		end := o.Start.AddDate(0, 0, w.Days)
		for _, m := range p.Spread(end, beyond, p.GB(int64(bytesPerDay))) {
			d.Waiver.CostBeyond += m.Cost
		}
		window = max(window, 1)
		d.Waiver.NeededBitsPerSecond = float64(d.Bytes) * 8 / (window * 86400) / o.Utilization
	}
	return d
}

// sizesProblem says why b's size is unknown: the problem that stopped its
// reading (CloudWatch refused in its Region, or its listing refused), or
// CloudWatch's silence.
func sizesProblem(inv *account.Inventory, b account.Bucket, l lang.Lang) string {
	for _, pr := range inv.Problems {
		switch {
		case pr.Service == "cloudwatch" && pr.Region == b.Region,
			pr.Service == "s3 (listing)" && strings.HasPrefix(pr.Error, "bucket "+b.Name+":"):
			return problemLine(pr)
		}
	}
	return messages.T(l, "sizes.nometrics")
}

func problemLine(pr account.Problem) string {
	where := pr.Service
	if pr.Region != "" {
		where += " " + pr.Region
	}
	return where + ": " + pr.Error
}

func items(inv *account.Inventory, t Target, d *DataPlan, l lang.Lang) []Item {
	tr := func(key string, args ...any) string { return messages.T(l, key, args...) }
	var out []Item
	// Names taken on the target: every bucket's own, so that a proposed
	// name never lands on another bucket.
	taken := map[string]bool{}
	for _, b := range inv.Buckets {
		taken[b.Name] = true
	}
	for bi, b := range inv.Buckets {
		u := b.Total()
		it := Item{Kind: "bucket", Name: b.Name, Region: b.Region, Detail: tr("bucket.detail", l.Int(u.Objects)), Effort: 1}
		flag := func(s string) { it.Flags = append(it.Flags, s); it.Effort++ }
		name := b.Name
		if why := BucketNameProblems(b.Name); len(why) > 0 {
			name = ProposeBucketName(b.Name, taken)
			taken[name] = true
			reasons := make([]string, len(why))
			for i, w := range why {
				reasons[i] = tr("name." + w)
			}
			it.NewName, it.BucketMap = name, b.Name+"="+name
			flag(tr("bucket.rename", t.Name, b.Name, strings.Join(reasons, ", "), name, b.Name, name, it.BucketMap))
			for i := range d.Buckets {
				if d.Buckets[i].Name == b.Name {
					d.Buckets[i].TargetName = name
				}
			}
		}
		it.Target = tr("bucket.target", name, t.Name)
		if b.Sizes == "unknown" {
			it.Detail = tr("bucket.detail.unknown")
			flag(tr("bucket.sizes", d.Buckets[bi].SizesUnknownBecause))
		}
		if b.Versioning == "Enabled" || b.Versioning == "Suspended" {
			if t.Versioning {
				it.Flags = append(it.Flags, tr("bucket.versioning"))
			} else {
				flag(tr("bucket.noversioning", t.Name))
			}
		}
		if b.LifecycleRules > 0 && !t.Lifecycle {
			flag(tr("bucket.nolifecycle", b.LifecycleRules, t.Name))
		} else if b.LifecycleRules > 0 {
			it.Flags = append(it.Flags, tr("bucket.lifecycle", b.LifecycleRules))
		}
		if b.Replication {
			flag(tr("bucket.replication"))
		}
		if strings.HasPrefix(b.Encryption, "aws:kms") {
			if t.KMS {
				flag(tr("bucket.kms"))
			} else {
				flag(tr("bucket.nokms", t.Name))
			}
		}
		if b.ObjectLock && !t.ObjectLock {
			flag(tr("bucket.nolock", t.Name))
		} else if b.ObjectLock {
			flag(tr("bucket.lock"))
		}
		if !t.Tagging {
			it.Flags = append(it.Flags, tr("bucket.notagging", t.Name))
		}
		if !t.Policies {
			flag(tr("bucket.nopolicies", t.Name))
		}
		if !b.PublicBlocked {
			flag(tr("bucket.public"))
		}
		if u.Bytes > 1<<40 {
			it.Effort++
		}
		for class := range b.Classes {
			if class == "GLACIER" || class == "DEEP_ARCHIVE" {
				flag(tr("bucket.archived"))
				break
			}
		}
		out = append(out, it)
	}
	for _, in := range inv.Instances {
		it := Item{Kind: "instance", Name: nameOr(in.Name, in.ID), Region: in.Region, Detail: tr("instance.detail", in.Type, state(l, in.State)), Effort: 3}
		name, standard, gpu, ok := Flavour(in.Type)
		switch {
		case !ok:
			it.Target = "manual"
			it.Flags = append(it.Flags, tr("instance.unknown", in.Type))
			it.Effort = 4
		default:
			it.Target = tr("instance.target", name)
			if !standard {
				it.Flags = append(it.Flags, tr("instance.large", name))
				it.Effort++
			}
		}
		if gpu {
			it.Flags = append(it.Flags, tr("instance.gpu"))
			it.Effort++
		}
		if strings.Contains(strings.ToLower(in.Platform), "windows") {
			it.Flags = append(it.Flags, tr("instance.windows"))
			it.Effort++
		}
		out = append(out, it)
	}
	for _, v := range inv.Volumes {
		it := Item{Kind: "volume", Name: v.ID, Region: v.Region, Detail: tr("volume.detail", v.GiB, v.Type),
			Target: tr("volume.target", v.GiB), Effort: 1}
		if v.Attached == "" {
			it.Flags = append(it.Flags, tr("volume.unattached"))
		}
		if v.Type == "io1" || v.Type == "io2" {
			it.Flags = append(it.Flags, tr("volume.iops"))
		}
		out = append(out, it)
	}
	for _, s := range inv.Snapshots {
		out = append(out, Item{Kind: "snapshot", Name: s.ID, Region: s.Region, Detail: tr("snapshot.detail", s.GiB),
			Target: tr("snapshot.target"), Effort: 1})
	}
	for _, db := range inv.Databases {
		it := Item{Kind: "database", Name: db.ID, Region: db.Region, Detail: tr("database.detail", db.Engine, db.Version, db.Class, db.GiB), Effort: 3}
		engine := strings.ToLower(db.Engine)
		switch {
		case strings.Contains(engine, "postgres"):
			it.Target = tr("database.postgres", major(db.Version))
		case strings.Contains(engine, "mysql"), strings.Contains(engine, "mariadb"):
			it.Target = tr("database.mysql")
		default:
			it.Target = "manual"
			it.Flags = append(it.Flags, tr("database.commercial", db.Engine))
			it.Effort = 5
		}
		if strings.HasPrefix(engine, "aurora") {
			it.Flags = append(it.Flags, tr("database.aurora"))
			it.Effort++
		}
		if db.MultiAZ {
			it.Flags = append(it.Flags, tr("database.multiaz"))
		}
		if cmd := dbPlanCommand(db); cmd != "" {
			it.Flags = append(it.Flags, tr("database.plan", cmd))
		}
		out = append(out, it)
	}
	for _, z := range inv.Zones {
		it := Item{Kind: "zone", Name: z.Name, Detail: tr("zone.detail", z.Records), Target: tr("zone.target"), Effort: 1}
		if z.Private {
			it.Flags = append(it.Flags, tr("zone.private"))
			it.Effort++
		}
		if z.Records > 500 {
			it.Effort++
		}
		out = append(out, it)
	}
	if inv.IAM != nil {
		i := inv.IAM
		it := Item{Kind: "iam", Name: "IAM", Detail: tr("iam.detail", i.Users, i.Groups, i.Roles+i.ServiceRoles, i.ManagedPolicies+i.InlinePolicies),
			Target: tr("iam.target"), Effort: 2}
		if i.ServiceRoles > 0 {
			it.Flags = append(it.Flags, tr("iam.service", i.ServiceRoles))
		}
		if i.Roles > 0 {
			it.Flags = append(it.Flags, tr("iam.roles", i.Roles))
			it.Effort++
		}
		if i.Users+i.Groups > 50 {
			it.Effort++
		}
		out = append(out, it)
	}
	for _, f := range inv.Functions {
		out = append(out, Item{Kind: "function", Name: f.Name, Region: f.Region, Detail: f.Runtime, Target: "manual",
			Flags: []string{tr("function.flag")}, Effort: 4})
	}
	for _, d := range inv.Distributions {
		out = append(out, Item{Kind: "distribution", Name: d.ID, Detail: strings.Join(d.Origins, ", "), Target: "manual",
			Flags: []string{tr("distribution.flag")}, Effort: 3})
	}
	out = append(out, virtualLab(inv, l)...)
	for _, o := range inv.Other {
		if kind := countedKinds[o.Type]; kind != "" {
			// Only counted, by the tagging API: the same mapping as one
			// read in detail, without its particulars.
			it := Item{Kind: kind, Name: o.Type, Detail: tr("counted.detail", o.Count), Target: tr(countedTargets[kind]), Effort: countedEffort[kind]}
			out = append(out, it)
			continue
		}
		out = append(out, Item{Kind: "other", Name: o.Type, Detail: tr("other.detail", o.Count), Target: "manual",
			Flags: []string{tr("other.flag")}, Effort: 2})
	}
	return out
}

// countedKinds are the tagging API's types that have an item kind of their
// own when their reader was refused.
var countedKinds = map[string]string{
	"appstream:fleet": "appstream-fleet", "appstream:stack": "appstream-stack",
	"workspaces:workspace": "workspace", "elasticfilesystem:file-system": "file-system",
}

var countedTargets = map[string]string{
	"appstream-fleet": "fleet.target.unknown", "appstream-stack": "stack.target",
	"workspace": "workspace.target.unknown", "file-system": "efs.target",
}

var countedEffort = map[string]int{"appstream-fleet": 4, "appstream-stack": 2, "workspace": 2, "file-system": 2}

func state(l lang.Lang, s string) string {
	if messages.Has("state." + s) {
		return messages.T(l, "state."+s)
	}
	return s
}

func nameOr(name, id string) string {
	if name == "" {
		return id
	}
	return name + " (" + id + ")"
}

func major(v string) string {
	m, _, _ := strings.Cut(v, ".")
	return m
}

func costs(inv *account.Inventory, its []Item, d *DataPlan, o PlanOptions) Costs {
	tr := func(key string, args ...any) string { return messages.T(o.Lang, key, args...) }
	c := Costs{Currency: o.Prices.Currency}
	if o.Bill != nil {
		c.AWSMonthly, c.AWSFromBill = o.Bill.MonthlyCharges(), true
		c.Currency = o.Bill.Currency
	}
	tp := o.TargetPrices
	if tp == nil {
		return c
	}
	c.TargetCurrency = tp.Currency
	add := func(what string, v float64) {
		c.TargetLines = append(c.TargetLines, CostLine{What: what, Monthly: v})
		c.TargetMonthly += v
	}
	gb := o.Prices.GB(d.Bytes)
	add(tr("cost.storage", o.Lang.Number(gb, 0)), gb*tp.StorageGBMonth)
	if d.SizesUnknown > 0 {
		c.Unpriced = append(c.Unpriced, tr("unpriced.sizes", d.SizesUnknown))
	}
	var block int64
	for _, v := range inv.Volumes {
		block += v.GiB
	}
	for _, s := range inv.Snapshots {
		block += s.GiB
	}
	for _, d := range inv.Databases {
		block += d.GiB
	}
	add(tr("cost.block", block), float64(block)*tp.BlockGBMonth)
	for _, in := range inv.Instances {
		name, _, _, ok := Flavour(in.Type)
		price, priced := tp.Flavours[name]
		if !ok || !priced {
			c.Unpriced = append(c.Unpriced, tr("unpriced.instance", nameOr(in.Name, in.ID), in.Type, name))
			continue
		}
		add(tr("cost.instance", name, nameOr(in.Name, in.ID)), price)
	}
	for _, d := range inv.Databases {
		class := strings.TrimPrefix(d.Class, "db.")
		name, _, _, ok := Flavour(class)
		price, priced := tp.Flavours[name]
		if !ok || !priced {
			c.Unpriced = append(c.Unpriced, tr("unpriced.database", d.ID, d.Class))
			continue
		}
		add(tr("cost.database", name, d.ID), price)
	}
	for _, f := range inv.AppStreamFleets {
		name, _, _, ok := streamFlavour(f.InstanceType)
		price, priced := tp.Flavours[name]
		if ok && priced && f.FleetType == "ALWAYS_ON" {
			add(tr("cost.fleet", f.Desired, name, f.Name), price*float64(f.Desired))
			continue
		}
		c.Unpriced = append(c.Unpriced, tr("unpriced.fleet", f.Name, f.InstanceType, tr("fleet."+fleetType(f.FleetType))))
	}
	for _, w := range inv.WorkSpaces {
		name, ok := workspaceFlavour(w.ComputeType)
		if price, priced := tp.Flavours[name]; ok && priced {
			add(tr("cost.workspace", name, w.ID), price)
			continue
		}
		c.Unpriced = append(c.Unpriced, tr("unpriced.instance", "WorkSpace "+w.ID, w.ComputeType, name))
	}
	for _, f := range inv.FileSystems {
		c.Unpriced = append(c.Unpriced, tr("unpriced.efs", nameOr(f.Name, f.ID), o.Lang.Bytes(f.Bytes)))
	}
	for _, it := range its {
		if it.Target == "manual" && it.Kind != "other" {
			c.Unpriced = append(c.Unpriced, KindName(o.Lang, it.Kind)+" "+it.Name)
		}
	}
	return c
}

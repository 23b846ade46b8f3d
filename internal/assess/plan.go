package assess

import (
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/assess/prices"
	"github.com/sortie-dev/sortie/internal/bill"
)

// SchemaVersion is the version of the plan's JSON schema (docs/assess.md).
// It changes only when a field changes meaning or goes away.
const SchemaVersion = 1

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
	Costs         Costs              `json:"costs"`
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
}

// DataPlan is what moving the buckets involves.
type DataPlan struct {
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
	Name          string  `json:"name"`
	Region        string  `json:"region"`
	Bytes         int64   `json:"bytes"`
	Objects       int64   `json:"objects"`
	SizesFrom     string  `json:"sizes_from"`
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
	Days       int      `json:"days"`
	Fits       bool     `json:"fits"`
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
	Kind   string   `json:"kind"` // bucket, instance, volume, snapshot, database, zone, iam, function, distribution, other
	Name   string   `json:"name"`
	Region string   `json:"region,omitempty"`
	Detail string   `json:"detail,omitempty"`
	Target string   `json:"target"` // where it lands, or "manual"
	Flags  []string `json:"flags,omitempty"`
	Effort int      `json:"effort"` // 1 (routine) … 5 (a project of its own)
}

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
	target, ok := Targets[o.Target]
	if !ok {
		target = Targets["s3"]
	}
	plan := &Plan{SchemaVersion: SchemaVersion, Generated: o.Now.UTC().Format(time.RFC3339), Inventory: inv, Bill: o.Bill}
	plan.Assumptions = Assumptions{
		Bandwidth: o.Bandwidth, BitsPerSecond: o.BitsPerSecond, Utilization: o.Utilization, Start: o.Start.Format(time.DateOnly),
		Target: target, PricesDate: p.Date, PricesSource: p.Source, Currency: p.Currency, GBBytes: p.GBBytes,
		EgressTiers: p.Egress.Tiers, FreeGB: p.Egress.FreeGBPerMonth,
		Notes: []string{
			"Egress is priced on the move's own traffic; other traffic leaving the account in the same months shares the free allowance and the tiers.",
			"Archived objects (Glacier Flexible Retrieval, Deep Archive) are restored with the Standard tier before they are copied; restores run before the transfer.",
			"One GB is 2^30 bytes, as AWS bills.",
		},
	}
	plan.Data = dataPlan(inv, p, o)
	plan.Items = items(inv, target)
	for _, it := range plan.Items {
		plan.Effort += it.Effort
	}
	plan.Costs = costs(inv, plan.Items, o)
	return plan
}

func dataPlan(inv *account.Inventory, p *prices.Prices, o PlanOptions) DataPlan {
	var d DataPlan
	classes := map[string]*ClassPlan{}
	bytesPerDay := o.BitsPerSecond * o.Utilization / 8 * 86400
	for _, b := range inv.Buckets {
		bp := BucketPlan{Name: b.Name, Region: b.Region, SizesFrom: b.Sizes}
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
	w := p.Waiver
	d.Waiver = WaiverPlan{Days: w.Days, Conditions: w.Conditions, Source: w.Source, Fits: d.TotalDays <= float64(w.Days)}
	if !d.Waiver.Fits && bytesPerDay > 0 {
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

func items(inv *account.Inventory, t Target) []Item {
	var out []Item
	for _, b := range inv.Buckets {
		u := b.Total()
		it := Item{Kind: "bucket", Name: b.Name, Region: b.Region, Detail: fmt.Sprintf("%d objects", u.Objects),
			Target: "bucket " + b.Name + " on " + t.Name, Effort: 1}
		flag := func(s string) { it.Flags = append(it.Flags, s); it.Effort++ }
		if b.Versioning == "Enabled" || b.Versioning == "Suspended" {
			if t.Versioning {
				it.Flags = append(it.Flags, "versioning: enable it on the target before copying (only current versions are copied)")
			} else {
				flag(t.Name + " has no versioning: older versions stay behind")
			}
		}
		if b.LifecycleRules > 0 && !t.Lifecycle {
			flag(fmt.Sprintf("%d lifecycle rules: %s has no lifecycle; expire objects another way", b.LifecycleRules, t.Name))
		} else if b.LifecycleRules > 0 {
			it.Flags = append(it.Flags, fmt.Sprintf("%d lifecycle rules to recreate; storage-class transitions have no equivalent", b.LifecycleRules))
		}
		if b.Replication {
			flag("replication: set up the target's own replication by hand")
		}
		if strings.HasPrefix(b.Encryption, "aws:kms") {
			if t.KMS {
				flag("SSE-KMS: keys stay at AWS; configure the target's KMS (MinIO KES, Ceph with Vault)")
			} else {
				flag("SSE-KMS: keys stay at AWS and " + t.Name + " has no KMS; encrypt at rest on the disks instead")
			}
		}
		if b.ObjectLock && !t.ObjectLock {
			flag("Object Lock (retention, legal holds): " + t.Name + " cannot enforce it")
		} else if b.ObjectLock {
			flag("Object Lock: create the target bucket with locking on; retention dates are carried per object by hand")
		}
		if !t.Tagging {
			it.Flags = append(it.Flags, t.Name+" has no object tagging: tags are not carried")
		}
		if !t.Policies {
			flag(t.Name + " has no bucket policies: access becomes per-key read/write/owner (sortie policy)")
		}
		if !b.PublicBlocked {
			flag("public access is not fully blocked on AWS: check who reads it anonymously (sortie policy)")
		}
		if u.Bytes > 1<<40 {
			it.Effort++
		}
		for class := range b.Classes {
			if class == "GLACIER" || class == "DEEP_ARCHIVE" {
				flag("archived objects: restore before copying")
				break
			}
		}
		out = append(out, it)
	}
	for _, in := range inv.Instances {
		it := Item{Kind: "instance", Name: nameOr(in.Name, in.ID), Region: in.Region, Detail: in.Type + ", " + in.State, Effort: 3}
		name, standard, gpu, ok := Flavour(in.Type)
		switch {
		case !ok:
			it.Target = "manual"
			it.Flags = append(it.Flags, "unknown instance type "+in.Type+": choose a flavour by hand")
			it.Effort = 4
		default:
			it.Target = "OpenStack server, flavour " + name
			if !standard {
				it.Flags = append(it.Flags, "larger than the standard SCS flavours: ask the provider for "+name)
				it.Effort++
			}
		}
		if gpu {
			it.Flags = append(it.Flags, "GPU or accelerator: check the provider offers one")
			it.Effort++
		}
		if strings.Contains(strings.ToLower(in.Platform), "windows") {
			it.Flags = append(it.Flags, "Windows: licences are no longer included; bring your own")
			it.Effort++
		}
		out = append(out, it)
	}
	for _, v := range inv.Volumes {
		it := Item{Kind: "volume", Name: v.ID, Region: v.Region, Detail: fmt.Sprintf("%d GiB %s", v.GiB, v.Type),
			Target: fmt.Sprintf("Cinder block volume, %d GiB", v.GiB), Effort: 1}
		if v.Attached == "" {
			it.Flags = append(it.Flags, "not attached: archive or drop it")
		}
		if v.Type == "io1" || v.Type == "io2" {
			it.Flags = append(it.Flags, "provisioned IOPS: ask for a matching volume type")
		}
		out = append(out, it)
	}
	for _, s := range inv.Snapshots {
		out = append(out, Item{Kind: "snapshot", Name: s.ID, Region: s.Region, Detail: fmt.Sprintf("%d GiB", s.GiB),
			Target: "Cinder backup or Glance image (export it first)", Effort: 1})
	}
	for _, db := range inv.Databases {
		it := Item{Kind: "database", Name: db.ID, Region: db.Region, Detail: fmt.Sprintf("%s %s, %s, %d GiB", db.Engine, db.Version, db.Class, db.GiB), Effort: 3}
		engine := strings.ToLower(db.Engine)
		switch {
		case strings.Contains(engine, "postgres"):
			it.Target = "PostgreSQL " + major(db.Version) + " on the target (managed or a VM): pg_dump/pg_restore or logical replication"
		case strings.Contains(engine, "mysql"), strings.Contains(engine, "mariadb"):
			it.Target = "MySQL/MariaDB on the target (managed or a VM): mysqldump or binlog replication"
		default:
			it.Target = "manual"
			it.Flags = append(it.Flags, db.Engine+": a commercial engine; licences and hosting need a decision")
			it.Effort = 5
		}
		if strings.HasPrefix(engine, "aurora") {
			it.Flags = append(it.Flags, "Aurora: check for Aurora-only features (global databases, backtrack)")
			it.Effort++
		}
		if db.MultiAZ {
			it.Flags = append(it.Flags, "Multi-AZ: plan high availability on the target (Patroni, Galera or the provider's DBaaS)")
		}
		it.Effort = min(it.Effort, 5)
		out = append(out, it)
	}
	for _, z := range inv.Zones {
		it := Item{Kind: "zone", Name: z.Name, Detail: fmt.Sprintf("%d records", z.Records), Target: "zone file for the target's DNS (BIND format)", Effort: 1}
		if z.Private {
			it.Flags = append(it.Flags, "private zone tied to a VPC: recreate it on the target's internal DNS")
			it.Effort++
		}
		if z.Records > 500 {
			it.Effort++
		}
		out = append(out, it)
	}
	if inv.IAM != nil {
		i := inv.IAM
		it := Item{Kind: "iam", Name: "IAM", Detail: fmt.Sprintf("%d users, %d groups, %d roles, %d policies", i.Users, i.Groups, i.Roles+i.ServiceRoles, i.ManagedPolicies+i.InlinePolicies),
			Target: "users, groups and policies in the target's dialect (sortie policy)", Effort: 2}
		if i.ServiceRoles > 0 {
			it.Flags = append(it.Flags, fmt.Sprintf("%d roles used only by AWS services: nothing to carry", i.ServiceRoles))
		}
		if i.Roles > 0 {
			it.Flags = append(it.Flags, fmt.Sprintf("%d roles assumed by people or other accounts: no direct equivalent; map to users or OIDC", i.Roles))
			it.Effort++
		}
		if i.Users+i.Groups > 50 {
			it.Effort++
		}
		out = append(out, it)
	}
	for _, f := range inv.Functions {
		out = append(out, Item{Kind: "function", Name: f.Name, Region: f.Region, Detail: f.Runtime, Target: "manual",
			Flags: []string{"no Lambda on the target: run it as a container or a job (Knative, OpenFaaS, cron)"}, Effort: 4})
	}
	for _, d := range inv.Distributions {
		out = append(out, Item{Kind: "distribution", Name: d.ID, Detail: strings.Join(d.Origins, ", "), Target: "manual",
			Flags: []string{"CDN: the provider's CDN or a caching proxy (Varnish, nginx); certificates and aliases move by hand"}, Effort: 3})
	}
	for _, o := range inv.Other {
		out = append(out, Item{Kind: "other", Name: o.Type, Detail: fmt.Sprintf("%d resources", o.Count), Target: "manual",
			Flags: []string{"not read in detail by sortie: review these by hand"}, Effort: 2})
	}
	return out
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

func costs(inv *account.Inventory, its []Item, o PlanOptions) Costs {
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
	var bytes int64
	for _, b := range inv.Buckets {
		bytes += b.Total().Bytes
	}
	add(fmt.Sprintf("object storage, %.0f GB", o.Prices.GB(bytes)), o.Prices.GB(bytes)*tp.StorageGBMonth)
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
	add(fmt.Sprintf("block storage, %d GiB (volumes, snapshots, databases)", block), float64(block)*tp.BlockGBMonth)
	for _, in := range inv.Instances {
		name, _, _, ok := Flavour(in.Type)
		price, priced := tp.Flavours[name]
		if !ok || !priced {
			c.Unpriced = append(c.Unpriced, fmt.Sprintf("%s (%s → %s)", nameOr(in.Name, in.ID), in.Type, name))
			continue
		}
		add(fmt.Sprintf("%s for %s", name, nameOr(in.Name, in.ID)), price)
	}
	for _, d := range inv.Databases {
		class := strings.TrimPrefix(d.Class, "db.")
		name, _, _, ok := Flavour(class)
		price, priced := tp.Flavours[name]
		if !ok || !priced {
			c.Unpriced = append(c.Unpriced, fmt.Sprintf("database %s (%s)", d.ID, d.Class))
			continue
		}
		add(fmt.Sprintf("%s for database %s", name, d.ID), price)
	}
	for _, it := range its {
		if it.Target == "manual" && it.Kind != "other" {
			c.Unpriced = append(c.Unpriced, it.Kind+" "+it.Name)
		}
	}
	return c
}

package database

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity says whether a finding stops the copy.
type Severity string

const (
	// Blocker: the copy would fail, or arrive with something quietly lost
	// or changed, until the operator acts. sortie db plan exits 1.
	Blocker Severity = "blocker"
	// Warning: the copy works, but something needs the operator's
	// decision, or stops --online only.
	Warning Severity = "warning"
)

// Finding is one line of the plan: what was found on which object, and
// what to do. Code names the message (in messages.go); Args fill it.
type Finding struct {
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	Object   string   `json:"object"`
	Args     []string `json:"args,omitempty"`
}

// Estimate is the copy time at the rate measured at the source.
type Estimate struct {
	// DataBytes is what the tables hold without indexes.
	DataBytes int64 `json:"data_bytes"`
	// Rate is bytes per second read from the source (0: not measured).
	Rate float64 `json:"rate"`
	// Seconds is DataBytes at Rate (0 when Rate is).
	Seconds float64 `json:"seconds"`
}

// Plan is the pre-flight of a move: the two inventories, the findings
// (blockers first) and the estimate.
type Plan struct {
	Source   *Inventory `json:"source"`
	Target   *Inventory `json:"target"`
	Findings []Finding  `json:"findings"`
	Estimate Estimate   `json:"estimate"`
}

// Blockers counts the findings that stop the copy.
func (p *Plan) Blockers() int {
	n := 0
	for _, f := range p.Findings {
		if f.Severity == Blocker {
			n++
		}
	}
	return n
}

// RDSOnlyExtensions exist only on Amazon RDS or Aurora: no other
// PostgreSQL can install them, and what calls their functions must be
// rewritten.
var RDSOnlyExtensions = []string{
	"aurora_stat_utils", "apg_plan_mgmt", "aws_commons", "aws_lambda", "aws_ml", "aws_s3",
	"log_fdw", "pg_transport", "rds_activity_stream", "rds_tools", "rdkit_rds",
}

// IsRDSRole reports whether a role or account exists only on RDS:
// rdsadmin, rds_superuser, rds_replication, rds_iam, rdstopmgr...
func IsRDSRole(name string) bool {
	user, _, _ := strings.Cut(name, "@")
	return strings.HasPrefix(strings.ToLower(strings.Trim(user, "'`")), "rds")
}

// NewPlan compares a source's inventory with its target's. It changes
// neither; the findings are sorted, blockers first.
func NewPlan(src, dst *Inventory) *Plan {
	p := &Plan{Source: src, Target: dst}
	add := func(s Severity, code, object string, args ...string) {
		p.Findings = append(p.Findings, Finding{Severity: s, Code: code, Object: object, Args: args})
	}
	if src.Engine != dst.Engine {
		add(Blocker, "engine-mismatch", dst.Server, string(src.Engine), string(dst.Engine))
		return p
	}
	p.Estimate.DataBytes = src.DataBytes()
	if r := src.Read.Rate(); r > 0 {
		p.Estimate.Rate = r
		p.Estimate.Seconds = float64(p.Estimate.DataBytes) / r
	}

	// Versions: a dump of a newer server may use what an older one lacks.
	switch {
	case src.Product != dst.Product:
		add(Warning, "product-change", dst.Server, src.Product, src.Version, dst.Product, dst.Version)
	case major(src) > major(dst):
		add(Blocker, "target-older", dst.Server, src.Version, dst.Version)
	}
	if n := len(dst.Tables); n > 0 {
		add(Blocker, "target-not-empty", dst.Server, fmt.Sprint(n), strings.Join(dst.Databases, ", "))
	}

	// Encodings and collations.
	if src.Engine == PostgreSQL && src.Encoding != "" && dst.Encoding != "" && src.Encoding != dst.Encoding {
		add(Blocker, "encoding", dst.Server, src.Encoding, dst.Encoding)
	}
	if src.Collation != "" && dst.Collation != "" && (src.Collation != dst.Collation || src.Ctype != dst.Ctype) {
		add(Warning, "default-collation", dst.Server, src.Collation, dst.Collation)
	}
	if dst.Available.Collations != nil {
		for _, c := range src.Collations {
			if !dst.Available.Collations[c] {
				add(Blocker, "collation-missing", c)
			}
		}
	}

	// Tables.
	for _, t := range src.Tables {
		if t.Partition || t.PrimaryKey || t.ReplicaIdentity == "full" || t.ReplicaIdentity == "index" {
			continue
		}
		code := "no-primary-key"
		if src.Engine == MySQL {
			code = "no-primary-key-mysql"
		}
		add(Warning, code, t.QualifiedName())
	}
	if src.Engine == MySQL {
		for _, t := range src.Tables {
			switch {
			case t.Engine == "" || strings.EqualFold(t.Engine, "InnoDB"):
			case dst.Available.Engines != nil && !dst.Available.Engines[strings.ToUpper(t.Engine)]:
				add(Blocker, "engine-unavailable", t.QualifiedName(), t.Engine)
			default:
				add(Warning, "engine-not-innodb", t.QualifiedName(), t.Engine)
			}
		}
	}
	if src.LargeObjects.Count > 0 {
		add(Warning, "large-objects", "pg_largeobject", fmt.Sprint(src.LargeObjects.Count))
	}

	// Extensions (PostgreSQL).
	for _, e := range src.Extensions {
		_, avail := dst.Available.Extensions[e.Name]
		switch {
		case slices.Contains(RDSOnlyExtensions, e.Name):
			add(Blocker, "extension-rds-only", e.Name)
		case dst.Available.Extensions != nil && !avail:
			add(Blocker, "extension-missing", e.Name, e.Name, e.Version)
		}
	}

	// Roles and accounts.
	for _, r := range src.Roles {
		if IsRDSRole(r.Name) {
			continue
		}
		for _, m := range r.MemberOf {
			switch {
			case strings.EqualFold(m, "rds_iam"):
				add(Warning, "role-rds-iam", r.Name)
			case IsRDSRole(m):
				add(Warning, "role-rds-member", r.Name, m)
			}
		}
	}
	if dst.Available.Roles != nil {
		for _, o := range src.Owners {
			if IsRDSRole(o) {
				add(Blocker, "owner-rds", o)
			} else if !dst.Available.Roles[o] {
				add(Warning, "owner-missing", o)
			}
		}
	}

	// MySQL: definers, events, the binary log.
	for _, d := range src.Definers {
		obj := fmt.Sprintf("%s %s.%s", strings.ToLower(d.Kind), d.Schema, d.Name)
		switch {
		case IsRDSRole(d.Definer):
			add(Blocker, "definer-rds", obj, d.Definer)
		case dst.Available.Roles != nil && !dst.Available.Roles[d.Definer]:
			add(Blocker, "definer-missing", obj, d.Definer)
		}
	}
	for _, e := range src.Events {
		add(Warning, "event", e.Schema+"."+e.Name)
	}
	if src.Engine == MySQL {
		switch {
		case !src.LogBin:
			add(Warning, "binlog-off", src.Server)
		case !strings.EqualFold(src.BinlogFormat, "ROW"):
			add(Warning, "binlog-format", src.Server, src.BinlogFormat)
		}
	}
	slices.SortStableFunc(p.Findings, func(a, b Finding) int {
		if a.Severity != b.Severity {
			if a.Severity == Blocker {
				return -1
			}
			return 1
		}
		return cmp.Or(strings.Compare(a.Code, b.Code), strings.Compare(a.Object, b.Object))
	})
	return p
}

// major is the version with the patch level dropped: 15 for PostgreSQL
// 15.18, 1011 for MariaDB 10.11.14, 800 for MySQL 8.0.36.
func major(inv *Inventory) int {
	if inv.Engine == PostgreSQL {
		return inv.VersionNum / 10000
	}
	return inv.VersionNum / 100
}

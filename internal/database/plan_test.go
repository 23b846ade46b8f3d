package database_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/lang"
)

func pg() *database.Inventory {
	return &database.Inventory{Engine: database.PostgreSQL, Server: "postgres://u@h/d", Product: "PostgreSQL", Version: "15.18", VersionNum: 150018,
		Databases: []string{"d"}, Encoding: "UTF8", Collation: "C.UTF-8", Ctype: "C.UTF-8",
		Available: database.Available{Extensions: map[string]string{"hstore": "1.8"}, Collations: map[string]bool{"C": true}, Roles: map[string]bool{"app": true}}}
}

func my() *database.Inventory {
	return &database.Inventory{Engine: database.MySQL, Server: "mysql://u@h/", Product: "MariaDB", Version: "10.11.14-MariaDB", VersionNum: 101114,
		Databases: []string{"moodle"}, Encoding: "utf8mb4", Collation: "utf8mb4_unicode_ci", LogBin: true, BinlogFormat: "ROW",
		Available: database.Available{Collations: map[string]bool{"utf8mb4_unicode_ci": true}, Engines: map[string]bool{"INNODB": true, "MYISAM": true},
			Roles: map[string]bool{"app@%": true}}}
}

func codes(p *database.Plan) []string {
	var s []string
	for _, f := range p.Findings {
		s = append(s, string(f.Severity)+" "+f.Code+" "+f.Object)
	}
	return s
}

func TestNewPlan(t *testing.T) {
	for _, c := range []struct {
		name     string
		src, dst func(s, d *database.Inventory)
		base     func() *database.Inventory
		want     []string
	}{
		{name: "alike", base: pg},
		{name: "extension the target lacks", base: pg, src: func(s, d *database.Inventory) {
			s.Extensions = []database.Extension{{Name: "hstore", Version: "1.8"}, {Name: "postgis", Version: "3.3.2"}}
		}, want: []string{"blocker extension-missing postgis"}},
		{name: "RDS-only extensions", base: pg, src: func(s, d *database.Inventory) {
			s.Extensions = []database.Extension{{Name: "aws_s3"}, {Name: "aws_commons"}, {Name: "rds_tools"}}
		}, want: []string{"blocker extension-rds-only aws_commons", "blocker extension-rds-only aws_s3", "blocker extension-rds-only rds_tools"}},
		{name: "older target", base: pg, dst: func(s, d *database.Inventory) { d.Version, d.VersionNum = "14.9", 140009 }, want: []string{"blocker target-older postgres://u@h/d"}},
		{name: "newer minor at the source is fine", base: pg, dst: func(s, d *database.Inventory) { d.VersionNum = 150002 }},
		{name: "target holds tables", base: pg, dst: func(s, d *database.Inventory) { d.Tables = []database.Table{{Schema: "public", Name: "x"}} },
			want: []string{"blocker target-not-empty postgres://u@h/d"}},
		{name: "encoding and collation", base: pg, dst: func(s, d *database.Inventory) { d.Encoding, d.Collation = "LATIN1", "fr_FR" },
			want: []string{"blocker encoding postgres://u@h/d", "warning default-collation postgres://u@h/d"}},
		{name: "column collation the target lacks", base: pg, src: func(s, d *database.Inventory) { s.Collations = []string{"C", "sv-x-icu"} },
			want: []string{"blocker collation-missing sv-x-icu"}},
		{name: "keys and replica identity", base: pg, src: func(s, d *database.Inventory) {
			s.Tables = []database.Table{
				{Schema: "public", Name: "a", PrimaryKey: true, ReplicaIdentity: "default"},
				{Schema: "public", Name: "b", ReplicaIdentity: "default"},
				{Schema: "public", Name: "c", ReplicaIdentity: "full"},
				{Schema: "public", Name: "d", ReplicaIdentity: "nothing"},
				{Schema: "public", Name: "e_2025", ReplicaIdentity: "default", Partition: true},
			}
		}, want: []string{"warning no-primary-key public.b", "warning no-primary-key public.d"}},
		{name: "large objects", base: pg, src: func(s, d *database.Inventory) { s.LargeObjects.Count = 3 }, want: []string{"warning large-objects pg_largeobject"}},
		{name: "RDS roles and owners", base: pg, src: func(s, d *database.Inventory) {
			s.Roles = []database.Role{{Name: "rds_superuser"}, {Name: "master", MemberOf: []string{"rds_superuser"}}, {Name: "bi", MemberOf: []string{"rds_iam", "app"}}, {Name: "app"}}
			s.Owners = []string{"app", "master", "rdsadmin"}
		}, want: []string{"blocker owner-rds rdsadmin", "warning owner-missing master", "warning role-rds-iam bi", "warning role-rds-member master"}},
		{name: "other engine", base: pg, dst: func(s, d *database.Inventory) { d.Engine = database.MySQL }, want: []string{"blocker engine-mismatch postgres://u@h/d"}},

		{name: "mysql alike", base: my},
		{name: "mysql engines", base: my, src: func(s, d *database.Inventory) {
			s.Tables = []database.Table{{Schema: "m", Name: "a", Engine: "InnoDB", PrimaryKey: true}, {Schema: "m", Name: "b", Engine: "MyISAM", PrimaryKey: true}, {Schema: "m", Name: "c", Engine: "FEDERATED", PrimaryKey: true}}
		}, want: []string{"blocker engine-unavailable m.c", "warning engine-not-innodb m.b"}},
		{name: "mysql no primary key", base: my, src: func(s, d *database.Inventory) {
			s.Tables = []database.Table{{Schema: "m", Name: "log", Engine: "InnoDB"}}
		},
			want: []string{"warning no-primary-key-mysql m.log"}},
		{name: "mysql definers and events", base: my, src: func(s, d *database.Inventory) {
			s.Definers = []database.Definer{{Kind: "VIEW", Schema: "m", Name: "v", Definer: "app@%"}, {Kind: "TRIGGER", Schema: "m", Name: "t", Definer: "old@10.0.0.%"},
				{Kind: "PROCEDURE", Schema: "m", Name: "p", Definer: "rdsadmin@localhost"}}
			s.Events = []database.Object{{Schema: "m", Name: "purge"}}
		}, want: []string{"blocker definer-missing trigger m.t", "blocker definer-rds procedure m.p", "warning event m.purge"}},
		{name: "mysql binlog", base: my, src: func(s, d *database.Inventory) { s.BinlogFormat = "MIXED" }, want: []string{"warning binlog-format mysql://u@h/"}},
		{name: "mysql binlog off", base: my, src: func(s, d *database.Inventory) { s.LogBin = false }, want: []string{"warning binlog-off mysql://u@h/"}},
		{name: "mysql 8 to mariadb", base: my, src: func(s, d *database.Inventory) {
			s.Product, s.Version, s.VersionNum = "MySQL", "8.0.36", 80036
			s.Collations = []string{"utf8mb4_0900_ai_ci"}
		}, want: []string{"blocker collation-missing utf8mb4_0900_ai_ci", "warning product-change mysql://u@h/"}},
		{name: "mysql older target", base: my, dst: func(s, d *database.Inventory) { d.Version, d.VersionNum = "10.6.18-MariaDB", 100618 }, want: []string{"blocker target-older mysql://u@h/"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, d := c.base(), c.base()
			if c.src != nil {
				c.src(s, d)
			}
			if c.dst != nil {
				c.dst(s, d)
			}
			p := database.NewPlan(s, d)
			for _, f := range p.Findings {
				for _, l := range []lang.Lang{lang.English, lang.French} {
					if w, do := f.What(l), f.Do(l); w == f.Code || do == f.Code+".do" || strings.Contains(w+do, "%!") {
						t.Errorf("%s in %s prints %q; %q", f.Code, l, w, do)
					}
				}
			}
			if got := codes(p); !slices.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
			blockers := 0
			for _, w := range c.want {
				if strings.HasPrefix(w, "blocker") {
					blockers++
				}
			}
			if p.Blockers() != blockers {
				t.Errorf("Blockers() = %d, want %d", p.Blockers(), blockers)
			}
		})
	}
}

func TestEstimate(t *testing.T) {
	s := pg()
	s.Tables = []database.Table{{Schema: "public", Name: "a", DataBytes: 600 << 20, Bytes: 900 << 20}, {Schema: "public", Name: "b", DataBytes: 400 << 20}}
	s.Read = &database.ReadSample{Table: "public.a", Bytes: 4 << 20, Seconds: 0.5}
	p := database.NewPlan(s, pg())
	if p.Estimate.DataBytes != 1000<<20 || p.Estimate.Rate != 8<<20 || p.Estimate.Seconds != 125 {
		t.Errorf("estimate %+v, want 1000 MiB at 8 MiB/s = 125 s", p.Estimate)
	}
	for _, c := range []struct {
		s    float64
		l    lang.Lang
		want string
	}{{59, lang.English, "under a minute"}, {125, lang.English, "about 3 min"}, {7800, lang.English, "about 2 h 10 min"}, {7800, lang.French, "environ 2 h 10"}} {
		if got := database.Duration(c.l, c.s); got != c.want {
			t.Errorf("Duration(%v, %s) = %q, want %q", c.s, c.l, got, c.want)
		}
	}
}

func TestMessagesAreWhole(t *testing.T) {
	if err := database.Messages().Check(); err != nil {
		t.Fatal(err)
	}
}

func TestWriteFormats(t *testing.T) {
	s := pg()
	s.Tables = []database.Table{{Schema: "public", Name: "log", DataBytes: 8192, Bytes: 16384, Rows: 10, ReplicaIdentity: "default"}}
	v := int64(41)
	s.Sequences = []database.Sequence{{Schema: "public", Name: "orders_id_seq", LastValue: &v, OwnedBy: "public.orders.id"}}
	s.Extensions = []database.Extension{{Name: "aws_s3", Version: "1.1"}}
	s.Read = &database.ReadSample{Table: "public.log", Bytes: 8192, Rows: 10, Seconds: 0.001}
	p := database.NewPlan(s, pg())
	for _, l := range []lang.Lang{lang.English, lang.French} {
		for _, f := range []string{"text", "md", "json"} {
			var b bytes.Buffer
			if err := p.Write(&b, f, l); err != nil {
				t.Fatalf("%s %s: %v", f, l, err)
			}
			out := b.String()
			if strings.Contains(out, "%!") || strings.Contains(out, "EXTRA") {
				t.Errorf("%s %s: a message printed wrong:\n%s", f, l, out)
			}
			for _, want := range []string{"aws_s3", "public.log", "orders_id_seq"} {
				if f != "json" && !strings.Contains(out, want) {
					t.Errorf("%s %s: %q missing:\n%s", f, l, want, out)
				}
			}
			if f == "json" {
				var doc struct {
					Blockers int
					Findings []struct{ Code, Message, Action string }
				}
				if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
					t.Fatal(err)
				}
				if doc.Blockers != 1 || len(doc.Findings) != 2 || doc.Findings[0].Code != "extension-rds-only" || doc.Findings[0].Action == "" {
					t.Errorf("json %s: %+v", l, doc)
				}
			}
		}
	}
	var b bytes.Buffer
	if err := p.Write(&b, "xml", lang.English); err == nil {
		t.Error("format xml accepted")
	}
}

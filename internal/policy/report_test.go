package policy

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func written(t *testing.T, target, format string, f Format) (*Plan, string) {
	t.Helper()
	p, err := Build(campus(t, "uni-research-data", "uni-lab-archive", "uni-website"), Options{Target: target, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	switch format {
	case "md":
		err = WriteMarkdown(&b, p, f)
	case "json":
		err = WriteJSON(&b, p)
	default:
		err = WriteText(&b, p, f)
	}
	if err != nil {
		t.Fatal(err)
	}
	return p, b.String()
}

// section returns the lines of s from the one starting with title to the
// next blank line.
func section(s, title string) []string {
	i := strings.Index(s, "\n"+title)
	if i < 0 {
		return nil
	}
	block, _, _ := strings.Cut(strings.TrimRight(s[i+1:], "\n"), "\n\n")
	return strings.Split(block, "\n")[1:]
}

var spaces = regexp.MustCompile(`[ \t]+`)

func has(t *testing.T, out string, want ...string) {
	t.Helper()
	flat := spaces.ReplaceAllString(out, " ")
	for _, w := range want {
		if !strings.Contains(flat, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// Text and Markdown show what the plan creates on the target, not only
// the JSON.
func TestPlanShowsTheTranslation(t *testing.T) {
	_, text := written(t, "minio", "text", Format{Lang: "en"})
	has(t, text, "Translated for MinIO",
		"researchers members alice, bob; policies group-researchers-home, research-read",
		"sensor members alice; policies group-sensor-instrument",
		"sensor policies user-sensor-instrument, bucket-uni-research-data",
		"group-researchers-home\n Allow s3:ListBucket on arn:aws:s3:::uni-research-data if StringLike s3:prefix home/${aws:username}/*",
		"Allow everyone s3:GetObject on arn:aws:s3:::uni-website/*")
	_, md := written(t, "minio", "md", Format{Lang: "en"})
	has(t, md, "## Translated for MinIO", "| sensor | alice | group-sensor-instrument |", "#### group-sensor-instrument\n\n```json\n{",
		`"aws:SourceIp": [`)
	_, ceph := written(t, "ceph", "text", Format{Lang: "en"})
	has(t, ceph, "Users and their inline policies", "alice\n group-researchers-home\n Allow s3:ListBucket on arn:aws:s3:::uni-research-data if StringLike s3:prefix home/alice/*",
		"Block Public Access\n uni-research-data BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets")
	_, garage := written(t, "garage", "text", Format{Lang: "en"})
	has(t, garage, "Keys and their bucket flags", "carol uni-research-data read, write, owner; uni-lab-archive read, owner")
}

// The effective permissions are one line per principal, AWS and the
// target side by side; --grid and the JSON have every check.
func TestEffectiveSummary(t *testing.T) {
	p, text := written(t, "minio", "text", Format{Lang: "en"})
	lines := section(text, "Effective permissions, AWS and MinIO")
	principals := map[string]bool{}
	for _, c := range p.Effective {
		principals[c.Principal] = true
	}
	if len(lines) != 1+len(principals) {
		t.Errorf("%d lines for %d principals, want a legend and one each:\n%s", len(lines), len(principals), strings.Join(lines, "\n"))
	}
	has(t, text, "user carol uni-research-data lgpd→lgp·, uni-lab-archive lgp·", // the steward condition: the deny applies to all
		"user alice uni-research-data/home/alice/ lgp·", "(anonymous) uni-website lg··",
		"user backup-bot uni-research-data/public/ ·?··→····, uni-lab-archive ??··→····")

	_, full := written(t, "minio", "text", Format{Lang: "en", Grid: true})
	rows := section(full, "Effective permissions, AWS and MinIO")
	if want := 2 + len(p.Effective)/len(Ops); len(rows) != want {
		t.Errorf("grid: %d lines, want %d", len(rows), want)
	}
	has(t, full, "PRINCIPAL BUCKET PREFIX list get put delete", "user carol uni-research-data home/alice/ ✓ ✓ ✓ ✓→·")

	_, md := written(t, "minio", "md", Format{Lang: "en"})
	has(t, md, "| Principal | Access |", "| user carol | uni-research-data lgpd→lgp·, uni-lab-archive lgp·")

	_, js := written(t, "minio", "json", Format{})
	var back struct {
		Effective []map[string]any `json:"effective_on_aws"`
	}
	if err := json.Unmarshal([]byte(js), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Effective) != len(p.Effective) {
		t.Fatalf("JSON has %d checks, want %d", len(back.Effective), len(p.Effective))
	}
	for _, c := range back.Effective {
		if c["aws"] == nil || c["on_target"] == nil {
			t.Fatalf("JSON check %v lacks aws or on_target", c)
		}
	}
}

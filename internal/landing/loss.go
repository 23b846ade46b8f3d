package landing

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Status is how an AWS object was translated.
type Status string

const (
	Exact         Status = "exact"
	Different     Status = "different"      // translated, with a difference the operator must know
	NotTranslated Status = "not_translated" // nothing written for it
)

// The features a loss report groups by, in report order.
const (
	FeatureVPC           = "VPC"
	FeatureSubnet        = "subnet"
	FeatureRoute         = "route"
	FeatureGateway       = "internet and NAT gateway"
	FeatureSecurityGroup = "security group"
	FeatureSGRule        = "security group rule"
	FeaturePrefixList    = "prefix list"
	FeatureACL           = "network ACL"
	FeatureMachine       = "instance"
	FeatureVolume        = "EBS volume"
	FeatureKeyPair       = "key pair"
	FeatureAddress       = "Elastic IP"
	FeatureLoadBalancer  = "load balancer"
	FeatureImage         = "AMI"
	FeatureGPU           = "GPU instance"
	FeatureWindows       = "Windows instance"
	FeatureIAMProfile    = "instance profile"
	FeaturePlacement     = "placement group"
	FeatureTenancy       = "tenancy"
	FeatureUserData      = "user data"
	FeatureDHCP          = "DHCP option set"
	FeatureResolver      = "VPC resolver"
	FeatureIPv6          = "IPv6"
)

var featureOrder = []string{FeatureVPC, FeatureSubnet, FeatureRoute, FeatureGateway, FeatureSecurityGroup, FeatureSGRule, FeaturePrefixList,
	FeatureACL, FeatureMachine, FeatureVolume, FeatureKeyPair, FeatureAddress, FeatureLoadBalancer, FeatureImage,
	FeatureGPU, FeatureWindows, FeatureIAMProfile, FeaturePlacement, FeatureTenancy, FeatureUserData, FeatureDHCP,
	FeatureResolver, FeatureIPv6}

// Entry is one line of a loss report: an AWS object, what it became, and
// why it is not exact where it is not.
type Entry struct {
	Feature string `json:"feature"`
	Status  Status `json:"status"`
	AWS     string `json:"aws"`          // the AWS ID
	Becomes string `json:"to,omitempty"` // what the module writes, "" when nothing
	Why     string `json:"why,omitempty"`
}

// Loss is a landing zone's loss report.
type Loss struct {
	Entries []Entry `json:"entries"`
	// Unread are what the reader could not see (a call the credentials
	// may not make, a file absent from an export): nothing of it is in
	// the module.
	Unread []string `json:"unread,omitempty"`
}

// AddUnread records something the reader could not see.
func (l *Loss) AddUnread(what string) { l.Unread = append(l.Unread, what) }

func (l *Loss) add(feature string, s Status, aws, becomes, why string) {
	l.Entries = append(l.Entries, Entry{Feature: feature, Status: s, AWS: aws, Becomes: becomes, Why: why})
}

func (l *Loss) sort() {
	rank := func(f string) int {
		if i := slices.Index(featureOrder, f); i >= 0 {
			return i
		}
		return len(featureOrder)
	}
	slices.SortStableFunc(l.Entries, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(rank(a.Feature), rank(b.Feature)), cmp.Compare(a.AWS, b.AWS))
	})
}

// Counts returns the number of entries of each status.
func (l *Loss) Counts() map[Status]int {
	c := map[Status]int{}
	for _, e := range l.Entries {
		c[e.Status]++
	}
	return c
}

// words are the report's fixed words in English and French.
var words = map[string]map[string]string{
	"en": {"title": "Landing zone loss report", "exact": "exact", "different": "different", "not_translated": "not translated",
		"summary": "%d exact, %d translated with a difference, %d not translated", "feature": "feature", "status": "status", "aws": "AWS", "to": "becomes", "why": "why",
		"unread": "Not read (nothing of it is in the module)", "unread.short": "not read"},
	"fr": {"title": "Zone d'accueil : rapport des pertes", "exact": "exact", "different": "avec une différence", "not_translated": "non traduit",
		"summary": "%d exacts, %d traduits avec une différence, %d non traduits", "feature": "élément", "status": "état", "aws": "AWS", "to": "devient", "why": "pourquoi",
		"unread": "Non lu (rien de cela n'est dans le module)", "unread.short": "non lu"},
}

// Write renders the report as text, json or md, in lang (en, fr). The
// explanations are in English; the headings and statuses in lang.
func (l *Loss) Write(w io.Writer, format, lang string) error {
	wd, ok := words[lang]
	if !ok {
		return fmt.Errorf("language %q: give en or fr", lang)
	}
	c := l.Counts()
	summary := fmt.Sprintf(wd["summary"], c[Exact], c[Different], c[NotTranslated])
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Schema  int      `json:"schema"`
			Summary string   `json:"summary"`
			Counts  any      `json:"counts"`
			Entries []Entry  `json:"entries"`
			Unread  []string `json:"unread"`
		}{1, summary, map[string]int{"exact": c[Exact], "different": c[Different], "not_translated": c[NotTranslated]}, l.Entries, append([]string{}, l.Unread...)})
	case "md":
		fmt.Fprintf(w, "# %s\n\n%s\n\n| %s | %s | %s | %s | %s |\n|---|---|---|---|---|\n", wd["title"], summary, wd["feature"], wd["status"], wd["aws"], wd["to"], wd["why"])
		for _, e := range l.Entries {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", e.Feature, wd[string(e.Status)], e.AWS, mdCell(e.Becomes), mdCell(e.Why))
		}
		if len(l.Unread) > 0 {
			fmt.Fprintf(w, "\n## %s\n\n", wd["unread"])
			for _, u := range l.Unread {
				fmt.Fprintf(w, "- %s\n", u)
			}
		}
		return nil
	case "text", "":
		fmt.Fprintf(w, "%s: %s\n", wd["title"], summary)
		for _, e := range l.Entries {
			if e.Status == Exact && e.Why == "" {
				continue // the counts say it; the lines are what to act on
			}
			to := ""
			if e.Becomes != "" {
				to = " → " + e.Becomes
			}
			why := ""
			if e.Why != "" {
				why = ": " + e.Why
			}
			fmt.Fprintf(w, "  %-15s %-22s %s%s%s\n", wd[string(e.Status)], e.Feature, e.AWS, to, why)
		}
		for _, u := range l.Unread {
			fmt.Fprintf(w, "  %-15s %s\n", wd["unread.short"], u)
		}
		return nil
	}
	return fmt.Errorf("format %q: give text, json or md", format)
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

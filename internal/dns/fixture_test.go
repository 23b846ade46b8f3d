package dns

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/account"
)

// The fixture zones (Route 53's and aws-cli's documented examples, read by
// account/awsread's tests into testdata/zones.dns.json) export to files
// BIND's checker loads.
func TestExportFixtureZones(t *testing.T) {
	d, res := exportFixture(t, Options{})
	if len(res.Files) != 2*len(d.Zones) {
		t.Errorf("%d files for %d zones", len(res.Files), len(d.Zones))
	}
	for name, data := range res.Files {
		if strings.HasSuffix(name, ".pdns.zone") {
			continue // served by PowerDNS in TestPowerDNSFixtureZones
		}
		checkzone(t, strings.TrimSuffix(name, ".zone"), data)
		if os.Getenv("SHOW") != "" {
			os.Stdout.Write(data)
		}
	}
	// The parent delegates labo.example.ca., which moves with it, to the
	// target's servers, not back to Route 53's, and without the DS of
	// Route 53's keys, which the new servers do not sign with.
	if parent := string(res.Files["example.ca.zone"]); !strings.Contains(parent, "labo.example.ca.\t172800\tIN\tNS\tns2.sovereign.example.") || strings.Contains(parent, "ns-2048.awsdns-64.com.") || strings.Contains(parent, "IN\tDS") {
		t.Errorf("the parent's delegation to labo.example.ca. was not rewritten:\n%s", parent)
	}
	SortLoss(res.Loss)
	if os.Getenv("SHOW") != "" {
		WriteLoss(os.Stdout, res.Loss, "text", "en")
	}
}

// exportFixture reads the fixture zones and exports them with opts, for
// the target's two name servers.
func exportFixture(t *testing.T, opts Options) (*account.DNS, *Result) {
	t.Helper()
	b, err := os.ReadFile("testdata/zones.dns.json")
	if err != nil {
		t.Fatal(err)
	}
	var d account.DNS
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	opts.NS = []string{"ns1.sovereign.example.", "ns2.sovereign.example."}
	res, err := Export(&d, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &d, res
}

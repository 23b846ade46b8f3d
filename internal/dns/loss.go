package dns

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

var words = map[string]map[string]string{
	"en": {"title": "DNS loss report", "kept": "kept", "downgraded": "downgraded", "not_carried": "not carried", "warning": "warning",
		"summary": "%d kept, %d downgraded, %d not carried, %d warnings", "lua": "; the PowerDNS variant keeps %d routed record sets as LUA records", "zone": "zone", "name": "name", "type": "type", "status": "status", "why": "why", "pdns": "PowerDNS variant"},
	"fr": {"title": "Rapport des pertes DNS", "kept": "conservé", "downgraded": "dégradé", "not_carried": "non repris", "warning": "avertissement",
		"summary": "%d conservés, %d dégradés, %d non repris, %d avertissements", "lua": " ; la variante PowerDNS garde %d ensembles routés en enregistrements LUA", "zone": "zone", "name": "nom", "type": "type", "status": "état", "why": "pourquoi", "pdns": "variante PowerDNS"},
}

// WriteLoss renders a report as text, json or md in lang (en, fr): the
// headings and statuses in lang, the explanations in English.
func WriteLoss(w io.Writer, loss []Entry, format, lang string) error {
	wd, ok := words[lang]
	if !ok {
		return fmt.Errorf("language %q: give en or fr", lang)
	}
	c := map[Status]int{}
	lua := 0
	for _, e := range loss {
		c[e.Status]++
		if strings.HasPrefix(e.PowerDNS, "LUA") {
			lua++
		}
	}
	summary := fmt.Sprintf(wd["summary"], c[Kept], c[Downgraded], c[NotCarried], c[ZoneWarning])
	if lua > 0 {
		summary += fmt.Sprintf(wd["lua"], lua)
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Schema  int     `json:"schema"`
			Summary string  `json:"summary"`
			Entries []Entry `json:"entries"`
		}{1, summary, append([]Entry{}, loss...)})
	case "md":
		fmt.Fprintf(w, "# %s\n\n%s\n\n| %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|\n", wd["title"], summary, wd["zone"], wd["name"], wd["type"], wd["status"], wd["why"], wd["pdns"])
		for _, e := range loss {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", e.Zone, cell(e.Name), e.Type, wd[string(e.Status)], cell(e.Why), cell(e.PowerDNS))
		}
		return nil
	case "text", "":
		fmt.Fprintf(w, "%s: %s\n", wd["title"], summary)
		zone := ""
		for _, e := range loss {
			if e.Status == Kept && (e.Why == "" || e.Why == "kept") {
				continue
			}
			if e.Zone != zone {
				zone = e.Zone
				fmt.Fprintf(w, "%s %s\n", wd["zone"], zone)
			}
			name := e.Name
			if name == "" {
				name = e.Zone
			}
			fmt.Fprintf(w, "  %-13s %s %s: %s\n", wd[string(e.Status)], name, e.Type, e.Why)
			if e.PowerDNS != "" {
				fmt.Fprintf(w, "  %-13s %s\n", "", wd["pdns"]+": "+e.PowerDNS)
			}
		}
		return nil
	}
	return fmt.Errorf("format %q: give text, json or md", format)
}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

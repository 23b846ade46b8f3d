package bill

import (
	"strings"
)

// RegionCode returns the code of the AWS Region that s names: a code
// (us-east-1, us-gov-west-1, a Local Zone's us-east-1-bos-1) as it is, or a
// name as the bill's location columns write it ("US East (N. Virginia)",
// "EU (Ireland)"). It returns "" for anything else: the edge locations
// CloudFront bills from ("Europe", "United States"), "External", "Global".
func RegionCode(s string) string {
	s = strings.TrimSpace(s)
	if isRegionCode(s) {
		return s
	}
	return regionNames[normalName(s)]
}

// isRegionCode reports whether s has the shape of a Region or Local Zone
// code: lowercase words and numbers joined by dashes, a 2–4 letter area
// first, a number last (us-east-1, eusc-de-east-1, us-east-1-bos-1).
func isRegionCode(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts[0]) < 2 || len(parts[0]) > 4 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		for _, c := range p {
			letter, digit := c >= 'a' && c <= 'z', c >= '0' && c <= '9'
			if !letter && !digit || i == 0 && digit {
				return false
			}
		}
	}
	last := parts[len(parts)-1]
	return last[len(last)-1] >= '0' && last[len(last)-1] <= '9'
}

// normalName folds the ways AWS has spelled a Region's name: case, the
// accent of São Paulo, and "EU (…)" for what is now "Europe (…)".
func normalName(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	s = strings.ReplaceAll(s, "ã", "a")
	if rest, ok := strings.CutPrefix(s, "eu ("); ok {
		s = "europe (" + rest
	}
	return s
}

// regionNames maps normalName of each Region's name, as the AWS Price List
// and the bill's product/location columns write it, to its code. Former
// names stay: older bills carry them.
var regionNames = map[string]string{
	"us east (n. virginia)":      "us-east-1",
	"us east (ohio)":             "us-east-2",
	"us west (n. california)":    "us-west-1",
	"us west (oregon)":           "us-west-2",
	"africa (cape town)":         "af-south-1",
	"asia pacific (hong kong)":   "ap-east-1",
	"asia pacific (taipei)":      "ap-east-2",
	"asia pacific (hyderabad)":   "ap-south-2",
	"asia pacific (jakarta)":     "ap-southeast-3",
	"asia pacific (malaysia)":    "ap-southeast-5",
	"asia pacific (melbourne)":   "ap-southeast-4",
	"asia pacific (mumbai)":      "ap-south-1",
	"asia pacific (new zealand)": "ap-southeast-6",
	"asia pacific (osaka)":       "ap-northeast-3",
	"asia pacific (osaka-local)": "ap-northeast-3",
	"asia pacific (seoul)":       "ap-northeast-2",
	"asia pacific (singapore)":   "ap-southeast-1",
	"asia pacific (sydney)":      "ap-southeast-2",
	"asia pacific (thailand)":    "ap-southeast-7",
	"asia pacific (tokyo)":       "ap-northeast-1",
	"canada (central)":           "ca-central-1",
	"canada west (calgary)":      "ca-west-1",
	"china (beijing)":            "cn-north-1",
	"china (ningxia)":            "cn-northwest-1",
	"europe (frankfurt)":         "eu-central-1",
	"europe (ireland)":           "eu-west-1",
	"europe (london)":            "eu-west-2",
	"europe (milan)":             "eu-south-1",
	"europe (paris)":             "eu-west-3",
	"europe (spain)":             "eu-south-2",
	"europe (stockholm)":         "eu-north-1",
	"europe (zurich)":            "eu-central-2",
	"israel (tel aviv)":          "il-central-1",
	"mexico (central)":           "mx-central-1",
	"middle east (bahrain)":      "me-south-1",
	"middle east (uae)":          "me-central-1",
	"south america (sao paulo)":  "sa-east-1",
	"aws govcloud (us)":          "us-gov-west-1",
	"aws govcloud (us-west)":     "us-gov-west-1",
	"aws govcloud (us-east)":     "us-gov-east-1",
}

// Package flavour maps AWS instance types to the standard flavours of the
// Sovereign Cloud Stack, which OpenStack providers of the SCS family offer:
// the exit plan prices them (assess), the landing zone boots them.
package flavour

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// scsFlavours are the standard flavours of the Sovereign Cloud Stack
// (SCS-0103: SCS-<vCPUs><V dedicated-share | L low-performance>-<GiB RAM>),
// smallest first.
var scsFlavours = []struct {
	name   string
	vcpu   int
	ramGiB float64
}{
	{"SCS-1L-1", 1, 1}, {"SCS-1V-2", 1, 2}, {"SCS-2V-4", 2, 4}, {"SCS-1V-4", 1, 4}, {"SCS-2V-8", 2, 8},
	{"SCS-4V-8", 4, 8}, {"SCS-1V-8", 1, 8}, {"SCS-2V-16", 2, 16}, {"SCS-4V-16", 4, 16}, {"SCS-8V-16", 8, 16},
	{"SCS-4V-32", 4, 32}, {"SCS-8V-32", 8, 32}, {"SCS-16V-32", 16, 32}, {"SCS-16V-64", 16, 64},
}

// memPerVCPU is GiB of memory per vCPU by EC2 family letter.
var memPerVCPU = map[byte]float64{'m': 4, 'c': 2, 'r': 8, 'x': 16, 'z': 8, 'i': 8, 'd': 8, 'h': 4, 'a': 2}

// burstable t-family sizes: vCPUs and GiB.
var tSizes = map[string][2]float64{
	"nano": {2, 0.5}, "micro": {2, 1}, "small": {2, 2}, "medium": {2, 4}, "large": {2, 8}, "xlarge": {4, 16}, "2xlarge": {8, 32},
}

var sizeRE = regexp.MustCompile(`^(\d*)xlarge$`)

// instanceShape returns an EC2 instance type's vCPUs and memory, from its
// family and size (AWS's naming is regular enough), and whether it needs a
// GPU or accelerator.
func instanceShape(typ string) (vcpu int, ram float64, gpu bool, ok bool) {
	family, size, found := strings.Cut(typ, ".")
	if !found || family == "" {
		return 0, 0, false, false
	}
	if family[0] == 't' {
		s, ok := tSizes[size]
		return int(s[0]), s[1], false, ok
	}
	switch {
	case strings.HasPrefix(family, "p"), strings.HasPrefix(family, "g"), strings.HasPrefix(family, "inf"),
		strings.HasPrefix(family, "trn"), strings.HasPrefix(family, "dl"), strings.HasPrefix(family, "f"):
		gpu = true
	}
	ratio, known := memPerVCPU[family[0]]
	if gpu {
		ratio, known = 4, true
	}
	if !known {
		return 0, 0, gpu, false
	}
	switch size {
	case "medium":
		vcpu = 1
	case "large":
		vcpu = 2
	case "metal":
		return 0, 0, gpu, false
	default:
		m := sizeRE.FindStringSubmatch(size)
		if m == nil {
			return 0, 0, gpu, false
		}
		n := 1
		if m[1] != "" {
			n, _ = strconv.Atoi(m[1])
		}
		vcpu = 4 * n
	}
	return vcpu, float64(vcpu) * ratio, gpu, true
}

// EC2 maps an EC2 instance type to the smallest SCS standard flavour
// that has at least its vCPUs and memory. standard is false when no
// standard flavour is large enough and the name is built by SCS's naming
// rule instead; ok is false for an unknown type.
func EC2(typ string) (name string, standard, gpu, ok bool) {
	vcpu, ram, gpu, ok := instanceShape(typ)
	if !ok {
		return "", false, gpu, false
	}
	if strings.HasPrefix(typ, "t") && vcpu == 2 && ram <= 1 {
		return "SCS-1L-1", true, false, true // burstable nano/micro: low-performance share
	}
	name = For(vcpu, ram)
	return name, standardName(name), gpu, true
}

// For is the smallest standard SCS flavour with at least vcpu vCPUs and
// ram GiB, or, when none is that large, a name by SCS's naming rule.
func For(vcpu int, ram float64) string {
	best := -1
	for i, f := range scsFlavours {
		if f.vcpu >= vcpu && f.ramGiB >= ram {
			if best < 0 || f.vcpu < scsFlavours[best].vcpu || (f.vcpu == scsFlavours[best].vcpu && f.ramGiB < scsFlavours[best].ramGiB) {
				best = i
			}
		}
	}
	if best >= 0 {
		return scsFlavours[best].name
	}
	return fmt.Sprintf("SCS-%dV-%d", vcpu, int(ram))
}

func standardName(name string) bool {
	for _, f := range scsFlavours {
		if f.name == name {
			return true
		}
	}
	return false
}

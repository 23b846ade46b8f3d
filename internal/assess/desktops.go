package assess

import (
	"strings"

	"github.com/sortie-dev/sortie/internal/flavour"

	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/lang"
)

// streamFamilies maps AppStream's instance families to the EC2 family of
// the same shape (AppStream's instance types are EC2's, renamed):
// stream.standard.large is an m5.large, stream.graphics.g4dn.xlarge a
// g4dn.xlarge.
var streamFamilies = map[string]string{
	"standard": "m5", "compute": "c5", "memory": "r5", "memory.z1d": "z1d",
	"graphics.g4dn": "g4dn", "graphics.g5": "g5", "graphics.g6": "g6", "graphics-pro": "g3", "graphics-design": "g4ad",
}

// streamFlavour maps an AppStream instance type to an SCS flavour, as
// Flavour does an EC2 type. stream.standard.small and .medium are 2 vCPUs
// and 4 GiB, unlike EC2's.
func streamFlavour(typ string) (name string, standard, gpu, ok bool) {
	rest, found := strings.CutPrefix(typ, "stream.")
	if !found {
		return "", false, false, false
	}
	i := strings.LastIndex(rest, ".")
	if i < 0 {
		return "", false, false, false
	}
	family, size := rest[:i], rest[i+1:]
	if family == "standard" && (size == "small" || size == "medium") {
		return "SCS-2V-4", true, false, true
	}
	ec2, known := streamFamilies[family]
	if !known {
		return "", false, strings.HasPrefix(family, "graphics"), false
	}
	return Flavour(ec2 + "." + size)
}

// workspaceShapes are WorkSpaces' compute types: vCPUs, GiB, GPU.
var workspaceShapes = map[string]struct {
	vcpu int
	ram  float64
	gpu  bool
}{
	"VALUE": {1, 2, false}, "STANDARD": {2, 4, false}, "PERFORMANCE": {2, 8, false}, "POWER": {4, 16, false},
	"POWERPRO": {8, 32, false}, "GENERALPURPOSE_4XLARGE": {16, 64, false}, "GENERALPURPOSE_8XLARGE": {32, 128, false},
	"GRAPHICS": {8, 15, true}, "GRAPHICSPRO": {16, 122, true}, "GRAPHICS_G4DN": {4, 16, true}, "GRAPHICSPRO_G4DN": {16, 64, true},
}

// workspaceFlavour maps a WorkSpaces compute type to the smallest SCS
// flavour that holds it.
func workspaceFlavour(compute string) (string, bool) {
	s, ok := workspaceShapes[compute]
	if !ok {
		return "", false
	}
	return flavourFor(s.vcpu, s.ram), true
}

func flavourFor(vcpu int, ram float64) string { return flavour.For(vcpu, ram) }

func fleetType(t string) string {
	switch t {
	case "ALWAYS_ON", "ON_DEMAND", "ELASTIC":
		return t
	}
	return "ON_DEMAND"
}

// virtualLab maps AppStream fleets and stacks, WorkSpaces and EFS: streamed
// desktops become a VDI of servers on the target behind Apache Guacamole or
// noVNC, file systems NFS or CephFS shares.
func virtualLab(inv *account.Inventory, l lang.Lang) []Item {
	tr := func(key string, args ...any) string { return messages.T(l, key, args...) }
	var out []Item
	for _, f := range inv.AppStreamFleets {
		it := Item{Kind: "appstream-fleet", Name: f.Name, Region: f.Region, Effort: 4,
			Detail: tr("fleet.detail", f.InstanceType, f.Desired, tr("fleet."+fleetType(f.FleetType)), f.Platform)}
		flag := func(s string) { it.Flags = append(it.Flags, s); it.Effort++ }
		name, _, gpu, ok := streamFlavour(f.InstanceType)
		if ok {
			it.Target = tr("fleet.target", max(f.Desired, 1), name)
		} else {
			it.Target = tr("fleet.target.unknown", f.InstanceType)
		}
		if gpu {
			flag(tr("fleet.gpu"))
		}
		if strings.HasPrefix(f.Platform, "WINDOWS") {
			flag(tr("fleet.windows"))
		}
		if f.Image != "" {
			it.Flags = append(it.Flags, tr("fleet.image", f.Image))
		}
		if f.FleetType == "ALWAYS_ON" {
			it.Flags = append(it.Flags, tr("fleet.alwayson", f.Desired))
		}
		out = append(out, it)
	}
	for _, s := range inv.AppStreamStacks {
		it := Item{Kind: "appstream-stack", Name: s.Name, Region: s.Region, Target: tr("stack.target"), Effort: 2, Detail: tr("stack.detail.none")}
		if len(s.Storage) > 0 {
			it.Detail = tr("stack.detail", strings.Join(s.Storage, ", "))
		}
		for _, c := range s.Storage {
			switch c {
			case "HOMEFOLDERS":
				it.Flags = append(it.Flags, tr("stack.homefolders"))
				it.Effort++
			default:
				it.Flags = append(it.Flags, tr("stack.clouddrive", c))
			}
		}
		out = append(out, it)
	}
	for _, w := range inv.WorkSpaces {
		it := Item{Kind: "workspace", Name: nameOr(w.UserName, w.ID), Region: w.Region, Effort: 2,
			Detail: tr("workspace.detail", w.ComputeType, w.RunningMode, w.RootGiB, w.UserGiB, w.State)}
		if name, ok := workspaceFlavour(w.ComputeType); ok {
			it.Target = tr("workspace.target", name)
			if workspaceShapes[w.ComputeType].gpu {
				it.Flags = append(it.Flags, tr("workspace.gpu"))
				it.Effort++
			}
		} else {
			it.Target = tr("workspace.target.unknown", w.ComputeType)
			it.Effort++
		}
		if w.Directory != "" {
			it.Flags = append(it.Flags, tr("workspace.directory", w.Directory))
		}
		it.Flags = append(it.Flags, tr("workspace.licence"))
		out = append(out, it)
	}
	for _, f := range inv.FileSystems {
		it := Item{Kind: "file-system", Name: nameOr(f.Name, f.ID), Region: f.Region, Target: tr("efs.target"), Effort: 2,
			Detail: tr("efs.detail", l.Bytes(f.Bytes), f.ThroughputMode, f.MountTargets)}
		if f.Bytes > 0 {
			it.Flags = append(it.Flags, tr("efs.bytes", l.Bytes(f.Bytes)))
		}
		if f.Bytes > 1<<40 {
			it.Effort++
		}
		out = append(out, it)
	}
	return out
}

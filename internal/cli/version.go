package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and commit override what the build records, for builds made
// outside a module version or a Git checkout (release tarballs, distro
// packages):
//
//	go build -ldflags "-X github.com/sortie-dev/sortie/internal/cli.version=v1.2.0 -X github.com/sortie-dev/sortie/internal/cli.commit=abc1234" ./cmd/sortie
var version, commit string

// versionLine says which sortie this is, in one line for bug reports: the
// module version ("(devel)" for a build from a checkout), the VCS revision
// and whether the tree had uncommitted changes, and the Go toolchain.
func versionLine() string {
	v, rev, modified := version, commit, false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	switch {
	case rev == "":
		rev = "unknown"
	case len(rev) > 12:
		rev = rev[:12]
	}
	if modified {
		rev += " (modified)"
	}
	return fmt.Sprintf("sortie %s, commit %s, %s %s/%s", v, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print sortie's version, commit and Go version",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(e.stdout, versionLine())
			return err
		},
	}
}

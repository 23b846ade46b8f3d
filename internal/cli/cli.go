// Package cli is sortie's command line: it parses what the user asked, opens
// the stores, runs an engine, and turns the outcome into output and an exit
// code. Each command is a constructor for its flags and a run function that
// tests call directly.
//
// Exit codes, mapped in one place (Main):
//
//	0   everything done and confirmed
//	1   some objects failed or differ (each listed in the summary)
//	2   bad usage, configuration or credentials (one line, no stack trace)
//	130 interrupted (Ctrl-C, SIGTERM)
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK        = 0
	ExitFailures  = 1
	ExitUsage     = 2
	ExitCancelled = 130
)

// exitError carries an exit code with the error to print.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usage marks an error as the user's to fix: exit code 2.
func usage(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// failures marks a run that finished with failed objects: exit code 1.
type failures struct{ n int64 }

func (f failures) Error() string { return fmt.Sprintf("%d objects failed; see the summary above", f.n) }

// env is what every command gets from Main.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
	// terminal says stderr is a terminal, for the live progress line.
	terminal bool
}

// Main runs sortie with args (without the program name) and returns the
// exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, terminal bool) int {
	// The progress display, the logger and the summary write from several
	// goroutines; an *os.File takes that, an arbitrary writer may not.
	stdout, stderr = &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	e := &env{stdout: stdout, stderr: stderr, terminal: terminal}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := ExitFailures
	var ee *exitError
	var f failures
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case errors.As(err, &f):
		code = ExitFailures
	case errors.Is(err, context.Canceled):
		code = ExitCancelled
	case isUsage(err):
		code = ExitUsage
	}
	if code == ExitCancelled {
		fmt.Fprintln(stderr, "sortie: interrupted")
		return code
	}
	fmt.Fprintln(stderr, "sortie: "+oneLine(err.Error()))
	return code
}

// isUsage recognises cobra's own argument and flag errors, which it returns
// as plain errors.
func isUsage(err error) bool {
	var fe *flagError
	return errors.As(err, &fe)
}

type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func newRoot(e *env) *cobra.Command {
	var verbose bool
	root := &cobra.Command{
		Use:   "sortie",
		Short: "Leave AWS for a cloud you control: copy, sync and verify object data",
		Long: `sortie moves an organisation's object data out of Amazon S3 into an
S3-compatible store it controls (MinIO, Ceph RGW, Garage, SeaweedFS, a
provider's endpoint) or onto a filesystem, and proves that it arrived.

Locations are s3://BUCKET[/PREFIX], file:///PATH or a local path. Credentials
and endpoints come from AWS shared-config profiles (--from-profile,
--to-profile); a profile's endpoint_url points a side at an S3-compatible
store. Try "sortie demo" for the whole flow on an embedded sample.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelDebug
			}
			e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
		},
	}
	// Runnable, with its own argument check, so that an unknown command is
	// a usage error (exit 2) like any other.
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return &flagError{fmt.Errorf("unknown command %q; see sortie --help", args[0])}
		}
		return nil
	}
	root.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log each request-level decision to stderr")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &flagError{fmt.Errorf("%v (see %s --help)", err, cmd.CommandPath())}
	})
	// --version, as well as the version command.
	root.Version = versionLine()
	root.SetVersionTemplate("{{.Version}}\n")
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(newCopyCmd(e, modeCopy), newCopyCmd(e, modeSync), newCopyCmd(e, modePlan), newVerifyCmd(e),
		newJobsCmd(e), newCleanupCmd(e), newAssessCmd(e), newPolicyCmd(e), newLandingCmd(e), newDNSCmd(e), newDemoCmd(e), newVersionCmd(e))
	root.AddCommand(newDBCmd(e))
	root.AddCommand(newWorkerCmd(e))
	return root
}

// exactArgs is cobra.ExactArgs with an error that says what is expected.
// Main prefixes every error with "sortie: ", so the command is named
// without the program's name ("jobs show takes ..."); the help to read is
// named in full.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return &flagError{fmt.Errorf("%s takes %s (got %s); see %s --help", subcommand(cmd), what, plural(len(args), "argument"), cmd.CommandPath())}
		}
		return nil
	}
}

// subcommand is cmd's path below the root: "copy", "jobs show".
func subcommand(cmd *cobra.Command) string {
	if !cmd.HasParent() {
		return cmd.Name()
	}
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// lockedWriter serialises writes to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// IsTerminal reports whether f is a terminal; main uses it for stderr.
func IsTerminal(f *os.File) bool { return isTerminal(int(f.Fd())) }

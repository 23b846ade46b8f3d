// Command sortie moves object data out of Amazon S3 into a store you
// control, and proves it arrived. See "sortie --help".
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/sortie-dev/sortie/internal/cli"
)

func main() {
	// The first Ctrl-C (or SIGTERM) cancels the run, which stops starting
	// work, aborts in-flight uploads and prints what remains; once it has
	// fired, the default handling is restored so a second Ctrl-C exits at
	// once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	// SORTIE_CPUPROFILE=FILE writes a CPU profile of the run, for the
	// benchmarks' explanations (go tool pprof FILE).
	var prof *os.File
	if path := os.Getenv("SORTIE_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			prof = f
		}
	}
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, cli.IsTerminal(os.Stderr))
	if prof != nil {
		pprof.StopCPUProfile()
		prof.Close()
	}
	stop()
	os.Exit(code)
}

// Command sortie moves object data out of Amazon S3 into a store you
// control, and proves it arrived. See "sortie --help".
package main

import (
	"context"
	"os"
	"os/signal"
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
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, cli.IsTerminal(os.Stderr))
	stop()
	os.Exit(code)
}

// Command scale measures sortie's own cost at scale, with generated stores
// (no servers, no uploads), and reports time and peak RSS:
//
//	go run ./bench/scale -mode diff -keys 10000000   # the listing merge: 1% of keys differ
//	go run ./bench/scale -mode copy -keys 1000000    # the engine copying into a sink that discards
//
// Peak RSS is the process's maximum resident set (getrusage), so each
// measurement runs in a process of its own; bench/scale.sh runs them.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/sortie-dev/sortie/internal/diff"
	"github.com/sortie-dev/sortie/internal/journal"
	"github.com/sortie-dev/sortie/internal/store/synth"
	"github.com/sortie-dev/sortie/internal/transfer"
)

func main() {
	mode := flag.String("mode", "diff", "diff or copy")
	keys := flag.Int("keys", 1_000_000, "objects on each side")
	change := flag.Int("change-every", 100, "diff: one key in this many differs (100 = 1%)")
	size := flag.Int("size", 1024, "copy: bytes per object")
	withJournal := flag.Bool("journal", false, "copy: keep a journal, as a real run does")
	flag.Parse()
	start := time.Now()
	var line string
	var err error
	switch *mode {
	case "diff":
		line, err = runDiff(*keys, *change)
	case "copy":
		line, err = runCopy(*keys, *size, *withJournal)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
	elapsed := time.Since(start)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("mode=%s keys=%d %s elapsed=%.2fs keys/s=%.0f peakRSS=%.1fMiB gomaxprocs=%d\n",
		*mode, *keys, line, elapsed.Seconds(), float64(*keys)/elapsed.Seconds(), float64(ru.Maxrss)/1024, runtime.GOMAXPROCS(0))
}

func runDiff(n, changeEvery int) (string, error) {
	src := &synth.Store{Name: "src", N: n, WithETags: true, Size: 4096}
	dst := &synth.Store{Name: "dst", N: n, WithETags: true, Size: 4096, Version: 1, ChangeEvery: changeEvery}
	var same, different, undecided, srcOnly, dstOnly int
	for e, err := range diff.Merge(context.Background(), src.List(context.Background(), ""), dst.List(context.Background(), ""), "src", "dst", nil) {
		if err != nil {
			return "", err
		}
		switch e.Side {
		case diff.SrcOnly:
			srcOnly++
		case diff.DstOnly:
			dstOnly++
		default:
			switch diff.Compare(e.Src, e.Dst) {
			case diff.Same:
				same++
			case diff.Different:
				different++
			default:
				undecided++
			}
		}
	}
	return fmt.Sprintf("same=%d different=%d undecided=%d src-only=%d dst-only=%d", same, different, undecided, srcOnly, dstOnly), nil
}

func runCopy(n, size int, withJournal bool) (string, error) {
	src := &synth.Store{Name: "src", N: n, Size: size}
	sink := &synth.Store{Name: "sink"} // lists nothing, discards what it is given
	opts := transfer.Options{MaxDelete: -1}
	if withJournal {
		dir, err := os.MkdirTemp("", "sortie-scale-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(dir)
		j, err := journal.Open(context.Background(), filepath.Join(dir, "j.db"), journal.Job{Source: "synth", Destination: "sink"})
		if err != nil {
			return "", err
		}
		defer j.Close()
		opts.Ledger = j
	}
	sum, err := transfer.Run(context.Background(), src, sink, opts)
	if err != nil {
		return "", err
	}
	if len(sum.Failed) > 0 {
		return "", fmt.Errorf("%d failed, first: %v", len(sum.Failed), sum.Failed[0].Err)
	}
	return fmt.Sprintf("copied=%d bytes=%d journal=%v", sum.Copied, sum.CopiedBytes, withJournal), nil
}

package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// median is the round with the median wall time (the lower of the two
// middle ones for an even count), whole, so a row's figures belong to one
// run.
func median(s []sample) sample {
	s = slices.Clone(s)
	slices.SortFunc(s, func(a, b sample) int { return int(a.wall - b.wall) })
	return s[(len(s)-1)/2]
}

func (b *bench) report(out io.Writer, cases []string, results map[string][]sample) {
	mib := float64(b.bytes()) / (1 << 20)
	fmt.Fprintf(out, "\n%d objects (%d × 4 KiB, %d × %d MiB in 8 MiB parts; %.1f MiB), MinIO → MinIO and PostgreSQL on 127.0.0.1, --partitions %d, median of %d rounds\n\n",
		b.total(), b.cfg.objects, b.cfg.large, b.cfg.largeSize>>20, mib, b.cfg.partitions, b.cfg.rounds)
	local, one := median(results["local"]).wall.Seconds(), median(results["1"]).wall.Seconds()
	fmt.Fprintln(out, "| case | wall s | objects/s | MiB/s | run → last partition s | peak RSS MiB of the timed copy | speed ÷ local | speed ÷ 1 worker |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|")
	for _, c := range cases {
		m := median(results[c])
		s := m.wall.Seconds()
		span := "—"
		if m.span > 0 {
			span = fmt.Sprintf("%.2f", m.span.Seconds())
		}
		fmt.Fprintf(out, "| %s | %.2f | %.0f | %.1f | %s | %.0f | %.2f× | %.2f× |\n", name(c), s, float64(b.total())/s, mib/s,
			span, float64(m.rss)/1024, local/s, one/s)
	}
	cores := runtime.NumCPU()
	fmt.Fprintf(out, "\nCPU while each case ran, core-seconds (this machine has %d cores: %d × wall is all of it)\n\n", cores, cores)
	fmt.Fprintln(out, "| case | wall s | machine busy | of all cores | MinIO (both) | PostgreSQL | sortie workers | timed sortie copy | other processes | kernel, interrupts |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|---|")
	for _, c := range cases {
		m := median(results[c])
		u := m.cpu
		pg, workers := "—", "—"
		if u.postgresKnown {
			pg = secs(u.postgres)
		}
		if c != "local" {
			workers = secs(u.workers)
		}
		fmt.Fprintf(out, "| %s | %.2f | %s | %.0f%% | %s | %s | %s | %s | %s | %s |\n", name(c), m.wall.Seconds(), secs(u.machine),
			100*u.machine.Seconds()/(float64(cores)*m.wall.Seconds()), secs(u.minio), pg, workers, secs(u.copy), secs(u.outside), secs(u.kernel()))
	}
	l, c1 := median(results["local"]), median(results["1"])
	n := float64(b.total())
	perObject := func(d time.Duration) float64 { return float64(d.Microseconds()) / n }
	sortie := func(u cpuUse) time.Duration { return u.workers + u.copy }
	fmt.Fprintf(out, "\nCoordinator with 1 worker against the local run, per object: %+.0f µs of wall time; CPU %+.0f µs of sortie (workers and copy) and %+.0f µs of PostgreSQL\n",
		perObject(c1.wall-l.wall), perObject(sortie(c1.cpu)-sortie(l.cpu)), perObject(c1.cpu.postgres-l.cpu.postgres))
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

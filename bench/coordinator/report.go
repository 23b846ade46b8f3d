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
	where := "MinIO → MinIO and PostgreSQL on 127.0.0.1"
	if b.link != nil {
		where = fmt.Sprintf("source MinIO behind a far link (%v round trip, %.0f Mbit/s each way), destination MinIO and PostgreSQL on 127.0.0.1",
			b.cfg.rtt, b.cfg.bitsPerSec/1e6)
	}
	fmt.Fprintf(out, "\n%d objects (%d × 4 KiB, %d × %d MiB in 8 MiB parts; %.1f MiB), %s, --partitions %d, median of %d rounds\n\n",
		b.total(), b.cfg.objects, b.cfg.large, b.cfg.largeSize>>20, mib, where, b.cfg.partitions, b.cfg.rounds)
	local, one := median(results["local"]).wall.Seconds(), median(results["1"]).wall.Seconds()
	fmt.Fprintln(out, "| case | wall s | objects/s | MiB/s | run → first lease s | run → last partition s | peak RSS MiB of the timed copy | speed ÷ local | speed ÷ 1 worker |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|")
	for _, c := range cases {
		m := median(results[c])
		s := m.wall.Seconds()
		span, first := "—", "—"
		if m.span > 0 {
			span, first = secs(m.span), secs(m.firstLease)
		}
		fmt.Fprintf(out, "| %s | %.2f | %.0f | %.1f | %s | %s | %.0f | %.2f× | %.2f× |\n", name(c), s, float64(b.total())/s, mib/s,
			first, span, float64(m.rss)/1024, local/s, one/s)
	}
	if b.link != nil {
		b.reportLink(out, cases, results)
	}
	cores := runtime.NumCPU()
	fmt.Fprintf(out, "\nCPU while each case ran, core-seconds (this machine has %d cores: %d × wall is all of it)\n\n", cores, cores)
	// With the link, this bench's own process is the proxy, shown apart;
	// without, it is idle and stays in the last column.
	proxy, proxyRule := "", ""
	if b.link != nil {
		proxy, proxyRule = " link proxy (this bench) |", "---|"
	}
	fmt.Fprintln(out, "| case | wall s | machine busy | of all cores | MinIO (both) | PostgreSQL | sortie workers | timed sortie copy | other processes |"+proxy+" kernel, interrupts |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|"+proxyRule+"---|")
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
		kernel, self := u.kernel(), ""
		if b.link != nil {
			kernel, self = kernel-u.self, " "+secs(u.self)+" |"
		}
		fmt.Fprintf(out, "| %s | %.2f | %s | %.0f%% | %s | %s | %s | %s | %s |%s %s |\n", name(c), m.wall.Seconds(), secs(u.machine),
			100*u.machine.Seconds()/(float64(cores)*m.wall.Seconds()), secs(u.minio), pg, workers, secs(u.copy), secs(u.outside), self, secs(kernel))
	}
	l, c1 := median(results["local"]), median(results["1"])
	n := float64(b.total())
	perObject := func(d time.Duration) float64 { return float64(d.Microseconds()) / n }
	sortie := func(u cpuUse) time.Duration { return u.workers + u.copy }
	fmt.Fprintf(out, "\nCoordinator with 1 worker against the local run, per object: %+.0f µs of wall time; CPU %+.0f µs of sortie (workers and copy) and %+.0f µs of PostgreSQL\n",
		perObject(c1.wall-l.wall), perObject(sortie(c1.cpu)-sortie(l.cpu)), perObject(c1.cpu.postgres-l.cpu.postgres))
}

// reportLink prints what crossed the link in each case's median round,
// and the bound that requests in flight put on small objects.
func (b *bench) reportLink(out io.Writer, cases []string, results map[string][]sample) {
	fmt.Fprint(out, "\nOver the link (the median round of each case)\n\n")
	fmt.Fprintln(out, "| case | connections | requests | requests/object | MiB down | round-trip bound at 16 in flight per process, objects/s |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|")
	perProcess := 16 / b.cfg.rtt.Seconds()
	for _, c := range cases {
		m := median(results[c])
		procs := 1
		if c != "local" {
			fmt.Sscan(c, &procs)
		}
		fmt.Fprintf(out, "| %s | %d | %d | %.2f | %.1f | %.0f |\n", name(c), m.link.Conns, m.link.TotalReqs,
			float64(m.link.TotalReqs)/float64(b.total()), float64(m.link.Down)/(1<<20), float64(procs)*perProcess)
	}
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

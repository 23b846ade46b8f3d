package main

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// tick is the unit of /proc's CPU times (USER_HZ, 100 on every Linux this
// runs on).
const tick = 10 * time.Millisecond

// cpuUse is the CPU time spent during one timed run, by whom.
type cpuUse struct {
	machine       time.Duration // every core's busy time, from /proc/stat
	minio         time.Duration // both servers
	postgres      time.Duration // the postmaster, its backends, and the backends that ended
	postgresKnown bool
	workers       time.Duration // the sortie worker processes
	copy          time.Duration // the timed sortie copy (measure.Run's figure)
	self          time.Duration // this bench's own process: with -link, the link's proxy
	// outside is every other process on the machine (another engineer's
	// builds and tests), with the children they reaped meanwhile.
	outside time.Duration
}

// kernel is what no process accounts for: interrupts and softirqs
// (loopback networking among them), kernel threads, and this bench's own
// process (u.self, which the report shows apart only with -link).
func (u cpuUse) kernel() time.Duration {
	return u.machine - u.minio - u.postgres - u.workers - u.copy - u.outside
}

// cpuMeter reads the CPU times of the processes one timed run involves.
type cpuMeter struct {
	minio      []int
	postmaster int // 0 when the coordinator's PostgreSQL is not a process found here
	workers    []int
}

type cpuReading struct {
	machine, minio, postgres, workers, self int64 // ticks
	postgresKnown                           bool
	outside                                 map[int]int64 // pid → ticks with reaped children
}

func (m *cpuMeter) read() cpuReading {
	r := cpuReading{outside: map[int]int64{}}
	r.machine = machineBusy()
	r.self = procTicks(os.Getpid(), false)
	mine := map[int]bool{os.Getpid(): true, m.postmaster: true}
	for _, pid := range m.minio {
		mine[pid] = true
		r.minio += procTicks(pid, true)
	}
	for _, pid := range m.workers {
		mine[pid] = true
		r.workers += procTicks(pid, false)
	}
	if m.postmaster != 0 {
		r.postgresKnown = true
		// Backends that ended (the copy's connections) are in the
		// postmaster's children's times once it has reaped them.
		r.postgres = procTicks(m.postmaster, true)
		for _, pid := range children(m.postmaster) {
			mine[pid] = true
			r.postgres += procTicks(pid, false)
		}
	}
	for _, pid := range pids() {
		if !mine[pid] && !kernelThread(pid) {
			r.outside[pid] = procTicks(pid, true)
		}
	}
	return r
}

// kernelThread reports whether pid is kthreadd or one of its children.
func kernelThread(pid int) bool {
	f := stat(pid)
	return pid == 2 || len(f) > 1 && f[1] == "2"
}

func (r cpuReading) since(before cpuReading) cpuUse {
	d := func(a, b int64) time.Duration { return time.Duration(a-b) * tick }
	var outside int64
	for pid, t := range r.outside {
		outside += t - before.outside[pid] // a process started since counts whole
	}
	return cpuUse{outside: time.Duration(outside) * tick, machine: d(r.machine, before.machine), minio: d(r.minio, before.minio),
		postgres: d(r.postgres, before.postgres), postgresKnown: r.postgresKnown, workers: d(r.workers, before.workers),
		self: d(r.self, before.self)}
}

// machineBusy is the busy time of every core, in ticks: /proc/stat's cpu
// line less idle and iowait (guest time is already in user).
func machineBusy() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	var busy int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		switch i {
		case 3, 4, 8, 9: // idle, iowait, guest, guest_nice
		default:
			busy += n
		}
	}
	return busy
}

// stat returns the fields of /proc/PID/stat after the command's name
// (the first is field 3, the state).
func stat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// procTicks is a process's user + system time, plus its reaped children's
// if withChildren, in ticks; 0 for a process that has gone.
func procTicks(pid int, withChildren bool) int64 {
	f := stat(pid)
	if len(f) < 15 {
		return 0
	}
	n := 2
	if withChildren {
		n = 4
	}
	var t int64
	for _, v := range f[11 : 11+n] { // utime, stime, cutime, cstime
		x, _ := strconv.ParseInt(v, 10, 64)
		t += x
	}
	return t
}

func pids() []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

func cmdline(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}

func children(parent int) []int {
	var out []int
	for _, pid := range pids() {
		if f := stat(pid); len(f) > 1 && f[1] == strconv.Itoa(parent) {
			out = append(out, pid)
		}
	}
	return out
}

// findMinIO finds the processes of the MinIO servers whose data lies
// under dirs (s3test passes DIR/data on the command line), so another
// MinIO on the machine is not counted.
func findMinIO(dirs ...string) ([]int, error) {
	var out []int
	for _, pid := range pids() {
		args := cmdline(pid)
		for _, d := range dirs {
			if slices.Contains(args, filepath.Join(d, "data")) {
				out = append(out, pid)
			}
		}
	}
	if len(out) != len(dirs) {
		return nil, fmt.Errorf("found %d MinIO processes for %d servers", len(out), len(dirs))
	}
	return out, nil
}

// findPostmaster finds the PostgreSQL server the coordinator URL names,
// when it runs on this machine with its port on its command line (as
// pgtest starts it); 0 if not found.
func findPostmaster(raw string) int {
	u, err := url.Parse(raw)
	if err != nil {
		return 0
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	for _, pid := range pids() {
		args := cmdline(pid)
		if len(args) == 0 || filepath.Base(args[0]) != "postgres" {
			continue
		}
		if i := slices.Index(args, "-p"); i >= 0 && i+1 < len(args) && args[i+1] == port {
			return pid
		}
	}
	return 0
}

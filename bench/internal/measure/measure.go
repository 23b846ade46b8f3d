// Package measure runs a benchmarked tool as a child process and measures
// it the same way for every bench: wall time, peak resident set size and
// CPU time.
package measure

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Run runs bin with args in environment env and returns its wall time, its
// peak resident set size in KiB and its user + system CPU time. A failed
// run's error carries the tool's standard error.
func Run(bin string, env []string, args ...string) (wall time.Duration, rssKiB int64, cpu time.Duration, err error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	// Peak RSS is sampled from /proc, not taken from wait4's ru_maxrss:
	// Go starts children with vfork, and Linux carries the parent's
	// high-water mark into the child's maxrss at exec, so rusage would
	// report this program's peak, not the tool's. VmHWM belongs to the
	// address space exec created.
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var hwm int64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			hwm = max(hwm, vmHWM(cmd.Process.Pid))
			select {
			case <-done:
				peak <- hwm
				return
			case <-t.C:
			}
		}
	}()
	err = cmd.Wait()
	wall = time.Since(start)
	close(done)
	rssKiB = <-peak
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return wall, rssKiB, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// vmHWM reads a process's peak resident set size in KiB, or 0.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kib int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kib)
			return kib
		}
	}
	return 0
}

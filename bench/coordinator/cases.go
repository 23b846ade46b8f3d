package main

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sortie-dev/sortie/bench/internal/measure"
)

// local times the plain copy on this machine, with its journal.
func (b *bench) local(srcBucket, dstBucket string) (sample, error) {
	m, err := b.meter(nil)
	if err != nil {
		return sample{}, err
	}
	before := m.read()
	wall, rss, cpu, err := measure.Run(b.cfg.sortie, b.env, "copy", "s3://"+srcBucket, "s3://"+dstBucket,
		"--from-profile", "src", "--to-profile", "dst")
	if err != nil {
		return sample{}, err
	}
	use := m.read().since(before)
	use.copy = cpu
	return sample{wall: wall, rss: rss, cpu: use}, nil
}

// coordinated starts n sortie worker processes, waits until each works
// the coordinator's queue, times a copy --no-work through them, and stops
// them.
func (b *bench) coordinated(srcBucket, dstBucket string, n int) (s sample, err error) {
	var workers []*worker
	defer func() {
		for _, w := range workers {
			if werr := w.stop(); werr != nil && err == nil {
				err = werr
			}
		}
	}()
	for i := range n {
		w, err := b.startWorker(fmt.Sprintf("w%d-%d", b.counter, i+1))
		if err != nil {
			return sample{}, err
		}
		workers = append(workers, w)
	}
	for _, w := range workers {
		if err := w.ready(time.Minute); err != nil {
			return sample{}, err
		}
	}
	pids := make([]int, len(workers))
	for i, w := range workers {
		pids[i] = w.cmd.Process.Pid
	}
	m, err := b.meter(pids)
	if err != nil {
		return sample{}, err
	}
	before := m.read()
	wall, rss, cpu, err := measure.Run(b.cfg.sortie, b.env, "copy", "s3://"+srcBucket, "s3://"+dstBucket,
		"--from-profile", "src", "--to-profile", "dst",
		"--coordinator", b.cfg.url, "--no-work", "--partitions", fmt.Sprint(b.cfg.partitions))
	if err != nil {
		return sample{}, err
	}
	use := m.read().since(before)
	use.copy = cpu
	span, first, err := b.lastSpan()
	if err != nil {
		return sample{}, err
	}
	return sample{wall: wall, span: span, firstLease: first, rss: rss, cpu: use}, nil
}

// lastSpan reads, for the run the coordinator started last, the time
// from its row to its last partition's result (the workers' part of the
// wall time, without the copy's start and its once-a-second poll) and to
// the first partition's lease (what planning the partitions took before
// any worker could start).
func (b *bench) lastSpan() (span, firstLease time.Duration, err error) {
	c, err := pgx.Connect(b.ctx, b.cfg.url)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close(b.ctx)
	var last, first float64
	err = c.QueryRow(b.ctx, `SELECT extract(epoch FROM max(res.finished) - r.started)::float8,
			(SELECT extract(epoch FROM min(l.started) - r.started)::float8 FROM sortie_leases l WHERE l.job = r.job)
		FROM sortie_runs r JOIN sortie_results res USING (job, run)
		GROUP BY r.job, r.run, r.started ORDER BY r.started DESC LIMIT 1`).Scan(&last, &first)
	if err != nil {
		return 0, 0, fmt.Errorf("read the run's span: %w", err)
	}
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	return sec(last), sec(first), nil
}

// worker is one sortie worker process.
type worker struct {
	name  string
	cmd   *exec.Cmd
	up    chan struct{} // closed when it says it works the queue
	done  chan struct{} // closed when it has exited and its stderr is read
	mu    sync.Mutex
	lines []string
}

func (b *bench) startWorker(name string) (*worker, error) {
	w := &worker{name: name, up: make(chan struct{}), done: make(chan struct{})}
	w.cmd = exec.Command(b.cfg.sortie, "worker", "--coordinator", b.cfg.url, "--name", name)
	w.cmd.Env = b.env
	stderr, err := w.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := w.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(stderr)
		up := false
		for sc.Scan() {
			w.mu.Lock()
			w.lines = append(w.lines, sc.Text())
			w.mu.Unlock()
			if !up && strings.Contains(sc.Text(), "working the partitions") {
				up = true
				close(w.up)
			}
		}
		w.cmd.Wait()
	}()
	return w, nil
}

func (w *worker) stderr() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

func (w *worker) ready(timeout time.Duration) error {
	select {
	case <-w.up:
		return nil
	case <-w.done:
		return fmt.Errorf("worker %s exited before it started: %s", w.name, w.stderr())
	case <-time.After(timeout):
		return fmt.Errorf("worker %s did not start in %s: %s", w.name, timeout, w.stderr())
	}
}

// stop ends the worker as an operator would, with SIGTERM.
func (w *worker) stop() error {
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(time.Minute):
		w.cmd.Process.Kill()
		<-w.done
		return fmt.Errorf("worker %s did not stop within a minute of SIGTERM: %s", w.name, w.stderr())
	}
	if code := w.cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("worker %s exit %d: %s", w.name, code, w.stderr())
	}
	return nil
}

// meter reads the CPU of this run's servers and of the worker processes
// pids.
func (b *bench) meter(pids []int) (*cpuMeter, error) {
	m := &cpuMeter{workers: pids}
	var err error
	if m.minio, err = findMinIO(b.src.Dir, b.dst.Dir); err != nil {
		return nil, err
	}
	m.postmaster = findPostmaster(b.cfg.url)
	return m, nil
}

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	neturl "net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/pflag"

	"github.com/sortie-dev/sortie/internal/coordinator"
	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/inventory"
	"github.com/sortie-dev/sortie/internal/journal"
	"github.com/sortie-dev/sortie/internal/listing"
	"github.com/sortie-dev/sortie/internal/progress"
	"github.com/sortie-dev/sortie/internal/retry"
	"github.com/sortie-dev/sortie/internal/store"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
	"github.com/sortie-dev/sortie/internal/transfer"
)

// coordinatorEnv names the coordinator's database when --coordinator is
// not given.
const coordinatorEnv = "SORTIE_COORDINATOR"

// DefaultPartitions is how many partitions a job's listing is cut into:
// enough for tens of workers to share and for a lost partition to cost
// little, few enough that each partition's own listing of both sides is
// cheap.
const DefaultPartitions = 64

// coordinatorFlags are the flags of a run spread over many machines.
type coordinatorFlags struct {
	url              string
	noWork           bool
	partitions       int
	partitionsAtOnce int
	lease            time.Duration
	inventory        string
	job              bool // the flags of a command that makes a job (copy, sync)
}

func (f *coordinatorFlags) register(fs *pflag.FlagSet, job bool) {
	f.job = job
	fs.StringVar(&f.url, "coordinator", "", "PostgreSQL URL of the coordinator database (default $"+coordinatorEnv+"): the job is cut into partitions that sortie worker processes on any number of machines share")
	if job {
		fs.BoolVar(&f.noWork, "no-work", false, "with --coordinator: enqueue the job and wait for it, copying nothing in this process (sortie worker processes do the copying)")
		fs.IntVar(&f.partitions, "partitions", DefaultPartitions, "with --coordinator: cut a new job's listing into about this many key ranges (kept for the job's later runs)")
		fs.StringVar(&f.inventory, "inventory", "", "with --coordinator: s3://BUCKET/…/manifest.json of an S3 Inventory report (CSV) of the source; each of its data files is a partition, instead of a listing of the source")
	}
	fs.IntVar(&f.partitionsAtOnce, "partitions-at-once", 1, "with --coordinator: partitions this process copies at once, each with --workers requests and its own --bwlimit")
	fs.DurationVar(&f.lease, "lease", coordinator.DefaultLease, "with --coordinator: how long a worker may be silent before its partition is taken over (use the same value on every worker)")
}

// fromEnv fills the URL from the environment when no flag gave it.
func (f *coordinatorFlags) fromEnv() {
	if f.url == "" {
		f.url = os.Getenv(coordinatorEnv)
	}
}

// resolve fills the URL from the environment and checks the flags.
func (f *coordinatorFlags) resolve() error {
	f.fromEnv()
	if f.url == "" {
		if f.noWork || f.inventory != "" {
			return usage("--no-work and --inventory need --coordinator (or $%s)", coordinatorEnv)
		}
		return nil
	}
	if err := coordinator.CheckURL(f.url); err != nil {
		return usage("--coordinator %s: %v", f.shown(), err)
	}
	if f.job && (f.partitions < 1 || f.partitions > 100000) {
		return usage("--partitions %d: give a number from 1 to 100000", f.partitions)
	}
	if f.partitionsAtOnce < 1 || f.partitionsAtOnce > 64 {
		return usage("--partitions-at-once %d: give a number from 1 to 64", f.partitionsAtOnce)
	}
	if f.lease < time.Second {
		return usage("--lease %s: give at least 1s, e.g. 5m", f.lease)
	}
	if f.inventory != "" {
		if _, _, err := inventory.ManifestLocation(f.inventory); err != nil {
			return usage("--inventory: %v", err)
		}
	}
	return nil
}

// shown is the coordinator's URL without its password, for messages and
// hints (give the password with PGPASSWORD or ~/.pgpass).
func (f *coordinatorFlags) shown() string { return database.Redact(f.url) }

// open connects to the coordinator's database, with a pool sized for the
// partitions this process works at once (unless the URL sizes it).
func (f *coordinatorFlags) open(ctx context.Context) (*coordinator.Coordinator, error) {
	c, err := coordinator.Open(ctx, withPoolSize(f.url, 8+2*max(f.partitionsAtOnce, 1)))
	if err != nil {
		return nil, usage("--coordinator %s: %v", f.shown(), oneLine(err.Error()))
	}
	return c, nil
}

// withPoolSize adds pgxpool's pool_max_conns to a URL or key=value
// connection string that does not set it.
func withPoolSize(conn string, n int) string {
	if strings.Contains(conn, "pool_max_conns") {
		return conn
	}
	if u, err := neturl.Parse(conn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("pool_max_conns", fmt.Sprint(n))
		u.RawQuery = q.Encode()
		return u.String()
	}
	return fmt.Sprintf("%s pool_max_conns=%d", conn, n)
}

// jobSpec is what every worker needs to run a job's partitions as this
// process would: the command line that made the job, minus what only one
// machine has. Workers resolve the profiles in their own AWS config.
type jobSpec struct {
	Command      string   `json:"command"`
	Source       string   `json:"source"`
	Destination  string   `json:"destination"`
	FromProfile  string   `json:"from_profile,omitempty"`
	ToProfile    string   `json:"to_profile,omitempty"`
	Workers      int      `json:"workers"`
	PartSize     string   `json:"part_size"`
	BWLimit      string   `json:"bwlimit"`
	ListWorkers  int      `json:"list_workers"`
	Include      []string `json:"include,omitempty"`
	Exclude      []string `json:"exclude,omitempty"`
	StorageClass string   `json:"storage_class,omitempty"`
	NoLock       bool     `json:"no_lock,omitempty"`
	SSE          string   `json:"sse,omitempty"`
	SSEKMSKeyID  string   `json:"sse_kms_key_id,omitempty"`
	Inventory    string   `json:"inventory,omitempty"`
}

func specOf(m mode, o *copyOptions, srcArg, dstArg string) jobSpec {
	return jobSpec{Command: map[mode]string{modeCopy: "copy", modeSync: "sync"}[m], Source: srcArg, Destination: dstArg,
		FromProfile: o.fromProfile, ToProfile: o.toProfile, Workers: o.workers, PartSize: o.partSize, BWLimit: o.bwlimit,
		ListWorkers: o.listWorkers, Include: o.include, Exclude: o.exclude, StorageClass: o.storageClass, NoLock: o.noLock,
		SSE: o.enc.sse, SSEKMSKeyID: o.enc.kmsKeyID, Inventory: o.coord.inventory}
}

// options turns a spec back into the flags it came from.
func (s jobSpec) options() (mode, *copyOptions) {
	m := modeCopy
	if s.Command == "sync" {
		m = modeSync
	}
	return m, &copyOptions{fromProfile: s.FromProfile, toProfile: s.ToProfile, workers: s.Workers, partSize: s.PartSize,
		bwlimit: s.BWLimit, listWorkers: s.ListWorkers, include: s.Include, exclude: s.Exclude, storageClass: s.StorageClass,
		noLock: s.NoLock, maxDelete: -1, enc: encryptionFlags{sse: s.SSE, kmsKeyID: s.SSEKMSKeyID}, coord: coordinatorFlags{inventory: s.Inventory}}
}

// checkCoordinated refuses, before anything is touched, what a run spread
// over machines cannot do yet.
func (o *copyOptions) checkCoordinated(m mode) error {
	switch {
	case o.coord.url == "":
		return nil
	case o.versions:
		return usage("--versions with --coordinator: a history copy runs on one machine for now; drop --coordinator")
	case o.dryRun:
		return usage("--dry-run with --coordinator: see what the job would do with sortie plan SRC DST")
	case o.enc.sseCKeyFile != "" || o.enc.dstKeyFile != "":
		return usage("--sse-c-key-file with --coordinator: the customer key would have to be on every worker; copy SSE-C objects on one machine")
	case o.journal != "" || o.noJournal:
		return usage("--journal and --no-journal do not apply with --coordinator: the job's ledger is in the coordinator database")
	case m == modeSync && o.maxDelete >= 0:
		return usage("--max-delete with --coordinator: each partition decides its own deletions; check them first with sortie plan SRC DST, then sync without --max-delete")
	case m == modeSync && o.coord.inventory != "":
		return usage("sync --inventory: an inventory report is a snapshot, and a sync from it would delete what was added since; use copy --inventory, then sync from a listing")
	}
	return nil
}

// runCoordinated runs a copy or sync whose sides are open and checked as
// a local run's are, through the coordinator: it records the job, enqueues
// a run's partitions, works on them too unless --no-work, waits for every
// partition, and reports as a local run does.
func runCoordinated(ctx context.Context, e *env, m mode, o *copyOptions, src, dst *side, opts transfer.Options, lock *lockPlan, dstEnc s3store.Encryption) error {
	c, err := o.coord.open(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	spec := specOf(m, o, src.loc.Raw, dst.loc.Raw)
	raw, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	command := spec.Command
	if o.coord.inventory != "" {
		command += " --inventory " + o.coord.inventory
	}
	id := journal.CopyJob(command, src.identity(), dst.identity(), o.include, o.exclude, o.storageClass).ID()
	job := coordinator.Job{ID: id, Command: spec.Command, Source: src.identity(), Destination: dst.identity(), Spec: raw}
	plan := func(ctx context.Context) ([]coordinator.Partition, error) {
		if o.coord.inventory != "" {
			return inventoryPartitions(ctx, e, o)
		}
		rs, err := listing.Ranges(ctx, src.store, o.coord.partitions, max(256, 4*o.coord.partitions))
		if err != nil {
			return nil, src.explain(err)
		}
		parts := make([]coordinator.Partition, len(rs))
		for i, r := range rs {
			parts[i] = coordinator.Partition{Number: i, Range: r}
		}
		return parts, nil
	}
	run, err := c.StartRun(ctx, job, plan)
	if errors.Is(err, coordinator.ErrRunWaited) {
		return usage("%v", oneLine(err.Error()))
	}
	if err != nil {
		return &exitError{code: ExitFailures, err: fmt.Errorf("%v", oneLine(err.Error()))}
	}
	// Objects are copied by many processes: the live display is the
	// run's partitions (runReporter), and this process's objects' events
	// go to --json.
	var out output
	if o.json {
		out.json = progress.NewJSON(e.stdout)
		out.listeners = event.Multi{out.json}
	}
	fmt.Fprintf(e.stderr, "sortie: job %s run %d: %s through the coordinator %s\n", id, run.Number, plural(run.Partitions, "partition"), o.coord.shown())
	var w *coordinator.Worker
	host, _ := os.Hostname()
	name := fmt.Sprintf("%s:%d", host, os.Getpid())
	if !o.coord.noWork {
		r := &partitionRunner{log: e.log, listener: out.listeners, atOnce: o.coord.partitionsAtOnce}
		w, err = c.StartWorker(ctx, coordinator.WorkerOptions{Name: name, Partitions: o.coord.partitionsAtOnce, Lease: o.coord.lease, Run: r.run, Log: e.log})
		if err != nil {
			c.EndRun(ctx, run, "failed")
			return &exitError{code: ExitFailures, err: fmt.Errorf("%v", oneLine(err.Error()))}
		}
	}
	start := time.Now()
	pr := &runReporter{w: e.stderr, terminal: e.terminal, start: time.Now()}
	if o.coord.noWork {
		pr.idleHint = fmt.Sprintf("note: no worker has taken a partition yet; start sortie worker --coordinator %s on the machines that copy", o.coord.shown())
	}
	report := pr.report
	if out.json != nil {
		// Each partition's result as it is recorded, and the objects that
		// other workers failed: this process's own objects' events come
		// from its engine, as in a local run.
		seen := map[int]bool{}
		report = func(p coordinator.Progress) {
			pr.report(p)
			done, err := c.FinishedSince(ctx, run, seen)
			if err != nil {
				return // read again at the next tick
			}
			for _, f := range done {
				out.json.Write(jsonPartition{Event: "partition", Partition: f.Partition, Worker: f.Worker, Attempt: f.Attempt,
					Copied: f.Result.Copied, CopiedBytes: f.Result.CopiedBytes, Unchanged: f.Result.Unchanged,
					Deleted: f.Result.Deleted, Failed: len(f.Result.Failed), Seconds: f.Result.Seconds})
				if f.Worker == name {
					continue
				}
				for _, fl := range f.Result.Failed {
					out.json.Event(event.Event{Kind: event.Failed, Key: fl.Key, Reason: fl.Reason})
				}
			}
		}
	}
	p, waitErr := c.Wait(ctx, run, time.Second, report, func(err error) {
		pr.note(fmt.Sprintf("note: the coordinator is unreachable (%s); the workers go on, and this waits for it", oneLine(err.Error())))
	})
	pr.end()
	if w != nil {
		stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		if err := w.Stop(stop); err != nil {
			e.log.Warn("stop this process's worker", "err", err)
		}
		cancel()
	}
	var runErr error
	state := "done"
	switch {
	case waitErr != nil && ctx.Err() != nil:
		runErr, state = context.Canceled, "interrupted"
	case waitErr != nil:
		runErr, state = waitErr, "failed"
	case p.Failed > 0:
		state = "failed"
		runErr = fmt.Errorf("%s of %d gave up after %d attempts%s", plural(p.Failed, "partition"), p.Partitions, coordinator.MaxAttempts, firstError(p.Errors))
	}
	if err := c.EndRun(ctx, run, state); err != nil && runErr == nil {
		runErr = err
	}
	sum, err := c.Summary(context.WithoutCancel(ctx), run)
	if err != nil {
		return &exitError{code: ExitFailures, err: fmt.Errorf("%v", oneLine(err.Error()))}
	}
	sum.Elapsed = time.Since(start)
	var hist *history
	if !o.versions {
		hist = src.history(ctx, opts.Filter, e.log)
	}
	loss := buildLoss(lossInput{src: src, dst: dst, sum: sum, hist: hist, lock: lock, sse: sseNote(dstEnc)})
	if o.lossReport != "" && runErr == nil {
		if err := loss.write(o.lossReport, e.stdout); err != nil {
			return err
		}
	}
	if !o.json {
		defer fmt.Fprintf(e.stdout, "coordinator: job %s run %d (sortie jobs show %s --coordinator %s)\n", id, run.Number, id, o.coord.shown())
	}
	return finishCopy(e, out.json, m, o, src, dst, sum, runErr, false, hist, loss)
}

// jsonPartition is the JSON line of a partition whose result was recorded.
type jsonPartition struct {
	Event       string  `json:"event"`
	Partition   int     `json:"partition"`
	Worker      string  `json:"worker"`
	Attempt     int     `json:"attempt"`
	Copied      int64   `json:"copied"`
	CopiedBytes int64   `json:"copied_bytes"`
	Unchanged   int64   `json:"unchanged"`
	Deleted     int64   `json:"deleted"`
	Failed      int     `json:"failed"`
	Seconds     float64 `json:"seconds"`
}

// firstError renders the last error of the lowest-numbered partition that
// has one.
func firstError(errs map[int]string) string {
	if len(errs) == 0 {
		return ""
	}
	parts := slices.Sorted(maps.Keys(errs))
	return fmt.Sprintf("; partition %d: %s", parts[0], oneLine(errs[parts[0]]))
}

// runReporter shows a run's progress on stderr: a line rewritten in place
// on a terminal, else a line every 30 seconds and at each partition's end.
type runReporter struct {
	w        io.Writer
	terminal bool
	last     time.Time
	done     int
	printed  bool
	// idleHint is said once when no worker takes a partition for a while.
	idleHint string
	start    time.Time
}

func (r *runReporter) report(p coordinator.Progress) {
	if r.idleHint != "" && p.Done+p.Running+p.Failed == 0 && time.Since(r.start) > 20*time.Second {
		if r.terminal {
			fmt.Fprint(r.w, "\r\x1b[K")
		}
		fmt.Fprintln(r.w, r.idleHint)
		r.idleHint = ""
	}
	line := fmt.Sprintf("partitions %d/%d done, %d running, %d waiting", p.Done, p.Partitions, p.Running, p.Waiting+p.Retrying)
	if p.Failed > 0 {
		line += fmt.Sprintf(", %d failed", p.Failed)
	}
	line += fmt.Sprintf(" · %s objects %s copied", humanize.Comma(p.Objects), humanize.IBytes(uint64(p.Bytes)))
	if len(p.Workers) > 0 {
		line += " · workers " + strings.Join(p.Workers, ", ")
	}
	switch {
	case r.terminal:
		fmt.Fprintf(r.w, "\r\x1b[K%s", line)
		r.printed = true
	case p.Done != r.done || time.Since(r.last) >= 30*time.Second:
		fmt.Fprintln(r.w, line)
		r.last, r.done = time.Now(), p.Done
	}
}

// note says something once, between progress lines.
func (r *runReporter) note(s string) {
	if r.terminal {
		fmt.Fprint(r.w, "\r\x1b[K")
	}
	fmt.Fprintln(r.w, s)
}

func (r *runReporter) end() {
	if r.printed {
		fmt.Fprintln(r.w)
	}
}

// partitionRunner runs partitions for a worker: it opens each job's sides
// once, as the job's spec says, and shares each side's throttling gate
// among the partitions it runs at once, sized for --workers each (a
// per-worker share: N workers back off each on their own, see
// docs/coordinator.md).
type partitionRunner struct {
	log      *slog.Logger
	listener event.Listener // also told of every object; may be nil
	workers  int            // overrides the spec's --workers when set
	// atOnce is --partitions-at-once: each side's gate admits --workers
	// requests for each partition the process works at once.
	atOnce int

	mu   sync.Mutex
	jobs map[string]*openJob
}

type openJob struct {
	m                mode
	o                *copyOptions
	opts             transfer.Options
	src, dst         *side
	srcGate, dstGate *retry.Gate
	manifest         *inventory.Manifest
	reports          *side // the inventory's bucket
}

func (r *partitionRunner) open(ctx context.Context, t coordinator.Task) (*openJob, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// By spec too: a later run of the job may change its options
	// (--workers, --bwlimit), and a long-lived worker must follow.
	cacheKey := t.Job.ID + "\x00" + string(t.Job.Spec)
	if j, ok := r.jobs[cacheKey]; ok {
		return j, nil
	}
	var spec jobSpec
	if err := json.Unmarshal(t.Job.Spec, &spec); err != nil {
		return nil, fmt.Errorf("job %s: its spec in the coordinator cannot be read: %w", t.Job.ID, err)
	}
	m, o := spec.options()
	if r.workers > 0 {
		o.workers = r.workers
	}
	opts, err := o.engineOptions(m)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", t.Job.ID, err)
	}
	srcEnc, dstEnc, err := o.enc.sides()
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", t.Job.ID, err)
	}
	src, dst, err := openSides(ctx, spec.Source, spec.Destination, o.fromProfile, o.toProfile, o.workers, srcEnc, dstEnc, r.log)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", t.Job.ID, err)
	}
	j := &openJob{m: m, o: o, opts: opts, src: src, dst: dst, srcGate: retry.NewGate(o.workers * max(r.atOnce, 1)), dstGate: retry.NewGate(o.workers * max(r.atOnce, 1))}
	if spec.Inventory != "" {
		if j.manifest, j.reports, err = readManifest(ctx, spec.Inventory, o.fromProfile, r.log); err != nil {
			return nil, fmt.Errorf("job %s: %w", t.Job.ID, err)
		}
	}
	if r.jobs == nil {
		r.jobs = map[string]*openJob{}
	}
	r.jobs[cacheKey] = j
	return j, nil
}

func (r *partitionRunner) run(ctx context.Context, t coordinator.Task) (*transfer.Summary, error) {
	j, err := r.open(ctx, t)
	if err != nil {
		// This machine's setup (its AWS config, its network), not the
		// partition's: other workers may run it.
		return nil, fmt.Errorf("%w: %w", coordinator.ErrSetup, err)
	}
	opts := j.opts
	opts.Ledger, opts.Range = t.Ledger, t.Partition.Range
	if opts.Range.Through != "" {
		// A parallel listing plans over every key after its start, not
		// only the partition's: the partitions are the parallelism.
		opts.ListWorkers = 1
	}
	opts.SrcGate, opts.DstGate = j.srcGate, j.dstGate
	opts.Listener = event.Multi{t.Listener}
	if r.listener != nil {
		opts.Listener = event.Multi{t.Listener, r.listener}
	}
	src := j.src.store
	if t.Partition.Inventory != "" {
		objs, err := readInventoryFile(ctx, j, t.Partition.Inventory)
		if err != nil {
			return nil, err
		}
		if len(objs) == 0 {
			return &transfer.Summary{}, nil
		}
		src = inventory.Source(src, objs)
		opts.Range = listing.Spanning(objs[0].Key, objs[len(objs)-1].Key)
	}
	return transfer.Run(ctx, src, j.dst.store, opts)
}

// readManifest reads an inventory report's manifest, with the source's
// profile (a report is delivered to a bucket of the source's account).
func readManifest(ctx context.Context, arg, profile string, log *slog.Logger) (*inventory.Manifest, *side, error) {
	bucket, key, err := inventory.ManifestLocation(arg)
	if err != nil {
		return nil, nil, usage("--inventory: %v", err)
	}
	reports, err := openSide(ctx, "source", "s3://"+bucket, profile, 4, s3store.Encryption{}, log)
	if err != nil {
		return nil, nil, err
	}
	body, _, err := reports.store.Open(ctx, key, store.ReadOptions{Length: -1})
	if err != nil {
		return nil, nil, usage("--inventory %s: %v", arg, unwrapOp(err))
	}
	defer body.Close()
	m, err := inventory.ParseManifest(body)
	if err != nil {
		return nil, nil, usage("--inventory %s: %v", arg, err)
	}
	return m, reports, nil
}

// inventoryPartitions makes one partition of each data file of the report.
func inventoryPartitions(ctx context.Context, e *env, o *copyOptions) ([]coordinator.Partition, error) {
	m, _, err := readManifest(ctx, o.coord.inventory, o.fromProfile, e.log)
	if err != nil {
		return nil, err
	}
	parts := make([]coordinator.Partition, len(m.Files))
	for i, f := range m.Files {
		parts[i] = coordinator.Partition{Number: i, Inventory: f.Key}
	}
	fmt.Fprintf(e.stderr, "sortie: inventory of %s from %s: %s\n", m.SourceBucket, m.CreationTimestamp.UTC().Format(time.RFC3339), plural(len(m.Files), "data file"))
	return parts, nil
}

func readInventoryFile(ctx context.Context, j *openJob, key string) ([]store.Object, error) {
	body, _, err := j.reports.store.Open(ctx, key, store.ReadOptions{Length: -1})
	if err != nil {
		return nil, fmt.Errorf("inventory data file %s: %w", key, err)
	}
	defer body.Close()
	if !strings.HasSuffix(key, ".gz") {
		return nil, fmt.Errorf("inventory data file %s: not gzip-compressed CSV (.csv.gz)", key)
	}
	return inventory.ReadObjects(ctx, body, j.manifest, key)
}

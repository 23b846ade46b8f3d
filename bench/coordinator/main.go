// Command coordinator measures sortie's coordinator mode scaling on one
// machine: the same source bucket copied by the plain local run (with its
// journal) and through the coordinator by 1, 2 and 3 sortie worker
// processes, against the same two MinIO servers and the same PostgreSQL on
// loopback. It prints each case's wall time, objects/s and MiB/s, its speed
// against the local run and against the 1-worker run, and where the
// machine's CPU went while it ran (MinIO, PostgreSQL, the workers, the
// waiting copy, everything else).
//
// Each round runs every case once, in alternating order, into a fresh
// destination bucket; the tables report the median of the rounds. A
// coordinated case starts its workers first (outside the timing), then
// times `sortie copy --coordinator URL --no-work --partitions N`, which
// enqueues the job's partitions and waits for the workers to finish them.
//
// With -link the source MinIO is reached through a simulated far link
// (bench/internal/link: by default a 40 ms round trip and 200 Mbit/s each
// way, shared by every connection), the destination and PostgreSQL stay on
// loopback, and the source holds small objects only unless -objects or
// -large say otherwise (2,000 of 4 KiB). There the copy is bound by
// requests in flight, not by this machine's cores, and each worker process
// adds its own; the report adds what crossed the link in each case.
//
// PostgreSQL comes from -coordinator (the URL of an empty database on
// this machine, to see its CPU) or, through bench/coordinator.sh, from
// internal/pgtest, which only starts servers for a testing.TB: the script
// runs BenchmarkScaling, which starts one and calls the same code.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/bench/internal/fill"
	"github.com/sortie-dev/sortie/bench/internal/link"
	"github.com/sortie-dev/sortie/internal/s3test"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
)

// Flags at package level, so that the benchmark's test binary parses them
// too.
var (
	flagCoordinator = flag.String("coordinator", "", "postgres:// URL of an empty database (bench/coordinator.sh starts one)")
	flagSortie      = flag.String("sortie", "sortie", "sortie binary (an absolute path under go test)")
	flagObjects     = flag.Int("objects", 5000, "small objects of 4 KiB in the source")
	flagLarge       = flag.Int("large", 4, "multipart objects in the source")
	flagLargeMiB    = flag.Int("large-mib", 32, "size of each multipart object, MiB (uploaded in 8 MiB parts)")
	flagRounds      = flag.Int("rounds", 1, "rounds (each runs every case once)")
	flagPartitions  = flag.Int("partitions", 24, "--partitions of the coordinated copy")
	flagWorkers     = flag.Int("max-workers", 3, "coordinated cases with 1 to this many sortie worker processes")
	flagLink        = flag.Bool("link", false, "reach the source through a simulated far link (then -objects 2000 -large 0 unless given)")
	flagRTT         = flag.Duration("rtt", 40*time.Millisecond, "with -link: the link's round trip")
	flagMbit        = flag.Float64("mbit", 200, "with -link: the link's bandwidth each way, Mbit/s")
)

func main() {
	flag.Parse()
	if *flagCoordinator == "" {
		fmt.Fprintln(os.Stderr, "coordinator: give -coordinator postgres://… of an empty database, or run bench/coordinator.sh, which starts one")
		os.Exit(2)
	}
	if err := run(context.Background(), options(*flagCoordinator), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "coordinator:", err)
		os.Exit(1)
	}
}

// config is one run of the bench.
type config struct {
	url        string // the coordinator's database
	sortie     string
	objects    int
	large      int
	largeSize  int
	rounds     int
	partitions int
	maxWorkers int
	link       bool // the source behind a far link of rtt and bitsPerSec each way
	rtt        time.Duration
	bitsPerSec float64
}

func options(url string) config {
	c := config{url: url, sortie: *flagSortie, objects: *flagObjects, large: *flagLarge, largeSize: *flagLargeMiB << 20,
		rounds: *flagRounds, partitions: *flagPartitions, maxWorkers: *flagWorkers,
		link: *flagLink, rtt: *flagRTT, bitsPerSec: *flagMbit * 1e6}
	if c.link {
		// Over the link the case is small objects: large ones would
		// measure the link's bandwidth, which more workers cannot raise.
		given := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { given[f.Name] = true })
		if !given["objects"] {
			c.objects = 2000
		}
		if !given["large"] {
			c.large = 0
		}
	}
	return c
}

const smallSize = 4096

// bench holds the servers of one run.
type bench struct {
	cfg      config
	ctx      context.Context
	src, dst *s3test.Server
	link     *link.Link // in front of src with cfg.link, else nil
	env      []string
	counter  int
}

// sample is one case's timed run.
type sample struct {
	wall time.Duration
	span time.Duration // coordinated: the run's start to its last partition's result, read from the database
	// firstLease, coordinated: the run's start to its first partition's
	// lease, the time planning took.
	firstLease time.Duration
	rss        int64 // KiB, of the timed process
	cpu        cpuUse
	link       link.Counters // what crossed the link, with cfg.link
}

func run(ctx context.Context, cfg config, out io.Writer) error {
	tmp, err := os.MkdirTemp("", "sortie-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	src, err := s3test.Start(s3test.MinIO, tmp)
	if err != nil {
		return err
	}
	defer src.Stop()
	dst, err := s3test.Start(s3test.MinIO, tmp)
	if err != nil {
		return err
	}
	defer dst.Stop()
	b := &bench{cfg: cfg, ctx: ctx, src: src, dst: dst}
	// The copies read the source as profile src: through the link with
	// cfg.link. Seeding and the CPU meter use the server itself.
	asSeen := src
	if cfg.link {
		u, err := url.Parse(src.Endpoint)
		if err != nil {
			return err
		}
		l, err := link.Start(u.Host, cfg.rtt, cfg.bitsPerSec)
		if err != nil {
			return err
		}
		defer l.Close()
		b.link = l
		asSeen = &s3test.Server{Kind: "minio-far", Endpoint: "http://" + l.Addr(), AccessKey: src.AccessKey, SecretKey: src.SecretKey}
	}
	cfgPath, credsPath, err := s3test.ProfileFiles(tmp, map[string]*s3test.Server{"src": asSeen, "dst": dst})
	if err != nil {
		return err
	}
	b.env = append(os.Environ(), "AWS_CONFIG_FILE="+cfgPath, "AWS_SHARED_CREDENTIALS_FILE="+credsPath,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PROFILE=", "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=",
		"AWS_ENDPOINT_URL=", "AWS_ENDPOINT_URL_S3=", "AWS_CA_BUNDLE=", "SORTIE_COORDINATOR=",
		"XDG_STATE_HOME="+filepath.Join(tmp, "state"))
	const srcBucket = "bench-src"
	fmt.Fprintf(os.Stderr, "seeding %d × 4 KiB and %d × %d MiB\n", cfg.objects, cfg.large, cfg.largeSize>>20)
	if err := b.seed(srcBucket); err != nil {
		return err
	}
	cases := []string{"local"}
	for w := 1; w <= cfg.maxWorkers; w++ {
		cases = append(cases, fmt.Sprint(w))
	}
	results := map[string][]sample{}
	for r := range cfg.rounds {
		order := slices.Clone(cases)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, c := range order {
			dstBucket, err := b.fresh()
			if err != nil {
				return err
			}
			var s sample
			var before link.Counters
			if b.link != nil {
				before = b.link.Snapshot()
			}
			if c == "local" {
				s, err = b.local(srcBucket, dstBucket)
			} else {
				var n int
				fmt.Sscan(c, &n)
				s, err = b.coordinated(srcBucket, dstBucket, n)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name(c), err)
			}
			if b.link != nil {
				s.link = b.link.Snapshot().Since(before)
			}
			if err := b.check(dstBucket); err != nil {
				return fmt.Errorf("%s: %w", name(c), err)
			}
			if err := b.empty(dstBucket); err != nil {
				return err
			}
			results[c] = append(results[c], s)
			over := ""
			if b.link != nil {
				over = fmt.Sprintf("  %d conns, %d requests over the link", s.link.Conns, s.link.TotalReqs)
			}
			fmt.Fprintf(os.Stderr, "round %d  %-40s %7.2fs  load %s%s\n", r+1, name(c), s.wall.Seconds(), loadAverage(), over)
		}
	}
	b.report(out, cases, results)
	return nil
}

func name(c string) string {
	switch c {
	case "local":
		return "local sortie copy (journal)"
	case "1":
		return "coordinator, 1 worker"
	}
	return "coordinator, " + c + " workers"
}

func (b *bench) store(srv *s3test.Server, bucket string) (*s3store.Store, error) {
	return s3store.New(b.ctx, srv.Config(bucket, ""))
}

func (b *bench) total() int { return b.cfg.objects + b.cfg.large }

func (b *bench) bytes() int64 {
	return int64(b.cfg.objects)*smallSize + int64(b.cfg.large)*int64(b.cfg.largeSize)
}

func (b *bench) seed(bucket string) error {
	st, err := b.store(b.src, bucket)
	if err != nil {
		return err
	}
	if err := st.CreateBucket(b.ctx); err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(b.ctx)
	g.SetLimit(16)
	for i := range b.cfg.objects {
		g.Go(func() error {
			return fill.Put(ctx, st, fmt.Sprintf("dataset/part-%02d/object-%06d.bin", i%20, i), body(i, smallSize))
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	g, ctx = errgroup.WithContext(b.ctx)
	g.SetLimit(2)
	for i := range b.cfg.large {
		g.Go(func() error {
			return fill.PutMultipart(ctx, st, fmt.Sprintf("lab/volume-%d.raw", i), body(1000+i, b.cfg.largeSize), 8<<20)
		})
	}
	return g.Wait()
}

func body(i, size int) []byte {
	return bytes.Repeat([]byte{byte(i), byte(i >> 8), byte(i >> 16), '\n'}, size/4+1)[:size]
}

// fresh creates an empty destination bucket, outside the timing.
func (b *bench) fresh() (string, error) {
	b.counter++
	name := fmt.Sprintf("bench-dst-%d", b.counter)
	st, err := b.store(b.dst, name)
	if err != nil {
		return "", err
	}
	return name, st.CreateBucket(b.ctx)
}

// check confirms the destination holds every object.
func (b *bench) check(bucket string) error {
	st, err := b.store(b.dst, bucket)
	if err != nil {
		return err
	}
	return fill.Check(b.ctx, st, b.total())
}

// empty deletes a finished destination's objects, so that the rounds do
// not fill the disk or slow MinIO down.
func (b *bench) empty(bucket string) error {
	st, err := b.store(b.dst, bucket)
	if err != nil {
		return err
	}
	var keys []string
	for o, err := range st.List(b.ctx, "") {
		if err != nil {
			return err
		}
		keys = append(keys, o.Key)
	}
	g, ctx := errgroup.WithContext(b.ctx)
	g.SetLimit(16)
	for _, k := range keys {
		g.Go(func() error { return st.Delete(ctx, k) })
	}
	return g.Wait()
}

// Command farlink runs sortie and rclone side by side, in one run, with the
// source MinIO behind a simulated far link (a delaying, bandwidth-capped
// TCP proxy on 127.0.0.1; see bench/internal/link) and the destination MinIO on
// loopback: the exit where sortie runs at the new site and reads AWS over
// the WAN. It prints wall time, objects/s, MiB/s, what crossed the link
// (connections, requests by kind, bytes), and ratios against the targets.
//
// Cases (-case):
//
//	small  N objects of 4 KiB (default 2,000) into an empty bucket;
//	       ratio: sortie's objects/s ÷ rclone --transfers 32 --checkers 32
//	large  4 objects of -large-mib MiB (default 64; source uploaded in
//	       16 MiB parts) into an empty bucket;
//	       ratio: sortie's MiB/s ÷ the link's ceiling
//
// The link's ceiling is a plain transfer of the same bytes through the same
// link: a GET of each object, all at once, into io.Discard.
//
// Run it through bench/farlink.sh, which builds sortie and installs the
// pinned servers and rclone.
package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/bench/internal/fill"
	"github.com/sortie-dev/sortie/bench/internal/link"
	"github.com/sortie-dev/sortie/bench/internal/measure"
	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
)

type tool struct {
	name string
	run  func(srcBucket, dstBucket string) (result, error)
}

type result struct {
	wall time.Duration
	rss  int64         // KiB; 0 for in-process loops
	cpu  time.Duration // user + system time of the tool's process
	link link.Counters // what crossed the link during the run
	// firstReq and lastReq: when the first and the last request line
	// reached the link, from the tool's start.
	firstReq, lastReq time.Duration
}

type bench struct {
	ctx            context.Context
	src, dst       *s3test.Server
	far            *s3test.Server // the source as seen through the link
	link           *link.Link
	sortie, rclone string
	env            []string
	objects, size  int
	large          bool
	counter        int
	results        map[string][]result
}

func main() {
	which := flag.String("case", "small", "small or large")
	objects := flag.Int("objects", 2000, "objects in the small case")
	largeMiB := flag.Int("large-mib", 64, "size of each of the 4 objects in the large case, MiB")
	rounds := flag.Int("rounds", 3, "rounds (each runs every tool once, in alternating order)")
	rtt := flag.Duration("rtt", 40*time.Millisecond, "the link's round trip")
	mbit := flag.Float64("mbit", 200, "the link's bandwidth each way, Mbit/s")
	trace := flag.String("trace", "", "write each request over the link to this file (seconds from the tool's start, tool, connection, target)")
	sortieBin := flag.String("sortie", "sortie", "sortie binary")
	rcloneBin := flag.String("rclone", "rclone", "rclone binary")
	flag.Parse()
	if err := run(*which, *objects, *largeMiB, *rounds, *rtt, *mbit, *trace, *sortieBin, *rcloneBin); err != nil {
		fmt.Fprintln(os.Stderr, "farlink:", err)
		os.Exit(1)
	}
}

func run(which string, objects, largeMiB, rounds int, rtt time.Duration, mbit float64, trace, sortieBin, rcloneBin string) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "sortie-farlink-")
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
	u, err := url.Parse(src.Endpoint)
	if err != nil {
		return err
	}
	l, err := link.Start(u.Host, rtt, mbit*1e6)
	if err != nil {
		return err
	}
	defer l.Close()
	if trace != "" {
		f, err := os.Create(trace)
		if err != nil {
			return err
		}
		defer f.Close()
		l.SetTrace(f)
	}
	far := &s3test.Server{Kind: "minio-far", Endpoint: "http://" + l.Addr(), AccessKey: src.AccessKey, SecretKey: src.SecretKey}
	cfg, creds, err := s3test.ProfileFiles(tmp, map[string]*s3test.Server{"src": far, "near": src, "dst": dst})
	if err != nil {
		return err
	}
	b := &bench{ctx: ctx, src: src, dst: dst, far: far, link: l, sortie: sortieBin, rclone: rcloneBin,
		objects: objects, size: 4096, results: map[string][]result{}}
	b.env = append(os.Environ(),
		"AWS_CONFIG_FILE="+cfg, "AWS_SHARED_CREDENTIALS_FILE="+creds, "AWS_EC2_METADATA_DISABLED=true",
		"XDG_STATE_HOME="+filepath.Join(tmp, "state"),
		"RCLONE_CONFIG="+filepath.Join(tmp, "rclone.conf"),
		"RCLONE_CONFIG_SRC_TYPE=s3", "RCLONE_CONFIG_SRC_PROVIDER=Minio", "RCLONE_CONFIG_SRC_ENDPOINT="+far.Endpoint,
		"RCLONE_CONFIG_SRC_ACCESS_KEY_ID="+src.AccessKey, "RCLONE_CONFIG_SRC_SECRET_ACCESS_KEY="+src.SecretKey,
		"RCLONE_CONFIG_DST_TYPE=s3", "RCLONE_CONFIG_DST_PROVIDER=Minio", "RCLONE_CONFIG_DST_ENDPOINT="+dst.Endpoint,
		"RCLONE_CONFIG_DST_ACCESS_KEY_ID="+dst.AccessKey, "RCLONE_CONFIG_DST_SECRET_ACCESS_KEY="+dst.SecretKey,
	)
	if which == "large" {
		b.objects, b.size, b.large = 4, largeMiB<<20, true
	}
	srcBucket := "bench-src"
	if err := b.seed(srcBucket); err != nil {
		return err
	}
	tools := b.tools()
	for r := range rounds {
		order := slices.Clone(tools)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, t := range order {
			d, err := b.prepare()
			if err != nil {
				return err
			}
			before := l.Snapshot()
			l.TraceAs(fmt.Sprintf("round%d/%s", r+1, t.name))
			start := time.Now()
			res, err := t.run(srcBucket, d)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			res.link = l.Snapshot().Since(before)
			if !res.link.First.IsZero() {
				res.firstReq, res.lastReq = res.link.First.Sub(start), res.link.Last.Sub(start)
			}
			if t.name != ceilingName { // the ceiling only reads
				if err := b.check(d); err != nil {
					return fmt.Errorf("%s: %w", t.name, err)
				}
				if b.large {
					b.empty(d)
				}
			}
			b.results[t.name] = append(b.results[t.name], res)
			fmt.Fprintf(os.Stderr, "round %d  %-40s %8.2fs  %d conns, %d requests\n", r+1, t.name, res.wall.Seconds(), res.link.Conns, res.link.TotalReqs)
		}
	}
	b.report(which, rounds, rtt, mbit, tools)
	return nil
}

const (
	nearName      = "sortie, source on loopback (no link)"
	rcloneName    = "rclone --transfers 32 --checkers 32"
	ceilingName   = "link ceiling: plain GETs, all at once, into io.Discard"
	workers64Name = "sortie --workers 64"
)

func (b *bench) tools() []tool {
	sortie := func(from string, extra ...string) func(s, d string) (result, error) {
		return func(s, d string) (result, error) {
			args := append([]string{"copy", "s3://" + s, "s3://" + d, "--from-profile", from, "--to-profile", "dst"}, extra...)
			return timed(b.sortie, b.env, args...)
		}
	}
	ts := []tool{
		{"sortie", sortie("src")},
		// What the same copy costs with no link: the part of sortie's time
		// that is this machine's, not the link's.
		{nearName, sortie("near")},
		{rcloneName, func(s, d string) (result, error) {
			return timed(b.rclone, b.env, "copy", "src:"+s, "dst:"+d, "--transfers", "32", "--checkers", "32")
		}},
	}
	if b.large {
		ts = append(ts, tool{ceilingName, b.ceiling})
	} else {
		// Not a tuning of the engine: the same binary with a flag a user
		// has, to show what the default concurrency costs on this link.
		ts = append(ts, tool{workers64Name, sortie("src", "--workers", "64")})
	}
	return ts
}

func (b *bench) store(srv *s3test.Server, bucket string) (*s3store.Store, error) {
	return s3store.New(b.ctx, srv.Config(bucket, ""))
}

func (b *bench) key(i int) string {
	if b.large {
		return fmt.Sprintf("lab/volume-%d.raw", i)
	}
	return fmt.Sprintf("dataset/part-%02d/object-%06d.bin", i%20, i)
}

func (b *bench) body(i int) []byte {
	return bytes.Repeat([]byte{byte(i), byte(i >> 8), 0, '\n'}, b.size/4+1)[:b.size]
}

// seed fills the source directly, not through the link.
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
	for i := range b.objects {
		g.Go(func() error {
			body := b.body(i)
			if b.large {
				return fill.PutMultipart(ctx, st, b.key(i), body, 16<<20)
			}
			sum := md5.Sum(body)
			_, err := st.Put(ctx, store.PutInput{Key: b.key(i), Body: bytes.NewReader(body), Size: int64(len(body)), MD5: sum[:]})
			return err
		})
	}
	return g.Wait()
}

// prepare returns a fresh, empty destination bucket, made outside the
// timing.
func (b *bench) prepare() (string, error) {
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
	return fill.Check(b.ctx, st, b.objects)
}

func (b *bench) empty(bucket string) {
	st, err := b.store(b.dst, bucket)
	if err != nil {
		return
	}
	for i := range b.objects {
		st.Delete(b.ctx, b.key(i))
	}
}

// ceiling reads every object through the link at once, whole, into
// io.Discard: the same bytes the tools move, with nothing else.
func (b *bench) ceiling(srcBucket, _ string) (result, error) {
	st, err := b.store(b.far, srcBucket)
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	g, ctx := errgroup.WithContext(b.ctx)
	for i := range b.objects {
		g.Go(func() error {
			rc, _, err := st.Open(ctx, b.key(i), store.ReadOptions{Length: -1})
			if err != nil {
				return err
			}
			defer rc.Close()
			n, err := io.Copy(io.Discard, rc)
			if err == nil && n != int64(b.size) {
				err = fmt.Errorf("read %d bytes of %s, want %d", n, b.key(i), b.size)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return result{}, err
	}
	return result{wall: time.Since(start)}, nil
}

func (b *bench) report(which string, rounds int, rtt time.Duration, mbit float64, tools []tool) {
	desc := fmt.Sprintf("%d objects of 4 KiB", b.objects)
	if b.large {
		desc = fmt.Sprintf("4 objects of %d MiB (source uploaded in 16 MiB parts)", b.size>>20)
	}
	fmt.Printf("\ncase %s: %s into an empty bucket; source behind a %v round trip, %.0f Mbit/s link; destination on loopback; median of %d rounds\n\n",
		which, desc, rtt, mbit, rounds)
	fmt.Printf("| tool | wall s | objects/s | MiB/s | peak RSS MiB | CPU s | connections | requests over the link | requests/object | requests/connection | MiB down the link | first / last request at s |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, t := range tools {
		m := median(b.results[t.name])
		s := m.wall.Seconds()
		rss, cpu := "—", "—"
		if m.rss > 0 {
			rss = fmt.Sprintf("%.0f", float64(m.rss)/1024)
			cpu = fmt.Sprintf("%.2f", m.cpu.Seconds())
		}
		perConn := 0.0
		if m.link.Conns > 0 {
			perConn = float64(m.link.TotalReqs) / float64(m.link.Conns)
		}
		fmt.Printf("| %s | %.2f | %.0f | %.1f | %s | %s | %d | %d | %.2f | %.1f | %.1f | %.2f / %.2f |\n", t.name, s, float64(b.objects)/s,
			float64(b.objects)*float64(b.size)/s/(1<<20), rss, cpu, m.link.Conns, m.link.TotalReqs,
			float64(m.link.TotalReqs)/float64(b.objects), perConn, float64(m.link.Down)/(1<<20),
			m.firstReq.Seconds(), m.lastReq.Seconds())
	}
	fmt.Printf("\nrequests over the link by kind (median round of each tool):\n\n")
	for _, t := range tools {
		m := median(b.results[t.name])
		var kinds []string
		for k := range m.link.Reqs {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		var parts []string
		for _, k := range kinds {
			parts = append(parts, fmt.Sprintf("%s %d", k, m.link.Reqs[k]))
		}
		fmt.Printf("- %s: %s\n", t.name, strings.Join(parts, ", "))
	}
	wall := func(name string) float64 { return median(b.results[name]).wall.Seconds() }
	fmt.Println()
	if b.large {
		nominal := mbit * 1e6 / 8 / (1 << 20)
		mib := float64(b.objects) * float64(b.size) / (1 << 20)
		ceiling := mib / wall(ceilingName)
		fmt.Printf("link: nominal %.2f MiB/s, measured ceiling %.2f MiB/s (%.2f of nominal)\n", nominal, ceiling, ceiling/nominal)
		fmt.Printf("large: sortie %.2f MiB/s ÷ link ceiling = %.2f (target ≥ 0.9); rclone ÷ ceiling = %.2f\n",
			mib/wall("sortie"), mib/wall("sortie")/ceiling, mib/wall(rcloneName)/ceiling)
	} else {
		fmt.Printf("small: sortie objects/s ÷ rclone --transfers 32 --checkers 32 = %.2f (target ≥ 2); sortie --workers 64 ÷ rclone = %.2f\n",
			wall(rcloneName)/wall("sortie"), wall(rcloneName)/wall(workers64Name))
		fmt.Printf("round-trip bound at %v: %.0f objects/s per request in flight\n", rtt, 1/rtt.Seconds())
	}
}

func timed(bin string, env []string, args ...string) (result, error) {
	wall, rss, cpu, err := measure.Run(bin, env, args...)
	return result{wall: wall, rss: rss, cpu: cpu}, err
}

func median(rs []result) result {
	if len(rs) == 0 {
		return result{wall: 1}
	}
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b result) int { return int(a.wall - b.wall) })
	return s[len(s)/2]
}

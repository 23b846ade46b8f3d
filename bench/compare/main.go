// Command compare runs sortie and rclone side by side, in one run, on the
// same data between the same two MinIO servers on loopback, and prints wall
// time, objects/s, MiB/s, peak RSS and ratios. Each round runs every tool
// once, in alternating order; the table reports the median of the rounds.
//
// Cases (-case):
//
//	small   N objects of 4 KiB copied into an empty bucket
//	large   4 objects of 256 MiB (uploaded in 16 MiB parts) into an empty bucket
//	noop    a re-copy of the small case when nothing changed
//	change  a re-copy of the small case after 1% of the source changed
//
// small and large also measure the servers' ceiling: a plain parallel
// GET-then-PUT loop with the SDK, no journal and no checks, so the report
// says how close each tool comes to the limit of this machine.
//
// Run it through bench/compare.sh, which builds sortie and installs the
// pinned servers and rclone.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/bench/internal/fill"
	"github.com/sortie-dev/sortie/bench/internal/measure"
	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
)

type tool struct {
	name string
	// run copies srcBucket to dstBucket and returns its wall time and
	// peak RSS (KiB; 0 for the in-process ceiling).
	run func(srcBucket, dstBucket string) (result, error)
}

type result struct {
	wall time.Duration
	rss  int64         // KiB
	cpu  time.Duration // user + system time of the tool's process
}

type bench struct {
	ctx            context.Context
	src, dst       *s3test.Server
	sortie, rclone string
	rcloneEnv      []string
	objects, size  int
	large          bool
	counter        int
	results        map[string][]result
}

func main() {
	which := flag.String("case", "small", "small, large, noop or change")
	objects := flag.Int("objects", 10000, "objects in the small, noop and change cases")
	rounds := flag.Int("rounds", 3, "rounds (each runs every tool once)")
	sortieBin := flag.String("sortie", "sortie", "sortie binary")
	rcloneBin := flag.String("rclone", "rclone", "rclone binary")
	flag.Parse()
	if err := run(*which, *objects, *rounds, *sortieBin, *rcloneBin); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(which string, objects, rounds int, sortieBin, rcloneBin string) error {
	ctx := context.Background()
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
	if err := profiles(tmp, src, dst); err != nil {
		return err
	}
	b := &bench{ctx: ctx, src: src, dst: dst, sortie: sortieBin, rclone: rcloneBin, objects: objects, size: 4096,
		results: map[string][]result{}}
	b.rcloneEnv = []string{
		"RCLONE_CONFIG=" + filepath.Join(tmp, "rclone.conf"),
		"RCLONE_CONFIG_SRC_TYPE=s3", "RCLONE_CONFIG_SRC_PROVIDER=Minio", "RCLONE_CONFIG_SRC_ENDPOINT=" + src.Endpoint,
		"RCLONE_CONFIG_SRC_ACCESS_KEY_ID=" + src.AccessKey, "RCLONE_CONFIG_SRC_SECRET_ACCESS_KEY=" + src.SecretKey,
		"RCLONE_CONFIG_DST_TYPE=s3", "RCLONE_CONFIG_DST_PROVIDER=Minio", "RCLONE_CONFIG_DST_ENDPOINT=" + dst.Endpoint,
		"RCLONE_CONFIG_DST_ACCESS_KEY_ID=" + dst.AccessKey, "RCLONE_CONFIG_DST_SECRET_ACCESS_KEY=" + dst.SecretKey,
	}
	if which == "large" {
		b.objects, b.size, b.large = 4, 256<<20, true
	}
	srcBucket := "bench-src"
	if err := b.seed(srcBucket); err != nil {
		return err
	}
	tools := b.tools(which == "small" || which == "large")
	for r := range rounds {
		order := slices.Clone(tools)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		// Destinations per tool, prepared outside the timing.
		dsts := map[string]string{}
		for _, t := range order {
			d, err := b.prepare(which, srcBucket)
			if err != nil {
				return err
			}
			dsts[t.name] = d
		}
		if which == "change" {
			if err := b.change(srcBucket, r+1); err != nil {
				return err
			}
		}
		for _, t := range order {
			res, err := t.run(srcBucket, dsts[t.name])
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			if err := b.check(dsts[t.name]); err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			b.results[t.name] = append(b.results[t.name], res)
			fmt.Fprintf(os.Stderr, "round %d  %-40s %8.2fs\n", r+1, t.name, res.wall.Seconds())
			if b.large {
				b.empty(dsts[t.name]) // 1 GiB a run: keep the disk in bounds
			}
		}
	}
	b.report(which, rounds, tools)
	return nil
}

func (b *bench) tools(withCeiling bool) []tool {
	env := append(os.Environ(), b.rcloneEnv...)
	ts := []tool{
		{"sortie", func(s, d string) (result, error) {
			return timed(b.sortie, env, "copy", "s3://"+s, "s3://"+d, "--from-profile", "src", "--to-profile", "dst", "--create-bucket")
		}},
		{"rclone (defaults)", func(s, d string) (result, error) {
			return timed(b.rclone, env, "copy", "src:"+s, "dst:"+d)
		}},
		{"rclone --transfers 32 --checkers 32", func(s, d string) (result, error) {
			return timed(b.rclone, env, "copy", "src:"+s, "dst:"+d, "--transfers", "32", "--checkers", "32")
		}},
	}
	if withCeiling {
		ts = append(ts, tool{"ceiling: plain GET→PUT loop", b.ceiling})
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

func (b *bench) body(i, version int) []byte {
	return bytes.Repeat([]byte{byte(i), byte(i >> 8), byte(version), '\n'}, b.size/4+1)[:b.size]
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
	for i := range b.objects {
		g.Go(func() error {
			if b.large {
				return fill.PutMultipart(ctx, st, b.key(i), b.body(i, 0), 16<<20)
			}
			return fill.Put(ctx, st, b.key(i), b.body(i, 0))
		})
	}
	return g.Wait()
}

// prepare returns a fresh destination bucket: empty for the copy cases,
// already holding a copy of the source for the re-copy cases (made by
// sortie, outside the timing; rclone recognises its mtime metadata).
func (b *bench) prepare(which, srcBucket string) (string, error) {
	b.counter++
	name := fmt.Sprintf("bench-dst-%d", b.counter)
	st, err := b.store(b.dst, name)
	if err != nil {
		return "", err
	}
	if err := st.CreateBucket(b.ctx); err != nil {
		return "", err
	}
	if which == "noop" || which == "change" {
		if _, err := timed(b.sortie, os.Environ(), "copy", "s3://"+srcBucket, "s3://"+name, "--from-profile", "src", "--to-profile", "dst", "--no-journal"); err != nil {
			return "", fmt.Errorf("prepare %s: %w", name, err)
		}
	}
	return name, nil
}

// change rewrites 1% of the source's objects with new content.
func (b *bench) change(bucket string, version int) error {
	st, err := b.store(b.src, bucket)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(b.ctx)
	g.SetLimit(16)
	for i := 0; i < b.objects; i += 100 {
		g.Go(func() error { return fill.Put(ctx, st, b.key(i), b.body(i, version)) })
	}
	return g.Wait()
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

// ceiling copies with nothing but the SDK: ranged GETs of 16 MiB into
// buffers and PUTs (UploadPart for large objects), 32 at a time — no
// listing of the destination, no hashing, no journal, no checks.
func (b *bench) ceiling(srcBucket, dstBucket string) (result, error) {
	src, err := b.store(b.src, srcBucket)
	if err != nil {
		return result{}, err
	}
	dst, err := b.store(b.dst, dstBucket)
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	g, ctx := errgroup.WithContext(b.ctx)
	g.SetLimit(32)
	const part = 16 << 20
	for i := range b.objects {
		key := b.key(i)
		if !b.large {
			g.Go(func() error {
				buf, err := readAll(ctx, src, key, store.ReadOptions{Length: -1})
				if err != nil {
					return err
				}
				_, err = dst.Put(ctx, store.PutInput{Key: key, Body: bytes.NewReader(buf), Size: int64(len(buf))})
				return err
			})
			continue
		}
		id, err := dst.CreateMultipart(ctx, key, store.Metadata{}, "")
		if err != nil {
			return result{}, err
		}
		n := (b.size + part - 1) / part
		parts := make([]store.Part, n)
		pg, pctx := errgroup.WithContext(ctx)
		pg.SetLimit(32)
		for p := range n {
			pg.Go(func() error {
				buf, err := readAll(pctx, src, key, store.ReadOptions{Offset: int64(p * part), Length: part})
				if err != nil {
					return err
				}
				etag, err := dst.UploadPart(pctx, key, id, p+1, bytes.NewReader(buf), int64(len(buf)), nil)
				parts[p] = store.Part{Number: p + 1, ETag: etag, Size: int64(len(buf))}
				return err
			})
		}
		if err := pg.Wait(); err != nil {
			return result{}, err
		}
		if _, err := dst.CompleteMultipart(ctx, key, id, parts); err != nil {
			return result{}, err
		}
	}
	if err := g.Wait(); err != nil {
		return result{}, err
	}
	return result{wall: time.Since(start)}, nil
}

// readAll reads an object, or the range opts names, into memory.
func readAll(ctx context.Context, st *s3store.Store, key string, opts store.ReadOptions) ([]byte, error) {
	rc, _, err := st.Open(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func (b *bench) report(which string, rounds int, tools []tool) {
	desc := map[string]string{
		"small":  fmt.Sprintf("%d objects of 4 KiB into an empty bucket", b.objects),
		"large":  "4 objects of 256 MiB (source uploaded in 16 MiB parts) into an empty bucket",
		"noop":   fmt.Sprintf("re-copy of %d objects of 4 KiB, nothing changed", b.objects),
		"change": fmt.Sprintf("re-copy of %d objects of 4 KiB after 1%% of the source changed", b.objects),
	}[which]
	fmt.Printf("\ncase %s: %s, MinIO → MinIO on loopback, median of %d rounds\n\n", which, desc, rounds)
	fmt.Printf("| tool | wall s | objects/s | MiB/s | peak RSS MiB | tool's own CPU s | sortie's speed ÷ this |\n|---|---|---|---|---|---|---|\n")
	sortie := median(b.results["sortie"]).wall.Seconds()
	for _, t := range tools {
		m := median(b.results[t.name])
		s := m.wall.Seconds()
		rss, cpu := "—", "—"
		if m.rss > 0 {
			rss = fmt.Sprintf("%.0f", float64(m.rss)/1024)
			cpu = fmt.Sprintf("%.2f", m.cpu.Seconds())
		}
		fmt.Printf("| %s | %.2f | %.0f | %.1f | %s | %s | %.2f× |\n", t.name, s, float64(b.objects)/s,
			float64(b.objects)*float64(b.size)/s/(1<<20), rss, cpu, s/sortie)
	}
}

func profiles(dir string, src, dst *s3test.Server) error {
	cfg, creds, err := s3test.ProfileFiles(dir, map[string]*s3test.Server{"src": src, "dst": dst})
	if err != nil {
		return err
	}
	os.Setenv("AWS_CONFIG_FILE", cfg)
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	return nil
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

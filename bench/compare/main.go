// Command compare runs sortie and rclone side by side, in one run, on the
// same data between the same two MinIO servers on loopback, and prints wall
// time, objects/s, MiB/s, peak RSS and the ratio to rclone. Each round runs
// every tool once, in alternating order, into a fresh destination bucket;
// the table reports the median of the rounds.
//
// Run it through bench/compare.sh, which builds sortie and installs the
// pinned servers and rclone.
package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
)

type tool struct {
	name string
	// args builds the command line for a copy of srcBucket to dstBucket.
	args func(srcBucket, dstBucket string) []string
	bin  string
}

type result struct {
	wall time.Duration
	rss  int64 // KiB
}

func main() {
	objects := flag.Int("objects", 2000, "objects to copy")
	size := flag.Int("size", 4096, "bytes per object")
	rounds := flag.Int("rounds", 3, "rounds (each runs every tool once)")
	sortieBin := flag.String("sortie", "sortie", "sortie binary")
	rcloneBin := flag.String("rclone", "rclone", "rclone binary")
	flag.Parse()
	if err := run(*objects, *size, *rounds, *sortieBin, *rcloneBin); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(objects, size, rounds int, sortieBin, rcloneBin string) error {
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
	srcBucket := "bench-src"
	if err := seed(ctx, src, srcBucket, objects, size); err != nil {
		return err
	}
	rcloneEnv := []string{
		"RCLONE_CONFIG=" + filepath.Join(tmp, "rclone.conf"),
		"RCLONE_CONFIG_SRC_TYPE=s3", "RCLONE_CONFIG_SRC_PROVIDER=Minio", "RCLONE_CONFIG_SRC_ENDPOINT=" + src.Endpoint,
		"RCLONE_CONFIG_SRC_ACCESS_KEY_ID=" + src.AccessKey, "RCLONE_CONFIG_SRC_SECRET_ACCESS_KEY=" + src.SecretKey,
		"RCLONE_CONFIG_DST_TYPE=s3", "RCLONE_CONFIG_DST_PROVIDER=Minio", "RCLONE_CONFIG_DST_ENDPOINT=" + dst.Endpoint,
		"RCLONE_CONFIG_DST_ACCESS_KEY_ID=" + dst.AccessKey, "RCLONE_CONFIG_DST_SECRET_ACCESS_KEY=" + dst.SecretKey,
	}
	tools := []tool{
		{name: "sortie", bin: sortieBin, args: func(s, d string) []string {
			return []string{"copy", "s3://" + s, "s3://" + d, "--from-profile", "src", "--to-profile", "dst", "--create-bucket"}
		}},
		{name: "sortie --no-journal", bin: sortieBin, args: func(s, d string) []string {
			return []string{"copy", "s3://" + s, "s3://" + d, "--from-profile", "src", "--to-profile", "dst", "--create-bucket", "--no-journal"}
		}},
		{name: "rclone (defaults)", bin: rcloneBin, args: func(s, d string) []string {
			return []string{"copy", "src:" + s, "dst:" + d}
		}},
		{name: "rclone --transfers 32 --checkers 32", bin: rcloneBin, args: func(s, d string) []string {
			return []string{"copy", "src:" + s, "dst:" + d, "--transfers", "32", "--checkers", "32"}
		}},
	}
	results := make(map[string][]result)
	for r := range rounds {
		order := slices.Clone(tools)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for i, t := range order {
			dstBucket := fmt.Sprintf("bench-dst-%d-%d", r, i)
			env := append(os.Environ(), rcloneEnv...)
			res, err := timed(t.bin, t.args(srcBucket, dstBucket), env)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			if err := check(ctx, dst, dstBucket, objects); err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			results[t.name] = append(results[t.name], res)
			fmt.Fprintf(os.Stderr, "round %d  %-36s %8.2fs\n", r+1, t.name, res.wall.Seconds())
		}
	}
	fmt.Printf("\n%d objects of %d bytes, MinIO → MinIO on loopback, median of %d rounds\n\n", objects, size, rounds)
	fmt.Printf("| tool | wall s | objects/s | MiB/s | peak RSS MiB | objects/s vs rclone defaults |\n|---|---|---|---|---|---|\n")
	base := median(results["rclone (defaults)"]).wall.Seconds()
	for _, t := range tools {
		m := median(results[t.name])
		s := m.wall.Seconds()
		fmt.Printf("| %s | %.2f | %.0f | %.2f | %.0f | %.2f× |\n", t.name, s, float64(objects)/s,
			float64(objects*size)/s/(1<<20), float64(m.rss)/1024, base/s)
	}
	return nil
}

func profiles(dir string, src, dst *s3test.Server) error {
	cfg := fmt.Sprintf("[profile src]\nregion = us-east-1\nendpoint_url = %s\n\n[profile dst]\nregion = us-east-1\nendpoint_url = %s\n", src.Endpoint, dst.Endpoint)
	creds := fmt.Sprintf("[src]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n[dst]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		src.AccessKey, src.SecretKey, dst.AccessKey, dst.SecretKey)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte(creds), 0o600); err != nil {
		return err
	}
	os.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	return nil
}

func seed(ctx context.Context, srv *s3test.Server, bucket string, n, size int) error {
	st, err := s3store.New(ctx, srv.Config(bucket, ""))
	if err != nil {
		return err
	}
	if err := st.CreateBucket(ctx); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range n {
		g.Go(func() error {
			b := bytes.Repeat([]byte{byte(i), byte(i >> 8), 'x', '\n'}, size/4+1)[:size]
			sum := md5.Sum(b)
			_, err := st.Put(gctx, store.PutInput{Key: fmt.Sprintf("dataset/part-%02d/object-%06d.bin", i%20, i), Body: bytes.NewReader(b), Size: int64(size), MD5: sum[:]})
			return err
		})
	}
	return g.Wait()
}

// check confirms the tool really copied everything.
func check(ctx context.Context, srv *s3test.Server, bucket string, want int) error {
	st, err := s3store.New(ctx, srv.Config(bucket, ""))
	if err != nil {
		return err
	}
	n := 0
	for _, err := range st.List(ctx, "") {
		if err != nil {
			return err
		}
		n++
	}
	if n != want {
		return fmt.Errorf("destination has %d objects, want %d", n, want)
	}
	return nil
}

var mu sync.Mutex

func timed(bin string, args, env []string) (result, error) {
	mu.Lock()
	defer mu.Unlock()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return result{}, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rss int64
	if ru != nil {
		rss = ru.Maxrss
	}
	return result{wall: wall, rss: rss}, nil
}

func median(rs []result) result {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b result) int { return int(a.wall - b.wall) })
	return s[len(s)/2]
}

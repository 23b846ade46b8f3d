// Command versions measures what a history copy costs against a copy of
// the current objects: the same versioned MinIO bucket copied both ways, to
// a second MinIO on loopback, rounds interleaved in one run.
//
//	bench/versions.sh [-keys 1000] [-versions 4] [-rounds 3]
package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
)

func main() {
	keys := flag.Int("keys", 1000, "keys in the source bucket")
	versions := flag.Int("versions", 4, "versions of each key (every fifth key also gets a delete marker on top)")
	size := flag.Int("size", 16<<10, "bytes per version")
	rounds := flag.Int("rounds", 3, "rounds of each copy")
	bin := flag.String("sortie", "bench/out/sortie", "the sortie binary")
	flag.Parse()
	if err := run(*keys, *versions, *size, *rounds, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "versions:", err)
		os.Exit(1)
	}
}

func run(keys, versions, size, rounds int, bin string) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "sortie-versions-")
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
	st, err := s3store.New(ctx, src.Config("history", ""))
	if err != nil {
		return err
	}
	if err := st.CreateBucketWith(ctx, store.BucketSpec{Versioning: store.VersioningEnabled}); err != nil {
		return err
	}
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range keys {
		g.Go(func() error {
			key := fmt.Sprintf("records/%03d/doc-%06d.pdf", i%100, i)
			for v := range versions {
				b := bytes.Repeat([]byte{byte(i + v)}, size)
				sum := md5.Sum(b)
				if _, err := st.Put(gctx, store.PutInput{Key: key, Body: bytes.NewReader(b), Size: int64(len(b)), MD5: sum[:]}); err != nil {
					return err
				}
			}
			if i%5 == 0 {
				_, err := st.AddDeleteMarker(gctx, key)
				return err
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seeded %d keys × %d versions in %.1fs\n", keys, versions, time.Since(start).Seconds())
	times := map[string][]time.Duration{}
	for r := range rounds {
		for _, c := range []struct{ name, flag string }{{"copy", ""}, {"copy --versions", "--versions"}} {
			args := []string{"copy", "s3://history", fmt.Sprintf("s3://round-%d-%d", r, len(c.flag)), "--from-profile", "src", "--to-profile", "dst", "--create-bucket", "--no-journal"}
			if c.flag != "" {
				args = append(args, c.flag)
			}
			cmd := exec.Command(bin, args...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			t0 := time.Now()
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s: %v\n%s", c.name, err, out.String())
			}
			times[c.name] = append(times[c.name], time.Since(t0))
		}
	}
	plain, hist := median(times["copy"]), median(times["copy --versions"])
	current := keys - (keys+4)/5
	entries := keys*versions + (keys+4)/5
	fmt.Printf("\n%d keys × %d versions of %d KiB (+ a delete marker on every fifth key), MinIO → MinIO on loopback, median of %d rounds\n\n", keys, versions, size>>10, rounds)
	fmt.Printf("| command | writes | seconds | writes/s | time ratio |\n|---|---|---|---|---|\n")
	fmt.Printf("| sortie copy | %d current objects | %.2f | %.0f | 1.00× |\n", current, plain.Seconds(), float64(current)/plain.Seconds())
	fmt.Printf("| sortie copy --versions | %d versions and markers | %.2f | %.0f | %.2f× |\n", entries, hist.Seconds(), float64(entries)/hist.Seconds(), hist.Seconds()/plain.Seconds())
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func profiles(dir string, src, dst *s3test.Server) error {
	cfg, creds, err := s3test.ProfileFiles(dir, map[string]*s3test.Server{"src": src, "dst": dst})
	if err != nil {
		return err
	}
	os.Setenv("AWS_CONFIG_FILE", cfg)
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return nil
}

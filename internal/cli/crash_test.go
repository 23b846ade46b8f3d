package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/journal"
	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the real sortie command once per test binary: crash tests
// kill a process, not a goroutine.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sortie-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "sortie")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/sortie-dev/sortie/cmd/sortie").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// crashCorpus mixes small objects, multipart objects read by part number
// (mirrored), and large plain-MD5 objects copied in ranges (their
// whole-body hash state must survive a kill).
func crashCorpus(t *testing.T, srv *s3test.Server, bucket string) int {
	t.Helper()
	st := srv.Store(t, bucket, "")
	n := 0
	for i := range 150 {
		storetest.Put(t, st, fmt.Sprintf("small/%03d.dat", i), body(1024+i*200, byte(i)), store.Metadata{ContentType: "application/octet-stream"})
		n++
	}
	for i := range 5 {
		multipart(t, st, fmt.Sprintf("multi/%d.bin", i), body(15<<20+i*1000, byte(40+i)), 5<<20, store.Metadata{User: map[string]string{"i": fmt.Sprint(i)}})
		n++
	}
	for i := range 2 {
		storetest.Put(t, st, fmt.Sprintf("plain/%d.bin", i), body(11<<20+i, byte(90+i)), store.Metadata{})
		n++
	}
	return n
}

type proc struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan struct{}
}

func startSortie(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(binary(t), args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.Env = os.Environ()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	return p
}

func (p *proc) exitCode() int { return p.cmd.ProcessState.ExitCode() }

// events parses the JSON lines a run printed; a line cut by a kill is
// skipped.
func events(out string, kind string) []map[string]any {
	var evs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["event"] == kind {
			evs = append(evs, m)
		}
	}
	return evs
}

func TestKillNineAndResume(t *testing.T) {
	src, dst, _ := servers(t)
	sb, db := src.Bucket(t), dst.Bucket(t)
	objects := crashCorpus(t, src, sb)
	jpath := filepath.Join(t.TempDir(), "job.db")
	args := []string{"copy", "s3://" + sb, "s3://" + db, "--from-profile", "src", "--to-profile", "dst",
		"--part-size", "5MiB", "--bwlimit", "10MiB", "--workers", "2", "--json", "--journal", jpath}

	seed := uint64(time.Now().UnixNano())
	t.Logf("kill schedule seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	kills, resumedParts := 0, 0
	for attempt := 0; attempt < 14 && kills < 12; attempt++ {
		p := startSortie(t, args...)
		delay := 150*time.Millisecond + time.Duration(rng.Int64N(int64(1250*time.Millisecond)))
		select {
		case <-p.done:
			t.Logf("attempt %d finished before its kill point (exit %d)", attempt, p.exitCode())
		case <-time.After(delay):
			p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
			kills++
		}
		for _, e := range events(p.stdout.String(), "resumed") {
			if !strings.Contains(e["reason"].(string), ": 0 of") {
				resumedParts++
			}
		}
		if out := p.stderr.String(); strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
			t.Fatalf("stack trace on stderr:\n%s", out)
		}
	}
	if kills < 10 {
		t.Fatalf("only %d kill points landed mid-run, want at least 10", kills)
	}
	p := startSortie(t, args...)
	select {
	case <-p.done:
	case <-time.After(5 * time.Minute):
		p.cmd.Process.Kill()
		t.Fatal("the final resume did not finish")
	}
	if p.exitCode() != 0 {
		t.Fatalf("final resume exit %d\n%s\n%s", p.exitCode(), p.stdout.String(), p.stderr.String())
	}
	for _, e := range events(p.stdout.String(), "resumed") {
		if !strings.Contains(e["reason"].(string), ": 0 of") {
			resumedParts++
		}
	}
	t.Logf("%d kill -9 points, %d objects, %d multipart uploads continued from confirmed parts", kills, objects, resumedParts)
	if resumedParts == 0 {
		t.Error("no multipart upload was continued from its confirmed parts")
	}

	// Every object arrived intact, nothing else did, no upload is left
	// open, and the journal accounts for every object at the destination.
	if code, out, errs := sortie(t, "verify", "--exact", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst"); code != 0 {
		t.Fatalf("verify after resumes: %d\n%s\n%s", code, out, errs)
	}
	ds := dst.Store(t, db, "")
	if ups, err := ds.ListUploads(context.Background(), ""); err != nil || len(ups) != 0 {
		t.Errorf("multipart uploads left open: %v %v", ups, err)
	}
	atDst := len(storetest.Keys(t, ds))
	in, err := journal.Inspect(context.Background(), jpath)
	if err != nil {
		t.Fatal(err)
	}
	if in.Done != int64(atDst) || atDst != objects || in.Failed != 0 || in.InProgress != 0 || in.Uploads != 0 {
		t.Errorf("journal: %d done, %d failed, %d in progress, %d uploads; destination holds %d of %d", in.Done, in.Failed, in.InProgress, in.Uploads, atDst, objects)
	}
}

func TestInterruptThenResume(t *testing.T) {
	src, dst, _ := servers(t)
	sb, db := src.Bucket(t), dst.Bucket(t)
	crashCorpus(t, src, sb)
	jpath := filepath.Join(t.TempDir(), "job.db")
	args := []string{"copy", "s3://" + sb, "s3://" + db, "--from-profile", "src", "--to-profile", "dst",
		"--part-size", "5MiB", "--bwlimit", "20MiB", "--journal", jpath}
	p := startSortie(t, args...)
	time.Sleep(1500 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGINT)
	start := time.Now()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		t.Fatal("no exit within 10 s of SIGINT")
	}
	t.Logf("exited %v after SIGINT", time.Since(start).Round(time.Millisecond))
	if p.exitCode() != 130 {
		t.Fatalf("exit %d after SIGINT, want 130\n%s\n%s", p.exitCode(), p.stdout.String(), p.stderr.String())
	}
	if !strings.Contains(p.stdout.String(), "run the same command again") {
		t.Errorf("no resume instructions:\n%s", p.stdout.String())
	}
	in, err := journal.Inspect(context.Background(), jpath)
	if err != nil || in.State != "interrupted" {
		t.Errorf("journal after SIGINT: %+v %v", in, err)
	}
	p = startSortie(t, args...)
	<-p.done
	if p.exitCode() != 0 {
		t.Fatalf("resume exit %d\n%s", p.exitCode(), p.stderr.String())
	}
	if code, out, _ := sortie(t, "verify", "--exact", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst"); code != 0 {
		t.Fatalf("verify: %d\n%s", code, out)
	}
}

func TestCorruptJournal(t *testing.T) {
	src, dst, _ := servers(t)
	sb, db := src.Bucket(t), dst.Bucket(t)
	storetest.Put(t, src.Store(t, sb, ""), "a", []byte("a"), store.Metadata{})
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want string
	}{
		{"garbage", "definitely not SQLite", "not a sortie journal"},
		{"truncated", "SQLite format 3\x00" + strings.Repeat("\x00", 500), "journal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jpath := filepath.Join(dir, tc.name+".db")
			os.WriteFile(jpath, []byte(tc.content), 0o600)
			code, out, errs := sortie(t, "copy", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst", "--journal", jpath)
			if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errs)
			}
			if keys := storetest.Keys(t, dst.Store(t, db, "")); len(keys) != 0 {
				t.Errorf("destination changed: %q", keys)
			}
			if b, _ := os.ReadFile(jpath); string(b) != tc.content {
				t.Error("the journal was overwritten")
			}
			if _, err := os.Stat(jpath + "-wal"); !errors.Is(err, os.ErrNotExist) {
				t.Error("a WAL file was created beside the refused journal")
			}
		})
	}
}

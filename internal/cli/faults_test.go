package cli_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/journal"
	"github.com/sortie-dev/sortie/internal/s3test"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// faultCorpus is smaller than the crash corpus: faults multiply requests.
func faultCorpus(t *testing.T, srv *s3test.Server, bucket string) {
	t.Helper()
	st := srv.Store(t, bucket, "")
	for i := range 60 {
		storetest.Put(t, st, fmt.Sprintf("small/%02d.dat", i), body(2000+i*300, byte(i)), store.Metadata{User: map[string]string{"n": fmt.Sprint(i)}})
	}
	multipart(t, st, "multi/a.bin", body(11<<20, 1), 5<<20, store.Metadata{})
	multipart(t, st, "multi/b.bin", body(10<<20+3, 2), 5<<20, store.Metadata{})
	storetest.Put(t, st, "plain/c.bin", body(11<<20+7, 3), store.Metadata{})
}

// Resets and truncated bodies on the source side, 503 SlowDown, 429 and
// 500 storms and latency on the destination side: every object still
// arrives intact, and no bad response becomes a stored object.
func TestHostileNetwork(t *testing.T) {
	src, dst, vgw := servers(t)
	sb, db := src.Bucket(t), dst.Bucket(t)
	faultCorpus(t, src, sb)
	seed := uint64(time.Now().UnixNano())
	t.Logf("fault seed %d", seed)
	sp := s3test.StartProxy(t, src, s3test.Faults{Seed: seed, Reset: 0.08, Truncate: 0.08, Latency: 2 * time.Millisecond, MaxFaults: 60})
	dp := s3test.StartProxy(t, dst, s3test.Faults{Seed: seed + 1, SlowDown: 0.15, Throttle: 0.05, Status500: 0.05, Latency: 2 * time.Millisecond, MaxFaults: 120})
	s3test.WriteProfiles(t, map[string]*s3test.Server{"src": src, "dst": dst, "vgw": vgw, "badsrc": sp.Server(), "baddst": dp.Server()})

	code, out, errs := sortie(t, "copy", "s3://"+sb, "s3://"+db, "--from-profile", "badsrc", "--to-profile", "baddst", "--part-size", "5MiB", "--workers", "8")
	if code != 0 {
		t.Fatalf("copy through faults: exit %d\n%s\n%s", code, out, errs)
	}
	t.Logf("source faults %v, destination faults %v", sp.Injected(), dp.Injected())
	if sp.Injected()["reset"]+sp.Injected()["truncate"] == 0 || dp.Injected()["slowdown"] == 0 {
		t.Fatalf("the proxies injected too little to prove anything: %v %v", sp.Injected(), dp.Injected())
	}
	// Verified directly against the servers, not through the proxies.
	if code, out, errs := sortie(t, "verify", "--exact", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst"); code != 0 {
		t.Fatalf("verify: %d\n%s\n%s", code, out, errs)
	}
	if ups, err := dst.Store(t, db, "").ListUploads(context.Background(), ""); err != nil || len(ups) != 0 {
		t.Errorf("uploads left open: %v %v", ups, err)
	}
}

// A destination that silently corrupts one object's body: sortie sees that
// the ETag is not the MD5 of what it sent, retries, then reports the object
// failed; the journal never records it done.
func TestSilentlyCorruptingDestination(t *testing.T) {
	src, dst, vgw := servers(t)
	sb, db := src.Bucket(t), dst.Bucket(t)
	st := src.Store(t, sb, "")
	storetest.Put(t, st, "good.txt", []byte("fine"), store.Metadata{})
	storetest.Put(t, st, "victim.bin", body(4096, 5), store.Metadata{})
	multipart(t, st, "big-victim.bin", body(10<<20, 6), 5<<20, store.Metadata{})
	dp := s3test.StartProxy(t, dst, s3test.Faults{CorruptKey: "victim.bin"})
	dp2 := s3test.StartProxy(t, dst, s3test.Faults{CorruptKey: "big-victim.bin"})
	s3test.WriteProfiles(t, map[string]*s3test.Server{"src": src, "dst": dst, "vgw": vgw, "corrupt": dp.Server(), "corrupt2": dp2.Server()})
	jpath := t.TempDir() + "/j.db"

	buckets := map[string]string{"corrupt": db, "corrupt2": dst.Bucket(t)}
	for _, profile := range []string{"corrupt", "corrupt2"} {
		code, out, errs := sortie(t, "copy", "s3://"+sb, "s3://"+buckets[profile], "--from-profile", "src", "--to-profile", profile, "--part-size", "5MiB", "--journal", jpath+profile)
		victim := map[string]string{"corrupt": "victim.bin", "corrupt2": "big-victim.bin"}[profile]
		if code != 1 || !strings.Contains(out, victim+":") || !strings.Contains(out, "checksum mismatch") {
			t.Fatalf("%s: exit %d, want 1 with %s failed\n%s\n%s", profile, code, victim, out, errs)
		}
		if dp.Injected()["corrupt"]+dp2.Injected()["corrupt"] == 0 {
			t.Fatal("nothing was corrupted")
		}
		fails, err := journal.Failures(context.Background(), jpath+profile, 10)
		if err != nil || len(fails) != 1 || fails[0].Key != victim {
			t.Errorf("%s: journal failures %+v %v", profile, fails, err)
		}
		in, _ := journal.Inspect(context.Background(), jpath+profile)
		if in.State != "failed" {
			t.Errorf("%s: journal state %q, want failed", profile, in.State)
		}
	}
	// verify agrees that the victims are not intact.
	for profile, b := range buckets {
		code, out, _ := sortie(t, "verify", "s3://"+sb, "s3://"+b, "--from-profile", "src", "--to-profile", "dst")
		if code != 1 || !strings.Contains(out, "victim.bin") {
			t.Errorf("verify after %s: %d\n%s", profile, code, out)
		}
	}
}

// A destination that throttles half of all requests, and refuses one hot
// key eight times in a row — more than the five attempts sortie gives other
// failures: the run slows down instead of failing, and delivers everything.
func TestThrottlingServer(t *testing.T) {
	src, dst, vgw := servers(t)
	sb, db := src.Bucket(t), dst.Bucket(t)
	faultCorpus(t, src, sb)
	storetest.Put(t, src.Store(t, sb, ""), "hot/key.bin", body(5000, 9), store.Metadata{})
	dp := s3test.StartProxy(t, dst, s3test.Faults{Seed: uint64(time.Now().UnixNano()), SlowDown: 0.4, Throttle: 0.1, MaxFaults: 400,
		ThrottleKey: "hot/key.bin", ThrottleFirst: 8})
	s3test.WriteProfiles(t, map[string]*s3test.Server{"src": src, "dst": dst, "vgw": vgw, "throttling": dp.Server()})
	code, out, errs := sortie(t, "copy", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "throttling", "--part-size", "5MiB")
	t.Logf("throttled: %v", dp.Injected())
	if code != 0 {
		t.Fatalf("copy against a throttling server: exit %d\n%s\n%s", code, out, errs)
	}
	if dp.Injected()["hot-key"] != 8 || dp.Injected()["slowdown"] < 20 {
		t.Fatalf("too little throttling to prove anything: %v", dp.Injected())
	}
	if code, out, _ := sortie(t, "verify", "--exact", "s3://"+sb, "s3://"+db, "--from-profile", "src", "--to-profile", "dst"); code != 0 {
		t.Fatalf("verify: %d\n%s", code, out)
	}
}

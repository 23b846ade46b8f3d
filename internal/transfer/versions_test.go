package transfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/diff"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/faulty"
	"github.com/sortie-dev/sortie/internal/store/mem"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

// entry is one history entry as the tests compare them: what a copy must
// reproduce, never the IDs the destination gives.
type entry struct {
	Marker bool
	Body   string
	Source string // the source version ID a destination version records
}

// historyOf lists every key's history, oldest first.
func historyOf(t *testing.T, s store.Store, dst bool) map[string][]entry {
	t.Helper()
	v := s.(store.Versioned)
	hs := map[string][]entry{}
	for h, err := range keyHistories(v.Versions(context.Background(), "")) {
		if err != nil {
			t.Fatal(err)
		}
		h, _ = store.EffectiveHistory(h)
		for _, e := range h {
			if e.DeleteMarker {
				hs[e.Key] = append(hs[e.Key], entry{Marker: true})
				continue
			}
			rc, info, err := s.Open(context.Background(), e.Key, store.ReadOptions{Length: -1, VersionID: e.VersionID})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			b.ReadFrom(rc)
			rc.Close()
			src := e.VersionID
			if dst {
				src = info.Meta.User[diff.SourceVersionKey]
			}
			hs[e.Key] = append(hs[e.Key], entry{Body: b.String(), Source: src})
		}
	}
	return hs
}

// versionedSource builds a history with every shape the copy must keep:
// a null version from before versioning, several versions per key, delete
// markers between versions and on top, a key whose latest is a marker, and
// a multipart version.
func versionedSource(t *testing.T) *mem.Store {
	ctx := context.Background()
	s := mem.New("src")
	storetest.Put(t, s, "old.txt", []byte("null version"), store.Metadata{})
	if err := s.SetVersioning(ctx, store.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	storetest.Put(t, s, "old.txt", []byte("v2"), store.Metadata{})
	for i := range 3 {
		storetest.Put(t, s, "report.csv", []byte(fmt.Sprintf("report v%d", i+1)), store.Metadata{ContentType: "text/csv"})
		if i == 1 {
			s.AddDeleteMarker(ctx, "report.csv")
		}
	}
	storetest.Put(t, s, "gone.txt", []byte("soon deleted"), store.Metadata{})
	s.AddDeleteMarker(ctx, "gone.txt")
	s.AddDeleteMarker(ctx, "gone.txt")  // hides nothing more
	s.AddDeleteMarker(ctx, "never.txt") // hides nothing
	putMultipart(t, s, "big.h5", body(3<<20, 1), 1<<20)
	putMultipart(t, s, "big.h5", body(3<<20, 2), 1<<20)
	return s
}

func versionedDest(t *testing.T) *mem.Store {
	d := mem.New("dst")
	if err := d.SetVersioning(context.Background(), store.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	return d
}

func sameHistory(t *testing.T, src, dst store.Store) {
	t.Helper()
	want, got := historyOf(t, src, false), historyOf(t, dst, true)
	if len(want) != len(got) {
		t.Fatalf("keys: %d at the destination, %d at the source", len(got), len(want))
	}
	for k, w := range want {
		g := got[k]
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("%s:\n got %v\nwant %v", k, g, w)
		}
	}
}

func TestHistoryCopy(t *testing.T) {
	src, dst := versionedSource(t), versionedDest(t)
	o := opts()
	o.Versions = true
	sum, err := Run(context.Background(), src, dst, o)
	if err != nil || len(sum.Failed) > 0 {
		t.Fatalf("run: %v %v", err, sum.Failed)
	}
	sameHistory(t, src, dst)
	h := sum.History
	if h.Versions != 8 || h.Markers != 2 || h.Kept != 0 || h.NullVersions != 1 || h.Keys != 5 || h.RedundantMarkers != 2 {
		t.Errorf("history summary %+v", *h)
	}
	if h.Source.Hidden != 2 || h.Source.DeleteMarkers != 4 {
		t.Errorf("source counts %+v", h.Source)
	}

	// A second run finds everything in place and writes nothing.
	again, err := Run(context.Background(), src, dst, o)
	if err != nil || len(again.Failed) > 0 {
		t.Fatalf("second run: %v %v", err, again.Failed)
	}
	if again.History.Versions != 0 || again.History.Markers != 0 || again.History.Kept != 10 {
		t.Errorf("second run %+v", *again.History)
	}
	sameHistory(t, src, dst)

	// New history at the source: only it is carried.
	storetest.Put(t, src, "report.csv", []byte("report v4"), store.Metadata{ContentType: "text/csv"})
	third, err := Run(context.Background(), src, dst, o)
	if err != nil || len(third.Failed) > 0 {
		t.Fatalf("third run: %v %v", err, third.Failed)
	}
	if third.History.Versions != 1 || third.History.Kept != 10 {
		t.Errorf("third run %+v", *third.History)
	}
	sameHistory(t, src, dst)
}

// A run stopped part way (writes failing after a few entries) and run
// again, without a ledger: the destination's metadata alone tells what is
// carried, and no entry is missing or repeated.
func TestHistoryResumeWithoutLedger(t *testing.T) {
	for stopAfter := 1; stopAfter <= 8; stopAfter++ {
		t.Run(fmt.Sprint(stopAfter), func(t *testing.T) {
			src, dst := versionedSource(t), versionedDest(t)
			writes := 0
			f := &faulty.Faults{
				PutErr: func(string, int) error {
					if writes++; writes > stopAfter {
						return errors.New("injected: the destination went away")
					}
					return nil
				},
				MarkerErr: func(string, int) error {
					if writes++; writes > stopAfter {
						return errors.New("injected: the destination went away")
					}
					return nil
				},
			}
			o := opts()
			o.Versions = true
			o.Workers = 1
			o.Retry.Attempts = 1
			if _, err := Run(context.Background(), src, faulty.Wrap(dst, f), o); err != nil {
				t.Fatal(err)
			}
			sum, err := Run(context.Background(), src, dst, o)
			if err != nil || len(sum.Failed) > 0 {
				t.Fatalf("resume: %v %v", err, sum.Failed)
			}
			sameHistory(t, src, dst)
		})
	}
}

// A destination history sortie did not write is never rewritten.
func TestHistoryForeignDestination(t *testing.T) {
	src, dst := versionedSource(t), versionedDest(t)
	storetest.Put(t, dst, "report.csv", []byte("someone else's"), store.Metadata{})
	o := opts()
	o.Versions = true
	sum, err := Run(context.Background(), src, dst, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Failed) != 1 || sum.Failed[0].Key != "report.csv" || !strings.Contains(sum.Failed[0].Err.Error(), "never rewrites") {
		t.Fatalf("failed %v", sum.Failed)
	}
	if got := historyOf(t, dst, true)["report.csv"]; len(got) != 1 {
		t.Errorf("destination history of report.csv rewritten: %v", got)
	}
}

func TestHistoryNeedsVersionedDestination(t *testing.T) {
	src := versionedSource(t)
	o := opts()
	o.Versions = true
	_, err := Run(context.Background(), src, mem.New("plain"), o)
	if err == nil || !strings.Contains(err.Error(), "versioning enabled") {
		t.Fatalf("err %v", err)
	}
	dry := o
	dry.DryRun = true
	sum, err := Run(context.Background(), src, mem.New("plain"), dry)
	if err != nil || sum.History.Versions != 8 || sum.History.Markers != 2 {
		t.Fatalf("dry run: %v %+v", err, sum.History)
	}
}

func TestKeyHistoriesRefusesDescendingKeys(t *testing.T) {
	seq := func(yield func(store.Version, error) bool) {
		for _, k := range []string{"b", "a"} {
			if !yield(store.Version{Key: k, VersionID: "1", IsLatest: true, ModTime: time.Now()}, nil) {
				return
			}
		}
	}
	var err error
	for _, e := range keyHistories(seq) {
		if e != nil {
			err = e
		}
	}
	if err == nil {
		t.Fatal("descending keys accepted")
	}
}

// forgetsLock is a destination that takes retention with each write and
// reports none afterwards for all but a key's newest version, as versitygw
// 1.8 keeps retention per key.
type forgetsLock struct{ *mem.Store }

func (f forgetsLock) StatVersion(ctx context.Context, key, id string) (store.Info, error) {
	info, err := f.Store.StatVersion(ctx, key, id)
	if cur, cerr := f.Store.Stat(ctx, key); err == nil && (cerr != nil || cur.VersionID != id) {
		info.Meta.Lock = store.Lock{}
	}
	return info, err
}

// A history copy confirms each version's retention once the key's history
// is written, and fails the key where the destination lost it.
func TestHistoryConfirmsRetention(t *testing.T) {
	ctx := context.Background()
	src := versionedDest(t)
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	storetest.Put(t, src, "minutes.txt", []byte("reviewed"), store.Metadata{Lock: store.Lock{Mode: store.LockGovernance, RetainUntil: until}})
	storetest.Put(t, src, "minutes.txt", []byte("restored"), store.Metadata{})
	storetest.Put(t, src, "other.txt", []byte("held"), store.Metadata{Lock: store.Lock{LegalHold: true}})
	o := opts()
	o.Versions = true
	sum, err := Run(ctx, src, forgetsLock{versionedDest(t)}, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Failed) != 1 || sum.Failed[0].Key != "minutes.txt" || !strings.Contains(sum.Failed[0].Err.Error(), "does not keep its Object Lock") {
		t.Fatalf("failed %v", sum.Failed)
	}
	// Without the lock asked for, nothing is expected of it.
	o.NoLock = true
	if sum, err := Run(ctx, src, forgetsLock{versionedDest(t)}, o); err != nil || len(sum.Failed) != 0 || sum.LockDropped != 2 {
		t.Fatalf("--no-lock: %v %v %d", err, sum.Failed, sum.LockDropped)
	}
}

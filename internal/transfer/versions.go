package transfer

import (
	"context"
	"fmt"
	"iter"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/internal/diff"
	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/store"
)

// A history copy (Options.Versions) writes every version and delete marker
// of each key to the destination, oldest first, so that the destination's
// history of the key has the same entries in the same order. Keys go in
// parallel; the entries of one key go one after the other, since their
// order at the destination is the order they are written in.
//
// The destination gives every entry a new version ID and date. Each version
// written carries the source's in its metadata (diff.SourceVersionKey,
// diff.SourceModifiedKey), and the ledger records each pair of IDs as the
// destination confirms it. A run first matches the destination's history of
// a key against the source's, oldest first: an entry is already carried
// when the ledger recorded it, or, for a version written just before a
// crash, when its metadata names the source version at the same place (a
// HEAD); a delete marker, which has no metadata, when it stands where the
// source has one. Only the entries after the matched ones are written, so a
// resume neither skips nor repeats one. A destination history that does
// not match the source's (written by something else, or by a plain copy)
// is never rewritten: the key fails with what differs.
//
// Delete markers that hide nothing (store.EffectiveHistory) are neither
// written nor expected: MinIO and versitygw make none.
//
// Histories are added to, never removed from: a history sync deletes
// nothing, and a key with history only at the destination is left alone
// (HistorySummary.DstOnly).

// historyPhase is Run for Options.Versions.
func (r *run) historyPhase(ctx context.Context) error {
	sv, ok := r.src.(store.Versioned)
	if !ok {
		return fmt.Errorf("source %s keeps no versions: copy it without --versions", r.src)
	}
	dv, ok := r.dst.(store.Versioned)
	if !ok {
		return fmt.Errorf("destination %s keeps no versions: a history copy needs an S3 bucket with versioning enabled", r.dst)
	}
	if !r.opts.DryRun {
		state, err := dv.Versioning(ctx)
		if err != nil {
			return err
		}
		if state != store.VersioningEnabled {
			return fmt.Errorf("destination %s does not have versioning enabled (%s): enable it (aws s3api put-bucket-versioning --versioning-configuration Status=Enabled) or create the bucket with --create-bucket",
				r.dst, describeVersioning(state))
		}
	}
	r.sum.History = &HistorySummary{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.Workers)
	var listErr error
	for p, err := range pairHistories(keyHistories(sv.Versions(gctx, "")), keyHistories(dv.Versions(gctx, ""))) {
		if err != nil {
			listErr = err
			break
		}
		if !r.opts.Filter.Match(p.key) {
			continue
		}
		r.mu.Lock()
		h := r.sum.History
		if len(p.src) == 0 {
			h.DstOnly++
		} else {
			h.Keys++
		}
		for _, v := range p.src {
			h.Source.Add(v)
			if v.VersionID == store.NullVersion {
				h.NullVersions++
			}
			if !v.DeleteMarker {
				r.sum.SrcObjects++
				r.sum.SrcBytes += v.Size
			}
		}
		r.mu.Unlock()
		var dropped int
		p.src, dropped = store.EffectiveHistory(p.src)
		p.dst, _ = store.EffectiveHistory(p.dst)
		r.mu.Lock()
		h.RedundantMarkers += int64(dropped)
		r.mu.Unlock()
		if len(p.src) == 0 {
			continue
		}
		for _, v := range p.src {
			if !v.DeleteMarker {
				r.ev.Event(event.Event{Kind: event.Listed, Key: v.Key, Size: v.Size})
			}
		}
		g.Go(func() error { r.replay(gctx, dv, p); return nil })
	}
	if listErr == nil {
		r.ev.Event(event.Event{Kind: event.ListDone})
	}
	g.Wait()
	if listErr != nil {
		return listErr
	}
	return ctx.Err()
}

func describeVersioning(v store.Versioning) string {
	if v == store.VersioningOff {
		return "never enabled"
	}
	return string(v)
}

// history is one key's entries at each side, oldest first.
type history struct {
	key      string
	src, dst []store.Version
}

// replay writes the entries of p.src the destination lacks, in order.
func (r *run) replay(ctx context.Context, dv store.Versioned, p history) {
	kept, err := r.matchHistory(ctx, dv, p)
	if err != nil {
		r.fail(p.key, err)
		return
	}
	r.mu.Lock()
	r.sum.History.Kept += int64(kept)
	r.mu.Unlock()
	for _, v := range p.src[:kept] {
		if !v.DeleteMarker {
			r.ev.Event(event.Event{Kind: event.Unchanged, Key: v.Key, Size: v.Size, ETag: v.ETag, Version: v.VersionID})
		}
	}
	var locked []lockedVersion
	for _, v := range p.src[kept:] {
		if ctx.Err() != nil {
			return
		}
		lv, err := r.write(ctx, dv, v)
		if err != nil {
			// The next entries must not be written before this one.
			r.fail(p.key, fmt.Errorf("version %s: %w", v.VersionID, err))
			return
		}
		if !lv.lock.IsZero() {
			locked = append(locked, lv)
		}
	}
	// Retention is confirmed once the key's history is written: a store
	// that keeps it per key (versitygw) loses an older version's to a
	// newer write, which a check right after each write would not see.
	for _, lv := range locked {
		info, err := dv.StatVersion(ctx, p.key, lv.dstID)
		if err != nil {
			r.fail(p.key, fmt.Errorf("version %s: confirm its retention: %w", lv.srcID, err))
			return
		}
		if !info.Meta.Lock.Equal(lv.lock) {
			r.fail(p.key, fmt.Errorf("version %s: the destination does not keep its Object Lock (it reports %s, %s was written); copy into a store that keeps retention per version, or pass --no-lock",
				lv.srcID, diff.FormatLock(info.Meta.Lock), diff.FormatLock(lv.lock)))
			return
		}
	}
}

// lockedVersion is a version written with retention or a legal hold, to be
// confirmed.
type lockedVersion struct {
	srcID, dstID string
	lock         store.Lock
}

// matchHistory returns how many of the oldest entries of p.src the
// destination's history already holds, in place, or an error when the
// destination's history is not a beginning of the source's.
func (r *run) matchHistory(ctx context.Context, dv store.Versioned, p history) (int, error) {
	if len(p.dst) == 0 {
		return 0, nil
	}
	carried := r.ledger.Carried(p.key)
	for i, d := range p.dst {
		if i >= len(p.src) {
			return 0, fmt.Errorf("the destination's history of the key has %d entries, the source's %d: sortie adds to a history, never rewrites one; copy into a bucket without this key", len(p.dst), len(p.src))
		}
		s := p.src[i]
		if carried[s.VersionID] == d.VersionID {
			continue
		}
		if s.DeleteMarker != d.DeleteMarker {
			return 0, historyConflict(i, p, "a delete marker stands where the other side has a version")
		}
		if !d.DeleteMarker {
			// Not recorded: written by a run that stopped before saying
			// so, or not by sortie. Its metadata tells.
			info, err := dv.StatVersion(ctx, p.key, d.VersionID)
			if err != nil {
				return 0, err
			}
			if got := info.Meta.User[diff.SourceVersionKey]; got != s.VersionID || info.Size != s.Size {
				return 0, historyConflict(i, p, fmt.Sprintf("destination version %s is not a copy of source version %s (it records %q)", d.VersionID, s.VersionID, got))
			}
		}
		r.ledger.VersionDone(p.key, s.VersionID, d.VersionID, d.DeleteMarker)
	}
	return len(p.dst), nil
}

func historyConflict(i int, p history, what string) error {
	return fmt.Errorf("the destination's history of the key differs from the source's at entry %d of %d (oldest first): %s; sortie never rewrites a history: copy into a bucket without this key",
		i+1, len(p.src), what)
}

// write adds one source entry on top of the destination's history, and
// returns the version with the lock it was written with (zero for none).
func (r *run) write(ctx context.Context, dv store.Versioned, v store.Version) (lockedVersion, error) {
	h := r.sum.History
	if r.opts.DryRun {
		r.mu.Lock()
		if v.DeleteMarker {
			h.Markers++
		} else {
			h.Versions++
			h.VersionBytes += v.Size
			r.sum.Copied++
			r.sum.CopiedBytes += v.Size
		}
		r.mu.Unlock()
		r.ev.Event(event.Event{Kind: event.WouldCopy, Key: v.Key, Size: v.Size, Version: v.VersionID, DeleteMarker: v.DeleteMarker})
		return lockedVersion{}, nil
	}
	if v.DeleteMarker {
		var id string
		// One attempt: a DELETE whose answer was lost may have added the
		// marker, and sending it again would add a second one. The next
		// run finds a marker in its place and goes on.
		err := r.dstGate.Do(ctx, v.Key, func() error {
			var err error
			id, err = dv.AddDeleteMarker(ctx, v.Key)
			return err
		})
		if err != nil {
			return lockedVersion{}, err
		}
		r.ledger.VersionDone(v.Key, v.VersionID, id, true)
		r.mu.Lock()
		h.Markers++
		r.mu.Unlock()
		r.ev.Event(event.Event{Kind: event.Copied, Key: v.Key, Version: v.VersionID, DstVersion: id, DeleteMarker: true})
		return lockedVersion{}, nil
	}
	o := store.Object{Key: v.Key, Size: v.Size, ETag: v.ETag, ModTime: v.ModTime, StorageClass: v.StorageClass, VersionID: v.VersionID}
	r.ledger.Started(o.Key, o.Size, o.ETag)
	got, err := r.copyObject(ctx, o)
	if err != nil {
		return lockedVersion{}, err
	}
	if got.VersionID == "" || got.VersionID == store.NullVersion {
		return lockedVersion{}, &store.OpError{Op: "put", Store: r.dst.String(), Key: v.Key,
			Err: fmt.Errorf("the destination answered without a version ID (%q): is versioning enabled on the bucket?", got.VersionID)}
	}
	r.ledger.Done(o.Key, got.Size, got.ETag)
	r.ledger.VersionDone(o.Key, v.VersionID, got.VersionID, false)
	r.copied(got.Size, false)
	r.mu.Lock()
	h.Versions++
	h.VersionBytes += got.Size
	r.mu.Unlock()
	w := r.noteWritten(ctx, o)
	r.ev.Event(event.Event{Kind: event.Copied, Key: v.Key, Size: got.Size, ETag: got.ETag, Version: v.VersionID, DstVersion: got.VersionID})
	lv := lockedVersion{srcID: v.VersionID, dstID: got.VersionID}
	if !r.opts.NoLock {
		lv.lock = w.lock
	}
	return lv, nil
}

// landed returns the destination's current object at o's key when it is
// already a copy of source version o (a write whose answer was lost).
func (r *run) landed(ctx context.Context, o store.Object) (store.Object, bool) {
	info, err := r.dst.Stat(ctx, o.Key)
	if err != nil || info.Size != o.Size || info.Meta.User[diff.SourceVersionKey] != o.VersionID {
		return store.Object{}, false
	}
	return info.Object, true
}

// keyHistories groups a Versions listing by key, each key's entries oldest
// first. Keys must ascend, as the contract says; a listing whose keys do
// not is an error, never a history cut in two.
func keyHistories(versions iter.Seq2[store.Version, error]) iter.Seq2[[]store.Version, error] {
	return func(yield func([]store.Version, error) bool) {
		var cur []store.Version
		flush := func() bool {
			if len(cur) == 0 {
				return true
			}
			h := slices.Clone(cur)
			slices.Reverse(h)
			cur = cur[:0]
			return yield(h, nil)
		}
		for v, err := range versions {
			if err != nil {
				yield(nil, err)
				return
			}
			if len(cur) > 0 && v.Key != cur[0].Key {
				if v.Key < cur[0].Key {
					yield(nil, fmt.Errorf("the version listing went back from %q to %q: keys must ascend", cur[0].Key, v.Key))
					return
				}
				if !flush() {
					return
				}
			}
			cur = append(cur, v)
		}
		flush()
	}
}

// pairHistories merges two key-ascending histories by key.
func pairHistories(src, dst iter.Seq2[[]store.Version, error]) iter.Seq2[history, error] {
	return func(yield func(history, error) bool) {
		nextS, stopS := iter.Pull2(src)
		defer stopS()
		nextD, stopD := iter.Pull2(dst)
		defer stopD()
		s, serr, sok := nextS()
		d, derr, dok := nextD()
		for sok || dok {
			if serr != nil {
				yield(history{}, serr)
				return
			}
			if derr != nil {
				yield(history{}, derr)
				return
			}
			var p history
			switch {
			case sok && (!dok || s[0].Key < d[0].Key):
				p = history{key: s[0].Key, src: s}
				s, serr, sok = nextS()
			case dok && (!sok || d[0].Key < s[0].Key):
				p = history{key: d[0].Key, dst: d}
				d, derr, dok = nextD()
			default:
				p = history{key: s[0].Key, src: s, dst: d}
				s, serr, sok = nextS()
				d, derr, dok = nextD()
			}
			if !yield(p, nil) {
				return
			}
		}
	}
}

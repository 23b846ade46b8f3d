package transfer

import (
	"context"
	"errors"
	"slices"

	"github.com/sortie-dev/sortie/internal/diff"
	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/store"
)

// checkMetadata compares the metadata of a pair whose bodies the listings
// showed to be the same: one Stat of each side, the price of agreeing with
// verify.
func (r *run) checkMetadata(ctx context.Context, e diff.Entry) {
	// Stat is a control request: the store retries it, not the engine.
	si, err := r.src.Stat(ctx, e.Src.Key)
	var di store.Info
	if err == nil {
		di, err = r.dst.Stat(ctx, e.Dst.Key)
	}
	if errors.Is(err, store.ErrNotExist) {
		// Deleted since the listing, which showed the bodies the same:
		// the next run sees the deletion.
		r.unchanged(ctx, e.Src)
		return
	}
	if err != nil {
		r.fail(e.Src.Key, err)
		return
	}
	r.sameBody(ctx, e, si, di)
}

// sameBody finishes a pair whose bodies are the same: unchanged when the
// metadata agrees too (as verify compares it), else the destination's
// metadata is replaced, in place when the store can, by a copy otherwise.
func (r *run) sameBody(ctx context.Context, e diff.Entry, si, di store.Info) {
	if r.opts.SkipMetadata {
		r.unchanged(ctx, e.Src)
		return
	}
	if r.opts.NoLock {
		si.Meta.Lock = store.Lock{}
	}
	reason, quirk := diff.CompareInfo(si, di, r.src.Capabilities().Tags && r.dst.Capabilities().Tags)
	if quirk != "" {
		r.quirk(quirk, e.Src.Key)
	}
	if reason == "" {
		r.unchanged(ctx, e.Src)
		return
	}
	r.log.Debug("metadata changed", "key", e.Src.Key, "reason", reason)
	if r.meta == nil {
		r.copyOrFail(ctx, e.Src, true)
		return
	}
	if r.opts.DryRun {
		r.metadataUpdated()
		r.ev.Event(event.Event{Kind: event.WouldCopy, Key: e.Src.Key, Update: true, Reason: reason})
		return
	}
	r.ledger.Started(e.Src.Key, si.Size, si.ETag)
	var got store.Object
	err := r.dstGate.Do(ctx, e.Src.Key, func() error {
		var err error
		got, err = r.meta.UpdateMetadata(ctx, e.Src.Key, di.ETag, r.writeMeta(e.Src, si))
		return err
	})
	switch {
	case errors.Is(err, store.ErrUnsupported), errors.Is(err, store.ErrChanged), errors.Is(err, store.ErrNotExist):
		// Too large to update in place, or the destination changed since
		// it was compared: a copy settles it.
		r.copyOrFail(ctx, e.Src, true)
		return
	case err != nil:
		r.fail(e.Src.Key, err)
		return
	}
	r.ledger.Done(e.Src.Key, got.Size, got.ETag)
	r.metadataUpdated()
	r.ev.Event(event.Event{Kind: event.Copied, Key: e.Src.Key, ETag: got.ETag, Update: true, Reason: reason})
}

func (r *run) metadataUpdated() {
	r.mu.Lock()
	r.sum.MetadataUpdated++
	r.mu.Unlock()
}

// quirk records a store quirk the first time it is seen, and says so once.
func (r *run) quirk(q diff.Quirk, key string) {
	r.mu.Lock()
	seen := slices.Contains(r.sum.Quirks, string(q))
	if !seen {
		r.sum.Quirks = append(r.sum.Quirks, string(q))
	}
	r.mu.Unlock()
	if !seen {
		r.ev.Event(event.Event{Kind: event.Warning, Key: key, Reason: "store quirk, not a difference to copy: " + string(q)})
	}
}

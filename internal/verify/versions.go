package verify

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/sortie-dev/sortie/internal/diff"
	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/store"
)

// histories compares each key's history at the source with the
// destination's. Both listings are read together in key order, one key's
// history of each side at a time; the versions' checks, which read, go to
// g, whose limit holds the listing back.
func (r *run) histories(ctx context.Context, g *errgroup.Group) error {
	sv, dv := r.src.Store.(store.Versioned), r.dst.Store.(store.Versioned)
	nextS, stopS := iter.Pull2(byKey(sv.Versions(ctx, ""), r.opts.Filter.Match))
	defer stopS()
	nextD, stopD := iter.Pull2(byKey(dv.Versions(ctx, ""), r.opts.Filter.Match))
	defer stopD()
	var last string // the last key whose histories were read whole
	s, sErr, sOK := nextS()
	d, dErr, dOK := nextD()
	for {
		switch {
		case sErr != nil:
			return r.unordered(r.src, s, last, sErr)
		case dErr != nil:
			return r.unordered(r.dst, d, last, dErr)
		case !sOK && !dOK:
			return nil
		case !dOK || sOK && s[0].Key < d[0].Key:
			last = s[0].Key
			r.countHistory(s)
			if h := r.effective(s, &r.redundantSrc); len(h) > 0 {
				r.problem(event.Missing, last, "not at the destination ("+entries(h)+")", 0)
			}
			s, sErr, sOK = nextS()
		case !sOK || d[0].Key < s[0].Key:
			last = d[0].Key
			if h := r.effective(d, &r.redundantDst); len(h) > 0 {
				r.problem(event.Extra, last, "at the destination only ("+entries(h)+")", 0)
			}
			d, dErr, dOK = nextD()
		default:
			last = s[0].Key
			r.compareHistory(ctx, g, s, d)
			s, sErr, sOK = nextS()
			d, dErr, dOK = nextD()
		}
	}
}

// byKey groups a version listing into each key's history, newest first as
// listed, of the keys match keeps. On an error it yields the entries of
// the key it was reading (maybe none) with it, and stops.
func byKey(vs iter.Seq2[store.Version, error], match func(string) bool) iter.Seq2[[]store.Version, error] {
	return func(yield func([]store.Version, error) bool) {
		var cur []store.Version
		for v, err := range vs {
			if err != nil {
				yield(cur, err)
				return
			}
			if !match(v.Key) {
				continue
			}
			if len(cur) > 0 && v.Key != cur[0].Key {
				if v.Key < cur[0].Key {
					// Grouping relies on the contract; a store that breaks
					// it must not make a key look compared twice.
					yield(nil, fmt.Errorf("versions of %q listed after those of %q: not in key order", v.Key, cur[0].Key))
					return
				}
				if !yield(cur, nil) {
					return
				}
				cur = nil
			}
			cur = append(cur, v)
		}
		if len(cur) > 0 {
			yield(cur, nil)
		}
	}
}

// unordered ends a comparison whose listing at s failed with err. A store
// that cannot tell the order of a key's history (store.ErrAmbiguousOrder)
// stops it too, but as a finding: that key failed and the keys from there
// on were not compared. Any other error is returned.
func (r *run) unordered(s side, partial []store.Version, last string, err error) error {
	if !errors.Is(err, store.ErrAmbiguousOrder) {
		return err
	}
	key, from := last, fmt.Sprintf("the keys after %q", last)
	if len(partial) > 0 {
		key, from = partial[0].Key, fmt.Sprintf("the keys from %q on", partial[0].Key)
	} else if last == "" {
		from = "every key"
	}
	r.problem(event.Failed, key, "history could not be compared: "+err.Error(), 0)
	r.stopped = &Gap{What: GapHistory, Why: fmt.Sprintf("%s not compared: %s cannot tell the order of their versions", from, s)}
	return nil
}

// countHistory counts a source key's history.
func (r *run) countHistory(h []store.Version) {
	r.mu.Lock()
	r.rep.Keys++
	for _, v := range h {
		if v.DeleteMarker {
			r.rep.DeleteMarkers++
		} else {
			r.rep.Objects++
			r.rep.Bytes += v.Size
		}
	}
	r.mu.Unlock()
	for _, v := range h {
		if !v.DeleteMarker {
			r.opts.Listener.Event(event.Event{Kind: event.Listed, Key: v.Key, Size: v.Size, Version: v.VersionID})
		}
	}
}

// effective turns a key's history as listed, newest first, into its
// effective history, oldest first (store.EffectiveHistory), as a history
// copy writes it: the delete markers that hide nothing are counted in
// dropped, not compared.
func (r *run) effective(h []store.Version, dropped *int64) []store.Version {
	slices.Reverse(h)
	h, n := store.EffectiveHistory(h)
	r.mu.Lock()
	*dropped += int64(n)
	r.mu.Unlock()
	return h
}

// compareHistory compares one key's two histories, each newest first as
// listed, oldest to newest: the same number of entries, delete markers at
// the same places, and each pair of versions checked on g.
func (r *run) compareHistory(ctx context.Context, g *errgroup.Group, s, d []store.Version) {
	key := s[0].Key
	r.countHistory(s)
	s, d = r.effective(s, &r.redundantSrc), r.effective(d, &r.redundantDst)
	if len(s) != len(d) {
		r.problem(event.Mismatch, key, r.lengthDiffers(s, d), 0)
		return
	}
	for i := range s {
		pos, sv, dv := i+1, s[i], d[i]
		switch {
		case sv.DeleteMarker && dv.DeleteMarker:
			r.mu.Lock()
			r.rep.MarkersVerified++
			r.mu.Unlock()
			r.opts.Listener.Event(event.Event{Kind: event.Verified, Key: key, Version: sv.VersionID, DstVersion: dv.VersionID, DeleteMarker: true})
		case sv.DeleteMarker, dv.DeleteMarker, sv.Size != dv.Size:
			r.problemAt(event.Mismatch, key, pos, sv.VersionID, entryDiffers(sv, dv), sv.Size)
		default:
			g.Go(func() error { r.checkVersion(ctx, pos, sv, dv); return nil })
		}
	}
}

// lengthDiffers says how two histories of one key, oldest first, differ
// in length, and where the first difference the listings show is.
func (r *run) lengthDiffers(s, d []store.Version) string {
	reason := fmt.Sprintf("history differs: %s at the destination, %s at the source", entries(d), entries(s))
	sums := r.src.Capabilities().ETagIsMD5 && r.dst.Capabilities().ETagIsMD5
	for i := range min(len(s), len(d)) {
		why := entryDiffers(s[i], d[i])
		if why == "" && sums && !s[i].DeleteMarker && store.ComparableETags(s[i].ETag, d[i].ETag) && !store.SameETag(s[i].ETag, d[i].ETag) {
			why = fmt.Sprintf("ETag %s at the destination, %s at the source", d[i].ETag, s[i].ETag)
		}
		if why != "" {
			return fmt.Sprintf("%s; the first to differ is #%d (#1 is the oldest): %s", reason, i+1, why)
		}
	}
	if len(s) > len(d) {
		return fmt.Sprintf("%s; the destination lacks the newest %s (#%d on)", reason, plural(int64(len(s)-len(d)), "entry", "entries"), len(d)+1)
	}
	return fmt.Sprintf("%s; the destination has %s newer than the source's newest (#%d on)", reason, plural(int64(len(d)-len(s)), "entry", "entries"), len(s)+1)
}

// entryDiffers compares what a listing says of two entries at the same
// place: "" when it shows no difference.
func entryDiffers(s, d store.Version) string {
	switch {
	case s.DeleteMarker && !d.DeleteMarker:
		return fmt.Sprintf("a delete marker at the source, a version at the destination (%s)", d.VersionID)
	case d.DeleteMarker && !s.DeleteMarker:
		return fmt.Sprintf("a version at the source, a delete marker at the destination (%s)", d.VersionID)
	case s.Size != d.Size:
		return fmt.Sprintf("size %d at the destination, %d at the source", d.Size, s.Size)
	}
	return ""
}

// checkVersion compares two versions at the same place of a key's
// history: the destination's must record the source's version ID, have its
// content and its metadata.
func (r *run) checkVersion(ctx context.Context, pos int, sv, dv store.Version) {
	key := sv.Key
	ev := event.Event{Key: key, Size: sv.Size, ETag: sv.ETag, Version: sv.VersionID, DstVersion: dv.VersionID}
	si, err := r.src.Store.(store.Versioned).StatVersion(ctx, key, sv.VersionID)
	var di store.Info
	if err == nil {
		di, err = r.dst.Store.(store.Versioned).StatVersion(ctx, key, dv.VersionID)
	}
	var reason string
	var byHash bool
	if err == nil {
		reason = copiedFrom(sv, dv, di)
	}
	if err == nil && reason == "" {
		byHash, reason, err = r.content(ctx,
			ref{key: key, version: sv.VersionID, etag: sv.ETag, opaque: si.OpaqueETag},
			ref{key: key, version: dv.VersionID, etag: dv.ETag, opaque: di.OpaqueETag})
	}
	if err == nil && reason == "" && !r.opts.SkipMetadata {
		// The source version ID was checked above; a source that was
		// itself a history copy carries another one.
		si.Meta.User, di.Meta.User = withoutKey(si.Meta.User, diff.SourceVersionKey), withoutKey(di.Meta.User, diff.SourceVersionKey)
		reason = r.compareInfo(key, si, di)
	}
	r.settle(ctx, ev, pos, byHash, reason, err)
}

// copiedFrom says how the destination version di fails to record that it
// is a copy of source version sv: "" when it does.
func copiedFrom(sv, dv store.Version, di store.Info) string {
	got, ok := di.Meta.User[diff.SourceVersionKey]
	switch {
	case !ok:
		return fmt.Sprintf("destination version %s records no source version (x-amz-meta-%s): it was not written by a history copy", dv.VersionID, diff.SourceVersionKey)
	case got != sv.VersionID:
		return fmt.Sprintf("destination version %s is the copy of source version %s, not of this one", dv.VersionID, got)
	}
	return ""
}

func withoutKey(m map[string]string, k string) map[string]string {
	if _, ok := m[k]; !ok {
		return m
	}
	m = maps.Clone(m)
	delete(m, k)
	return m
}

// entries describes a key's history: "3 entries (2 versions, 1 delete
// marker)".
func entries(h []store.Version) string {
	var markers int64
	for _, v := range h {
		if v.DeleteMarker {
			markers++
		}
	}
	versions := int64(len(h)) - markers
	var what []string
	if versions > 0 {
		what = append(what, plural(versions, "version", "versions"))
	}
	if markers > 0 {
		what = append(what, plural(markers, "delete marker", "delete markers"))
	}
	return plural(int64(len(h)), "entry", "entries") + " (" + strings.Join(what, ", ") + ")"
}

// plural counts n of something: "1 entry", "2 entries".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

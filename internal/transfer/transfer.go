package transfer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"

	"github.com/sortie-dev/sortie/internal/diff"
	"github.com/sortie-dev/sortie/internal/event"
	"github.com/sortie-dev/sortie/internal/filter"
	"github.com/sortie-dev/sortie/internal/listing"
	"github.com/sortie-dev/sortie/internal/retry"
	"github.com/sortie-dev/sortie/internal/store"
)

// Defaults for Options fields left zero.
const (
	DefaultWorkers  = 16
	DefaultPartSize = 16 << 20
)

// Options tune a run. The zero value copies with defaults.
type Options struct {
	Workers  int
	PartSize int64
	// BandwidthLimit caps bytes read from the source per second, across
	// all workers (0: no cap). Egress is what a provider bills.
	BandwidthLimit int64
	// StorageClass is given to every object written; "" leaves the
	// destination's default. The source's class is not carried: archive
	// classes (GLACIER…) rarely exist at the target.
	StorageClass string
	// SkipMetadata decides by size and checksum only. By default an object
	// whose body is already at the destination has its metadata and tags
	// compared as verify compares them (a Stat of each side), and brought
	// up to date: in place where the destination can (MetadataUpdated),
	// else by copying it again.
	SkipMetadata bool
	// Versions copies every version and delete marker of each key, oldest
	// first, instead of the current objects (a history copy; see
	// versions.go): both stores must implement store.Versioned, and the
	// destination must have versioning enabled. Delete is ignored then:
	// history is only added to.
	Versions bool
	// NoLock writes versions without the source's Object Lock retention
	// and legal hold, and compares without them, for a destination that
	// has no Object Lock (the CLI's --no-lock; the loss report says so).
	NoLock bool
	// DryRun decides everything and changes nothing.
	DryRun bool
	// Delete removes destination objects the source lacks (sync).
	Delete bool
	// MaxDelete refuses all deletions when more than this many would
	// happen; negative means no limit.
	MaxDelete int
	// ListWorkers lists each side with this many workers over key ranges
	// (package listing); 0 or 1 lists page after page.
	ListWorkers int
	// Range, if set, limits the run to the keys in it on both sides: one
	// partition of a job that many machines share (package coordinator).
	// Deletions of a sync are then decided for the range alone.
	Range  listing.Range
	Filter *filter.Filter
	// Ledger, if set, records every object's progress durably (the
	// journal); a run with a ledger keeps interrupted multipart uploads for
	// the next run to continue instead of aborting them.
	Ledger Ledger
	// Retry is the policy of every data request the engine sends (reads,
	// writes, parts): their one retry layer for transient failures and
	// checksum mismatches (package retry); zero Attempts means
	// retry.Default.
	Retry retry.Policy
	// SrcGate and DstGate admit the requests to each side and answer its
	// throttling; nil gives each side a gate of Workers of its own. Pass
	// the same gates to verify.Run to share what they learnt.
	SrcGate, DstGate *retry.Gate
	Listener         event.Listener
	Log              *slog.Logger
}

// Failure is one object the run gave up on.
type Failure struct {
	Key string
	Err error
}

// Summary is what a run did. Counts are objects; Bytes are body bytes.
type Summary struct {
	SrcObjects, SrcBytes int64 // the source objects the run considered
	Copied, CopiedBytes  int64 // confirmed by the destination (or would be, in a dry run)
	Updated              int64 // of Copied, those that replaced an older object
	// MetadataUpdated counts objects whose body was in place and whose
	// metadata or tags were replaced without copying it (or would be, in a
	// dry run); they are not in Copied nor Unchanged. Where the destination
	// cannot update in place, such objects are copied again and counted in
	// Copied and Updated.
	MetadataUpdated int64
	Unchanged       int64
	UnchangedBytes  int64
	// Quirks are the known differences the destination store makes on
	// every write (diff.Quirk), each once; they are neither changes nor
	// failures.
	Quirks  []string
	Deleted int64 // removed (or would be) from the destination
	// DeleteRefused is set when deletions were skipped as a whole, with
	// the reason; nothing was deleted then.
	DeleteRefused string
	Failed        []Failure
	Elapsed       time.Duration

	// Locked counts the objects (versions, in a history copy) written with
	// the source's retention or legal hold; Compliance those of them under
	// COMPLIANCE retention, the latest of whose retain-until dates is
	// ComplianceUntil. LockDropped counts those written without it
	// (Options.NoLock).
	Locked, Compliance, LockDropped int64
	ComplianceUntil                 time.Time
	// Encrypted counts the objects written whose source copy was stored
	// encrypted (SSE-S3, SSE-KMS or SSE-C): encryption at the destination
	// is the destination's setting (the CLI's --sse), not carried.
	Encrypted int64

	// History is filled by a history copy (Options.Versions).
	History *HistorySummary
}

// HistorySummary is what a history copy did, in entries of keys' histories.
type HistorySummary struct {
	// Source counts the source's histories as listed.
	Source store.History
	// Versions and VersionBytes are the object versions written (or that
	// would be, in a dry run), Markers the delete markers added.
	Versions, VersionBytes, Markers int64
	// Kept counts the entries already at the destination, written by an
	// earlier run (recognised by the journal, or by the source version ID
	// each destination version carries).
	Kept int64
	// NullVersions counts the source entries with the null version ID
	// (written before versioning was enabled, or while suspended): the
	// destination gives each its own ID.
	NullVersions int64
	// RedundantMarkers counts the source's delete markers that hide
	// nothing (store.EffectiveHistory), which are not written.
	RedundantMarkers int64
	// Keys is the number of keys whose history was considered, and
	// DstOnly the keys with history at the destination only, left alone.
	Keys, DstOnly int64
}

// run is one invocation's state.
type run struct {
	src, dst store.Store
	mp       store.Multipart       // nil when dst cannot take parts
	meta     store.MetadataUpdater // nil when dst cannot update metadata in place
	opts     Options
	log      *slog.Logger
	ev       event.Listener
	mem      *semaphore.Weighted
	memCap   int64
	limiter  *rate.Limiter
	pool     sync.Pool
	ledger   Ledger
	// srcGate and dstGate adapt each side's concurrency to its throttling.
	srcGate, dstGate *retry.Gate

	mu  sync.Mutex
	sum Summary
	// pendingDeletes are the keys a sync deletes, decided while listing
	// and acted on only after every copy was confirmed.
	pendingDeletes []string
	// written holds what writeMeta learnt of each source object being
	// written, by writeKey, until its copy is counted.
	written sync.Map
}

// Run copies what src has and dst lacks or holds differently, and with
// opts.Delete removes what dst has and src lacks. It returns an error only
// for what stops the whole run — a failed listing, cancellation — and then
// still returns the summary of what was done; failures of single objects are
// in Summary.Failed.
func Run(ctx context.Context, src, dst store.Store, opts Options) (*Summary, error) {
	start := time.Now()
	r := newRun(src, dst, opts)
	var err error
	switch {
	case opts.Versions && opts.Range != (listing.Range{}):
		err = errors.New("a history copy (versions) cannot be limited to a key range yet")
	case opts.Versions:
		err = r.historyPhase(ctx)
	default:
		err = r.copyPhase(ctx)
		if err == nil && opts.Delete {
			err = r.deletePhase(ctx)
		}
	}
	r.sum.Elapsed = time.Since(start)
	slices.SortFunc(r.sum.Failed, func(a, b Failure) int { return strings.Compare(a.Key, b.Key) })
	return &r.sum, err
}

func newRun(src, dst store.Store, opts Options) *run {
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.PartSize <= 0 {
		opts.PartSize = DefaultPartSize
	}
	if opts.Retry.Attempts == 0 {
		opts.Retry = retry.Default
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Listener == nil {
		opts.Listener = event.Multi(nil)
	}
	r := &run{src: src, dst: dst, opts: opts, log: opts.Log, ev: opts.Listener, ledger: opts.Ledger}
	if r.ledger == nil {
		r.ledger = nopLedger{}
	}
	r.mp, _ = dst.(store.Multipart)
	r.meta, _ = dst.(store.MetadataUpdater)
	r.srcGate, r.dstGate = opts.SrcGate, opts.DstGate
	if r.srcGate == nil {
		r.srcGate = retry.NewGate(opts.Workers)
	}
	if r.dstGate == nil {
		r.dstGate = retry.NewGate(opts.Workers)
	}
	r.memCap = int64(opts.Workers) * opts.PartSize
	r.mem = semaphore.NewWeighted(r.memCap)
	if opts.BandwidthLimit > 0 {
		burst := int(max(opts.BandwidthLimit/4, 32<<10))
		r.limiter = rate.NewLimiter(rate.Limit(opts.BandwidthLimit), burst)
	}
	return r
}

func (r *run) copyPhase(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.Workers)
	var dels []string
	var listErr error
	lo := listing.Options{Workers: r.opts.ListWorkers}
	rg := r.opts.Range
	srcList := listing.Within(listing.List(gctx, r.src, rg.After, lo), rg)
	dstList := listing.Within(listing.List(gctx, r.dst, rg.After, lo), rg)
	merged := diff.Merge(gctx, srcList, dstList, r.src.String(), r.dst.String(), r.opts.Filter.Match)
	for e, err := range merged {
		if err != nil {
			listErr = err
			break
		}
		switch e.Side {
		case diff.SrcOnly:
			r.counted(e.Src)
			g.Go(func() error { r.copyOrFail(gctx, e.Src, false); return nil })
		case diff.Both:
			r.counted(e.Src)
			switch diff.Compare(e.Src, e.Dst) {
			case diff.Same:
				if r.opts.SkipMetadata {
					r.unchanged(gctx, e.Src)
				} else {
					g.Go(func() error { r.checkMetadata(gctx, e); return nil })
				}
			case diff.Different:
				g.Go(func() error { r.copyOrFail(gctx, e.Src, true); return nil })
			case diff.Undecided:
				g.Go(func() error { r.settle(gctx, e); return nil })
			}
		case diff.DstOnly:
			if r.opts.Delete {
				dels = append(dels, e.Dst.Key)
			}
		}
	}
	if listErr == nil {
		r.ev.Event(event.Event{Kind: event.ListDone})
	}
	g.Wait()
	r.pendingDeletes = dels
	if listErr != nil {
		return listErr
	}
	return ctx.Err()
}

func (r *run) counted(o store.Object) {
	r.mu.Lock()
	r.sum.SrcObjects++
	r.sum.SrcBytes += o.Size
	r.mu.Unlock()
	r.ev.Event(event.Event{Kind: event.Listed, Key: o.Key, Size: o.Size})
}

func (r *run) unchanged(ctx context.Context, o store.Object) {
	if stale := r.ledger.Unchanged(o.Key, o.Size, o.ETag); stale != "" && r.mp != nil && !r.opts.DryRun {
		// The object is in place; the upload recorded for it was either
		// completed (aborting is then a no-op) or left behind.
		if err := r.mp.AbortMultipart(ctx, o.Key, stale); err == nil {
			r.ledger.UploadEnded(o.Key, stale)
		}
	}
	r.mu.Lock()
	r.sum.Unchanged++
	r.sum.UnchangedBytes += o.Size
	r.mu.Unlock()
	r.ev.Event(event.Event{Kind: event.Unchanged, Key: o.Key, Size: o.Size, ETag: o.ETag})
}

func (r *run) fail(key string, err error) {
	if errors.Is(err, context.Canceled) {
		// Not the object's fault: the run is stopping.
		return
	}
	r.mu.Lock()
	r.sum.Failed = append(r.sum.Failed, Failure{Key: key, Err: err})
	r.mu.Unlock()
	r.ledger.Failed(key, err.Error())
	r.ev.Event(event.Event{Kind: event.Failed, Key: key, Reason: err.Error()})
	r.log.Warn("copy failed", "key", key, "err", err)
}

// settle decides a pair the listings could not (ETags of different shapes)
// by the origin time each side records, then copies if they differ.
func (r *run) settle(ctx context.Context, e diff.Entry) {
	// Stat is a control request: the store retries it (store/s3 through
	// the SDK), not the engine.
	si, err := r.src.Stat(ctx, e.Src.Key)
	var di store.Info
	if err == nil {
		di, err = r.dst.Stat(ctx, e.Dst.Key)
	}
	if err != nil {
		r.fail(e.Src.Key, err)
		return
	}
	if diff.SameOrigin(si, di) {
		r.sameBody(ctx, e, si, di)
		return
	}
	r.copyOrFail(ctx, e.Src, true)
}

// noteWritten counts what the source held of an object just written
// (its lock, its encryption), as writeMeta noted it. A resumed multipart
// upload was given its metadata by an earlier run: the source is asked.
func (r *run) noteWritten(ctx context.Context, o store.Object) wrote {
	v, ok := r.written.LoadAndDelete(writeKey(o))
	w, _ := v.(wrote)
	if !ok {
		var info store.Info
		var err error
		if sv, isV := r.src.(store.Versioned); isV && o.VersionID != "" {
			info, err = sv.StatVersion(ctx, o.Key, o.VersionID)
		} else {
			info, err = r.src.Stat(ctx, o.Key)
		}
		if err != nil {
			return wrote{}
		}
		w = wrote{lock: info.Meta.Lock, encryption: info.Encryption}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if w.encryption != "" {
		r.sum.Encrypted++
	}
	switch {
	case w.lock.IsZero():
	case r.opts.NoLock:
		r.sum.LockDropped++
	default:
		r.sum.Locked++
		if w.lock.Mode == store.LockCompliance {
			r.sum.Compliance++
			if w.lock.RetainUntil.After(r.sum.ComplianceUntil) {
				r.sum.ComplianceUntil = w.lock.RetainUntil
			}
		}
	}
	return w
}

// copied counts one object copied (or, in a dry run, that would be).
func (r *run) copied(size int64, update bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sum.Copied++
	r.sum.CopiedBytes += size
	if update {
		r.sum.Updated++
	}
}

func (r *run) copyOrFail(ctx context.Context, o store.Object, update bool) {
	if r.opts.DryRun {
		r.copied(o.Size, update)
		r.ev.Event(event.Event{Kind: event.WouldCopy, Key: o.Key, Size: o.Size, Update: update})
		return
	}
	r.ledger.Started(o.Key, o.Size, o.ETag)
	got, err := r.copyObject(ctx, o)
	if err != nil {
		r.fail(o.Key, err)
		return
	}
	r.ledger.Done(o.Key, got.Size, got.ETag)
	r.copied(got.Size, update)
	r.noteWritten(ctx, o)
	r.ev.Event(event.Event{Kind: event.Copied, Key: o.Key, Size: got.Size, ETag: got.ETag, Update: update})
}

func (r *run) deletePhase(ctx context.Context) error {
	keys := r.pendingDeletes
	if len(keys) == 0 {
		return nil
	}
	r.mu.Lock()
	failed := len(r.sum.Failed)
	r.mu.Unlock()
	switch {
	case failed > 0:
		// As rclone does: a source that could not be read completely
		// must not drive deletions.
		r.sum.DeleteRefused = fmt.Sprintf("not deleting %d objects at the destination because %d copies failed; fix them and run sync again", len(keys), failed)
	case r.opts.MaxDelete >= 0 && len(keys) > r.opts.MaxDelete:
		r.sum.DeleteRefused = fmt.Sprintf("sync would delete %d objects, more than --max-delete %d; nothing was deleted", len(keys), r.opts.MaxDelete)
	}
	if r.sum.DeleteRefused != "" {
		r.ev.Event(event.Event{Kind: event.Warning, Reason: r.sum.DeleteRefused})
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.Workers)
	for _, k := range keys {
		g.Go(func() error {
			if r.opts.DryRun {
				r.deleted(k, event.WouldDelete)
				return nil
			}
			// A control request: retried by the store (the SDK), admitted
			// by the gate.
			if err := r.delete(gctx, k); err != nil {
				r.fail(k, fmt.Errorf("delete: %w", err))
				return nil
			}
			r.ledger.Deleted(k)
			r.deleted(k, event.Deleted)
			return nil
		})
	}
	g.Wait()
	return ctx.Err()
}

func (r *run) deleted(key string, k event.Kind) {
	r.mu.Lock()
	r.sum.Deleted++
	r.mu.Unlock()
	r.ev.Event(event.Event{Kind: k, Key: key})
}

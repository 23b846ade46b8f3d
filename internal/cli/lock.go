package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/sortie-dev/sortie/internal/location"
	"github.com/sortie-dev/sortie/internal/store"
)

// lockConfig reads a side's Object Lock configuration: the zero BucketLock
// for a store that has none (a filesystem).
func (s *side) lockConfig(ctx context.Context) (store.BucketLock, error) {
	l, ok := s.store.(store.Locker)
	if !ok {
		return store.BucketLock{}, nil
	}
	return l.LockConfig(ctx)
}

// bucketSpec is what a destination bucket created with --create-bucket
// mirrors of the source: versioning (enabled, for a source that keeps
// versions — a suspended source still has a history, and a bucket cannot
// be created suspended) and Object Lock with its default retention. A
// setting that cannot be read is left out and logged.
func (s *side) bucketSpec(ctx context.Context, log *slog.Logger) store.BucketSpec {
	var spec store.BucketSpec
	if v, ok := s.store.(store.Versioned); ok {
		state, err := v.Versioning(ctx)
		switch {
		case err != nil:
			log.Warn("source versioning unknown; the destination is created without it", "source", s.loc.String(), "err", err)
		case state == store.VersioningEnabled, state == store.VersioningSuspended:
			spec.Versioning = store.VersioningEnabled
		}
	}
	lock, err := s.lockConfig(ctx)
	if err != nil {
		log.Warn("source Object Lock unknown; the destination is created without it", "source", s.loc.String(), "err", err)
	}
	spec.Lock = lock
	return spec
}

// lockPlan is what a run decided about Object Lock before moving anything.
type lockPlan struct {
	// source is the source bucket's configuration.
	source store.BucketLock
	// dest is the destination's; probed says its enforcement was checked.
	dest   store.BucketLock
	probed bool
	// noLock is --no-lock: retention and legal holds are not written.
	noLock bool
	// unknown is why the source's configuration could not be read.
	unknown string
	// refused is, for a plan, why copy would refuse the destination.
	refused string
}

// checkLock refuses, before anything moves, a destination that would drop
// the retention a locked source's objects carry: one without Object Lock,
// or one that accepts the headers and does not enforce them (a throw-away
// GOVERNANCE version it must refuse to delete). --no-lock copies without
// retention instead, and the loss report says so. A plan only reports.
func checkLock(ctx context.Context, src, dst *side, noLock, probe bool) (*lockPlan, error) {
	srcLock, err := src.lockConfig(ctx)
	if err != nil {
		// Each object's retention is still read with it and written
		// where the destination takes it; the report says what is unknown.
		return &lockPlan{noLock: noLock, unknown: oneLine(rootCause(err).Error())}, nil
	}
	p := &lockPlan{source: srcLock, noLock: noLock}
	if !srcLock.Enabled || noLock || dst.missing {
		return p, nil
	}
	if p.dest, err = dst.lockConfig(ctx); err != nil {
		return nil, usage("destination %s: cannot read its Object Lock configuration: %v", dst.loc, rootCause(err))
	}
	if !p.dest.Enabled {
		return nil, usage("source bucket %q has Object Lock and destination %s has none, so its versions' retention and legal holds would be lost: %s, or pass --no-lock to copy without them (the loss report says so)",
			src.loc.Bucket, dst.loc, createLockedHint(dst))
	}
	if !probe {
		return p, nil
	}
	l := dst.store.(store.Locker)
	if err := l.ProbeLock(ctx); err != nil {
		if errors.Is(err, store.ErrLockNotEnforced) {
			return nil, usage("destination %s does not keep Object Lock as the source's versions need (%v); use a store that enforces retention per version, or pass --no-lock", dst.loc, strings.TrimPrefix(rootCause(err).Error(), store.ErrLockNotEnforced.Error()+": "))
		}
		return nil, usage("destination %s: cannot check that it enforces Object Lock: %v", dst.loc, rootCause(err))
	}
	p.probed = true
	return p, nil
}

// createLockedHint says how to make a destination bucket that keeps locks.
func createLockedHint(dst *side) string {
	if dst.loc.Kind != location.S3 {
		return "copy into an S3 bucket created with Object Lock"
	}
	return fmt.Sprintf("create the bucket with Object Lock (aws s3api create-bucket --bucket %s --object-lock-enabled-for-bucket; or let sortie create it: a new bucket name and --create-bucket)", dst.loc.Bucket)
}

// checkVersioned refuses a history copy between stores that cannot hold
// one, before anything moves: the source must keep versions, and the
// destination must have versioning enabled (a plan into a bucket that does
// not exist yet says what --create-bucket would do).
func checkVersioned(ctx context.Context, src, dst *side) error {
	if _, ok := src.store.(store.Versioned); !ok {
		return usage("--versions: source %s keeps no versions; copy it without --versions", src.loc)
	}
	dv, ok := dst.store.(store.Versioned)
	if !ok {
		return usage("--versions: destination %s keeps no versions; copy the history into an S3 bucket with versioning enabled", dst.loc)
	}
	if dst.missing {
		return nil
	}
	state, err := dv.Versioning(ctx)
	if err != nil {
		return usage("--versions: destination %s: cannot read its versioning state: %v", dst.loc, rootCause(err))
	}
	if state != store.VersioningEnabled {
		return usage("--versions: destination bucket %q does not have versioning enabled; enable it (aws s3api put-bucket-versioning --bucket %s --versioning-configuration Status=Enabled) or create the bucket with --create-bucket", dst.loc.Bucket, dst.loc.Bucket)
	}
	return nil
}

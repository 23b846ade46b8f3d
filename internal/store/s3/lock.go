package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/sortie-dev/sortie/internal/store"
)

// Object Lock, as the servers tests run on do it (MinIO 2026-02, versitygw
// 1.8; lock_test.go checks each point):
//   - Both enforce retention: deleting a retained version without a bypass
//     is refused, by MinIO with 400 InvalidRequest ("Object is WORM
//     protected"), by versitygw (and AWS) with 403 AccessDenied. ProbeLock
//     therefore judges by whether the version survived, not by the code.
//   - A bucket without Object Lock: GetObjectLockConfiguration answers 404
//     ObjectLockConfigurationNotFoundError on both (as on AWS), and a write
//     with retention 400 InvalidRequest ("Bucket is missing
//     ObjectLockConfiguration").
//   - versitygw versions objects only with --versioning-dir. Without it, it
//     still creates a bucket "with Object Lock" that keeps no versions:
//     CreateBucketWith fails there when it enables versioning (501
//     VersioningNotConfigured), and ProbeLock, given no version ID.
//   - versitygw's GetObject sends no lock headers (its HeadObject does), so
//     Open reports no lock there: read the lock with Stat.
//   - versitygw's CopyObject onto itself updates the object in place and
//     ignores lock headers: UpdateMetadata sets the lock after the copy
//     (ensureLock).
//   - versitygw stamps no default retention on versions; it protects every
//     version until the configuration's own date plus the default period.
//     MinIO stamps each version, as AWS does.
//   - versitygw keeps retention per key, not per version: writing a newer
//     version without retention leaves the older one reporting none (found
//     by a history copy whose verify failed). ProbeLock writes a second
//     version to catch it, so a history copy into versitygw needs --no-lock.

var _ store.Locker = (*Store)(nil)

// lockOf reads a version's Object Lock state from a HEAD or GET response.
func lockOf(mode types.ObjectLockMode, until *time.Time, hold types.ObjectLockLegalHoldStatus) store.Lock {
	l := store.Lock{Mode: string(mode), LegalHold: hold == types.ObjectLockLegalHoldStatusOn}
	if until != nil {
		l.RetainUntil = until.UTC()
	}
	return l
}

// lockHeaders returns the request fields that write l, all zero when l is.
func lockHeaders(l store.Lock) (types.ObjectLockMode, *time.Time, types.ObjectLockLegalHoldStatus) {
	var (
		mode  types.ObjectLockMode
		until *time.Time
		hold  types.ObjectLockLegalHoldStatus
	)
	if l.Mode != "" {
		mode = types.ObjectLockMode(l.Mode)
	}
	if !l.RetainUntil.IsZero() {
		t := l.RetainUntil.UTC()
		until = &t
	}
	if l.LegalHold {
		hold = types.ObjectLockLegalHoldStatusOn
	}
	return mode, until, hold
}

// bodyMD5 returns the MD5 of a seekable body, rewound after, for a write
// whose caller gave none but whose lock headers S3 accepts only with
// Content-MD5. A body that cannot be rewound is sent without it; the store
// says if it minds.
func bodyMD5(body io.Reader) []byte {
	rs, ok := body.(io.ReadSeeker)
	if !ok {
		return nil
	}
	start, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil
	}
	h := md5.New()
	_, err = io.Copy(h, rs)
	if _, serr := rs.Seek(start, io.SeekStart); serr != nil || err != nil {
		return nil
	}
	return h.Sum(nil)
}

// LockConfig implements store.Locker with GetObjectLockConfiguration.
func (s *Store) LockConfig(ctx context.Context) (store.BucketLock, error) {
	out, err := s.client.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(s.bucket)})
	if err != nil {
		if noLock(err) {
			return store.BucketLock{}, nil
		}
		return store.BucketLock{}, s.wrap("get object lock configuration of", "", err)
	}
	c := out.ObjectLockConfiguration
	if c == nil || c.ObjectLockEnabled != types.ObjectLockEnabledEnabled {
		return store.BucketLock{}, nil
	}
	l := store.BucketLock{Enabled: true}
	if c.Rule != nil && c.Rule.DefaultRetention != nil {
		d := c.Rule.DefaultRetention
		l.DefaultMode = string(d.Mode)
		l.DefaultDays = int(aws.ToInt32(d.Days))
		l.DefaultYears = int(aws.ToInt32(d.Years))
	}
	return l, nil
}

// noLock reports whether err is a server saying the bucket has no Object
// Lock configuration: AWS, MinIO and versitygw answer 404
// ObjectLockConfigurationNotFoundError.
func noLock(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ObjectLockConfigurationNotFoundError":
			return true
		}
	}
	return false
}

// probeKey is the prefix of the throw-away objects ProbeLock and
// ProbeEncryption write; a dot keeps them out of most listings' way, and
// the random tail keeps two runs from meeting.
const probeKey = ".sortie-probe-"

func probeName(what string) string {
	return probeKey + what + "-" + strings.ToLower(rand.Text())[:12]
}

// probeCleanup bounds the clean-up of a probe, which runs even when the
// probe's own context is done.
const probeCleanup = 30 * time.Second

// ProbeLock implements store.Locker. It writes a throw-away version under
// GOVERNANCE retention a day ahead, checks that deleting that version
// without bypassing governance is refused, then removes every version and
// delete marker of the probe key, bypassing governance, whatever happened
// before.
func (s *Store) ProbeLock(ctx context.Context) (err error) {
	key := probeName("lock")
	body := []byte("sortie object lock probe\n")
	sum := md5.Sum(body)
	until := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeCleanup)
		defer cancel()
		if cerr := s.removeProbe(cctx, key, true); cerr != nil && err == nil {
			err = cerr
		}
	}()
	in := s.probeInput(key, body, sum[:])
	in.ObjectLockMode, in.ObjectLockRetainUntilDate = types.ObjectLockModeGovernance, &until
	out, err := s.client.PutObject(ctx, in)
	if err != nil {
		werr := s.wrap("probe object lock of", key, err)
		if refusedLock(err, werr) {
			return &store.OpError{Op: "probe object lock of", Store: s.name, Key: key,
				Err: fmt.Errorf("%w: the bucket has no Object Lock (the store refused a write with retention: %v); create the destination with Object Lock enabled", store.ErrLockNotEnforced, apiMessage(err))}
		}
		return werr
	}
	version := aws.ToString(out.VersionId)
	if version == "" || version == store.NullVersion {
		return &store.OpError{Op: "probe object lock of", Store: s.name, Key: key,
			Err: fmt.Errorf("%w: the store wrote a version under retention without a version ID (%q); Object Lock needs a versioned bucket", store.ErrLockNotEnforced, version)}
	}
	// A newer version without retention must leave the older one's alone:
	// versitygw 1.8 keeps retention per key, so each write replaces the
	// last one's and a history copy would keep only the newest's.
	if _, err := s.client.PutObject(ctx, s.probeInput(key, body, sum[:])); err != nil {
		return s.wrap("probe object lock of", key, err)
	}
	kept, err := s.stat(ctx, key, version)
	if err != nil {
		return err
	}
	if l := kept.Meta.Lock; l.Mode != store.LockGovernance || !l.RetainUntil.Truncate(time.Second).Equal(until) {
		return &store.OpError{Op: "probe object lock of", Store: s.name, Key: key,
			Err: fmt.Errorf("%w: the store keeps retention per key, not per version: after a newer version was written, the older one reports %s instead of GOVERNANCE until %s, so a copied history would keep only its newest version's retention", store.ErrLockNotEnforced, lockText(l), until.Format(time.RFC3339))}
	}
	_, derr := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket:    aws.String(s.bucket),
		Key:       aws.String(s.prefix + key),
		VersionId: aws.String(version),
	})
	if derr != nil {
		// Stores refuse differently: AWS and versitygw 403 AccessDenied,
		// MinIO 400 InvalidRequest ("Object is WORM protected"). Whatever
		// the answer, what counts is whether the version survived.
		werr := s.wrap("probe object lock of", key, derr)
		if store.IsTransient(werr) || errors.Is(werr, store.ErrAuth) || ctx.Err() != nil {
			return werr
		}
	}
	_, serr := s.stat(ctx, key, version)
	switch {
	case errors.Is(serr, store.ErrNotExist):
		return &store.OpError{Op: "probe object lock of", Store: s.name, Key: key,
			Err: fmt.Errorf("%w: the store accepted GOVERNANCE retention until %s, then deleted the version without a bypass, so it would not keep a copy's retention either; choose a destination that enforces Object Lock", store.ErrLockNotEnforced, until.Format(time.RFC3339))}
	case serr != nil:
		return serr
	case derr == nil:
		return &store.OpError{Op: "probe object lock of", Store: s.name, Key: key,
			Err: errors.New("the store answered the delete of a retained version with success yet still holds it: cannot tell whether it enforces retention")}
	}
	return nil
}

// probeInput is a probe's write, encrypted as the store writes (for a
// bucket whose policy demands it).
func (s *Store) probeInput(key string, body, sum []byte) *s3.PutObjectInput {
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(s.prefix + key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(sum)),
	}
	in.ServerSideEncryption, in.SSEKMSKeyId = s.serverSide()
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = s.customer()
	return in
}

func lockText(l store.Lock) string {
	if l.Mode == "" {
		return "no retention"
	}
	return l.Mode + " until " + l.RetainUntil.UTC().Format(time.RFC3339)
}

// refusedLock reports whether a write with retention headers was refused
// for its headers (a 400-class answer about the request), rather than for
// the credentials, the bucket or a passing fault.
func refusedLock(err, wrapped error) bool {
	if store.IsTransient(wrapped) || errors.Is(wrapped, store.ErrAuth) || errors.Is(wrapped, store.ErrPermission) ||
		errors.Is(wrapped, store.ErrNoBucket) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status := re.HTTPStatusCode()
		return status == http.StatusBadRequest || status == http.StatusNotImplemented || status == http.StatusConflict
	}
	return false
}

// apiMessage is the server's own code and message, for an error line.
func apiMessage(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		if m := api.ErrorMessage(); m != "" {
			return api.ErrorCode() + ": " + m
		}
		return api.ErrorCode()
	}
	return err.Error()
}

// removeProbe deletes every version and delete marker of a probe key (the
// current object, on a store without versions), bypassing governance
// retention when bypass is set.
func (s *Store) removeProbe(ctx context.Context, key string, bypass bool) error {
	full := s.prefix + key
	out, err := s.client.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(s.bucket), Prefix: aws.String(full)})
	var ids []string
	if err == nil {
		for _, v := range out.Versions {
			if aws.ToString(v.Key) == full {
				ids = append(ids, aws.ToString(v.VersionId))
			}
		}
		for _, d := range out.DeleteMarkers {
			if aws.ToString(d.Key) == full {
				ids = append(ids, aws.ToString(d.VersionId))
			}
		}
	}
	if len(ids) == 0 {
		// A store that lists no versions of an object it holds keeps
		// none: delete the object itself. Where it holds nothing, a plain
		// delete is not sent: on a versioned bucket it would leave a
		// delete marker behind.
		if _, serr := s.stat(ctx, key, ""); serr == nil {
			ids = []string{""}
		}
	}
	var errs []error
	for _, id := range ids {
		in := &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(full), VersionId: optional(id)}
		if bypass {
			in.BypassGovernanceRetention = aws.Bool(true)
		}
		if _, err := s.client.DeleteObject(ctx, in); err != nil {
			if werr := s.wrap("remove probe", key, err); !errors.Is(werr, store.ErrNotExist) {
				errs = append(errs, werr)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w; delete %s%s by hand", errors.Join(errs...), s.name+"/", key)
	}
	return nil
}

// CreateBucketWith creates the store's bucket as spec says: with Object
// Lock when spec.Lock.Enabled (S3 allows it only at creation, and it
// enables versioning for good), with versioning enabled when
// spec.Versioning is VersioningEnabled, and with spec.Lock's default
// retention when it names one. A suspended spec.Versioning creates an
// unversioned bucket: a new bucket has no history for suspension to keep.
// An existing bucket owned by the caller is not an error, but one that
// lacks the Object Lock spec asks for is, since it can no longer be given
// it.
func (s *Store) CreateBucketWith(ctx context.Context, spec store.BucketSpec) error {
	l := spec.Lock
	if l.DefaultMode != "" && !l.Enabled {
		return &store.OpError{Op: "create bucket", Store: s.name, Err: fmt.Errorf("default retention %s asked without Object Lock", l.DefaultMode)}
	}
	if l.DefaultMode != "" && (l.DefaultDays > 0) == (l.DefaultYears > 0) {
		return &store.OpError{Op: "create bucket", Store: s.name,
			Err: fmt.Errorf("default retention %s needs either days or years (got %d days, %d years)", l.DefaultMode, l.DefaultDays, l.DefaultYears)}
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(s.bucket)}
	if l.Enabled {
		in.ObjectLockEnabledForBucket = aws.Bool(true)
	}
	existed, err := s.createBucket(ctx, in)
	if err != nil {
		return err
	}
	if l.Enabled && existed {
		have, err := s.LockConfig(ctx)
		if err != nil {
			return err
		}
		if !have.Enabled {
			return &store.OpError{Op: "create bucket", Store: s.name,
				Err: errors.New("the bucket exists without Object Lock, which S3 enables only when a bucket is created; choose a new bucket")}
		}
	}
	if spec.Versioning == store.VersioningEnabled || l.Enabled {
		// A locked bucket is versioned already; asking again costs one
		// request and covers a store that did not do it by itself.
		v, err := s.Versioning(ctx)
		if err != nil {
			return err
		}
		if v != store.VersioningEnabled {
			if err := s.SetVersioning(ctx, store.VersioningEnabled); err != nil {
				return err
			}
		}
	}
	if l.DefaultMode != "" {
		d := &types.DefaultRetention{Mode: types.ObjectLockRetentionMode(l.DefaultMode)}
		if l.DefaultDays > 0 {
			d.Days = aws.Int32(int32(l.DefaultDays))
		} else {
			d.Years = aws.Int32(int32(l.DefaultYears))
		}
		_, err := s.client.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{
			Bucket: aws.String(s.bucket),
			ObjectLockConfiguration: &types.ObjectLockConfiguration{
				ObjectLockEnabled: types.ObjectLockEnabledEnabled,
				Rule:              &types.ObjectLockRule{DefaultRetention: d},
			},
		})
		if err != nil {
			return s.wrap("put object lock configuration of", "", err)
		}
	}
	return nil
}

// ensureLock brings the Object Lock state of a version written by a copy
// onto itself to want, for stores whose CopyObject keeps the object in
// place and ignores the lock headers (versitygw 1.8 updates metadata in
// place, without a new version). Legal hold is set either way; retention
// is only ever added or extended: S3 refuses to shorten COMPLIANCE, and
// shortening GOVERNANCE would need a bypass sortie never asks for on
// someone else's data.
func (s *Store) ensureLock(ctx context.Context, key, versionID string, want store.Lock) error {
	info, err := s.stat(ctx, key, versionID)
	if err != nil {
		return err
	}
	have := info.Meta.Lock
	if have.LegalHold != want.LegalHold {
		status := types.ObjectLockLegalHoldStatusOff
		if want.LegalHold {
			status = types.ObjectLockLegalHoldStatusOn
		}
		_, err := s.client.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{
			Bucket:    aws.String(s.bucket),
			Key:       aws.String(s.prefix + key),
			VersionId: optional(versionID),
			LegalHold: &types.ObjectLockLegalHold{Status: status},
		})
		if err != nil {
			return s.wrap("put legal hold of", key, err)
		}
	}
	if want.Mode != "" && (have.Mode != want.Mode || have.RetainUntil.Before(want.RetainUntil.Truncate(time.Second))) {
		until := want.RetainUntil.UTC()
		_, err := s.client.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{
			Bucket:    aws.String(s.bucket),
			Key:       aws.String(s.prefix + key),
			VersionId: optional(versionID),
			Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionMode(want.Mode), RetainUntilDate: &until},
		})
		if err != nil {
			return s.wrap("put retention of", key, err)
		}
	}
	return nil
}

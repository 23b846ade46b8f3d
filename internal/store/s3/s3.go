// Package s3 adapts Amazon S3 and S3-compatible stores (MinIO, Ceph RGW,
// Garage, SeaweedFS, versitygw, a provider's endpoint) to store.Store through
// aws-sdk-go-v2. It is the only package that sees SDK types.
//
// Choices made for S3-compatible stores, on every side:
//   - A custom endpoint (a profile's endpoint_url, AWS_ENDPOINT_URL_S3, or
//     Config.Endpoint) switches to path-style addressing.
//   - The SDK's default request checksums (CRC32 trailers, on by default since
//     early 2025) are turned off: RequestChecksumCalculation and
//     ResponseChecksumValidation are "when required". Several S3-compatible
//     stores reject aws-chunked trailers; sortie instead sends Content-MD5 on
//     every PutObject and UploadPart, which every S3 implementation checks,
//     and compares the ETag the store returns with the MD5 it computed.
//   - Each request is retried by one layer only (package retry has the
//     table). Data requests — GetObject, PutObject, and the calls that open,
//     fill and complete a multipart upload — get one SDK attempt: the engine
//     holding the body retries them, body read included, and answers their
//     throttling by lowering its concurrency. Listing pages and Check get one
//     SDK attempt too, and are retried by this package's own loops, which
//     also see a page cut short while decoding. Control requests (HEAD,
//     tagging, ListParts, ListMultipartUploads, abort, delete) are retried
//     by the SDK alone, throttling included, with capped exponential backoff
//     and jitter, up to MaxAttempts, and without the SDK's client-side retry
//     quota (it turns a throttling storm into "retry quota exceeded").
//   - Object history (store.Versioned) is read from ListObjectVersions'
//     raw XML as well as the SDK's decoding, which loses how versions and
//     delete markers interleave; versions.go says how, and what versitygw
//     does differently.
//   - Object Lock (store.Locker) and server-side encryption are checked,
//     not trusted: ProbeLock deletes a retained version to see it refused,
//     and every write that asks for encryption is followed by a HEAD, since
//     versitygw answers such writes 200 and stores the object in clear.
//     lock.go and sse.go list what each server does.
package s3

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/sortie-dev/sortie/internal/awsconfig"
	backoff "github.com/sortie-dev/sortie/internal/retry"
	"github.com/sortie-dev/sortie/internal/store"
)

// Config says which bucket to open and how to reach it.
type Config struct {
	Bucket string
	// Prefix is the key prefix under which the store's keys live; a
	// non-empty prefix is treated as a folder ("data" and "data/" are the
	// same), as aws s3 sync and rclone do.
	Prefix string
	// AWS says how to reach the store: profile or keys, endpoint, region,
	// connections. Its MaxAttempts bounds the SDK's attempts of one control
	// request (HEAD, tagging, part and upload listings, abort, delete;
	// default 10); data requests and listing pages get one SDK attempt:
	// their retries are the caller's (package retry) and this package's
	// list loop. Its Logger defaults to Logger.
	AWS    awsconfig.Options
	Logger *slog.Logger
	// Encryption is the server-side encryption the store writes with, and
	// the SSE-C key it reads and writes with; every write that asks for
	// encryption is confirmed with a HEAD (sse.go says why).
	Encryption Encryption
}

// Store is one bucket (and prefix) on S3 or an S3-compatible store.
type Store struct {
	client   *s3.Client
	bucket   string
	prefix   string
	name     string
	endpoint string
	tags     bool
	enc      Encryption
	ssec     sseC
	log      *slog.Logger
	// firstParts caches the first part's size of multipart objects (Open).
	firstParts partSizes
}

var (
	_ store.Store           = (*Store)(nil)
	_ store.Multipart       = (*Store)(nil)
	_ store.PartLister      = (*Store)(nil)
	_ store.UploadLister    = (*Store)(nil)
	_ store.MetadataUpdater = (*Store)(nil)
)

// New opens a bucket. It makes no request but the bucket-region lookup that
// a bucket on AWS itself needs; call Check to confirm the bucket is there
// and the credentials work.
func New(ctx context.Context, cfg Config) (*Store, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Encryption.validate(); err != nil {
		return nil, fmt.Errorf("s3://%s: %w", cfg.Bucket, err)
	}
	opts := cfg.AWS
	if opts.Logger == nil {
		opts.Logger = cfg.Logger // SDK warnings at debug level, under --verbose
	}
	awsCfg, err := awsconfig.Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	client := awsconfig.S3(awsCfg, "")
	endpoint := awsconfig.Endpoint(awsCfg)
	if endpoint == "" && cfg.AWS.Region == "" {
		// A bucket on AWS answers only in its own region; ask it which.
		region, err := manager.GetBucketRegion(ctx, client, cfg.Bucket)
		if err == nil && region != "" && region != client.Options().Region {
			client = awsconfig.S3(awsCfg, region)
		}
	}
	prefix := strings.TrimPrefix(cfg.Prefix, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	name := "s3://" + cfg.Bucket + "/" + prefix
	s := &Store{
		client:   client,
		bucket:   cfg.Bucket,
		prefix:   prefix,
		name:     strings.TrimSuffix(name, "/"),
		endpoint: endpoint,
		tags:     true,
		enc:      cfg.Encryption,
		ssec:     newSSEC(cfg.Encryption.CustomerKey),
		log:      log,
	}
	return s, nil
}

func (s *Store) String() string { return s.name }

// Endpoint returns the custom endpoint in use, or "" for AWS itself.
func (s *Store) Endpoint() string { return s.endpoint }

// Capabilities implements store.Store.
func (s *Store) Capabilities() store.Capabilities {
	return store.Capabilities{
		// SSE-KMS and SSE-C make every ETag, a part's too, something
		// other than an MD5 of the body.
		ETagIsMD5:   s.enc.asked() != store.SSEKMS && s.enc.asked() != store.SSECustomer,
		Tags:        s.tags,
		MinPartSize: 5 << 20,
		MaxPartSize: 5 << 30,
		MaxParts:    10000,
	}
}

// Check confirms that the bucket exists and that the credentials may list
// it, so that a run fails at once, with one clear line, when they do not.
func (s *Store) Check(ctx context.Context) error {
	// Few attempts: a wrong endpoint should fail in a second or two, not
	// after a minute of retries; a passing fault should not fail the run.
	return checkRetry.Do(ctx, func(int) error {
		_, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket:  aws.String(s.bucket),
			Prefix:  aws.String(s.prefix),
			MaxKeys: aws.Int32(1),
		}, oneAttempt)
		if err != nil {
			return s.wrap("list", "", err)
		}
		return nil
	})
}

// The loops of the requests this package retries itself; the SDK makes one
// attempt at each. A throttled page waits here too: listings go through no
// engine's gate.
var (
	listRetry  = backoff.Policy{Attempts: 8, Throttles: 12, Base: 250 * time.Millisecond, Max: 10 * time.Second}
	checkRetry = backoff.Policy{Attempts: 3, Throttles: 8, Base: 200 * time.Millisecond, Max: 2 * time.Second}
)

// CreateBucket creates the store's bucket; an existing bucket owned by the
// caller is not an error.
func (s *Store) CreateBucket(ctx context.Context) error {
	return s.CreateBucketWith(ctx, store.BucketSpec{})
}

// CreateLockedBucket creates the store's bucket with Object Lock enabled,
// which S3 allows only at creation and which enables versioning for good;
// an existing bucket owned by the caller is not an error if it has Object
// Lock, and is one if it has not.
func (s *Store) CreateLockedBucket(ctx context.Context) error {
	return s.CreateBucketWith(ctx, store.BucketSpec{Lock: store.BucketLock{Enabled: true}})
}

// createBucket sends in and reports whether the bucket existed already,
// owned by the caller.
func (s *Store) createBucket(ctx context.Context, in *s3.CreateBucketInput) (existed bool, err error) {
	_, err = s.client.CreateBucket(ctx, in)
	var owned *types.BucketAlreadyOwnedByYou
	if errors.As(err, &owned) {
		return true, nil
	}
	if err != nil {
		return false, s.wrap("create bucket", "", err)
	}
	return false, nil
}

// List implements store.Store with ListObjectsV2, 1,000 keys a page.
func (s *Store) List(ctx context.Context, startAfter string) iter.Seq2[store.Object, error] {
	return s.list(ctx, s.prefix, startAfter)
}

// object converts a listing entry.
func (s *Store) object(o types.Object) store.Object {
	return store.Object{
		Key:          strings.TrimPrefix(aws.ToString(o.Key), s.prefix),
		Size:         aws.ToInt64(o.Size),
		ETag:         strings.Trim(aws.ToString(o.ETag), `"`),
		ModTime:      aws.ToTime(o.LastModified),
		StorageClass: string(o.StorageClass),
	}
}

// list lists the bucket's keys under fullPrefix (which includes the store's
// prefix) after startAfter (relative to the store's prefix).
func (s *Store) list(ctx context.Context, fullPrefix, startAfter string) iter.Seq2[store.Object, error] {
	return func(yield func(store.Object, error) bool) {
		in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket)}
		if fullPrefix != "" {
			in.Prefix = aws.String(fullPrefix)
		}
		if startAfter != "" {
			in.StartAfter = aws.String(s.prefix + startAfter)
		}
		pages := s3.NewListObjectsV2Paginator(s.client, in)
		for pages.HasMorePages() {
			// A page whose body was cut short is not retried by the SDK
			// (it fails while decoding); the paginator keeps its token on
			// error, so asking again fetches the same page.
			var page *s3.ListObjectsV2Output
			err := listRetry.Do(ctx, func(int) error {
				var err error
				if page, err = pages.NextPage(ctx, oneAttempt); err != nil {
					return s.wrap("list", "", err)
				}
				return nil
			})
			if err != nil {
				yield(store.Object{}, err)
				return
			}
			for _, o := range page.Contents {
				if !yield(s.object(o), nil) {
					return
				}
			}
		}
	}
}

// FirstAfter returns the first object under prefix after the given key,
// with one request of one key: the probe parallel listings plan with.
func (s *Store) FirstAfter(ctx context.Context, prefix, after string) (store.Object, bool, error) {
	var found store.Object
	ok := false
	err := listRetry.Do(ctx, func(int) error {
		in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), MaxKeys: aws.Int32(1), Prefix: aws.String(s.prefix + prefix)}
		if after != "" {
			in.StartAfter = aws.String(s.prefix + after)
		}
		out, err := s.client.ListObjectsV2(ctx, in, oneAttempt)
		if err != nil {
			return s.wrap("list", "", err)
		}
		if len(out.Contents) > 0 {
			found, ok = s.object(out.Contents[0]), true
		}
		return nil
	})
	return found, ok, err
}

// ListPrefix lists the keys under prefix (relative to the store's) after
// startAfter: MinIO walks only that folder, where a StartAfter alone makes
// it walk from the top.
func (s *Store) ListPrefix(ctx context.Context, prefix, startAfter string) iter.Seq2[store.Object, error] {
	return s.list(ctx, s.prefix+prefix, startAfter)
}

// Stat implements store.Store: HeadObject, then GetObjectTagging when the
// object has tags.
func (s *Store) Stat(ctx context.Context, key string) (store.Info, error) {
	return s.stat(ctx, key, "")
}

// stat reads the current object at key, or the version versionID.
func (s *Store) stat(ctx context.Context, key, versionID string) (store.Info, error) {
	in := &s3.HeadObjectInput{
		Bucket:    aws.String(s.bucket),
		Key:       aws.String(s.prefix + key),
		VersionId: optional(versionID),
	}
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = s.customer()
	out, err := s.client.HeadObject(ctx, in)
	if err != nil && in.SSECustomerKey != nil && badRequest(err) {
		// Not an SSE-C object (S3 and MinIO refuse a key for it): read it
		// as it is, and Encryption says how it is stored.
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = nil, nil, nil
		out, err = s.client.HeadObject(ctx, in)
	}
	if err != nil {
		return store.Info{}, s.readError("stat", key, err)
	}
	info := store.Info{
		Object: store.Object{
			Key:          key,
			Size:         aws.ToInt64(out.ContentLength),
			ETag:         strings.Trim(aws.ToString(out.ETag), `"`),
			ModTime:      aws.ToTime(out.LastModified),
			StorageClass: storageClass(string(out.StorageClass)),
			VersionID:    aws.ToString(out.VersionId),
		},
		Meta: metadata(out.ContentType, out.ContentEncoding, out.ContentDisposition, out.ContentLanguage,
			out.CacheControl, out.ExpiresString, out.Metadata),
		Parts:      int(aws.ToInt32(out.PartsCount)),
		Length:     aws.ToInt64(out.ContentLength),
		OpaqueETag: opaque(out.ServerSideEncryption, out.SSECustomerAlgorithm),
		Encryption: encryptionOf(out.ServerSideEncryption, out.SSECustomerAlgorithm),
	}
	info.Meta.Lock = lockOf(out.ObjectLockMode, out.ObjectLockRetainUntilDate, out.ObjectLockLegalHoldStatus)
	if err := s.fillTags(ctx, key, versionID, aws.ToInt32(out.TagCount), &info.Meta); err != nil {
		return store.Info{}, err
	}
	return info, nil
}

// fillTags fetches an object's tags. HeadObject and GetObject say how many
// tags there are, when the store tells: the extra request is made only when
// there is something to fetch, or when the store does not say.
func (s *Store) fillTags(ctx context.Context, key, versionID string, count int32, meta *store.Metadata) error {
	if !s.tags || count == 0 {
		return nil
	}
	out, err := s.client.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{
		Bucket:    aws.String(s.bucket),
		Key:       aws.String(s.prefix + key),
		VersionId: optional(versionID),
	})
	if err != nil {
		return s.wrap("get tags", key, err)
	}
	if len(out.TagSet) == 0 {
		return nil
	}
	meta.Tags = make(map[string]string, len(out.TagSet))
	for _, t := range out.TagSet {
		meta.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return nil
}

// Open implements store.Store with one GetObject, which also carries the
// object's metadata.
func (s *Store) Open(ctx context.Context, key string, opts store.ReadOptions) (io.ReadCloser, store.Info, error) {
	in := &s3.GetObjectInput{
		Bucket:    aws.String(s.bucket),
		Key:       aws.String(s.prefix + key),
		VersionId: optional(opts.VersionID),
	}
	switch {
	case opts.PartNumber > 0:
		in.PartNumber = aws.Int32(int32(opts.PartNumber))
	case opts.Offset > 0 || opts.Length >= 0:
		if opts.Length == 0 {
			// HTTP cannot ask for an empty range.
			opts.Length = -1
		}
		r := "bytes=" + strconv.FormatInt(opts.Offset, 10) + "-"
		if opts.Length > 0 {
			r += strconv.FormatInt(opts.Offset+opts.Length-1, 10)
		}
		in.Range = aws.String(r)
	}
	if opts.IfMatch != "" {
		in.IfMatch = aws.String(`"` + opts.IfMatch + `"`)
	}
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = s.customer()
	out, err := s.client.GetObject(ctx, in, s.dataPath)
	if err != nil && in.SSECustomerKey != nil && badRequest(err) {
		// Not an SSE-C object: read it as it is (see stat).
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = nil, nil, nil
		out, err = s.client.GetObject(ctx, in, s.dataPath)
	}
	if err != nil {
		return nil, store.Info{}, s.readError("open", key, err)
	}
	length := aws.ToInt64(out.ContentLength)
	size := length
	if cr := aws.ToString(out.ContentRange); cr != "" {
		// "bytes 0-99/1234": the whole object's size follows the slash.
		if _, total, ok := strings.Cut(cr, "/"); ok {
			if n, err := strconv.ParseInt(total, 10, 64); err == nil {
				size = n
			}
		}
	}
	info := store.Info{
		Object: store.Object{
			Key:          key,
			Size:         size,
			ETag:         strings.Trim(aws.ToString(out.ETag), `"`),
			ModTime:      aws.ToTime(out.LastModified),
			StorageClass: storageClass(string(out.StorageClass)),
			VersionID:    aws.ToString(out.VersionId),
		},
		Meta: metadata(out.ContentType, out.ContentEncoding, out.ContentDisposition, out.ContentLanguage,
			out.CacheControl, out.ExpiresString, out.Metadata),
		Parts:      int(aws.ToInt32(out.PartsCount)),
		Length:     length,
		OpaqueETag: opaque(out.ServerSideEncryption, out.SSECustomerAlgorithm),
		Encryption: encryptionOf(out.ServerSideEncryption, out.SSECustomerAlgorithm),
	}
	info.Meta.Lock = lockOf(out.ObjectLockMode, out.ObjectLockRetainUntilDate, out.ObjectLockLegalHoldStatus)
	if opts.PartNumber > 0 && info.Parts > 0 {
		info.PartSize, err = s.firstPartSize(ctx, key, opts.VersionID, opts.PartNumber, info, aws.ToString(out.ContentRange), in.SSECustomerKey != nil)
		if err != nil {
			out.Body.Close()
			return nil, store.Info{}, err
		}
	}
	if err := s.fillTags(ctx, key, opts.VersionID, aws.ToInt32(out.TagCount), &info.Meta); err != nil {
		out.Body.Close()
		return nil, store.Info{}, err
	}
	return out.Body, info, nil
}

// firstPartSize returns the size of the first part of the multipart object
// whose part n was just read: store.Info promises the first part's size,
// whichever part was asked for. Part 1 is its own answer, and part 2 starts
// where part 1 ends (Content-Range); later parts take the size remembered
// from an earlier read of this version, or one HEAD of part 1, pinned to the
// ETag (and version, when one was read) so the answer is about the same
// version.
func (s *Store) firstPartSize(ctx context.Context, key, versionID string, n int, info store.Info, contentRange string, keyed bool) (int64, error) {
	if n == 1 {
		s.firstParts.put(key, info.ETag, info.Length)
		return info.Length, nil
	}
	if n == 2 {
		// "bytes 5242880-5242883/5242884"
		if start, _, ok := strings.Cut(strings.TrimPrefix(contentRange, "bytes "), "-"); ok {
			if v, err := strconv.ParseInt(start, 10, 64); err == nil && v > 0 {
				return v, nil
			}
		}
	}
	if v, ok := s.firstParts.get(key, info.ETag); ok {
		return v, nil
	}
	in := &s3.HeadObjectInput{
		Bucket:     aws.String(s.bucket),
		Key:        aws.String(s.prefix + key),
		PartNumber: aws.Int32(1),
		IfMatch:    aws.String(`"` + info.ETag + `"`),
		VersionId:  optional(versionID),
	}
	if keyed {
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = s.customer()
	}
	out, err := s.client.HeadObject(ctx, in)
	if err != nil {
		return 0, s.wrap("stat part 1 of", key, err)
	}
	v := aws.ToInt64(out.ContentLength)
	s.firstParts.put(key, info.ETag, v)
	return v, nil
}

// partSizes remembers the first part's size of objects recently read by
// part number, so that reading every part of a large object costs no extra
// request per part. It is bounded by forgetting everything when full: a copy
// reads the parts of few objects at once.
type partSizes struct {
	mu sync.Mutex
	m  map[string]int64
}

const maxPartSizes = 4096

func (p *partSizes) get(key, etag string) (int64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.m[key+"\x00"+etag]
	return v, ok
}

func (p *partSizes) put(key, etag string, size int64) {
	if etag == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil || len(p.m) >= maxPartSizes {
		p.m = make(map[string]int64)
	}
	p.m[key+"\x00"+etag] = size
}

func storageClass(c string) string {
	if c == "" {
		return "STANDARD"
	}
	return c
}

// Put implements store.Store with one PutObject carrying Content-MD5.
func (s *Store) Put(ctx context.Context, in store.PutInput) (store.Object, error) {
	req := &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(s.prefix + in.Key),
		Body:          in.Body,
		ContentLength: aws.Int64(in.Size),
	}
	m := in.Meta
	if in.MD5 == nil && !m.Lock.IsZero() {
		// S3 takes lock headers only with Content-MD5 (or a checksum).
		in.MD5 = bodyMD5(in.Body)
	}
	if in.MD5 != nil {
		req.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(in.MD5))
	}
	req.ObjectLockMode, req.ObjectLockRetainUntilDate, req.ObjectLockLegalHoldStatus = lockHeaders(m.Lock)
	req.ServerSideEncryption, req.SSEKMSKeyId = s.serverSide()
	req.SSECustomerAlgorithm, req.SSECustomerKey, req.SSECustomerKeyMD5 = s.customer()
	req.ContentType, req.ContentEncoding, req.ContentDisposition, req.ContentLanguage, req.CacheControl =
		optional(m.ContentType), optional(m.ContentEncoding), optional(m.ContentDisposition), optional(m.ContentLanguage), optional(m.CacheControl)
	req.Expires = expires(m.Expires)
	req.Metadata = encodeUser(m.User)
	req.Tagging = encodeTags(m.Tags)
	if in.StorageClass != "" {
		req.StorageClass = types.StorageClass(in.StorageClass)
	}
	opts := []func(*s3.Options){s.dataPath}
	if in.MD5 != nil {
		opts = append(opts, unsignedPayload)
	}
	out, err := s.client.PutObject(ctx, req, opts...)
	if err != nil {
		return store.Object{}, s.wrap("put", in.Key, err)
	}
	etag := strings.Trim(aws.ToString(out.ETag), `"`)
	if opaque(out.ServerSideEncryption, out.SSECustomerAlgorithm) && s.Capabilities().ETagIsMD5 {
		// The store checked the Content-MD5 we sent; its ETag is no MD5,
		// though the store says its ETags are (a bucket's default
		// encryption did it): callers must not compare it with one.
		etag = ""
	}
	if err := s.confirmEncrypted(ctx, "put", in.Key, aws.ToString(out.VersionId)); err != nil {
		return store.Object{}, err
	}
	return store.Object{Key: in.Key, Size: in.Size, ETag: etag, VersionID: aws.ToString(out.VersionId)}, nil
}

// maxCopySize is the largest object CopyObject takes in one request.
const maxCopySize = 5 << 30

// UpdateMetadata implements store.MetadataUpdater with one CopyObject of
// the object onto itself, MetadataDirective and TaggingDirective REPLACE,
// conditional on etag (CopySourceIfMatch). Like other control requests it
// is retried by the SDK: it sends no body, and repeating it is harmless.
func (s *Store) UpdateMetadata(ctx context.Context, key, etag string, m store.Metadata) (store.Object, error) {
	info, err := s.stat(ctx, key, "")
	if err != nil {
		return store.Object{}, err
	}
	if info.Size > maxCopySize {
		return store.Object{}, &store.OpError{Op: "update metadata", Store: s.name, Key: key,
			Err: fmt.Errorf("%w: CopyObject takes at most 5 GiB", store.ErrUnsupported)}
	}
	req := &s3.CopyObjectInput{
		Bucket:            aws.String(s.bucket),
		Key:               aws.String(s.prefix + key),
		CopySource:        aws.String(s.bucket + "/" + escapeKey(s.prefix+key)),
		MetadataDirective: types.MetadataDirectiveReplace,
		TaggingDirective:  types.TaggingDirectiveReplace,
		CopySourceIfMatch: optional(quoted(etag)),
	}
	req.ContentType, req.ContentEncoding, req.ContentDisposition, req.ContentLanguage, req.CacheControl =
		optional(m.ContentType), optional(m.ContentEncoding), optional(m.ContentDisposition), optional(m.ContentLanguage), optional(m.CacheControl)
	req.Expires = expires(m.Expires)
	req.Metadata = encodeUser(m.User)
	req.Tagging = encodeTags(m.Tags)
	// The copy is a new version, which keeps no lock of the old one's but
	// what it is given here (or the bucket's default).
	req.ObjectLockMode, req.ObjectLockRetainUntilDate, req.ObjectLockLegalHoldStatus = lockHeaders(m.Lock)
	// The copy is written anew: it is encrypted as this store writes, and
	// an SSE-C source needs its key to be read.
	req.ServerSideEncryption, req.SSEKMSKeyId = s.serverSide()
	req.SSECustomerAlgorithm, req.SSECustomerKey, req.SSECustomerKeyMD5 = s.customer()
	if info.Encryption == store.SSECustomer {
		req.CopySourceSSECustomerAlgorithm, req.CopySourceSSECustomerKey, req.CopySourceSSECustomerKeyMD5 = s.customer()
	}
	if info.StorageClass != "" && info.StorageClass != "STANDARD" {
		// A copy without a class would move the object to STANDARD.
		req.StorageClass = types.StorageClass(info.StorageClass)
	}
	out, err := s.client.CopyObject(ctx, req)
	if err != nil {
		return store.Object{}, s.wrap("update metadata", key, err)
	}
	o := info.Object
	o.VersionID = aws.ToString(out.VersionId)
	if !m.Lock.IsZero() || !info.Meta.Lock.IsZero() {
		if err := s.ensureLock(ctx, key, o.VersionID, m.Lock); err != nil {
			return store.Object{}, err
		}
	}
	if err := s.confirmEncrypted(ctx, "update metadata", key, o.VersionID); err != nil {
		return store.Object{}, err
	}
	if r := out.CopyObjectResult; r != nil {
		o.ETag = strings.Trim(aws.ToString(r.ETag), `"`)
		o.ModTime = aws.ToTime(r.LastModified)
	}
	if opaque(out.ServerSideEncryption, out.SSECustomerAlgorithm) && s.Capabilities().ETagIsMD5 {
		o.ETag = "" // as in Put
	}
	return o, nil
}

// escapeKey escapes a key for x-amz-copy-source, keeping its slashes. Every
// byte but unreserved ones is escaped: servers differ in what they decode
// ('+' as a space, among others).
func escapeKey(k string) string {
	parts := strings.Split(k, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(url.QueryEscape(p), "+", "%20")
	}
	return strings.Join(parts, "/")
}

func quoted(etag string) string {
	if etag == "" {
		return ""
	}
	return `"` + strings.Trim(etag, `"`) + `"`
}

// opaque reports whether S3 encryption makes an object's ETag something
// other than the MD5 of its body: SSE-KMS, DSSE-KMS and SSE-C do; SSE-S3
// (AES256) does not.
func opaque(sse types.ServerSideEncryption, customer *string) bool {
	return strings.HasPrefix(string(sse), "aws:kms") || aws.ToString(customer) != ""
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.prefix + key),
	})
	if err != nil {
		err = s.wrap("delete", key, err)
		if errors.Is(err, store.ErrNotExist) {
			return nil
		}
		return err
	}
	return nil
}

// CreateMultipart implements store.Multipart.
func (s *Store) CreateMultipart(ctx context.Context, key string, m store.Metadata, storageClass string) (string, error) {
	req := &s3.CreateMultipartUploadInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.prefix + key),
	}
	req.ContentType, req.ContentEncoding, req.ContentDisposition, req.ContentLanguage, req.CacheControl =
		optional(m.ContentType), optional(m.ContentEncoding), optional(m.ContentDisposition), optional(m.ContentLanguage), optional(m.CacheControl)
	req.Expires = expires(m.Expires)
	req.Metadata = encodeUser(m.User)
	req.Tagging = encodeTags(m.Tags)
	req.ObjectLockMode, req.ObjectLockRetainUntilDate, req.ObjectLockLegalHoldStatus = lockHeaders(m.Lock)
	req.ServerSideEncryption, req.SSEKMSKeyId = s.serverSide()
	req.SSECustomerAlgorithm, req.SSECustomerKey, req.SSECustomerKeyMD5 = s.customer()
	if storageClass != "" {
		req.StorageClass = types.StorageClass(storageClass)
	}
	out, err := s.client.CreateMultipartUpload(ctx, req, s.dataPath)
	if err != nil {
		return "", s.wrap("create multipart upload", key, err)
	}
	return aws.ToString(out.UploadId), nil
}

// UploadPart implements store.Multipart.
func (s *Store) UploadPart(ctx context.Context, key, uploadID string, n int, body io.ReadSeeker, size int64, md5 []byte) (string, error) {
	req := &s3.UploadPartInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(s.prefix + key),
		UploadId:      aws.String(uploadID),
		PartNumber:    aws.Int32(int32(n)),
		Body:          body,
		ContentLength: aws.Int64(size),
	}
	if md5 != nil {
		req.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(md5))
	}
	req.SSECustomerAlgorithm, req.SSECustomerKey, req.SSECustomerKeyMD5 = s.customer()
	opts := []func(*s3.Options){s.dataPath}
	if md5 != nil {
		opts = append(opts, unsignedPayload)
	}
	out, err := s.client.UploadPart(ctx, req, opts...)
	if err != nil {
		return "", s.wrap("upload part "+strconv.Itoa(n)+" of", key, err)
	}
	return strings.Trim(aws.ToString(out.ETag), `"`), nil
}

// CompleteMultipart implements store.Multipart.
func (s *Store) CompleteMultipart(ctx context.Context, key, uploadID string, parts []store.Part) (store.Object, error) {
	done := make([]types.CompletedPart, len(parts))
	var size int64
	for i, p := range parts {
		done[i] = types.CompletedPart{PartNumber: aws.Int32(int32(p.Number)), ETag: aws.String(`"` + p.ETag + `"`)}
		size += p.Size
	}
	in := &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(s.bucket),
		Key:             aws.String(s.prefix + key),
		UploadId:        aws.String(uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
	}
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = s.customer()
	out, err := s.client.CompleteMultipartUpload(ctx, in, s.dataPath)
	if err != nil {
		return store.Object{}, s.wrap("complete multipart upload", key, err)
	}
	if err := s.confirmEncrypted(ctx, "complete multipart upload", key, aws.ToString(out.VersionId)); err != nil {
		return store.Object{}, err
	}
	return store.Object{Key: key, Size: size, ETag: strings.Trim(aws.ToString(out.ETag), `"`), VersionID: aws.ToString(out.VersionId)}, nil
}

// AbortMultipart implements store.Multipart.
func (s *Store) AbortMultipart(ctx context.Context, key, uploadID string) error {
	_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket:   aws.String(s.bucket),
		Key:      aws.String(s.prefix + key),
		UploadId: aws.String(uploadID),
	})
	if err != nil {
		if err = s.wrap("abort multipart upload", key, err); errors.Is(err, store.ErrNotExist) {
			return nil
		}
		return err
	}
	return nil
}

// ListUploads implements store.UploadLister. It lists the whole bucket's
// uploads and keeps those under the prefix itself: MinIO answers a prefix
// that is not an exact object name with nothing (minio/minio#20989, "working
// as intended"), so a prefix sent to the server would find no upload under a
// folder, nor under the store's own prefix.
func (s *Store) ListUploads(ctx context.Context, prefix string) ([]store.Upload, error) {
	var ups []store.Upload
	full := s.prefix + prefix
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket)}
	for {
		out, err := s.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return nil, s.wrap("list multipart uploads", "", err)
		}
		for _, u := range out.Uploads {
			key, ok := strings.CutPrefix(aws.ToString(u.Key), full)
			if !ok {
				continue
			}
			ups = append(ups, store.Upload{Key: prefix + key, ID: aws.ToString(u.UploadId), Initiated: aws.ToTime(u.Initiated)})
		}
		if !aws.ToBool(out.IsTruncated) {
			return ups, nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

// ListParts implements store.PartLister.
func (s *Store) ListParts(ctx context.Context, key, uploadID string) ([]store.Part, error) {
	var parts []store.Part
	in := &s3.ListPartsInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key), UploadId: aws.String(uploadID)}
	for {
		out, err := s.client.ListParts(ctx, in)
		if err != nil {
			return nil, s.wrap("list parts", key, err)
		}
		for _, p := range out.Parts {
			parts = append(parts, store.Part{Number: int(aws.ToInt32(p.PartNumber)), ETag: strings.Trim(aws.ToString(p.ETag), `"`), Size: aws.ToInt64(p.Size)})
		}
		if !aws.ToBool(out.IsTruncated) {
			return parts, nil
		}
		in.PartNumberMarker = out.NextPartNumberMarker
	}
}

// dataPath marks a data request: one SDK attempt, since its caller retries
// it with its body (package retry) and answers its throttling.
func (s *Store) dataPath(o *s3.Options) { oneAttempt(o) }

// oneAttempt makes the SDK send a request once, for a caller that retries.
func oneAttempt(o *s3.Options) { o.RetryMaxAttempts = 1 }

// unsignedPayload sends a body as UNSIGNED-PAYLOAD instead of signing its
// SHA-256, for requests that carry Content-MD5. The MD5 header is itself
// signed, so the store still refuses a body altered on the way, and hashing
// every byte a second time cost a fifth of sortie's CPU on large objects
// (pprof, issue 4). The SDK already does this over TLS; this does it over
// plain HTTP too, which on-premises endpoints often are.
func unsignedPayload(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
}

// throttle reports whether err asks the client to slow down, and for how
// long when the response said (Retry-After, in seconds or as a date).
func throttle(err error) (bool, time.Duration) {
	status := 0
	var after time.Duration
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
		if re.Response != nil {
			if v := re.Response.Header.Get("Retry-After"); v != "" {
				if n, perr := strconv.Atoi(v); perr == nil && n >= 0 {
					after = time.Duration(n) * time.Second
				} else if t, perr := http.ParseTime(v); perr == nil {
					after = max(time.Until(t), 0)
				}
			}
		}
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		if _, ok := throttleCodes[api.ErrorCode()]; ok {
			return true, after
		}
	}
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable, after
}

var throttleCodes = map[string]struct{}{
	"SlowDown": {}, "Throttling": {}, "ThrottlingException": {}, "ThrottledException": {}, "RequestThrottled": {},
	"RequestThrottledException": {}, "TooManyRequests": {}, "TooManyRequestsException": {}, "RequestLimitExceeded": {},
	"BandwidthLimitExceeded": {}, "ServiceUnavailable": {},
}

func optional(v string) *string {
	if v == "" {
		return nil
	}
	return aws.String(v)
}

func expires(v string) *time.Time {
	if v == "" {
		return nil
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return nil
	}
	return &t
}

func metadata(ct, ce, cd, cl, cc, exp *string, user map[string]string) store.Metadata {
	m := store.Metadata{
		ContentType:        aws.ToString(ct),
		ContentEncoding:    aws.ToString(ce),
		ContentDisposition: aws.ToString(cd),
		ContentLanguage:    aws.ToString(cl),
		CacheControl:       aws.ToString(cc),
		Expires:            aws.ToString(exp),
	}
	if len(user) > 0 {
		m.User = make(map[string]string, len(user))
		dec := new(mime.WordDecoder)
		for k, v := range user {
			// S3 and MinIO return non-ASCII values as RFC 2047 words.
			if d, err := dec.DecodeHeader(v); err == nil {
				v = d
			}
			m.User[strings.ToLower(k)] = v
		}
	}
	return m
}

// encodeUser encodes non-ASCII values as RFC 2047 words, which is how S3
// itself asks for them: raw UTF-8 in a header is not portable.
func encodeUser(user map[string]string) map[string]string {
	if len(user) == 0 {
		return nil
	}
	out := make(map[string]string, len(user))
	for k, v := range user {
		if !isASCII(v) && utf8.ValidString(v) {
			v = mime.QEncoding.Encode("UTF-8", v)
		}
		out[k] = v
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func encodeTags(tags map[string]string) *string {
	if len(tags) == 0 {
		return nil
	}
	v := url.Values{}
	for k, t := range tags {
		v.Set(k, t)
	}
	return aws.String(v.Encode())
}

// wrap classifies an SDK error once, here, into the store's sentinels and a
// retry verdict.
func (s *Store) wrap(op, key string, err error) error {
	e := &store.OpError{Op: op, Store: s.name, Key: key, Err: err}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return e
	}
	if t, after := throttle(err); t {
		e.Retry, e.Throttle, e.RetryAfter = true, true, after
		return e
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var api smithy.APIError
	code := ""
	if errors.As(err, &api) {
		code = api.ErrorCode()
	}
	switch code {
	case "NoSuchUpload":
		// Modelled as a type for some operations only (not ListParts).
		e.Err = fmt.Errorf("%w: no such multipart upload", store.ErrNotExist)
		return e
	case "NoSuchVersion":
		e.Err = fmt.Errorf("%w: no such version", store.ErrNotExist)
		return e
	case "NoSuchKey", "NotFound":
		e.Err = store.ErrNotExist
		if code == "NotFound" && key == "" {
			e.Err = store.ErrNoBucket
		}
		return e
	case "NoSuchBucket":
		e.Err = fmt.Errorf("%w: %s", store.ErrNoBucket, s.bucket)
		return e
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "InvalidClientTokenId", "AuthorizationHeaderMalformed":
		e.Err = fmt.Errorf("%w (%s)", store.ErrAuth, code)
		return e
	case "AccessDenied", "Forbidden", "AllAccessDisabled":
		e.Err = fmt.Errorf("%w (%s)", store.ErrPermission, code)
		return e
	case "PreconditionFailed":
		e.Err = store.ErrChanged
		return e
	case "InvalidObjectState":
		e.Err = store.ErrNotRestored
		return e
	case "BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch":
		e.Err = fmt.Errorf("%w (%s)", store.ErrChecksumMismatch, code)
		e.Retry = true
		return e
	case "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeTooSkewed",
		"InternalError", "ServiceUnavailable", "TooManyRequests", "XMinioServerNotInitialized":
		e.Retry = true
		return e
	case "KeyTooLongError":
		e.Err = fmt.Errorf("%w: %s (S3 keys are at most 1,024 bytes, with the prefix)", store.ErrInvalidKey, code)
		return e
	case "NotImplemented":
		return e
	}
	if re != nil && re.Response != nil && status == http.StatusMethodNotAllowed && re.Response.Header.Get("x-amz-delete-marker") == "true" {
		// A version that is a delete marker has no body and no metadata.
		e.Err = fmt.Errorf("%w: the version is a delete marker", store.ErrNotExist)
		return e
	}
	if status == http.StatusNotFound && code == "" {
		e.Err = store.ErrNotExist
		return e
	}
	if status == http.StatusForbidden && code == "" {
		e.Err = fmt.Errorf("%w (HTTP 403)", store.ErrPermission)
		return e
	}
	if status == http.StatusTooManyRequests || status >= 500 {
		e.Retry = true
		return e
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNREFUSED) {
		// A request the SDK gave up on after its own retries, or a body
		// cut short: worth trying again at the object level.
		e.Retry = true
	}
	return e
}

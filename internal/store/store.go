package store

import (
	"context"
	"errors"
	"io"
	"iter"
	"maps"
	"time"
)

// Object is what a listing knows about one object.
type Object struct {
	// Key is relative to the store's root (its bucket and prefix, or its
	// directory), always with '/' separators.
	Key  string
	Size int64
	// ETag is the store's entity tag without quotes, or "" when the store
	// has none. Whether it is an MD5 of the body is up to the store; see
	// Capabilities.ETagIsMD5 and IsMD5ETag.
	ETag string
	// ModTime is the store's last-modified time: for a destination, the time
	// the copy was made, so it never decides by itself whether two objects
	// are the same.
	ModTime      time.Time
	StorageClass string
	// VersionID is the version this describes, when the store keeps
	// versions (Versioned) and knows it: Stat, Open, Put and
	// CompleteMultipart give it; a listing (List) may leave it "".
	VersionID string
}

// Metadata is what travels with an object besides its body.
type Metadata struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	// Expires is kept as the HTTP-date text the source gave, so that a
	// value that does not parse as a date still round-trips.
	Expires string
	// User holds x-amz-meta-* values: keys in lower case without the
	// prefix, values decoded to UTF-8 (RFC 2047 words are decoded).
	User map[string]string
	// Tags is the object's tag set; nil when the store keeps no tags.
	Tags map[string]string
	// Lock is the object version's Object Lock state, read from and
	// written to stores that implement Locker (others keep none): it
	// travels with the version as its metadata does, and is compared as
	// metadata is.
	Lock Lock
}

// Lock is an object version's Object Lock state, as S3 names it.
type Lock struct {
	// Mode is LockGovernance or LockCompliance, "" for a version with no
	// retention; RetainUntil is then zero.
	Mode        string
	RetainUntil time.Time
	// LegalHold is set when the version is under legal hold (ON).
	LegalHold bool
}

// The retention modes.
const (
	LockGovernance = "GOVERNANCE"
	LockCompliance = "COMPLIANCE"
)

// IsZero reports whether the version has neither retention nor legal hold.
func (l Lock) IsZero() bool { return l.Mode == "" && l.RetainUntil.IsZero() && !l.LegalHold }

// Equal compares two locks, their dates to the second (S3 keeps no finer).
func (l Lock) Equal(o Lock) bool {
	return l.Mode == o.Mode && l.LegalHold == o.LegalHold &&
		l.RetainUntil.Truncate(time.Second).Equal(o.RetainUntil.Truncate(time.Second))
}

// Clone returns a deep copy, so a caller can change maps without touching
// another object's metadata.
func (m Metadata) Clone() Metadata {
	m.User = maps.Clone(m.User)
	m.Tags = maps.Clone(m.Tags)
	return m
}

// Info is an object with its metadata, as Stat returns it.
type Info struct {
	Object
	Meta Metadata
	// Parts is the number of parts the object was uploaded in, when the
	// store can tell (0 otherwise); PartSize is the size of its first part.
	Parts    int
	PartSize int64
	// Length is the number of bytes the reader Open returned will yield.
	Length int64
	// OpaqueETag says this object's ETag is not an MD5 of its body even
	// though it looks like one (S3 objects encrypted with SSE-KMS or SSE-C).
	OpaqueETag bool
	// Encryption is the server-side encryption the store reports for the
	// object: SSEAES256, SSEKMS, SSECustomer, or "" for none.
	Encryption string
}

// The server-side encryption kinds, as S3 reports them (SSE-C has no
// x-amz-server-side-encryption value; its customer-algorithm header says
// it).
const (
	SSEAES256   = "AES256"
	SSEKMS      = "aws:kms"
	SSECustomer = "SSE-C"
)

// ReadOptions selects what Open returns.
type ReadOptions struct {
	Offset int64
	// Length is the number of bytes to read; a negative value reads to the
	// end of the object.
	Length int64
	// PartNumber, when positive, reads part n (from 1) of a multipart
	// object instead of a range, so a copy can mirror the source's exact
	// part layout. A store that cannot read by part returns the whole
	// object with Info.Parts 0; callers must check.
	PartNumber int
	// IfMatch, when set, makes Open fail with ErrChanged if the object's
	// ETag is no longer this one, so that the parts of one copy all come
	// from the same version of the source. It holds for ranges and part
	// numbers too; an object the store has no ETag for matches no IfMatch.
	IfMatch string
	// VersionID, when set, reads that version of the object instead of the
	// current one (ErrNotExist if the key has no such version, or if it is
	// a delete marker). Only stores that implement Versioned honour it;
	// callers must not set it for others.
	VersionID string
}

// PutInput is one whole-object write.
type PutInput struct {
	Key string
	// Body is read to its end; stores that retry requests need it to be an
	// io.ReadSeeker, which the transfer engine always passes.
	Body io.Reader
	Size int64
	// MD5, when set, is the digest the body must have; the store refuses
	// the write (ErrChecksumMismatch) rather than keep a different body.
	MD5          []byte
	Meta         Metadata
	StorageClass string
}

// Store is the contract every backend meets.
//
// All methods are safe for concurrent use. Errors are wrapped in *OpError;
// callers test them with errors.Is against the sentinels in errors.go.
type Store interface {
	// List yields the objects whose keys sort after startAfter ("" for all),
	// in ascending bytewise order of their UTF-8 keys, each key once. The
	// sequence stops at the first error, which it yields with a zero Object;
	// a cancelled ctx ends it with such an error (wrapping ctx's), never as
	// if the listing were complete.
	List(ctx context.Context, startAfter string) iter.Seq2[Object, error]

	// Stat returns an object with its metadata and tags; ErrNotExist if
	// there is no object at key.
	Stat(ctx context.Context, key string) (Info, error)

	// Open returns a reader of the object's body, or of the range or part
	// opts names, with the object's Info as of that read (Size is the whole
	// object's; Length is what the reader returns). Reading whole objects
	// this way costs one request where Stat then Open would cost two.
	// ErrNotExist if there is no object at key.
	Open(ctx context.Context, key string, opts ReadOptions) (io.ReadCloser, Info, error)

	// Put writes a whole object, replacing any object at the same key. It
	// returns the object as the store now holds it: the returned size and
	// ETag are the store's confirmation, not an echo of the input. A write
	// that fails leaves either the old object or none, never a partial one.
	Put(ctx context.Context, in PutInput) (Object, error)

	// Delete removes the object at key. Deleting a key that does not exist
	// is not an error.
	Delete(ctx context.Context, key string) error

	// Capabilities describes facts about the store that callers adapt to.
	Capabilities() Capabilities

	// String names the store for messages, e.g. "s3://bucket/prefix".
	String() string
}

// Capabilities are facts about a store, not behaviour.
type Capabilities struct {
	// ETagIsMD5 says that a single-part object's ETag is the hex MD5 of its
	// body, and a multipart object's the MD5 of its parts' MD5s, "-" and
	// the part count.
	ETagIsMD5 bool
	// Tags says the store keeps object tags.
	Tags bool
	// LocalRead says reading is local and cheap (a filesystem): verify
	// hashes such a store's bytes instead of trusting a recorded checksum.
	LocalRead bool
	// MinPartSize, MaxPartSize and MaxParts bound multipart uploads; zero
	// for stores that do not implement Multipart, and MaxPartSize and
	// MaxParts positive for those that do: a store's capabilities and the
	// optional interfaces it implements never disagree.
	MinPartSize int64
	MaxPartSize int64
	MaxParts    int
}

// Part is one completed part of a multipart upload.
type Part struct {
	Number int
	ETag   string
	Size   int64
}

// Multipart is implemented by stores that take a large object in parts,
// each of which can be retried alone. An upload in progress is not an
// object: List and Stat see nothing at its key (or the old object) until
// CompleteMultipart.
type Multipart interface {
	// CreateMultipart starts an upload and returns its ID.
	CreateMultipart(ctx context.Context, key string, meta Metadata, storageClass string) (uploadID string, err error)
	// UploadPart stores part n (from 1), replacing a part n sent before.
	// md5, when set, is checked by the store (ErrChecksumMismatch); the
	// returned ETag is the store's.
	UploadPart(ctx context.Context, key, uploadID string, n int, body io.ReadSeeker, size int64, md5 []byte) (etag string, err error)
	// CompleteMultipart assembles the parts, in order, into the object.
	CompleteMultipart(ctx context.Context, key, uploadID string, parts []Part) (Object, error)
	// AbortMultipart discards an upload and its parts; aborting an upload
	// that no longer exists is not an error.
	AbortMultipart(ctx context.Context, key, uploadID string) error
}

// PartLister is implemented by multipart stores (never by others) that can
// say which parts of an upload they hold, so that a resumed copy re-sends
// only the others.
type PartLister interface {
	// ListParts returns the upload's parts in number order; ErrNotExist if
	// the upload is gone (completed, aborted, or expired by the store).
	ListParts(ctx context.Context, key, uploadID string) ([]Part, error)
}

// Upload is a multipart upload in progress at a store.
type Upload struct {
	Key string
	ID  string
	// Initiated is when the upload was created, by the store's clock:
	// cleanup aborts only uploads older than a cutoff.
	Initiated time.Time
}

// UploadLister is implemented by multipart stores (never by others) that can
// list multipart uploads in progress, which providers bill for until they
// are completed or aborted.
type UploadLister interface {
	// ListUploads returns the uploads whose keys start with prefix, every
	// upload of a key that has several; completed and aborted uploads are
	// not listed.
	ListUploads(ctx context.Context, prefix string) ([]Upload, error)
}

// Versioning is a bucket's versioning state, as S3 names it.
type Versioning string

// The versioning states. A bucket that was never versioned is
// VersioningOff; once enabled it can only be suspended, never turned off.
const (
	VersioningOff       Versioning = ""
	VersioningEnabled   Versioning = "Enabled"
	VersioningSuspended Versioning = "Suspended"
)

// NullVersion is the ID of the version a key gets while its bucket's
// versioning is off or suspended; a key has at most one.
const NullVersion = "null"

// Version is one entry of a key's history: a version of the object, or a
// delete marker.
type Version struct {
	// Key is relative to the store's root, as in Object.
	Key string
	// VersionID is the store's ID of this version, NullVersion for one
	// written while versioning was off or suspended.
	VersionID string
	// IsLatest says this is the key's current entry: its object, or the
	// delete marker that hides it. Exactly the first entry of each key has
	// it.
	IsLatest bool
	// DeleteMarker says this entry is a delete marker: it has no body, and
	// Size, ETag and StorageClass are zero.
	DeleteMarker bool
	Size         int64
	// ETag is without quotes, as in Object.
	ETag string
	// ModTime is the store's time for this entry. Its precision differs
	// between servers, and between versions and markers of one server
	// (versitygw: seconds for versions, nanoseconds for markers): it never
	// orders a key's history; the listing's order does.
	ModTime      time.Time
	StorageClass string
}

// Versioned is implemented by stores that keep object history (S3 buckets
// with versioning): every version and delete marker of each key, and a way
// to read any of them (ReadOptions.VersionID).
type Versioned interface {
	// Versioning returns the bucket's versioning state: VersioningOff for a
	// bucket that was never versioned.
	Versioning(ctx context.Context) (Versioning, error)

	// Versions yields every version and delete marker of the keys that
	// sort after startAfter ("" for all): keys in ascending bytewise order,
	// and each key's entries newest first, versions and delete markers
	// interleaved exactly as the store orders them (ListObjectVersions
	// order), never re-sorted by ModTime. Each (Key, VersionID) appears
	// once. A bucket that was never versioned yields each object once, as
	// its NullVersion, latest. A store that cannot tell which of two
	// entries of a key is newer fails with an error wrapping
	// ErrAmbiguousOrder rather than guess. The sequence stops at the first
	// error, which it yields with a zero Version; a cancelled ctx ends it
	// with such an error (wrapping ctx's), never as if the listing were
	// complete.
	Versions(ctx context.Context, startAfter string) iter.Seq2[Version, error]

	// StatVersion returns one version of an object with its metadata and
	// tags, as Stat does for the current one. ErrNotExist if the key has no
	// such version, or if that version is a delete marker (which has no
	// metadata to read).
	StatVersion(ctx context.Context, key, versionID string) (Info, error)

	// AddDeleteMarker puts a delete marker on top of key's history (S3: a
	// DELETE without a version ID on a bucket with versioning enabled),
	// whether or not the key has an object, and returns the marker's
	// version ID as the store gave it. Nothing is removed.
	AddDeleteMarker(ctx context.Context, key string) (versionID string, err error)
}

// BucketLock is a bucket's Object Lock configuration.
type BucketLock struct {
	// Enabled says the bucket has Object Lock: its versions can be given
	// retention and legal holds. It can only be set when the bucket is
	// created (or by AWS support), and implies versioning.
	Enabled bool
	// DefaultMode, with DefaultDays or DefaultYears, is the retention a
	// version gets when it is written without one; "" for none.
	DefaultMode  string
	DefaultDays  int
	DefaultYears int
}

// Locker is implemented by stores that know Object Lock (S3 buckets):
// versions' retention and legal holds are then read and written with their
// metadata (Metadata.Lock).
type Locker interface {
	// LockConfig returns the bucket's Object Lock configuration; Enabled
	// is false for a bucket without Object Lock.
	LockConfig(ctx context.Context) (BucketLock, error)
	// ProbeLock checks that the store enforces retention, not just accepts
	// its headers: it writes a throw-away version under GOVERNANCE
	// retention, checks that deleting that version is refused, then
	// removes it bypassing governance. It returns an error wrapping
	// ErrLockNotEnforced if the delete went through, or the error that
	// kept it from telling.
	ProbeLock(ctx context.Context) error
}

// BucketSpec is what a bucket is created with, so that a destination can
// mirror its source's history settings.
type BucketSpec struct {
	Versioning Versioning
	Lock       BucketLock
}

// ErrAmbiguousOrder means a store's listing does not say in which order two
// entries of a key's history were written (versitygw lists versions apart
// from delete markers, and a null entry's time can tie with its
// neighbour's); a caller that knows the order otherwise (a journal of
// earlier listings) may recover, others must not guess.
var ErrAmbiguousOrder = errors.New("order of versions cannot be told")

// EffectiveHistory returns a key's history, oldest first, without the
// delete markers that hide nothing: those with no version beneath them (a
// DELETE of a key that had none) and those on top of another marker. AWS
// keeps such markers; MinIO and versitygw make none for a key without
// versions, and MinIO keeps one of several markers in a row. Every read of
// the key, current or by version, is the same with or without them, so a
// history copy writes and compares the effective history, and reports how
// many markers it left out (dropped).
func EffectiveHistory(oldestFirst []Version) (kept []Version, dropped int) {
	kept = make([]Version, 0, len(oldestFirst))
	for _, v := range oldestFirst {
		if v.DeleteMarker && (len(kept) == 0 || kept[len(kept)-1].DeleteMarker) {
			dropped++
			continue
		}
		kept = append(kept, v)
	}
	return kept, dropped
}

// History counts what a versioned listing holds: the current objects, and
// what a copy of only the current objects leaves behind.
type History struct {
	// Current is the number of keys whose latest entry is an object.
	Current int
	// Noncurrent is the number of versions that are not their key's
	// latest, and NoncurrentBytes their total size.
	Noncurrent      int
	NoncurrentBytes int64
	// DeleteMarkers counts every delete marker, latest or not: Hidden of
	// them are the latest entry of their key (the key looks deleted).
	DeleteMarkers int
	Hidden        int
}

// Add counts one entry of a listing.
func (h *History) Add(v Version) {
	switch {
	case v.DeleteMarker:
		h.DeleteMarkers++
		if v.IsLatest {
			h.Hidden++
		}
	case v.IsLatest:
		h.Current++
	default:
		h.Noncurrent++
		h.NoncurrentBytes += v.Size
	}
}

// LeftBehind reports whether a copy of only the current objects would leave
// any history behind.
func (h History) LeftBehind() bool { return h.Noncurrent > 0 || h.DeleteMarkers > 0 }

// CountHistory counts a whole listing (Versioned.Versions), stopping at its
// first error.
func CountHistory(versions iter.Seq2[Version, error]) (History, error) {
	var h History
	for v, err := range versions {
		if err != nil {
			return h, err
		}
		h.Add(v)
	}
	return h, nil
}

// MetadataUpdater is implemented by stores that can replace an object's
// metadata and tags without rewriting its body (S3: CopyObject onto itself
// with the REPLACE directives), so that a copy whose bytes are already in
// place is brought up to date in one request instead of a re-copy.
type MetadataUpdater interface {
	// UpdateMetadata replaces every metadata field and the tag set of the
	// object at key with meta, keeping its body. etag, when set, must be
	// the object's current ETag, else ErrChanged: the body the caller
	// compared is the one that keeps the new metadata. It returns the
	// object as the store now holds it, whose ETag may differ from the old
	// one (S3 gives an object copied onto itself a new ETag when it was
	// uploaded in parts). ErrNotExist if there is no object at key;
	// ErrUnsupported (wrapped) for an object the store cannot update in
	// place, such as one larger than S3's 5 GiB CopyObject limit: the
	// caller copies it again instead.
	UpdateMetadata(ctx context.Context, key, etag string, meta Metadata) (Object, error)
}

// ErrUnsupported means a store cannot do what was asked for this object,
// though it implements the interface that asks it; the caller falls back.
var ErrUnsupported = errors.New("not supported by the store for this object")

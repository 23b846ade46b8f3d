package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/dustin/go-humanize"

	"github.com/sortie-dev/sortie/internal/awsconfig"
	"github.com/sortie-dev/sortie/internal/filter"
	"github.com/sortie-dev/sortie/internal/location"
	"github.com/sortie-dev/sortie/internal/store"
	fsstore "github.com/sortie-dev/sortie/internal/store/fs"
	"github.com/sortie-dev/sortie/internal/store/mem"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
)

// side is one end of a run, opened and checked.
type side struct {
	role     string // "source" or "destination"
	loc      location.Location
	store    store.Store
	endpoint string // S3 endpoint, "" for AWS itself or a filesystem
	missing  bool   // the bucket or directory does not exist; planned as empty
}

// openSide parses arg and opens its store. Nothing is requested yet but the
// bucket-region lookup AWS buckets need.
func openSide(ctx context.Context, role, arg, profile string, workers int, enc s3store.Encryption, log *slog.Logger) (*side, error) {
	loc, err := location.Parse(arg)
	if err == nil && role == "destination" {
		// A bucket sortie may create follows today's rules; a source may
		// be an old AWS bucket with upper case or underscores.
		err = loc.CheckDestination()
	}
	if err != nil {
		return nil, usage("%s: %v", role, err)
	}
	s := &side{role: role, loc: loc}
	switch loc.Kind {
	case location.FS:
		if enc.CustomerKey != nil && role == "source" {
			return nil, usage("source %s is a local directory; --sse-c-key-file applies to s3:// sources only", loc)
		}
		if profile != "" {
			return nil, usage("%s %s is a local directory; --%s-profile applies to s3:// locations only", role, loc, profileFlag(role))
		}
		st, err := fsstore.New(loc.Path, log)
		if err != nil {
			return nil, usage("%s: %v", role, err)
		}
		s.store = st
	case location.S3:
		st, err := s3store.New(ctx, s3store.Config{Bucket: loc.Bucket, Prefix: loc.Prefix, Logger: log, Encryption: enc,
			AWS: awsconfig.Options{Profile: profile, Flag: "--" + profileFlag(role) + "-profile", MaxConns: workers * 2}})
		if err != nil {
			return nil, usage("%s %s: %v", role, loc, err)
		}
		s.store, s.endpoint = st, st.Endpoint()
	}
	return s, nil
}

// openSides opens the source and the destination of a command.
// se and de are each side's encryption (encryptionFlags.sides).
func openSides(ctx context.Context, srcArg, dstArg, fromProfile, toProfile string, workers int, se, de s3store.Encryption, log *slog.Logger) (src, dst *side, err error) {
	if src, err = openSide(ctx, "source", srcArg, fromProfile, workers, se, log); err != nil {
		return nil, nil, err
	}
	if dst, err = openSide(ctx, "destination", dstArg, toProfile, workers, de, log); err != nil {
		return nil, nil, err
	}
	return src, dst, nil
}

func profileFlag(role string) string {
	if role == "source" {
		return "from"
	}
	return "to"
}

// checker is what a store offers to confirm it can be used.
type checker interface {
	Check(ctx context.Context) error
}

// check confirms the store exists and can be listed.
func (s *side) check(ctx context.Context) error {
	c, ok := s.store.(checker)
	if !ok {
		return nil
	}
	if err := c.Check(ctx); err != nil {
		return s.explain(err)
	}
	return nil
}

// checkMaybeMissing is check for plans and dry runs: a destination that
// does not exist yet is planned as empty instead of refused.
func (s *side) checkMaybeMissing(ctx context.Context) error {
	c, ok := s.store.(checker)
	if !ok {
		return nil
	}
	err := c.Check(ctx)
	if errors.Is(err, store.ErrNoBucket) {
		s.store = mem.New(s.loc.String() + " (does not exist yet)")
		s.missing = true
		return nil
	}
	if err != nil {
		return s.explain(err)
	}
	return nil
}

// missingNote says, for a plan or a dry run, that the destination does not
// exist yet and what a real run then needs.
func (s *side) missingNote() string {
	if s.loc.Kind == location.FS {
		return fmt.Sprintf("destination directory %s does not exist yet (planned as empty); copy and sync create it", s.loc)
	}
	return fmt.Sprintf("destination bucket %q does not exist at %s (planned as empty); copy and sync need --create-bucket to create it", s.loc.Bucket, s.where())
}

// bucketCreator is a store that can create its bucket with the source's
// history settings.
type bucketCreator interface {
	CreateBucketWith(ctx context.Context, spec store.BucketSpec) error
}

// prepare readies a destination for writing: a directory is created (as cp
// and rclone do); a missing bucket is created only when asked, since
// creating buckets is often an operator's decision (quotas, placement),
// and then with spec (the source's versioning and Object Lock).
func (s *side) prepare(ctx context.Context, createBucket bool, spec func() store.BucketSpec) error {
	switch st := s.store.(type) {
	case *fsstore.Store:
		if err := st.Create(ctx); err != nil {
			return usage("destination %s: %v", s.loc, unwrapOp(err))
		}
		return nil
	case *s3store.Store:
		err := st.Check(ctx)
		if errors.Is(err, store.ErrNoBucket) && createBucket {
			var c any = st
			if bc, ok := c.(bucketCreator); ok {
				err = bc.CreateBucketWith(ctx, spec())
			} else {
				err = st.CreateBucket(ctx)
			}
			if err != nil {
				return s.explain(err)
			}
			return nil
		}
		if errors.Is(err, store.ErrNoBucket) {
			return usage("destination bucket %q does not exist at %s; create it (aws s3 mb, mc mb) or pass --create-bucket", s.loc.Bucket, s.where())
		}
		if err != nil {
			return s.explain(err)
		}
	}
	return nil
}

// identity names the side for the journal: the location, and the endpoint
// when it is not AWS itself (the same bucket name on two servers is two
// places).
func (s *side) identity() string {
	if s.endpoint != "" {
		return s.loc.String() + " at " + s.endpoint
	}
	return s.loc.String()
}

func (s *side) where() string {
	if s.endpoint != "" {
		return s.endpoint
	}
	if s.loc.Kind == location.S3 {
		return "AWS"
	}
	return "this machine"
}

// explain turns a preflight error into one line that names the thing and
// what to do. All of these are exit code 2: nothing was moved.
func (s *side) explain(err error) error {
	var ce *awsconfig.CredentialsError
	var pe *awsconfig.ProfileError
	switch {
	case errors.As(err, &pe), errors.As(err, &ce):
		return usage("%s %s: %v", s.role, s.loc, err)
	case errors.Is(err, store.ErrNoBucket):
		if s.loc.Kind == location.FS {
			if fi, err := os.Stat(s.loc.Path); err == nil && !fi.IsDir() {
				return usage("%s %s is not a directory; give the directory that holds the files", s.role, s.loc)
			}
			return usage("%s directory %s does not exist", s.role, s.loc)
		}
		return usage("%s bucket %q does not exist at %s; check the name and the profile's endpoint_url", s.role, s.loc.Bucket, s.where())
	case errors.Is(err, store.ErrAuth):
		return usage("%s %s: %s rejected the credentials: %v; check the keys of --%s-profile", s.role, s.loc, s.where(), rootCause(err), profileFlag(s.role))
	case errors.Is(err, store.ErrPermission):
		return usage("%s %s: access denied by %s; the credentials need permission to list this bucket (s3:ListBucket)", s.role, s.loc, s.where())
	case errors.Is(err, context.Canceled):
		return err
	}
	return usage("%s %s: cannot use %s: %v", s.role, s.loc, s.where(), rootCause(err))
}

// rootCause keeps the part of an error that says what went wrong: a network
// failure's own text, or the classified store error, without the SDK's
// layers of operation names and request IDs.
func rootCause(err error) error {
	var ne *net.OpError
	if errors.As(err, &ne) {
		return ne
	}
	return unwrapOp(err)
}

func unwrapOp(err error) error {
	var op *store.OpError
	if errors.As(err, &op) {
		return op.Err
	}
	return err
}

// checkOverlap refuses a run whose source and destination are the same place
// or nest: it would read what it writes, and a sync would delete its input.
func checkOverlap(src, dst *side) error {
	if src.endpoint != dst.endpoint {
		return nil
	}
	if location.Overlaps(src.loc, dst.loc) {
		return usage("source %s and destination %s overlap; choose a destination outside the source", src.loc, dst.loc)
	}
	return nil
}

// history is what a copy of only the current objects leaves behind at a
// versioned source: noncurrent versions and delete markers, which sortie
// does not copy yet.
type history struct {
	versioning store.Versioning
	counts     store.History
	err        error // the version listing failed: the counts are unknown
}

// history counts the source's history of the keys flt keeps, with one more
// listing. It is nil when the source keeps none: a store without versions,
// a bucket never versioned, or one whose state cannot be read (logged; a
// server without versioning support says so by failing the request).
func (s *side) history(ctx context.Context, flt *filter.Filter, log *slog.Logger) *history {
	vs, ok := s.store.(store.Versioned)
	if !ok || ctx.Err() != nil {
		return nil
	}
	state, err := vs.Versioning(ctx)
	if err != nil {
		log.Debug("versioning state unknown; not counting versions", "store", s.loc.String(), "err", err)
		return nil
	}
	if state != store.VersioningEnabled && state != store.VersioningSuspended {
		return nil
	}
	h := &history{versioning: state}
	h.counts, h.err = store.CountHistory(func(yield func(store.Version, error) bool) {
		for v, err := range vs.Versions(ctx, "") {
			if err == nil && !flt.Match(v.Key) {
				continue
			}
			if !yield(v, err) {
				return
			}
		}
	})
	return h
}

// note is the one line a run prints about the history it leaves behind; ""
// when there is none.
func (h *history) note(src *side) string {
	if h == nil {
		return ""
	}
	what := fmt.Sprintf("source bucket %q is versioned (%s)", src.loc.Bucket, h.versioning)
	if h.err != nil {
		return fmt.Sprintf("%s: noncurrent versions and delete markers left behind: unknown (%v); only current objects are copied and verified", what, oneLine(rootCause(h.err).Error()))
	}
	if !h.counts.LeftBehind() {
		return ""
	}
	return fmt.Sprintf("%s: %s and %s left behind; only current objects are copied and verified (--versions copies the history)",
		what, plural(h.counts.Noncurrent, "noncurrent version")+" ("+humanize.IBytes(uint64(h.counts.NoncurrentBytes))+")",
		plural(h.counts.DeleteMarkers, "delete marker"))
}

// jsonLeftBehind is the history a run leaves behind, in every JSON summary
// of a versioned source. The counts are absent when the listing failed.
type jsonLeftBehind struct {
	Versioning         string `json:"versioning"`
	Known              bool   `json:"known"`
	NoncurrentVersions *int   `json:"noncurrent_versions,omitempty"`
	NoncurrentBytes    *int64 `json:"noncurrent_bytes,omitempty"`
	DeleteMarkers      *int   `json:"delete_markers,omitempty"`
	Error              string `json:"error,omitempty"`
}

func (h *history) json() *jsonLeftBehind {
	if h == nil {
		return nil
	}
	j := &jsonLeftBehind{Versioning: string(h.versioning), Known: h.err == nil}
	if h.err != nil {
		j.Error = oneLine(h.err.Error())
		return j
	}
	c := h.counts
	j.NoncurrentVersions, j.NoncurrentBytes, j.DeleteMarkers = &c.Noncurrent, &c.NoncurrentBytes, &c.DeleteMarkers
	return j
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/sortie-dev/sortie/internal/awsconfig"
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
func openSide(ctx context.Context, role, arg, profile string, workers int, log *slog.Logger) (*side, error) {
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
		if profile != "" {
			return nil, usage("%s %s is a local directory; --%s-profile applies to s3:// locations only", role, loc, profileFlag(role))
		}
		st, err := fsstore.New(loc.Path, log)
		if err != nil {
			return nil, usage("%s: %v", role, err)
		}
		s.store = st
	case location.S3:
		st, err := s3store.New(ctx, s3store.Config{Bucket: loc.Bucket, Prefix: loc.Prefix, Profile: profile, Flag: "--" + profileFlag(role) + "-profile", MaxConns: workers * 2, Logger: log})
		if err != nil {
			return nil, usage("%s %s: %v", role, loc, err)
		}
		s.store, s.endpoint = st, st.Endpoint()
	}
	return s, nil
}

// openSides opens the source and the destination of a command.
func openSides(ctx context.Context, srcArg, dstArg, fromProfile, toProfile string, workers int, log *slog.Logger) (src, dst *side, err error) {
	if src, err = openSide(ctx, "source", srcArg, fromProfile, workers, log); err != nil {
		return nil, nil, err
	}
	if dst, err = openSide(ctx, "destination", dstArg, toProfile, workers, log); err != nil {
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

// prepare readies a destination for writing: a directory is created (as cp
// and rclone do); a missing bucket is created only when asked, since
// creating buckets is often an operator's decision (quotas, placement).
func (s *side) prepare(ctx context.Context, createBucket bool) error {
	switch st := s.store.(type) {
	case *fsstore.Store:
		if err := st.Create(ctx); err != nil {
			return usage("destination %s: %v", s.loc, unwrapOp(err))
		}
		return nil
	case *s3store.Store:
		err := st.Check(ctx)
		if errors.Is(err, store.ErrNoBucket) && createBucket {
			if err := st.CreateBucket(ctx); err != nil {
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

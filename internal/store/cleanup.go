package store

import (
	"context"
	"time"
)

// Stale is what AbortStale did with one incomplete upload.
type Stale struct {
	Upload
	// Kept: younger than the cutoff, left alone.
	Kept bool
	// Aborted: aborted (or, in a dry run, would be).
	Aborted bool
	// Err is why aborting it failed.
	Err error
}

// AbortStale aborts the incomplete multipart uploads of s started before
// cutoff (all of them are listed; those started later are kept), and calls
// report for each; dryRun aborts nothing. Providers bill for the parts of
// uploads that never completed. It returns the listing's error, and ends
// early when ctx is cancelled.
func AbortStale(ctx context.Context, s interface {
	Multipart
	UploadLister
}, cutoff time.Time, dryRun bool, report func(Stale)) error {
	ups, err := s.ListUploads(ctx, "")
	if err != nil {
		return err
	}
	for _, u := range ups {
		if err := ctx.Err(); err != nil {
			return err
		}
		st := Stale{Upload: u}
		switch {
		case u.Initiated.After(cutoff):
			st.Kept = true
		case dryRun:
			st.Aborted = true
		default:
			st.Err = s.AbortMultipart(ctx, u.Key, u.ID)
			st.Aborted = st.Err == nil
		}
		report(st)
	}
	return nil
}

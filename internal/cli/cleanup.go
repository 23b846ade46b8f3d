package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sortie-dev/sortie/internal/store"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
)

type cleanupOptions struct {
	profile   string
	olderThan time.Duration
	dryRun    bool
}

func newCleanupCmd(e *env) *cobra.Command {
	o := &cleanupOptions{}
	cmd := &cobra.Command{
		Use:   "cleanup DST",
		Short: "List and abort incomplete multipart uploads older than an age (providers bill for their parts)",
		Long: `List the multipart uploads in progress under DST (s3://BUCKET[/PREFIX]) and
abort those started more than --older-than ago. Their parts are billed as
storage until then. Uploads younger than that are left alone: a sortie job
that was interrupted resumes them when run again.`,
		Args: exactArgs(1, "DST"),
		RunE: func(cmd *cobra.Command, args []string) error { return runCleanup(cmd.Context(), e, o, args[0]) },
	}
	f := cmd.Flags()
	f.StringVar(&o.profile, "profile", "", "AWS shared-config profile for DST")
	f.DurationVar(&o.olderThan, "older-than", 24*time.Hour, "abort only uploads started longer ago than this")
	f.BoolVar(&o.dryRun, "dry-run", false, "list, abort nothing")
	return cmd
}

func runCleanup(ctx context.Context, e *env, o *cleanupOptions, arg string) error {
	dst, err := openSide(ctx, "destination", arg, o.profile, 4, s3store.Encryption{}, e.log)
	if err != nil {
		return err
	}
	st, ok := dst.store.(interface {
		store.Multipart
		store.UploadLister
	})
	if !ok {
		return usage("%s has no multipart uploads to clean up (cleanup is for s3:// locations)", dst.loc)
	}
	if err := dst.check(ctx); err != nil {
		return err
	}
	now := time.Now()
	aborted, kept, failed := 0, 0, 0
	err = store.AbortStale(ctx, st, now.Add(-o.olderThan), o.dryRun, func(u store.Stale) {
		age := now.Sub(u.Initiated).Round(time.Second)
		switch {
		case u.Kept:
			kept++
			fmt.Fprintf(e.stdout, "keep   %s (started %s ago)\n", u.Key, age)
		case u.Err != nil:
			failed++
			fmt.Fprintf(e.stdout, "failed %s: %s\n", u.Key, oneLine(u.Err.Error()))
		case o.dryRun:
			aborted++
			fmt.Fprintf(e.stdout, "would abort %s (started %s ago)\n", u.Key, age)
		default:
			aborted++
			fmt.Fprintf(e.stdout, "abort  %s (started %s ago)\n", u.Key, age)
		}
	})
	if err != nil {
		return dst.explain(err)
	}
	verb := "aborted"
	if o.dryRun {
		verb = "would abort"
	}
	fmt.Fprintf(e.stdout, "%d incomplete uploads: %s %d, kept %d younger than %s, %d failed\n", aborted+kept+failed, verb, aborted, kept, o.olderThan, failed)
	if failed > 0 {
		return failures{int64(failed)}
	}
	return nil
}

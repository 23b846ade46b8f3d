package cli

import (
	"context"
	"errors"
	"os"

	"github.com/sortie-dev/sortie/internal/account/awsread"
	"github.com/sortie-dev/sortie/internal/lang"
)

// exportArgs are the flags of the commands that read the account and write
// a deliverable into a directory (landing, dns export).
type exportArgs struct {
	profile, offline string
	outDir           string
	format, lang     string
}

// open checks the flags and opens the account's reader; what names the
// directory's contents for the message when -o is missing.
func (a *exportArgs) open(ctx context.Context, command, what string) (awsread.Reader, lang.Lang, error) {
	if a.outDir == "" {
		return nil, "", usage("%s needs -o OUTDIR, the directory to write %s into", command, what)
	}
	if a.format != "text" && a.format != "json" && a.format != "md" {
		return nil, "", usage("--format %q: give text, json or md", a.format)
	}
	l, err := lang.ParseLang(a.lang)
	if err != nil {
		return nil, "", usage("%v", err)
	}
	if a.offline != "" && a.profile != "" {
		return nil, "", usage("give --offline or --profile, not both")
	}
	if fi, err := os.Stat(a.outDir); err == nil && !fi.IsDir() {
		return nil, "", usage("-o %s is a file; give a directory", a.outDir)
	}
	r, err := awsread.Open(ctx, a.offline, a.profile, "--profile")
	if err != nil {
		return nil, "", usage("%v", err)
	}
	return r, l, nil
}

// readErr is a reader's error as the command reports it: an unusable
// export or a selection the account lacks is a usage error (exit 2).
func (a *exportArgs) readErr(err error, usageErrs ...error) error {
	for _, u := range usageErrs {
		if errors.Is(err, u) {
			return usage("%v", err)
		}
	}
	if err != nil && a.offline != "" {
		return usage("%v", err)
	}
	return err
}

package awsread

import (
	"context"

	"github.com/sortie-dev/sortie/internal/account"
	"github.com/sortie-dev/sortie/internal/awsconfig"
)

// Reader reads an account, live or offline.
type Reader interface {
	// Collect reads the inventory.
	Collect(ctx context.Context, opts Options) (*account.Inventory, error)
	// Access reads IAM and the access settings of buckets (all when none
	// are named); a bucket named but absent is an error.
	Access(ctx context.Context, buckets []string) (*account.Access, error)
	// Network reads the network estate a landing zone rebuilds, in
	// opts.Regions or every enabled region, into an inventory that holds
	// only the account, the regions, Network and the problems.
	Network(ctx context.Context, opts Options) (*account.Inventory, error)
	// DNS reads the Route 53 hosted zones (opts.Zones, or all) with every
	// record set, and the health checks; a zone named but absent is
	// ErrUnknownZone.
	DNS(ctx context.Context, opts DNSOptions) (*account.DNS, error)
}

var (
	_ Reader = (*Live)(nil)
	_ Reader = (*Offline)(nil)
)

// Open returns the reader a command's flags name: the aws-cli export in
// offline when it is set, else the API through profile ("" for the
// default chain), whose errors name flag.
func Open(ctx context.Context, offline, profile, flag string) (Reader, error) {
	if offline != "" {
		return NewOffline(offline)
	}
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Profile: profile, Flag: flag, MaxAttempts: 3})
	if err != nil {
		return nil, err
	}
	l := NewLive(cfg)
	l.source = "live (default profile)"
	if profile != "" {
		l.source = "live (profile " + profile + ")"
	}
	return l, nil
}

package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sortie-dev/sortie/internal/database"
)

// sessionConfig is the connection configuration of every session sortie
// opens: the endpoint's URL (its password, or PGPASSFILE's and ~/.pgpass's
// as libpq finds them), a bounded connect timeout, the command's name as
// application_name (what a DBA sees in pg_stat_activity), and params, the
// session settings the command needs.
func sessionConfig(ep database.Endpoint, side database.Side, app string, params map[string]string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(ep.URL())
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner
		}
		return nil, &database.URLError{Side: side, URL: ep.String(), Err: err}
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > 15*time.Second {
		cfg.ConnectTimeout = 15 * time.Second
	}
	cfg.RuntimeParams["application_name"] = app
	for k, v := range params {
		cfg.RuntimeParams[k] = v
	}
	return cfg, nil
}

// dial connects with cfg; its error is a *database.ConnectError, or ctx's.
func dial(ctx context.Context, ep database.Endpoint, side database.Side, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, classify(ep, side, err)
	}
	return c, nil
}

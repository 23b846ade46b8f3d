package mysql

import (
	"context"
	"errors"

	"github.com/sortie-dev/sortie/internal/database"
)

// Copy copies the source's schemas into the target.
func Copy(ctx context.Context, src, dst database.Endpoint, o database.CopyOptions) (*database.CopyResult, error) {
	return nil, errors.New("not yet")
}

package synth

import (
	"context"
	"iter"

	"github.com/sortie-dev/sortie/internal/store"
)

func pull(s *Store) (func() store.Object, func()) {
	next, stop := iter.Pull2(s.List(context.Background(), ""))
	return func() store.Object { o, _, _ := next(); return o }, stop
}

func defaultRead() store.ReadOptions { return store.ReadOptions{Length: -1} }

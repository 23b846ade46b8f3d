package mem_test

import (
	"context"
	"testing"

	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/mem"
	"github.com/sortie-dev/sortie/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return mem.New(t.Name()) })
}

func TestVersioned(t *testing.T) {
	storetest.RunVersioned(t, func(t *testing.T) store.Store {
		s := mem.New(t.Name())
		if err := s.SetVersioning(context.Background(), store.VersioningEnabled); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

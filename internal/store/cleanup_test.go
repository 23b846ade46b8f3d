package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/mem"
)

func TestAbortStale(t *testing.T) {
	ctx := context.Background()
	s := mem.New("cleanup")
	old, err := s.CreateMultipart(ctx, "old", store.Metadata{}, "")
	if err != nil {
		t.Fatal(err)
	}
	cutoff := time.Now()
	time.Sleep(10 * time.Millisecond) // mem's clock is the wall clock
	if _, err := s.CreateMultipart(ctx, "young", store.Metadata{}, ""); err != nil {
		t.Fatal(err)
	}
	for _, dry := range []bool{true, false} {
		got := map[string]store.Stale{}
		if err := store.AbortStale(ctx, s, cutoff, dry, func(st store.Stale) { got[st.Key] = st }); err != nil {
			t.Fatal(err)
		}
		if !got["old"].Aborted || got["old"].Err != nil || !got["young"].Kept || got["young"].Aborted {
			t.Errorf("dry=%v: %+v", dry, got)
		}
	}
	ups, err := s.ListUploads(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 1 || ups[0].Key != "young" || ups[0].ID == old {
		t.Errorf("left: %+v, want only the young upload", ups)
	}
}

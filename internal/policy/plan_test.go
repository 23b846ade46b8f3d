package policy

import (
	"context"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/assess"
)

var testNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func campus(t *testing.T, buckets ...string) *assess.Access {
	t.Helper()
	o, err := assess.NewOffline("testdata/campus")
	if err != nil {
		t.Fatal(err)
	}
	a, err := o.Access(context.Background(), buckets)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

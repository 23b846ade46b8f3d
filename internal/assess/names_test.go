package assess_test

import (
	"testing"

	"github.com/sortie-dev/sortie/internal/assess"
	"github.com/sortie-dev/sortie/internal/bucketname"
)

// The plan words each reason a bucket name is refused by its own message:
// a reason bucketname adds needs one.
func TestBucketNameReasonsWorded(t *testing.T) {
	for _, r := range bucketname.Reasons() {
		if !assess.Messages().Has("name." + string(r)) {
			t.Errorf("reason %q has no message name.%s", r, r)
		}
	}
}

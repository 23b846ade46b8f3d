package listing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/mem"
)

func TestJustBelow(t *testing.T) {
	for _, key := range []string{"b", "a/b", "data/2024/", "é", "日本", "\ue000", "k\x01", "a\U0010FFFF"} {
		b := justBelow(key)
		if b >= key || !utf8.ValidString(b) {
			t.Errorf("justBelow(%q) = %q: want valid UTF-8 below the key", key, b)
		}
	}
}

// Every key of a store, and keys added after the plan, lie in exactly one
// of the ranges, and a listing within each range yields exactly its keys.
func TestRangesHoldEveryKeyOnce(t *testing.T) {
	ctx := context.Background()
	s := mem.New("src")
	var keys []string
	for i := range 300 {
		keys = append(keys, fmt.Sprintf("%s/%04d", []string{"logs", "photos", "x", "été", "z"}[i%5], i))
	}
	keys = append(keys, "logs", "logs/", "a", "photos/0001/deep")
	for _, k := range keys {
		if _, err := s.Put(ctx, store.PutInput{Key: k, Body: strings.NewReader(""), Size: 0}); err != nil {
			t.Fatal(err)
		}
	}
	ranges, err := Ranges(ctx, s, 8, 256)
	if err != nil {
		t.Fatal(err)
	}
	if len(ranges) < 4 {
		t.Fatalf("got %d ranges, want several: %v", len(ranges), ranges)
	}
	if ranges[0].After != "" || ranges[len(ranges)-1].Through != "" {
		t.Fatalf("ranges do not cover the whole key space: %v", ranges)
	}
	later := []string{"", "0", "logs.", "m", "photos0", "\U0010FFFF", "zz"}
	for _, k := range append(slices.Clone(keys), later...) {
		n := 0
		for _, r := range ranges {
			if r.Contains(k) {
				n++
			}
		}
		if want := 1; n != want && k != "" {
			t.Errorf("key %q lies in %d ranges, want %d", k, n, want)
		}
	}
	var listed []string
	for _, r := range ranges {
		for o, err := range Within(s.List(ctx, r.After), r) {
			if err != nil {
				t.Fatal(err)
			}
			if !r.Contains(o.Key) {
				t.Fatalf("range %v listed %q", r, o.Key)
			}
			listed = append(listed, o.Key)
		}
	}
	slices.Sort(keys)
	if !slices.Equal(listed, keys) {
		t.Fatalf("the ranges listed %d keys, want the store's %d", len(listed), len(keys))
	}
}

func TestRangesOfEmptyStore(t *testing.T) {
	got, err := Ranges(context.Background(), mem.New("empty"), 8, 256)
	if err != nil || !slices.Equal(got, []Range{{}}) {
		t.Fatalf("got %v, %v; want one range of everything", got, err)
	}
}

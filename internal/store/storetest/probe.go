package storetest

import (
	"context"
	"iter"
	"slices"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/store"
)

// prober and prefixLister are the listing package's Prober and
// PrefixLister, the cheap probes its parallel listing plans with. They are
// declared again here because listing's own tests import this package.
type prober interface {
	FirstAfter(ctx context.Context, prefix, after string) (store.Object, bool, error)
}

type prefixLister interface {
	ListPrefix(ctx context.Context, prefix, startAfter string) iter.Seq2[store.Object, error]
}

// probeCases pair a prefix with a key to start after: empty, before the
// prefix, inside it, past it, and prefixes with the characters URL
// encoders and Unicode normalisation mangle.
var probeCases = []struct{ prefix, after string }{
	{"", ""},
	{"a", ""},
	{"a", "a-b"},
	{"a", "a0"},
	{"a", "0"},
	{"a/", ""},
	{"a/", "a/b"},
	{"a/", "zzz"},
	{"caf", "cafe"},
	{"caf\u00e9", ""},
	{"cafe\u0301", ""},
	{"plus+", ""},
	{"percent%", ""},
	{"with ", ""},
	{"日本語/", ""},
	{"deep/", ""},
	{"UPPER", ""},
	{"none/", ""},
	{"", "tilde~and(parens)[brackets]"},
}

// underAfter is what a probe must find: the keys with prefix after after,
// in order, from the store's own full listing.
func underAfter(all []string, prefix, after string) []string {
	var want []string
	for _, k := range all {
		if strings.HasPrefix(k, prefix) && k > after {
			want = append(want, k)
		}
	}
	return want
}

func putHostile(t *testing.T, s store.Store) []string {
	t.Helper()
	for _, k := range HostileKeys {
		Put(t, s, k, []byte(k), store.Metadata{})
	}
	all := slices.Clone(HostileKeys)
	slices.Sort(all)
	return all
}

// testFirstAfter: the first object under a prefix after a key, as a full
// listing would find it.
func testFirstAfter(t *testing.T, s store.Store) {
	p, ok := s.(prober)
	if !ok {
		t.Skipf("%s has no FirstAfter probe", s)
	}
	all := putHostile(t, s)
	for _, tc := range probeCases {
		o, found, err := p.FirstAfter(context.Background(), tc.prefix, tc.after)
		if err != nil {
			t.Fatalf("FirstAfter(%q, %q): %v", tc.prefix, tc.after, err)
		}
		want := underAfter(all, tc.prefix, tc.after)
		switch {
		case len(want) == 0 && found:
			t.Errorf("FirstAfter(%q, %q) = %q, want none", tc.prefix, tc.after, o.Key)
		case len(want) > 0 && (!found || o.Key != want[0]):
			t.Errorf("FirstAfter(%q, %q) = %q (found %v), want %q", tc.prefix, tc.after, o.Key, found, want[0])
		case found && o.Size != int64(len(o.Key)):
			t.Errorf("FirstAfter(%q, %q): size %d, want %d", tc.prefix, tc.after, o.Size, len(o.Key))
		}
	}
}

// testListPrefix: the keys under a prefix after a key, in order, as a full
// listing would give them.
func testListPrefix(t *testing.T, s store.Store) {
	pl, ok := s.(prefixLister)
	if !ok {
		t.Skipf("%s has no prefix listing", s)
	}
	all := putHostile(t, s)
	for _, tc := range probeCases {
		var got []string
		for o, err := range pl.ListPrefix(context.Background(), tc.prefix, tc.after) {
			if err != nil {
				t.Fatalf("ListPrefix(%q, %q): %v", tc.prefix, tc.after, err)
			}
			got = append(got, o.Key)
		}
		if want := underAfter(all, tc.prefix, tc.after); !slices.Equal(got, want) {
			t.Errorf("ListPrefix(%q, %q):\ngot  %q\nwant %q", tc.prefix, tc.after, got, want)
		}
	}
}

package diff

import (
	"context"
	"errors"
	"iter"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sortie-dev/sortie/internal/store"
)

func listing(keys ...string) iter.Seq2[store.Object, error] {
	return func(yield func(store.Object, error) bool) {
		for _, k := range keys {
			if !yield(store.Object{Key: k}, nil) {
				return
			}
		}
	}
}

func render(t *testing.T, seq iter.Seq2[Entry, error]) string {
	t.Helper()
	var out []string
	for e, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, [...]string{"+", "-", "="}[e.Side]+e.Key())
	}
	return strings.Join(out, " ")
}

func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		name     string
		src, dst []string
		want     string
	}{
		{"empty", nil, nil, ""},
		{"src only", []string{"a", "b"}, nil, "+a +b"},
		{"dst only", nil, []string{"a"}, "-a"},
		{"interleaved", []string{"a", "c", "e"}, []string{"b", "c", "d"}, "+a -b =c -d +e"},
		{"walk order trap", []string{"a-b", "a/b"}, []string{"a/b"}, "+a-b =a/b"},
		{"tail of dst", []string{"a"}, []string{"a", "b", "c"}, "=a -b -c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := render(t, Merge(context.Background(), listing(tc.src...), listing(tc.dst...), "src", "dst", nil))
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMergeFilter(t *testing.T) {
	keep := func(k string) bool { return !strings.HasSuffix(k, ".tmp") }
	got := render(t, Merge(context.Background(), listing("a", "b.tmp", "c"), listing("b.tmp", "c", "d.tmp"), "s", "d", keep))
	if want := "+a =c"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMergeRefusesDisorder(t *testing.T) {
	for _, seq := range []iter.Seq2[Entry, error]{
		Merge(context.Background(), listing("a/b", "a-b"), listing(), "src", "dst", nil),
		Merge(context.Background(), listing("a"), listing("b", "b"), "src", "dst", nil),
	} {
		var oe *OrderError
		var got error
		for _, err := range seq {
			if err != nil {
				got = err
			}
		}
		if !errors.As(got, &oe) {
			t.Errorf("err = %v, want OrderError", got)
		}
	}
}

// Property: for random key sets, the merge yields the sorted union, each key
// once, on the right side.
func TestMergeProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "/", "-", "é", "0"}
	for range 200 {
		set := map[string]int{}
		for range r.IntN(50) {
			var b strings.Builder
			for range 1 + r.IntN(4) {
				b.WriteString(alphabet[r.IntN(len(alphabet))])
			}
			set[b.String()] |= 1 + r.IntN(3) // 1 src, 2 dst, 3 both
		}
		var src, dst, all []string
		for k, v := range set {
			all = append(all, k)
			if v&1 != 0 {
				src = append(src, k)
			}
			if v&2 != 0 {
				dst = append(dst, k)
			}
		}
		slices.Sort(src)
		slices.Sort(dst)
		slices.Sort(all)
		var got []string
		for e, err := range Merge(context.Background(), listing(src...), listing(dst...), "s", "d", nil) {
			if err != nil {
				t.Fatal(err)
			}
			want := map[Side]int{SrcOnly: 1, DstOnly: 2, Both: 3}[e.Side]
			if set[e.Key()] != want {
				t.Fatalf("key %q on side %d, set has %d", e.Key(), e.Side, set[e.Key()])
			}
			got = append(got, e.Key())
		}
		if !slices.Equal(got, all) {
			t.Fatalf("merged %q, want %q", got, all)
		}
	}
}

func TestCompare(t *testing.T) {
	const md5a, md5b = "0cc175b9c0f1b6a831c399e269772661", "92eb5ffee6ae2fec3ad71c777531578f"
	for _, tc := range []struct {
		name     string
		src, dst store.Object
		want     Verdict
	}{
		{"same md5", store.Object{Size: 1, ETag: md5a}, store.Object{Size: 1, ETag: `"` + md5a + `"`}, Same},
		{"different md5", store.Object{Size: 1, ETag: md5a}, store.Object{Size: 1, ETag: md5b}, Different},
		{"different size", store.Object{Size: 1, ETag: md5a}, store.Object{Size: 2, ETag: md5a}, Different},
		{"same multipart", store.Object{Size: 9, ETag: md5a + "-3"}, store.Object{Size: 9, ETag: md5a + "-3"}, Same},
		{"other part count", store.Object{Size: 9, ETag: md5a + "-3"}, store.Object{Size: 9, ETag: md5b + "-2"}, Undecided},
		{"plain vs multipart", store.Object{Size: 9, ETag: md5a}, store.Object{Size: 9, ETag: md5b + "-2"}, Undecided},
		{"no etag", store.Object{Size: 9}, store.Object{Size: 9, ETag: md5b}, Undecided},
		{"kms-style etag", store.Object{Size: 9, ETag: "not-an-md5"}, store.Object{Size: 9, ETag: md5b}, Undecided},
	} {
		if got := Compare(tc.src, tc.dst); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMTime(t *testing.T) {
	ts := time.Date(2024, 3, 1, 12, 30, 45, 123456789, time.UTC)
	s := FormatMTime(ts)
	if s != "1709296245.123456789" {
		t.Errorf("FormatMTime = %q", s)
	}
	got, ok := ParseMTime(s)
	if !ok || !got.Equal(ts) {
		t.Errorf("ParseMTime(%q) = %v, %v", s, got, ok)
	}
	for _, v := range []string{"1709296245", "1709296245.5", " 1709296245.123 "} {
		if _, ok := ParseMTime(v); !ok {
			t.Errorf("ParseMTime(%q) failed", v)
		}
	}
	if _, ok := ParseMTime("yesterday"); ok {
		t.Error("ParseMTime accepted garbage")
	}
	src := store.Info{Object: store.Object{Size: 3, ModTime: ts}}
	dst := store.Info{Object: store.Object{Size: 3}, Meta: store.Metadata{User: map[string]string{"mtime": s}}}
	if !SameOrigin(src, dst) {
		t.Error("SameOrigin false for a recorded copy")
	}
	dst.Meta.User["mtime"] = FormatMTime(ts.Add(time.Second))
	if SameOrigin(src, dst) {
		t.Error("SameOrigin true for another version")
	}
}

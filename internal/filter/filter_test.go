package filter

import "testing"

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		name             string
		include, exclude []string
		key              string
		want             bool
	}{
		{"no rules", nil, nil, "anything/at/all", true},
		{"exclude suffix at depth", nil, []string{"*.tmp"}, "a/b/c.tmp", false},
		{"exclude suffix at root", nil, []string{"*.tmp"}, "c.tmp", false},
		{"exclude keeps others", nil, []string{"*.tmp"}, "a/b/c.txt", true},
		{"star stays in segment", []string{"/data/*"}, nil, "data/x/y", false},
		{"star matches in segment", []string{"/data/*"}, nil, "data/x", true},
		{"double star crosses", []string{"/data/**"}, nil, "data/x/y", true},
		{"anchored does not float", []string{"/logs/*.log"}, nil, "app/logs/a.log", false},
		{"unanchored floats", []string{"logs/*.log"}, nil, "app/logs/a.log", true},
		{"folder pattern", nil, []string{"cache/"}, "x/cache/deep/file", false},
		{"braces", []string{"*.{jpg,png}"}, nil, "img/cat.png", true},
		{"braces miss", []string{"*.{jpg,png}"}, nil, "img/cat.gif", false},
		{"exclude beats include", []string{"*.csv"}, []string{"/raw/**"}, "raw/a.csv", false},
		{"include any", []string{"*.csv", "*.json"}, nil, "x.json", true},
		{"question mark", []string{"/file?.txt"}, nil, "file1.txt", true},
		{"unicode", []string{"/été/*"}, nil, "été/photo.jpg", true},
		{"space and plus", []string{"/with space/*+*"}, nil, "with space/a+b", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := New(tc.include, tc.exclude)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(tc.key); got != tc.want {
				t.Errorf("Match(%q) = %v, want %v", tc.key, got, tc.want)
			}
		})
	}
}

func TestBadPatterns(t *testing.T) {
	for _, p := range []string{"", "[unclosed", "{a,b"} {
		if _, err := New([]string{p}, nil); err == nil {
			t.Errorf("New(%q) accepted a bad pattern", p)
		}
	}
}

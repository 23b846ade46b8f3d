package lang_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/lang"
)

func TestParseLang(t *testing.T) {
	for _, c := range []struct {
		flag, lcAll, lang string
		want              lang.Lang
	}{
		{"fr", "", "", lang.French},
		{"EN", "", "fr_FR.UTF-8", lang.English},
		{"", "", "fr_CA.UTF-8", lang.French},
		{"", "C", "fr_CA.UTF-8", lang.English}, // LC_ALL wins
		{"", "", "", lang.English},
	} {
		t.Setenv("LC_ALL", c.lcAll)
		t.Setenv("LC_MESSAGES", "")
		t.Setenv("LANG", c.lang)
		got, err := lang.ParseLang(c.flag)
		if err != nil || got != c.want {
			t.Errorf("ParseLang(%q) with LC_ALL=%q LANG=%q = %q, %v; want %q", c.flag, c.lcAll, c.lang, got, err, c.want)
		}
	}
	if _, err := lang.ParseLang("de"); err == nil || !strings.Contains(err.Error(), "--lang") {
		t.Errorf("de: %v", err)
	}
}

func TestCatalog(t *testing.T) {
	c := lang.NewCatalog("test", map[string]lang.Text{
		"days": {"%s days", "%s jours"},
		"bad":  {"%d items", "%s éléments"},
		"half": {"only English", ""},
	})
	if got := c.T(lang.French, "days", "3,5"); got != "3,5 jours" {
		t.Errorf("got %q, want 3,5 jours", got)
	}
	if got := c.T(lang.English, "nope"); got != "nope" {
		t.Errorf("unknown key gave %q, want the key", got)
	}
	err := c.Check()
	if err == nil || !strings.Contains(err.Error(), "bad: verbs") || !strings.Contains(err.Error(), "half: no French") || strings.Contains(err.Error(), "days") {
		t.Errorf("Check = %v", err)
	}
}

func TestNumbers(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{lang.English.Money(7518.234, "USD"), "$7,518.23"},
		{lang.French.Money(7518.234, "USD"), "7\u202f518,23\u00a0$US"},
		{lang.English.Money(12345.6, "EUR"), "€12,346"},
		{lang.English.MoneyPrecise(0.085, "USD", lang.Decimals(0.085, 2, 4)), "$0.085"},
		{lang.English.MoneyPrecise(0.09, "USD", lang.Decimals(0.09, 2, 4)), "$0.09"},
		{lang.French.Bytes(936 << 40 / 10), "93,6\u00a0Tio"},
		{lang.English.Number(-0.001, 2), "0.00"},
		{lang.English.Rate(8e8), "800\u00a0Mbit/s"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestWriteOutput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.html")
	os.WriteFile(path, []byte("old report"), 0o644)

	// A failed write leaves the old report whole, and no temporary file.
	boom := errors.New("boom")
	err := lang.WriteOutput(path, nil, func(w io.Writer) error {
		w.Write([]byte("half a"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old report" {
		t.Errorf("after a failed write the file holds %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}

	if err := lang.WriteOutput(path, nil, func(w io.Writer) error {
		_, err := w.Write([]byte("new report"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new report" {
		t.Errorf("file holds %q", b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}

	var stdout bytes.Buffer
	if err := lang.WriteOutput("-", &stdout, func(w io.Writer) error {
		_, err := w.Write([]byte("to stdout"))
		return err
	}); err != nil || stdout.String() != "to stdout" {
		t.Errorf("- wrote %q, %v", stdout.String(), err)
	}

	var pe *lang.PathError
	err = lang.WriteOutput(filepath.Join(dir, "no-such-dir", "r.html"), nil, func(w io.Writer) error { return nil })
	if !errors.As(err, &pe) || strings.Contains(err.Error(), ".sortie-report-") {
		t.Errorf("missing directory: %v, want a *PathError naming the report, not the temporary file", err)
	}
}

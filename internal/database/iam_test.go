package database

import (
	"net/url"
	"strings"
	"testing"
)

func TestWithToken(t *testing.T) {
	const tok = "moodle.c9akciq32rd.ca-central-1.rds.amazonaws.com:5432/?Action=connect&DBUser=reporting&X-Amz-Signature=abc%2F"
	for in, want := range map[string]string{
		"postgres://reporting@moodle.c9akciq32rd.ca-central-1.rds.amazonaws.com/etudiants":                     "sslmode=require",
		"postgres://reporting@moodle.c9akciq32rd.ca-central-1.rds.amazonaws.com/etudiants?sslmode=verify-full": "sslmode=verify-full",
		"mysql://reporting@moodle.c9akciq32rd.ca-central-1.rds.amazonaws.com/moodle":                           "allowCleartextPasswords=true&tls=true",
		"mysql://reporting@moodle.c9akciq32rd.ca-central-1.rds.amazonaws.com/moodle?tls=rds":                   "allowCleartextPasswords=true&tls=rds",
	} {
		ep, err := ParseURL(in)
		if err != nil {
			t.Fatal(err)
		}
		got := ep.WithToken(tok)
		u, err := url.Parse(got.URL())
		if err != nil {
			t.Fatal(err)
		}
		if pw, _ := u.User.Password(); pw != tok || u.RawQuery != want || !got.HasPassword {
			t.Errorf("%s: password %q, query %q, want %q", in, pw, u.RawQuery, want)
		}
		if strings.Contains(got.String(), "Signature") || strings.Contains(got.String(), "Action") {
			t.Errorf("%s: String shows the token: %s", in, got.String())
		}
		if again, err := ParseURL(got.URL()); err != nil || again.Database != ep.Database || again.User != "reporting" {
			t.Errorf("%s: the URL with its token does not parse back: %v", in, err)
		}
	}
}

package database_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/database"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		in       string
		engine   database.Engine
		host     string
		port     int
		user, db string
		pw       bool
		shown    string
	}{
		{"postgres://app:s3cret@db.example:5433/moodle?sslmode=require", database.PostgreSQL, "db.example", 5433, "app", "moodle", true, "postgres://app@db.example:5433/moodle?sslmode=require"},
		{"postgresql://app@db.example/records", database.PostgreSQL, "db.example", 0, "app", "records", false, "postgresql://app@db.example/records"},
		{"mysql://root:pw@127.0.0.1:3306/moodle", database.MySQL, "127.0.0.1", 3306, "root", "moodle", true, "mysql://root@127.0.0.1:3306/moodle"},
		{"mariadb://u@[::1]:3307/", database.MySQL, "::1", 3307, "u", "", false, "mariadb://u@[::1]:3307/"},
		{"postgres://u:p@h/d?sslpassword=k", database.PostgreSQL, "h", 0, "u", "d", true, "postgres://u@h/d?sslpassword=xxxxx"},
	} {
		e, err := database.ParseURL(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if e.Engine != c.engine || e.Host != c.host || e.Port != c.port || e.User != c.user || e.Database != c.db || e.HasPassword != c.pw {
			t.Errorf("%s: got %+v", c.in, e)
		}
		if e.String() != c.shown {
			t.Errorf("%s: shown as %q, want %q", c.in, e.String(), c.shown)
		}
		if e.URL() != c.in {
			t.Errorf("URL() %q, want the URL as given", e.URL())
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"db.example:5432", "not a URL"},
		{"oracle://u:topsecret@h/d", `scheme "oracle"`},
		{"postgres:///d", "no host"},
		{"mysql://u:topsecret@h:99999/d", `port "99999"`},
		{"postgres://u:topsecret@h/d/e", "one database"},
		{"postgres://u:topsecret@h:x/d", "invalid port"},
		{"postgres://u:topsecret@a,b/d", "several hosts"},
	} {
		_, err := database.ParseURL(c.in)
		var ue *database.URLError
		if !errors.As(err, &ue) {
			t.Errorf("%s: got %v, want a URLError", c.in, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %q, want it to say %q", c.in, err, c.want)
		}
		if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("%s: message %q shows the password", c.in, err)
		}
	}
}

func TestAddressDefaults(t *testing.T) {
	for in, want := range map[string]string{"postgres://u@h/d": "h:5432", "mysql://u@h/d": "h:3306", "mysql://u@h:1/d": "h:1"} {
		e, _ := database.ParseURL(in)
		if e.Address() != want {
			t.Errorf("%s: address %s, want %s", in, e.Address(), want)
		}
	}
}

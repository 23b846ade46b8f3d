package database

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Engine is a database engine family, as the URL's scheme names it.
type Engine string

const (
	PostgreSQL Engine = "postgresql"
	// MySQL covers MySQL and MariaDB, which speak one protocol.
	MySQL Engine = "mysql"
)

// Endpoint is one side of a move, parsed from the URL the user gave. Its
// String never shows the password.
type Endpoint struct {
	Engine Engine
	// Host and Port as the URL gives them (Port 0 when it gives none: the
	// driver's default, 5432 or 3306).
	Host string
	Port int
	User string
	// Database is the URL's path without its slash: PostgreSQL's database
	// (the driver defaults it to the user's name, as psql does); MySQL's
	// schema, or "" for every schema that is not the server's own.
	Database string
	// HasPassword says the URL itself carries a password.
	HasPassword bool

	raw string
}

// URLError is a URL that cannot name a database server.
type URLError struct {
	// Side is set by the engines' readers (ParseURL does not know it).
	Side Side
	URL  string // redacted
	Err  error
}

func (e *URLError) Error() string {
	if e.Side != "" {
		return fmt.Sprintf("%s URL %s: %v", e.Side, e.URL, e.Err)
	}
	return fmt.Sprintf("URL %s: %v", e.URL, e.Err)
}
func (e *URLError) Unwrap() error { return e.Err }

// ParseURL reads postgres:// (or postgresql://) and mysql:// (or
// mariadb://) URLs: SCHEME://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAMS].
// The parameters are the driver's (sslmode=require, tls=true...), checked
// when the engine's reader opens the endpoint.
func ParseURL(s string) (Endpoint, error) {
	scheme, _, ok := strings.Cut(s, "://")
	if !ok {
		return Endpoint{}, &URLError{URL: Redact(s), Err: errors.New("not a URL; give postgres://USER@HOST/DATABASE or mysql://USER@HOST/DATABASE")}
	}
	var e Endpoint
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		e.Engine = PostgreSQL
	case "mysql", "mariadb":
		e.Engine = MySQL
	default:
		return Endpoint{}, &URLError{URL: Redact(s), Err: fmt.Errorf("scheme %q: sortie db takes postgres:// or mysql:// URLs", scheme)}
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Endpoint{}, &URLError{URL: Redact(s), Err: err}
	}
	e.raw = s
	if u.Host == "" {
		return Endpoint{}, &URLError{URL: e.String(), Err: errors.New("no host; give SCHEME://USER@HOST[:PORT]/DATABASE")}
	}
	e.Host = u.Hostname()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Endpoint{}, &URLError{URL: e.String(), Err: fmt.Errorf("port %q is not a port number", p)}
		}
		e.Port = n
	}
	if strings.Contains(e.Host, ",") {
		return Endpoint{}, &URLError{URL: e.String(), Err: errors.New("several hosts: give the one server to read")}
	}
	if u.User != nil {
		e.User = u.User.Username()
		_, e.HasPassword = u.User.Password()
	}
	e.Database = strings.TrimPrefix(u.Path, "/")
	if strings.Contains(e.Database, "/") {
		return Endpoint{}, &URLError{URL: e.String(), Err: fmt.Errorf("database %q: a URL names one database, after a single /", e.Database)}
	}
	return e, nil
}

// URL is the URL as given, password included: for the engine's reader
// only, never for output.
func (e Endpoint) URL() string { return e.raw }

// String is the URL without its password (and without any parameter that
// could carry one).
func (e Endpoint) String() string {
	if e.raw == "" {
		return ""
	}
	return Redact(e.raw)
}

// Address is host:port, with the engine's default port when the URL has
// none.
func (e Endpoint) Address() string {
	p := e.Port
	if p == 0 {
		p = 5432
		if e.Engine == MySQL {
			p = 3306
		}
	}
	return net.JoinHostPort(e.Host, strconv.Itoa(p))
}

// Redact drops the password from a URL-like string, and every query
// parameter's value (password=, sslpassword=... may hide there).
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" && u.User == nil {
		// Unparseable: keep the scheme and host part only, never what
		// might be a password.
		scheme, rest, ok := strings.Cut(s, "://")
		if !ok {
			return "(not shown)"
		}
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = rest[at+1:]
		}
		if i := strings.IndexAny(rest, "?"); i >= 0 {
			rest = rest[:i]
		}
		return scheme + "://" + rest
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	if u.RawQuery != "" {
		q := u.Query()
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		for _, k := range keys {
			if strings.Contains(strings.ToLower(k), "pass") || strings.Contains(strings.ToLower(k), "key") {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Side is the role a server plays in the move.
type Side string

const (
	Source Side = "source"
	Target Side = "target"
)

// ConnectKind says why a server could not be used, for the message and the
// advice.
type ConnectKind int

const (
	// Unreachable: no answer at the address (refused, timed out, no such
	// host).
	Unreachable ConnectKind = iota + 1
	// Auth: the server refused the user or the password.
	Auth
	// NoDatabase: the URL's database does not exist on the server.
	NoDatabase
	// Refused: the server answered but would not serve this session
	// (too many connections, TLS required, privileges lacking).
	Refused
)

// ConnectError is a server that could not be used at all: the engine's
// reader classifies the driver's error once, here.
type ConnectError struct {
	Side     Side
	Engine   Engine
	Endpoint string // redacted
	Kind     ConnectKind
	Err      error
}

func (e *ConnectError) Error() string {
	var do string
	switch e.Kind {
	case Unreachable:
		do = "check the host and port, and that the server accepts connections from this machine"
	case Auth:
		do = "check the user and the password (in the URL, or PGPASSFILE or ~/.pgpass)"
		if e.Engine == MySQL {
			do = "check the user and the password (in the URL, or ~/.my.cnf's [client] section)"
		}
	case NoDatabase:
		do = "check the database name at the end of the URL"
	default:
		do = "check the server's settings for this user"
	}
	return fmt.Sprintf("%s %s: %v; %s", e.Side, e.Endpoint, e.Err, do)
}

func (e *ConnectError) Unwrap() error { return e.Err }

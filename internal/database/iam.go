package database

import (
	"net/url"
)

// WithToken returns the endpoint with password as its password, for an
// RDS IAM authentication token (awsconfig.RDSAuthToken): RDS takes a
// token only over TLS, so the URL is made to require it when it does not
// already say how (PostgreSQL: sslmode=require; MySQL: tls=true, and
// allowCleartextPasswords, as RDS's AWSAuthenticationPlugin needs, sent
// over that TLS only). For MySQL the server's certificate is verified: the
// RDS CA bundle must be in the system's trust store (Debian: copy it to
// /usr/local/share/ca-certificates/ and run update-ca-certificates).
func (e Endpoint) WithToken(password string) Endpoint {
	u, err := url.Parse(e.raw)
	if err != nil {
		return e // ParseURL read it: cannot happen
	}
	u.User = url.UserPassword(e.User, password)
	q := u.Query()
	switch e.Engine {
	case PostgreSQL:
		if q.Get("sslmode") == "" || q.Get("sslmode") == "disable" || q.Get("sslmode") == "allow" || q.Get("sslmode") == "prefer" {
			q.Set("sslmode", "require")
		}
	case MySQL:
		if q.Get("tls") == "" || q.Get("tls") == "false" || q.Get("tls") == "preferred" {
			q.Set("tls", "true")
		}
		q.Set("allowCleartextPasswords", "true")
	}
	u.RawQuery = q.Encode()
	e.raw, e.HasPassword = u.String(), true
	return e
}

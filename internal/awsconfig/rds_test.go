package awsconfig

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

func TestRDSRegion(t *testing.T) {
	for host, want := range map[string]string{
		"moodle.c9akciq32rd.ca-central-1.rds.amazonaws.com":         "ca-central-1",
		"etudiants.cluster-c9akciq32rd.eu-west-3.rds.amazonaws.com": "eu-west-3",
		"db.example.ca": "",
		"127.0.0.1":     "",
	} {
		if got := RDSRegion(host); got != want {
			t.Errorf("RDSRegion(%q) = %q, want %q", host, got, want)
		}
	}
}

// The token is the presigned connect URL RDS documents (host:port/?Action=
// connect&DBUser=…, SigV4 for the rds-db service in the endpoint's
// region), made without any request.
func TestRDSAuthToken(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")}
	tok, err := RDSAuthToken(context.Background(), cfg, "moodle.c9akciq32rd.ca-central-1.rds.amazonaws.com:5432", "reporting")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse("https://" + tok)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != "moodle.c9akciq32rd.ca-central-1.rds.amazonaws.com:5432" || q.Get("Action") != "connect" || q.Get("DBUser") != "reporting" ||
		!strings.Contains(q.Get("X-Amz-Credential"), "/ca-central-1/rds-db/aws4_request") || q.Get("X-Amz-Signature") == "" {
		t.Errorf("token %s", tok)
	}
	if _, err := RDSAuthToken(context.Background(), aws.Config{Credentials: cfg.Credentials}, "db.example.ca:5432", "u"); err == nil || !strings.Contains(err.Error(), "no region") {
		t.Errorf("no region: %v", err)
	}
	if _, err := RDSAuthToken(context.Background(), cfg, "no-port", "u"); err == nil {
		t.Error("an endpoint without a port was taken")
	}
}

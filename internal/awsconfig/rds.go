package awsconfig

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
)

// RDSAuthToken returns an IAM authentication token for user on the RDS
// instance at endpoint (host:port), signed with cfg's credentials: the
// password an RDS database takes, over TLS, from a login granted rds_iam
// (PostgreSQL) or the AWSAuthenticationPlugin (MySQL). It is valid for 15
// minutes, for new connections. The region is the endpoint's
// (NAME.ID.REGION.rds.amazonaws.com), else cfg's. No request is sent:
// the token is a presigned URL made here.
func RDSAuthToken(ctx context.Context, cfg aws.Config, endpoint, user string) (string, error) {
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		return "", fmt.Errorf("RDS endpoint %q: give HOST:PORT", endpoint)
	}
	region := RDSRegion(host)
	if region == "" {
		region = cfg.Region
	}
	if region == "" {
		return "", fmt.Errorf("RDS endpoint %s: no region in its name and none in the profile; set the profile's region", host)
	}
	if cfg.Credentials == nil {
		return "", fmt.Errorf("RDS IAM token for %s: the profile gives no credentials", host)
	}
	tok, err := auth.BuildAuthToken(ctx, endpoint, region, user, cfg.Credentials)
	if err != nil {
		return "", fmt.Errorf("RDS IAM token for %s@%s: %w", user, host, err)
	}
	return tok, nil
}

// RDSRegion is the region in an RDS endpoint's host name
// (mydb.c9akciq32.ca-central-1.rds.amazonaws.com → ca-central-1), or "".
func RDSRegion(host string) string {
	labels := strings.Split(strings.TrimSuffix(strings.ToLower(host), "."), ".")
	for i := 1; i+2 < len(labels); i++ {
		if labels[i+1] == "rds" && labels[i+2] == "amazonaws" {
			return labels[i]
		}
	}
	return ""
}

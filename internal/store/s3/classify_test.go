package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sortie-dev/sortie/internal/store"
)

func apiErr(status int, code string) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "GetObject", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      &smithy.GenericAPIError{Code: code, Message: "test"},
		},
	}}
}

func TestClassify(t *testing.T) {
	s := &Store{name: "s3://b", bucket: "b"}
	for _, tc := range []struct {
		name  string
		err   error
		key   string
		is    error // sentinel it must match, or nil
		retry bool
	}{
		{"slow down", apiErr(503, "SlowDown"), "k", nil, true},
		{"429", apiErr(429, ""), "k", nil, true},
		{"500", apiErr(500, "InternalError"), "k", nil, true},
		{"502 without code", apiErr(502, ""), "k", nil, true},
		{"request timeout", apiErr(400, "RequestTimeout"), "k", nil, true},
		{"no such key", apiErr(404, "NoSuchKey"), "k", store.ErrNotExist, false},
		{"head 404", apiErr(404, "NotFound"), "k", store.ErrNotExist, false},
		{"no such bucket", apiErr(404, "NoSuchBucket"), "", store.ErrNoBucket, false},
		{"no such upload", apiErr(404, "NoSuchUpload"), "k", store.ErrNotExist, false},
		{"throttle is retried", apiErr(503, "SlowDown"), "k", nil, true},
		{"bad key id", apiErr(403, "InvalidAccessKeyId"), "", store.ErrAuth, false},
		{"bad signature", apiErr(403, "SignatureDoesNotMatch"), "", store.ErrAuth, false},
		{"access denied", apiErr(403, "AccessDenied"), "k", store.ErrPermission, false},
		{"head 403", apiErr(403, ""), "k", store.ErrPermission, false},
		{"precondition", apiErr(412, "PreconditionFailed"), "k", store.ErrChanged, false},
		{"glacier", apiErr(403, "InvalidObjectState"), "k", store.ErrNotRestored, false},
		{"bad digest", apiErr(400, "BadDigest"), "k", store.ErrChecksumMismatch, true},
		{"key too long", apiErr(400, "KeyTooLongError"), "k", store.ErrInvalidKey, false},
		{"reset", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, "k", nil, true},
		{"cut body", fmt.Errorf("read body: %w", io.ErrUnexpectedEOF), "k", nil, true},
		{"cancelled", fmt.Errorf("op: %w", context.Canceled), "k", context.Canceled, false},
		{"operation unsupported (501)", apiErr(501, "NotImplemented"), "k", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.wrap("op", tc.key, tc.err)
			var op *store.OpError
			if !errors.As(err, &op) {
				t.Fatalf("not an OpError: %v", err)
			}
			if op.Retry != tc.retry {
				t.Errorf("Retry = %v, want %v (%v)", op.Retry, tc.retry, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err %v is not %v", err, tc.is)
			}
		})
	}
}

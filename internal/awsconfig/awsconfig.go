// Package awsconfig loads what every AWS client of sortie needs from the
// AWS shared-config files: a profile's credentials, region and endpoint_url,
// with sortie's HTTP, checksum and retry choices, and the errors a user can
// act on when a profile or its credentials are missing.
//
// It is one of the few packages that import aws-sdk-go-v2 (with store/s3,
// account/awsread and the MinIO admin and probe clients); what it returns
// is passed through other packages only as an opaque value.
package awsconfig

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"

	"github.com/sortie-dev/sortie/internal/store"
)

// Options say which profile or keys to load.
type Options struct {
	// Profile is an AWS shared-config profile; "" uses the SDK's default
	// chain (AWS_PROFILE, environment variables, ~/.aws files, IMDS...).
	Profile string
	// Flag is the command-line flag that names Profile ("--from-profile",
	// "--profile", "--to"), so that errors say what to change.
	Flag string
	// Endpoint, AccessKey and SecretKey override the profile; the demo and
	// tests use them.
	Endpoint  string
	AccessKey string
	SecretKey string
	Region    string
	// CABundle holds PEM certificates to trust instead of the system's,
	// as AWS_CA_BUNDLE and a profile's ca_bundle do (which apply when it
	// is empty): a test server with a self-signed certificate, or an
	// on-premises endpoint with a private CA.
	CABundle []byte
	// MaxConns bounds idle connections kept per host; set it to at least
	// the number of concurrent requests so connections are reused.
	MaxConns int
	// MaxAttempts bounds the SDK's attempts of one request (default 10).
	MaxAttempts int
	// Logger receives the SDK's own warnings ("falling back to IMDSv1",
	// skipped checksum validations) at debug level, so that they reach
	// the terminal only with sortie --verbose; nil discards them. Without
	// it the SDK writes them straight to the process's stderr.
	Logger *slog.Logger
}

// ProfileError reports a profile that the AWS config files do not define.
type ProfileError struct{ Profile string }

func (e *ProfileError) Error() string {
	return fmt.Sprintf("AWS profile %q is not defined in %s or %s; check the name (aws configure list-profiles)",
		e.Profile, ConfigFile(), CredentialsFile())
}

// CredentialsError reports that no usable credentials were found.
type CredentialsError struct {
	Profile string
	Flag    string
	Err     error
}

func (e *CredentialsError) Error() string {
	who := "the default credential chain"
	if e.Profile != "" {
		who = fmt.Sprintf("profile %q", e.Profile)
	}
	flag := e.Flag
	if flag == "" {
		flag = "--profile"
	}
	return fmt.Sprintf("no usable AWS credentials from %s: %v; set them with aws configure or pass %s", who, e.Err, flag)
}

// Unwrap makes a CredentialsError an authentication error for callers
// that branch on store.ErrAuth.
func (e *CredentialsError) Unwrap() error { return store.ErrAuth }

// FileError reports an AWS shared-config or credentials file that exists
// but cannot be read. The SDK skips such a file as if it were empty, so
// without this the user would be told the profile or the credentials are
// missing.
type FileError struct {
	Path string
	What string // "config" or "credentials"
	Err  error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("cannot read the AWS %s file %s: %v; check its permissions (it must be a file that the user running sortie can read)", e.What, e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// unreadableFile returns a FileError for the first shared file that exists
// but cannot be read, or nil. A missing file is not an error: the SDK's
// default chain does without it.
func unreadableFile() error {
	for _, f := range []struct{ what, path string }{
		{"credentials", pathOr("AWS_SHARED_CREDENTIALS_FILE", config.DefaultSharedCredentialsFilename())},
		{"config", pathOr("AWS_CONFIG_FILE", config.DefaultSharedConfigFilename())},
	} {
		fi, err := os.Stat(f.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil && fi.IsDir() {
			err = errors.New("it is a directory")
		}
		if err == nil {
			var fh *os.File
			if fh, err = os.Open(f.path); err == nil {
				fh.Close()
			}
		}
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the path is in the message already
			}
			return &FileError{Path: f.path, What: f.what, Err: err}
		}
	}
	return nil
}

func pathOr(env, def string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	return def
}

// ConfigFile is the shared config file the SDK reads.
func ConfigFile() string { return fileOr("AWS_CONFIG_FILE", "config") }

// CredentialsFile is the shared credentials file the SDK reads.
func CredentialsFile() string { return fileOr("AWS_SHARED_CREDENTIALS_FILE", "credentials") }

func fileOr(env, name string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	return "~/.aws/" + name
}

// DefaultAttempts is the SDK's attempts per request when Options leave it 0.
const DefaultAttempts = 10

// Retryer is the SDK retryer sortie uses: capped exponential backoff with
// jitter and no client-side retry quota (the quota turns a throttling storm
// into "retry quota exceeded" failures).
func Retryer(attempts int) aws.RetryerV2 {
	if attempts == 0 {
		attempts = DefaultAttempts
	}
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.MaxBackoff = 20 * time.Second
		o.RateLimiter = ratelimit.None
	})
}

// Load loads the AWS configuration o names — profile, static keys, region
// — and resolves its credentials at once, so that a missing or broken
// credential source is reported before any request. Every AWS client of
// sortie loads through it, so every service sees a profile the same way.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	maxConns := max(o.MaxConns, 64)
	// The SDK's own buildable client, not a plain http.Client: it is what
	// AWS_CA_BUNDLE and the SDK's timeouts are applied to.
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = maxConns * 2
		t.MaxIdleConnsPerHost = maxConns
	})
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient),
		// Several S3-compatible stores reject aws-chunked CRC trailers;
		// sortie sends Content-MD5 instead (see store/s3).
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
		config.WithRetryer(func() aws.Retryer { return Retryer(o.MaxAttempts) }),
		config.WithLogger(sdkLogger(o.Logger)),
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(o.AccessKey, o.SecretKey, "")))
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(o.Endpoint))
	}
	if len(o.CABundle) > 0 {
		// Applied by the SDK to the buildable client above.
		opts = append(opts, config.WithCustomCABundle(bytes.NewReader(o.CABundle)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		// A file that cannot be read is the cause the user can act on,
		// whatever the SDK made of it: a directory fails to load, a file
		// it may not open is skipped and its profiles seem undefined.
		if ferr := unreadableFile(); ferr != nil {
			return aws.Config{}, ferr
		}
		var notExist config.SharedConfigProfileNotExistError
		if errors.As(err, &notExist) {
			return aws.Config{}, &ProfileError{Profile: o.Profile}
		}
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if o.AccessKey == "" && cfg.Credentials != nil {
		// Resolve credentials now: the SDK reports a missing or broken
		// credential source with no error type to branch on, mid-request.
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			if ferr := unreadableFile(); ferr != nil {
				return aws.Config{}, ferr
			}
			return aws.Config{}, &CredentialsError{Profile: o.Profile, Flag: o.Flag, Err: err}
		}
	}
	return cfg, nil
}

// sdkLogger turns the SDK's log lines into debug records of l, marked
// sdk=true; a nil l discards them.
func sdkLogger(l *slog.Logger) logging.Logger {
	if l == nil {
		return logging.Nop{}
	}
	return logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
		l.Debug(fmt.Sprintf(format, v...), "sdk", true, "level", strings.ToLower(string(c)))
	})
}

// S3 returns an S3 client for cfg in region (cfg's own when ""). A custom
// endpoint switches to path-style addressing: S3-compatible stores'
// buckets have no DNS names of their own.
func S3(cfg aws.Config, region string, optFns ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){func(o *s3.Options) {
		if region != "" {
			o.Region = region
		}
		if o.Region == "" {
			o.Region = "us-east-1"
		}
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
	}}, optFns...)...)
}

// Endpoint returns cfg's custom S3 endpoint, or "" for AWS itself.
func Endpoint(cfg aws.Config) string {
	if ep := S3(cfg, "").Options().BaseEndpoint; ep != nil {
		return *ep
	}
	return ""
}

// Target is an S3-compatible store reached with an operator profile: its
// endpoint, region and resolved static credentials.
type Target struct {
	Endpoint string
	Region   string
	Config   aws.Config
	Creds    aws.Credentials
}

// LoadTarget loads a profile that must point at an S3-compatible store
// (it has an endpoint_url), such as the operator profile of policy apply.
func LoadTarget(ctx context.Context, o Options) (*Target, error) {
	cfg, err := Load(ctx, o)
	if err != nil {
		return nil, err
	}
	ep := Endpoint(cfg)
	if ep == "" {
		return nil, fmt.Errorf("profile %s has no endpoint_url: %s names the target's operator profile, not AWS", o.Profile, o.Flag)
	}
	// Load has resolved the credentials once already; this is the cached
	// value.
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, &CredentialsError{Profile: o.Profile, Flag: o.Flag, Err: err}
	}
	return &Target{Endpoint: ep, Region: S3(cfg, "").Options().Region, Config: cfg, Creds: c}, nil
}

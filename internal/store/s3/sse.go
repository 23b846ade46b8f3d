package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sortie-dev/sortie/internal/store"
)

// Server-side encryption, as the servers tests run on do it (MinIO 2026-02,
// versitygw 1.8; sse_test.go checks each point):
//   - MinIO answers SSE-S3 and SSE-KMS with 501 NotImplemented unless it has
//     a KMS (a static MINIO_KMS_SECRET_KEY will do), and refuses SSE-C over
//     plain HTTP.
//   - versitygw (posix) answers a write that asks for SSE-S3 or SSE-KMS with
//     200 and keeps the object unencrypted; its HEAD reports no encryption.
//     Hence the HEAD after every write that asked for encryption: the
//     write's own answer is not a confirmation.

// Encryption is how a store encrypts what it writes, and the SSE-C key it
// reads with. Its String never shows the key.
type Encryption struct {
	// Write is store.SSEAES256 (SSE-S3) or store.SSEKMS (SSE-KMS), or ""
	// to ask for nothing (the bucket's default encryption then applies).
	Write string
	// KMSKeyID names the KMS key SSE-KMS writes use, "" for the account's
	// default key.
	KMSKeyID string
	// CustomerKey is a 32-byte SSE-C key: every object this store writes
	// is encrypted with it, and every read sends it; an object the server
	// says is not SSE-C (400) is read again without it, so a bucket that
	// mixes SSE-C and other objects can be read whole. Each store has its
	// own, so that a copy can re-encrypt under a new key. It excludes
	// Write.
	CustomerKey []byte
}

func (e Encryption) String() string {
	switch {
	case e.CustomerKey != nil:
		return "SSE-C (key redacted)"
	case e.Write == store.SSEKMS && e.KMSKeyID != "":
		return e.Write + " (key " + e.KMSKeyID + ")"
	case e.Write != "":
		return e.Write
	}
	return "none"
}

// asked says which encryption the store must report for what it wrote:
// store.SSECustomer, store.SSEAES256, store.SSEKMS, or "" for none.
func (e Encryption) asked() string {
	if e.CustomerKey != nil {
		return store.SSECustomer
	}
	return e.Write
}

func (e Encryption) validate() error {
	switch e.Write {
	case "", store.SSEAES256, store.SSEKMS:
	default:
		return fmt.Errorf("server-side encryption %q: want %s or %s", e.Write, store.SSEAES256, store.SSEKMS)
	}
	if e.KMSKeyID != "" && e.Write != store.SSEKMS {
		return fmt.Errorf("a KMS key ID is given, for %s encryption: it applies to %s only", e.String(), store.SSEKMS)
	}
	if e.CustomerKey != nil {
		if len(e.CustomerKey) != 32 {
			return fmt.Errorf("the SSE-C key is %d bytes: it must be 32 (AES-256)", len(e.CustomerKey))
		}
		if e.Write != "" {
			return fmt.Errorf("both SSE-C and %s are asked: an object is encrypted one way", e.Write)
		}
	}
	return nil
}

// sseC holds the SSE-C request headers, computed once.
type sseC struct {
	alg, key, keyMD5 *string
}

func newSSEC(key []byte) sseC {
	if key == nil {
		return sseC{}
	}
	sum := md5.Sum(key)
	return sseC{
		alg:    aws.String("AES256"),
		key:    aws.String(base64.StdEncoding.EncodeToString(key)),
		keyMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:])),
	}
}

// customer returns the SSE-C fields of a request, all nil without a key.
func (s *Store) customer() (alg, key, keyMD5 *string) {
	return s.ssec.alg, s.ssec.key, s.ssec.keyMD5
}

// serverSide returns the SSE-S3 or SSE-KMS fields of a write.
func (s *Store) serverSide() (types.ServerSideEncryption, *string) {
	return types.ServerSideEncryption(s.enc.Write), optional(s.enc.KMSKeyID)
}

// encryptionOf names an object's encryption from a HEAD or GET response:
// SSE-C has no x-amz-server-side-encryption, only its customer algorithm.
func encryptionOf(sse types.ServerSideEncryption, customer *string) string {
	if aws.ToString(customer) != "" {
		return store.SSECustomer
	}
	return string(sse)
}

// confirmEncrypted checks with a HEAD of the version just written that the
// store reports it encrypted as asked. It fails with store.ErrNotEncrypted
// when it is not, and leaves the object where it is: sortie never deletes
// at the destination what it did not decide to delete, and the write may
// have replaced an object that deleting this one would not bring back.
func (s *Store) confirmEncrypted(ctx context.Context, op, key, versionID string) error {
	want := s.enc.asked()
	if want == "" {
		return nil
	}
	in := &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key), VersionId: optional(versionID)}
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = s.customer()
	out, err := s.client.HeadObject(ctx, in)
	got := ""
	switch {
	case err == nil:
		got = encryptionOf(out.ServerSideEncryption, out.SSECustomerAlgorithm)
		if got == store.SSECustomer && aws.ToString(out.SSECustomerKeyMD5) != "" && aws.ToString(out.SSECustomerKeyMD5) != aws.ToString(s.ssec.keyMD5) {
			got = "SSE-C under another key"
		}
	case want == store.SSECustomer && badRequest(err):
		// A store that kept the object unencrypted refuses a HEAD that
		// brings a key (AWS and MinIO: 400); ask again without it.
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = nil, nil, nil
		plain, perr := s.client.HeadObject(ctx, in)
		if perr != nil {
			return s.wrap("check encryption of", key, err)
		}
		got = encryptionOf(plain.ServerSideEncryption, plain.SSECustomerAlgorithm)
	default:
		return s.wrap("check encryption of", key, err)
	}
	if got == want {
		return nil
	}
	if got == "" {
		got = "none"
	}
	return &store.OpError{Op: op, Store: s.name, Key: key,
		Err: fmt.Errorf("%w: asked %s, the store reports %s; the object stays there as written: use a store that applies it, or write without encryption", store.ErrNotEncrypted, want, got)}
}

// readError is wrap for a failed HEAD or GET, with what SSE-C makes of
// such failures when the store can tell: S3 and MinIO answer a read of an
// SSE-C object without its key with 400 (a bare BadRequest to a HEAD), and
// one with another key with 403.
func (s *Store) readError(op, key string, err error) error {
	werr := s.wrap(op, key, err)
	var e *store.OpError
	if !errors.As(werr, &e) || e.Retry {
		return werr
	}
	switch {
	case s.ssec.key == nil && badRequest(err):
		e.Err = fmt.Errorf("%w; if the object is encrypted with a customer key (SSE-C), give the store its key", e.Err)
	case s.ssec.key != nil && errors.Is(werr, store.ErrPermission):
		e.Err = fmt.Errorf("%w; if the object is encrypted with a customer key (SSE-C), it is not the key this store was given", e.Err)
	}
	return werr
}

// badRequest reports whether err is an HTTP 400 answer.
func badRequest(err error) bool {
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusBadRequest
}

// ProbeEncryption writes a throw-away object with the store's encryption,
// checks that the store reports it encrypted as asked (as every Put does),
// and deletes it, every version of it on a versioned bucket. It fails with
// an error wrapping store.ErrNotEncrypted when the store drops the
// encryption, so that a copy can refuse such a destination before it
// writes anything. A store that asks for no encryption passes at once.
func (s *Store) ProbeEncryption(ctx context.Context) (err error) {
	if s.enc.asked() == "" {
		return nil
	}
	key := probeName("sse")
	body := []byte("sortie encryption probe\n")
	sum := md5.Sum(body)
	var meta store.Metadata
	if l, lerr := s.LockConfig(ctx); lerr == nil && l.DefaultMode != "" {
		// The bucket's default retention would keep the probe for its
		// whole period (COMPLIANCE: past anyone's reach); a retention of
		// its own, short and GOVERNANCE, replaces it, and the clean-up
		// bypasses it.
		meta.Lock = store.Lock{Mode: store.LockGovernance, RetainUntil: time.Now().Add(time.Minute).UTC()}
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeCleanup)
		defer cancel()
		if cerr := s.removeProbe(cctx, key, !meta.Lock.IsZero()); cerr != nil && err == nil {
			err = cerr
		}
	}()
	_, err = s.Put(ctx, store.PutInput{Key: key, Body: bytes.NewReader(body), Size: int64(len(body)), MD5: sum[:], Meta: meta})
	return err
}

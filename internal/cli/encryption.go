package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/sortie-dev/sortie/internal/location"
	"github.com/sortie-dev/sortie/internal/store"
	s3store "github.com/sortie-dev/sortie/internal/store/s3"
)

// encryptionFlags are the server-side encryption flags, named as aws-cli
// names them (--sse, --sse-kms-key-id) where it has them. Encryption is the
// destination's setting, not carried from the source: the source's keys
// (KMS key IDs, customer keys) do not exist at the target.
type encryptionFlags struct {
	sse, kmsKeyID           string
	sseCKeyFile, dstKeyFile string
}

func (f *encryptionFlags) register(fs *pflag.FlagSet, writes bool) {
	if writes {
		fs.StringVar(&f.sse, "sse", "", "ask the destination to encrypt every object it stores: AES256 (SSE-S3) or aws:kms (SSE-KMS); checked after each write")
		fs.StringVar(&f.kmsKeyID, "sse-kms-key-id", "", "the KMS key for --sse aws:kms (default: the destination's default key)")
	}
	fs.StringVar(&f.sseCKeyFile, "sse-c-key-file", "", "file holding the 256-bit customer key (SSE-C) the source's objects are encrypted with: 32 bytes, or their base64; also the destination's key unless --dst-sse-c-key-file")
	fs.StringVar(&f.dstKeyFile, "dst-sse-c-key-file", "", "file holding the customer key (SSE-C) for the destination, when it differs from the source's")
}

// sides returns each side's encryption settings.
func (f *encryptionFlags) sides() (src, dst s3store.Encryption, err error) {
	switch f.sse {
	case "", store.SSEAES256, store.SSEKMS:
	default:
		return src, dst, usage("--sse %q: give AES256 (SSE-S3) or aws:kms (SSE-KMS)", f.sse)
	}
	if f.kmsKeyID != "" && f.sse != store.SSEKMS {
		return src, dst, usage("--sse-kms-key-id is for --sse aws:kms")
	}
	dst.Write, dst.KMSKeyID = f.sse, f.kmsKeyID
	if f.sseCKeyFile != "" {
		if src.CustomerKey, err = readCustomerKey("--sse-c-key-file", f.sseCKeyFile); err != nil {
			return src, dst, err
		}
		dst.CustomerKey = src.CustomerKey
	}
	if f.dstKeyFile != "" {
		if dst.CustomerKey, err = readCustomerKey("--dst-sse-c-key-file", f.dstKeyFile); err != nil {
			return src, dst, err
		}
	}
	if dst.CustomerKey != nil && dst.Write != "" {
		return src, dst, usage("--sse and a customer key (SSE-C) for the destination exclude each other; give one")
	}
	return src, dst, nil
}

// readCustomerKey reads a 256-bit key: the raw 32 bytes (as aws-cli's
// fileb:// takes it, e.g. from openssl rand 32), or their base64.
func readCustomerKey(flag, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usage("%s %s: cannot read it: %v", flag, path, unwrapPath(err))
	}
	if len(b) == 32 {
		return b, nil
	}
	if k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b))); err == nil && len(k) == 32 {
		return k, nil
	}
	return nil, usage("%s %s: holds %d bytes, not a 256-bit key (32 bytes, or their base64); make one with: openssl rand 32 > %s", flag, path, len(b), path)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// hintFlags are the key files a next command needs to read the same
// objects.
func (f *encryptionFlags) hintFlags() []string {
	var h []string
	if f.sseCKeyFile != "" {
		h = append(h, "--sse-c-key-file", f.sseCKeyFile)
	}
	if f.dstKeyFile != "" {
		h = append(h, "--dst-sse-c-key-file", f.dstKeyFile)
	}
	return h
}

// checkEncryption refuses, before anything moves, a destination that
// answers writes asking for encryption and stores them unencrypted
// (versitygw does): one throw-away object, checked with a HEAD, removed.
func checkEncryption(ctx context.Context, dst *side, enc s3store.Encryption) error {
	if enc.Write == "" && enc.CustomerKey == nil {
		return nil
	}
	st, ok := dst.store.(*s3store.Store)
	if !ok {
		if dst.loc.Kind == location.FS {
			return usage("destination %s is a directory: server-side encryption (--sse, SSE-C) is for S3 destinations", dst.loc)
		}
		return nil
	}
	if err := st.ProbeEncryption(ctx); err != nil {
		if errors.Is(err, store.ErrNotEncrypted) {
			return usage("destination %s answers writes that ask for %s and does not store them encrypted (checked with a throw-away object): refusing to copy; use a store that encrypts, or copy without --sse", dst.loc, enc)
		}
		return usage("destination %s: cannot check that it encrypts as asked (%s): %v", dst.loc, enc, rootCause(err))
	}
	return nil
}

// sseNote names the destination's encryption for the loss report.
func sseNote(enc s3store.Encryption) string {
	if enc.Write == "" && enc.CustomerKey == nil {
		return ""
	}
	return fmt.Sprint(enc)
}

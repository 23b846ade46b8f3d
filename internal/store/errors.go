package store

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Backends wrap them in *OpError; callers branch with
// errors.Is, never on message text.
var (
	// ErrNotExist: there is no object at the key.
	ErrNotExist = errors.New("object does not exist")
	// ErrNoBucket: the bucket or directory at the store's root is missing.
	ErrNoBucket = errors.New("bucket does not exist")
	// ErrAuth: the store rejected the credentials themselves.
	ErrAuth = errors.New("credentials rejected")
	// ErrPermission: the credentials are valid but not allowed to do this.
	ErrPermission = errors.New("access denied")
	// ErrChecksumMismatch: bytes did not hash to what they should.
	ErrChecksumMismatch = errors.New("checksum mismatch")
	// ErrChanged: the object changed while it was being read (IfMatch).
	ErrChanged = errors.New("object changed during the copy")
	// ErrInvalidKey: the key cannot be stored in this store (it would escape
	// the root, collide with another key, or break the store's limits).
	ErrInvalidKey = errors.New("key cannot be stored here")
	// ErrNotRestored: the object is archived (S3 Glacier classes) and must
	// be restored before it can be read.
	ErrNotRestored = errors.New("object is archived and not restored")
	// ErrLockNotEnforced: the store accepted Object Lock retention and
	// then let the retained version be deleted.
	ErrLockNotEnforced = errors.New("object lock retention is not enforced")
	// ErrNotEncrypted: the store answered a write that asked for
	// server-side encryption, and does not report the object encrypted.
	ErrNotEncrypted = errors.New("server-side encryption was asked and not applied")
)

// OpError records a failed operation on one store and key.
type OpError struct {
	Op    string // "list", "stat", "open", "put", "delete", "upload part", …
	Store string // the store's String()
	Key   string // may be empty for store-wide operations
	Err   error
	// Retry says the failure may go away if the operation is tried again
	// (throttling, a 5xx, a reset connection). Set once, by the backend
	// that classified the error; only the retry layer reads it.
	Retry bool
	// Throttle says the store asked the client to slow down (503 SlowDown,
	// 429); RetryAfter is how long it asked to wait, when it said.
	Throttle   bool
	RetryAfter time.Duration
}

func (e *OpError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s %s: %v", e.Op, e.Store, e.Err)
	}
	return fmt.Sprintf("%s %s %q: %v", e.Op, e.Store, e.Key, e.Err)
}

func (e *OpError) Unwrap() error { return e.Err }

// IsThrottle reports whether err is a store asking to slow down, and how
// long it asked to wait (0 when it did not say).
func IsThrottle(err error) (bool, time.Duration) {
	var op *OpError
	if errors.As(err, &op) && op.Throttle {
		return true, op.RetryAfter
	}
	return false, 0
}

// IsTransient reports whether err was classified as worth retrying.
// Checksum mismatches are transient too — a body corrupted in flight is
// worth one more read — but the retry layer bounds them like any other.
func IsTransient(err error) bool {
	if errors.Is(err, ErrChecksumMismatch) {
		return true
	}
	var op *OpError
	if errors.As(err, &op) {
		return op.Retry
	}
	return false
}

// Package retry decides, in one place, how a failed request is tried again:
// a Policy retries one request (with its body) for failures that may pass,
// and a Gate admits requests to one store and answers its throttling.
//
// Whether an error may pass is decided by the store adapter that classified
// it (store.OpError's Retry and Throttle, store.ErrChecksumMismatch); this
// package only reads the verdict. Cancellation is never retried.
//
// # One layer per kind of failure
//
// Each kind of failure is retried by exactly one layer, so attempts never
// multiply (issue 11: the SDK's 10, the part loop's 5 and the object loop's 5
// once made 250 attempts of one failing part, and an object retry restarted
// a multipart upload from part 1).
//
//	failure                                layer                      attempts
//	-------------------------------------  -------------------------  ---------------------------------
//	throttling (503 SlowDown, 429,          Gate, per store and key    not counted; the wait grows, the
//	  Retry-After) of a data request        prefix, shared by copy     store's concurrency halves, and
//	                                        and verify                 after 30 minutes it is final
//	transient (5xx, reset, timeout, a       Policy.Do around the one   Policy.Attempts (Default 8)
//	  body cut short) of a data request     request and its body
//	checksum mismatch of a request's bytes  Policy.Do of that request: Policy.Mismatches (Default 3),
//	  (BadDigest, a part's ETag, a          the part (or the whole     then reported as
//	  single-part source MD5)               object, if it is one part) ErrChecksumMismatch
//	a multipart source that fails its       the object (transfer): it  2: one more pass, on the same
//	  whole-object check (composite ETag    re-reads every part and    upload (continued from ListParts)
//	  or MD5): no part can be blamed        re-sends only those whose
//	                                        bytes changed
//	control requests (HEAD, tagging,        the AWS SDK's retryer,     awsconfig.DefaultAttempts (10);
//	  ListParts, ListMultipartUploads,      inside store/s3; no engine the engines do not retry them
//	  abort, delete)                        retries them
//	listing pages, Check                    store/s3's own loop; the   8 (list), 3 (check)
//	                                        SDK makes one attempt
//	permanent (404, 403, a bad key,         nobody                     1
//	  ErrChanged), cancellation
//
// Data requests are the ones that carry a body or stream one — GetObject,
// PutObject, UploadPart — and the calls that open and close an upload: the
// SDK makes one attempt at each, because the engine that holds the body
// retries it, the body read included. A request that exhausts its layer's
// attempts fails its object: no outer loop retries what an inner layer
// already gave up on. (An upload interrupted by cancellation is kept for a
// journal's next run, which continues it from its confirmed parts; a failed
// one is aborted, so that no parts are billed.)
//
// It is not for deciding what is worth retrying (the store adapters) nor
// for resuming across runs (package journal, through transfer.Ledger).
package retry

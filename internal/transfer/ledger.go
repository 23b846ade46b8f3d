package transfer

// Ledger records what a run does to each object, durably, so that a run
// interrupted at any moment can be resumed: the journal implements it. The
// engine calls it from many goroutines at once; implementations batch.
//
// A Ledger never decides what is copied — the diff of the two listings
// does — but it remembers the multipart uploads in flight, so that a resumed
// run continues a large object from its completed parts instead of from
// zero.
type Ledger interface {
	// Resumable returns the upload an earlier run left for this version of
	// the object (same source ETag and size), if any.
	Resumable(key, srcETag string, size int64) (Upload, bool)
	// Started records that a copy of the object began.
	Started(key string, size int64, srcETag string)
	// UploadStarted records a new multipart upload (without parts), durably,
	// before any part is sent, and returns an error if it could not.
	UploadStarted(key string, u Upload) error
	// PartDone records a part the destination confirmed.
	PartDone(key, uploadID string, p DonePart)
	// UploadEnded forgets an upload that was completed or aborted.
	UploadEnded(key, uploadID string)
	// Done records an object the destination confirmed.
	Done(key string, size int64, dstETag string)
	// Unchanged is told of every object the listings show to be at the
	// destination already: a copy that completed just before a crash, whose
	// Done was not yet written, is confirmed this way. It returns the ID of
	// an upload still recorded for the key, which the engine then aborts
	// (a crash between completing an upload and recording it leaves one).
	Unchanged(key string, size int64, dstETag string) (staleUpload string)
	// Failed records an object the run gave up on, with the reason.
	Failed(key, reason string)
	// Deleted records an object removed from the destination.
	Deleted(key string)

	// VersionDone records an entry of a key's history that the
	// destination confirmed, in a history copy: source version srcID is
	// destination version dstID (a delete marker when marker is set).
	VersionDone(key, srcID, dstID string, marker bool)
	// Carried returns what VersionDone recorded for key, by earlier runs
	// too: the destination version ID of each source version ID.
	Carried(key string) map[string]string
}

// Upload is a multipart upload as a ledger keeps it.
type Upload struct {
	ID       string
	SrcETag  string
	Opaque   bool // the source ETag is not an MD5 (SSE-KMS)
	Size     int64
	PartSize int64
	Parts    int
	ByNumber bool // parts are the source's own, read by part number
	// Done holds the parts recorded as confirmed, by number.
	Done map[int]DonePart
}

// DonePart is one confirmed part.
type DonePart struct {
	Number int
	ETag   string
	MD5    []byte
	Size   int64
	// HashState is the whole-body MD5's state after this part, when the
	// source's ETag is a plain MD5 and parts are hashed in order; a resumed
	// upload restores it instead of reading the parts again.
	HashState []byte
}

// nopLedger records nothing.
type nopLedger struct{}

func (nopLedger) Resumable(string, string, int64) (Upload, bool) { return Upload{}, false }
func (nopLedger) Started(string, int64, string)                  {}
func (nopLedger) UploadStarted(string, Upload) error             { return nil }
func (nopLedger) PartDone(string, string, DonePart)              {}
func (nopLedger) UploadEnded(string, string)                     {}
func (nopLedger) Done(string, int64, string)                     {}
func (nopLedger) Unchanged(string, int64, string) string         { return "" }
func (nopLedger) Failed(string, string)                          {}
func (nopLedger) Deleted(string)                                 {}
func (nopLedger) VersionDone(string, string, string, bool)       {}
func (nopLedger) Carried(string) map[string]string               { return nil }

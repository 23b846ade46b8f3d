// Package transfer copies objects from one store to another: the engine
// behind copy, sync and plan.
//
// It lists both sides as streams and merges them in key order (package
// diff), so memory does not grow with the bucket. Each object's bytes are
// hashed while they stream; an object counts as copied only when the
// destination has confirmed the size and checksum that was read. Large
// objects go in parts, mirroring the source's part layout when it can be
// learned so that the destination's ETag equals the source's, with memory
// bounded in bytes by a weighted semaphore (workers × part size), never by
// object size. An upload that fails is aborted so no orphaned parts are
// billed. One bad object never stops the run: failures are collected in the
// Summary and the run goes on.
//
// Every data request goes through its side's throttle gate and is retried,
// with its body, by one retry.Policy loop where it is made — a part by its
// own read and send, never the object around it (package retry has the
// table). The one retry of a whole object is a multipart source that fails
// its whole-object checksum: the same upload is continued from the parts
// the destination lists, every part read again, and only changed parts
// sent again.
//
// Copy, sync and verify agree on what "the same" means. Listings carry no
// metadata, so an object whose size and ETag match is Stat-ed on both sides
// (two HEADs, and a tagging read where it has tags) and its metadata and
// tags compared as verify compares them (diff.CompareInfo). This is on by
// default, for copy and sync alike, as verify's metadata check is: without
// it, a change made in place at the source (CopyObject with
// MetadataDirective REPLACE) is never carried and verify fails after every
// sync. It costs a request per matching object per side, but no body bytes
// and no egress; Options.SkipMetadata decides by size and checksum alone
// for runs that know metadata is not changing. A difference is fixed in
// place where the destination implements store.MetadataUpdater (S3:
// CopyObject onto itself, both directives REPLACE; Summary.MetadataUpdated),
// otherwise, or for an object S3 cannot copy in one request, by copying the
// object again. A difference the destination store makes on every write
// (a diff.Quirk: versitygw's folder markers) is reported once, in
// Summary.Quirks, and never copied again.
//
// It is not for deciding what the user asked (package cli) nor for showing
// progress (listeners of package event).
package transfer

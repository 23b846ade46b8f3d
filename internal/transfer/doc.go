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
// It is not for deciding what the user asked (package cli) nor for showing
// progress (listeners of package event).
package transfer

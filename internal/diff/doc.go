// Package diff merges two listings that arrive in key order into one stream
// of entries — only at the source, only at the destination, or at both — and
// decides from listing facts alone whether two objects are the same.
//
// Memory does not grow with the number of objects: the merge holds one object
// of each side at a time. It is not for fetching anything; when listing facts
// cannot decide, it says so (Undecided) and the caller looks closer.
//
// Listings carry no metadata, so whether two objects' metadata agree is
// decided from two Stats (CompareInfo), which copy, sync and verify all use:
// what verify would call a mismatch, sync updates.
package diff

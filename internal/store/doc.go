// Package store defines the contract every storage backend meets — an S3
// bucket, a local directory, an in-memory map — and the values that cross it:
// objects, their metadata, and the errors callers branch on.
//
// It is not for moving data: the transfer engine consumes stores; it does not
// live here. Backends live in sub-packages (s3, fs, mem); storetest holds the
// conformance suite they all pass.
package store

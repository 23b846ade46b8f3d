// Package link simulates a far network link for the benches: a TCP proxy
// on 127.0.0.1 in front of one server that delays each direction by half a
// round trip, caps each direction's bandwidth for all its connections
// together, and counts (and optionally traces) the HTTP requests that cross
// it. bench/farlink and bench/coordinator put the source MinIO behind it.
//
// It is a model for timing, not a network emulator: no loss, no
// reordering, no TLS, and request counting assumes nothing sends a body
// through it (the far side is only read).
package link

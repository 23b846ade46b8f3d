// Package ledgertest is the conformance suite every transfer.Ledger
// passes: the SQLite journal of a single machine and the PostgreSQL
// ledger of the coordinator run the same cases, so that the copy engine
// resumes the same way on either. It asserts what a later run reads back
// (objects confirmed, uploads with their confirmed parts, the versions a
// history copy carried), what must be durable when a method returns, and
// what a run after a kill recovers; and it runs the engine itself through
// a ledger, interrupted mid-upload and resumed.
//
// It is for tests only. What is particular to one implementation (the
// journal's file format, the coordinator's schema) is tested next to it.
package ledgertest

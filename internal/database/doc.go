// Package database is sortie's database move (issue 15), engine-neutral:
// the URLs a user gives for the source and the target, the inventory of a
// live server in plain types, and the plan — the pre-flight that compares a
// source's inventory with its target's and says, one line each, what would
// stop or spoil a copy and what to do about it — written as text, JSON or
// Markdown, in English or French.
//
// It holds no SQL and imports no driver: each engine's reader, the only
// code that talks to a server, lives in its own package (postgres, mysql)
// and fills an Inventory with read-only queries. Comparing inventories is
// pure logic, tested without a server.
//
// It is not the copy, the verification or the cut-over: those are db copy,
// verify and cutover, still to come (see NOTES.md).
package database

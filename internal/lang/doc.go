// Package lang is the plumbing every sortie report shares: the language a
// report speaks (English or French, from --lang or the locale), message
// catalogs that each deliverable registers in its own package and that a
// test can check for completeness, numbers, money and sizes written the way
// each language writes them, and the writer that puts a report in a file
// atomically or on standard output.
//
// It holds no deliverable's words: assess, its report and policy each keep
// their own catalog. It is not a general translation framework — two
// languages, plain fmt verbs, no plural rules beyond what a message says.
package lang

// Package sample holds a fictional university's AWS account as the
// directory "sortie assess export-script" writes with aws-cli: the demo
// assesses it, and the tests check live reading against it.
package sample

import (
	"embed"
	"io/fs"
)

//go:embed account
var files embed.FS

// Account returns the account directory.
func Account() fs.FS {
	sub, err := fs.Sub(files, "account")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}

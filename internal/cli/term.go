package cli

import "golang.org/x/term"

func isTerminal(fd int) bool { return term.IsTerminal(fd) }

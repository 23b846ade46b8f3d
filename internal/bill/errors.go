package bill

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrUnknownFormat is wrapped by the error for a file that is no bill this
// package reads.
var ErrUnknownFormat = errors.New("not a CUR 2.0, legacy CUR or FOCUS file")

// ErrDamaged is wrapped by the error for a file cut short or corrupted,
// which downloading again may cure.
var ErrDamaged = errors.New("truncated or damaged")

// FileError is the error Read returns: the bill file or folder, the line
// of a CSV file it is about (0 when none is), and what is wrong.
//
// Its message is one line of printable characters of bounded length,
// whatever the file holds: a bill's content, quoted to say what is wrong
// with it, is cut short and its control bytes escaped.
type FileError struct {
	Path string
	Line int64
	Err  error
}

// The bounds of a FileError's message, in characters: the path (its end,
// which names the file, is kept), what is wrong, and any value quoted from
// the file.
const maxPath, maxMessage, maxQuoted = 160, 300, 40

func (e *FileError) Error() string {
	path := e.Path
	if n := utf8.RuneCountInString(path); n > maxPath {
		path = "…" + string([]rune(path)[n-maxPath+1:])
	}
	var b strings.Builder
	b.WriteString("bill ")
	b.WriteString(printable(path, 2*maxPath))
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(printable(e.Err.Error(), maxMessage))
	return b.String()
}

func (e *FileError) Unwrap() error { return e.Err }

// fileError is a FileError for path, with no line.
func fileError(path string, format string, args ...any) error {
	return &FileError{Path: path, Err: fmt.Errorf(format, args...)}
}

// osError is what an os call's error says beyond the path, which the
// FileError already names.
func osError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// printable is s with every control byte, invalid UTF-8 byte or other
// unprintable character escaped as Go would quote it (\x01, \n, \u2028),
// cut to at most max characters with an ellipsis.
func printable(s string, max int) string {
	var b strings.Builder
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		var piece string
		switch {
		case r == utf8.RuneError && size == 1:
			piece = fmt.Sprintf(`\x%02x`, s[0])
		case unicode.IsPrint(r):
			piece = s[:size]
		default:
			q := strconv.QuoteRune(r)
			piece = q[1 : len(q)-1]
		}
		if n+utf8.RuneCountInString(piece) > max-1 && len(s) > size {
			b.WriteString("…")
			return b.String()
		}
		b.WriteString(piece)
		n += utf8.RuneCountInString(piece)
		s = s[size:]
	}
	return b.String()
}

// quoted is a value from a bill, quoted and cut short for a message.
func quoted(s string) string {
	if utf8.RuneCountInString(s) > maxQuoted {
		s = string([]rune(s)[:maxQuoted-1]) + "…"
	}
	return strconv.Quote(s)
}

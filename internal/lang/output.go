package lang

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// PathError says a report could not be put at Path at all — its directory
// is missing or not writable — which the user fixes by giving another path.
type PathError struct {
	Path string
	Err  error
}

func (e *PathError) Error() string { return "write " + e.Path + ": " + e.Err.Error() }
func (e *PathError) Unwrap() error { return e.Err }

// WriteOutput runs write on standard output for path "-", else on a file
// written beside path and renamed onto it once complete: a reader never
// sees half a report, and a failed run leaves an older report whole. The
// file is mode 0644. A path that cannot be created or replaced is a
// *PathError; a failure of write itself is returned wrapped.
func WriteOutput(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "-" {
		return write(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sortie-report-*")
	if err != nil {
		return &PathError{Path: path, Err: cause(err)}
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return &PathError{Path: path, Err: cause(err)}
	}
	return nil
}

// cause drops an *os.PathError's own path (the temporary file's), which
// would only confuse: the error names the report's path.
func cause(err error) error {
	var pe *os.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}

package spec

import (
	"fmt"
	"strings"
)

// Error is a problem at a place in a file, with what to write instead.
type Error struct {
	File string `json:"file"`
	// Line and Col are 1-based; 0 when the problem concerns the whole file.
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
	Path string `json:"path,omitempty"` // field path, e.g. "spec.credential.ttl"; "" for the document
	Msg  string `json:"message"`
	Hint string `json:"hint,omitempty"` // what to write instead; may be empty
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
	}
	return loc + ": " + e.Detail()
}

// Detail is the error without its location, for formats that carry the
// location separately (annotations, SARIF).
func (e *Error) Detail() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Errors is every problem found in one or more files. A spec with any error
// is never evaluated further: it blocks the review.
type Errors []*Error

func (es Errors) Error() string {
	switch len(es) {
	case 0:
		return "no errors"
	case 1:
		return es[0].Error()
	}
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return fmt.Sprintf("%d problems:\n%s", len(es), strings.Join(lines, "\n"))
}

// Err returns es as an error, or nil when it is empty, so that a nil Errors
// never becomes a non-nil error interface.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// Package codeowners reads a repository's CODEOWNERS file and answers who owns
// a path, with GitHub's semantics rather than git's, so that the approvals
// nhigate demands are the ones GitHub's own code owner review would request.
package codeowners

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// File is a parsed CODEOWNERS file.
type File struct {
	Path    string      // where the file was found, e.g. ".github/CODEOWNERS"
	Rules   []Rule      // the valid lines, in file order
	Invalid []LineError // the lines GitHub skips, in file order

	// patterns[i] is Rules[i].Pattern compiled by Parse.
	patterns []pattern
}

// Rule is one valid line: a pattern and the owners of the paths it matches.
type Rule struct {
	Pattern string // as written, escapes included, e.g. "/docs/" or `path\ with\ spaces/`
	// Owners are "@user", "@org/team" or "user@example.com", as written.
	// Empty means the paths are explicitly unowned.
	Owners []string
	Line   int // 1-based
}

// LineError is a line GitHub skips, and why.
type LineError struct {
	Line   int    // 1-based
	Text   string // the line as written
	Reason string // e.g. "negation (!) is not supported by GitHub"
}

// Owners returns the owners of path (slash-separated, relative to the
// repository root) and the rule they come from. As on GitHub the last
// matching rule wins, and a rule without owners leaves the path unowned: it
// returns no owners and that rule. A nil rule means no rule matches.
//
// The owners slice belongs to the rule; do not modify it.
func (f *File) Owners(path string) (owners []string, rule *Rule) {
	owners, rule, _ = f.owners(path)
	return owners, rule
}

// owners is Owners, also counting the matching steps it took.
func (f *File) owners(path string) (owners []string, rule *Rule, steps int) {
	path = strings.TrimPrefix(path, "/")
	if f == nil || path == "" {
		return nil, nil, steps
	}
	segs := strings.Split(path, "/")
	for i := len(f.Rules) - 1; i >= 0; i-- {
		r := &f.Rules[i]
		var p pattern
		if i < len(f.patterns) && f.patterns[i].raw == r.Pattern {
			p = f.patterns[i]
		} else {
			// A File built by hand, or edited after Parse.
			p, _ = compile(r.Pattern)
		}
		if p.match(segs, &steps) {
			return r.Owners, r, steps
		}
	}
	return nil, nil, steps
}

// Locations in search order, as GitHub looks them up.
var Locations = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// MaxSize is GitHub's limit: "CODEOWNERS files must be under 3 MB in size."
const MaxSize = 3 << 20

// ErrTooLarge is wrapped by Find's error for a file GitHub refuses to load.
var ErrTooLarge = errors.New("CODEOWNERS file too large")

// Find returns the first location that exists, using read (which returns
// fs.ErrNotExist-wrapping errors for missing files). It is called with a
// reader of the BASE revision, as GitHub takes CODEOWNERS from the pull
// request's base branch. It returns (nil, nil) when there is none.
//
// Like GitHub, it stops at the first file found: a later location is not a
// fallback for one that is too large or has invalid lines.
func Find(read func(path string) ([]byte, error)) (*File, error) {
	for _, loc := range Locations {
		data, err := read(loc)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", loc, err)
		}
		if len(data) >= MaxSize {
			// Accepting it would require owners GitHub never requests.
			return nil, fmt.Errorf("%s: %w: it is %d bytes and GitHub ignores a CODEOWNERS file of 3 MB or more, so it requests no code owner; merge entries with wildcard patterns to shrink it", loc, ErrTooLarge, len(data))
		}
		return Parse(loc, data), nil
	}
	return nil, nil
}

package codeowners

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// A pattern follows gitignore's rules, with GitHub's differences:
//
//   - "!" negation, "[ ]" ranges and "\#" at the start are invalid;
//   - a final "/*" matches the files directly in a directory and nothing
//     below (gitignore would match the subdirectories, and so their files).
//
// Otherwise, as in gitignore: a pattern with a slash at the start or in the
// middle is anchored at the root, one without matches at any depth; a
// trailing slash matches directories only; "*" and "?" do not match "/";
// "**" between slashes matches any number of directories, and a final "/**"
// everything inside; a backslash escapes the next character. A pattern that
// matches a directory matches every path below it.
//
// Matching walks the path segments once, keeping the set of pattern segments
// reached (an NFA), so that it takes time proportional to the product of the
// lengths and never backtracks exponentially.
type pattern struct {
	raw  string
	segs []segment
	// dirOnly: a trailing slash; the pattern matches only paths below what
	// it names.
	dirOnly bool
	// noDescend: a final "/*"; the pattern matches only what it names.
	noDescend bool
}

type segment struct {
	anyDepth bool    // "**": zero or more segments, or one or more at the end
	toks     []token // otherwise, a glob over one segment
}

type token struct {
	kind tokenKind
	lit  string // for literal
}

type tokenKind uint8

const (
	literal tokenKind = iota
	anyChar           // ?
	anyRun            // *
)

// compile returns the pattern for raw, or why GitHub rejects it.
func compile(raw string) (pattern, string) {
	switch {
	case strings.HasPrefix(raw, "!"):
		return pattern{}, "negation (!) is not supported by GitHub"
	case strings.HasPrefix(raw, `\#`):
		return pattern{}, `escaping a leading # (\#) is not supported by GitHub: the line cannot name a path that starts with #`
	}

	// Split at slashes, escaped or not: an escaped slash still separates
	// path segments.
	var parts []string
	start := 0
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			if i+1 == len(raw) {
				return pattern{}, `the pattern ends with a lone backslash; write \\ for a backslash`
			}
			if raw[i+1] == '/' {
				parts = append(parts, raw[start:i])
				start = i + 2
			}
			i++
		case '/':
			parts = append(parts, raw[start:i])
			start = i + 1
		case '[', ']':
			return pattern{}, `character ranges ([ ]) are not supported by GitHub; to match a bracket in a name, escape it as \[ or \]`
		}
	}
	parts = append(parts, raw[start:])

	p := pattern{raw: raw}
	anchored := false
	if len(parts) > 1 && parts[0] == "" {
		anchored = true
		parts = parts[1:]
	}
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		p.dirOnly = true
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 1 && parts[0] == "" {
		return pattern{}, fmt.Sprintf("the pattern %s matches nothing; to match every file, write *", raw)
	}
	for _, s := range parts {
		if s == "" {
			return pattern{}, "the pattern has an empty path segment (//) and matches nothing"
		}
	}
	if len(parts) > 1 {
		anchored = true
	}

	if !anchored && !isAnyDepth(parts[0]) {
		p.segs = append(p.segs, segment{anyDepth: true})
	}
	for _, s := range parts {
		seg := compileSegment(s)
		if seg.anyDepth && len(p.segs) > 0 && p.segs[len(p.segs)-1].anyDepth {
			continue // "**/**" is "**"
		}
		p.segs = append(p.segs, seg)
	}
	p.noDescend = !p.dirOnly && parts[len(parts)-1] == "*"
	return p, ""
}

// isAnyDepth reports whether a segment is "**". Like git, it takes a
// segment of three or more stars for "**" too.
func isAnyDepth(s string) bool {
	return len(s) >= 2 && strings.Trim(s, "*") == ""
}

func compileSegment(s string) segment {
	if isAnyDepth(s) {
		return segment{anyDepth: true}
	}
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{kind: literal, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			i++ // compile has checked that a character follows
			lit.WriteByte(s[i])
		case '?':
			flush()
			toks = append(toks, token{kind: anyChar})
		case '*':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].kind != anyRun {
				toks = append(toks, token{kind: anyRun})
			}
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return segment{toks: toks}
}

// match reports whether the pattern matches a path, given as its segments.
//
// It adds the steps it takes to *steps, so tests can hold it to its bound
// without timing it.
func (p *pattern) match(path []string, steps *int) bool {
	m := len(p.segs)
	if m == 0 {
		return false
	}
	// reached[i]: the path so far is matched by the first i pattern segments.
	var bufA, bufB [16]bool
	reached, next := bufA[:], bufB[:]
	if m+1 > len(bufA) {
		reached, next = make([]bool, m+1), make([]bool, m+1)
	}
	reached, next = reached[:m+1], next[:m+1]
	reached[0] = true
	p.skipEmpty(reached)

	for j, name := range path {
		clear(next)
		alive := false
		for i, s := range p.segs {
			*steps++
			switch {
			case !reached[i]:
			case s.anyDepth:
				next[i] = true
				if i == m-1 {
					next[m] = true
				}
				alive = true
			case s.matchName(name, steps):
				next[i+1] = true
				alive = true
			}
		}
		if !alive {
			return false
		}
		p.skipEmpty(next)
		reached, next = next, reached
		if reached[m] {
			if j == len(path)-1 {
				if !p.dirOnly {
					return true
				}
			} else if !p.noDescend {
				return true // a directory above the path
			}
		}
	}
	return false
}

// skipEmpty lets each "**" but a final one match zero segments.
func (p *pattern) skipEmpty(reached []bool) {
	for i := 0; i < len(p.segs)-1; i++ {
		if reached[i] && p.segs[i].anyDepth {
			reached[i+1] = true
		}
	}
}

// matchName matches one path segment. On a mismatch it retries from the
// last "*" only, which is enough (a later "*" can absorb whatever an earlier
// one would), so it takes at most len(toks)×len(name) steps.
func (s *segment) matchName(name string, steps *int) bool {
	t, n := 0, 0
	star, starN := -1, 0
	for {
		*steps++
		if t < len(s.toks) {
			switch tok := s.toks[t]; tok.kind {
			case anyRun:
				star, starN = t, n
				t++
				continue
			case anyChar:
				if n < len(name) {
					_, w := utf8.DecodeRuneInString(name[n:])
					n += w
					t++
					continue
				}
			case literal:
				if strings.HasPrefix(name[n:], tok.lit) {
					n += len(tok.lit)
					t++
					continue
				}
			}
		} else if n == len(name) {
			return true
		}
		if star < 0 || starN == len(name) {
			return false
		}
		_, w := utf8.DecodeRuneInString(name[starN:])
		starN += w
		t, n = star+1, starN
	}
}

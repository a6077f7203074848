package catalog

import (
	"unicode"
	"unicode/utf8"
)

// match reports whether pattern matches s, with the semantics of spec
// patterns (package diffing): `*` matches any run of characters, `?` one
// character, everything else itself; with fold, letters match under simple
// case folding (AWS actions). With anyRun, `?` matches any run too: the
// pattern then covers strings whatever the length of what its wildcards
// stand for, as the probes of Judge need.
//
// It is the greedy algorithm: on a mismatch the last `*` absorbs one more
// character, so it runs in O(len(pattern)·len(s)) at worst. Rego evaluates
// the same match with a regular expression (policies/nhigate/lib/broad.rego).
func match(pattern, s string, fold, anyRun bool) bool {
	pi, si := 0, 0
	star, starS := -1, 0
	for si < len(s) {
		if pi < len(pattern) {
			pc, psize := utf8.DecodeRuneInString(pattern[pi:])
			sc, ssize := utf8.DecodeRuneInString(s[si:])
			switch {
			case pc == '*' || (anyRun && pc == '?'):
				star, starS = pi+psize, si
				pi += psize
				continue
			case pc == '?' || pc == sc || (fold && equalFold(pc, sc)):
				pi += psize
				si += ssize
				continue
			}
		}
		if star < 0 {
			return false
		}
		_, size := utf8.DecodeRuneInString(s[starS:])
		starS += size
		pi, si = star, starS
	}
	for pi < len(pattern) && (pattern[pi] == '*' || (anyRun && pattern[pi] == '?')) {
		pi++
	}
	return pi == len(pattern)
}

// equalFold reports whether a and b are equal under simple case folding, as
// Go's regexp (?i) compares them.
func equalFold(a, b rune) bool {
	for f := unicode.SimpleFold(a); f != a; f = unicode.SimpleFold(f) {
		if f == b {
			return true
		}
	}
	return false
}

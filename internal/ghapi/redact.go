package ghapi

import (
	"cmp"
	"encoding/base64"
	"slices"
	"strings"
)

// Redacted replaces the token, in any form redactor finds, in every error
// and in everything the API returns.
const Redacted = "REDACTED"

// minRun is how many consecutive characters of the token give it away: a
// run of at least this many, in any case, is redacted wherever it stands,
// so a prefix, a suffix or any slice of the token is caught as well as the
// whole. It is twice the length of the fixed "ghp_" prefix.
const minRun = 8

// minBase64Run is the least number of base64 characters that every run of
// minRun bytes of the token encodes to whole, at any alignment.
const minBase64Run = (minRun*8 - 4) / 6

// redactor finds a token in text that a hostile or broken server might
// echo back: as it is; in another case; percent-encoded, once or twice,
// in any mix with plain characters; escaped as JSON (\u0067); base64 in
// the standard or the URL alphabet, padded or not, starting at any of the
// three byte alignments (as in a Basic authorization header that carries
// "x-access-token:" before it); or only a part of it of at least minRun
// characters, such as the first eight.
type redactor struct {
	token string
	// plain finds runs of the lower-cased token; encoded finds runs of the
	// base64 characters that depend on the token's bytes alone, one needle
	// per alignment and alphabet.
	plain, encoded *needles
}

func newRedactor(token string) *redactor {
	r := &redactor{token: token}
	if token == "" {
		return r
	}
	r.plain = newNeedles([]string{strings.ToLower(token)}, min(minRun, len(token)))
	var middles []string
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for k := range 3 {
			// k filler bytes put the token at alignment k. Character i of
			// the encoding carries bits 6i to 6i+6: it is the token's alone
			// when those bits lie within the token's bytes.
			e := enc.EncodeToString(append(make([]byte, k), token...))
			first := (8*k + 5) / 6
			last := (8*(k+len(token)))/6 - 1
			if last-first+1 >= minBase64Run {
				middles = append(middles, e[first:last+1])
			}
		}
	}
	if len(middles) > 0 {
		r.encoded = newNeedles(middles, minBase64Run)
	}
	return r
}

// needles finds, in a text, every run of at least min characters that
// stands in one of a few needles. It indexes the needles' grams of g
// characters and looks up only every g-th position of the text: with
// min >= 2g-1, every such run holds a looked-up gram whole, from which the
// run is grown both ways.
type needles struct {
	list  []string
	min   int
	g     int
	grams map[string][][2]int // gram -> (needle, offset)
}

func newNeedles(list []string, minLen int) *needles {
	n := &needles{list: list, min: minLen, g: (minLen + 1) / 2, grams: map[string][][2]int{}}
	for i, s := range list {
		for p := 0; p+n.g <= len(s); p++ {
			n.grams[s[p:p+n.g]] = append(n.grams[s[p:p+n.g]], [2]int{i, p})
		}
	}
	return n
}

// find appends to hits the runs in text, as [start, end) ranges.
func (n *needles) find(text string, hits [][2]int) [][2]int {
	covered := 0 // the end of the last run found
	for j := 0; j+n.g <= len(text); j += n.g {
		if j+n.g <= covered {
			continue // inside a run already found
		}
		for _, at := range n.grams[text[j:j+n.g]] {
			needle, p := n.list[at[0]], at[1]
			lo, hi := j, j+n.g
			for lo > 0 && p-(j-lo) > 0 && text[lo-1] == needle[p-(j-lo)-1] {
				lo--
			}
			for hi < len(text) && p+(hi-j) < len(needle) && text[hi] == needle[p+(hi-j)] {
				hi++
			}
			if hi-lo >= n.min {
				hits = append(hits, [2]int{lo, hi})
				covered = max(covered, hi)
			}
		}
	}
	return hits
}

// redact replaces every form of the token in s with Redacted.
func (r *redactor) redact(s string) string {
	if r == nil || r.token == "" || s == "" {
		return s
	}
	view, start := decodeView(s)
	hits := r.plain.find(asciiLower(view), nil)
	if r.encoded != nil {
		for _, h := range r.encoded.find(view, nil) {
			// The character on either side carries some of the token's
			// bits too, and padding may follow.
			lo, hi := h[0], h[1]
			if lo > 0 && isBase64(view[lo-1]) {
				lo--
			}
			if hi < len(view) && isBase64(view[hi]) {
				hi++
			}
			for hi < len(view) && view[hi] == '=' {
				hi++
			}
			hits = append(hits, [2]int{lo, hi})
		}
	}
	if len(hits) == 0 {
		return s
	}
	slices.SortFunc(hits, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
	// Map view ranges to s, merging those that touch.
	var b strings.Builder
	last := 0
	for i := 0; i < len(hits); {
		lo, hi := hits[i][0], hits[i][1]
		for i++; i < len(hits) && hits[i][0] <= hi; i++ {
			hi = max(hi, hits[i][1])
		}
		from, to := max(start(lo), last), start(hi)
		b.WriteString(s[last:from])
		b.WriteString(Redacted)
		last = to
	}
	b.WriteString(s[last:])
	return b.String()
}

func isBase64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_'
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lowerByte(b[j])
			}
			return string(b)
		}
	}
	return s
}

// maxDecodeRounds bounds how many layers of percent-encoding are undone.
const maxDecodeRounds = 3

// decodeView undoes percent-encoding (%67), JSON escapes (\u0067, \/, \n)
// and, up to maxDecodeRounds times, encodings of those. It returns the
// decoded text and a function from a position in it to the position in s
// where that byte's encoding starts (len(s) for the end).
func decodeView(s string) (string, func(int) int) {
	identity := func(i int) int { return i }
	if !strings.ContainsAny(s, `%\`) {
		return s, identity
	}
	view := s
	var starts []int32 // starts[i]: where view byte i begins in s; nil is the identity
	for range maxDecodeRounds {
		if !strings.ContainsAny(view, `%\`) {
			break
		}
		next, src, changed := decodeOnce(view)
		if !changed {
			break
		}
		if starts != nil {
			for i, j := range src {
				src[i] = starts[j]
			}
		}
		view, starts = next, src
	}
	if starts == nil {
		return s, identity
	}
	return view, func(i int) int {
		if i >= len(starts) {
			return len(s)
		}
		return int(starts[i])
	}
}

// decodeOnce decodes one layer. src[i] is the index in s of the first byte
// of what became byte i. Every escape is one unit, so that a redaction
// starts and ends between escapes and the JSON around it stays valid.
func decodeOnce(s string) (string, []int32, bool) {
	b := make([]byte, 0, len(s))
	src := make([]int32, 0, len(s))
	changed := false
	for i := 0; i < len(s); {
		c, size := s[i], 1
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			c, size = unhex(s[i+1])<<4|unhex(s[i+2]), 3
		case c == '\\' && i+5 < len(s) && s[i+1] == 'u' && isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]) && isHex(s[i+5]):
			c, size = 0xff, 6 // outside ASCII: no character of a token
			if s[i+2] == '0' && s[i+3] == '0' {
				c = unhex(s[i+4])<<4 | unhex(s[i+5])
			}
		case c == '\\' && i+1 < len(s) && strings.IndexByte(`"\\/bfnrt`, s[i+1]) >= 0:
			c, size = jsonEscapes[s[i+1]], 2
		}
		if size > 1 {
			changed = true
		}
		b = append(b, c)
		src = append(src, int32(i))
		i += size
	}
	return string(b), src, changed
}

var jsonEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

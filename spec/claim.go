package spec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// A file claims to be an nhigate document when one of its mappings has an
// apiVersion naming nhigate.dev or a kind naming ProvisioningWorkflow. Other
// tools are lenient where nhigate is strict, and people read a look-alike as
// the real thing, so the claim is recognised loosely: in any case, with
// spaces, quotes, format characters and combining marks around or inside
// it, fullwidth forms, escapes, look-alike letters from other scripts, and
// in UTF-8 with or without a BOM, UTF-16 or UTF-32. Recognising a claim
// never accepts a document: it only stops one from being skipped.

// Claim is where a file declares itself an nhigate document.
type Claim struct {
	Line, Col  int
	Key, Value string // as written, after YAML or JSON unescaping
}

// What a claim names, folded: see fold.
const (
	claimAPIVersion = "apiversion"
	claimGroup      = "nhigate.dev"
	claimKind       = "provisioningworkflow"
)

// FindClaim looks for a claim anywhere in data: in any document, at any
// depth (a list wrapper such as a Kubernetes List holds its items one level
// down), whatever the file's name. When data does not parse as YAML (JSON is
// YAML here), another parser may still read it, so for a name that ends in
// .yaml, .yml or .json, in any case, or that has no extension, any mention
// of nhigate.dev or ProvisioningWorkflow in the text counts.
func FindClaim(name string, data []byte) (Claim, bool) {
	text, _ := decodeText(data)
	if plain(text) && !mentions(text) {
		return Claim{}, false // the fast path: nothing can spell a claim
	}
	if t := strings.TrimLeft(text, " \t\r\n"); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		// JSON, which YAML's parser reads differently or not at all (tabs,
		// the \/ escape): read as the spec loader reads it.
		if doc, err := parseJSON([]byte(text), DefaultMaxDepth); err == nil {
			return findClaim(doc)
		}
	}
	docs, err := parseYAML([]byte(text))
	if err == nil {
		for _, doc := range docs {
			if c, ok := findClaim(doc); ok {
				return c, true
			}
		}
		return Claim{}, false
	}
	switch strings.ToLower(pathExt(name[strings.LastIndexByte(name, '/')+1:])) {
	case ".yaml", ".yml", ".json", "":
		return textClaim(text)
	}
	return Claim{}, false
}

// Encoding names the character encoding that decodeText found.
func Encoding(data []byte) string {
	_, enc := decodeText(data)
	return enc
}

// findClaim walks every node once, without following aliases, so that its
// cost is bounded by the size of the file.
func findClaim(doc *yaml.Node) (Claim, bool) {
	stack := []*yaml.Node{doc}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], unalias(n.Content[i+1])
				if k.Kind == yaml.ScalarNode && v.Kind == yaml.ScalarNode && claimKV(k.Value, v.Value) {
					return Claim{Line: k.Line, Col: k.Column, Key: k.Value, Value: v.Value}, true
				}
			}
		}
		for i := len(n.Content) - 1; i >= 0; i-- {
			if n.Content[i].Kind != yaml.AliasNode {
				stack = append(stack, n.Content[i])
			}
		}
	}
	return Claim{}, false
}

// claimKV reports whether one key and its value claim an nhigate document.
func claimKV(key, value string) bool {
	k := fold(key)
	switch {
	case looksLike(k, claimAPIVersion, false):
		return looksLike(fold(value), claimGroup, true)
	case looksLike(k, "kind", false):
		return looksLike(fold(value), claimKind, true)
	}
	return false
}

// SameAs reports whether a value that differs from want reads as want to a
// person or to a lenient tool: the same up to case, spacing, quotes,
// invisible characters, fullwidth forms and look-alike letters. Messages use
// it to say why a value that looks right is wrong.
func SameAs(value, want string) bool {
	return value != want && looksLike(fold(value), fold(want), false)
}

// unsupported says that value is not want, and why a near miss that reads
// as want is not it: non-ASCII characters are shown as escapes.
func unsupported(value, want string) string {
	if SameAs(value, want) {
		return fmt.Sprintf("%+q is not supported: it only looks like %q (case, spacing, invisible or look-alike characters differ)", value, want)
	}
	return fmt.Sprintf("%+q is not supported", value)
}

// fold maps s to the form in which claims compare: lower case, fullwidth
// ASCII as ASCII, and without white space, format characters (zero-width
// spaces and joiners, bidi controls), combining marks and surrounding
// quotes.
func fold(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E { // fullwidth forms of ASCII
			r -= 0xFEE0
		}
		if unicode.IsSpace(r) || unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.Trim(b.String(), "\"'`")
}

// looksLike reports whether the folded s reads as want (lower-case ASCII),
// or, with prefix, starts with it. A non-ASCII rune may stand for any one
// character, as a look-alike letter does, but at most a third of want may
// be stood for, so that text in another script is not mistaken for it.
func looksLike(s, want string, prefix bool) bool {
	return runesLookLike([]rune(s), want, prefix)
}

func runesLookLike(rs []rune, want string, prefix bool) bool {
	if len(rs) < len(want) || !prefix && len(rs) > len(want) {
		return false
	}
	stood := 0
	for i := range len(want) {
		switch r := rs[i]; {
		case r == rune(want[i]):
		case r >= utf8.RuneSelf:
			stood++
		default:
			return false
		}
	}
	return stood <= len(want)/3
}

// plain reports whether text is printable ASCII without escapes, in which
// case a claim must be spelt out in it.
func plain(text string) bool {
	for i := 0; i < len(text); i++ {
		if c := text[i]; c >= utf8.RuneSelf || c == '\\' || c == 0 {
			return false
		}
	}
	return true
}

// mentions reports whether ASCII text names nhigate or ProvisioningWorkflow
// in any case, with white space anywhere inside: YAML folds a plain scalar
// that runs over several lines into one.
func mentions(text string) bool {
	const window = len(claimKind)
	var last [window]byte
	n := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		last[n%window] = c
		n++
		if endsWith(last[:], n, "nhigate") || endsWith(last[:], n, claimKind) {
			return true
		}
	}
	return false
}

func endsWith(ring []byte, n int, s string) bool {
	if n < len(s) {
		return false
	}
	for i := range len(s) {
		if ring[(n-len(s)+i)%len(ring)] != s[i] {
			return false
		}
	}
	return true
}

// textClaim searches text that did not parse: escapes decoded, folded as
// in fold, each folded rune remembering its line.
func textClaim(text string) (Claim, bool) {
	type at struct{ line, col int }
	var runes []rune
	var pos []at
	line, col := 1, 1
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == '\\' {
			if u, n := unescape(text[i:]); n > 0 {
				r, size = u, n
			}
		}
		i += size
		for _, f := range fold(string(r)) {
			runes = append(runes, f)
			pos = append(pos, at{line, col})
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	for i := range runes {
		for _, want := range []string{claimGroup, claimKind} {
			if runesLookLike(runes[i:], want, true) {
				return Claim{Line: pos[i].line, Col: pos[i].col, Value: want}, true
			}
		}
	}
	return Claim{}, false
}

// unescape decodes one JSON or YAML escape at the start of s: \/, \xXX,
// \uXXXX and \UXXXXXXXX. It returns the rune and the bytes it took, or 0
// for anything else.
func unescape(s string) (rune, int) {
	if len(s) < 2 {
		return 0, 0
	}
	digits := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[1]]
	switch {
	case s[1] == '/':
		return '/', 2
	case digits == 0 || len(s) < 2+digits:
		return 0, 0
	}
	v, err := strconv.ParseUint(s[2:2+digits], 16, 32)
	if err != nil || v > unicode.MaxRune {
		return 0, 0
	}
	return rune(v), 2 + digits
}

// decodeText returns data as UTF-8 text, with the encoding it was in: a BOM
// names UTF-8, UTF-16 or UTF-32; without one, NUL bytes between ASCII
// characters give UTF-16 or UTF-32 away. Invalid sequences become U+FFFD.
func decodeText(data []byte) (string, string) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return strings.ToValidUTF8(string(data[3:]), "\uFFFD"), "UTF-8 with a BOM"
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE, 0, 0}):
		return utf32(data[4:], binary.LittleEndian), "UTF-32LE"
	case bytes.HasPrefix(data, []byte{0, 0, 0xFE, 0xFF}):
		return utf32(data[4:], binary.BigEndian), "UTF-32BE"
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return utf16s(data[2:], binary.LittleEndian), "UTF-16LE"
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return utf16s(data[2:], binary.BigEndian), "UTF-16BE"
	case len(data) >= 4 && data[0] != 0 && data[1] == 0 && data[2] == 0 && data[3] == 0:
		return utf32(data, binary.LittleEndian), "UTF-32LE"
	case len(data) >= 4 && data[0] == 0 && data[1] == 0 && data[2] == 0 && data[3] != 0:
		return utf32(data, binary.BigEndian), "UTF-32BE"
	case len(data) >= 2 && data[0] != 0 && data[1] == 0:
		return utf16s(data, binary.LittleEndian), "UTF-16LE"
	case len(data) >= 2 && data[0] == 0 && data[1] != 0:
		return utf16s(data, binary.BigEndian), "UTF-16BE"
	}
	return strings.ToValidUTF8(string(data), "\uFFFD"), "UTF-8"
}

func utf16s(data []byte, order binary.ByteOrder) string {
	u := make([]uint16, len(data)/2)
	for i := range u {
		u[i] = order.Uint16(data[2*i:])
	}
	return string(utf16.Decode(u))
}

func utf32(data []byte, order binary.ByteOrder) string {
	var b strings.Builder
	for i := 0; i+4 <= len(data); i += 4 {
		r := rune(order.Uint32(data[i:]))
		if !utf8.ValidRune(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

// marker is Marker past its fast path: text that is not plain ASCII may
// spell a claim in another encoding, with escapes or with look-alikes.
func marker(data []byte) bool {
	if bytes.Contains(data, []byte("nhigate.dev")) || bytes.Contains(data, []byte(Kind)) {
		return true
	}
	text, _ := decodeText(data)
	if plain(text) {
		return mentions(text)
	}
	_, ok := FindClaim("", data)
	return ok
}

// ClaimInText reports whether text that cannot be parsed, such as a part of
// a file too large to read whole, mentions nhigate.dev or
// ProvisioningWorkflow in any of the spellings FindClaim recognises.
func ClaimInText(data []byte) bool {
	text, _ := decodeText(data)
	if plain(text) && !mentions(text) {
		return false
	}
	_, ok := textClaim(text)
	return ok
}

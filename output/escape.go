package output

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nhigate/nhigate/internal/secret"
)

// Escape makes untrusted text safe anywhere in GitHub-flavoured Markdown:
// in a paragraph, a list item, a heading or a table cell. The text renders
// as itself and never as structure:
//   - secrets are masked first, since an escaped secret no longer matches
//     its pattern;
//   - line breaks and tabs become spaces, so the text cannot start a line
//     (a heading, a list, a fence, a table row, an HTML block); other
//     control and invisible characters show as \uXXXX;
//   - &, < and > become entities, so there is no HTML, comment or autolink;
//   - the punctuation of emphasis, links, images, code, tables, strikeout,
//     math and headings is backslash-escaped;
//   - an @ gets a zero-width space after it, so that no one is mentioned
//     (pinged) by a name in a spec or a message.
func Escape(s string) string {
	s = secret.Mask(s)
	if plainMarkdown(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString("\uFFFD")
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case invisible(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '@':
			b.WriteString("@&#8203;")
		case r < utf8.RuneSelf && strings.IndexByte(markdownPunct, byte(r)) >= 0:
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// plainMarkdown reports whether s is printable ASCII that Escape leaves
// as it is, the common case.
func plainMarkdown(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c >= 0x7f || c == '&' || c == '<' || c == '>' || c == '@' || strings.IndexByte(markdownPunct, c) >= 0 {
			return false
		}
	}
	return true
}

// markdownPunct is the punctuation Escape backslash-escapes. CommonMark
// lets a backslash escape any ASCII punctuation; these are the ones that
// can open or close structure in the middle of a line (the rest, such as
// - or 1., matter only at the start of one, where Escape never puts text).
const markdownPunct = "\\`*_[]()#!|~$"

// Code renders untrusted text as inline code. It is an HTML <code> element
// around Escape(s) rather than a backtick span: a code span cannot escape
// anything inside it, while this renders the same and keeps every
// guarantee of Escape, in table cells too. Empty text renders as a dash.
func Code(s string) string {
	if s == "" {
		return "—"
	}
	return "<code>" + Escape(s) + "</code>"
}

// mermaidText makes untrusted text safe inside a quoted Mermaid label
// ("…"): anything but letters, digits and a few harmless signs becomes a
// #code; entity, so that no quote, bracket, semicolon, arrow, %% comment,
// backtick or line break can end the label or the statement. Secrets are
// masked first.
func mermaidText(s string) string {
	s = secret.Mask(s)
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString("#65533;")
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" ./:*_+,=@-", r)):
			b.WriteRune(r)
		case r >= utf8.RuneSelf && unicode.IsPrint(r) && !invisible(r):
			b.WriteString(s[i : i+size])
		case invisible(r):
			b.WriteByte(' ')
		default:
			fmt.Fprintf(&b, "#%d;", r)
		}
		i += size
	}
	return b.String()
}

// guardRules say how a format breaks the sequences that the GitHub Actions
// runner reads as workflow commands in a job's output: "::" at the start of
// a line (after blanks) and the legacy "##[" anywhere in one. A report
// printed in a job must not smuggle in ::add-mask::, ::stop-commands:: or
// ##[set-output …]. Each format replaces one character with an escape that
// reads back as the same character, so the content is unchanged.
type guardRules struct {
	// hash replaces the second # of "##["; colon the first : of a line
	// that starts with "::". Empty means the format needs no such rule.
	hash, colon string
	// replacement is how a masked secret is written in this format.
	replacement func(*secret.Kind) string
}

var (
	textGuard     = guardRules{hash: `\x23`, colon: `\x3a`, replacement: secret.Replacement}
	markdownGuard = guardRules{hash: "&#35;", colon: "&#58;", replacement: func(k *secret.Kind) string { return Escape(secret.Replacement(k)) }}
	jsonGuard     = guardRules{hash: `\u0023`, colon: `\u003a`, replacement: secret.Replacement}
	xmlGuard      = guardRules{hash: "&#35;", colon: "&#58;", replacement: secret.Replacement}
	// Every line of the annotation format is a workflow command already,
	// whose data the runner never reads as another command.
	commandGuard = guardRules{replacement: secret.Replacement}
)

// guard is the last line of defence on a rendered report: it masks what
// still looks like a secret and breaks workflow commands (see guardRules).
func guard(out []byte, g guardRules) []byte {
	if s := string(out); secret.Suspicious(s) {
		if masked := secret.MaskWith(s, g.replacement); masked != s {
			out = []byte(masked)
		}
	}
	if g.hash != "" && bytes.Contains(out, []byte("##[")) {
		out = bytes.ReplaceAll(out, []byte("##["), []byte("#"+g.hash+"["))
	}
	if g.colon == "" || !bytes.Contains(out, []byte("::")) {
		return out
	}
	var b bytes.Buffer
	for len(out) > 0 {
		line := out
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			line = out[:i+1]
		}
		out = out[len(line):]
		rest := bytes.TrimLeftFunc(line, unicode.IsSpace)
		if bytes.HasPrefix(rest, []byte("::")) {
			b.Write(line[:len(line)-len(rest)])
			b.WriteString(g.colon)
			b.Write(rest[1:])
			continue
		}
		b.Write(line)
	}
	return b.Bytes()
}

// SafeText prepares text that nhigate prints outside a report, such as an
// error message that may quote a file, for a terminal or a CI log: secrets
// are masked and workflow commands broken, line breaks kept.
func SafeText(s string) string {
	return string(guard([]byte(s), textGuard))
}

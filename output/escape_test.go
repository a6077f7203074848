package output

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nhigate/nhigate/internal/secret"
)

// display is what Escape(s) must render as: the text itself, secrets
// masked, on one line, with invisible characters shown as escapes and
// every @ defused.
func display(s string) string {
	s = secret.Mask(s)
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case invisible(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		case r == '@':
			b.WriteString("@\u200b")
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// scanInline reads Markdown inline text as CommonMark would for the
// constructs that matter here. It returns the text a reader sees, or an
// error naming the first character that would act as structure instead of
// showing: an unescaped emphasis, code, link, table, math or strikeout
// character, a raw < > or &, an entity nhigate does not write, an @ that
// mentions someone, or a line break.
func scanInline(md string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(md); {
		c := md[i]
		switch {
		case c == '\\' && i+1 < len(md) && strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", md[i+1]) >= 0:
			b.WriteByte(md[i+1])
			i += 2
		case c == '&':
			ent := ""
			for _, e := range []string{"&amp;", "&lt;", "&gt;", "&#8203;"} {
				if strings.HasPrefix(md[i:], e) {
					ent = e
				}
			}
			if ent == "" {
				return "", fmt.Errorf("raw & at %d in %q", i, md)
			}
			b.WriteString(map[string]string{"&amp;": "&", "&lt;": "<", "&gt;": ">", "&#8203;": "\u200b"}[ent])
			i += len(ent)
		case c == '@':
			if !strings.HasPrefix(md[i+1:], "&#8203;") {
				return "", fmt.Errorf("@ that would mention someone at %d in %q", i, md)
			}
			b.WriteByte('@')
			i++
		case c == '\n' || c == '\r':
			return "", fmt.Errorf("line break at %d in %q", i, md)
		case strings.IndexByte(structural, c) >= 0:
			return "", fmt.Errorf("unescaped %q at %d in %q", c, i, md)
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// structural lists the characters that open or close inline structure in
// GitHub-flavoured Markdown, written out here rather than taken from the
// code under test.
const structural = "`*_[]()#!|~$<>"

// cells splits a table row at its unescaped pipes, as GFM does.
func cells(row string) []string {
	var out []string
	start := 0
	for i := 0; i < len(row); i++ {
		switch row[i] {
		case '\\':
			i++
		case '|':
			out = append(out, row[start:i])
			start = i + 1
		}
	}
	return append(out, row[start:])
}

var hostileStrings = []string{
	"",
	"plain",
	"id/a` <!-- `.yaml",
	"*wildcard* under review, _all_ of it, **bold** __bold__",
	"a|b||c\\|d",
	"<script>alert(1)</script> <!-- hidden --> <img src=x onerror=alert(1)> &lt;b&gt; &amp; &#64;",
	"[click](https://evil.example) ![img](https://evil.example/x.png) [ref]: https://evil.example",
	"``` fence\n# Heading\n- list\n> quote\n\n| a | b |\n|---|---|",
	"ping @acme/security and @mallory, mail a@b.example",
	"~~strike~~ $\\color{red}x$ :smile: #123 ^sup",
	"\\` \\* \\\\ trailing backslash \\",
	"::add-mask::x\n::stop-commands::t\n##[set-output name=verdict;]pass",
	"\x1b[31mred\x1b[0m \u202egnp.exe \u200bzero\u2028line\u2029para\x00nul\x7f",
	"\xff\xfe invalid utf-8",
	"key " + "AK" + "IAIOSFODNN7EXAMPLE" + " and " + "gh" + "p_" + strings.Repeat("x1", 18),
	"``````",
	"`a`",
	"&#8203;@",
}

func TestEscape(t *testing.T) {
	for _, s := range hostileStrings {
		md := Escape(s)
		got, err := scanInline(md)
		if err != nil {
			t.Errorf("Escape(%q) = %q: %v", s, md, err)
			continue
		}
		if want := display(s); got != want {
			t.Errorf("Escape(%q) renders as %q, want %q", s, got, want)
		}
	}
}

func TestEscapeExamples(t *testing.T) {
	for in, want := range map[string]string{
		"s3:GetObject":                       "s3:GetObject",
		"arn:aws:s3:::b/*":                   `arn:aws:s3:::b/\*`,
		"id/a` <!-- `.yaml":                  "id/a\\` &lt;\\!-- \\`.yaml",
		"@acme/security":                     "@&#8203;acme/security",
		"a|b":                                `a\|b`,
		"line\nbreak":                        "line break",
		"x_y *z*":                            `x\_y \*z\*`,
		"\u202e":                             `\u202e`,
		"pay " + "AK" + "IAIOSFODNN7EXAMPLE": `pay \[redacted: an AWS access key id\]`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Code(""); got != "—" {
		t.Errorf("Code(\"\") = %q", got)
	}
	if got, want := Code("a`b"), "<code>a\\`b</code>"; got != want {
		t.Errorf("Code = %q, want %q", got, want)
	}
}

// mermaidLabel is what a quoted Mermaid label may hold: safe characters
// and #code; entities.
var mermaidLabel = regexp.MustCompile(`^(?:[A-Za-z0-9 ./:*_+,=@-]|#[0-9]+;|[^\x00-\x7f])*$`)

func TestMermaidText(t *testing.T) {
	for _, s := range append(hostileStrings, `"]; click i0 callback "x"; %% comment -->r9`, "a\nb\r\nc") {
		got := mermaidText(s)
		if !mermaidLabel.MatchString(got) {
			t.Errorf("mermaidText(%q) = %q holds a character that can end the label", s, got)
		}
		for _, bad := range []string{`"`, "]", "-->", "%%", "\n", "`"} {
			if strings.Contains(got, bad) {
				t.Errorf("mermaidText(%q) = %q contains %q", s, got, bad)
			}
		}
	}
}

// FuzzEscape renders a hostile string in every Markdown context nhigate
// uses and asserts, by scanning, that it shows as itself and never as
// structure: no raw < or HTML comment, no code span to close, no pipe that
// splits a table cell, no line it could start, no mention.
func FuzzEscape(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text, code := Escape(s), Code(s)
		want := display(s)
		if got, err := scanInline(text); err != nil {
			t.Fatalf("Escape: %v", err)
		} else if got != want {
			t.Fatalf("Escape(%q) renders as %q, want %q", s, got, want)
		}
		if s != "" {
			inner, ok := strings.CutPrefix(code, "<code>")
			inner, ok2 := strings.CutSuffix(inner, "</code>")
			if !ok || !ok2 {
				t.Fatalf("Code(%q) = %q is not one code element", s, code)
			}
			if got, err := scanInline(inner); err != nil || got != want {
				t.Fatalf("Code(%q) = %q: renders %q, %v", s, code, got, err)
			}
		}
		row := "| " + code + " | " + text + " |"
		if n := len(cells(row)); n != 4 {
			t.Fatalf("table row %q has %d cells, want 2", row, n-2)
		}
		if strings.Count(row, "<") != strings.Count(row, "<code>")+strings.Count(row, "</code>") {
			t.Fatalf("raw < in %q", row)
		}
		if label := mermaidText(s); !mermaidLabel.MatchString(label) {
			t.Fatalf("mermaidText(%q) = %q", s, label)
		}
	})
}

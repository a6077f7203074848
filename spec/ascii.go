package spec

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// lookAlikes maps characters that look like printable ASCII to the ASCII
// they imitate: Cyrillic and Greek letters, and the other asterisks,
// hyphens, colons and slashes. Full-width forms (U+FF01..U+FF5E) are
// computed. The list serves the message only; whatever is not printable
// ASCII is rejected, listed or not.
var lookAlikes = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'B', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x',
	'і': 'i', 'ј': 'j', 'ѕ': 's', 'һ': 'h', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w',
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P',
	'С': 'C', 'Т': 'T', 'Х': 'X', 'І': 'I', 'Ј': 'J', 'Ѕ': 'S',
	// Greek
	'ο': 'o', 'ν': 'v', 'ι': 'i', 'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H',
	'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X',
	// Punctuation
	'∗': '*', '⁎': '*', '﹡': '*', '✱': '*', '‐': '-', '‑': '-', '‒': '-', '–': '-',
	'—': '-', '−': '-', '∶': ':', '꞉': ':', '⁄': '/', '∕': '/', '⧸': '/', '․': '.',
}

// notPrintableASCII describes the first character of s that is not
// printable ASCII (a space included), at its 1-based character position,
// with what to write instead. ok is false when s is all printable ASCII.
//
// Actions and resources are printable ASCII: a look-alike letter or a
// full-width `＊` would be a different string that reads like the one a
// reviewer expects, and an invisible character hides in plain sight.
func notPrintableASCII(s string) (what, fix string, pos int, ok bool) {
	for i, r := range s {
		if '!' <= r && r <= '~' {
			continue
		}
		pos = utf8.RuneCountInString(s[:i]) + 1
		code := fmt.Sprintf("U+%04X", r)
		switch {
		case r == utf8.RuneError:
			return "a byte that is not UTF-8", "remove it", pos, true
		case r == ' ':
			return "a space", "remove it", pos, true
		case r == '\t':
			return "a tab", "remove it", pos, true
		case r < ' ' || r == 0x7f || (0x80 <= r && r < 0xa0):
			return "the control character " + code, "remove it", pos, true
		case 0xff01 <= r && r <= 0xff5e:
			return fmt.Sprintf("%s, the full-width form of %q", code, r-0xfee0), fmt.Sprintf("write the ASCII %q", r-0xfee0), pos, true
		case lookAlikes[r] != 0:
			return fmt.Sprintf("%s, which looks like %q but is not ASCII", code, lookAlikes[r]), fmt.Sprintf("write the ASCII %q", lookAlikes[r]), pos, true
		case unicode.IsSpace(r):
			return code + ", a white-space character", "remove it", pos, true
		case unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r):
			return code + ", an invisible or combining character", "remove it", pos, true
		}
		return code + ", which is not ASCII", "write it in printable ASCII", pos, true
	}
	return "", "", 0, false
}

package spec

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNotPrintableASCII checks what the loader says about each kind of
// character that may not appear in an action or resource, and that it
// flags exactly the strings PatternPattern (and so the JSON Schema)
// rejects.
func TestNotPrintableASCII(t *testing.T) {
	type result struct {
		What, Fix string
		Pos       int
		Bad       bool
	}
	tests := []struct {
		in   string
		want result
	}{
		{"s3:GetObject", result{}},
		{"arn:aws:s3:::a-b_c/[x]{y}~!", result{}},
		{"s3:Get\uff0a", result{"U+FF0A, the full-width form of '*'", "write the ASCII '*'", 7, true}},
		{"s3:Get\u041ebject", result{"U+041E, which looks like 'O' but is not ASCII", "write the ASCII 'O'", 7, true}},
		{"arn:aws:iam::1:r\u03bfle/x", result{"U+03BF, which looks like 'o' but is not ASCII", "write the ASCII 'o'", 17, true}},
		{"iam:Pass\u2217", result{"U+2217, which looks like '*' but is not ASCII", "write the ASCII '*'", 9, true}},
		{"a\u200bb", result{"U+200B, an invisible or combining character", "remove it", 2, true}},
		{"a\ufeffb", result{"U+FEFF, an invisible or combining character", "remove it", 2, true}},
		{"e\u0301", result{"U+0301, an invisible or combining character", "remove it", 2, true}},
		{"a b", result{"a space", "remove it", 2, true}},
		{"a\tb", result{"a tab", "remove it", 2, true}},
		{"a\x07b", result{"the control character U+0007", "remove it", 2, true}},
		{"a\x7fb", result{"the control character U+007F", "remove it", 2, true}},
		{"a\u0085b", result{"the control character U+0085", "remove it", 2, true}},
		{"a\u00a0b", result{"U+00A0, a white-space character", "remove it", 2, true}},
		{"ü", result{"U+00FC, which is not ASCII", "write it in printable ASCII", 1, true}},
		{"ok\xffno", result{"a byte that is not UTF-8", "remove it", 3, true}},
	}
	re := regexp.MustCompile(PatternPattern)
	for _, tt := range tests {
		var got result
		got.What, got.Fix, got.Pos, got.Bad = notPrintableASCII(tt.in)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("notPrintableASCII(%+q) (-want +got):\n%s", tt.in, diff)
		}
		if re.MatchString(tt.in) == got.Bad {
			t.Errorf("%+q: PatternPattern matches = %v, but notPrintableASCII flags = %v", tt.in, re.MatchString(tt.in), got.Bad)
		}
	}
}

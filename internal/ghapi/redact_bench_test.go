package ghapi

import (
	"strings"
	"testing"
)

// BenchmarkRedact redacts a page of 100 long comments, the largest answer
// nhigate reads, with JSON escapes throughout and no token in it.
func BenchmarkRedact(b *testing.B) {
	r := newRedactor(realToken)
	comment := `{"id": 1, "body": "` + strings.Repeat(`| Change | Action |\n|---|---|\n| + added | <code>s3:GetObject</code> |\n`, 600) + `"}`
	page := "[" + strings.Repeat(comment+",", 99) + comment + "]"
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		if r.redact(page) != page {
			b.Fatal("redacted a clean page")
		}
	}
}

package output

import (
	"io"
	"testing"
)

// BenchmarkRender renders a review of 3,000 new identities, the size at
// which the comment has to summarise, in each format.
func BenchmarkRender(b *testing.B) {
	r := hugeReport(nil) // it needs no test
	for _, f := range []string{"markdown", "json", "text"} {
		print, err := Pick(KindReport, f, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(f, func(b *testing.B) {
			for b.Loop() {
				if err := print(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package spec_test

import (
	"os"
	"testing"

	"github.com/nhigate/nhigate/spec"
)

// BenchmarkParse loads a typical spec: every field set, two entitlements.
func BenchmarkParse(b *testing.B) {
	for _, file := range []string{"testdata/schema/valid/full.yaml", "testdata/schema/valid/anchors.yaml"} {
		data, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(file[len("testdata/schema/valid/"):], func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := spec.Parse(file, data, spec.Strict, spec.Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("full.json", func(b *testing.B) {
		data := []byte(validJSON)
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := spec.Parse("w.json", data, spec.Strict, spec.Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

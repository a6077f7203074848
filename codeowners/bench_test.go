package codeowners_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nhigate/nhigate/codeowners"
)

// BenchmarkOwners asks a file of 1,000 rules, of the usual kinds, about paths
// matched by the last rule, by a rule near the start, and by the first only,
// so that it scans every rule.
func BenchmarkOwners(b *testing.B) {
	var src strings.Builder
	src.WriteString("* @org/everyone\n")
	for i := range 333 {
		fmt.Fprintf(&src, "/services/svc-%d/ @org/team-%d\n", i, i)
		fmt.Fprintf(&src, "**/gen-%d/**/*.pb.go @org/generated\n", i)
		fmt.Fprintf(&src, "*.ext%d docs%d@example.com\n", i, i)
	}
	f := codeowners.Parse("CODEOWNERS", []byte(src.String()))
	if len(f.Rules) != 1000 || len(f.Invalid) != 0 {
		b.Fatalf("%d rules, %d invalid; want 1000 rules", len(f.Rules), len(f.Invalid))
	}
	for _, tt := range []struct {
		name, path string
		line       int
	}{
		{"last", "lib/a.ext332", 1000},
		{"early", "services/svc-0/cmd/server/main.go", 2},
		{"first", "internal/platform/storage/postgres/migrations/0001_init.sql", 1},
	} {
		b.Run(tt.name, func(b *testing.B) {
			if _, r := f.Owners(tt.path); r == nil || r.Line != tt.line {
				b.Fatalf("Owners(%q) = %+v, want line %d", tt.path, r, tt.line)
			}
			b.ReportAllocs()
			for b.Loop() {
				f.Owners(tt.path)
			}
		})
	}
}

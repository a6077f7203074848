package lifecycle

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/spec"
)

func TestRemoveExceptions(t *testing.T) {
	base := header + "  credential: {kind: ephemeral, ttl: 1h}\n  expiresAt: \"2027-01-20T00:00:00Z\"\n"
	tests := []struct {
		name, in string
		cut      map[int][]int
		want     string // "" when the edit is refused
		err      string
	}{{
		name: "the only exception takes its key along",
		in: base + `  exceptions:
    - rule: NHI-CRED-001
      reason: r
      approvedBy: "@acme/security"
      expiresAt: "2026-11-01T00:00:00Z"
  revocation: {onCompletion: true}
`,
		cut:  map[int][]int{0: {0}},
		want: base + "  revocation: {onCompletion: true}\n",
	}, {
		name: "the last of two, at the end of the document",
		in: base + `  exceptions:
    - rule: NHI-CRED-001
      reason: r
      approvedBy: "@acme/security"
      expiresAt: "2026-12-01T00:00:00Z"
    - rule: NHI-ENT-001
      reason: r
      approvedBy: "@acme/security"
      expiresAt: "2026-11-01T00:00:00Z"
`,
		cut: map[int][]int{0: {1}},
		want: base + `  exceptions:
    - rule: NHI-CRED-001
      reason: r
      approvedBy: "@acme/security"
      expiresAt: "2026-12-01T00:00:00Z"
`,
	}, {
		name: "a flow list is left to a person",
		in:   base + "  exceptions: [{rule: NHI-CRED-001, reason: r, approvedBy: \"@acme/security\", expiresAt: \"2026-11-01T00:00:00Z\"}]\n",
		cut:  map[int][]int{0: {0}},
		err:  "the exceptions are not a block list",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := spec.Parse("a.yaml", []byte(tt.in), spec.Strict, spec.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := RemoveExceptions("a.yaml", []byte(tt.in), tt.cut, before)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

package lifecycle

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/internal/yamledit"
)

// draftSpec is header with what a passing spec needs besides.
const draftSpec = header + `  credential: {kind: ephemeral, ttl: 1h}
  expiresAt: "2026-12-20T00:00:00Z"
  revocation: {onCompletion: true}
`

func TestNewDraft(t *testing.T) {
	prompt := yamledit.Prompt{FromFile: true, Text: "read artifacts"}
	sum := sha256.Sum256([]byte("read artifacts"))
	tests := []struct {
		name         string
		file, data   string
		path         string
		prompt       yamledit.Prompt
		wantPath     string
		wantBranch   bool
		wantFailures []string // substrings, in order
		wantErr      any
	}{{
		name: "a named spec goes to identities/<name>.yaml on a branch named by its content",
		file: "new.yaml", data: draftSpec, prompt: prompt,
		wantPath: "identities/ci-deploy.yaml", wantBranch: true,
	}, {
		name: "--path places it",
		file: "new.yaml", data: draftSpec, prompt: prompt, path: "identities/aws/ci.yaml",
		wantPath: "identities/aws/ci.yaml", wantBranch: true,
	}, {
		name: "a path where no spec may lie (a governance file) stops the run",
		file: "new.yaml", data: draftSpec, prompt: prompt, path: ".github/ci.yaml",
		wantErr: new(*OutsideSpecsError),
	}, {
		name: "a forged hash stops the run",
		file: "new.yaml", data: strings.Replace(draftSpec, "  requester: alice\n", "  requester: alice\n  provenance: {promptSha256: beef}\n", 1), prompt: prompt,
		wantErr: new(*yamledit.ForgedError),
	}, {
		name: "no prompt anywhere stops the run",
		file: "new.yaml", data: draftSpec,
		wantErr: new(*yamledit.NoPromptError),
	}, {
		name: "not YAML: the spec's own errors are the failures, and there is no branch",
		file: "new.yaml", data: "metadata: [\n", prompt: prompt,
		wantFailures: []string{"new.yaml"},
	}, {
		name: "no name and no path: a failure, no branch",
		file: "new.yaml", data: strings.Replace(draftSpec, "  name: ci-deploy\n", "", 1), prompt: prompt,
		wantFailures: []string{"metadata.name"},
	}, {
		name: "an invalid spec keeps its branch, for a draft pull request, and lists its errors",
		file: "new.yaml", data: strings.Replace(draftSpec, "kind: ephemeral", "kind: statik", 1), prompt: prompt,
		wantPath: "identities/ci-deploy.yaml", wantBranch: true, wantFailures: []string{`"statik"`},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDraft(tc.file, []byte(tc.data), DraftOptions{Path: tc.path, Prompt: tc.prompt, Now: now})
			if tc.wantErr != nil {
				if !errors.As(err, tc.wantErr) {
					t.Fatalf("err = %v, want %T", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Path != tc.wantPath || (d.Branch != "") != tc.wantBranch {
				t.Errorf("path %q branch %q, want path %q and a branch: %v", d.Path, d.Branch, tc.wantPath, tc.wantBranch)
			}
			if len(d.Failures) != len(tc.wantFailures) {
				t.Fatalf("failures %q, want %d like %q", d.Failures, len(tc.wantFailures), tc.wantFailures)
			}
			for i, f := range tc.wantFailures {
				if !strings.Contains(d.Failures[i], f) {
					t.Errorf("failure %d = %q, want it to mention %q", i, d.Failures[i], f)
				}
			}
			if d.Branch == "" {
				return
			}
			h := sha256.Sum256(d.Content)
			if d.Branch != "nhigate/ci-deploy-"+hex.EncodeToString(h[:])[:7] {
				t.Errorf("branch %q is not named by the content's digest", d.Branch)
			}
			if d.PromptSHA256 != hex.EncodeToString(sum[:]) || d.GeneratedAt != "2026-11-25T12:00:00Z" {
				t.Errorf("provenance %s %s", d.PromptSHA256, d.GeneratedAt)
			}
			if len(d.Failures) == 0 {
				if len(d.Workflows) != 1 {
					t.Fatalf("%d workflows read back, want 1", len(d.Workflows))
				}
				got := d.Workflows[0].Metadata.Provenance
				if diff := cmp.Diff([]string{"read artifacts", d.PromptSHA256}, []string{got.Prompt, got.PromptSHA256}); diff != "" {
					t.Errorf("provenance read back (-want +got):\n%s", diff)
				}
			}
		})
	}
}

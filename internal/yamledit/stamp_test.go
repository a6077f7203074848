package yamledit

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var stampNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// The SHA-256 of "x" and of "one\ntwo\n", by sha256sum.
const (
	xSum      = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
	oneTwoSum = "c3f9c8c283a2b1f2f1896f27a01cbe3cddc0c9d93f752e4639035a0f5b36f6e8"
)

func TestStampProvenance(t *testing.T) {
	fromFile := Prompt{FromFile: true, Text: "x"}
	tests := []struct {
		name   string
		in     string
		asYAML bool
		prompt Prompt
		want   string // the stamped document
		wantSum,
		wantName string
		wantErr any // a pointer to the error type expected
		wantMsg string
	}{{
		name: "comments and order stay; provenance is added at the end of metadata",
		in: `# head comment
apiVersion: nhigate.dev/v1 # line comment
metadata:
  name: ci-deploy
  # about owners
  owners: [alice]
spec: {}
`,
		prompt: fromFile,
		want: `# head comment
apiVersion: nhigate.dev/v1 # line comment
metadata:
  name: ci-deploy
  # about owners
  owners: [alice]
  provenance:
    prompt: x
    promptSha256: ` + xSum + `
    generatedAt: "2026-11-25T12:00:00Z"
spec: {}
`,
		wantSum: xSum, wantName: "ci-deploy",
	}, {
		name: "existing fields are replaced in place, keeping their comments",
		in: `metadata:
  name: a
  provenance:
    generatedAt: "2020-01-01T00:00:00Z" # when
    generator: gen-1
`,
		prompt: Prompt{FromFile: true, Text: "x", HashOnly: true},
		want: `metadata:
  name: a
  provenance:
    generatedAt: "2026-11-25T12:00:00Z" # when
    generator: gen-1
    promptSha256: ` + xSum + `
`,
		wantSum: xSum, wantName: "a",
	}, {
		name:    "the spec's own prompt is hashed when there is no file",
		in:      "metadata:\n  provenance:\n    prompt: x\n",
		prompt:  Prompt{},
		want:    "metadata:\n  provenance:\n    prompt: x\n    promptSha256: " + xSum + "\n    generatedAt: \"2026-11-25T12:00:00Z\"\n",
		wantSum: xSum,
	}, {
		name:    "a multi-line prompt is a literal block",
		in:      "metadata:\n  name: a\n",
		prompt:  Prompt{FromFile: true, Text: "one\ntwo\n"},
		want:    "metadata:\n  name: a\n  provenance:\n    prompt: |\n      one\n      two\n    promptSha256: " + oneTwoSum + "\n    generatedAt: \"2026-11-25T12:00:00Z\"\n",
		wantSum: oneTwoSum, wantName: "a",
	}, {
		name:    "JSON becomes block-style YAML",
		in:      `{"metadata": {"name": "a", "provenance": null}}`,
		asYAML:  true,
		prompt:  fromFile,
		want:    "metadata:\n  name: a\n  provenance:\n    prompt: x\n    promptSha256: " + xSum + "\n    generatedAt: \"2026-11-25T12:00:00Z\"\n",
		wantSum: xSum, wantName: "a",
	}, {
		name:    "a forged hash is refused, never overwritten",
		in:      "metadata:\n  provenance:\n    promptSha256: 0000\n",
		prompt:  fromFile,
		wantErr: new(*ForgedError),
	}, {
		name:    "a spec prompt that differs from the file is refused",
		in:      "metadata:\n  provenance:\n    prompt: y\n",
		prompt:  fromFile,
		wantErr: new(*ForgedError),
	}, {
		name:    "no prompt anywhere",
		in:      "metadata:\n  name: a\n",
		prompt:  Prompt{},
		wantErr: new(*NoPromptError),
	}, {
		name:    "two documents",
		in:      "metadata: {}\n---\nmetadata: {}\n",
		prompt:  fromFile,
		wantErr: new(*DocError),
	}, {
		name:    "not a mapping",
		in:      "- a\n",
		prompt:  fromFile,
		wantErr: new(*DocError),
	}, {
		name:    "metadata through an alias is not edited",
		in:      "x: &m {name: a}\nmetadata: *m\n",
		prompt:  fromFile,
		wantErr: new(error),
		wantMsg: "without anchors or aliases",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := StampProvenance([]byte(tc.in), tc.asYAML, tc.prompt, stampNow)
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("no error; stamped:\n%s", got.Content)
				}
				if !errors.As(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
					t.Fatalf("err = %T %v, want %T saying %q", err, err, tc.wantErr, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got.Content)); diff != "" {
				t.Errorf("stamped (-want +got):\n%s", diff)
			}
			if got.PromptSHA256 != tc.wantSum || got.Name != tc.wantName {
				t.Errorf("sum %s name %q, want %s %q", got.PromptSHA256, got.Name, tc.wantSum, tc.wantName)
			}
		})
	}
}

package spec_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nhigate/nhigate/spec"
)

// valid is a workflow with one line per field, so that cases can change one
// line and name the position of the problem.
const valid = `apiVersion: nhigate.dev/v1
kind: ProvisioningWorkflow
metadata:
  name: payments-ci-deploy
  owner: "@acme/payments"
  requester: alice
spec:
  identity:
    name: payments-ci
    type: workload-identity
    platform: aws
    consumer: pipeline
  environment: production
  entitlements:
    - actions: ["s3:GetObject", "s3:PutObject"]
      resources: ["arn:aws:s3:::payments-artifacts/*"]
  credential:
    kind: ephemeral
    ttl: 1h
  expiresAt: "2026-11-26T00:00:00Z"
  revocation:
    onCompletion: true
    onTimeout: 2h
  approvals:
    required: ["@acme/security"]
    minApprovals: 2
`

// edit returns valid with old replaced by new, which must occur exactly once.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if n := strings.Count(valid, old); n != 1 {
		t.Fatalf("%q occurs %d times in the valid document", old, n)
	}
	return strings.Replace(valid, old, new, 1)
}

func parseErrors(t *testing.T, file, data string, mode spec.Mode) spec.Errors {
	t.Helper()
	ws, err := spec.Parse(file, []byte(data), mode, spec.Limits{})
	if err == nil {
		t.Fatalf("Parse accepted %d workflows, want an error", len(ws))
	}
	if ws != nil {
		t.Errorf("Parse returned workflows and an error")
	}
	var errs spec.Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		t.Fatalf("Parse returned %T %v, want non-empty spec.Errors", err, err)
	}
	return errs
}

const durationHint = `write a positive Go duration such as "30m", "1h" or "720h", at most five digits a unit (there is no "d" unit: 30 days is "720h")`

func TestParseYAMLErrors(t *testing.T) {
	tests := []struct {
		name string
		data func(t *testing.T) string
		want spec.Errors
	}{
		{
			name: "misspelled field suggests the closest",
			data: func(t *testing.T) string { return edit(t, "    - actions:", "    - actoins:") },
			want: spec.Errors{{Line: 15, Col: 7, Path: "spec.entitlements[0].actoins", Msg: `unknown field "actoins" in spec.entitlements[0]`, Hint: `did you mean "actions"?`}},
		},
		{
			name: "misspelled field ignores case",
			data: func(t *testing.T) string { return edit(t, "    ttl: 1h", "    TTL: 1h") },
			want: spec.Errors{{Line: 19, Col: 5, Path: "spec.credential.TTL", Msg: `unknown field "TTL" in spec.credential`, Hint: `did you mean "ttl"?`}},
		},
		{
			name: "unknown field far from any lists them",
			data: func(t *testing.T) string {
				return edit(t, "    consumer: pipeline\n", "    consumer: pipeline\n    namespace: ci\n")
			},
			want: spec.Errors{{Line: 13, Col: 5, Path: "spec.identity.namespace", Msg: `unknown field "namespace" in spec.identity`, Hint: "known fields: consumer, name, platform, type"}},
		},
		{
			name: "unknown top-level field",
			data: func(t *testing.T) string { return valid + "status: {}\n" },
			want: spec.Errors{{Line: 27, Col: 1, Path: "status", Msg: `unknown field "status" in the document`, Hint: "known fields: apiVersion, kind, metadata, spec"}},
		},
		{
			name: "day unit",
			data: func(t *testing.T) string { return edit(t, "    ttl: 1h", "    ttl: 1d") },
			want: spec.Errors{{Line: 19, Col: 10, Path: "spec.credential.ttl", Msg: `"1d" is not a duration`, Hint: durationHint}},
		},
		{
			name: "zero duration",
			data: func(t *testing.T) string { return edit(t, "    onTimeout: 2h", "    onTimeout: 0h") },
			want: spec.Errors{{Line: 23, Col: 16, Path: "spec.revocation.onTimeout", Msg: `"0h" is not a duration`, Hint: durationHint}},
		},
		{
			name: "fractional duration",
			data: func(t *testing.T) string { return edit(t, "    ttl: 1h", "    ttl: 1.5h") },
			want: spec.Errors{{Line: 19, Col: 10, Path: "spec.credential.ttl", Msg: `"1.5h" is not a duration`, Hint: durationHint}},
		},
		{
			name: "duration as a number",
			data: func(t *testing.T) string { return edit(t, "    ttl: 1h", "    ttl: 3600") },
			want: spec.Errors{{Line: 19, Col: 10, Path: "spec.credential.ttl", Msg: "must be a string, not the number 3600", Hint: `quote it: "3600"`}},
		},
		{
			name: "time without a zone",
			data: func(t *testing.T) string {
				return edit(t, `  expiresAt: "2026-11-26T00:00:00Z"`, `  expiresAt: "2026-11-26T00:00:00"`)
			},
			want: spec.Errors{{Line: 20, Col: 14, Path: "spec.expiresAt", Msg: `"2026-11-26T00:00:00" is not an RFC 3339 time`, Hint: `write a time such as "2026-11-26T00:00:00Z"`}},
		},
		{
			name: "time with a decimal comma",
			data: func(t *testing.T) string {
				return edit(t, `  expiresAt: "2026-11-26T00:00:00Z"`, `  expiresAt: "2026-11-26T00:00:00,5Z"`)
			},
			want: spec.Errors{{Line: 20, Col: 14, Path: "spec.expiresAt", Msg: `"2026-11-26T00:00:00,5Z" is not an RFC 3339 time`, Hint: `write a time such as "2026-11-26T00:00:00Z"`}},
		},
		{
			name: "unquoted date is read as its text",
			data: func(t *testing.T) string {
				return edit(t, `  expiresAt: "2026-11-26T00:00:00Z"`, `  expiresAt: 2026-11-26`)
			},
			want: spec.Errors{{Line: 20, Col: 14, Path: "spec.expiresAt", Msg: `"2026-11-26" is not an RFC 3339 time`, Hint: `write a time such as "2026-11-26T00:00:00Z"`}},
		},
		{
			name: "bad name",
			data: func(t *testing.T) string { return edit(t, "  name: payments-ci-deploy", "  name: Payments_CI") },
			want: spec.Errors{{Line: 4, Col: 3, Path: "metadata.name", Msg: `"Payments_CI" is not valid`, Hint: `write a DNS label: lower-case letters, digits and "-", at most 63, e.g. "payments-ci-deploy"`}},
		},
		{
			name: "name as a number",
			data: func(t *testing.T) string { return edit(t, "  name: payments-ci-deploy", "  name: 123") },
			want: spec.Errors{{Line: 4, Col: 9, Path: "metadata.name", Msg: "must be a string, not the number 123", Hint: `quote it: "123"`}},
		},
		{
			name: "name as a list",
			data: func(t *testing.T) string { return edit(t, "  name: payments-ci-deploy", "  name: [a]") },
			want: spec.Errors{{Line: 4, Col: 9, Path: "metadata.name", Msg: "must be a string, not a list"}},
		},
		{
			name: "owner without @",
			data: func(t *testing.T) string { return edit(t, `  owner: "@acme/payments"`, `  owner: acme/team`) },
			want: spec.Errors{{Line: 5, Col: 3, Path: "metadata.owner", Msg: `"acme/team" is not valid`, Hint: `write a team "@org/team" or a user "@login"`}},
		},
		{
			name: "requester with @",
			data: func(t *testing.T) string { return edit(t, "  requester: alice", `  requester: "@alice"`) },
			want: spec.Errors{{Line: 6, Col: 3, Path: "metadata.requester", Msg: `"@alice" starts with @`, Hint: `write the GitHub login alone: "alice"`}},
		},
		{
			name: "bad prompt hash",
			data: func(t *testing.T) string {
				return edit(t, "  requester: alice\n", "  requester: alice\n  provenance:\n    promptSha256: abc\n")
			},
			want: spec.Errors{{Line: 8, Col: 5, Path: "metadata.provenance.promptSha256", Msg: `"abc" is not valid`, Hint: "write 64 lower-case hex digits: the sha256 of the prompt"}},
		},
		{
			name: "wrong enum",
			data: func(t *testing.T) string { return edit(t, "    platform: aws", "    platform: AWS") },
			want: spec.Errors{{Line: 11, Col: 5, Path: "spec.identity.platform", Msg: `"AWS" is not allowed`, Hint: "write one of: aws, gcp, azure, kubernetes, github, vault, generic"}},
		},
		{
			name: "action with a space",
			data: func(t *testing.T) string { return edit(t, `"s3:PutObject"]`, `"s3:Put Object"]`) },
			want: spec.Errors{{Line: 15, Col: 33, Path: "spec.entitlements[0].actions[1]", Msg: `"s3:Put Object" is not valid: character 7 is a space`, Hint: `remove it; write an action such as "s3:GetObject" in printable ASCII, without spaces`}},
		},
		{
			name: "empty actions",
			data: func(t *testing.T) string { return edit(t, `["s3:GetObject", "s3:PutObject"]`, `[]`) },
			want: spec.Errors{{Line: 15, Col: 7, Path: "spec.entitlements[0].actions", Msg: "needs at least one entry", Hint: `write an action such as "s3:GetObject"`}},
		},
		{
			name: "no entitlements",
			data: func(t *testing.T) string {
				return edit(t, "  entitlements:\n    - actions: [\"s3:GetObject\", \"s3:PutObject\"]\n      resources: [\"arn:aws:s3:::payments-artifacts/*\"]\n", "  entitlements: []\n")
			},
			want: spec.Errors{{Line: 14, Col: 3, Path: "spec.entitlements", Msg: "needs at least one entitlement", Hint: `add "- actions: [...]" with "resources: [...]"`}},
		},
		{
			name: "missing field points at its parent",
			data: func(t *testing.T) string { return edit(t, "    ttl: 1h\n", "") },
			want: spec.Errors{{Line: 17, Col: 3, Path: "spec.credential.ttl", Msg: "is required", Hint: `add "ttl: 1h", the lifetime of each issued credential`}},
		},
		{
			name: "missing section points at the document",
			data: func(t *testing.T) string {
				return edit(t, "metadata:\n  name: payments-ci-deploy\n  owner: \"@acme/payments\"\n  requester: alice\n", "")
			},
			want: spec.Errors{{Line: 1, Col: 1, Path: "metadata.name", Msg: "is required", Hint: `write a DNS label: lower-case letters, digits and "-", at most 63, e.g. "payments-ci-deploy"`}},
		},
		{
			name: "static without rotation",
			data: func(t *testing.T) string { return edit(t, "    kind: ephemeral", "    kind: static") },
			want: spec.Errors{{Line: 17, Col: 3, Path: "spec.credential.rotation", Msg: "is required for a static credential", Hint: `add "rotation: 720h", or use "kind: ephemeral"`}},
		},
		{
			name: "no approvals",
			data: func(t *testing.T) string { return edit(t, "    minApprovals: 2", "    minApprovals: 0") },
			want: spec.Errors{{Line: 26, Col: 5, Path: "spec.approvals.minApprovals", Msg: "0 is less than 1", Hint: "write 1 or more, or leave it out"}},
		},
		{
			name: "fractional approvals",
			data: func(t *testing.T) string { return edit(t, "    minApprovals: 2", "    minApprovals: 1.5") },
			want: spec.Errors{{Line: 26, Col: 19, Path: "spec.approvals.minApprovals", Msg: "must be a whole number, not the number 1.5"}},
		},
		{
			name: "too many approvals",
			data: func(t *testing.T) string { return edit(t, "    minApprovals: 2", "    minApprovals: 4294967296") },
			want: spec.Errors{{Line: 26, Col: 19, Path: "spec.approvals.minApprovals", Msg: `"4294967296" is out of range`}},
		},
		{
			name: "boolean as a string",
			data: func(t *testing.T) string { return edit(t, "    onCompletion: true", "    onCompletion: yes") },
			want: spec.Errors{{Line: 22, Col: 19, Path: "spec.revocation.onCompletion", Msg: `must be true or false, not the string "yes"`}},
		},
		{
			name: "boolean tag on other text",
			data: func(t *testing.T) string { return edit(t, "    onCompletion: true", "    onCompletion: !!bool yes") },
			want: spec.Errors{{Line: 22, Col: 19, Path: "spec.revocation.onCompletion", Msg: `unsupported value "yes" (bool)`, Hint: "quote the value to make it a string"}},
		},
		{
			name: "exception without expiry",
			data: func(t *testing.T) string {
				return valid + "  exceptions:\n    - rule: NHI-CRED-001\n      reason: vendor\n      approvedBy: \"@acme/security\"\n"
			},
			want: spec.Errors{{Line: 28, Col: 7, Path: "spec.exceptions[0].expiresAt", Msg: "is required", Hint: `add "expiresAt: 2026-12-31T00:00:00Z"; an exception never lasts forever`}},
		},
		{
			name: "wrong apiVersion and kind",
			data: func(t *testing.T) string {
				return strings.Replace(edit(t, "apiVersion: nhigate.dev/v1", "apiVersion: nhigate.dev/v2"), "kind: ProvisioningWorkflow", "kind: Workflow", 1)
			},
			want: spec.Errors{
				{Line: 1, Col: 1, Path: "apiVersion", Msg: `"nhigate.dev/v2" is not supported`, Hint: `write "nhigate.dev/v1"`},
				{Line: 2, Col: 1, Path: "kind", Msg: `"Workflow" is not supported`, Hint: `write "ProvisioningWorkflow"`},
			},
		},
		{
			name: "every validation problem is reported",
			data: func(t *testing.T) string {
				return strings.Replace(edit(t, "    type: workload-identity", "    type: user"), "  environment: production", "  environment: Prod", 1)
			},
			want: spec.Errors{
				{Line: 10, Col: 5, Path: "spec.identity.type", Msg: `"user" is not allowed`, Hint: "write one of: workload-identity, service-account, api-key, token, certificate, ssh-key"},
				{Line: 13, Col: 3, Path: "spec.environment", Msg: `"Prod" is not valid`, Hint: `write an environment named in .nhigate.yaml, e.g. "production"`},
			},
		},
		{
			name: "duplicate key",
			data: func(t *testing.T) string {
				return edit(t, "  environment: production\n", "  environment: production\n  environment: staging\n")
			},
			want: spec.Errors{{Line: 14, Col: 3, Path: "spec.environment", Msg: `"environment" is set twice`, Hint: "remove one of them"}},
		},
		{
			name: "duplicate key in conditions",
			data: func(t *testing.T) string {
				return edit(t, "      resources: [\"arn:aws:s3:::payments-artifacts/*\"]\n", "      resources: [\"arn:aws:s3:::payments-artifacts/*\"]\n      conditions: {a: 1, a: 2}\n")
			},
			want: spec.Errors{{Line: 17, Col: 26, Path: "spec.entitlements[0].conditions.a", Msg: `"a" is set twice`, Hint: "remove one of them"}},
		},
		{
			name: "merge key",
			data: func(t *testing.T) string {
				return edit(t, "  identity:\n    name: payments-ci\n", "  identity:\n    <<: {platform: aws}\n    name: payments-ci\n")
			},
			want: spec.Errors{{Line: 9, Col: 5, Path: "spec.identity", Msg: "merge keys (<<) are not supported", Hint: "write the fields out"}},
		},
		{
			name: "infinity",
			data: func(t *testing.T) string {
				return edit(t, "      resources: [\"arn:aws:s3:::payments-artifacts/*\"]\n", "      resources: [\"arn:aws:s3:::payments-artifacts/*\"]\n      conditions: {max: .inf}\n")
			},
			want: spec.Errors{{Line: 17, Col: 25, Path: "spec.entitlements[0].conditions.max", Msg: `unsupported value ".inf" (float)`, Hint: "quote the value to make it a string"}},
		},
		{
			name: "custom tag",
			data: func(t *testing.T) string {
				return edit(t, "    name: payments-ci\n", "    name: !secret payments-ci\n")
			},
			want: spec.Errors{{Line: 9, Col: 11, Path: "spec.identity.name", Msg: `unsupported value "payments-ci" (!secret)`, Hint: "quote the value to make it a string"}},
		},
		{
			name: "syntax error",
			data: func(t *testing.T) string { return edit(t, "    kind: ephemeral", "    kind: [ephemeral") },
			want: spec.Errors{{Line: 18, Col: 1, Msg: "invalid YAML: did not find expected ',' or ']'", Hint: "fix the YAML syntax"}},
		},
		{
			name: "indentation error points at its line",
			data: func(t *testing.T) string { return edit(t, "  environment: production", " environment: production") },
			want: spec.Errors{{Line: 13, Col: 1, Msg: "invalid YAML: did not find expected key", Hint: "fix the YAML syntax"}},
		},
		{
			name: "stray list item points at its line",
			data: func(t *testing.T) string {
				return edit(t, "kind: ProvisioningWorkflow\n", "kind: ProvisioningWorkflow\n- x\n")
			},
			want: spec.Errors{{Line: 3, Col: 1, Msg: "invalid YAML: did not find expected key", Hint: "fix the YAML syntax"}},
		},
		{
			name: "unterminated string points where it starts",
			data: func(t *testing.T) string { return edit(t, "    minApprovals: 2", "    minApprovals: \"2") },
			want: spec.Errors{{Line: 26, Col: 1, Msg: "invalid YAML: found unexpected end of stream", Hint: "fix the YAML syntax"}},
		},
		{
			name: "syntax error at the end of a file without a newline",
			data: func(t *testing.T) string { return valid + "  exceptions: [" },
			want: spec.Errors{{Line: 27, Col: 1, Msg: "invalid YAML: did not find expected node content", Hint: "fix the YAML syntax"}},
		},
		{
			name: "tab indentation",
			data: func(t *testing.T) string { return edit(t, "    kind: ephemeral", "\tkind: ephemeral") },
			want: spec.Errors{{Line: 18, Col: 1, Msg: "invalid YAML: found character that cannot start any token", Hint: "fix the YAML syntax"}},
		},
		{
			name: "document that is a list",
			data: func(t *testing.T) string { return "- a\n- b\n" },
			want: spec.Errors{{Line: 1, Col: 1, Msg: "document must be a mapping, not a list", Hint: `write a mapping starting with "apiVersion: nhigate.dev/v1"`}},
		},
		{
			name: "a file without a workflow",
			data: func(t *testing.T) string { return "# nothing yet\n---\n" },
			want: spec.Errors{{Msg: "file holds no ProvisioningWorkflow", Hint: `start it with "apiVersion: nhigate.dev/v1" and "kind: ProvisioningWorkflow"`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErrors(t, "specs/w.yaml", tt.data(t), spec.Strict)
			for _, e := range tt.want {
				e.File = "specs/w.yaml"
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	e := &spec.Error{File: "a.yaml", Line: 3, Col: 5, Path: "spec.credential.ttl", Msg: `"1d" is not a duration`, Hint: `write "24h"`}
	if got, want := e.Error(), `a.yaml:3:5: spec.credential.ttl: "1d" is not a duration; write "24h"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	whole := &spec.Error{File: "a.yaml", Msg: "file is not valid UTF-8"}
	if got, want := whole.Error(), "a.yaml: file is not valid UTF-8"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := (spec.Errors{e, whole}).Error(), "2 problems:\n"+e.Error()+"\n"+whole.Error(); got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
	if err := (spec.Errors{}).Err(); err != nil {
		t.Errorf("empty Errors.Err() = %v, want nil", err)
	}
	if err := (spec.Errors{e}).Err(); err == nil || err.Error() != e.Error() {
		t.Errorf("Errors.Err() = %v, want %v", err, e)
	}
}

func TestParseValues(t *testing.T) {
	data := edit(t, "  requester: alice\n", `  requester: alice
  provenance:
    generator: chatops-bot@2.3.1
    prompt: "Give the payments CI pipeline write access"
    promptSha256: "d9c1c4f4bdbc4e0c8fed4c7dc9c2b9d0a89b3ae71e2a1d36d4b9f7fd0c5f8f0e"
    generatedAt: 2026-11-25T10:00:00Z
`)
	data = strings.Replace(data, "      resources: [\"arn:aws:s3:::payments-artifacts/*\"]\n", "      resources: [\"arn:aws:s3:::payments-artifacts/*\"]\n      conditions: {\"aws:RequestedRegion\": eu-west-1, max: 10, on: True}\n", 1)
	data = strings.Replace(data, "    onCompletion: true", "    onCompletion: True", 1)
	data += `  exceptions:
    - rule: NHI-CRED-001
      reason: "vendor API only supports static keys"
      approvedBy: "@acme/security"
      expiresAt: "2026-12-31T00:00:00+01:00"
      ticket: SEC-1234
`
	ws, err := spec.Parse("specs/w.yaml", []byte(data), spec.Strict, spec.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 {
		t.Fatalf("got %d workflows, want 1", len(ws))
	}
	w := ws[0]
	yes := true
	want := &spec.Workflow{
		APIVersion: "nhigate.dev/v1",
		Kind:       "ProvisioningWorkflow",
		Metadata: spec.Metadata{
			Name: "payments-ci-deploy", Owner: "@acme/payments", Requester: "alice",
			Provenance: spec.Provenance{
				Generator:    "chatops-bot@2.3.1",
				Prompt:       "Give the payments CI pipeline write access",
				PromptSHA256: "d9c1c4f4bdbc4e0c8fed4c7dc9c2b9d0a89b3ae71e2a1d36d4b9f7fd0c5f8f0e",
				GeneratedAt:  at(t, "2026-11-25T10:00:00Z"),
			},
		},
		Spec: spec.Spec{
			Identity:    spec.Identity{Name: "payments-ci", Type: "workload-identity", Platform: "aws", Consumer: "pipeline"},
			Environment: "production",
			Entitlements: []spec.Entitlement{{
				Actions:    []string{"s3:GetObject", "s3:PutObject"},
				Resources:  []string{"arn:aws:s3:::payments-artifacts/*"},
				Conditions: map[string]any{"aws:RequestedRegion": "eu-west-1", "max": float64(10), "on": true},
			}},
			Credential: spec.Credential{Kind: "ephemeral", TTL: dur(t, "1h")},
			ExpiresAt:  at(t, "2026-11-26T00:00:00Z"),
			Revocation: spec.Revocation{OnCompletion: &yes, OnTimeout: dur(t, "2h")},
			Approvals:  spec.Approvals{Required: []string{"@acme/security"}, MinApprovals: 2},
			Exceptions: []spec.Exception{{
				Rule: "NHI-CRED-001", Reason: "vendor API only supports static keys", ApprovedBy: "@acme/security",
				ExpiresAt: at(t, "2026-12-31T00:00:00+01:00"), Ticket: "SEC-1234",
			}},
		},
	}
	if diff := cmp.Diff(want, w, cmpopts.IgnoreFields(spec.Workflow{}, "Source")); diff != "" {
		t.Errorf("workflow (-want +got):\n%s", diff)
	}
	if w.Source.File != "specs/w.yaml" || w.Source.Doc != 0 {
		t.Errorf("source = %s doc %d, want specs/w.yaml doc 0", w.Source.File, w.Source.Doc)
	}

	positions := map[string]spec.Pos{
		"":                                    {1, 1},
		"metadata.provenance.generatedAt":     {11, 5},
		"spec.entitlements[0]":                {20, 7},
		"spec.entitlements[0].actions[1]":     {20, 33},
		"spec.entitlements[0].conditions":     {22, 7},
		"spec.credential.ttl":                 {25, 5},
		"spec.exceptions[0].expiresAt":        {37, 7},
		"spec.approvals.required[0]":          {31, 16},
		"spec.entitlements[0].conditions.max": {22, 7}, // free-form: its parent
		"spec.nothing.here":                   {12, 1}, // the closest recorded parent
	}
	for path, want := range positions {
		if got := w.Source.Position(path); got != want {
			t.Errorf("Position(%q) = %v, want %v", path, got, want)
		}
	}

	// Policies read Raw: JSON-compatible values, timestamps as written.
	raw := w.Source.Raw
	prov := raw["metadata"].(map[string]any)["provenance"].(map[string]any)
	if got := prov["generatedAt"]; got != "2026-11-25T10:00:00Z" {
		t.Errorf("raw generatedAt = %#v, want the text", got)
	}
	rev := raw["spec"].(map[string]any)["revocation"].(map[string]any)
	if got := rev["onCompletion"]; got != true {
		t.Errorf("raw onCompletion = %#v, want true", got)
	}
	if got := raw["spec"].(map[string]any)["approvals"].(map[string]any)["minApprovals"]; got != float64(2) {
		t.Errorf("raw minApprovals = %#v, want 2", got)
	}
}

func TestParseBooleans(t *testing.T) {
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"true", true}, {"True", true}, {"TRUE", true},
		{"false", false}, {"False", false}, {"FALSE", false},
	} {
		ws, err := spec.Parse("w.yaml", []byte(edit(t, "    onCompletion: true", "    onCompletion: "+tt.text)), spec.Strict, spec.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", tt.text, err)
		}
		rev := ws[0].Spec.Revocation
		if rev.OnCompletion == nil || *rev.OnCompletion != tt.want {
			t.Errorf("onCompletion: %s read as %v, want %v", tt.text, rev.OnCompletion, tt.want)
		}
		if raw := ws[0].Source.Raw["spec"].(map[string]any)["revocation"].(map[string]any)["onCompletion"]; raw != tt.want {
			t.Errorf("onCompletion: %s is %v in Raw, want %v", tt.text, raw, tt.want)
		}
	}
}

func TestParseAbsentValues(t *testing.T) {
	// An explicit null or an empty optional string reads as not set, and
	// "onCompletion" keeps "not set" apart from false.
	data := edit(t, "    onCompletion: true\n    onTimeout: 2h\n", "    onCompletion: null\n    onTimeout: ~\n")
	data = strings.Replace(data, `  owner: "@acme/payments"`, `  owner: ""`, 1)
	ws, err := spec.Parse("w.yaml", []byte(data), spec.Strict, spec.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	w := ws[0]
	if w.Spec.Revocation.OnCompletion != nil || w.Spec.Revocation.OnTimeout.IsSet() || w.Metadata.Owner != "" {
		t.Errorf("revocation = %+v, owner = %q: want all unset", w.Spec.Revocation, w.Metadata.Owner)
	}
	if !w.Spec.ExpiresAt.IsSet() || w.Spec.Credential.Rotation.IsSet() {
		t.Errorf("expiresAt set = %v, rotation set = %v; want true, false", w.Spec.ExpiresAt.IsSet(), w.Spec.Credential.Rotation.IsSet())
	}
}

func at(t *testing.T, s string) spec.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return spec.Time{Time: v, Text: s}
}

func dur(t *testing.T, s string) spec.Duration {
	t.Helper()
	v, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return spec.Duration{Duration: v, Text: s}
}

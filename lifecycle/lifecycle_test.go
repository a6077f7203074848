package lifecycle

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/spec"
)

const header = `apiVersion: nhigate.dev/v1
kind: ProvisioningWorkflow
metadata:
  name: ci-deploy
  owner: "@acme/platform"
  requester: alice
spec:
  identity: {name: ci, type: workload-identity, platform: aws, consumer: pipeline}
  environment: staging
  entitlements:
    - actions: ["s3:GetObject"]
      resources: ["arn:aws:s3:::artifacts/*"]
`

func parse(t *testing.T, file, body string) []*spec.Workflow {
	t.Helper()
	ws, err := spec.Parse(file, []byte(header+body), spec.Strict, spec.Limits{})
	if err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	return ws
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

var now = at("2026-11-25T12:00:00Z")

func TestSweep(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		lastChanged map[string]time.Time
		want        []Item
	}{{
		name: "unexpired grant, nothing to do",
		body: `  credential: {kind: ephemeral, ttl: 1h}
  expiresAt: "2026-12-20T00:00:00Z"
  revocation: {onCompletion: true}
`,
		want: []Item{},
	}, {
		name: "expired grant",
		body: `  credential: {kind: ephemeral, ttl: 1h}
  expiresAt: "2026-11-25T12:00:00Z"
  revocation: {onCompletion: true}
`,
		want: []Item{{Kind: GrantExpired, Identity: "ci-deploy", File: "a.yaml", Line: 14, Field: "spec.expiresAt",
			When: at("2026-11-25T12:00:00Z"), Overdue: true, Exception: -1,
			Action: "revoke the access of ci and remove the workflow from a.yaml: the grant ended at 2026-11-25T12:00:00Z (nhigate sweep --open-pr proposes the removal)"}},
	}, {
		name: "expiring within the window",
		body: `  credential: {kind: ephemeral, ttl: 1h}
  expiresAt: "2026-12-02T12:00:00Z"
  revocation: {onTimeout: 2h}
`,
		want: []Item{{Kind: GrantExpiring, Identity: "ci-deploy", File: "a.yaml", Line: 14, Field: "spec.expiresAt",
			When: at("2026-12-02T12:00:00Z"), Exception: -1,
			Action: "renew it through a reviewed pull request before 2026-12-02T12:00:00Z if the access is still needed; otherwise let it lapse"}},
	}, {
		name: "expired exception, live one kept",
		body: `  credential: {kind: ephemeral, ttl: 1h}
  expiresAt: "2026-12-20T00:00:00Z"
  revocation: {onCompletion: true}
  exceptions:
    - rule: NHI-CRED-001
      reason: vendor
      approvedBy: "@acme/security"
      expiresAt: "2026-12-31T00:00:00Z"
    - rule: NHI-ENT-001
      reason: migration
      approvedBy: "@acme/security"
      expiresAt: "2026-11-01T00:00:00Z"
`,
		want: []Item{{Kind: ExceptionExpired, Identity: "ci-deploy", File: "a.yaml", Line: 24, Field: "spec.exceptions[1].expiresAt",
			When: at("2026-11-01T00:00:00Z"), Overdue: true, Rule: "NHI-ENT-001", Exception: 1,
			Action: "remove the expired exception to NHI-ENT-001, or renew it with a new expiry and approval; until then NHI-ENT-001 applies again"}},
	}, {
		name: "static credential past rotation",
		body: `  credential: {kind: static, ttl: 720h, rotation: 720h}
  expiresAt: "2027-01-20T00:00:00Z"
  revocation: {onCompletion: true}
`,
		lastChanged: map[string]time.Time{"a.yaml": at("2026-10-01T00:00:00Z")},
		want: []Item{{Kind: RotationOverdue, Identity: "ci-deploy", File: "a.yaml", Line: 13, Field: "spec.credential.rotation",
			When: at("2026-10-31T00:00:00Z"), Overdue: true, Exception: -1,
			Action: "rotate the static credential and commit the change: the file last changed at 2026-10-01T00:00:00Z and the rotation period is 720h; better, move to an ephemeral credential"}},
	}, {
		name: "static credential due within the window",
		body: `  credential: {kind: static, ttl: 720h, rotation: 720h}
  expiresAt: "2027-01-20T00:00:00Z"
  revocation: {onCompletion: true}
`,
		lastChanged: map[string]time.Time{"a.yaml": at("2026-10-28T00:00:00Z")},
		want: []Item{{Kind: RotationDue, Identity: "ci-deploy", File: "a.yaml", Line: 13, Field: "spec.credential.rotation",
			When: at("2026-11-27T00:00:00Z"), Exception: -1,
			Action: "rotate the static credential before 2026-11-27T00:00:00Z and commit the change"}},
	}, {
		name: "static credential recently rotated",
		body: `  credential: {kind: static, ttl: 720h, rotation: 720h}
  expiresAt: "2027-01-20T00:00:00Z"
  revocation: {onCompletion: true}
`,
		lastChanged: map[string]time.Time{"a.yaml": at("2026-11-20T00:00:00Z")},
		want:        []Item{},
	}, {
		name: "static credential of unknown age",
		body: `  credential: {kind: static, ttl: 720h, rotation: 720h}
  expiresAt: "2027-01-20T00:00:00Z"
  revocation: {onCompletion: true}
`,
		want: []Item{{Kind: RotationUnknown, Identity: "ci-deploy", File: "a.yaml", Line: 13, Field: "spec.credential.rotation", Exception: -1,
			Action: "rotate it if in doubt: its age is unknown because the history read holds no change of its file; sweep a git revision with full history (in Actions, check out with fetch-depth: 0)"}},
	}, {
		name: "no revocation path",
		body: `  credential: {kind: ephemeral, ttl: 1h}
  revocation: {onCompletion: false}
`,
		want: []Item{{Kind: NoRevocation, Identity: "ci-deploy", File: "a.yaml", Line: 14, Field: "spec.revocation", Overdue: true, Exception: -1,
			Action: "give the access an end: set spec.expiresAt, and revocation.onCompletion: true or revocation.onTimeout"}},
	}, {
		name: "a timeout alone is a revocation path",
		body: `  credential: {kind: ephemeral, ttl: 1h}
  revocation: {onTimeout: 2h}
`,
		want: []Item{},
	}, {
		name: "an expiry alone is a revocation path",
		body: `  credential: {kind: ephemeral, ttl: 1h}
  expiresAt: "2027-01-20T00:00:00Z"
`,
		want: []Item{},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sweep(parse(t, "a.yaml", tt.body), tt.lastChanged, now, 7*24*time.Hour)
			if diff := cmp.Diff(tt.want, got.Items); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}

// Overdue items come first, then by deadline, then by place.
func TestSweepOrder(t *testing.T) {
	var ws []*spec.Workflow
	ws = append(ws, parse(t, "b.yaml", `  credential: {kind: ephemeral, ttl: 1h}
  expiresAt: "2026-11-30T00:00:00Z"
  revocation: {onCompletion: true}
`)...)
	ws = append(ws, parse(t, "c.yaml", `  credential: {kind: ephemeral, ttl: 1h}
  expiresAt: "2026-11-20T00:00:00Z"
  revocation: {onCompletion: true}
`)...)
	ws = append(ws, parse(t, "a.yaml", `  credential: {kind: ephemeral, ttl: 1h}
  expiresAt: "2026-10-20T00:00:00Z"
  revocation: {onCompletion: true}
`)...)
	r := Sweep(ws, nil, now, 7*24*time.Hour)
	var got []string
	for _, it := range r.Items {
		got = append(got, it.File+" "+string(it.Kind))
	}
	want := []string{"a.yaml grant-expired", "c.yaml grant-expired", "b.yaml grant-expiring"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if n := r.Overdue(); n != 2 {
		t.Errorf("Overdue() = %d, want 2", n)
	}
}

package diffing

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/spec"
)

func dur(s string) spec.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return spec.Duration{Duration: d, Text: s}
}

func at(s string) spec.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return spec.Time{Time: t, Text: s}
}

func yes() *bool { b := true; return &b }

// wf is a valid staging workflow; mods change it.
func wf(mods ...func(*spec.Workflow)) *spec.Workflow {
	w := &spec.Workflow{
		APIVersion: spec.APIVersion, Kind: spec.Kind,
		Metadata: spec.Metadata{Name: "ci", Owner: "@acme/team", Requester: "alice"},
		Spec: spec.Spec{
			Identity:    spec.Identity{Name: "ci", Type: "workload-identity", Platform: "aws", Consumer: "pipeline"},
			Environment: "staging",
			Entitlements: []spec.Entitlement{{
				Actions:   []string{"s3:GetObject"},
				Resources: []string{"arn:aws:s3:::bucket/app/*"},
			}},
			Credential: spec.Credential{Kind: "ephemeral", TTL: dur("1h")},
			ExpiresAt:  at("2026-12-01T00:00:00Z"),
			Revocation: spec.Revocation{OnCompletion: yes(), OnTimeout: dur("2h")},
			Approvals:  spec.Approvals{Required: []string{"@acme/security"}, MinApprovals: 2},
		},
		Source: spec.Source{File: "ci.yaml"},
	}
	for _, m := range mods {
		m(w)
	}
	return w
}

func grants(actions, resources []string) func(*spec.Workflow) {
	return func(w *spec.Workflow) {
		w.Spec.Entitlements = []spec.Entitlement{{Actions: actions, Resources: resources}}
	}
}

func prod(w *spec.Workflow) { w.Spec.Environment = "production" }

type row struct {
	Kind     Kind
	Risk     Risk
	Subject  string // action on resource, or field
	From     string
	Reason   string
	Identity string
}

func rows(d *Diff) []row {
	var out []row
	for _, c := range d.Changes() {
		r := row{Kind: c.Kind, Risk: c.Risk, Reason: c.Reason, Identity: c.Identity}
		switch {
		case c.Grant != nil:
			r.Subject = c.Grant.Action + " " + c.Grant.Resource
		case c.Field != "":
			r.Subject = c.Field + " " + c.Old + " -> " + c.New
		default:
			r.Subject = c.File
		}
		for _, f := range c.From {
			r.From += f.Action + " " + f.Resource + ";"
		}
		out = append(out, r)
	}
	return out
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name       string
		base, head []*spec.Workflow
		governance []string
		want       []row
	}{
		{
			name: "unchanged",
			base: []*spec.Workflow{wf()}, head: []*spec.Workflow{wf()},
		},
		{
			name: "new identity in staging",
			head: []*spec.Workflow{wf()},
			want: []row{
				{Kind: IdentityAdded, Risk: Medium, Subject: "ci.yaml", Reason: "new identity", Identity: "ci"},
				{Kind: GrantAdded, Risk: Medium, Subject: "s3:GetObject arn:aws:s3:::bucket/app/*", Reason: "new access", Identity: "ci"},
			},
		},
		{
			name: "removed identity is low risk",
			base: []*spec.Workflow{wf()},
			want: []row{
				{Kind: IdentityRemoved, Risk: Low, Subject: "ci.yaml", Reason: "identity and all its access removed", Identity: "ci"},
				{Kind: GrantRemoved, Risk: Low, Subject: "s3:GetObject arn:aws:s3:::bucket/app/*", Reason: "access removed", Identity: "ci"},
			},
		},
		{
			name: "action wildcard widened",
			base: []*spec.Workflow{wf(grants([]string{"s3:Get*"}, []string{"arn:aws:s3:::bucket/*"}))},
			head: []*spec.Workflow{wf(grants([]string{"s3:*"}, []string{"arn:aws:s3:::bucket/*"}))},
			want: []row{{Kind: GrantWidened, Risk: High, Subject: "s3:* arn:aws:s3:::bucket/*", From: "s3:Get* arn:aws:s3:::bucket/*;", Reason: "access widened", Identity: "ci"}},
		},
		{
			name: "resource widened in production is critical",
			base: []*spec.Workflow{wf(prod, grants([]string{"s3:GetObject"}, []string{"arn:aws:s3:::bucket/a/*"}))},
			head: []*spec.Workflow{wf(prod, grants([]string{"s3:GetObject"}, []string{"arn:aws:s3:::bucket/*"}))},
			want: []row{{Kind: GrantWidened, Risk: Critical, Subject: "s3:GetObject arn:aws:s3:::bucket/*", From: "s3:GetObject arn:aws:s3:::bucket/a/*;", Reason: "access widened in production", Identity: "ci"}},
		},
		{
			name: "widened to everything",
			base: []*spec.Workflow{wf(grants([]string{"s3:GetObject"}, []string{"arn:aws:s3:::bucket/*"}))},
			head: []*spec.Workflow{wf(grants([]string{"*"}, []string{"arn:aws:s3:::bucket/*"}))},
			want: []row{{Kind: GrantWidened, Risk: Critical, Subject: "* arn:aws:s3:::bucket/*", From: "s3:GetObject arn:aws:s3:::bucket/*;", Reason: "widened to everything on every action", Identity: "ci"}},
		},
		{
			name: "narrowed is low",
			base: []*spec.Workflow{wf(grants([]string{"s3:*"}, []string{"arn:aws:s3:::bucket/*"}))},
			head: []*spec.Workflow{wf(grants([]string{"s3:GetObject", "s3:PutObject"}, []string{"arn:aws:s3:::bucket/*"}))},
			want: []row{
				{Kind: GrantNarrowed, Risk: Low, Subject: "s3:GetObject arn:aws:s3:::bucket/*", From: "s3:* arn:aws:s3:::bucket/*;", Reason: "access narrowed", Identity: "ci"},
				{Kind: GrantNarrowed, Risk: Low, Subject: "s3:PutObject arn:aws:s3:::bucket/*", From: "s3:* arn:aws:s3:::bucket/*;", Reason: "access narrowed", Identity: "ci"},
			},
		},
		{
			name: "unrelated replacement is an addition and a removal",
			base: []*spec.Workflow{wf(grants([]string{"s3:GetObject"}, []string{"arn:aws:s3:::a/*"}))},
			head: []*spec.Workflow{wf(grants([]string{"s3:GetObject"}, []string{"arn:aws:s3:::b/*"}))},
			want: []row{
				{Kind: GrantAdded, Risk: Medium, Subject: "s3:GetObject arn:aws:s3:::b/*", Reason: "new access", Identity: "ci"},
				{Kind: GrantRemoved, Risk: Low, Subject: "s3:GetObject arn:aws:s3:::a/*", Reason: "access removed", Identity: "ci"},
			},
		},
		{
			name: "addition already covered by a kept grant is low",
			base: []*spec.Workflow{wf(grants([]string{"s3:*"}, []string{"arn:aws:s3:::a/*"}))},
			head: []*spec.Workflow{wf(grants([]string{"s3:*", "s3:GetObject"}, []string{"arn:aws:s3:::a/*"}))},
			want: []row{{Kind: GrantAdded, Risk: Low, Subject: "s3:GetObject arn:aws:s3:::a/*", Reason: "already granted by s3:* on arn:aws:s3:::a/*", Identity: "ci"}},
		},
		{
			name: "broad wildcard added in production is critical",
			base: []*spec.Workflow{wf(prod)},
			head: []*spec.Workflow{wf(prod, func(w *spec.Workflow) {
				w.Spec.Entitlements = append(w.Spec.Entitlements, spec.Entitlement{Actions: []string{"iam:*"}, Resources: []string{"arn:aws:iam::123:role/x"}})
			})},
			want: []row{{Kind: GrantAdded, Risk: Critical, Subject: "iam:* arn:aws:iam::123:role/x", Reason: `broad in production: "iam:*" covers every action of a service`, Identity: "ci"}},
		},
		{
			name: "conditions dropped widens",
			base: []*spec.Workflow{wf(func(w *spec.Workflow) { w.Spec.Entitlements[0].Conditions = map[string]any{"ip": "10.0.0.0/8"} })},
			head: []*spec.Workflow{wf()},
			want: []row{{Kind: GrantWidened, Risk: High, Subject: "s3:GetObject arn:aws:s3:::bucket/app/*", From: "s3:GetObject arn:aws:s3:::bucket/app/*;", Reason: "access widened", Identity: "ci"}},
		},
		{
			name: "static credential in production",
			base: []*spec.Workflow{wf(prod)},
			head: []*spec.Workflow{wf(prod, func(w *spec.Workflow) {
				w.Spec.Credential = spec.Credential{Kind: "static", TTL: dur("1h"), Rotation: dur("720h")}
			})},
			want: []row{
				{Kind: CredentialChanged, Risk: Critical, Subject: "spec.credential.kind ephemeral -> static", Reason: "a static credential is introduced in production", Identity: "ci"},
				{Kind: RotationChanged, Risk: Low, Subject: "spec.credential.rotation  -> 720h", Reason: "now set", Identity: "ci"},
			},
		},
		{
			name: "ttl up and down",
			base: []*spec.Workflow{wf(), wf(func(w *spec.Workflow) { w.Metadata.Name = "other" })},
			head: []*spec.Workflow{
				wf(func(w *spec.Workflow) { w.Spec.Credential.TTL = dur("4h") }),
				wf(func(w *spec.Workflow) { w.Metadata.Name = "other"; w.Spec.Credential.TTL = dur("30m") }),
			},
			want: []row{
				{Kind: TTLChanged, Risk: Medium, Subject: "spec.credential.ttl 1h -> 4h", Reason: "credential lifetime increased", Identity: "ci"},
				{Kind: TTLChanged, Risk: Low, Subject: "spec.credential.ttl 1h -> 30m", Reason: "credential lifetime reduced", Identity: "other"},
			},
		},
		{
			name: "expiry extended in production, and removed",
			base: []*spec.Workflow{wf(prod), wf(func(w *spec.Workflow) { w.Metadata.Name = "other" })},
			head: []*spec.Workflow{
				wf(prod, func(w *spec.Workflow) { w.Spec.ExpiresAt = at("2026-12-20T00:00:00Z") }),
				wf(func(w *spec.Workflow) { w.Metadata.Name = "other"; w.Spec.ExpiresAt = spec.Time{} }),
			},
			want: []row{
				{Kind: ExpiryChanged, Risk: Critical, Subject: "spec.expiresAt 2026-12-01T00:00:00Z -> ", Reason: "the grant no longer expires", Identity: "other"},
				{Kind: ExpiryChanged, Risk: High, Subject: "spec.expiresAt 2026-12-01T00:00:00Z -> 2026-12-20T00:00:00Z", Reason: "a production grant lasts longer", Identity: "ci"},
			},
		},
		{
			name: "revocation weakened",
			base: []*spec.Workflow{wf()},
			head: []*spec.Workflow{wf(func(w *spec.Workflow) { w.Spec.Revocation = spec.Revocation{} })},
			want: []row{
				{Kind: RevocationChanged, Risk: High, Subject: "spec.revocation.onCompletion true -> ", Reason: "no longer revoked when the task completes", Identity: "ci"},
				{Kind: RevocationChanged, Risk: High, Subject: "spec.revocation.onTimeout 2h -> ", Reason: "revocation on timeout removed", Identity: "ci"},
			},
		},
		{
			name: "consumer becomes an agent",
			base: []*spec.Workflow{wf()},
			head: []*spec.Workflow{wf(func(w *spec.Workflow) { w.Spec.Identity.Consumer = "agent" })},
			want: []row{{Kind: ConsumerChanged, Risk: High, Subject: "spec.identity.consumer pipeline -> agent", Reason: "now used by delegated automation (agent)", Identity: "ci"}},
		},
		{
			name: "environment moves to production",
			base: []*spec.Workflow{wf()},
			head: []*spec.Workflow{wf(prod)},
			want: []row{{Kind: EnvironmentChanged, Risk: High, Subject: "spec.environment staging -> production", Reason: "moves into production", Identity: "ci"}},
		},
		{
			name: "fewer approvals",
			base: []*spec.Workflow{wf()},
			head: []*spec.Workflow{wf(func(w *spec.Workflow) { w.Spec.Approvals = spec.Approvals{MinApprovals: 1} })},
			want: []row{
				{Kind: ApprovalsChanged, Risk: High, Subject: "spec.approvals.required @acme/security -> ", Reason: "an approver is no longer required", Identity: "ci"},
				{Kind: ApprovalsChanged, Risk: High, Subject: "spec.approvals.minApprovals 2 -> 1", Reason: "fewer approvals required", Identity: "ci"},
			},
		},
		{
			name: "exception added",
			base: []*spec.Workflow{wf()},
			head: []*spec.Workflow{wf(func(w *spec.Workflow) {
				w.Spec.Exceptions = []spec.Exception{{Rule: "NHI-CRED-001", Reason: "vendor", ApprovedBy: "@acme/security", ExpiresAt: at("2026-12-31T00:00:00Z")}}
			})},
			want: []row{{Kind: ExceptionsChanged, Risk: High, Subject: "spec.exceptions  -> NHI-CRED-001 until 2026-12-31T00:00:00Z", Reason: "a policy exception is added or extended", Identity: "ci"}},
		},
		{
			// A move changes no access, but the reviewer is told of it.
			name: "moved to another file changes no access",
			base: []*spec.Workflow{wf()},
			head: []*spec.Workflow{wf(func(w *spec.Workflow) { w.Source.File = "moved/ci.yaml" })},
			want: []row{{Kind: IdentityChanged, Risk: Low, Subject: "file ci.yaml -> moved/ci.yaml", Reason: "the spec moved to another file", Identity: "ci"}},
		},
		{
			name:       "governance change is critical",
			governance: []string{"CODEOWNERS", ".nhigate.yaml"},
			want: []row{
				{Kind: Governance, Risk: Critical, Subject: ".nhigate.yaml", Reason: "changes the rules that judge reviews; this pull request is still judged by the base version"},
				{Kind: Governance, Risk: Critical, Subject: "CODEOWNERS", Reason: "changes the rules that judge reviews; this pull request is still judged by the base version"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Compute(tt.base, tt.head, tt.governance)
			if diff := cmp.Diff(tt.want, rows(d)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffRiskIsTheHighestChange(t *testing.T) {
	d := Compute([]*spec.Workflow{wf()}, []*spec.Workflow{wf(func(w *spec.Workflow) { w.Spec.Identity.Consumer = "agent" })}, nil)
	if got := d.Risk(); got != High {
		t.Errorf("Risk() = %v, want high", got)
	}
	if got := Compute(nil, nil, nil).Risk(); got != None {
		t.Errorf("empty diff Risk() = %v, want none", got)
	}
}

func TestOnlyRemovalsAreLowRisk(t *testing.T) {
	// Revocation pull requests must stay fast: a diff that only takes access
	// away is low risk, however much it removes.
	base := []*spec.Workflow{
		wf(prod, grants([]string{"s3:GetObject", "s3:PutObject"}, []string{"arn:aws:s3:::a/*", "arn:aws:s3:::b/*"})),
		wf(prod, func(w *spec.Workflow) { w.Metadata.Name = "gone" }),
	}
	head := []*spec.Workflow{wf(prod, grants([]string{"s3:GetObject"}, []string{"arn:aws:s3:::a/*"}))}
	d := Compute(base, head, nil)
	if got := d.Risk(); got != Low {
		t.Errorf("Risk() = %v, want low; changes: %+v", got, rows(d))
	}
}

func TestNormalize(t *testing.T) {
	w := wf(func(w *spec.Workflow) {
		w.Spec.Entitlements = []spec.Entitlement{
			{Actions: []string{"a", "b"}, Resources: []string{"r1", "r2"}, Conditions: map[string]any{"z": 1.0, "a": "x"}},
			{Actions: []string{"a"}, Resources: []string{"r1"}, Conditions: map[string]any{"a": "x", "z": 1.0}}, // duplicate
		}
	})
	want := []Grant{
		{"a", "r1", `{"a":"x","z":1}`}, {"a", "r2", `{"a":"x","z":1}`},
		{"b", "r1", `{"a":"x","z":1}`}, {"b", "r2", `{"a":"x","z":1}`},
	}
	if diff := cmp.Diff(want, Normalize(w)); diff != "" {
		t.Errorf("Normalize (-want +got):\n%s", diff)
	}
}

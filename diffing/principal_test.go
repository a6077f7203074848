package diffing

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/spec"
)

func named(name string) func(*spec.Workflow) {
	return func(w *spec.Workflow) { w.Metadata.Name = name }
}

func file(f string) func(*spec.Workflow) {
	return func(w *spec.Workflow) { w.Source.File = f }
}

func identityName(n string) func(*spec.Workflow) {
	return func(w *spec.Workflow) { w.Spec.Identity.Name = n }
}

func conditions(c map[string]any) func(*spec.Workflow) {
	return func(w *spec.Workflow) { w.Spec.Entitlements[0].Conditions = c }
}

func expires(s string) func(*spec.Workflow) {
	return func(w *spec.Workflow) { w.Spec.ExpiresAt = at(s) }
}

func static(w *spec.Workflow) {
	w.Spec.Credential = spec.Credential{Kind: "static", TTL: dur("1h"), Rotation: dur("720h")}
}

var (
	narrow = grants([]string{"s3:GetObject"}, []string{"arn:aws:s3:::bucket/a/*"})
	broad  = grants([]string{"s3:GetObject"}, []string{"arn:aws:s3:::bucket/*"})
	other  = grants([]string{"s3:PutObject"}, []string{"arn:aws:s3:::bucket/b/*"})
	both   = func(w *spec.Workflow) {
		w.Spec.Entitlements = []spec.Entitlement{
			{Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::bucket/a/*"}},
			{Actions: []string{"s3:PutObject"}, Resources: []string{"arn:aws:s3:::bucket/b/*"}},
		}
	}
)

// TestComputeComparesPrincipals holds one case per way of moving access
// around that must not lower its risk: renaming, moving, splitting,
// re-encoding, re-spelling the identity, and changing conditions.
func TestComputeComparesPrincipals(t *testing.T) {
	tests := []struct {
		name       string
		base, head []*spec.Workflow
		want       []row
		risk       Risk
	}{
		{
			name: "rename while widening is a widening",
			base: []*spec.Workflow{wf(prod, narrow)},
			head: []*spec.Workflow{wf(prod, broad, named("ci-v2"))},
			want: []row{
				{Kind: GrantWidened, Risk: Critical, Subject: "s3:GetObject arn:aws:s3:::bucket/*", From: "s3:GetObject arn:aws:s3:::bucket/a/*;", Reason: "access widened in production", Identity: "ci-v2"},
				{Kind: IdentityChanged, Risk: Low, Subject: "metadata.name ci -> ci-v2", Reason: "renamed from ci; its access is compared across every spec of aws/ci", Identity: "ci-v2"},
			},
			risk: Critical,
		},
		{
			name: "keeping the narrow grant and adding a broad one is a widening",
			base: []*spec.Workflow{wf(narrow)},
			head: []*spec.Workflow{wf(func(w *spec.Workflow) {
				w.Spec.Entitlements = []spec.Entitlement{
					{Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::bucket/a/*", "arn:aws:s3:::bucket/*"}},
				}
			})},
			want: []row{{Kind: GrantWidened, Risk: High, Subject: "s3:GetObject arn:aws:s3:::bucket/*", From: "s3:GetObject arn:aws:s3:::bucket/a/*;", Reason: "access widened", Identity: "ci"}},
			risk: High,
		},
		{
			name: "a changed condition value is a widening",
			base: []*spec.Workflow{wf(prod, conditions(map[string]any{"IpAddress": map[string]any{"aws:SourceIp": "10.0.0.1/32"}}))},
			head: []*spec.Workflow{wf(prod, conditions(map[string]any{"IpAddress": map[string]any{"aws:SourceIp": "0.0.0.0/0"}}))},
			want: []row{{Kind: GrantWidened, Risk: Critical, Subject: "s3:GetObject arn:aws:s3:::bucket/app/*", From: "s3:GetObject arn:aws:s3:::bucket/app/*;",
				Reason: "access widened in production; conditions changed and are not provably narrower", Identity: "ci"}},
			risk: Critical,
		},
		{
			name: "a condition that replaces another is a widening, however narrow it looks",
			base: []*spec.Workflow{wf(conditions(map[string]any{"ip": "10.0.0.0/8"}))},
			head: []*spec.Workflow{wf(conditions(map[string]any{"ip": "10.0.0.1/32"}))},
			want: []row{{Kind: GrantWidened, Risk: High, Subject: "s3:GetObject arn:aws:s3:::bucket/app/*", From: "s3:GetObject arn:aws:s3:::bucket/app/*;",
				Reason: "access widened; conditions changed and are not provably narrower", Identity: "ci"}},
			risk: High,
		},
		{
			name: "an added condition key is provably narrower",
			base: []*spec.Workflow{wf(prod, conditions(map[string]any{"ip": "10.0.0.0/8"}))},
			head: []*spec.Workflow{wf(prod, conditions(map[string]any{"ip": "10.0.0.0/8", "mfa": true}))},
			want: []row{{Kind: GrantNarrowed, Risk: Low, Subject: "s3:GetObject arn:aws:s3:::bucket/app/*", From: "s3:GetObject arn:aws:s3:::bucket/app/*;", Reason: "access narrowed", Identity: "ci"}},
			risk: Low,
		},
		{
			name: "a narrower pattern under other conditions is a widening",
			base: []*spec.Workflow{wf(grants([]string{"s3:*"}, []string{"arn:aws:s3:::bucket/*"}), conditions(map[string]any{"ip": "10.0.0.1/32"}))},
			head: []*spec.Workflow{wf(conditions(map[string]any{"ip": "0.0.0.0/0"}))},
			want: []row{{Kind: GrantWidened, Risk: High, Subject: "s3:GetObject arn:aws:s3:::bucket/app/*", From: "s3:* arn:aws:s3:::bucket/*;",
				Reason: "access widened; conditions changed and are not provably narrower", Identity: "ci"}},
			risk: High,
		},
		{
			name: "a grant moved to a new production spec of the same identity",
			base: []*spec.Workflow{wf(both)},
			head: []*spec.Workflow{wf(narrow), wf(other, named("ci-extra"), file("ci-extra.yaml"), prod, static)},
			want: []row{
				{Kind: EnvironmentChanged, Risk: High, Subject: "spec.environment staging -> production", Reason: "moves into production", Identity: "ci-extra"},
				{Kind: IdentityChanged, Risk: Low, Subject: "metadata.name ci -> ci-extra", Reason: "a new spec for aws/ci, which ci already holds; compared with it", Identity: "ci-extra"},
				{Kind: CredentialChanged, Risk: Critical, Subject: "spec.credential.kind ephemeral -> static", Reason: "a static credential is introduced in production", Identity: "ci-extra"},
				{Kind: RotationChanged, Risk: Low, Subject: "spec.credential.rotation  -> 720h", Reason: "now set", Identity: "ci-extra"},
			},
			risk: Critical,
		},
		{
			name: "a grant moved into a spec that expires later gains the later expiry",
			base: []*spec.Workflow{wf(narrow), wf(other, named("ci-long"), file("ci-long.yaml"), expires("2027-06-01T00:00:00Z"))},
			head: []*spec.Workflow{wf(grants(nil, nil)), wf(both, named("ci-long"), file("ci-long.yaml"), expires("2027-06-01T00:00:00Z"))},
			want: []row{
				{Kind: ExpiryChanged, Risk: Medium, Subject: "spec.expiresAt 2026-12-01T00:00:00Z -> 2027-06-01T00:00:00Z", Reason: "grants moved from ci (ci.yaml): the grant lasts longer", Identity: "ci-long"},
			},
			risk: Medium,
		},
		{
			name: "a spec split over two files changes nothing",
			base: []*spec.Workflow{wf(both)},
			head: []*spec.Workflow{wf(narrow), wf(other, named("ci-put"), file("ci-put.yaml"))},
			want: []row{
				{Kind: IdentityChanged, Risk: Low, Subject: "metadata.name ci -> ci-put", Reason: "a new spec for aws/ci, which ci already holds; compared with it", Identity: "ci-put"},
			},
			risk: Low,
		},
		{
			name: "two specs merged into one change nothing",
			base: []*spec.Workflow{wf(narrow), wf(other, named("ci-put"), file("ci-put.yaml"))},
			head: []*spec.Workflow{wf(both)},
		},
		{
			name: "YAML rewritten as JSON changes no access",
			base: []*spec.Workflow{wf(both)},
			head: []*spec.Workflow{wf(both, file("ci.json"))},
			want: []row{{Kind: IdentityChanged, Risk: Low, Subject: "file ci.yaml -> ci.json", Reason: "the spec moved to another file", Identity: "ci"}},
			risk: Low,
		},
		{
			name: "a grant widened in another spec of the identity is a widening",
			base: []*spec.Workflow{wf(narrow)},
			head: []*spec.Workflow{wf(narrow), wf(broad, named("ci-more"), file("more.yaml"))},
			want: []row{
				{Kind: GrantWidened, Risk: High, Subject: "s3:GetObject arn:aws:s3:::bucket/*", From: "s3:GetObject arn:aws:s3:::bucket/a/*;", Reason: "access widened", Identity: "ci-more"},
				{Kind: IdentityChanged, Risk: Low, Subject: "metadata.name ci -> ci-more", Reason: "a new spec for aws/ci, which ci already holds; compared with it", Identity: "ci-more"},
			},
			risk: High,
		},
		{
			name: "an identity spelled in other case is the same principal, and rated as a new identity",
			base: []*spec.Workflow{wf(prod, narrow)},
			head: []*spec.Workflow{wf(prod, narrow), wf(prod, narrow, named("ci-upper"), file("upper.yaml"), identityName("CI"))},
			want: []row{
				{Kind: IdentityChanged, Risk: Low, Subject: "metadata.name ci -> ci-upper", Reason: "a new spec for aws/ci, which ci already holds; compared with it", Identity: "ci-upper"},
				{Kind: IdentityChanged, Risk: High, Subject: "spec.identity.name ci -> CI", Reason: "spelled differently from the base (ci); where the platform tells case apart this is a new identity, rated as one: new identity in production", Identity: "ci-upper"},
			},
			risk: High,
		},
		{
			name: "a case variant cannot hide a widening",
			base: []*spec.Workflow{wf(prod, narrow)},
			head: []*spec.Workflow{wf(prod, broad, identityName("CI"))},
			want: []row{
				{Kind: GrantWidened, Risk: Critical, Subject: "s3:GetObject arn:aws:s3:::bucket/*", From: "s3:GetObject arn:aws:s3:::bucket/a/*;", Reason: "access widened in production", Identity: "ci"},
				{Kind: IdentityChanged, Risk: High, Subject: "spec.identity.name ci -> CI", Reason: "spelled differently from the base (ci); where the platform tells case apart this is a new identity, rated as one: new identity in production", Identity: "ci"},
			},
			risk: Critical,
		},
		{
			name: "a new production spec with a static credential and no expiry",
			head: []*spec.Workflow{wf(prod, static, func(w *spec.Workflow) { w.Spec.ExpiresAt = spec.Time{}; w.Spec.Revocation = spec.Revocation{} })},
			want: []row{
				{Kind: IdentityAdded, Risk: High, Subject: "ci.yaml", Reason: "new identity in production", Identity: "ci"},
				{Kind: GrantAdded, Risk: High, Subject: "s3:GetObject arn:aws:s3:::bucket/app/*", Reason: "new access in production", Identity: "ci"},
				{Kind: CredentialChanged, Risk: Critical, Subject: "spec.credential.kind  -> static", Reason: "a static credential is introduced in production", Identity: "ci"},
				{Kind: ExpiryChanged, Risk: Critical, Subject: "spec.expiresAt  -> ", Reason: "the grant never expires", Identity: "ci"},
				{Kind: RevocationChanged, Risk: High, Subject: "spec.revocation  -> ", Reason: "nothing revokes the access automatically", Identity: "ci"},
			},
			risk: Critical,
		},
		{
			name: "a new spec for delegated automation",
			head: []*spec.Workflow{wf(func(w *spec.Workflow) { w.Spec.Identity.Consumer = "agent" })},
			want: []row{
				{Kind: IdentityAdded, Risk: High, Subject: "ci.yaml", Reason: "new identity for delegated automation (agent)", Identity: "ci"},
				{Kind: GrantAdded, Risk: High, Subject: "s3:GetObject arn:aws:s3:::bucket/app/*", Reason: "new access for delegated automation (agent)", Identity: "ci"},
			},
			risk: High,
		},
		{
			name: "the identity behind a spec changes: new access for the new principal",
			base: []*spec.Workflow{wf()},
			head: []*spec.Workflow{wf(identityName("deploy"))},
			want: []row{
				{Kind: IdentityAdded, Risk: Medium, Subject: "ci.yaml", Reason: "new identity", Identity: "ci"},
				{Kind: IdentityRemoved, Risk: Low, Subject: "ci.yaml", Reason: "identity and all its access removed", Identity: "ci"},
				{Kind: GrantAdded, Risk: Medium, Subject: "s3:GetObject arn:aws:s3:::bucket/app/*", Reason: "new access", Identity: "ci"},
				{Kind: GrantRemoved, Risk: Low, Subject: "s3:GetObject arn:aws:s3:::bucket/app/*", Reason: "access removed", Identity: "ci"},
				{Kind: IdentityChanged, Risk: Medium, Subject: "spec.identity.name ci -> deploy", Reason: "a different identity receives the access", Identity: "ci"},
			},
			risk: Medium,
		},
		{
			name: "a removed spec whose grants another spec still holds removes nothing",
			base: []*spec.Workflow{wf(narrow), wf(narrow, named("ci-copy"), file("copy.yaml"))},
			head: []*spec.Workflow{wf(narrow)},
		},
		{
			name: "a redundant grant removed is low",
			base: []*spec.Workflow{wf(func(w *spec.Workflow) {
				w.Spec.Entitlements = []spec.Entitlement{{Actions: []string{"s3:*", "s3:GetObject"}, Resources: []string{"arn:aws:s3:::bucket/*"}}}
			})},
			head: []*spec.Workflow{wf(grants([]string{"s3:*"}, []string{"arn:aws:s3:::bucket/*"}))},
			want: []row{{Kind: GrantRemoved, Risk: Low, Subject: "s3:GetObject arn:aws:s3:::bucket/*", Reason: "redundant grant removed; still granted by s3:* on arn:aws:s3:::bucket/*", Identity: "ci"}},
			risk: Low,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Compute(tt.base, tt.head, nil)
			if diff := cmp.Diff(tt.want, rows(d)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if got := d.Risk(); got != max(tt.risk, None) {
				t.Errorf("Risk() = %v, want %v", got, tt.risk)
			}
		})
	}
}

// TestComputeUnchangedSpecsCount: a spec in an unchanged file (the same
// workflow on both sides) takes part in the comparison of its principal.
func TestComputeUnchangedSpecsCount(t *testing.T) {
	kept := wf(narrow, named("ci-kept"), file("kept.yaml"))
	base := []*spec.Workflow{wf(other), kept}
	head := []*spec.Workflow{wf(broad), kept}
	got := rows(Compute(base, head, nil))
	want := []row{
		{Kind: GrantWidened, Risk: High, Subject: "s3:GetObject arn:aws:s3:::bucket/*", From: "s3:GetObject arn:aws:s3:::bucket/a/*;", Reason: "access widened", Identity: "ci"},
		{Kind: GrantRemoved, Risk: Low, Subject: "s3:PutObject arn:aws:s3:::bucket/b/*", Reason: "access removed", Identity: "ci"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

// TestComputeClassificationIgnoresLayout computes one change laid out in
// many ways and requires the same risk and the same grant changes from each.
func TestComputeClassificationIgnoresLayout(t *testing.T) {
	base := []*spec.Workflow{wf(prod, both)}
	layouts := map[string][]*spec.Workflow{
		"in place":     {wf(prod, both, broad)},
		"renamed":      {wf(prod, broad, named("renamed"))},
		"moved file":   {wf(prod, broad, file("x/y.json"))},
		"split":        {wf(prod, grants(nil, nil)), wf(prod, broad, named("part"), file("part.yaml"))},
		"case variant": {wf(prod, broad, identityName("Ci"))},
	}
	type grantRow struct {
		Kind    Kind
		Subject string
	}
	var want []grantRow
	for name, head := range layouts {
		d := Compute(base, head, nil)
		if d.Risk() != Critical {
			t.Errorf("%s: Risk() = %v, want critical", name, d.Risk())
		}
		var got []grantRow
		for _, r := range rows(d) {
			if r.Kind == GrantWidened || r.Kind == GrantAdded || r.Kind == GrantRemoved || r.Kind == GrantNarrowed {
				got = append(got, grantRow{r.Kind, r.Subject})
			}
		}
		if want == nil {
			want = []grantRow{{GrantWidened, "s3:GetObject arn:aws:s3:::bucket/*"}, {GrantRemoved, "s3:PutObject arn:aws:s3:::bucket/b/*"}}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: grant changes (-want +got):\n%s", name, diff)
		}
	}
}

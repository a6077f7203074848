package reviewer_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/spec"
)

// TestFailOnRisk: outside GitHub no approvals are enforced, so the
// threshold is what stops a risky change; below it the review passes.
func TestFailOnRisk(t *testing.T) {
	governance := diffing.Compute(nil, nil, []string{".github/workflows/nhigate-review.yml"})
	tests := []struct {
		name        string
		diff        *diffing.Diff
		threshold   diffing.Risk
		wantVerdict reviewer.Verdict
		wantReasons []string
	}{
		{"no threshold", governance, diffing.None, reviewer.Pass, []string{}},
		{"at the threshold", governance, diffing.Critical, reviewer.Blocked, []string{"risk critical is at or above --fail-on-risk critical"}},
		{"above the threshold", governance, diffing.Low, reviewer.Blocked, []string{"risk critical is at or above --fail-on-risk low"}},
		{"nothing changed", nil, diffing.Low, reviewer.Pass, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := reviewer.Decide(reviewer.Input{Mode: reviewer.Local, Scope: reviewer.ScopeReview, Diff: tt.diff, FailOnRisk: tt.threshold})
			if r.Verdict != tt.wantVerdict {
				t.Errorf("verdict = %s, want %s", r.Verdict, tt.wantVerdict)
			}
			if diff := cmp.Diff(tt.wantReasons, r.Reasons); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReportRisk: the JSON report carries the diff's highest risk at the
// top, so that a CI system can act on it without walking the diff.
func TestReportRisk(t *testing.T) {
	for _, tt := range []struct {
		diff *diffing.Diff
		want string
	}{
		{nil, "none"},
		{diffing.Compute(nil, nil, []string{"CODEOWNERS"}), "critical"},
	} {
		b, err := json.Marshal(reviewer.Decide(reviewer.Input{Mode: reviewer.Local, Scope: reviewer.ScopeDiff, Diff: tt.diff}))
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Risk string }
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Risk != tt.want {
			t.Errorf("risk = %q, want %q", got.Risk, tt.want)
		}
	}
}

// TestInvalidCountsFiles: one broken manifest has many errors but is one
// file to fix, so the reason counts files.
func TestInvalidCountsFiles(t *testing.T) {
	errs := spec.Errors{
		{File: "k8s/manifest.yaml", Line: 3, Msg: "a"},
		{File: "k8s/manifest.yaml", Line: 9, Msg: "b"},
		{File: "k8s/manifest.yaml", Line: 20, Msg: "c"},
		{File: "identities/ci.yaml", Line: 1, Msg: "d"},
	}
	tests := []struct {
		errs spec.Errors
		want []string
	}{
		{errs[:1], []string{"1 spec file is invalid or unsafe to read"}},
		{errs[:3], []string{"1 spec file is invalid or unsafe to read"}},
		{errs, []string{"2 spec files are invalid or unsafe to read"}},
	}
	for _, tt := range tests {
		rep := reviewer.Decide(reviewer.Input{Mode: reviewer.Local, Scope: reviewer.ScopeCheck, Invalid: tt.errs})
		if diff := cmp.Diff(tt.want, rep.Reasons); diff != "" {
			t.Errorf("%d errors: reasons (-want +got):\n%s", len(tt.errs), diff)
		}
		if len(rep.Invalid) != len(tt.errs) {
			t.Errorf("%d errors listed, want every one of %d", len(rep.Invalid), len(tt.errs))
		}
	}
}

// TestRequired: a local review lists who would have to approve, merged as
// Approvals merges them, none satisfied, and they never block.
func TestRequired(t *testing.T) {
	rules := reviewer.ApprovalRules{
		Files: []reviewer.OwnedFile{
			{Path: "identities/vault/db.yaml", Owners: []string{"@acme/security"}},
			{Path: "identities/aws/ci.yaml", Owners: []string{"@acme/cloud"}},
			{Path: "README.md"},
		},
		Tier:     "critical",
		TierRule: config.Tier{Approvers: []string{"@acme/security"}, MinApprovals: 2},
	}
	got := reviewer.Required(rules)
	var descs []string
	for _, r := range got {
		if r.Satisfied {
			t.Errorf("%q is satisfied; nothing was checked", r.Description)
		}
		descs = append(descs, r.Description)
	}
	want := []string{
		"1 approval from @acme/security (CODEOWNERS of identities/vault/db.yaml; risk tier critical)",
		"1 approval from @acme/cloud (CODEOWNERS of identities/aws/ci.yaml)",
		"2 approvals from different people (risk tier critical)",
	}
	if diff := cmp.Diff(want, descs); diff != "" {
		t.Errorf("requirements (-want +got):\n%s", diff)
	}
	rep := reviewer.Decide(reviewer.Input{Mode: reviewer.Local, Scope: reviewer.ScopeReview, Required: got})
	if rep.Verdict != reviewer.Pass {
		t.Errorf("verdict %s, reasons %v: unchecked requirements must not block a local review", rep.Verdict, rep.Reasons)
	}
}

package reviewer_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/reviewer/pulltest"
	"github.com/nhigate/nhigate/spec"
)

// judgedAt is the fixed time exceptions are judged at; fixtures expire
// relative to it.
var judgedAt = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// sec1234 waives NHI-CRED-001 with the approval of @acme/security.
func sec1234() spec.Exception {
	exp := judgedAt.Add(30 * 24 * time.Hour)
	return spec.Exception{
		Rule: "NHI-CRED-001", Reason: "vendor API only supports static keys", ApprovedBy: "@acme/security",
		ExpiresAt: spec.Time{Time: exp, Text: exp.Format(time.RFC3339)}, Ticket: "SEC-1234",
	}
}

// excepted is a production spec of principal aws/payments-ci, requested by
// dana, at file, whose exceptions are es.
func excepted(file, name string, es ...spec.Exception) *spec.Workflow {
	return workflow(func(w *spec.Workflow) {
		w.Metadata.Name = name
		w.Source.File = file
		w.Spec.Identity = spec.Identity{Name: "payments-ci", Platform: "aws", Type: "api-key", Consumer: "pipeline"}
		w.Spec.Environment = "production"
		w.Spec.Exceptions = es
	})
}

// credFinding is the NHI-CRED-001 finding about w that the policies
// waived.
func credFinding(w *spec.Workflow) reviewer.Finding {
	return reviewer.Finding{
		Rule: "NHI-CRED-001", Kind: "deny", Severity: "critical", Message: "static credentials are not allowed in production",
		Identity: w.Metadata.Name, File: w.Source.File, Doc: w.Source.Doc, Excepted: true,
	}
}

const (
	headFile = "identities/aws/payments-ci.yaml"
	waitMsg  = "waiting for @acme/security to approve exception SEC-1234 (NHI-CRED-001)"
)

// exceptionTeams has members that must not count: the author, the
// requester and a bot, all in the team the exception names.
var exceptionTeams = map[string][]string{
	"acme/security": {"carol", "alice", "dana", "sec-bot[bot]"},
}

// TestExceptionsAreApprovals runs the approval engine and the decision
// together, as the review does in GitHub mode.
func TestExceptionsAreApprovals(t *testing.T) {
	renamed := func(edit func(*spec.Workflow)) *spec.Workflow {
		w := excepted("identities/old/ci.yaml", "payments-ci-old", sec1234())
		edit(w)
		return w
	}
	tests := []struct {
		name       string
		exceptions []spec.Exception // of the head spec; default sec1234
		base       []*spec.Workflow
		reviews    []reviewer.Review
		wantStatus reviewer.ExceptionStatus
		wantMsg    string // the finding's message contains it
		wantReqs   []string
		wantBy     string // the login recorded as approving the exception
	}{
		{
			name:       "approved by a member of the named team on head",
			reviews:    []reviewer.Review{approve("carol")},
			wantStatus: reviewer.ExceptionApproved,
			wantMsg:    "waived by exception SEC-1234 (NHI-CRED-001), approved by carol (@acme/security) on 1111111",
			wantReqs:   []string{"1 approval from @acme/security (exception SEC-1234 (NHI-CRED-001) in payments-ci-deploy)"},
			wantBy:     "carol",
		},
		{
			name:       "no review yet",
			wantStatus: reviewer.ExceptionWaiting, wantMsg: waitMsg,
		},
		{
			name:       "self-approved by the author, a member of the team",
			reviews:    []reviewer.Review{approve("alice")},
			wantStatus: reviewer.ExceptionWaiting, wantMsg: waitMsg,
		},
		{
			name:       "approved by a bot in the team",
			reviews:    []reviewer.Review{approve("sec-bot[bot]")},
			wantStatus: reviewer.ExceptionWaiting, wantMsg: waitMsg,
		},
		{
			name:       "approved by the requester, a member of the team",
			reviews:    []reviewer.Review{approve("dana")},
			wantStatus: reviewer.ExceptionWaiting, wantMsg: waitMsg,
		},
		{
			name:       "approved on an older commit",
			reviews:    []reviewer.Review{review("carol", reviewer.StateApproved, old)},
			wantStatus: reviewer.ExceptionWaiting, wantMsg: waitMsg,
		},
		{
			name:       "approved by someone outside the team",
			reviews:    []reviewer.Review{approve("dave")},
			wantStatus: reviewer.ExceptionWaiting, wantMsg: waitMsg,
		},
		{
			name:       "approval withdrawn by a later request for changes",
			reviews:    []reviewer.Review{approve("carol"), review("carol", reviewer.StateChangesRequested, head)},
			wantStatus: reviewer.ExceptionWaiting, wantMsg: waitMsg,
		},
		{
			name: "approvedBy names the author: never satisfiable",
			exceptions: []spec.Exception{func() spec.Exception {
				e := sec1234()
				e.ApprovedBy = "@alice"
				return e
			}()},
			reviews:    []reviewer.Review{approve("alice"), approve("carol")},
			wantStatus: reviewer.ExceptionWaiting,
			wantMsg:    "waiting for @alice to approve exception SEC-1234 (NHI-CRED-001), which can never happen: alice is the PR author",
		},
		{
			name: "approvedBy names the requester: never satisfiable",
			exceptions: []spec.Exception{func() spec.Exception {
				e := sec1234()
				e.ApprovedBy = "@Dana"
				return e
			}()},
			reviews:    []reviewer.Review{approve("dana")},
			wantStatus: reviewer.ExceptionWaiting,
			wantMsg:    "which can never happen: dana is the requester of payments-ci-deploy",
		},
		{
			name: "approvedBy names a bot: never satisfiable",
			exceptions: []spec.Exception{func() spec.Exception {
				e := sec1234()
				e.ApprovedBy = "@sec-bot[bot]"
				return e
			}()},
			reviews:    []reviewer.Review{approve("sec-bot[bot]")},
			wantStatus: reviewer.ExceptionWaiting,
			wantMsg:    "which can never happen: sec-bot[bot] is a bot",
		},
		{
			name: "approvedBy is free text, not a login or team",
			exceptions: []spec.Exception{func() spec.Exception {
				e := sec1234()
				e.ApprovedBy = "the security team"
				return e
			}()},
			reviews:    []reviewer.Review{approve("carol")},
			wantStatus: reviewer.ExceptionWaiting,
			wantMsg:    `waiting for "the security team" to approve exception SEC-1234 (NHI-CRED-001), which can never happen`,
		},
		{
			name: "approvedBy is empty",
			exceptions: []spec.Exception{func() spec.Exception {
				e := sec1234()
				e.ApprovedBy = ""
				return e
			}()},
			reviews:    []reviewer.Review{approve("carol")},
			wantStatus: reviewer.ExceptionWaiting,
			wantMsg:    `waiting for "" to approve exception SEC-1234 (NHI-CRED-001), which can never happen`,
		},
		{
			// Unchanged: identical, for the same principal, in a spec that
			// had another file and another name at base.
			name:       "unchanged since base is not required again",
			base:       []*spec.Workflow{excepted("identities/old/ci.yaml", "payments-ci-old", sec1234())},
			wantStatus: reviewer.ExceptionUnchanged,
			wantMsg:    "unchanged since base",
			wantReqs:   []string{},
		},
		{
			// Same file and metadata.name at base, but another identity: a
			// rename must not make the exception look old.
			name: "same file and name at base, another principal",
			base: []*spec.Workflow{func() *spec.Workflow {
				w := excepted(headFile, "payments-ci-deploy", sec1234())
				w.Spec.Identity.Name = "payments-ci-legacy"
				return w
			}()},
			wantStatus: reviewer.ExceptionWaiting, wantMsg: waitMsg,
		},
		{
			name:       "same principal on another platform at base",
			base:       []*spec.Workflow{renamed(func(w *spec.Workflow) { w.Spec.Identity.Platform = "gcp" })},
			wantStatus: reviewer.ExceptionWaiting, wantMsg: waitMsg,
		},
		{
			name:       "approved for staging at base, now in production",
			base:       []*spec.Workflow{renamed(func(w *spec.Workflow) { w.Spec.Environment = "staging" })},
			wantStatus: reviewer.ExceptionWaiting, wantMsg: waitMsg,
		},
		{
			name: "expiry extended since base",
			base: []*spec.Workflow{renamed(func(w *spec.Workflow) {
				w.Spec.Exceptions[0].ExpiresAt.Text = judgedAt.Add(24 * time.Hour).Format(time.RFC3339)
			})},
			wantStatus: reviewer.ExceptionWaiting, wantMsg: waitMsg,
		},
		{
			name:       "approver changed since base",
			base:       []*spec.Workflow{renamed(func(w *spec.Workflow) { w.Spec.Exceptions[0].ApprovedBy = "@acme/platform" })},
			wantStatus: reviewer.ExceptionWaiting, wantMsg: waitMsg,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := tt.exceptions
			if es == nil {
				es = []spec.Exception{sec1234()}
			}
			w := excepted(headFile, "payments-ci-deploy", es...)
			pr := pulltest.Context{InfoValue: info, Permissions: writers, ReviewsValue: tt.reviews, Teams: exceptionTeams}
			reqs, err := reviewer.Approvals(context.Background(), pr, reviewer.ApprovalRules{
				Specs: []*spec.Workflow{w}, Base: tt.base, Head: head,
			})
			if err != nil {
				t.Fatal(err)
			}
			rep := reviewer.Decide(reviewer.Input{
				Mode: reviewer.GitHub, Scope: reviewer.ScopeReview, Findings: []reviewer.Finding{credFinding(w)},
				Approvals: reqs, Specs: []*spec.Workflow{w}, BaseSpecs: tt.base, Now: judgedAt,
			})
			f := rep.Findings[0]
			if f.Exception == nil {
				t.Fatalf("finding has no exception: %+v", f)
			}
			if f.Exception.Status != tt.wantStatus {
				t.Errorf("status %q, want %q (%s)", f.Exception.Status, tt.wantStatus, f.Exception.Note)
			}
			if !strings.Contains(f.Message, tt.wantMsg) {
				t.Errorf("message %q does not say %q", f.Message, tt.wantMsg)
			}
			waiting := tt.wantStatus == reviewer.ExceptionWaiting
			if f.Blocking() != waiting || f.Excepted == waiting {
				t.Errorf("blocking %v, excepted %v; want blocking only while the exception waits", f.Blocking(), f.Excepted)
			}
			if wantPass := !waiting; (rep.Verdict == reviewer.Pass) != wantPass {
				t.Errorf("verdict %s (%v)", rep.Verdict, rep.Reasons)
			}
			if waiting && !strings.Contains(strings.Join(rep.Reasons, "; "), "1 exception waits for its approver") {
				t.Errorf("reasons %v do not name the waiting exception", rep.Reasons)
			}
			if tt.wantReqs != nil {
				var got []string
				for _, r := range reqs {
					got = append(got, r.Description)
				}
				if got == nil {
					got = []string{}
				}
				if diff := cmp.Diff(tt.wantReqs, got); diff != "" {
					t.Errorf("requirements (-want +got):\n%s", diff)
				}
			}
			if tt.wantBy != "" {
				want := []reviewer.Approval{{Login: tt.wantBy, Satisfies: "@acme/security", CommitID: head}}
				if diff := cmp.Diff(want, f.Exception.Approvals); diff != "" {
					t.Errorf("exception approvals (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// An exception is an approval like any other: its approver must have
// write access and must not have pushed to the pull request.
func TestExceptionApproverIntegrity(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pr      pulltest.Context
		wantWhy string
	}{
		{
			name: "a member of the team who pushed a commit",
			pr: pulltest.Context{
				CommitsValue: []reviewer.Commit{{SHA: "c1", Author: "alice", Committer: "alice"}, {SHA: "c2", Author: "carol", Committer: "carol"}},
				Permissions:  writers,
			},
			wantWhy: "carol pushed commits to this pull request",
		},
		{
			name:    "a member of the team without write access",
			pr:      pulltest.Context{Permissions: map[string]reviewer.Permission{"carol": {Level: "read", Role: "read"}}},
			wantWhy: "carol has no write access to acme/policies (permission read)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := excepted(headFile, "payments-ci-deploy", sec1234())
			pr := tc.pr
			pr.InfoValue, pr.ReviewsValue, pr.Teams = info, []reviewer.Review{approve("carol")}, exceptionTeams
			reqs, err := reviewer.Approvals(context.Background(), pr, reviewer.ApprovalRules{Specs: []*spec.Workflow{w}, Head: head})
			if err != nil {
				t.Fatal(err)
			}
			if len(reqs) != 1 || reqs[0].Satisfied || !strings.Contains(reqs[0].Reason, tc.wantWhy) {
				t.Fatalf("requirements %+v; want one pending that says %q", reqs, tc.wantWhy)
			}
			rep := reviewer.Decide(reviewer.Input{
				Mode: reviewer.GitHub, Scope: reviewer.ScopeReview, Findings: []reviewer.Finding{credFinding(w)},
				Approvals: reqs, Specs: []*spec.Workflow{w}, Now: judgedAt,
			})
			if x := rep.Findings[0].Exception; x == nil || x.Status != reviewer.ExceptionWaiting || !rep.Findings[0].Blocking() {
				t.Errorf("exception %+v; want it waiting and the finding blocking", x)
			}
			if rep.Verdict == reviewer.Pass {
				t.Errorf("verdict pass, want blocked")
			}
		})
	}
}

// The exception's requirement merges with another that asks the same
// team, and names both sources; one approval meets both.
func TestExceptionRequirementMerges(t *testing.T) {
	w := excepted(headFile, "payments-ci-deploy", sec1234())
	pr := pulltest.Context{InfoValue: info, Permissions: writers, ReviewsValue: []reviewer.Review{approve("carol")}, Teams: exceptionTeams}
	reqs, err := reviewer.Approvals(context.Background(), pr, reviewer.ApprovalRules{
		Files: []reviewer.OwnedFile{owned(headFile, "@acme/security")}, Specs: []*spec.Workflow{w}, Head: head,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []reviewer.Requirement{{
		Description: "1 approval from @acme/security (CODEOWNERS of " + headFile + "; exception SEC-1234 (NHI-CRED-001) in payments-ci-deploy)",
		Satisfied:   true, By: []string{"carol"}, Reason: "approved on the head commit by carol (@acme/security)",
		Approvals:  []reviewer.Approval{{Login: "carol", Satisfies: "@acme/security", CommitID: head}},
		Exceptions: []reviewer.ExceptionRef{{File: headFile, Rule: "NHI-CRED-001", Ticket: "SEC-1234"}},
	}}
	if diff := cmp.Diff(want, reqs); diff != "" {
		t.Errorf("requirements (-want +got):\n%s", diff)
	}
}

// Locally and in check, nothing can verify the approval: the exception is
// reported as unverified and the verdict does not change.
func TestExceptionsUnverifiedLocally(t *testing.T) {
	w := excepted(headFile, "payments-ci-deploy", sec1234())
	for _, tt := range []struct {
		name  string
		scope reviewer.Scope
		base  []*spec.Workflow
		want  reviewer.ExceptionStatus
		msg   string
	}{
		{"check", reviewer.ScopeCheck, nil, reviewer.ExceptionUnverified, "waived if @acme/security approves exception SEC-1234 (NHI-CRED-001); unverified here"},
		{"local review, new", reviewer.ScopeReview, nil, reviewer.ExceptionUnverified, "waived if @acme/security approves exception SEC-1234 (NHI-CRED-001); unverified here"},
		{"local review, unchanged", reviewer.ScopeReview, []*spec.Workflow{excepted("other.yaml", "other", sec1234())}, reviewer.ExceptionUnchanged, "unchanged since base"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep := reviewer.Decide(reviewer.Input{
				Mode: reviewer.Local, Scope: tt.scope, Findings: []reviewer.Finding{credFinding(w)},
				Specs: []*spec.Workflow{w}, BaseSpecs: tt.base, Now: judgedAt,
			})
			f := rep.Findings[0]
			if rep.Verdict != reviewer.Pass || !f.Excepted || f.Exception == nil || f.Exception.Status != tt.want {
				t.Fatalf("verdict %s, finding %+v", rep.Verdict, f)
			}
			if !strings.Contains(f.Message, tt.msg) || f.Exception.ApprovedBy != "@acme/security" || f.Exception.Ticket != "SEC-1234" {
				t.Errorf("finding %+v does not say %q", f, tt.msg)
			}
		})
	}
}

// An exception that expired does not vouch for a waiver even if another
// does; the one relied on is the approved one that lasts longest.
func TestExceptionChoice(t *testing.T) {
	expired, short, long := sec1234(), sec1234(), sec1234()
	expired.Ticket, expired.ExpiresAt = "SEC-1", spec.Time{Time: judgedAt.Add(-time.Hour), Text: "expired"}
	short.Ticket, short.ExpiresAt = "SEC-2", spec.Time{Time: judgedAt.Add(24 * time.Hour), Text: "short"}
	long.Ticket, long.ExpiresAt = "SEC-3", spec.Time{Time: judgedAt.Add(48 * time.Hour), Text: "long"}
	w := excepted(headFile, "payments-ci-deploy", expired, short, long)
	base := []*spec.Workflow{excepted("b.yaml", "b", short)} // SEC-2 unchanged, SEC-3 new
	rep := reviewer.Decide(reviewer.Input{
		Mode: reviewer.GitHub, Scope: reviewer.ScopeReview, Findings: []reviewer.Finding{credFinding(w)},
		Approvals: []reviewer.Requirement{}, Specs: []*spec.Workflow{w}, BaseSpecs: base, Now: judgedAt,
	})
	if got := rep.Findings[0].Exception; got == nil || got.Ticket != "SEC-2" || got.Status != reviewer.ExceptionUnchanged {
		t.Errorf("relied on %+v, want the unchanged SEC-2", got)
	}
}

// A waived finding whose spec holds no exception for its rule is not
// waived in GitHub mode: nothing vouches for it.
func TestExceptionMissing(t *testing.T) {
	w := excepted(headFile, "payments-ci-deploy")
	rep := reviewer.Decide(reviewer.Input{
		Mode: reviewer.GitHub, Scope: reviewer.ScopeReview, Findings: []reviewer.Finding{credFinding(w)},
		Approvals: []reviewer.Requirement{}, Specs: []*spec.Workflow{w}, Now: judgedAt,
	})
	if f := rep.Findings[0]; !f.Blocking() || rep.Verdict != reviewer.Blocked {
		t.Errorf("finding %+v, verdict %s", f, rep.Verdict)
	}
}

// The merge result is judged too: what fails there and not at head
// blocks, and its exceptions hold only as approved at head or already on
// the base branch.
func TestMergeResult(t *testing.T) {
	headSpec := excepted(headFile, "payments-ci-deploy", sec1234())
	approved := []reviewer.Requirement{{
		Description: "1 approval from @acme/security", Satisfied: true, By: []string{"carol"},
		Approvals:  []reviewer.Approval{{Login: "carol", Satisfies: "@acme/security", CommitID: head}},
		Exceptions: []reviewer.ExceptionRef{{File: headFile, Rule: "NHI-CRED-001", Ticket: "SEC-1234"}},
	}}
	ent := func(w *spec.Workflow) reviewer.Finding {
		return reviewer.Finding{Rule: "NHI-ENT-001", Kind: "deny", Severity: "critical", Message: "s3:* is a wildcard action in production",
			Identity: w.Metadata.Name, File: w.Source.File, Doc: w.Source.Doc, Line: 14}
	}
	tests := []struct {
		name     string
		head     []reviewer.Finding
		merged   *spec.Workflow
		findings func(w *spec.Workflow) []reviewer.Finding
		main     []*spec.Workflow
		want     []string // rules of the merge failures
	}{
		{
			name:     "fails on the merge only",
			merged:   excepted(headFile, "payments-ci-deploy", sec1234()),
			findings: func(w *spec.Workflow) []reviewer.Finding { return []reviewer.Finding{ent(w)} },
			want:     []string{"NHI-ENT-001"},
		},
		{
			name:     "fails at head already: not a merge failure",
			head:     []reviewer.Finding{ent(headSpec)},
			merged:   excepted(headFile, "payments-ci-deploy", sec1234()),
			findings: func(w *spec.Workflow) []reviewer.Finding { return []reviewer.Finding{ent(w)} },
			want:     []string{},
		},
		{
			name:     "an exception approved at head waives on the merge",
			merged:   excepted("moved/on/main.yaml", "payments-ci-deploy", sec1234()),
			findings: func(w *spec.Workflow) []reviewer.Finding { return []reviewer.Finding{credFinding(w)} },
			want:     []string{},
		},
		{
			name: "an exception approved at head for another environment does not waive on the merge",
			merged: func() *spec.Workflow {
				w := excepted(headFile, "payments-ci-deploy", sec1234())
				w.Spec.Environment = "sandbox"
				return w
			}(),
			findings: func(w *spec.Workflow) []reviewer.Finding { return []reviewer.Finding{credFinding(w)} },
			want:     []string{"NHI-CRED-001"},
		},
		{
			name: "an exception already on the base branch waives on the merge",
			merged: func() *spec.Workflow {
				e := sec1234()
				e.Ticket = "SEC-9"
				return excepted(headFile, "payments-ci-deploy", e)
			}(),
			main: []*spec.Workflow{func() *spec.Workflow {
				e := sec1234()
				e.Ticket = "SEC-9"
				return excepted("main.yaml", "x", e)
			}()},
			findings: func(w *spec.Workflow) []reviewer.Finding { return []reviewer.Finding{credFinding(w)} },
			want:     []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := reviewer.Decide(reviewer.Input{
				Mode: reviewer.GitHub, Scope: reviewer.ScopeReview, Findings: tt.head, Approvals: approved,
				Specs: []*spec.Workflow{headSpec}, Now: judgedAt,
				Merge: &reviewer.MergeInput{Commit: strings.Repeat("9", 40), Base: "main", Findings: tt.findings(tt.merged),
					Specs: []*spec.Workflow{tt.merged}, BaseSpecs: tt.main},
			})
			got := []string{}
			for _, f := range rep.Merge.Failures {
				got = append(got, f.Rule)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("merge failures (-want +got):\n%s", diff)
			}
			blocked := len(tt.want) > 0 || len(tt.head) > 0
			if (rep.Verdict == reviewer.Blocked) != blocked {
				t.Errorf("verdict %s (%v)", rep.Verdict, rep.Reasons)
			}
			if len(tt.want) > 0 {
				if !slices.Contains(rep.Reasons, "1 policy check fails on the merge result with main (9999999)") {
					t.Errorf("reasons %q do not name the merge failure", rep.Reasons)
				}
				// The failure joins the findings, so that every format shows it.
				last := rep.Findings[len(rep.Findings)-1]
				if last.Rule != tt.want[0] || !last.Blocking() || !strings.HasPrefix(last.Message, "fails on the merge result with main (9999999): ") {
					t.Errorf("last finding %+v is not the merge failure", last)
				}
			}
		})
	}
}

// The reasons carry no untrusted text: a base branch name that could
// break out of Markdown is not shown.
func TestMergeReasonBaseName(t *testing.T) {
	w := excepted(headFile, "payments-ci-deploy")
	f := reviewer.Finding{Rule: "NHI-ENT-001", Kind: "deny", Message: "wildcard", Identity: w.Metadata.Name, File: w.Source.File}
	for base, want := range map[string]string{
		"release/v1.2":      "1 policy check fails on the merge result with release/v1.2 (9999999)",
		"main`<!--":         "1 policy check fails on the merge result with the base branch (9999999)",
		"**bold**":          "1 policy check fails on the merge result with the base branch (9999999)",
		"":                  "1 policy check fails on the merge result with the base branch (9999999)",
		"<img src=x>/../ok": "1 policy check fails on the merge result with the base branch (9999999)",
	} {
		rep := reviewer.Decide(reviewer.Input{
			Mode: reviewer.GitHub, Scope: reviewer.ScopeReview, Approvals: []reviewer.Requirement{}, Specs: []*spec.Workflow{w},
			Merge: &reviewer.MergeInput{Commit: strings.Repeat("9", 40), Base: base, Findings: []reviewer.Finding{f}, Specs: []*spec.Workflow{w}},
		})
		if !slices.Contains(rep.Reasons, want) {
			t.Errorf("base %q: reasons %q, want %q", base, rep.Reasons, want)
		}
	}
}

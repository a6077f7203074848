package reviewer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/reviewer/pulltest"
	"github.com/nhigate/nhigate/spec"
)

const (
	head = "1111111111111111111111111111111111111111"
	old  = "abc1234def5678abc1234def5678abc1234def56"
)

var info = reviewer.PRInfo{Number: 7, Repo: "acme/policies", Author: "alice", HeadSHA: head, BaseSHA: "b0b0"}

// writers have write access to acme/policies; everyone else has none.
var writers = pulltest.Writers("alice", "bob", "carol", "dana", "dave", "erin", "frank", "gen-svc", "mallory")

// teams are the memberships every case sees.
var teams = map[string][]string{
	"acme/security": {"carol", "erin"},
	"acme/payments": {"frank"},
}

func review(user, state, commit string) reviewer.Review {
	return reviewer.Review{User: user, State: state, CommitID: commit}
}

func approve(user string) reviewer.Review { return review(user, reviewer.StateApproved, head) }

// workflow is a changed spec requested by dana and owned by @acme/payments.
func workflow(edit func(*spec.Workflow)) *spec.Workflow {
	w := &spec.Workflow{
		APIVersion: spec.APIVersion,
		Kind:       spec.Kind,
		Metadata:   spec.Metadata{Name: "payments-ci-deploy", Owner: "@acme/payments", Requester: "dana"},
		Source:     spec.Source{File: "identities/aws/payments-ci-deploy.yaml"},
	}
	if edit != nil {
		edit(w)
	}
	return w
}

func owned(path string, owners ...string) reviewer.OwnedFile {
	return reviewer.OwnedFile{Path: path, Owners: owners}
}

func ptr[T any](v T) *T { return &v }

// security is the CODEOWNERS rule most cases use.
var security = []reviewer.OwnedFile{owned("identities/vault/db.yaml", "@acme/security")}

const securityDesc = "1 approval from @acme/security (CODEOWNERS of identities/vault/db.yaml)"

func TestApprovals(t *testing.T) {
	tests := []struct {
		name    string
		info    *reviewer.PRInfo // default: info
		reviews []reviewer.Review
		rules   reviewer.ApprovalRules
		want    []reviewer.Requirement
	}{
		{
			name:  "team member approves on head",
			rules: reviewer.ApprovalRules{Files: security},
			reviews: []reviewer.Review{
				approve("dave"), // not in the team
				approve("carol"),
			},
			want: []reviewer.Requirement{{
				Description: securityDesc, Satisfied: true, By: []string{"carol"},
				Reason: "approved on the head commit by carol (@acme/security)",
			}},
		},
		{
			name:    "non-member approval does not satisfy a team",
			rules:   reviewer.ApprovalRules{Files: security},
			reviews: []reviewer.Review{approve("dave")},
			want: []reviewer.Requirement{{
				Description: securityDesc, Candidates: []string{"@acme/security"},
				Reason: "pending: needs 1 approval from @acme/security; dave approved but is not a member of @acme/security",
			}},
		},
		{
			name:    "author self-approval",
			rules:   reviewer.ApprovalRules{Files: []reviewer.OwnedFile{owned("a.yaml", "@alice", "@bob")}},
			reviews: []reviewer.Review{approve("alice")},
			want: []reviewer.Requirement{{
				Description: "1 approval from one of @alice, @bob (CODEOWNERS of a.yaml)",
				Candidates:  []string{"@bob"},
				Reason:      "pending: needs 1 approval from one of @alice, @bob; alice is the PR author",
			}},
		},
		{
			name:  "the author is not a candidate even before reviewing",
			rules: reviewer.ApprovalRules{Files: []reviewer.OwnedFile{owned("a.yaml", "@alice")}},
			want: []reviewer.Requirement{{
				Description: "1 approval from @alice (CODEOWNERS of a.yaml)",
				Reason:      "pending: needs 1 approval from @alice; alice is the PR author, no listed owner can approve it",
			}},
		},
		{
			name: "bot and generator approvals",
			rules: reviewer.ApprovalRules{
				Tier:       "low",
				TierRule:   config.Tier{MinApprovals: 1, OwnerMayApprove: ptr(true)},
				Generators: []string{"ACME-ChatOps[bot]", "@gen-svc"},
			},
			reviews: []reviewer.Review{approve("acme-chatops[bot]"), approve("renovate[bot]"), approve("gen-svc")},
			want: []reviewer.Requirement{{
				Description: "1 approval (risk tier low)",
				Reason:      "pending: needs 1 approval; acme-chatops[bot] is a generator bot, gen-svc is a generator bot, renovate[bot] is a bot",
			}},
		},
		{
			name: "requester approval does not count for their spec",
			rules: reviewer.ApprovalRules{Specs: []*spec.Workflow{workflow(func(w *spec.Workflow) {
				w.Spec.Approvals.Required = []string{"@dana", "@acme/security"}
			})}},
			reviews: []reviewer.Review{approve("dana")},
			want: []reviewer.Requirement{
				{
					Description: "1 approval from @dana (approvals.required of payments-ci-deploy)",
					Reason:      "pending: needs 1 approval from @dana; dana is the requester of payments-ci-deploy, no listed owner can approve it",
				},
				{
					Description: "1 approval from @acme/security (approvals.required of payments-ci-deploy)",
					Candidates:  []string{"@acme/security"},
					Reason:      "pending: needs 1 approval from @acme/security",
				},
			},
		},
		{
			name: "the requester of any changed spec never counts",
			rules: reviewer.ApprovalRules{
				Files: []reviewer.OwnedFile{owned("identities/gcp/other.yaml", "@acme/security")},
				Specs: []*spec.Workflow{workflow(func(w *spec.Workflow) { w.Metadata.Requester = "erin" })},
			},
			reviews: []reviewer.Review{approve("erin")}, // erin is in @acme/security
			want: []reviewer.Requirement{{
				Description: "1 approval from @acme/security (CODEOWNERS of identities/gcp/other.yaml)",
				Candidates:  []string{"@acme/security"},
				Reason:      "pending: needs 1 approval from @acme/security; erin is the requester of payments-ci-deploy",
			}},
		},
		{
			name:    "stale approval",
			rules:   reviewer.ApprovalRules{Files: security},
			reviews: []reviewer.Review{review("carol", reviewer.StateApproved, old)},
			want: []reviewer.Requirement{{
				Description: securityDesc, Candidates: []string{"@acme/security"},
				Reason: "pending: needs 1 approval from @acme/security; carol's approval is on an older commit (abc1234)",
			}},
		},
		{
			name:    "stale approval by a non-member is not worth mentioning",
			rules:   reviewer.ApprovalRules{Files: security},
			reviews: []reviewer.Review{review("dave", reviewer.StateApproved, old)},
			want: []reviewer.Requirement{{
				Description: securityDesc, Candidates: []string{"@acme/security"},
				Reason: "pending: needs 1 approval from @acme/security",
			}},
		},
		{
			name:    "dismissed review",
			rules:   reviewer.ApprovalRules{Files: security},
			reviews: []reviewer.Review{review("carol", reviewer.StateDismissed, head)},
			want: []reviewer.Requirement{{
				Description: securityDesc, Candidates: []string{"@acme/security"},
				Reason: "pending: needs 1 approval from @acme/security; carol's review was dismissed",
			}},
		},
		{
			name:  "later CHANGES_REQUESTED overrides an approval",
			rules: reviewer.ApprovalRules{Files: security},
			reviews: []reviewer.Review{
				approve("carol"),
				review("carol", reviewer.StateChangesRequested, head),
				review("carol", reviewer.StateCommented, head),
			},
			want: []reviewer.Requirement{{
				Description: securityDesc, Candidates: []string{"@acme/security"},
				Reason: "pending: needs 1 approval from @acme/security; carol requested changes",
			}},
		},
		{
			name:  "later approval overrides CHANGES_REQUESTED",
			rules: reviewer.ApprovalRules{Files: security},
			reviews: []reviewer.Review{
				review("carol", reviewer.StateChangesRequested, old),
				approve("carol"),
			},
			want: []reviewer.Requirement{{
				Description: securityDesc, Satisfied: true, By: []string{"carol"},
				Reason: "approved on the head commit by carol (@acme/security)",
			}},
		},
		{
			name:  "later COMMENTED and PENDING do not override",
			rules: reviewer.ApprovalRules{Files: security},
			reviews: []reviewer.Review{
				approve("carol"),
				review("carol", reviewer.StateCommented, head),
				review("carol", reviewer.StatePending, ""),
			},
			want: []reviewer.Requirement{{
				Description: securityDesc, Satisfied: true, By: []string{"carol"},
				Reason: "approved on the head commit by carol (@acme/security)",
			}},
		},
		{
			name:  "an unknown state overrides an approval",
			rules: reviewer.ApprovalRules{Files: security},
			reviews: []reviewer.Review{
				approve("carol"),
				review("carol", "REVOKED", head),
			},
			want: []reviewer.Requirement{{
				Description: securityDesc, Candidates: []string{"@acme/security"},
				Reason: "pending: needs 1 approval from @acme/security; carol's latest review is REVOKED, which does not count",
			}},
		},
		{
			name: "minApprovals counts distinct people, not reviews",
			rules: reviewer.ApprovalRules{Specs: []*spec.Workflow{workflow(func(w *spec.Workflow) {
				w.Spec.Approvals.MinApprovals = 2
			})}},
			reviews: []reviewer.Review{approve("erin"), approve("erin"), approve("Erin")},
			want: []reviewer.Requirement{{
				Description: "2 approvals from different people (approvals.minApprovals of payments-ci-deploy)",
				By:          []string{"erin"},
				Reason:      "pending: needs 1 more approval from a different person (1 of 2 so far: erin)",
			}},
		},
		{
			name: "minApprovals met",
			rules: reviewer.ApprovalRules{Specs: []*spec.Workflow{workflow(func(w *spec.Workflow) {
				w.Spec.Approvals.MinApprovals = 2
			})}},
			reviews: []reviewer.Review{approve("erin"), approve("bob"), approve("erin")},
			want: []reviewer.Requirement{{
				Description: "2 approvals from different people (approvals.minApprovals of payments-ci-deploy)",
				Satisfied:   true, By: []string{"bob", "erin"},
				Reason: "approved on the head commit by bob, erin (2 needed)",
			}},
		},
		{
			name: "case-insensitive logins",
			info: &reviewer.PRInfo{Repo: "acme/policies", Author: "Alice", HeadSHA: strings.ToUpper(head)},
			rules: reviewer.ApprovalRules{
				Files: []reviewer.OwnedFile{owned("a.yaml", "@Bob"), owned("b.yaml", "@ACME/Security")},
				Specs: []*spec.Workflow{workflow(func(w *spec.Workflow) {
					w.Metadata.Requester = "Dana"
					w.Spec.Approvals.MinApprovals = 3
				})},
			},
			reviews: []reviewer.Review{approve("BOB"), approve("CAROL"), approve("ALICE"), approve("dANA")},
			want: []reviewer.Requirement{
				{
					Description: "1 approval from @Bob (CODEOWNERS of a.yaml)",
					Satisfied:   true, By: []string{"BOB"},
					Reason: "approved on the head commit by BOB",
				},
				{
					Description: "1 approval from @ACME/Security (CODEOWNERS of b.yaml)",
					Satisfied:   true, By: []string{"CAROL"},
					Reason: "approved on the head commit by CAROL (@ACME/Security)",
				},
				{
					Description: "3 approvals from different people (approvals.minApprovals of payments-ci-deploy)",
					By:          []string{"BOB", "CAROL"},
					Reason:      "pending: needs 1 more approval from a different person (2 of 3 so far: BOB, CAROL); ALICE is the PR author, dANA is the requester of payments-ci-deploy",
				},
			},
		},
		{
			name: "risk tier whose owner may not approve",
			rules: reviewer.ApprovalRules{
				Tier:     "high",
				TierRule: config.Tier{Approvers: []string{"@acme/security"}, MinApprovals: 2, OwnerMayApprove: ptr(false)},
				Specs: []*spec.Workflow{workflow(func(w *spec.Workflow) {
					w.Spec.Approvals = spec.Approvals{Required: []string{"@ACME/security"}, MinApprovals: 2}
				})},
			},
			reviews: []reviewer.Review{approve("frank"), approve("carol"), review("erin", reviewer.StateApproved, old)},
			want: []reviewer.Requirement{
				{
					Description: "1 approval from @acme/security (risk tier high; approvals.required of payments-ci-deploy)",
					Satisfied:   true, By: []string{"carol"},
					Reason: "approved on the head commit by carol (@acme/security)",
				},
				{
					Description: "2 approvals from different people, not counting the owner @acme/payments (risk tier high)",
					By:          []string{"carol"},
					Reason:      "pending: needs 1 more approval from a different person (1 of 2 so far: carol); erin's approval is on an older commit (abc1234), frank is a member of the owner @acme/payments",
				},
				{
					Description: "2 approvals from different people (approvals.minApprovals of payments-ci-deploy)",
					Satisfied:   true, By: []string{"carol", "frank"},
					Reason: "approved on the head commit by carol, frank (2 needed)",
				},
			},
		},
		{
			name: "risk tier whose owner may approve merges with the spec's count",
			rules: reviewer.ApprovalRules{
				Tier:     "high",
				TierRule: config.Tier{MinApprovals: 2, OwnerMayApprove: ptr(true)},
				Specs: []*spec.Workflow{workflow(func(w *spec.Workflow) {
					w.Spec.Approvals.MinApprovals = 2
				})},
			},
			reviews: []reviewer.Review{approve("frank"), approve("carol")},
			want: []reviewer.Requirement{{
				Description: "2 approvals from different people (risk tier high; approvals.minApprovals of payments-ci-deploy)",
				Satisfied:   true, By: []string{"carol", "frank"},
				Reason: "approved on the head commit by carol, frank (2 needed)",
			}},
		},
		{
			name: "a user owner may not approve when the tier says so",
			rules: reviewer.ApprovalRules{
				Tier:     "critical",
				TierRule: config.Tier{MinApprovals: 1}, // unset ownerMayApprove reads as false
				Specs:    []*spec.Workflow{workflow(func(w *spec.Workflow) { w.Metadata.Owner = "@bob" })},
			},
			reviews: []reviewer.Review{approve("bob")},
			want: []reviewer.Requirement{{
				Description: "1 approval, not counting the owner @bob (risk tier critical)",
				Reason:      "pending: needs 1 approval; bob is the owner",
			}},
		},
		{
			name: "files with the same owners merge into one requirement",
			rules: reviewer.ApprovalRules{Files: []reviewer.OwnedFile{
				owned("a.yaml", "@acme/security"),
				owned("b.yaml", "@bob", "@acme/security"),
				owned("c.yaml", "@ACME/Security"),
				owned("d.yaml"), // unowned
				owned("e.yaml", "@acme/security", "@Bob"),
				owned("f.yaml", "@acme/security"),
				owned("g.yaml", "@acme/security"),
			}},
			reviews: []reviewer.Review{approve("bob")},
			want: []reviewer.Requirement{
				{
					Description: "1 approval from @acme/security (CODEOWNERS of a.yaml, c.yaml, f.yaml and 1 more)",
					Candidates:  []string{"@acme/security"},
					Reason:      "pending: needs 1 approval from @acme/security; bob approved but is not a member of @acme/security",
				},
				{
					Description: "1 approval from one of @bob, @acme/security (CODEOWNERS of b.yaml, e.yaml)",
					Satisfied:   true, By: []string{"bob"},
					Reason: "approved on the head commit by bob",
				},
			},
		},
		{
			name: "email and malformed owners cannot be verified",
			rules: reviewer.ApprovalRules{
				Files:    []reviewer.OwnedFile{owned("a.yaml", "ops@example.com")},
				Tier:     "medium",
				TierRule: config.Tier{Approvers: []string{"security-team"}},
			},
			reviews: []reviewer.Review{approve("carol")},
			want: []reviewer.Requirement{
				{
					Description: "1 approval from ops@example.com (CODEOWNERS of a.yaml)",
					Reason:      "pending: needs 1 approval from ops@example.com; ops@example.com is an email address, which nhigate cannot match to a GitHub login (name the owner as @login or @org/team), no listed owner can approve it",
				},
				{
					Description: "1 approval from security-team (risk tier medium)",
					Reason:      `pending: needs 1 approval from security-team; "security-team" is not an @login, @org/team or email address, no listed owner can approve it`,
				},
			},
		},
		{
			name: "an email beside a team leaves the team to approve",
			rules: reviewer.ApprovalRules{Files: []reviewer.OwnedFile{
				owned("a.yaml", "ops@example.com", "@acme/security"),
			}},
			reviews: []reviewer.Review{approve("erin")},
			want: []reviewer.Requirement{{
				Description: "1 approval from one of ops@example.com, @acme/security (CODEOWNERS of a.yaml)",
				Satisfied:   true, By: []string{"erin"},
				Reason: "approved on the head commit by erin (@acme/security)",
			}},
		},
		{
			name: "a review without a user (a deleted account) never counts",
			rules: reviewer.ApprovalRules{
				Tier:     "low",
				TierRule: config.Tier{MinApprovals: 1, OwnerMayApprove: ptr(true)},
			},
			reviews: []reviewer.Review{approve("")},
			want: []reviewer.Requirement{{
				Description: "1 approval (risk tier low)",
				Reason:      "pending: needs 1 approval",
			}},
		},
		{
			name: "tier none requires nothing",
			rules: reviewer.ApprovalRules{
				Tier:     "none",
				TierRule: config.Tier{Approvers: []string{"@acme/security"}, MinApprovals: 2},
				Files:    []reviewer.OwnedFile{owned("a.yaml")},
			},
			want: []reviewer.Requirement{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := pulltest.Context{InfoValue: info, Permissions: writers, ReviewsValue: tt.reviews, Teams: teams}
			if tt.info != nil {
				pr.InfoValue = *tt.info
			}
			got, err := reviewer.Approvals(context.Background(), pr, tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			// The structured approvals are checked on their own below.
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(reviewer.Requirement{}, "Approvals")); diff != "" {
				t.Errorf("Approvals mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// An empty rule set requires nothing and asks GitHub nothing: every method
// of the fake fails, so a call would show as an error.
func TestApprovalsEmpty(t *testing.T) {
	boom := errors.New("unexpected call")
	pr := pulltest.Context{InfoError: boom, ReviewsError: boom, TeamError: boom}
	got, err := reviewer.Approvals(context.Background(), pr, reviewer.ApprovalRules{})
	if err != nil {
		t.Fatal(err)
	}
	// Empty, not nil: nil means "not checked" to reviewer.Decide.
	if got == nil || len(got) != 0 {
		t.Errorf("Approvals = %#v, want an empty, non-nil slice", got)
	}
}

func TestApprovalsErrors(t *testing.T) {
	boom := errors.New("502 Bad Gateway")
	rules := reviewer.ApprovalRules{Files: security}
	tests := []struct {
		name  string
		pr    pulltest.Context
		rules reviewer.ApprovalRules
		is    error  // the error must wrap this, if set
		want  string // and contain this
	}{
		{
			name: "pull request",
			pr:   pulltest.Context{InfoError: boom},
			is:   boom, want: "get pull request: 502 Bad Gateway",
		},
		{
			name: "reviews",
			pr:   pulltest.Context{InfoValue: info, Permissions: writers, ReviewsError: boom},
			is:   boom, want: "list reviews: 502 Bad Gateway",
		},
		{
			name: "team membership",
			pr:   pulltest.Context{InfoValue: info, Permissions: writers, ReviewsValue: []reviewer.Review{approve("carol")}, TeamError: boom},
			is:   boom, want: "check whether carol is a member of @acme/security: 502 Bad Gateway",
		},
		{
			name: "team membership while explaining a pending requirement",
			pr: pulltest.Context{
				InfoValue: info, TeamError: boom,
				ReviewsValue: []reviewer.Review{review("carol", reviewer.StateApproved, old)},
			},
			is: boom, want: "check whether carol is a member of @acme/security",
		},
		{
			name: "commits",
			pr:   pulltest.Context{InfoValue: info, ReviewsValue: []reviewer.Review{approve("carol")}, CommitsError: boom},
			is:   boom, want: "list the commits of the pull request: 502 Bad Gateway",
		},
		{
			name: "permission",
			pr:   pulltest.Context{InfoValue: info, ReviewsValue: []reviewer.Review{approve("carol")}, Teams: teams, PermissionError: boom},
			is:   boom, want: "check the permission of carol on acme/policies: 502 Bad Gateway",
		},
		{
			name: "no head commit",
			pr:   pulltest.Context{InfoValue: reviewer.PRInfo{Author: "alice"}},
			want: "no head commit",
		},
		{
			name:  "head moved",
			pr:    pulltest.Context{InfoValue: info, Permissions: writers, ReviewsValue: []reviewer.Review{approve("carol")}, Teams: teams},
			rules: reviewer.ApprovalRules{Files: security, Head: old},
			want:  "moved from abc1234 to 1111111",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rules
			if r.Files == nil {
				r = rules
			}
			got, err := reviewer.Approvals(context.Background(), tt.pr, r)
			if err == nil {
				t.Fatalf("Approvals = %+v, want an error", got)
			}
			if got != nil {
				t.Errorf("Approvals returned requirements with an error: %+v", got)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestApprovalsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pr := pulltest.Context{InfoValue: info, Permissions: writers, Teams: teams}
	if _, err := reviewer.Approvals(ctx, pr, reviewer.ApprovalRules{Files: security}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// countingPR counts membership questions, to show they are asked once.
type countingPR struct {
	pulltest.Context
	calls *int
}

func (c countingPR) IsTeamMember(ctx context.Context, org, team, login string) (bool, error) {
	*c.calls++
	return c.Context.IsTeamMember(ctx, org, team, login)
}

// permissionPR records whose permission was asked.
type permissionPR struct {
	pulltest.Context
	asked *[]string
}

func (p permissionPR) Permission(ctx context.Context, login string) (reviewer.Permission, error) {
	*p.asked = append(*p.asked, login)
	return p.Context.Permission(ctx, login)
}

// Permission is asked once per reviewer, and only of those who would
// otherwise count: not of the author, a pusher, or a stale approval.
func TestApprovalsAsksPermissionOnce(t *testing.T) {
	var asked []string
	pr := permissionPR{pulltest.Context{
		InfoValue: info, Teams: teams, Permissions: writers,
		CommitsValue: []reviewer.Commit{{SHA: "c1", Author: "zed", Committer: "web-flow"}},
		ReviewsValue: []reviewer.Review{
			approve("alice"), approve("zed"), review("erin", reviewer.StateApproved, old),
			approve("carol"), approve("Carol"), approve("bob"),
		},
	}, &asked}
	rules := reviewer.ApprovalRules{
		Files:    []reviewer.OwnedFile{owned("a.yaml", "@acme/security"), owned("b.yaml", "@bob")},
		Tier:     "high",
		TierRule: config.Tier{Approvers: []string{"@acme/security"}, MinApprovals: 2, OwnerMayApprove: ptr(true)},
	}
	if _, err := reviewer.Approvals(context.Background(), pr, rules); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"bob", "carol"}, asked); diff != "" {
		t.Errorf("permissions asked (-want +got):\n%s", diff)
	}
}

// A team of another organisation is never asked about: no one can approve
// for it.
func TestApprovalsNeverAskForeignTeams(t *testing.T) {
	var calls int
	pr := countingPR{pulltest.Context{
		InfoValue: info, Permissions: writers, ReviewsValue: []reviewer.Review{approve("erin")},
		Teams: map[string][]string{"other/security": {"erin"}},
	}, &calls}
	got, err := reviewer.Approvals(context.Background(), pr, reviewer.ApprovalRules{Files: []reviewer.OwnedFile{owned("a.yaml", "@other/security")}})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 0 || got[0].Satisfied {
		t.Errorf("IsTeamMember called %d times, satisfied %v; want 0 calls, unsatisfied", calls, got[0].Satisfied)
	}
}

func TestApprovalsAsksMembershipOnce(t *testing.T) {
	var calls int
	pr := countingPR{pulltest.Context{InfoValue: info, Permissions: writers, Teams: teams, ReviewsValue: []reviewer.Review{approve("dave")}}, &calls}
	rules := reviewer.ApprovalRules{
		Files:    []reviewer.OwnedFile{owned("a.yaml", "@acme/security"), owned("b.yaml", "@acme/security", "@bob")},
		Tier:     "high",
		TierRule: config.Tier{Approvers: []string{"@acme/security"}},
	}
	if _, err := reviewer.Approvals(context.Background(), pr, rules); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("IsTeamMember called %d times for one team and one reviewer, want 1", calls)
	}
}

// TestApprovalRecords checks the structured record of each counted review,
// which attestations carry: who, for which owner, on which commit, when.
func TestApprovalRecords(t *testing.T) {
	head := "1111111111111111111111111111111111111111"
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	pr := pulltest.Context{
		InfoValue:   reviewer.PRInfo{Number: 7, Repo: "acme/policies", Author: "alice", HeadSHA: head},
		Permissions: writers,
		ReviewsValue: []reviewer.Review{
			{ID: 1, User: "carol", State: reviewer.StateApproved, CommitID: head, SubmittedAt: at},
			{ID: 2, User: "bob", State: reviewer.StateApproved, CommitID: head, SubmittedAt: at.Add(time.Minute)},
		},
		Teams: map[string][]string{"acme/security": {"carol"}},
	}
	got, err := reviewer.Approvals(context.Background(), pr, reviewer.ApprovalRules{
		Files:    []reviewer.OwnedFile{{Path: "identities/a.yaml", Owners: []string{"@acme/security"}}},
		Tier:     "medium",
		TierRule: config.Tier{MinApprovals: 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]reviewer.Approval{
		{{Login: "carol", Satisfies: "@acme/security", CommitID: head, At: at}},
		{{Login: "bob", CommitID: head, At: at.Add(time.Minute)}, {Login: "carol", CommitID: head, At: at}},
	}
	var records [][]reviewer.Approval
	for _, r := range got {
		records = append(records, r.Approvals)
	}
	if diff := cmp.Diff(want, records); diff != "" {
		t.Errorf("approval records (-want +got):\n%s", diff)
	}
}

// TestApproverIntegrity covers who may approve at all: only people with
// write access, never someone who pushed to the pull request, never an
// owner or requester the pull request moved away from, and never a team of
// another organisation.
func TestApproverIntegrity(t *testing.T) {
	read := reviewer.Permission{Level: "read", Role: "read"}
	lowTier := reviewer.ApprovalRules{Tier: "low", TierRule: config.Tier{MinApprovals: 1, OwnerMayApprove: ptr(true)}}
	oneApproval := "1 approval (risk tier low)"
	// strictTier is a tier whose owners may not approve, over a pull
	// request that moved the spec from @acme/payments (frank) to
	// @acme/platform (bob) and from requester dana to zed.
	moved := func(edit func(*spec.Workflow)) reviewer.ApprovalRules {
		base := workflow(nil)
		headSpec := workflow(func(w *spec.Workflow) {
			w.Metadata.Owner, w.Metadata.Requester = "@acme/platform", "zed"
			if edit != nil {
				edit(w)
			}
		})
		return reviewer.ApprovalRules{
			Tier:     "high",
			TierRule: config.Tier{MinApprovals: 1, OwnerMayApprove: ptr(false)},
			Specs:    []*spec.Workflow{headSpec}, Base: []*spec.Workflow{base},
		}
	}
	tests := []struct {
		name    string
		perms   map[string]reviewer.Permission // default writers
		commits []reviewer.Commit
		teams   map[string][]string // default teams
		reviews []reviewer.Review
		rules   reviewer.ApprovalRules
		want    []reviewer.Requirement
	}{
		{
			name:    "a read-only approver does not count",
			perms:   map[string]reviewer.Permission{"eve": read, "bob": {Level: "write", Role: "write"}},
			reviews: []reviewer.Review{approve("eve")},
			rules:   lowTier,
			want: []reviewer.Requirement{{
				Description: oneApproval,
				Reason:      "pending: needs 1 approval; eve has no write access to acme/policies (permission read)",
			}},
		},
		{
			name:    "an unknown user does not count",
			reviews: []reviewer.Review{approve("eve2")},
			rules:   lowTier,
			want: []reviewer.Requirement{{
				Description: oneApproval,
				Reason:      "pending: needs 1 approval; eve2 has no write access to acme/policies (permission none)",
			}},
		},
		{
			name: "admin, maintain, write and custom roles on write count; triage and custom roles on read do not",
			perms: map[string]reviewer.Permission{
				"ann": {Level: "admin", Role: "admin"}, "max": {Level: "write", Role: "maintain"},
				"wes": {Level: "write", Role: "write"}, "cus": {Level: "write", Role: "deployer"},
				"tri": {Level: "read", Role: "triage"}, "aud": {Level: "read", Role: "auditor"},
				"odd": {Level: "write", Role: "triage"},
			},
			reviews: []reviewer.Review{approve("ann"), approve("max"), approve("wes"), approve("cus"), approve("tri"), approve("aud"), approve("odd")},
			rules:   reviewer.ApprovalRules{Tier: "low", TierRule: config.Tier{MinApprovals: 5, OwnerMayApprove: ptr(true)}},
			want: []reviewer.Requirement{{
				Description: "5 approvals from different people (risk tier low)",
				By:          []string{"ann", "cus", "max", "wes"},
				Reason: "pending: needs 1 more approval from a different person (4 of 5 so far: ann, cus, max, wes); " +
					"aud has no write access to acme/policies (permission read as role auditor), " +
					"odd has no write access to acme/policies (permission write as role triage), " +
					"tri has no write access to acme/policies (permission read as role triage)",
			}},
		},
		{
			name:    "a named approver without write access can never approve",
			perms:   map[string]reviewer.Permission{"eve": read},
			reviews: []reviewer.Review{approve("eve")},
			rules: reviewer.ApprovalRules{Specs: []*spec.Workflow{workflow(func(w *spec.Workflow) {
				w.Spec.Approvals.Required = []string{"@eve"}
			})}},
			want: []reviewer.Requirement{{
				Description: "1 approval from @eve (approvals.required of payments-ci-deploy)",
				Reason:      "pending: needs 1 approval from @eve; eve has no write access to acme/policies (permission read), no listed owner can approve it",
			}},
		},
		{
			name:    "a team member without write access does not count",
			perms:   map[string]reviewer.Permission{"carol": read},
			reviews: []reviewer.Review{approve("carol")},
			rules:   reviewer.ApprovalRules{Files: security},
			want: []reviewer.Requirement{{
				Description: securityDesc, Candidates: []string{"@acme/security"},
				Reason: "pending: needs 1 approval from @acme/security; carol has no write access to acme/policies (permission read)",
			}},
		},
		{
			name:    "whoever authored a commit does not approve",
			commits: []reviewer.Commit{{SHA: "c1", Author: "alice", Committer: "alice"}, {SHA: "c2", Author: "Carol", Committer: "alice"}},
			reviews: []reviewer.Review{approve("carol")},
			rules:   reviewer.ApprovalRules{Files: security},
			want: []reviewer.Requirement{{
				Description: securityDesc, Candidates: []string{"@acme/security"},
				Reason: "pending: needs 1 approval from @acme/security; carol pushed commits to this pull request",
			}},
		},
		{
			name:    "whoever committed a commit does not approve",
			commits: []reviewer.Commit{{SHA: "c1", Author: "", Committer: "bob"}},
			reviews: []reviewer.Review{approve("bob"), approve("carol")},
			rules:   reviewer.ApprovalRules{Tier: "low", TierRule: config.Tier{MinApprovals: 2, OwnerMayApprove: ptr(true)}},
			want: []reviewer.Requirement{{
				Description: "2 approvals from different people (risk tier low)",
				By:          []string{"carol"},
				Reason:      "pending: needs 1 more approval from a different person (1 of 2 so far: carol); bob pushed commits to this pull request",
			}},
		},
		{
			name:    "a named approver who pushed can never approve",
			commits: []reviewer.Commit{{SHA: "c1", Author: "mallory", Committer: "mallory"}},
			reviews: []reviewer.Review{approve("mallory")},
			rules: reviewer.ApprovalRules{Specs: []*spec.Workflow{workflow(func(w *spec.Workflow) {
				w.Spec.Approvals.Required = []string{"@mallory"}
			})}},
			want: []reviewer.Requirement{{
				Description: "1 approval from @mallory (approvals.required of payments-ci-deploy)",
				Reason:      "pending: needs 1 approval from @mallory; mallory pushed commits to this pull request, no listed owner can approve it",
			}},
		},
		{
			name:    "web-flow, GitHub's committer for web edits and merges, excludes no one",
			commits: []reviewer.Commit{{SHA: "c1", Author: "alice", Committer: "web-flow"}},
			reviews: []reviewer.Review{approve("carol")},
			rules:   reviewer.ApprovalRules{Files: security},
			want: []reviewer.Requirement{{
				Description: securityDesc, Satisfied: true, By: []string{"carol"},
				Reason: "approved on the head commit by carol (@acme/security)",
			}},
		},
		{
			name:    "the owner at base does not count when the pull request changes the owner",
			reviews: []reviewer.Review{approve("frank"), approve("bob")},
			teams:   map[string][]string{"acme/payments": {"frank"}, "acme/platform": {"bob"}},
			rules:   moved(nil),
			want: []reviewer.Requirement{{
				Description: "1 approval, not counting the owner @acme/platform, @acme/payments (risk tier high)",
				Reason:      "pending: needs 1 approval; bob is a member of the owner @acme/platform, frank is a member of the owner @acme/payments",
			}},
		},
		{
			name:    "the owner of another spec of the same principal does not count",
			reviews: []reviewer.Review{approve("erin")},
			rules: func() reviewer.ApprovalRules {
				r := moved(func(w *spec.Workflow) { w.Metadata.Owner = "@acme/platform" })
				r.Base = nil
				r.Context = []*spec.Workflow{workflow(func(w *spec.Workflow) {
					w.Metadata.Name, w.Metadata.Owner = "payments-ci-other", "@erin"
				})}
				return r
			}(),
			teams: map[string][]string{"acme/platform": {"bob"}},
			want: []reviewer.Requirement{{
				Description: "1 approval, not counting the owner @acme/platform, @erin (risk tier high)",
				Reason:      "pending: needs 1 approval; erin is the owner",
			}},
		},
		{
			name:    "the requester at base does not count when the pull request changes the requester",
			reviews: []reviewer.Review{approve("dana")},
			rules:   reviewer.ApprovalRules{Files: security, Specs: moved(nil).Specs, Base: moved(nil).Base},
			teams:   map[string][]string{"acme/security": {"dana"}},
			want: []reviewer.Requirement{{
				Description: securityDesc, Candidates: []string{"@acme/security"},
				Reason: "pending: needs 1 approval from @acme/security; dana is the requester of payments-ci-deploy",
			}},
		},
		{
			name:    "a team of another organisation can never approve",
			teams:   map[string][]string{"mallory-org/security": {"eve"}, "acme/security": {"carol"}},
			perms:   pulltest.Writers("eve", "carol"),
			reviews: []reviewer.Review{approve("eve"), approve("carol")},
			rules: reviewer.ApprovalRules{
				Files: []reviewer.OwnedFile{owned("a.yaml", "@mallory-org/security"), owned("b.yaml", "@Mallory-Org/security", "@ACME/security")},
			},
			want: []reviewer.Requirement{
				{
					Description: "1 approval from @mallory-org/security (CODEOWNERS of a.yaml)",
					Reason:      "pending: needs 1 approval from @mallory-org/security; @mallory-org/security is a team of another organisation than acme (the owner of acme/policies): only teams of acme can approve, no listed owner can approve it",
				},
				{
					Description: "1 approval from one of @Mallory-Org/security, @ACME/security (CODEOWNERS of b.yaml)",
					Satisfied:   true, By: []string{"carol"},
					Reason: "approved on the head commit by carol (@ACME/security)",
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := pulltest.Context{InfoValue: info, ReviewsValue: tt.reviews, CommitsValue: tt.commits, Teams: teams, Permissions: writers}
			if tt.perms != nil {
				pr.Permissions = tt.perms
			}
			if tt.teams != nil {
				pr.Teams = tt.teams
			}
			got, err := reviewer.Approvals(context.Background(), pr, tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(reviewer.Requirement{}, "Approvals")); diff != "" {
				t.Errorf("Approvals mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

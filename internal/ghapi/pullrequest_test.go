package ghapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nhigate/nhigate/internal/ghtest"
)

func TestInfo(t *testing.T) {
	c, srv, _ := setup(t)
	addPR(srv)
	srv.AddPullRequest(ghtest.PullRequest{
		Owner: "acme", Repo: "policy", Number: 8, Author: "mallory", Draft: true,
		HeadSHA: headSHA, HeadRef: "main", BaseSHA: baseSHA, BaseRef: "main",
		HeadOwner: "mallory",
	})
	ctx := context.Background()

	pr := c.PullRequest("acme", "policy", 7)
	got, err := pr.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := PRInfo{Number: 7, Repo: "acme/policy", Author: "chatops-bot[bot]", HeadSHA: headSHA, BaseSHA: baseSHA}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Info (-want +got):\n%s", diff)
	}
	if fork, err := pr.IsFork(ctx); err != nil || fork {
		t.Errorf("IsFork = %v, %v; want false", fork, err)
	}
	if _, err := pr.Info(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.Requests(), []string{"GET /api/v3/repos/acme/policy/pulls/7"}; !cmp.Equal(got, want) {
		t.Errorf("requests = %q, want one (cached): %q", got, want)
	}

	fork := c.PullRequest("acme", "policy", 8)
	got, err = fork.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Draft || got.Author != "mallory" {
		t.Errorf("Info of draft fork = %+v", got)
	}
	if isFork, err := fork.IsFork(ctx); err != nil || !isFork {
		t.Errorf("IsFork = %v, %v; want true", isFork, err)
	}
}

func TestInfoNotFound(t *testing.T) {
	c, _, sl := setup(t)
	_, err := c.PullRequest("acme", "policy", 99).Info(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusNotFound {
		t.Fatalf("err = %v, want a 404 *Error", err)
	}
	if !strings.Contains(err.Error(), "get pull request acme/policy#99") || !strings.Contains(err.Error(), "the token cannot see it") {
		t.Errorf("err = %q, want what was done and a hint", err)
	}
	if len(sl.Waits()) != 0 {
		t.Errorf("a 404 was retried: waits %v", sl.Waits())
	}
}

func TestInvalidNames(t *testing.T) {
	c, srv, _ := setup(t)
	ctx := context.Background()
	for _, tc := range []struct {
		owner, repo string
		number      int
	}{
		{"..", "policy", 1},
		{"acme", "../../orgs/x", 1},
		{"acme", "policy", 0},
		{"", "policy", 1},
		{"acme", "po licy", 1},
	} {
		if _, err := c.PullRequest(tc.owner, tc.repo, tc.number).Info(ctx); err == nil {
			t.Errorf("Info(%q, %q, %d) succeeded", tc.owner, tc.repo, tc.number)
		}
		if _, err := c.PullRequest(tc.owner, tc.repo, tc.number).Reviews(ctx); err == nil {
			t.Errorf("Reviews(%q, %q, %d) succeeded", tc.owner, tc.repo, tc.number)
		}
	}
	if _, err := c.PullRequest("acme", "policy", 7).IsTeamMember(ctx, "acme", "../x", "alice"); err == nil {
		t.Error("IsTeamMember with a bad slug succeeded")
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("invalid names reached the server: %q", srv.Requests())
	}
}

func TestReviewsPagination(t *testing.T) {
	c, srv, _ := setup(t)
	addPR(srv)
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var want []Review
	for i := range 250 {
		r := ghtest.Review{
			ID: int64(i + 1), User: fmt.Sprintf("user%d", i), State: "APPROVED",
			CommitID: headSHA, SubmittedAt: start.Add(time.Duration(i) * time.Minute),
		}
		srv.AddReviews("acme", "policy", 7, r)
		want = append(want, Review{ID: r.ID, User: r.User, State: r.State, CommitID: r.CommitID, SubmittedAt: r.SubmittedAt})
	}
	pr := c.PullRequest("acme", "policy", 7)
	got, err := pr.Reviews(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Reviews (-want +got):\n%s", diff)
	}
	var queries []string
	for _, r := range srv.RequestLog() {
		queries = append(queries, r.RawQuery)
	}
	wantQueries := []string{"page=1&per_page=100", "page=2&per_page=100", "page=3&per_page=100"}
	if diff := cmp.Diff(wantQueries, queries); diff != "" {
		t.Errorf("pages requested (-want +got):\n%s", diff)
	}

	// Cached, and the cache cannot be changed through the result.
	got[0].State = "DISMISSED"
	again, err := pr.Reviews(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if again[0].State != "APPROVED" || len(srv.Requests()) != 3 {
		t.Errorf("second Reviews: state %q after %d requests; want cached APPROVED after 3", again[0].State, len(srv.Requests()))
	}
}

func TestReviewsShape(t *testing.T) {
	c, mux, _ := setupMux(t)
	mux.HandleFunc("/repos/acme/policy/pulls/7/reviews", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testAuth(t, r)
		if got := r.URL.Query().Get("per_page"); got != "100" {
			t.Errorf("per_page = %q, want 100", got)
		}
		// From GitHub's "List reviews for a pull request" example, with a
		// review created before and submitted after another, one still
		// pending, and one by a deleted user. GitHub's order is kept.
		fmt.Fprint(w, `[
		  {"id": 80, "node_id": "MDE3OlB1bGxSZXF1ZXN0UmV2aWV3ODA=",
		   "user": {"login": "octocat", "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": false},
		   "body": "Here is the body for the review.", "state": "APPROVED",
		   "html_url": "https://github.com/octocat/Hello-World/pull/12#pullrequestreview-80",
		   "pull_request_url": "https://api.github.com/repos/octocat/Hello-World/pulls/12",
		   "_links": {"html": {"href": "x"}, "pull_request": {"href": "y"}},
		   "submitted_at": "2019-11-17T17:43:43Z", "commit_id": "ecdd80bb57125d7ba9641ffaa4d7d2c19d3f3091",
		   "author_association": "COLLABORATOR"},
		  {"id": 81, "node_id": "x", "user": {"login": "hubot"}, "body": "", "state": "CHANGES_REQUESTED",
		   "submitted_at": "2019-11-17T17:40:00Z", "commit_id": "ecdd80bb57125d7ba9641ffaa4d7d2c19d3f3091"},
		  {"id": 82, "node_id": "y", "user": {"login": "monalisa"}, "body": "", "state": "PENDING",
		   "commit_id": "ecdd80bb57125d7ba9641ffaa4d7d2c19d3f3091"},
		  {"id": 83, "node_id": "z", "user": null, "body": "", "state": "COMMENTED",
		   "submitted_at": "2019-11-18T08:00:00Z", "commit_id": "ecdd80bb57125d7ba9641ffaa4d7d2c19d3f3091"}
		]`)
	})
	got, err := c.PullRequest("acme", "policy", 7).Reviews(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sha := "ecdd80bb57125d7ba9641ffaa4d7d2c19d3f3091"
	want := []Review{
		{ID: 80, User: "octocat", State: "APPROVED", CommitID: sha, SubmittedAt: time.Date(2019, 11, 17, 17, 43, 43, 0, time.UTC)},
		{ID: 81, User: "hubot", State: "CHANGES_REQUESTED", CommitID: sha, SubmittedAt: time.Date(2019, 11, 17, 17, 40, 0, 0, time.UTC)},
		{ID: 82, User: "monalisa", State: "PENDING", CommitID: sha},
		{ID: 83, User: "", State: "COMMENTED", CommitID: sha, SubmittedAt: time.Date(2019, 11, 18, 8, 0, 0, 0, time.UTC)},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("Reviews (-want +got):\n%s", diff)
	}
}

func TestIsTeamMember(t *testing.T) {
	c, srv, _ := setup(t)
	srv.SetTeamMember("acme", "security", "alice", "active")
	srv.SetTeamMember("acme", "security", "bob", "pending")
	pr := c.PullRequest("acme", "policy", 7)
	ctx := context.Background()

	for _, tc := range []struct {
		login string
		want  bool
	}{
		{"alice", true},
		{"Alice", true}, // logins are case-insensitive
		{"bob", false},  // a pending invitation is not membership
		{"carol", false},
	} {
		got, err := pr.IsTeamMember(ctx, "acme", "security", tc.login)
		if err != nil {
			t.Errorf("IsTeamMember(%s): %v", tc.login, err)
		} else if got != tc.want {
			t.Errorf("IsTeamMember(%s) = %v, want %v", tc.login, got, tc.want)
		}
	}
	wantRequests := []string{
		"GET /api/v3/orgs/acme/teams/security/memberships/alice",
		// Alice is cached under any case.
		"GET /api/v3/orgs/acme/teams/security/memberships/bob",
		"GET /api/v3/orgs/acme/teams/security/memberships/carol",
		"GET /api/v3/orgs/acme/teams/security", // is the 404 about carol or the team?
	}
	if diff := cmp.Diff(wantRequests, srv.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if got, err := pr.IsTeamMember(ctx, "acme", "security", "carol"); err != nil || got {
		t.Errorf("cached IsTeamMember(carol) = %v, %v", got, err)
	}
	if n := len(srv.Requests()); n != len(wantRequests) {
		t.Errorf("the cached answer made %d more requests", n-len(wantRequests))
	}

	// A team the token cannot see must not read as "not a member".
	_, err := pr.IsTeamMember(ctx, "acme", "secret-team", "alice")
	if err == nil || !strings.Contains(err.Error(), "cannot see it") || !strings.Contains(err.Error(), "read:org") {
		t.Errorf("invisible team: err = %v, want advice about the token", err)
	}
}

func TestTeamMembershipShape(t *testing.T) {
	c, mux, _ := setupMux(t)
	mux.HandleFunc("/orgs/acme/teams/security/memberships/alice", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testAuth(t, r)
		fmt.Fprint(w, `{"url": "https://api.github.com/teams/1/memberships/alice", "role": "maintainer", "state": "active"}`)
	})
	got, err := c.PullRequest("acme", "policy", 7).IsTeamMember(context.Background(), "acme", "security", "alice")
	if err != nil || !got {
		t.Errorf("IsTeamMember = %v, %v; want true", got, err)
	}
}

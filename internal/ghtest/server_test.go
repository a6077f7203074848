package ghtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const sha = "6dcb09b5b57875f334f61aebed695e2e4193db5e"

func setup(t *testing.T) *Server {
	t.Helper()
	s := NewServer()
	t.Cleanup(s.Close)
	s.AddPullRequest(PullRequest{Owner: "acme", Repo: "policy", Number: 7, Author: "bot[bot]", HeadSHA: sha, BaseSHA: sha, HeadRef: "f", BaseRef: "main"})
	return s
}

// do sends a request with the server's token and decodes a JSON answer.
func do(t *testing.T, s *Server, method, path, body string, out any) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp
}

func TestAuth(t *testing.T) {
	s := setup(t)
	for _, tc := range []struct {
		header  string
		status  int
		message string
	}{
		{"", 401, "Requires authentication"},
		{"Bearer wrong", 401, "Bad credentials"},
		{"Basic " + DefaultToken, 401, "Bad credentials"},
		{"Bearer " + DefaultToken, 200, ""},
		{"token " + DefaultToken, 200, ""},
	} {
		req, _ := http.NewRequest("GET", s.URL+"/repos/acme/policy/pulls/7", nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Message          string `json:"message"`
			DocumentationURL string `json:"documentation_url"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || body.Message != tc.message && tc.status != 200 {
			t.Errorf("Authorization %q: %d %q, want %d %q", tc.header, resp.StatusCode, body.Message, tc.status, tc.message)
		}
		if tc.status != 200 && body.DocumentationURL == "" {
			t.Errorf("Authorization %q: no documentation_url", tc.header)
		}
		if resp.Header.Get("X-RateLimit-Limit") == "" {
			t.Errorf("Authorization %q: no rate-limit headers", tc.header)
		}
	}
}

func TestRateLimitHeaders(t *testing.T) {
	s := setup(t)
	s.RateLimit = 3
	var last http.Header
	for i := 1; i <= 4; i++ {
		resp := do(t, s, "GET", "/repos/acme/policy/pulls/7", "", nil)
		h := resp.Header
		for _, name := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used", "X-RateLimit-Resource"} {
			if h.Get(name) == "" {
				t.Errorf("request %d: no %s", i, name)
			}
		}
		remaining, _ := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
		if want := max(3-i, 0); remaining != want {
			t.Errorf("request %d: remaining %d, want %d", i, remaining, want)
		}
		if i == 4 && resp.StatusCode != 403 {
			t.Errorf("request over the limit: %d, want 403", resp.StatusCode)
		}
		last = h
	}
	reset, _ := strconv.ParseInt(last.Get("X-RateLimit-Reset"), 10, 64)
	if d := time.Until(time.Unix(reset, 0)); d < 59*time.Minute || d > time.Hour {
		t.Errorf("reset in %v, want an hour", d)
	}
}

func TestPagination(t *testing.T) {
	s := setup(t)
	for i := range 250 {
		s.AddReviews("acme", "policy", 7, Review{User: fmt.Sprint("u", i), State: "APPROVED", CommitID: sha, SubmittedAt: time.Now()})
	}
	link := func(page, per int) string {
		return fmt.Sprintf("%s/repos/acme/policy/pulls/7/reviews?page=%d&per_page=%d", s.URL, page, per)
	}
	for _, tc := range []struct {
		query     string
		wantLen   int
		wantLinks string
	}{
		{"", 30, fmt.Sprintf(`<%s>; rel="next", <%s>; rel="last"`, link(2, 30), link(9, 30))},
		{"?per_page=100", 100, fmt.Sprintf(`<%s>; rel="next", <%s>; rel="last"`, link(2, 100), link(3, 100))},
		{"?per_page=100&page=2", 100, fmt.Sprintf(`<%s>; rel="prev", <%s>; rel="next", <%s>; rel="last", <%s>; rel="first"`, link(1, 100), link(3, 100), link(3, 100), link(1, 100))},
		{"?per_page=100&page=3", 50, fmt.Sprintf(`<%s>; rel="prev", <%s>; rel="first"`, link(2, 100), link(1, 100))},
		{"?per_page=500&page=3", 50, fmt.Sprintf(`<%s>; rel="prev", <%s>; rel="first"`, link(2, 100), link(1, 100))}, // per_page stops at 100
		{"?per_page=100&page=4", 0, fmt.Sprintf(`<%s>; rel="prev", <%s>; rel="first"`, link(3, 100), link(1, 100))},
	} {
		var page []map[string]any
		resp := do(t, s, "GET", "/repos/acme/policy/pulls/7/reviews"+tc.query, "", &page)
		if len(page) != tc.wantLen {
			t.Errorf("%s: %d reviews, want %d", tc.query, len(page), tc.wantLen)
		}
		if got := resp.Header.Get("Link"); got != tc.wantLinks {
			t.Errorf("%s: Link =\n%s\nwant\n%s", tc.query, got, tc.wantLinks)
		}
	}
}

func TestShapes(t *testing.T) {
	s := setup(t)
	submitted := time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)
	s.AddReviews("acme", "policy", 7, Review{ID: 80, User: "alice", State: "APPROVED", CommitID: sha, SubmittedAt: submitted})

	var reviews []struct {
		ID          int64  `json:"id"`
		NodeID      string `json:"node_id"`
		User        struct{ Login, Type string }
		State       string `json:"state"`
		CommitID    string `json:"commit_id"`
		SubmittedAt string `json:"submitted_at"`
		HTMLURL     string `json:"html_url"`
	}
	do(t, s, "GET", "/repos/acme/policy/pulls/7/reviews", "", &reviews)
	if len(reviews) != 1 {
		t.Fatalf("reviews = %+v", reviews)
	}
	r := reviews[0]
	if r.ID != 80 || r.NodeID == "" || r.User.Login != "alice" || r.User.Type != "User" || r.State != "APPROVED" ||
		r.CommitID != sha || r.SubmittedAt != "2026-11-25T11:00:00Z" || r.HTMLURL == "" {
		t.Errorf("review = %+v", r)
	}

	var pr struct {
		Number int    `json:"number"`
		State  string `json:"state"`
		Draft  bool   `json:"draft"`
		User   struct {
			Login string `json:"login"`
			Type  string `json:"type"`
		} `json:"user"`
		Head struct {
			SHA  string `json:"sha"`
			Ref  string `json:"ref"`
			Repo struct {
				FullName string `json:"full_name"`
				Fork     bool   `json:"fork"`
			} `json:"repo"`
		} `json:"head"`
		Base struct {
			Ref  string `json:"ref"`
			Repo struct {
				FullName string `json:"full_name"`
			} `json:"repo"`
		} `json:"base"`
		ChangedFiles int `json:"changed_files"`
	}
	do(t, s, "GET", "/api/v3/repos/acme/policy/pulls/7", "", &pr)
	if pr.Number != 7 || pr.State != "open" || pr.User.Login != "bot[bot]" || pr.User.Type != "Bot" ||
		pr.Head.SHA != sha || pr.Head.Repo.FullName != "acme/policy" || pr.Head.Repo.Fork || pr.Base.Ref != "main" {
		t.Errorf("pull request = %+v", pr)
	}

	var created struct {
		ID     int64  `json:"id"`
		NodeID string `json:"node_id"`
		Body   string `json:"body"`
		User   struct {
			Login string `json:"login"`
			Type  string `json:"type"`
		} `json:"user"`
		HTMLURL string `json:"html_url"`
	}
	resp := do(t, s, "POST", "/repos/acme/policy/issues/7/comments", `{"body": "hi"}`, &created)
	if resp.StatusCode != 201 || created.Body != "hi" || created.User.Login != DefaultLogin || created.User.Type != "Bot" || created.NodeID == "" {
		t.Errorf("created comment: %d %+v", resp.StatusCode, created)
	}
	// A person's comment is by a User, as GitHub says in user.type.
	s.AddComments("acme", "policy", 8, Comment{User: "mallory", Body: "mine"})
	var listed []struct {
		User struct {
			Login string `json:"login"`
			Type  string `json:"type"`
		} `json:"user"`
	}
	do(t, s, "GET", "/repos/acme/policy/issues/8/comments", "", &listed)
	if len(listed) != 1 || listed[0].User.Login != "mallory" || listed[0].User.Type != "User" {
		t.Errorf("listed comments = %+v, want mallory's, by a User", listed)
	}
	resp = do(t, s, "PATCH", fmt.Sprintf("/repos/acme/policy/issues/comments/%d", created.ID), `{"body": "edited"}`, &created)
	if resp.StatusCode != 200 || created.Body != "edited" {
		t.Errorf("edited comment: %d %+v", resp.StatusCode, created)
	}
	if got := s.CommentsOn("acme", "policy", 7); len(got) != 1 || got[0].Body != "edited" {
		t.Errorf("comments = %+v", got)
	}

	var status struct {
		State       string `json:"state"`
		Context     string `json:"context"`
		Description string `json:"description"`
		TargetURL   string `json:"target_url"`
		Creator     struct {
			Login string `json:"login"`
		} `json:"creator"`
	}
	resp = do(t, s, "POST", "/repos/acme/policy/statuses/"+sha, `{"state": "pending", "context": "nhigate/review", "description": "d", "target_url": "https://x"}`, &status)
	if resp.StatusCode != 201 || status.State != "pending" || status.Context != "nhigate/review" || status.Creator.Login != DefaultLogin {
		t.Errorf("status: %d %+v", resp.StatusCode, status)
	}

	s.SetTeamMember("acme", "security", "alice", "active")
	var membership struct{ URL, Role, State string }
	do(t, s, "GET", "/orgs/acme/teams/security/memberships/alice", "", &membership)
	if membership.State != "active" || membership.Role != "member" {
		t.Errorf("membership = %+v", membership)
	}
}

func TestValidation(t *testing.T) {
	s := setup(t)
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/repos/acme/policy/issues/7/comments", `{}`, 422},
		{"POST", "/repos/acme/policy/issues/7/comments", `{"body": "` + strings.Repeat("x", 65537) + `"}`, 422},
		{"POST", "/repos/acme/policy/issues/7/comments", `not json`, 400},
		{"POST", "/repos/acme/policy/issues/99/comments", `{"body": "x"}`, 404},
		{"PATCH", "/repos/acme/policy/issues/comments/12345", `{"body": "x"}`, 404},
		{"POST", "/repos/acme/policy/statuses/main", `{"state": "success"}`, 422},
		{"POST", "/repos/acme/policy/statuses/" + sha, `{"state": "approved"}`, 422},
		{"POST", "/repos/acme/policy/statuses/" + sha, `{"state": "success", "description": "` + strings.Repeat("x", 141) + `"}`, 422},
		{"GET", "/repos/acme/policy/pulls/8", ``, 404},
		{"GET", "/repos/acme/policy/pulls/x", ``, 404},
		{"GET", "/orgs/acme/teams/nobody/memberships/alice", ``, 404},
		{"GET", "/nowhere", ``, 404},
		{"DELETE", "/repos/acme/policy/pulls/7", ``, 404},
	} {
		var body struct {
			Message string `json:"message"`
		}
		resp := do(t, s, tc.method, tc.path, tc.body, &body)
		if resp.StatusCode != tc.status || body.Message == "" {
			t.Errorf("%s %s: %d %q, want %d and a message", tc.method, tc.path, resp.StatusCode, body.Message, tc.status)
		}
	}
}

func TestFailNext(t *testing.T) {
	s := setup(t)
	s.FailNext("POST /repos/acme/policy/issues/7/comments", 502, nil)
	s.FailNext("/repos/acme/policy/pulls/7", 403, map[string]string{"Retry-After": "30"})
	s.FailNext("/repos/acme/policy/pulls/7", 403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"})
	s.FailNext("*", 500, nil)

	var body struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	// GET on the comments path does not match the POST failure; "*" does.
	resp := do(t, s, "GET", "/repos/acme/policy/issues/7/comments", "", &body)
	if resp.StatusCode != 500 {
		t.Errorf("GET comments: %d, want the * failure", resp.StatusCode)
	}
	resp = do(t, s, "GET", "/api/v3/repos/acme/policy/pulls/7", "", &body)
	if resp.StatusCode != 403 || resp.Header.Get("Retry-After") != "30" || !strings.Contains(body.Message, "secondary rate limit") ||
		!strings.HasSuffix(body.DocumentationURL, "#about-secondary-rate-limits") {
		t.Errorf("first failure: %d %+v", resp.StatusCode, body)
	}
	resp = do(t, s, "GET", "/repos/acme/policy/pulls/7", "", &body)
	if resp.StatusCode != 403 || resp.Header.Get("X-RateLimit-Remaining") != "0" || resp.Header.Get("X-RateLimit-Reset") != "1" ||
		!strings.Contains(body.Message, "API rate limit exceeded") {
		t.Errorf("second failure: %d %v %+v", resp.StatusCode, resp.Header, body)
	}
	if resp := do(t, s, "GET", "/repos/acme/policy/pulls/7", "", nil); resp.StatusCode != 200 {
		t.Errorf("after the failures: %d", resp.StatusCode)
	}
	resp = do(t, s, "POST", "/repos/acme/policy/issues/7/comments", `{"body": "x"}`, &body)
	if resp.StatusCode != 502 || len(s.CommentsOn("acme", "policy", 7)) != 0 {
		t.Errorf("POST failure: %d, comments %v", resp.StatusCode, s.CommentsOn("acme", "policy", 7))
	}

	want := []string{
		"GET /repos/acme/policy/issues/7/comments",
		"GET /api/v3/repos/acme/policy/pulls/7",
		"GET /repos/acme/policy/pulls/7",
		"GET /repos/acme/policy/pulls/7",
		"POST /repos/acme/policy/issues/7/comments",
	}
	if diff := cmp.Diff(want, s.Requests()); diff != "" {
		t.Errorf("Requests (-want +got):\n%s", diff)
	}
	if got := s.RequestLog()[4].Body; got != `{"body": "x"}` {
		t.Errorf("logged body = %q", got)
	}
}

func TestReadOnly(t *testing.T) {
	s := setup(t)
	s.ReadOnly = true
	var body struct{ Message string }
	resp := do(t, s, "POST", "/repos/acme/policy/issues/7/comments", `{"body": "x"}`, &body)
	if resp.StatusCode != 403 || body.Message != "Resource not accessible by integration" {
		t.Errorf("write with a read-only token: %d %q", resp.StatusCode, body.Message)
	}
	if resp := do(t, s, "GET", "/repos/acme/policy/pulls/7", "", nil); resp.StatusCode != 200 {
		t.Errorf("read with a read-only token: %d", resp.StatusCode)
	}
}

func TestFilesStopAt3000(t *testing.T) {
	s := setup(t)
	files := make([]File, 3100)
	for i := range files {
		files[i] = File{Filename: fmt.Sprint("f", i)}
	}
	s.SetFiles("acme", "policy", 7, files...)
	var page []map[string]any
	resp := do(t, s, "GET", "/repos/acme/policy/pulls/7/files?per_page=100&page=30", "", &page)
	if len(page) != 100 || strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
		t.Errorf("page 30: %d files, Link %q; want the last 100 of 3000", len(page), resp.Header.Get("Link"))
	}
	var pr struct {
		ChangedFiles int `json:"changed_files"`
	}
	do(t, s, "GET", "/repos/acme/policy/pulls/7", "", &pr)
	if pr.ChangedFiles != 3100 {
		t.Errorf("changed_files = %d, want 3100", pr.ChangedFiles)
	}
}

func TestCommitsStopAt250(t *testing.T) {
	s := setup(t)
	commits := make([]Commit, 260)
	for i := range commits {
		commits[i] = Commit{SHA: fmt.Sprintf("%040x", i+1), AuthorLogin: "alice", CommitterLogin: "web-flow"}
	}
	commits[0].AuthorLogin = ""
	s.SetCommits("acme", "policy", 7, commits...)
	var page []map[string]any
	resp := do(t, s, "GET", "/repos/acme/policy/pulls/7/commits?per_page=100&page=3", "", &page)
	if len(page) != 50 || strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
		t.Errorf("page 3: %d commits, Link %q; want the last 50 of 250", len(page), resp.Header.Get("Link"))
	}
	do(t, s, "GET", "/repos/acme/policy/pulls/7/commits?per_page=1&page=1", "", &page)
	if page[0]["author"] != nil || page[0]["committer"].(map[string]any)["login"] != "web-flow" {
		t.Errorf("first commit: author %v, committer %v; want null and web-flow", page[0]["author"], page[0]["committer"])
	}
	var pr struct {
		Commits int `json:"commits"`
	}
	do(t, s, "GET", "/repos/acme/policy/pulls/7", "", &pr)
	if pr.Commits != 260 {
		t.Errorf("commits = %d, want 260", pr.Commits)
	}
}

func TestPermissions(t *testing.T) {
	s := setup(t)
	s.SetPermission("acme", "policy", "carol", "maintain")
	s.SetPermission("acme", "policy", "eve", "read")
	var got struct {
		Permission string `json:"permission"`
		RoleName   string `json:"role_name"`
		User       struct {
			Login       string          `json:"login"`
			Permissions map[string]bool `json:"permissions"`
		} `json:"user"`
	}
	if resp := do(t, s, "GET", "/repos/acme/policy/collaborators/Carol/permission", "", &got); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got.Permission != "write" || got.RoleName != "maintain" || got.User.Login != "Carol" || !got.User.Permissions["push"] || got.User.Permissions["admin"] {
		t.Errorf("carol: %+v; want write as maintain", got)
	}
	if resp := do(t, s, "GET", "/repos/acme/policy/collaborators/nobody/permission", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown user: status %d, want 404", resp.StatusCode)
	}
	s.AddReviews("acme", "policy", 7, Review{User: "carol", State: "APPROVED"}, Review{User: "eve", State: "APPROVED"},
		Review{User: "zed", State: "APPROVED"}, Review{User: "acme", State: "APPROVED"})
	var reviews []map[string]any
	do(t, s, "GET", "/repos/acme/policy/pulls/7/reviews", "", &reviews)
	var assoc []string
	for _, r := range reviews {
		assoc = append(assoc, r["author_association"].(string))
	}
	if diff := cmp.Diff([]string{"COLLABORATOR", "COLLABORATOR", "NONE", "OWNER"}, assoc); diff != "" {
		t.Errorf("author_association (-want +got):\n%s", diff)
	}
}

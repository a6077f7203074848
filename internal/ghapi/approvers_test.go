package ghapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nhigate/nhigate/internal/ghtest"
)

func TestCommitsPagination(t *testing.T) {
	c, srv, _ := setup(t)
	addPR(srv)
	var commits []ghtest.Commit
	var want []Commit
	for i := range MaxCommits {
		gc := ghtest.Commit{SHA: fmt.Sprintf("%040x", i+1), AuthorLogin: fmt.Sprintf("user%d", i%7), CommitterLogin: "web-flow"}
		if i == 3 {
			gc.AuthorLogin = "" // an email no account has verified: author null
		}
		commits = append(commits, gc)
		want = append(want, Commit{SHA: gc.SHA, Author: gc.AuthorLogin, Committer: gc.CommitterLogin})
	}
	srv.SetCommits("acme", "policy", 7, commits...)
	pr := c.PullRequest("acme", "policy", 7)
	got, err := pr.Commits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Commits (-want +got):\n%s", diff)
	}
	wantRequests := []string{
		"GET /api/v3/repos/acme/policy/pulls/7", // how many commits there are
		"GET /api/v3/repos/acme/policy/pulls/7/commits",
		"GET /api/v3/repos/acme/policy/pulls/7/commits",
		"GET /api/v3/repos/acme/policy/pulls/7/commits",
	}
	if diff := cmp.Diff(wantRequests, srv.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	got[0].Author = "changed"
	again, err := pr.Commits(context.Background())
	if err != nil || again[0].Author != "user0" || len(srv.Requests()) != len(wantRequests) {
		t.Errorf("second Commits: %v, author %q after %d requests; want the cache", err, again[0].Author, len(srv.Requests()))
	}
}

// Over GitHub's 250 commits the list is cut short, and whoever made the
// rest is unknown: fail, naming the limit, without listing.
func TestCommitsOverTheLimit(t *testing.T) {
	c, srv, _ := setup(t)
	addPR(srv)
	commits := make([]ghtest.Commit, MaxCommits+1)
	for i := range commits {
		commits[i] = ghtest.Commit{SHA: fmt.Sprintf("%040x", i+1), AuthorLogin: "alice", CommitterLogin: "alice"}
	}
	srv.SetCommits("acme", "policy", 7, commits...)
	_, err := c.PullRequest("acme", "policy", 7).Commits(context.Background())
	if err == nil || !strings.Contains(err.Error(), "251 commits") || !strings.Contains(err.Error(), "at most 250") {
		t.Fatalf("err = %v, want the limit named", err)
	}
	if got := srv.Requests(); len(got) != 1 {
		t.Errorf("requests %q, want only the pull request", got)
	}
}

// TestCommitsShape reads GitHub's documented answer, paginated by Link
// headers, and fails when GitHub lists fewer commits than the pull request
// has.
func TestCommitsShape(t *testing.T) {
	for _, tc := range []struct {
		name    string
		total   int
		wantErr string
	}{
		{name: "all listed", total: 3},
		{name: "fewer listed than the pull request has", total: 4, wantErr: "GitHub listed 3 of the pull request's 4 commits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, mux, _ := setupMux(t)
			mux.HandleFunc("/repos/acme/policy/pulls/7", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, `{"number": 7, "user": {"login": "alice"}, "commits": %d,
				  "head": {"sha": %q, "repo": {"full_name": "acme/policy"}},
				  "base": {"sha": %q, "repo": {"full_name": "acme/policy"}}}`, tc.total, headSHA, baseSHA)
			})
			mux.HandleFunc("/repos/acme/policy/pulls/7/commits", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testAuth(t, r)
				if got := r.URL.Query().Get("per_page"); got != "100" {
					t.Errorf("per_page = %q, want 100", got)
				}
				next := fmt.Sprintf(`<http://%s/api/v3/repos/acme/policy/pulls/7/commits?page=2&per_page=100>; rel="next", <http://%s/api/v3/repos/acme/policy/pulls/7/commits?page=2&per_page=100>; rel="last"`, r.Host, r.Host)
				switch r.URL.Query().Get("page") {
				case "1":
					w.Header().Set("Link", next)
					// From GitHub's "List commits on a pull request"
					// example: author and committer are accounts.
					fmt.Fprint(w, `[{
					  "url": "https://api.github.com/repos/octocat/Hello-World/commits/6dcb09b5b57875f334f61aebed695e2e4193db5e",
					  "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e", "node_id": "MDY6Q29tbWl0NmRjYjA5YjViNTc4NzVmMzM0ZjYxYWViZWQ2OTVlMmU0MTkzZGI1ZQ==",
					  "commit": {"url": "x", "author": {"name": "Monalisa Octocat", "email": "support@github.com", "date": "2011-04-14T16:00:49Z"},
					    "committer": {"name": "Monalisa Octocat", "email": "support@github.com", "date": "2011-04-14T16:00:49Z"},
					    "message": "Fix all the bugs", "tree": {"url": "y", "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e"}, "comment_count": 0,
					    "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null}},
					  "author": {"login": "octocat", "id": 1, "type": "User", "site_admin": false},
					  "committer": {"login": "octocat", "id": 1, "type": "User", "site_admin": false},
					  "parents": [{"url": "z", "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e"}]
					}]`)
				case "2":
					// A commit made in the web interface, and one whose
					// author's email no account has verified.
					fmt.Fprint(w, `[
					  {"sha": "1111111111111111111111111111111111111111", "commit": {"message": "Update x"},
					   "author": {"login": "mallory", "type": "User"}, "committer": {"login": "web-flow", "type": "User"}},
					  {"sha": "2222222222222222222222222222222222222222", "commit": {"message": "y"},
					   "author": null, "committer": null}
					]`)
				default:
					t.Errorf("unexpected page %q", r.URL.Query().Get("page"))
				}
			})
			got, err := c.PullRequest("acme", "policy", 7).Commits(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := []Commit{
				{SHA: "6dcb09b5b57875f334f61aebed695e2e4193db5e", Author: "octocat", Committer: "octocat"},
				{SHA: "1111111111111111111111111111111111111111", Author: "mallory", Committer: "web-flow"},
				{SHA: "2222222222222222222222222222222222222222"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Commits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPermission(t *testing.T) {
	c, srv, _ := setup(t)
	srv.SetPermission("acme", "policy", "carol", "write")
	srv.SetPermission("acme", "policy", "max", "maintain")
	srv.SetPermission("acme", "policy", "eve", "read")
	srv.SetPermission("acme", "policy", "tia", "triage")
	srv.SetPermissionLevel("acme", "policy", "cus", ghtest.Permission{Level: "write", Role: "deployer"})
	pr := c.PullRequest("acme", "policy", 7)
	ctx := context.Background()
	for _, tc := range []struct {
		login string
		want  Permission
	}{
		{"carol", Permission{Level: "write", Role: "write"}},
		{"Carol", Permission{Level: "write", Role: "write"}}, // cached under any case
		{"max", Permission{Level: "write", Role: "maintain"}},
		{"eve", Permission{Level: "read", Role: "read"}},
		{"tia", Permission{Level: "read", Role: "triage"}},
		{"cus", Permission{Level: "write", Role: "deployer"}},
		{"nobody", Permission{Level: "none"}}, // 404: GitHub does not know the user
	} {
		got, err := pr.Permission(ctx, tc.login)
		if err != nil {
			t.Errorf("Permission(%s): %v", tc.login, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Permission(%s) = %+v, want %+v", tc.login, got, tc.want)
		}
	}
	if n := len(srv.Requests()); n != 6 {
		t.Errorf("%d requests for 6 logins, want 6: %q", n, srv.Requests())
	}
	if _, err := pr.Permission(ctx, "../admin"); err == nil {
		t.Error("Permission with a bad login succeeded")
	}
	if n := len(srv.Requests()); n != 6 {
		t.Errorf("a bad login reached the server")
	}
}

// A failure other than 404 is an error, never "no permission", and is not
// cached.
func TestPermissionError(t *testing.T) {
	c, srv, _ := setup(t)
	srv.SetPermission("acme", "policy", "carol", "write")
	srv.FailNext("/repos/acme/policy/collaborators/carol/permission", http.StatusForbidden, nil)
	pr := c.PullRequest("acme", "policy", 7)
	_, err := pr.Permission(context.Background(), "carol")
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusForbidden || !strings.Contains(err.Error(), "get the permission of carol on acme/policy") {
		t.Fatalf("err = %v, want a 403 *Error saying what was done", err)
	}
	if got, err := pr.Permission(context.Background(), "carol"); err != nil || got.Level != "write" {
		t.Errorf("after the failure: %+v, %v; want write", got, err)
	}
}

func TestPermissionShape(t *testing.T) {
	c, mux, _ := setupMux(t)
	mux.HandleFunc("/repos/acme/policy/collaborators/octocat/permission", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testAuth(t, r)
		// GitHub's "Get repository permissions for a user" example.
		fmt.Fprint(w, `{"permission": "admin", "role_name": "admin",
		  "user": {"login": "octocat", "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": false,
		    "permissions": {"admin": true, "maintain": true, "push": true, "triage": true, "pull": true}, "role_name": "admin"}}`)
	})
	mux.HandleFunc("/repos/acme/policy/collaborators/eve/permission", func(w http.ResponseWriter, r *http.Request) {
		// An answer about someone else must not be taken for eve's.
		fmt.Fprint(w, `{"permission": "write", "role_name": "write", "user": {"login": "octocat"}}`)
	})
	mux.HandleFunc("/repos/acme/policy/collaborators/zed/permission", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"role_name": "write", "user": {"login": "zed"}}`)
	})
	pr := c.PullRequest("acme", "policy", 7)
	got, err := pr.Permission(context.Background(), "octocat")
	if err != nil || got != (Permission{Level: "admin", Role: "admin"}) {
		t.Errorf("Permission(octocat) = %+v, %v; want admin", got, err)
	}
	if _, err := pr.Permission(context.Background(), "eve"); err == nil || !strings.Contains(err.Error(), "answered for octocat") {
		t.Errorf("Permission(eve) err = %v, want a mismatch", err)
	}
	if _, err := pr.Permission(context.Background(), "zed"); err == nil || !strings.Contains(err.Error(), "no permission") {
		t.Errorf("Permission(zed) err = %v, want an incomplete answer refused", err)
	}
}

package ghapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nhigate/nhigate/internal/ghtest"
)

const marker = "<!-- nhigate:review -->"

func TestUpsertCommentCreatesThenUpdates(t *testing.T) {
	c, srv, _ := setup(t)
	addPR(srv)
	srv.AddComments("acme", "policy", 7, ghtest.Comment{User: "alice", Body: "please look"})
	ctx := context.Background()

	up, err := c.UpsertComment(ctx, "acme", "policy", 7, marker, DefaultCommentAuthor, "## blocked\n"+marker)
	if err != nil || !up.Created || up.Author != ghtest.DefaultLogin {
		t.Fatalf("first UpsertComment = %+v, %v; want created by %s", up, err, ghtest.DefaultLogin)
	}
	up, err = c.UpsertComment(ctx, "acme", "policy", 7, marker, DefaultCommentAuthor, "## pass\n"+marker)
	if err != nil || up.Created {
		t.Fatalf("second UpsertComment = %+v, %v; want updated", up, err)
	}
	comments := srv.CommentsOn("acme", "policy", 7)
	if len(comments) != 2 {
		t.Fatalf("%d comments, want the human's and one of ours", len(comments))
	}
	if got := comments[1]; got.Body != "## pass\n"+marker || got.User != ghtest.DefaultLogin {
		t.Errorf("our comment = %+v, want the second body", got)
	}
	if comments[0].Body != "please look" {
		t.Errorf("the human's comment changed: %q", comments[0].Body)
	}

	// The same body again is not written again.
	srv.ResetRequests()
	if up, err := c.UpsertComment(ctx, "acme", "policy", 7, marker, DefaultCommentAuthor, "## pass\n"+marker); err != nil || up.Created {
		t.Fatalf("third UpsertComment = %+v, %v", up, err)
	}
	if diff := cmp.Diff([]string{"GET /api/v3/repos/acme/policy/issues/7/comments"}, srv.Requests()); diff != "" {
		t.Errorf("unchanged comment (-want +got):\n%s", diff)
	}
}

func TestUpsertCommentAddsMissingMarker(t *testing.T) {
	c, srv, _ := setup(t)
	addPR(srv)
	ctx := context.Background()
	for range 2 {
		if _, err := c.UpsertComment(ctx, "acme", "policy", 7, marker, DefaultCommentAuthor, "report"); err != nil {
			t.Fatal(err)
		}
	}
	comments := srv.CommentsOn("acme", "policy", 7)
	if len(comments) != 1 || comments[0].Body != "report\n\n"+marker {
		t.Errorf("comments = %+v, want one with the marker appended", comments)
	}
}

func TestUpsertCommentFindsFirstAcrossPages(t *testing.T) {
	c, srv, _ := setup(t)
	addPR(srv)
	for i := range 150 {
		srv.AddComments("acme", "policy", 7, ghtest.Comment{User: "alice", Body: fmt.Sprintf("comment %d", i)})
	}
	srv.AddComments("acme", "policy", 7,
		ghtest.Comment{ID: 1, User: ghtest.DefaultLogin, Body: "old report " + marker},
		ghtest.Comment{ID: 2, User: ghtest.DefaultLogin, Body: "older duplicate " + marker},
	)
	up, err := c.UpsertComment(context.Background(), "acme", "policy", 7, marker, DefaultCommentAuthor, "new report "+marker)
	if err != nil || up.Created {
		t.Fatalf("UpsertComment = %+v, %v; want updated", up, err)
	}
	comments := srv.CommentsOn("acme", "policy", 7)
	if len(comments) != 152 {
		t.Fatalf("%d comments, want 152", len(comments))
	}
	if got := comments[150].Body; got != "new report "+marker {
		t.Errorf("first marked comment = %q, want updated", got)
	}
	if got := comments[151].Body; got != "older duplicate "+marker {
		t.Errorf("second marked comment = %q, want left alone", got)
	}
	want := []string{
		"GET /api/v3/repos/acme/policy/issues/7/comments",
		"GET /api/v3/repos/acme/policy/issues/7/comments",
		"PATCH /api/v3/repos/acme/policy/issues/comments/1",
	}
	if diff := cmp.Diff(want, srv.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestUpsertCommentRequests(t *testing.T) {
	c, mux, _ := setupMux(t)
	var (
		mu       sync.Mutex
		comments []map[string]any
	)
	mux.HandleFunc("/repos/acme/policy/issues/7/comments", func(w http.ResponseWriter, r *http.Request) {
		testAuth(t, r)
		mu.Lock()
		defer mu.Unlock()
		switch r.Method {
		case "GET":
			json.NewEncoder(w).Encode(comments)
		case "POST":
			testBody(t, r, map[string]any{"body": "v1 " + marker})
			comments = append(comments, map[string]any{"id": 42, "node_id": "IC_42", "body": "v1 " + marker, "user": map[string]any{"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}})
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(comments[0])
		default:
			t.Errorf("unexpected %s", r.Method)
		}
	})
	mux.HandleFunc("/repos/acme/policy/issues/comments/42", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "PATCH")
		testBody(t, r, map[string]any{"body": "v2 " + marker})
		fmt.Fprint(w, `{"id": 42, "body": "v2", "user": {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}}`)
	})
	ctx := context.Background()
	if up, err := c.UpsertComment(ctx, "acme", "policy", 7, marker, DefaultCommentAuthor, "v1 "+marker); err != nil || !up.Created {
		t.Fatalf("UpsertComment = %+v, %v", up, err)
	}
	if up, err := c.UpsertComment(ctx, "acme", "policy", 7, marker, DefaultCommentAuthor, "v2 "+marker); err != nil || up.Created {
		t.Fatalf("UpsertComment = %+v, %v", up, err)
	}
}

// A 502 may come after GitHub posted the comment: the retry must find it
// rather than post a second one.
func TestUpsertCommentNoDuplicateAfter5xx(t *testing.T) {
	c, mux, sl := setupMux(t)
	var (
		mu       sync.Mutex
		comments []map[string]any
		posts    int
	)
	mux.HandleFunc("/repos/acme/policy/issues/7/comments", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.Method {
		case "GET":
			json.NewEncoder(w).Encode(comments)
		case "POST":
			posts++
			comments = append(comments, map[string]any{"id": 42, "body": "report " + marker, "user": map[string]any{"login": "github-actions[bot]", "type": "Bot"}})
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, `{"message": "Server Error"}`)
		}
	})
	up, err := c.UpsertComment(context.Background(), "acme", "policy", 7, marker, DefaultCommentAuthor, "report "+marker)
	if err != nil || !up.Created {
		t.Fatalf("UpsertComment = %+v, %v; want created", up, err)
	}
	if posts != 1 {
		t.Errorf("%d POSTs, want 1", posts)
	}
	if len(sl.Waits()) != 1 {
		t.Errorf("waits = %v, want one backoff", sl.Waits())
	}
}

func TestUpsertCommentRetriesFailedCreate(t *testing.T) {
	c, srv, sl := setup(t)
	addPR(srv)
	srv.FailNext("POST /repos/acme/policy/issues/7/comments", http.StatusBadGateway, nil)
	up, err := c.UpsertComment(context.Background(), "acme", "policy", 7, marker, DefaultCommentAuthor, "report "+marker)
	if err != nil || !up.Created {
		t.Fatalf("UpsertComment = %+v, %v; want created", up, err)
	}
	if n := len(srv.CommentsOn("acme", "policy", 7)); n != 1 {
		t.Errorf("%d comments, want 1", n)
	}
	if len(sl.Waits()) != 1 {
		t.Errorf("waits = %v, want one backoff", sl.Waits())
	}
}

func TestUpsertCommentRejects(t *testing.T) {
	c, srv, _ := setup(t)
	addPR(srv)
	ctx := context.Background()
	if _, err := c.UpsertComment(ctx, "acme", "policy", 7, " ", DefaultCommentAuthor, "body"); err == nil || !strings.Contains(err.Error(), "marker") {
		t.Errorf("empty marker: err = %v", err)
	}
	long := strings.Repeat("é", 65537)
	if _, err := c.UpsertComment(ctx, "acme", "policy", 7, marker, DefaultCommentAuthor, long); err == nil || !strings.Contains(err.Error(), "summarize") {
		t.Errorf("long body: err = %v", err)
	}
	for _, author := range []string{"", "[bot]", "-x", "a/b", "github-actions[bot] ", strings.Repeat("a", 40)} {
		if _, err := c.UpsertComment(ctx, "acme", "policy", 7, marker, author, "body"); err == nil || !strings.Contains(err.Error(), "comment author") {
			t.Errorf("author %q: err = %v", author, err)
		}
	}
	if len(srv.Requests()) != 0 {
		t.Errorf("rejected comments reached the server: %q", srv.Requests())
	}
}

func TestUpsertCommentForbidden(t *testing.T) {
	c, srv, sl := setup(t)
	addPR(srv)
	srv.ReadOnly = true
	_, err := c.UpsertComment(context.Background(), "acme", "policy", 7, marker, DefaultCommentAuthor, "report "+marker)
	if !IsForbidden(err) {
		t.Fatalf("err = %v, want forbidden", err)
	}
	if !strings.Contains(err.Error(), "fork") {
		t.Errorf("err = %q, want a hint about forks", err)
	}
	if len(sl.Waits()) != 0 {
		t.Errorf("a 403 was retried: waits %v", sl.Waits())
	}
}

func TestSetStatus(t *testing.T) {
	c, mux, _ := setupMux(t)
	mux.HandleFunc("/repos/acme/policy/statuses/"+headSHA, func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testAuth(t, r)
		testBody(t, r, map[string]any{
			"state":       "failure",
			"target_url":  "https://github.com/acme/policy/actions/runs/1",
			"description": "blocked: 2 approvals pending",
			"context":     "nhigate/review",
		})
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id": 1, "state": "failure", "context": "nhigate/review"}`)
	})
	err := c.SetStatus(context.Background(), "acme", "policy", headSHA, StatusFailure, "",
		"blocked: 2 approvals pending", "https://github.com/acme/policy/actions/runs/1")
	if err != nil {
		t.Fatal(err)
	}
}

func TestSetStatusState(t *testing.T) {
	c, srv, sl := setup(t)
	ctx := context.Background()
	long := strings.Repeat("x", 200)
	srv.FailNext("POST /repos/acme/policy/statuses/"+headSHA, http.StatusBadGateway, nil)
	if err := c.SetStatus(ctx, "acme", "policy", headSHA, StatusSuccess, "nhigate/review", long, ""); err != nil {
		t.Fatal(err)
	}
	statuses := srv.StatusesOf("acme", "policy", headSHA)
	if len(statuses) != 1 {
		t.Fatalf("statuses = %+v, want one", statuses)
	}
	got := statuses[0]
	if got.State != "success" || got.Context != "nhigate/review" || got.TargetURL != "" {
		t.Errorf("status = %+v", got)
	}
	if n := len([]rune(got.Description)); n != 140 || !strings.HasSuffix(got.Description, "…") {
		t.Errorf("description has %d characters (%q), want 140 ending in …", n, got.Description)
	}
	if len(sl.Waits()) != 1 {
		t.Errorf("waits = %v: a status is safe to retry after a 502", sl.Waits())
	}

	for _, tc := range []struct{ sha, state, url string }{
		{"main", StatusSuccess, ""},
		{headSHA, "approved", ""},
		{headSHA, StatusSuccess, "javascript:alert(1)"},
	} {
		if err := c.SetStatus(ctx, "acme", "policy", tc.sha, tc.state, "", "d", tc.url); err == nil {
			t.Errorf("SetStatus(%q, %q, %q) succeeded", tc.sha, tc.state, tc.url)
		}
	}
}

func TestListFiles(t *testing.T) {
	c, srv, _ := setup(t)
	addPR(srv)
	var files []ghtest.File
	var want []string
	for i := range 249 {
		name := fmt.Sprintf("specs/s%03d.yaml", i)
		files = append(files, ghtest.File{Filename: name, Status: "modified"})
		want = append(want, name)
	}
	files = append(files, ghtest.File{Filename: "specs/new.yaml", PreviousFilename: "specs/old.yaml", Status: "renamed"})
	want = append(want, "specs/new.yaml", "specs/old.yaml")
	srv.SetFiles("acme", "policy", 7, files...)

	got, err := c.ListFiles(context.Background(), "acme", "policy", 7)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListFiles (-want +got):\n%s", diff)
	}
	if n := len(srv.Requests()); n != 3 {
		t.Errorf("%d requests, want 3 pages", n)
	}
}

func TestListFilesTruncated(t *testing.T) {
	for _, tc := range []struct {
		files     int
		truncated bool
	}{
		{3000, false},
		{3100, true},
	} {
		t.Run(fmt.Sprint(tc.files), func(t *testing.T) {
			c, srv, _ := setup(t)
			addPR(srv)
			files := make([]ghtest.File, tc.files)
			for i := range files {
				files[i] = ghtest.File{Filename: fmt.Sprintf("f%d", i)}
			}
			srv.SetFiles("acme", "policy", 7, files...)
			got, err := c.ListFiles(context.Background(), "acme", "policy", 7)
			var te *TruncatedError
			if tc.truncated != errors.As(err, &te) {
				t.Fatalf("err = %v, want truncated %v", err, tc.truncated)
			}
			if len(got) != 3000 {
				t.Errorf("%d files, want 3000", len(got))
			}
			if tc.truncated {
				if te.Listed != 3000 || te.Changed != 3100 {
					t.Errorf("TruncatedError = %+v", te)
				}
				if !strings.Contains(err.Error(), "read the changed files from git") {
					t.Errorf("err = %q, want advice", err)
				}
			}
		})
	}
}

// Anyone who may comment can write the marker. Only a comment by the
// identity nhigate posts as is nhigate's: a person's, or another app's,
// is never updated, wherever it sits among the pages.
func TestUpsertCommentOnlyItsOwn(t *testing.T) {
	for _, tc := range []struct {
		name   string
		others []ghtest.Comment
		ours   bool // a comment of ours follows the others
	}{
		{"a person's comment with the marker", []ghtest.Comment{{User: "mallory", Body: "looks good " + marker}}, false},
		{"another app's bot", []ghtest.Comment{{User: "mallory-app[bot]", Body: marker}}, false},
		{"a person's comment before ours, on an earlier page", append(humans(120), ghtest.Comment{User: "mallory", Body: marker}), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, srv, _ := setup(t)
			addPR(srv)
			srv.AddComments("acme", "policy", 7, tc.others...)
			if tc.ours {
				srv.AddComments("acme", "policy", 7, ghtest.Comment{User: ghtest.DefaultLogin, Body: "old report " + marker})
			}
			up, err := c.UpsertComment(context.Background(), "acme", "policy", 7, marker, DefaultCommentAuthor, "report "+marker)
			if err != nil {
				t.Fatal(err)
			}
			if up.Created == tc.ours || up.Author != ghtest.DefaultLogin {
				t.Errorf("UpsertComment = %+v, want created %v by %s", up, !tc.ours, ghtest.DefaultLogin)
			}
			comments := srv.CommentsOn("acme", "policy", 7)
			for i, o := range tc.others {
				if comments[i].Body != o.Body || comments[i].User != o.User {
					t.Errorf("comment %d by %s = %q, want untouched %q", i, o.User, comments[i].Body, o.Body)
				}
			}
			if n := len(tc.others) + 1; len(comments) != n {
				t.Fatalf("%d comments, want %d", len(comments), n)
			}
			if last := comments[len(comments)-1]; last.User != ghtest.DefaultLogin || last.Body != "report "+marker {
				t.Errorf("nhigate's comment = %+v, want the report", last)
			}
		})
	}
}

func humans(n int) []ghtest.Comment {
	out := make([]ghtest.Comment, n)
	for i := range out {
		out[i] = ghtest.Comment{User: "alice", Body: fmt.Sprintf("comment %d", i)}
	}
	return out
}

// A GitHub App posts as "slug[bot]", a Bot; a machine user's token as that
// User. The login and the type must both match, in GitHub's JSON.
func TestUpsertCommentAuthorJSON(t *testing.T) {
	for _, tc := range []struct {
		name, author, user string
		want               bool // the existing comment is updated
	}{
		{"the workflow token", DefaultCommentAuthor, `{"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}`, true},
		{"login in another case", DefaultCommentAuthor, `{"login": "GitHub-Actions[bot]", "id": 41898282, "type": "Bot"}`, true},
		{"a bot login whose type is User", DefaultCommentAuthor, `{"login": "github-actions[bot]", "id": 1, "type": "User"}`, false},
		{"a GitHub App", "acme-gate[bot]", `{"login": "acme-gate[bot]", "id": 7, "type": "Bot"}`, true},
		{"the workflow token, when an app is expected", "acme-gate[bot]", `{"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}`, false},
		{"a machine user", "acme-ci", `{"login": "acme-ci", "id": 9, "type": "User"}`, true},
		{"an organization", "acme-ci", `{"login": "acme-ci", "id": 9, "type": "Organization"}`, false},
		{"a person", DefaultCommentAuthor, `{"login": "mallory", "id": 2, "type": "User"}`, false},
		{"no user", DefaultCommentAuthor, `null`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, mux, _ := setupMux(t)
			var patched, posted int
			mux.HandleFunc("/repos/acme/policy/issues/7/comments", func(w http.ResponseWriter, r *http.Request) {
				switch r.Method {
				case "GET":
					fmt.Fprintf(w, `[{"id": 42, "body": "old %s", "user": %s}]`, marker, tc.user)
				case "POST":
					posted++
					w.WriteHeader(http.StatusCreated)
					fmt.Fprintf(w, `{"id": 43, "body": "x", "user": {"login": %q, "type": "Bot"}}`, tc.author)
				}
			})
			mux.HandleFunc("/repos/acme/policy/issues/comments/42", func(w http.ResponseWriter, r *http.Request) {
				patched++
				fmt.Fprintf(w, `{"id": 42, "body": "x", "user": %s}`, tc.user)
			})
			up, err := c.UpsertComment(context.Background(), "acme", "policy", 7, marker, tc.author, "new "+marker)
			if err != nil {
				t.Fatal(err)
			}
			if got := patched == 1 && posted == 0 && !up.Created; got != tc.want {
				t.Errorf("updated = %v (%d PATCH, %d POST, %+v), want %v", got, patched, posted, up, tc.want)
			}
			if !tc.want && (patched != 0 || posted != 1) {
				t.Errorf("%d PATCH, %d POST: want a new comment and the other left alone", patched, posted)
			}
		})
	}
}

package publish

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/ghtest"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/secret"
	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/reviewer"
)

const (
	head = "1111111111111111111111111111111111111111"
	base = "2222222222222222222222222222222222222222"
)

// newClient is a client of a fake GitHub that never waits between retries.
func newClient(t *testing.T) (*ghapi.Client, *ghtest.Server) {
	t.Helper()
	srv := ghtest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddPullRequest(ghtest.PullRequest{Owner: "acme", Repo: "policy", Number: 7, Author: "alice",
		HeadSHA: head, HeadRef: "feature", BaseSHA: base, BaseRef: "main"})
	c, err := ghapi.New(ghapi.Options{Token: ghtest.DefaultToken, BaseURL: srv.URL, Sleep: func(time.Duration) {}, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func pullEvent() *ghapi.Event {
	return &ghapi.Event{Name: "pull_request", Owner: "acme", Repo: "policy", Number: 7, HeadSHA: head, BaseSHA: base,
		BaseRef: "main", DefaultBranch: "main"}
}

type statusRow struct{ State, Context, Description, TargetURL string }

func statuses(srv *ghtest.Server) []statusRow {
	var rows []statusRow
	for _, s := range srv.StatusesOf("acme", "policy", head) {
		rows = append(rows, statusRow{s.State, s.Context, s.Description, s.TargetURL})
	}
	return rows
}

func pass() *reviewer.Report {
	return &reviewer.Report{SchemaVersion: 1, Verdict: reviewer.Pass, Mode: reviewer.GitHub, Scope: reviewer.ScopeReview, Base: base, Head: head, Diff: &diffing.Diff{}}
}

func blocked(reasons ...string) *reviewer.Report {
	r := pass()
	r.Verdict, r.Reasons = reviewer.Blocked, reasons
	return r
}

// Publish writes the comment, the status, the summary and the step
// outputs of a decided review, as GitHub shows them.
func TestPublish(t *testing.T) {
	const awsKey = "AKIAIOSFODNN7EXAMPLE"
	for _, tc := range []struct {
		name       string
		event      func(*ghapi.Event)
		rep        *reviewer.Report
		reportFile string
		// want
		status      []statusRow
		comments    int
		outputs     string
		annotations bool
		log         string
	}{
		{
			name: "pass, report on stdout", rep: pass(),
			status:   []statusRow{{"success", "nhigate/review", "pass", "https://github.example/acme/policy/actions/runs/42"}},
			comments: 1, outputs: "verdict=pass\n", log: "created the comment on pull request #7",
		},
		{
			name: "blocked, report in a file: masked one-line status, annotations on stdout",
			rep:  blocked("policy NHI-SEC-001 fails: key "+awsKey, "risk critical\nis at or above --fail-on-risk high"), reportFile: "out/report\n.json",
			status: []statusRow{{"failure", "nhigate/review",
				"blocked: policy NHI-SEC-001 fails: key " + secret.Mask(awsKey) + "; risk critical is at or above --fail-on-risk high",
				"https://github.example/acme/policy/actions/runs/42"}},
			comments: 1, outputs: "verdict=blocked\nreport-path=out/report.json\n", annotations: true,
		},
		{
			name: "review against another base names it", rep: pass(),
			event:    func(ev *ghapi.Event) { ev.BaseRef = "weak" },
			status:   []statusRow{{"success", "nhigate/review (base: weak)", "pass", "https://github.example/acme/policy/actions/runs/42"}},
			comments: 1, outputs: "verdict=pass\n",
		},
		{
			name: "merge group: a status, no comment", rep: pass(),
			event:   func(ev *ghapi.Event) { ev.Name, ev.Number = "merge_group", 0 },
			status:  []statusRow{{"success", "nhigate/review", "pass", "https://github.example/acme/policy/actions/runs/42"}},
			outputs: "verdict=pass\n", log: "merge group: approvals were enforced on each pull request",
		},
		{
			name: "fork: read-only token, neither comment nor status", rep: blocked("x"),
			event:   func(ev *ghapi.Event) { ev.Fork = true },
			outputs: "verdict=blocked\n", log: "pull request from a fork",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, srv := newClient(t)
			dir := t.TempDir()
			env := Env{StepSummary: filepath.Join(dir, "summary.md"), Output: filepath.Join(dir, "output"),
				ServerURL: "https://github.example", RunID: "42"}
			ev := pullEvent()
			if tc.event != nil {
				tc.event(ev)
			}
			if ev.Fork {
				srv.ReadOnly = true // any write would fail the test with a 403
			}
			var stdout, log bytes.Buffer
			r := NewReview(client, ev, env, &log)
			if err := r.Publish(context.Background(), tc.rep, tc.reportFile, &stdout); err != nil {
				t.Fatalf("Publish: %v\nlog:\n%s", err, log.String())
			}
			if diff := cmp.Diff(tc.status, statuses(srv)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			comments := srv.CommentsOn("acme", "policy", 7)
			if len(comments) != tc.comments {
				t.Fatalf("%d comments, want %d", len(comments), tc.comments)
			}
			if tc.comments > 0 {
				if got, want := comments[0].Body, (output.Markdown{}).String(tc.rep); got != want {
					t.Errorf("comment:\n%s\nwant the Markdown report:\n%s", got, want)
				}
			}
			summary, err := os.ReadFile(env.StepSummary)
			if err != nil {
				t.Fatal(err)
			}
			if want := (output.Markdown{Limit: maxStepSummary}).String(tc.rep) + "\n"; string(summary) != want {
				t.Errorf("job summary:\n%s\nwant:\n%s", summary, want)
			}
			outputs, err := os.ReadFile(env.Output)
			if err != nil {
				t.Fatal(err)
			}
			if string(outputs) != tc.outputs {
				t.Errorf("step outputs %q, want %q", outputs, tc.outputs)
			}
			if got := strings.Contains(stdout.String(), "::error"); got != tc.annotations {
				t.Errorf("annotations on stdout: %v, want %v:\n%s", got, tc.annotations, stdout.String())
			}
			if strings.Contains(stdout.String()+log.String(), awsKey) {
				t.Errorf("the secret reached the output:\n%s%s", stdout.String(), log.String())
			}
			if !strings.Contains(log.String(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, log.String())
			}
		})
	}
}

// Publish appends to the files the runner gives, as other steps do.
func TestPublishAppends(t *testing.T) {
	client, _ := newClient(t)
	dir := t.TempDir()
	env := Env{StepSummary: filepath.Join(dir, "summary.md"), Output: filepath.Join(dir, "output")}
	for _, f := range []string{env.StepSummary, env.Output} {
		if err := os.WriteFile(f, []byte("earlier step\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := NewReview(client, pullEvent(), env, &bytes.Buffer{}).Publish(context.Background(), pass(), "", &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{env.StepSummary, env.Output} {
		data, _ := os.ReadFile(f)
		if !strings.HasPrefix(string(data), "earlier step\n") || len(data) == len("earlier step\n") {
			t.Errorf("%s = %q, want the earlier step's text and then this one's", filepath.Base(f), data)
		}
	}
}

// A run updates its own sticky comment, and says when the token posts as
// someone else than the configured author, whose comment it cannot find.
func TestPublishComment(t *testing.T) {
	t.Run("updates its own", func(t *testing.T) {
		client, srv := newClient(t)
		srv.AddComments("acme", "policy", 7, ghtest.Comment{User: ghtest.DefaultLogin, Body: "old " + output.Marker})
		var log bytes.Buffer
		if err := NewReview(client, pullEvent(), Env{}, &log).Publish(context.Background(), pass(), "", &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		if c := srv.CommentsOn("acme", "policy", 7); len(c) != 1 || !strings.HasPrefix(c[0].Body, output.Marker) {
			t.Errorf("comments %+v, want the one updated", c)
		}
		if !strings.Contains(log.String(), "updated the comment on pull request #7") {
			t.Errorf("log:\n%s", log.String())
		}
	})
	t.Run("another author", func(t *testing.T) {
		client, _ := newClient(t)
		var log bytes.Buffer
		r := NewReview(client, pullEvent(), Env{CommentAuthor: "my-app[bot]"}, &log)
		if err := r.Publish(context.Background(), pass(), "", &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		if want := "the token posts as " + ghtest.DefaultLogin + ", not my-app[bot]: set NHIGATE_COMMENT_AUTHOR=" + ghtest.DefaultLogin; !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	})
	t.Run("a failed comment fails the run", func(t *testing.T) {
		client, srv := newClient(t)
		srv.FailNext("/repos/acme/policy/issues/7/comments", http.StatusForbidden, nil)
		err := NewReview(client, pullEvent(), Env{}, &bytes.Buffer{}).Publish(context.Background(), pass(), "", &bytes.Buffer{})
		var apiErr *ghapi.Error
		if !errors.As(err, &apiErr) || !strings.Contains(err.Error(), "write the pull request comment") {
			t.Errorf("Publish = %v, want the comment's API error", err)
		}
	})
}

// Begin marks the head pending before anything can fail, and only then
// refuses a comment author that is no login.
func TestBegin(t *testing.T) {
	for _, tc := range []struct {
		name    string
		author  string
		fork    bool
		fail    bool
		usage   bool
		pending int
		log     string
	}{
		{name: "pending", pending: 1},
		{name: "bad author, after pending", author: "not a login!", pending: 1, usage: true},
		{name: "fork: nothing", fork: true},
		{name: "status refused: said, and the run goes on", fail: true, log: "could not mark the review as pending"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, srv := newClient(t)
			if tc.fail {
				srv.FailNext("/repos/acme/policy/statuses/"+head, http.StatusForbidden, nil)
			}
			ev := pullEvent()
			ev.Fork = tc.fork
			var log bytes.Buffer
			err := NewReview(client, ev, Env{CommentAuthor: tc.author}, &log).Begin(context.Background())
			var ue *review.UsageError
			if got := errors.As(err, &ue); got != tc.usage || (err != nil && !tc.usage) {
				t.Errorf("Begin = %v, want a usage error: %v", err, tc.usage)
			}
			st := statuses(srv)
			if len(st) != tc.pending {
				t.Fatalf("statuses %+v, want %d pending", st, tc.pending)
			}
			if tc.pending > 0 && (st[0].State != "pending" || st[0].Description != "nhigate is reviewing the change against main") {
				t.Errorf("status %+v, want pending against main", st[0])
			}
			if !strings.Contains(log.String(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, log.String())
			}
		})
	}
}

// A failed run leaves an error status and a comment saying so, never an
// earlier verdict; a blocked run (exit 1) is a verdict, not a failure.
func TestFailed(t *testing.T) {
	for _, tc := range []struct {
		name     string
		code     int
		event    func(*ghapi.Event)
		status   []statusRow
		comments int
		what     string
	}{
		{name: "blocked is no failure", code: 1},
		{name: "usage", code: 2, comments: 1, what: "a usage or configuration error (exit 2)",
			status: []statusRow{{"error", "nhigate/review", "the review failed with a usage or configuration error (exit 2); see the job log", ""}}},
		{name: "internal", code: 3, comments: 1, what: "an internal error (exit 3)",
			status: []statusRow{{"error", "nhigate/review", "the review failed with an internal error (exit 3); see the job log", ""}}},
		{name: "merge group: status only", code: 3, event: func(ev *ghapi.Event) { ev.Number = 0 },
			status: []statusRow{{"error", "nhigate/review", "the review failed with an internal error (exit 3); see the job log", ""}}},
		{name: "fork: nothing", code: 3, event: func(ev *ghapi.Event) { ev.Fork = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, srv := newClient(t)
			srv.AddComments("acme", "policy", 7, ghtest.Comment{User: ghtest.DefaultLogin, Body: "## pass " + output.Marker})
			ev := pullEvent()
			if tc.event != nil {
				tc.event(ev)
			}
			// The run's context is gone; Failed still writes.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var log bytes.Buffer
			NewReview(client, ev, Env{}, &log).Failed(ctx, tc.code)
			// Each write it tried, and nothing else, is on the log.
			var want string
			if len(tc.status) > 0 {
				want += "nhigate: set the nhigate/review status to error\n"
			}
			if tc.comments > 0 {
				want += "nhigate: updated the comment on pull request #7\n"
			}
			if log.String() != want {
				t.Errorf("log:\n%s\nwant:\n%s", log.String(), want)
			}
			if diff := cmp.Diff(tc.status, statuses(srv)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			c := srv.CommentsOn("acme", "policy", 7)
			if len(c) != 1 {
				t.Fatalf("%d comments, want the one sticky comment", len(c))
			}
			failed := strings.Contains(c[0].Body, "the last run failed")
			if failed != (tc.comments > 0) {
				t.Errorf("comment says the run failed: %v, want %v:\n%s", failed, tc.comments > 0, c[0].Body)
			}
			if failed && (!strings.Contains(c[0].Body, tc.what) || !strings.Contains(c[0].Body, head[:7]) || !strings.HasPrefix(c[0].Body, output.Marker)) {
				t.Errorf("comment lacks the marker, %q or the head:\n%s", tc.what, c[0].Body)
			}
		})
	}
}

// Only a review against the default branch may speak as nhigate/review; any
// other base is named, and two bases never share a context.
func TestStatusContext(t *testing.T) {
	long := strings.Repeat("release/", 20) + "x"
	longer := strings.Repeat("release/", 20) + "y"
	for _, tc := range []struct {
		base, defaultBranch, want string
	}{
		{"main", "main", "nhigate/review"},
		{"trunk", "trunk", "nhigate/review"},
		{"weak", "main", "nhigate/review (base: weak)"},
		{"main", "trunk", "nhigate/review (base: main)"},
		{"Main", "main", "nhigate/review (base: Main)"},
		{"release/1.x", "main", "nhigate/review (base: release/1.x)"},
	} {
		got := statusContext(&ghapi.Event{BaseRef: tc.base, DefaultBranch: tc.defaultBranch})
		if got != tc.want {
			t.Errorf("statusContext(base %q, default %q) = %q, want %q", tc.base, tc.defaultBranch, got, tc.want)
		}
	}
	a := statusContext(&ghapi.Event{BaseRef: long, DefaultBranch: "main"})
	b := statusContext(&ghapi.Event{BaseRef: longer, DefaultBranch: "main"})
	if a == b {
		t.Errorf("two long bases share the context %q", a)
	}
	for _, c := range []string{a, b} {
		if n := utf8.RuneCountInString(c); n > len("nhigate/review (base: )")+maxContextBase || !strings.HasPrefix(c, "nhigate/review (base: release/") {
			t.Errorf("context %q (%d characters) is not a bounded name of its base", c, n)
		}
	}
}

// Only GITHUB_SHA of the pull request's own merge ref, as a full SHA, is
// taken as the merge result actions/checkout checked out.
func TestCheckoutSHA(t *testing.T) {
	merge := strings.Repeat("ab", 20)
	for _, tc := range []struct {
		ref, sha string
		want     []string
	}{
		{"refs/pull/7/merge", merge, []string{merge}},
		{"refs/pull/8/merge", merge, nil},
		{"refs/heads/main", merge, nil},
		{"refs/pull/7/merge", "HEAD~1", nil},
	} {
		r := NewReview(nil, pullEvent(), Env{Ref: tc.ref, SHA: tc.sha}, &bytes.Buffer{})
		pr, err := r.GitHub().PullRequest(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, pr.MergeCommits); diff != "" {
			t.Errorf("GITHUB_REF %s, GITHUB_SHA %s: merge commits (-want +got):\n%s", tc.ref, tc.sha, diff)
		}
	}
}

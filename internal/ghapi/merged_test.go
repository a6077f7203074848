package ghapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nhigate/nhigate/internal/ghtest"
)

const mergeSHA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func TestMergedPullRequest(t *testing.T) {
	merged := Merged{Number: 7, URL: "https://github.com/acme/policy/pull/7", Author: "chatops-bot[bot]", MergedBy: "carol", HeadSHA: headSHA, BaseSHA: baseSHA}
	tests := []struct {
		name      string
		configure func(*ghtest.Server, *ghtest.Merges)
		sha       string
		want      Merged
		found     bool
	}{
		{
			name: "merged as the commit",
			configure: func(srv *ghtest.Server, m *ghtest.Merges) {
				m.SetMerged("acme", "policy", 7, ghtest.Merge{Commit: mergeSHA, MergedBy: "carol", MergedAt: time.Now()})
			},
			sha: mergeSHA, want: merged, found: true,
		},
		{
			name: "upper-case SHA",
			configure: func(srv *ghtest.Server, m *ghtest.Merges) {
				m.SetMerged("acme", "policy", 7, ghtest.Merge{Commit: mergeSHA, MergedBy: "carol"})
			},
			sha: strings.ToUpper(mergeSHA), want: merged, found: true,
		},
		{
			name: "past open pull requests that contain it, over pages",
			configure: func(srv *ghtest.Server, m *ghtest.Merges) {
				var open []int
				for n := 100; n < 250; n++ {
					srv.AddPullRequest(ghtest.PullRequest{Owner: "acme", Repo: "policy", Number: n, Author: "dave", HeadSHA: oldSHA, BaseSHA: baseSHA})
					open = append(open, n)
				}
				m.AddCommit("acme", "policy", mergeSHA, open...)
				m.SetMerged("acme", "policy", 7, ghtest.Merge{Commit: mergeSHA, MergedBy: "carol"})
			},
			sha: mergeSHA, want: merged, found: true,
		},
		{
			name: "pushed directly: no pull request",
			sha:  mergeSHA,
		},
		{
			name: "a pull request that contains the commit but was merged as another",
			configure: func(srv *ghtest.Server, m *ghtest.Merges) {
				m.SetMerged("acme", "policy", 7, ghtest.Merge{Commit: oldSHA, MergedBy: "carol"})
				m.AddCommit("acme", "policy", mergeSHA, 7)
			},
			sha: mergeSHA,
		},
		{
			name: "an open pull request that contains the commit",
			configure: func(srv *ghtest.Server, m *ghtest.Merges) {
				m.AddCommit("acme", "policy", mergeSHA, 7)
			},
			sha: mergeSHA,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv, _ := setup(t)
			addPR(srv)
			m := srv.EnableMerges()
			if tt.configure != nil {
				tt.configure(srv, m)
			}
			got, found, err := c.MergedPullRequest(context.Background(), "acme", "policy", tt.sha)
			if err != nil {
				t.Fatal(err)
			}
			if found != tt.found {
				t.Fatalf("found = %v, want %v", found, tt.found)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MergedPullRequest (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergedPullRequestRequests(t *testing.T) {
	c, srv, sl := setup(t)
	addPR(srv)
	srv.EnableMerges().SetMerged("acme", "policy", 7, ghtest.Merge{Commit: mergeSHA, MergedBy: "carol"})
	srv.FailNext("/repos/acme/policy/commits/"+mergeSHA+"/pulls", http.StatusBadGateway, nil)
	if _, found, err := c.MergedPullRequest(context.Background(), "acme", "policy", mergeSHA); err != nil || !found {
		t.Fatalf("after a 502: found %v, err %v; want the retry to find it", found, err)
	}
	want := []string{
		"GET /api/v3/repos/acme/policy/commits/" + mergeSHA + "/pulls",
		"GET /api/v3/repos/acme/policy/commits/" + mergeSHA + "/pulls",
		"GET /api/v3/repos/acme/policy/pulls/7",
	}
	if diff := cmp.Diff(want, srv.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if len(sl.Waits()) != 1 {
		t.Errorf("waits = %v, want one backoff", sl.Waits())
	}
}

func TestMergedPullRequestFails(t *testing.T) {
	ctx := context.Background()
	t.Run("invalid SHA", func(t *testing.T) {
		c, srv, _ := setup(t)
		_, _, err := c.MergedPullRequest(ctx, "acme", "policy", "main")
		if err == nil || !strings.Contains(err.Error(), "invalid commit SHA") {
			t.Errorf("err = %v, want invalid commit SHA", err)
		}
		if len(srv.Requests()) != 0 {
			t.Errorf("requests = %q, want none", srv.Requests())
		}
	})
	t.Run("unknown commit", func(t *testing.T) {
		c, srv, _ := setup(t)
		srv.EnableMerges()
		srv.FailNext("/repos/acme/policy/commits/"+mergeSHA+"/pulls", http.StatusUnprocessableEntity, nil)
		_, found, err := c.MergedPullRequest(ctx, "acme", "policy", mergeSHA)
		var e *Error
		if !errors.As(err, &e) || e.StatusCode != http.StatusUnprocessableEntity || found {
			t.Errorf("found %v, err %v; want a 422 *Error", found, err)
		}
	})
	t.Run("rate limited", func(t *testing.T) {
		c, srv, _ := setup(t, func(o *Options) { o.MaxRateLimitWait = -1 })
		srv.EnableMerges()
		srv.FailNext("/repos/acme/policy/commits/"+mergeSHA+"/pulls", http.StatusForbidden, map[string]string{
			"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4102444800",
		})
		_, _, err := c.MergedPullRequest(ctx, "acme", "policy", mergeSHA)
		var rl *RateLimitError
		if !errors.As(err, &rl) {
			t.Errorf("err = %v, want a *RateLimitError", err)
		}
	})
}

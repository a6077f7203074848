package ghapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nhigate/nhigate/internal/ghtest"
)

const prPath = "/repos/acme/policy/pulls/7"

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestRetries(t *testing.T) {
	type failure struct {
		status  int
		headers map[string]string
	}
	soon := time.Now().Add(5 * time.Second)
	for _, tc := range []struct {
		name     string
		failures []failure
		// wantWaits bounds each wait: [min, max].
		wantWaits [][2]time.Duration
	}{
		{
			name:      "403 secondary with Retry-After",
			failures:  []failure{{403, map[string]string{"Retry-After": "30"}}},
			wantWaits: [][2]time.Duration{{30 * time.Second, 30 * time.Second}},
		},
		{
			name:      "403 without the signs of a rate limit",
			failures:  []failure{{403, map[string]string{}}},
			wantWaits: nil,
		},
		{
			name:      "429 without Retry-After waits a minute",
			failures:  []failure{{429, nil}},
			wantWaits: [][2]time.Duration{{time.Minute, time.Minute + time.Minute/4}},
		},
		{
			name:      "429 with Retry-After",
			failures:  []failure{{429, map[string]string{"Retry-After": "3"}}},
			wantWaits: [][2]time.Duration{{3 * time.Second, 3 * time.Second}},
		},
		{
			name: "primary limit resets soon",
			failures: []failure{{403, map[string]string{
				"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": unix(soon),
			}}},
			wantWaits: [][2]time.Duration{{4 * time.Second, 7 * time.Second}},
		},
		{
			name:      "502 then success",
			failures:  []failure{{502, nil}},
			wantWaits: [][2]time.Duration{{time.Second, time.Second + time.Second/4}},
		},
		{
			name:     "503, 500, 504 then success",
			failures: []failure{{503, nil}, {500, nil}, {504, nil}},
			wantWaits: [][2]time.Duration{
				{time.Second, time.Second + time.Second/4},
				{2 * time.Second, 2*time.Second + time.Second/2},
				{4 * time.Second, 5 * time.Second},
			},
		},
		{
			name:      "503 with Retry-After",
			failures:  []failure{{503, map[string]string{"Retry-After": "7"}}},
			wantWaits: [][2]time.Duration{{7 * time.Second, 7 * time.Second}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, srv, sl := setup(t)
			addPR(srv)
			for _, f := range tc.failures {
				srv.FailNext(prPath, f.status, f.headers)
			}
			info, err := c.PullRequest("acme", "policy", 7).Info(context.Background())
			if tc.wantWaits == nil {
				// A 403 that is not a rate limit is an answer, not a
				// reason to retry.
				if err == nil || len(sl.Waits()) != 0 {
					t.Fatalf("err = %v after waits %v; want a plain 403 without retry", err, sl.Waits())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if info.HeadSHA != headSHA {
				t.Errorf("HeadSHA = %q", info.HeadSHA)
			}
			waits := sl.Waits()
			if len(waits) != len(tc.wantWaits) {
				t.Fatalf("waits = %v, want %d", waits, len(tc.wantWaits))
			}
			for i, w := range waits {
				if w < tc.wantWaits[i][0] || w > tc.wantWaits[i][1] {
					t.Errorf("wait %d = %v, want in %v", i, w, tc.wantWaits[i])
				}
			}
			if got, want := len(srv.Requests()), len(tc.failures)+1; got != want {
				t.Errorf("%d requests, want %d", got, want)
			}
		})
	}
}

func TestSecondaryLimitByBody(t *testing.T) {
	c, srv, sl := setup(t)
	addPR(srv)
	srv.FailNextWith(prPath, ghtest.Failure{
		Status:           403,
		Message:          "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
		DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
	})
	if _, err := c.PullRequest("acme", "policy", 7).Info(context.Background()); err != nil {
		t.Fatal(err)
	}
	if waits := sl.Waits(); len(waits) != 1 || waits[0] < time.Minute {
		t.Errorf("waits = %v, want one of at least a minute", waits)
	}
}

func TestRateLimitTooLong(t *testing.T) {
	later := time.Now().Add(time.Hour).Truncate(time.Second)
	for _, tc := range []struct {
		name          string
		failure       ghtest.Failure
		maxWait       time.Duration
		wantSecondary bool
		wantMsg       string
	}{
		{
			name: "primary 403",
			failure: ghtest.Failure{Status: 403, Headers: map[string]string{
				"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": unix(later),
			}},
			wantMsg: "GitHub API rate limit exhausted until " + later.UTC().Format("15:04:05") +
				" UTC; retry later or use a token with a higher limit",
		},
		{
			name: "primary 429",
			failure: ghtest.Failure{Status: 429, Headers: map[string]string{
				"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": unix(later),
			}},
			wantMsg: "GitHub API rate limit exhausted until " + later.UTC().Format("15:04:05") + " UTC",
		},
		{
			name:          "secondary 403 Retry-After",
			failure:       ghtest.Failure{Status: 403, Headers: map[string]string{"Retry-After": "3600"}},
			wantSecondary: true,
			wantMsg:       "secondary rate limit hit; retry after 1h0m0s",
		},
		{
			name: "secondary 403 known only by Retry-After",
			failure: ghtest.Failure{Status: 403, Headers: map[string]string{"Retry-After": "600"},
				Message: "Forbidden", DocumentationURL: "https://docs.github.com/rest"},
			wantSecondary: true,
			wantMsg:       "secondary rate limit hit; retry after 10m0s",
		},
		{
			name:          "secondary 429 Retry-After",
			failure:       ghtest.Failure{Status: 429, Headers: map[string]string{"Retry-After": "120"}},
			wantSecondary: true,
			wantMsg:       "secondary rate limit hit; retry after 2m0s",
		},
		{
			name:          "secondary without Retry-After, short patience",
			failure:       ghtest.Failure{Status: 429},
			maxWait:       10 * time.Second,
			wantSecondary: true,
			wantMsg:       "secondary rate limit hit; retry after a few minutes",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, srv, sl := setup(t, func(o *Options) { o.MaxRateLimitWait = tc.maxWait })
			addPR(srv)
			srv.FailNextWith(prPath, tc.failure)
			_, err := c.PullRequest("acme", "policy", 7).Info(context.Background())
			var rl *RateLimitError
			if !errors.As(err, &rl) {
				t.Fatalf("err = %v (%T), want *RateLimitError", err, err)
			}
			if rl.Secondary != tc.wantSecondary {
				t.Errorf("Secondary = %v, want %v", rl.Secondary, tc.wantSecondary)
			}
			if !tc.wantSecondary && !rl.Reset.Equal(later) {
				t.Errorf("Reset = %v, want %v", rl.Reset, later)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) || !strings.HasPrefix(err.Error(), "get pull request acme/policy#7: ") {
				t.Errorf("err = %q, want it to contain %q", err, tc.wantMsg)
			}
			if len(sl.Waits()) != 0 {
				t.Errorf("waited %v for a limit beyond MaxRateLimitWait", sl.Waits())
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

// After an answer that used the last request of the quota, the next call
// waits for the reset instead of failing, even though go-github would refuse
// it by itself.
func TestQuotaUsedUpWaitsForReset(t *testing.T) {
	c, mux, sl := setupMux(t)
	reset := time.Now().Add(10 * time.Second)
	var calls atomic.Int32
	mux.HandleFunc("/repos/acme/policy/pulls/7", func(w http.ResponseWriter, r *http.Request) {
		remaining := 5000 - int(calls.Add(1))
		if calls.Load() == 1 {
			remaining = 0
		}
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		w.Header().Set("X-RateLimit-Reset", unix(reset))
		fmt.Fprintf(w, `{"number": 7, "user": {"login": "a"}, "head": {"sha": %q}, "base": {"sha": %q}}`, headSHA, baseSHA)
	})
	ctx := context.Background()
	if _, err := c.PullRequest("acme", "policy", 7).Info(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PullRequest("acme", "policy", 7).Info(ctx); err != nil {
		t.Fatalf("call after the quota ran out: %v", err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d calls reached the server, want 2", calls.Load())
	}
	if waits := sl.Waits(); len(waits) != 1 || waits[0] < 9*time.Second || waits[0] > 12*time.Second {
		t.Errorf("waits = %v, want one until the reset", waits)
	}
}

func TestPersistent5xx(t *testing.T) {
	c, srv, sl := setup(t, func(o *Options) { o.MaxRetries = 2 })
	addPR(srv)
	for range 5 {
		srv.FailNext(prPath, http.StatusInternalServerError, nil)
	}
	_, err := c.PullRequest("acme", "policy", 7).Info(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != 500 {
		t.Fatalf("err = %v, want a 500 *Error", err)
	}
	if n := len(srv.Requests()); n != 3 {
		t.Errorf("%d requests, want 1 + MaxRetries", n)
	}
	if n := len(sl.Waits()); n != 2 {
		t.Errorf("%d waits, want 2", n)
	}
}

func TestNoRetries(t *testing.T) {
	c, srv, sl := setup(t, func(o *Options) { o.MaxRetries = -1 })
	addPR(srv)
	srv.FailNext(prPath, http.StatusBadGateway, nil)
	if _, err := c.PullRequest("acme", "policy", 7).Info(context.Background()); err == nil {
		t.Fatal("a 502 without retries succeeded")
	}
	if len(srv.Requests()) != 1 || len(sl.Waits()) != 0 {
		t.Errorf("requests %q, waits %v; want one request", srv.Requests(), sl.Waits())
	}
}

func TestTimeout(t *testing.T) {
	c, srv, sl := setup(t, func(o *Options) {
		o.Timeout = 50 * time.Millisecond
		o.MaxRetries = 1
	})
	addPR(srv)
	ctx := context.Background()

	// One slow answer is retried.
	srv.SlowNext(prPath, 10*time.Second)
	if _, err := c.PullRequest("acme", "policy", 7).Info(ctx); err != nil {
		t.Fatalf("after one slow answer: %v", err)
	}
	if len(sl.Waits()) != 1 {
		t.Errorf("waits = %v, want one retry", sl.Waits())
	}

	// Two are not.
	// The slow answers would arrive, and succeed, after 10s; a deadline
	// error after exactly one retry shows the timeout cut both.
	srv.SlowNext(prPath, 10*time.Second)
	srv.SlowNext(prPath, 10*time.Second)
	before := len(srv.Requests())
	_, err := c.PullRequest("acme", "policy", 7).Info(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline", err)
	}
	if !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Errorf("err = %q, want the timeout named", err)
	}
	if n := len(srv.Requests()) - before; n != 2 {
		t.Errorf("%d requests, want 2: the first and one retry", n)
	}
}

func TestCallerDeadline(t *testing.T) {
	c, srv, _ := setup(t)
	addPR(srv)
	srv.SlowNext(prPath, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.PullRequest("acme", "policy", 7).Info(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests after the caller gave up, want 1", n)
	}
}

func TestCanceledWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, srv, _ := setup(t, func(o *Options) { o.Sleep = func(time.Duration) { cancel() } })
	addPR(srv)
	srv.FailNext(prPath, http.StatusBadGateway, nil)
	_, err := c.PullRequest("acme", "policy", 7).Info(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want canceled", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests after cancel, want 1", n)
	}
}

func TestUnauthorized(t *testing.T) {
	c, srv, sl := setup(t)
	addPR(srv)
	srv.Token = "another"
	_, err := c.PullRequest("acme", "policy", 7).Info(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != 401 || e.Message != "Bad credentials" {
		t.Fatalf("err = %v, want 401 Bad credentials", err)
	}
	if !strings.Contains(err.Error(), "check that it is valid") {
		t.Errorf("err = %q, want advice", err)
	}
	if len(sl.Waits()) != 0 {
		t.Errorf("a 401 was retried")
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"30", 30 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"99999999999999", 24 * time.Hour, true},
		{"Wed, 25 Nov 2026 10:01:00 GMT", time.Minute, true},
		{"Wed, 25 Nov 2026 09:00:00 GMT", 0, true},
	} {
		h := http.Header{}
		if tc.in != "" {
			h.Set("Retry-After", tc.in)
		}
		got, ok := retryAfter(h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBaseURL(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"", "https://api.github.com/"},
		{"https://api.github.com", "https://api.github.com/"},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3/"},
		{"https://ghe.example.com", "https://ghe.example.com/api/v3/"},
		{"https://api.acme.ghe.com", "https://api.acme.ghe.com/"}, // GitHub Enterprise Cloud with data residency
	} {
		c, err := New(Options{Token: testToken, BaseURL: tc.in})
		if err != nil {
			t.Errorf("New(%q): %v", tc.in, err)
			continue
		}
		if got := c.BaseURL(); got != tc.want {
			t.Errorf("New(%q).BaseURL() = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"ftp://ghe.example.com", "ghe.example.com", "https://x-access-token:" + testToken + "@ghe.example.com", "https://ghe.example.com/api/v3?token=" + testToken} {
		_, err := New(Options{Token: testToken, BaseURL: bad})
		if err == nil {
			t.Errorf("New(%q) succeeded", bad)
		} else if strings.Contains(err.Error(), "SECRET123") {
			t.Errorf("New(%q) error shows the token: %v", bad, err)
		}
	}
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("New without token: err = %v", err)
	}
	if _, err := New(Options{Token: "ghp_x\r\nX-Evil: 1"}); err == nil {
		t.Error("New with a token that would split the header succeeded")
	}
}

func TestEnterprise(t *testing.T) {
	for _, suffix := range []string{"", "/api/v3", "/api/v3/"} {
		t.Run(suffix, func(t *testing.T) {
			c, srv, _ := setup(t, func(o *Options) { o.BaseURL += suffix })
			addPR(srv)
			if _, err := c.PullRequest("acme", "policy", 7).Info(context.Background()); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"GET /api/v3" + prPath}, srv.Requests()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

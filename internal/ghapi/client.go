// Package ghapi is nhigate's edge to the GitHub REST API: it reads pull
// requests, reviews and team memberships for the approval engine, writes the
// sticky comment and the commit status, and parses Actions event payloads.
// It wraps go-github with retries, rate-limit handling and per-request
// timeouts, and keeps the token out of every error.
//
// Retries happen in an http.RoundTripper below go-github, so go-github sees
// only each request's final answer: 5xx answers and timeouts are retried
// with exponential backoff when repeating the request is harmless, and rate
// limits are waited out when GitHub says they clear within
// Options.MaxRateLimitWait. Otherwise a call fails with a *RateLimitError or
// an *Error; no error carries the token or credentials in a URL.
//
// The token is redacted from errors, from every answer before go-github
// decodes it, and from the comments and statuses nhigate writes, in every
// form a hostile server could echo it: in another case, percent- or
// JSON-escaped, base64 at any alignment, or only a slice of it such as its
// first eight characters (see redactor).
package ghapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// DefaultBaseURL is the API of github.com.
const DefaultBaseURL = "https://api.github.com/"

// Options configure a Client. Only Token is required.
type Options struct {
	// Token authenticates every request. It never appears in an error.
	Token string
	// BaseURL is the REST API root, as in GITHUB_API_URL; empty means
	// github.com. Any other host is treated as GitHub Enterprise Server,
	// whose API lives under /api/v3/ (added when missing).
	BaseURL string
	// HTTPClient sends the requests; nil means a new http.Client. Its
	// Transport is wrapped, not changed.
	HTTPClient *http.Client
	// Timeout bounds each HTTP attempt, body included; retries get a fresh
	// one. Zero means 30s. The caller's context bounds the whole call.
	Timeout time.Duration
	// MaxRetries is how often a request is retried after the first attempt.
	// Zero means 3; negative means never.
	MaxRetries int
	// MaxRateLimitWait is the longest nhigate waits for a rate limit to
	// clear before failing with a RateLimitError. Zero means 60s; negative
	// means never wait.
	MaxRateLimitWait time.Duration
	// Sleep waits between attempts; nil means a timer that the context can
	// cut short. Tests inject one that returns at once.
	Sleep func(time.Duration)
}

const (
	defaultTimeout       = 30 * time.Second
	defaultMaxRetries    = 3
	defaultMaxRateWait   = 60 * time.Second
	perPage              = 100
	maxPages             = 1000
	maxCommentLen        = 65536
	maxStatusDescLen     = 140
	defaultStatusContext = "nhigate/review"
)

// Client talks to one GitHub API with one token.
type Client struct {
	gh       *github.Client
	redactor *redactor
	sleep    func(context.Context, time.Duration) error
	retries  int
	baseURL  string
	// now is the wall clock, for rate-limit waits; the transport shares it.
	now func() time.Time
}

// New returns a Client for opts.
func New(opts Options) (*Client, error) {
	if opts.Token == "" {
		return nil, errors.New("ghapi: no GitHub token: GitHub mode needs one (in Actions, pass ${{ github.token }} as GITHUB_TOKEN)")
	}
	if strings.ContainsAny(opts.Token, " \t\r\n") {
		return nil, errors.New("ghapi: the GitHub token contains whitespace; check how it is passed")
	}
	red := newRedactor(opts.Token)
	base, enterprise, err := parseBaseURL(opts.BaseURL)
	if err != nil {
		return nil, errors.New(red.redact(err.Error()))
	}

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	retries := opts.MaxRetries
	switch {
	case retries == 0:
		retries = defaultMaxRetries
	case retries < 0:
		retries = 0
	}
	maxWait := opts.MaxRateLimitWait
	switch {
	case maxWait == 0:
		maxWait = defaultMaxRateWait
	case maxWait < 0:
		maxWait = 0
	}
	sleep := sleepContext
	if opts.Sleep != nil {
		sleep = func(ctx context.Context, d time.Duration) error {
			opts.Sleep(d)
			return ctx.Err()
		}
	}

	hc := &http.Client{}
	if opts.HTTPClient != nil {
		copied := *opts.HTTPClient
		hc = &copied
	}
	inner := hc.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	now := time.Now
	hc.Transport = &transport{
		base:       inner,
		maxRetries: retries,
		maxWait:    maxWait,
		timeout:    timeout,
		sleep:      sleep,
		now:        now,
		redact:     red.redact,
	}

	gh := github.NewClient(hc).WithAuthToken(opts.Token)
	if enterprise {
		gh, err = gh.WithEnterpriseURLs(base, base)
		if err != nil {
			return nil, errors.New(red.redact("ghapi: base URL: " + err.Error()))
		}
	} else {
		gh.BaseURL, _ = url.Parse(base)
	}
	return &Client{
		gh:       gh,
		redactor: red,
		sleep:    sleep,
		retries:  retries,
		baseURL:  gh.BaseURL.String(),
		now:      now,
	}, nil
}

// BaseURL is the API root requests go to, with /api/v3/ for GitHub
// Enterprise Server.
func (c *Client) BaseURL() string { return c.baseURL }

// parseBaseURL checks a GITHUB_API_URL and says whether it is GitHub
// Enterprise Server.
func parseBaseURL(raw string) (base string, enterprise bool, err error) {
	if raw == "" {
		return DefaultBaseURL, false, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", false, fmt.Errorf("ghapi: base URL %q is not an http(s) URL like https://api.github.com or https://github.example.com/api/v3", sanitizeURL(raw))
	}
	if u.User != nil {
		return "", false, errors.New("ghapi: the base URL carries credentials; pass the token as the token, not in the URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", false, fmt.Errorf("ghapi: base URL %q has a query or fragment; give only scheme, host and path", sanitizeURL(raw))
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), !strings.EqualFold(u.Hostname(), "api.github.com"), nil
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// backoff is the wait before retry number attempt+1 of a step that the
// transport does not retry itself.
func (c *Client) backoff(attempt int) time.Duration {
	return min(time.Second<<min(attempt, 10), 30*time.Second)
}

// validName reports whether s can be an owner, repository, team slug or
// login: it ends up in a URL path, so nothing that could climb out of it.
func validName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 100 {
		return false
	}
	for _, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '_' || c == '.':
		case c == '[' || c == ']': // bot logins, like github-actions[bot]
		default:
			return false
		}
	}
	return true
}

func validSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func checkRepo(owner, repo string) error {
	if !validName(owner) || !validName(repo) {
		return fmt.Errorf("invalid repository %q: want OWNER/REPO", owner+"/"+repo)
	}
	return nil
}

func checkIssue(owner, repo string, number int) error {
	if err := checkRepo(owner, repo); err != nil {
		return err
	}
	if number <= 0 {
		return fmt.Errorf("invalid pull request number %d", number)
	}
	return nil
}

// paginate calls list for pages 1, 2, ... until GitHub's Link header has no
// next page.
func paginate(list func(opts github.ListOptions) (*github.Response, error)) error {
	opts := github.ListOptions{PerPage: perPage, Page: 1}
	for range maxPages {
		resp, err := list(opts)
		if err != nil {
			return err
		}
		if resp == nil || resp.NextPage == 0 {
			return nil
		}
		if resp.NextPage <= opts.Page {
			return fmt.Errorf("pagination went back from page %d to %d", opts.Page, resp.NextPage)
		}
		opts.Page = resp.NextPage
	}
	return fmt.Errorf("more than %d pages", maxPages)
}

package ghapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// transport retries GitHub API requests. It sits below go-github, so
// go-github sees only the final answer of each request, and a retry never
// re-runs go-github's decoding or pagination.
//
// It retries:
//   - a secondary rate limit (429, or 403 with Retry-After or GitHub's
//     secondary-limit message), after Retry-After, or a minute if GitHub did
//     not say, for every method: GitHub did not act on the request;
//   - an exhausted primary limit (403 or 429 with X-RateLimit-Remaining: 0),
//     after X-RateLimit-Reset;
//   - 5xx answers, network errors and attempts that time out, with
//     exponential backoff, for idempotent requests only (see idempotent).
//
// A rate-limit wait longer than maxWait is not made: the answer goes back to
// go-github, which turns it into a rate-limit error.
type transport struct {
	base       http.RoundTripper
	maxRetries int
	maxWait    time.Duration
	timeout    time.Duration
	sleep      func(context.Context, time.Duration) error
	now        func() time.Time
	// redact removes the token from each final answer's headers and body
	// before go-github reads them, so that a server that echoes the token,
	// in whatever form, cannot slip it into a login, a message or an error.
	redact func(string) string

	mu sync.Mutex
	// exhaustedUntil is when the primary quota refills, after an answer
	// that said none is left; zero otherwise. All calls nhigate makes are in
	// the "core" quota, so one value is enough.
	exhaustedUntil time.Time
}

const (
	backoffBase = time.Second
	backoffMax  = 30 * time.Second
	// resetSlack covers the clock skew between us and GitHub, and
	// X-RateLimit-Reset's whole seconds.
	resetSlack = time.Second
	// secondaryDefaultWait is GitHub's advice when a secondary limit comes
	// without Retry-After: wait at least a minute.
	secondaryDefaultWait = time.Minute
)

type idempotentKey struct{}

// withIdempotent marks a POST as safe to repeat, like creating a commit
// status: a second one with the same context only supersedes the first.
func withIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

// idempotent reports whether repeating req cannot do harm twice. Creating a
// comment is not: a 502 may come after GitHub posted it.
func idempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	v, _ := req.Context().Value(idempotentKey{}).(bool)
	return v
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		if attempt == 0 {
			if err := t.waitForQuota(ctx); err != nil {
				return nil, err
			}
		}
		resp, err := t.try(req, attempt)
		if resp != nil {
			t.observe(resp)
		}
		wait, retry := t.retryAfter(req, resp, err, attempt)
		if !retry {
			if resp != nil && t.redact != nil {
				if err := t.scrub(req, resp); err != nil {
					return nil, err
				}
			}
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
		}
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
		if resp != nil && primaryLimited(resp) {
			// That wait was for the reset.
			t.mu.Lock()
			t.exhaustedUntil = time.Time{}
			t.mu.Unlock()
		}
	}
}

// try sends one attempt of req with its own timeout, which runs until the
// body is closed.
func (t *transport) try(req *http.Request, attempt int) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	r := req.Clone(ctx)
	if attempt > 0 && req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			cancel()
			return nil, errors.New("cannot resend a request whose body cannot be replayed")
		}
		body, err := req.GetBody()
		if err != nil {
			cancel()
			return nil, err
		}
		r.Body = body
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		cancel()
		if req.Context().Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, &timeoutError{t.timeout}
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// maxResponseBody bounds an answer that nhigate reads; GitHub's largest,
// a page of 100 items or a blob of a spec within its size limit, is far
// smaller.
const maxResponseBody = 32 << 20

// scrub reads resp's body, bounded, and puts back a copy with the token
// redacted, in the headers too.
func (t *transport) scrub(req *http.Request, resp *http.Response) error {
	for k, vs := range resp.Header {
		for i, v := range vs {
			resp.Header[k][i] = t.redact(v)
		}
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	resp.Body.Close()
	if err != nil {
		return err
	}
	if len(body) > maxResponseBody {
		return fmt.Errorf("the answer to %s %s is over %d MiB", req.Method, req.URL.Path, maxResponseBody>>20)
	}
	if clean := t.redact(string(body)); clean != string(body) {
		body = []byte(clean)
		resp.Header.Del("Content-Length")
	}
	resp.ContentLength = int64(len(body))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return nil
}

// timeoutError is an attempt that got no answer within the per-attempt
// timeout.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string { return fmt.Sprintf("no answer within %s", e.d) }
func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }
func (e *timeoutError) Timeout() bool { return true }

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// retryAfter decides whether to retry, and after how long.
func (t *transport) retryAfter(req *http.Request, resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if attempt >= t.maxRetries || req.Context().Err() != nil {
		return 0, false
	}
	if err != nil {
		return t.backoff(attempt), idempotent(req)
	}
	now := t.now()
	switch {
	case primaryLimited(resp):
		d := secondaryDefaultWait
		if reset := rateReset(resp.Header); !reset.IsZero() {
			d = reset.Sub(now)
		}
		if d > t.maxWait {
			return 0, false
		}
		return max(d, 0) + resetSlack, true
	case secondaryLimited(resp):
		d, ok := retryAfter(resp.Header, now)
		if !ok {
			d = max(secondaryDefaultWait, t.backoff(attempt))
		}
		return d, d <= t.maxWait
	case resp.StatusCode >= 500:
		if !idempotent(req) {
			return 0, false
		}
		if d, ok := retryAfter(resp.Header, now); ok {
			return d, d <= t.maxWait
		}
		return t.backoff(attempt), true
	}
	return 0, false
}

// backoff is exponential with jitter, so that many jobs limited at once do
// not come back at once.
func (t *transport) backoff(attempt int) time.Duration {
	d := min(backoffBase<<min(attempt, 10), backoffMax)
	return d + rand.N(d/4+1)
}

// observe tracks the primary quota. After an answer that used the last
// request, it hides X-RateLimit-Reset from go-github: go-github would
// otherwise refuse the next call itself, without asking us, while the wait
// before it is ours to decide (waitForQuota).
func (t *transport) observe(resp *http.Response) {
	remaining := resp.Header.Get("X-RateLimit-Remaining")
	if remaining == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if remaining != "0" {
		t.exhaustedUntil = time.Time{}
		return
	}
	t.exhaustedUntil = rateReset(resp.Header)
	if resp.StatusCode < 400 {
		resp.Header.Del("X-RateLimit-Reset")
	}
}

// waitForQuota waits for the primary quota to refill if it is known to be
// exhausted and refills soon enough. If it refills later, the request goes
// out anyway and GitHub's answer says so.
func (t *transport) waitForQuota(ctx context.Context) error {
	t.mu.Lock()
	until := t.exhaustedUntil
	t.mu.Unlock()
	if until.IsZero() {
		return nil
	}
	d := until.Sub(t.now())
	if d <= 0 || d > t.maxWait {
		return nil
	}
	if err := t.sleep(ctx, d+resetSlack); err != nil {
		return err
	}
	t.mu.Lock()
	if t.exhaustedUntil.Equal(until) {
		t.exhaustedUntil = time.Time{}
	}
	t.mu.Unlock()
	return nil
}

func primaryLimited(resp *http.Response) bool {
	return (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests) &&
		resp.Header.Get("X-RateLimit-Remaining") == "0"
}

// secondaryLimited tells a secondary rate limit from other 403s by the
// signs GitHub documents: Retry-After, or the message and documentation URL
// in the body.
func secondaryLimited(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return true
	case http.StatusForbidden:
	default:
		return false
	}
	if resp.Header.Get("Retry-After") != "" {
		return true
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	s := strings.ToLower(string(body))
	return strings.Contains(s, "secondary rate limit") || strings.Contains(s, "abuse")
}

func rateReset(h http.Header) time.Time {
	v, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil || v <= 0 {
		return time.Time{}
	}
	return time.Unix(v, 0)
}

// retryAfter reads Retry-After, in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, int64(24*time.Hour/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

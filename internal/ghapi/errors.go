package ghapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Error is a failed GitHub API call. Its fields are already sanitized: no
// token, no credentials in URLs.
type Error struct {
	// Op says what nhigate was doing, like "get pull request acme/policy#7".
	Op         string
	Method     string
	URL        string
	StatusCode int
	// Message is GitHub's message.
	Message          string
	DocumentationURL string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: %s %s: %d %s", e.Op, e.Method, e.URL, e.StatusCode, e.Message)
	if hint := e.hint(); hint != "" {
		msg += " (" + hint + ")"
	}
	return msg
}

func (e *Error) hint() string {
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return "the token was rejected: check that it is valid and has not expired"
	case http.StatusForbidden:
		if e.Method != http.MethodGet {
			return "the token may not write here: a pull request from a fork gets a read-only token; grant pull-requests: write and statuses: write to the workflow"
		}
		return "the token lacks a permission this call needs"
	case http.StatusNotFound:
		return "it does not exist, or the token cannot see it"
	}
	return ""
}

// RateLimitError says GitHub refused a call for its rate limits, and for
// how long. The caller may retry after Reset (primary limit) or RetryAfter
// (secondary limit).
type RateLimitError struct {
	Op string
	// Secondary is true for a secondary (abuse) rate limit, false for the
	// primary hourly quota.
	Secondary bool
	// Reset is when the primary quota refills; zero if GitHub did not say.
	Reset time.Time
	// RetryAfter is how long GitHub asked to wait after a secondary limit;
	// zero if it did not say.
	RetryAfter time.Duration
	// Limit is the primary quota per hour, if known.
	Limit int
}

func (e *RateLimitError) Error() string {
	if e.Secondary {
		wait := "a few minutes"
		if e.RetryAfter > 0 {
			wait = e.RetryAfter.String()
		}
		return fmt.Sprintf("%s: GitHub API secondary rate limit hit; retry after %s, and make fewer concurrent requests", e.Op, wait)
	}
	until := "its reset"
	if !e.Reset.IsZero() {
		until = e.Reset.UTC().Format("15:04:05") + " UTC"
	}
	return fmt.Sprintf("%s: GitHub API rate limit exhausted until %s; retry later or use a token with a higher limit", e.Op, until)
}

// TruncatedError says GitHub listed only part of a pull request's files:
// the files API stops at 3,000. Read the changed files from git instead.
type TruncatedError struct {
	Op string
	// Listed is how many files GitHub listed; Changed how many the pull
	// request changes, or zero if unknown.
	Listed, Changed int
}

func (e *TruncatedError) Error() string {
	changed := "more"
	if e.Changed > 0 {
		changed = strconv.Itoa(e.Changed)
	}
	return fmt.Sprintf("%s: GitHub lists only %d of %s changed files; read the changed files from git instead", e.Op, e.Listed, changed)
}

// sanitizeURL removes credentials from a URL: user info, and the query
// parameters that may carry secrets (go-github's sanitizeURL idea, widened).
func sanitizeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			switch strings.ToLower(k) {
			case "client_secret", "access_token", "token", "jwt", "sig", "signature", "code":
				q.Set(k, "REDACTED")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// redact removes the token from s, wherever it came from, in any of the
// forms redactor knows.
func (c *Client) redact(s string) string {
	return c.redactor.redact(s)
}

// fail turns an error from go-github or the transport into one of this
// package's errors, with op as context. Every exported method returns its
// errors through fail, so that none carries the token or a raw go-github
// error whose message might.
func (c *Client) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	op = c.redact(op)
	var (
		rle   *github.RateLimitError
		abuse *github.AbuseRateLimitError
		ger   *github.ErrorResponse
		ue    *url.Error
		own   *Error
		ownRL *RateLimitError
		trunc *TruncatedError
		te    *timeoutError
	)
	switch {
	case errors.As(err, &own), errors.As(err, &ownRL), errors.As(err, &trunc):
		return err
	case errors.As(err, &rle):
		return &RateLimitError{Op: op, Reset: rle.Rate.Reset.Time, Limit: rle.Rate.Limit}
	case errors.As(err, &abuse):
		e := &RateLimitError{Op: op, Secondary: true}
		if abuse.RetryAfter != nil && *abuse.RetryAfter > 0 {
			e.RetryAfter = *abuse.RetryAfter
		}
		return e
	case errors.As(err, &ger):
		return c.responseError(op, ger)
	case errors.As(err, &te):
		if errors.As(err, &ue) {
			return fmt.Errorf("%s: %s %s: %w", op, strings.ToUpper(ue.Op), c.redact(sanitizeURL(ue.URL)), te)
		}
		return fmt.Errorf("%s: %w", op, te)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", op, context.Canceled)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: no answer from GitHub in time: %w", op, context.DeadlineExceeded)
	case errors.As(err, &ue):
		return fmt.Errorf("%s: %s %s: %s", op, strings.ToUpper(ue.Op), c.redact(sanitizeURL(ue.URL)), c.redact(ue.Err.Error()))
	}
	return fmt.Errorf("%s: %s", op, c.redact(err.Error()))
}

func (c *Client) responseError(op string, ger *github.ErrorResponse) error {
	msg := ger.Message
	var details []string
	for _, fe := range ger.Errors {
		if fe.Message != "" {
			details = append(details, fe.Message)
		} else {
			details = append(details, fmt.Sprintf("%s %s %s", fe.Resource, fe.Field, fe.Code))
		}
	}
	if len(details) > 0 {
		msg += ": " + strings.Join(details, "; ")
	}
	e := &Error{
		Op:               op,
		Message:          c.redact(msg),
		DocumentationURL: c.redact(ger.DocumentationURL),
	}
	resp := ger.Response
	if resp == nil {
		return e
	}
	e.StatusCode = resp.StatusCode
	if resp.Request != nil {
		e.Method = resp.Request.Method
		e.URL = c.redact(sanitizeURL(resp.Request.URL.String()))
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusForbidden {
		// go-github maps only 403s to rate-limit errors; GitHub also
		// answers 429.
		if resp.Header.Get("X-RateLimit-Remaining") == "0" {
			reset, _ := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
			limit, _ := strconv.Atoi(resp.Header.Get("X-RateLimit-Limit"))
			rl := &RateLimitError{Op: op, Limit: limit}
			if reset > 0 {
				rl.Reset = time.Unix(reset, 0)
			}
			return rl
		}
		// go-github knows a 403 secondary limit only by its documentation
		// URL; GitHub documents Retry-After and the message too.
		d, hasRetryAfter := retryAfter(resp.Header, c.now())
		if resp.StatusCode == http.StatusTooManyRequests || hasRetryAfter ||
			strings.Contains(strings.ToLower(ger.Message), "secondary rate limit") {
			return &RateLimitError{Op: op, Secondary: true, RetryAfter: d}
		}
	}
	return e
}

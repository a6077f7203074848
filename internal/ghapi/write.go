package ghapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
)

// maxListedFiles is where GitHub stops listing a pull request's files.
const maxListedFiles = 3000

// DefaultCommentAuthor is who the workflow's GITHUB_TOKEN posts as.
const DefaultCommentAuthor = "github-actions[bot]"

// Upserted is what UpsertComment did.
type Upserted struct {
	// Created says whether a comment was created rather than updated or
	// left as it was.
	Created bool
	// Author is the login GitHub gives as the comment's author. After a
	// creation it is who the token posts as: if it is not the author
	// UpsertComment was told, the next call will not find the comment.
	Author string
}

// UpsertComment keeps one comment on issue or pull request number that
// carries marker, a hidden string such as "<!-- nhigate:review -->", and
// was written by author, the login the token posts as
// (DefaultCommentAuthor for the workflow's token, "name[bot]" for a GitHub
// App). It updates the first comment by author whose body contains marker,
// leaving any others, or creates one. A comment by anyone else is never
// touched, whatever it holds: anyone who may comment on the pull request
// can write the marker, and the comment nhigate updates must be one only
// nhigate can edit. A "[bot]" author must be a Bot account, any other a
// User account (a machine user whose token nhigate posts with).
//
// A body without the marker gets it appended, so the next run finds the
// comment. An unchanged comment is not written again.
//
// Creating a comment is not retried blindly, since a 5xx may come after
// GitHub posted it: after such a failure it looks for the marker again
// before posting.
func (c *Client) UpsertComment(ctx context.Context, owner, repo string, number int, marker, author, body string) (Upserted, error) {
	op := fmt.Sprintf("upsert comment on %s/%s#%d", owner, repo, number)
	if err := checkIssue(owner, repo, number); err != nil {
		return Upserted{}, c.fail(op, err)
	}
	if strings.TrimSpace(marker) == "" {
		return Upserted{}, c.fail(op, errors.New("empty marker: it would match every comment"))
	}
	if !ValidLogin(author) {
		return Upserted{}, c.fail(op, fmt.Errorf("comment author %q is not a GitHub login, like github-actions[bot]", author))
	}
	// A report never carries the token; if one did, it is not posted.
	body = c.redact(body)
	if !strings.Contains(body, marker) {
		body += "\n\n" + marker
	}
	if n := utf8.RuneCountInString(body); n > maxCommentLen {
		return Upserted{}, c.fail(op, fmt.Errorf("the comment has %d characters, more than GitHub's limit of %d: summarize the report", n, maxCommentLen))
	}

	posted := false
	for attempt := 0; ; attempt++ {
		comment, err := c.findComment(ctx, owner, repo, number, marker, author)
		if err != nil {
			return Upserted{}, c.fail(op, err)
		}
		if comment != nil {
			done := Upserted{Created: posted, Author: comment.GetUser().GetLogin()}
			if comment.GetBody() == body {
				return done, nil
			}
			_, _, err := c.gh.Issues.EditComment(ctx, owner, repo, comment.GetID(), &github.IssueComment{Body: &body})
			if err != nil {
				return Upserted{}, c.fail(op, err)
			}
			return done, nil
		}
		made, _, err := c.gh.Issues.CreateComment(ctx, owner, repo, number, &github.IssueComment{Body: &body})
		if err == nil {
			return Upserted{Created: true, Author: made.GetUser().GetLogin()}, nil
		}
		if attempt >= c.retries || ctx.Err() != nil || !uncertain(err) {
			return Upserted{}, c.fail(op, err)
		}
		posted = true
		if err := c.sleep(ctx, c.backoff(attempt)); err != nil {
			return Upserted{}, c.fail(op, err)
		}
	}
}

// findComment returns the first comment by author containing marker, or
// nil.
func (c *Client) findComment(ctx context.Context, owner, repo string, number int, marker, author string) (*github.IssueComment, error) {
	var found *github.IssueComment
	err := paginate(func(opts github.ListOptions) (*github.Response, error) {
		page, resp, err := c.gh.Issues.ListComments(ctx, owner, repo, number, &github.IssueListCommentsOptions{ListOptions: opts})
		for _, cm := range page {
			if found == nil && writtenBy(cm.GetUser(), author) && strings.Contains(cm.GetBody(), marker) {
				found = cm
			}
		}
		if found != nil && err == nil {
			return nil, nil // no need for later pages
		}
		return resp, err
	})
	return found, err
}

// writtenBy reports whether user is the account login: the same login,
// in any case, and the account type its login implies, Bot for a
// "name[bot]" login and User otherwise. GitHub gives the type; a person's
// account is never of type Bot, and no login but an app's ends in "[bot]".
func writtenBy(user *github.User, login string) bool {
	if user == nil || !strings.EqualFold(user.GetLogin(), login) {
		return false
	}
	want := "User"
	if strings.HasSuffix(strings.ToLower(login), "[bot]") {
		want = "Bot"
	}
	return user.GetType() == want
}

// ValidLogin reports whether s can be a GitHub login: letters, digits and
// hyphens, not first, at most 39 characters, or an app's bot account,
// "name[bot]".
func ValidLogin(s string) bool {
	name := strings.TrimSuffix(s, "[bot]")
	if name == "" || len(name) > 39 || name[0] == '-' {
		return false
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// uncertain reports whether a failed write may have happened all the same:
// a 5xx, a timeout or a lost connection.
func uncertain(err error) bool {
	var ger *github.ErrorResponse
	if errors.As(err, &ger) {
		return ger.Response != nil && ger.Response.StatusCode >= 500
	}
	var ue *url.Error
	return errors.As(err, &ue)
}

// The commit status states GitHub accepts.
const (
	StatusSuccess = "success"
	StatusFailure = "failure"
	StatusError   = "error"
	StatusPending = "pending"
)

// SetStatus sets the commit status named statusContext (empty means
// "nhigate/review") on sha. A description longer than GitHub's 140
// characters is shortened with an ellipsis; targetURL may be empty.
func (c *Client) SetStatus(ctx context.Context, owner, repo, sha, state, statusContext, description, targetURL string) error {
	if statusContext == "" {
		statusContext = defaultStatusContext
	}
	op := fmt.Sprintf("set status %s on %s/%s@%.12s", statusContext, owner, repo, sha)
	if err := checkRepo(owner, repo); err != nil {
		return c.fail(op, err)
	}
	if !validSHA(sha) {
		return c.fail(op, fmt.Errorf("%q is not a full commit SHA", sha))
	}
	switch state {
	case StatusSuccess, StatusFailure, StatusError, StatusPending:
	default:
		return c.fail(op, fmt.Errorf("state %q is not one of success, failure, error, pending", state))
	}
	status := &github.RepoStatus{
		State:       &state,
		Context:     &statusContext,
		Description: github.String(truncate(c.redact(description), maxStatusDescLen)),
	}
	if targetURL != "" {
		u, err := url.Parse(targetURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return c.fail(op, fmt.Errorf("target URL %q is not an http(s) URL", sanitizeURL(targetURL)))
		}
		status.TargetURL = &targetURL
	}
	// Repeating a status is harmless, so the transport may retry it.
	_, _, err := c.gh.Repositories.CreateStatus(withIdempotent(ctx), owner, repo, sha, status)
	return c.fail(op, err)
}

// truncate shortens s to at most n characters, ending in "…" if cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// ListFiles returns the paths pull request number changes, all pages, in
// GitHub's order; for a renamed file both the new and the old path, since
// the rename removes the old one. GitHub lists at most 3,000 files: beyond
// that ListFiles returns the paths it got and a *TruncatedError. Git is the
// authority on changed files; use this as a cross-check.
func (c *Client) ListFiles(ctx context.Context, owner, repo string, number int) ([]string, error) {
	op := fmt.Sprintf("list files of %s/%s#%d", owner, repo, number)
	if err := checkIssue(owner, repo, number); err != nil {
		return nil, c.fail(op, err)
	}
	files := []string{}
	seen := map[string]bool{}
	add := func(path string) {
		if path != "" && !seen[path] {
			seen[path] = true
			files = append(files, path)
		}
	}
	listed := 0
	err := paginate(func(opts github.ListOptions) (*github.Response, error) {
		page, resp, err := c.gh.PullRequests.ListFiles(ctx, owner, repo, number, &opts)
		for _, f := range page {
			listed++
			add(f.GetFilename())
			add(f.GetPreviousFilename())
		}
		return resp, err
	})
	if err != nil {
		return nil, c.fail(op, err)
	}
	if listed >= maxListedFiles {
		pr, _, err := c.gh.PullRequests.Get(ctx, owner, repo, number)
		if err != nil || pr.GetChangedFiles() > listed {
			return files, &TruncatedError{Op: c.redact(op), Listed: listed, Changed: pr.GetChangedFiles()}
		}
	}
	return files, nil
}

// statusCode returns the HTTP status of a failed call, or 0.
func statusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	var ger *github.ErrorResponse
	if errors.As(err, &ger) && ger.Response != nil {
		return ger.Response.StatusCode
	}
	return 0
}

// IsForbidden reports whether err is GitHub refusing the token's access,
// as with the read-only token of a pull request from a fork. The caller can
// then skip writing and say why.
func IsForbidden(err error) bool {
	return statusCode(err) == http.StatusForbidden
}

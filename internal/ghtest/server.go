// Package ghtest is a fake GitHub REST API on an httptest server, for the
// adapter's tests and the end-to-end testscripts. It speaks the JSON shapes
// GitHub documents, paginates with real Link headers, sends rate-limit
// headers on every response, and can be told to fail the next request.
package ghtest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// DefaultToken is the token a new Server accepts.
const DefaultToken = "ghtest-token"

// DefaultLogin is the identity behind the token: the author of the comments
// and statuses the server creates.
const DefaultLogin = "github-actions[bot]"

// IssueKey names a pull request or issue.
type IssueKey struct {
	Owner, Repo string
	Number      int
}

// CommitKey names a commit in a repository.
type CommitKey struct {
	Owner, Repo, SHA string
}

// TeamKey names a team by organization and slug.
type TeamKey struct {
	Org, Slug string
}

// PullRequest is the state of one pull request. Owner and Repo are the base
// repository; HeadOwner and HeadRepo differ from them for a fork.
type PullRequest struct {
	Owner, Repo string
	Number      int
	Title       string
	Author      string
	// State is "open" or "closed"; empty means open.
	State               string
	Draft               bool
	HeadSHA, HeadRef    string
	BaseSHA, BaseRef    string
	HeadOwner, HeadRepo string
	// ChangedFiles overrides changed_files; zero means the number of Files.
	ChangedFiles int
	// MergeSHA is merge_commit_sha of an open pull request: its test
	// merge, refs/pull/N/merge. Empty gives null, as before GitHub
	// computed it or when the pull request conflicts.
	MergeSHA string
}

// Review is one pull request review. State is GitHub's: APPROVED,
// CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING.
type Review struct {
	ID          int64
	User        string
	State       string
	Body        string
	CommitID    string
	SubmittedAt time.Time
}

// Comment is one issue comment.
type Comment struct {
	ID        int64
	User      string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Status is one commit status.
type Status struct {
	ID          int64
	State       string
	Context     string
	Description string
	TargetURL   string
	Creator     string
	CreatedAt   time.Time
}

// File is one file changed by a pull request. Status is GitHub's: added,
// removed, modified, renamed, copied, changed or unchanged.
type File struct {
	Filename         string
	Status           string
	PreviousFilename string
	Additions        int
	Deletions        int
}

// Commit is one commit of a pull request. The logins are the GitHub
// accounts GitHub links its author and committer to; empty gives null, as
// for an email address no account has verified.
type Commit struct {
	SHA                       string
	Message                   string
	AuthorName, AuthorEmail   string
	AuthorLogin               string
	CommitterName             string
	CommitterEmail            string
	CommitterLogin            string
	AuthorDate, CommitterDate time.Time
}

// RepoKey names a repository.
type RepoKey struct {
	Owner, Repo string
}

// Permission is a user's permission on a repository: Level is GitHub's
// permission (admin, write, read or none) and Role its role_name (admin,
// maintain, write, triage, read or a custom role's name).
type Permission struct {
	Level, Role string
}

// Failure is what an injected failure does to the next matching request.
type Failure struct {
	// Status is the HTTP status to answer with; zero serves the request
	// normally after Delay.
	Status int
	// Headers are set on the response, overriding the rate-limit headers.
	Headers map[string]string
	// Message and DocumentationURL fill the error body; empty picks what
	// GitHub sends for Status and Headers.
	Message          string
	DocumentationURL string
	// Delay holds the response back, or until the client gives up.
	Delay time.Duration
}

// Request is one logged request.
type Request struct {
	Method string
	// Path is the path as sent, with the /api/v3 prefix if one was used.
	Path     string
	RawQuery string
	Body     string
}

func (r Request) String() string { return r.Method + " " + r.Path }

// Server is a fake GitHub REST API.
//
// The exported fields are the server's state. Set them before the first
// request, or hold Mu while changing or reading them once requests may be in
// flight; the methods take Mu themselves.
type Server struct {
	// URL is the base URL, like https://api.github.com without a trailing
	// slash. The server also answers under URL + "/api/v3", as GitHub
	// Enterprise Server does.
	URL string

	Mu sync.Mutex
	// Token is the only token accepted; a request without it gets a 401.
	Token string
	// Login is the user the token belongs to.
	Login string
	// ReadOnly makes every write answer 403, like the read-only token of a
	// pull request from a fork.
	ReadOnly bool
	// RateLimit is the number of requests allowed per hour. When used up,
	// requests get GitHub's primary rate-limit 403.
	RateLimit int

	PRs      map[IssueKey]*PullRequest
	Reviews  map[IssueKey][]Review
	Comments map[IssueKey][]Comment
	Statuses map[CommitKey][]Status
	// Teams maps a team to its members' logins and membership states
	// ("active" or "pending"). A team missing here is invisible: 404.
	Teams map[TeamKey]map[string]string
	Files map[IssueKey][]File
	// Commits are each pull request's commits, oldest first.
	Commits map[IssueKey][]Commit
	// Permissions holds each user's permission on a repository. A user
	// missing here is one GitHub does not know: 404.
	Permissions map[RepoKey]map[string]Permission

	srv      *httptest.Server
	mux      *http.ServeMux
	nextID   int64
	used     int
	resetAt  time.Time
	failures []pendingFailure
	log      []Request
}

type pendingFailure struct {
	method, path string
	Failure
}

// NewServer starts a fake GitHub. Call Close when done.
func NewServer() *Server {
	s := &Server{
		Token:       DefaultToken,
		Login:       DefaultLogin,
		RateLimit:   5000,
		PRs:         map[IssueKey]*PullRequest{},
		Reviews:     map[IssueKey][]Review{},
		Comments:    map[IssueKey][]Comment{},
		Statuses:    map[CommitKey][]Status{},
		Teams:       map[TeamKey]map[string]string{},
		Files:       map[IssueKey][]File{},
		Commits:     map[IssueKey][]Commit{},
		Permissions: map[RepoKey]map[string]Permission{},
		nextID:      1000,
	}
	s.routes()
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// AddPullRequest adds or replaces a pull request.
func (s *Server) AddPullRequest(pr PullRequest) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.PRs[IssueKey{pr.Owner, pr.Repo, pr.Number}] = &pr
}

// AddReviews appends reviews to a pull request, giving an ID to those
// without one.
func (s *Server) AddReviews(owner, repo string, number int, reviews ...Review) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	k := IssueKey{owner, repo, number}
	for _, r := range reviews {
		if r.ID == 0 {
			r.ID = s.newID()
		}
		s.Reviews[k] = append(s.Reviews[k], r)
	}
}

// AddComments appends comments to an issue, giving an ID to those without
// one.
func (s *Server) AddComments(owner, repo string, number int, comments ...Comment) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	k := IssueKey{owner, repo, number}
	for _, c := range comments {
		if c.ID == 0 {
			c.ID = s.newID()
		}
		s.Comments[k] = append(s.Comments[k], c)
	}
}

// SetFiles sets the files a pull request changes.
func (s *Server) SetFiles(owner, repo string, number int, files ...File) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.Files[IssueKey{owner, repo, number}] = files
}

// SetCommits sets the commits of a pull request, oldest first.
func (s *Server) SetCommits(owner, repo string, number int, commits ...Commit) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.Commits[IssueKey{owner, repo, number}] = commits
}

// SetPermission gives login a permission on owner/repo: level is GitHub's
// permission field, role its role_name; an empty role is the level's own.
// The built-in roles maintain and triage have the levels write and read,
// as GitHub reports them.
func (s *Server) SetPermission(owner, repo, login, role string) {
	level := role
	switch role {
	case "maintain":
		level = "write"
	case "triage":
		level = "read"
	}
	s.SetPermissionLevel(owner, repo, login, Permission{Level: level, Role: role})
}

// SetPermissionLevel gives login exactly p on owner/repo, custom roles
// included.
func (s *Server) SetPermissionLevel(owner, repo, login string, p Permission) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	k := RepoKey{owner, repo}
	if s.Permissions[k] == nil {
		s.Permissions[k] = map[string]Permission{}
	}
	s.Permissions[k][login] = p
}

// permission looks login up regardless of case. s.Mu must be held.
func (s *Server) permission(owner, repo, login string) (Permission, bool) {
	for k, users := range s.Permissions {
		if !strings.EqualFold(k.Owner, owner) || !strings.EqualFold(k.Repo, repo) {
			continue
		}
		for l, p := range users {
			if strings.EqualFold(l, login) {
				return p, true
			}
		}
	}
	return Permission{}, false
}

// SetTeamMember makes login a member of org/slug with the given state
// ("active" or "pending"), creating the team if needed.
func (s *Server) SetTeamMember(org, slug, login, state string) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	k := TeamKey{org, slug}
	if s.Teams[k] == nil {
		s.Teams[k] = map[string]string{}
	}
	s.Teams[k][login] = state
}

// AddTeam makes a team visible, with no members.
func (s *Server) AddTeam(org, slug string) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	k := TeamKey{org, slug}
	if s.Teams[k] == nil {
		s.Teams[k] = map[string]string{}
	}
}

// CommentsOn returns a copy of an issue's comments, oldest first.
func (s *Server) CommentsOn(owner, repo string, number int) []Comment {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return append([]Comment(nil), s.Comments[IssueKey{owner, repo, number}]...)
}

// StatusesOf returns a copy of a commit's statuses, oldest first.
func (s *Server) StatusesOf(owner, repo, sha string) []Status {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return append([]Status(nil), s.Statuses[CommitKey{owner, repo, sha}]...)
}

// FailNext makes the next request to path answer with status and headers,
// and a GitHub-shaped error body that fits them. A path is like
// "/repos/o/r/pulls/1" (the /api/v3 prefix and the query are ignored); it may
// start with a method ("POST /repos/o/r/issues/1/comments"); "*" matches any
// request. Failures queue up in order.
func (s *Server) FailNext(path string, status int, headers map[string]string) {
	s.FailNextWith(path, Failure{Status: status, Headers: headers})
}

// SlowNext holds the next response to path back for d, or until the client
// gives up.
func (s *Server) SlowNext(path string, d time.Duration) {
	s.FailNextWith(path, Failure{Delay: d})
}

// FailNextWith queues a failure for the next request to path; see FailNext.
func (s *Server) FailNextWith(path string, f Failure) {
	method := ""
	if m, p, ok := strings.Cut(path, " "); ok {
		method, path = m, p
	}
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.failures = append(s.failures, pendingFailure{method, path, f})
}

// Requests returns the requests served so far as "METHOD /path", oldest
// first.
func (s *Server) Requests() []string {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	out := make([]string, len(s.log))
	for i, r := range s.log {
		out[i] = r.String()
	}
	return out
}

// RequestLog returns the requests served so far with their queries and
// bodies, oldest first.
func (s *Server) RequestLog() []Request {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetRequests clears the request log.
func (s *Server) ResetRequests() {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.log = nil
}

func (s *Server) newID() int64 {
	s.nextID++
	return s.nextID
}

package ghtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	docsRest       = "https://docs.github.com/rest"
	docsPrimary    = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits"
	docsSecondary  = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	enterprisePath = "/api/v3"
	// maxFiles is where GitHub stops listing a pull request's files.
	maxFiles = 3000
	// maxCommentLen is GitHub's limit on a comment body, in characters.
	maxCommentLen = 65536
)

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	handle := func(method, path string, h http.HandlerFunc) {
		s.mux.HandleFunc(method+" "+path, h)
		s.mux.HandleFunc(method+" "+enterprisePath+path, h)
	}
	handle("GET", "/repos/{owner}/{repo}/pulls/{number}", s.getPull)
	handle("GET", "/repos/{owner}/{repo}/pulls/{number}/reviews", s.listReviews)
	handle("GET", "/repos/{owner}/{repo}/pulls/{number}/files", s.listFiles)
	handle("GET", "/repos/{owner}/{repo}/pulls/{number}/commits", s.listCommits)
	handle("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission", s.getPermission)
	handle("GET", "/repos/{owner}/{repo}/issues/{number}/comments", s.listComments)
	handle("POST", "/repos/{owner}/{repo}/issues/{number}/comments", s.createComment)
	handle("PATCH", "/repos/{owner}/{repo}/issues/comments/{id}", s.editComment)
	handle("POST", "/repos/{owner}/{repo}/statuses/{sha}", s.createStatus)
	handle("GET", "/orgs/{org}/teams/{slug}", s.getTeam)
	handle("GET", "/orgs/{org}/teams/{slug}/memberships/{username}", s.getMembership)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found", docsRest)
	})
}

// ServeHTTP logs the request, sets the rate-limit headers, checks the token,
// applies injected failures and then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))

	s.Mu.Lock()
	s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Body: string(body)})
	now := time.Now()
	if s.resetAt.IsZero() || !now.Before(s.resetAt) {
		s.resetAt = now.Add(time.Hour).Truncate(time.Second)
		s.used = 0
	}
	s.used++
	limit, used, reset := s.RateLimit, s.used, s.resetAt
	authorized := s.authorized(r.Header.Get("Authorization"))
	var fail *Failure
	if authorized {
		fail = s.takeFailure(r)
	}
	s.Mu.Unlock()

	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-GitHub-Request-Id", fmt.Sprintf("GHTEST:%d", used))
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(limit-used, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(min(used, limit)))
	h.Set("X-RateLimit-Resource", "core")

	if !authorized {
		msg := "Bad credentials"
		if r.Header.Get("Authorization") == "" {
			msg = "Requires authentication"
		}
		writeError(w, http.StatusUnauthorized, msg, docsRest)
		return
	}
	if fail != nil {
		if fail.Delay > 0 {
			t := time.NewTimer(fail.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if fail.Status != 0 {
			for k, v := range fail.Headers {
				h.Set(k, v)
			}
			msg, doc := failureBody(*fail)
			writeError(w, fail.Status, msg, doc)
			return
		}
	}
	if used > limit {
		writeError(w, http.StatusForbidden, "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID GHTEST.", docsPrimary)
		return
	}
	if s.readOnly() && r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusForbidden, "Resource not accessible by integration", docsRest)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) readOnly() bool {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return s.ReadOnly
}

// authorized reports whether the header carries the token, in either of the
// forms GitHub accepts.
func (s *Server) authorized(header string) bool {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || s.Token == "" {
		return false
	}
	return (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "token")) && token == s.Token
}

// takeFailure pops the first queued failure matching r. Mu must be held.
func (s *Server) takeFailure(r *http.Request) *Failure {
	path := strings.TrimPrefix(r.URL.Path, enterprisePath)
	for i, f := range s.failures {
		if f.method != "" && f.method != r.Method {
			continue
		}
		if f.path != "*" && f.path != "" && strings.TrimPrefix(f.path, enterprisePath) != path {
			continue
		}
		s.failures = append(s.failures[:i], s.failures[i+1:]...)
		return &f.Failure
	}
	return nil
}

// failureBody picks the message GitHub sends for a failure's status.
func failureBody(f Failure) (msg, doc string) {
	msg, doc = f.Message, f.DocumentationURL
	header := func(name string) string {
		for k, v := range f.Headers {
			if strings.EqualFold(k, name) {
				return v
			}
		}
		return ""
	}
	var m, d string
	switch {
	case (f.Status == 403 || f.Status == 429) && header("X-RateLimit-Remaining") == "0":
		m, d = "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID GHTEST.", docsPrimary
	case f.Status == 429 || f.Status == 403 && header("Retry-After") != "":
		m, d = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID GHTEST.", docsSecondary
	case f.Status == 401:
		m, d = "Bad credentials", docsRest
	case f.Status == 403:
		m, d = "Resource not accessible by integration", docsRest
	case f.Status == 404:
		m, d = "Not Found", docsRest
	case f.Status == 422:
		m, d = "Validation Failed", docsRest
	case f.Status == 502:
		m = "Server Error"
	case f.Status == 503:
		m = "Service Unavailable"
	default:
		m = http.StatusText(f.Status)
	}
	if msg == "" {
		msg = m
	}
	if doc == "" {
		doc = d
	}
	return msg, doc
}

type errorBody struct {
	Message          string       `json:"message"`
	Errors           []fieldError `json:"errors,omitempty"`
	DocumentationURL string       `json:"documentation_url,omitempty"`
	Status           string       `json:"status,omitempty"`
}

type fieldError struct {
	Resource string `json:"resource"`
	Field    string `json:"field"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

func writeError(w http.ResponseWriter, status int, msg, doc string, errs ...fieldError) {
	writeJSON(w, status, errorBody{Message: msg, Errors: errs, DocumentationURL: doc, Status: strconv.Itoa(status)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func issueKey(r *http.Request) (IssueKey, bool) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n <= 0 {
		return IssueKey{}, false
	}
	return IssueKey{r.PathValue("owner"), r.PathValue("repo"), n}, true
}

// paginate sets the Link header for items and returns the requested page,
// honouring per_page (default 30, at most 100) and page (from 1), as GitHub
// does.
func paginate[T any](w http.ResponseWriter, r *http.Request, items []T) []T {
	q := r.URL.Query()
	perPage, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || perPage <= 0 {
		perPage = 30
	}
	perPage = min(perPage, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	last := max((len(items)+perPage-1)/perPage, 1)

	link := func(p int, rel string) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(perPage))
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(min(page-1, last), "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}

	start := (page - 1) * perPage
	if start >= len(items) {
		return []T{}
	}
	return items[start:min(start+perPage, len(items))]
}

// decodeBody reads a JSON request body, answering 400 like GitHub when it
// is not JSON.
// writePage answers a list request with one page of items, each as its
// JSON shape, and the Link header paginate sets.
func writePage[T any](w http.ResponseWriter, r *http.Request, items []T, toJSON func(T) map[string]any) {
	page := paginate(w, r, items)
	out := make([]map[string]any, len(page))
	for i, x := range page {
		out[i] = toJSON(x)
	}
	writeJSON(w, http.StatusOK, out)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", docsRest)
		return false
	}
	return true
}

func (s *Server) getPull(w http.ResponseWriter, r *http.Request) {
	k, ok := issueKey(r)
	s.Mu.Lock()
	pr := s.PRs[k]
	var v map[string]any
	if ok && pr != nil {
		v = s.pullJSON(pr)
	}
	s.Mu.Unlock()
	if v == nil {
		writeError(w, http.StatusNotFound, "Not Found", docsRest)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) listReviews(w http.ResponseWriter, r *http.Request) {
	k, ok := issueKey(r)
	s.Mu.Lock()
	_, found := s.PRs[k]
	reviews := append([]Review(nil), s.Reviews[k]...)
	assoc := map[string]string{}
	for _, x := range reviews {
		assoc[x.User] = s.association(k.Owner, k.Repo, x.User)
	}
	s.Mu.Unlock()
	if !ok || !found {
		writeError(w, http.StatusNotFound, "Not Found", docsRest)
		return
	}
	writePage(w, r, reviews, func(x Review) map[string]any { return s.reviewJSON(k, x, assoc[x.User]) })
}

func (s *Server) listFiles(w http.ResponseWriter, r *http.Request) {
	k, ok := issueKey(r)
	s.Mu.Lock()
	_, found := s.PRs[k]
	files := append([]File(nil), s.Files[k]...)
	s.Mu.Unlock()
	if !ok || !found {
		writeError(w, http.StatusNotFound, "Not Found", docsRest)
		return
	}
	if len(files) > maxFiles {
		files = files[:maxFiles]
	}
	writePage(w, r, files, func(x File) map[string]any { return s.fileJSON(k, x) })
}

// maxCommits is where GitHub stops listing a pull request's commits.
const maxCommits = 250

func (s *Server) listCommits(w http.ResponseWriter, r *http.Request) {
	k, ok := issueKey(r)
	s.Mu.Lock()
	_, found := s.PRs[k]
	commits := append([]Commit(nil), s.Commits[k]...)
	s.Mu.Unlock()
	if !ok || !found {
		writeError(w, http.StatusNotFound, "Not Found", docsRest)
		return
	}
	if len(commits) > maxCommits {
		commits = commits[:maxCommits]
	}
	writePage(w, r, commits, func(x Commit) map[string]any { return s.commitJSON(k, x) })
}

func (s *Server) getPermission(w http.ResponseWriter, r *http.Request) {
	owner, repo, user := r.PathValue("owner"), r.PathValue("repo"), r.PathValue("username")
	s.Mu.Lock()
	p, ok := s.permission(owner, repo, user)
	s.Mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user")
		return
	}
	role := p.Role
	if role == "" {
		role = p.Level
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"permission": p.Level,
		"role_name":  role,
		"user":       s.collaboratorJSON(owner, repo, user, p),
	})
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request) {
	k, ok := issueKey(r)
	s.Mu.Lock()
	_, isPR := s.PRs[k]
	comments, hasComments := s.Comments[k]
	comments = append([]Comment(nil), comments...)
	s.Mu.Unlock()
	if !ok || !isPR && !hasComments {
		writeError(w, http.StatusNotFound, "Not Found", docsRest)
		return
	}
	writePage(w, r, comments, func(x Comment) map[string]any { return s.commentJSON(k, x) })
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request) {
	k, ok := issueKey(r)
	var in struct {
		Body *string `json:"body"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	s.Mu.Lock()
	defer s.Mu.Unlock()
	_, isPR := s.PRs[k]
	_, hasComments := s.Comments[k]
	if !ok || !isPR && !hasComments {
		writeError(w, http.StatusNotFound, "Not Found", docsRest)
		return
	}
	if !validCommentBody(w, in.Body) {
		return
	}
	now := time.Now().UTC().Truncate(time.Second)
	c := Comment{ID: s.newID(), User: s.Login, Body: *in.Body, CreatedAt: now, UpdatedAt: now}
	s.Comments[k] = append(s.Comments[k], c)
	w.Header().Set("Location", s.URL+fmt.Sprintf("/repos/%s/%s/issues/comments/%d", k.Owner, k.Repo, c.ID))
	writeJSON(w, http.StatusCreated, s.commentJSON(k, c))
}

func (s *Server) editComment(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var in struct {
		Body *string `json:"body"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	s.Mu.Lock()
	defer s.Mu.Unlock()
	for k, comments := range s.Comments {
		if err != nil || k.Owner != r.PathValue("owner") || k.Repo != r.PathValue("repo") {
			continue
		}
		for i := range comments {
			if comments[i].ID != id {
				continue
			}
			if !validCommentBody(w, in.Body) {
				return
			}
			comments[i].Body = *in.Body
			comments[i].UpdatedAt = time.Now().UTC().Truncate(time.Second)
			writeJSON(w, http.StatusOK, s.commentJSON(k, comments[i]))
			return
		}
	}
	writeError(w, http.StatusNotFound, "Not Found", docsRest)
}

func validCommentBody(w http.ResponseWriter, body *string) bool {
	switch {
	case body == nil || *body == "":
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed", docsRest,
			fieldError{Resource: "IssueComment", Field: "body", Code: "missing_field"})
		return false
	case utf8.RuneCountInString(*body) > maxCommentLen:
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed", docsRest,
			fieldError{Resource: "IssueComment", Field: "body", Code: "custom", Message: "body is too long (maximum is 65536 characters)"})
		return false
	}
	return true
}

func (s *Server) createStatus(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	var in struct {
		State       string `json:"state"`
		TargetURL   string `json:"target_url"`
		Description string `json:"description"`
		Context     string `json:"context"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	switch {
	case !isHexSHA(sha):
		writeError(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+sha, "https://docs.github.com/rest/commits/statuses#create-a-commit-status")
		return
	case in.State != "error" && in.State != "failure" && in.State != "pending" && in.State != "success":
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed", docsRest,
			fieldError{Resource: "Status", Field: "state", Code: "custom", Message: "state is not included in the list"})
		return
	case utf8.RuneCountInString(in.Description) > 140:
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed", docsRest,
			fieldError{Resource: "Status", Field: "description", Code: "custom", Message: "description is too long (maximum is 140 characters)"})
		return
	}
	if in.Context == "" {
		in.Context = "default"
	}
	s.Mu.Lock()
	defer s.Mu.Unlock()
	st := Status{
		ID: s.newID(), State: in.State, Context: in.Context, Description: in.Description,
		TargetURL: in.TargetURL, Creator: s.Login, CreatedAt: time.Now().UTC().Truncate(time.Second),
	}
	k := CommitKey{r.PathValue("owner"), r.PathValue("repo"), sha}
	s.Statuses[k] = append(s.Statuses[k], st)
	writeJSON(w, http.StatusCreated, s.statusJSON(k, st))
}

func (s *Server) team(org, slug string) (TeamKey, map[string]string, bool) {
	for k, members := range s.Teams {
		if strings.EqualFold(k.Org, org) && strings.EqualFold(k.Slug, slug) {
			return k, members, true
		}
	}
	return TeamKey{}, nil, false
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request) {
	s.Mu.Lock()
	k, _, ok := s.team(r.PathValue("org"), r.PathValue("slug"))
	s.Mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found", docsRest)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":                   int64(len(k.Org) * 1000),
		"node_id":              "T_" + k.Org + "_" + k.Slug,
		"url":                  s.URL + "/orgs/" + k.Org + "/teams/" + k.Slug,
		"html_url":             "https://github.com/orgs/" + k.Org + "/teams/" + k.Slug,
		"name":                 k.Slug,
		"slug":                 k.Slug,
		"description":          "",
		"privacy":              "closed",
		"notification_setting": "notifications_enabled",
		"permission":           "pull",
		"members_url":          s.URL + "/orgs/" + k.Org + "/teams/" + k.Slug + "/members{/member}",
		"repositories_url":     s.URL + "/orgs/" + k.Org + "/teams/" + k.Slug + "/repos",
		"parent":               nil,
		"organization":         map[string]any{"login": k.Org, "id": 1, "node_id": "O_" + k.Org, "url": s.URL + "/orgs/" + k.Org},
	})
}

func (s *Server) getMembership(w http.ResponseWriter, r *http.Request) {
	user := r.PathValue("username")
	s.Mu.Lock()
	k, members, ok := s.team(r.PathValue("org"), r.PathValue("slug"))
	var state string
	for login, st := range members {
		if strings.EqualFold(login, user) {
			state = st
		}
	}
	s.Mu.Unlock()
	if !ok || state == "" {
		writeError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/teams/members#get-team-membership-for-a-user")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"url":   fmt.Sprintf("%s/orgs/%s/teams/%s/memberships/%s", s.URL, k.Org, k.Slug, user),
		"role":  "member",
		"state": state,
	})
}

func isHexSHA(s string) bool {
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

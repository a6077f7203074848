package ghtest

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// The JSON below follows the response schemas in GitHub's REST reference,
// trimmed to the fields a client might read, so that a client decoding them
// is tested against GitHub's names and nesting rather than our own.

func nodeID(prefix string, id int64) string {
	return prefix + "_" + base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprint(id)))
}

func stableID(s string) int64 {
	sum := sha1.Sum([]byte(s))
	var id int64
	for _, b := range sum[:6] {
		id = id<<8 | int64(b)
	}
	return id
}

func timestamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func (s *Server) userJSON(login string) map[string]any {
	if login == "" {
		return nil
	}
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	id := stableID("user:" + login)
	return map[string]any{
		"login":      login,
		"id":         id,
		"node_id":    nodeID("U", id),
		"avatar_url": "https://avatars.githubusercontent.com/u/" + fmt.Sprint(id) + "?v=4",
		"url":        s.URL + "/users/" + login,
		"html_url":   "https://github.com/" + login,
		"type":       typ,
		"site_admin": false,
	}
}

func (s *Server) repoJSON(owner, repo string, fork bool) map[string]any {
	id := stableID("repo:" + owner + "/" + repo)
	return map[string]any{
		"id":             id,
		"node_id":        nodeID("R", id),
		"name":           repo,
		"full_name":      owner + "/" + repo,
		"owner":          s.userJSON(owner),
		"private":        false,
		"html_url":       "https://github.com/" + owner + "/" + repo,
		"fork":           fork,
		"url":            s.URL + "/repos/" + owner + "/" + repo,
		"default_branch": "main",
		"visibility":     "public",
	}
}

func (s *Server) pullJSON(pr *PullRequest) map[string]any {
	k := IssueKey{pr.Owner, pr.Repo, pr.Number}
	id := stableID(fmt.Sprint("pr:", k))
	state := pr.State
	if state == "" {
		state = "open"
	}
	headOwner, headRepo := pr.HeadOwner, pr.HeadRepo
	if headOwner == "" {
		headOwner = pr.Owner
	}
	if headRepo == "" {
		headRepo = pr.Repo
	}
	fork := headOwner != pr.Owner || headRepo != pr.Repo
	changed := pr.ChangedFiles
	if changed == 0 {
		changed = len(s.Files[k])
	}
	base := fmt.Sprintf("%s/repos/%s/%s", s.URL, pr.Owner, pr.Repo)
	var mergeSHA any // null until GitHub computed the test merge
	if pr.MergeSHA != "" {
		mergeSHA = pr.MergeSHA
	}
	return map[string]any{
		"url":                 fmt.Sprintf("%s/pulls/%d", base, pr.Number),
		"id":                  id,
		"node_id":             nodeID("PR", id),
		"html_url":            fmt.Sprintf("https://github.com/%s/%s/pull/%d", pr.Owner, pr.Repo, pr.Number),
		"issue_url":           fmt.Sprintf("%s/issues/%d", base, pr.Number),
		"comments_url":        fmt.Sprintf("%s/issues/%d/comments", base, pr.Number),
		"review_comments_url": fmt.Sprintf("%s/pulls/%d/comments", base, pr.Number),
		"statuses_url":        fmt.Sprintf("%s/statuses/%s", base, pr.HeadSHA),
		"number":              pr.Number,
		"state":               state,
		"locked":              false,
		"title":               pr.Title,
		"user":                s.userJSON(pr.Author),
		"body":                nil,
		"created_at":          "2026-11-25T10:00:00Z",
		"updated_at":          "2026-11-25T10:00:00Z",
		"closed_at":           nil,
		"merged_at":           nil,
		"merge_commit_sha":    mergeSHA,
		"draft":               pr.Draft,
		"head": map[string]any{
			"label": headOwner + ":" + pr.HeadRef,
			"ref":   pr.HeadRef,
			"sha":   pr.HeadSHA,
			"user":  s.userJSON(headOwner),
			"repo":  s.repoJSON(headOwner, headRepo, fork),
		},
		"base": map[string]any{
			"label": pr.Owner + ":" + pr.BaseRef,
			"ref":   pr.BaseRef,
			"sha":   pr.BaseSHA,
			"user":  s.userJSON(pr.Owner),
			"repo":  s.repoJSON(pr.Owner, pr.Repo, false),
		},
		"author_association": "CONTRIBUTOR",
		"merged":             false,
		"mergeable":          nil,
		"mergeable_state":    "unknown",
		"comments":           len(s.Comments[k]),
		"review_comments":    0,
		"commits":            len(s.Commits[k]),
		"additions":          0,
		"deletions":          0,
		"changed_files":      changed,
	}
}

func (s *Server) reviewJSON(k IssueKey, r Review, association string) map[string]any {
	html := fmt.Sprintf("https://github.com/%s/%s/pull/%d#pullrequestreview-%d", k.Owner, k.Repo, k.Number, r.ID)
	pull := fmt.Sprintf("%s/repos/%s/%s/pulls/%d", s.URL, k.Owner, k.Repo, k.Number)
	return map[string]any{
		"id":                 r.ID,
		"node_id":            nodeID("PRR", r.ID),
		"user":               s.userJSON(r.User),
		"body":               r.Body,
		"state":              r.State,
		"html_url":           html,
		"pull_request_url":   pull,
		"author_association": association,
		"_links": map[string]any{
			"html":         map[string]string{"href": html},
			"pull_request": map[string]string{"href": pull},
		},
		"submitted_at": timestamp(r.SubmittedAt),
		"commit_id":    r.CommitID,
	}
}

func (s *Server) commentJSON(k IssueKey, c Comment) map[string]any {
	return map[string]any{
		"id":                 c.ID,
		"node_id":            nodeID("IC", c.ID),
		"url":                fmt.Sprintf("%s/repos/%s/%s/issues/comments/%d", s.URL, k.Owner, k.Repo, c.ID),
		"html_url":           fmt.Sprintf("https://github.com/%s/%s/pull/%d#issuecomment-%d", k.Owner, k.Repo, k.Number, c.ID),
		"issue_url":          fmt.Sprintf("%s/repos/%s/%s/issues/%d", s.URL, k.Owner, k.Repo, k.Number),
		"body":               c.Body,
		"user":               s.userJSON(c.User),
		"created_at":         timestamp(c.CreatedAt),
		"updated_at":         timestamp(c.UpdatedAt),
		"author_association": "NONE",
	}
}

func (s *Server) statusJSON(k CommitKey, st Status) map[string]any {
	var target any
	if st.TargetURL != "" {
		target = st.TargetURL
	}
	var desc any
	if st.Description != "" {
		desc = st.Description
	}
	return map[string]any{
		"url":         fmt.Sprintf("%s/repos/%s/%s/statuses/%s", s.URL, k.Owner, k.Repo, k.SHA),
		"avatar_url":  "https://avatars.githubusercontent.com/in/15368?v=4",
		"id":          st.ID,
		"node_id":     nodeID("SC", st.ID),
		"state":       st.State,
		"description": desc,
		"target_url":  target,
		"context":     st.Context,
		"created_at":  timestamp(st.CreatedAt),
		"updated_at":  timestamp(st.CreatedAt),
		"creator":     s.userJSON(st.Creator),
	}
}

func (s *Server) fileJSON(k IssueKey, f File) map[string]any {
	sum := sha1.Sum([]byte(f.Filename))
	sha := hex.EncodeToString(sum[:])
	status := f.Status
	if status == "" {
		status = "modified"
	}
	v := map[string]any{
		"sha":          sha,
		"filename":     f.Filename,
		"status":       status,
		"additions":    f.Additions,
		"deletions":    f.Deletions,
		"changes":      f.Additions + f.Deletions,
		"blob_url":     fmt.Sprintf("https://github.com/%s/%s/blob/%s/%s", k.Owner, k.Repo, sha, f.Filename),
		"raw_url":      fmt.Sprintf("https://github.com/%s/%s/raw/%s/%s", k.Owner, k.Repo, sha, f.Filename),
		"contents_url": fmt.Sprintf("%s/repos/%s/%s/contents/%s?ref=%s", s.URL, k.Owner, k.Repo, f.Filename, sha),
		"patch":        "",
	}
	if f.PreviousFilename != "" {
		v["previous_filename"] = f.PreviousFilename
	}
	return v
}

// association is the author_association GitHub shows for login on
// owner/repo: OWNER for the repository's owner, COLLABORATOR for anyone
// with a permission above none, NONE otherwise. s.Mu must be held.
func (s *Server) association(owner, repo, login string) string {
	if strings.EqualFold(login, owner) {
		return "OWNER"
	}
	if p, ok := s.permission(owner, repo, login); ok && p.Level != "none" {
		return "COLLABORATOR"
	}
	return "NONE"
}

// collaboratorJSON is a user with the permissions and role_name GitHub
// adds for a collaborator. s.Mu need not be held.
func (s *Server) collaboratorJSON(owner, repo, login string, p Permission) map[string]any {
	u := s.userJSON(login)
	level := p.Level
	u["permissions"] = map[string]bool{
		"admin":    level == "admin",
		"maintain": level == "admin" || p.Role == "maintain",
		"push":     level == "admin" || level == "write",
		"triage":   level == "admin" || level == "write" || p.Role == "triage",
		"pull":     level != "none",
	}
	u["role_name"] = p.Role
	return u
}

func (s *Server) commitJSON(k IssueKey, c Commit) map[string]any {
	person := func(name, email string, at time.Time) map[string]any {
		if at.IsZero() {
			at = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		}
		return map[string]any{"name": name, "email": email, "date": at.UTC().Format(time.RFC3339)}
	}
	base := fmt.Sprintf("%s/repos/%s/%s", s.URL, k.Owner, k.Repo)
	return map[string]any{
		"url":          base + "/commits/" + c.SHA,
		"sha":          c.SHA,
		"node_id":      "C_" + c.SHA,
		"html_url":     fmt.Sprintf("https://github.com/%s/%s/commit/%s", k.Owner, k.Repo, c.SHA),
		"comments_url": base + "/commits/" + c.SHA + "/comments",
		"commit": map[string]any{
			"url":           base + "/git/commits/" + c.SHA,
			"author":        person(c.AuthorName, c.AuthorEmail, c.AuthorDate),
			"committer":     person(c.CommitterName, c.CommitterEmail, c.CommitterDate),
			"message":       c.Message,
			"tree":          map[string]any{"url": base + "/git/trees/" + c.SHA, "sha": c.SHA},
			"comment_count": 0,
			"verification":  map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil},
		},
		"author":    s.userJSON(c.AuthorLogin),
		"committer": s.userJSON(c.CommitterLogin),
		"parents":   []any{},
	}
}

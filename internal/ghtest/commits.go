package ghtest

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Merges records which pull requests were merged, and as which commit, and
// answers GET /repos/{owner}/{repo}/commits/{sha}/pulls from it. A merged
// pull request's own GET answer shows it merged. Enable it once per Server
// with EnableMerges; its state is its own, under its own lock.
type Merges struct {
	srv *Server

	mu      sync.Mutex
	merged  map[IssueKey]Merge
	commits map[CommitKey][]int // commit → pull requests GitHub associates with it
	routed  map[IssueKey]bool
}

// Merge is how a pull request was merged.
type Merge struct {
	// Commit is the merge_commit_sha: the commit the merge pushed to the
	// base branch.
	Commit   string
	MergedBy string
	MergedAt time.Time
}

// EnableMerges adds the commit-to-pull-request endpoint to s. Call it once,
// before the client under test runs.
func (s *Server) EnableMerges() *Merges {
	m := &Merges{srv: s, merged: map[IssueKey]Merge{}, commits: map[CommitKey][]int{}, routed: map[IssueKey]bool{}}
	m.handle("GET", "/repos/{owner}/{repo}/commits/{sha}/pulls", m.listPulls)
	return m
}

func (m *Merges) handle(method, path string, h http.HandlerFunc) {
	m.srv.mux.HandleFunc(method+" "+path, h)
	m.srv.mux.HandleFunc(method+" "+enterprisePath+path, h)
}

// SetMerged marks pull request owner/repo#number as merged, as merge.Commit;
// GitHub then lists it for that commit. The pull request itself must be
// added with AddPullRequest, before or after.
func (m *Merges) SetMerged(owner, repo string, number int, merge Merge) {
	k := IssueKey{owner, repo, number}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.merged[k] = merge
	m.associate(CommitKey{owner, repo, strings.ToLower(merge.Commit)}, number)
	if !m.routed[k] {
		// A literal path is more specific than the server's own pattern
		// for pull requests, so this answer wins for this one.
		m.handle("GET", fmt.Sprintf("/repos/%s/%s/pulls/%d", owner, repo, number),
			func(w http.ResponseWriter, r *http.Request) { m.getPull(w, k) })
		m.routed[k] = true
	}
}

// AddCommit makes GitHub list pull requests for commit sha without their
// having been merged as it, as for a commit a pull request contains.
func (m *Merges) AddCommit(owner, repo, sha string, numbers ...int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range numbers {
		m.associate(CommitKey{owner, repo, strings.ToLower(sha)}, n)
	}
}

// associate lists number for commit k once. m.mu must be held.
func (m *Merges) associate(k CommitKey, number int) {
	for _, n := range m.commits[k] {
		if n == number {
			return
		}
	}
	m.commits[k] = append(m.commits[k], number)
}

// mergedJSON is pullJSON with the merge, if any, filled in. s.Mu must be
// held.
func (m *Merges) mergedJSON(pr *PullRequest, merge Merge, merged bool) map[string]any {
	v := m.srv.pullJSON(pr)
	if !merged {
		return v
	}
	at := merge.MergedAt
	if at.IsZero() {
		at = time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)
	}
	v["state"] = "closed"
	v["merged"] = true
	v["merged_at"] = timestamp(at)
	v["closed_at"] = timestamp(at)
	v["merge_commit_sha"] = merge.Commit
	v["merged_by"] = m.srv.userJSON(merge.MergedBy)
	return v
}

func (m *Merges) listPulls(w http.ResponseWriter, r *http.Request) {
	owner, repo, sha := r.PathValue("owner"), r.PathValue("repo"), r.PathValue("sha")
	if !isHexSHA(sha) {
		writeError(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+sha, docsRest)
		return
	}
	m.mu.Lock()
	numbers := append([]int(nil), m.commits[CommitKey{owner, repo, strings.ToLower(sha)}]...)
	merges := map[int]Merge{}
	for _, n := range numbers {
		if merge, ok := m.merged[IssueKey{owner, repo, n}]; ok {
			merges[n] = merge
		}
	}
	m.mu.Unlock()

	m.srv.Mu.Lock()
	items := []map[string]any{}
	for _, n := range numbers {
		if pr := m.srv.PRs[IssueKey{owner, repo, n}]; pr != nil {
			merge, merged := merges[n]
			v := m.mergedJSON(pr, merge, merged)
			// The list has GitHub's "simple" shape, which leaves these out.
			for _, f := range []string{"merged", "merged_by", "mergeable", "mergeable_state", "comments", "review_comments", "commits", "additions", "deletions", "changed_files"} {
				delete(v, f)
			}
			items = append(items, v)
		}
	}
	m.srv.Mu.Unlock()
	writeJSON(w, http.StatusOK, paginate(w, r, items))
}

// getPull answers for pull request k; its path has no wildcards to read.
func (m *Merges) getPull(w http.ResponseWriter, k IssueKey) {
	m.mu.Lock()
	merge, merged := m.merged[k]
	m.mu.Unlock()
	m.srv.Mu.Lock()
	pr := m.srv.PRs[k]
	var v map[string]any
	if pr != nil {
		v = m.mergedJSON(pr, merge, merged)
	}
	m.srv.Mu.Unlock()
	if v == nil {
		writeError(w, http.StatusNotFound, "Not Found", docsRest)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

package ghtest

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// GitData is the Git Data API of the fake (blobs, trees, commits, refs),
// with the repository, pull request creation and label endpoints that a
// client writing a change through it needs. Enable it once per Server with
// EnableGitData; its state is its own, under its own lock.
type GitData struct {
	srv *Server

	mu    sync.Mutex
	repos map[string]*gitRepo
}

// CreatedPull is a pull request opened through the API, as it was asked for.
type CreatedPull struct {
	Number           int
	Title, Body      string
	Head, Base       string
	Draft            bool
	Labels           []string
	HeadSHA, BaseSHA string
}

type gitRepo struct {
	owner, name   string
	defaultBranch string
	refs          map[string]string            // "refs/heads/main" → commit SHA
	blobs         map[string][]byte            // SHA → content
	trees         map[string]map[string]string // SHA → path → blob SHA (flat, recursive)
	commits       map[string]gitCommit
	pulls         []*CreatedPull
}

type gitCommit struct {
	message string
	tree    string
	parents []string
}

// EnableGitData adds the Git Data endpoints to s. Call it once, before the
// client under test runs.
func (s *Server) EnableGitData() *GitData {
	g := &GitData{srv: s, repos: map[string]*gitRepo{}}
	handle := func(method, path string, h http.HandlerFunc) {
		s.mux.HandleFunc(method+" "+path, h)
		s.mux.HandleFunc(method+" "+enterprisePath+path, h)
	}
	handle("GET", "/repos/{owner}/{repo}", g.getRepo)
	handle("GET", "/repos/{owner}/{repo}/git/ref/{ref...}", g.getRef)
	handle("POST", "/repos/{owner}/{repo}/git/refs", g.createRef)
	handle("GET", "/repos/{owner}/{repo}/git/commits/{sha}", g.getCommit)
	handle("POST", "/repos/{owner}/{repo}/git/commits", g.createCommit)
	handle("POST", "/repos/{owner}/{repo}/git/blobs", g.createBlob)
	handle("POST", "/repos/{owner}/{repo}/git/trees", g.createTree)
	handle("POST", "/repos/{owner}/{repo}/pulls", g.createPull)
	handle("POST", "/repos/{owner}/{repo}/issues/{number}/labels", g.addLabels)
	return g
}

// AddRepo creates owner/name with one commit on its default branch holding
// files (path → content), and returns that commit's SHA.
func (g *GitData) AddRepo(owner, name, defaultBranch string, files map[string]string) string {
	return g.AddRepoAt(owner, name, defaultBranch, "", files)
}

// AddRepoAt is AddRepo with the commit's SHA given, to mirror the head of a
// local clone; an empty sha makes one up.
func (g *GitData) AddRepoAt(owner, name, defaultBranch, sha string, files map[string]string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := &gitRepo{owner: owner, name: name, defaultBranch: defaultBranch, refs: map[string]string{},
		blobs: map[string][]byte{}, trees: map[string]map[string]string{}, commits: map[string]gitCommit{}}
	tree := map[string]string{}
	for p, c := range files {
		tree[p] = r.addBlob([]byte(c))
	}
	tsha := r.addTree(tree)
	if sha == "" {
		sha = r.addCommit("initial", tsha, nil)
	} else {
		r.commits[sha] = gitCommit{message: "initial", tree: tsha}
	}
	r.refs["refs/heads/"+defaultBranch] = sha
	g.repos[owner+"/"+name] = r
	return sha
}

// Files returns the files at the tip of branch, or nil if there is no such
// branch.
func (g *GitData) Files(owner, name, branch string) map[string]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repos[owner+"/"+name]
	if r == nil {
		return nil
	}
	sha, ok := r.refs["refs/heads/"+branch]
	if !ok {
		return nil
	}
	out := map[string]string{}
	for p, b := range r.trees[r.commits[sha].tree] {
		out[p] = string(r.blobs[b])
	}
	return out
}

// Branches returns the branch names of a repository, sorted.
func (g *GitData) Branches(owner, name string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repos[owner+"/"+name]
	if r == nil {
		return nil
	}
	var out []string
	for ref := range r.refs {
		if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
			out = append(out, b)
		}
	}
	slices.Sort(out)
	return out
}

// Pulls returns copies of the pull requests opened in a repository, oldest
// first.
func (g *GitData) Pulls(owner, name string) []CreatedPull {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repos[owner+"/"+name]
	if r == nil {
		return nil
	}
	out := make([]CreatedPull, len(r.pulls))
	for i, p := range r.pulls {
		out[i] = *p
		out[i].Labels = slices.Clone(p.Labels)
	}
	return out
}

// CommitMessage returns the message and parents of a commit.
func (g *GitData) CommitMessage(owner, name, sha string) (message string, parents []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repos[owner+"/"+name]
	if r == nil {
		return "", nil
	}
	c := r.commits[sha]
	return c.message, slices.Clone(c.parents)
}

func hashOf(kind string, data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", kind, len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func (r *gitRepo) addBlob(data []byte) string {
	sha := hashOf("blob", data) // git's own blob hash
	r.blobs[sha] = data
	return sha
}

// addTree stores a flat tree. Its SHA hashes the sorted listing: stable,
// though not git's nested tree hash.
func (r *gitRepo) addTree(files map[string]string) string {
	var b strings.Builder
	for _, p := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(&b, "100644 %s\x00%s\n", p, files[p])
	}
	sha := hashOf("tree", []byte(b.String()))
	r.trees[sha] = files
	return sha
}

func (r *gitRepo) addCommit(message, tree string, parents []string) string {
	sha := hashOf("commit", []byte(fmt.Sprintf("tree %s\nparents %v\n%d\n\n%s", tree, parents, len(r.commits), message)))
	r.commits[sha] = gitCommit{message: message, tree: tree, parents: parents}
	return sha
}

// repo finds the repository of a request, answering 404 when it is unknown.
// It returns with g.mu held on success.
func (g *GitData) repo(w http.ResponseWriter, req *http.Request) *gitRepo {
	g.mu.Lock()
	r := g.repos[req.PathValue("owner")+"/"+req.PathValue("repo")]
	if r == nil {
		g.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found", docsRest)
	}
	return r
}

func (g *GitData) url(r *gitRepo, rest string) string {
	return fmt.Sprintf("%s/repos/%s/%s/%s", g.srv.URL, r.owner, r.name, rest)
}

func (g *GitData) getRepo(w http.ResponseWriter, req *http.Request) {
	r := g.repo(w, req)
	if r == nil {
		return
	}
	v := g.srv.repoJSON(r.owner, r.name, false)
	v["default_branch"] = r.defaultBranch
	g.mu.Unlock()
	writeJSON(w, http.StatusOK, v)
}

func (g *GitData) refJSON(r *gitRepo, ref, sha string) map[string]any {
	return map[string]any{
		"ref":     ref,
		"node_id": nodeID("REF", stableID(ref)),
		"url":     g.url(r, "git/"+ref),
		"object":  map[string]any{"type": "commit", "sha": sha, "url": g.url(r, "git/commits/"+sha)},
	}
}

func (g *GitData) getRef(w http.ResponseWriter, req *http.Request) {
	r := g.repo(w, req)
	if r == nil {
		return
	}
	defer g.mu.Unlock()
	ref := "refs/" + req.PathValue("ref")
	sha, ok := r.refs[ref]
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/git/refs#get-a-reference")
		return
	}
	writeJSON(w, http.StatusOK, g.refJSON(r, ref, sha))
}

func (g *GitData) createRef(w http.ResponseWriter, req *http.Request) {
	var body struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if !decodeBody(w, req, &body) {
		return
	}
	r := g.repo(w, req)
	if r == nil {
		return
	}
	defer g.mu.Unlock()
	const doc = "https://docs.github.com/rest/git/refs#create-a-reference"
	switch {
	case !strings.HasPrefix(body.Ref, "refs/") || strings.Count(body.Ref, "/") < 2:
		writeError(w, http.StatusUnprocessableEntity, "Reference name must start with 'refs/' and have at least two slashes.", doc)
	case r.refs[body.Ref] != "":
		writeError(w, http.StatusUnprocessableEntity, "Reference already exists", doc)
	case r.commits[body.SHA].tree == "":
		writeError(w, http.StatusUnprocessableEntity, "Object does not exist", doc)
	default:
		r.refs[body.Ref] = body.SHA
		writeJSON(w, http.StatusCreated, g.refJSON(r, body.Ref, body.SHA))
	}
}

func (g *GitData) commitJSON(r *gitRepo, sha string) map[string]any {
	c := r.commits[sha]
	person := map[string]any{"name": "nhigate", "email": "nhigate@users.noreply.github.com", "date": "2026-11-25T10:00:00Z"}
	parents := []map[string]any{}
	for _, p := range c.parents {
		parents = append(parents, map[string]any{"sha": p, "url": g.url(r, "git/commits/"+p),
			"html_url": fmt.Sprintf("https://github.com/%s/%s/commit/%s", r.owner, r.name, p)})
	}
	return map[string]any{
		"sha":          sha,
		"node_id":      nodeID("C", stableID(sha)),
		"url":          g.url(r, "git/commits/"+sha),
		"html_url":     fmt.Sprintf("https://github.com/%s/%s/commit/%s", r.owner, r.name, sha),
		"author":       person,
		"committer":    person,
		"message":      c.message,
		"tree":         map[string]any{"sha": c.tree, "url": g.url(r, "git/trees/"+c.tree)},
		"parents":      parents,
		"verification": map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil},
	}
}

func (g *GitData) getCommit(w http.ResponseWriter, req *http.Request) {
	r := g.repo(w, req)
	if r == nil {
		return
	}
	defer g.mu.Unlock()
	sha := req.PathValue("sha")
	if _, ok := r.commits[sha]; !ok {
		writeError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/git/commits#get-a-commit-object")
		return
	}
	writeJSON(w, http.StatusOK, g.commitJSON(r, sha))
}

func (g *GitData) createCommit(w http.ResponseWriter, req *http.Request) {
	var body struct {
		Message string   `json:"message"`
		Tree    string   `json:"tree"`
		Parents []string `json:"parents"`
	}
	if !decodeBody(w, req, &body) {
		return
	}
	r := g.repo(w, req)
	if r == nil {
		return
	}
	defer g.mu.Unlock()
	const doc = "https://docs.github.com/rest/git/commits#create-a-commit"
	if _, ok := r.trees[body.Tree]; !ok || body.Message == "" {
		writeError(w, http.StatusUnprocessableEntity, "Tree SHA does not exist", doc)
		return
	}
	for _, p := range body.Parents {
		if _, ok := r.commits[p]; !ok {
			writeError(w, http.StatusUnprocessableEntity, "Parent SHA does not exist or is not a commit object", doc)
			return
		}
	}
	sha := r.addCommit(body.Message, body.Tree, body.Parents)
	writeJSON(w, http.StatusCreated, g.commitJSON(r, sha))
}

func (g *GitData) createBlob(w http.ResponseWriter, req *http.Request) {
	var body struct {
		Content  string `json:"content"`
		Encoding string `json:"encoding"`
	}
	if !decodeBody(w, req, &body) {
		return
	}
	data := []byte(body.Content)
	switch body.Encoding {
	case "base64":
		var err error
		if data, err = base64.StdEncoding.DecodeString(body.Content); err != nil {
			writeError(w, http.StatusUnprocessableEntity, "content is not valid Base64", "https://docs.github.com/rest/git/blobs#create-a-blob")
			return
		}
	case "", "utf-8":
	default:
		writeError(w, http.StatusUnprocessableEntity, "encoding must be utf-8 or base64", "https://docs.github.com/rest/git/blobs#create-a-blob")
		return
	}
	r := g.repo(w, req)
	if r == nil {
		return
	}
	defer g.mu.Unlock()
	sha := r.addBlob(data)
	writeJSON(w, http.StatusCreated, map[string]any{"url": g.url(r, "git/blobs/"+sha), "sha": sha})
}

func (g *GitData) createTree(w http.ResponseWriter, req *http.Request) {
	var body struct {
		BaseTree string `json:"base_tree"`
		Tree     []struct {
			Path    string  `json:"path"`
			Mode    string  `json:"mode"`
			Type    string  `json:"type"`
			SHA     *string `json:"sha"`
			Content *string `json:"content"`
		} `json:"tree"`
	}
	if !decodeBody(w, req, &body) {
		return
	}
	r := g.repo(w, req)
	if r == nil {
		return
	}
	defer g.mu.Unlock()
	const doc = "https://docs.github.com/rest/git/trees#create-a-tree"
	files := map[string]string{}
	if body.BaseTree != "" {
		base, ok := r.trees[body.BaseTree]
		if !ok {
			writeError(w, http.StatusUnprocessableEntity, "Invalid tree info", doc)
			return
		}
		maps.Copy(files, base)
	}
	for _, e := range body.Tree {
		if e.Path == "" || e.Mode != "100644" || e.Type != "blob" {
			writeError(w, http.StatusUnprocessableEntity, "Invalid tree info", doc, fieldError{Resource: "Tree", Field: "tree", Code: "invalid"})
			return
		}
		switch {
		case e.Content != nil:
			files[e.Path] = r.addBlob([]byte(*e.Content))
		case e.SHA == nil:
			if _, ok := files[e.Path]; !ok {
				writeError(w, http.StatusUnprocessableEntity, "GitRPC::BadObjectState", doc)
				return
			}
			delete(files, e.Path)
		default:
			if _, ok := r.blobs[*e.SHA]; !ok {
				writeError(w, http.StatusUnprocessableEntity, "Invalid tree info", doc)
				return
			}
			files[e.Path] = *e.SHA
		}
	}
	sha := r.addTree(files)
	entries := []map[string]any{}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		entries = append(entries, map[string]any{"path": p, "mode": "100644", "type": "blob", "sha": files[p],
			"size": len(r.blobs[files[p]]), "url": g.url(r, "git/blobs/"+files[p])})
	}
	writeJSON(w, http.StatusCreated, map[string]any{"sha": sha, "url": g.url(r, "git/trees/"+sha), "tree": entries, "truncated": false})
}

func (g *GitData) createPull(w http.ResponseWriter, req *http.Request) {
	var body struct {
		Title string `json:"title"`
		Head  string `json:"head"`
		Base  string `json:"base"`
		Body  string `json:"body"`
		Draft bool   `json:"draft"`
	}
	if !decodeBody(w, req, &body) {
		return
	}
	r := g.repo(w, req)
	if r == nil {
		return
	}
	const doc = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"
	headSHA, headOK := r.refs["refs/heads/"+body.Head]
	baseSHA, baseOK := r.refs["refs/heads/"+body.Base]
	switch {
	case body.Title == "":
		g.mu.Unlock()
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed", doc, fieldError{Resource: "PullRequest", Field: "title", Code: "missing_field"})
		return
	case !headOK || !baseOK || body.Head == body.Base:
		g.mu.Unlock()
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed", doc, fieldError{Resource: "PullRequest", Field: "head", Code: "invalid"})
		return
	}
	g.srv.Mu.Lock()
	number := len(g.srv.PRs) + len(r.pulls) + 1
	for g.srv.PRs[IssueKey{r.owner, r.name, number}] != nil {
		number++
	}
	pr := &PullRequest{Owner: r.owner, Repo: r.name, Number: number, Title: body.Title, Author: g.srv.Login,
		Draft: body.Draft, HeadSHA: headSHA, HeadRef: body.Head, BaseSHA: baseSHA, BaseRef: body.Base}
	g.srv.PRs[IssueKey{r.owner, r.name, number}] = pr
	v := g.srv.pullJSON(pr)
	g.srv.Mu.Unlock()
	v["body"] = body.Body
	r.pulls = append(r.pulls, &CreatedPull{Number: number, Title: body.Title, Body: body.Body, Head: body.Head, Base: body.Base,
		Draft: body.Draft, HeadSHA: headSHA, BaseSHA: baseSHA})
	g.mu.Unlock()
	writeJSON(w, http.StatusCreated, v)
}

func (g *GitData) addLabels(w http.ResponseWriter, req *http.Request) {
	// GitHub takes {"labels": [...]} or, as go-github sends, a bare array.
	var raw json.RawMessage
	if !decodeBody(w, req, &raw) {
		return
	}
	var body struct {
		Labels []string `json:"labels"`
	}
	if json.Unmarshal(raw, &body.Labels) != nil && json.Unmarshal(raw, &body) != nil {
		writeError(w, http.StatusUnprocessableEntity, "Invalid request.", "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue")
		return
	}
	k, ok := issueKey(req)
	r := g.repo(w, req)
	if r == nil {
		return
	}
	defer g.mu.Unlock()
	var pull *CreatedPull
	for _, p := range r.pulls {
		if ok && p.Number == k.Number {
			pull = p
		}
	}
	if pull == nil {
		writeError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue")
		return
	}
	for _, l := range body.Labels {
		if !slices.Contains(pull.Labels, l) {
			pull.Labels = append(pull.Labels, l)
		}
	}
	out := []map[string]any{}
	for _, l := range pull.Labels {
		id := stableID("label:" + l)
		out = append(out, map[string]any{"id": id, "node_id": nodeID("LA", id), "url": g.url(r, "labels/"+l),
			"name": l, "color": "ededed", "default": false, "description": nil})
	}
	writeJSON(w, http.StatusOK, out)
}

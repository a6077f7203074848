package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nhigate/nhigate/internal/ghtest"
	"github.com/nhigate/nhigate/internal/gittest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"nhigate": main})
}

// TestScripts runs the end-to-end scripts in testdata/script: each builds
// real git repositories and runs the real nhigate binary on them.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			for _, kv := range gittest.Env {
				k, v, _ := strings.Cut(kv, "=")
				env.Setenv(k, v)
			}
			env.Setenv("NO_COLOR", "1")
			// The scan cache of reviews goes to a directory of the
			// script's own, outside its repository: HOME is /no-home,
			// which a root user could create.
			cache, err := os.MkdirTemp("", "nhigate-cache-")
			if err != nil {
				return err
			}
			env.Defer(func() { os.RemoveAll(cache) })
			env.Setenv("XDG_CACHE_HOME", cache)
			example, err := filepath.Abs("../../testdata/example")
			if err != nil {
				return err
			}
			env.Setenv("EXAMPLE", example)
			// A fake GitHub for the scripts that review in GitHub mode.
			srv := ghtest.NewServer()
			env.Defer(srv.Close)
			env.Values[serverKey{}] = srv
			env.Values[mergesKey{}] = srv.EnableMerges()
			env.Values[attestationsKey{}] = srv.EnableAttestations()
			env.Values[gitDataKey{}] = srv.EnableGitData()
			env.Setenv("GITHUB_API_URL", srv.URL)
			env.Setenv("GH_TEST_TOKEN", srv.Token)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":         cmdExits,
			"ghpr":          cmdPR,
			"ghevent":       cmdEvent,
			"ghreview":      cmdReview,
			"ghteam":        cmdTeam,
			"ghcomments":    cmdComments,
			"rtcomment":     cmdRTComment,
			"rtcommentsall": cmdRTCommentsAll,
			"ghstatus":      cmdStatus,
			"ghstatuses":    cmdStatuses,
			"ghreadonly":    cmdReadOnly,
			"ghfile":        cmdFile,
			"ghmerged":      cmdMerged,
			"ghattested":    cmdAttested,
			"ghrepo":        cmdRepo,
			"ghpulls":       cmdPulls,
			"ghmerge":       cmdMerge,
			"encode":        cmdEncode,
			"ghperm":        cmdPerm,
			"ghfailnext":    cmdFailNext,
		},
	})
}

// cmdExits runs a command and asserts its exact exit code, which "exec"
// cannot: "exits 2 nhigate review" passes only on exit status 2. Its
// output is checked with stdout and stderr as usual.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: %v", err)
	}
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "NO_COLOR", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL",
		"GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "EXAMPLE",
		"GITHUB_ACTIONS", "GITHUB_API_URL", "GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", "GITHUB_TOKEN",
		"GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_SERVER_URL", "GITHUB_RUN_ID", "GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_REF", "NHIGATE_COMMENT_AUTHOR",
		"XDG_CACHE_HOME", "NHIGATE_CACHE", "CI"} {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	ts.Stdout().Write(stdout.Bytes())
	ts.Stderr().Write(stderr.Bytes())
	if got != want {
		ts.Fatalf("%s exited %d, want %d\nstdout:\n%s\nstderr:\n%s", args[1], got, want, stdout.String(), stderr.String())
	}
}

type serverKey struct{}

func server(ts *testscript.TestScript) *ghtest.Server {
	return ts.Value(serverKey{}).(*ghtest.Server)
}

// The fake pull request lives in acme/policies.
const owner, repo = "acme", "policies"

// revParse resolves a git revision in the script's directory.
func revParse(ts *testscript.TestScript, rev string) string {
	cmd := exec.Command("git", "rev-parse", rev)
	cmd.Dir = ts.MkAbs(".")
	out, err := cmd.Output()
	if err != nil {
		ts.Fatalf("git rev-parse %s: %v", rev, err)
	}
	return strings.TrimSpace(string(out))
}

func number(ts *testscript.TestScript, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		ts.Fatalf("%q is not a pull request number", s)
	}
	return n
}

// cmdPR opens pull request NUMBER by AUTHOR from HEAD into BASE (git
// revisions of the script's repository); "fork" as a fifth argument makes
// it come from a fork: ghpr 7 alice main feature [fork]
func cmdPR(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 4 {
		ts.Fatalf("usage: ghpr NUMBER AUTHOR BASE HEAD [fork]")
	}
	pr := ghtest.PullRequest{Owner: owner, Repo: repo, Number: number(ts, args[0]), Title: "nhigate test", Author: args[1],
		BaseSHA: revParse(ts, args[2]), BaseRef: args[2], HeadSHA: revParse(ts, args[3]), HeadRef: args[3],
		HeadOwner: owner, HeadRepo: repo}
	if len(args) > 4 && args[4] == "fork" {
		pr.HeadOwner = "mallory"
	}
	pr.MergeSHA = testMerge(ts, pr.Number, pr.BaseSHA, pr.HeadSHA)
	server(ts).AddPullRequest(pr)
	// The files GitHub lists, as its three-dot diff finds them; NUL
	// separated, since a name may hold spaces or quotes.
	cmd := exec.Command("git", "diff", "-z", "--name-only", args[2]+"..."+args[3])
	cmd.Dir = ts.MkAbs(".")
	out, err := cmd.Output()
	if err != nil {
		ts.Fatalf("git diff: %v", err)
	}
	var files []ghtest.File
	for _, f := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if f != "" {
			files = append(files, ghtest.File{Filename: f, Status: "modified"})
		}
	}
	server(ts).SetFiles(owner, repo, pr.Number, files...)
	server(ts).SetCommits(owner, repo, pr.Number, prCommits(ts, args[2], args[3])...)
}

// prCommits lists the commits of head that base lacks, oldest first, as
// GitHub lists a pull request's commits. GitHub links an author or
// committer to the account that verified the email; here an address at
// example.com belongs to the login before the @, GitHub's noreply address
// to web-flow, and any other address to no account.
func prCommits(ts *testscript.TestScript, base, head string) []ghtest.Commit {
	cmd := exec.Command("git", "log", "--reverse", "--format=%H%x00%an%x00%ae%x00%cn%x00%ce%x00", base+".."+head)
	cmd.Dir = ts.MkAbs(".")
	out, err := cmd.Output()
	if err != nil {
		ts.Fatalf("git log: %v", err)
	}
	login := func(email string) string {
		switch local, domain, _ := strings.Cut(email, "@"); {
		case email == "noreply@github.com":
			return "web-flow"
		case domain == "example.com":
			return local
		}
		return ""
	}
	var commits []ghtest.Commit
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\x00")
		if len(f) < 5 {
			continue
		}
		commits = append(commits, ghtest.Commit{SHA: f[0], AuthorName: f[1], AuthorEmail: f[2], AuthorLogin: login(f[2]),
			CommitterName: f[3], CommitterEmail: f[4], CommitterLogin: login(f[4])})
	}
	return commits
}

// testMerge does what GitHub does for an open pull request: it merges head
// into base as a new commit, refs/pull/N/merge, and returns its SHA, or ""
// when they conflict.
func testMerge(ts *testscript.TestScript, n int, base, head string) string {
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = ts.MkAbs(".")
		cmd.Env = append(os.Environ(), gittest.Env...)
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	tree, err := git("merge-tree", "--write-tree", base, head)
	if err != nil {
		return "" // a conflict: GitHub's merge_commit_sha is null
	}
	tree, _, _ = strings.Cut(tree, "\n")
	sha, err := git("commit-tree", tree, "-p", base, "-p", head, "-m", fmt.Sprintf("Merge %s into %s", head, base))
	if err != nil {
		ts.Fatalf("git commit-tree: %v", err)
	}
	if _, err := git("update-ref", fmt.Sprintf("refs/pull/%d/merge", n), sha); err != nil {
		ts.Fatalf("git update-ref: %v", err)
	}
	return sha
}

// cmdMerge sets the merge_commit_sha of a pull request: a revision, a
// literal SHA, or none: ghmerge 7 refs/pull/7/merge~1
func cmdMerge(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: ghmerge NUMBER REVISION|SHA|none")
	}
	sha := ""
	switch {
	case args[1] == "none":
	case len(args[1]) == 40 && strings.Trim(args[1], "0123456789abcdef") == "":
		sha = args[1]
	default:
		sha = revParse(ts, args[1])
	}
	srv := server(ts)
	srv.Mu.Lock()
	defer srv.Mu.Unlock()
	pr := srv.PRs[ghtest.IssueKey{Owner: owner, Repo: repo, Number: number(ts, args[0])}]
	if pr == nil {
		ts.Fatalf("no pull request %s; open it with ghpr first", args[0])
	}
	pr.MergeSHA = sha
}

// cmdEvent writes the payload GitHub gives the job for an event on a pull
// request: ghevent pull_request synchronize 7 event.json
func cmdEvent(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: ghevent NAME ACTION NUMBER FILE")
	}
	srv := server(ts)
	srv.Mu.Lock()
	pr := srv.PRs[ghtest.IssueKey{Owner: owner, Repo: repo, Number: number(ts, args[2])}]
	srv.Mu.Unlock()
	if pr == nil {
		ts.Fatalf("no pull request %s; open it with ghpr first", args[2])
	}
	repoJSON := func(o, r string) map[string]any {
		return map[string]any{"name": r, "full_name": o + "/" + r, "owner": map[string]any{"login": o, "type": "Organization"}, "fork": o != owner,
			"default_branch": "main"}
	}
	var mergeSHA any
	if pr.MergeSHA != "" {
		mergeSHA = pr.MergeSHA
	}
	pull := map[string]any{
		"number": pr.Number, "state": "open", "draft": pr.Draft, "title": pr.Title, "merge_commit_sha": mergeSHA,
		"user": map[string]any{"login": pr.Author, "type": "User"},
		"head": map[string]any{"sha": pr.HeadSHA, "ref": pr.HeadRef, "repo": repoJSON(pr.HeadOwner, pr.HeadRepo)},
		"base": map[string]any{"sha": pr.BaseSHA, "ref": pr.BaseRef, "repo": repoJSON(owner, repo)},
	}
	payload := map[string]any{
		"action": args[1], "number": pr.Number, "pull_request": pull,
		"repository": repoJSON(owner, repo), "sender": map[string]any{"login": pr.Author, "type": "User"},
	}
	if args[0] == "pull_request_review" {
		payload["review"] = map[string]any{"id": 1, "state": "approved", "user": map[string]any{"login": "carol"}, "commit_id": pr.HeadSHA}
	}
	data, err := json.MarshalIndent(payload, "", "  ")
	if err != nil {
		ts.Fatalf("%v", err)
	}
	if err := os.WriteFile(ts.MkAbs(args[3]), data, 0o644); err != nil {
		ts.Fatalf("%v", err)
	}
}

// cmdReview submits a review on a revision: ghreview 7 carol APPROVED feature
func cmdReview(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: ghreview NUMBER USER STATE REVISION")
	}
	srv := server(ts)
	srv.AddReviews(owner, repo, number(ts, args[0]), ghtest.Review{User: args[1], State: args[2], CommitID: revParse(ts, args[3]), SubmittedAt: time.Now()})
}

// cmdTeam makes users active members of a team: ghteam acme security carol
func cmdTeam(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: ghteam ORG SLUG [USER...]")
	}
	srv := server(ts)
	srv.AddTeam(args[0], args[1])
	for _, u := range args[2:] {
		srv.SetTeamMember(args[0], args[1], u, "active")
	}
}

// cmdPerm gives users a permission on the repository, one of GitHub's
// roles (admin, maintain, write, triage, read): ghperm write carol bob.
// Without one, GitHub does not know the user and their approval never
// counts.
func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: ghperm ROLE USER...")
	}
	switch args[0] {
	case "admin", "maintain", "write", "triage", "read":
	default:
		ts.Fatalf("ghperm: %q is not one of GitHub's roles: admin, maintain, write, triage, read", args[0])
	}
	for _, u := range args[1:] {
		server(ts).SetPermission(owner, repo, u, args[0])
	}
}

// cmdFailNext makes the fake GitHub answer the next request to a path
// with an HTTP status: ghfailnext /repos/acme/policies/pulls/7/commits 403
func cmdFailNext(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: ghfailnext PATH STATUS")
	}
	status, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("ghfailnext: %q is not an HTTP status", args[1])
	}
	server(ts).FailNext(args[0], status, nil)
}

// cmdComments asserts how many comments the pull request has and prints
// the last one for stdout to check: ghcomments 7 1
func cmdComments(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: ghcomments NUMBER COUNT")
	}
	comments := server(ts).CommentsOn(owner, repo, number(ts, args[0]))
	if want := number(ts, args[1]); len(comments) != want {
		ts.Fatalf("pull request has %d comments, want %d", len(comments), want)
	}
	if len(comments) > 0 {
		fmt.Fprint(ts.Stdout(), comments[len(comments)-1].Body)
	}
}

// cmdStatus asserts the latest status of a revision in a context,
// nhigate/review unless named: ghstatus feature success, ghstatus feature
// none, or ghstatus feature success 'nhigate/review (base: weak)'.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 && len(args) != 3 {
		ts.Fatalf("usage: ghstatus REVISION STATE [CONTEXT]")
	}
	context := "nhigate/review"
	if len(args) == 3 {
		context = args[2]
	}
	var got []ghtest.Status
	for _, st := range server(ts).StatusesOf(owner, repo, revParse(ts, args[0])) {
		if st.Context == context {
			got = append(got, st)
		}
	}
	state := "none"
	if len(got) > 0 {
		state = got[len(got)-1].State
		fmt.Fprintln(ts.Stdout(), got[len(got)-1].Description)
	}
	if state != args[1] {
		ts.Fatalf("%s status of %s is %s, want %s", context, args[0], state, args[1])
	}
}

// cmdStatuses prints every status of a revision, oldest first, one per
// line as "CONTEXT: STATE: DESCRIPTION", for stdout to check: ghstatuses feature
func cmdStatuses(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ghstatuses REVISION")
	}
	for _, st := range server(ts).StatusesOf(owner, repo, revParse(ts, args[0])) {
		fmt.Fprintf(ts.Stdout(), "%s: %s: %s\n", st.Context, st.State, st.Description)
	}
}

// cmdReadOnly makes every write to the fake GitHub fail with 403, as for
// a token without write access, or lifts that: ghreadonly on|off
func cmdReadOnly(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 || args[0] != "on" && args[0] != "off" {
		ts.Fatalf("usage: ghreadonly on|off")
	}
	srv := server(ts)
	srv.Mu.Lock()
	defer srv.Mu.Unlock()
	srv.ReadOnly = args[0] == "on"
}

// cmdFile adds a file to those GitHub lists for a pull request, as if git
// lacked the commit that changed it: ghfile 9 identities/hidden.yaml
func cmdFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: ghfile NUMBER PATH")
	}
	srv := server(ts)
	n := number(ts, args[0])
	srv.Mu.Lock()
	files := append([]ghtest.File{}, srv.Files[ghtest.IssueKey{Owner: owner, Repo: repo, Number: n}]...)
	srv.Mu.Unlock()
	srv.SetFiles(owner, repo, n, append(files, ghtest.File{Filename: args[1], Status: "added"})...)
}

type mergesKey struct{}

// cmdMerged records that a pull request was merged as a commit, by whom:
// ghmerged 7 main carol
func cmdMerged(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: ghmerged NUMBER REVISION MERGER")
	}
	merges := ts.Value(mergesKey{}).(*ghtest.Merges)
	merges.SetMerged(owner, repo, number(ts, args[0]), ghtest.Merge{Commit: revParse(ts, args[1]), MergedBy: args[2], MergedAt: time.Now()})
}

type attestationsKey struct{}

// cmdAttested asserts how many bundles were uploaded to the repository's
// attestations: ghattested 1
func cmdAttested(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ghattested COUNT")
	}
	stored := ts.Value(attestationsKey{}).(*ghtest.Attestations).Stored(owner, repo)
	if want := number(ts, args[0]); len(stored) != want {
		ts.Fatalf("%d attestations uploaded, want %d", len(stored), want)
	}
}

type gitDataKey struct{}

// cmdRepo mirrors a branch of the script's repository into the fake
// GitHub's Git Data API, as the default branch: ghrepo main
func cmdRepo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ghrepo BRANCH")
	}
	cmd := exec.Command("git", "ls-tree", "-r", "--name-only", args[0])
	cmd.Dir = ts.MkAbs(".")
	out, err := cmd.Output()
	if err != nil {
		ts.Fatalf("git ls-tree: %v", err)
	}
	files := map[string]string{}
	for _, p := range strings.Fields(string(out)) {
		show := exec.Command("git", "show", args[0]+":"+p)
		show.Dir = ts.MkAbs(".")
		content, err := show.Output()
		if err != nil {
			ts.Fatalf("git show %s: %v", p, err)
		}
		files[p] = string(content)
	}
	ts.Value(gitDataKey{}).(*ghtest.GitData).AddRepoAt(owner, repo, args[0], revParse(ts, args[0]), files)
}

// cmdPulls asserts how many pull requests were opened through the Git Data
// API and prints the last one's branch, labels, title and body, then the
// files of its branch, for stdout to check: ghpulls 1
func cmdPulls(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ghpulls COUNT")
	}
	gd := ts.Value(gitDataKey{}).(*ghtest.GitData)
	pulls := gd.Pulls(owner, repo)
	if want := number(ts, args[0]); len(pulls) != want {
		ts.Fatalf("%d pull requests opened, want %d", len(pulls), want)
	}
	if len(pulls) == 0 {
		return
	}
	pr := pulls[len(pulls)-1]
	fmt.Fprintf(ts.Stdout(), "branch %s into %s\nlabels %s\ntitle %s\n%s\n", pr.Head, pr.Base, strings.Join(pr.Labels, ","), pr.Title, pr.Body)
	files := gd.Files(owner, repo, pr.Head)
	for _, p := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(ts.Stdout(), "== %s\n%s", p, files[p])
	}
}

// cmdEncode writes a copy of a text file in another encoding, which a
// txtar archive cannot hold: encode utf16le|utf16be|utf8bom SRC DST
func cmdEncode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: encode utf16le|utf16be|utf8bom SRC DST")
	}
	text := ts.ReadFile(args[1])
	var out []byte
	switch args[0] {
	case "utf8bom":
		out = append([]byte{0xEF, 0xBB, 0xBF}, text...)
	case "utf16le", "utf16be":
		order := binary.AppendByteOrder(binary.LittleEndian)
		out = []byte{0xFF, 0xFE}
		if args[0] == "utf16be" {
			order, out = binary.BigEndian, []byte{0xFE, 0xFF}
		}
		for _, u := range utf16.Encode([]rune(text)) {
			out = order.AppendUint16(out, u)
		}
	default:
		ts.Fatalf("encode: unknown encoding %q", args[0])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), out, 0o644))
}

// cmdRTComment (red team) posts a comment as a user: rtcomment NUMBER USER BODY
func cmdRTComment(ts *testscript.TestScript, neg bool, args []string) {
	server(ts).AddComments(owner, repo, number(ts, args[0]), ghtest.Comment{User: args[1], Body: args[2]})
}

// rtcommentsall prints every comment as "USER: BODY"
func cmdRTCommentsAll(ts *testscript.TestScript, neg bool, args []string) {
	for _, c := range server(ts).CommentsOn(owner, repo, number(ts, args[0])) {
		fmt.Fprintf(ts.Stdout(), "[%s] %s\n", c.User, c.Body)
	}
}

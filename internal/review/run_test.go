package review_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/internal/gittest"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/reviewer"
)

// fakeGitHub answers a review's questions from fields, and records them.
type fakeGitHub struct {
	pull    *review.Pull // the pull request under review
	merged  *review.Pull // the pull request merged as a commit
	files   []string
	asked   []string
	reviews []reviewer.Review
}

func (f *fakeGitHub) PullRequest(context.Context) (*review.Pull, error) {
	f.asked = append(f.asked, "pull")
	return f.pull, nil
}

func (f *fakeGitHub) MergedPullRequest(_ context.Context, sha string) (*review.Pull, error) {
	f.asked = append(f.asked, "merged "+sha)
	return f.merged, nil
}

func (f *fakeGitHub) ChangedFiles(_ context.Context, number int) ([]string, bool, error) {
	f.asked = append(f.asked, "files")
	return f.files, true, nil
}

func (f *fakeGitHub) Reviews(number int) reviewer.PullRequest {
	f.asked = append(f.asked, "reviews")
	return &fakePull{f: f, number: number}
}

type fakePull struct {
	f      *fakeGitHub
	number int
}

func (p *fakePull) Info(context.Context) (reviewer.PRInfo, error) {
	return reviewer.PRInfo{Number: p.number, Repo: "acme/policies", Author: "author", HeadSHA: "abc"}, nil
}
func (p *fakePull) Reviews(context.Context) ([]reviewer.Review, error) { return p.f.reviews, nil }
func (p *fakePull) Commits(context.Context) ([]reviewer.Commit, error) {
	return []reviewer.Commit{{SHA: "c1", Author: "author", Committer: "author"}}, nil
}
func (p *fakePull) IsTeamMember(context.Context, string, string, string) (bool, error) {
	return false, nil
}
func (p *fakePull) Permission(context.Context, string) (reviewer.Permission, error) {
	return reviewer.Permission{Level: "write", Role: "write"}, nil
}

const (
	exampleBase = "../../testdata/example/base"
	exampleHead = "../../testdata/example/head"
)

// TestRunLocalReview: a local review shows who would have to approve, and
// checks no approval.
func TestRunLocalReview(t *testing.T) {
	res, err := review.Run(context.Background(), review.Request{Repo: ".", Base: exampleBase, Head: exampleHead, Scope: reviewer.ScopeReview, Now: exampleNow})
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Report
	if rep.Mode != reviewer.Local || rep.Approvals != nil || len(rep.Required) == 0 {
		t.Errorf("mode %s, approvals %v, %d required: want a local review listing who must approve, checking none", rep.Mode, rep.Approvals, len(rep.Required))
	}
	if res.Pull != nil {
		t.Errorf("a local review names pull request %+v", res.Pull)
	}
}

// TestRunNeedsAdapter: a GitHub mode without an adapter fails, never
// falling back to a review that checks no approvals.
func TestRunNeedsAdapter(t *testing.T) {
	for _, mode := range []review.Mode{review.PullRequest, review.Merged} {
		_, err := review.Run(context.Background(), review.Request{Repo: ".", Base: exampleBase, Head: exampleHead, Scope: reviewer.ScopeReview, Mode: mode, Now: exampleNow})
		if err == nil {
			t.Errorf("mode %d without GitHub: no error", mode)
		}
	}
}

// TestRunMergeGroup: a merge group has no pull request; it is judged
// again without approvals, and asks GitHub nothing more.
func TestRunMergeGroup(t *testing.T) {
	gh := &fakeGitHub{}
	res, err := review.Run(context.Background(), review.Request{Repo: mergedRepo(t), Base: "HEAD^1", Head: "HEAD", Scope: reviewer.ScopeReview,
		Mode: review.PullRequest, GitHub: gh, Now: exampleNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Mode != reviewer.MergeQueue {
		t.Errorf("mode %s, want merge-queue", res.Report.Mode)
	}
	if diff := cmp.Diff([]string{"pull"}, gh.asked); diff != "" {
		t.Errorf("asked GitHub (-want +got):\n%s", diff)
	}
}

// TestRunCrossCheck: a file GitHub says the pull request changes that git
// does not show fails the review: the clone lacks history.
func TestRunCrossCheck(t *testing.T) {
	gh := &fakeGitHub{pull: &review.Pull{Number: 7, Head: "abc", BaseRef: "main"}, files: []string{"identities/elsewhere.yaml"}}
	_, err := review.Run(context.Background(), review.Request{Repo: mergedRepo(t), Base: "HEAD^1", Head: "HEAD", Scope: reviewer.ScopeReview,
		Mode: review.PullRequest, GitHub: gh, Now: exampleNow})
	if err == nil || !strings.Contains(err.Error(), "fetch-depth: 0") {
		t.Errorf("err = %v, want the missing history named", err)
	}
}

// TestRunGitHubReadsOnlyRevisions: in GitHub mode --base and --head are
// the event's commits, which a directory of the checkout (the pull
// request's own files) must never stand in for.
func TestRunGitHubReadsOnlyRevisions(t *testing.T) {
	for _, mode := range []review.Mode{review.PullRequest, review.Merged} {
		_, err := review.Run(context.Background(), review.Request{Repo: ".", Base: exampleBase, Head: exampleHead, Scope: reviewer.ScopeReview,
			Mode: mode, GitHub: &fakeGitHub{}, Now: exampleNow})
		var re *review.RevisionError
		if !errors.As(err, &re) {
			t.Errorf("mode %d, directories: err = %v, want a RevisionError", mode, err)
		}
	}
}

// mergedRepo commits the example's base, then its head, and returns the
// repository.
func mergedRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	gittest.Run(t, dir, "init", "-q", "-b", "main")
	for _, side := range []string{exampleBase, exampleHead} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Name() != ".git" {
				if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := os.CopyFS(dir, os.DirFS(side)); err != nil {
			t.Fatal(err)
		}
		gittest.Run(t, dir, "add", "-A")
		gittest.Run(t, dir, "commit", "-q", "-m", side)
	}
	return dir
}

// TestRunMerged: attest's review finds the pull request merged as head,
// defaults base to head's first parent, and counts that pull request's
// approvals; a commit pushed without one is refused.
func TestRunMerged(t *testing.T) {
	repo := mergedRepo(t)
	t.Run("no pull request", func(t *testing.T) {
		gh := &fakeGitHub{}
		_, err := review.Run(context.Background(), review.Request{Repo: repo, Head: "HEAD", Scope: reviewer.ScopeReview, Mode: review.Merged, GitHub: gh, Now: exampleNow})
		var nm *review.NotMergedError
		if !errors.As(err, &nm) {
			t.Fatalf("err = %v, want NotMergedError", err)
		}
		if len(gh.asked) != 1 || !strings.HasPrefix(gh.asked[0], "merged ") || len(gh.asked[0]) != len("merged ")+40 {
			t.Errorf("asked %q, want the merged pull request of head's full commit", gh.asked)
		}
	})
	t.Run("merged", func(t *testing.T) {
		gh := &fakeGitHub{merged: &review.Pull{Number: 7, Head: "abc", MergedBy: "admin"}}
		res, err := review.Run(context.Background(), review.Request{Repo: repo, Head: "HEAD", Scope: reviewer.ScopeReview, Mode: review.Merged, GitHub: gh, Now: exampleNow})
		if err != nil {
			t.Fatal(err)
		}
		if res.Report.Mode != reviewer.GitHub || res.Report.Approvals == nil || res.Pull.Number != 7 {
			t.Errorf("mode %s, approvals %v, pull %+v: want pull request #7's approvals counted", res.Report.Mode, res.Report.Approvals, res.Pull)
		}
		if !strings.Contains(res.Report.Base, "^1") {
			t.Errorf("base %q, want head's first parent", res.Report.Base)
		}
		if res.Report.Diff.Risk() == 0 {
			t.Error("the merge changed nothing, want the example's change")
		}
	})
}

// TestRunCheck: a check that finds no spec is a usage error, never a pass.
func TestRunCheck(t *testing.T) {
	_, err := review.Run(context.Background(), review.Request{Scope: reviewer.ScopeCheck, Paths: []string{t.TempDir()}, Now: exampleNow})
	var ue *review.UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "found no nhigate spec") {
		t.Errorf("err = %v, want a usage error naming the missing specs", err)
	}
	res, err := review.Run(context.Background(), review.Request{Scope: reviewer.ScopeCheck, Paths: []string{exampleHead}, Now: exampleNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Scope != reviewer.ScopeCheck || res.Report.Verdict != reviewer.Blocked {
		t.Errorf("scope %s verdict %s, want a blocked check (the example's static production credential)", res.Report.Scope, res.Report.Verdict)
	}
}

// refusedRepo is a repository whose main holds the example's base, and a
// branch feature that adds at the top a tree entry named
// "identities/evil.yaml": no git add writes it, and a checkout writes it
// as identities/evil.yaml, where nhigate would read nothing.
func refusedRepo(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	if err := os.CopyFS(repo, os.DirFS(exampleBase)); err != nil {
		t.Fatal(err)
	}
	gittest.Init(t, repo)
	o := gittest.OpenObjects(t, repo)
	evil := gittest.Entry{Mode: "100644", Name: "identities/evil.yaml", Hash: o.Blob("apiVersion: nhigate.dev/v1\n")}
	o.Commit("feature", "main", o.Tree(append(o.Top("main"), evil)...))
	return repo
}

// TestRunRefusedTree: a change whose trees nhigate will not judge blocks,
// with the reason as its invalid entry and nothing compared, locally and
// on a pull request, where neither the merge result nor GitHub's list of
// files is asked for.
func TestRunRefusedTree(t *testing.T) {
	repo := refusedRepo(t)
	gh := &fakeGitHub{pull: &review.Pull{Number: 7, Head: "abc", BaseRef: "main"}, files: []string{"identities/evil.yaml"}}
	for _, mode := range []review.Mode{review.Local, review.PullRequest} {
		req := review.Request{Repo: repo, Base: "main", Head: "feature", Scope: reviewer.ScopeReview, Mode: mode, Now: exampleNow}
		if mode == review.PullRequest {
			req.GitHub = gh
		}
		res, err := review.Run(context.Background(), req)
		if err != nil {
			t.Fatalf("mode %d: %v", mode, err)
		}
		rep := res.Report
		if rep.Verdict != reviewer.Blocked || len(rep.Invalid) != 1 || !strings.Contains(rep.Invalid[0].Msg, `a tree entry named "identities/evil.yaml"`) {
			t.Errorf("mode %d: verdict %s, invalid %v; want blocked on the entry's name", mode, rep.Verdict, rep.Invalid)
		}
		if !res.Prepared.Refused || rep.Diff == nil || rep.Diff.Uncompared == "" {
			t.Errorf("mode %d: refused %v, diff %+v; want a refused review that compared nothing", mode, res.Prepared.Refused, rep.Diff)
		}
	}
	if slices.Contains(gh.asked, "files") {
		t.Errorf("asked GitHub %v: a refused review needs no list of files", gh.asked)
	}
}

package ghapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Change is a pull request that nhigate proposes: new contents for some
// files on a new branch, committed through the Git Data API without a
// local checkout.
type Change struct {
	Owner, Repo string
	// Base is the branch the pull request targets; empty means the
	// repository's default branch. The change is committed on top of its
	// head, never to it.
	Base string
	// BaseSHA, if set, is the commit the change was computed from: the
	// change is refused when Base has moved on, so that rewritten files
	// cannot undo newer work.
	BaseSHA string
	// Branch is the new branch that carries the commit. It must not exist
	// yet, and may not be Base or the repository's default branch.
	Branch string
	// Files maps repo-relative paths to their new contents; a nil value
	// deletes the file.
	Files   map[string][]byte
	Message string // the commit message
	Title   string
	Body    string
	Draft   bool
	Labels  []string
}

// Opened is the pull request a Change became.
type Opened struct {
	Number  int
	URL     string // the pull request's page
	Commit  string // the SHA of the new commit
	BaseSHA string // the head of Base it was made on
}

// OpenChange commits c.Files on a new branch c.Branch made from the head of
// c.Base, opens a pull request into c.Base and labels it. It refuses to
// write to the default branch: the change always goes through review.
func (c *Client) OpenChange(ctx context.Context, ch Change) (*Opened, error) {
	op := fmt.Sprintf("open pull request %s into %s/%s:%s", ch.Branch, ch.Owner, ch.Repo, ch.Base)
	if err := checkRepo(ch.Owner, ch.Repo); err != nil {
		return nil, c.fail(op, err)
	}
	if ch.Base != "" {
		if err := checkBranch(ch.Base); err != nil {
			return nil, c.fail(op, err)
		}
	}
	if err := checkBranch(ch.Branch); err != nil {
		return nil, c.fail(op, err)
	}
	if ch.Branch == ch.Base {
		return nil, c.fail(op, errors.New("the branch of the change is its base; nhigate never writes to the base branch"))
	}
	if len(ch.Files) == 0 {
		return nil, c.fail(op, errors.New("the change has no files"))
	}
	paths := make([]string, 0, len(ch.Files))
	for p := range ch.Files {
		if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
			return nil, c.fail(op, fmt.Errorf("invalid path %q: want a clean repo-relative path", p))
		}
		paths = append(paths, p)
	}
	slices.Sort(paths)

	repo, _, err := c.gh.Repositories.Get(ctx, ch.Owner, ch.Repo)
	if err != nil {
		return nil, c.fail(op, err)
	}
	if ch.Branch == repo.GetDefaultBranch() {
		return nil, c.fail(op, fmt.Errorf("%s is the default branch; nhigate never writes to it", ch.Branch))
	}
	if ch.Base == "" {
		ch.Base = repo.GetDefaultBranch()
		if ch.Base == ch.Branch {
			return nil, c.fail(op, errors.New("the branch of the change is its base; nhigate never writes to the base branch"))
		}
	}
	ref, _, err := c.gh.Git.GetRef(ctx, ch.Owner, ch.Repo, "heads/"+ch.Base)
	if err != nil {
		return nil, c.fail(op, err)
	}
	baseSHA := ref.GetObject().GetSHA()
	if ch.BaseSHA != "" && !strings.EqualFold(ch.BaseSHA, baseSHA) {
		return nil, c.fail(op, fmt.Errorf("%s is at %.12s on GitHub, not at %.12s where the change was computed: fetch and run again", ch.Base, baseSHA, ch.BaseSHA))
	}
	baseCommit, _, err := c.gh.Git.GetCommit(ctx, ch.Owner, ch.Repo, baseSHA)
	if err != nil {
		return nil, c.fail(op, err)
	}

	entries := make([]*github.TreeEntry, 0, len(paths))
	for _, p := range paths {
		e := &github.TreeEntry{Path: github.String(p), Mode: github.String("100644"), Type: github.String("blob")}
		if data := ch.Files[p]; data != nil {
			// Blobs are addressed by content, so repeating one is harmless.
			blob, _, err := c.gh.Git.CreateBlob(withIdempotent(ctx), ch.Owner, ch.Repo, &github.Blob{
				Content:  github.String(base64.StdEncoding.EncodeToString(data)),
				Encoding: github.String("base64"),
			})
			if err != nil {
				return nil, c.fail(op, err)
			}
			e.SHA = blob.SHA
		}
		entries = append(entries, e)
	}
	tree, _, err := c.gh.Git.CreateTree(withIdempotent(ctx), ch.Owner, ch.Repo, baseCommit.GetTree().GetSHA(), entries)
	if err != nil {
		return nil, c.fail(op, err)
	}
	commit, _, err := c.gh.Git.CreateCommit(ctx, ch.Owner, ch.Repo, &github.Commit{
		Message: github.String(ch.Message),
		Tree:    &github.Tree{SHA: tree.SHA},
		Parents: []*github.Commit{{SHA: github.String(baseSHA)}},
	}, nil)
	if err != nil {
		return nil, c.fail(op, err)
	}
	if _, _, err := c.gh.Git.CreateRef(ctx, ch.Owner, ch.Repo, &github.Reference{
		Ref:    github.String("refs/heads/" + ch.Branch),
		Object: &github.GitObject{SHA: commit.SHA},
	}); err != nil {
		return nil, c.fail(op, err)
	}
	pr, _, err := c.gh.PullRequests.Create(ctx, ch.Owner, ch.Repo, &github.NewPullRequest{
		Title: github.String(ch.Title),
		Head:  github.String(ch.Branch),
		Base:  github.String(ch.Base),
		Body:  github.String(ch.Body),
		Draft: github.Bool(ch.Draft),
	})
	if err != nil {
		return nil, c.fail(op, err)
	}
	if len(ch.Labels) > 0 {
		// Adding labels twice leaves the same labels.
		if _, _, err := c.gh.Issues.AddLabelsToIssue(withIdempotent(ctx), ch.Owner, ch.Repo, pr.GetNumber(), ch.Labels); err != nil {
			return nil, c.fail(op, err)
		}
	}
	return &Opened{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), Commit: commit.GetSHA(), BaseSHA: baseSHA}, nil
}

// checkBranch accepts the branch names nhigate uses and GitHub allows:
// slash-separated parts of letters, digits, '-', '_' and '.'.
func checkBranch(b string) error {
	if b == "" || len(b) > 200 || strings.HasSuffix(b, ".lock") {
		return fmt.Errorf("invalid branch %q", b)
	}
	for _, part := range strings.Split(b, "/") {
		if part == "" || part == "." || part == ".." || strings.HasPrefix(part, ".") {
			return fmt.Errorf("invalid branch %q", b)
		}
		for _, r := range part {
			ok := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' || r == '.'
			if !ok {
				return fmt.Errorf("invalid branch %q", b)
			}
		}
	}
	return nil
}

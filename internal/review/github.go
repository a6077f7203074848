package review

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/reviewer"
)

// GitHub is what a review asks of GitHub. The command line gives one
// backed by the API client (NewGitHub); tests may give their own.
type GitHub interface {
	// PullRequest is the pull request under review, the event's; nil for
	// a merge group, which has none of its own.
	PullRequest(ctx context.Context) (*Pull, error)
	// MergedPullRequest is the pull request merged as commit sha; nil when
	// sha was pushed without one.
	MergedPullRequest(ctx context.Context, sha string) (*Pull, error)
	// ChangedFiles lists the files GitHub says pull request number
	// changes; complete is false when GitHub's list is cut short.
	ChangedFiles(ctx context.Context, number int) (files []string, complete bool, err error)
	// Reviews is the review history of pull request number, which
	// reviewer.Approvals reads.
	Reviews(number int) reviewer.PullRequest
}

// Pull is a pull request as a review needs it.
type Pull struct {
	Number int
	// Head is the commit its approvals count on: the event's head, or the
	// last commit of a merged pull request.
	Head string
	// BaseRef is the branch it targets.
	BaseRef string
	// MergeCommits may hold its merge result, the refs/pull/N/merge commit
	// that merging deploys, in the order to try them.
	MergeCommits []string
	// URL, Author and MergedBy describe a merged pull request.
	URL, Author, MergedBy string
}

// ghAdapter is GitHub through the API client, for a repository and, in a
// pull request's review, the event that started the run.
type ghAdapter struct {
	client      *ghapi.Client
	owner, repo string
	event       *ghapi.Event
	// checkoutSHA is the merge commit actions/checkout checked out, when
	// GITHUB_REF is the pull request's refs/pull/N/merge.
	checkoutSHA string
}

// NewGitHub is the adapter for owner/repo through client. A review of a
// pull request names its event, and the merge commit actions/checkout
// checked out ("" when unknown); attest names neither.
func NewGitHub(client *ghapi.Client, owner, repo string, event *ghapi.Event, checkoutSHA string) GitHub {
	return &ghAdapter{client: client, owner: owner, repo: repo, event: event, checkoutSHA: checkoutSHA}
}

func (g *ghAdapter) PullRequest(context.Context) (*Pull, error) {
	if g.event == nil {
		return nil, fmt.Errorf("no GitHub event names the pull request to review")
	}
	ev := g.event
	if ev.Number == 0 {
		return nil, nil
	}
	pr := &Pull{Number: ev.Number, Head: ev.HeadSHA, BaseRef: ev.BaseRef}
	for _, c := range []string{ev.MergeSHA, g.checkoutSHA} {
		if c != "" && !slices.ContainsFunc(pr.MergeCommits, func(s string) bool { return strings.EqualFold(s, c) }) {
			pr.MergeCommits = append(pr.MergeCommits, c)
		}
	}
	return pr, nil
}

func (g *ghAdapter) MergedPullRequest(ctx context.Context, sha string) (*Pull, error) {
	m, found, err := g.client.MergedPullRequest(ctx, g.owner, g.repo, sha)
	if err != nil || !found {
		return nil, err
	}
	return &Pull{Number: m.Number, Head: m.HeadSHA, URL: m.URL, Author: m.Author, MergedBy: m.MergedBy}, nil
}

func (g *ghAdapter) ChangedFiles(ctx context.Context, number int) ([]string, bool, error) {
	files, err := g.client.ListFiles(ctx, g.owner, g.repo, number)
	var truncated *ghapi.TruncatedError
	if errors.As(err, &truncated) {
		return nil, false, nil
	}
	return files, err == nil, err
}

func (g *ghAdapter) Reviews(number int) reviewer.PullRequest {
	return g.client.PullRequest(g.owner, g.repo, number)
}

// approvals adds to the prepared review the approvals of the pull request,
// counted on its head commit, after checking that git shows every file
// GitHub says it changes. CODEOWNERS comes from the base revision, like
// the policies and the config.
func approvals(ctx context.Context, gh GitHub, pr *Pull, prep *Prepared) error {
	prep.Input.Mode = reviewer.GitHub
	// A refused change blocks whatever git and GitHub list.
	if !prep.Refused {
		if err := crossCheck(ctx, gh, pr.Number, prep.Changed); err != nil {
			return err
		}
	}
	rules, err := prep.ApprovalRules()
	if err != nil {
		return err
	}
	rules.Head = pr.Head
	reqs, err := reviewer.Approvals(ctx, gh.Reviews(pr.Number), rules)
	if err != nil {
		return fmt.Errorf("check approvals of pull request #%d: %w", pr.Number, err)
	}
	prep.Input.Approvals = reqs
	return nil
}

// crossCheck compares git's list of changed files, which the review reads,
// with GitHub's. A file GitHub lists that git does not show means the
// clone lacks history, and the review would judge less than the pull
// request changes.
func crossCheck(ctx context.Context, gh GitHub, number int, changed []string) error {
	files, complete, err := gh.ChangedFiles(ctx, number)
	switch {
	case err != nil:
		return fmt.Errorf("list the files of pull request #%d: %w", number, err)
	case !complete:
		return nil // over GitHub's 3,000-file limit: git's list is the only whole one
	}
	inGit := map[string]bool{}
	for _, p := range changed {
		inGit[p] = true
	}
	var missing []string
	for _, f := range files {
		if !inGit[f] {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("GitHub lists %d changed files that git does not show between the event's commits, e.g. %s: check out the full history (actions/checkout with fetch-depth: 0)", len(missing), missing[0])
	}
	return nil
}

// mergeResult runs the policies on the merge result of the pull request,
// the refs/pull/N/merge commit: merging deploys it, not the head. A head
// that passes on its own can fail there, when the base branch changed the
// same spec meanwhile (moved it to production, say) and git merged both
// cleanly. The specs judged are those the merge changes on the base
// branch; the policies and the config are still base's.
func mergeResult(ctx context.Context, req Request, pr *Pull, prep *Prepared) error {
	merged, first, sha, err := mergeCommit(req.Repo, pr)
	if err != nil {
		return err
	}
	changed, err := source.Changed(ctx, first, merged)
	if err != nil {
		return fmt.Errorf("diff the merge result %s with its base: %w", short(sha), err)
	}
	mergedSpecs, err := source.LoadSpecs(merged, changed, prep.Config)
	if err != nil {
		return fmt.Errorf("read the merge result %s: %w", short(sha), err)
	}
	firstSpecs, err := source.LoadSpecs(first, changed, prep.Config)
	if err != nil {
		return fmt.Errorf("read the base of the merge result %s: %w", short(sha), err)
	}
	var findings []reviewer.Finding
	if len(mergedSpecs.Workflows) > 0 {
		if findings, _, err = Evaluate(ctx, prep.Base, prep.Config, mergedSpecs.Workflows, req.Now); err != nil {
			return fmt.Errorf("check the merge result %s: %w", short(sha), err)
		}
	}
	prep.Input.Merge = &reviewer.MergeInput{
		Commit: sha, Base: pr.BaseRef,
		Findings: findings, Invalid: mergedSpecs.Errors,
		Specs: mergedSpecs.Workflows, BaseSpecs: firstSpecs.Workflows,
	}
	return nil
}

// mergeCommit finds the merge result in the clone among the pull
// request's candidates. It must merge the head the review judged; anything
// else fails closed, saying how to fetch the right one.
func mergeCommit(repoDir string, pr *Pull) (merged, first source.Tree, sha string, err error) {
	ref := fmt.Sprintf("refs/pull/%d/merge", pr.Number)
	fetch := fmt.Sprintf("fetch it with \"git fetch origin %s\" (actions/checkout on pull_request checks it out; keep its default ref)", ref)
	if len(pr.MergeCommits) == 0 {
		return nil, nil, "", fmt.Errorf("pull request #%d: the event names no merge result (pull_request.merge_commit_sha is empty, and GITHUB_REF is not %s): GitHub has not computed the merge yet, or the pull request conflicts with %s. nhigate judges what merging deploys, so nothing passes: resolve any conflict, or run the job again", pr.Number, ref, pr.BaseRef)
	}
	var problems []string
	for _, c := range pr.MergeCommits {
		t, err := source.OpenRevision(repoDir, c)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s is not in the clone", short(c)))
			continue
		}
		second, err := source.OpenRevision(repoDir, c+"^2")
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s is not a merge of two commits", short(c)))
			continue
		}
		if h, _ := source.Commit(second); !strings.EqualFold(h, pr.Head) {
			problems = append(problems, fmt.Sprintf("%s merges %s, not the head %s", short(c), short(h), short(pr.Head)))
			continue
		}
		parent, err := source.OpenRevision(repoDir, c+"^1")
		if err != nil {
			problems = append(problems, fmt.Sprintf("the base side of %s is not in the clone", short(c)))
			continue
		}
		return t, parent, c, nil
	}
	return nil, nil, "", fmt.Errorf("pull request #%d: cannot read its merge result with %s (%s): %s", pr.Number, pr.BaseRef, strings.Join(problems, "; "), fetch)
}

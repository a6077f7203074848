package ghapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Merged is a merged pull request, as an attestation records it.
type Merged struct {
	Number   int
	URL      string // the pull request's page
	Author   string
	MergedBy string
	// HeadSHA is the last commit of the pull request: approvals count on
	// it, not on the merge commit.
	HeadSHA string
	BaseSHA string
}

// MergedPullRequest finds the pull request that was merged as commit sha:
// the one GitHub associates with the commit whose merge_commit_sha is sha.
// found is false when there is none, as after a direct push.
func (c *Client) MergedPullRequest(ctx context.Context, owner, repo, sha string) (m Merged, found bool, err error) {
	op := fmt.Sprintf("find the pull request merged as %s/%s@%s", owner, repo, sha)
	if err := checkRepo(owner, repo); err != nil {
		return Merged{}, false, c.fail(op, err)
	}
	if !validSHA(sha) {
		return Merged{}, false, c.fail(op, errors.New("invalid commit SHA: want 40 or 64 hex digits"))
	}
	number := 0
	err = paginate(func(opts github.ListOptions) (*github.Response, error) {
		page, resp, err := c.gh.PullRequests.ListPullRequestsWithCommit(ctx, owner, repo, sha, &opts)
		for _, pr := range page {
			// The commit also lists pull requests that merely contain it;
			// only the one merged as this very commit counts.
			if number == 0 && pr.MergedAt != nil && strings.EqualFold(pr.GetMergeCommitSHA(), sha) {
				number = pr.GetNumber()
			}
		}
		return resp, err
	})
	if err != nil {
		return Merged{}, false, c.fail(op, err)
	}
	if number == 0 {
		return Merged{}, false, nil
	}
	// The list leaves out merged_by; the pull request itself has it.
	pr, _, err := c.gh.PullRequests.Get(ctx, owner, repo, number)
	if err != nil {
		return Merged{}, false, c.fail(op, err)
	}
	switch {
	case !pr.GetMerged() || !strings.EqualFold(pr.GetMergeCommitSHA(), sha):
		return Merged{}, false, c.fail(op, fmt.Errorf("pull request #%d is listed as merged as this commit, but its own record disagrees", number))
	case pr.GetHead().GetSHA() == "" || pr.GetUser().GetLogin() == "" || pr.GetMergedBy().GetLogin() == "":
		return Merged{}, false, c.fail(op, fmt.Errorf("GitHub's answer for pull request #%d lacks the head SHA, the author or who merged it", number))
	}
	return Merged{
		Number:   number,
		URL:      pr.GetHTMLURL(),
		Author:   pr.GetUser().GetLogin(),
		MergedBy: pr.GetMergedBy().GetLogin(),
		HeadSHA:  pr.GetHead().GetSHA(),
		BaseSHA:  pr.GetBase().GetSHA(),
	}, true, nil
}

package ghapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-github/v60/github"
	"github.com/nhigate/nhigate/reviewer"
)

// PRInfo and Review are the approval engine's types, returned as they are
// so that *PullRequest is a reviewer.PullRequest.
type (
	PRInfo = reviewer.PRInfo
	Review = reviewer.Review
)

// PullRequest must stay usable as the engine's view of a pull request.
var _ reviewer.PullRequest = (*PullRequest)(nil)

// PullRequest reads one pull request. It fetches lazily and caches what it
// read for the rest of the run; failed reads are not cached. It is safe for
// concurrent use.
type PullRequest struct {
	c           *Client
	owner, repo string
	number      int

	mu      sync.Mutex
	pr      *github.PullRequest
	reviews []Review
	commits []Commit
	teams   map[string]bool
	perms   map[string]Permission
}

// PullRequest returns a reader for owner/repo#number. It makes no request
// until asked.
func (c *Client) PullRequest(owner, repo string, number int) *PullRequest {
	return &PullRequest{c: c, owner: owner, repo: repo, number: number, teams: map[string]bool{}, perms: map[string]Permission{}}
}

func (p *PullRequest) String() string { return fmt.Sprintf("%s/%s#%d", p.owner, p.repo, p.number) }

// get fetches the pull request once. p.mu must be held.
func (p *PullRequest) get(ctx context.Context) (*github.PullRequest, error) {
	if p.pr != nil {
		return p.pr, nil
	}
	op := "get pull request " + p.String()
	if err := checkIssue(p.owner, p.repo, p.number); err != nil {
		return nil, p.c.fail(op, err)
	}
	pr, _, err := p.c.gh.PullRequests.Get(ctx, p.owner, p.repo, p.number)
	if err != nil {
		return nil, p.c.fail(op, err)
	}
	if pr.GetHead().GetSHA() == "" || pr.GetBase().GetSHA() == "" || pr.GetUser().GetLogin() == "" {
		return nil, p.c.fail(op, errors.New("GitHub's answer lacks the head or base SHA or the author"))
	}
	p.pr = pr
	return pr, nil
}

// Info returns the pull request's number, repository (the one this reader
// was made for), author, SHAs and draft state.
func (p *PullRequest) Info(ctx context.Context) (PRInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr, err := p.get(ctx)
	if err != nil {
		return PRInfo{}, err
	}
	return PRInfo{
		Number:  pr.GetNumber(),
		Repo:    p.owner + "/" + p.repo,
		Author:  pr.GetUser().GetLogin(),
		HeadSHA: pr.GetHead().GetSHA(),
		BaseSHA: pr.GetBase().GetSHA(),
		Draft:   pr.GetDraft(),
	}, nil
}

// IsFork reports whether the pull request comes from another repository,
// whose workflows get a read-only token. A head repository that was deleted
// counts as a fork.
func (p *PullRequest) IsFork(ctx context.Context) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr, err := p.get(ctx)
	if err != nil {
		return false, err
	}
	head := pr.GetHead().GetRepo().GetFullName()
	return head == "" || !strings.EqualFold(head, pr.GetBase().GetRepo().GetFullName()), nil
}

// Reviews returns every review of the pull request, all pages, in GitHub's
// order: oldest first. It does not re-sort by submitted_at: a user can have
// only one pending review, so GitHub's order is each user's own order, and a
// review without submitted_at must not move.
func (p *PullRequest) Reviews(ctx context.Context) ([]Review, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reviews != nil {
		return slices.Clone(p.reviews), nil
	}
	op := "list reviews of " + p.String()
	if err := checkIssue(p.owner, p.repo, p.number); err != nil {
		return nil, p.c.fail(op, err)
	}
	reviews := []Review{}
	err := paginate(func(opts github.ListOptions) (*github.Response, error) {
		page, resp, err := p.c.gh.PullRequests.ListReviews(ctx, p.owner, p.repo, p.number, &opts)
		for _, r := range page {
			reviews = append(reviews, Review{
				ID:          r.GetID(),
				User:        r.GetUser().GetLogin(),
				State:       r.GetState(),
				CommitID:    r.GetCommitID(),
				SubmittedAt: r.GetSubmittedAt().Time,
			})
		}
		return resp, err
	})
	if err != nil {
		return nil, p.c.fail(op, err)
	}
	p.reviews = reviews
	return slices.Clone(reviews), nil
}

// IsTeamMember reports whether login is an active member of org's team with
// the slug team. A pending invitation is not membership.
//
// GitHub answers 404 both for "not a member" and for a team the token
// cannot see (GITHUB_TOKEN cannot read teams). The second would leave a team
// requirement pending forever for no visible reason, so on a 404 it checks
// that the team is visible and fails with advice if it is not.
func (p *PullRequest) IsTeamMember(ctx context.Context, org, team, login string) (bool, error) {
	op := fmt.Sprintf("get membership of %s in team %s/%s", login, org, team)
	if !validName(org) || !validName(team) || !validName(login) {
		return false, p.c.fail(op, errors.New("invalid organization, team or login"))
	}
	key := strings.ToLower(org + "/" + team + "/" + login)
	p.mu.Lock()
	defer p.mu.Unlock()
	if member, ok := p.teams[key]; ok {
		return member, nil
	}
	m, _, err := p.c.gh.Teams.GetTeamMembershipBySlug(ctx, org, team, login)
	var member bool
	switch {
	case err == nil:
		member = m.GetState() == "active"
	case isNotFound(err):
		if _, _, terr := p.c.gh.Teams.GetTeamBySlug(ctx, org, team); terr != nil {
			if isNotFound(terr) {
				return false, p.c.fail(op, fmt.Errorf("team %s/%s does not exist or the token cannot see it; "+
					"checking team approvals needs a token that can read the organization's teams "+
					"(GITHUB_TOKEN cannot: use a GitHub App token or a PAT with read:org)", org, team))
			}
			return false, p.c.fail(op, terr)
		}
	default:
		return false, p.c.fail(op, err)
	}
	p.teams[key] = member
	return member, nil
}

func isNotFound(err error) bool {
	var ger *github.ErrorResponse
	return errors.As(err, &ger) && ger.Response != nil && ger.Response.StatusCode == http.StatusNotFound
}

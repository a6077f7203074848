package ghapi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/nhigate/nhigate/reviewer"
)

// Commit and Permission are the approval engine's types.
type (
	Commit     = reviewer.Commit
	Permission = reviewer.Permission
)

// MaxCommits is the most commits GitHub lists for a pull request. Who
// made the others cannot be known, so a longer pull request fails.
const MaxCommits = 250

// Commits lists the pull request's commits, all pages, oldest first, with
// the logins GitHub links their authors and committers to. It fails when
// the pull request has more commits than GitHub lists, or GitHub lists
// fewer than the pull request says it has: a partial list would leave out
// people who changed it.
func (p *PullRequest) Commits(ctx context.Context) ([]Commit, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.commits != nil {
		return slices.Clone(p.commits), nil
	}
	op := "list the commits of " + p.String()
	pr, err := p.get(ctx)
	if err != nil {
		return nil, err
	}
	total := pr.GetCommits()
	if total > MaxCommits {
		return nil, p.c.fail(op, fmt.Errorf("the pull request has %d commits, and GitHub lists at most %d, so who made the rest cannot be checked: squash its commits or split it", total, MaxCommits))
	}
	commits := []Commit{}
	err = paginate(func(opts github.ListOptions) (*github.Response, error) {
		page, resp, err := p.c.gh.PullRequests.ListCommits(ctx, p.owner, p.repo, p.number, &opts)
		for _, c := range page {
			commits = append(commits, Commit{SHA: c.GetSHA(), Author: c.GetAuthor().GetLogin(), Committer: c.GetCommitter().GetLogin()})
		}
		if err == nil && len(commits) > MaxCommits {
			err = fmt.Errorf("GitHub listed more than %d commits", MaxCommits)
		}
		return resp, err
	})
	if err != nil {
		return nil, p.c.fail(op, err)
	}
	if len(commits) < total {
		return nil, p.c.fail(op, fmt.Errorf("GitHub listed %d of the pull request's %d commits; run the review again", len(commits), total))
	}
	p.commits = commits
	return slices.Clone(commits), nil
}

// permissionAnswer is GitHub's answer to "get repository permissions for a
// user"; go-github v60 does not decode role_name.
type permissionAnswer struct {
	Permission string `json:"permission"`
	RoleName   string `json:"role_name"`
	User       *struct {
		Login string `json:"login"`
	} `json:"user"`
}

// Permission returns login's permission on the pull request's repository:
// GitHub's permission (admin, write, read, none) and role_name. A login
// GitHub does not know (404) has level "none"; any other failure is an
// error.
func (p *PullRequest) Permission(ctx context.Context, login string) (Permission, error) {
	op := fmt.Sprintf("get the permission of %s on %s/%s", login, p.owner, p.repo)
	if err := checkRepo(p.owner, p.repo); err != nil {
		return Permission{}, p.c.fail(op, err)
	}
	if !validName(login) {
		return Permission{}, p.c.fail(op, errors.New("invalid login"))
	}
	key := strings.ToLower(login)
	p.mu.Lock()
	defer p.mu.Unlock()
	if perm, ok := p.perms[key]; ok {
		return perm, nil
	}
	req, err := p.c.gh.NewRequest("GET", fmt.Sprintf("repos/%s/%s/collaborators/%s/permission", p.owner, p.repo, login), nil)
	if err != nil {
		return Permission{}, p.c.fail(op, err)
	}
	var answer permissionAnswer
	_, err = p.c.gh.Do(ctx, req, &answer)
	var perm Permission
	switch {
	case err == nil:
		if answer.Permission == "" {
			return Permission{}, p.c.fail(op, errors.New("GitHub's answer has no permission"))
		}
		if answer.User != nil && answer.User.Login != "" && !strings.EqualFold(answer.User.Login, login) {
			return Permission{}, p.c.fail(op, fmt.Errorf("GitHub answered for %s", answer.User.Login))
		}
		perm = Permission{Level: answer.Permission, Role: answer.RoleName}
	case isNotFound(err):
		perm = Permission{Level: "none"}
	default:
		return Permission{}, p.c.fail(op, err)
	}
	p.perms[key] = perm
	return perm, nil
}

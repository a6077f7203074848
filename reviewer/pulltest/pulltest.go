// Package pulltest is a fake reviewer.PullRequest made of plain values, for
// tests of the approval engine.
package pulltest

import (
	"context"
	"slices"
	"strings"

	"github.com/nhigate/nhigate/reviewer"
)

// Context answers from its fields. Its fields end in Value because the
// interface's methods take the plain names.
type Context struct {
	InfoValue    reviewer.PRInfo
	ReviewsValue []reviewer.Review
	CommitsValue []reviewer.Commit
	// Teams maps "org/team" to the logins of its active members. As on
	// GitHub, teams and logins match regardless of case.
	Teams map[string][]string
	// Permissions maps a login to its permission on the repository. A
	// login missing here is one GitHub does not know: level "none".
	Permissions map[string]reviewer.Permission

	// The errors, when set, are returned by Info, Reviews, Commits,
	// IsTeamMember and Permission.
	InfoError       error
	ReviewsError    error
	CommitsError    error
	TeamError       error
	PermissionError error
}

var _ reviewer.PullRequest = Context{}

// Info returns InfoValue.
func (c Context) Info(ctx context.Context) (reviewer.PRInfo, error) {
	if err := ctx.Err(); err != nil {
		return reviewer.PRInfo{}, err
	}
	if c.InfoError != nil {
		return reviewer.PRInfo{}, c.InfoError
	}
	return c.InfoValue, nil
}

// Reviews returns a copy of ReviewsValue.
func (c Context) Reviews(ctx context.Context) ([]reviewer.Review, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.ReviewsError != nil {
		return nil, c.ReviewsError
	}
	return slices.Clone(c.ReviewsValue), nil
}

// IsTeamMember looks login up in Teams.
func (c Context) IsTeamMember(ctx context.Context, org, team, login string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if c.TeamError != nil {
		return false, c.TeamError
	}
	for name, members := range c.Teams {
		if strings.EqualFold(name, org+"/"+team) {
			return slices.ContainsFunc(members, func(m string) bool { return strings.EqualFold(m, login) }), nil
		}
	}
	return false, nil
}

// Commits returns a copy of CommitsValue.
func (c Context) Commits(ctx context.Context) ([]reviewer.Commit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.CommitsError != nil {
		return nil, c.CommitsError
	}
	return slices.Clone(c.CommitsValue), nil
}

// Permission looks login up in Permissions, regardless of case.
func (c Context) Permission(ctx context.Context, login string) (reviewer.Permission, error) {
	if err := ctx.Err(); err != nil {
		return reviewer.Permission{}, err
	}
	if c.PermissionError != nil {
		return reviewer.Permission{}, c.PermissionError
	}
	for name, p := range c.Permissions {
		if strings.EqualFold(name, login) {
			return p, nil
		}
	}
	return reviewer.Permission{Level: "none"}, nil
}

// Writers gives each login write access, for Permissions.
func Writers(logins ...string) map[string]reviewer.Permission {
	m := map[string]reviewer.Permission{}
	for _, l := range logins {
		m[l] = reviewer.Permission{Level: "write", Role: "write"}
	}
	return m
}

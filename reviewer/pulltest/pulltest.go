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
	// Teams maps "org/team" to the logins of its active members. As on
	// GitHub, teams and logins match regardless of case.
	Teams map[string][]string

	// The errors, when set, are returned by Info, Reviews and IsTeamMember.
	InfoError    error
	ReviewsError error
	TeamError    error
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

package ghapi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
)

// maxPayload is GitHub's cap on a webhook payload.
const maxPayload = 25 << 20

// Event is what nhigate needs from an Actions event payload.
type Event struct {
	// Name is the event name, as in GITHUB_EVENT_NAME.
	Name   string
	Action string
	// Owner and Repo are the base repository.
	Owner, Repo string
	// Number is the pull request; 0 for merge_group.
	Number           int
	HeadSHA, BaseSHA string
	// BaseRef and HeadRef are branch names, without refs/heads/.
	BaseRef, HeadRef string
	// DefaultBranch is repository.default_branch. The base branch, whose
	// rules judge the change, is the pull request author's choice; only a
	// review against the default branch may speak for it.
	DefaultBranch string
	// Fork is true when the head repository is not the base repository;
	// its workflows get a read-only token.
	Fork bool
	// Author is the pull request's author; empty for merge_group, which
	// may hold several pull requests.
	Author string
	// MergeSHA is pull_request.merge_commit_sha: the test merge of the
	// head into the base branch (refs/pull/N/merge), which is what merging
	// deploys. Empty when GitHub has not computed it (yet), or the pull
	// request conflicts with its base; empty for merge_group, whose head
	// is itself a merge result.
	MergeSHA string
}

// supportedActions lists the actions nhigate reviews for an event, or nil
// for an event it does not review.
func supportedActions(name string) []string {
	switch name {
	case "pull_request":
		return []string{"opened", "synchronize", "reopened", "ready_for_review", "edited"}
	case "pull_request_review":
		return []string{"submitted", "dismissed", "edited"}
	case "merge_group":
		return []string{"checks_requested"}
	}
	return nil
}

// UnsupportedEventError is an event or action nhigate does not review. A
// caller may treat it as "nothing to do" rather than as a failure.
type UnsupportedEventError struct {
	Name, Action string
}

func (e *UnsupportedEventError) Error() string {
	actions := supportedActions(e.Name)
	if actions == nil {
		return fmt.Sprintf("nhigate does not review %q events: trigger it on pull_request, pull_request_review or merge_group", e.Name)
	}
	return fmt.Sprintf("nhigate does not review %s events with action %q: limit the workflow's trigger to types [%s]",
		e.Name, e.Action, strings.Join(actions, ", "))
}

// ParseEvent reads the payload of a pull_request, pull_request_review or
// merge_group event, as found at GITHUB_EVENT_PATH. An event or action that
// nhigate does not review gives an *UnsupportedEventError; a payload that
// lacks what nhigate needs gives an error saying which field.
func ParseEvent(name string, payload []byte) (*Event, error) {
	if supportedActions(name) == nil {
		return nil, &UnsupportedEventError{Name: name}
	}
	if len(payload) > maxPayload {
		return nil, fmt.Errorf("%s event payload is %d bytes, more than GitHub's %d", name, len(payload), maxPayload)
	}
	parsed, err := github.ParseWebHook(name, payload)
	if err != nil {
		return nil, fmt.Errorf("parse %s event payload: %w", name, err)
	}
	var ev *Event
	switch p := parsed.(type) {
	case *github.PullRequestEvent:
		ev = pullEvent(name, p.GetAction(), p.GetRepo(), p.GetPullRequest())
	case *github.PullRequestReviewEvent:
		ev = pullEvent(name, p.GetAction(), p.GetRepo(), p.GetPullRequest())
	case *github.MergeGroupEvent:
		mg := p.GetMergeGroup()
		ev = &Event{
			Name:    name,
			Action:  p.GetAction(),
			Owner:   p.GetRepo().GetOwner().GetLogin(),
			Repo:    p.GetRepo().GetName(),
			HeadSHA: mg.GetHeadSHA(),
			BaseSHA: mg.GetBaseSHA(),
			BaseRef: strings.TrimPrefix(mg.GetBaseRef(), "refs/heads/"),
			HeadRef: strings.TrimPrefix(mg.GetHeadRef(), "refs/heads/"),

			DefaultBranch: p.GetRepo().GetDefaultBranch(),
		}
	default:
		return nil, fmt.Errorf("parse %s event payload: unexpected type %T", name, parsed)
	}
	if !slices.Contains(supportedActions(name), ev.Action) {
		return nil, &UnsupportedEventError{Name: name, Action: ev.Action}
	}
	if err := ev.check(); err != nil {
		return nil, fmt.Errorf("%s event payload: %w", name, err)
	}
	return ev, nil
}

func pullEvent(name, action string, repo *github.Repository, pr *github.PullRequest) *Event {
	headRepo := pr.GetHead().GetRepo().GetFullName()
	baseRepo := pr.GetBase().GetRepo().GetFullName()
	if baseRepo == "" {
		baseRepo = repo.GetFullName()
	}
	return &Event{
		Name:    name,
		Action:  action,
		Owner:   repo.GetOwner().GetLogin(),
		Repo:    repo.GetName(),
		Number:  pr.GetNumber(),
		HeadSHA: pr.GetHead().GetSHA(),
		BaseSHA: pr.GetBase().GetSHA(),
		BaseRef: pr.GetBase().GetRef(),
		HeadRef: pr.GetHead().GetRef(),
		// A deleted head repository has no name: treat it as a fork.
		Fork:     headRepo == "" || !strings.EqualFold(headRepo, baseRepo),
		Author:   pr.GetUser().GetLogin(),
		MergeSHA: pr.GetMergeCommitSHA(),

		DefaultBranch: repo.GetDefaultBranch(),
	}
}

// check says which field nhigate needs is missing or malformed.
func (e *Event) check() error {
	switch {
	case !validName(e.Owner):
		return fmt.Errorf("repository.owner.login %q is missing or invalid", e.Owner)
	case !validName(e.Repo):
		return fmt.Errorf("repository.name %q is missing or invalid", e.Repo)
	case !validSHA(e.HeadSHA):
		return fmt.Errorf("head SHA %q is missing or not a full SHA", e.HeadSHA)
	case !validSHA(e.BaseSHA):
		return fmt.Errorf("base SHA %q is missing or not a full SHA", e.BaseSHA)
	case e.BaseRef == "":
		return fmt.Errorf("base ref is missing")
	case e.DefaultBranch == "":
		return fmt.Errorf("repository.default_branch is missing")
	case e.MergeSHA != "" && !validSHA(e.MergeSHA):
		return fmt.Errorf("pull_request.merge_commit_sha %q is not a full SHA", e.MergeSHA)
	}
	if e.Name == "merge_group" {
		return nil
	}
	switch {
	case e.Number <= 0:
		return fmt.Errorf("pull_request.number %d is missing or invalid", e.Number)
	case e.Author == "":
		return fmt.Errorf("pull_request.user.login is missing")
	}
	return nil
}

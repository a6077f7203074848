package cli

import (
	"github.com/nhigate/nhigate/internal/source"

	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/publish"
)

// maxEventSize bounds the event payload GitHub writes for the job.
const maxEventSize = 25 << 20

// githubReview reads the Actions environment and the event into the
// GitHub side of a review, and fills in the revisions the event names
// unless flags named them.
func (p *program) githubReview(rev *revisionFlags) (*publish.Review, error) {
	path, name := p.env["GITHUB_EVENT_PATH"], p.env["GITHUB_EVENT_NAME"]
	if path == "" || name == "" {
		return nil, usageErrorf("--github needs GITHUB_EVENT_NAME and GITHUB_EVENT_PATH, which GitHub Actions sets; outside Actions, use --base and --head")
	}
	payload, err := source.ReadBounded(path, maxEventSize)
	if err != nil {
		return nil, usageErrorf("read the event payload: %v", err)
	}
	ev, err := ghapi.ParseEvent(name, payload)
	if err != nil {
		return nil, usageErrorf("GitHub event: %v", err)
	}
	client, err := p.githubClient("GITHUB_TOKEN is not set; pass the workflow's token to the step, e.g. env: GITHUB_TOKEN: ${{ github.token }}")
	if err != nil {
		return nil, err
	}
	if rev.base == "" {
		rev.base = ev.BaseSHA
	}
	if rev.head == "" {
		rev.head = ev.HeadSHA
	}
	return publish.NewReview(client, ev, publish.Env{
		StepSummary: p.env["GITHUB_STEP_SUMMARY"], Output: p.env["GITHUB_OUTPUT"],
		ServerURL: p.env["GITHUB_SERVER_URL"], RunID: p.env["GITHUB_RUN_ID"],
		Ref: p.env["GITHUB_REF"], SHA: p.env["GITHUB_SHA"],
		CommentAuthor: p.env["NHIGATE_COMMENT_AUTHOR"],
	}, p.stderr), nil
}

// githubClient is the one way commands reach GitHub: the token from
// GITHUB_TOKEN, the API from GITHUB_API_URL (GitHub Enterprise Server).
// missing is the usage error to give when there is no token.
func (p *program) githubClient(missing string) (*ghapi.Client, error) {
	token := p.env["GITHUB_TOKEN"]
	if token == "" {
		return nil, usageErrorf("%s", missing)
	}
	client, err := ghapi.New(ghapi.Options{Token: token, BaseURL: p.env["GITHUB_API_URL"]})
	if err != nil {
		return nil, usageErrorf("GitHub client: %v", err)
	}
	return client, nil
}

package cli

import (
	"context"

	"github.com/nhigate/nhigate/internal/publish"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/reviewer"
)

const reviewExamples = `  # Review the bundled example (two directories)
  nhigate review --base testdata/example/base --head testdata/example/head

  # Review a branch against main in the current repository, as a PR comment
  nhigate review --base main --head feature --format markdown --output comment.md

  # In GitHub Actions: the pull request of the event, with approvals,
  # the comment, the commit status and the job summary
  nhigate review --github --format json --output report.json

  # The same for a repository elsewhere, judged as of a fixed time
  nhigate review --repo ../policy-repo --base origin/main --head HEAD --now 2026-11-25T12:00:00Z
`

const diffExamples = `  # What access changes between main and a branch
  nhigate diff --base main --head feature

  # Between two directories, as JSON
  nhigate diff --base old/ --head new/ --format json
`

type revisionFlags struct {
	repo, base, head string
}

// register adds the flags; judged says whether base's policies run on the
// change (review, attest) or only its config reads it (diff).
func (r *revisionFlags) register(fs interface {
	StringVar(p *string, name, value, usage string)
}, judged bool) {
	fs.StringVar(&r.repo, "repo", ".", "git repository that holds the revisions")
	base := "base revision (branch, tag, SHA) or directory; its .nhigate.yaml says where specs are"
	if judged {
		base = "base revision (branch, tag, SHA) or directory; its policies, config and CODEOWNERS judge the change"
	}
	fs.StringVar(&r.base, "base", "", base)
	fs.StringVar(&r.head, "head", "", "head revision or directory: the proposed change")
}

func runDiff(ctx context.Context, p *program, args []string) error {
	return p.review(ctx, args, reviewer.ScopeDiff, "diff --base REV|DIR --head REV|DIR [flags]", diffExamples)
}

func runReview(ctx context.Context, p *program, args []string) error {
	return p.review(ctx, args, reviewer.ScopeReview, "review --base REV|DIR --head REV|DIR [flags]", reviewExamples)
}

func (p *program) review(ctx context.Context, args []string, scope reviewer.Scope, usage, examples string) (err error) {
	var rev revisionFlags
	var out outputFlags
	fs := p.flags(string(scope), usage, examples)
	rev.register(fs, scope == reviewer.ScopeReview)
	out.register(fs, output.KindReport, true)
	var failOnRisk string
	fs.StringVar(&failOnRisk, "fail-on-risk", "", "block (exit 1) when the diff's highest risk is at or above this level: low, medium, high or critical. Outside GitHub Actions no approvals are enforced, so set it (e.g. to high) to stop governance changes and risky widenings there")
	var forceGitHub, forceLocal bool
	if scope == reviewer.ScopeReview {
		fs.BoolVar(&forceGitHub, "github", false, "review the pull request of the GitHub Actions event (the default when GITHUB_ACTIONS and GITHUB_EVENT_PATH are set)")
		fs.BoolVar(&forceLocal, "local", false, "review locally even inside GitHub Actions: approvals are not checked")
	}
	if err := p.parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q; name the revisions with --base and --head", fs.Arg(0))
	}
	if forceGitHub && forceLocal {
		return usageErrorf("--github and --local exclude each other")
	}
	now, renderer, err := out.resolve(p)
	if err != nil {
		return err
	}
	threshold, err := review.ParseFailOnRisk(failOnRisk)
	if err != nil {
		return err
	}
	cache, err := p.scanCache()
	if err != nil {
		return err
	}
	var gh *publish.Review
	if forceGitHub || !forceLocal && scope == reviewer.ScopeReview && p.env["GITHUB_ACTIONS"] == "true" && p.env["GITHUB_EVENT_PATH"] != "" {
		if gh, err = p.githubReview(&rev); err != nil {
			return err
		}
		// From here on, the head is under review: a run that fails
		// leaves an error status, never an earlier verdict.
		defer func() { gh.Failed(ctx, ExitCode(err)) }()
		if err := gh.Begin(ctx); err != nil {
			return err
		}
	}
	req := review.Request{Repo: rev.repo, Base: rev.base, Head: rev.head, Scope: scope, Now: now, FailOnRisk: threshold, Cache: cache}
	if gh != nil {
		req.Mode, req.GitHub = review.PullRequest, gh.GitHub()
	}
	res, err := review.Run(ctx, req)
	if err != nil {
		return err
	}
	if gh != nil {
		if err := gh.Publish(ctx, res.Report, out.output, p.stdout); err != nil {
			return err
		}
	}
	return out.write(p, renderer, res.Report)
}

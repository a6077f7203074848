package cli

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/spec"
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
	out.register(fs)
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
	threshold, err := parseFailOnRisk(failOnRisk)
	if err != nil {
		return err
	}
	var gh *githubRun
	if forceGitHub || !forceLocal && scope == reviewer.ScopeReview && p.env["GITHUB_ACTIONS"] == "true" && p.env["GITHUB_EVENT_PATH"] != "" {
		if gh, err = p.githubEvent(&rev); err != nil {
			return err
		}
		// From here on, the head is under review: a run that fails
		// leaves an error status, never an earlier verdict.
		defer func() { gh.failed(ctx, p, err) }()
		if err := gh.begin(ctx, p); err != nil {
			return err
		}
	}
	if rev.base == "" || rev.head == "" {
		return usageErrorf("both --base and --head are required, e.g. --base main --head feature")
	}
	prep, err := prepare(ctx, rev, scope, now)
	if err != nil {
		return err
	}
	if gh != nil {
		if err := gh.approvals(ctx, prep); err != nil {
			return err
		}
		if err := gh.mergeResult(ctx, prep, now); err != nil {
			return err
		}
	} else if scope == reviewer.ScopeReview {
		// Who would have to approve is known from base; whether they did
		// is not, and the report says so.
		rules, err := approvalRules(prep)
		if err != nil {
			return err
		}
		prep.in.Required = reviewer.Required(rules)
	}
	prep.in.FailOnRisk = threshold
	rep := reviewer.Decide(*prep.in)
	if gh != nil {
		if err := gh.publish(ctx, p, rep, out.output); err != nil {
			return err
		}
	}
	return out.write(p, renderer, rep)
}

// parseFailOnRisk reads --fail-on-risk; empty means no threshold.
func parseFailOnRisk(level string) (diffing.Risk, error) {
	if level == "" {
		return diffing.None, nil
	}
	var r diffing.Risk
	if err := r.UnmarshalText([]byte(level)); err != nil || r == diffing.None || level != r.String() {
		return diffing.None, usageErrorf("--fail-on-risk %q is not a risk level; write one of: %s", level, strings.Join(config.RiskLevels, ", "))
	}
	return r, nil
}

// prepared is a review before its decision: the input, and what GitHub
// mode needs to add approvals to it.
type prepared struct {
	in      *reviewer.Input
	cfg     *config.Config
	base    source.Tree
	changed []string
	head    []*spec.Workflow
	// baseSpecs are the base versions of the changed specs.
	baseSpecs []*spec.Workflow
	// context are the specs of unchanged files that hold a changed
	// principal.
	context []*spec.Workflow
}

// prepare reads both sides, diffs them and, for a review, runs the
// policies. Everything that judges the change comes from base.
func prepare(ctx context.Context, rev revisionFlags, scope reviewer.Scope, now time.Time) (*prepared, error) {
	base, err := source.Open(rev.repo, rev.base)
	if err != nil {
		return nil, usageErrorf("--base: %v", err)
	}
	head, err := source.Open(rev.repo, rev.head)
	if err != nil {
		return nil, usageErrorf("--head: %v", err)
	}
	cfg, err := source.LoadConfig(base)
	if err != nil {
		return nil, err
	}
	// The change is what head adds since it branched from base; the rules
	// that judge it are base's own.
	from, err := source.MergeBase(base, head)
	if err != nil {
		return nil, err
	}
	changed, err := source.Changed(ctx, from, head)
	if err != nil {
		return nil, err
	}
	// Base specs were judged when they merged; a broken one must not block
	// the pull request that fixes it, so only head errors count. Access is
	// compared per principal, so the specs of unchanged files that share a
	// principal with a changed one are read too.
	specs, err := source.LoadReview(ctx, from, head, changed, cfg)
	if err != nil {
		return nil, err
	}
	baseSpecs, headSpecs := specs.Base, specs.Head
	// Nothing else among the changed files may hold a spec unread, and the
	// files that govern the gate are flagged with why.
	screened, err := source.Screen(ctx, from, head, changed, cfg, headSpecs)
	if err != nil {
		return nil, err
	}
	var governance []string
	why := map[string]string{}
	for _, g := range screened.Governance {
		governance = append(governance, g.Path)
		why[g.Path] = g.Reason
	}
	name := base.String()
	if from != base {
		name += ", diffed from " + from.String()
	}
	in := &reviewer.Input{
		Mode:    reviewer.Local,
		Scope:   scope,
		Base:    name,
		Head:    head.String(),
		Files:   specFiles(baseSpecs, headSpecs, &source.Loaded{Errors: screened.Errors}),
		Invalid: append(headSpecs.Errors, screened.Errors...),
		// Exceptions new since base are unverified here, and in GitHub
		// mode wait for their approvers.
		Specs: headSpecs.Workflows, BaseSpecs: baseSpecs.Workflows, Now: now,
	}
	// Over the grant limit there is no diff, and the review is blocked;
	// the governance changes still show.
	in.Diff, err = diffing.Options{MaxGrants: cfg.Limits.MaxGrantsPerReview}.Compute(
		slices.Concat(withoutInvalid(baseSpecs.Workflows, headSpecs.Errors), specs.Context), slices.Concat(headSpecs.Workflows, specs.Context), governance)
	var limit *diffing.LimitError
	if errors.As(err, &limit) {
		in.Invalid = append(in.Invalid, &spec.Error{File: limit.Largest.Source.File, Msg: limit.Error(),
			Hint: "split the change into smaller pull requests, or raise limits.maxGrantsPerReview in .nhigate.yaml"})
		in.Diff = diffing.Compute(nil, nil, governance)
	} else if err != nil {
		return nil, err
	}
	slices.SortStableFunc(in.Invalid, func(a, b *spec.Error) int { return strings.Compare(a.File, b.File) })
	for i, c := range in.Diff.Governance {
		if r := why[c.File]; r != "" {
			in.Diff.Governance[i].Reason = r
		}
	}
	if scope == reviewer.ScopeReview {
		in.Findings, in.PolicyDigest, err = evaluate(ctx, base, cfg, headSpecs.Workflows, now)
		if err != nil {
			return nil, err
		}
	}
	return &prepared{in: in, cfg: cfg, base: base, changed: changed, head: headSpecs.Workflows, baseSpecs: baseSpecs.Workflows, context: specs.Context}, nil
}

// withoutInvalid leaves out the base workflows of files that are invalid at
// head: such a file is reported as invalid, and blocks, but its access was
// not removed, so the diff must not say so.
func withoutInvalid(base []*spec.Workflow, invalid spec.Errors) []*spec.Workflow {
	bad := map[string]bool{}
	for _, e := range invalid {
		bad[e.File] = true
	}
	return slices.DeleteFunc(slices.Clone(base), func(w *spec.Workflow) bool { return bad[w.Source.File] })
}

func specFiles(loaded ...*source.Loaded) int {
	files := map[string]bool{}
	for _, l := range loaded {
		for _, w := range l.Workflows {
			files[w.Source.File] = true
		}
		for _, e := range l.Errors {
			files[e.File] = true
		}
	}
	return len(files)
}

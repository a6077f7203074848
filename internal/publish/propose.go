package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/internal/yamledit"
	"github.com/nhigate/nhigate/lifecycle"
	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/spec"
)

// ProposeRequest names generated specs to propose, what judges them and
// where their pull requests go.
type ProposeRequest struct {
	// Specs are the spec files to propose.
	Specs []string
	// Path is where the one spec goes in the repository; "" is
	// identities/<metadata.name>.yaml.
	Path   string
	Prompt yamledit.Prompt
	// Now stamps generatedAt, to the second.
	Now time.Time
	// Checkout is a local clone of the target repository whose config and
	// policies at Base (its HEAD when "") judge the specs; "" means the
	// built-in defaults judge.
	Checkout string
	// Base is the branch the pull requests target; "" is the repository's
	// default branch.
	Base string
	// Owner and Repo name the GitHub repository ("" for none), and Client
	// reaches it: nil opens nothing (--dry-run, or no repository).
	Owner, Repo string
	Client      *ghapi.Client
	// Draft opens failing specs as drafts marked [failing]; DryRun says
	// the result is a preview.
	Draft, DryRun bool
	// Version is nhigate's, for the body and the commit message.
	Version string
}

// Proposed is what Propose did.
type Proposed struct {
	Result *output.ProposeResult
	// Failing counts the specs that fail validation or policy; opened as
	// drafts, they still block.
	Failing int
}

// BlockedError is a proposal refused (exit 1): a failing spec without
// Draft, a spec that cannot be proposed even as a draft, or a forged
// provenance.
type BlockedError struct{ Err error }

func (e *BlockedError) Error() string { return e.Err.Error() }
func (e *BlockedError) Unwrap() error { return e.Err }

// proposal is one spec on its way to a pull request, with what was read
// and judged of it.
type proposal struct {
	*output.Proposal
	workflows []*spec.Workflow
	invalid   spec.Errors
	report    *reviewer.Report
	message   string // the commit message
}

// Propose stamps each spec's provenance, judges it as an addition by the
// target's base (never by anything the generator supplies), and opens a
// pull request for each through req.Client. Failing specs are refused
// unless req.Draft. It returns the result to print whenever there is one,
// with a *BlockedError too when it refused; a usage problem is a
// *review.UsageError.
func Propose(ctx context.Context, req ProposeRequest) (*Proposed, error) {
	// generatedAt is stamped to the second, as RFC 3339 writes it.
	now := req.Now.Truncate(time.Second)
	repo := ""
	if req.Owner != "" {
		repo = req.Owner + "/" + req.Repo
	}
	var base source.Tree = source.Dir(".") // read only for cfg.Policies, which the defaults leave empty
	cfg := config.Default()
	res := &output.ProposeResult{SchemaVersion: output.ResultSchemaVersion, Repo: repo, DryRun: req.DryRun,
		Policies: "built-in defaults (no --repo: the target repository's .nhigate.yaml and policies were not read)"}
	baseSHA := ""
	if req.Checkout != "" {
		rev := req.Base
		if rev == "" {
			rev = "HEAD"
		}
		var err error
		if base, err = source.Open(req.Checkout, rev); err != nil {
			return nil, usageErrorf("--repo: %v", err)
		}
		if cfg, err = source.LoadConfig(base); err != nil {
			return nil, err
		}
		if c, ok := source.Commit(base); ok {
			baseSHA = c
		}
		res.Policies = fmt.Sprintf("%s and policies of %s in %s", config.File, base, req.Checkout)
	}

	var prs []*proposal
	for _, file := range req.Specs {
		pr, err := draft(file, req.Path, req.Prompt, now, cfg)
		if err != nil {
			return nil, err
		}
		prs = append(prs, pr)
		res.Proposals = append(res.Proposals, pr.Proposal)
	}
	if err := judge(ctx, prs, base, cfg, now); err != nil {
		return nil, err
	}
	out := &Proposed{Result: res}
	for _, pr := range prs {
		pr.Draft = req.Draft
		if len(pr.Failures) > 0 {
			out.Failing++
		}
		env, generator, text := "", "", req.Prompt.Text
		if len(pr.workflows) == 1 {
			w := pr.workflows[0]
			env, generator = w.Spec.Environment, w.Metadata.Provenance.Generator
			if !req.Prompt.FromFile {
				text = w.Metadata.Provenance.Prompt
			}
		}
		pr.Title = output.ProposalTitle(pr.Proposal, env)
		pr.Body = output.ProposalBody(pr.Proposal, pr.report, text, res.Policies, req.Version)
		pr.message = output.ProposalCommit(pr.Proposal, generator, req.Version)
	}

	if out.Failing > 0 && !req.Draft {
		return out, &BlockedError{fmt.Errorf("propose: refused: %s validation or policy; no pull request opened. Fix the spec and run again, or pass --draft to open a draft marked [failing]",
			plural(out.Failing, "spec fails", "specs fail"))}
	}
	for _, pr := range prs {
		if pr.Branch == "" {
			return out, &BlockedError{fmt.Errorf("%s cannot be proposed even as a draft: it must be YAML with a valid metadata.name", pr.Spec)}
		}
	}
	if req.Client == nil {
		return out, nil
	}
	for _, pr := range prs {
		opened, err := req.Client.OpenChange(ctx, ghapi.Change{
			Owner: req.Owner, Repo: req.Repo, Base: req.Base, BaseSHA: baseSHA,
			Branch:  pr.Branch,
			Files:   map[string][]byte{pr.Path: []byte(pr.Content)},
			Message: pr.message,
			Title:   pr.Title,
			Body:    pr.Body,
			Draft:   pr.Draft,
			Labels:  []string{output.ProposalLabel},
		})
		if err != nil {
			return nil, err
		}
		pr.PullRequest = &output.OpenedPull{Number: opened.Number, URL: opened.URL}
	}
	res.Opened = true
	return out, nil
}

// draft stamps one spec's provenance and parses the result as it will be
// committed. A spec that cannot be stamped comes back with failures and
// no branch; only errors that stop the whole run are returned.
func draft(file, pathFlag string, prompt yamledit.Prompt, now time.Time, cfg *config.Config) (*proposal, error) {
	data, err := source.ReadBounded(file, cfg.SpecLimits().MaxFileSize)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usageErrorf("%v", err)
		}
		return nil, usageErrorf("read %s: %v", file, err)
	}
	d, err := lifecycle.NewDraft(file, data, lifecycle.DraftOptions{Path: pathFlag, Prompt: prompt, Now: now, Config: cfg})
	var forged *yamledit.ForgedError
	var noPrompt *yamledit.NoPromptError
	var outside *lifecycle.OutsideSpecsError
	switch {
	case errors.As(err, &forged):
		return nil, &BlockedError{err}
	case errors.As(err, &noPrompt):
		return nil, usageErrorf("%s %v", file, noPrompt)
	case errors.As(err, &outside):
		return nil, usageErrorf("%v", outside)
	case err != nil:
		return nil, err
	}
	return &proposal{Proposal: &output.Proposal{Spec: file, Name: d.Name, Path: d.Path, Branch: d.Branch, PromptSHA256: d.PromptSHA256,
		GeneratedAt: d.GeneratedAt, Failures: d.Failures, Content: string(d.Content)}, workflows: d.Workflows, invalid: d.Invalid}, nil
}

// judge runs the base's policies on every stamped spec and records each
// spec's report and failures. Two specs bound for one path or one branch
// are a usage error.
func judge(ctx context.Context, prs []*proposal, base source.Tree, cfg *config.Config, now time.Time) error {
	seen := map[string]string{}
	for _, pr := range prs {
		if pr.Path == "" {
			continue
		}
		if prev, ok := seen[pr.Path]; ok {
			return usageErrorf("%s and %s would both be written to %s; propose them in separate runs", prev, pr.Spec, pr.Path)
		}
		seen[pr.Path] = pr.Spec
		if pr.Branch != "" {
			if prev, ok := seen["branch:"+pr.Branch]; ok {
				return usageErrorf("%s and %s are the same proposal; name each spec once", prev, pr.Spec)
			}
			seen["branch:"+pr.Branch] = pr.Spec
		}
	}
	// One engine judges every proposal; each is a review of its addition.
	req := review.Request{Scope: reviewer.ScopeReview, Config: cfg, Policies: base, Now: now}
	engine, err := review.EngineFor(ctx, req)
	if err != nil {
		return err
	}
	req.Engine = engine
	for _, pr := range prs {
		req.Proposed = &review.Proposed{Workflows: pr.workflows, Invalid: pr.invalid}
		res, err := review.Run(ctx, req)
		if err != nil {
			return err
		}
		pr.report = res.Report
		for _, f := range res.Policy {
			if f.Blocking() {
				pr.Failures = append(pr.Failures, fmt.Sprintf("%s:%d: %s: %s", f.File, f.Line, f.Rule, f.Message))
			}
		}
	}
	return nil
}

func usageErrorf(format string, args ...any) error {
	return &review.UsageError{Err: fmt.Errorf(format, args...)}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

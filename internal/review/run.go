package review

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/policies"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/spec"
)

// Mode says whose approvals a review counts.
type Mode int

const (
	// Local counts none: a local review shows who would have to approve,
	// all known from base, and says it could not check whether they did.
	Local Mode = iota
	// PullRequest counts the approvals of the pull request that
	// Request.GitHub is reviewing, and judges its merge result too. A merge
	// group, which has no pull request of its own, is judged without.
	PullRequest
	// Merged counts the approvals of the pull request merged as Head, as
	// attest signs a push: Head must be a commit, and Base defaults to its
	// first parent, the branch before the merge.
	Merged
)

// UsageError is a request that cannot be run as given: exit 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// NotMergedError is a Merged review of a commit that no pull request
// merged: pushed directly, which is exactly what the gate must not sign.
type NotMergedError struct{ Commit string }

func (e *NotMergedError) Error() string {
	return fmt.Sprintf("%s was pushed without a pull request", short(e.Commit))
}

// Result is a decided review and what it was decided from.
type Result struct {
	Report *reviewer.Report
	// Prepared is the review before its decision; nil for ScopeCheck and
	// for Proposed specs.
	Prepared *Prepared
	// Pull is the pull request whose approvals counted, in GitHub modes;
	// nil in a local review and a merge group.
	Pull *Pull
	// Policy are the policy results of Proposed specs as the engine gave
	// them, before the report judged their exceptions: a waiver the pull
	// request's approvals may yet confirm does not refuse a proposal.
	Policy []reviewer.Finding
}

// Run reviews the change the request names, the one way every command
// that judges specs does: check (ScopeCheck, Paths), diff (ScopeDiff),
// review and attest (ScopeReview, Local or with GitHub), and propose
// (ScopeReview, Proposed).
func Run(ctx context.Context, req Request) (*Result, error) {
	if err := checkFailOnRisk(req.FailOnRisk); err != nil {
		return nil, err
	}
	switch {
	case req.Scope == reviewer.ScopeCheck:
		return runCheck(ctx, req)
	case req.Proposed != nil:
		return runProposed(ctx, req)
	case req.Mode != Local && req.GitHub == nil:
		return nil, errors.New("a GitHub review needs a GitHub adapter")
	}
	var merged *Pull
	if req.Mode == Merged {
		var err error
		if req, merged, err = mergedPull(ctx, req); err != nil {
			return nil, err
		}
	}
	if req.Base == "" || req.Head == "" {
		return nil, &UsageError{errors.New("both --base and --head are required, e.g. --base main --head feature")}
	}
	prep, err := Prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	res := &Result{Prepared: prep}
	switch req.Mode {
	case Local:
		if req.Scope == reviewer.ScopeReview {
			// Who would have to approve is known from base; whether they
			// did is not, and the report says so.
			rules, err := prep.ApprovalRules()
			if err != nil {
				return nil, err
			}
			prep.Input.Required = reviewer.Required(rules)
		}
	case PullRequest:
		pr, err := req.GitHub.PullRequest(ctx)
		if err != nil {
			return nil, err
		}
		if pr == nil {
			// A merge group has no pull request of its own: each pull
			// request in it passed this gate, approvals included, before it
			// could join the queue. The diff and the policies are judged
			// again here.
			prep.Input.Mode = reviewer.MergeQueue
			break
		}
		if err := approvals(ctx, req.GitHub, pr, prep); err != nil {
			return nil, err
		}
		// The merge result holds head's trees too: a refused change has
		// none to judge.
		if !prep.Refused {
			if err := mergeResult(ctx, req, pr, prep); err != nil {
				return nil, err
			}
		}
		res.Pull = pr
	case Merged:
		// The approvals counted on the pull request's last head commit; the
		// rules that judge them come from the first parent, like the rest.
		if err := approvals(ctx, req.GitHub, merged, prep); err != nil {
			return nil, err
		}
		res.Pull = merged
	}
	prep.Input.FailOnRisk = req.FailOnRisk
	res.Report = reviewer.Decide(*prep.Input)
	return res, nil
}

// mergedPull finds the pull request merged as the request's head, and
// fills in its first parent as base unless the request named one.
func mergedPull(ctx context.Context, req Request) (Request, *Pull, error) {
	if req.Head == "" {
		return req, nil, &UsageError{errors.New("--github needs the merge commit: GitHub Actions sets GITHUB_SHA, or pass --head")}
	}
	head, err := source.OpenRevision(req.Repo, req.Head)
	if err != nil {
		return req, nil, &RevisionError{Flag: "--head", Err: err}
	}
	commit, ok := source.Commit(head)
	if !ok {
		return req, nil, &UsageError{fmt.Errorf("--head %s is a directory; attest signs git revisions, so that the bundle names the commit", req.Head)}
	}
	if req.Base == "" {
		// The merge's first parent is the default branch before it: the
		// first-parent diff is what the merge changed there.
		req.Base = commit + "^1"
	}
	pr, err := req.GitHub.MergedPullRequest(ctx, commit)
	if err != nil {
		return req, nil, fmt.Errorf("find the pull request merged as %s: %w", short(commit), err)
	}
	if pr == nil {
		return req, nil, &NotMergedError{Commit: commit}
	}
	return req, pr, nil
}

// runCheck validates the named spec files and runs the policies on them.
// There is no base: the config and the policy directories are the working
// tree's, as Request.Config and Request.Policies name them.
func runCheck(ctx context.Context, req Request) (*Result, error) {
	cfg := req.Config
	if cfg == nil {
		cfg = config.Default()
	}
	named := spec.Strict
	if req.Discover {
		named = spec.Discover
	}
	loaded, err := source.LoadPaths(req.Paths, named, cfg)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &UsageError{err}
		}
		return nil, err
	}
	// Nothing checked is no pass: a CI step pointed at the wrong path must
	// not go green. Pre-commit (Discover) passes files that may hold no
	// spec at all, and that is fine.
	if !req.Discover && len(loaded.Workflows) == 0 && len(loaded.Errors) == 0 {
		return nil, &UsageError{fmt.Errorf("found no nhigate spec in %s: name spec files or directories that hold them, or pass --discover where none may be", strings.Join(req.Paths, ", "))}
	}
	findings, digest, err := evaluate(ctx, req, cfg, loaded.Workflows)
	if err != nil {
		return nil, err
	}
	return &Result{Report: reviewer.Decide(reviewer.Input{
		Mode:         reviewer.Local,
		Scope:        reviewer.ScopeCheck,
		Files:        SpecFiles(loaded),
		Invalid:      loaded.Errors,
		Findings:     findings,
		PolicyDigest: digest,
		Strict:       req.Strict,
		// No pull request, so every exception is unverified: the report
		// says whose approval would make it waive its rule.
		Specs: loaded.Workflows, Now: req.Now,
	})}, nil
}

// Proposed are specs read ahead of a review, as propose stamps them: one
// new file, judged as added by the config and policies of Request.Policies.
type Proposed struct {
	Workflows []*spec.Workflow
	// Invalid are the errors of a spec that did not read back.
	Invalid spec.Errors
}

// runProposed judges proposed specs as a review of their addition.
func runProposed(ctx context.Context, req Request) (*Result, error) {
	cfg := req.Config
	if cfg == nil {
		cfg = config.Default()
	}
	ws := req.Proposed.Workflows
	findings, digest, err := evaluate(ctx, req, cfg, ws)
	if err != nil {
		return nil, err
	}
	for _, w := range ws {
		w.Production = cfg.IsProduction(w.Spec.Environment)
	}
	return &Result{Policy: findings, Report: reviewer.Decide(reviewer.Input{
		Scope:        reviewer.ScopeReview,
		Mode:         reviewer.Local,
		Files:        1,
		Diff:         diffing.Compute(nil, ws, nil),
		Invalid:      req.Proposed.Invalid,
		Findings:     findings,
		PolicyDigest: digest,
		FailOnRisk:   req.FailOnRisk,
		// An exception is new here: the report says whose approval on the
		// pull request would make it waive its rule.
		Specs: ws, Now: req.Now,
	})}, nil
}

// evaluate runs the request's engine, or compiles one from the policy
// directories of req.Policies.
func evaluate(ctx context.Context, req Request, cfg *config.Config, ws []*spec.Workflow) ([]reviewer.Finding, string, error) {
	engine := req.Engine
	if engine == nil {
		tree := req.Policies
		if tree == nil {
			tree = source.Dir(".")
		}
		var err error
		if engine, err = Engine(ctx, tree, cfg, req.Now); err != nil {
			return nil, "", err
		}
	}
	return evaluateWith(ctx, engine, ws)
}

// EngineFor compiles the policies a request's checks or proposals are
// judged by, for a caller that runs several requests with one engine.
func EngineFor(ctx context.Context, req Request) (*policies.Engine, error) {
	cfg := req.Config
	if cfg == nil {
		cfg = config.Default()
	}
	tree := req.Policies
	if tree == nil {
		tree = source.Dir(".")
	}
	return Engine(ctx, tree, cfg, req.Now)
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// Package review is the one review pipeline: check, diff, review, attest
// and propose all call Run with a Request that names the revisions (or
// the paths, or the proposed specs), the mode, the clock and the GitHub
// adapter, if any. It reads the two sides of a change, screens and diffs
// them, runs the policies of the base revision and, in GitHub mode, asks
// the adapter for the pull request, its files and reviews (or for the
// pull request merged as a commit, for attest), then decides the report.
// The command line turns flags into a Request and a report into bytes and
// an exit code.
package review

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/nhigate/nhigate/codeowners"
	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/policies"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/spec"
)

// Request names the change to review: the revisions, the mode, the clock
// and the GitHub adapter, if any.
type Request struct {
	// Repo is the local git repository that holds the revisions.
	Repo string
	// Base and Head are git revisions of Repo, or directories. The rules
	// come from Base; the change is what Head adds since their merge base.
	Base, Head string
	// Scope is ScopeCheck, ScopeDiff (no policies) or ScopeReview.
	Scope reviewer.Scope
	// Mode says whose approvals count; anything but Local needs GitHub.
	Mode Mode
	// GitHub is how the review reaches GitHub; nil for a local review.
	GitHub GitHub
	// Now is the time expiry is judged at.
	Now time.Time
	// FailOnRisk blocks a change whose risk is at or above it; None never.
	// ParseFailOnRisk reads it from a flag; Run refuses any other value.
	FailOnRisk diffing.Risk

	// Paths are the files and directories a ScopeCheck reads, and Discover
	// skips those that are not nhigate specs; Strict blocks on warnings.
	Paths    []string
	Discover bool
	Strict   bool
	// Proposed are specs read ahead (propose), judged as their addition.
	Proposed *Proposed
	// Config and Policies judge a check or a proposal, which have no base
	// revision: the config, and the tree its policy directories are read
	// from (the working directory when nil). Config nil means the defaults.
	Config   *config.Config
	Policies source.Tree
	// Engine, when set, is the compiled policies of Config and Policies,
	// for a caller that runs several requests.
	Engine *policies.Engine
	// Cache is where the digests of unchanged files are kept between
	// reviews of a repository; the zero value reads every file.
	Cache source.ScanCache
}

// RevisionError is a revision that cannot be opened: a usage error.
type RevisionError struct {
	Flag string
	Err  error
}

func (e *RevisionError) Error() string { return e.Flag + ": " + e.Err.Error() }
func (e *RevisionError) Unwrap() error { return e.Err }

// Prepared is a review before its decision: the input to
// reviewer.Decide, and what GitHub mode needs to add approvals to it.
type Prepared struct {
	Input  *reviewer.Input
	Config *config.Config
	Base   source.Tree
	// HeadTree is the head revision as read.
	HeadTree source.Tree
	Changed  []string
	// Head are the changed specs at head; BaseSpecs their base versions.
	Head, BaseSpecs []*spec.Workflow
	// Context are the specs of unchanged files that hold a changed
	// principal.
	Context []*spec.Workflow
	// Refused is set when head's trees could not be judged (see
	// source.TreeError): the review blocks on that alone, with nothing
	// compared, and nothing else is read.
	Refused bool
}

// Prepare reads both sides, diffs them and, for ScopeReview, runs the
// policies. Everything that judges the change comes from base.
func Prepare(ctx context.Context, req Request) (*Prepared, error) {
	// In GitHub mode both sides are the event's commits: a directory of
	// that name in the checkout is the pull request's own, never its base.
	// Base and head are read through one opening of the repository.
	repo := source.NewRepo(req.Repo)
	open := repo.Open
	if req.Mode != Local {
		open = repo.OpenRevision
	}
	base, err := open(req.Base)
	if err != nil {
		return nil, &RevisionError{Flag: "--base", Err: err}
	}
	head, err := open(req.Head)
	if err != nil {
		return nil, &RevisionError{Flag: "--head", Err: err}
	}
	scope, now := req.Scope, req.Now
	cfg, err := source.LoadConfig(base)
	if err != nil {
		return nil, err
	}
	// The policies depend on base alone: compile them while the change
	// is read, on a core the reading leaves idle at times.
	type compiled struct {
		engine *policies.Engine
		err    error
	}
	var engine chan compiled
	if scope == reviewer.ScopeReview {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		engine = make(chan compiled, 1)
		go func() {
			e, err := Engine(ctx, base, cfg, now)
			engine <- compiled{e, err}
		}()
	}
	// Digests of unchanged files, and trees, from earlier reviews.
	cache := source.OpenCache(req.Cache, head, base)
	// The change is what head adds since it branched from base; the rules
	// that judge it are base's own.
	from, err := source.MergeBase(base, head)
	if err != nil {
		return nil, err
	}
	changed, err := source.Changed(ctx, from, head)
	var refused *source.TreeError
	if errors.As(err, &refused) {
		return refusal(base, from, head, cfg, scope, now, refused), nil
	}
	if err != nil {
		return nil, err
	}
	// Base specs were judged when they merged; a broken one must not block
	// the pull request that fixes it, so only head errors count, unless
	// the broken file may hold a principal the change grants: its access
	// cannot be compared, and the change's would read as new. Access is
	// compared per principal, so the specs of unchanged files that share a
	// principal with a changed one are read too.
	specs, err := source.LoadReview(ctx, from, head, changed, cfg, cache)
	if errors.As(err, &refused) {
		return refusal(base, from, head, cfg, scope, now, refused), nil
	}
	if err != nil {
		return nil, err
	}
	baseSpecs, headSpecs := specs.Base, specs.Head
	// Which environments are production is the config's to say; the diff
	// rates their grants as production's.
	for _, ws := range [][]*spec.Workflow{baseSpecs.Workflows, headSpecs.Workflows, specs.Context} {
		for _, w := range ws {
			w.Production = cfg.IsProduction(w.Spec.Environment)
		}
	}
	// Nothing else among the changed files may hold a spec unread, and the
	// files that govern the gate are flagged with why.
	screened, err := source.Screen(ctx, from, head, changed, cfg, headSpecs)
	if err != nil {
		return nil, err
	}
	// Once merged, head's scan index is what later reviews trust to skip
	// files: each of its summaries must be what nhigate makes of its tree.
	if slices.Contains(changed, source.ScanIndexPath) {
		msg, err := source.CheckScanIndex(ctx, head)
		if errors.As(err, &refused) {
			return refusal(base, from, head, cfg, scope, now, refused), nil
		}
		if err != nil {
			return nil, err
		}
		if msg != "" {
			screened.Errors = append(screened.Errors, &spec.Error{File: source.ScanIndexPath, Msg: msg,
				Hint: "run nhigate index at this pull request's head and commit the file it writes, or delete " + source.ScanIndexPath})
		}
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
		Files:   SpecFiles(baseSpecs, headSpecs, &source.Loaded{Errors: screened.Errors}),
		Invalid: append(headSpecs.Errors, screened.Errors...),
		// Exceptions new since base are unverified here, and in GitHub
		// mode wait for their approvers.
		Specs: headSpecs.Workflows, BaseSpecs: baseSpecs.Workflows, Now: now,
	}
	// Over the grant limit there is no diff, and the review is blocked
	// and rated critical; the governance changes still show.
	in.Diff, err = diffing.Options{MaxGrants: cfg.Limits.MaxGrantsPerReview}.Compute(
		slices.Concat(withoutInvalid(baseSpecs.Workflows, headSpecs.Errors), specs.Context), slices.Concat(headSpecs.Workflows, specs.Context), governance)
	var limit *diffing.LimitError
	if errors.As(err, &limit) {
		in.Invalid = append(in.Invalid, &spec.Error{File: limit.Largest.Source.File, Msg: limit.Error(),
			Hint: "split the change into smaller pull requests, or raise limits.maxGrantsPerReview in .nhigate.yaml"})
		in.Diff = diffing.Withheld(governance, limit.Error())
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
		c := <-engine
		if c.err != nil {
			return nil, c.err
		}
		in.Findings, in.PolicyDigest, err = evaluateWith(ctx, c.engine, headSpecs.Workflows)
		if err != nil {
			return nil, err
		}
	}
	return &Prepared{Input: in, Config: cfg, Base: base, HeadTree: head, Changed: changed, Head: headSpecs.Workflows, BaseSpecs: baseSpecs.Workflows, Context: specs.Context}, nil
}

// refusal is the review of a change whose trees cannot be judged: it
// blocks, with the reason as its one invalid entry, and its diff withheld
// (rated critical, as any change left uncompared).
func refusal(base, from, head source.Tree, cfg *config.Config, scope reviewer.Scope, now time.Time, e *source.TreeError) *Prepared {
	name := base.String()
	if from != base {
		name += ", diffed from " + from.String()
	}
	in := &reviewer.Input{
		Mode: reviewer.Local, Scope: scope, Base: name, Head: head.String(), Now: now,
		Invalid: []*spec.Error{{File: e.Path, Msg: e.Msg, Hint: e.Hint}},
		Diff:    diffing.Withheld(nil, "the change was not compared: "+e.Msg),
	}
	return &Prepared{Input: in, Config: cfg, Base: base, HeadTree: head, Refused: true}
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

// SpecFiles counts the distinct files that hold the specs or errors.
func SpecFiles(loaded ...*source.Loaded) int {
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

// ApprovalRules are the approvals a change needs, all known from base: the
// CODEOWNERS of the changed files, the risk tier of the diff, and the
// changed specs' own approvals and exceptions.
func (prep *Prepared) ApprovalRules() (reviewer.ApprovalRules, error) {
	rules := reviewer.ApprovalRules{
		Specs: prep.Head,
		// Exceptions new since base need their approvedBy's approval; the
		// owners and requesters at base, and the owners of the principal's
		// other specs, stay excluded where those at head are.
		Base:       prep.BaseSpecs,
		Context:    prep.Context,
		Generators: prep.Config.Generators,
	}
	if prep.Config.CODEOWNERS == nil || *prep.Config.CODEOWNERS {
		file, err := codeowners.Find(func(p string) ([]byte, error) { return prep.Base.ReadFile(p, codeowners.MaxSize) })
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return rules, fmt.Errorf("read CODEOWNERS from the base revision: %w", err)
		}
		rules.Files = []reviewer.OwnedFile{}
		if file != nil {
			for _, path := range prep.Changed {
				owners, _ := file.Owners(path)
				rules.Files = append(rules.Files, reviewer.OwnedFile{Path: path, Owners: owners})
			}
		}
	}
	if risk := prep.Input.Diff.Risk(); risk > 0 {
		rules.Tier = risk.String()
		rules.TierRule = prep.Config.RiskTiers[rules.Tier]
	}
	return rules, nil
}

// maxPolicyFile bounds one user policy file read from the base revision.
const maxPolicyFile = 1 << 20

// Evaluate runs the built-in policies and the repo's own (read from base)
// on the workflows, and places each result at its file:line:col.
func Evaluate(ctx context.Context, base source.Tree, cfg *config.Config, ws []*spec.Workflow, now time.Time) ([]reviewer.Finding, string, error) {
	engine, err := Engine(ctx, base, cfg, now)
	if err != nil {
		return nil, "", err
	}
	return evaluateWith(ctx, engine, ws)
}

// Engine compiles the built-in policies and the repo's own, read from base
// as the config names them.
func Engine(ctx context.Context, base source.Tree, cfg *config.Config, now time.Time) (*policies.Engine, error) {
	extra := map[string]string{}
	for _, dir := range cfg.Policies {
		files, err := base.Files(dir)
		if err != nil {
			return nil, fmt.Errorf("list policies in %s of %s: %w", dir, base, err)
		}
		for _, f := range files {
			if !strings.HasSuffix(f, ".rego") || strings.HasSuffix(f, "_test.rego") {
				continue
			}
			data, err := base.ReadFile(f, maxPolicyFile)
			if err != nil {
				return nil, &source.ConfigError{Err: fmt.Errorf("read policy %s from %s: %w", f, base, err)}
			}
			extra[f] = string(data)
		}
	}
	engine, err := policies.New(ctx, policies.Options{Extra: extra, Data: cfg.Data(), Now: now})
	if err != nil {
		return nil, &source.ConfigError{Err: fmt.Errorf("load policies: %w", err)}
	}
	return engine, nil
}

// evaluateWith runs engine on the workflows, and places each result at its
// file:line:col.
func evaluateWith(ctx context.Context, engine *policies.Engine, ws []*spec.Workflow) ([]reviewer.Finding, string, error) {

	// One input per file, its documents in order, so results map back.
	var inputs []policies.Input
	var byInput [][]*spec.Workflow
	index := map[string]int{}
	for _, w := range ws {
		i, ok := index[w.Source.File]
		if !ok {
			i = len(inputs)
			index[w.Source.File] = i
			inputs = append(inputs, policies.Input{File: w.Source.File})
			byInput = append(byInput, nil)
		}
		inputs[i].Docs = append(inputs[i].Docs, w.Source.Raw)
		byInput[i] = append(byInput[i], w)
	}
	results, err := engine.Check(ctx, inputs)
	if err != nil {
		return nil, "", fmt.Errorf("evaluate policies: %w", err)
	}
	titles := map[string]string{}
	for _, rule := range policies.Catalog() {
		titles[rule.ID] = rule.Title
	}
	findings := make([]reviewer.Finding, 0, len(results))
	for _, r := range results {
		i, ok := index[r.File]
		if !ok || r.Doc < 0 || r.Doc >= len(byInput[i]) {
			return nil, "", fmt.Errorf("policy result for unknown document %s#%d", r.File, r.Doc)
		}
		w := byInput[i][r.Doc]
		pos := w.Source.Position(r.Field)
		findings = append(findings, reviewer.Finding{
			Rule: r.Rule, Namespace: r.Namespace, Title: titles[r.Rule], Kind: r.Kind, Severity: r.Severity, Fix: r.Fix,
			// Built-in messages start with their rule id, for plain conftest
			// output; reports show the id on its own.
			Message:  strings.TrimPrefix(r.Message, r.Rule+" "),
			Identity: w.Metadata.Name, File: r.File, Doc: w.Source.Doc, Line: pos.Line, Col: pos.Col, Field: r.Field,
			Controls: reviewer.Controls{OWASPNHI: r.Controls.OWASP, NISTCSF: r.Controls.CSF, MAESTRO: r.Controls.MAESTRO, AIRMF: r.Controls.AIRMF},
			Excepted: r.Excepted,
		})
	}
	return findings, engine.Digest(), nil
}

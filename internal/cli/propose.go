package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"
	"unicode/utf8"

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

const proposeExamples = `  # See what would be proposed, judged by a clone's default branch
  nhigate propose --repo ../policies --prompt-file prompt.txt --dry-run new.yaml

  # Open the pull request (needs GITHUB_TOKEN; GITHUB_API_URL for GitHub Enterprise)
  nhigate propose --github-repo acme/policies --repo ../policies --prompt-file prompt.txt new.yaml

  # Keep the prompt text out of the spec, recording only its SHA-256
  nhigate propose --github-repo acme/policies --prompt-file prompt.txt --no-prompt-text new.yaml

  # Open a failing spec anyway, as a draft marked [failing], for a person to fix
  nhigate propose --github-repo acme/policies --draft new.yaml
`

// maxPromptFile bounds --prompt-file: a prompt is a request, not a corpus.
const maxPromptFile = 256 << 10

// proposal is one spec on its way to a pull request, with what was read
// and judged of it.
type proposal struct {
	output.Proposal
	workflows []*spec.Workflow
	invalid   spec.Errors
	report    *reviewer.Report
	message   string // the commit message
}

type proposeFlags struct {
	repo, checkout, base, path, promptFile string
	noPromptText, draft, dryRun            bool
	out                                    outputFlags
}

func runPropose(ctx context.Context, p *program, args []string) error {
	var f proposeFlags
	fs := p.flags("propose", "propose [flags] SPEC...", proposeExamples)
	fs.StringVar(&f.repo, "github-repo", "", "open the pull request in this GitHub repository, OWNER/NAME (needs GITHUB_TOKEN; GITHUB_API_URL for GitHub Enterprise); without it nothing is opened")
	fs.StringVar(&f.checkout, "repo", "", "local clone of the target repository, whose .nhigate.yaml and policies judge the spec; without it the built-in defaults do")
	fs.StringVar(&f.base, "base", "", "branch the pull request targets, and the revision of --repo read for policies; default: the repository's default branch, and the clone's HEAD")
	fs.StringVar(&f.path, "path", "", "where the spec goes in the repository; default identities/<metadata.name>.yaml (one SPEC only)")
	fs.StringVar(&f.promptFile, "prompt-file", "", "the prompt the spec was generated from; its SHA-256 goes into metadata.provenance.promptSha256, and its text into prompt")
	fs.BoolVar(&f.noPromptText, "no-prompt-text", false, "record only the prompt's SHA-256, not its text (needs --prompt-file)")
	fs.BoolVar(&f.draft, "draft", false, "open a draft pull request even for a failing spec, titled [failing] with the failures in its body (the exit status is still 1)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the branch, path, title and body that would be proposed, and call no API")
	f.out.register(fs, output.KindPropose, true)
	if err := p.parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	specs := fs.Args()
	if len(specs) == 0 {
		return usageErrorf("name the spec files to propose, e.g. \"nhigate propose --github-repo acme/policies new.yaml\"")
	}
	if f.path != "" && len(specs) > 1 {
		return usageErrorf("--path names where one spec goes; propose %d specs in separate runs, or leave --path out", len(specs))
	}
	if f.path != "" {
		if err := checkRepoPath(f.path); err != nil {
			return err
		}
	}
	if f.noPromptText && f.promptFile == "" {
		return usageErrorf("--no-prompt-text needs --prompt-file: the prompt to hash")
	}
	now, print, err := f.out.resolve(p)
	if err != nil {
		return err
	}
	// generatedAt is stamped to the second, as RFC 3339 writes it.
	now = now.Truncate(time.Second)
	var owner, name string
	if f.repo != "" {
		var ok bool
		owner, name, ok = strings.Cut(f.repo, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return usageErrorf("--github-repo %q: write OWNER/NAME, e.g. acme/policies", f.repo)
		}
	}
	// The client is made before any work so a missing token fails fast; it
	// calls nothing until a pull request is opened.
	var client *ghapi.Client
	if f.repo != "" && !f.dryRun {
		var err error
		if client, err = p.githubClient("--github-repo needs GITHUB_TOKEN with contents: write and pull-requests: write; or pass --dry-run to see what would be opened"); err != nil {
			return err
		}
	}
	prompt := yamledit.Prompt{HashOnly: f.noPromptText}
	if f.promptFile != "" {
		data, err := readBounded(f.promptFile, maxPromptFile)
		if err != nil {
			return usageErrorf("--prompt-file: %v", err)
		}
		if !utf8.Valid(data) {
			return usageErrorf("--prompt-file %s is not valid UTF-8; save the prompt as UTF-8", f.promptFile)
		}
		prompt.FromFile, prompt.Text = true, string(data)
	}

	// The spec is judged by the target's base, never by anything the
	// generator supplies.
	var base source.Tree = source.Dir(".") // read only for cfg.Policies, which the defaults leave empty
	cfg := config.Default()
	res := &output.ProposeResult{SchemaVersion: output.ResultSchemaVersion, Repo: f.repo, DryRun: f.dryRun,
		Policies: "built-in defaults (no --repo: the target repository's .nhigate.yaml and policies were not read)"}
	baseSHA := ""
	if f.checkout != "" {
		rev := f.base
		if rev == "" {
			rev = "HEAD"
		}
		var err error
		if base, err = source.Open(f.checkout, rev); err != nil {
			return usageErrorf("--repo: %v", err)
		}
		if cfg, err = source.LoadConfig(base); err != nil {
			return err
		}
		if c, ok := source.Commit(base); ok {
			baseSHA = c
		}
		res.Policies = fmt.Sprintf("%s and policies of %s in %s", config.File, base, f.checkout)
	}

	var prs []*proposal
	for _, file := range specs {
		pr, err := prepareProposal(file, f.path, prompt, now, cfg)
		if err != nil {
			return err
		}
		prs = append(prs, pr)
		res.Proposals = append(res.Proposals, &pr.Proposal)
	}
	if err := judge(ctx, prs, base, cfg, now); err != nil {
		return err
	}
	failing := 0
	for _, pr := range prs {
		pr.Draft = f.draft
		if len(pr.Failures) > 0 {
			failing++
		}
		env, generator, text := "", "", prompt.Text
		if len(pr.workflows) == 1 {
			w := pr.workflows[0]
			env, generator = w.Spec.Environment, w.Metadata.Provenance.Generator
			if !prompt.FromFile {
				text = w.Metadata.Provenance.Prompt
			}
		}
		pr.Title = output.ProposalTitle(&pr.Proposal, env)
		pr.Body = output.ProposalBody(&pr.Proposal, pr.report, text, res.Policies, version())
		pr.message = output.ProposalCommit(&pr.Proposal, generator, version())
	}

	if failing > 0 && !f.draft {
		if err := f.out.emit(p, print, res, "propose"); err != nil {
			return err
		}
		fmt.Fprintf(p.stderr, "nhigate: propose: refused: %s validation or policy; no pull request opened. Fix the spec and run again, or pass --draft to open a draft marked [failing]\n",
			plural(failing, "spec fails", "specs fail"))
		return errBlocked
	}
	for _, pr := range prs {
		if pr.Branch == "" {
			if err := f.out.emit(p, print, res, "propose"); err != nil {
				return err
			}
			return &exitError{code: ExitBlocked, err: fmt.Errorf("%s cannot be proposed even as a draft: it must be YAML with a valid metadata.name", pr.Spec)}
		}
	}
	if client != nil {
		for _, pr := range prs {
			opened, err := client.OpenChange(ctx, ghapi.Change{
				Owner: owner, Repo: name, Base: f.base, BaseSHA: baseSHA,
				Branch:  pr.Branch,
				Files:   map[string][]byte{pr.Path: []byte(pr.Content)},
				Message: pr.message,
				Title:   pr.Title,
				Body:    pr.Body,
				Draft:   pr.Draft,
				Labels:  []string{output.ProposalLabel},
			})
			if err != nil {
				return err
			}
			pr.PullRequest = &output.OpenedPull{Number: opened.Number, URL: opened.URL}
		}
		res.Opened = true
	}
	if err := f.out.emit(p, print, res, "propose"); err != nil {
		return err
	}
	if failing > 0 {
		return errBlocked
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// checkRepoPath accepts a clean, relative, slash-separated YAML path.
func checkRepoPath(p string) error {
	if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, `\`) {
		return usageErrorf("--path %q: write a clean repository-relative path, e.g. identities/ci-deploy.yaml", p)
	}
	if ext := strings.ToLower(path.Ext(p)); ext != ".yaml" && ext != ".yml" {
		return usageErrorf("--path %q: propose writes YAML; name a .yaml file", p)
	}
	return nil
}

// prepareProposal stamps one spec's provenance and parses the result as it
// will be committed. A spec that cannot be stamped comes back with failures and no
// branch; only errors that stop the whole run are returned.
func prepareProposal(file, pathFlag string, prompt yamledit.Prompt, now time.Time, cfg *config.Config) (*proposal, error) {
	lim := cfg.SpecLimits()
	data, err := readBounded(file, lim.MaxFileSize)
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
		return nil, &exitError{code: ExitBlocked, err: err}
	case errors.As(err, &noPrompt):
		return nil, usageErrorf("%s %v", file, noPrompt)
	case errors.As(err, &outside):
		return nil, usageErrorf("%v", outside)
	case err != nil:
		return nil, err
	}
	pr := &proposal{Proposal: output.Proposal{Spec: file, Name: d.Name, Path: d.Path, Branch: d.Branch, PromptSHA256: d.PromptSHA256,
		GeneratedAt: d.GeneratedAt, Failures: d.Failures, Content: string(d.Content)}, workflows: d.Workflows, invalid: d.Invalid}
	return pr, nil
}

// judge runs the base's policies on every stamped spec and records each
// spec's report and failures.
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

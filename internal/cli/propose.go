package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/secret"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/internal/yamledit"
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

// maxPromptInBody bounds the prompt quoted in a pull request body, which
// GitHub caps at output.MaxCommentSize; the spec holds it whole.
const maxPromptInBody = 16 << 10

// maxFailuresInBody bounds each list of failures and findings in a pull
// request body; with the prompt and half of the limit for the preview, the
// body stays under output.MaxCommentSize.
const maxFailuresInBody = 20

var dnsLabelRE = regexp.MustCompile(spec.DNSLabelPattern)

// proposal is one spec on its way to a pull request, with what was read
// and judged of it.
type proposal struct {
	output.Proposal
	workflows []*spec.Workflow
	invalid   spec.Errors
	report    *reviewer.Report
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
		pr.Title = proposalTitle(pr)
		pr.Body = proposalBody(pr, prompt, res.Policies)
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
				Message: commitMessage(pr),
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
	pr := &proposal{Proposal: output.Proposal{Spec: file, Failures: []string{}}}
	original, origErr := spec.Parse(file, data, spec.Strict, lim)
	// The spec is committed as YAML, written as people write it.
	st, err := yamledit.StampProvenance(data, strings.EqualFold(path.Ext(file), ".json"), prompt, now)
	var docErr *yamledit.DocError
	var forged *yamledit.ForgedError
	var noPrompt *yamledit.NoPromptError
	switch {
	case errors.As(err, &docErr):
		pr.Failures = failuresOf(origErr)
		if len(pr.Failures) == 0 {
			pr.Failures = []string{fmt.Sprintf("%s: %v", file, err)}
		}
		return pr, nil
	case errors.As(err, &forged):
		return nil, &exitError{code: ExitBlocked, err: fmt.Errorf("%s: %w", file, err)}
	case errors.As(err, &noPrompt):
		return nil, usageErrorf("%s %v", file, err)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if dnsLabelRE.MatchString(st.Name) {
		pr.Name = st.Name
	}
	pr.PromptSHA256 = st.PromptSHA256
	pr.GeneratedAt = now.Format(time.RFC3339)
	pr.Content = string(st.Content)

	pr.Path = pathFlag
	if pr.Path == "" {
		if pr.Name == "" {
			pr.Failures = failuresOf(origErr)
			if len(pr.Failures) == 0 {
				pr.Failures = []string{file + ": metadata.name is missing or not a DNS label"}
			}
			return pr, nil
		}
		pr.Path = "identities/" + pr.Name + ".yaml"
	}
	if ok, _ := cfg.CandidatePath(pr.Path); !ok {
		return nil, usageErrorf("%s is not where %s expects specs, so a review would not see it: choose --path to match its specs globs", pr.Path, config.File)
	}
	if pr.Name != "" {
		h := sha256.Sum256(st.Content)
		pr.Branch = "nhigate/" + pr.Name + "-" + hex.EncodeToString(h[:])[:7]
	}

	ws, err := spec.Parse(pr.Path, st.Content, spec.Strict, lim)
	if err != nil {
		var errs spec.Errors
		if !errors.As(err, &errs) {
			return nil, err
		}
		if origErr == nil {
			return nil, fmt.Errorf("stamping %s made it invalid: %w", file, err)
		}
		pr.invalid = errs
		for _, e := range errs {
			pr.Failures = append(pr.Failures, e.Error())
		}
		return pr, nil
	}
	if len(ws) != 1 || len(original) != 1 {
		return nil, fmt.Errorf("stamped %s does not read back as the one workflow it held", file)
	}
	got := ws[0].Metadata.Provenance
	if got.PromptSHA256 != st.PromptSHA256 || got.GeneratedAt.Text != pr.GeneratedAt ||
		prompt.FromFile && !prompt.HashOnly && got.Prompt != prompt.Text {
		return nil, fmt.Errorf("stamped %s does not read back with the provenance written", file)
	}
	pr.workflows = ws
	return pr, nil
}

func failuresOf(err error) []string {
	var errs spec.Errors
	if !errors.As(err, &errs) {
		return nil
	}
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
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

func proposalTitle(pr *proposal) string {
	name := pr.Name
	if name == "" {
		name = pr.Spec
	}
	t := "nhigate: propose " + name
	if len(pr.workflows) == 1 && pr.workflows[0].Spec.Environment != "" {
		t += " (" + pr.workflows[0].Spec.Environment + ")"
	}
	if len(pr.Failures) > 0 {
		t = "[failing] " + t
	}
	return t
}

func commitMessage(pr *proposal) string {
	generator := "an unnamed generator"
	if len(pr.workflows) == 1 && pr.workflows[0].Metadata.Provenance.Generator != "" {
		generator = pr.workflows[0].Metadata.Provenance.Generator
	}
	return fmt.Sprintf("%s\n\nGenerated by %s at %s from a prompt with SHA-256 %s.\nProposed by nhigate propose %s.\n",
		pr.Title, generator, pr.GeneratedAt, pr.PromptSHA256, version())
}

// proposalBody is the pull request body: failures first, then the prompt,
// the entitlement diff preview and the policy results.
func proposalBody(pr *proposal, prompt yamledit.Prompt, policies string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "A generator proposes %s at %s. The generator only drafts: this pull request passes the same review as any other, and nothing is granted until it merges.\n\n", output.Code(pr.Name), output.Code(pr.Path))
	if len(pr.Failures) > 0 {
		b.WriteString("> [!CAUTION]\n> **Failing.** This spec fails validation or policy and cannot pass review as it stands:\n>\n")
		for i, f := range pr.Failures {
			if i == maxFailuresInBody {
				fmt.Fprintf(&b, "> - …and %d more; run `nhigate check` on the spec for all of them\n", len(pr.Failures)-i)
				break
			}
			fmt.Fprintf(&b, "> - %s\n", output.Escape(f))
		}
		b.WriteString("\n")
	}

	text := prompt.Text
	if !prompt.FromFile && len(pr.workflows) == 1 {
		text = pr.workflows[0].Metadata.Provenance.Prompt
	}
	// The body is public; a secret pasted into the prompt fails NHI-SEC-001
	// and must not be repeated here, even in a draft.
	text = secret.Mask(text)
	b.WriteString("### Prompt\n\n")
	fmt.Fprintf(&b, "<details><summary>The prompt, SHA-256 <code>%s</code></summary>\n\n", pr.PromptSHA256)
	if text != "" {
		note := ""
		if utf8.RuneCountInString(text) > maxPromptInBody {
			text = string([]rune(text)[:maxPromptInBody])
			note = "\n_The prompt is cut short here; its SHA-256 above covers the whole text._\n"
		}
		fence := strings.Repeat("`", max(3, longestRun(text, '`')+1))
		fmt.Fprintf(&b, "> %stext\n", fence)
		for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			fmt.Fprintf(&b, "> %s\n", line)
		}
		fmt.Fprintf(&b, "> %s\n%s", fence, note)
	}
	b.WriteString("\n</details>\n\n")

	b.WriteString("### Entitlement diff preview\n\n")
	if pr.report != nil {
		// The marker is how the review finds its own comment; a body
		// carrying it would confuse that.
		md := output.Markdown{Limit: output.MaxCommentSize / 2}.String(pr.report)
		b.WriteString(strings.TrimPrefix(md, output.Marker+"\n"))
	} else {
		b.WriteString("The spec could not be read, so there is no preview.\n")
	}

	b.WriteString("\n### Policy results\n\n")
	fmt.Fprintf(&b, "Judged by the %s.\n\n", policies)
	if pr.report != nil && len(pr.report.Findings) == 0 && len(pr.Failures) == 0 {
		b.WriteString("- ✅ every policy passes\n")
	}
	if pr.report != nil {
		for i, f := range pr.report.Findings {
			if i == maxFailuresInBody {
				fmt.Fprintf(&b, "- …and %d more\n", len(pr.report.Findings)-i)
				break
			}
			mark := "❌"
			switch {
			case f.Excepted:
				mark = "➖ excepted:"
			case f.Kind == "warn":
				mark = "⚠️"
			}
			fmt.Fprintf(&b, "- %s %s %s (%s)\n", mark, output.Code(f.Rule), output.Escape(f.Message), output.Code(fmt.Sprintf("%s:%d", f.File, f.Line)))
		}
		for i, e := range pr.report.Invalid {
			if i == maxFailuresInBody {
				fmt.Fprintf(&b, "- …and %d more\n", len(pr.report.Invalid)-i)
				break
			}
			fmt.Fprintf(&b, "- ❌ %s\n", output.Escape(e.Error()))
		}
	}
	fmt.Fprintf(&b, "\n<sub>Opened by `nhigate propose` %s. The spec was stamped with generatedAt `%s`.</sub>\n", version(), pr.GeneratedAt)
	return b.String()
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

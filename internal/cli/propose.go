package cli

import (
	"context"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/nhigate/nhigate/internal/publish"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/internal/yamledit"
	"github.com/nhigate/nhigate/output"
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
	req := publish.ProposeRequest{Specs: specs, Path: f.path, Now: now, Checkout: f.checkout, Base: f.base,
		Draft: f.draft, DryRun: f.dryRun, Version: version()}
	if f.repo != "" {
		var ok bool
		req.Owner, req.Repo, ok = strings.Cut(f.repo, "/")
		if !ok || req.Owner == "" || req.Repo == "" || strings.Contains(req.Repo, "/") {
			return usageErrorf("--github-repo %q: write OWNER/NAME, e.g. acme/policies", f.repo)
		}
	}
	// The client is made before any work so a missing token fails fast; it
	// calls nothing until a pull request is opened.
	if f.repo != "" && !f.dryRun {
		if req.Client, err = p.githubClient("--github-repo needs GITHUB_TOKEN with contents: write and pull-requests: write; or pass --dry-run to see what would be opened"); err != nil {
			return err
		}
	}
	req.Prompt = yamledit.Prompt{HashOnly: f.noPromptText}
	if f.promptFile != "" {
		data, err := source.ReadBounded(f.promptFile, maxPromptFile)
		if err != nil {
			return usageErrorf("--prompt-file: %v", err)
		}
		if !utf8.Valid(data) {
			return usageErrorf("--prompt-file %s is not valid UTF-8; save the prompt as UTF-8", f.promptFile)
		}
		req.Prompt.FromFile, req.Prompt.Text = true, string(data)
	}
	res, err := publish.Propose(ctx, req)
	if res != nil {
		// A refused proposal is printed too, with its failures.
		if err := f.out.emit(p, print, res.Result, "propose"); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	if res.Failing > 0 {
		return errBlocked
	}
	return nil
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

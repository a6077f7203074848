package cli

import (
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/lifecycle"
	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/spec"
)

const sweepExamples = `  # What has expired or expires within a week, at HEAD of the current repository
  nhigate sweep

  # The default branch of another clone, looking 30 days ahead, as Markdown
  nhigate sweep --repo ../policy-repo --head origin/main --within 720h --format markdown

  # An audit as of a past moment (--now is for tests and audits)
  nhigate sweep --head v1.4.0 --now 2026-11-25T12:00:00Z --format json

  # In a scheduled workflow: open one revocation pull request
  nhigate sweep --open-pr
`

// maxHistory bounds the commits walked to date the spec files; a file
// whose last change lies further back has an unknown age.
const maxHistory = 100000

// sweepResult is a sweep with what it read.
type sweepResult struct {
	output.SweepResult
	// workflows and tree are what was read, for a revocation pull request.
	workflows []*spec.Workflow
	tree      source.Tree
}

func runSweep(ctx context.Context, p *program, args []string) error {
	fs := p.flags("sweep", "sweep [flags]", sweepExamples)
	repo := fs.String("repo", ".", "git repository to sweep")
	rev := fs.String("head", "HEAD", "revision (branch, tag, SHA) to sweep; a directory is swept too, but without history the age of static credentials is unknown")
	withinFlag := fs.String("within", "168h", "also list grants expiring and credentials due for rotation within this long: hours or days, e.g. 168h or 7d")
	var out outputFlags
	out.register(fs, output.KindSweep, true)
	openPR := fs.Bool("open-pr", false, "open one revocation pull request that removes expired specs and expired exceptions (needs GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL)")
	base := fs.String("base", "", "branch the revocation pull request targets; default: the branch --head names, else main")
	dryRun := fs.Bool("dry-run", false, "with --open-pr: print the revocation pull request that would be opened, and call nothing")
	if err := p.parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q; name the revision with --head", fs.Arg(0))
	}
	within, err := parseLookahead(*withinFlag)
	if err != nil {
		return err
	}
	if *dryRun && !*openPR {
		return usageErrorf("--dry-run goes with --open-pr: it shows the revocation pull request without opening it")
	}
	now, print, err := out.resolve(p)
	if err != nil {
		return err
	}
	var gh *revocationTarget
	if *openPR && !*dryRun {
		if gh, err = p.revocationTarget(); err != nil {
			return err
		}
	}

	res, err := sweep(ctx, *repo, *rev, now, within)
	if err != nil {
		return err
	}

	if err := out.emit(p, print, &res.SweepResult, fmt.Sprintf("sweep: %d overdue", res.Overdue())); err != nil {
		return err
	}
	if *openPR {
		if err := openRevocation(ctx, p, gh, *base, res); err != nil {
			return err
		}
	}
	if res.Blocked() {
		return errBlocked
	}
	return nil
}

// sweep reads every spec of rev and judges it as of now.
func sweep(ctx context.Context, repoDir, rev string, now time.Time, within time.Duration) (*sweepResult, error) {
	tree, err := source.Open(repoDir, rev)
	if err != nil {
		return nil, usageErrorf("--head: %v", err)
	}
	cfg, err := source.LoadConfig(tree)
	if err != nil {
		return nil, err
	}
	files, err := tree.Files(".")
	if err != nil {
		return nil, fmt.Errorf("list files of %s: %w", tree, err)
	}
	loaded, err := source.LoadSpecs(tree, files, cfg)
	if err != nil {
		return nil, err
	}
	var lastChanged map[string]time.Time
	if _, ok := source.Commit(tree); ok {
		var paths []string
		for _, w := range loaded.Workflows {
			paths = append(paths, w.Source.File)
		}
		if lastChanged, err = source.LastChanges(ctx, tree, paths, maxHistory); err != nil {
			return nil, err
		}
	}
	return &sweepResult{
		SweepResult: output.SweepResult{
			Report:   lifecycle.Sweep(loaded.Workflows, lastChanged, now, within),
			Revision: tree.String(),
			Within:   shortDuration(within),
			Files:    review.SpecFiles(loaded),
			Invalid:  loaded.Errors,
		},
		workflows: loaded.Workflows,
		tree:      tree,
	}, nil
}

// revocationTarget is where --open-pr opens the revocation pull request.
type revocationTarget struct {
	client      *ghapi.Client
	owner, repo string
}

// revocationTarget reads the GitHub settings once, before any work, so a
// missing token fails fast.
func (p *program) revocationTarget() (*revocationTarget, error) {
	client, err := p.githubClient("--open-pr needs GITHUB_TOKEN: in Actions, pass ${{ github.token }} with contents: write and pull-requests: write")
	if err != nil {
		return nil, err
	}
	owner, name, ok := strings.Cut(p.env["GITHUB_REPOSITORY"], "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, usageErrorf("--open-pr needs GITHUB_REPOSITORY as OWNER/NAME, e.g. acme/policies (Actions sets it)")
	}
	return &revocationTarget{client: client, owner: owner, repo: name}, nil
}

// parseLookahead reads --within: a Go duration, or a whole number of days
// ("7d"), which is how people say how far ahead to look.
func parseLookahead(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if days, ok := strings.CutSuffix(s, "d"); ok && err != nil {
		n, perr := strconv.Atoi(days)
		if perr == nil && n >= 0 && n <= 36500 {
			d, err = time.Duration(n)*24*time.Hour, nil
		}
	}
	switch {
	case err != nil:
		return 0, usageErrorf("--within %q is not a duration; write hours or days, e.g. 168h or 7d", s)
	case d < 0:
		return 0, usageErrorf("--within %s is negative; give how far ahead to look, e.g. 168h or 7d", s)
	}
	return d, nil
}

// openRevocation opens the revocation pull request, if there is anything
// to revoke; with t nil (--dry-run) it prints the pull request instead.
func openRevocation(ctx context.Context, p *program, t *revocationTarget, base string, res *sweepResult) error {
	commit, ok := source.Commit(res.tree)
	if !ok {
		return usageErrorf("--open-pr needs --head to be a git revision, not a directory")
	}
	rv := lifecycle.Plan(res.Items, res.workflows, func(p string) ([]byte, error) { return res.tree.ReadFile(p, spec.DefaultMaxFileSize) })
	for _, m := range rv.Manual {
		fmt.Fprintf(p.stderr, "nhigate: sweep: not in the pull request: %s\n", output.SafeText(m))
	}
	if len(rv.Files) == 0 {
		fmt.Fprintln(p.stderr, "nhigate: sweep: nothing to revoke automatically; no pull request opened")
		return nil
	}
	change := revocationChange(res, rv, commit, base)
	if t == nil {
		return output.RevocationPreview(p.stderr, output.Change{Branch: change.Branch, Base: change.Base, BaseSHA: change.BaseSHA,
			Title: change.Title, Labels: change.Labels, Files: change.Files, Body: change.Body})
	}
	change.Owner, change.Repo = t.owner, t.repo
	opened, err := t.client.OpenChange(ctx, change)
	if err != nil {
		return err
	}
	fmt.Fprintf(p.stderr, "nhigate: sweep: opened revocation pull request #%d: %s\n", opened.Number, opened.URL)
	return nil
}

// revocationChange is the pull request a revocation plan becomes. Its
// branch names the day and a digest of the change, so that a second sweep
// on the same day that revokes something else gets a branch of its own.
func revocationChange(res *sweepResult, rv *lifecycle.Revocation, baseSHA, base string) ghapi.Change {
	date := res.Now.UTC().Format("2006-01-02")
	digest := sha256.New()
	for _, path := range slices.Sorted(maps.Keys(rv.Files)) {
		fmt.Fprintf(digest, "%s\x00%d\x00", path, len(rv.Files[path]))
		digest.Write(rv.Files[path])
		if rv.Files[path] == nil {
			digest.Write([]byte("\x00deleted"))
		}
	}
	grants, exceptions := 0, 0
	for _, it := range rv.Removed {
		if it.Kind == lifecycle.GrantExpired {
			grants++
		} else {
			exceptions++
		}
	}
	var what []string
	if grants > 0 {
		what = append(what, plural(grants, "expired grant", "expired grants"))
	}
	if exceptions > 0 {
		what = append(what, plural(exceptions, "expired exception", "expired exceptions"))
	}
	title := "nhigate: revoke " + strings.Join(what, " and ")
	return ghapi.Change{
		Base: base, BaseSHA: baseSHA,
		Branch:  fmt.Sprintf("nhigate/sweep-%s-%x", date, digest.Sum(nil)[:4]),
		Files:   rv.Files,
		Message: title + "\n\nOpened by nhigate sweep as of " + res.Now.UTC().Format(time.RFC3339) + ".",
		Title:   title,
		Body:    output.RevocationBody(&res.SweepResult, rv),
		Labels:  []string{"nhigate:revocation"},
	}
}

// shortDuration writes a duration as people write it: 168h, not 168h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

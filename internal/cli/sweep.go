package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nhigate/nhigate/internal/publish"
	"github.com/nhigate/nhigate/output"
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
	var target *publish.RevokeRequest
	if *openPR {
		target = &publish.RevokeRequest{Base: *base, Log: p.stderr}
		if !*dryRun {
			if err := p.revocationTarget(target); err != nil {
				return err
			}
		}
	}

	res, err := publish.Sweep(ctx, *repo, *rev, now, within)
	if err != nil {
		return err
	}

	if err := out.emit(p, print, res.Result, fmt.Sprintf("sweep: %d overdue", res.Result.Overdue())); err != nil {
		return err
	}
	if target != nil {
		if err := res.Revoke(ctx, *target); err != nil {
			return err
		}
	}
	if res.Result.Blocked() {
		return errBlocked
	}
	return nil
}

// revocationTarget reads the GitHub settings of --open-pr once, before
// any work, so a missing token fails fast.
func (p *program) revocationTarget(t *publish.RevokeRequest) error {
	client, err := p.githubClient("--open-pr needs GITHUB_TOKEN: in Actions, pass ${{ github.token }} with contents: write and pull-requests: write")
	if err != nil {
		return err
	}
	owner, name, ok := strings.Cut(p.env["GITHUB_REPOSITORY"], "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return usageErrorf("--open-pr needs GITHUB_REPOSITORY as OWNER/NAME, e.g. acme/policies (Actions sets it)")
	}
	t.Client, t.Owner, t.Repo = client, owner, name
	return nil
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

package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
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

// sweepFormats are the formats of a sweep report.
var sweepFormats = []string{"text", "markdown", "json"}

// sweepResult is a sweep with what it read.
type sweepResult struct {
	lifecycle.Report
	Revision string `json:"revision"`
	Within   string `json:"within"`
	// Files is the number of spec files swept.
	Files int `json:"files"`
	// Invalid specs could not be judged; they block like overdue items.
	Invalid spec.Errors `json:"invalid"`
	// workflows and tree are what was read, for a revocation pull request.
	workflows []*spec.Workflow
	tree      source.Tree
}

func (r *sweepResult) blocked() bool { return r.Overdue() > 0 || len(r.Invalid) > 0 }

func runSweep(ctx context.Context, p *program, args []string) error {
	fs := p.flags("sweep", "sweep [flags]", sweepExamples)
	repo := fs.String("repo", ".", "git repository to sweep")
	rev := fs.String("head", "HEAD", "revision (branch, tag, SHA) to sweep; a directory is swept too, but without history the age of static credentials is unknown")
	withinFlag := fs.String("within", "168h", "also list grants expiring and credentials due for rotation within this long: hours or days, e.g. 168h or 7d")
	format := fs.String("format", "text", "output format: "+strings.Join(sweepFormats, ", "))
	outFile := fs.String("output", "", "write the report to this file instead of standard output")
	nowFlag := fs.String("now", "", "judge as of this RFC 3339 time instead of the clock (for tests and audits)")
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
	if !slices.Contains(sweepFormats, *format) {
		return usageErrorf("--format: unknown format %q: use one of %s", *format, strings.Join(sweepFormats, ", "))
	}
	now, err := p.clock(*nowFlag)
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

	w := p.stdout
	if *outFile != "" {
		f, err := os.Create(*outFile)
		if err != nil {
			return usageErrorf("--output: %v", err)
		}
		defer f.Close()
		w = f
	}
	if err := renderSweep(w, *format, res); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if *outFile != "" {
		fmt.Fprintf(p.stderr, "nhigate: sweep: %d overdue: wrote %s\n", res.Overdue(), *outFile)
	}
	if *openPR {
		if err := openRevocation(ctx, p, gh, *base, res); err != nil {
			return err
		}
	}
	if res.blocked() {
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
		Report:    lifecycle.Sweep(loaded.Workflows, lastChanged, now, within),
		Revision:  tree.String(),
		Within:    shortDuration(within),
		Files:     review.SpecFiles(loaded),
		Invalid:   loaded.Errors,
		workflows: loaded.Workflows,
		tree:      tree,
	}, nil
}

func renderSweep(w io.Writer, format string, r *sweepResult) error {
	switch format {
	case "json":
		return output.WriteJSON(w, struct {
			SchemaVersion int `json:"schemaVersion"`
			*sweepResult
			OverdueCount int `json:"overdue"`
		}{1, r, r.Overdue()})
	case "markdown":
		return sweepMarkdown(w, r)
	}
	var buf bytes.Buffer
	if err := sweepText(&buf, r); err != nil {
		return err
	}
	_, err := io.WriteString(w, output.SafeText(buf.String()))
	return err
}

func (r *sweepResult) headline() string {
	soon := len(r.Items) - r.Overdue()
	parts := []string{fmt.Sprintf("%d overdue", r.Overdue()), fmt.Sprintf("%d due soon", soon)}
	if len(r.Invalid) > 0 {
		parts = append(parts, fmt.Sprintf("%d unreadable", len(r.Invalid)))
	}
	parts = append(parts, fmt.Sprintf("%d spec files swept", r.Files))
	return strings.Join(parts, " · ")
}

func (r *sweepResult) verdict() string {
	switch {
	case r.blocked():
		return "ACTION NEEDED"
	case len(r.Items) > 0:
		return "OK, with deadlines ahead"
	}
	return "OK"
}

func sweepWhen(it lifecycle.Item) string {
	if it.When.IsZero() {
		return "-"
	}
	return it.When.UTC().Format(time.RFC3339)
}

func sweepStatus(it lifecycle.Item) string {
	if it.Overdue {
		return "overdue"
	}
	return "soon"
}

func sweepText(w io.Writer, r *sweepResult) error {
	ew := &output.ErrWriter{W: w}
	fmt.Fprintf(ew, "nhigate sweep: %s as of %s, looking %s ahead\n", r.Revision, r.Now.UTC().Format(time.RFC3339), r.Within)
	fmt.Fprintf(ew, "%s: %s\n", r.verdict(), r.headline())
	if len(r.Items) > 0 {
		fmt.Fprintln(ew)
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		for _, it := range r.Items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s:%d\t%s\n", sweepStatus(it), it.Kind, it.Identity, it.File, it.Line, sweepWhen(it))
			fmt.Fprintf(tw, "\t→ %s\n", it.Action)
		}
		tw.Flush()
	}
	for _, e := range r.Invalid {
		fmt.Fprintf(ew, "\nunreadable %s\n  → fix the spec: a sweep cannot judge what it cannot read\n", e)
	}
	return ew.Err
}

func sweepMarkdown(w io.Writer, r *sweepResult) error {
	ew := &output.ErrWriter{W: w}
	fmt.Fprintf(ew, "## nhigate sweep: %s\n\n%s, as of `%s`, looking %s ahead at `%s`.\n", r.verdict(), r.headline(),
		r.Now.UTC().Format(time.RFC3339), r.Within, r.Revision)
	if len(r.Items) > 0 {
		fmt.Fprint(ew, "\n| | finding | identity | where | when | what to do |\n|---|---|---|---|---|---|\n")
		for _, it := range r.Items {
			fmt.Fprintf(ew, "| %s | `%s` | %s | %s | %s | %s |\n", sweepStatus(it), it.Kind, output.Code(it.Identity),
				output.Code(fmt.Sprintf("%s:%d", it.File, it.Line)), sweepWhen(it), output.Escape(it.Action))
		}
	}
	if len(r.Invalid) > 0 {
		fmt.Fprint(ew, "\n### Unreadable specs\n\n")
		for _, e := range r.Invalid {
			fmt.Fprintf(ew, "- %s\n", output.Code(e.Error()))
		}
	}
	return ew.Err
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
		return printChange(p.stderr, change)
	}
	change.Owner, change.Repo = t.owner, t.repo
	opened, err := t.client.OpenChange(ctx, change)
	if err != nil {
		return err
	}
	fmt.Fprintf(p.stderr, "nhigate: sweep: opened revocation pull request #%d: %s\n", opened.Number, opened.URL)
	return nil
}

// printChange shows a revocation pull request that --dry-run did not open.
func printChange(w io.Writer, c ghapi.Change) error {
	fmt.Fprintf(w, "nhigate: sweep: --dry-run: would open a pull request from %s onto %s (at %s):\n", c.Branch, orDefault(c.Base), short(c.BaseSHA))
	fmt.Fprintf(w, "title: %s\nlabels: %s\nfiles:\n", c.Title, strings.Join(c.Labels, ", "))
	for _, path := range slices.Sorted(maps.Keys(c.Files)) {
		if c.Files[path] == nil {
			fmt.Fprintf(w, "  delete %s\n", path)
		} else {
			fmt.Fprintf(w, "  rewrite %s\n", path)
		}
	}
	_, err := fmt.Fprintf(w, "body:\n%s", c.Body)
	return err
}

func orDefault(branch string) string {
	if branch == "" {
		return "the default branch"
	}
	return branch
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
		Body:    revocationBody(res, rv),
		Labels:  []string{"nhigate:revocation"},
	}
}

func revocationBody(res *sweepResult, rv *lifecycle.Revocation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "nhigate sweep found access that has ended, as of `%s` at `%s`. This pull request only removes access, so the diff rates it low risk.\n\n",
		res.Now.UTC().Format(time.RFC3339), res.Revision)
	b.WriteString("| finding | identity | where | expired | |\n|---|---|---|---|---|\n")
	for _, it := range rv.Removed {
		what := "spec file removed"
		if it.Kind == lifecycle.ExceptionExpired {
			what = "exception to " + output.Code(it.Rule) + " removed"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", it.Kind, output.Code(it.Identity),
			output.Code(fmt.Sprintf("%s:%d", it.File, it.Line)), sweepWhen(it), what)
	}
	if len(rv.Manual) > 0 {
		b.WriteString("\n**Left for a person** (not in this pull request):\n\n")
		for _, m := range rv.Manual {
			fmt.Fprintf(&b, "- %s\n", output.Escape(m))
		}
	}
	b.WriteString("\nMerging revokes the grants at the next deploy; the deployer's `nhigate verify` already refuses expired specs.\n")
	return b.String()
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

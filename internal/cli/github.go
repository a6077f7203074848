package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/secret"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/reviewer"
)

// maxEventSize bounds the event payload GitHub writes for the job.
const maxEventSize = 25 << 20

// maxStepSummary keeps the job summary under GitHub's 1 MiB limit, with
// room for other steps' summaries.
const maxStepSummary = 512 << 10

// defaultStatusContext names nhigate's commit status for a review
// against the repository's default branch.
const defaultStatusContext = "nhigate/review"

// maxContextBase bounds the base branch name in a status context; a longer
// one is cut and told apart by a hash of the whole name.
const maxContextBase = 80

// statusContext names nhigate's commit status for the event's review. A
// status belongs to a commit, not to a pull request, and the same head can
// be proposed to several branches, each judged by its own base's rules,
// which the author chooses: a pass against a branch the author pushed must
// never read as a pass against the default branch. Only a review against
// the default branch sets "nhigate/review", the context its branch
// protection requires; a review against any other base names that base,
// as in "nhigate/review (base: weak)", so it satisfies only a protection
// that asks for that base's review.
func statusContext(ev *ghapi.Event) string {
	if ev.BaseRef == ev.DefaultBranch {
		return defaultStatusContext
	}
	base := ev.BaseRef
	if r := []rune(base); len(r) > maxContextBase {
		sum := sha256.Sum256([]byte(base))
		base = string(r[:maxContextBase-10]) + "…" + hex.EncodeToString(sum[:])[:8]
	}
	return fmt.Sprintf("%s (base: %s)", defaultStatusContext, base)
}

// githubRun is a review of the pull request of a GitHub Actions event.
type githubRun struct {
	event        *ghapi.Event
	client       *ghapi.Client
	stepSummary  string // file to append the Markdown report to
	outputFile   string // file to write step outputs to
	runURL       string
	owner, repo  string
	mergeQueue   bool
	readOnlyFork bool
	// repoDir is the clone the revisions are read from.
	repoDir string
	// checkoutSHA is GITHUB_SHA when GITHUB_REF is the pull request's
	// refs/pull/N/merge: the merge commit actions/checkout checked out.
	checkoutSHA string
	// context names the commit status; see statusContext.
	context string
	// commentAuthor is the login the token posts as: only its comment
	// holding the marker is nhigate's.
	commentAuthor string
}

// githubEvent reads the Actions environment and the event, and fills in
// the revisions the event names unless flags named them.
func (p *program) githubEvent(rev *revisionFlags) (*githubRun, error) {
	path, name := p.env["GITHUB_EVENT_PATH"], p.env["GITHUB_EVENT_NAME"]
	if path == "" || name == "" {
		return nil, usageErrorf("--github needs GITHUB_EVENT_NAME and GITHUB_EVENT_PATH, which GitHub Actions sets; outside Actions, use --base and --head")
	}
	payload, err := readBounded(path, maxEventSize)
	if err != nil {
		return nil, usageErrorf("read the event payload: %v", err)
	}
	ev, err := ghapi.ParseEvent(name, payload)
	if err != nil {
		return nil, usageErrorf("GitHub event: %v", err)
	}
	client, err := p.githubClient("GITHUB_TOKEN is not set; pass the workflow's token to the step, e.g. env: GITHUB_TOKEN: ${{ github.token }}")
	if err != nil {
		return nil, err
	}
	author := ghapi.DefaultCommentAuthor
	if a := p.env["NHIGATE_COMMENT_AUTHOR"]; a != "" {
		author = a // checked by begin, once a failure can be recorded
	}
	if rev.base == "" {
		rev.base = ev.BaseSHA
	}
	if rev.head == "" {
		rev.head = ev.HeadSHA
	}
	run := &githubRun{
		event: ev, client: client, owner: ev.Owner, repo: ev.Repo,
		stepSummary: p.env["GITHUB_STEP_SUMMARY"], outputFile: p.env["GITHUB_OUTPUT"],
		mergeQueue: ev.Number == 0,
		// A pull request from a fork runs with a read-only token: it can
		// read reviews but not comment or set a status.
		readOnlyFork:  ev.Fork,
		repoDir:       rev.repo,
		context:       statusContext(ev),
		commentAuthor: author,
	}
	if sha := p.env["GITHUB_SHA"]; ev.Number > 0 && p.env["GITHUB_REF"] == fmt.Sprintf("refs/pull/%d/merge", ev.Number) && isSHA(sha) {
		run.checkoutSHA = sha
	}
	if server, id := p.env["GITHUB_SERVER_URL"], p.env["GITHUB_RUN_ID"]; server != "" && id != "" {
		run.runURL = fmt.Sprintf("%s/%s/%s/actions/runs/%s", server, ev.Owner, ev.Repo, id)
	}
	return run, nil
}

// githubClient is the one way commands reach GitHub: the token from
// GITHUB_TOKEN, the API from GITHUB_API_URL (GitHub Enterprise Server).
// missing is the usage error to give when there is no token.
func (p *program) githubClient(missing string) (*ghapi.Client, error) {
	token := p.env["GITHUB_TOKEN"]
	if token == "" {
		return nil, usageErrorf("%s", missing)
	}
	client, err := ghapi.New(ghapi.Options{Token: token, BaseURL: p.env["GITHUB_API_URL"]})
	if err != nil {
		return nil, usageErrorf("GitHub client: %v", err)
	}
	return client, nil
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is over %d bytes", path, limit)
	}
	return data, nil
}

// approvals adds the approval state to the review. CODEOWNERS comes from
// the base revision, like the policies and the config.
func (g *githubRun) approvals(ctx context.Context, prep *review.Prepared) error {
	in := prep.Input
	if g.mergeQueue {
		// A merge group has no pull request of its own: each pull request
		// in it passed this gate, approvals included, before it could join
		// the queue. The diff and the policies are judged again here.
		in.Mode = reviewer.MergeQueue
		return nil
	}
	return pullApprovals(ctx, pullRef{g.client, g.owner, g.repo, g.event.Number, g.event.HeadSHA}, prep)
}

// pullRef names a pull request and the head commit its approvals count on.
type pullRef struct {
	client      *ghapi.Client
	owner, repo string
	number      int
	head        string
}

// pullApprovals adds to the prepared review the approvals of the pull
// request, counted on its head commit, after checking that git shows every
// file GitHub says it changes. review asks it of the event's pull request,
// attest of the pull request merged as the commit it signs.
func pullApprovals(ctx context.Context, pr pullRef, prep *review.Prepared) error {
	prep.Input.Mode = reviewer.GitHub
	if err := crossCheck(ctx, pr, prep.Changed); err != nil {
		return err
	}
	rules, err := prep.ApprovalRules()
	if err != nil {
		return err
	}
	rules.Head = pr.head
	reqs, err := reviewer.Approvals(ctx, pr.client.PullRequest(pr.owner, pr.repo, pr.number), rules)
	if err != nil {
		return fmt.Errorf("check approvals of pull request #%d: %w", pr.number, err)
	}
	prep.Input.Approvals = reqs
	return nil
}

// mergeResult runs the policies on the merge result of the pull request,
// the refs/pull/N/merge commit: merging deploys it, not the head. A head
// that passes on its own can fail there, when the base branch changed the
// same spec meanwhile (moved it to production, say) and git merged both
// cleanly. The specs judged are those the merge changes on the base
// branch; the policies and the config are still base's. A merge queue's
// head is itself the merge result, so there is nothing more to check.
func (g *githubRun) mergeResult(ctx context.Context, prep *review.Prepared, now time.Time) error {
	if g.mergeQueue {
		return nil
	}
	merged, first, sha, err := g.mergeCommit()
	if err != nil {
		return err
	}
	changed, err := source.Changed(ctx, first, merged)
	if err != nil {
		return fmt.Errorf("diff the merge result %s with its base: %w", short(sha), err)
	}
	mergedSpecs, err := source.LoadSpecs(merged, changed, prep.Config)
	if err != nil {
		return fmt.Errorf("read the merge result %s: %w", short(sha), err)
	}
	firstSpecs, err := source.LoadSpecs(first, changed, prep.Config)
	if err != nil {
		return fmt.Errorf("read the base of the merge result %s: %w", short(sha), err)
	}
	var findings []reviewer.Finding
	if len(mergedSpecs.Workflows) > 0 {
		if findings, _, err = review.Evaluate(ctx, prep.Base, prep.Config, mergedSpecs.Workflows, now); err != nil {
			return fmt.Errorf("check the merge result %s: %w", short(sha), err)
		}
	}
	prep.Input.Merge = &reviewer.MergeInput{
		Commit: sha, Base: g.event.BaseRef,
		Findings: findings, Invalid: mergedSpecs.Errors,
		Specs: mergedSpecs.Workflows, BaseSpecs: firstSpecs.Workflows,
	}
	return nil
}

// mergeCommit finds the merge result in the clone: the event's
// merge_commit_sha, else the merge commit actions/checkout checked out.
// It must merge the head the review judged; anything else fails closed,
// saying how to fetch the right one.
func (g *githubRun) mergeCommit() (merged, first source.Tree, sha string, err error) {
	ref := fmt.Sprintf("refs/pull/%d/merge", g.event.Number)
	fetch := fmt.Sprintf("fetch it with \"git fetch origin %s\" (actions/checkout on pull_request checks it out; keep its default ref)", ref)
	var candidates []string
	for _, c := range []string{g.event.MergeSHA, g.checkoutSHA} {
		if c != "" && !slices.ContainsFunc(candidates, func(s string) bool { return strings.EqualFold(s, c) }) {
			candidates = append(candidates, c)
		}
	}
	if len(candidates) == 0 {
		return nil, nil, "", fmt.Errorf("pull request #%d: the event names no merge result (pull_request.merge_commit_sha is empty, and GITHUB_REF is not %s): GitHub has not computed the merge yet, or the pull request conflicts with %s. nhigate judges what merging deploys, so nothing passes: resolve any conflict, or run the job again", g.event.Number, ref, g.event.BaseRef)
	}
	var problems []string
	for _, c := range candidates {
		t, err := source.Open(g.repoDir, c)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s is not in the clone", short(c)))
			continue
		}
		second, err := source.Open(g.repoDir, c+"^2")
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s is not a merge of two commits", short(c)))
			continue
		}
		if h, _ := source.Commit(second); !strings.EqualFold(h, g.event.HeadSHA) {
			problems = append(problems, fmt.Sprintf("%s merges %s, not the head %s", short(c), short(h), short(g.event.HeadSHA)))
			continue
		}
		parent, err := source.Open(g.repoDir, c+"^1")
		if err != nil {
			problems = append(problems, fmt.Sprintf("the base side of %s is not in the clone", short(c)))
			continue
		}
		return t, parent, c, nil
	}
	return nil, nil, "", fmt.Errorf("pull request #%d: cannot read its merge result with %s (%s): %s", g.event.Number, g.event.BaseRef, strings.Join(problems, "; "), fetch)
}

// isSHA reports whether s is a full hex commit SHA, not a revision
// expression that git would evaluate.
func isSHA(s string) bool {
	return (len(s) == 40 || len(s) == 64) && strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}

// crossCheck compares git's list of changed files, which the review reads,
// with GitHub's. A file GitHub lists that git does not show means the
// clone lacks history, and the review would judge less than the pull
// request changes.
func crossCheck(ctx context.Context, pr pullRef, changed []string) error {
	files, err := pr.client.ListFiles(ctx, pr.owner, pr.repo, pr.number)
	var truncated *ghapi.TruncatedError
	switch {
	case errors.As(err, &truncated):
		return nil // over GitHub's 3,000-file limit: git's list is the only whole one
	case err != nil:
		return fmt.Errorf("list the files of pull request #%d: %w", pr.number, err)
	}
	inGit := map[string]bool{}
	for _, p := range changed {
		inGit[p] = true
	}
	var missing []string
	for _, f := range files {
		if !inGit[f] {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("GitHub lists %d changed files that git does not show between the event's commits, e.g. %s: check out the full history (actions/checkout with fetch-depth: 0)", len(missing), missing[0])
	}
	return nil
}

// publish puts the report where reviewers and the workflow see it: the
// sticky comment, the commit status, the job summary, annotations and the
// step outputs. reportFile is where the main report goes ("" = stdout).
func (g *githubRun) publish(ctx context.Context, p *program, rep *reviewer.Report, reportFile string) error {
	comment := output.Markdown{}.String(rep)
	if g.stepSummary != "" {
		// The job summary holds up to 1 MiB, so it keeps the detail a large
		// comment has to summarise.
		summary := output.Markdown{Limit: maxStepSummary}.String(rep)
		if err := appendFile(g.stepSummary, summary+"\n"); err != nil {
			return fmt.Errorf("write the job summary: %w", err)
		}
	}
	if reportFile != "" {
		// Annotations are workflow commands on standard output; when the
		// report itself goes there, they would corrupt it.
		if err := (output.GitHub{}).Render(p.stdout, rep); err != nil {
			return err
		}
	}
	switch {
	case g.mergeQueue:
		fmt.Fprintln(p.stderr, "nhigate: merge group: approvals were enforced on each pull request; no comment")
	case g.readOnlyFork:
		fmt.Fprintln(p.stderr, "nhigate: pull request from a fork: the token is read-only, so there is no comment or status; the job summary and the exit code carry the result")
	default:
		if err := g.comment(ctx, p, comment); err != nil {
			return err
		}
	}
	if !g.readOnlyFork {
		state, desc := ghapi.StatusSuccess, "pass"
		if rep.Verdict != reviewer.Pass {
			state, desc = ghapi.StatusFailure, "blocked: "+strings.Join(rep.Reasons, "; ")
		}
		if err := g.setStatus(ctx, state, desc); err != nil {
			return err
		}
	}
	if g.outputFile != "" {
		var b bytes.Buffer
		fmt.Fprintf(&b, "verdict=%s\n", rep.Verdict)
		if reportFile != "" {
			fmt.Fprintf(&b, "report-path=%s\n", strings.ReplaceAll(reportFile, "\n", ""))
		}
		if err := appendFile(g.outputFile, b.String()); err != nil {
			return fmt.Errorf("write the step outputs: %w", err)
		}
	}
	return nil
}

// comment writes body as nhigate's sticky comment on the pull request.
func (g *githubRun) comment(ctx context.Context, p *program, body string) error {
	up, err := g.client.UpsertComment(ctx, g.owner, g.repo, g.event.Number, output.Marker, g.commentAuthor, body)
	if err != nil {
		return fmt.Errorf("write the pull request comment: %w", err)
	}
	verb := "updated"
	if up.Created {
		verb = "created"
	}
	fmt.Fprintf(p.stderr, "nhigate: %s the comment on pull request #%d\n", verb, g.event.Number)
	if up.Created && up.Author != "" && !strings.EqualFold(up.Author, g.commentAuthor) {
		// Only a comment by commentAuthor is found again: the next run
		// would post another one.
		fmt.Fprintf(p.stderr, "nhigate: the token posts as %s, not %s: set NHIGATE_COMMENT_AUTHOR=%s (the action's comment-author input) so that later runs update this comment\n",
			up.Author, g.commentAuthor, up.Author)
	}
	return nil
}

// setStatus sets nhigate's commit status on the head commit.
func (g *githubRun) setStatus(ctx context.Context, state, desc string) error {
	// The description is plain text on the pull request: masked, on one
	// line.
	desc = strings.Join(strings.Fields(secret.Mask(desc)), " ")
	if err := g.client.SetStatus(ctx, g.owner, g.repo, g.event.HeadSHA, state, g.context, desc, g.runURL); err != nil {
		return fmt.Errorf("set the %s status: %w", g.context, err)
	}
	return nil
}

// begin marks the head commit as under review before any work that can
// fail, so that no earlier verdict on it stands while this run judges it,
// nor after this run failed. Marking is best effort: a run whose status
// cannot be set says so and goes on, and its verdict or its failure is
// written at the end. Then it checks the rest of the run's settings.
func (g *githubRun) begin(ctx context.Context, p *program) error {
	if !g.readOnlyFork {
		if err := g.setStatus(ctx, ghapi.StatusPending, "nhigate is reviewing the change against "+g.event.BaseRef); err != nil {
			fmt.Fprintf(p.stderr, "nhigate: could not mark the review as pending: %v\n", err)
		}
	}
	if !ghapi.ValidLogin(g.commentAuthor) {
		return usageErrorf("NHIGATE_COMMENT_AUTHOR %q is not a GitHub login: name the account the token posts as, e.g. github-actions[bot] for the workflow's token or my-app[bot] for a GitHub App", g.commentAuthor)
	}
	return nil
}

// failTimeout bounds what failed does, which may run after the run's own
// context was cancelled.
const failTimeout = 30 * time.Second

// failed records that a run failed with err (exit 2 or 3): the status
// becomes error, and the sticky comment says that the last run failed, so
// that an earlier verdict never outlives a run that could not judge the
// head. The texts are fixed, never the error's, which the job log shows:
// nothing from the pull request reaches the comment unescaped. A failure
// here is reported and never replaces err.
func (g *githubRun) failed(ctx context.Context, p *program, err error) {
	code := ExitCode(err)
	if code < ExitUsage || g.readOnlyFork {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), failTimeout)
	defer cancel()
	what := "an internal error"
	if code == ExitUsage {
		what = "a usage or configuration error"
	}
	desc := fmt.Sprintf("the review failed with %s (exit %d); see the job log", what, code)
	if serr := g.setStatus(ctx, ghapi.StatusError, desc); serr != nil {
		fmt.Fprintf(p.stderr, "nhigate: could not set the error status after the run failed: %v\n", serr)
	} else {
		fmt.Fprintf(p.stderr, "nhigate: set the %s status to error\n", g.context)
	}
	if g.mergeQueue {
		return
	}
	body := fmt.Sprintf("%s\n## ⚠️ nhigate: the last run failed\n\n"+
		"The review of %s failed with %s (exit %d), so nothing passes: "+
		"nhigate's commit status is `error`, and an earlier verdict on this pull request no longer stands. "+
		"The job log says why; fix that, or run the job again.\n",
		output.Marker, short(g.event.HeadSHA), what, code)
	if cerr := g.comment(ctx, p, body); cerr != nil {
		fmt.Fprintf(p.stderr, "nhigate: could not say in the comment that the run failed: %v\n", cerr)
	}
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

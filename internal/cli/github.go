package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/secret"
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
	// adapter is how the review reaches GitHub.
	adapter review.GitHub
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
		context:       statusContext(ev),
		commentAuthor: author,
	}
	// GITHUB_SHA is the merge commit actions/checkout checked out when
	// GITHUB_REF is the pull request's refs/pull/N/merge.
	checkoutSHA := ""
	if sha := p.env["GITHUB_SHA"]; ev.Number > 0 && p.env["GITHUB_REF"] == fmt.Sprintf("refs/pull/%d/merge", ev.Number) && isSHA(sha) {
		checkoutSHA = sha
	}
	run.adapter = review.NewGitHub(client, ev.Owner, ev.Repo, ev, checkoutSHA)
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

// isSHA reports whether s is a full hex commit SHA, not a revision
// expression that git would evaluate.
func isSHA(s string) bool {
	return (len(s) == 40 || len(s) == 64) && strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
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

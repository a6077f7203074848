// Package publish holds the flows that end on GitHub. A review's result
// goes where people and workflows see it: the sticky comment, the commit
// status, the job summary, annotations and step outputs (Review). propose
// stamps, judges and opens generated specs as pull requests (Propose), and
// sweep judges a revision and opens the revocation pull request (Sweep,
// Revoke), and attest signs the specs of a passing review and uploads the
// bundles (Attest). The command line only reads the flags and the Actions
// environment into the types here.
package publish

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

// maxStepSummary keeps the job summary under GitHub's 1 MiB limit, with
// room for other steps' summaries.
const maxStepSummary = 512 << 10

// defaultStatusContext names nhigate's commit status for a review
// against the repository's default branch.
const defaultStatusContext = "nhigate/review"

// maxContextBase bounds the base branch name in a status context; a longer
// one is cut and told apart by a hash of the whole name.
const maxContextBase = 80

// failTimeout bounds what Failed does, which may run after the run's own
// context was cancelled.
const failTimeout = 30 * time.Second

// exitUsage is the lowest exit code of a run that failed rather than
// decided: 2 usage or configuration, 3 internal.
const exitUsage = 2

// Env is what the GitHub Actions environment says about a review's run.
type Env struct {
	// StepSummary is the file to append the Markdown report to
	// (GITHUB_STEP_SUMMARY); Output the file to write step outputs to
	// (GITHUB_OUTPUT). Empty: none.
	StepSummary, Output string
	// ServerURL and RunID (GITHUB_SERVER_URL, GITHUB_RUN_ID) make the
	// link from the commit status to the run.
	ServerURL, RunID string
	// Ref and SHA are GITHUB_REF and GITHUB_SHA: what actions/checkout
	// checked out.
	Ref, SHA string
	// CommentAuthor is the login the token posts as
	// (NHIGATE_COMMENT_AUTHOR); empty means ghapi.DefaultCommentAuthor.
	CommentAuthor string
}

// Review is the GitHub side of reviewing the pull request, or the merge
// group, of a GitHub Actions event.
type Review struct {
	event   *ghapi.Event
	client  *ghapi.Client
	env     Env
	log     io.Writer
	adapter review.GitHub
	runURL  string
	// context names the commit status; see statusContext.
	context string
	// commentAuthor is the login the token posts as: only its comment
	// holding the marker is nhigate's.
	commentAuthor string
	mergeQueue    bool
	// A pull request from a fork runs with a read-only token: it can read
	// reviews but not comment or set a status.
	readOnlyFork bool
}

// NewReview is the review of ev's pull request through client; log is
// where it says what it did (standard error).
func NewReview(client *ghapi.Client, ev *ghapi.Event, env Env, log io.Writer) *Review {
	r := &Review{
		event: ev, client: client, env: env, log: log,
		context:       statusContext(ev),
		commentAuthor: ghapi.DefaultCommentAuthor,
		mergeQueue:    ev.Number == 0,
		readOnlyFork:  ev.Fork,
	}
	if env.CommentAuthor != "" {
		r.commentAuthor = env.CommentAuthor // checked by Begin, once a failure can be recorded
	}
	// GITHUB_SHA is the merge commit actions/checkout checked out when
	// GITHUB_REF is the pull request's refs/pull/N/merge.
	checkoutSHA := ""
	if ev.Number > 0 && env.Ref == fmt.Sprintf("refs/pull/%d/merge", ev.Number) && isSHA(env.SHA) {
		checkoutSHA = env.SHA
	}
	r.adapter = review.NewGitHub(client, ev.Owner, ev.Repo, ev, checkoutSHA)
	if env.ServerURL != "" && env.RunID != "" {
		r.runURL = fmt.Sprintf("%s/%s/%s/actions/runs/%s", env.ServerURL, ev.Owner, ev.Repo, env.RunID)
	}
	return r
}

// GitHub is the adapter review.Run asks about the pull request.
func (r *Review) GitHub() review.GitHub { return r.adapter }

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

// isSHA reports whether s is a full hex commit SHA, not a revision
// expression that git would evaluate.
func isSHA(s string) bool {
	return (len(s) == 40 || len(s) == 64) && strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}

// Begin marks the head commit as under review before any work that can
// fail, so that no earlier verdict on it stands while this run judges it,
// nor after this run failed. Marking is best effort: a run whose status
// cannot be set says so and goes on, and its verdict or its failure is
// written at the end. Then it checks the rest of the run's settings: a
// comment author that is no GitHub login is a review.UsageError.
func (r *Review) Begin(ctx context.Context) error {
	if !r.readOnlyFork {
		if err := r.setStatus(ctx, ghapi.StatusPending, "nhigate is reviewing the change against "+r.event.BaseRef); err != nil {
			fmt.Fprintf(r.log, "nhigate: could not mark the review as pending: %v\n", err)
		}
	}
	if !ghapi.ValidLogin(r.commentAuthor) {
		return &review.UsageError{Err: fmt.Errorf("NHIGATE_COMMENT_AUTHOR %q is not a GitHub login: name the account the token posts as, e.g. github-actions[bot] for the workflow's token or my-app[bot] for a GitHub App", r.commentAuthor)}
	}
	return nil
}

// Publish puts the report where reviewers and the workflow see it: the
// sticky comment, the commit status, the job summary, annotations on
// stdout and the step outputs. reportFile is where the main report went;
// "" means stdout, which then carries no annotations.
func (r *Review) Publish(ctx context.Context, rep *reviewer.Report, reportFile string, stdout io.Writer) error {
	comment := output.Markdown{}.String(rep)
	if r.env.StepSummary != "" {
		// The job summary holds up to 1 MiB, so it keeps the detail a large
		// comment has to summarise.
		summary := output.Markdown{Limit: maxStepSummary}.String(rep)
		if err := appendFile(r.env.StepSummary, summary+"\n"); err != nil {
			return fmt.Errorf("write the job summary: %w", err)
		}
	}
	if reportFile != "" {
		// Annotations are workflow commands on standard output; when the
		// report itself goes there, they would corrupt it.
		if err := (output.GitHub{}).Render(stdout, rep); err != nil {
			return err
		}
	}
	switch {
	case r.mergeQueue:
		fmt.Fprintln(r.log, "nhigate: merge group: approvals were enforced on each pull request; no comment")
	case r.readOnlyFork:
		fmt.Fprintln(r.log, "nhigate: pull request from a fork: the token is read-only, so there is no comment or status; the job summary and the exit code carry the result")
	default:
		if err := r.comment(ctx, comment); err != nil {
			return err
		}
	}
	if !r.readOnlyFork {
		state, desc := ghapi.StatusSuccess, "pass"
		if rep.Verdict != reviewer.Pass {
			state, desc = ghapi.StatusFailure, "blocked: "+strings.Join(rep.Reasons, "; ")
		}
		if err := r.setStatus(ctx, state, desc); err != nil {
			return err
		}
	}
	if r.env.Output != "" {
		var b bytes.Buffer
		fmt.Fprintf(&b, "verdict=%s\n", rep.Verdict)
		if reportFile != "" {
			fmt.Fprintf(&b, "report-path=%s\n", strings.ReplaceAll(reportFile, "\n", ""))
		}
		if err := appendFile(r.env.Output, b.String()); err != nil {
			return fmt.Errorf("write the step outputs: %w", err)
		}
	}
	return nil
}

// Failed records that the run failed with exit code (2 usage or
// configuration, 3 internal; below 2 is no failure): the status becomes
// error, and the sticky comment says that the last run failed, so that an
// earlier verdict never outlives a run that could not judge the head. The
// texts are fixed, never the error's, which the job log shows: nothing
// from the pull request reaches the comment unescaped. A failure here is
// reported on the log, never returned: the run's own error stands.
func (r *Review) Failed(ctx context.Context, code int) {
	if code < exitUsage || r.readOnlyFork {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), failTimeout)
	defer cancel()
	desc := fmt.Sprintf("the review failed with %s (exit %d); see the job log", output.FailureKind(code), code)
	if err := r.setStatus(ctx, ghapi.StatusError, desc); err != nil {
		fmt.Fprintf(r.log, "nhigate: could not set the error status after the run failed: %v\n", err)
	} else {
		fmt.Fprintf(r.log, "nhigate: set the %s status to error\n", r.context)
	}
	if r.mergeQueue {
		return
	}
	if err := r.comment(ctx, output.FailedComment(r.event.HeadSHA, code)); err != nil {
		fmt.Fprintf(r.log, "nhigate: could not say in the comment that the run failed: %v\n", err)
	}
}

// comment writes body as nhigate's sticky comment on the pull request.
func (r *Review) comment(ctx context.Context, body string) error {
	up, err := r.client.UpsertComment(ctx, r.event.Owner, r.event.Repo, r.event.Number, output.Marker, r.commentAuthor, body)
	if err != nil {
		return fmt.Errorf("write the pull request comment: %w", err)
	}
	verb := "updated"
	if up.Created {
		verb = "created"
	}
	fmt.Fprintf(r.log, "nhigate: %s the comment on pull request #%d\n", verb, r.event.Number)
	if up.Created && up.Author != "" && !strings.EqualFold(up.Author, r.commentAuthor) {
		// Only a comment by commentAuthor is found again: the next run
		// would post another one.
		fmt.Fprintf(r.log, "nhigate: the token posts as %s, not %s: set NHIGATE_COMMENT_AUTHOR=%s (the action's comment-author input) so that later runs update this comment\n",
			up.Author, r.commentAuthor, up.Author)
	}
	return nil
}

// setStatus sets nhigate's commit status on the head commit.
func (r *Review) setStatus(ctx context.Context, state, desc string) error {
	// The description is plain text on the pull request: masked, on one
	// line.
	desc = strings.Join(strings.Fields(secret.Mask(desc)), " ")
	if err := r.client.SetStatus(ctx, r.event.Owner, r.event.Repo, r.event.HeadSHA, state, r.context, desc, r.runURL); err != nil {
		return fmt.Errorf("set the %s status: %w", r.context, err)
	}
	return nil
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

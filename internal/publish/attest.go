package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"

	"github.com/nhigate/nhigate/attest"
	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/spec"
)

// ErrNotSigned is a refused attest (exit 1): the review did not pass, or
// the commit was pushed without a pull request. Attest has said why on
// its Log.
var ErrNotSigned = errors.New("nothing was signed")

// Signer signs a statement into a Sigstore bundle.
type Signer func(context.Context, *intoto.Statement) ([]byte, error)

// AttestRequest names the change whose specs to sign, how, and where the
// bundles go.
type AttestRequest struct {
	// Repo, Base and Head are the review's, as review.Request names them.
	Repo, Base, Head string
	Now              time.Time
	// Client, with Owner and Name, is GitHub mode: Head is a merge commit,
	// judged with the approvals of the pull request merged as it, against
	// its first parent unless Base is set. Nil is local mode, which checks
	// no approvals.
	Client      *ghapi.Client
	Owner, Name string
	// Upload also stores each bundle with the repository's attestations
	// (GitHub mode only).
	Upload bool
	// Repository is OWNER/NAME for the bundles' origin in local mode, as
	// GITHUB_REPOSITORY says; it may be empty.
	Repository string
	Sign       Signer
	// OutDir is where <spec path>.sigstore.json bundles are written.
	OutDir  string
	Version string
	// Out lists what was signed and uploaded; Log says why nothing was.
	Out, Log io.Writer
}

// Attest reviews the change as review.Run does and, when it passes, signs
// each spec file the head changes into a bundle of its exact committed
// bytes. A review that does not pass, and a commit no pull request merged,
// sign nothing: ErrNotSigned, after saying why on Log. Both revisions must
// be commits, so that a bundle names them.
func Attest(ctx context.Context, req AttestRequest) error {
	if req.Upload && req.Client == nil {
		return usageErrorf("--upload stores bundles on GitHub: it needs GitHub mode (--github, or a push event in Actions)")
	}
	rr := review.Request{Repo: req.Repo, Base: req.Base, Head: req.Head, Scope: reviewer.ScopeReview, Now: req.Now}
	if req.Client != nil {
		rr.Mode, rr.GitHub = review.Merged, review.NewGitHub(req.Client, req.Owner, req.Name, nil, "")
	}
	res, err := review.Run(ctx, rr)
	var notMerged *review.NotMergedError
	if errors.As(err, &notMerged) {
		fmt.Fprintf(req.Log, "nhigate: %s: nothing to attest; an admin push is exactly what the gate must not sign\n", notMerged)
		return ErrNotSigned
	}
	if err != nil {
		return err
	}
	prep, rep, merged := res.Prepared, res.Report, res.Pull
	headCommit, ok := source.Commit(prep.HeadTree)
	if !ok {
		return usageErrorf("--head %s is a directory; attest signs git revisions, so that the bundle names the commit", req.Head)
	}
	origin := attest.Origin{Repo: req.Repository, Commit: headCommit, Version: req.Version}
	if req.Client != nil {
		origin.Repo = req.Owner + "/" + req.Name
		origin.PullRequest = attest.PullRequest{Number: merged.Number, URL: merged.URL, Author: merged.Author, MergedBy: merged.MergedBy}
	}
	if rep.Verdict != reviewer.Pass {
		fmt.Fprintf(req.Log, "nhigate: the review of %s does not pass; nothing was signed:\n", rep.Head)
		for _, r := range rep.Reasons {
			fmt.Fprintf(req.Log, "  - %s\n", r)
		}
		if req.Client != nil {
			fmt.Fprintf(req.Log, "Pull request #%d was merged by %s without passing the gate, e.g. by an admin override. Its specs stay unsigned; fix them in a new pull request that passes.\n", merged.Number, merged.MergedBy)
		} else {
			fmt.Fprintf(req.Log, "Run \"nhigate review --base %s --head %s\" for the details.\n", req.Base, req.Head)
		}
		return ErrNotSigned
	}
	baseCommit, ok := source.Commit(prep.Base)
	if !ok {
		return usageErrorf("--base %s is a directory; attest signs git revisions, so that the bundle names the commit", req.Base)
	}
	origin.BaseCommit = baseCommit
	files := attest.Files(prep.Head)
	if len(files) == 0 {
		fmt.Fprintf(req.Log, "nhigate: %s changes no spec; nothing to sign\n", rep.Head)
		return nil
	}
	for _, file := range files {
		out, err := signFile(ctx, prep.HeadTree, file, rep, prep.Head, origin, req.Sign, prep.Config.SpecLimits())
		if err != nil {
			return err
		}
		dest := filepath.Join(req.OutDir, filepath.FromSlash(file)+".sigstore.json")
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return fmt.Errorf("write bundle: %w", err)
		}
		if err := os.WriteFile(dest, out, 0o644); err != nil {
			return fmt.Errorf("write bundle: %w", err)
		}
		fmt.Fprintf(req.Out, "signed %s → %s\n", file, dest)
		if req.Upload {
			id, err := req.Client.UploadAttestation(ctx, req.Owner, req.Name, out)
			if err != nil {
				return fmt.Errorf("upload the bundle of %s: %w", file, err)
			}
			fmt.Fprintf(req.Out, "uploaded %s as attestation %d of %s/%s\n", file, id, req.Owner, req.Name)
		}
	}
	return nil
}

// signFile signs the statement about one file, read again from head so
// that the subject is its exact committed bytes.
func signFile(ctx context.Context, head source.Tree, file string, rep *reviewer.Report, workflows []*spec.Workflow,
	origin attest.Origin, sign Signer, lim spec.Limits) ([]byte, error) {
	content, err := head.ReadFile(file, lim.MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	pred, err := attest.NewPredicate(file, rep, workflows, origin)
	if err != nil {
		return nil, err
	}
	st, err := attest.Statement(file, content, pred)
	if err != nil {
		return nil, err
	}
	return sign(ctx, st)
}

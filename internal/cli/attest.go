package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	sigstoresign "github.com/sigstore/sigstore-go/pkg/sign"

	"github.com/nhigate/nhigate/attest"
	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/spec"
)

const attestExamples = `  # Sign every spec a branch changes, after a passing local review.
  # Approvals are not checked locally, so say so explicitly:
  nhigate attest --key cosign.key --base main --head feature --out-dir attestations/ --allow-unapproved-local

  # The key may be cosign's encrypted format; its password comes from
  # the COSIGN_PASSWORD environment variable.

  # In GitHub Actions, on a push to the default branch (the default mode
  # there): find the pull request merged as $GITHUB_SHA, check its
  # approvals again, and sign keyless with the workflow's identity
  # (needs "permissions: id-token: write")
  nhigate attest --keyless --out-dir attestations/

  # The same, naming the merge commit and signing with a key
  nhigate attest --github --key cosign.key --head "$GITHUB_SHA" --out-dir attestations/
`

// keyPasswordEnv holds the password of an encrypted (cosign) key.
const keyPasswordEnv = "COSIGN_PASSWORD"

// GitHub Actions sets these in a job allowed to request OIDC tokens.
const (
	idTokenURLEnv   = "ACTIONS_ID_TOKEN_REQUEST_URL"
	idTokenTokenEnv = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
)

func runAttest(ctx context.Context, p *program, args []string) error {
	var rev revisionFlags
	fs := p.flags("attest", "attest (--key KEY | --keyless) --out-dir DIR (--github | --base REV --head REV --allow-unapproved-local) [flags]", attestExamples)
	rev.register(fs, true)
	forceGitHub := fs.Bool("github", false, "attest a merge to the default branch: --head (default $GITHUB_SHA) against its first parent, with the approvals of the pull request merged as it (the default in GitHub Actions on a push event)")
	keyFile := fs.String("key", "", "PEM private key to sign with: ECDSA P-256, Ed25519, or cosign's encrypted format (password in $"+keyPasswordEnv+")")
	keyless := fs.Bool("keyless", false, "sign with a short-lived Fulcio certificate for this GitHub Actions job's OIDC identity (needs \"permissions: id-token: write\")")
	fulcioURL := fs.String("fulcio-url", attest.PublicFulcioURL, "with --keyless: the Fulcio certificate authority")
	rekorURL := fs.String("rekor-url", attest.PublicRekorURL, "with --keyless: the Rekor transparency log to record signatures in; empty for none (then --tsa-url is required)")
	tsaURL := fs.String("tsa-url", "", "with --keyless: the full URL of an RFC 3161 timestamp authority, e.g. https://timestamp.sigstore.dev/api/v1/timestamp")
	outDir := fs.String("out-dir", "", "directory to write <spec path>.sigstore.json bundles into")
	nowFlag := fs.String("now", "", nowUsage)
	upload := fs.Bool("upload", false, "also store each bundle with the repository's attestations on GitHub, where \"gh attestation verify\" finds it (GitHub mode; needs \"permissions: attestations: write\")")
	unapproved := fs.Bool("allow-unapproved-local", false, "sign after a local review, which checks no approvals; the bundles say so, and verify refuses them without --accept-unchecked-approvals")
	if err := p.parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q; name the revisions with --base and --head", fs.Arg(0))
	}
	switch {
	case *keyFile == "" && !*keyless:
		return usageErrorf("--key is required, or --keyless in GitHub Actions: how to sign")
	case *keyFile != "" && *keyless:
		return usageErrorf("pass either --key or --keyless, not both")
	case !*keyless && (*tsaURL != "" || *fulcioURL != attest.PublicFulcioURL || *rekorURL != attest.PublicRekorURL):
		return usageErrorf("--fulcio-url, --rekor-url and --tsa-url apply only to --keyless signing")
	case *keyless && *rekorURL == "" && *tsaURL == "":
		return usageErrorf("--keyless needs --rekor-url or --tsa-url (or both): without a log entry or a signed timestamp, the bundle stops verifying when its certificate expires, minutes after signing")
	case *keyless && (p.env[idTokenURLEnv] == "" || p.env[idTokenTokenEnv] == ""):
		return usageErrorf("--keyless runs in a GitHub Actions job with \"permissions: id-token: write\", which sets %s and %s; elsewhere, sign with --key", idTokenURLEnv, idTokenTokenEnv)
	case *outDir == "":
		return usageErrorf("--out-dir is required: the directory to write bundles into")
	case *forceGitHub && *unapproved:
		return usageErrorf("--allow-unapproved-local is for local mode; --github checks the approvals of the merged pull request")
	}
	// Inside Actions, a push is attested against GitHub unless the caller
	// named local mode by its opt-out.
	var gh *pushRun
	if *forceGitHub || !*unapproved && p.env["GITHUB_ACTIONS"] == "true" && p.env["GITHUB_EVENT_NAME"] == "push" {
		var err error
		if gh, err = p.githubPush(&rev); err != nil {
			return err
		}
	}
	switch {
	case gh == nil && *upload:
		return usageErrorf("--upload stores bundles on GitHub: it needs GitHub mode (--github, or a push event in Actions)")
	case gh == nil && (rev.base == "" || rev.head == ""):
		return usageErrorf("both --base and --head are required, e.g. --base main --head feature")
	case gh == nil && !*unapproved:
		return usageErrorf("attest runs locally, where approvals are not checked. To sign anyway, pass --allow-unapproved-local; the bundles record it, and nhigate verify refuses them unless given --accept-unchecked-approvals. In GitHub Actions, attest a push with --github")
	}
	now, err := p.clock(*nowFlag)
	if err != nil {
		return err
	}
	var sign signer
	if *keyless {
		k := attest.Keyless{FulcioURL: *fulcioURL, RekorURL: *rekorURL, TSAURL: *tsaURL}
		sign = func(ctx context.Context, st *intoto.Statement) ([]byte, error) {
			// A token lives for minutes: fetch one for each bundle, just
			// before it is needed.
			tok, err := attest.GitHubIDToken(ctx, &http.Client{Timeout: 30 * time.Second}, p.env[idTokenURLEnv], p.env[idTokenTokenEnv])
			if err != nil {
				return nil, err
			}
			k.IDToken = tok
			return attest.SignKeyless(ctx, st, k)
		}
	} else {
		pemBytes, err := os.ReadFile(*keyFile)
		if err != nil {
			return usageErrorf("--key: %v", err)
		}
		key, err := attest.LoadKey(pemBytes, func() ([]byte, error) {
			pw, ok := p.env[keyPasswordEnv]
			if !ok {
				return nil, fmt.Errorf("the key is encrypted: set %s to its password", keyPasswordEnv)
			}
			return []byte(pw), nil
		})
		if err != nil {
			return usageErrorf("--key %s: %v", *keyFile, err)
		}
		sign = func(ctx context.Context, st *intoto.Statement) ([]byte, error) {
			return attest.Sign(ctx, st, key, sigstoresign.BundleOptions{})
		}
	}

	req := review.Request{Repo: rev.repo, Base: rev.base, Head: rev.head, Scope: reviewer.ScopeReview, Now: now}
	if gh != nil {
		req.Mode, req.GitHub = review.Merged, review.NewGitHub(gh.client, gh.owner, gh.repo, nil, "")
	}
	res, err := review.Run(ctx, req)
	var notMerged *review.NotMergedError
	if errors.As(err, &notMerged) {
		fmt.Fprintf(p.stderr, "nhigate: %s: nothing to attest; an admin push is exactly what the gate must not sign\n", notMerged)
		return errBlocked
	}
	if err != nil {
		return err
	}
	prep, rep, merged := res.Prepared, res.Report, res.Pull
	headCommit, ok := source.Commit(prep.HeadTree)
	if !ok {
		return usageErrorf("--head %s is a directory; attest signs git revisions, so that the bundle names the commit", rev.head)
	}
	origin := attest.Origin{Repo: p.env["GITHUB_REPOSITORY"], Commit: headCommit, Version: version()}
	if gh != nil {
		origin.Repo = gh.owner + "/" + gh.repo
		origin.PullRequest = attest.PullRequest{Number: merged.Number, URL: merged.URL, Author: merged.Author, MergedBy: merged.MergedBy}
	}
	if rep.Verdict != reviewer.Pass {
		fmt.Fprintf(p.stderr, "nhigate: the review of %s does not pass; nothing was signed:\n", rep.Head)
		for _, r := range rep.Reasons {
			fmt.Fprintf(p.stderr, "  - %s\n", r)
		}
		if gh != nil {
			fmt.Fprintf(p.stderr, "Pull request #%d was merged by %s without passing the gate, e.g. by an admin override. Its specs stay unsigned; fix them in a new pull request that passes.\n", merged.Number, merged.MergedBy)
		} else {
			fmt.Fprintf(p.stderr, "Run \"nhigate review --base %s --head %s\" for the details.\n", rev.base, rev.head)
		}
		return errBlocked
	}
	baseCommit, ok := source.Commit(prep.Base)
	if !ok {
		return usageErrorf("--base %s is a directory; attest signs git revisions, so that the bundle names the commit", rev.base)
	}
	origin.BaseCommit = baseCommit
	files := attest.Files(prep.Head)
	if len(files) == 0 {
		fmt.Fprintf(p.stderr, "nhigate: %s changes no spec; nothing to sign\n", rep.Head)
		return nil
	}
	for _, file := range files {
		out, err := signFile(ctx, prep.HeadTree, file, rep, prep.Head, origin, sign, prep.Config.SpecLimits())
		if err != nil {
			return err
		}
		dest := filepath.Join(*outDir, filepath.FromSlash(file)+".sigstore.json")
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return fmt.Errorf("write bundle: %w", err)
		}
		if err := os.WriteFile(dest, out, 0o644); err != nil {
			return fmt.Errorf("write bundle: %w", err)
		}
		fmt.Fprintf(p.stdout, "signed %s → %s\n", file, dest)
		if *upload {
			id, err := gh.client.UploadAttestation(ctx, gh.owner, gh.repo, out)
			if err != nil {
				return fmt.Errorf("upload the bundle of %s: %w", file, err)
			}
			fmt.Fprintf(p.stdout, "uploaded %s as attestation %d of %s/%s\n", file, id, gh.owner, gh.repo)
		}
	}
	return nil
}

// pushRun is the GitHub side of attesting a push: where to find the pull
// request that was merged.
type pushRun struct {
	client      *ghapi.Client
	owner, repo string
}

// githubPush reads the Actions environment of a push, and fills in the
// merge commit unless --head named it.
func (p *program) githubPush(rev *revisionFlags) (*pushRun, error) {
	owner, repo, ok := strings.Cut(p.env["GITHUB_REPOSITORY"], "/")
	if !ok || owner == "" || repo == "" {
		return nil, usageErrorf("--github needs GITHUB_REPOSITORY (OWNER/REPO), which GitHub Actions sets; outside Actions, attest locally with --base, --head and --allow-unapproved-local")
	}
	if rev.head == "" {
		rev.head = p.env["GITHUB_SHA"]
	}
	if rev.head == "" {
		return nil, usageErrorf("--github needs the merge commit: GitHub Actions sets GITHUB_SHA, or pass --head")
	}
	client, err := p.githubClient("GITHUB_TOKEN is not set; pass the workflow's token to the step, e.g. env: GITHUB_TOKEN: ${{ github.token }}")
	if err != nil {
		return nil, err
	}
	return &pushRun{client: client, owner: owner, repo: repo}, nil
}

// signer signs a statement into a bundle.
type signer func(context.Context, *intoto.Statement) ([]byte, error)

// signFile signs the statement about one file, read again from head so
// that the subject is its exact committed bytes.
func signFile(ctx context.Context, head source.Tree, file string, rep *reviewer.Report, workflows []*spec.Workflow,
	origin attest.Origin, sign signer, lim spec.Limits) ([]byte, error) {
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

package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	sigstoresign "github.com/sigstore/sigstore-go/pkg/sign"

	"github.com/nhigate/nhigate/attest"
	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/publish"
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
	var sign publish.Signer
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

	req := publish.AttestRequest{Repo: rev.repo, Base: rev.base, Head: rev.head, Now: now, Upload: *upload,
		Repository: p.env["GITHUB_REPOSITORY"], Sign: sign, OutDir: *outDir, Version: version(), Out: p.stdout, Log: p.stderr}
	if gh != nil {
		req.Client, req.Owner, req.Name = gh.client, gh.owner, gh.repo
	}
	if err := publish.Attest(ctx, req); err != nil {
		if errors.Is(err, publish.ErrNotSigned) {
			return errBlocked // Attest said why
		}
		return err
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

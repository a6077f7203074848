package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sigstore/sigstore-go/pkg/sign"

	"github.com/nhigate/nhigate/attest"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/source"
	"github.com/nhigate/nhigate/spec"
)

const attestExamples = `  # Sign every spec a branch changes, after a passing local review.
  # Approvals are not checked locally, so say so explicitly:
  nhigate attest --key cosign.key --base main --head feature --out attestations/ --allow-unapproved-local

  # The key may be cosign's encrypted format; its password comes from
  # the COSIGN_PASSWORD environment variable.
`

// keyPasswordEnv holds the password of an encrypted (cosign) key.
const keyPasswordEnv = "COSIGN_PASSWORD"

func runAttest(ctx context.Context, p *program, args []string) error {
	var rev revisionFlags
	fs := p.flags("attest", "attest --key KEY --base REV --head REV --out DIR --allow-unapproved-local [flags]", attestExamples)
	rev.register(fs)
	keyFile := fs.String("key", "", "PEM private key to sign with: ECDSA P-256, Ed25519, or cosign's encrypted format (password in $"+keyPasswordEnv+")")
	outDir := fs.String("out", "", "directory to write <spec path>.sigstore.json bundles into")
	nowFlag := fs.String("now", "", "judge expiry as of this RFC 3339 time instead of the clock (for tests and audits)")
	unapproved := fs.Bool("allow-unapproved-local", false, "sign after a local review, which checks no approvals; the bundles say so, and verify refuses them without --accept-unchecked-approvals")
	if err := p.parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q; name the revisions with --base and --head", fs.Arg(0))
	}
	switch {
	case *keyFile == "":
		return usageErrorf("--key is required: the private key to sign with (keyless signing is not available yet)")
	case *outDir == "":
		return usageErrorf("--out is required: the directory to write bundles into")
	case rev.base == "" || rev.head == "":
		return usageErrorf("both --base and --head are required, e.g. --base main --head feature")
	case !*unapproved:
		return usageErrorf("attest runs locally, where approvals are not checked. To sign anyway, pass --allow-unapproved-local; the bundles record it, and nhigate verify refuses them unless given --accept-unchecked-approvals")
	}
	now, err := parseNow(*nowFlag)
	if err != nil {
		return err
	}
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

	prep, err := prepare(ctx, rev, reviewer.ScopeReview, now)
	if err != nil {
		return err
	}
	rep := reviewer.Decide(*prep.in)
	if rep.Verdict != reviewer.Pass {
		fmt.Fprintf(p.stderr, "nhigate: the review of %s does not pass; nothing was signed:\n", rep.Head)
		for _, r := range rep.Reasons {
			fmt.Fprintf(p.stderr, "  - %s\n", r)
		}
		fmt.Fprintf(p.stderr, "Run \"nhigate review --base %s --head %s\" for the details.\n", rev.base, rev.head)
		return errBlocked
	}
	head, err := source.Open(rev.repo, rev.head)
	if err != nil {
		return usageErrorf("--head: %v", err)
	}
	headCommit, ok := commitOf(head)
	if !ok {
		return usageErrorf("--head %s is a directory; attest signs git revisions, so that the bundle names the commit", rev.head)
	}
	baseCommit, ok := commitOf(prep.base)
	if !ok {
		return usageErrorf("--base %s is a directory; attest signs git revisions, so that the bundle names the commit", rev.base)
	}
	origin := attest.Origin{Repo: p.env["GITHUB_REPOSITORY"], Commit: headCommit, BaseCommit: baseCommit, Version: Version}
	files := attest.Files(prep.head)
	if len(files) == 0 {
		fmt.Fprintf(p.stderr, "nhigate: %s changes no spec; nothing to sign\n", rep.Head)
		return nil
	}
	for _, file := range files {
		out, err := signFile(ctx, head, file, rep, prep.head, origin, key, prep.cfg.SpecLimits())
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
	}
	return nil
}

// signFile signs the statement about one file, read again from head so
// that the subject is its exact committed bytes.
func signFile(ctx context.Context, head source.Tree, file string, rep *reviewer.Report, workflows []*spec.Workflow,
	origin attest.Origin, key sign.Keypair, lim spec.Limits) ([]byte, error) {
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
	return attest.Sign(ctx, st, key, sign.BundleOptions{})
}

// commitOf returns the commit SHA of a git snapshot.
func commitOf(t source.Tree) (string, bool) {
	c, ok := t.(interface{ Commit() string })
	if !ok {
		return "", false
	}
	return c.Commit(), true
}

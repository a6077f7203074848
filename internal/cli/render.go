package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/nhigate/nhigate/attest"
	"github.com/nhigate/nhigate/internal/deploy"
	"github.com/nhigate/nhigate/output"
)

const renderExamples = `  # The deployer's step: verify each spec against its bundle, then render it
  nhigate render --target kubernetes --key nhigate.pub --bundle-dir attestations/ \
    --out-dir rendered/ identities/kubernetes/argocd-staging-sync.yaml
  kubectl apply --dry-run=server -f rendered/argocd-staging-sync/

  # Keyless bundles: the same trust flags as nhigate verify
  nhigate render --target aws --trusted-root trusted_root.json \
    --certificate-identity https://github.com/acme/policies/.github/workflows/attest.yml@refs/heads/main \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com \
    --bundle-dir attestations/ --out-dir rendered/ identities/aws/payments-ci-deploy.yaml

  # Preview what a spec would grant, before it is reviewed or signed
  nhigate render --target vault --unverified identities/vault/checkout-dev-secrets.yaml
`

// runRender is the deployer's last mile: verify, then render into the
// platform's own artifacts. Nothing is written unless every spec verifies
// and renders, so a deployment applies all of its specs or none.
func runRender(_ context.Context, p *program, args []string) error {
	fs := p.flags("render", "render --target TARGET (--key PUB | --certificate-* ... | --unverified) [--bundle B | --bundle-dir DIR] [--out-dir DIR] SPEC...", renderExamples)
	targetName := fs.String("target", "", "platform to render for: "+strings.Join(deploy.TargetNames(), ", "))
	keyFile := fs.String("key", "", "PEM public key the bundles must be signed by, as for nhigate verify")
	var id certFlags
	id.register(fs)
	bundleFile := fs.String("bundle", "", "the bundle of the one SPEC")
	bundleDir := fs.String("bundle-dir", "", "directory holding <SPEC>.sigstore.json for each SPEC, as nhigate attest --out-dir writes it")
	outDir := fs.String("out-dir", "", "directory to write the artifacts into, one directory per spec (refused if it holds a file this render does not write); without it they go to standard output")
	unchecked := fs.Bool("accept-unchecked-approvals", false, "UNSAFE: accept bundles signed after a local review, in which nobody's approval was checked")
	unverified := fs.Bool("unverified", false, "render without verifying bundles: a preview, never something to apply")
	nowFlag := fs.String("now", "", nowUsage)
	if err := p.parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	specs := fs.Args()
	target, ok := deploy.FindTarget(*targetName)
	trusted := *keyFile != "" || id.set()
	switch {
	case *targetName == "":
		return usageErrorf("--target is required: one of %s", strings.Join(deploy.TargetNames(), ", "))
	case !ok:
		return usageErrorf("--target %q is not a target; %s", *targetName, didYouMean(*targetName, deploy.TargetNames()))
	case len(specs) == 0:
		return usageErrorf("name the spec file(s) to render, e.g. nhigate render --target %s --key nhigate.pub --bundle-dir attestations/ identities/ci.yaml", target.Name)
	case *unverified && (trusted || *bundleFile != "" || *bundleDir != "" || *unchecked):
		return usageErrorf("--unverified renders without bundles; drop it, or drop the --key, --certificate-* and --bundle flags")
	case !*unverified && !trusted:
		return usageErrorf("no trust decision: pass --key PUB or the --certificate-* flags with --bundle-dir, so that only verified specs render (or --unverified for a preview)")
	case *keyFile != "" && id.set():
		return usageErrorf("pass either --key or the --certificate-* flags, not both: a bundle is signed by a key or by a certificate")
	case !*unverified && (*bundleFile == "") == (*bundleDir == ""):
		return usageErrorf("pass exactly one of --bundle B (with one SPEC) or --bundle-dir DIR (with SPEC...)")
	case *bundleFile != "" && len(specs) != 1:
		return usageErrorf("--bundle verifies one SPEC, got %d; use --bundle-dir for several", len(specs))
	}
	now, err := p.clock(*nowFlag)
	if err != nil {
		return err
	}
	var trust *attest.Trust
	switch {
	case *keyFile != "":
		trust, err = keyTrust(*keyFile)
	case id.set():
		trust, err = id.trust()
	}
	if err != nil {
		return err
	}

	req := deploy.RenderRequest{Target: target, Specs: specs, Trust: trust, Now: now,
		Verify: attest.Options{Now: now, AcceptUncheckedApprovalsUnsafe: *unchecked},
		Bundle: func(spec string) string {
			if *bundleFile != "" {
				return *bundleFile
			}
			return filepath.Join(*bundleDir, filepath.Clean(spec)+".sigstore.json")
		},
	}
	res, err := deploy.Render(req)
	if err != nil {
		return err
	}
	if len(res.Problems) > 0 {
		for _, msg := range res.Problems {
			fmt.Fprintf(p.stderr, "nhigate: %s\n", output.SafeText(msg))
		}
		fmt.Fprintf(p.stderr, "nhigate: nothing rendered: %d problem(s) above; every spec must verify and render, so that a deployment applies all of them or none\n", len(res.Problems))
		return errBlocked
	}
	for _, note := range res.Notes {
		fmt.Fprintf(p.stderr, "nhigate: %s\n", output.SafeText(note))
	}
	if *unverified {
		fmt.Fprintln(p.stderr, "nhigate: warning: --unverified: these artifacts come from specs nobody verified; do not apply them")
	}
	if *unchecked {
		fmt.Fprintln(p.stderr, "nhigate: warning: --accept-unchecked-approvals: bundles signed without an approval check were accepted")
	}
	if *outDir == "" {
		for i, f := range res.Files {
			if i > 0 {
				fmt.Fprintln(p.stdout)
			}
			fmt.Fprintf(p.stdout, "==> %s <==\n", f.Name)
			if _, err := p.stdout.Write(f.Data); err != nil {
				return err
			}
		}
		return nil
	}
	if err := deploy.WriteRendered(*outDir, res.Files); err != nil {
		return err
	}
	fmt.Fprintf(p.stderr, "nhigate: rendered %d file(s) for %s into %s\n", len(res.Files), target.Name, *outDir)
	return nil
}

// didYouMean suggests the name got begins, or the nearest of names, or
// lists them.
func didYouMean(got string, names []string) string {
	if s := nearest(got, names); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return "use one of " + strings.Join(names, ", ")
}

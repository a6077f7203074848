package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/nhigate/nhigate/attest"
	"github.com/nhigate/nhigate/internal/deploy"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/output"
)

const verifyExamples = `  # The deployer's gate: apply a spec only if its bundle verifies
  nhigate verify --key nhigate.pub --bundle ci.yaml.sigstore.json identities/ci.yaml

  # Every spec against the bundles nhigate attest wrote
  nhigate verify --key nhigate.pub --bundle-dir attestations/ identities/ci.yaml identities/agent.yaml

  # Bundles signed by "nhigate attest --allow-unapproved-local" (no approvals checked)
  nhigate verify --key nhigate.pub --accept-unchecked-approvals --bundle-dir attestations/ identities/ci.yaml

  # Keyless: signed by the attest workflow of acme/policies on main, offline
  # against a Sigstore trusted root
  nhigate verify --trusted-root trusted_root.json \
    --certificate-identity https://github.com/acme/policies/.github/workflows/attest.yml@refs/heads/main \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com \
    --certificate-github-repository acme/policies --certificate-github-ref refs/heads/main \
    --bundle-dir attestations/ identities/ci.yaml
`

func runVerify(_ context.Context, p *program, args []string) error {
	fs := p.flags("verify", "verify (--key PUB | --certificate-identity[-regexp] ID --certificate-oidc-issuer URL --trusted-root FILE) (--bundle B SPEC | --bundle-dir DIR SPEC...) [flags]", verifyExamples)
	keyFile := fs.String("key", "", "PEM public key the bundles must be signed by (the trust decision: this or the --certificate-* flags)")
	var id certFlags
	id.register(fs)
	bundleFile := fs.String("bundle", "", "the bundle of the one SPEC")
	bundleDir := fs.String("bundle-dir", "", "directory holding <SPEC>.sigstore.json for each SPEC, as nhigate attest --out-dir writes it")
	var out outputFlags
	out.register(fs, output.KindVerify, true)
	unchecked := fs.Bool("accept-unchecked-approvals", false, "UNSAFE: accept bundles signed after a local review, in which nobody's approval was checked")
	if err := p.parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	specs := fs.Args()
	switch {
	case *keyFile == "" && !id.set():
		return usageErrorf("no trust decision: pass --key PUB, the public key that signs your attestations, or for keyless bundles --certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer and --trusted-root FILE")
	case *keyFile != "" && id.set():
		return usageErrorf("pass either --key or the --certificate-* flags, not both: a bundle is signed by a key or by a certificate")
	case (*bundleFile == "") == (*bundleDir == ""):
		return usageErrorf("pass exactly one of --bundle B (with one SPEC) or --bundle-dir DIR (with SPEC...)")
	case len(specs) == 0:
		return usageErrorf("name the spec file(s) to verify, e.g. nhigate verify --key nhigate.pub --bundle-dir attestations/ identities/ci.yaml")
	case *bundleFile != "" && len(specs) != 1:
		return usageErrorf("--bundle verifies one SPEC, got %d; use --bundle-dir for several", len(specs))
	}
	now, print, err := out.resolve(p)
	if err != nil {
		return err
	}
	var trust *attest.Trust
	if *keyFile != "" {
		if trust, err = keyTrust(*keyFile); err != nil {
			return err
		}
	} else if trust, err = id.trust(); err != nil {
		return err
	}
	opts := attest.Options{Now: now, AcceptUncheckedApprovalsUnsafe: *unchecked}

	results := deploy.Verify(specs, func(spec string) string {
		if *bundleFile != "" {
			return *bundleFile
		}
		return filepath.Join(*bundleDir, filepath.Clean(spec)+".sigstore.json")
	}, trust, opts)
	failed := 0
	for _, r := range results {
		if !r.Verified {
			failed++
		}
	}
	res := &output.VerifyResult{SchemaVersion: output.ResultSchemaVersion, Verified: failed == 0, Results: results}
	summary := "verified"
	if failed > 0 {
		summary = "FAILED"
	}
	if err := out.emit(p, print, res, summary); err != nil {
		return err
	}
	if *unchecked && out.format == "text" {
		fmt.Fprintln(p.stderr, "nhigate: warning: --accept-unchecked-approvals: bundles signed without an approval check were accepted")
	}
	if failed > 0 {
		fmt.Fprintf(p.stderr, "nhigate: %d of %d specs failed verification; do not apply them\n", failed, len(specs))
		return errBlocked
	}
	return nil
}

func keyTrust(keyFile string) (*attest.Trust, error) {
	pemBytes, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, usageErrorf("--key: %v", err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return nil, usageErrorf("--key %s: not a PEM public key: %v", keyFile, err)
	}
	trust, err := attest.TrustKeyWithoutTimestampsUnsafe(pub)
	if err != nil {
		return nil, usageErrorf("--key %s: %v", keyFile, err)
	}
	return trust, nil
}

// certFlags are the keyless trust decision: whose certificate, issued by
// which Sigstore.
type certFlags struct {
	identity, identityRegexp, issuer string
	repository, ref, trigger         string
	trustedRoot                      string
}

func (c *certFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.identity, "certificate-identity", "", "keyless: the signer's exact certificate identity (SAN), e.g. https://github.com/OWNER/REPO/.github/workflows/attest.yml@refs/heads/main")
	fs.StringVar(&c.identityRegexp, "certificate-identity-regexp", "", "keyless: a regexp the whole certificate identity must match, instead of --certificate-identity")
	fs.StringVar(&c.issuer, "certificate-oidc-issuer", "", "keyless: the OIDC issuer that vouched for the signer, e.g. https://token.actions.githubusercontent.com (required with an identity)")
	fs.StringVar(&c.repository, "certificate-github-repository", "", "keyless: the repository the signing workflow ran in, as OWNER/REPO or its https://github.com URL")
	fs.StringVar(&c.ref, "certificate-github-ref", "", "keyless: the git ref the signing workflow ran on, e.g. refs/heads/main")
	fs.StringVar(&c.trigger, "certificate-github-trigger", "", "keyless: the event that started the signing workflow, e.g. push")
	fs.StringVar(&c.trustedRoot, "trusted-root", "", "keyless: a Sigstore trusted_root.json holding the certificate authorities, logs and timestamp authorities to trust (required for keyless verification, which runs offline)")
}

func (c *certFlags) set() bool {
	return c.identity != "" || c.identityRegexp != "" || c.issuer != "" || c.repository != "" || c.ref != "" || c.trigger != "" || c.trustedRoot != ""
}

func (c *certFlags) trust() (*attest.Trust, error) {
	switch {
	case (c.identity == "") == (c.identityRegexp == ""):
		return nil, usageErrorf("pass exactly one of --certificate-identity and --certificate-identity-regexp: whose certificate must have signed")
	case c.issuer == "":
		return nil, usageErrorf("--certificate-oidc-issuer is required with a certificate identity, e.g. https://token.actions.githubusercontent.com for GitHub Actions")
	case c.trustedRoot == "":
		return nil, usageErrorf("keyless verification runs offline and needs --trusted-root FILE, a Sigstore trusted_root.json: for public-good Sigstore, the trusted_root.json target of its TUF repository, which cosign and sigstore-go fetch; for your own Sigstore, \"cosign trusted-root create\" writes one")
	}
	repo := c.repository
	if repo != "" && !strings.HasPrefix(repo, "https://") {
		if strings.Count(repo, "/") != 1 || strings.HasPrefix(repo, "/") || strings.HasSuffix(repo, "/") {
			return nil, usageErrorf("--certificate-github-repository %q: write OWNER/REPO, e.g. acme/policies", repo)
		}
		repo = "https://github.com/" + repo
	}
	data, err := source.ReadBounded(c.trustedRoot, maxTrustedRootSize)
	if err != nil {
		return nil, usageErrorf("--trusted-root: %v", err)
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, usageErrorf("--trusted-root %s: not a Sigstore trusted root: %v", c.trustedRoot, err)
	}
	trust, err := attest.TrustCertificateIdentity(tr, attest.Identity{
		SAN: c.identity, SANRegexp: c.identityRegexp, Issuer: c.issuer,
		SourceRepositoryURI: repo, SourceRepositoryRef: c.ref, BuildTrigger: c.trigger,
	})
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return trust, nil
}

// maxTrustedRootSize bounds --trusted-root; public-good's is ~10 KiB.
const maxTrustedRootSize = 1 << 20

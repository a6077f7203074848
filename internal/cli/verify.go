package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/nhigate/nhigate/attest"
	"github.com/nhigate/nhigate/spec"
)

const verifyExamples = `  # The deployer's gate: apply a spec only if its bundle verifies
  nhigate verify --key nhigate.pub --bundle ci.yaml.sigstore.json identities/ci.yaml

  # Every spec against the bundles nhigate attest wrote
  nhigate verify --key nhigate.pub --bundle-dir attestations/ identities/ci.yaml identities/agent.yaml

  # Bundles signed by "nhigate attest --allow-unapproved-local" (no approvals checked)
  nhigate verify --key nhigate.pub --accept-unchecked-approvals --bundle-dir attestations/ identities/ci.yaml
`

// verifyResult is one spec's outcome, as --format json writes it.
type verifyResult struct {
	Spec      string        `json:"spec"`
	Bundle    string        `json:"bundle"`
	Verified  bool          `json:"verified"`
	Reason    attest.Reason `json:"reason,omitempty"`
	Error     string        `json:"error,omitempty"`
	Signer    string        `json:"signer,omitempty"`
	Commit    string        `json:"commit,omitempty"`
	ExpiresAt *time.Time    `json:"expiresAt,omitempty"`
	Approvers []string      `json:"approvers,omitempty"`
}

func runVerify(_ context.Context, p *program, args []string) error {
	fs := p.flags("verify", "verify --key PUB (--bundle B SPEC | --bundle-dir DIR SPEC...) [flags]", verifyExamples)
	keyFile := fs.String("key", "", "PEM public key the bundles must be signed by (the trust decision; required)")
	bundleFile := fs.String("bundle", "", "the bundle of the one SPEC")
	bundleDir := fs.String("bundle-dir", "", "directory holding <SPEC>.sigstore.json for each SPEC, as nhigate attest --out writes it")
	format := fs.String("format", "text", "output format: text or json")
	nowFlag := fs.String("now", "", "judge expiry as of this RFC 3339 time instead of the clock (for tests and audits)")
	unchecked := fs.Bool("accept-unchecked-approvals", false, "UNSAFE: accept bundles signed after a local review, in which nobody's approval was checked")
	if err := p.parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	specs := fs.Args()
	switch {
	case *keyFile == "":
		return usageErrorf("no trust decision: pass --key PUB, the public key that signs your attestations (keyless verification is not available yet)")
	case (*bundleFile == "") == (*bundleDir == ""):
		return usageErrorf("pass exactly one of --bundle B (with one SPEC) or --bundle-dir DIR (with SPEC...)")
	case len(specs) == 0:
		return usageErrorf("name the spec file(s) to verify, e.g. nhigate verify --key nhigate.pub --bundle-dir attestations/ identities/ci.yaml")
	case *bundleFile != "" && len(specs) != 1:
		return usageErrorf("--bundle verifies one SPEC, got %d; use --bundle-dir for several", len(specs))
	case *format != "text" && *format != "json":
		return usageErrorf("--format %q: use text or json", *format)
	}
	now, err := parseNow(*nowFlag)
	if err != nil {
		return err
	}
	if now.IsZero() {
		now = time.Now()
	}
	pemBytes, err := os.ReadFile(*keyFile)
	if err != nil {
		return usageErrorf("--key: %v", err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return usageErrorf("--key %s: not a PEM public key: %v", *keyFile, err)
	}
	trust, err := attest.TrustKeyWithoutTimestampsUnsafe(pub)
	if err != nil {
		return usageErrorf("--key %s: %v", *keyFile, err)
	}
	opts := attest.Options{Now: now, AcceptUncheckedApprovalsUnsafe: *unchecked}

	var results []verifyResult
	failed := 0
	for _, s := range specs {
		b := *bundleFile
		if b == "" {
			b = filepath.Join(*bundleDir, filepath.Clean(s)+".sigstore.json")
		}
		r := verifyOne(s, b, trust, opts)
		if !r.Verified {
			failed++
		}
		results = append(results, r)
	}
	if *format == "json" {
		enc := json.NewEncoder(p.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"verified": failed == 0, "results": results}); err != nil {
			return fmt.Errorf("write results: %w", err)
		}
	} else {
		for _, r := range results {
			if r.Verified {
				fmt.Fprintf(p.stdout, "ok    %s: signed by %s at %s, approved by %v, expires %s\n", r.Spec, r.Signer, short(r.Commit), r.Approvers, r.ExpiresAt.Format(time.RFC3339))
			} else {
				fmt.Fprintf(p.stdout, "FAIL  %s: %s\n", r.Spec, r.Error)
			}
		}
		if *unchecked {
			fmt.Fprintln(p.stderr, "nhigate: warning: --accept-unchecked-approvals: bundles signed without an approval check were accepted")
		}
	}
	if failed > 0 {
		fmt.Fprintf(p.stderr, "nhigate: %d of %d specs failed verification; do not apply them\n", failed, len(specs))
		return errBlocked
	}
	return nil
}

func verifyOne(specPath, bundlePath string, trust *attest.Trust, opts attest.Options) verifyResult {
	r := verifyResult{Spec: specPath, Bundle: bundlePath}
	fail := func(reason attest.Reason, err error) verifyResult {
		r.Reason, r.Error = reason, err.Error()
		return r
	}
	content, err := readBounded(specPath, spec.DefaultMaxFileSize)
	if err != nil {
		return fail("unreadable-spec", err)
	}
	b, err := readBounded(bundlePath, attest.MaxBundleSize)
	if err != nil {
		return fail("unreadable-bundle", fmt.Errorf("bundle: %w", err))
	}
	res, err := attest.Verify(b, attest.Artifact{Path: specPath, Content: content}, trust, opts)
	if err != nil {
		var ve *attest.VerificationError
		if errors.As(err, &ve) {
			return fail(ve.Reason, err)
		}
		return fail("error", err)
	}
	r.Verified, r.Signer, r.Commit = true, res.Signer, res.Predicate.Commit
	r.ExpiresAt = &res.Predicate.ExpiresAt
	r.Approvers = []string{}
	for _, req := range res.Predicate.Approvals.Requirements {
		for _, a := range req.Approvals {
			r.Approvers = append(r.Approvers, a.Login)
		}
	}
	return r
}

// parseNow reads a --now flag; zero means the clock.
func parseNow(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usageErrorf("--now %q is not an RFC 3339 time; write e.g. 2026-11-25T12:00:00Z", s)
	}
	return t, nil
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

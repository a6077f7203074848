package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/nhigate/nhigate/attest"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/spec"
)

// The usage errors of attest and verify say which flag to pass, and stop
// before reading anything.
func TestAttestVerifyUsage(t *testing.T) {
	dir := t.TempDir()
	pub := filepath.Join(dir, "k.pub")
	if err := os.WriteFile(pub, []byte("not a key"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(root, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	const issuer = "https://token.actions.githubusercontent.com"
	// keyless is verify with a complete keyless trust decision, then more.
	keyless := func(more ...string) []string {
		return append([]string{"verify", "--certificate-identity", "ci@acme.example", "--certificate-oidc-issuer", issuer, "--trusted-root", root}, more...)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"attest", "--base", "main", "--head", "feature", "--out", dir, "--allow-unapproved-local"}, "--key is required, or --keyless"},
		{[]string{"attest", "--key", "k", "--keyless", "--base", "main", "--head", "feature", "--out", dir, "--allow-unapproved-local"}, "either --key or --keyless"},
		{[]string{"attest", "--key", "k", "--tsa-url", "https://tsa.example", "--base", "main", "--head", "feature", "--out", dir, "--allow-unapproved-local"}, "apply only to --keyless"},
		{[]string{"attest", "--keyless", "--rekor-url", "", "--base", "main", "--head", "feature", "--out", dir, "--allow-unapproved-local"}, "needs --rekor-url or --tsa-url"},
		{[]string{"attest", "--keyless", "--base", "main", "--head", "feature", "--out", dir, "--allow-unapproved-local"}, "ACTIONS_ID_TOKEN_REQUEST_URL"},
		{[]string{"attest", "--key", "k", "--base", "main", "--head", "feature", "--allow-unapproved-local"}, "--out is required"},
		{[]string{"attest", "--key", "k", "--head", "feature", "--out", dir, "--allow-unapproved-local"}, "both --base and --head are required"},
		{[]string{"attest", "--key", "k", "--base", "main", "--head", "feature", "--out", dir}, "pass --allow-unapproved-local"},
		{[]string{"attest", "--key", filepath.Join(dir, "missing"), "--base", "main", "--head", "feature", "--out", dir, "--allow-unapproved-local"}, "--key:"},
		{[]string{"attest", "--key", "k", "--base", "main", "--head", "feature", "--out", dir, "--allow-unapproved-local", "--now", "soon"}, "not an RFC 3339 time"},
		{[]string{"verify", "--bundle", "b.json", "spec.yaml"}, "no trust decision: pass --key PUB"},
		{[]string{"verify", "--bundle", "b.json", "spec.yaml"}, "--certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer and --trusted-root FILE"},
		{[]string{"verify", "--key", pub, "--certificate-identity", "ci@acme.example", "--bundle", "b", "spec.yaml"}, "either --key or the --certificate-* flags"},
		{append(keyless("--certificate-identity-regexp", ".*"), "--bundle", "b", "spec.yaml"), "exactly one of --certificate-identity and --certificate-identity-regexp"},
		{[]string{"verify", "--certificate-oidc-issuer", issuer, "--trusted-root", root, "--bundle", "b", "spec.yaml"}, "exactly one of --certificate-identity and"},
		{[]string{"verify", "--certificate-identity", "ci@acme.example", "--trusted-root", root, "--bundle", "b", "spec.yaml"}, "--certificate-oidc-issuer is required"},
		{[]string{"verify", "--certificate-identity", "ci@acme.example", "--certificate-oidc-issuer", issuer, "--bundle", "b", "spec.yaml"}, "needs --trusted-root FILE, a Sigstore trusted_root.json"},
		{append(keyless("--certificate-github-repository", "acme"), "--bundle", "b", "spec.yaml"), "write OWNER/REPO"},
		{append(keyless(), "--bundle", "b", "spec.yaml"), "--trusted-root " + root + ": not a Sigstore trusted root"},
		{[]string{"verify", "--certificate-identity", "ci@acme.example", "--certificate-oidc-issuer", issuer, "--trusted-root", filepath.Join(dir, "missing"), "--bundle", "b", "spec.yaml"}, "--trusted-root:"},
		{[]string{"verify", "--key", pub, "spec.yaml"}, "pass exactly one of --bundle B"},
		{[]string{"verify", "--key", pub, "--bundle", "b", "--bundle-dir", "d", "spec.yaml"}, "pass exactly one of --bundle B"},
		{[]string{"verify", "--key", pub, "--bundle", "b"}, "name the spec file(s) to verify"},
		{[]string{"verify", "--key", pub, "--bundle", "b", "one.yaml", "two.yaml"}, "use --bundle-dir for several"},
		{[]string{"verify", "--key", pub, "--bundle", "b", "--format", "sarif", "one.yaml"}, `--format "sarif"`},
		{[]string{"verify", "--key", pub, "--bundle", "b", "one.yaml"}, "not a PEM public key"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := Run(context.Background(), tt.args, nil, nil, &stdout, &stderr)
			if got := ExitCode(err); got != ExitUsage {
				t.Fatalf("exit %d, want %d (err %v)", got, ExitUsage, err)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q does not say %q", stderr.String(), tt.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 2 {
				t.Errorf("a usage error wrote files: %v", entries)
			}
		})
	}
}

// TestVerifyKeyless runs verify on a bundle signed by a VirtualSigstore
// certificate (with a Rekor entry and an RFC 3161 timestamp), with that
// Sigstore written out as the --trusted-root.
func TestVerifyKeyless(t *testing.T) {
	const (
		path   = "identities/ci.yaml"
		san    = "https://github.com/acme/policies/.github/workflows/attest.yml@refs/heads/main"
		issuer = "https://token.actions.githubusercontent.com"
	)
	content := []byte(workflowYAML("ci-deploy", "  expiresAt: \"2026-12-20T00:00:00Z\"\n  revocation: {onCompletion: true}\n"))
	dir := t.TempDir()
	specFile := filepath.Join(dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(specFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(specFile, content, 0o644); err != nil {
		t.Fatal(err)
	}
	ws, err := spec.Parse(path, content, spec.Strict, spec.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	rep := &reviewer.Report{Verdict: reviewer.Pass, Approvals: []reviewer.Requirement{{Description: "1 approval from @acme/platform", Satisfied: true,
		Approvals: []reviewer.Approval{{Login: "carol"}}}}}
	pred, err := attest.NewPredicate(path, rep, ws, attest.Origin{Repo: "acme/policies", Commit: strings.Repeat("1", 40)})
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.Statement(path, content, pred)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := protojson.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	bundleFile := filepath.Join(dir, "ci.yaml.sigstore.json")
	if err := os.WriteFile(bundleFile, virtualBundle(t, vs, san, issuer, payload), 0o644); err != nil {
		t.Fatal(err)
	}
	// VirtualSigstore names its log by the hex of its key ID; a trusted
	// root file holds the key ID itself.
	logs := vs.RekorLogs()
	for id, l := range logs {
		if l.ID, err = hex.DecodeString(id); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, vs.FulcioCertificateAuthorities(), nil, vs.TimestampingAuthorities(), logs)
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	rootFile := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(rootFile, trJSON, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name     string
		flags    []string
		wantCode int
		want     string
	}{
		{"identity and pins", []string{"--certificate-identity", san, "--certificate-oidc-issuer", issuer}, ExitPass, "signed by " + san},
		{"identity regexp", []string{"--certificate-identity-regexp", `https://github\.com/acme/policies/.*`, "--certificate-oidc-issuer", issuer}, ExitPass, "ok    "},
		{"wrong identity", []string{"--certificate-identity", strings.Replace(san, "attest.yml", "other.yml", 1), "--certificate-oidc-issuer", issuer}, ExitBlocked, "signature:"},
		{"wrong issuer", []string{"--certificate-identity", san, "--certificate-oidc-issuer", "https://gitlab.com"}, ExitBlocked, "signature:"},
		// VirtualSigstore's certificates carry no GitHub extensions.
		{"repository pin", []string{"--certificate-identity", san, "--certificate-oidc-issuer", issuer, "--certificate-github-repository", "acme/policies"}, ExitBlocked, "signature:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"verify", "--trusted-root", rootFile, "--now", "2026-11-25T12:00:00Z", "--bundle", bundleFile}, tt.flags...)
			args = append(args, specFile)
			var stdout, stderr bytes.Buffer
			err := Run(context.Background(), args, nil, nil, &stdout, &stderr)
			if got := ExitCode(err); got != tt.wantCode {
				t.Fatalf("exit %d, want %d (err %v, stdout %s, stderr %s)", got, tt.wantCode, err, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.want) {
				t.Errorf("stdout %q does not say %q", stdout.String(), tt.want)
			}
		})
	}
}

// virtualBundle has vs sign payload with a certificate for san and
// issuer, and returns the v0.3 bundle JSON with the certificate, the
// Rekor entry and the RFC 3161 timestamp.
func virtualBundle(t *testing.T, vs *ca.VirtualSigstore, san, issuer string, payload []byte) []byte {
	t.Helper()
	entity, err := vs.AttestAtTime(san, issuer, payload, time.Now().Add(5*time.Minute), true)
	if err != nil {
		t.Fatal(err)
	}
	vc, err := entity.VerificationContent()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := entity.SignatureContent()
	if err != nil {
		t.Fatal(err)
	}
	env := sc.EnvelopeContent().RawEnvelope()
	body, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	if err != nil {
		t.Fatal(err)
	}
	timestamps, err := entity.Timestamps()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := entity.TlogEntries()
	if err != nil {
		t.Fatal(err)
	}
	tle := proto.Clone(entries[0].TransparencyLogEntry()).(*protorekor.TransparencyLogEntry)
	// tlog.Entry keeps its signed entry timestamp private: sign it again.
	set, err := vs.RekorSignPayload(tlog.RekorPayload{Body: base64.StdEncoding.EncodeToString(tle.GetCanonicalizedBody()),
		IntegratedTime: tle.GetIntegratedTime(), LogIndex: tle.GetLogIndex(), LogID: hex.EncodeToString(tle.GetLogId().GetKeyId())})
	if err != nil {
		t.Fatal(err)
	}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
	tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
	out, err := protojson.Marshal(&protobundle.Bundle{
		MediaType: attest.BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw}},
			TlogEntries:               []*protorekor.TransparencyLogEntry{tle},
			TimestampVerificationData: &protobundle.TimestampVerificationData{Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: timestamps[0]}}},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{Payload: body, PayloadType: env.PayloadType,
			Signatures: []*protodsse.Signature{{Sig: sig}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

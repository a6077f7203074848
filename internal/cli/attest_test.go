package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/nhigate/nhigate/attest"
	"github.com/nhigate/nhigate/internal/ghtest"
	"github.com/nhigate/nhigate/internal/gittest"
	"github.com/nhigate/nhigate/internal/sigtest"
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
		{[]string{"attest", "--base", "main", "--head", "feature", "--out-dir", dir, "--allow-unapproved-local"}, "--key is required, or --keyless"},
		{[]string{"attest", "--key", "k", "--keyless", "--base", "main", "--head", "feature", "--out-dir", dir, "--allow-unapproved-local"}, "either --key or --keyless"},
		{[]string{"attest", "--key", "k", "--tsa-url", "https://tsa.example", "--base", "main", "--head", "feature", "--out-dir", dir, "--allow-unapproved-local"}, "apply only to --keyless"},
		{[]string{"attest", "--keyless", "--rekor-url", "", "--base", "main", "--head", "feature", "--out-dir", dir, "--allow-unapproved-local"}, "needs --rekor-url or --tsa-url"},
		{[]string{"attest", "--keyless", "--base", "main", "--head", "feature", "--out-dir", dir, "--allow-unapproved-local"}, "ACTIONS_ID_TOKEN_REQUEST_URL"},
		{[]string{"attest", "--key", "k", "--base", "main", "--head", "feature", "--allow-unapproved-local"}, "--out-dir is required"},
		{[]string{"attest", "--key", "k", "--head", "feature", "--out-dir", dir, "--allow-unapproved-local"}, "both --base and --head are required"},
		{[]string{"attest", "--key", "k", "--base", "main", "--head", "feature", "--out-dir", dir}, "pass --allow-unapproved-local"},
		{[]string{"attest", "--key", filepath.Join(dir, "missing"), "--base", "main", "--head", "feature", "--out-dir", dir, "--allow-unapproved-local"}, "--key:"},
		{[]string{"attest", "--key", "k", "--base", "main", "--head", "feature", "--out-dir", dir, "--allow-unapproved-local", "--now", "soon"}, "not an RFC 3339 time"},
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
		{[]string{"verify", "--key", pub, "--bundle", "b", "--format", "sarif", "one.yaml"}, `--format: unknown format "sarif": use one of text, json`},
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
	if err := os.WriteFile(bundleFile, sigtest.KeylessBundle(t, vs, san, issuer, payload), 0o644); err != nil {
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

// Test keys only: they sign nothing real.
const (
	testKey = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgu6Tt6TeRnuH/gZdp
zfMJT8Ieysj4Q/+rDTR0GBtq1DChRANCAASI2i2M0kxqBwLzO1Ve8Ra1B/fGXcaR
0kt9B8kpDFfxwWQ1FmFSIJMVxC5NOiJ8cZAmxuAKu+fRBBBr8kOx0UtL
-----END PRIVATE KEY-----
`
	testPub = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiNotjNJMagcC8ztVXvEWtQf3xl3G
kdJLfQfJKQxX8cFkNRZhUiCTFcQuTToifHGQJsbgCrvn0QQQa/JDsdFLSw==
-----END PUBLIC KEY-----
`
	deploySpec = `apiVersion: nhigate.dev/v1
kind: ProvisioningWorkflow
metadata:
  name: release-artifacts
  owner: "@acme/release"
  requester: dave
  provenance:
    generator: release-bot@1.0
    prompt: "Let the release pipeline read the staging artifacts"
    promptSha256: a23a22f35df22f4b203255f584412447eeec0dbc4a6cd4a06249818fd91f0ac1
    generatedAt: "2026-11-25T09:00:00Z"
spec:
  identity: {name: release, type: workload-identity, platform: aws, consumer: pipeline}
  environment: staging
  entitlements:
    - actions: ["s3:GetObject"]
      resources: ["arn:aws:s3:::staging-artifacts/*"]
  credential: {kind: ephemeral, ttl: 1h}
  expiresAt: "2026-12-20T00:00:00Z"
  revocation: {onCompletion: true, onTimeout: 2h}
  approvals: {required: ["@acme/security"], minApprovals: 1}
`
)

// mergedRepo commits a base on main, adds a spec on feature and merges it
// with --no-ff, as GitHub's merge button does. It returns the repository
// and the SHAs of the merge, its first parent and the feature's head.
func mergedRepo(t *testing.T) (repo, merge, base, feature string) {
	t.Helper()
	repo = t.TempDir()
	write := func(name, content string) {
		t.Helper()
		path := filepath.Join(repo, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(".nhigate.yaml", "specs: [\"identities/*.yaml\"]\ngenerators: [\"release-bot[bot]\"]\n")
	write(".github/CODEOWNERS", "/identities/ @acme/security\n")
	write("identities/.keep", "")
	gittest.Run(t, repo, "init", "-q", "-b", "main")
	gittest.Run(t, repo, "add", "-A")
	gittest.Run(t, repo, "commit", "-q", "-m", "base")
	gittest.Run(t, repo, "checkout", "-q", "-b", "feature")
	write("identities/deploy.yaml", deploySpec)
	gittest.Run(t, repo, "add", "-A")
	gittest.Run(t, repo, "commit", "-q", "-m", "add deploy")
	gittest.Run(t, repo, "checkout", "-q", "main")
	gittest.Run(t, repo, "merge", "-q", "--no-ff", "-m", "merge feature", "feature")
	return repo, revParse(t, repo, "main"), revParse(t, repo, "main^1"), revParse(t, repo, "feature")
}

func revParse(t *testing.T, repo, rev string) string {
	t.Helper()
	cmd := exec.Command("git", "rev-parse", rev)
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git rev-parse %s: %v", rev, err)
	}
	return strings.TrimSpace(string(out))
}

// TestAttestGitHub attests a push to main against a fake GitHub: only a
// merge of a pull request whose approvals pass at the merge commit is
// signed, and its bundle verifies without accepting unchecked approvals.
func TestAttestGitHub(t *testing.T) {
	tests := []struct {
		name string
		// merged makes pull request 7 merged as the merge commit.
		merged bool
		// approved adds carol's approval of the feature's head.
		approved bool
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "approved merge", merged: true, approved: true, wantCode: ExitPass},
		{name: "admin merge without approvals", merged: true, wantCode: ExitBlocked,
			wantErr: "Pull request #7 was merged by bob without passing the gate"},
		{name: "direct push", approved: true, wantCode: ExitBlocked,
			wantErr: "pushed without a pull request: nothing to attest; an admin push is exactly what the gate must not sign"},
		{name: "opting out of the approval check", merged: true, approved: true, args: []string{"--github", "--allow-unapproved-local"},
			wantCode: ExitUsage, wantErr: "--allow-unapproved-local is for local mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, merge, base, feature := mergedRepo(t)
			srv := ghtest.NewServer()
			t.Cleanup(srv.Close)
			merges := srv.EnableMerges()
			srv.AddPullRequest(ghtest.PullRequest{Owner: "acme", Repo: "policies", Number: 7, Title: "add deploy", Author: "alice",
				HeadSHA: feature, HeadRef: "feature", BaseSHA: base, BaseRef: "main"})
			srv.SetFiles("acme", "policies", 7, ghtest.File{Filename: "identities/deploy.yaml", Status: "added"})
			srv.SetTeamMember("acme", "security", "carol", "active")
			// Approvals count only from people with write access.
			srv.SetPermission("acme", "policies", "carol", "write")
			// A pull request that merely contains the commit is not the one
			// merged as it.
			srv.AddPullRequest(ghtest.PullRequest{Owner: "acme", Repo: "policies", Number: 9, Author: "mallory", HeadSHA: merge, BaseSHA: base})
			merges.AddCommit("acme", "policies", merge, 9)
			if tt.merged {
				merges.SetMerged("acme", "policies", 7, ghtest.Merge{Commit: merge, MergedBy: "bob"})
			}
			if tt.approved {
				srv.AddReviews("acme", "policies", 7, ghtest.Review{User: "carol", State: "APPROVED", CommitID: feature, SubmittedAt: time.Now()})
			}
			dir := t.TempDir()
			key, pub, out := filepath.Join(dir, "test.key"), filepath.Join(dir, "test.pub"), filepath.Join(dir, "att")
			if err := os.WriteFile(key, []byte(testKey), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(pub, []byte(testPub), 0o644); err != nil {
				t.Fatal(err)
			}
			environ := []string{"NO_COLOR=1", "GITHUB_ACTIONS=true", "GITHUB_EVENT_NAME=push", "GITHUB_SHA=" + merge,
				"GITHUB_REPOSITORY=acme/policies", "GITHUB_TOKEN=" + srv.Token, "GITHUB_API_URL=" + srv.URL}
			args := append([]string{"attest", "--repo", repo, "--key", key, "--out-dir", out, "--now", frozen}, tt.args...)
			var stdout, stderr bytes.Buffer
			err := Run(context.Background(), args, environ, nil, &stdout, &stderr)
			if got := ExitCode(err); got != tt.wantCode {
				t.Fatalf("exit %d, want %d (err %v)\nstderr:\n%s", got, tt.wantCode, err, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr %q does not say %q", stderr.String(), tt.wantErr)
			}
			if strings.Contains(stdout.String()+stderr.String(), srv.Token) {
				t.Error("the token was printed")
			}
			bundle := filepath.Join(out, "identities", "deploy.yaml.sigstore.json")
			if tt.wantCode != ExitPass {
				if _, err := os.Stat(out); !os.IsNotExist(err) {
					t.Errorf("a refused attest wrote %s (stat: %v)", out, err)
				}
				return
			}

			verify := []string{"verify", "--key", pub, "--bundle", bundle, "--format", "json", "--now", frozen, filepath.Join(repo, "identities", "deploy.yaml")}
			stdout.Reset()
			stderr.Reset()
			if err := Run(context.Background(), verify, []string{"NO_COLOR=1"}, nil, &stdout, &stderr); err != nil {
				t.Fatalf("verify without --accept-unchecked-approvals: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
			}

			data, err := os.ReadFile(bundle)
			if err != nil {
				t.Fatal(err)
			}
			pred := predicateOf(t, data)
			want := attest.PullRequest{Number: 7, URL: "https://github.com/acme/policies/pull/7", Author: "alice", MergedBy: "bob"}
			if diff := cmp.Diff(want, pred.PullRequest); diff != "" {
				t.Errorf("pull request (-want +got):\n%s", diff)
			}
			if pred.Repo != "acme/policies" || pred.Commit != merge || pred.BaseCommit != base {
				t.Errorf("repo %q, commit %q, base %q; want acme/policies, %s, %s", pred.Repo, pred.Commit, pred.BaseCommit, merge, base)
			}
			if !pred.Approvals.Checked {
				t.Error("approvals are not marked checked")
			}
			var logins []string
			for _, r := range pred.Approvals.Requirements {
				if !r.Satisfied {
					t.Errorf("requirement %q is not satisfied", r.Description)
				}
				for _, a := range r.Approvals {
					logins = append(logins, a.Login+"@"+a.Commit)
				}
			}
			if len(logins) == 0 || !slices.Contains(logins, "carol@"+feature) {
				t.Errorf("approvals %q, want carol's on the pull request's head %s", logins, feature)
			}
		})
	}
}

// predicateOf reads the review predicate out of a bundle's DSSE payload.
func predicateOf(t *testing.T, bundle []byte) *attest.Predicate {
	t.Helper()
	var b protobundle.Bundle
	if err := protojson.Unmarshal(bundle, &b); err != nil {
		t.Fatal(err)
	}
	var st struct {
		Predicate attest.Predicate `json:"predicate"`
	}
	if err := json.Unmarshal(b.GetDsseEnvelope().GetPayload(), &st); err != nil {
		t.Fatal(err)
	}
	return &st.Predicate
}

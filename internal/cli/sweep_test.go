package cli

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/internal/ghtest"
	"github.com/nhigate/nhigate/internal/gittest"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/internal/spectest"
)

func workflowYAML(name, rest string) string {
	return spectest.YAML(name, "", rest)
}

var vendorYAML = workflowYAML("vendor-sync", `  expiresAt: "2027-01-20T00:00:00Z"
  revocation: {onTimeout: 2h}
  # Waivers, reviewed by security.
  exceptions:
    - rule: NHI-CRED-001
      reason: "vendor API only supports static keys"
      approvedBy: "@acme/security"
      expiresAt: "2026-11-01T00:00:00Z"
      ticket: SEC-1234
    - rule: NHI-ENT-001   # kept: still valid
      reason: "migration"
      approvedBy: "@acme/security"
      expiresAt: "2026-12-31T00:00:00Z"
`)

var sweepFiles = map[string]string{
	".nhigate.yaml":          "specs: [\"identities/*.yaml\"]\n",
	"identities/old.yaml":    workflowYAML("old-release", "  expiresAt: \"2026-11-20T00:00:00Z\"\n  revocation: {onCompletion: true}\n"),
	"identities/vendor.yaml": vendorYAML,
	"identities/mixed.yaml": workflowYAML("mixed-old", "  expiresAt: \"2026-11-20T00:00:00Z\"\n  revocation: {onCompletion: true}\n") +
		"---\n" + workflowYAML("mixed-live", "  expiresAt: \"2026-12-20T00:00:00Z\"\n  revocation: {onCompletion: true}\n"),
	"identities/live.yaml": workflowYAML("live", "  expiresAt: \"2026-12-20T00:00:00Z\"\n  revocation: {onCompletion: true}\n"),
}

func sweepRepo(t *testing.T) (dir, head string) {
	t.Helper()
	dir = gittest.Repo(t, sweepFiles)
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"sweep", "--repo", dir, "--format", "json", "--now", frozen}, nil, nil, &out, &out); ExitCode(err) != ExitBlocked {
		t.Fatalf("sweep without --open-pr: %v\n%s", err, out.String())
	}
	tree, err := openHead(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, tree
}

func openHead(dir string) (string, error) {
	tree, err := source.Open(dir, "HEAD")
	if err != nil {
		return "", err
	}
	commit, _ := source.Commit(tree)
	return commit, nil
}

// The revocation pull request removes the expired spec file, cuts the
// expired exception out of its file and nothing else, and leaves a file
// that mixes expired and live workflows to a person.
func TestSweepOpenPR(t *testing.T) {
	dir, head := sweepRepo(t)
	srv := ghtest.NewServer()
	defer srv.Close()
	gd := srv.EnableGitData()
	gd.AddRepoAt("acme", "policies", "main", head, sweepFiles)

	var stdout, stderr bytes.Buffer
	env := []string{"GITHUB_TOKEN=" + srv.Token, "GITHUB_REPOSITORY=acme/policies", "GITHUB_API_URL=" + srv.URL}
	err := Run(context.Background(), []string{"sweep", "--repo", dir, "--now", frozen, "--open-pr"}, env, nil, &stdout, &stderr)
	if code := ExitCode(err); code != ExitBlocked {
		t.Fatalf("exit %d, want %d (overdue items remain until the pull request merges)\n%s", code, ExitBlocked, stderr.String())
	}
	for _, want := range []string{
		"not in the pull request: identities/mixed.yaml holds expired and live workflows: remove the expired ones by hand",
		"opened revocation pull request #1: https://github.com/acme/policies/pull/1",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}

	// The fake's loopback URL counts as GitHub Enterprise Server: /api/v3.
	wantCalls := []string{
		"GET /api/v3/repos/acme/policies",
		"GET /api/v3/repos/acme/policies/git/ref/heads/main",
		"GET /api/v3/repos/acme/policies/git/commits/" + head,
		"POST /api/v3/repos/acme/policies/git/blobs",
		"POST /api/v3/repos/acme/policies/git/trees",
		"POST /api/v3/repos/acme/policies/git/commits",
		"POST /api/v3/repos/acme/policies/git/refs",
		"POST /api/v3/repos/acme/policies/pulls",
		"POST /api/v3/repos/acme/policies/issues/1/labels",
	}
	if diff := cmp.Diff(wantCalls, srv.Requests()); diff != "" {
		t.Fatalf("API calls (-want +got):\n%s", diff)
	}

	pulls := gd.Pulls("acme", "policies")
	if len(pulls) != 1 {
		t.Fatalf("%d pull requests", len(pulls))
	}
	pr := pulls[0]
	// The branch names the day and a digest of the change.
	if !regexp.MustCompile(`^nhigate/sweep-2026-11-25-[0-9a-f]{8}$`).MatchString(pr.Head) {
		t.Errorf("branch %q, want nhigate/sweep-2026-11-25-<digest>", pr.Head)
	}
	files := gd.Files("acme", "policies", pr.Head)
	if _, ok := files["identities/old.yaml"]; ok {
		t.Error("the expired spec is still on the branch")
	}
	wantVendor := strings.Replace(vendorYAML, `    - rule: NHI-CRED-001
      reason: "vendor API only supports static keys"
      approvedBy: "@acme/security"
      expiresAt: "2026-11-01T00:00:00Z"
      ticket: SEC-1234
`, "", 1)
	if diff := cmp.Diff(wantVendor, files["identities/vendor.yaml"]); diff != "" {
		t.Errorf("vendor.yaml (-want +got):\n%s", diff)
	}
	for _, p := range []string{"identities/mixed.yaml", "identities/live.yaml", ".nhigate.yaml"} {
		if files[p] != sweepFiles[p] {
			t.Errorf("%s changed on the branch", p)
		}
	}
	if diff := cmp.Diff(sweepFiles, gd.Files("acme", "policies", "main")); diff != "" {
		t.Errorf("main changed (-want +got):\n%s", diff)
	}

	if pr.Title != "nhigate: revoke 1 expired grant and 1 expired exception" || pr.Base != "main" || pr.Draft || !cmp.Equal(pr.Labels, []string{"nhigate:revocation"}) {
		t.Errorf("pull request = %+v", pr)
	}
	for _, want := range []string{
		"| `grant-expired` | <code>old-release</code> | <code>identities/old.yaml:14</code> | 2026-11-20T00:00:00Z | spec file removed |",
		"| `exception-expired` | <code>vendor-sync</code> | <code>identities/vendor.yaml:21</code> | 2026-11-01T00:00:00Z | exception to <code>NHI-CRED-001</code> removed |",
		"- identities/mixed.yaml holds expired and live workflows: remove the expired ones by hand",
		"only removes access, so the diff rates it low risk",
	} {
		if !strings.Contains(pr.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, pr.Body)
		}
	}
}

// A clone behind GitHub must not rewrite files from a stale copy.
func TestSweepOpenPRBaseMoved(t *testing.T) {
	dir, _ := sweepRepo(t)
	srv := ghtest.NewServer()
	defer srv.Close()
	gd := srv.EnableGitData()
	gd.AddRepo("acme", "policies", "main", sweepFiles)
	var stdout, stderr bytes.Buffer
	env := []string{"GITHUB_TOKEN=" + srv.Token, "GITHUB_REPOSITORY=acme/policies", "GITHUB_API_URL=" + srv.URL}
	err := Run(context.Background(), []string{"sweep", "--repo", dir, "--now", frozen, "--open-pr"}, env, nil, &stdout, &stderr)
	if ExitCode(err) != ExitInternal || !strings.Contains(stderr.String(), "fetch and run again") {
		t.Fatalf("err = %v\n%s", err, stderr.String())
	}
	if got := gd.Branches("acme", "policies"); !cmp.Equal(got, []string{"main"}) {
		t.Errorf("branches = %v", got)
	}
}

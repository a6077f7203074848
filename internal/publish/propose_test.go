package publish

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/ghtest"
	"github.com/nhigate/nhigate/internal/gittest"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/internal/spectest"
	"github.com/nhigate/nhigate/internal/yamledit"
)

// proposeNow is the clock of the proposals; the specs' expiry is dated
// from it.
var proposeNow = time.Date(2026, 11, 25, 12, 0, 0, 500, time.UTC)

// proposeSpec passes the built-in policies; failing lacks the approvals
// its staging tier requires.
func proposeSpec(name string, approvals bool) string {
	rest := `  expiresAt: "` + proposeNow.Add(25*24*time.Hour).Format(time.RFC3339) + `"
  revocation: {onCompletion: true}
`
	if approvals {
		rest += "  approvals: {minApprovals: 1}\n"
	}
	return spectest.YAML(name, "  provenance:\n    generator: chatops-bot@2.3.1\n", rest)
}

const noName = "apiVersion: nhigate.dev/v1\nkind: ProvisioningWorkflow\nmetadata: {owner: x}\n"

// Propose opens a pull request for each spec that passes, refuses failing
// specs unless asked for drafts, and opens nothing without a client.
func TestPropose(t *testing.T) {
	type pull struct {
		Title, Head, Base string
		Draft             bool
		Labels            []string
	}
	passing := pull{Title: "nhigate: propose ci-artifacts (staging)", Base: "main", Labels: []string{"nhigate:generated"}}
	for _, tc := range []struct {
		name     string
		specs    []string
		draft    bool
		noClient bool
		path     string
		// want
		blocked, usage bool
		errText        string
		printed        bool // a result comes back to print
		failing        int
		opened         []pull
	}{
		{name: "passing spec is opened", specs: []string{proposeSpec("ci-artifacts", true)}, printed: true, opened: []pull{passing}},
		{name: "two passing specs, two pull requests", specs: []string{proposeSpec("ci-artifacts", true), proposeSpec("ci-logs", true)}, printed: true,
			opened: []pull{passing, {Title: "nhigate: propose ci-logs (staging)", Base: "main", Labels: []string{"nhigate:generated"}}}},
		{name: "no client: judged and printed, nothing opened", specs: []string{proposeSpec("ci-artifacts", true)}, noClient: true, printed: true},
		{name: "failing spec is refused", specs: []string{proposeSpec("ci-artifacts", false)}, printed: true, failing: 1, blocked: true,
			errText: "propose: refused: 1 spec fails validation or policy; no pull request opened"},
		{name: "failing spec as a draft", specs: []string{proposeSpec("ci-artifacts", false)}, draft: true, printed: true, failing: 1,
			opened: []pull{{Title: "[failing] nhigate: propose ci-artifacts (staging)", Base: "main", Draft: true, Labels: []string{"nhigate:generated"}}}},
		{name: "no name: not even a draft", specs: []string{noName}, draft: true, printed: true, failing: 1, blocked: true,
			errText: "cannot be proposed even as a draft"},
		{name: "the same spec twice", specs: []string{proposeSpec("ci-artifacts", true), proposeSpec("ci-artifacts", true)}, usage: true,
			errText: "would both be written to identities/ci-artifacts.yaml"},
		{name: "outside the config's specs", specs: []string{proposeSpec("ci-artifacts", true)}, path: "elsewhere/ci.yaml", usage: true,
			errText: "is not where .nhigate.yaml expects specs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ghtest.NewServer()
			t.Cleanup(srv.Close)
			// The clone's main is GitHub's: the pull requests are computed on it.
			const cfg = "specs: [\"identities/**\"]\n"
			clone := gittest.Repo(t, map[string]string{".nhigate.yaml": cfg})
			tree, err := source.Open(clone, "HEAD")
			if err != nil {
				t.Fatal(err)
			}
			head, _ := source.Commit(tree)
			gd := srv.EnableGitData()
			gd.AddRepoAt("acme", "policies", "main", head, map[string]string{".nhigate.yaml": cfg})
			dir := t.TempDir()
			req := ProposeRequest{Path: tc.path, Now: proposeNow, Checkout: clone, Owner: "acme", Repo: "policies",
				Draft: tc.draft, DryRun: tc.noClient, Version: "test", Prompt: yamledit.Prompt{FromFile: true, Text: "give CI read access\n"}}
			for i, s := range tc.specs {
				f := filepath.Join(dir, string(rune('a'+i))+".yaml")
				if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
					t.Fatal(err)
				}
				req.Specs = append(req.Specs, f)
			}
			if !tc.noClient {
				c, err := ghapi.New(ghapi.Options{Token: ghtest.DefaultToken, BaseURL: srv.URL, MaxRetries: -1})
				if err != nil {
					t.Fatal(err)
				}
				req.Client = c
			}
			res, err := Propose(context.Background(), req)
			var be *BlockedError
			var ue *review.UsageError
			if errors.As(err, &be) != tc.blocked || errors.As(err, &ue) != tc.usage || (err == nil) != (tc.errText == "") {
				t.Fatalf("Propose error %v; want blocked %v, usage %v", err, tc.blocked, tc.usage)
			}
			if err != nil && !strings.Contains(err.Error(), tc.errText) {
				t.Errorf("error %q lacks %q", err, tc.errText)
			}
			if (res != nil) != tc.printed {
				t.Fatalf("result %+v, want one to print: %v", res, tc.printed)
			}
			var got []pull
			for _, p := range gd.Pulls("acme", "policies") {
				got = append(got, pull{Title: p.Title, Base: p.Base, Draft: p.Draft, Labels: p.Labels})
			}
			if diff := cmp.Diff(tc.opened, got); diff != "" {
				t.Errorf("pull requests opened (-want +got):\n%s", diff)
			}
			if res == nil {
				return
			}
			if res.Failing != tc.failing {
				t.Errorf("Failing = %d, want %d", res.Failing, tc.failing)
			}
			r := res.Result
			if r.Opened != (len(tc.opened) > 0) || r.Repo != "acme/policies" || r.DryRun != tc.noClient || !strings.Contains(r.Policies, "in "+clone) {
				t.Errorf("result opened %v, repo %q, dry run %v, policies %q", r.Opened, r.Repo, r.DryRun, r.Policies)
			}
			numbers := map[int]bool{}
			for i, p := range r.Proposals {
				if p.GeneratedAt != "2026-11-25T12:00:00Z" && p.Branch != "" {
					t.Errorf("proposal %d generatedAt %q, want the clock to the second", i, p.GeneratedAt)
				}
				if i >= len(tc.opened) {
					continue
				}
				if p.PullRequest == nil || p.PullRequest.Number == 0 || numbers[p.PullRequest.Number] || !strings.Contains(p.Body, "### Policy results") {
					t.Errorf("proposal %d: pull request %+v, body %q", i, p.PullRequest, p.Body)
					continue
				}
				numbers[p.PullRequest.Number] = true
			}
		})
	}
}

// A forged provenance (a prompt hash the prompt does not match) stops the
// run as blocked, before anything is judged or opened.
func TestProposeForged(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "forged.yaml")
	forged := strings.Replace(proposeSpec("ci-artifacts", true), "    generator: chatops-bot@2.3.1\n",
		"    generator: chatops-bot@2.3.1\n    promptSha256: "+strings.Repeat("0", 64)+"\n", 1)
	if err := os.WriteFile(f, []byte(forged), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Propose(context.Background(), ProposeRequest{Specs: []string{f}, Now: proposeNow,
		Prompt: yamledit.Prompt{FromFile: true, Text: "something else\n"}})
	var be *BlockedError
	var forgedErr *yamledit.ForgedError
	if !errors.As(err, &be) || !errors.As(err, &forgedErr) || res != nil {
		t.Errorf("Propose = %+v, %v; want a blocked ForgedError and nothing to print", res, err)
	}
}

// A spec file that is missing is a usage error naming it.
func TestProposeMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Propose(context.Background(), ProposeRequest{Specs: []string{missing}, Now: proposeNow})
	var ue *review.UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Propose = %v, want a usage error naming %s", err, missing)
	}
}

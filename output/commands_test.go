package output

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/lifecycle"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/spec"
)

// A name that tries Markdown, HTML and a workflow command; with awsKey
// (safe_test.go), every format must escape the one and mask the other.
const hostileName = "a`b <!-- *x* @acme/sec\n::error::"

var resultNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func verifyResult() *VerifyResult {
	exp, valid := resultNow.Add(72*time.Hour), resultNow.Add(24*time.Hour)
	return &VerifyResult{SchemaVersion: ResultSchemaVersion, Results: []VerifyItem{
		{Spec: "identities/ci.yaml", Bundle: "att/identities/ci.yaml.sigstore.json", Verified: true, Signer: "key sha256:0123abcd",
			Commit: "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", ExpiresAt: &exp, ValidUntil: &valid, Approvers: []string{"carol", "dave"}},
		{Spec: "identities/" + awsKey + ".yaml", Bundle: "att/x.sigstore.json", Reason: "digest-mismatch",
			Error: "the spec's SHA-256 differs from the bundle's subject: " + hostileName},
	}}
}

func sweepResult() *SweepResult {
	return &SweepResult{
		Report: lifecycle.Report{Now: resultNow, Items: []lifecycle.Item{
			{Kind: lifecycle.GrantExpired, Identity: "ci-deploy", File: "identities/ci.yaml", Line: 9, Field: "spec.expiresAt",
				When: resultNow.Add(-48 * time.Hour), Overdue: true, Action: "remove the spec, or renew it through a reviewed pull request"},
			{Kind: lifecycle.ExceptionExpired, Identity: hostileName, File: "identities/" + awsKey + ".yaml", Line: 20, Rule: "NHI-CRED-002",
				When: resultNow.Add(24 * time.Hour), Action: "renew the exception to NHI-CRED-002 with its approver, or fix what it waives"},
		}},
		Revision: "main (1a2b3c4)", Within: "168h", Files: 3,
		Invalid: spec.Errors{{File: "identities/broken.yaml", Line: 3, Col: 1, Msg: "not YAML"}},
	}
}

func proposeResult() *ProposeResult {
	return &ProposeResult{SchemaVersion: ResultSchemaVersion, Policies: "built-in defaults", Repo: "acme/policies", DryRun: true,
		Proposals: []*Proposal{
			{Spec: "new.yaml", Name: "release-bot", Path: "identities/release-bot.yaml", Branch: "nhigate/release-bot-0a1b2c3",
				Title: "nhigate: propose release-bot (staging)", Body: "A generator proposes it.\n\n### Prompt\n" + awsKey + "\n", PromptSHA256: "ab12",
				GeneratedAt: "2026-11-25T12:00:00Z", Failures: []string{}, Content: "metadata:\n  name: release-bot\n"},
			{Spec: "bad.yaml", Failures: []string{"bad.yaml:1:1: " + hostileName}},
		}}
}

func ownersResult() *OwnersResult {
	return &OwnersResult{SchemaVersion: ResultSchemaVersion, Revision: "main", CODEOWNERS: ".github/CODEOWNERS",
		Paths: []PathOwners{
			{Path: "identities/aws/ci.yaml", Owners: []string{"@acme/platform", "@alice"}, Line: 3, Pattern: "identities/aws/"},
			{Path: "identities/vault/db.yaml", Owners: []string{}, Line: 5, Pattern: "identities/vault/"},
			{Path: "README.md", Owners: []string{}},
		},
		Invalid: []OwnersLineError{{Line: 7, Text: "!x @a", Reason: "negation (!) is not supported by GitHub"}}}
}

func policiesResult() *PoliciesResult {
	return &PoliciesResult{SchemaVersion: ResultSchemaVersion,
		Rules: []PolicyRule{{ID: "NHI-CRED-001", Namespace: "nhigate.credentials", Kind: "deny", Title: "Static credential in production",
			Severity: "critical", Waivable: true, Fix: "use kind: ephemeral",
			Controls: reviewer.Controls{OWASPNHI: []string{"NHI7"}, NISTCSF: []string{"PR.AA-05"}}}},
		RepoRules: []RepoRule{{Namespace: "org.tags", Rule: "deny_missing_tag", Kind: "deny"}},
		From:      ".nhigate.yaml",
		Reference: "# nhigate policies\n\n(the reference)\n",
	}
}

// TestCommandGolden renders every command result in every format it has.
func TestCommandGolden(t *testing.T) {
	results := map[Kind]any{
		KindVerify: verifyResult(), KindSweep: sweepResult(), KindPropose: proposeResult(),
		KindOwners: ownersResult(), KindPolicies: policiesResult(),
	}
	for _, kind := range []Kind{KindVerify, KindSweep, KindPropose, KindOwners, KindPolicies} {
		for _, format := range FormatsOf(kind) {
			name := string(kind) + "." + format
			t.Run(name, func(t *testing.T) {
				print, err := Pick(kind, format, Options{})
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := print(&buf, results[kind]); err != nil {
					t.Fatal(err)
				}
				out := buf.String()
				if strings.Contains(out, awsKey) {
					t.Errorf("the key shows unmasked:\n%s", out)
				}
				for _, line := range strings.Split(out, "\n") {
					if strings.HasPrefix(strings.TrimSpace(line), "::") {
						t.Errorf("a line starts a workflow command: %q", line)
					}
				}
				golden(t, "cmd-"+name, buf.Bytes())
			})
		}
	}
}

// TestPick: every kind is picked by name from one registry, and an unknown
// name is the same error everywhere, listing the valid ones.
func TestPick(t *testing.T) {
	for _, kind := range []Kind{KindReport, KindVerify, KindSweep, KindPropose, KindOwners, KindPolicies} {
		formats := FormatsOf(kind)
		if len(formats) == 0 || formats[0] != "text" || !slices.Contains(formats, "json") {
			t.Errorf("%s formats %v: want text first, and json", kind, formats)
		}
		_, err := Pick(kind, "yaml", Options{})
		want := `unknown format "yaml": use one of ` + strings.Join(formats, ", ")
		if err == nil || err.Error() != want {
			t.Errorf("%s: Pick(yaml) = %v, want %q", kind, err, want)
		}
	}
	print, err := Pick(KindOwners, "json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := print(&bytes.Buffer{}, verifyResult()); err == nil {
		t.Error("an owners printer rendered a verify result")
	}
	if diff := cmp.Diff([]string{"text", "markdown", "json", "sarif", "github", "junit"}, FormatsOf(KindReport)); diff != "" {
		t.Errorf("report formats (-want +got):\n%s", diff)
	}
}

// TestProposalBody: the pull request body of a failing proposal, with a
// prompt that holds a key and a fence of its own.
func TestProposalBody(t *testing.T) {
	pr := proposeResult().Proposals[0]
	pr.Failures = []string{"identities/release-bot.yaml:9: NHI-EXP-001: " + hostileName}
	rep := reviewer.Decide(reviewer.Input{Mode: reviewer.Local, Scope: reviewer.ScopeReview, Files: 1,
		Findings: []reviewer.Finding{{Rule: "NHI-EXP-001", Kind: "deny", Severity: "high", Message: hostileName,
			Identity: "release-bot", File: "identities/release-bot.yaml", Line: 9, Col: 3}}})
	prompt := "Give the release bot " + awsKey + "\n```\nand more\n"
	pr.Title = ProposalTitle(pr, "staging")
	body := ProposalBody(pr, rep, prompt, "built-in defaults", "test")
	if strings.Contains(body, awsKey) || strings.Contains(body, Marker) {
		t.Errorf("the body shows the key or the review's marker:\n%s", body)
	}
	if !strings.Contains(body, "> ````text\n") {
		t.Errorf("the prompt's fence is not longer than the prompt's own:\n%s", body)
	}
	golden(t, "cmd-propose.body.md", []byte(pr.Title+"\n\n"+ProposalCommit(pr, "", "test")+"\n"+body))
}

// TestRevocation: the revocation pull request's body and its dry-run
// preview, with a hostile revision and identity.
func TestRevocation(t *testing.T) {
	res := sweepResult()
	res.Revision = "main`<!--" + awsKey
	rv := &lifecycle.Revocation{
		Files:   map[string][]byte{"identities/ci.yaml": nil, "identities/agent.yaml": []byte("metadata: {}\n")},
		Removed: res.Items,
		Manual:  []string{"identities/x.yaml: " + hostileName},
	}
	body := RevocationBody(res, rv)
	var buf bytes.Buffer
	if err := RevocationPreview(&buf, Change{Branch: "nhigate/sweep-2026-11-25-0a1b2c3d", BaseSHA: "1a2b3c4d5e6f", Title: "nhigate: revoke 1 expired grant",
		Labels: []string{"nhigate:revocation"}, Files: rv.Files, Body: body}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), awsKey) || strings.Contains(buf.String(), "<!--") {
		t.Errorf("the preview shows the key or an HTML comment:\n%s", buf.String())
	}
	golden(t, "cmd-sweep.revocation", buf.Bytes())
}

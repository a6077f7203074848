package output

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./output -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got); run go test ./output -update if the change is intended:\n%s", name, diff)
	}
}

// exampleReport reviews the bundled example, with findings and approvals
// made up to exercise every section.
func exampleReport(t *testing.T, approvals []reviewer.Requirement) *reviewer.Report {
	t.Helper()
	base, err := source.Open(".", "../testdata/example/base")
	if err != nil {
		t.Fatal(err)
	}
	head, err := source.Open(".", "../testdata/example/head")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := source.LoadConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	changed, err := source.Changed(context.Background(), base, head)
	if err != nil {
		t.Fatal(err)
	}
	b, err := source.LoadSpecs(base, changed, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := source.LoadSpecs(head, changed, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return reviewer.Decide(reviewer.Input{
		Mode: reviewer.GitHub, Scope: reviewer.ScopeReview, Base: "main (1a2b3c4)", Head: "feature (5d6e7f8)",
		Files: 5,
		Diff:  diffing.Compute(b.Workflows, h.Workflows, []string{".github/CODEOWNERS"}),
		Invalid: spec.Errors{{File: "identities/aws/broken.yaml", Line: 7, Col: 5, Path: "spec.credential.kind",
			Msg: `"statik" is not allowed`, Hint: "write one of: ephemeral, static"}},
		Findings: []reviewer.Finding{
			{Rule: "NHI-CRED-002", Title: "Static credential in production", Kind: "deny", Severity: "critical", Message: "static credential in production | denied",
				Fix: "use kind: ephemeral, or add an approved exception", Identity: "finance-bi-export",
				File: "identities/gcp/finance-bi-export.yaml", Line: 25, Col: 11,
				Controls: reviewer.Controls{OWASPNHI: []string{"NHI7"}, NISTCSF: []string{"PR.AA-05"}}},
			{Rule: "NHI-CRED-003", Kind: "warn", Severity: "low", Message: "prefer a workload identity", Identity: "finance-bi-export",
				File: "identities/gcp/finance-bi-export.yaml", Line: 20, Col: 5},
			{Rule: "NHI-WILD-001", Kind: "deny", Severity: "high", Message: "wildcard", Identity: "terraform-modules-deploy-key",
				File: "identities/github/terraform-modules-deploy-key.yaml", Line: 12, Col: 9, Excepted: true},
		},
		PolicyDigest: "sha256:0123456789abcdef0123456789abcdef",
		Approvals:    approvals,
	})
}

var someApprovals = []reviewer.Requirement{
	{Description: "1 approval from @acme/security (CODEOWNERS of .github/CODEOWNERS)", Satisfied: true, By: []string{"carol"}, Reason: "approved on the head commit"},
	{Description: "2 approvals (risk tier critical)", Candidates: []string{"@acme/security"}, Reason: "1 of 2: bob's approval is on an older commit"},
}

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name     string
		renderer Renderer
		report   func(t *testing.T) *reviewer.Report
	}{
		{"review.txt", Text{}, func(t *testing.T) *reviewer.Report { return exampleReport(t, someApprovals) }},
		{"review-color.txt", Text{Color: true}, func(t *testing.T) *reviewer.Report { return exampleReport(t, someApprovals) }},
		{"review.md", Markdown{}, func(t *testing.T) *reviewer.Report { return exampleReport(t, someApprovals) }},
		{"review.json", JSON{}, func(t *testing.T) *reviewer.Report { return exampleReport(t, someApprovals) }},
		{"review.sarif", SARIF{Version: "test"}, func(t *testing.T) *reviewer.Report { return exampleReport(t, someApprovals) }},
		{"review.github", GitHub{}, func(t *testing.T) *reviewer.Report { return exampleReport(t, someApprovals) }},
		{"review.junit.xml", JUnit{}, func(t *testing.T) *reviewer.Report { return exampleReport(t, someApprovals) }},
		{"local.txt", Text{}, func(t *testing.T) *reviewer.Report {
			r := exampleReport(t, nil)
			r.Mode = reviewer.Local
			r.Required = []reviewer.Requirement{
				{Description: "1 approval from @acme/security (CODEOWNERS of identities/vault/)", Reason: "not checked"},
				{Description: "2 approvals (risk tier critical)", Reason: "not checked"},
			}
			return r
		}},
		{"local.md", Markdown{}, func(t *testing.T) *reviewer.Report {
			r := exampleReport(t, nil)
			r.Mode = reviewer.Local
			r.Required = []reviewer.Requirement{{Description: "1 approval from @acme/security (CODEOWNERS of identities/vault/)", Reason: "not checked"}}
			return r
		}},
		{"empty.md", Markdown{}, func(t *testing.T) *reviewer.Report {
			return reviewer.Decide(reviewer.Input{Mode: reviewer.Local, Scope: reviewer.ScopeReview, Base: "main", Head: "feature"})
		}},
		{"huge.md", Markdown{}, hugeReport},
		{"diff.sarif", SARIF{Version: "test"}, diffReport(diffing.None)},
		{"diff.junit.xml", JUnit{}, diffReport(diffing.None)},
		{"diff-fail-on-low.junit.xml", JUnit{}, diffReport(diffing.Low)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.renderer.Render(&buf, tt.report(t)); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, buf.Bytes())
		})
	}
}

// diffReport is the example's diff as nhigate diff reports it, with
// --fail-on-risk at failOn.
func diffReport(failOn diffing.Risk) func(t *testing.T) *reviewer.Report {
	return func(t *testing.T) *reviewer.Report {
		r := exampleReport(t, nil)
		return reviewer.Decide(reviewer.Input{Mode: reviewer.Local, Scope: reviewer.ScopeDiff, Base: r.Base, Head: r.Head,
			Files: r.Files, Diff: r.Diff, FailOnRisk: failOn})
	}
}

// TestDiffFormatsListChanges: a diff's SARIF has one result per change at
// risk medium or above, its level by risk, and the tool's version; its
// JUnit has one case per changed principal, failed at high or at
// --fail-on-risk.
func TestDiffFormatsListChanges(t *testing.T) {
	r := diffReport(diffing.None)(t)
	var risky, high, principals, atLow int
	for _, c := range r.Diff.Governance {
		principals++ // a case of its own
		if c.Risk >= diffing.Medium {
			risky++
		}
		if c.Risk >= diffing.Low {
			atLow++
		}
		if c.Risk >= diffing.High {
			high++
		}
	}
	for _, id := range r.Diff.Identities {
		principals++
		for _, c := range id.Changes {
			if c.Risk >= diffing.Medium {
				risky++
			}
		}
		if id.Risk >= diffing.High {
			high++
		}
		if id.Risk >= diffing.Low {
			atLow++
		}
	}
	if risky == 0 || high == 0 || atLow == high {
		t.Fatalf("the example has %d risky changes, %d high principals, %d at low: it no longer exercises the formats", risky, high, atLow)
	}
	var buf bytes.Buffer
	if err := (SARIF{Version: "1.2.3"}).Render(&buf, r); err != nil {
		t.Fatal(err)
	}
	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if run.Tool.Driver.Version != "1.2.3" || len(run.Results) != risky {
		t.Errorf("SARIF: version %q, %d results; want 1.2.3 and %d", run.Tool.Driver.Version, len(run.Results), risky)
	}
	for _, res := range run.Results {
		want := map[string]string{"critical": "error", "high": "error", "medium": "warning"}[res.Properties["risk"].(string)]
		if res.Level != want || res.Locations[0].PhysicalLocation.Region.StartLine < 1 || res.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" {
			t.Errorf("SARIF result %+v: want level %s at a file and line", res, want)
		}
	}
	for _, tc := range []struct {
		failOn   diffing.Risk
		failures int
	}{{diffing.None, high}, {diffing.Low, atLow}} {
		buf.Reset()
		if err := (JUnit{}).Render(&buf, diffReport(tc.failOn)(t)); err != nil {
			t.Fatal(err)
		}
		var suites junitSuites
		if err := xml.Unmarshal(buf.Bytes(), &suites); err != nil {
			t.Fatal(err)
		}
		if suites.Tests != principals || suites.Failures != tc.failures {
			t.Errorf("JUnit with --fail-on-risk %s: %d tests, %d failures; want %d and %d", tc.failOn, suites.Tests, suites.Failures, principals, tc.failures)
		}
	}
}

// hugeReport has far more changes than a comment can hold.
func hugeReport(t *testing.T) *reviewer.Report {
	var head []*spec.Workflow
	for i := range 3000 {
		w := &spec.Workflow{
			Metadata: spec.Metadata{Name: fmt.Sprintf("svc-%04d", i)},
			Spec: spec.Spec{
				Identity:    spec.Identity{Name: "svc", Type: "service-account", Platform: "gcp", Consumer: "pipeline"},
				Environment: "staging",
				Credential:  spec.Credential{Kind: "ephemeral"},
			},
			Source: spec.Source{File: fmt.Sprintf("identities/svc-%04d.yaml", i)},
		}
		for j := range 5 {
			w.Spec.Entitlements = append(w.Spec.Entitlements, spec.Entitlement{
				Actions:   []string{fmt.Sprintf("storage.objects.get%d", j)},
				Resources: []string{fmt.Sprintf("projects/acme/buckets/data-%03d-%d/objects/*", i, j)},
			})
		}
		head = append(head, w)
	}
	var findings []reviewer.Finding
	for i := range 50 {
		findings = append(findings, reviewer.Finding{Rule: "NHI-EXP-001", Kind: "deny", Severity: "high", Message: "no expiry",
			Identity: fmt.Sprintf("svc-%04d", i), File: fmt.Sprintf("identities/svc-%04d.yaml", i), Line: 1, Col: 1})
	}
	return reviewer.Decide(reviewer.Input{Mode: reviewer.Local, Scope: reviewer.ScopeReview, Base: "main", Head: "bulk", Files: 3000,
		Diff: diffing.Compute(nil, head, nil), Findings: findings})
}

func TestMarkdownStaysUnderTheCommentLimit(t *testing.T) {
	r := hugeReport(t)
	for _, limit := range []int{MaxCommentSize, 20000, 4000} {
		out := Markdown{Limit: limit}.String(r)
		if n := runeLen(out); n > limit {
			t.Errorf("limit %d: comment is %d characters", limit, n)
		}
		if !strings.HasPrefix(out, Marker) {
			t.Errorf("limit %d: comment does not start with the marker", limit)
		}
		if !strings.Contains(out, "Policy failures: **NHI-EXP-001** ×50.") {
			t.Errorf("limit %d: the summary does not count the failing rules", limit)
		}
		if !strings.Contains(out, "more changed identities") {
			t.Errorf("limit %d: the summary does not say how many identities it left out", limit)
		}
		// Every table row is whole: it starts and ends with a pipe.
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "|") && !strings.HasSuffix(line, "|") {
				t.Errorf("limit %d: cut table row %q", limit, line)
			}
		}
	}
}

func TestJSONHasSchemaVersion(t *testing.T) {
	var buf bytes.Buffer
	if err := (JSON{}).Render(&buf, exampleReport(t, nil)); err != nil {
		t.Fatal(err)
	}
	var got struct {
		SchemaVersion int    `json:"schemaVersion"`
		Verdict       string `json:"verdict"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.SchemaVersion != reviewer.SchemaVersion || got.Verdict != "blocked" {
		t.Errorf("got %+v", got)
	}
}

func TestPickReport(t *testing.T) {
	for _, f := range FormatsOf(KindReport) {
		if _, err := Pick(KindReport, f, Options{}); err != nil {
			t.Errorf("Pick(%q): %v", f, err)
		}
	}
	if _, err := Pick(KindReport, "yaml", Options{}); err == nil || !strings.Contains(err.Error(), "use one of") {
		t.Errorf("Pick(yaml) = %v, want an error listing the formats", err)
	}
}

// TestJUnitNamesAreUnique: CI systems chart test cases by name, so a rule
// that fires twice on one spec must not give two cases one name.
func TestJUnitNamesAreUnique(t *testing.T) {
	f := reviewer.Finding{Rule: "NHI-DEL-003", Kind: "deny", Identity: "incident-agent", File: "identities/agent.yaml", Line: 12, Message: "a"}
	g := f
	g.Line, g.Message = 20, "b"
	other := reviewer.Finding{Rule: "NHI-EXP-001", Kind: "deny", Identity: "incident-agent", File: "identities/agent.yaml", Line: 3, Message: "c"}
	rep := reviewer.Decide(reviewer.Input{Mode: reviewer.Local, Scope: reviewer.ScopeCheck, Findings: []reviewer.Finding{f, g, other}})
	var buf bytes.Buffer
	if err := (JUnit{}).Render(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			names = append(names, c.Name)
		}
	}
	want := []string{"NHI-DEL-003 incident-agent #1", "NHI-DEL-003 incident-agent #2", "NHI-EXP-001 incident-agent"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("test-case names (-want +got):\n%s", diff)
	}
}

// TestConditionsShownOnce: a report shows long conditions as their first
// bytes, size and digest, so that a thousand listed changes of one
// entitlement do not repeat its conditions a thousand times (JSON lists
// each whole once, under its digest); short ones are shown whole, and two
// long ones that differ only at the end stay apart.
func TestConditionsShownOnce(t *testing.T) {
	long := `{"StringEquals":{"aws:SourceVpc":"` + strings.Repeat("v", 4000) + `"}}`
	other := `{"StringEquals":{"aws:SourceVpc":"` + strings.Repeat("v", 3999) + `w"}}`
	short := `{"Bool":{"aws:SecureTransport":"true"}}`
	if got := Conditions(short); got != short {
		t.Errorf("short conditions: got %q", got)
	}
	got := Conditions(long)
	if len(got) > MaxConditionsShown || !strings.HasPrefix(got, `{"StringEquals":{"aws:SourceVpc":"vvv`) || !strings.Contains(got, "(4037 bytes, sha256:") {
		t.Errorf("long conditions: got %q (%d bytes)", got, len(got))
	}
	if Conditions(other) == got {
		t.Errorf("two different conditions show the same: %q", got)
	}

	w := &spec.Workflow{}
	w.Metadata.Name = "ci"
	w.Spec.Identity.Platform = "aws"
	w.Spec.Identity.Name = "ci"
	w.Source.File = "identities/ci.yaml"
	id := &diffing.Identity{Name: "ci", Principal: "aws/ci", Head: w, Risk: diffing.Medium}
	for i := range 50 {
		g := diffing.Grant{Action: fmt.Sprintf("s3:Action%d", i), Resource: "arn:aws:s3:::b/*", Conditions: long}
		id.Changes = append(id.Changes, diffing.Change{Kind: diffing.GrantAdded, Grant: &g, Risk: diffing.Medium, Reason: "new access"})
	}
	r := reviewer.Decide(reviewer.Input{Mode: reviewer.Local, Scope: reviewer.ScopeDiff, Base: "main", Head: "feature",
		Diff: &diffing.Diff{Identities: []*diffing.Identity{id}, Governance: []diffing.Change{}}})
	var text bytes.Buffer
	if err := (Text{}).Render(&text, r); err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := (JSON{}).Render(&js, r); err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Risk       string            `json:"risk"`
		Conditions map[string]string `json:"conditions"`
		Diff       diffing.Diff      `json:"diff"`
	}
	if err := json.Unmarshal(js.Bytes(), &parsed); err != nil {
		t.Fatal(err)
	}
	if len(parsed.Conditions) != 1 || len(parsed.Diff.Identities) != 1 || len(parsed.Diff.Identities[0].Changes) != 50 {
		t.Fatalf("JSON: %d conditions, %d identities", len(parsed.Conditions), len(parsed.Diff.Identities))
	}
	for digest, full := range parsed.Conditions {
		if full != long || !strings.HasPrefix(digest, "sha256:") || len(digest) != len("sha256:")+64 {
			t.Errorf("JSON conditions[%q] = %d bytes, want the whole object under its digest", digest, len(full))
		}
		if g := parsed.Diff.Identities[0].Changes[7].Grant; !strings.HasSuffix(g.Conditions, digest+")") {
			t.Errorf("JSON grant conditions %q do not name %s", g.Conditions, digest)
		}
	}
	if id.Changes[0].Grant.Conditions != long {
		t.Errorf("rendering JSON changed the report")
	}
	for name, out := range map[string]string{"text": text.String(), "markdown": Markdown{}.String(r), "json": strings.Replace(js.String(), jsonString(t, long), "", 1)} {
		if n := strings.Count(out, strings.Repeat("v", 200)); n != 0 {
			t.Errorf("%s repeats the conditions %d times", name, n)
		}
		if n := len(out); n > 50*600 {
			t.Errorf("%s is %d bytes for 50 changes", name, n)
		}
	}
}

// jsonString is s as a JSON string literal.
func jsonString(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package policies

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/conftest/parser"
	"github.com/open-policy-agent/opa/v1/util"
)

// fixtureNow is the frozen clock of all fixtures.
var fixtureNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func newEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = fixtureNow
	}
	e, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// passingSpec is testdata/specs/pass.yaml as a fresh, mutable value.
func passingSpec(t testing.TB) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("testdata/specs/pass.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := util.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// fixtureConfig is testdata/config/nhigate.yaml: the defaults with
// "@acme/security" as the approver of the critical tier.
func fixtureConfig(t testing.TB) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("testdata/config/nhigate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var data struct {
		Nhigate struct {
			Config map[string]any `json:"config"`
		} `json:"nhigate"`
	}
	if err := util.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	return data.Nhigate.Config
}

// at walks a dotted path with [i] indexes to the parent of its last key.
func at(t testing.TB, doc any, path string) (parent any, key string) {
	t.Helper()
	keys := strings.FieldsFunc(strings.ReplaceAll(path, "[", ".["), func(r rune) bool { return r == '.' })
	for _, k := range keys[:len(keys)-1] {
		doc = step(t, doc, k)
	}
	return doc, keys[len(keys)-1]
}

func step(t testing.TB, doc any, k string) any {
	t.Helper()
	if i, ok := index(k); ok {
		return doc.([]any)[i]
	}
	return doc.(map[string]any)[k]
}

func index(k string) (int, bool) {
	if !strings.HasPrefix(k, "[") {
		return 0, false
	}
	i, err := strconv.Atoi(strings.Trim(k, "[]"))
	return i, err == nil
}

// set and del edit a spec at a path like spec.entitlements[0].actions.
func set(path string, v any) func(testing.TB, map[string]any) {
	return func(t testing.TB, doc map[string]any) {
		parent, k := at(t, doc, path)
		if i, ok := index(k); ok {
			parent.([]any)[i] = v
			return
		}
		parent.(map[string]any)[k] = v
	}
}

func del(path string) func(testing.TB, map[string]any) {
	return func(t testing.TB, doc map[string]any) {
		parent, k := at(t, doc, path)
		delete(parent.(map[string]any), k)
	}
}

// outcome is one result in short form: "deny NHI-CRED-001" or
// "excepted NHI-CRED-001".
func outcome(r Result) string {
	if r.Excepted {
		return "excepted " + r.Rule
	}
	return r.Kind + " " + r.Rule
}

func outcomes(results []Result) []string {
	var out []string
	for _, r := range results {
		if s := outcome(r); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

func exception(rule string) map[string]any {
	return map[string]any{
		"rule":       rule,
		"reason":     "vendor API only supports static keys",
		"approvedBy": "@acme/security",
		"expiresAt":  "2026-12-31T00:00:00Z",
		"ticket":     "SEC-1234",
	}
}

// TestCheckControls runs each control through the Go API: one edit of the
// passing spec, and exactly the results it must produce.
func TestCheckControls(t *testing.T) {
	static := map[string]any{"kind": "static", "ttl": "1h", "rotation": "24h"}
	named := []any{"arn:aws:s3:::payments-artifacts/release.tgz"}
	tests := []struct {
		name   string
		edits  []func(testing.TB, map[string]any)
		config func(map[string]any)
		want   []string
	}{
		{name: "passing spec"},
		{name: "apiVersion", edits: fx(set("apiVersion", "v1")), want: []string{"deny NHI-SPEC-001"}},
		{name: "owner", edits: fx(set("metadata.owner", "")), want: []string{"deny NHI-OWN-001"}},
		{name: "requester", edits: fx(del("metadata.requester")), want: []string{"deny NHI-OWN-002"}},
		{name: "generator", edits: fx(del("metadata.provenance.generator")), want: []string{"deny NHI-PROV-001"}},
		{name: "prompt", edits: fx(del("metadata.provenance.prompt"), del("metadata.provenance.promptSha256")), want: []string{"deny NHI-PROV-002"}},
		{name: "prompt hash", edits: fx(set("metadata.provenance.prompt", "something else")), want: []string{"deny NHI-PROV-003"}},
		{name: "hash only", edits: fx(del("metadata.provenance.prompt"))},
		{name: "expiry missing", edits: fx(del("spec.expiresAt")), want: []string{"deny NHI-EXP-001"}},
		{name: "expiry passed", edits: fx(set("spec.expiresAt", "2026-11-25T11:00:00Z")), want: []string{"deny NHI-EXP-002"}},
		{name: "expiry beyond maxGrant", edits: fx(set("spec.expiresAt", "2026-12-26T00:00:00Z")), want: []string{"deny NHI-EXP-003"}},
		{name: "static in production", edits: fx(set("spec.credential", static)), want: []string{"deny NHI-CRED-001"}},
		{
			name:  "static without rotation",
			edits: fx(set("spec.environment", "staging"), set("spec.credential", map[string]any{"kind": "static", "ttl": "1h"})),
			want:  []string{"deny NHI-CRED-002"},
		},
		{
			name:  "static api key warns",
			edits: fx(set("spec.environment", "staging"), set("spec.identity.type", "api-key"), set("spec.credential", static)),
			want:  []string{"warn NHI-CRED-003"},
		},
		{name: "unknown credential kind", edits: fx(set("spec.credential.kind", "long-lived")), want: []string{"deny NHI-CRED-004"}},
		{name: "ttl over maxTTL", edits: fx(set("spec.credential.ttl", "9h")), want: []string{"deny NHI-CRED-005"}},
		{name: "ttl not a duration", edits: fx(set("spec.credential.ttl", "1 day")), want: []string{"deny NHI-CRED-005"}},
		{name: "revocation manual", edits: fx(set("spec.revocation", map[string]any{})), want: []string{"deny NHI-REV-001"}},
		{name: "service-wide action", edits: fx(set("spec.entitlements[0].actions[1]", "s3:*")), want: []string{"deny NHI-ENT-001"}},
		{name: "bare * action", edits: fx(set("spec.entitlements[0].actions", []any{"*"})), want: []string{"deny NHI-ENT-001"}},
		{name: "account-wide resource", edits: fx(set("spec.entitlements[0].resources", []any{"arn:aws:s3:::*"})), want: []string{"deny NHI-ENT-002"}},
		{
			name:  "wildcards allowed in staging",
			edits: fx(set("spec.environment", "staging"), set("spec.entitlements[0].actions", []any{"s3:*"}), set("spec.entitlements[0].resources", []any{"*"})),
		},
		{name: "entitlement without actions", edits: fx(del("spec.entitlements[0].actions")), want: []string{"deny NHI-ENT-003"}},
		{name: "agent ttl", edits: fx(set("spec.identity.consumer", "agent"), set("spec.entitlements[0].resources", named), set("spec.credential.ttl", "90m")), want: []string{"deny NHI-DEL-001"}},
		{
			name:  "scheduled job expiry",
			edits: fx(set("spec.identity.consumer", "scheduled-job"), set("spec.entitlements[0].resources", named), set("spec.expiresAt", "2026-12-03T00:00:00Z")),
			want:  []string{"deny NHI-DEL-002"},
		},
		{name: "agent wildcard", edits: fx(set("spec.identity.consumer", "agent")), want: []string{"deny NHI-DEL-003"}},
		{
			name:  "missing consumer is delegated",
			edits: fx(del("spec.identity.consumer"), set("spec.environment", "development")),
			want:  []string{"deny NHI-DEL-003"},
		},
		{name: "human consumer warns", edits: fx(set("spec.identity.consumer", "human")), want: []string{"warn NHI-ID-001"}},
		{name: "unknown environment", edits: fx(set("spec.environment", "prod")), want: []string{"deny NHI-ENV-001"}},
		{name: "requester approves", edits: fx(set("spec.approvals.required", []any{"@acme/security", "@ALICE"})), want: []string{"deny NHI-SOD-001"}},
		{
			name:  "owner approves alone",
			edits: fx(set("spec.entitlements[0].resources", named), set("spec.approvals.required", []any{"@acme/payments"})),
			want:  []string{"deny NHI-SOD-002"},
		},
		{
			name:   "tier approver missing",
			edits:  fx(set("spec.approvals.required", []any{"bob"})),
			config: func(c map[string]any) { tier(c, "critical")["approvers"] = []any{"@acme/security"} },
			want:   []string{"deny NHI-RISK-001"},
		},
		{
			name:  "high-risk platform needs approvals",
			edits: fx(set("spec.environment", "development"), set("spec.identity.platform", "vault"), set("spec.approvals.minApprovals", 1)),
			want:  []string{"deny NHI-RISK-002"},
		},
		{name: "low tier needs one approval", edits: fx(set("spec.environment", "development"), set("spec.approvals.minApprovals", 1))},
		{name: "exception without reason", edits: fx(set("spec.exceptions", []any{withKey(exception("NHI-CRED-001"), "reason", "")})), want: []string{"deny NHI-EXC-001"}},
		{name: "exception by requester", edits: fx(set("spec.exceptions", []any{withKey(exception("NHI-CRED-001"), "approvedBy", "alice")})), want: []string{"deny NHI-EXC-002"}},
		{name: "exception expired", edits: fx(set("spec.exceptions", []any{withKey(exception("NHI-CRED-001"), "expiresAt", "2026-11-25T12:00:00Z")})), want: []string{"deny NHI-EXC-003"}},
		{name: "exception too long", edits: fx(set("spec.exceptions", []any{withKey(exception("NHI-CRED-001"), "expiresAt", "2027-03-01T00:00:00Z")})), want: []string{"deny NHI-EXC-004"}},
		{name: "exception unknown rule", edits: fx(set("spec.exceptions", []any{exception("NHI-NOPE-001")})), want: []string{"deny NHI-EXC-005"}},
		{name: "exception not waivable", edits: fx(set("spec.exceptions", []any{exception("NHI-SOD-001")})), want: []string{"deny NHI-EXC-005"}},
		{name: "secret in prompt", edits: fx(set("spec.entitlements[0].conditions", map[string]any{"key": "AKIAIOSFODNN7EXAMPLE"})), want: []string{"deny NHI-SEC-001"}},
		{
			name:  "valid exception waives",
			edits: fx(set("spec.credential", static), set("spec.exceptions", []any{exception("NHI-CRED-001")})),
			want:  []string{"excepted NHI-CRED-001"},
		},
		{
			name:  "expired exception does not waive",
			edits: fx(set("spec.credential", static), set("spec.exceptions", []any{withKey(exception("NHI-CRED-001"), "expiresAt", "2026-11-01T00:00:00Z")})),
			want:  []string{"deny NHI-CRED-001", "deny NHI-EXC-003"},
		},
		{
			name:  "exception waives a warning",
			edits: fx(set("spec.identity.consumer", "human"), set("spec.exceptions", []any{exception("NHI-ID-001")})),
			want:  []string{"excepted NHI-ID-001"},
		},
		{
			name:   "broken config",
			config: func(c map[string]any) { c["maxExceptionDays"] = "ninety" },
			want:   []string{"deny NHI-CFG-001"},
		},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		for _, w := range tt.want {
			covered[w[strings.Index(w, " ")+1:]] = true
		}
	}
	for _, r := range Catalog() {
		if !covered[r.ID] {
			t.Errorf("no test case makes %s fire", r.ID)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := passingSpec(t)
			for _, edit := range tt.edits {
				edit(t, doc)
			}
			config := fixtureConfig(t)
			if tt.config != nil {
				tt.config(config)
			}
			e := newEngine(t, Options{Data: config})
			results, err := e.Check(context.Background(), []Input{{File: "spec.yaml", Docs: []any{doc}}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, outcomes(results)); diff != "" {
				t.Errorf("results (-want +got):\n%s\n%s", diff, messages(results))
			}
		})
	}
}

func fx(edits ...func(testing.TB, map[string]any)) []func(testing.TB, map[string]any) {
	return edits
}

func withKey(m map[string]any, k string, v any) map[string]any {
	m[k] = v
	return m
}

func tier(config map[string]any, name string) map[string]any {
	return config["riskTiers"].(map[string]any)[name].(map[string]any)
}

func messages(results []Result) string {
	var b strings.Builder
	for _, r := range results {
		b.WriteString(r.Message + "\n")
	}
	return b.String()
}

// TestCheckResult checks every field of one result.
func TestCheckResult(t *testing.T) {
	doc := passingSpec(t)
	set("spec.entitlements[0].actions[1]", "s3:*")(t, doc)
	e := newEngine(t, Options{})
	got, err := e.Check(context.Background(), []Input{
		{File: "a.yaml", Docs: []any{passingSpec(t)}},
		{File: "b.yaml", Docs: []any{passingSpec(t), doc}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rule := catalogRule(t, "NHI-ENT-001")
	want := []Result{{
		File:      "b.yaml",
		Doc:       1,
		Namespace: "nhigate.entitlements",
		Kind:      KindDeny,
		Rule:      "NHI-ENT-001",
		Severity:  "critical",
		Message:   `NHI-ENT-001 action "s3:*" covers every action of a service in production: list the exact actions, e.g. s3:GetObject`,
		Field:     "spec.entitlements[0].actions[1]",
		Fix:       rule.Fix,
		Controls:  rule.Controls,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Check (-want +got):\n%s", diff)
	}
}

func catalogRule(t *testing.T, id string) Rule {
	t.Helper()
	for _, r := range Catalog() {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no rule %s", id)
	return Rule{}
}

// TestCheckFixtures checks each file in testdata/specs against the
// "# want:" line at its top.
func TestCheckFixtures(t *testing.T) {
	files, inputs := fixtureInputs(t)
	e := newEngine(t, Options{Data: fixtureConfig(t)})
	results, err := e.Check(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	byFile := map[string][]Result{}
	for _, r := range results {
		byFile[r.File] = append(byFile[r.File], r)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for line := range strings.Lines(string(raw)) {
			if w, ok := strings.CutPrefix(line, "# want: "); ok {
				want = strings.Split(strings.TrimSpace(w), ", ")
			}
		}
		if want == nil && filepath.Base(f) != "pass.yaml" {
			t.Errorf("%s: no # want: line", f)
		}
		slices.Sort(want)
		if diff := cmp.Diff(want, outcomes(byFile[f])); diff != "" {
			t.Errorf("%s (-want +got):\n%s\n%s", f, diff, messages(byFile[f]))
		}
	}
	// Every control has a failing fixture.
	for _, r := range Catalog() {
		if r.ID == "NHI-CFG-001" {
			continue // not a property of a spec: see TestCheckControls/broken_config
		}
		name := "testdata/specs/fail-" + strings.ToLower(r.ID) + ".yaml"
		if !slices.Contains(files, name) {
			t.Errorf("%s: no fixture %s", r.ID, name)
		}
	}
}

// fixtureInputs parses testdata/specs with conftest's own parser, so that
// both engines see the same documents.
func fixtureInputs(t testing.TB) ([]string, []Input) {
	t.Helper()
	files, err := filepath.Glob("testdata/specs/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	configs, err := parser.ParseConfigurations(files)
	if err != nil {
		t.Fatal(err)
	}
	var inputs []Input
	for _, f := range files {
		docs, multi := configs[f].([]any)
		if !multi {
			docs = []any{configs[f]}
		}
		inputs = append(inputs, Input{File: f, Docs: docs})
	}
	return files, inputs
}

// TestCheckOrder checks that results are deterministic and follow the
// order of the inputs, whatever the parallelism.
func TestCheckOrder(t *testing.T) {
	_, inputs := fixtureInputs(t)
	e := newEngine(t, Options{Data: fixtureConfig(t)})
	first, err := e.Check(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := e.Check(context.Background(), inputs)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Fatalf("results differ between runs (-first +again):\n%s", diff)
		}
	}
	position := map[string]int{}
	for i, in := range inputs {
		position[in.File] = i
	}
	if !slices.IsSortedFunc(first, func(a, b Result) int {
		if c := position[a.File] - position[b.File]; c != 0 {
			return c
		}
		if c := a.Doc - b.Doc; c != 0 {
			return c
		}
		return strings.Compare(a.Namespace, b.Namespace)
	}) {
		t.Error("results are not in input, document, namespace order")
	}
}

// TestCheckMissingFields checks documents that lack everything: policies
// must deny, not crash or pass.
func TestCheckMissingFields(t *testing.T) {
	e := newEngine(t, Options{})
	for _, doc := range []any{nil, map[string]any{}, "text", []any{}, map[string]any{"spec": "x", "metadata": 1}} {
		results, err := e.Check(context.Background(), []Input{{File: "x.yaml", Docs: []any{doc}}})
		if err != nil {
			t.Fatalf("%#v: %v", doc, err)
		}
		got := outcomes(results)
		for _, want := range []string{"deny NHI-SPEC-001", "deny NHI-OWN-001", "deny NHI-OWN-002", "deny NHI-EXP-001", "deny NHI-CRED-005", "deny NHI-ENT-003", "deny NHI-REV-001", "deny NHI-ENV-001"} {
			if !slices.Contains(got, want) {
				t.Errorf("%#v: no %q in %v", doc, want, got)
			}
		}
	}
}

// TestOptions checks that Data replaces the configuration and Now the clock.
func TestOptions(t *testing.T) {
	doc := passingSpec(t)
	set("spec.credential.ttl", "12h")(t, doc)
	in := []Input{{File: "spec.yaml", Docs: []any{doc}}}
	ctx := context.Background()

	results, err := newEngine(t, Options{}).Check(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"deny NHI-CRED-005"}, outcomes(results)); diff != "" {
		t.Errorf("default config (-want +got):\n%s", diff)
	}

	config := fixtureConfig(t)
	config["environments"].(map[string]any)["production"] = map[string]any{"maxTTL": "12h", "maxGrant": "720h"}
	results, err = newEngine(t, Options{Data: config}).Check(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 0 {
		t.Errorf("production maxTTL 12h: got %v", outcomes(results))
	}

	later := newEngine(t, Options{Now: fixtureNow.Add(24 * time.Hour)})
	results, err = later.Check(ctx, []Input{{File: "spec.yaml", Docs: []any{passingSpec(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"deny NHI-EXP-002"}, outcomes(results)); diff != "" {
		t.Errorf("a day later (-want +got):\n%s", diff)
	}

	if _, err := New(ctx, Options{Data: map[string]any{"bad": make(chan int)}}); err == nil {
		t.Error("New accepted config data that is not JSON")
	}
}

// TestRealClock checks that a zero Options.Now judges by the real clock.
// newEngine freezes the clock, so this builds the engine itself, and dates
// its specs relative to the real clock: it passes on any day it runs.
func TestRealClock(t *testing.T) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	stamp := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	tests := []struct {
		name      string
		expiresAt string
		want      []string
	}{
		{"expires in a day", stamp(24 * time.Hour), []string{}},
		{"expired an hour ago", stamp(-time.Hour), []string{"deny NHI-EXP-002"}},
		// Production allows at most 720h of grant, counted from now.
		{"expires past the limit", stamp(800 * time.Hour), []string{"deny NHI-EXP-003"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := passingSpec(t)
			set("spec.expiresAt", tc.expiresAt)(t, doc)
			results, err := e.Check(context.Background(), []Input{{File: "spec.yaml", Docs: []any{doc}}})
			if err != nil {
				t.Fatal(err)
			}
			got := outcomes(results)
			if got == nil {
				got = []string{}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("expiresAt %s (-want +got):\n%s", tc.expiresAt, diff)
			}
		})
	}
}

// TestUserPolicies checks conftest semantics on user policies: string and
// object messages, violation rules, default severities and exceptions.
func TestUserPolicies(t *testing.T) {
	e := newEngine(t, Options{Extra: userPolicies})
	results, err := e.Check(context.Background(), []Input{{File: "spec.yaml", Docs: []any{passingSpec(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []Result
	for _, r := range results {
		if !strings.HasPrefix(r.Namespace, "nhigate.") {
			got = append(got, r)
		}
	}
	base := Result{File: "spec.yaml", Kind: KindDeny, Severity: "high"}
	want := []Result{
		with(base, func(r *Result) {
			r.Namespace, r.Rule, r.Message, r.Excepted = "main", "deny", "production grants need a change ticket", false
		}),
		with(base, func(r *Result) {
			r.Namespace, r.Rule, r.Message, r.Excepted = "main", "deny_generator", "generator chatops-bot@2.3.1 is not pinned by digest", true
		}),
		with(base, func(r *Result) {
			r.Namespace, r.Rule, r.Message, r.Severity = "main", "ORG-001", "identity payments-ci is not prefixed with its team", "low"
		}),
		with(base, func(r *Result) {
			r.Namespace, r.Rule, r.Kind, r.Severity, r.Message, r.Field = "main", "warn_naming", KindWarn, "medium", "name payments-ci-deploy is long", "metadata.name"
		}),
		with(base, func(r *Result) {
			r.Namespace, r.Rule, r.Message, r.Severity = "org.extra", "ORG-002", "every identity needs a cost-center tag", "critical"
		}),
		with(base, func(r *Result) {
			r.Namespace, r.Rule, r.Message = "org.extra", "violation_platform", "platform aws needs an org review"
		}),
		with(base, func(r *Result) {
			r.Namespace, r.Rule, r.Kind, r.Severity, r.Message = "org.static", "warn_window", KindWarn, "medium", "exceptions may last 90 days"
		}),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("user policy results (-want +got):\n%s", diff)
	}
}

func with(r Result, edit func(*Result)) Result {
	edit(&r)
	return r
}

// userPolicies exercise conftest's semantics; the differential test runs
// them through conftest too.
var userPolicies = map[string]string{
	"user/main.rego": `package main

deny contains "production grants need a change ticket" if {
	input.spec.environment == "production"
	not input.metadata.ticket
}

deny_generator contains msg if {
	msg := sprintf("generator %s is not pinned by digest", [input.metadata.provenance.generator])
	not contains(input.metadata.provenance.generator, "sha256:")
}

violation_prefix contains {"msg": sprintf("identity %s is not prefixed with its team", [input.spec.identity.name]), "rule": "ORG-001", "severity": "LOW"} if {
	not startswith(input.spec.identity.name, "acme-")
}

warn_naming contains {"msg": sprintf("name %s is long", [input.metadata.name]), "field": "metadata.name"} if {
	count(input.metadata.name) > 12
}

warn_unused contains "never" if false

exception contains ["generator"] if input.metadata.requester == "alice"
`,
	"user/extra.rego": `package org.extra

violation_platform contains {"msg": sprintf("platform %s needs an org review", [input.spec.identity.platform])} if {
	input.spec.identity.platform != "kubernetes"
}

exception contains ["other"] if true

# conftest's convention: a result object with msg, the rest metadata.
deny_tags contains {"msg": "every identity needs a cost-center tag", "id": "ORG-002", "severity": "critical", "details": {"doc": "https://wiki/tags"}} if {
	not input.metadata.tags
}
`,
	"user/static.rego": `package org.static

warn_window contains sprintf("exceptions may last %d days", [data.nhigate.config.maxExceptionDays]) if {
	data.nhigate.config.maxExceptionDays > 60
}
`,
}

// TestFailClosed checks that nothing passes on a policy error: bad user
// policies fail New or Check, never drop a result.
func TestFailClosed(t *testing.T) {
	ctx := context.Background()
	newErrors := map[string]string{
		"syntax":           "package main\n\ndeny contains msg if {",
		"reserved package": "package nhigate.credential\n\nexception contains [\"nhi_cred_001\"]",
		"reserved lib":     "package nhigate.lib\n\nwaived := {\"nhi_cred_001\"}",
		// The data the engine passes cannot be shadowed by a repo rule.
		"reserved judged":    "package nhigate.judged\n\naws := {\"actions\": {\"iam:*\": []}}",
		"reserved loaded":    "package nhigate\n\nloaded := true",
		"reserved run":       "package nhigate.run.env_limits\n\nstrictest := {}",
		"network":            "package main\n\ndeny contains msg if {\n\tr := http.send({\"method\": \"GET\", \"url\": \"https://example.com\"})\n\tmsg := r.body\n}",
		"unknown builtin":    "package main\n\ndeny contains x if x := parse_config(\"yaml\", \"a: 1\")",
		"function deny rule": "package main\n\ndeny_x(a) := a",
	}
	for name, src := range newErrors {
		t.Run("New/"+name, func(t *testing.T) {
			if _, err := New(ctx, Options{Extra: map[string]string{"user/p.rego": src}}); err == nil {
				t.Errorf("New accepted:\n%s", src)
			}
		})
	}

	checkErrors := map[string]string{
		"number message":     "package main\n\ndeny contains 5 if true",
		"object without msg": "package main\n\ndeny contains {\"message\": \"x\"} if true",
		"empty message":      "package main\n\nwarn contains \"\" if true",
		"msg not a string":   "package main\n\ndeny contains {\"msg\": 1} if true",
		"bad severity":       "package main\n\ndeny contains {\"msg\": \"x\", \"severity\": \"urgent\"} if true",
		"id not a string":    "package main\n\ndeny contains {\"msg\": \"x\", \"id\": 7} if true",
		"bad controls":       "package main\n\ndeny contains {\"msg\": \"x\", \"controls\": [\"NHI1\"]} if true",
		"not a set":          "package main\n\ndeny := \"x\"",
		"deny if":            "package main\n\ndeny if true",
		"conflict":           "package main\n\nx := 1 if true\n\nx := 2 if true\n\ndeny contains \"y\" if x",
		// conftest queries the exceptions of every rule, fired or not.
		"exception conflict": "package main\n\ndeny contains \"y\" if input.kind == \"nope\"\n\nexception := [\"a\"] if input.kind\n\nexception := [\"b\"] if input.kind",
	}
	for name, src := range checkErrors {
		t.Run("Check/"+name, func(t *testing.T) {
			e, err := New(ctx, Options{Extra: map[string]string{"user/p.rego": src}, Now: fixtureNow})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			results, err := e.Check(ctx, []Input{{File: "spec.yaml", Docs: []any{passingSpec(t)}}})
			if err == nil {
				t.Errorf("Check passed with %v", outcomes(results))
			}
		})
	}
}

// TestCheckTimeout checks that a slow policy fails at the context deadline.
func TestCheckTimeout(t *testing.T) {
	slow := "package main\n\ndeny contains \"slow\" if {\n\tcount([x | some x in numbers.range(1, 100000000); x % 7 == 0]) > 0\n}"
	e := newEngine(t, Options{Extra: map[string]string{"user/slow.rego": slow}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	// Run to its end, the policy denies; an error that is the deadline
	// shows that evaluation stopped there instead.
	results, err := e.Check(ctx, []Input{{File: "spec.yaml", Docs: []any{passingSpec(t)}}})
	if err == nil {
		t.Fatalf("Check passed with %d results", len(results))
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Check: %v, want the context's deadline", err)
	}

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newEngine(t, Options{}).Check(cancelled, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Check on a cancelled context: %v, want context.Canceled", err)
	}
}

// TestResultJSON pins the JSON field names other packages render.
func TestResultJSON(t *testing.T) {
	bs, err := json.Marshal(Result{File: "f", Rule: "R", Controls: Controls{OWASP: []string{"NHI1"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"file":"f","doc":0,"namespace":"","kind":"","rule":"R","severity":"","message":"","controls":{"owasp_nhi":["NHI1"]}}`
	if string(bs) != want {
		t.Errorf("got %s, want %s", bs, want)
	}
}

// TestInputIndependent checks which namespaces Check evaluates once per run
// instead of once per document.
func TestInputIndependent(t *testing.T) {
	extra := map[string]string{
		"a.rego": "package a\n\ndeny contains \"x\" if data.nhigate.config.maxExceptionDays > 1",
		"b.rego": "package b\n\ndeny contains \"x\" if helper\n\nhelper if input.kind",
		"c.rego": "package c\n\ndeny contains \"x\" if { f(1) }\n\nf(x) if x == count(input)",
		"d.rego": "package d\n\ndeny contains \"x\" if rand.intn(\"k\", 2) == 0",
		"e.rego": "package e\n\ndeny contains \"x\" if time.now_ns() > 0",
		"f.rego": "package f\n\ndeny contains \"x\" if false\n\nexception contains [\"\"] if input.kind",
		"g.rego": "package g\n\ndeny contains \"x\" if data.b.helper with input as {}",
		"h.rego": "package h\n\ndeny contains \"x\" if data[\"b\"].helper",
	}
	e := newEngine(t, Options{Extra: extra})
	got := map[string]bool{}
	for _, ns := range e.namespaces {
		got[ns.name] = ns.once
	}
	want := map[string]bool{"a": true, "b": false, "c": false, "d": false, "e": true, "f": false, "g": false, "h": false}
	for _, r := range Catalog() {
		want[r.Namespace] = r.Namespace == "nhigate.configuration"
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("once per run (-want +got):\n%s", diff)
	}
}

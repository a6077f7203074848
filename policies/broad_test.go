package policies

import (
	"context"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/nhigate/nhigate/policies/data/nhigate/catalog"
)

// broadCase is one pattern to judge.
type broadCase struct {
	Platform string
	Kind     catalog.Kind
	Pattern  string
}

// broadCases lists patterns for the agreement test: the classes of broad
// patterns and narrow ones, every sensitive action cut into a wildcard,
// every resource type spanned and named, and random patterns built from
// pieces of the catalog.
func broadCases(t *testing.T) []broadCase {
	t.Helper()
	var data catalog.Data
	if err := json.Unmarshal(catalog.JSON(), &data); err != nil {
		t.Fatal(err)
	}
	cases := []broadCase{
		{"aws", catalog.Action, "iam:P*"}, {"aws", catalog.Action, "iam:*Policy*"}, {"aws", catalog.Action, "iam:Pass?ole"},
		{"aws", catalog.Action, "s?:*"}, {"aws", catalog.Action, "secretsmanager:Get*"}, {"aws", catalog.Action, "IAM:pass*"},
		{"aws", catalog.Action, "s3:GetObject"}, {"aws", catalog.Action, "s3:Get*"}, {"aws", catalog.Action, "*"},
		{"aws", catalog.Action, "s3*"}, {"aws", catalog.Action, "?3:*"}, {"aws", catalog.Action, "???"},
		{"aws", catalog.Resource, "arn:aws:iam::123456789012:rol?/*"}, {"aws", catalog.Resource, "arn:aws:secretsmanager:*:*:secret:*"},
		{"aws", catalog.Resource, "arn:aws:s3:::payments-artifacts/*"}, {"aws", catalog.Resource, "arn:aws:iam::*:role/ci-*"},
		{"aws", catalog.Resource, "arn:*:123456789012:role/*"}, {"aws", catalog.Resource, "arn:aws:ec2:*:123456789012:instance/i-0abc*"},
		{"aws", catalog.Resource, "arn:aws:lambda:us-east-1:123456789012:function:*:*"}, {"aws", catalog.Resource, "secret*"},
		{"kubernetes", catalog.Resource, "secrets"}, {"kubernetes", catalog.Resource, "payments/secrets"}, {"kubernetes", catalog.Resource, "payments/pods"},
		{"vault", catalog.Resource, "sys/*"}, {"vault", catalog.Resource, "secret*"}, {"vault", catalog.Resource, "+/+"}, {"vault", catalog.Resource, "secret/data/+/x"},
		{"generic", catalog.Resource, "secret*"}, {"generic", catalog.Resource, "arn:aws:iam::1:rol?/*"}, {"generic", catalog.Action, "iam:P*"},
		{"", catalog.Action, "esc*"}, {"unknown", catalog.Resource, "payments/app-*"},
		{"gcp", catalog.Resource, "projects/my-project/*"}, {"gcp", catalog.Action, "roles/*"},
		{"azure", catalog.Action, "microsoft.storage/storageaccounts/*"}, {"azure", catalog.Resource, "/subscriptions/1/*"},
		{"github", catalog.Resource, "acme/*"}, {"github", catalog.Action, "contents:*"},
		// Identifiers led by a wildcard, Vault's leading /, Azure's case.
		{"aws", catalog.Resource, "arn:aws:secretsmanager:us-east-1:123456789012:secret:*-*"}, {"aws", catalog.Resource, "arn:aws:iam::123456789012:role/*e*"},
		{"aws", catalog.Resource, "arn:aws:iam::123456789012:role/*/*"}, {"aws", catalog.Resource, "arn:aws:iam:*:123456789012:role/ci-*"},
		{"aws", catalog.Resource, "arn:aws:s3:*:*:x"}, {"aws", catalog.Resource, "arn:aws:braket:*:123456789012:job/x1"},
		{"kubernetes", catalog.Resource, "payments/secrets/*-*"}, {"kubernetes", catalog.Resource, "payments/secrets/db-*"},
		{"vault", catalog.Resource, "secret/data/*/*"}, {"vault", catalog.Resource, "secret/data/*a"}, {"vault", catalog.Resource, "/secret/data/*"},
		{"vault", catalog.Resource, "//sys/*"}, {"vault", catalog.Resource, "/secret/data/payments/*"}, {"generic", catalog.Resource, "/sys/*"},
		{"azure", catalog.Resource, "/Subscriptions/*"}, {"azure", catalog.Resource, "/SUBSCRIPTIONS/1/RESOURCEGROUPS/*"},
		// A "*" in the region can stretch past a named account into the
		// identifier (red team, round 3).
		{"aws", catalog.Resource, "arn:aws:gamelift:us-*/*:123456789012:build/-"},
		{"aws", catalog.Resource, "arn:aws:sagemaker:us-*/*:123456789012:endpoint-config/x1"},
		{"aws", catalog.Resource, "arn:aws:s3:us-?/*:123456789012:x"},
		{"generic", catalog.Resource, "arn:aws:qapps:*/*:123456789012:Applicatio/*n/*/qapp/*"},
		{"generic", catalog.Resource, "arn:aws:ses:*/*:123456789012:addon/*-instance/*"},
		{"generic", catalog.Resource, "arn:aws:cognito-sync:us-/*/*east-1:123456789012:identitypo/*ol/*"},
		{"aws", catalog.Resource, "arn:aws:transfer:*/*:123456789012:webapp/*"},
	}

	var pieces []string
	for _, name := range slices.Sorted(maps.Keys(data.Platforms)) {
		p := data.Platforms[name]
		for _, key := range slices.Sorted(maps.Keys(p.Actions)) {
			for _, a := range slices.Sorted(maps.Keys(p.Actions[key])) {
				cut := len(a) / 2
				cases = append(cases,
					broadCase{name, catalog.Action, a[:cut] + "*"},
					broadCase{name, catalog.Action, a[:cut] + "?" + a[cut+1:]})
				pieces = append(pieces, a)
			}
		}
		for _, key := range slices.Sorted(maps.Keys(p.Types)) {
			for i, f := range p.Types[key] {
				if name == "aws" && i%7 != 0 {
					continue // a sample of AWS's 2,000 formats
				}
				wide := strings.NewReplacer("${Partition}", "aws", "${Account}", "123456789012", "${Region}", "us-east-1").Replace(f)
				for strings.Contains(wide, "${") {
					i := strings.Index(wide, "${")
					j := strings.Index(wide[i:], "}")
					wide = wide[:i] + "*" + wide[i+j+1:]
				}
				if name == "aws" {
					// A wildcard region may span fields: every way.
					one := strings.ReplaceAll(wide, "*", "x1")
					for _, region := range []string{"*", "us-*", "?", "*:*"} {
						cases = append(cases,
							broadCase{name, catalog.Resource, strings.Replace(wide, ":us-east-1:", ":"+region+":", 1)},
							broadCase{name, catalog.Resource, strings.Replace(one, ":us-east-1:", ":"+region+":", 1)})
					}
				}
				switch name {
				case "vault":
					cases = append(cases, broadCase{name, catalog.Resource, "/" + wide})
				case "azure":
					cases = append(cases, broadCase{name, catalog.Resource, strings.ToUpper(wide)})
				}
				cases = append(cases,
					broadCase{name, catalog.Resource, wide},
					broadCase{name, catalog.Resource, strings.ReplaceAll(wide, "*", "*e")},
					broadCase{name, catalog.Resource, strings.Replace(wide, "*", "x1-*", 1)},
					broadCase{name, catalog.Resource, strings.ReplaceAll(wide, "*", "x1")},
					broadCase{name, catalog.Resource, strings.Replace(wide, "*", "?", 1)},
					broadCase{"generic", catalog.Resource, wide})
				pieces = append(pieces, wide)
			}
		}
	}

	// Random patterns: pieces of catalog entries joined with wildcards, so
	// that they land near the boundaries of the judgement.
	rng := rand.New(rand.NewPCG(10, 4))
	platforms := append(slices.Sorted(maps.Keys(data.Platforms)), "generic")
	for range 600 {
		a, b := pieces[rng.IntN(len(pieces))], pieces[rng.IntN(len(pieces))]
		s := a[:rng.IntN(len(a)+1)] + []string{"*", "?", "**", "*?", "+", ""}[rng.IntN(6)] + b[rng.IntN(len(b)+1):]
		cases = append(cases, broadCase{platforms[rng.IntN(len(platforms))], catalog.Kind(rng.IntN(2)), s})
	}
	return cases
}

// libQuery prepares queries of the built-in policies with the real catalog
// and the fixture clock, in order.
func libQuery(t *testing.T, queries ...string) []rego.PreparedEvalQuery {
	t.Helper()
	modules, err := builtinModules(false)
	if err != nil {
		t.Fatal(err)
	}
	c := ast.NewCompiler().WithCapabilities(capabilities())
	if c.Compile(modules); c.Failed() {
		t.Fatal(c.Errors)
	}
	store, err := newStore(nil, fixtureNow, false)
	if err != nil {
		t.Fatal(err)
	}
	var out []rego.PreparedEvalQuery
	for _, q := range queries {
		pq, err := rego.New(rego.Query(q), rego.Compiler(c), rego.Store(store)).PrepareForEval(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pq)
	}
	return out
}

// TestBroadAgreesWithGo runs lib.broad_action and lib.broad_resource,
// which the policies use, and catalog.Judge, which the diff uses, on the
// same patterns with the real catalog, and requires the same verdicts and
// messages: there is one judgement of broadness.
func TestBroadAgreesWithGo(t *testing.T) {
	ctx := context.Background()
	query := libQuery(t, "v := data.nhigate.lib.broad_action(input.pattern)", "v := data.nhigate.lib.broad_resource(input.pattern)")
	queries := map[catalog.Kind]rego.PreparedEvalQuery{catalog.Action: query[0], catalog.Resource: query[1]}

	cases := broadCases(t)
	broad := 0
	for _, bc := range cases {
		input := map[string]any{"pattern": bc.Pattern, "spec": map[string]any{"identity": map[string]any{"platform": bc.Platform}}}
		if bc.Platform == "" {
			input["spec"] = map[string]any{}
		}
		rs, err := queries[bc.Kind].Eval(ctx, rego.EvalInput(input))
		if err != nil {
			t.Fatalf("%+v: %v", bc, err)
		}
		var got catalog.Verdict
		if len(rs) == 1 {
			v, _ := rs[0].Bindings["v"].(map[string]any)
			got.Why, _ = v["why"].(string)
			got.Fix, _ = v["fix"].(string)
			if got.Why == "" || got.Fix == "" {
				t.Errorf("%+v: Rego returned %v", bc, rs[0].Bindings["v"])
			}
		}
		want := catalog.Judge(bc.Platform, bc.Kind, bc.Pattern)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %v %q: (-Go +Rego):\n%s", bc.Platform, bc.Kind, bc.Pattern, diff)
		}
		if want.Broad() {
			broad++
		}
	}
	if broad < len(cases)/10 || broad > len(cases)*9/10 {
		t.Errorf("%d of %d cases broad: the cases do not probe both sides", broad, len(cases))
	}
	t.Logf("%d patterns, %d broad", len(cases), broad)
}

// TestBroadGrantAgreesWithGo runs lib.broad_grant and catalog.JudgeGrant on
// the same pairs, every action of the catalog's pairings and a sample of
// sensitive actions, each cut into a wildcard too, against every scope of
// the pairings, literal, with a name below it, with wildcards and in upper
// case, and requires the same verdicts and messages.
func TestBroadGrantAgreesWithGo(t *testing.T) {
	ctx := context.Background()
	pq := libQuery(t, "v := data.nhigate.lib.broad_grant(input.action, input.resource)")[0]
	var data catalog.Data
	if err := json.Unmarshal(catalog.JSON(), &data); err != nil {
		t.Fatal(err)
	}
	type pairCase struct{ platform, action, resource string }
	var cases []pairCase
	fill := strings.NewReplacer("${Namespace}", "payments", "${SubscriptionId}", "s1", "${Subscription}", "s1", "${ResourceGroupName}", "rg", "${OrganizationId}", "123", "${FolderId}", "42", "${ProjectId}", "p1", "${GroupId}", "root", "${Extra}", "scopes")
	for _, name := range slices.Sorted(maps.Keys(data.Platforms)) {
		p := data.Platforms[name]
		var actions []string
		var scopes []string
		for _, g := range p.Grants {
			actions = append(actions, g.Actions...)
			scopes = append(scopes, g.Scopes...)
		}
		n := 0
		for _, key := range slices.Sorted(maps.Keys(p.Actions)) {
			for _, a := range slices.Sorted(maps.Keys(p.Actions[key])) {
				if n++; n%5 == 0 || len(actions) < 3 {
					actions = append(actions, a)
				}
			}
		}
		actions = append(actions, p.Example.Action)
		var resources []string
		for _, f := range scopes {
			lit := strings.ReplaceAll(fill.Replace(f), "*", "raw")
			resources = append(resources, lit, lit+"/x1", lit+"/*", lit+"/?*", lit+"/*x", strings.ToUpper(lit), "/"+lit, strings.Replace(lit, "a", "*", 1), strings.Replace(lit, "s", "?", 1))
		}
		resources = append(resources, p.Example.Resource, "x1")
		for _, a := range actions {
			for _, cut := range []string{a, a[:len(a)/2] + "*", "*" + a[len(a)/2:]} {
				for _, r := range resources {
					cases = append(cases, pairCase{name, cut, r})
				}
			}
		}
		cases = append(cases, pairCase{"generic", "impersonate", "users"}, pairCase{"generic", "roles/owner", "projects/p1"})
	}
	broad := 0
	for _, pc := range cases {
		input := map[string]any{"action": pc.action, "resource": pc.resource, "spec": map[string]any{"identity": map[string]any{"platform": pc.platform}}}
		rs, err := pq.Eval(ctx, rego.EvalInput(input))
		if err != nil {
			t.Fatalf("%+v: %v", pc, err)
		}
		var got catalog.Verdict
		if len(rs) == 1 {
			v, _ := rs[0].Bindings["v"].(map[string]any)
			got.Why, _ = v["why"].(string)
			got.Fix, _ = v["fix"].(string)
		}
		want := catalog.JudgeGrant(pc.platform, pc.action, pc.resource)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %q on %q: (-Go +Rego):\n%s", pc.platform, pc.action, pc.resource, diff)
		}
		if want.Broad() {
			broad++
		}
	}
	if broad < len(cases)/10 || broad > len(cases)*9/10 {
		t.Errorf("%d of %d pairs broad: the cases do not probe both sides", broad, len(cases))
	}
	t.Logf("%d pairs, %d broad", len(cases), broad)
}

// TestDataDirLoadsCatalog loads policies/data as `conftest -d policies/data`
// does (OPA's loader, keeping JSON and YAML files) and requires the same
// documents the engine uses: the configuration and the catalog at
// data.nhigate.catalog.
func TestDataDirLoadsCatalog(t *testing.T) {
	docs, err := loader.NewFileLoader().Filtered([]string{"data"}, func(_ string, info os.FileInfo, _ int) bool {
		return !info.IsDir() && !slices.Contains([]string{".yaml", ".yml", ".json"}, filepath.Ext(info.Name()))
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := defaultDocuments()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(roundTrip(t, any(want)), roundTrip(t, any(docs.Documents))); diff != "" {
		t.Errorf("conftest -d policies/data loads other data than the engine (-engine +conftest):\n%.2000s", diff)
	}
}

// TestFixtureCatalog keeps the part of the catalog that the Rego unit tests
// use (t.catalog in lib/fixtures_test.rego) true to the catalog: every
// platform setting and reason is the real one, and every action and
// resource format is in the real catalog under the same key.
func TestFixtureCatalog(t *testing.T) {
	modules, err := builtinModules(true)
	if err != nil {
		t.Fatal(err)
	}
	c := ast.NewCompiler().WithCapabilities(capabilities())
	if c.Compile(modules); c.Failed() {
		t.Fatal(c.Errors)
	}
	rs, err := rego.New(rego.Query("data.nhigate_test.fixtures.catalog"), rego.Compiler(c)).Eval(context.Background())
	if err != nil || len(rs) != 1 {
		t.Fatalf("eval fixture catalog: %v (%d results)", err, len(rs))
	}
	var fixture, real catalog.Data
	bs, err := json.Marshal(rs[0].Expressions[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(bs, &fixture); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(catalog.JSON(), &real); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(real.Reasons, fixture.Reasons); diff != "" {
		t.Errorf("reasons differ (-real +fixture):\n%s", diff)
	}
	if diff := cmp.Diff(real.Example, fixture.Example); diff != "" {
		t.Errorf("example differs (-real +fixture):\n%s", diff)
	}
	order := slices.DeleteFunc(slices.Clone(real.Order), func(n string) bool { return fixture.Platforms[n] == nil })
	if diff := cmp.Diff(order, fixture.Order); diff != "" {
		t.Errorf("order differs from the real order of its platforms (-real +fixture):\n%s", diff)
	}
	for name, fp := range fixture.Platforms {
		rp := real.Platforms[name]
		if rp == nil {
			t.Errorf("platform %s is not in the catalog", name)
			continue
		}
		settings := func(p catalog.Platform) catalog.Platform {
			p.Actions, p.Types, p.Grants = nil, nil, nil
			return p
		}
		if diff := cmp.Diff(settings(*rp), settings(*fp)); diff != "" {
			t.Errorf("%s: settings differ (-real +fixture):\n%s", name, diff)
		}
		for key, m := range fp.Actions {
			for a, reason := range m {
				if got, ok := rp.Actions[key][a]; !ok || got != reason {
					t.Errorf("%s: action %s (%s) under %q is not in the catalog (there: %q)", name, a, reason, key, got)
				}
			}
		}
		for key, formats := range fp.Types {
			for _, f := range formats {
				if !slices.Contains(rp.Types[key], f) {
					t.Errorf("%s: type %s under %q is not in the catalog", name, f, key)
				}
			}
		}
		for _, g := range fp.Grants {
			if !slices.ContainsFunc(rp.Grants, func(r catalog.Grant) bool { return cmp.Equal(r, g) }) {
				t.Errorf("%s: grant %+v is not in the catalog", name, g)
			}
		}
	}
}

package policies

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/nhigate/nhigate/policies/data/nhigate/catalog"
)

// randomSpecs makes n specs from the passing fixture with random
// entitlements: patterns of every shape that TestBroadAgreesWithGo judges,
// the actions and scopes of the catalog's sensitive pairings, and values
// that are no patterns, on random platforms (some unknown, missing or not
// a string) and environments.
func randomSpecs(t *testing.T, rng *rand.Rand, n int) []Input {
	t.Helper()
	var actions, resources []string
	for _, bc := range broadCases(t) {
		if bc.Kind == catalog.Action {
			actions = append(actions, bc.Pattern)
		} else {
			resources = append(resources, bc.Pattern)
		}
	}
	var data catalog.Data
	if err := json.Unmarshal(catalog.JSON(), &data); err != nil {
		t.Fatal(err)
	}
	variable := regexp.MustCompile(`\$\{[^}]*\}`)
	for _, name := range slices.Sorted(maps.Keys(data.Platforms)) {
		for _, g := range data.Platforms[name].Grants {
			actions = append(actions, g.Actions...)
			for _, s := range g.Scopes {
				lit := variable.ReplaceAllString(s, "p1")
				resources = append(resources, lit, lit+"/*", lit+"/x1")
			}
		}
	}
	platforms := []any{"aws", "gcp", "azure", "kubernetes", "vault", "github", "generic", "", "AWS", 7, nil}
	environments := []any{"production", "production", "staging", "development", "moon", nil}
	pick := func(pool []string) any {
		switch rng.IntN(20) {
		case 0:
			return 42
		case 1:
			return ""
		}
		return pool[rng.IntN(len(pool))]
	}
	list := func(pool []string) []any {
		var l []any
		for range 1 + rng.IntN(3) {
			l = append(l, pick(pool))
		}
		return l
	}
	inputs := make([]Input, n)
	for i := range inputs {
		doc := passingSpec(t)
		s := doc["spec"].(map[string]any)
		id := s["identity"].(map[string]any)
		if p := platforms[rng.IntN(len(platforms))]; p != nil {
			id["platform"] = p
		} else {
			delete(id, "platform")
		}
		s["environment"] = environments[rng.IntN(len(environments))]
		var ents []any
		for range 1 + rng.IntN(3) {
			ents = append(ents, map[string]any{"actions": list(actions), "resources": list(resources)})
		}
		// Entitlements that the strict loader would reject, for the
		// checks that data.nhigate.loaded skips (shaped).
		switch rng.IntN(16) {
		case 6:
			doc["apiVersion"] = "nhigate.dev/v2"
		case 7:
			delete(doc, "kind")
		case 8:
			doc["kind"] = []any{"ProvisioningWorkflow"}
		case 0:
			ents = append(ents, "s3:*")
		case 1:
			delete(ents[0].(map[string]any), "actions")
		case 2:
			ents[0].(map[string]any)["resources"] = []any{}
		case 3:
			ents[0].(map[string]any)["actions"] = "s3:GetObject"
		case 4:
			ents[0].(map[string]any)["resources"] = []any{"arn:aws:s3:::b/ *", "arn:aws:s3:::b/\u00a0*", "\t"}
		case 5:
			s["entitlements"] = []any{}
			continue
		}
		s["entitlements"] = ents
		inputs[i] = Input{File: fmt.Sprintf("random-%03d.yaml", i), Docs: []any{doc}}
	}
	return inputs
}

// TestVerdictsAgreeWithRego checks random specs with the broadness
// verdicts made in Go and data.nhigate.loaded for the documents that shaped
// accepts (the engine's default), and without either, the Rego judging
// every pattern and checking every shape as under conftest, and requires
// the same results: the shortcuts never change a judgement. Some files
// hold several documents, and a repo rule calls lib.broad_action on
// patterns of its own.
func TestVerdictsAgreeWithRego(t *testing.T) {
	ctx := context.Background()
	inputs := randomSpecs(t, rand.New(rand.NewPCG(12, 1)), 250)
	// Files of several documents too, shaped and not, sharing patterns.
	for i := 0; i+3 <= len(inputs); i += 20 {
		merged := Input{File: inputs[i].File}
		for _, in := range inputs[i : i+3] {
			merged.Docs = append(merged.Docs, in.Docs...)
		}
		inputs = append(inputs[:i], append([]Input{merged}, inputs[i+3:]...)...)
	}
	// A repo rule that reads the same lib functions (and so the same
	// verdicts) for patterns of its own: each action in lower case.
	extra := map[string]string{"repo/lower.rego": `package repo.lower
import data.nhigate.lib
deny_lower contains sprintf("%s %s", [lower(a), v.why]) if {
	some e in input.spec.entitlements
	some a in e.actions
	is_string(a)
	v := lib.broad_action(lower(a))
}`}
	pure := newEngine(t, Options{pureRego: true, Extra: extra})
	want, err := pure.Check(ctx, inputs)
	if err != nil {
		t.Fatal(err)
	}
	// With the built-in rules in Rego (the verdicts serve them) and in Go
	// (the verdicts serve the repo rule).
	for _, regoOnly := range []bool{true, false} {
		fast := newEngine(t, Options{Extra: extra, regoOnly: regoOnly})
		if pure.verdicts != nil || fast.verdicts == nil {
			t.Fatal("pureRego does not select the engine's judgement")
		}
		// In two Checks, so that the second adds verdicts to the first's.
		got, err := fast.Check(ctx, inputs[:100])
		if err != nil {
			t.Fatal(err)
		}
		more, err := fast.Check(ctx, inputs[100:])
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, more...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("regoOnly %v: results differ (-Rego +with Go verdicts):\n%s", regoOnly, diff)
		}
	}
	broad := map[string]int{}
	for _, r := range want {
		broad[r.Rule]++
	}
	for _, rule := range []string{"NHI-ENT-001", "NHI-ENT-002", "NHI-ENT-003", "NHI-SPEC-001", "deny_lower"} {
		if broad[rule] < 20 {
			t.Errorf("%d results of %s: the random specs do not probe the judgement", broad[rule], rule)
		}
	}
	t.Logf("%d results: %v", len(want), broad)
}

// TestVerdictsAreRead makes sure the policies use the verdicts of
// data.nhigate.judged, so that TestVerdictsAgreeWithRego compares two
// judgements: a planted verdict that calls a narrow pattern broad shows.
func TestVerdictsAreRead(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, Options{regoOnly: true})
	doc := passingSpec(t)
	in := []Input{{File: "pass.yaml", Docs: []any{doc}}}
	results, err := e.Check(ctx, in)
	if err != nil || len(results) != 0 {
		t.Fatalf("pass.yaml: %v, %v", results, err)
	}
	planted := catalog.Verdict{Why: "is planted", Fix: "plant nothing"}
	e.verdicts.platforms["aws"].actions["s3:GetObject"] = planted
	e.verdicts.platforms["aws"].resources["arn:aws:s3:::payments-artifacts/*"] = planted
	e.verdicts.platforms["aws"].grants[[2]string{"s3:ListBucket", "arn:aws:s3:::payments-artifacts"}] = planted
	// New patterns make Check write the verdicts again.
	s := doc["spec"].(map[string]any)
	s["entitlements"] = append(s["entitlements"].([]any), map[string]any{"actions": []any{"s3:ListBucket"}, "resources": []any{"arn:aws:s3:::payments-artifacts"}})
	results, err = e.Check(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`NHI-ENT-001 action "s3:GetObject" is planted in production: plant nothing`,
		`NHI-ENT-001 action "s3:ListBucket" on resource "arn:aws:s3:::payments-artifacts" is planted in production: plant nothing`,
		`NHI-ENT-002 resource "arn:aws:s3:::payments-artifacts/*" is planted in production: plant nothing`,
	}
	if diff := cmp.Diff(want, messagesOf(results)); diff != "" {
		t.Errorf("planted verdicts (-want +got):\n%s", diff)
	}
}

// TestShaped checks that shaped accepts only documents on which the rules
// that data.nhigate.loaded skips (NHI-ENT-003 and NHI-SPEC-001) find
// nothing, that it accepts the specs the loader accepts, and that the rules
// skip their checks under the flag.
func TestShaped(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, Options{pureRego: true})
	modules, err := builtinModules(false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := compile(modules)
	if err != nil {
		t.Fatal(err)
	}
	store, err := newStore(nil, fixtureNow, true)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := rego.New(rego.Query("x := data.nhigate.entitlements.deny_nhi_ent_003 | data.nhigate.spec.deny_nhi_spec_001"), rego.Compiler(c), rego.Store(store)).PrepareForEval(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ent := func(actions, resources any) map[string]any {
		return map[string]any{"actions": actions, "resources": resources}
	}
	entitlements := func(v any) func(map[string]any) any {
		return func(doc map[string]any) any {
			if v == nil {
				delete(doc["spec"].(map[string]any), "entitlements")
			} else {
				doc["spec"].(map[string]any)["entitlements"] = v
			}
			return doc
		}
	}
	for _, tc := range []struct {
		name string
		edit func(map[string]any) any
		want bool
	}{
		{"valid", entitlements([]any{ent([]any{"s3:GetObject"}, []any{"arn:aws:s3:::b/*"})}), true},
		{"two", entitlements([]any{ent([]any{"a", "b"}, []any{"c"}), ent([]any{"~!"}, []any{"*"})}), true},
		{"no entitlements", entitlements(nil), false},
		{"empty", entitlements([]any{}), false},
		{"not a list", entitlements(ent([]any{"a"}, []any{"b"})), false},
		{"not a mapping", entitlements([]any{"s3:*"}), false},
		{"no actions", entitlements([]any{map[string]any{"resources": []any{"b"}}}), false},
		{"empty resources", entitlements([]any{ent([]any{"a"}, []any{})}), false},
		{"actions a string", entitlements([]any{ent("a", []any{"b"})}), false},
		{"a number", entitlements([]any{ent([]any{"a", 42}, []any{"b"})}), false},
		{"empty string", entitlements([]any{ent([]any{"a"}, []any{""})}), false},
		{"space", entitlements([]any{ent([]any{"s3:Get Object"}, []any{"b"})}), false},
		{"tab", entitlements([]any{ent([]any{"a"}, []any{"b\t"})}), false},
		{"look-alike", entitlements([]any{ent([]any{"s3:Get\uff0a"}, []any{"b"})}), false},
		{"control", entitlements([]any{ent([]any{"a"}, []any{"b\x7f"})}), false},
		{"other apiVersion", func(doc map[string]any) any { doc["apiVersion"] = "nhigate.dev/v2"; return doc }, false},
		{"no kind", func(doc map[string]any) any { delete(doc, "kind"); return doc }, false},
		{"kind a list", func(doc map[string]any) any { doc["kind"] = []any{"ProvisioningWorkflow"}; return doc }, false},
		{"not a mapping document", func(map[string]any) any { return []any{"apiVersion", "nhigate.dev/v1"} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := tc.edit(passingSpec(t))
			if got := shaped(doc); got != tc.want {
				t.Errorf("shaped = %v, want %v", got, tc.want)
			}
			results, err := e.Check(ctx, []Input{{File: "x.yaml", Docs: []any{doc}}})
			if err != nil {
				t.Fatal(err)
			}
			fired := slices.ContainsFunc(results, func(r Result) bool { return r.Rule == "NHI-ENT-003" || r.Rule == "NHI-SPEC-001" })
			if fired == tc.want {
				t.Errorf("NHI-ENT-003 or NHI-SPEC-001 fired: %v, with shaped %v: shaped must accept exactly what they let pass", fired, tc.want)
			}
			// Under data.nhigate.loaded, which only a shaped document
			// gets, the rules skip their checks.
			rs, err := loaded.Eval(ctx, rego.EvalInput(doc))
			if err != nil || len(rs) != 1 {
				t.Fatalf("eval under data.nhigate.loaded: %v, %v", rs, err)
			}
			if got := rs[0].Bindings["x"]; !cmp.Equal(got, []any{}) {
				t.Errorf("under data.nhigate.loaded, the rules give %v", got)
			}
		})
	}
}

func messagesOf(results []Result) []string {
	var out []string
	for _, r := range results {
		out = append(out, r.Message)
	}
	return out
}

// TestRunConstants checks that the engine passes the value of
// lib.run_env_limits as data.nhigate.run.env_limits, with an environment
// whose limit is not a duration left out, and that the results match the
// Rego computing the limits itself (conftest) on specs in every
// environment, an unknown one included.
func TestRunConstants(t *testing.T) {
	ctx := context.Background()
	config := fixtureConfig(t)
	envs := config["environments"].(map[string]any)
	envs["sandbox"] = map[string]any{"maxTTL": "2h", "maxGrant": "1d"}
	e := newEngine(t, Options{Data: config})
	pure := newEngine(t, Options{Data: config, pureRego: true})

	want := map[string]any{"environments": map[string]any{}, "strictest": map[string]any{}}
	h := int64(time.Hour)
	for name, env := range envs {
		limits := map[string]any{}
		for _, key := range []string{"maxTTL", "maxGrant"} {
			if d, err := time.ParseDuration(env.(map[string]any)[key].(string)); err == nil {
				limits[key] = json.Number(fmt.Sprint(int64(d)))
			}
		}
		want["environments"].(map[string]any)[name] = limits
	}
	want["strictest"].(map[string]any)["maxTTL"] = json.Number(fmt.Sprint(2 * h))
	for _, store := range e.verdicts.stores {
		got, err := storage.ReadOne(ctx, store, storage.Path{"nhigate", "run", "env_limits"})
		if err != nil {
			t.Fatal(err)
		}
		gotJSON, err := ast.JSON(got.(ast.Value))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, gotJSON); diff != "" {
			t.Errorf("data.nhigate.run.env_limits (-want +got):\n%s", diff)
		}
	}

	var inputs []Input
	for i, env := range append(slices.Sorted(maps.Keys(envs)), "moon") {
		for _, ttl := range []string{"30m", "3h", "9h", "25h"} {
			doc := passingSpec(t)
			s := doc["spec"].(map[string]any)
			s["environment"] = env
			s["credential"].(map[string]any)["ttl"] = ttl
			s["expiresAt"] = fixtureNow.Add(time.Duration(i+1) * 700 * time.Hour).Format(time.RFC3339)
			inputs = append(inputs, Input{File: env + "-" + ttl + ".yaml", Docs: []any{doc}})
		}
	}
	got, err := e.Check(ctx, inputs)
	if err != nil {
		t.Fatal(err)
	}
	wantResults, err := pure.Check(ctx, inputs)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantResults, got); diff != "" {
		t.Errorf("results differ (-Rego +with run constants):\n%s", diff)
	}
	rules := map[string]int{}
	for _, r := range got {
		rules[r.Rule]++
	}
	if rules["NHI-CRED-005"] < 5 || rules["NHI-EXP-003"] < 3 {
		t.Errorf("results %v: the specs do not probe the limits", rules)
	}
}

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

	"github.com/google/go-cmp/cmp"

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
		s["entitlements"] = ents
		inputs[i] = Input{File: fmt.Sprintf("random-%03d.yaml", i), Docs: []any{doc}}
	}
	return inputs
}

// TestVerdictsAgreeWithRego checks random specs with the broadness
// verdicts made in Go (the engine's default) and without them, the Rego
// judging every pattern as under conftest, and requires the same results:
// the Go verdicts are a shortcut, never a second judgement.
func TestVerdictsAgreeWithRego(t *testing.T) {
	ctx := context.Background()
	inputs := randomSpecs(t, rand.New(rand.NewPCG(12, 1)), 250)
	pure := newEngine(t, Options{pureRego: true})
	fast := newEngine(t, Options{})
	if pure.verdicts != nil || fast.verdicts == nil {
		t.Fatal("pureRego does not select the engine's judgement")
	}
	want, err := pure.Check(ctx, inputs)
	if err != nil {
		t.Fatal(err)
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
		t.Errorf("results differ (-Rego +with Go verdicts):\n%s", diff)
	}
	broad := map[string]int{}
	for _, r := range want {
		broad[r.Rule]++
	}
	for _, rule := range []string{"NHI-ENT-001", "NHI-ENT-002"} {
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
	e := newEngine(t, Options{})
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

func messagesOf(results []Result) []string {
	var out []string
	for _, r := range results {
		out = append(out, r.Message)
	}
	return out
}

package policies

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNativeRules checks that the engine evaluates the built-in rules in
// Go by default, that every rule of the per-document built-in namespaces
// has its translation and that every translation names a rule that
// exists: a rule added to or renamed in the Rego without a translation
// fails here (and the engine would fall back to the Rego).
func TestNativeRules(t *testing.T) {
	e := newEngine(t, Options{})
	if e.native == nil {
		t.Fatal("the engine does not evaluate the built-in rules in Go")
	}
	var want []string
	for _, ns := range e.namespaces {
		if ns.once || ns.eager {
			continue
		}
		for _, rule := range ns.rules {
			want = append(want, ns.name+"."+rule)
		}
	}
	slices.Sort(want)
	if got := slices.Sorted(maps.Keys(nativeRules)); !slices.Equal(got, want) {
		t.Errorf("translations %v\nrules        %v", got, want)
	}
	for _, opts := range []Options{{pureRego: true}, {regoOnly: true}, {Extra: map[string]string{"repo/with.rego": "package repo.with\ndeny_x contains m if { some m in data.nhigate.ownership.deny_nhi_own_001 with input as {} }"}}} {
		if newEngine(t, opts).native != nil {
			t.Errorf("%+v: the built-in rules are evaluated in Go", opts)
		}
	}
}

// TestNativeConfigurations checks configurations at the edge of what the
// translation reads: a limit that is a duration of no nanoseconds (valid
// to the Rego, undefined as a limit), which the translation evaluates, and
// one that the Rego finds invalid (NHI-CFG-001), which turns the
// translation off for the Check. Both give the Rego's results.
func TestNativeConfigurations(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ maxTTL, rule string }{
		{"0.1ns", "NHI-CRED-005"},
		{"1d", "NHI-CFG-001"},
	} {
		t.Run(tc.maxTTL, func(t *testing.T) {
			config := fixtureConfig(t)
			config["environments"].(map[string]any)["production"].(map[string]any)["maxTTL"] = tc.maxTTL
			in := []Input{{File: "pass.yaml", Docs: []any{passingSpec(t)}}}
			e := newEngine(t, Options{Data: config})
			if e.native == nil {
				t.Fatal("the translation is off for the whole engine")
			}
			got, err := e.Check(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := newEngine(t, Options{Data: config, pureRego: true}).Check(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("results differ (-Rego +Go):\n%s", diff)
			}
			if !slices.ContainsFunc(got, func(r Result) bool { return r.Rule == tc.rule }) {
				t.Errorf("no %s in %v", tc.rule, messagesOf(got))
			}
		})
	}
}

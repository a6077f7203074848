package policies

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFastPathsUnderWith checks repo policies that evaluate the built-in
// rules under `with`: on another input, another configuration, another
// catalog or another judgement. data.nhigate.loaded, data.nhigate.run and
// data.nhigate.judged were computed for the document, configuration and
// catalog as the engine passed them, so under such a `with` they would
// stand for what the rule no longer reads; the results must be those of
// the Rego alone, as under conftest.
func TestFastPathsUnderWith(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, src string
		action    string // replaces the spec's first action, when set
	}{
		{"input", `package repo.template
import data.nhigate.spec
# The spec's own apiVersion, downgraded, must still be caught.
deny_downgraded contains r.msg if {
	some r in spec.deny_nhi_spec_001 with input as object.union(input, {"apiVersion": "nhigate.dev/v0"})
}`, ""},
		{"config", `package repo.stricter
import data.nhigate.credential
# Credentials of this repo live at most 30 minutes in production.
deny_ttl contains r.msg if {
	some r in credential.deny_nhi_cred_005 with data.nhigate.config.environments.production.maxTTL as "30m"
}`, ""},
		{"catalog", `package repo.catalog
import data.nhigate.entitlements
# This repo counts every s3 read as sensitive.
deny_reads contains r.msg if {
	some r in entitlements.deny_nhi_ent_001 with data.nhigate.catalog.platforms.aws.actions.s3 as {"s3:GetObject": "pm"}
}`, "s3:GetObj*"},
		{"judgement", `package repo.judge
import data.nhigate.entitlements
strict(r) := {"why": "has a wildcard", "fix": "name every object"} if contains(r, "*")
deny_wildcards contains r.msg if {
	some r in entitlements.deny_nhi_ent_002 with data.nhigate.lib.judge_resource as strict
}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			extra := map[string]string{"repo/" + tc.name + ".rego": tc.src}
			doc := passingSpec(t)
			if tc.action != "" {
				ent := doc["spec"].(map[string]any)["entitlements"].([]any)[0].(map[string]any)
				ent["actions"].([]any)[0] = tc.action
			}
			in := []Input{{File: "pass.yaml", Docs: []any{doc}}}
			want, err := newEngine(t, Options{Data: fixtureConfig(t), Extra: extra, pureRego: true}).Check(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatal("the repo rule finds nothing under conftest's semantics: the case probes nothing")
			}
			got, err := newEngine(t, Options{Data: fixtureConfig(t), Extra: extra}).Check(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("results differ (-Rego +engine):\n%s", diff)
			}
		})
	}
}

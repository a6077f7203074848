package policies

import (
	"context"
	"fmt"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/nhigate/nhigate/policies/data/nhigate/catalog"
)

// verdicts are the broadness verdicts that lib.broad_action,
// lib.broad_resource and lib.broad_grant (policies/nhigate/lib/broad.rego)
// read from data.nhigate.judged before judging a pattern themselves. They
// are made in Go by the twin of that judgement, package catalog (Judge and
// JudgeGrant), which TestBroadAgreesWithGo and TestBroadGrantAgreesWithGo
// hold to the same verdicts and messages; TestJudgedAgreesWithRego holds
// whole checks with and without them to the same results.
//
// A verdict depends only on the catalog, the spec's platform and the
// pattern, so verdicts accumulate over the Engine's life: each Check judges
// the patterns not judged before and writes the whole set to the store
// before it evaluates. A pattern without a verdict costs the Rego time,
// never a result.
type verdicts struct {
	catalog *catalog.Catalog
	stores  []storage.Store // each gets the verdicts
	mu      sync.Mutex
	// by the spec's platform, as the Rego reads it (lib.judged_platform):
	// spec.identity.platform when it is a string, else "".
	platforms map[string]*platformVerdicts
}

type platformVerdicts struct {
	actions, resources map[string]catalog.Verdict
	grants             map[[2]string]catalog.Verdict
}

func newVerdicts(c *catalog.Catalog, stores []storage.Store) *verdicts {
	return &verdicts{catalog: c, stores: stores, platforms: map[string]*platformVerdicts{}}
}

// add judges the patterns of every document of inputs that have no verdict
// yet, and writes the verdicts to data.nhigate.judged.
func (vs *verdicts) add(ctx context.Context, inputs []Input) error {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	added := false
	for _, in := range inputs {
		for _, doc := range in.Docs {
			added = vs.judge(doc) || added
		}
	}
	if !added {
		return nil
	}
	value := vs.value()
	for _, store := range vs.stores {
		if err := storage.WriteOne(ctx, store, storage.AddOp, storage.Path{"nhigate", "judged"}, value); err != nil {
			return fmt.Errorf("write broadness verdicts: %w", err)
		}
	}
	return nil
}

// judge judges the patterns of doc that deny_nhi_ent_001 and
// deny_nhi_ent_002 judge: every string action and resource, and every pair
// of an action and a resource of one entitlement that are not broad on
// their own. It reports whether it made a verdict.
func (vs *verdicts) judge(doc any) bool {
	s, _ := doc.(map[string]any)
	s, _ = s["spec"].(map[string]any)
	ents, _ := s["entitlements"].([]any)
	if len(ents) == 0 {
		return false
	}
	id, _ := s["identity"].(map[string]any)
	platform, _ := id["platform"].(string)
	pv := vs.platforms[platform]
	if pv == nil {
		pv = &platformVerdicts{actions: map[string]catalog.Verdict{}, resources: map[string]catalog.Verdict{}, grants: map[[2]string]catalog.Verdict{}}
		vs.platforms[platform] = pv
	}
	added := false
	verdict := func(m map[string]catalog.Verdict, kind catalog.Kind, p string) catalog.Verdict {
		v, ok := m[p]
		if !ok {
			v = vs.catalog.Judge(platform, kind, p)
			m[p] = v
			added = true
		}
		return v
	}
	for _, e := range ents {
		e, _ := e.(map[string]any)
		as, _ := e["actions"].([]any)
		rs, _ := e["resources"].([]any)
		var narrowA, narrowR []string
		for _, a := range as {
			if a, ok := a.(string); ok && !verdict(pv.actions, catalog.Action, a).Broad() {
				narrowA = append(narrowA, a)
			}
		}
		for _, r := range rs {
			if r, ok := r.(string); ok && !verdict(pv.resources, catalog.Resource, r).Broad() {
				narrowR = append(narrowR, r)
			}
		}
		for _, a := range narrowA {
			for _, r := range narrowR {
				if _, ok := pv.grants[[2]string{a, r}]; !ok {
					pv.grants[[2]string{a, r}] = vs.catalog.JudgeGrant(platform, a, r)
					added = true
				}
			}
		}
	}
	return added
}

// value is data.nhigate.judged:
//
//	{platform: {"actions": {a: V}, "resources": {r: V}, "grants": {a: {r: V}}}}
//
// where V is [] for a pattern that is not broad and [{"why": ..., "fix": ...}]
// for one that is.
func (vs *verdicts) value() ast.Value {
	out := ast.NewObject()
	for platform, pv := range vs.platforms {
		actions, resources, grants := ast.NewObject(), ast.NewObject(), ast.NewObject()
		for a, v := range pv.actions {
			actions.Insert(ast.StringTerm(a), verdictTerm(v))
		}
		for r, v := range pv.resources {
			resources.Insert(ast.StringTerm(r), verdictTerm(v))
		}
		for ar, v := range pv.grants {
			ak := ast.StringTerm(ar[0])
			byR := grants.Get(ak)
			if byR == nil {
				byR = ast.NewTerm(ast.NewObject())
				grants.Insert(ak, byR)
			}
			byR.Value.(ast.Object).Insert(ast.StringTerm(ar[1]), verdictTerm(v))
		}
		out.Insert(ast.StringTerm(platform), ast.ObjectTerm(
			[2]*ast.Term{ast.StringTerm("actions"), ast.NewTerm(actions)},
			[2]*ast.Term{ast.StringTerm("resources"), ast.NewTerm(resources)},
			[2]*ast.Term{ast.StringTerm("grants"), ast.NewTerm(grants)},
		))
	}
	return out
}

// verdictTerm is [] for a pattern that is not broad, [{"why", "fix"}] for
// one that is.
func verdictTerm(v catalog.Verdict) *ast.Term {
	if !v.Broad() {
		return ast.ArrayTerm()
	}
	return ast.ArrayTerm(ast.ObjectTerm(
		[2]*ast.Term{ast.StringTerm("why"), ast.StringTerm(v.Why)},
		[2]*ast.Term{ast.StringTerm("fix"), ast.StringTerm(v.Fix)},
	))
}

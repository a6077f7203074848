package policies

// Documents that nhigate's strict loader accepts (spec.Parse, which runs
// spec.Validate) are evaluated with data.nhigate.loaded set, and the rules
// that re-check what the loader guarantees skip those checks under it;
// conftest sets nothing and checks everything. The engine does not take
// the loader's word for a document: it sets the flag only for a document
// that shaped finds so shaped itself, so a caller that passes other
// documents gets every check. TestVerdictsAgreeWithRego holds the results
// with the flag equal to those without it on random specs, broken ones
// among them.

// shaped reports whether doc is as spec.Validate requires and these rules
// check:
//   - NHI-SPEC-001 (spec.spec_001): a mapping with apiVersion nhigate.dev/v1
//     and kind ProvisioningWorkflow;
//   - NHI-ENT-003 (entitlements.ent_003): its spec.entitlements are a
//     non-empty list of mappings, each with non-empty lists of actions and
//     of resources that are printable ASCII strings without spaces.
func shaped(doc any) bool {
	m, ok := doc.(map[string]any)
	if !ok || m["apiVersion"] != "nhigate.dev/v1" || m["kind"] != "ProvisioningWorkflow" {
		return false
	}
	s, _ := m["spec"].(map[string]any)
	ents, _ := s["entitlements"].([]any)
	if len(ents) == 0 {
		return false
	}
	for _, e := range ents {
		e, ok := e.(map[string]any)
		if !ok {
			return false
		}
		for _, key := range []string{"actions", "resources"} {
			list, _ := e[key].([]any)
			if len(list) == 0 {
				return false
			}
			for _, v := range list {
				if s, ok := v.(string); !ok || !printable(s) {
					return false
				}
			}
		}
	}
	return true
}

// printable reports whether s matches ^[!-~]+$ (spec.PatternPattern).
func printable(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' {
			return false
		}
	}
	return true
}

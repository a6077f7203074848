package policies

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// catalogFile holds the one description of every built-in rule, one
// catalog["<id>"] := {...} rule per id.
const catalogFile = "nhigate/lib/catalog.rego"

// Controls are the control ids a rule maps to.
type Controls struct {
	// OWASP lists OWASP Non-Human Identities Top 10 (2025) ids: NHI1..NHI10.
	OWASP []string `json:"owasp_nhi,omitempty"`
	// CSF lists NIST Cybersecurity Framework 2.0 subcategories, e.g. PR.AA-05.
	CSF []string `json:"nist_csf,omitempty"`
	// MAESTRO lists CSA MAESTRO layers, with a threat where one fits.
	MAESTRO []string `json:"csa_maestro,omitempty"`
	// AIRMF lists NIST AI RMF 1.0 subcategories, e.g. GOVERN 1.7.
	AIRMF []string `json:"nist_ai_rmf,omitempty"`
}

// Rule describes a built-in rule.
type Rule struct {
	ID        string `json:"id"`        // e.g. NHI-CRED-001
	Namespace string `json:"namespace"` // Rego package without "data.", e.g. nhigate.credential
	Kind      string `json:"kind"`      // KindDeny or KindWarn
	Title     string `json:"title"`
	Severity  string `json:"severity"` // critical, high, medium or low
	// Waivable reports whether a spec exception may waive the rule.
	Waivable bool     `json:"waivable"`
	Fix      string   `json:"fix"`
	Controls Controls `json:"controls"`
	// controls is the entry's "controls" as the Rego holds it, for the
	// results of the Go translation (native.go): an empty list stays
	// empty, where Controls, read through omitempty, would drop it.
	controls any
}

// Name is the rule's name in its Rego package, e.g. deny_nhi_cred_001. A
// conftest exception names it without the kind: nhi_cred_001.
func (r Rule) Name() string {
	return r.Kind + "_" + strings.ToLower(strings.ReplaceAll(r.ID, "-", "_"))
}

// Catalog returns every built-in rule, sorted by id. It reads the catalog
// object of the embedded Rego library, so conftest users and nhigate see
// the same metadata.
func Catalog() []Rule {
	rules, err := readCatalog()
	if err != nil {
		// The catalog is a constant compiled into the binary, and tests
		// read it: failing here is a build defect, not a runtime condition.
		panic(err)
	}
	return rules
}

func readCatalog() ([]Rule, error) {
	src, err := builtin.ReadFile(catalogFile)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	m, err := parseModule(catalogFile, string(src))
	if err != nil {
		return nil, fmt.Errorf("parse catalog: %w", err)
	}
	byID := map[string]Rule{}
	for _, r := range m.Rules {
		ref := r.Head.Ref()
		if len(ref) == 0 || !ref[0].Equal(ast.VarTerm("catalog")) {
			continue
		}
		id, ok := ref[len(ref)-1].Value.(ast.String)
		if len(ref) != 2 || !ok || r.Head.Value == nil {
			return nil, fmt.Errorf("parse catalog: %s:%d: write catalog[\"<id>\"] := {...}", catalogFile, r.Location.Row)
		}
		v, err := ast.JSON(r.Head.Value.Value)
		if err != nil {
			return nil, fmt.Errorf("parse catalog: %s must be a constant: %w", id, err)
		}
		bs, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode catalog: %w", err)
		}
		var rule Rule
		d := json.NewDecoder(strings.NewReader(string(bs)))
		d.DisallowUnknownFields()
		if err := d.Decode(&rule); err != nil {
			return nil, fmt.Errorf("decode catalog entry %s: %w", id, err)
		}
		if entry, ok := v.(map[string]any); ok {
			rule.controls = entry["controls"]
		}
		if _, dup := byID[string(id)]; dup {
			return nil, fmt.Errorf("parse catalog: %s is defined twice", id)
		}
		byID[string(id)] = rule
	}
	if len(byID) == 0 {
		return nil, fmt.Errorf("parse catalog: %s defines no catalog entries", catalogFile)
	}
	rules := make([]Rule, 0, len(byID))
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		r := byID[id]
		r.ID = id
		rules = append(rules, r)
	}
	return rules, nil
}

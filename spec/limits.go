package spec

import (
	"encoding/json"
	"fmt"
)

// Defaults for the limits on what a spec may ask the review to compare. A
// spec lists a few patterns, each under a few hundred bytes, so these leave
// wide room while keeping a hostile one cheap to reject.
const (
	// DefaultMaxDocuments is how many workflows one file may hold.
	DefaultMaxDocuments = 100
	// DefaultMaxPatternLength is the longest action or resource pattern, in
	// bytes; an AWS ARN is at most 2,048 characters.
	DefaultMaxPatternLength = 2048
	// DefaultMaxGrants is how many grants one workflow may expand to: the
	// sum, over its entitlements, of actions × resources.
	DefaultMaxGrants = 10_000
	// DefaultMaxConditionsBytes is the largest conditions object of one
	// entitlement, in bytes of canonical JSON (sorted keys, no spaces). A
	// real one is a few hundred bytes; every grant of the entitlement
	// carries it, so a large one multiplies into the diff's memory and
	// report.
	DefaultMaxConditionsBytes = 8 << 10
)

// ConditionsSize is the size of conditions as canonical JSON, the form the
// diff compares and reports; 0 for none.
func ConditionsSize(conditions map[string]any) int {
	if len(conditions) == 0 {
		return 0
	}
	b, err := json.Marshal(conditions)
	if err != nil {
		// Decoded YAML always marshals; count what cannot as too large.
		return int(^uint(0) >> 1)
	}
	return len(b)
}

// checkLimits reports the patterns of w that are too long, conditions that
// are too large and a workflow that expands to too many grants, so that no spec can make the diff's
// work explode.
func checkLimits(w *Workflow, lim Limits, at func(path string) Pos) Errors {
	var errs Errors
	add := func(path, msg, hint string) {
		p := at(path)
		errs = append(errs, &Error{File: w.Source.File, Line: p.Line, Col: p.Col, Path: path, Msg: msg, Hint: hint})
	}
	total := 0
	for i, e := range w.Spec.Entitlements {
		for _, list := range []struct {
			kind     string
			patterns []string
		}{{"actions", e.Actions}, {"resources", e.Resources}} {
			for j, p := range list.patterns {
				if len(p) > lim.MaxPatternLength {
					add(fmt.Sprintf("spec.entitlements[%d].%s[%d]", i, list.kind, j),
						fmt.Sprintf("pattern is %d bytes long, over the limit of %d", len(p), lim.MaxPatternLength),
						"write a shorter pattern, or raise limits.maxPatternLength in .nhigate.yaml")
				}
			}
		}
		if n := ConditionsSize(e.Conditions); n > lim.MaxConditionsBytes {
			add(fmt.Sprintf("spec.entitlements[%d].conditions", i),
				fmt.Sprintf("conditions are %d bytes as canonical JSON, over the limit of %d", n, lim.MaxConditionsBytes),
				"write fewer or shorter conditions, or raise limits.maxConditionsBytes in .nhigate.yaml")
		}
		total += len(e.Actions) * len(e.Resources)
	}
	if total > lim.MaxGrants {
		add("spec.entitlements",
			fmt.Sprintf("expands to %d grants (actions × resources of each entitlement), over the limit of %d", total, lim.MaxGrants),
			"list fewer actions or resources per entitlement, split the access over several specs, or raise limits.maxGrantsPerSpec in .nhigate.yaml")
	}
	return errs
}

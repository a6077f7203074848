package diffing

import (
	"encoding/json"
	"maps"
	"slices"
)

// condition is one top-level entry of a grant's conditions, its value in
// canonical JSON.
type condition struct{ key, value string }

// parseConditions splits the canonical JSON of a grant's conditions into
// its top-level entries, sorted by key. "" has none.
func parseConditions(canonicalJSON string) []condition {
	if canonicalJSON == "" {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(canonicalJSON), &m); err != nil {
		// Not an object: keep it whole, so that it only ever equals itself.
		return []condition{{key: "", value: canonicalJSON}}
	}
	out := make([]condition, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		// json.Marshal wrote the value with sorted keys, so equal values
		// have equal bytes.
		out = append(out, condition{k, string(m[k])})
	}
	return out
}

// looserConditions reports whether conditions a restrict no more than b
// does, provably: every entry of a is also in b with the same value. b may
// add entries, since a further condition can only narrow a grant. Anything
// else (a changed value, a dropped key in b) is not provably narrower, even
// when it might be (a smaller CIDR, say): the diff then errs towards
// calling it a widening.
func looserConditions(a, b []condition) bool {
	i := 0
	for _, c := range a {
		for i < len(b) && b[i].key < c.key {
			i++
		}
		if i == len(b) || b[i] != c {
			return false
		}
		i++
	}
	return true
}

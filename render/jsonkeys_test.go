package render

import (
	"strings"
	"testing"
)

func TestDuplicateKey(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // "" for none
	}{
		{`{"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}], "d": {}, "e": []}`, ""},
		{`{"a": {}, "b": [{}], "A2": 1, "a2x": 2}`, ""},
		{`{"a": 1, "a": 2}`, `key "a" is set twice`},
		{`{"iam_policy": {}, "IAM_POLICY": {}}`, `key "IAM_POLICY" is set twice`},
		{`[{"x": [1, {"members": [], "Members": []}]}]`, `key "Members"`},
		{`{"k": 1, "\u212a": 2}`, `is set twice`}, // KELVIN SIGN folds to k
		{`{"a": 1}` + "\n" + `{"b": 1, "b": 2}`, `line 2 col`},
		{`{"s": "{\"a\": 1, \"a\": 2}"}`, ""}, // inside a string: not a key
		{strings.Repeat(`[`, MaxJSONDepth) + strings.Repeat(`]`, MaxJSONDepth), ""},
		// Each level held a map: 8 MB of unclosed objects took 600 MB.
		{strings.Repeat(`{"a":`, MaxJSONDepth+1), "nested deeper than 100 levels"},
		{strings.Repeat(`[`, 1<<20), "nested deeper than 100 levels"},
	} {
		err := DuplicateKey([]byte(tt.in))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.in, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: got %v, want %q", tt.in, err, tt.want)
		}
	}
}

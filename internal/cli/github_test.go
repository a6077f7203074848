package cli

import (
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/nhigate/nhigate/internal/ghapi"
)

// Only a review against the default branch may speak as nhigate/review; any
// other base is named, and two bases never share a context.
func TestStatusContext(t *testing.T) {
	long := strings.Repeat("release/", 20) + "x"
	longer := strings.Repeat("release/", 20) + "y"
	for _, tc := range []struct {
		base, defaultBranch, want string
	}{
		{"main", "main", "nhigate/review"},
		{"trunk", "trunk", "nhigate/review"},
		{"weak", "main", "nhigate/review (base: weak)"},
		{"main", "trunk", "nhigate/review (base: main)"},
		{"Main", "main", "nhigate/review (base: Main)"},
		{"release/1.x", "main", "nhigate/review (base: release/1.x)"},
	} {
		got := statusContext(&ghapi.Event{BaseRef: tc.base, DefaultBranch: tc.defaultBranch})
		if got != tc.want {
			t.Errorf("statusContext(base %q, default %q) = %q, want %q", tc.base, tc.defaultBranch, got, tc.want)
		}
	}
	a := statusContext(&ghapi.Event{BaseRef: long, DefaultBranch: "main"})
	b := statusContext(&ghapi.Event{BaseRef: longer, DefaultBranch: "main"})
	if a == b {
		t.Errorf("two long bases share the context %q", a)
	}
	for _, c := range []string{a, b} {
		if n := utf8.RuneCountInString(c); n > len("nhigate/review (base: )")+maxContextBase || !strings.HasPrefix(c, "nhigate/review (base: release/") {
			t.Errorf("context %q (%d characters) is not a bounded name of its base", c, n)
		}
	}
}

// The workflow must review a pull request again whenever what judges it can
// change: a new head, a reopening, and an edit, which is how a base is
// changed. Every action it triggers on is one nhigate reviews.
func TestWorkflowTriggers(t *testing.T) {
	data, err := os.ReadFile("../../docs/workflows/nhigate-review.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		On map[string]struct {
			Types []string `yaml:"types"`
		} `yaml:"on"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	need := map[string][]string{
		"pull_request":        {"opened", "synchronize", "reopened", "edited"},
		"pull_request_review": {"submitted", "dismissed"},
	}
	for event, actions := range need {
		types := wf.On[event].Types
		for _, a := range actions {
			if !slices.Contains(types, a) {
				t.Errorf("the workflow's %s types %v lack %q", event, types, a)
			}
		}
		for _, a := range types {
			if _, err := ghapi.ParseEvent(event, []byte(`{"action": "`+a+`"}`)); err != nil && strings.Contains(err.Error(), "does not review") {
				t.Errorf("the workflow triggers on %s %s, which nhigate does not review: %v", event, a, err)
			}
		}
	}
	if _, ok := wf.On["merge_group"]; !ok {
		t.Error("the workflow does not run in the merge queue")
	}
}

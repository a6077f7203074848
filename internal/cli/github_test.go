package cli

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/nhigate/nhigate/internal/ghapi"
)

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

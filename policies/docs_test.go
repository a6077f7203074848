package policies

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite docs/POLICIES.md from the catalog")

const policiesDoc = "../docs/POLICIES.md"

// TestPoliciesDoc keeps docs/POLICIES.md equal to what WriteMarkdown makes
// of the catalog. Regenerate it with: go test ./policies -run TestPoliciesDoc -update
func TestPoliciesDoc(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, Catalog()); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(policiesDoc), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(policiesDoc, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(policiesDoc)
	if err != nil {
		t.Fatalf("%v: generate it with: go test ./policies -run TestPoliciesDoc -update", err)
	}
	if diff := cmp.Diff(buf.String(), string(got)); diff != "" {
		t.Errorf("%s is out of date; run: go test ./policies -run TestPoliciesDoc -update\n(-want +got):\n%s", policiesDoc, diff)
	}
}

package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhigate/nhigate/render"
)

// Each source bounds what the principals of one file hold; nhigate import
// bounds it across its files too, since it builds every spec before writing
// any. Two GitHub manifests of 100 requests for 500 repositories each hold
// about 100,000 repositories between them.
func TestImportBoundsAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	manifest := func(app string) string {
		var reqs []map[string]any
		for i := range 100 {
			var repos []string
			for j := range 500 {
				repos = append(repos, fmt.Sprintf("r%d-%d", i, j))
			}
			reqs = append(reqs, map[string]any{"method": "POST", "path": "/app/installations/{installation_id}/access_tokens", "file": "x.json",
				"body": map[string]any{"repositories": repos, "permissions": map[string]string{"contents": "read"}}})
		}
		b, err := json.Marshal(map[string]any{"app": app, "owner": "acme", "tokenLifetime": "1h", "notes": []string{}, "requests": reqs})
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, app+".json")
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	a, b := manifest("app-a"), manifest("app-b")
	if _, stderr, code := run(t, "import", "--from", "github", "--output", "-", "--now", frozen, a); code != 0 {
		t.Fatalf("one manifest: exit %d: %s", code, stderr)
	}
	out, stderr, code := run(t, "import", "--from", "github", "--output", "-", "--now", frozen, a, b)
	if code != 1 || out != "" || !strings.Contains(stderr, fmt.Sprintf("more than %d actions and resources", render.MaxImportValues)) {
		t.Fatalf("two manifests: exit %d, %d bytes out, stderr %q", code, len(out), stderr)
	}
}

package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhigate/nhigate/render/gcp"
)

const gcpSpec = `apiVersion: nhigate.dev/v1
kind: ProvisioningWorkflow
metadata: {name: bi-export, owner: "@acme/data", requester: rachel}
spec:
  identity: {name: bi-vendor, type: service-account, platform: %s, consumer: pipeline}
  environment: staging
  entitlements:
    - actions: ["roles/bigquery.dataViewer"]
      resources: ["projects/acme-analytics/datasets/finance"]
  credential: {kind: ephemeral, ttl: 8h}
%s
`

// Render refuses, at the field, what must not render, and says when it
// ended access before expiresAt.
func TestRender(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	write := func(name, platform, expires string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(fmtSpec(platform, expires)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, platform, expires string
		validUntil              time.Time
		problem, note           string
		files                   int
	}{
		{name: "renders", platform: "gcp", expires: `  expiresAt: "2026-04-01T00:00:00Z"`, files: 1},
		{name: "other platform", platform: "aws", expires: `  expiresAt: "2026-04-01T00:00:00Z"`, problem: ":5:54: spec bi-export is for platform aws, not gcp; render it with --target aws"},
		{name: "no expiry", platform: "gcp", problem: "spec bi-export has no expiresAt"},
		{name: "expired", platform: "gcp", expires: `  expiresAt: "2026-02-01T00:00:00Z"`, problem: ":11:3: spec bi-export expired at 2026-02-01T00:00:00Z"},
		{name: "review ends first", platform: "gcp", expires: `  expiresAt: "2026-04-01T00:00:00Z"`, validUntil: now.Add(48 * time.Hour), files: 1,
			note: "spec bi-export: rendered to end at 2026-03-03T00:00:00Z, when its signed review stops holding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := write(strings.ReplaceAll(tc.name, " ", "-")+".yaml", tc.platform, tc.expires)
			content, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			out := &Rendered{}
			renderFile(out, gcp.Target, path, content, now, tc.validUntil)
			if got := strings.Join(out.Problems, "\n"); (tc.problem == "") != (got == "") || !strings.Contains(got, tc.problem) {
				t.Errorf("problems %q, want %q", got, tc.problem)
			}
			if got := strings.Join(out.Notes, "\n"); !strings.Contains(got, tc.note) || (tc.note == "") != (got == "") {
				t.Errorf("notes %q, want %q", got, tc.note)
			}
			if len(out.Files) != tc.files {
				t.Errorf("%d files, want %d", len(out.Files), tc.files)
			}
			if !tc.validUntil.IsZero() && tc.files > 0 && !strings.Contains(string(out.Files[0].Data), "2026-03-03T00:00:00Z") {
				t.Errorf("the artifact does not end access at validUntil:\n%s", out.Files[0].Data)
			}
		})
	}
}

func fmtSpec(platform, expires string) string {
	s := strings.Replace(gcpSpec, "%s", platform, 1)
	return strings.Replace(s, "%s", expires, 1)
}

// Package synth writes synthetic policy repos for benchmarks: many valid
// specs across platforms and environments, and a head that changes some.
package synth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

var platforms = []struct {
	name, action, resource string
}{
	{"aws", "s3:GetObject", "arn:aws:s3:::bucket-%d/data/*"},
	{"gcp", "storage.objects.get", "projects/acme/buckets/bucket-%d"},
	{"kubernetes", "get", "team-%d/deployments"},
	{"github", "contents:read", "acme/repo-%d"},
	{"vault", "read", "secret/data/app-%d/*"},
}

var environments = []string{"production", "staging", "development"}

// Spec returns the YAML of the i-th synthetic spec as of now. A changed spec
// has a wider resource and a longer TTL, as a typical generated pull request
// would.
func Spec(i int, changed bool, now time.Time) string {
	p := platforms[i%len(platforms)]
	env := environments[i%len(environments)]
	resource := fmt.Sprintf(p.resource, i)
	ttl := "1h"
	if changed {
		resource += "-*"
		ttl = "2h"
	}
	prompt := fmt.Sprintf("give service %d read access to its %s data", i, p.name)
	sum := sha256.Sum256([]byte(prompt))
	return fmt.Sprintf(`apiVersion: nhigate.dev/v1
kind: ProvisioningWorkflow
metadata:
  name: svc-%[1]d
  owner: "@acme/team-%[2]d"
  requester: dev%[2]d
  provenance:
    generator: synth@1
    prompt: %[3]q
    promptSha256: %[4]s
    generatedAt: %[5]q
spec:
  identity: {name: svc-%[1]d, type: workload-identity, platform: %[6]s, consumer: pipeline}
  environment: %[7]s
  entitlements:
    - actions: [%[8]q]
      resources: [%[9]q]
  credential: {kind: ephemeral, ttl: %[10]s}
  expiresAt: %[11]q
  revocation: {onCompletion: true, onTimeout: 2h}
  approvals: {required: ["@acme/security"], minApprovals: 2}
`, i, i%50, prompt, hex.EncodeToString(sum[:]), now.Format(time.RFC3339), p.name, env,
		p.action, resource, ttl, now.Add(7*24*time.Hour).Format(time.RFC3339))
}

// Path is where the i-th spec lives, spread over directories as real repos
// spread them over teams.
func Path(i int) string {
	return fmt.Sprintf("identities/team-%02d/svc-%d.yaml", i%50, i)
}

// Write writes n specs under dir; the first changed of them in their
// changed form.
func Write(dir string, n, changed int, now time.Time) error {
	for i := range n {
		full := filepath.Join(dir, filepath.FromSlash(Path(i)))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(Spec(i, i < changed, now)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Rewrite writes the changed form of the first changed specs into dir,
// which already holds n specs.
func Rewrite(dir string, changed int, now time.Time) error {
	for i := range changed {
		full := filepath.Join(dir, filepath.FromSlash(Path(i)))
		if err := os.WriteFile(full, []byte(Spec(i, true, now)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

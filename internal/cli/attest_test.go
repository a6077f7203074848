package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The usage errors of attest and verify say which flag to pass, and stop
// before reading anything.
func TestAttestVerifyUsage(t *testing.T) {
	dir := t.TempDir()
	pub := filepath.Join(dir, "k.pub")
	if err := os.WriteFile(pub, []byte("not a key"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"attest", "--base", "main", "--head", "feature", "--out", dir, "--allow-unapproved-local"}, "--key is required"},
		{[]string{"attest", "--key", "k", "--base", "main", "--head", "feature", "--allow-unapproved-local"}, "--out is required"},
		{[]string{"attest", "--key", "k", "--head", "feature", "--out", dir, "--allow-unapproved-local"}, "both --base and --head are required"},
		{[]string{"attest", "--key", "k", "--base", "main", "--head", "feature", "--out", dir}, "pass --allow-unapproved-local"},
		{[]string{"attest", "--key", filepath.Join(dir, "missing"), "--base", "main", "--head", "feature", "--out", dir, "--allow-unapproved-local"}, "--key:"},
		{[]string{"attest", "--key", "k", "--base", "main", "--head", "feature", "--out", dir, "--allow-unapproved-local", "--now", "soon"}, "not an RFC 3339 time"},
		{[]string{"verify", "--bundle", "b.json", "spec.yaml"}, "no trust decision: pass --key PUB"},
		{[]string{"verify", "--key", pub, "spec.yaml"}, "pass exactly one of --bundle B"},
		{[]string{"verify", "--key", pub, "--bundle", "b", "--bundle-dir", "d", "spec.yaml"}, "pass exactly one of --bundle B"},
		{[]string{"verify", "--key", pub, "--bundle", "b"}, "name the spec file(s) to verify"},
		{[]string{"verify", "--key", pub, "--bundle", "b", "one.yaml", "two.yaml"}, "use --bundle-dir for several"},
		{[]string{"verify", "--key", pub, "--bundle", "b", "--format", "sarif", "one.yaml"}, `--format "sarif"`},
		{[]string{"verify", "--key", pub, "--bundle", "b", "one.yaml"}, "not a PEM public key"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := Run(context.Background(), tt.args, nil, nil, &stdout, &stderr)
			if got := ExitCode(err); got != ExitUsage {
				t.Fatalf("exit %d, want %d (err %v)", got, ExitUsage, err)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q does not say %q", stderr.String(), tt.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("a usage error wrote files: %v", entries)
			}
		})
	}
}

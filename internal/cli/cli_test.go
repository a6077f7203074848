package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nhigate/nhigate/internal/gittest"
)

const frozen = "2026-11-25T12:00:00Z"

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Run(context.Background(), args, []string{"NO_COLOR=1"}, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), ExitCode(err)
}

// copyDir copies a directory tree of regular files.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// exampleRepo commits the bundled example's base on main and its head on
// feature.
func exampleRepo(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	copyDir(t, "../../testdata/example/base", repo)
	gittest.Run(t, repo, "init", "-q", "-b", "main")
	gittest.Run(t, repo, "add", "-A")
	gittest.Run(t, repo, "commit", "-q", "-m", "base")
	gittest.Run(t, repo, "checkout", "-q", "-b", "feature")
	copyDir(t, "../../testdata/example/head", repo)
	gittest.Run(t, repo, "add", "-A")
	gittest.Run(t, repo, "commit", "-q", "-m", "head")
	return repo
}

// TestDirAndGitModesAgree reviews the same content as two directories and
// as two git revisions: the reports must be the same but for their names.
func TestDirAndGitModesAgree(t *testing.T) {
	repo := exampleRepo(t)
	dirOut, _, dirCode := run(t, "review", "--base", "../../testdata/example/base", "--head", "../../testdata/example/head", "--format", "json", "--now", frozen)
	gitOut, _, gitCode := run(t, "review", "--repo", repo, "--base", "main", "--head", "feature", "--format", "json", "--now", frozen)
	if dirCode != gitCode {
		t.Errorf("exit codes differ: directories %d, git %d", dirCode, gitCode)
	}
	var dirReport, gitReport map[string]any
	if err := json.Unmarshal([]byte(dirOut), &dirReport); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(gitOut), &gitReport); err != nil {
		t.Fatal(err)
	}
	for _, r := range []map[string]any{dirReport, gitReport} {
		delete(r, "base")
		delete(r, "head")
	}
	if diff := cmp.Diff(dirReport, gitReport); diff != "" {
		t.Errorf("directory and git reports differ (-dir +git):\n%s", diff)
	}
}

func TestExampleReview(t *testing.T) {
	stdout, stderr, code := run(t, "review", "--base", "../../testdata/example/base", "--head", "../../testdata/example/head", "--now", frozen)
	if code != ExitBlocked {
		t.Fatalf("exit code %d, want %d (blocked)\nstdout:\n%s\nstderr:\n%s", code, ExitBlocked, stdout, stderr)
	}
	for _, want := range []string{
		"BLOCKED",
		"5 spec files changed · 6 grants added · 1 widened · 1 removed",
		"NHI-CRED-001",
		"identities/gcp/finance-bi-export.yaml:",
		"Approvals\n  not checked",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no command", nil, ExitUsage},
		{"unknown command", []string{"nope"}, ExitUsage},
		{"help", []string{"help"}, ExitPass},
		{"diff passes", []string{"diff", "--base", "../../testdata/example/base", "--head", "../../testdata/example/head"}, ExitPass},
		{"same tree passes review", []string{"review", "--base", "../../testdata/example/base", "--head", "../../testdata/example/base", "--now", frozen}, ExitPass},
		{"missing head", []string{"review", "--base", "../../testdata/example/base"}, ExitUsage},
		{"check valid example", []string{"check", "--now", frozen, "--config", "../../testdata/example/base/.nhigate.yaml", "../../testdata/example/base/identities"}, ExitPass},
		{"check missing file", []string{"check", "no-such-file.yaml"}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := run(t, tt.args...)
			if code != tt.want {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.want, stdout, stderr)
			}
		})
	}
}

package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/gittest"
)

const validSpec = `apiVersion: nhigate.dev/v1
kind: ProvisioningWorkflow
metadata:
  name: NAME
spec:
  identity: {name: ci, type: workload-identity, platform: aws, consumer: pipeline}
  environment: staging
  entitlements:
    - actions: ["s3:GetObject"]
      resources: ["arn:aws:s3:::bucket/*"]
  credential: {kind: ephemeral, ttl: 1h}
`

func specNamed(name string) string { return strings.Replace(validSpec, "NAME", name, 1) }

// writeTree writes files (path -> content) under dir. A content starting
// with "->" makes a symlink to the rest.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		os.Remove(full)
		var err error
		if target, ok := strings.CutPrefix(content, "->"); ok {
			err = os.Symlink(target, full)
		} else {
			err = os.WriteFile(full, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// fixture builds the same base and head twice: as two directories and as
// two branches of a git repository.
func fixture(t *testing.T, base, head map[string]string) (repo, baseDir, headDir string) {
	t.Helper()
	root := t.TempDir()
	repo, baseDir, headDir = filepath.Join(root, "repo"), filepath.Join(root, "base"), filepath.Join(root, "head")
	writeTree(t, baseDir, base)
	writeTree(t, headDir, base)
	writeTree(t, headDir, head)
	for p, c := range head {
		if c == "" { // "" deletes
			os.Remove(filepath.Join(headDir, p))
		}
	}
	writeTree(t, repo, base)
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	gittest.Run(t, repo, "init", "-q", "-b", "main")
	gittest.Run(t, repo, "add", "-A")
	gittest.Run(t, repo, "commit", "-q", "--allow-empty", "-m", "base")
	gittest.Run(t, repo, "checkout", "-q", "-b", "feature")
	writeTree(t, repo, head)
	for p, c := range head {
		if c == "" {
			os.Remove(filepath.Join(repo, p))
		}
	}
	gittest.Run(t, repo, "add", "-A")
	gittest.Run(t, repo, "commit", "-q", "--allow-empty", "-m", "head")
	return repo, baseDir, headDir
}

func open(t *testing.T, repo, rev string) Tree {
	t.Helper()
	tr, err := Open(repo, rev)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestChangedSameInGitAndDirectoryMode(t *testing.T) {
	repo, baseDir, headDir := fixture(t, map[string]string{
		"identities/a.yaml": specNamed("a"),
		"identities/b.yaml": specNamed("b"),
		"deep/x/y/c.yaml":   specNamed("c"),
		"README.md":         "hello",
	}, map[string]string{
		"identities/a.yaml": specNamed("a") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n",
		"identities/b.yaml": "",
		"identities/d.yaml": specNamed("d"),
		".nhigate.yaml":     "specs: [\"identities/*.yaml\"]\n",
	})
	want := []string{".nhigate.yaml", "identities/a.yaml", "identities/b.yaml", "identities/d.yaml"}
	for name, pair := range map[string][2]Tree{
		"git":   {open(t, repo, "main"), open(t, repo, "feature")},
		"dirs":  {open(t, repo, baseDir), open(t, repo, headDir)},
		"mixed": {open(t, repo, "main"), open(t, repo, headDir)},
	} {
		got, err := Changed(context.Background(), pair[0], pair[1])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: Changed (-want +got):\n%s", name, diff)
		}
	}
}

func TestSymlinksAreNeverFollowed(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.yaml")
	if err := os.WriteFile(outside, []byte(specNamed("secret")), 0o644); err != nil {
		t.Fatal(err)
	}
	repo, _, headDir := fixture(t, map[string]string{"identities/a.yaml": specNamed("a")}, map[string]string{
		"identities/escape.yaml": "->" + outside,
		"identities/up.yaml":     "->../../../etc/passwd",
		"identities/inside.yaml": "->a.yaml",
	})
	for name, tr := range map[string]Tree{"git": open(t, repo, "feature"), "dir": open(t, repo, headDir)} {
		for _, cfg := range []*config.Config{config.Default(), {Specs: []string{"identities/*.yaml"}, Limits: config.Limits{MaxFileSize: 1 << 20}}} {
			l, err := LoadSpecs(tr, []string{"identities/escape.yaml", "identities/up.yaml", "identities/inside.yaml"}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Workflows) != 0 {
				t.Errorf("%s: read %d workflows through symlinks", name, len(l.Workflows))
			}
			var msgs []string
			for _, e := range l.Errors {
				msgs = append(msgs, e.File+": "+e.Msg)
			}
			want := 2 // the two escaping links
			if len(cfg.Specs) > 0 {
				want = 3 // a spec path must be a regular file
			}
			if len(l.Errors) != want {
				t.Errorf("%s with specs %v: errors %q, want %d", name, cfg.Specs, msgs, want)
			}
			for _, m := range msgs {
				if strings.Contains(m, "escape.yaml") && !strings.Contains(m, "outside the repo; nhigate never follows it") {
					t.Errorf("%s: unclear error %q", name, m)
				}
			}
		}
	}
}

func TestOversizedSpecIsRejected(t *testing.T) {
	big := specNamed("big") + "# " + strings.Repeat("x", 2000) + "\n"
	repo, _, headDir := fixture(t, map[string]string{}, map[string]string{"big.yaml": big})
	cfg := config.Default()
	cfg.Limits.MaxFileSize = 1000
	for name, tr := range map[string]Tree{"git": open(t, repo, "feature"), "dir": open(t, repo, headDir)} {
		l, err := LoadSpecs(tr, []string{"big.yaml"}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Errors) != 1 || !strings.Contains(l.Errors[0].Error(), "over the limit of 1000") {
			t.Errorf("%s: errors = %v, want one size error", name, l.Errors)
		}
	}
}

func TestLoadSpecsSkipsNonSpecsInDiscoverMode(t *testing.T) {
	repo, _, _ := fixture(t, map[string]string{}, map[string]string{
		"a.yaml":                    specNamed("a"),
		".github/workflows/ci.yaml": "on: push\njobs: {}\n",
		"broken-but-not-ours.yaml":  "a: [\n",
		"broken-ours.yaml":          "apiVersion: nhigate.dev/v1\nkind: [\n",
		"dup.yaml":                  specNamed("a"),
	})
	tr := open(t, repo, "feature")
	l, err := LoadSpecs(tr, []string{".github/workflows/ci.yaml", "a.yaml", "broken-but-not-ours.yaml", "broken-ours.yaml", "dup.yaml"}, config.Default())
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Workflows) != 2 {
		t.Errorf("got %d workflows, want 2", len(l.Workflows))
	}
	var files []string
	for _, e := range l.Errors {
		files = append(files, e.File)
	}
	if diff := cmp.Diff([]string{"broken-ours.yaml", "dup.yaml"}, files); diff != "" {
		t.Errorf("errors in files (-want +got):\n%s\n%v", diff, l.Errors)
	}
}

func TestLoadConfig(t *testing.T) {
	repo, _, _ := fixture(t, map[string]string{"x": "x"}, map[string]string{".nhigate.yaml": "specs: 3\n"})
	c, err := LoadConfig(open(t, repo, "main"))
	if err != nil || len(c.Specs) != 0 || c.Environments["production"].MaxTTL.Text != "8h" {
		t.Errorf("missing config: got %+v, %v; want defaults", c, err)
	}
	_, err = LoadConfig(open(t, repo, "feature"))
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), ".nhigate.yaml:1:8") {
		t.Errorf("invalid config: err = %v, want a ConfigError with a position", err)
	}
}

func TestOpenUnknownRevision(t *testing.T) {
	repo, _, _ := fixture(t, map[string]string{"x": "x"}, map[string]string{})
	if _, err := Open(repo, "no-such-branch"); err == nil || !strings.Contains(err.Error(), "neither a directory nor a revision") {
		t.Errorf("err = %v", err)
	}
	if _, err := Open(t.TempDir(), "main"); err == nil {
		t.Error("opened a revision outside any repository")
	}
}

// TestFiles: a symlink is listed, so that a caller refuses it by name
// (ReadFile fails on it); before issue 10 it was left out, and a policy
// behind a link silently did not run.
func TestFiles(t *testing.T) {
	repo, _, headDir := fixture(t, map[string]string{"policy/a.rego": "package a", "policy/sub/b.rego": "package b", "other/c.rego": "x"},
		map[string]string{"policy/link.rego": "->../other/c.rego"})
	for name, tr := range map[string]Tree{"git": open(t, repo, "feature"), "dir": open(t, repo, headDir)} {
		got, err := tr.Files("policy")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"policy/a.rego", "policy/link.rego", "policy/sub/b.rego"}, got); diff != "" {
			t.Errorf("%s: Files (-want +got):\n%s", name, diff)
		}
		var link *SymlinkError
		if _, err := tr.ReadFile("policy/link.rego", 1<<20); !errors.As(err, &link) {
			t.Errorf("%s: ReadFile of a listed symlink = %v, want a SymlinkError", name, err)
		}
		if got, err := tr.Files("missing"); err != nil || len(got) != 0 {
			t.Errorf("%s: Files(missing) = %v, %v", name, got, err)
		}
	}
}

// TestLoadSpecsInParallelFromGit reads many files of one revision at once,
// as LoadSpecs does; go-git's trees are not safe for concurrent use, so this
// crashed before reads were serialised.
func TestLoadSpecsInParallelFromGit(t *testing.T) {
	files := map[string]string{}
	var paths []string
	for i := range 300 {
		p := fmt.Sprintf("identities/team-%d/svc-%d.yaml", i%7, i)
		files[p] = specNamed(fmt.Sprintf("svc-%d", i))
		paths = append(paths, p)
	}
	repo, _, _ := fixture(t, files, map[string]string{})
	l, err := LoadSpecs(open(t, repo, "feature"), paths, config.Default())
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Workflows) != 300 || len(l.Errors) != 0 {
		t.Errorf("got %d workflows, errors %v", len(l.Workflows), l.Errors)
	}
}

package review_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/source"
)

// TestFindConfig: the config is found the way git finds .git, up to the
// repository root and no further; a named one is read as named.
func TestFindConfig(t *testing.T) {
	write := func(t *testing.T, path, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const cfg = "policies: [org-policies]\n"
	tests := []struct {
		name     string
		setup    func(t *testing.T, top string)
		dir      string // under top
		file     string // under top; "" to look
		wantPath string // under top; "" for none
		wantRoot string // under top
		wantErr  any
	}{{
		name: "in a parent, below the repository root",
		setup: func(t *testing.T, top string) {
			write(t, filepath.Join(top, "repo", config.File), cfg)
			os.Mkdir(filepath.Join(top, "repo", ".git"), 0o755)
		},
		dir: "repo/identities/aws", wantPath: "repo/" + config.File, wantRoot: "repo",
	}, {
		name: "not above the repository root",
		setup: func(t *testing.T, top string) {
			write(t, filepath.Join(top, config.File), cfg)
			os.MkdirAll(filepath.Join(top, "repo", ".git"), 0o755)
			os.MkdirAll(filepath.Join(top, "repo", "identities"), 0o755)
		},
		dir: "repo/identities", wantRoot: "repo",
	}, {
		name:  "named",
		setup: func(t *testing.T, top string) { write(t, filepath.Join(top, "elsewhere.yaml"), cfg) },
		dir:   ".", file: "elsewhere.yaml", wantPath: "elsewhere.yaml",
	}, {
		name:  "named but missing: a usage error",
		setup: func(t *testing.T, top string) {},
		dir:   ".", file: "missing.yaml", wantErr: new(*review.UsageError),
	}, {
		name: "not a config: a config error",
		setup: func(t *testing.T, top string) {
			write(t, filepath.Join(top, config.File), "policies: {\n")
			os.Mkdir(filepath.Join(top, ".git"), 0o755)
		},
		dir: ".", wantErr: new(*source.ConfigError),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			top := t.TempDir()
			tc.setup(t, top)
			file := tc.file
			if file != "" {
				file = filepath.Join(top, file)
			}
			lc, err := review.FindConfig(filepath.Join(top, tc.dir), file)
			if tc.wantErr != nil {
				if !errors.As(err, tc.wantErr) {
					t.Fatalf("err = %v, want %T", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantPath := ""
			if tc.wantPath != "" {
				wantPath = filepath.Join(top, tc.wantPath)
			}
			if lc.Path != wantPath {
				t.Errorf("path %q, want %q", lc.Path, wantPath)
			}
			if tc.wantRoot != "" && lc.Root != filepath.Join(top, tc.wantRoot) {
				t.Errorf("root %q, want %q", lc.Root, filepath.Join(top, tc.wantRoot))
			}
			if (lc.Path != "") != (len(lc.Config.Policies) == 1) {
				t.Errorf("policies %v: the config read does not match the one found", lc.Config.Policies)
			}
		})
	}
}

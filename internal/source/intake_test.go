package source

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/gittest"
)

func withSpecs(globs ...string) *config.Config {
	c := config.Default()
	c.Specs = globs
	return c
}

func utf16LE(s string) string {
	b := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return string(b)
}

// addGitlinks commits submodule entries (mode 160000) on the checked-out
// branch of repo, as "git submodule add" would without fetching anything.
func addGitlinks(t *testing.T, repo string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		gittest.Run(t, repo, "update-index", "--add", "--cacheinfo", "160000,1111111111111111111111111111111111111111,"+p)
	}
	gittest.Run(t, repo, "commit", "-q", "-m", "gitlinks")
}

// screen runs what a review runs on the changed files: LoadSpecs, then
// Screen.
func screen(t *testing.T, from, head Tree, cfg *config.Config) (*Loaded, *Screened) {
	t.Helper()
	ctx := context.Background()
	changed, err := Changed(ctx, from, head)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadSpecs(head, changed, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Screen(ctx, from, head, changed, cfg, loaded)
	if err != nil {
		t.Fatal(err)
	}
	return loaded, s
}

// TestScreenBlocksWhatCouldHoldASpec holds one member of each class of file
// that could carry a spec past the review unread. Each is an error at the
// file, in git mode and in directory mode; none was before issue 10.
// lfsPointer is what git stores for a file kept in Git LFS.
const lfsPointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n"

func TestScreenBlocksWhatCouldHoldASpec(t *testing.T) {
	spec := specNamed("x")
	globs := withSpecs("identities/*.yaml")
	tests := []struct {
		name       string
		cfg        *config.Config
		base, head map[string]string
		gitlinks   []string          // added in head; git mode only
		want       map[string]string // file -> part of its error
		governance []string
	}{
		{name: "outside the globs", cfg: globs,
			head: map[string]string{"other/x.yaml": spec},
			want: map[string]string{"other/x.yaml": `outside the spec paths of .nhigate.yaml (specs: "identities/*.yaml")`}},
		{name: "renamed to .yml", cfg: globs,
			base: map[string]string{"identities/a.yaml": spec},
			head: map[string]string{"identities/a.yaml": "", "identities/a.yml": spec},
			want: map[string]string{"identities/a.yml": "outside the spec paths"}},
		{name: "upper-case extension", cfg: globs,
			head: map[string]string{"identities/a.YAML": spec},
			want: map[string]string{"identities/a.YAML": "outside the spec paths"}},
		{name: "no extension, with globs", cfg: globs,
			head: map[string]string{"identities/a": spec},
			want: map[string]string{"identities/a": "outside the spec paths"}},
		{name: "no extension, discovered", cfg: config.Default(),
			head: map[string]string{"identities/a": spec},
			want: map[string]string{"identities/a": "only files named *.yaml, *.yml or *.json are read as specs"}},
		{name: "any text file", cfg: config.Default(),
			head: map[string]string{"notes.txt": spec},
			want: map[string]string{"notes.txt": "only files named"}},
		{name: "case variant of the spec directory", cfg: globs,
			head: map[string]string{"Identities/a.yaml": spec},
			want: map[string]string{"Identities/a.yaml": "outside the spec paths"}},
		{name: "a directory named like a spec", cfg: globs,
			head: map[string]string{"identities/a.yaml/b.yaml": spec},
			want: map[string]string{"identities/a.yaml/b.yaml": "outside the spec paths"}},
		{name: "a spec inside .github", cfg: config.Default(),
			head:       map[string]string{".github/specs/a.yaml": spec},
			want:       map[string]string{".github/specs/a.yaml": "in a governance file, which is never read as a spec"},
			governance: []string{".github/specs/a.yaml"}},
		{name: "a spec where a glob meets governance", cfg: withSpecs("**/*.yaml"),
			head:       map[string]string{"ci/action.yaml": spec},
			want:       map[string]string{"ci/action.yaml": "in a governance file"},
			governance: []string{"ci/action.yaml"}},
		{name: "UTF-16", cfg: globs,
			head: map[string]string{"other/a.yaml": utf16LE(spec)},
			want: map[string]string{"other/a.yaml": "in UTF-16LE"}},
		{name: "UTF-8 BOM in JSON", cfg: globs,
			head: map[string]string{"other/a.json": "\ufeff{\"apiVersion\": \"nhigate.dev/v1\", \"kind\": \"ProvisioningWorkflow\"}"},
			want: map[string]string{"other/a.json": `"apiVersion": "nhigate.dev/v1"`}},
		{name: "escaped JSON", cfg: globs,
			head: map[string]string{"other/a.json": `{"apiVersion": "nhigate.dev\/v1", "metadata": {"name": "x"}}`},
			want: map[string]string{"other/a.json": "declares itself an nhigate document"}},
		{name: "unicode-escaped JSON", cfg: globs,
			head: map[string]string{"other/a.json": `{"apiVersion": "\u006ehigate.dev/v1"}`},
			want: map[string]string{"other/a.json": "declares itself an nhigate document"}},
		{name: "case and look-alikes outside the globs", cfg: globs,
			head: map[string]string{"other/a.yaml": "APIVERSION: NH\u0406GATE.dev/v1\n", "other/b.yaml": "kind: provisioning\u200bworkflow\n"},
			want: map[string]string{"other/a.yaml": `"APIVERSION": "NH\u0406GATE.dev/v1"`, "other/b.yaml": "declares itself"}},
		{name: "a list wrapper, discovered", cfg: config.Default(),
			head: map[string]string{"other/list.yaml": "kind: List\nitems:\n  - " + strings.ReplaceAll(spec, "\n", "\n    ")},
			want: map[string]string{"other/list.yaml": "no document in it is a ProvisioningWorkflow at its top level"}},
		{name: "a Git LFS pointer where specs may lie, discovered", cfg: config.Default(),
			head: map[string]string{"identities/vendor.yaml": lfsPointer},
			want: map[string]string{"identities/vendor.yaml": "is a Git LFS pointer where specs may lie"}},
		{name: "a symlink to a spec inside the repo", cfg: config.Default(),
			base: map[string]string{"identities/a.yaml": spec},
			head: map[string]string{"identities/b.yaml": "->a.yaml"},
			want: map[string]string{"identities/b.yaml": `is a symlink to "a.yaml"`}},
		{name: "a symlink to anything", cfg: globs,
			base: map[string]string{"README.md": "hello"},
			head: map[string]string{"docs/readme.md": "->../README.md", "lib": "->/etc"},
			want: map[string]string{"docs/readme.md": "is a symlink", "lib": `is a symlink to "/etc"`}},
		{name: "a file becomes a symlink", cfg: config.Default(),
			base: map[string]string{"notes.md": "hello", "other.md": "x"},
			head: map[string]string{"notes.md": "->other.md"},
			want: map[string]string{"notes.md": "nhigate never follows a symlink"}},
		{name: "a gitlink at a spec path", cfg: globs,
			gitlinks: []string{"identities/vendor.yaml"},
			want:     map[string]string{"identities/vendor.yaml": "is a submodule (gitlink) where specs may lie"}},
		{name: "a gitlink above a spec path", cfg: withSpecs("identities/**/*.yaml"),
			gitlinks: []string{"identities/vendor"},
			want:     map[string]string{"identities/vendor": "is a submodule (gitlink) where specs may lie"}},
		{name: "a gitlink, discovered", cfg: config.Default(),
			gitlinks: []string{"lib/vendor"},
			want:     map[string]string{"lib/vendor": "is a submodule"}},
		{name: "a backslash in a name", cfg: config.Default(),
			head: map[string]string{`identities\a.yaml`: "x: 1\n"},
			want: map[string]string{`identities\a.yaml`: "holds a backslash"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, baseDir, headDir := fixture(t, tt.base, tt.head)
			for _, d := range []string{baseDir, headDir} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			modes := map[string][2]Tree{"git": {open(t, repo, "main"), nil}}
			if len(tt.gitlinks) > 0 {
				addGitlinks(t, repo, tt.gitlinks...)
			} else {
				modes["dir"] = [2]Tree{open(t, repo, baseDir), open(t, repo, headDir)}
			}
			for mode, pair := range modes {
				from, head := pair[0], pair[1]
				if head == nil {
					head = open(t, repo, "feature")
				}
				loaded, s := screen(t, from, head, tt.cfg)
				if len(loaded.Workflows) > 0 || len(loaded.Errors) > 0 {
					t.Errorf("%s: LoadSpecs read %d workflows, errors %v; the case must be one that it misses", mode, len(loaded.Workflows), loaded.Errors)
				}
				got := map[string]string{}
				for _, e := range s.Errors {
					got[e.File] += e.Error()
				}
				if diff := cmp.Diff(slices.Sorted(mapKeys(tt.want)), slices.Sorted(mapKeys(got))); diff != "" {
					t.Errorf("%s: files with errors (-want +got):\n%s\n%v", mode, diff, s.Errors)
				}
				for f, want := range tt.want {
					if !strings.Contains(got[f], want) {
						t.Errorf("%s: error at %s = %q, want it to say %q", mode, f, got[f], want)
					}
				}
				var gov []string
				for _, g := range s.Governance {
					gov = append(gov, g.Path)
				}
				if diff := cmp.Diff(tt.governance, gov); diff != "" {
					t.Errorf("%s: governance (-want +got):\n%s", mode, diff)
				}
			}
		})
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestScreenLetsOrdinaryChangesPass: what is not a spec and says it is not
// one is left alone, and a spec that LoadSpecs read or reported is not
// reported twice.
func TestScreenLetsOrdinaryChangesPass(t *testing.T) {
	repo, _, headDir := fixture(t, map[string]string{"identities/a.yaml": specNamed("a"), "README.md": "x"}, map[string]string{
		"README.md":                    "# Specs\n\n```yaml\napiVersion: nhigate.dev/v1\n```\n",
		"identities/a.yaml":            specNamed("a") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n",
		"identities/link.yaml":         "->a.yaml",
		"deploy/values.yaml":           "replicas: 3\nimage: nhigate/nhigate:v1\n",
		"photo.png":                    "\x89PNG\r\n\x1a\n\x00\x00\xff\xfe",
		".github/workflows/review.yml": "on: pull_request\njobs: {r: {runs-on: ubuntu-latest, steps: [{uses: nhigate/nhigate@v0}]}}\n",
	})
	cfg := withSpecs("identities/*.yaml")
	for mode, head := range map[string]Tree{"git": open(t, repo, "feature"), "dir": open(t, repo, headDir)} {
		from := open(t, repo, "main")
		loaded, s := screen(t, from, head, cfg)
		if len(loaded.Workflows) != 1 || len(loaded.Errors) != 1 || loaded.Errors[0].File != "identities/link.yaml" {
			t.Fatalf("%s: LoadSpecs = %d workflows, errors %v; want a and the link's error", mode, len(loaded.Workflows), loaded.Errors)
		}
		if len(s.Errors) != 0 {
			t.Errorf("%s: Screen errors %v, want none", mode, s.Errors)
		}
		if diff := cmp.Diff([]Governance{{".github/workflows/review.yml", cfg.GovernanceReason(".github/workflows/review.yml")}}, s.Governance); diff != "" {
			t.Errorf("%s: governance (-want +got):\n%s", mode, diff)
		}
	}
}

// TestScreenGovernance: a change to a governance file is listed with why,
// whichever side it is on, and a submodule away from the spec paths is
// governance too.
func TestScreenGovernance(t *testing.T) {
	repo, _, _ := fixture(t, map[string]string{"CODEOWNERS": "* @acme/security\n", "x": "x"}, map[string]string{
		"CODEOWNERS":                           "",
		".github/workflows/nhigate-review.yml": "on: pull_request\njobs: {review: {runs-on: ubuntu-latest, steps: [{run: \"true\"}]}}\n",
		".gitmodules":                          "[submodule \"lib\"]\n\tpath = lib/vendor\n\turl = https://example.com/x.git\n",
		"deploy/apply.sh":                      "kubectl apply -f .\n",
		"policy/extra.rego":                    "package extra\n",
	})
	addGitlinks(t, repo, "lib/vendor")
	cfg := withSpecs("identities/*.yaml")
	cfg.Governance = []string{"deploy/**"}
	_, s := screen(t, open(t, repo, "main"), open(t, repo, "feature"), cfg)
	if len(s.Errors) != 0 {
		t.Errorf("errors %v, want none", s.Errors)
	}
	got := map[string]string{}
	for _, g := range s.Governance {
		got[g.Path] = g.Reason
	}
	want := map[string]string{
		".github/workflows/nhigate-review.yml": "a file under .github/",
		".gitmodules":                          "says where submodules come from",
		"CODEOWNERS":                           "changes the rules that judge reviews (who must approve)",
		"deploy/apply.sh":                      `listed under governance ("deploy/**")`,
		"lib/vendor":                           "a submodule (gitlink)",
		"policy/extra.rego":                    "changes the rules that judge reviews (a policy)",
	}
	if diff := cmp.Diff(slices.Sorted(mapKeys(want)), slices.Sorted(mapKeys(got))); diff != "" {
		t.Fatalf("governance files (-want +got):\n%s", diff)
	}
	for p, w := range want {
		if !strings.Contains(got[p], w) {
			t.Errorf("reason for %s = %q, want it to say %q", p, got[p], w)
		}
	}
}

// TestScreenLargeFiles: a file too large to parse is scanned whole, in
// bounded memory, so a claim behind padding, or across the boundary of two
// reads, is still found.
func TestScreenLargeFiles(t *testing.T) {
	claim := "apiVersion: nhigate.dev/v1\n"
	// The claim straddles the first read's end.
	padded := strings.Repeat("# padding\n", (scanChunk-10)/10) + claim
	repo, _, headDir := fixture(t, map[string]string{"x": "x"}, map[string]string{
		"other/padded.yaml": padded,
		"other/small.yaml":  strings.Repeat("#", 600) + "\n" + claim,
		"other/utf16.yaml":  utf16LE(strings.Repeat(" ", 400) + claim),
		"other/plain.bin":   strings.Repeat("\x00\x01\x02", 400),
	})
	cfg := withSpecs("identities/*.yaml")
	cfg.Limits.MaxFileSize = 500
	for mode, head := range map[string]Tree{"git": open(t, repo, "feature"), "dir": open(t, repo, headDir)} {
		_, s := screen(t, open(t, repo, "main"), head, cfg)
		var files []string
		for _, e := range s.Errors {
			files = append(files, e.File)
			if !strings.Contains(e.Msg, "over the limit of 500, and mentions nhigate.dev") {
				t.Errorf("%s: unclear error %q", mode, e)
			}
		}
		if diff := cmp.Diff([]string{"other/padded.yaml", "other/small.yaml", "other/utf16.yaml"}, files); diff != "" {
			t.Errorf("%s: files with errors (-want +got):\n%s", mode, diff)
		}
	}
}

// TestDirectoryModeNeverLeavesTheRoot: a symlinked directory on the way to
// a file is refused, wherever it points; before issue 10 only the last
// component was checked, and identities/ -> /elsewhere was read through.
func TestDirectoryModeNeverLeavesTheRoot(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"a.yaml": specNamed("secret"), "p.rego": "package secret"})
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"identities":   "->" + outside,
		"policy":       "->" + outside,
		"inner/a.yaml": specNamed("a"),
		"alias":        "->inner",
	})
	tr := Dir(root)
	for _, p := range []string{"identities/a.yaml", "alias/a.yaml"} {
		var link *SymlinkError
		if _, err := tr.ReadFile(p, 1<<20); !errors.As(err, &link) || link.Path != strings.Split(p, "/")[0] {
			t.Errorf("ReadFile(%s) = %v, want a SymlinkError at its directory", p, err)
		}
	}
	if _, err := tr.Files("policy"); err == nil || !strings.Contains(err.Error(), "is a symlink") {
		t.Errorf("Files(policy) = %v, want a symlink error", err)
	}
	entries, err := tr.entries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for p, e := range entries {
		paths = append(paths, p+" "+e.kind.String())
	}
	slices.Sort(paths)
	want := []string{"alias a symlink", "identities a symlink", "inner/a.yaml a regular file", "policy a symlink"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if k, target, err := tr.kind("identities"); err != nil || k != kindSymlink || target != outside {
		t.Errorf("kind(identities) = %v, %q, %v", k, target, err)
	}
}

// TestScreenSymlinkedDirectoryOnEitherSide: in directory mode a symlinked
// directory is one changed entry, refused in head and harmless in base.
func TestScreenSymlinkedDirectoryOnEitherSide(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"a.yaml": specNamed("secret")})
	linked, real := t.TempDir(), t.TempDir()
	writeTree(t, linked, map[string]string{"identities": "->" + outside})
	writeTree(t, real, map[string]string{"identities/a.yaml": specNamed("a"), "identities/README.md": "specs live here"})
	cfg := withSpecs("identities/*.yaml")

	_, s := screen(t, Dir(real), Dir(linked), cfg)
	if len(s.Errors) != 1 || s.Errors[0].File != "identities" || !strings.Contains(s.Errors[0].Msg, "is a symlink") {
		t.Errorf("symlinked directory in head: errors %v, want one at identities", s.Errors)
	}
	loaded, s := screen(t, Dir(linked), Dir(real), cfg)
	if len(s.Errors) != 0 || len(loaded.Workflows) != 1 {
		t.Errorf("symlinked directory in base: errors %v, %d workflows; want none and a", s.Errors, len(loaded.Workflows))
	}
}

// TestReadLocalRefusesSymlinks: the config that check reads from the working
// directory goes through the same reader as a review's.
func TestReadLocalRefusesSymlinks(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"real.yaml": "specs: []\n", ".nhigate.yaml": "->real.yaml", "sub/x.yaml": "->../real.yaml"})
	t.Chdir(dir)
	var link *SymlinkError
	for _, p := range []string{".nhigate.yaml", "sub/x.yaml", filepath.Join(dir, ".nhigate.yaml")} {
		if _, err := ReadLocal(p, 1<<20); !errors.As(err, &link) {
			t.Errorf("ReadLocal(%s) = %v, want a SymlinkError", p, err)
		}
	}
	if data, err := ReadLocal("real.yaml", 1<<20); err != nil || string(data) != "specs: []\n" {
		t.Errorf("ReadLocal(real.yaml) = %q, %v", data, err)
	}
	var tooLarge *TooLargeError
	if _, err := ReadLocal("real.yaml", 4); !errors.As(err, &tooLarge) {
		t.Errorf("ReadLocal over the limit = %v, want a TooLargeError", err)
	}
	if _, err := ReadLocal("missing.yaml", 4); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadLocal(missing) = %v, want not-exist", err)
	}
}

func TestUnsafeName(t *testing.T) {
	for p, want := range map[string]bool{
		"identities/a.yaml": false, "a/b/c": false, "caf\u00e9.yaml": false,
		"../a.yaml": true, "./a.yaml": true, "a//b": true, "/a": true, "a/": true, ".": true,
		`a\b.yaml`: true, "a\x01.yaml": true, "a\nb": true, "bad\xff.yaml": true,
		"sub/.git/config": true, "sub/.GIT./hooks": true,
	} {
		if got := unsafeName(p) != ""; got != want {
			t.Errorf("unsafeName(%q) = %q, want unsafe %v", p, unsafeName(p), want)
		}
	}
}

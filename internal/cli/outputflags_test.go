package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nhigate/nhigate/output"
)

// TestOutputFlagsAreShared: --format, --output and --now read the same on
// every command that has them, and an unknown format is the same error
// everywhere, listing that command's formats.
func TestOutputFlagsAreShared(t *testing.T) {
	flagHelp := regexp.MustCompile(`(?m)^  -(format|output|now) string\n\s+(.*)$`)
	commands := map[string]output.Kind{
		"check": output.KindReport, "diff": output.KindReport, "review": output.KindReport,
		"verify": output.KindVerify, "sweep": output.KindSweep, "propose": output.KindPropose,
		"owners": output.KindOwners, "policies": output.KindPolicies,
	}
	texts := map[string]string{}
	// attest has --now but prints bundles, not a result.
	stdout, _, _ := run(t, "attest", "--help")
	if m := regexp.MustCompile(`(?m)^  -now string\n\s+(.*)$`).FindStringSubmatch(stdout); m == nil || m[1] != nowUsage {
		t.Errorf("attest --now help %q, want %q", m, nowUsage)
	}
	for name, kind := range commands {
		stdout, _, code := run(t, name, "--help")
		if code != ExitPass {
			t.Fatalf("%s --help: exit %d", name, code)
		}
		found := map[string]bool{}
		for _, m := range flagHelp.FindAllStringSubmatch(stdout, -1) {
			flag, help := m[1], m[2]
			found[flag] = true
			if flag == "format" {
				want := "output format: " + strings.Join(output.FormatsOf(kind), ", ")
				if !strings.HasPrefix(help, want) {
					t.Errorf("%s --format help %q, want %q", name, help, want)
				}
				continue
			}
			if prev, ok := texts[flag]; ok && prev != help {
				t.Errorf("%s --%s help %q differs from another command's %q", name, flag, help, prev)
			}
			texts[flag] = help
		}
		if !found["format"] || !found["output"] || kind != output.KindOwners && kind != output.KindPolicies && !found["now"] {
			t.Errorf("%s has no --format or --output:\n%s", name, stdout)
		}
		args := map[string][]string{"review": {"--base", "a", "--head", "b"}, "diff": {"--base", "a", "--head", "b"}, "sweep": nil,
			"verify": {"--key", "k.pub", "--bundle", "b", "x"}, "policies": nil}[name]
		if args == nil && name != "sweep" && name != "policies" {
			args = []string{"x"}
		}
		_, stderr, code := run(t, append([]string{name, "--format", "yaml"}, args...)...)
		want := `--format: unknown format "yaml": use one of ` + strings.Join(output.FormatsOf(kind), ", ")
		if code != ExitUsage || !strings.Contains(stderr, want) {
			t.Errorf("%s --format yaml: exit %d, stderr %q; want exit 2 saying %q", name, code, stderr, want)
		}
	}
}

// TestOutputIsAtomic: --output replaces the file whole, leaving no
// temporary file behind; a directory that does not exist is a usage error.
func TestOutputIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "policies.json")
	if err := os.WriteFile(path, []byte("an older, longer file that must not leave a tail behind\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, "policies", "--format", "json", "--output", path)
	if code != ExitPass || stdout != "" || !strings.Contains(stderr, "wrote "+path) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "{\n  \"schemaVersion\": 1,") || !strings.HasSuffix(string(data), "}\n") {
		t.Errorf("the file is not the JSON whole:\n%s", data)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want only the report", len(entries))
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v (%v), want 0644", info.Mode(), err)
	}
	// A symlink's target is replaced, and the link stays.
	target := filepath.Join(dir, "target.json")
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, "policies", "--format", "json", "--output", link); code != ExitPass {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi, err)
	}
	if data, err := os.ReadFile(target); err != nil || !strings.Contains(string(data), "schemaVersion") {
		t.Errorf("the link's target holds %q (%v)", data, err)
	}
	// A path that is no regular file is written in place.
	if _, stderr, code := run(t, "policies", "--format", "json", "--output", os.DevNull); code != ExitPass {
		t.Errorf("--output %s: exit %d: %s", os.DevNull, code, stderr)
	}
	_, stderr, code = run(t, "owners", "--output", filepath.Join(dir, "missing", "x.txt"), "README.md")
	if code != ExitUsage || !strings.Contains(stderr, "--output: ") {
		t.Errorf("exit %d, stderr %q: want a usage error naming --output", code, stderr)
	}
}

// Repo hygiene: formatting, vet, module tidiness and the README's promises
// are tests, so that a fresh clone stays as good as the last commit.
package nhigate_test

import (
	"bytes"
	"go/format"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestGofmt(t *testing.T) {
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != "." {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		formatted, err := format.Source(src)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if !bytes.Equal(src, formatted) {
			t.Errorf("%s is not gofmt-formatted; run gofmt -w %s", p, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func goCmd(t *testing.T, args ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the go command; skipped with -short")
	}
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestVet(t *testing.T) { goCmd(t, "vet", "./...") }

func TestModTidy(t *testing.T) { goCmd(t, "mod", "tidy", "-diff") }

// TestReadmeQuickstart holds the README to its promise: it opens with
// exactly the two quickstart commands.
func TestReadmeQuickstart(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```sh\n")
	if !ok {
		t.Fatal("README.md has no ```sh block")
	}
	block, _, _ := strings.Cut(rest, "```")
	want := "go run ./cmd/nhigate review --base testdata/example/base --head testdata/example/head\ngo test ./...\n"
	if block != want {
		t.Errorf("README.md's first sh block is\n%s\nwant\n%s", block, want)
	}
	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ci), "\ngo test ./...\n") {
		t.Error(".ci/run does not run the README's test command, go test ./...")
	}
}

// clockReaders are the only files that may read the real clock. A test that
// reads it must use it relative to itself (now plus or minus), never
// against a fixed date, or the suite breaks on some future day; production
// code reads it in one place that --now can set. Each entry says why.
var clockReaders = map[string]string{
	// Production.
	"policies/policies.go":        "the library's default clock when Options.Now is zero; the CLI always sets it",
	"internal/ghtest/handlers.go": "the fake GitHub stamps comments and statuses as GitHub would",
	"internal/sigtest/sigtest.go": "VirtualSigstore certificates must be valid when the test signs",
	"scripts/timeit/main.go":      "the benchmark script's stopwatch: it measures time, and no test reads its figures",
	// Tests.
	"policies/engine_test.go":          "TestRealClock checks the real-clock path with dates relative to now",
	"internal/ghapi/transport_test.go": "rate-limit reset headers are Unix times relative to now",
	"internal/ghapi/token_test.go":     "rate-limit reset headers are Unix times relative to now",
	"internal/ghapi/merged_test.go":    "a merge time the code under test only passes through",
	"internal/ghtest/server_test.go":   "review times the code under test only passes through",
	"internal/cli/attest_test.go":      "review times the code under test only passes through",
	"cmd/nhigate/main_test.go":         "review and merge times the fake GitHub only passes through",
	"attest/keyless_test.go":           "certificates valid from a minute before now, as Fulcio issues them",
}

// TestClockReads keeps the real clock out of the code: see clockReaders.
func TestClockReads(t *testing.T) {
	seen := map[string]bool{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != "." {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(p, ".go") || p == "all_test.go" {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Contains(src, []byte("time.Now()")) && !bytes.Contains(src, []byte("time.Since(")) {
			return nil
		}
		p = filepath.ToSlash(p)
		seen[p] = true
		if _, ok := clockReaders[p]; !ok {
			t.Errorf("%s reads the real clock (time.Now or time.Since). Inject the clock instead (--now, Options.Now, a now argument), "+
				"or, if it must, add it to clockReaders in all_test.go with the reason", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range clockReaders {
		if !seen[p] {
			t.Errorf("clockReaders lists %s, which no longer reads the clock; remove it", p)
		}
	}
}

// TestSecurityDocNamesRealTests keeps docs/SECURITY.md honest: every test,
// fuzz target and script it names as proof exists.
func TestSecurityDocNamesRealTests(t *testing.T) {
	doc, err := os.ReadFile("docs/SECURITY.md")
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	err = filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != "." {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)\w+)\(`).FindAllSubmatch(src, -1) {
			declared[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, m := range regexp.MustCompile("`((?:Test|Fuzz)[A-Z]\\w*)(?:/[^`]*)?`").FindAllSubmatch(doc, -1) {
		named++
		if !declared[string(m[1])] {
			t.Errorf("docs/SECURITY.md names %s, which no _test.go declares", m[1])
		}
	}
	for _, m := range regexp.MustCompile("`?([\\w-]+\\.txtar)").FindAllSubmatch(doc, -1) {
		named++
		if _, err := os.Stat(filepath.Join("cmd/nhigate/testdata/script", string(m[1]))); err != nil {
			t.Errorf("docs/SECURITY.md names the script %s, which does not exist", m[1])
		}
	}
	if named < 20 {
		t.Errorf("docs/SECURITY.md names only %d tests; it should name the proof of every property", named)
	}
}

// TestReadmeWalkthrough runs the README's render-and-import walk-through as
// written, from the repository root, as a user on a fresh clone would: every
// step must succeed, and the rendered policy must hold the imported grant
// and the expiry the import set.
func TestReadmeWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("the walk-through needs bash:", err)
	}
	for _, tool := range []string{"git", "perl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the walk-through needs %s: %v", tool, err)
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- walkthrough -->\n```sh\n")
	if !ok {
		t.Fatal("README.md has no <!-- walkthrough --> sh block")
	}
	block, _, ok := strings.Cut(rest, "```\n<!-- /walkthrough -->")
	if !ok {
		t.Fatal("README.md's walk-through block does not end with <!-- /walkthrough -->")
	}
	tmp := t.TempDir()
	cmd := exec.Command("bash", "-e", "-u", "-o", "pipefail", "-c", block)
	// mktemp lands in the test's directory, which the test removes, and
	// so does the reviews' scan cache. Go's build cache stays where it is
	// (it would follow XDG_CACHE_HOME, and go run would compile nhigate
	// from nothing).
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOCACHE: %v", err)
	}
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "NO_COLOR=1", "XDG_CACHE_HOME="+filepath.Join(tmp, "cache"), "GOCACHE="+strings.TrimSpace(string(gocache)))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the walk-through failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		"wrote identities/aws/reports-reader.yaml",
		"blocked until decided",
		"signed identities/aws/reports-reader.yaml",
		"ok    identities/aws/reports-reader.yaml",
		`"arn:aws:s3:::acme-finance-reports/monthly/*"`,
		`"aws:CurrentTime"`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the walk-through's output lacks %q:\n%s", want, out)
		}
	}
}

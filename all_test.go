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

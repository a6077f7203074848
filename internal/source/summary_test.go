package source

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/gittest"
)

// branches makes a repository whose main holds base, and a branch of
// main for each other entry of heads, holding base changed by it ("" to
// delete a file).
func branches(t *testing.T, base map[string]string, heads map[string]map[string]string) string {
	t.Helper()
	repo := t.TempDir()
	writeTree(t, repo, base)
	gittest.Run(t, repo, "init", "-q", "-b", "main")
	gittest.Run(t, repo, "add", "-A")
	gittest.Run(t, repo, "commit", "-q", "--allow-empty", "-m", "base")
	for name, head := range heads {
		gittest.Run(t, repo, "checkout", "-q", "-b", name, "main")
		writeTree(t, repo, head)
		for p, c := range head {
			if c == "" {
				os.Remove(filepath.Join(repo, filepath.FromSlash(p)))
			}
		}
		gittest.Run(t, repo, "add", "-A")
		gittest.Run(t, repo, "commit", "-q", "--allow-empty", "-m", name)
	}
	gittest.Run(t, repo, "checkout", "-q", "main")
	return repo
}

// reviewOnce loads the review of main...branch with a cache in dir ("" for
// none), as the CLI does: the merge base, the changed paths, LoadReview.
func reviewOnce(t *testing.T, repo, branch string, cfg *config.Config, dir string) *Review {
	t.Helper()
	return reviewOf(t, repo, "main", branch, cfg, dir, 0)
}

// reviewOf is reviewOnce of base...branch, with a cache of at most
// maxBytes (0 for the default).
func reviewOf(t *testing.T, repo, base, branch string, cfg *config.Config, dir string, maxBytes int64) *Review {
	t.Helper()
	return reviewWith(t, repo, base, branch, cfg, ScanCache{Dir: dir, MaxBytes: maxBytes})
}

// reviewWith is the review of base...branch with the scan cache opts, as
// the CLI makes it: with the cache off (opts.Dir ""), base's scan index,
// if it has one, is still read.
func reviewWith(t *testing.T, repo, base, branch string, cfg *config.Config, opts ScanCache) *Review {
	t.Helper()
	ctx := context.Background()
	r := NewRepo(repo)
	b, err := r.Open(base)
	if err != nil {
		t.Fatal(err)
	}
	head, err := r.Open(branch)
	if err != nil {
		t.Fatal(err)
	}
	cache := OpenCache(opts, head, b)
	from, err := MergeBase(b, head)
	if err != nil {
		t.Fatal(err)
	}
	changed, err := Changed(ctx, from, head)
	if err != nil {
		t.Fatal(err)
	}
	rv, err := LoadReview(ctx, from, head, changed, cfg, cache)
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

// envUint is the number in the environment variable name, or def: the
// seeds and rounds of the randomised tests, for a longer hunt.
func envUint(name string, def uint64) uint64 {
	if s := os.Getenv(name); s != "" {
		fmt.Sscan(s, &def)
	}
	return def
}

// sameReview fails unless got, with a cache, found what want, without one,
// found.
func sameReview(t *testing.T, name string, want, got *Review) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Review{}, "Scanned", "Cached", "Summarised")); diff != "" {
		t.Errorf("%s: Review (-without cache +with):\n%s", name, diff)
	}
}

func contextFiles(r *Review) []string {
	var out []string
	for _, w := range r.Context {
		out = append(out, w.Source.File)
	}
	slices.Sort(out)
	return out
}

// TestSummaryUncountedChangedFile: a directory's summary counts only the
// files whose digests the cache had when it was made. A changed file it
// did not count, whose digest a later review added, must not be taken off
// its counts: here that would hide d/f.yaml, which holds the principal of
// the changed d/k.yaml.
func TestSummaryUncountedChangedFile(t *testing.T) {
	base := map[string]string{
		"d/k.yaml": specOf("k", "shared-ci"),
		"d/f.yaml": specOf("f", "shared-ci"),
		"d/g.yaml": specOf("g", "other-ci"),
		"d/h.yaml": specOf("h", "third-ci"),
	}
	repo := branches(t, base, map[string]map[string]string{
		"changes-k": {"d/k.yaml": specOf("k", "shared-ci") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n"},
		"changes-g": {"d/g.yaml": specOf("g", "other-ci") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n"},
	})
	gittest.Run(t, repo, "gc", "-q")
	cfg := config.Default()
	wantK := reviewOnce(t, repo, "changes-k", cfg, "")
	wantG := reviewOnce(t, repo, "changes-g", cfg, "")
	if got := contextFiles(wantK); !slices.Equal(got, []string{"d/f.yaml"}) {
		t.Fatalf("without a cache, the context of changes-k is %v, want d/f.yaml", got)
	}
	dir := t.TempDir()
	// The first review writes the summary of main's d/, without k.yaml's
	// digest: k.yaml changed, and was not scanned.
	sameReview(t, "changes-k, cold", wantK, reviewOnce(t, repo, "changes-k", cfg, dir))
	// This one answers d/ from the summary, and scans k.yaml, which the
	// summary does not count: its digest is now in the cache.
	g := reviewOnce(t, repo, "changes-g", cfg, dir)
	sameReview(t, "changes-g", wantG, g)
	if g.Summarised == 0 {
		t.Errorf("changes-g: no directory answered by its summary")
	}
	// Taking k.yaml's digest off the counts would leave f.yaml's mention
	// of shared-ci uncounted.
	sameReview(t, "changes-k, warm", wantK, reviewOnce(t, repo, "changes-k", cfg, dir))
}

// randomSpecs is 40 specs s0 … s39, each of a random principal of ids in
// a random directory of dirs, and a/README.md, which mentions alpha-ci in
// prose.
func randomSpecs(r *rand.Rand, ids, dirs []string) map[string]string {
	base := map[string]string{"a/README.md": "mentions alpha-ci in prose\n"}
	for i := range 40 {
		p := filepath.ToSlash(filepath.Join(dirs[r.IntN(len(dirs))], fmt.Sprintf("s%d.yaml", i)))
		base[p] = specOf(fmt.Sprintf("s%d", i), ids[r.IntN(len(ids))])
	}
	return base
}

// TestSummaryRandomRepos: over random repositories and series of pull
// requests reviewed with one cache, a review finds what it finds without
// a cache: files that move, are renamed, deleted, added or changed, in
// directories with and without changes, with principals spread across
// files and directories, and files that are not specs.
func TestSummaryRandomRepos(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	ids := []string{"alpha-ci", "beta-ci", "gamma-ci", "delta-ci", "eps-ci", "zeta-ci", "eta-ci", "theta-ci"}
	dirs := []string{"", "a", "a/b", "c", "c/d/e"}
	summarised := 0
	for round := range 6 {
		base := randomSpecs(r, ids, dirs)
		base["c/notes.txt"] = "beta-ci\n"
		paths := slices.Sorted(maps.Keys(base))
		heads := map[string]map[string]string{}
		for b := range 4 {
			head := map[string]string{}
			for range 1 + r.IntN(4) {
				p := paths[r.IntN(len(paths))]
				if !strings.HasSuffix(p, ".yaml") {
					continue
				}
				name := strings.TrimSuffix(filepath.Base(p), ".yaml")
				switch r.IntN(4) {
				case 0: // change
					head[p] = specOf(name, ids[r.IntN(len(ids))]) + "  expiresAt: \"2026-12-01T00:00:00Z\"\n"
				case 1: // delete
					head[p] = ""
				case 2: // move to another directory
					head[p] = ""
					head[filepath.ToSlash(filepath.Join(dirs[r.IntN(len(dirs))], "moved-"+name+".yaml"))] = base[p]
				case 3: // add one more of a principal
					head[filepath.ToSlash(filepath.Join(dirs[r.IntN(len(dirs))], fmt.Sprintf("new%d-%d.yaml", b, r.IntN(100))))] =
						specOf(fmt.Sprintf("new%d-%d", b, r.IntN(1000)), ids[r.IntN(len(ids))])
				}
			}
			heads[fmt.Sprintf("pr%d", b)] = head
		}
		repo := branches(t, base, heads)
		if round%2 == 0 {
			gittest.Run(t, repo, "gc", "-q")
		}
		cfg := config.Default()
		want := map[string]*Review{}
		for b := range heads {
			want[b] = reviewOnce(t, repo, b, cfg, "")
		}
		dir := t.TempDir()
		// Each pull request twice, in a random order.
		var order []string
		for _, b := range slices.Sorted(maps.Keys(heads)) {
			order = append(order, b, b)
		}
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for i, b := range order {
			got := reviewOnce(t, repo, b, cfg, dir)
			sameReview(t, fmt.Sprintf("round %d, review %d (%s)", round, i, b), want[b], got)
			summarised += got.Summarised
		}
	}
	if summarised == 0 {
		t.Error("no directory was answered by its summary")
	}
}

// TestSummaryReadsUncountedFiles: the files a directory's summary does not
// count are still looked at one by one. Here main's d/ is summarised
// without d/k.yaml, which the first review changed; the second adds a
// spec of k.yaml's principal elsewhere, and must find k.yaml.
func TestSummaryReadsUncountedFiles(t *testing.T) {
	base := map[string]string{
		"d/k.yaml": specOf("k", "kk-ci"),
		"d/f.yaml": specOf("f", "ff-ci"),
		"e/x.yaml": specOf("x", "xx-ci"),
	}
	repo := branches(t, base, map[string]map[string]string{
		"changes-k": {"d/k.yaml": specOf("k", "kk-ci") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n"},
		"adds-kk":   {"e/new.yaml": specOf("new", "kk-ci")},
	})
	cfg := config.Default()
	want := reviewOnce(t, repo, "adds-kk", cfg, "")
	if got := contextFiles(want); !slices.Equal(got, []string{"d/k.yaml"}) {
		t.Fatalf("without a cache, the context of adds-kk is %v, want d/k.yaml", got)
	}
	dir := t.TempDir()
	reviewOnce(t, repo, "changes-k", cfg, dir)
	got := reviewOnce(t, repo, "adds-kk", cfg, dir)
	sameReview(t, "adds-kk", want, got)
	if got.Summarised == 0 {
		t.Error("adds-kk: no directory answered by its summary")
	}
}

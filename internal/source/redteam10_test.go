package source

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/gittest"
)

// rt10Review is the review of base...branch with base's scan index, if
// it has one, and no cache of its own; an error where the review fails.
func rt10Review(repo, base, branch string, cfg *config.Config) (*Review, error) {
	ctx := context.Background()
	r := NewRepo(repo)
	b, err := r.Open(base)
	if err != nil {
		return nil, err
	}
	head, err := r.Open(branch)
	if err != nil {
		return nil, err
	}
	cache := OpenCache(ScanCache{}, head, b)
	from, err := MergeBase(b, head)
	if err != nil {
		return nil, err
	}
	changed, err := Changed(ctx, from, head)
	if err != nil {
		return nil, err
	}
	return LoadReview(ctx, from, head, changed, cfg, cache)
}

// rt10Sorted orders entries as git does, for a tree git would write.
func rt10Sorted(es []gittest.Entry) []gittest.Entry {
	es = slices.Clone(es)
	slices.SortFunc(es, func(a, b gittest.Entry) int {
		return gitCompare(a.Name, a.Mode == "40000", b.Name, b.Mode == "40000")
	})
	return es
}

// TestRedteam10IndexOfHandMadeTrees: a pull request may commit an index
// that summarises any tree of the repository, such as the hand-made
// trees (names twice, out of order, a "/" in a name, modes spelled
// otherwise, links and submodules) of a commit in main's history that a
// later pull request branches from, so that they are its merge base's.
// Whatever those trees hold, an index that CheckScanIndex passes makes
// the same review as none: the summaries are over the entries, and at
// the indices, that answer uses of a merge-base directory of that id.
func TestRedteam10IndexOfHandMadeTrees(t *testing.T) {
	seed := envUint("NHIGATE_RT10_SEED", 10)
	rounds := int(envUint("NHIGATE_RT10_ROUNDS", 12))
	r := rand.New(rand.NewPCG(seed, 10))
	cfg := config.Default()
	ctx := context.Background()
	compared, summarised := 0, 0
	for round := range rounds {
		repo := gittest.Repo(t, map[string]string{
			"top.yaml":  specOf("top", "p-ci"),
			"README.md": "a repository\n",
		})
		o := gittest.OpenObjects(t, repo)
		blobs := []plumbing.Hash{
			o.Blob(specOf("w1", "p-ci")),
			o.Blob(specOf("w2", "q-ci")),
			o.Blob(specOf("w3", "p-ci") + "# p-ci again\n"),
			o.Blob(`# "\x70-ci"` + "\n"),
			o.Blob("nothing here\n"),
			o.Blob(specOf("w4", "q-ci") + "# mentions p-ci\n"),
			o.Blob(specOf("w5", "p-ci") + `# "\x70-ci"` + "\n"),
		}
		names := []string{"a.yaml", "b.yaml", "c.yaml", "x/y.yaml", "a.yaml/", "sub", ".", "..", "d"}
		modes := []string{"100644", "100755", "100664", "100600", "120000", "160000", "40000", "040000"}
		sub := o.Tree(gittest.Entry{Mode: "100644", Name: "s.yaml", Hash: blobs[0]})
		entry := func(canon bool) gittest.Entry {
			name := names[r.IntN(len(names))]
			mode := modes[r.IntN(len(modes))]
			if canon {
				name = names[r.IntN(3)]
				mode = []string{"100644", "100755"}[r.IntN(2)]
			}
			h := blobs[r.IntN(len(blobs))]
			if mode == "40000" || mode == "040000" {
				h = sub
			}
			return gittest.Entry{Mode: mode, Name: name, Hash: h}
		}
		// The merge base's d: hand-made.
		var from []gittest.Entry
		for range 1 + r.IntN(6) {
			from = append(from, entry(false))
		}
		fromID := o.Tree(from...)
		top := o.Top("main")
		o.Commit("mb", "main", o.Tree(rt10Sorted(append(slices.Clone(top), gittest.Entry{Mode: "40000", Name: "d", Hash: fromID}))...))
		// The index a pull request commits: the summaries of d's tree,
		// and of sub, as nhigate makes them.
		mb := mustOpen(t, repo, "mb").(*gitTree)
		dirs := map[plumbing.Hash]*treeNode{}
		for _, id := range []plumbing.Hash{fromID, sub} {
			n, err := mb.objs.tree(id)
			if err != nil {
				t.Fatal(err)
			}
			dirs[id] = n
		}
		idx, err := summariseTrees(ctx, mb, dirs)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		mbTop := o.Top("mb")
		idxTree := o.Tree(gittest.Entry{Mode: "100644", Name: "scan-index", Hash: o.Blob(string(idx))})
		o.Commit("indexed", "mb", o.Tree(rt10Sorted(append(slices.Clone(mbTop), gittest.Entry{Mode: "40000", Name: ".nhigate", Hash: idxTree}))...))
		if msg, err := CheckScanIndex(ctx, mustOpen(t, repo, "indexed")); err != nil || msg != "" {
			t.Fatalf("round %d: CheckScanIndex = %q, %v; want the index nhigate writes to pass", round, msg, err)
		}
		// The pull request: top.yaml widened, and d as it likes.
		var headD plumbing.Hash
		switch r.IntN(3) {
		case 0:
			headD = fromID
		default:
			seen := map[string]bool{}
			var es []gittest.Entry
			for range r.IntN(4) {
				e := entry(true)
				if !seen[e.Name] {
					seen[e.Name] = true
					es = append(es, e)
				}
			}
			// Some of the merge base's entries kept as they are.
			for _, e := range from {
				if r.IntN(2) == 0 && !seen[e.Name] {
					seen[e.Name] = true
					es = append(es, e)
				}
			}
			headD = o.Tree(rt10Sorted(es)...)
		}
		rt10Head(o, mbTop, headD)
		want, werr := rt10Review(repo, "mb", "pr", cfg)
		got, gerr := rt10Review(repo, "indexed", "pr", cfg)
		name := fmt.Sprintf("round %d (from %v, head d %s)", round, from, headD)
		if (werr == nil) != (gerr == nil) {
			t.Errorf("%s: error %v without the index, %v with it", name, werr, gerr)
			continue
		}
		if werr != nil {
			continue
		}
		compared++
		summarised += got.Summarised
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Review{}, "Scanned", "Cached", "Summarised")); diff != "" {
			t.Errorf("%s: review (-without index +with):\n%s", name, diff)
		}
	}
	t.Logf("%d of %d rounds compared, %d directories summarised", compared, rounds, summarised)
	if compared == 0 || summarised == 0 {
		t.Errorf("%d rounds compared, %d directories answered by the index: the test tests nothing", compared, summarised)
	}
}

// TestRedteam10DuplicateEntryOfMergeBase: the merge base's d holds one
// file twice (a hand-made tree); the pull request keeps one of them and
// adds another file beside it, and widens top.yaml, of the principal
// the twice-held file also names (behind an escape, so that no summary
// counts it). Base's index, which CheckScanIndex passes, summarises the
// merge base's d; answered from it, the review read d/a.yaml twice (the
// merge base's entries, not head's) and counted its workflow twice in
// the context. Now a tree git would not write is never answered, and the
// review reads d's files as without the index: once each, as head holds
// them.
func TestRedteam10DuplicateEntryOfMergeBase(t *testing.T) {
	ctx := context.Background()
	repo := gittest.Repo(t, map[string]string{
		"top.yaml":  specOf("top", "p-ci"),
		"README.md": "a repository\n",
	})
	o := gittest.OpenObjects(t, repo)
	esc := o.Blob(specOf("w5", "p-ci") + `# "\x70-ci"` + "\n")
	other := o.Blob("nothing here\n")
	fromID := o.Tree(gittest.Entry{Mode: "100644", Name: "a.yaml", Hash: esc}, gittest.Entry{Mode: "100644", Name: "a.yaml", Hash: esc})
	top := o.Top("main")
	o.Commit("mb", "main", o.Tree(rt10Sorted(append(slices.Clone(top), gittest.Entry{Mode: "40000", Name: "d", Hash: fromID}))...))
	mb := mustOpen(t, repo, "mb").(*gitTree)
	n, err := mb.objs.tree(fromID)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := summariseTrees(ctx, mb, map[plumbing.Hash]*treeNode{fromID: n})
	if err != nil {
		t.Fatal(err)
	}
	mbTop := o.Top("mb")
	idxTree := o.Tree(gittest.Entry{Mode: "100644", Name: "scan-index", Hash: o.Blob(string(idx))})
	o.Commit("indexed", "mb", o.Tree(rt10Sorted(append(slices.Clone(mbTop), gittest.Entry{Mode: "40000", Name: ".nhigate", Hash: idxTree}))...))
	if msg, err := CheckScanIndex(ctx, mustOpen(t, repo, "indexed")); err != nil || msg != "" {
		t.Fatalf("CheckScanIndex = %q, %v; want the index nhigate writes to pass", msg, err)
	}
	headD := o.Tree(gittest.Entry{Mode: "100644", Name: "a.yaml", Hash: esc}, gittest.Entry{Mode: "100644", Name: "b.yaml", Hash: other})
	rt10Head(o, mbTop, headD)
	want, err := rt10Review(repo, "mb", "pr", config.Default())
	if err != nil {
		t.Fatal(err)
	}
	got, err := rt10Review(repo, "indexed", "pr", config.Default())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Review{}, "Scanned", "Cached", "Summarised")); diff != "" {
		t.Errorf("review (-without index +with):\n%s", diff)
	}
}

// TestRedteam10TreeBytes: the trees a review or an index check decodes
// are kept, and bounded by their entries alone (maxTreePaths) they were
// not bounded in bytes: a tree of one entry may hold a name of up to
// 64 MiB, and a pack stores thousands of such trees as deltas of a few
// bytes. A pull request's index may name any of them, reachable from
// head or not (an earlier commit of the pull request), so that checking
// it decoded up to maxTreePaths × 64 MiB. Now the bytes of the trees an
// opened repository decodes are bounded (maxTreeBytes, lowered here):
// past it, the index is blocked with the limit named, and a review of a
// head that holds them is refused with it (a TreeError, exit 1).
func TestRedteam10TreeBytes(t *testing.T) {
	ctx := context.Background()
	repo := gittest.Repo(t, map[string]string{"README.md": "a repository\n"})
	o := gittest.OpenObjects(t, repo)
	blob := o.Blob("nothing here\n")
	var long []plumbing.Hash
	top := o.Top("main")
	for i := range 16 {
		id := o.Tree(gittest.Entry{Mode: "100644", Name: fmt.Sprintf("%d-%s", i, strings.Repeat("n", 4000)), Hash: blob})
		long = append(long, id)
		top = append(top, gittest.Entry{Mode: "40000", Name: fmt.Sprintf("d%02d", i), Hash: id})
	}
	o.Commit("bulky", "main", o.Tree(rt10Sorted(top)...))
	// The index nhigate makes of those trees, committed on main, which
	// does not hold them.
	bulky := mustOpen(t, repo, "bulky").(*gitTree)
	dirs := map[plumbing.Hash]*treeNode{}
	for _, id := range long {
		n, err := bulky.objs.tree(id)
		if err != nil {
			t.Fatal(err)
		}
		dirs[id] = n
	}
	idx, err := summariseTrees(ctx, bulky, dirs)
	if err != nil {
		t.Fatal(err)
	}
	idxTree := o.Tree(gittest.Entry{Mode: "100644", Name: "scan-index", Hash: o.Blob(string(idx))})
	o.Commit("indexed", "main", o.Tree(rt10Sorted(append(o.Top("main"), gittest.Entry{Mode: "40000", Name: ".nhigate", Hash: idxTree}))...))
	if msg, err := CheckScanIndex(ctx, mustOpen(t, repo, "indexed")); err != nil || msg != "" {
		t.Fatalf("within the bound: CheckScanIndex = %q, %v; want it to pass", msg, err)
	}
	maxTreeBytes = 32 << 10
	defer func() { maxTreeBytes = 1 << 30 }()
	msg, err := CheckScanIndex(ctx, mustOpen(t, repo, "indexed"))
	if err != nil || !strings.Contains(msg, fmt.Sprintf("more than %d bytes", 32<<10)) {
		t.Errorf("CheckScanIndex = %q, %v; want it blocked naming the bound of trees' bytes", msg, err)
	}
	r := NewRepo(repo)
	b, err := r.Open("main")
	if err != nil {
		t.Fatal(err)
	}
	h, err := r.Open("bulky")
	if err != nil {
		t.Fatal(err)
	}
	var refused *TreeError
	if _, err := Changed(ctx, b, h); !errors.As(err, &refused) || !strings.Contains(refused.Msg, "bytes") {
		t.Errorf("Changed = %v, want a TreeError naming the bound of trees' bytes", err)
	}
}

// rt10Head commits pr on mb: mb's top tree with top.yaml widened and d
// replaced by headD.
func rt10Head(o *gittest.Objects, mbTop []gittest.Entry, headD plumbing.Hash) {
	var headTop []gittest.Entry
	for _, e := range mbTop {
		switch e.Name {
		case "top.yaml":
			e.Hash = o.Blob(specOf("top", "p-ci") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n")
		case "d":
			e.Hash = headD
		}
		headTop = append(headTop, e)
	}
	o.Commit("pr", "mb", o.Tree(headTop...))
}

package source

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/gittest"
)

// TestRedteam6SlashNameDiff: two trees whose names hold a "/" are paired
// by name, as the map pairs them: a directory "a" is not the directory
// "a/" nor "a/x", whose paths the walk and the reads see apart.
func TestRedteam6SlashNameDiff(t *testing.T) {
	var h1, h2 plumbing.Hash
	h2[0] = 1
	entry := func(mode, name string, h plumbing.Hash) string { return mode + " " + name + "\x00" + string(h[:]) }
	for _, tc := range []struct{ a, b string }{
		{entry("40000", "a", h1), entry("40000", "a/", h1)},
		{entry("40000", "a", h1), entry("40000", "a/x", h2)},
		{entry("100644", "ci.yaml", h1), entry("100644", "ci.yaml", h1) + entry("100644", "ci.yaml/x.yaml", h2)},
		{entry("40000", "a", h1) + entry("100644", "b", h1), entry("100644", "a/", h2) + entry("100644", "b", h1)},
	} {
		an, err := newTreeNode(tc.a)
		if err != nil {
			t.Fatal(err)
		}
		bn, err := newTreeNode(tc.b)
		if err != nil {
			t.Fatal(err)
		}
		ua, ub := unsortedCopy(an), unsortedCopy(bn)
		if diff := cmp.Diff(effects(ua, ub, differing(ua, ub)), effects(an, bn, differing(an, bn))); diff != "" {
			t.Errorf("%q vs %q (-map +got):\n%s", tc.a, tc.b, diff)
		}
	}
}

// FuzzRedteam6Index: index(name) finds the last entry called name, and
// nothing for a name no entry has, whatever the tree and the name hold.
func FuzzRedteam6Index(f *testing.F) {
	var h plumbing.Hash
	entry := func(mode, name string) string { return mode + " " + name + "\x00" + string(h[:]) }
	f.Add(entry("100644", "ci.yaml")+entry("100644", "ci.yaml/x.yaml"), "ci.yaml")
	f.Add(entry("40000", "a")+entry("100644", "b"), "a/")
	f.Add(entry("100644", "a/b"), "a")
	f.Fuzz(func(t *testing.T, data, name string) {
		n, err := newTreeNode(data)
		if err != nil {
			return
		}
		es := entriesOf(n)
		want := -1
		for i, e := range es {
			if e.Name == name {
				want = i
			}
		}
		i, ok := n.index(name)
		if !ok {
			i = -1
		}
		if i != want {
			t.Fatalf("index(%q) = %d, want %d (sorted %v, entries %v)", name, i, want, n.sorted, es)
		}
	})
}

// cacheAnswers is what c answers for each of blobs: the kind and runs of
// its digest, or nothing.
func cacheAnswers(c *scanCache, blobs map[plumbing.Hash][]byte) map[plumbing.Hash]string {
	out := map[plumbing.Hash]string{}
	for h := range blobs {
		if d, ok := c.lookup(h); ok {
			out[h] = fmt.Sprint(d.kind, runsOfDigest(c.common, d))
		}
	}
	return out
}

// TestRedteam6ScanCacheRewrittenInPlace: a cache file is checked whole
// (checksum, repository, bounds) and then used as checked. Mapped, the
// file's pages stayed the file's: rewritten in place after the check, as
// cp rewrites a file, with an honest cache of the same repository that
// holds more blobs, the review read the new file's entries through the
// old one's offsets, unchecked, and took runs of other blobs for a blob's:
// a digest that wrongly says a file mentions no wanted name skips it.
func TestRedteam6ScanCacheRewrittenInPlace(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	blobs := testBlobs(300)
	testCache(t, ScanCache{Dir: dir}, "/repo/.git", blobs)
	c := newScanCache(ScanCache{Dir: dir}, "/repo/.git", nil)
	before := cacheAnswers(c, blobs)
	if len(before) != len(blobs) {
		t.Fatalf("%d of %d blobs cached", len(before), len(blobs))
	}
	more := maps.Clone(blobs)
	for i := range 3 {
		data := []byte(specOf(fmt.Sprintf("other-%d", i), fmt.Sprintf("x-%d", i)))
		more[blobHash(data)] = data
	}
	o := testCache(t, ScanCache{Dir: other}, "/repo/.git", more)
	data, err := os.ReadFile(o.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.path, data, 0o600); err != nil { // truncates and writes in place
		t.Fatal(err)
	}
	after := cacheAnswers(c, blobs)
	changed, wrong := 0, 0
	for h, want := range before {
		got, ok := after[h]
		switch {
		case !ok:
			changed++
		case got != want:
			wrong++
		}
	}
	// A file that mentions its identity's name, which the cache says it
	// does not: a review of that identity would not read it.
	skipped := 0
	for i := range 300 {
		id := fmt.Sprintf("id-%d", i)
		data := []byte(specOf(fmt.Sprintf("svc-%d", i), id))
		if i%7 == 0 {
			data = append(data, `# "\x41"`...)
		}
		want := names{id: true}
		q := newQuery(want)
		q.common = c.maskOf(q)
		if d, ok := c.lookup(blobHash(data)); ok && !q.mayMention(d) && mentions(data, want) {
			skipped++
		}
	}
	if changed > 0 || wrong > 0 || skipped > 0 {
		t.Errorf("after the file was rewritten: %d of %d answers gone, %d wrong; %d files that mention a wanted name skipped", changed, len(before), wrong, skipped)
	}
}

// TestRedteam6ScanCacheTruncated: a cache file truncated while a review
// uses it does not crash the review. Mapped, a read of a page past the new
// end of the file raised SIGBUS: a fatal error, not a review. The test
// runs the lookups in a child process, which such a fault kills.
func TestRedteam6ScanCacheTruncated(t *testing.T) {
	if dir := os.Getenv("REDTEAM6_CACHE_DIR"); dir != "" {
		blobs := testBlobs(300)
		c := newScanCache(ScanCache{Dir: dir}, "/repo/.git", nil)
		before := cacheAnswers(c, blobs)
		if err := os.Truncate(c.path, 0); err != nil {
			t.Fatal(err)
		}
		after := cacheAnswers(c, blobs)
		if len(before) != len(blobs) || fmt.Sprint(before) != fmt.Sprint(after) {
			t.Fatalf("answers: %d before, %d after truncation", len(before), len(after))
		}
		return
	}
	dir := t.TempDir()
	testCache(t, ScanCache{Dir: dir}, "/repo/.git", testBlobs(300))
	cmd := exec.Command(os.Args[0], "-test.run=^TestRedteam6ScanCacheTruncated$", "-test.count=1")
	cmd.Env = append(os.Environ(), "REDTEAM6_CACHE_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%.2000s", err, out)
	}
}

// TestRedteam6DifferingWithFileAndDirOfOneName: differing agrees with the
// map by name on every pair of trees, those that hold a file and a
// directory of one name too. Such a tree reads the directory at that name
// and never the file; when the directory goes, the file appears. The
// merge paired the file with the file alone and saw no change: a spec that
// came into view at base's file reads as unchanged, and a review of a new
// spec that grants everything passed at no risk.
func TestRedteam6DifferingWithFileAndDirOfOneName(t *testing.T) {
	var h plumbing.Hash
	entry := func(mode, name string) string { return mode + " " + name + "\x00" + string(h[:]) }
	node := func(data string) *treeNode {
		n, err := newTreeNode(data)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	both := node(entry("100644", "ci.yaml") + entry("40000", "ci.yaml"))
	file := node(entry("100644", "ci.yaml"))
	for _, tc := range []struct{ a, b *treeNode }{{both, file}, {file, both}} {
		if got := effects(tc.a, tc.b, differing(tc.a, tc.b)); !slices.Contains(got, "ci.yaml") {
			t.Errorf("%v -> %v: %v, want ci.yaml among them", entriesOf(tc.a), entriesOf(tc.b), got)
		}
	}

	names := []string{"a", "a-b", "a.b", "a0", "b"}
	r := rand.New(rand.NewPCG(6, 12))
	random := func() *treeNode { return randomTree(t, r, names, 2) }
	for i := range 3000 {
		an, bn := random(), random()
		ua, ub := unsortedCopy(an), unsortedCopy(bn)
		if diff := cmp.Diff(effects(ua, ub, differing(ua, ub)), effects(an, bn, differing(an, bn))); diff != "" {
			t.Fatalf("case %d: %v -> %v (-map +got):\n%s", i, entriesOf(an), entriesOf(bn), diff)
		}
	}
}

// FuzzRedteam6Differing: on any two trees, in order or not, with any
// names, differing pairs entries as the map by name does.
func FuzzRedteam6Differing(f *testing.F) {
	var h0, h1 plumbing.Hash
	h1[0] = 1
	entry := func(mode, name string, h plumbing.Hash) string { return mode + " " + name + "\x00" + string(h[:]) }
	f.Add(entry("100644", "ci.yaml", h0)+entry("40000", "ci.yaml", h0), entry("100644", "ci.yaml", h0))
	f.Add(entry("40000", "a", h0), entry("40000", "a/", h1))
	f.Add(entry("100644", "a", h0)+entry("100644", "a-b", h1)+entry("40000", "a0", h0), entry("100644", "a", h1)+entry("40000", "a-b", h1)+entry("40000", "a0", h0))
	f.Fuzz(func(t *testing.T, a, b string) {
		an, err := newTreeNode(a)
		if err != nil {
			return
		}
		bn, err := newTreeNode(b)
		if err != nil {
			return
		}
		ua, ub := unsortedCopy(an), unsortedCopy(bn)
		if diff := cmp.Diff(effects(ua, ub, differing(ua, ub)), effects(an, bn, differing(an, bn))); diff != "" {
			t.Fatalf("%v -> %v (-map +got):\n%s", entriesOf(an), entriesOf(bn), diff)
		}
	})
}

// bombRepo makes a repository whose main holds base, a branch bomb that
// adds under bomb/ a directory holding 16 copies of itself, 8 deep: 4.3e9
// paths in 10 tree objects; a branch more, which adds more.yaml to bomb;
// and a branch bomb-modes, which writes bomb's directories with another
// spelling of their mode.
func bombRepo(t *testing.T, base map[string]string) string {
	t.Helper()
	repo := gittest.Repo(t, base)
	o := gittest.OpenObjects(t, repo)
	// copies is a tree of 16 entries of mode and h.
	copies := func(mode, format string, h plumbing.Hash) plumbing.Hash {
		var es []gittest.Entry
		for i := range 16 {
			es = append(es, gittest.Entry{Mode: mode, Name: fmt.Sprintf(format, i), Hash: h})
		}
		return o.Tree(es...)
	}
	// bomb is the directory, its directories written with mode.
	bomb := func(mode string) plumbing.Hash {
		cur := copies("100644", "f%02d.yaml", o.Blob(specOf("bomb", "bomb-ci")))
		for range 8 {
			cur = copies(mode, "d%02d", cur)
		}
		return cur
	}
	// top is main's top tree and more, in git's order.
	top := func(more ...gittest.Entry) plumbing.Hash {
		es := append(o.Top("main"), more...)
		slices.SortFunc(es, func(a, b gittest.Entry) int {
			return gitCompare(a.Name, a.Mode == "40000", b.Name, b.Mode == "40000")
		})
		return o.Tree(es...)
	}
	dir := gittest.Entry{Mode: "40000", Name: "bomb", Hash: bomb("40000")}
	o.Commit("bomb", "main", top(dir))
	// more: bomb, and a new spec at the top, never checked out.
	o.Commit("more", "bomb", top(dir, gittest.Entry{Mode: "100644", Name: "more.yaml", Hash: o.Blob(specOf("more", "a-ci"))}))
	// bomb-modes: bomb with its directories written "040000", which git
	// reads as "40000": every tree of it has another id, and the same
	// entries.
	o.Commit("bomb-modes", "bomb", top(gittest.Entry{Mode: "40000", Name: "bomb", Hash: bomb("040000")}))
	return repo
}

// TestRedteam6TreeBomb: a directory that holds copies of itself names
// exponentially many paths with a few objects. A review of a pull request
// that adds one fails with the limit named, as one of a repository that
// holds one already, instead of listing 4.3e9 paths.
func TestRedteam6TreeBomb(t *testing.T) {
	ctx := context.Background()
	repo := bombRepo(t, map[string]string{"identities/a.yaml": specOf("a", "a-ci")})
	base, head := open(t, repo, "main"), open(t, repo, "bomb")
	_, err := Changed(ctx, base, head)
	var limit *TreeError
	if !errors.As(err, &limit) {
		t.Fatalf("Changed of a tree bomb: %v, want a TreeError", err)
	}
	if !strings.Contains(err.Error(), "bomb/") {
		t.Errorf("the error does not name the directory: %v", err)
	}
	// The bomb merged: a review of another change lists head's
	// directories, and fails the same way, with or without a cache. (A
	// checkout of the bomb would write 4.3e9 files: it is never made.)
	for _, dir := range []string{"", t.TempDir()} {
		r := NewRepo(repo)
		b, err := r.Open("bomb")
		if err != nil {
			t.Fatal(err)
		}
		h, err := r.Open("more")
		if err != nil {
			t.Fatal(err)
		}
		changed, err := Changed(ctx, b, h)
		if err != nil {
			t.Fatal(err)
		}
		var cache *Cache
		if dir != "" {
			cache = OpenCache(ScanCache{Dir: dir}, h, b)
		}
		if _, err := LoadReview(ctx, b, h, changed, config.Default(), cache); !errors.As(err, &limit) {
			t.Errorf("cache %q: LoadReview with a tree bomb in base: %v, want a TreeError", dir, err)
		}
	}
	// Red team 7: a bomb in base and one in head whose trees differ only
	// in how their modes are spelled: each pair of trees is compared
	// once, not once for each of the 4.3e9 paths that lead to it.
	changed, err := Changed(ctx, open(t, repo, "bomb"), open(t, repo, "bomb-modes"))
	if err != nil || len(changed) != 0 {
		t.Errorf("Changed between two spellings of one bomb: %v, %v; want no change", changed, err)
	}
}

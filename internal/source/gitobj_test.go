package source

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
)

// nodeOf encodes entries as a tree object and decodes it.
func nodeOf(t testing.TB, entries []object.TreeEntry) *treeNode {
	t.Helper()
	var raw strings.Builder
	for _, e := range entries {
		raw.WriteString(strconv.FormatUint(uint64(e.Mode), 8) + " " + e.Name + "\x00" + string(e.Hash[:]))
	}
	n, err := newTreeNode(raw.String())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// unsortedCopy is n, read as a tree out of git's order: by name.
func unsortedCopy(n *treeNode) *treeNode { return &treeNode{raw: n.raw, entries: n.entries} }

// entriesOf lists the entries of n as go-git has them.
func entriesOf(n *treeNode) []object.TreeEntry {
	var out []object.TreeEntry
	for i := range n.entries {
		out = append(out, n.entry(i))
	}
	return out
}

// effects is what diffTrees does with the pairs of differing: the names it
// reports as changed ("n"), walks as changed ("n/**") or descends into
// ("n/~").
func effects(an, bn *treeNode, diff []pair) []string {
	var out []string
	side := func(n *treeNode, i int) {
		if n.mode(i) == filemode.Dir {
			out = append(out, n.name(i)+"/**")
		} else {
			out = append(out, n.name(i))
		}
	}
	for _, d := range diff {
		switch {
		case d.b < 0:
			side(an, d.a)
		case d.a < 0:
			side(bn, d.b)
		case an.mode(d.a) == filemode.Dir && bn.mode(d.b) == filemode.Dir:
			out = append(out, an.name(d.a)+"/~")
		default:
			side(an, d.a)
			side(bn, d.b)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// randomTree is a tree in git's order of some of names, each as a file
// (of any kind) or a directory or both, leaving out one in skip, with one
// of two hashes.
func randomTree(t testing.TB, r *rand.Rand, names []string, skip int) *treeNode {
	modes := []filemode.FileMode{filemode.Regular, filemode.Executable, filemode.Dir, filemode.Symlink, filemode.Submodule}
	var es []object.TreeEntry
	for _, n := range names {
		for _, dir := range []bool{false, true} {
			if r.IntN(skip) == 0 {
				continue
			}
			m := modes[r.IntN(len(modes))]
			if dir {
				m = filemode.Dir
			} else if m == filemode.Dir {
				m = filemode.Regular
			}
			e := object.TreeEntry{Name: n, Mode: m}
			e.Hash[0] = byte(r.IntN(2))
			es = append(es, e)
		}
	}
	slices.SortFunc(es, func(a, b object.TreeEntry) int {
		return gitCompare(a.Name, a.Mode == filemode.Dir, b.Name, b.Mode == filemode.Dir)
	})
	return nodeOf(t, es)
}

// TestDifferingMergeAgreesWithMap: the merge of two trees in git's order
// pairs entries as matching them by name does, with files and directories
// of one name, names that are prefixes of others ("a", "a-b", "a/") and
// entries on one side only.
func TestDifferingMergeAgreesWithMap(t *testing.T) {
	names := []string{"a", "a-b", "a.b", "a0", "ab", "b", "é", "z"}
	r := rand.New(rand.NewPCG(1, 2))
	random := func() *treeNode { return randomTree(t, r, names, 3) }
	for i := range 2000 {
		an, bn := random(), random()
		// A tree with a file and a directory of one name is read by name,
		// as the map reads it.
		if an.sorted == dup(an) || bn.sorted == dup(bn) {
			t.Fatalf("random trees out of git's order: %v %v", entriesOf(an), entriesOf(bn))
		}
		merged := effects(an, bn, differing(an, bn))
		ua, ub := unsortedCopy(an), unsortedCopy(bn)
		if diff := cmp.Diff(effects(ua, ub, differing(ua, ub)), merged); diff != "" {
			t.Fatalf("case %d: merge (-map +merge):\n%s", i, diff)
		}
	}
}

func dup(n *treeNode) bool {
	seen := map[string]bool{}
	for i := range n.entries {
		if seen[n.name(i)] {
			return true
		}
		seen[n.name(i)] = true
	}
	return false
}

// TestTreeIndex: a lookup finds every entry of a tree in git's order by
// binary search, as of a tree out of order by map, and the later of a
// file and a directory of one name.
func TestTreeIndex(t *testing.T) {
	var h plumbing.Hash
	entry := func(mode, name string) string { return mode + " " + name + "\x00" + string(h[:]) }
	for _, tc := range []struct {
		data   string
		sorted bool
		want   map[string]int
	}{
		{entry("100644", "a") + entry("100644", "a-b") + entry("40000", "a") + entry("100644", "b"), false, map[string]int{"a": 2, "a-b": 1, "b": 3, "c": -1}},
		{entry("100644", "a") + entry("100644", "a-b") + entry("40000", "a0") + entry("100644", "b"), true, map[string]int{"a": 0, "a-b": 1, "a0": 2, "b": 3, "c": -1}},
		{entry("100644", "b") + entry("100644", "a"), false, map[string]int{"a": 1, "b": 0}},
		{entry("100644", "a") + entry("100644", "a"), false, map[string]int{"a": 1}},
		{entry("40000", "a") + entry("100644", "a-b"), false, map[string]int{"a": 0, "a-b": 1}},
		// Red team 6: a name may hold a "/", which git's order compares equal to
		// a directory: reading "ci.yaml" must not find "ci.yaml/x.yaml".
		{entry("100644", "ci.yaml") + entry("100644", "ci.yaml/x.yaml"), false, map[string]int{"ci.yaml": 0, "ci.yaml/x.yaml": 1, "x.yaml": -1}},
		{entry("100644", "a/b"), false, map[string]int{"a": -1, "a/b": 0, "b": -1}},
		{entry("40000", "a/b"), false, map[string]int{"a": -1, "a/b": 0}},
		{entry("100644", "a/") + entry("100644", "b"), false, map[string]int{"a": -1, "a/": 0, "b": 1}},
		{entry("40000", "a/") + entry("100644", "b"), false, map[string]int{"a": -1, "a/": 0, "b": 1}},
		{entry("100644", "a") + entry("40000", "a/x") + entry("100644", "b"), false, map[string]int{"a": 0, "a/x": 1, "b": 2}},
		// In a sorted tree, a name looked for may hold the "/".
		{entry("40000", "a") + entry("100644", "b"), true, map[string]int{"a": 0, "a/": -1, "a/x": -1, "b": 1}},
	} {
		n, err := newTreeNode(tc.data)
		if err != nil {
			t.Fatal(err)
		}
		if n.sorted != tc.sorted {
			t.Errorf("%q: sorted %v, want %v", tc.data, n.sorted, tc.sorted)
		}
		for name, want := range tc.want {
			i, ok := n.index(name)
			if !ok {
				i = -1
			}
			if i != want {
				t.Errorf("%q: index(%q) = %d, want %d", tc.data, name, i, want)
			}
		}
	}
}

// FuzzParseTree: newTreeNode decodes what go-git decodes, and every entry of
// the tree is found by name, whatever order the tree is in.
func FuzzParseTree(f *testing.F) {
	var h plumbing.Hash
	entry := func(mode, name string) string { return mode + " " + name + "\x00" + string(h[:]) }
	f.Add(entry("100644", "a") + entry("40000", "a") + entry("100644", "b"))
	f.Add(entry("100644", "b") + entry("160000", "a"))
	f.Add(entry("100644", ""))
	f.Fuzz(func(t *testing.T, data string) {
		n, err := newTreeNode(data)
		obj := &plumbing.MemoryObject{}
		obj.SetType(plumbing.TreeObject)
		obj.Write([]byte(data))
		var want object.Tree
		if werr := want.Decode(obj); (err != nil) != (werr != nil) {
			t.Fatalf("err %v, go-git %v", err, werr)
		}
		if err != nil {
			return
		}
		got := entriesOf(n)
		if diff := cmp.Diff(want.Entries, got); diff != "" {
			t.Fatalf("entries (-go-git +newTreeNode):\n%s", diff)
		}
		last := map[string]int{}
		for i, e := range got {
			last[e.Name] = i
		}
		for name, i := range last {
			j, ok := n.index(name)
			if !ok || (n.sorted && j != i) || got[j].Name != name {
				t.Fatalf("index(%q) = %d, %v; want %d (sorted %v)", name, j, ok, i, n.sorted)
			}
		}
		// A name with a "/", or a file and a directory of one name, is
		// not in git's order of names (see treeNode.sorted): such a tree
		// is read by name.
		strict := true
		for i := range got {
			strict = strict && !strings.Contains(got[i].Name, "/")
			if i > 0 {
				strict = strict && key(got[i-1]) < key(got[i])
			}
		}
		strict = strict && len(last) == len(got)
		if n.sorted != strict {
			t.Fatalf("sorted %v for %v", n.sorted, got)
		}
	})
}

// key is the name git sorts an entry by.
func key(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}

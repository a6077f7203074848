package source

import (
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
)

// TestRedteam6SlashNameIndex: a lookup by name finds that name only. In a
// hand-made tree an entry's name may hold a "/", and git's order compares
// "a/x" equal to a directory "a": a binary search for the directory "a"
// took the file "a/x" for it, so that reading "ci.yaml" read the entry
// "ci.yaml/x.yaml" and a widened ci.yaml was reviewed as its old self.
func TestRedteam6SlashNameIndex(t *testing.T) {
	var h plumbing.Hash
	entry := func(mode, name string) string { return mode + " " + name + "\x00" + string(h[:]) }
	for _, tc := range []struct {
		data string
		want map[string]int
	}{
		{entry("100644", "ci.yaml") + entry("100644", "ci.yaml/x.yaml"), map[string]int{"ci.yaml": 0, "ci.yaml/x.yaml": 1, "x.yaml": -1}},
		{entry("100644", "a/b"), map[string]int{"a": -1, "a/b": 0, "b": -1}},
		{entry("40000", "a/b"), map[string]int{"a": -1, "a/b": 0}},
		{entry("100644", "a/") + entry("100644", "b"), map[string]int{"a": -1, "a/": 0, "b": 1}},
		{entry("40000", "a/") + entry("100644", "b"), map[string]int{"a": -1, "a/": 0, "b": 1}},
		{entry("100644", "a") + entry("40000", "a/x") + entry("100644", "b"), map[string]int{"a": 0, "a/x": 1, "b": 2}},
	} {
		es, err := parseTree([]byte(tc.data))
		if err != nil {
			t.Fatal(err)
		}
		n := &treeNode{entries: es, sorted: inGitOrder(es)}
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
		ea, err := parseTree([]byte(tc.a))
		if err != nil {
			t.Fatal(err)
		}
		eb, err := parseTree([]byte(tc.b))
		if err != nil {
			t.Fatal(err)
		}
		an, bn := &treeNode{entries: ea, sorted: inGitOrder(ea)}, &treeNode{entries: eb, sorted: inGitOrder(eb)}
		ua, ub := &treeNode{entries: ea}, &treeNode{entries: eb}
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
		es, err := parseTree([]byte(data))
		if err != nil {
			return
		}
		n := &treeNode{entries: es, sorted: inGitOrder(es)}
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

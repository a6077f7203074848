package review_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/nhigate/nhigate/internal/gittest"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/reviewer"
)

// TestRedteam8IndexOfTreeBomb: a pull request that commits a scan index
// over a head that holds more paths than a review lists (here a directory
// of 16 copies of itself, 5 deep, that base already holds) blocks (exit
// 1), not exit 3. The check reads only the trees the index names, never
// the walk of head; the limit of paths it lists is TestCheckScanIndex's.
func TestRedteam8IndexOfTreeBomb(t *testing.T) {
	repo := gittest.Repo(t, map[string]string{"README.md": "a repository\n"})
	o := gittest.OpenObjects(t, repo)
	copies := func(mode, format string, h plumbing.Hash) plumbing.Hash {
		var es []gittest.Entry
		for i := range 16 {
			es = append(es, gittest.Entry{Mode: mode, Name: fmt.Sprintf(format, i), Hash: h})
		}
		return o.Tree(es...)
	}
	bomb := copies("100644", "f%02d.txt", o.Blob("not a spec\n"))
	for range 4 {
		bomb = copies("40000", "d%02d", bomb)
	}
	top := o.Top("main")
	withBomb := append(slices.Clone(top), gittest.Entry{Mode: "40000", Name: "bomb", Hash: bomb})
	o.Commit("bomb", "main", o.Tree(withBomb...))
	index := o.Tree(gittest.Entry{Mode: "100644", Name: "scan-index", Hash: o.Blob("NHISCAN\nnot an index")})
	withIndex := append(slices.Clone(top[:0:0]), gittest.Entry{Mode: "40000", Name: ".nhigate", Hash: index})
	withIndex = append(withIndex, withBomb...)
	o.Commit("pr", "bomb", o.Tree(withIndex...))

	prep, err := review.Prepare(context.Background(), review.Request{
		Repo: repo, Base: "bomb", Head: "pr", Scope: reviewer.ScopeDiff, Now: exampleNow,
	})
	if err != nil {
		t.Fatalf("Prepare: %v, want the change blocked", err)
	}
	found := false
	for _, e := range prep.Input.Invalid {
		found = found || e.File == ".nhigate/scan-index"
	}
	if !found {
		t.Errorf("invalid entries %v, want one of the index", prep.Input.Invalid)
	}
	if rep := reviewer.Decide(*prep.Input); rep.Verdict != reviewer.Blocked {
		t.Errorf("verdict %s, want blocked", rep.Verdict)
	}
}

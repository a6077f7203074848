package review_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nhigate/nhigate/internal/gittest"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/reviewer"
)

// TestRedteam9IndexChangedBlocksWithoutError: a pull request that commits
// an index nhigate does not write blocks with the index as its invalid
// entry (exit 1), whatever its head holds: here 3,400 directories of one
// blob of 4,096 runs, whose index would be over its size limit (see
// internal/source TestRedteam9IndexOverSize for the forged index of
// them), not an internal error (exit 3).
func TestRedteam9IndexChangedBlocksWithoutError(t *testing.T) {
	repo := gittest.Repo(t, map[string]string{"README.md": "a repository\n"})
	o := gittest.OpenObjects(t, repo)
	var words strings.Builder
	for i := range 4096 {
		fmt.Fprintf(&words, "w%d ", i)
	}
	blob := o.Blob(words.String() + "\n")
	top := o.Top("main")
	var es []gittest.Entry
	for i := range 3400 {
		es = append(es, gittest.Entry{Mode: "40000", Name: fmt.Sprintf("d%04d", i),
			Hash: o.Tree(gittest.Entry{Mode: "100644", Name: fmt.Sprintf("f%04d.txt", i), Hash: blob})})
	}
	index := o.Tree(gittest.Entry{Mode: "100644", Name: "scan-index", Hash: o.Blob("NHISCAN\nnot an index")})
	head := append(slices.Clone(top), gittest.Entry{Mode: "40000", Name: ".nhigate", Hash: index})
	head = append(head, es...)
	o.Commit("pr", "main", o.Tree(head...))

	prep, err := review.Prepare(context.Background(), review.Request{
		Repo: repo, Base: "main", Head: "pr", Scope: reviewer.ScopeDiff, Now: exampleNow,
	})
	if err != nil {
		t.Fatalf("Prepare: %v, want the change blocked", err)
	}
	found := false
	for _, e := range prep.Input.Invalid {
		found = found || e.File == ".nhigate/scan-index" && strings.Contains(e.Msg, "not a scan index nhigate reads")
	}
	if !found {
		t.Errorf("invalid entries %v, want one of the index", prep.Input.Invalid)
	}
	if rep := reviewer.Decide(*prep.Input); rep.Verdict != reviewer.Blocked {
		t.Errorf("verdict %s, want blocked", rep.Verdict)
	}
}

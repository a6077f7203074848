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

// TestRedteam9IndexOverSize: a pull request that commits a scan index
// whose head would need an index over its size limit (64 MiB) blocks,
// naming the limit (exit 1), not exit 3. The head is cheap to make: one
// blob of 4,096 distinct runs (read and kept once, far under the read and
// run budgets) under a different name in each of 3,400 directories, whose
// trees all differ, so that each has a summary of 4,096 hashes.
func TestRedteam9IndexOverSize(t *testing.T) {
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
		found = found || e.File == ".nhigate/scan-index" && strings.Contains(e.Msg, "limit")
	}
	if !found {
		t.Errorf("invalid entries %v, want one of the index naming its limit", prep.Input.Invalid)
	}
	if rep := reviewer.Decide(*prep.Input); rep.Verdict != reviewer.Blocked {
		t.Errorf("verdict %s, want blocked", rep.Verdict)
	}
}

package source

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nhigate/nhigate/internal/gittest"
)

// rt9Words is a file of n distinct name-like runs.
func rt9Words(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "w%d ", i)
	}
	return b.String() + "\n"
}

// TestRedteam9IndexSummaryWork: the work of summarising a head is the
// runs of each path, not of each distinct blob: one blob of many runs
// under many names costs one read and one digest, within the read and
// run budgets, and a summary count for every copy. Writing or checking
// an index bounds that too, as an *IndexBoundError (a pull request's
// index blocks; nhigate index exits 2), so that a head of 1,000
// directories of 1,000 copies of a blob of 4,096 runs (4 Gi map updates,
// minutes of CPU) stops at the limit. Here the limit is lowered to 1,000
// runs, and the head holds 20 runs in 100 paths.
func TestRedteam9IndexSummaryWork(t *testing.T) {
	repo := gittest.Repo(t, map[string]string{"README.md": "a repository\n"})
	o := gittest.OpenObjects(t, repo)
	blob := o.Blob(rt9Words(20))
	top := o.Top("main")
	for d := range 10 {
		var es []gittest.Entry
		for f := range 10 {
			es = append(es, gittest.Entry{Mode: "100644", Name: fmt.Sprintf("f%d-%d.txt", d, f), Hash: blob})
		}
		top = append(top, gittest.Entry{Mode: "40000", Name: fmt.Sprintf("d%d", d), Hash: o.Tree(es...)})
	}
	o.Commit("pr", "main", o.Tree(top...))
	head := mustOpen(t, repo, "pr")
	if _, err := BuildScanIndex(context.Background(), head); err != nil {
		t.Fatalf("within the limits: %v", err)
	}
	indexLimits = [2]int64{maxIndexRead, 1000}
	defer func() { indexLimits = [2]int64{maxIndexRead, maxIndexRuns} }()
	_, err := BuildScanIndex(context.Background(), head)
	var bound *IndexBoundError
	if !errors.As(err, &bound) || !strings.Contains(bound.Msg, "1000") {
		t.Fatalf("BuildScanIndex = %v, want an *IndexBoundError naming the limit of 1000", err)
	}
}

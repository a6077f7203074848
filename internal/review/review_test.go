package review_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/reviewer"
)

// The bundled example was written to be judged as of this time.
var exampleNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// TestPrepareExample runs the pipeline on the bundled example: the diff,
// the policies of base and who would have to approve.
func TestPrepareExample(t *testing.T) {
	prep, err := review.Prepare(context.Background(), review.Request{
		Repo: ".", Base: "../../testdata/example/base", Head: "../../testdata/example/head",
		Scope: reviewer.ScopeReview, Now: exampleNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	in := prep.Input
	if got := in.Diff.Risk(); got != diffing.Critical {
		t.Errorf("risk %s, want critical (a static production credential)", got)
	}
	if n := in.Diff.Count(diffing.GrantWidened); n != 1 {
		t.Errorf("%d widened grants, want 1", n)
	}
	failed := 0
	for _, f := range in.Findings {
		if f.Blocking() {
			failed++
			if f.Rule != "NHI-CRED-001" {
				t.Errorf("blocking finding %s %s, want only NHI-CRED-001", f.Rule, f.File)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d blocking findings, want 1", failed)
	}
	rules, err := prep.ApprovalRules()
	if err != nil {
		t.Fatal(err)
	}
	if len(reviewer.Required(rules)) == 0 {
		t.Error("no approval would be required of a critical change")
	}
	if rep := reviewer.Decide(*in); rep.Verdict != reviewer.Blocked {
		t.Errorf("verdict %s, want blocked", rep.Verdict)
	}
}

// TestPrepareBadRevision: a revision that does not exist is a usage
// error, named by its flag.
func TestPrepareBadRevision(t *testing.T) {
	_, err := review.Prepare(context.Background(), review.Request{Repo: ".", Base: "no-such-revision", Head: "HEAD", Scope: reviewer.ScopeDiff, Now: exampleNow})
	var re *review.RevisionError
	if !errors.As(err, &re) || re.Flag != "--base" {
		t.Errorf("err = %v, want a RevisionError for --base", err)
	}
}

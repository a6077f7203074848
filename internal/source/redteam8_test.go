package source

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/gittest"
)

// rt8Review is reviewOf of base...branch with no cache of its own: only
// base's scan index, if it has one. warn gets what the review says of it.
func rt8Review(t *testing.T, repo, base, branch string, cfg *config.Config, warn *bytes.Buffer) *Review {
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
	cache := OpenCache(ScanCache{Warn: warn}, head, b)
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

// TestRedteam8LargeFileMentionEarly: an unchanged file over
// limits.maxFileSize and over one chunk of the chunked scan, that
// mentions a changed principal in its first chunk, is reported as over
// the limit, with or without a scan index: not as a damaged repository
// (exit 3) because the scan stopped at the mention before the end of
// the blob, which it then checks against its id.
func TestRedteam8LargeFileMentionEarly(t *testing.T) {
	big := specOf("big", "shared-ci") + "# " + strings.Repeat("padding ", (scanChunk+4096)/8) + "\n"
	repo := branches(t, map[string]string{
		"d/big.yaml":   big,
		"d/other.yaml": specOf("other", "other-ci"),
	}, map[string]map[string]string{
		"adds-shared": {"e/new.yaml": specOf("new", "shared-ci")},
	})
	gittest.Run(t, repo, "gc", "-q")
	small := config.Default()
	small.Limits.MaxFileSize = 700
	rv := reviewOf(t, repo, "main", "adds-shared", small, "", 0)
	if len(rv.Head.Errors) != 1 || rv.Head.Errors[0].File != "d/big.yaml" {
		t.Fatalf("errors %v, want d/big.yaml over the limit", rv.Head.Errors)
	}
}

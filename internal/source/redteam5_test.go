package source

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestRedteam5BucketOfIDsFFFF: the bucket index of the cache file counts
// each entry at buckets[prefix+1], but the prefix is a uint16, so an entry
// whose id starts with ff ff wraps to buckets[0] and shifts the start of
// every other bucket by one. Every lookup then searches one slot too far
// and misses the first entry of its bucket; k such entries miss the first
// k of every bucket.
//
// What the attacker gains: blob ids are theirs to choose offline (2^16
// tries for an ff ff prefix), so a few such files in a pull request make
// the cache answer for almost nothing in every later review of the
// repository: the warm review reads every file again. A false "not
// cached" is read, so no spec is skipped wrongly: this is a cost, not a
// hole.
func TestRedteam5BucketOfIDsFFFF(t *testing.T) {
	dir := t.TempDir()
	blobs := map[plumbing.Hash][]byte{}
	// Enough entries that most buckets of the first byte hold one.
	for i := range 512 {
		data := []byte(specOf(fmt.Sprintf("svc-%d", i), fmt.Sprintf("id-%d", i)))
		blobs[blobHash(data)] = data
	}
	// An id of the last bucket: the content does not matter to the index.
	var ffff plumbing.Hash
	for i := 0; ; i++ {
		data := []byte(fmt.Sprintf("filler %d\n", i))
		if h := blobHash(data); h[0] == 0xff && h[1] == 0xff {
			ffff = h
			blobs[h] = data
			break
		}
	}
	testCache(t, ScanCache{Dir: dir}, "/repo/.git", blobs)
	c := newScanCache(ScanCache{Dir: dir}, "/repo/.git", nil)
	if c.count != len(blobs) {
		t.Fatalf("read %d entries of %d", c.count, len(blobs))
	}
	missed := 0
	for h := range blobs {
		if _, ok := c.lookup(h); !ok {
			missed++
		}
	}
	if _, ok := c.lookup(ffff); !ok {
		t.Errorf("the entry %s is in the file, and lookup misses it", ffff)
	}
	if missed > 0 {
		t.Errorf("lookup misses %d of the %d entries the file holds (one of them of id ff ff…)", missed, len(blobs))
	}
}

// TestRedteam5LooseTreeIsHashed: blobs read through go-git are now hashed
// against their ids ("a corrupt loose object must fail closed"), but trees
// are not: gitObjects.tree falls back to go-git's TreeObject for a tree the
// packs do not hold (every tree of a fresh local commit is loose), and go-git
// does not check a loose object against its id. A loose tree file whose
// content is another tree is read as that tree, cold and warm alike (the
// scan cache keeps only trees the pack reader hashed, so it neither catches
// nor spreads it).
//
// What it costs: the walk of head lists the planted tree, so an unchanged
// spec that holds the changed principal is never scanned, the principal's
// other grants drop out, and a widening reads as an addition, with exit 0
// instead of exit 3. Planting needs write access to the object store (it
// is damage, not a pull request's doing), which is the case the blob
// check was added for.
func TestRedteam5LooseTreeIsHashed(t *testing.T) {
	base := map[string]string{
		"identities/a.yaml": specOf("a", "payments-ci"),
		"other/x.yaml":      specOf("x", "payments-ci"),
		"other/y.yaml":      specOf("y", "billing"),
	}
	head := map[string]string{"identities/a.yaml": specOf("a", "payments-ci") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n"}
	repo, _, _ := fixture(t, base, head)
	other := gitOut(t, repo, "rev-parse", "main:other")
	y := blobHash([]byte(base["other/y.yaml"]))
	// "other" as it would be without x.yaml.
	raw := append([]byte("100644 y.yaml\x00"), y[:]...)
	var obj bytes.Buffer
	zw := zlib.NewWriter(&obj)
	fmt.Fprintf(zw, "tree %d\x00%s", len(raw), raw)
	zw.Close()
	loose := filepath.Join(repo, ".git", "objects", other[:2], other[2:])
	if _, err := os.Stat(loose); err != nil {
		t.Fatalf("the tree is not loose: %v", err)
	}
	os.Chmod(loose, 0o644)
	if err := os.WriteFile(loose, obj.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, cache := range []ScanCache{{}, {Dir: t.TempDir()}} {
		b, h := open(t, repo, "main"), open(t, repo, "feature")
		changed, err := Changed(ctx, b, h)
		if err != nil {
			t.Fatal(err)
		}
		r, err := LoadReview(ctx, b, h, changed, withSpecs("**/*.yaml"), OpenCache(cache, h, b))
		if err == nil {
			var ctxFiles []string
			for _, w := range r.Context {
				ctxFiles = append(ctxFiles, w.Source.File)
			}
			t.Errorf("cache %q: a loose tree whose content is not its id was read as the tree: context %v (other/x.yaml, which holds payments-ci, is gone), scanned %d", cache.Dir, ctxFiles, r.Scanned)
		}
	}
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

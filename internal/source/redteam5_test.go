package source

import (
	"fmt"
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
	c := newScanCache(ScanCache{Dir: dir}, "/repo/.git")
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

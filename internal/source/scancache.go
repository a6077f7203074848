package source

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// ScanCache is where reviews keep the digests of the files they scanned,
// and a summary of each directory's digests, so that the next review of
// the repository reads only the files whose digest may mention a changed
// name, and looks at none of a directory whose summary rules them all
// out: the cost of a review then follows the change, not the repository.
//
// A digest is keyed by the blob's git object id, and computed by nhigate
// from bytes whose id it checked, so an honest cache answers exactly as
// the files would. The cache is trusted as far as its directory is:
// anyone who can write it can make a review skip files. Only blobs read
// from git objects are cached, never files of a directory.
type ScanCache struct {
	// Dir holds the cache files, one per repository; "" turns the cache
	// off.
	Dir string
	// MaxBytes bounds a cache file; 0 means DefaultScanCacheBytes. A
	// larger file is ignored, and a write keeps to it.
	MaxBytes int64
	// Log, if not nil, gets a line when a cache file is ignored or cannot
	// be written, and one of what the cache answered. Neither is an
	// error: the review reads the files.
	Log io.Writer
	// Warn, if not nil, gets a line when base's scan index (ScanIndexPath)
	// is ignored, cache on or off: the review reads the files, but the
	// repository's maintainers should write the index again.
	Warn io.Writer
}

// DefaultScanCacheBytes bounds a cache file: about 150 bytes a spec (a
// digest of some 75 bytes, and its entry in a tree), so some 800,000
// specs.
const DefaultScanCacheBytes = 128 << 20

// The cache file format, little-endian:
//
//	magic   "NHISCAN\n"
//	version uint32 (scanCacheVersion)
//	repo    [32]byte: SHA-256 of the repository's absolute git directory
//	count   uint32: entries
//	runs    uint32: run hashes, of all entries
//	trees   uint32: tree objects
//	common  uint32: common run hashes, at most 64
//	entries count × {id [20]byte, kind uint8, first uint32, n uint32,
//	        mask uint64}, strictly ascending by id
//	hashes  runs × uint32; entry i has hashes[first:first+n], distinct
//	dict    common × uint32: the run hashes most files have
//	index   trees × {id [20]byte, size uint32}, strictly ascending by id
//	objects the trees' contents, in index order
//	sums    uint32: tree summaries (see treeSummary)
//	sumruns uint32: run hashes, of all summaries
//	sumunk  uint32: unknown entries, of all summaries
//	sumidx  sums × {id [20]byte, first uint32, n uint32, ufirst uint32,
//	        un uint32}, strictly ascending by id
//	sumhash sumruns × uint32; summary i has sumhash[first:first+n]
//	sumcnt  sumruns × uint8, the count of each of those
//	unknown sumunk × uint32; summary i has unknown[ufirst:ufirst+un]
//	crc     uint32: CRC-32C of everything before it
//
// An entry's runs are dict[i] for each bit i of its mask, and its own
// hashes: most of a spec's runs are the keys and values every spec has,
// and the dictionary keeps them out of the file and out of each lookup.
// The checksum finds a torn or damaged file; it is not a signature. The
// trees are the ones the last review decoded (Changed and the walk of
// head), so that the next need not inflate them again; each is hashed
// against its id before use, so a tree in the cache can fail a lookup,
// never change what a review reads. A summary is checked for order
// before use.
const (
	scanCacheMagic   = "NHISCAN\n"
	scanCacheVersion = 2
	scanHeaderSize   = 8 + 4 + 32 + 4 + 4 + 4 + 4
	scanEntrySize    = 20 + 1 + 4 + 4 + 8
	scanTreeSize     = 20 + 4
	scanSumSize      = 20 + 4*4
	maxCommonRuns    = 64
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// scanCache is the cache of one repository for one review: the entries
// read from its file, and those the review adds.
type scanCache struct {
	opts ScanCache
	// path is the cache file, "" for none: an index of base alone is
	// read, and nothing is written.
	path string
	// record is whether the scan digests the blobs it reads, for the
	// cache file or an index.
	record bool
	// wholeOnly leaves blobs over the scan's limit undigested (for an
	// index, whose summaries then list them as files a review looks at
	// one by one): writing or checking an index reads no more than the
	// limit a file.
	wholeOnly bool
	// budget, if not nil, bounds what the scan reads and keeps (an
	// index's; see maxIndexRead).
	budget *indexBudget
	// index is whether what decode kept is base's scan index.
	index   bool
	repoDir string
	repo    [32]byte

	// The validated file: its entries and hashes, in place, and where
	// the entries of each first two bytes of id start.
	count   int
	entries []byte
	hashes  []byte
	buckets []uint32
	common  []uint32 // the dictionary

	// trees holds the file's trees, unchecked.
	trees map[plumbing.Hash][]byte
	// The file's tree summaries, in place: sumIndex is their index.
	sumIndex, sumHashes, sumCounts, sumUnknown []byte

	mu    sync.Mutex
	added []cacheEntry
	// used are the trees this review decoded, from the file (checked) or
	// the packs; newTrees counts the latter.
	used     map[plumbing.Hash][]byte
	newTrees int
	treeHits int
}

// cacheEntry is a blob's digest.
type cacheEntry struct {
	id plumbing.Hash
	d  digest
}

// Cache is the scan cache of one review, opened by OpenCache.
type Cache struct{ c *scanCache }

// OpenCache reads the cache of the repository head was read from, or,
// when the cache is off or has no file yet, the scan index of base (see
// ScanIndexPath), base being the revision the review trusts. It lends the
// cache's trees to the reads of head and base, whose diff then need not
// inflate them. It returns nil, which LoadReview takes as no cache, when
// head is a directory, or when the cache is off and base has no index. A
// cache file that cannot be trusted is logged and left out; so is an
// index.
func OpenCache(opts ScanCache, head, base Tree) *Cache {
	dir, ok := gitDirOf(head)
	if !ok {
		return nil
	}
	c := newScanCache(opts, dir, base)
	if c == nil {
		return nil
	}
	for _, t := range []Tree{head, base} {
		if d, ok := gitDirOf(t); ok && d == dir {
			t.(*gitTree).objs.cache.Store(c)
		}
	}
	return &Cache{c}
}

func (c *Cache) scan() *scanCache {
	if c == nil {
		return nil
	}
	return c.c
}

// gitDirOf is the absolute git directory a revision was read from.
func gitDirOf(t Tree) (string, bool) {
	g, ok := t.(*gitTree)
	if !ok {
		return "", false
	}
	st, ok := fsStorage(g.repo)
	if !ok {
		return "", false
	}
	dir, err := filepath.Abs(st.Filesystem().Root())
	return dir, err == nil
}

// newScanCache reads the cache file of the repository whose git directory
// is the absolute path gitDir, or else base's scan index; nil when the
// cache is off and base has no index.
func newScanCache(opts ScanCache, gitDir string, base Tree) *scanCache {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultScanCacheBytes
	}
	c := &scanCache{opts: opts, repoDir: gitDir, repo: sha256.Sum256([]byte(gitDir)), used: map[plumbing.Hash][]byte{}}
	if opts.Dir != "" {
		c.record = true
		c.path = filepath.Join(opts.Dir, "scan-"+hex.EncodeToString(c.repo[:12]))
		data, err := readCacheFile(c.path, opts.MaxBytes)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			c.logf("scan cache %s ignored: %v", c.path, err)
		default:
			err := c.decode(data, c.repo)
			if err == nil {
				return c
			}
			c.logf("scan cache %s ignored: %v", c.path, err)
			c.reset()
		}
	}
	if base == nil {
		return c
	}
	index := readScanIndex(base, c)
	if index == nil {
		if c.path == "" {
			return nil
		}
		return c
	}
	if err := c.decode(index, [32]byte{}); err != nil {
		c.warnf("scan index %s at %s ignored, every unchanged file is read: %v; write it again with nhigate index", ScanIndexPath, base, err)
		c.reset()
		if c.path == "" {
			return nil
		}
		return c
	}
	c.index = true
	return c
}

// name says where the cache's answers come from, for its log.
func (c *scanCache) name() string {
	if c.index {
		return "scan index " + ScanIndexPath + " of base"
	}
	return "scan cache"
}

// reset drops what decode kept of a file it refused.
func (c *scanCache) reset() {
	c.count, c.entries, c.hashes, c.buckets, c.trees, c.common = 0, nil, nil, nil, nil, nil
	c.sumIndex, c.sumHashes, c.sumCounts, c.sumUnknown = nil, nil, nil, nil
}

func (c *scanCache) logf(format string, args ...any) {
	if c.opts.Log != nil {
		fmt.Fprintf(c.opts.Log, "nhigate: "+format+"\n", args...)
	}
}

func (c *scanCache) warnf(format string, args ...any) {
	if c.opts.Warn != nil {
		fmt.Fprintf(c.opts.Warn, "nhigate: "+format+"\n", args...)
	}
}

// readCacheFile reads the cache file at p, which must be a regular file
// (not a symlink) of at most limit bytes that only its owner, the user
// running nhigate, may write.
func readCacheFile(p string, limit int64) ([]byte, error) {
	lfi, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !lfi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", lfi.Mode().Type())
	}
	if lfi.Size() > limit {
		return nil, fmt.Errorf("%d bytes, over the limit of %d", lfi.Size(), limit)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// Swapped for a link or another file since Lstat.
	if !os.SameFile(lfi, fi) {
		return nil, errors.New("replaced while opened")
	}
	if err := ownedByUs(fi); err != nil {
		return nil, err
	}
	// Read, not mapped: a mapped file's pages stay the file's, so a file
	// truncated while a review uses it raises SIGBUS, a crash instead of
	// a review, and one rewritten in place (as cp does) is read after
	// decode checked it, through the offsets of the file it checked: a
	// digest of other runs can say that a file mentions no wanted name,
	// and the review skips it. What decode checks is what the review uses.
	return readFile(f, fi.Size())
}

// readFile reads the size bytes Stat gave for f, and refuses a file that
// grew since.
func readFile(f *os.File, size int64) ([]byte, error) {
	data := make([]byte, size+1)
	n, err := io.ReadFull(f, data)
	if err != io.ErrUnexpectedEOF {
		if err == nil {
			err = errors.New("grew while read")
		}
		return nil, err
	}
	return data[:n], nil
}

// decode checks data whole before keeping any of it: a file of another
// version, of a repository other than repo, the wrong length or checksum,
// or entries out of order or out of bounds is refused. A scan index is
// written for repo zero, and holds no trees.
func (c *scanCache) decode(data []byte, repo [32]byte) error {
	if len(data) < scanHeaderSize+4 || string(data[:8]) != scanCacheMagic {
		return errors.New("not a scan cache file")
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != scanCacheVersion {
		return fmt.Errorf("version %d, not %d", v, scanCacheVersion)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return errors.New("checksum mismatch")
	}
	if !bytes.Equal(data[12:44], repo[:]) {
		if repo == ([32]byte{}) {
			return errors.New("a scan cache file, not an index")
		}
		return errors.New("written for another repository")
	}
	count := uint64(binary.LittleEndian.Uint32(data[44:]))
	runs := uint64(binary.LittleEndian.Uint32(data[48:]))
	ntrees := uint64(binary.LittleEndian.Uint32(data[52:]))
	ncommon := uint64(binary.LittleEndian.Uint32(data[56:]))
	if repo == ([32]byte{}) && (ntrees != 0 || count != 0 || ncommon != 0) {
		return errors.New("an index holds summaries only, no trees or digests of files")
	}
	if ncommon > maxCommonRuns {
		return fmt.Errorf("%d common runs, over %d", ncommon, maxCommonRuns)
	}
	fixed := scanHeaderSize + count*scanEntrySize + runs*4 + ncommon*4 + ntrees*scanTreeSize + 4
	if uint64(len(data)) < fixed {
		return errors.New("length does not match its header")
	}
	entries := data[scanHeaderSize:][:count*scanEntrySize]
	hashes := data[scanHeaderSize+count*scanEntrySize:][:runs*4]
	dict := data[scanHeaderSize+count*scanEntrySize+runs*4:][:ncommon*4]
	index := data[scanHeaderSize+count*scanEntrySize+runs*4+ncommon*4:][:ntrees*scanTreeSize]
	common := make([]uint32, ncommon)
	for i := range common {
		common[i] = binary.LittleEndian.Uint32(dict[4*i:])
	}
	objects := data[fixed-4 : len(data)-4]
	trees := make(map[plumbing.Hash][]byte, ntrees)
	for i := range int(ntrees) {
		e := index[i*scanTreeSize:][:scanTreeSize]
		if i > 0 && bytes.Compare(index[(i-1)*scanTreeSize:][:20], e[:20]) >= 0 {
			return errors.New("trees out of order")
		}
		size := uint64(binary.LittleEndian.Uint32(e[20:]))
		if size > uint64(len(objects)) {
			return fmt.Errorf("tree %d out of bounds", i)
		}
		var id plumbing.Hash
		copy(id[:], e)
		trees[id], objects = objects[:size:size], objects[size:]
	}
	sums, err := decodeSummaries(objects)
	if err != nil {
		return err
	}
	for i := range int(count) {
		e := entries[i*scanEntrySize : (i+1)*scanEntrySize]
		if i > 0 && bytes.Compare(entries[(i-1)*scanEntrySize:][:20], e[:20]) >= 0 {
			return errors.New("entries out of order")
		}
		kind := digestKind(e[20])
		first, n := uint64(binary.LittleEndian.Uint32(e[21:])), uint64(binary.LittleEndian.Uint32(e[25:]))
		mask := binary.LittleEndian.Uint64(e[29:])
		switch {
		case kind > digestTooMany:
			return fmt.Errorf("entry %d: unknown kind %d", i, kind)
		case kind != digestRuns && n != 0, n > maxDigestRuns, first+n > runs:
			return fmt.Errorf("entry %d: hashes out of bounds", i)
		case kind != digestRuns && mask != 0, ncommon < 64 && mask>>ncommon != 0:
			return fmt.Errorf("entry %d: common runs out of bounds", i)
		}
	}
	c.buckets = make([]uint32, 1<<16+1)
	for i := range int(count) {
		c.buckets[int(binary.BigEndian.Uint16(entries[i*scanEntrySize:]))+1]++
	}
	for b := 1; b < len(c.buckets); b++ {
		c.buckets[b] += c.buckets[b-1]
	}
	c.count, c.entries, c.hashes, c.trees, c.common = int(count), entries, hashes, trees, common
	c.sumIndex, c.sumHashes, c.sumCounts, c.sumUnknown = sums[0], sums[1], sums[2], sums[3]
	return nil
}

// decodeSummaries splits the summaries section into its index, hashes,
// counts and unknown entries, checking the index's order and bounds; the
// order within a summary is checked when it is used.
func decodeSummaries(data []byte) ([4][]byte, error) {
	var out [4][]byte
	if len(data) < 12 {
		return out, errors.New("length does not match its header")
	}
	n := uint64(binary.LittleEndian.Uint32(data))
	runs := uint64(binary.LittleEndian.Uint32(data[4:]))
	unk := uint64(binary.LittleEndian.Uint32(data[8:]))
	if uint64(len(data)) != 12+n*scanSumSize+runs*5+unk*4 {
		return out, errors.New("length does not match its header")
	}
	data = data[12:]
	index := data[:n*scanSumSize]
	for i := range int(n) {
		e := index[i*scanSumSize:][:scanSumSize]
		if i > 0 && bytes.Compare(index[(i-1)*scanSumSize:][:20], e[:20]) >= 0 {
			return out, errors.New("summaries out of order")
		}
		first, k := uint64(binary.LittleEndian.Uint32(e[20:])), uint64(binary.LittleEndian.Uint32(e[24:]))
		ufirst, un := uint64(binary.LittleEndian.Uint32(e[28:])), uint64(binary.LittleEndian.Uint32(e[32:]))
		if first+k > runs || ufirst+un > unk {
			return out, fmt.Errorf("summary %d out of bounds", i)
		}
	}
	data = data[n*scanSumSize:]
	out[0], out[1], out[2], out[3] = index, data[:runs*4], data[runs*4:runs*5], data[runs*5:]
	return out, nil
}

// A treeSummary is what a scan needs of the files of one tree so as not
// to look at each of them: over its regular files whose digest the cache
// had when the summary was made, how many have each run hash, saturating
// at 255; and the indices, in the tree, of its other regular files (no
// digest, or one that always says yes), which a scan looks at one by one.
// A tree's summary holds for the tree wherever it is, under any config:
// the scan still asks the config which of those files are candidates.
type treeSummary struct {
	hashes  []byte // strictly ascending little-endian uint32s
	counts  []byte // counts[i] is that of hashes[4i:]
	unknown []byte // strictly ascending little-endian uint32s
}

// saturated is the count of a run hash at least that many files have.
const saturated = 255

// count is how many of the summarised files have run hash h.
func (s treeSummary) count(h uint32) int {
	lo, hi := 0, len(s.hashes)/4
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch v := binary.LittleEndian.Uint32(s.hashes[4*m:]); {
		case v == h:
			return int(s.counts[m])
		case v < h:
			lo = m + 1
		default:
			hi = m
		}
	}
	return 0
}

// unknownList is the entries of the tree the summary does not count.
func (s treeSummary) unknownList() []uint32 {
	out := make([]uint32, len(s.unknown)/4)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(s.unknown[4*i:])
	}
	return out
}

// fits reports whether s is in order and its unknown entries lie within
// a tree of n entries.
func (s treeSummary) fits(n int) bool {
	for i := 4; i < len(s.hashes); i += 4 {
		if binary.LittleEndian.Uint32(s.hashes[i-4:]) >= binary.LittleEndian.Uint32(s.hashes[i:]) {
			return false
		}
	}
	u := s.unknownList()
	for i, k := range u {
		if int64(k) >= int64(n) || i > 0 && u[i-1] >= k {
			return false
		}
	}
	return true
}

// summary returns the file's summary of tree h.
func (c *scanCache) summary(h plumbing.Hash) (treeSummary, bool) {
	if c == nil {
		return treeSummary{}, false
	}
	lo, hi := 0, len(c.sumIndex)/scanSumSize
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		e := c.sumIndex[m*scanSumSize:][:scanSumSize]
		switch bytes.Compare(e[:20], h[:]) {
		case 0:
			first, k := binary.LittleEndian.Uint32(e[20:]), binary.LittleEndian.Uint32(e[24:])
			ufirst, un := binary.LittleEndian.Uint32(e[28:]), binary.LittleEndian.Uint32(e[32:])
			if 4*(uint64(first)+uint64(k)) > uint64(len(c.sumHashes)) || 4*(uint64(ufirst)+uint64(un)) > uint64(len(c.sumUnknown)) {
				return treeSummary{}, false // checked by decode
			}
			return treeSummary{c.sumHashes[4*first:][:4*k], c.sumCounts[first:][:k], c.sumUnknown[4*ufirst:][:4*un]}, true
		case -1:
			lo = m + 1
		default:
			hi = m
		}
	}
	return treeSummary{}, false
}

// summarise makes the summary of the tree n from digests, which look up a
// blob's digest and the dictionary it is factored by.
func summarise(n *treeNode, digests func(plumbing.Hash) (digest, []uint32, bool)) treeSummary {
	// About 60 distinct runs a spec; a directory of many entries that
	// hold none (links, submodules, files of escapes) grows it no further
	// than its runs: a hint per entry is gigabytes at a million.
	counts := make(map[uint32]int, min(64*len(n.entries), 1<<12))
	var unknown []byte
	for k := range n.entries {
		switch n.mode(k) {
		case filemode.Dir, filemode.Symlink, filemode.Submodule:
			continue
		}
		d, dict, ok := digests(n.hash(k))
		if !ok || d.kind != digestRuns {
			unknown = binary.LittleEndian.AppendUint32(unknown, uint32(k))
			continue
		}
		for i, h := range dict {
			if d.common&(1<<i) != 0 {
				counts[h]++
			}
		}
		for i := 0; i+4 <= len(d.runs); i += 4 {
			counts[binary.LittleEndian.Uint32(d.runs[i:])]++
		}
	}
	hs := slices.Sorted(maps.Keys(counts))
	s := treeSummary{hashes: make([]byte, 0, 4*len(hs)), counts: make([]byte, 0, len(hs)), unknown: unknown}
	for _, h := range hs {
		s.hashes = binary.LittleEndian.AppendUint32(s.hashes, h)
		s.counts = append(s.counts, byte(min(counts[h], saturated)))
	}
	return s
}

// maskOf is the bits of the dictionary that q holds.
func (c *scanCache) maskOf(q *query) uint64 {
	var m uint64
	for i, h := range c.common {
		if _, ok := slices.BinarySearch(q.hashes, h); ok {
			m |= 1 << i
		}
	}
	return m
}

// tree returns the content of tree h, hashed against h, and keeps it for
// the next write; false when the cache has no such tree, or a tree that
// is not h. Safe for concurrent use.
func (c *scanCache) tree(h plumbing.Hash) (string, bool) {
	if c == nil {
		return "", false
	}
	raw, ok := c.trees[h]
	if !ok {
		return "", false
	}
	// The string decoded is the string hashed.
	s := string(raw)
	if objectHashString(objTree, s) != h {
		return "", false
	}
	c.mu.Lock()
	c.used[h] = raw
	c.treeHits++
	c.mu.Unlock()
	return s, true
}

// treeCounts is how many trees the review took from the cache, and how
// many it decoded from the packs.
func (c *scanCache) treeCounts() (hits, decoded int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.treeHits, c.newTrees
}

// addTree keeps tree h, whose content the caller hashed to h, for the next
// write. Safe for concurrent use.
func (c *scanCache) addTree(h plumbing.Hash, raw []byte) {
	if c == nil || c.path == "" {
		return
	}
	c.mu.Lock()
	if _, ok := c.used[h]; !ok {
		c.used[h] = bytes.Clone(raw)
		c.newTrees++
	}
	c.mu.Unlock()
}

// lookup returns the digest of blob h, if the cache has it.
func (c *scanCache) lookup(h plumbing.Hash) (digest, bool) {
	if c.count == 0 {
		return digest{}, false
	}
	b := int(binary.BigEndian.Uint16(h[:])) // + 1 must not wrap at ffff
	lo, hi := int(c.buckets[b]), int(c.buckets[b+1])
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch bytes.Compare(c.entries[m*scanEntrySize:][:20], h[:]) {
		case 0:
			return c.entry(m), true
		case -1:
			lo = m + 1
		default:
			hi = m
		}
	}
	return digest{}, false
}

func (c *scanCache) entry(i int) digest {
	e := c.entries[i*scanEntrySize:][:scanEntrySize]
	first, n := uint64(binary.LittleEndian.Uint32(e[21:])), uint64(binary.LittleEndian.Uint32(e[25:]))
	if 4*(first+n) > uint64(len(c.hashes)) {
		// Checked by decode; never true of the bytes it checked.
		return digest{kind: digestEscape}
	}
	return digest{kind: digestKind(e[20]), common: binary.LittleEndian.Uint64(e[29:]), runs: c.hashes[4*first : 4*(first+n)]}
}

// add records digests of blobs whose content the caller hashed to their
// ids. Safe for concurrent use.
func (c *scanCache) add(es ...cacheEntry) {
	c.mu.Lock()
	c.added = append(c.added, es...)
	c.mu.Unlock()
}

// dirty reports whether the review added entries or trees, which save
// would write.
func (c *scanCache) dirty() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.added) > 0 || c.newTrees > 0
}

// save writes the cache file when the review added entries: those, and
// the entries read of the blobs of tree (the blobs of the tree reviewed);
// the others are dropped. A cache that cannot be written is logged, never an error.
// The file is written whole and renamed into place, so that a reader
// never sees it half written.
//
// The file keeps a summary of each tree of dirs, the directories of the
// review: those of the file, and new ones made from the digests it writes.
func (c *scanCache) save(tree []plumbing.Hash, dirs map[plumbing.Hash]*treeNode) {
	if c.path == "" {
		return
	}
	// Other readers of the repository (the policies of base) may still
	// decode trees.
	c.mu.Lock()
	added, used, newTrees := slices.Clone(c.added), maps.Clone(c.used), c.newTrees
	c.mu.Unlock()
	if len(added) == 0 && newTrees == 0 && !c.missingSummaries(dirs) {
		return
	}
	slices.SortFunc(added, func(a, b cacheEntry) int { return bytes.Compare(a.id[:], b.id[:]) })
	added = slices.CompactFunc(added, func(a, b cacheEntry) bool { return a.id == b.id })
	var kept []cacheEntry
	common := c.common
	if c.count > 0 {
		inTree := make(map[plumbing.Hash]bool, len(tree))
		for _, h := range tree {
			inTree[h] = true
		}
		for i := range c.count {
			var id plumbing.Hash
			copy(id[:], c.entries[i*scanEntrySize:][:20])
			if inTree[id] {
				kept = append(kept, cacheEntry{id, c.entry(i)})
			}
		}
	}
	// The dictionary stays while entries that use it do.
	if len(kept) == 0 {
		common = commonRuns(added)
	}
	dict := newDictionary(common)
	for i := range added {
		added[i].d = added[i].d.factor(dict)
	}
	// Both are in id order: merge them, the new entry first where both
	// have one (the same content, so the same digest).
	all := make([]cacheEntry, 0, len(kept)+len(added))
	for len(kept) > 0 || len(added) > 0 {
		switch {
		case len(kept) == 0:
			all, added = append(all, added...), nil
		case len(added) == 0:
			all, kept = append(all, kept...), nil
		default:
			switch bytes.Compare(kept[0].id[:], added[0].id[:]) {
			case -1:
				all, kept = append(all, kept[0]), kept[1:]
			case 0:
				kept = kept[1:]
			default:
				all, added = append(all, added[0]), added[1:]
			}
		}
	}
	var trees []treeObj
	size := int64(scanHeaderSize + 4 + 4*len(common))
	for id, raw := range used {
		// The trees first: they are what every review decodes.
		if size+scanTreeSize+int64(len(raw)) > c.opts.MaxBytes/2 {
			continue
		}
		size += scanTreeSize + int64(len(raw))
		trees = append(trees, treeObj{id, raw})
	}
	slices.SortFunc(trees, func(a, b treeObj) int { return bytes.Compare(a.id[:], b.id[:]) })
	// The summaries, before the entries are cut to the size bound: a
	// summary counts what blobs hold, wherever their digests are kept.
	sums := c.summaries(dirs, all, common)
	// Keep to the size bound: the entries that fit, in id order, then
	// the summaries that fit.
	for i, k := range all {
		size += scanEntrySize + int64(len(k.d.runs))
		if size > c.opts.MaxBytes {
			c.logf("scan cache %s: %d of %d entries fit in %d bytes", c.path, i, len(all), c.opts.MaxBytes)
			all, sums = all[:i], nil
			break
		}
	}
	size += 12
	for i, t := range sums {
		size += scanSumSize + int64(len(t.s.hashes)+len(t.s.counts)+len(t.s.unknown))
		if size > c.opts.MaxBytes {
			c.logf("scan cache %s: %d of %d tree summaries fit in %d bytes", c.path, i, len(sums), c.opts.MaxBytes)
			sums = sums[:i]
			break
		}
	}
	buf := encodeScan(c.repo, all, common, trees, sums)
	if err := writeAtomic(c.opts.Dir, c.path, buf); err != nil {
		c.logf("scan cache not written: %v", err)
	}
}

// treeObj is a tree's content, to write.
type treeObj struct {
	id  plumbing.Hash
	raw []byte
}

// encodeScan writes a cache file (see scanCacheVersion) of repo: the
// entries all, in id order, whose digests common factors, the trees and
// the summaries, both in id order.
func encodeScan(repo [32]byte, all []cacheEntry, common []uint32, trees []treeObj, sums []idSummary) []byte {
	runs, sumRuns, sumUnknown := 0, 0, 0
	size := scanHeaderSize + 4*len(common) + 12 + 4
	for _, k := range all {
		runs += len(k.d.runs) / 4
		size += scanEntrySize + len(k.d.runs)
	}
	for _, t := range trees {
		size += scanTreeSize + len(t.raw)
	}
	for _, t := range sums {
		sumRuns, sumUnknown = sumRuns+len(t.s.counts), sumUnknown+len(t.s.unknown)/4
		size += scanSumSize + len(t.s.hashes) + len(t.s.counts) + len(t.s.unknown)
	}
	buf := make([]byte, 0, size)
	buf = append(buf, scanCacheMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, scanCacheVersion)
	buf = append(buf, repo[:]...)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(all)))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(runs))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(trees)))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(common)))
	first := 0
	for _, k := range all {
		n := len(k.d.runs) / 4
		buf = append(buf, k.id[:]...)
		buf = append(buf, byte(k.d.kind))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(first))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(n))
		buf = binary.LittleEndian.AppendUint64(buf, k.d.common)
		first += n
	}
	for _, k := range all {
		buf = append(buf, k.d.runs...)
	}
	for _, h := range common {
		buf = binary.LittleEndian.AppendUint32(buf, h)
	}
	for _, t := range trees {
		buf = append(buf, t.id[:]...)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(t.raw)))
	}
	for _, t := range trees {
		buf = append(buf, t.raw...)
	}
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(sums)))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(sumRuns))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(sumUnknown))
	first, ufirst := 0, 0
	for _, t := range sums {
		n, un := len(t.s.counts), len(t.s.unknown)/4
		buf = append(buf, t.id[:]...)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(first))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(n))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(ufirst))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(un))
		first, ufirst = first+n, ufirst+un
	}
	for _, t := range sums {
		buf = append(buf, t.s.hashes...)
	}
	for _, t := range sums {
		buf = append(buf, t.s.counts...)
	}
	for _, t := range sums {
		buf = append(buf, t.s.unknown...)
	}
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, castagnoli))
	return buf
}

// idSummary is a tree's summary, to write.
type idSummary struct {
	id plumbing.Hash
	s  treeSummary
}

// missingSummaries reports whether the file lacks the summary of a tree of
// dirs.
func (c *scanCache) missingSummaries(dirs map[plumbing.Hash]*treeNode) bool {
	for id := range dirs {
		if _, ok := c.summary(id); !ok {
			return true
		}
	}
	return false
}

// answer tells from the summary of d's tree in from whether none of d's
// unchanged files, the files of that tree but the changed ones (named in
// changed), may mention a name of q. If so, it returns the entries of that
// tree which the summary does not count, for the scan to look at one by
// one; if not, or without a summary, false.
//
// A changed file's digest is the cache's, or else made by digestOf from
// the blob (nil: none); a scan index keeps no digests of files.
//
// A tree not in git's order (treeNode.sorted: a name twice, a "/" in a
// name), which git never writes, is not answered: its summary is true of
// its entries, but the files it lists are not one to a path as head's
// are (a name twice is read twice, a context workflow counted twice),
// and a summary or an index may name any tree of the repository.
func (c *scanCache) answer(d pairedDir, changed []string, q *query, digestOf func(plumbing.Hash) (digest, bool)) ([]int, bool) {
	if !d.from.sorted {
		return nil, false
	}
	s, ok := c.summary(d.fromID)
	if !ok || !s.fits(len(d.from.entries)) {
		return nil, false
	}
	unknown := s.unknownList()
	// The changed files the summary counts, by their digests: a file it
	// does not count must not be taken off, even if its digest is known
	// by now.
	var counted []digest
	for _, name := range changed {
		k, ok := d.from.index(name)
		if !ok {
			continue
		}
		switch d.from.mode(k) {
		case filemode.Dir, filemode.Symlink, filemode.Submodule:
			continue
		}
		if _, ok := slices.BinarySearch(unknown, uint32(k)); ok {
			continue
		}
		dg, ok := c.lookup(d.from.hash(k))
		if !ok && digestOf != nil {
			dg, ok = digestOf(d.from.hash(k))
		}
		if !ok {
			return nil, false
		}
		counted = append(counted, dg)
	}
	// How many of the counted changed files may hold each wanted hash:
	// one pass over their digests, not one for each wanted hash, which
	// would be the product of a change's files and its names.
	sub := c.wantedIn(counted, q)
	for _, w := range q.hashes {
		n := s.count(w)
		if n >= saturated || n > sub.files(w) {
			return nil, false
		}
	}
	out := make([]int, len(unknown))
	for i, k := range unknown {
		out[i] = int(k)
	}
	return out, true
}

// wanted counts, for each hash of a query, the digests that may hold it
// (as the per-hash check it replaced, digest.has in the tests, says).
type wanted struct {
	all int            // digests that may hold any run
	n   map[uint32]int // digests whose runs hold the hash
}

func (w wanted) files(h uint32) int { return w.all + w.n[h] }

// wantedIn counts the digests ds that may hold each hash of q, in one
// pass over their runs.
func (c *scanCache) wantedIn(ds []digest, q *query) wanted {
	w := wanted{n: map[uint32]int{}}
	for _, d := range ds {
		if d.kind != digestRuns {
			w.all++
			continue
		}
		// A hash once per digest, even if it is both in the dictionary
		// and in its own runs.
		seen := map[uint32]bool{}
		note := func(h uint32) {
			if q.bits[h&0xffff>>6]&(1<<(h&63)) == 0 || seen[h] {
				return
			}
			if _, ok := slices.BinarySearch(q.hashes, h); ok {
				seen[h] = true
				w.n[h]++
			}
		}
		for i, h := range c.common {
			if d.common&(1<<i) != 0 {
				note(h)
			}
		}
		for i := 0; i+4 <= len(d.runs); i += 4 {
			note(binary.LittleEndian.Uint32(d.runs[i:]))
		}
	}
	return w
}

// summaries lists the summaries of the trees of dirs, in id order: the
// file's, and new ones from the digests of all, which common factors.
func (c *scanCache) summaries(dirs map[plumbing.Hash]*treeNode, all []cacheEntry, common []uint32) []idSummary {
	digests := func(h plumbing.Hash) (digest, []uint32, bool) {
		i, ok := slices.BinarySearchFunc(all, h, func(e cacheEntry, h plumbing.Hash) int { return bytes.Compare(e.id[:], h[:]) })
		if !ok {
			return digest{}, nil, false
		}
		return all[i].d, common, true
	}
	var out []idSummary
	for id, n := range dirs {
		s, ok := c.summary(id)
		if !ok || !s.fits(len(n.entries)) {
			s = summarise(n, digests)
		}
		out = append(out, idSummary{id, s})
	}
	slices.SortFunc(out, func(a, b idSummary) int { return bytes.Compare(a.id[:], b.id[:]) })
	return out
}

// commonRuns picks the dictionary: the run hashes that at least a quarter
// of a sample of the digests hold, the most frequent first, at most
// maxCommonRuns of them.
func commonRuns(es []cacheEntry) []uint32 {
	const sample = 1024
	step := max(1, len(es)/sample)
	counts := map[uint32]int{}
	n := 0
	for i := 0; i < len(es); i += step {
		d := es[i].d
		if d.kind != digestRuns {
			continue
		}
		n++
		for k := 0; k+4 <= len(d.runs); k += 4 {
			counts[binary.LittleEndian.Uint32(d.runs[k:])]++
		}
	}
	var common []uint32
	for h, c := range counts {
		if 4*c >= n && n >= 4 {
			common = append(common, h)
		}
	}
	slices.SortFunc(common, func(a, b uint32) int {
		if c := counts[b] - counts[a]; c != 0 {
			return c
		}
		return int(int64(a) - int64(b))
	})
	return common[:min(len(common), maxCommonRuns)]
}

// writeAtomic writes data to a new file in dir and renames it to p, which
// replaces p itself even if it is a symlink, never its target.
func writeAtomic(dir, p string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".scan-*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

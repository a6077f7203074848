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
)

// ScanCache is where reviews keep the digests of the files they scanned,
// so that the next review of the repository reads only the files whose
// digest may mention a changed name: the cost of a review then follows the
// change, not the repository.
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
	// be written. Neither is an error: the review reads the files.
	Log io.Writer
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
//	crc     uint32: CRC-32C of everything before it
//
// An entry's runs are dict[i] for each bit i of its mask, and its own
// hashes: most of a spec's runs are the keys and values every spec has,
// and the dictionary keeps them out of the file and out of each lookup.
// The checksum finds a torn or damaged file; it is not a signature. The
// trees are the ones the last review decoded (Changed and the walk of
// head), so that the next need not inflate them again; each is hashed
// against its id before use, so a tree in the cache can fail a lookup,
// never change what a review reads.
const (
	scanCacheMagic   = "NHISCAN\n"
	scanCacheVersion = 1
	scanHeaderSize   = 8 + 4 + 32 + 4 + 4 + 4 + 4
	scanEntrySize    = 20 + 1 + 4 + 4 + 8
	scanTreeSize     = 20 + 4
	maxCommonRuns    = 64
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// scanCache is the cache of one repository for one review: the entries
// read from its file, and those the review adds.
type scanCache struct {
	opts    ScanCache
	path    string
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

// OpenCache reads the cache of the repository head was read from, and
// lends its trees to the reads of head and of the other trees of that
// repository (the base, the merge base), whose diff then need not inflate
// them. It returns nil, which LoadReview takes as no cache, when the
// cache is off or head is a directory. A cache file that cannot be
// trusted is logged and left out.
func OpenCache(opts ScanCache, head Tree, others ...Tree) *Cache {
	dir, ok := gitDirOf(head)
	if opts.Dir == "" || !ok {
		return nil
	}
	c := newScanCache(opts, dir)
	for _, t := range append([]Tree{head}, others...) {
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
// is the absolute path gitDir.
func newScanCache(opts ScanCache, gitDir string) *scanCache {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultScanCacheBytes
	}
	c := &scanCache{opts: opts, repoDir: gitDir, repo: sha256.Sum256([]byte(gitDir)), used: map[plumbing.Hash][]byte{}}
	c.path = filepath.Join(opts.Dir, "scan-"+hex.EncodeToString(c.repo[:12]))
	data, err := readCacheFile(c.path, opts.MaxBytes)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		c.logf("scan cache %s ignored: %v", c.path, err)
	default:
		if err := c.decode(data); err != nil {
			c.logf("scan cache %s ignored: %v", c.path, err)
			c.count, c.entries, c.hashes, c.buckets, c.trees, c.common = 0, nil, nil, nil, nil, nil
		}
	}
	return c
}

func (c *scanCache) logf(format string, args ...any) {
	if c.opts.Log != nil {
		fmt.Fprintf(c.opts.Log, "nhigate: "+format+"\n", args...)
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
// version, another repository, the wrong length or checksum, or entries
// out of order or out of bounds is refused.
func (c *scanCache) decode(data []byte) error {
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
	if !bytes.Equal(data[12:44], c.repo[:]) {
		return errors.New("written for another repository")
	}
	count := uint64(binary.LittleEndian.Uint32(data[44:]))
	runs := uint64(binary.LittleEndian.Uint32(data[48:]))
	ntrees := uint64(binary.LittleEndian.Uint32(data[52:]))
	ncommon := uint64(binary.LittleEndian.Uint32(data[56:]))
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
	if len(objects) != 0 {
		return errors.New("length does not match its header")
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
	return nil
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
func (c *scanCache) tree(h plumbing.Hash) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	raw, ok := c.trees[h]
	if !ok || objectHash(objTree, raw) != h {
		return nil, false
	}
	c.mu.Lock()
	c.used[h] = raw
	c.treeHits++
	c.mu.Unlock()
	return raw, true
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
	if c == nil {
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
func (c *scanCache) save(tree []plumbing.Hash) {
	// Other readers of the repository (the policies of base) may still
	// decode trees.
	c.mu.Lock()
	added, used, newTrees := slices.Clone(c.added), maps.Clone(c.used), c.newTrees
	c.mu.Unlock()
	if len(added) == 0 && newTrees == 0 {
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
	type treeObj struct {
		id  plumbing.Hash
		raw []byte
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
	// Keep to the size bound: the entries that fit, in id order.
	runs := 0
	for i, k := range all {
		size += scanEntrySize + int64(len(k.d.runs))
		if size > c.opts.MaxBytes {
			c.logf("scan cache %s: %d of %d entries fit in %d bytes", c.path, i, len(all), c.opts.MaxBytes)
			all = all[:i]
			break
		}
		runs += len(k.d.runs) / 4
	}
	buf := make([]byte, 0, size)
	buf = append(buf, scanCacheMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, scanCacheVersion)
	buf = append(buf, c.repo[:]...)
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
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, castagnoli))
	if err := writeAtomic(c.opts.Dir, c.path, buf); err != nil {
		c.logf("scan cache not written: %v", err)
	}
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

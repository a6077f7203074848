package source

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// names is a set of identity names and metadata.names, in ASCII lower case,
// that a scan looks for.
type names map[string]bool

// lengths marks the lengths of the names, so that a scan hashes only runs
// that could be one.
func (n names) lengths() *[maxNameLen + 1]bool {
	var l [maxNameLen + 1]bool
	for k := range n {
		if len(k) <= maxNameLen {
			l[len(k)] = true
		}
	}
	return &l
}

// mentions reports whether data may hold a YAML or JSON string equal to one
// of names, ignoring ASCII case. It is a prefilter: it may say yes wrongly,
// never no wrongly.
//
// Identity names and metadata.names are ASCII: letters, digits and
// "._@:/-", starting with a letter or a digit. Written without escapes,
// such a string is a maximal run of those bytes in the file, save for
// separators that YAML or JSON may put right before it (`"name":ci` in a
// flow mapping), which cannot start a name. Anything else (tags, anchors,
// quotes, block scalars) leaves the run intact, and a multi-line scalar
// folds into a string with a space, which is no name. Only an escape
// (`"\x63i"`, `"\u0063i"`) spells a name without its bytes, so a file with
// a backslash always counts as a mention.
func mentions(data []byte, want names) bool {
	return mentionsLen(data, want, want.lengths())
}

func mentionsLen(data []byte, want names, lengths *[maxNameLen + 1]bool) bool {
	if len(want) == 0 {
		return false
	}
	if bytes.IndexByte(data, '\\') >= 0 {
		return true
	}
	var buf [maxNameLen]byte
	for i := 0; i < len(data); {
		var run []byte
		run, i = nextRun(data, i)
		if len(run) == 0 || len(run) > maxNameLen || !lengths[len(run)] {
			continue
		}
		for k, c := range run {
			buf[k] = lower[c]
		}
		if want[string(buf[:len(run)])] {
			return true
		}
	}
	return false
}

// nextRun returns the run of name bytes that mentions compares at or after
// data[i], and where to look for the next. The run may be empty, or
// longer than any name.
func nextRun(data []byte, i int) ([]byte, int) {
	for i < len(data) && nameClass[data[i]] == 0 {
		i++
	}
	// A name starts with a letter or a digit: skip the separators that
	// may come before it.
	for i < len(data) && nameClass[data[i]] == classSep {
		i++
	}
	j := i
	for j < len(data) && nameClass[data[j]] != 0 {
		j++
	}
	return data[i:j], j
}

// A digest is what a scan keeps of a file so as not to read it again (see
// scanCache): the hashes of the runs that mentions would compare with a
// name, or that the file must be read whatever the names. It is computed
// by the same tokenisation as mentions, so that it never says no where
// mentions says yes: a name equal to a folded run has that run's hash. It
// may say yes wrongly, when two strings share a hash, which costs a read.
type digest struct {
	kind digestKind
	// common has bit i set for the i-th run hash of the cache file's
	// dictionary; runs holds the others. Zero for a digest not yet
	// written.
	common uint64
	// runs are the distinct foldHash values of the runs of 1 to
	// maxNameLen bytes, as little-endian uint32s; only for digestRuns.
	runs []byte
}

type digestKind uint8

const (
	digestRuns    digestKind = iota // runs lists every run
	digestEscape                    // a backslash: mentions always says yes
	digestTooMany                   // more than maxDigestRuns distinct runs: read it
)

// maxDigestRuns bounds a digest: 16 KiB. A spec of a few dozen lines
// has about 60 distinct runs.
const maxDigestRuns = 4096

// digestOf digests data.
func digestOf(data []byte) digest {
	if bytes.IndexByte(data, '\\') >= 0 {
		return digest{kind: digestEscape}
	}
	var set runSet
	for i := 0; i < len(data); {
		var run []byte
		run, i = nextRun(data, i)
		if len(run) == 0 || len(run) > maxNameLen {
			continue
		}
		if !set.add(foldHash(run)) {
			return digest{kind: digestTooMany}
		}
	}
	return digest{kind: digestRuns, runs: set.bytes()}
}

// runSet is a set of run hashes: open addressing in a table that starts
// small enough to clear for every file, and grows up to maxDigestRuns.
type runSet struct {
	small   [256]uint32
	big     []uint32 // once small is half full
	n       int
	hasZero bool
}

// slots is the table; 0 marks an empty slot.
func (s *runSet) slots() []uint32 {
	if s.big != nil {
		return s.big
	}
	return s.small[:]
}

// add adds h, and reports false past maxDigestRuns distinct hashes.
func (s *runSet) add(h uint32) bool {
	if h == 0 {
		if !s.hasZero {
			s.hasZero = true
			s.n++
		}
		return s.n <= maxDigestRuns
	}
	t := s.slots()
	mask := uint32(len(t) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t[i] {
		case h:
			return true
		case 0:
			t[i] = h
			s.n++
			if s.n > maxDigestRuns {
				return false
			}
			if 2*s.n > len(t) {
				s.grow()
			}
			return true
		}
	}
}

func (s *runSet) grow() {
	old := s.slots()
	t := make([]uint32, 2*len(old))
	mask := uint32(len(t) - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := h & mask
		for t[i] != 0 {
			i = (i + 1) & mask
		}
		t[i] = h
	}
	s.big = t
}

// bytes lists the set as little-endian uint32s, in table order.
func (s *runSet) bytes() []byte {
	out := make([]byte, 0, 4*s.n)
	if s.hasZero {
		out = binary.LittleEndian.AppendUint32(out, 0)
	}
	for _, h := range s.slots() {
		if h != 0 {
			out = binary.LittleEndian.AppendUint32(out, h)
		}
	}
	return out
}

// foldHash hashes a run, or a name, in ASCII lower case: a 64-bit
// multiply-rotate hash over 8 bytes at a time, folded to 32 bits. It
// lowers case by setting bit 0x20 of every byte, which is lower casing on
// the bytes of a run (letters, digits and "._@:/-"): for those, two runs
// hash alike whenever they are equal ignoring case. Other bytes may hash
// like name bytes, which is a false yes at worst. It is part of the cache
// format: changing it changes scanCacheVersion.
func foldHash(b []byte) uint32 {
	const k1, k2, k3 = 0x9e3779b97f4a7c15, 0xc2b2ae3d27d4eb4f, 0x165667b19e3779f9
	const fold = 0x2020202020202020
	h := uint64(len(b)) * k1
	for len(b) >= 8 {
		h = bits.RotateLeft64((h^(binary.LittleEndian.Uint64(b)|fold))*k2, 31) * k1
		b = b[8:]
	}
	var tail uint64
	for k, c := range b {
		tail |= uint64(c|0x20) << (8 * k)
	}
	h = bits.RotateLeft64((h^tail)*k2, 31) * k1
	h ^= h >> 33
	h *= k3
	h ^= h >> 29
	return uint32(h)
}

// dictionary is the common runs of a cache file, ready to factor digests
// by: a bitmap of their low 16 bits turns down most runs with one load.
type dictionary struct {
	bits  [1 << 16 / 64]uint64
	index map[uint32]int
}

func newDictionary(common []uint32) *dictionary {
	d := &dictionary{index: make(map[uint32]int, len(common))}
	for i, h := range common {
		d.bits[h&0xffff>>6] |= 1 << (h & 63)
		d.index[h] = i
	}
	return d
}

// factor moves the runs of d that the dictionary holds into its mask.
func (d digest) factor(dict *dictionary) digest {
	if d.kind != digestRuns || len(dict.index) == 0 {
		return d
	}
	out := digest{kind: d.kind, common: d.common, runs: make([]byte, 0, len(d.runs))}
	for k := 0; k+4 <= len(d.runs); k += 4 {
		h := binary.LittleEndian.Uint32(d.runs[k:])
		if dict.bits[h&0xffff>>6]&(1<<(h&63)) != 0 {
			if i, ok := dict.index[h]; ok {
				out.common |= 1 << i
				continue
			}
		}
		out.runs = append(out.runs, d.runs[k:k+4]...)
	}
	return out
}

// query is a set of names ready to test digests against: the hashes of
// the names, and a bitmap of their low 16 bits, which turns down most
// runs with one load.
type query struct {
	bits   [1 << 16 / 64]uint64
	hashes []uint32 // sorted
	// common is the bits of a cache file's dictionary that are hashes of
	// names.
	common uint64
}

func newQuery(want names) *query {
	q := &query{}
	for k := range want {
		if len(k) == 0 || len(k) > maxNameLen {
			// No run mentions compares is as long: it never matches.
			continue
		}
		h := foldHash([]byte(k))
		q.bits[h&0xffff>>6] |= 1 << (h & 63)
		q.hashes = append(q.hashes, h)
	}
	slices.Sort(q.hashes)
	return q
}

// mayMention reports whether a file of digest d may mention a name of q:
// false only where mentions is false.
func (q *query) mayMention(d digest) bool {
	if d.kind != digestRuns || d.common&q.common != 0 {
		return true
	}
	for k := 0; k+4 <= len(d.runs); k += 4 {
		h := binary.LittleEndian.Uint32(d.runs[k:])
		if q.bits[h&0xffff>>6]&(1<<(h&63)) == 0 {
			continue
		}
		if _, ok := slices.BinarySearch(q.hashes, h); ok {
			return true
		}
	}
	return false
}

// Classes of the bytes of a name.
const (
	classNone  = iota // ends a name
	classSep          // ".", "_", "@", ":", "/", "-"
	classAlnum        // a letter or a digit
)

// nameClass and lower are tables for mentionsLen's inner loop.
var nameClass, lower = func() (c [256]uint8, l [256]byte) {
	for b := range 256 {
		l[b] = byte(b)
		switch {
		case alnum(byte(b)):
			c[b] = classAlnum
		case nameByte(byte(b)):
			c[b] = classSep
		}
		if 'A' <= b && b <= 'Z' {
			l[b] = byte(b) + 'a' - 'A'
		}
	}
	return
}()

// maxNameLen is the longest identity name the spec allows.
const maxNameLen = 253

func alnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func nameByte(c byte) bool {
	switch c {
	case '.', '_', '@', ':', '/', '-':
		return true
	}
	return alnum(c)
}

// scanned is a file a scan kept.
type scanned struct {
	path string
	data []byte
	// size is set, and data nil, for a file over the limit that
	// mentions a name: it may hold a wanted principal and cannot be read
	// as a spec; -1 for such a file that is no spec.
	size int64
	// hash is the blob of a git tree's file over the limit.
	hash plumbing.Hash
}

// largeMentions reports whether the file r, over the size limit, mentions
// a name of want, as mentions would of its whole content, reading it in
// bounded chunks: such a file may hold a principal of the change and
// cannot be loaded, which the review must not take as holding none. It
// closes r.
func largeMentions(r io.ReadCloser, p string, want names) (bool, error) {
	defer r.Close()
	return mentionsChunked(r, p, want, scanChunk)
}

// mentionsChunked is mentions over r, read chunk bytes at a time.
func mentionsChunked(r io.Reader, p string, want names, chunk int) (bool, error) {
	found, _, err := scanChunked(r, p, want, chunk, false)
	return found, err
}

// scanChunked is mentions over r, read chunk bytes at a time, and, with
// withDigest, the digest of r, as digestOf gives of the whole of it: the
// digest of a file over the size limit lets the next review with the
// scan cache leave it unread.
func scanChunked(r io.Reader, p string, want names, chunk int, withDigest bool) (bool, digest, error) {
	lengths := want.lengths()
	var set runSet
	var buf [maxNameLen]byte
	found, tooMany := false, false
	escape, err := eachRunChunked(r, p, chunk, func(run []byte) bool {
		if withDigest && !tooMany && !set.add(foldHash(run)) {
			tooMany = true
		}
		if !found && lengths[len(run)] {
			for k, c := range run {
				buf[k] = lower[c]
			}
			found = want[string(buf[:len(run)])]
		}
		return !found || withDigest && !tooMany
	})
	switch {
	case err != nil:
		return false, digest{}, err
	case escape:
		return true, digest{kind: digestEscape}, nil
	case tooMany:
		return found, digest{kind: digestTooMany}, nil
	}
	return found, digest{kind: digestRuns, runs: set.bytes()}, nil
}

// eachRunChunked calls fn with each run of 1 to maxNameLen bytes that
// nextRun finds in the whole of r, read chunk bytes at a time, until fn
// returns false; it stops at a backslash, and reports it. A chunk is
// looked at up to its last byte that ends a run; the run it may cut short
// is carried into the next, so that the runs are those of the whole file:
// never a suffix of a longer run taken for a name.
func eachRunChunked(r io.Reader, p string, chunk int, fn func(run []byte) bool) (escape bool, err error) {
	buf := make([]byte, maxNameLen+chunk)
	kept := 0     // the start of a run, carried over
	skip := false // within a run longer than any name
	for {
		n, err := io.ReadFull(r, buf[kept:])
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			return false, fmt.Errorf("read %s: %w", p, err)
		}
		data := buf[:kept+n]
		if bytes.IndexByte(data[kept:], '\\') >= 0 {
			return true, nil
		}
		start := 0
		if skip {
			for start < len(data) && nameClass[data[start]] != 0 {
				start++
			}
			if start == len(data) && !eof {
				kept = 0
				continue
			}
			skip = false
		}
		end := len(data)
		if !eof {
			end = start
			for i := len(data) - 1; i >= start; i-- {
				if nameClass[data[i]] == 0 {
					end = i + 1
					break
				}
			}
		}
		for i := start; i < end; {
			var run []byte
			run, i = nextRun(data[:end], i)
			if len(run) == 0 || len(run) > maxNameLen {
				continue
			}
			if !fn(run) {
				return false, nil
			}
		}
		if eof {
			return false, nil
		}
		// The rest is one sequence of name bytes: the separators that
		// start it start no name.
		tail := data[end:]
		for len(tail) > 0 && nameClass[tail[0]] == classSep {
			tail = tail[1:]
		}
		if len(tail) > maxNameLen {
			skip, kept = true, 0
			continue
		}
		kept = copy(buf, tail)
	}
}

// hashingReader hashes what is read through it as the git blob of size
// bytes it should be.
type hashingReader struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	size int64
}

func newHashingReader(r io.Reader, size int64) *hashingReader {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", size)
	return &hashingReader{r: r, h: h, size: size}
}

func (r *hashingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	return n, err
}

// is reports whether everything was read, and hashes to id.
func (r *hashingReader) is(id plumbing.Hash) bool {
	if r.n != r.size {
		return false
	}
	var got plumbing.Hash
	copy(got[:], r.h.Sum(nil))
	return got == id
}

// openLarge streams the file f of t, over the size limit.
func openLarge(t Tree, f scanned) (io.ReadCloser, error) {
	if g, ok := t.(*gitTree); ok {
		return g.openHash(f.path, f.hash)
	}
	return t.openReader(f.path)
}

// scanFile is a regular file to scan, and the hash of its content.
type scanFile struct {
	path string
	hash plumbing.Hash
}

// scanFiles reads the regular files of t and keeps those that mention a
// name, in the order of their paths. Files over limit bytes are read in
// bounded chunks, and kept without their data (scanned.size) if one of
// them mentions a name: they cannot be loaded, and may hold a principal
// of the change. With a cache (of a git tree), it reads only the
// blobs whose digest may mention a name, and digests those it did not
// know; skipped counts the files the cache answered without a read.
func scanFiles(ctx context.Context, t Tree, files []scanFile, limit int64, want names, c *scanCache) (found []scanned, skipped int, err error) {
	if g, ok := t.(*gitTree); ok {
		return g.scanBlobs(ctx, files, limit, want, c)
	}
	var out []scanned
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.path
	}
	slices.Sort(paths)
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		data, err := t.ReadFile(p, limit)
		var tooLarge *TooLargeError
		var symlink *SymlinkError
		switch {
		case errors.As(err, &tooLarge):
			r, err := t.openReader(p)
			if err != nil {
				return nil, 0, err
			}
			ok, err := largeMentions(r, p, want)
			if err != nil {
				return nil, 0, err
			}
			if ok {
				out = append(out, scanned{path: p, size: tooLarge.Size})
			}
			continue
		case errors.As(err, &symlink):
			continue
		case err != nil:
			return nil, 0, err
		}
		if mentions(data, want) {
			out = append(out, scanned{path: p, data: data})
		}
	}
	return out, 0, nil
}

// scanBlobs reads the blobs of files on every core, straight from the pack
// files, in pack order so that each delta base is decoded once. A blob the
// packs cannot read is read through go-git.
func (t *gitTree) scanBlobs(ctx context.Context, files []scanFile, limit int64, want names, c *scanCache) ([]scanned, int, error) {
	type item struct {
		path  string
		hash  plumbing.Hash
		off   int64
		known bool // the cache has its digest, which may mention a name
	}
	var items []item
	var q *query
	skipped := 0
	if c == nil {
		items = make([]item, len(files))
		for i, f := range files {
			items[i] = item{path: f.path, hash: f.hash}
		}
	} else {
		// Ask the cache on every core, and read only what it cannot
		// rule out.
		q = newQuery(want)
		q.common = c.maskOf(q)
		const (
			unknown = iota
			mayMention
			mentionsNone
		)
		says := make([]uint8, len(files))
		parts := min(runtime.GOMAXPROCS(0), max(1, len(files)/1024))
		var wg sync.WaitGroup
		for w := range parts {
			wg.Go(func() {
				for i := w * len(files) / parts; i < (w+1)*len(files)/parts; i++ {
					if d, ok := c.lookup(files[i].hash); ok {
						says[i] = mayMention
						if !q.mayMention(d) {
							says[i] = mentionsNone
						}
					}
				}
			})
		}
		wg.Wait()
		for i, f := range files {
			switch says[i] {
			case mentionsNone:
				skipped++
			default:
				items = append(items, item{path: f.path, hash: f.hash, known: says[i] == mayMention})
			}
		}
	}
	packs := t.objs.pack()
	if packs != nil && len(items) >= 256 {
		packs.loadAll()
	}
	if packs != nil {
		// Objects of one pack in the order they lie in it: bases come
		// before their deltas.
		for i := range items {
			items[i].off = -1
			for k, f := range packs.files {
				if off, ok := f.offset(items[i].hash); ok {
					items[i].off = int64(k)<<48 | off
					break
				}
			}
		}
		slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.off, b.off) })
	}
	lengths := want.lengths()
	workers := min(runtime.GOMAXPROCS(0), max(1, len(items)/64))
	found := make([][]scanned, workers)
	type largeFile struct {
		item
		size int64
	}
	large := make([][]largeFile, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var r *packReader
			if packs != nil {
				r = packs.reader(scanCacheBudget)
			}
			var digested []cacheEntry
			defer func() {
				if c != nil {
					c.add(digested...)
				}
			}()
			// Each worker takes a contiguous run, so that it meets the
			// bases of its deltas.
			lo, hi := w*len(items)/workers, (w+1)*len(items)/workers
			for i := lo; i < hi; i++ {
				if i%64 == 0 {
					if err := ctx.Err(); err != nil {
						errs[w] = err
						return
					}
				}
				it := items[i]
				// What reading it inflated, its delta bases included
				// (a base over the limit, never digested itself, is
				// inflated again for each delta the cache lost), and
				// what go-git read: an index's budget counts it all.
				inflated := r.inflatedBytes()
				read := func(own int) int64 { return int64(own) + r.inflatedBytes() - inflated }
				// Both readers check that the content hashes to the
				// id, under which its digest is kept.
				data, err := r.blob(it.hash, limit)
				fallback := false
				var tooLarge *TooLargeError
				switch {
				case errors.As(err, &tooLarge):
					large[w] = append(large[w], largeFile{it, tooLarge.Size})
					if err := c.spend(read(0), digest{}); err != nil {
						errs[w] = err
						return
					}
					continue
				case err != nil:
					// Somewhere the packs do not hold it, such as a loose
					// object or an alternate: ask go-git.
					fallback = true
					data, err = t.objs.blob(it.path, it.hash, limit)
					if errors.As(err, &tooLarge) {
						large[w] = append(large[w], largeFile{it, tooLarge.Size})
						continue
					}
				}
				if err != nil {
					errs[w] = fmt.Errorf("read %s: %w", it.path, err)
					return
				}
				if c != nil && c.record && !it.known {
					d := digestOf(data)
					own := 0
					if fallback {
						own = len(data)
					}
					if err := c.spend(read(own), d); err != nil {
						errs[w] = err
						return
					}
					digested = append(digested, cacheEntry{it.hash, d})
					if !q.mayMention(d) {
						continue
					}
				}
				if mentionsLen(data, want, lengths) {
					found[w] = append(found[w], scanned{path: it.path, data: data})
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, 0, err
	}
	// Files over the limit, read in chunks, one at a time: they are few,
	// and go-git streams them behind one lock.
	var digested []cacheEntry
	if c != nil && c.wholeOnly {
		large = nil // an index digests only what it read whole
	}
	for _, f := range slices.Concat(large...) {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		r, err := t.openHash(f.path, f.hash)
		if err != nil {
			return nil, 0, err
		}
		// go-git does not check a blob against its id, as the pack
		// reader does: an answer of no mention, or a digest of its runs,
		// is only of content that hashes to it. (A scan stopped at a
		// mention or a backslash answers yes.)
		// A scan that found a mention without keeping a digest stops
		// there, short of the end, which it need not hash.
		hr := newHashingReader(r, f.size)
		withDigest := c != nil && c.record && !f.known
		ok, d, err := scanChunked(hr, f.path, want, scanChunk, withDigest)
		r.Close()
		if err == nil && (!ok || withDigest && d.kind == digestRuns) && !hr.is(f.hash) {
			err = fmt.Errorf("read %s: object %s does not hash to its id: the repository is damaged; run git fsck", f.path, f.hash)
		}
		if err != nil {
			return nil, 0, err
		}
		if withDigest {
			// Read whole from the id it is kept by, like any other.
			digested = append(digested, cacheEntry{f.hash, d})
		}
		if ok {
			found[0] = append(found[0], scanned{path: f.path, size: f.size, hash: f.hash})
		}
	}
	if c != nil {
		c.add(digested...)
	}
	out := slices.Concat(found...)
	slices.SortFunc(out, func(a, b scanned) int { return strings.Compare(a.path, b.path) })
	return out, skipped, nil
}

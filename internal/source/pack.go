package source

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/flate"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// packs reads objects straight from a repository's pack files, from many
// goroutines at once: go-git's storage serialises every read behind one
// lock, decodes delta chains anew for each object and hashes every object
// it caches, which made reading tens of thousands of small blobs cost a
// second. Every object packs returns is checked against its hash, so a
// mistake here is a read error, never wrong content; what it cannot read
// (loose objects, alternates, anything unusual) it reports as errPackMiss,
// and the caller asks go-git.
type packs struct {
	files    []*packFile
	loadOnce sync.Once
}

// errPackMiss says packs does not hold the object, or could not read it:
// ask go-git.
var errPackMiss = errors.New("not read from a pack")

type packFile struct {
	r      io.ReaderAt
	size   int64
	fanout [256]uint32
	names  []byte // n × 20, sorted
	off32  []byte // n × 4
	off64  []byte // m × 8
	closer io.Closer
	// data is the whole pack, once loadAll has read it for a scan of many
	// objects; reads then need no system call.
	data atomic.Pointer[[]byte]
}

// maxPackInMemory bounds the packs that a scan reads whole into memory,
// all together; the others are read object by object.
const maxPackInMemory = 512 << 20

// loadAll reads packs whole, for a scan of many objects, within
// maxPackInMemory.
func (p *packs) loadAll() {
	if p == nil {
		return
	}
	p.loadOnce.Do(func() {
		var total int64
		for _, f := range p.files {
			if total+f.size > maxPackInMemory {
				continue
			}
			data := make([]byte, f.size)
			if _, err := f.r.ReadAt(data, 0); err == nil {
				f.data.Store(&data)
				total += f.size
			}
		}
	})
}

// mem is the whole pack when loadAll has read it, or nil.
func (f *packFile) mem() []byte {
	if p := f.data.Load(); p != nil {
		return *p
	}
	return nil
}

// readAt reads the pack at off into b, from memory when it is loaded.
func (f *packFile) readAt(b []byte, off int64) (int, error) {
	if data := f.mem(); data != nil {
		if off >= int64(len(data)) {
			return 0, io.EOF
		}
		n := copy(b, data[off:])
		if n < len(b) {
			return n, io.EOF
		}
		return n, nil
	}
	return f.r.ReadAt(b, off)
}

// maxDeltaDepth bounds a delta chain; git's default depth is 50, and a
// chain longer than this is read by go-git.
const maxDeltaDepth = 1000

// maxPackObject bounds an object packs holds in memory, the bases of a
// delta included: a larger one is left to go-git.
const maxPackObject = 64 << 20

// openPacks opens the pack files of st. It returns nil when there is
// nothing it can read; every read then goes to go-git.
func openPacks(st *filesystem.Storage) *packs {
	hashes, err := st.ObjectPacks()
	if err != nil || len(hashes) == 0 {
		return nil
	}
	fs := st.Filesystem()
	p := &packs{}
	for _, h := range hashes {
		f, err := openPackFile(fs, h)
		if err != nil {
			continue // go-git reads it
		}
		p.files = append(p.files, f)
	}
	if len(p.files) == 0 {
		return nil
	}
	return p
}

func openPackFile(fs billy.Filesystem, h plumbing.Hash) (*packFile, error) {
	base := fs.Join("objects", "pack", "pack-"+h.String())
	idx, err := readIndex(fs, base+".idx")
	if err != nil {
		return nil, err
	}
	p := &packFile{}
	// Version 2: magic, version, fanout, names, CRCs, 32-bit offsets,
	// 64-bit offsets, and two hashes.
	if len(idx) < 8+256*4+40 || !bytes.Equal(idx[:8], []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}) {
		return nil, errors.New("not a version 2 pack index")
	}
	for i := range 256 {
		p.fanout[i] = binary.BigEndian.Uint32(idx[8+4*i:])
	}
	n := int(p.fanout[255])
	rest := idx[8+256*4:]
	if n > len(rest)/28 || len(rest) < n*28+40 {
		return nil, errors.New("truncated pack index")
	}
	p.names, rest = rest[:n*20], rest[n*20:]
	rest = rest[n*4:] // CRCs
	p.off32, rest = rest[:n*4], rest[n*4:]
	p.off64 = rest[:len(rest)-40]
	f, err := fs.Open(base + ".pack")
	if err != nil {
		return nil, err
	}
	fi, err := fs.Stat(base + ".pack")
	if err != nil {
		f.Close()
		return nil, err
	}
	p.size, p.closer = fi.Size(), f
	p.r = &lockedReaderAt{r: f}
	// On disk, an *os.File reads from many goroutines at once, without
	// the lock: open the same file so, if it has the same size and
	// trailing checksum. (Every object read is checked against its hash
	// anyway.)
	if osf, err := os.Open(filepath.Join(fs.Root(), filepath.FromSlash(base+".pack"))); err == nil {
		if samePack(f, osf, p.size) {
			f.Close()
			p.r, p.closer = osf, osf
		} else {
			osf.Close()
		}
	}
	return p, nil
}

// samePack reports whether a and b, of size bytes, end in the same pack
// checksum.
func samePack(a io.ReaderAt, b *os.File, size int64) bool {
	fi, err := b.Stat()
	if err != nil || fi.Size() != size || size < 32 {
		return false
	}
	var x, y [20]byte
	if _, err := a.ReadAt(x[:], size-20); err != nil {
		return false
	}
	if _, err := b.ReadAt(y[:], size-20); err != nil {
		return false
	}
	return x == y
}

type lockedReaderAt struct {
	mu sync.Mutex
	r  io.ReaderAt
}

func (l *lockedReaderAt) ReadAt(b []byte, off int64) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.ReadAt(b, off)
}

// readIndex reads the pack index name, in one read of its size: not
// mapped, which a file truncated meanwhile would turn into a crash.
func readIndex(fs billy.Filesystem, name string) ([]byte, error) {
	if f, err := os.Open(filepath.Join(fs.Root(), filepath.FromSlash(name))); err == nil {
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() <= 1<<32 {
			if data, err := readFile(f, fi.Size()); err == nil {
				return data, nil
			}
		}
	}
	return readAll(fs, name)
}

func readAll(fs billy.Filesystem, name string) ([]byte, error) {
	f, err := fs.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 1<<32))
}

func (p *packs) close() {
	if p == nil {
		return
	}
	for _, f := range p.files {
		f.closer.Close()
	}
}

// offset finds h in the index: the object's offset in the pack.
func (f *packFile) offset(h plumbing.Hash) (int64, bool) {
	lo := 0
	if h[0] > 0 {
		lo = int(f.fanout[h[0]-1])
	}
	hi := int(f.fanout[h[0]])
	if hi > len(f.names)/20 || lo > hi {
		return 0, false
	}
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(f.names[m*20:m*20+20], h[:]); {
		case c == 0:
			off := binary.BigEndian.Uint32(f.off32[m*4:])
			if off&0x80000000 == 0 {
				return int64(off), true
			}
			i := int(off & 0x7fffffff)
			if i*8+8 > len(f.off64) {
				return 0, false
			}
			o := binary.BigEndian.Uint64(f.off64[i*8:])
			if o > 1<<62 {
				return 0, false
			}
			return int64(o), true
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return 0, false
}

// Object types in a pack.
const (
	objCommit   = 1
	objTree     = 2
	objBlob     = 3
	objTag      = 4
	objOfsDelta = 6
	objRefDelta = 7
)

// packReader reads objects for one goroutine: its zlib state and a cache
// of the delta bases it decoded, by pack and offset.
type packReader struct {
	p      *packs
	zr     io.ReadCloser
	br     *bufio.Reader
	mem    *bytes.Reader
	cache  map[packPos][]byte
	typ    map[packPos]int
	cached int
	budget int
	// inflated counts the bytes the reader inflated.
	inflated int64
}

// inflatedBytes is how many bytes r inflated; 0 for no reader.
func (r *packReader) inflatedBytes() int64 {
	if r == nil {
		return 0
	}
	return r.inflated
}

type packPos struct {
	f   *packFile
	off int64
}

// Budgets of the delta bases one reader keeps: a reader of a scan meets
// each base once, in pack order; the readers of single files, one per
// goroutine that reads, keep less.
const (
	scanCacheBudget = 32 << 20
	fileCacheBudget = 4 << 20
)

func (p *packs) reader(budget int) *packReader {
	return &packReader{p: p, budget: budget, cache: map[packPos][]byte{}, typ: map[packPos]int{}}
}

// blob returns the content of blob h, or errPackMiss. A blob over limit
// bytes is a *TooLargeError with no Path.
func (r *packReader) blob(h plumbing.Hash, limit int64) ([]byte, error) {
	return r.object(h, objBlob, limit)
}

// object returns the content of the object h of type want.
func (r *packReader) object(h plumbing.Hash, want int, limit int64) ([]byte, error) {
	typ, data, err := r.anyObject(h, limit)
	if err == nil && typ != want {
		return nil, errPackMiss
	}
	return data, err
}

// anyObject returns the type and content of the object h.
func (r *packReader) anyObject(h plumbing.Hash, limit int64) (int, []byte, error) {
	if r == nil {
		return 0, nil, errPackMiss
	}
	for _, f := range r.p.files {
		off, ok := f.offset(h)
		if !ok {
			continue
		}
		typ, data, err := r.at(f, off, 0, limit)
		var tooLarge *TooLargeError
		if errors.As(err, &tooLarge) {
			return 0, nil, err
		}
		if err != nil || objectHash(typ, data) != h {
			return 0, nil, errPackMiss
		}
		return typ, data, nil
	}
	return 0, nil, errPackMiss
}

func objectHash(typ int, data []byte) plumbing.Hash {
	name := [...]string{objCommit: "commit", objTree: "tree", objBlob: "blob", objTag: "tag"}[typ]
	s := sha1.New()
	s.Write([]byte(name + " " + strconv.Itoa(len(data)) + "\x00"))
	s.Write(data)
	var out plumbing.Hash
	s.Sum(out[:0])
	return out
}

// objectHashString is objectHash of a string, without a copy of it.
func objectHashString(typ int, data string) plumbing.Hash {
	name := [...]string{objCommit: "commit", objTree: "tree", objBlob: "blob", objTag: "tag"}[typ]
	s := sha1.New()
	s.Write([]byte(name + " " + strconv.Itoa(len(data)) + "\x00"))
	var buf [8 << 10]byte
	for len(data) > 0 {
		n := copy(buf[:], data)
		s.Write(buf[:n])
		data = data[n:]
	}
	var out plumbing.Hash
	s.Sum(out[:0])
	return out
}

// at reads the object at off in f, resolving deltas, and returns its type
// and content. limit bounds the content of the object asked for, not of
// its bases.
func (r *packReader) at(f *packFile, off int64, depth int, limit int64) (int, []byte, error) {
	pos := packPos{f, off}
	if data, ok := r.cache[pos]; ok {
		if int64(len(data)) > limit {
			return r.typ[pos], nil, &TooLargeError{Size: int64(len(data)), Limit: limit}
		}
		return r.typ[pos], data, nil
	}
	if depth > maxDeltaDepth {
		return 0, nil, errPackMiss
	}
	var hdr [32]byte
	n, err := f.readAt(hdr[:], off)
	if n == 0 || (err != nil && !errors.Is(err, io.EOF)) {
		return 0, nil, errPackMiss
	}
	b := hdr[:n]
	c := b[0]
	typ := int(c>>4) & 7
	size := int64(c & 0x0f)
	i, shift := 1, 4
	for c&0x80 != 0 {
		if i >= len(b) || shift > 56 {
			return 0, nil, errPackMiss
		}
		c = b[i]
		size |= int64(c&0x7f) << shift
		shift += 7
		i++
	}
	switch typ {
	case objCommit, objTree, objBlob, objTag:
		if size > limit {
			return typ, nil, &TooLargeError{Size: size, Limit: limit}
		}
		if size > maxPackObject {
			return 0, nil, errPackMiss
		}
		data, err := r.inflate(f, off+int64(i), size)
		if err != nil {
			return 0, nil, err
		}
		r.keep(pos, typ, data)
		return typ, data, nil
	case objOfsDelta, objRefDelta:
	default:
		return 0, nil, errPackMiss
	}
	var base int64
	if typ == objOfsDelta {
		if i >= len(b) {
			return 0, nil, errPackMiss
		}
		c := b[i]
		i++
		rel := int64(c & 0x7f)
		for c&0x80 != 0 {
			if i >= len(b) || rel > 1<<48 {
				return 0, nil, errPackMiss
			}
			c = b[i]
			i++
			rel = (rel+1)<<7 | int64(c&0x7f)
		}
		if rel <= 0 || rel > off {
			return 0, nil, errPackMiss
		}
		base = off - rel
	} else {
		if i+20 > len(b) {
			return 0, nil, errPackMiss
		}
		var h plumbing.Hash
		copy(h[:], b[i:i+20])
		i += 20
		var ok bool
		if base, ok = f.offset(h); !ok {
			return 0, nil, errPackMiss
		}
	}
	if size > maxPackObject {
		return 0, nil, errPackMiss
	}
	delta, err := r.inflate(f, off+int64(i), size)
	if err != nil {
		return 0, nil, err
	}
	// The delta names the size of its result: refuse an oversized object
	// before building it.
	_, d := deltaSize(delta)
	target, _ := deltaSize(delta[d:])
	if target > limit {
		// The type is the base's; the caller asks go-git when it matters.
		return objBlob, nil, &TooLargeError{Size: target, Limit: limit}
	}
	btyp, src, err := r.at(f, base, depth+1, maxPackObject)
	if err != nil {
		var tooLarge *TooLargeError
		if errors.As(err, &tooLarge) {
			return 0, nil, errPackMiss
		}
		return 0, nil, err
	}
	data, err := applyDelta(src, delta)
	if err != nil {
		return 0, nil, errPackMiss
	}
	r.keep(pos, btyp, data)
	return btyp, data, nil
}

// keep caches an object that may be the base of another, within budget.
func (r *packReader) keep(pos packPos, typ int, data []byte) {
	if r.cached+len(data) > r.budget {
		clear(r.cache)
		clear(r.typ)
		r.cached = 0
	}
	r.cache[pos] = data
	r.typ[pos] = typ
	r.cached += len(data)
}

// inflate reads size bytes of zlib data at off.
func (r *packReader) inflate(f *packFile, off, size int64) ([]byte, error) {
	var src io.Reader
	if data := f.mem(); data != nil {
		if off > int64(len(data)) {
			return nil, errPackMiss
		}
		if r.mem == nil {
			r.mem = bytes.NewReader(nil)
		}
		r.mem.Reset(data[off:])
		src = r.mem
	} else {
		sr := io.NewSectionReader(f.r, off, f.size-off)
		if r.br == nil {
			r.br = bufio.NewReaderSize(sr, 4096)
		} else {
			r.br.Reset(sr)
		}
		src = r.br
	}
	// The zlib header, then raw deflate: the adler-32 at the end goes
	// unread, since the object's hash checks it all. klauspost's inflate
	// takes about 10% less CPU than the standard library's on trees, which
	// are most of what a review with a scan index inflates.
	var hdr [2]byte
	if _, err := io.ReadFull(src, hdr[:]); err != nil || hdr[0]&0x0f != 8 || hdr[1]&0x20 != 0 || (uint16(hdr[0])<<8|uint16(hdr[1]))%31 != 0 {
		return nil, errPackMiss
	}
	if r.zr == nil {
		r.zr = flate.NewReader(src)
	} else if err := r.zr.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, errPackMiss
	}
	r.inflated += size
	data := make([]byte, size)
	if _, err := io.ReadFull(r.zr, data); err != nil {
		return nil, errPackMiss
	}
	return data, nil
}

// deltaSize reads a delta header's size: the value and the bytes it took.
func deltaSize(b []byte) (int64, int) {
	var v int64
	for i, shift := 0, 0; i < len(b) && shift < 63; i, shift = i+1, shift+7 {
		v |= int64(b[i]&0x7f) << shift
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return -1, len(b)
}

// applyDelta builds an object from its base and a git delta.
func applyDelta(src, delta []byte) ([]byte, error) {
	srcSize, n := deltaSize(delta)
	if srcSize != int64(len(src)) {
		return nil, fmt.Errorf("delta base is %d bytes, want %d", len(src), srcSize)
	}
	delta = delta[n:]
	dstSize, n := deltaSize(delta)
	if dstSize < 0 || dstSize > maxPackObject {
		return nil, errors.New("bad delta size")
	}
	delta = delta[n:]
	dst := make([]byte, 0, dstSize)
	for len(delta) > 0 {
		op := delta[0]
		delta = delta[1:]
		switch {
		case op&0x80 != 0:
			var off, size int64
			for i := range 4 {
				if op&(1<<i) != 0 {
					if len(delta) == 0 {
						return nil, errors.New("truncated delta")
					}
					off |= int64(delta[0]) << (8 * i)
					delta = delta[1:]
				}
			}
			for i := range 3 {
				if op&(0x10<<i) != 0 {
					if len(delta) == 0 {
						return nil, errors.New("truncated delta")
					}
					size |= int64(delta[0]) << (8 * i)
					delta = delta[1:]
				}
			}
			if size == 0 {
				size = 0x10000
			}
			if off+size > int64(len(src)) || int64(len(dst))+size > dstSize {
				return nil, errors.New("delta copy out of range")
			}
			dst = append(dst, src[off:off+size]...)
		case op != 0:
			if int(op) > len(delta) || int64(len(dst))+int64(op) > dstSize {
				return nil, errors.New("delta insert out of range")
			}
			dst = append(dst, delta[:op]...)
			delta = delta[op:]
		default:
			return nil, errors.New("delta opcode 0")
		}
	}
	if int64(len(dst)) != dstSize {
		return nil, errors.New("delta result of the wrong size")
	}
	return dst, nil
}

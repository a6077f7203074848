package source

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// gitObjects reads the objects of one opened repository for every tree
// taken from it (a revision and its merge base share one). Trees are
// decoded once each and kept, by hash; blobs and trees are read from the
// pack files without a lock where packs can, and through go-git, behind
// mu, where not.
type gitObjects struct {
	// mu serialises go-git: its object storage is not safe for
	// concurrent use.
	mu   sync.Mutex
	repo *git.Repository

	packsOnce sync.Once
	packs     *packs
	readers   sync.Pool // *packReader

	treesMu sync.Mutex
	trees   map[plumbing.Hash]*treeNode
	// treeBytes counts the bytes of the trees decoded, against
	// maxTreeBytes.
	treeBytes atomic.Int64

	// cache, when set, holds trees of earlier reviews and keeps those
	// decoded here for the next.
	cache atomic.Pointer[scanCache]
}

// treeNode is a decoded tree: its entries in git's order, and by name.
type treeNode struct {
	// raw is the tree object; each entry's name and hash are slices of
	// it, so that a directory of thousands of files is decoded without a
	// pointer per entry for the collector to follow.
	raw     string
	entries []treeEntry
	// sorted is set when the entries are strictly in git's order (see
	// gitCompare), as git writes every tree, with no name that holds a
	// "/" and no name twice: then a lookup is a binary search and a diff
	// a merge. Any other tree, which git fsck flags and only a hand-made
	// object holds, is looked up through byName, made on the first
	// lookup, and diffed by name:
	//   - gitCompare orders names as if a directory's ended in "/", so it
	//     is an order of names only where no name holds one: a hand-made
	//     tree may hold "a/x", which compares equal to a directory "a"
	//     and is not the entry "a";
	//   - a file and a directory of one name sort apart ("a" and "a/"),
	//     and the merge would pair the file with a file alone, while a
	//     read of the name finds the directory: a tree that drops the
	//     directory brings the file into view, and the merge saw no
	//     change there.
	sorted bool
	once   sync.Once
	byName map[string]int
}

// treeEntry is an entry of a tree: its name is raw[name:end], and its
// hash the 20 bytes after the NUL at end.
type treeEntry struct {
	name, end uint32
	mode      filemode.FileMode
}

// newTreeNode decodes the tree object raw: entries of
// "<mode> <name>\0<hash>".
func newTreeNode(raw string) (*treeNode, error) {
	n := &treeNode{raw: raw, sorted: true}
	if int64(len(raw)) > 1<<32-22 {
		return nil, errors.New("tree too large")
	}
	if len(raw) > 0 {
		// An entry is at least 23 bytes, a spec's some 50.
		n.entries = make([]treeEntry, 0, len(raw)/40+1)
	}
	for i := 0; i < len(raw); {
		sp := strings.IndexByte(raw[i:], ' ')
		if sp < 0 {
			return nil, errors.New("malformed tree entry")
		}
		mode, err := parseMode(raw[i : i+sp])
		if err != nil {
			return nil, err
		}
		i += sp + 1
		nul := strings.IndexByte(raw[i:], 0)
		if nul <= 0 || len(raw)-i < nul+1+20 {
			// An empty name too, which go-git refuses and git cannot
			// check out.
			return nil, errors.New("malformed tree entry")
		}
		e := treeEntry{name: uint32(i), end: uint32(i + nul), mode: mode}
		if strings.IndexByte(raw[i:i+nul], '/') >= 0 {
			n.sorted = false
		}
		if k := len(n.entries); n.sorted && k > 0 && gitCompare(n.name(k-1), n.entries[k-1].mode == filemode.Dir, raw[i:i+nul], mode == filemode.Dir) >= 0 {
			n.sorted = false
		}
		n.entries = append(n.entries, e)
		i += nul + 21
	}
	if n.sorted {
		// A directory's file of the same name sorts before it.
		for i := range n.entries {
			if n.entries[i].mode == filemode.Dir {
				if _, ok := n.search(n.name(i), false); ok {
					n.sorted = false
					break
				}
			}
		}
	}
	return n, nil
}

// name is the name of entry i.
func (n *treeNode) name(i int) string { return n.raw[n.entries[i].name:n.entries[i].end] }

// mode is the mode of entry i, as git reads it.
func (n *treeNode) mode(i int) filemode.FileMode { return n.entries[i].mode }

// hash is the object id of entry i.
func (n *treeNode) hash(i int) plumbing.Hash {
	var h plumbing.Hash
	copy(h[:], n.raw[n.entries[i].end+1:])
	return h
}

// entry is entry i as go-git has it.
func (n *treeNode) entry(i int) object.TreeEntry {
	return object.TreeEntry{Name: n.name(i), Mode: n.mode(i), Hash: n.hash(i)}
}

// same reports whether entry i of n and entry j of m are one name, mode
// and object.
func (n *treeNode) same(i int, m *treeNode, j int) bool {
	a, b := n.entries[i], m.entries[j]
	return a.mode == b.mode && n.raw[a.name:a.end+21] == m.raw[b.name:b.end+21]
}

// index returns the index of the entry called name: of the last one, in a
// tree that has two.
func (n *treeNode) index(name string) (int, bool) {
	if n.sorted {
		// A directory or a file: a sorted tree has not both.
		i, ok := n.search(name, true)
		if !ok {
			i, ok = n.search(name, false)
		}
		return i, ok
	}
	n.once.Do(func() {
		n.byName = make(map[string]int, len(n.entries))
		for i := range n.entries {
			n.byName[n.name(i)] = i
		}
	})
	i, ok := n.byName[name]
	return i, ok
}

// search finds the entry called name that is a directory or not, in a
// tree in git's order. That order compares "a/" or "a/x" equal to a
// directory "a": what the search finds must be called name. A sorted tree
// holds no name with a "/", but the name looked for may.
func (n *treeNode) search(name string, dir bool) (int, bool) {
	lo, hi := 0, len(n.entries)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := gitCompare(n.name(m), n.entries[m].mode == filemode.Dir, name, dir); {
		case c == 0:
			return m, n.name(m) == name && (n.entries[m].mode == filemode.Dir) == dir
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return lo, false
}

// gitCompare orders tree entries as git does: by name, a directory's name
// as if it ended in "/".
func gitCompare(a string, aDir bool, b string, bDir bool) int {
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	next := func(s string, dir bool) byte {
		switch {
		case len(s) > n:
			return s[n]
		case dir:
			return '/'
		}
		return 0
	}
	return cmp.Compare(next(a, aDir), next(b, bDir))
}

func newGitObjects(r *git.Repository) *gitObjects {
	o := &gitObjects{repo: r, trees: map[plumbing.Hash]*treeNode{}}
	// go-git reads revisions and walks history through o's packs: its
	// own reading would first index every object of every pack.
	if st, ok := r.Storer.(*filesystem.Storage); ok {
		if wrapped, err := git.Open(&packStorage{st, o}, nil); err == nil {
			o.repo = wrapped
		}
	}
	return o
}

// packStorage is go-git's storage of a repository, with its commits and
// tags read from the packs by gitObjects, checked against their ids.
type packStorage struct {
	*filesystem.Storage
	objs *gitObjects
}

func (s *packStorage) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	switch t {
	case plumbing.CommitObject, plumbing.TagObject, plumbing.AnyObject:
		r := s.objs.reader()
		typ, data, err := r.anyObject(h, maxPackObject)
		s.objs.put(r)
		if err == nil && (typ == objCommit || typ == objTag) && (t == plumbing.AnyObject || int(t) == typ) {
			o := &plumbing.MemoryObject{}
			o.SetType(plumbing.ObjectType(typ))
			if _, err := o.Write(data); err == nil {
				return o, nil
			}
		}
	}
	return s.Storage.EncodedObject(t, h)
}

// fsStorage is the file system storage of r.
func fsStorage(r *git.Repository) (*filesystem.Storage, bool) {
	switch st := r.Storer.(type) {
	case *filesystem.Storage:
		return st, true
	case *packStorage:
		return st.Storage, true
	}
	return nil, false
}

func (o *gitObjects) pack() *packs {
	o.packsOnce.Do(func() {
		if st, ok := fsStorage(o.repo); ok {
			o.packs = openPacks(st)
		}
	})
	return o.packs
}

// reader lends a pack reader; give it back with put.
func (o *gitObjects) reader() *packReader {
	p := o.pack()
	if p == nil {
		return nil
	}
	if r, ok := o.readers.Get().(*packReader); ok {
		return r
	}
	return p.reader(fileCacheBudget)
}

func (o *gitObjects) put(r *packReader) {
	if r != nil {
		o.readers.Put(r)
	}
}

// tree returns the decoded tree h.
func (o *gitObjects) tree(h plumbing.Hash) (*treeNode, error) {
	o.treesMu.Lock()
	n, ok := o.trees[h]
	o.treesMu.Unlock()
	if ok {
		return n, nil
	}
	c := o.cache.Load()
	var err error
	if raw, ok := c.tree(h); ok {
		n, err = newTreeNode(raw)
	} else {
		r := o.reader()
		var data []byte
		data, err = r.object(h, objTree, maxPackObject)
		if err == nil {
			// The pack reader checked it against h.
			c.addTree(h, data)
			n, err = newTreeNode(string(data))
		}
		o.put(r)
	}
	if err != nil {
		// go-git reads what the packs could not (a loose tree), checked
		// against its id as the pack reader checks, and decoded as one.
		if n, err = o.looseTree(h); err != nil {
			return nil, err
		}
	}
	// Each tree is kept, so what they hold is bounded, not only their
	// entries (maxTreePaths): a tree of one entry may be 64 MiB of name,
	// and a pack of deltas holds thousands of them in a few bytes each.
	if o.treeBytes.Add(int64(len(n.raw))) > maxTreeBytes {
		return nil, tooManyTreeBytes()
	}
	o.treesMu.Lock()
	o.trees[h] = n
	o.treesMu.Unlock()
	return n, nil
}

// maxTreeBytes bounds the bytes of the trees one opened repository
// decodes (lower in tests): base, head and their merge base listed
// whole, maxTreePaths entries each of a long name, are some hundreds of
// MiB.
var maxTreeBytes int64 = 1 << 30

// tooManyTreeBytes is the TreeError of trees over maxTreeBytes.
func tooManyTreeBytes() *TreeError {
	return &TreeError{Path: ".",
		Msg:  fmt.Sprintf("the trees nhigate read hold more than %d bytes, the most it decodes in one review (trees of very long names, or very many trees)", maxTreeBytes),
		Hint: "split the change, or move the files out of the repository"}
}

// looseTree reads tree h through go-git's storage, which does not check an
// object against its id: it is hashed here, so that a damaged or replaced
// loose tree fails the review instead of hiding or adding files.
func (o *gitObjects) looseTree(h plumbing.Hash) (*treeNode, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	obj, err := o.repo.Storer.EncodedObject(plumbing.TreeObject, h)
	if err != nil {
		return nil, err
	}
	if obj.Size() > maxPackObject {
		return nil, fmt.Errorf("tree %s: %d bytes, more than %d", h, obj.Size(), maxPackObject)
	}
	rd, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	data, err := io.ReadAll(io.LimitReader(rd, maxPackObject+1))
	if err != nil {
		return nil, err
	}
	if plumbing.ComputeHash(plumbing.TreeObject, data) != h {
		return nil, fmt.Errorf("tree %s does not hash to its id: the repository is damaged; run git fsck", h)
	}
	return newTreeNode(string(data))
}

// parseMode reads a tree entry's mode as git does (see canonicalMode),
// the modes git writes without parsing them.
func parseMode(s string) (filemode.FileMode, error) {
	switch s {
	case "100644":
		return filemode.Regular, nil
	case "40000":
		return filemode.Dir, nil
	case "100755":
		return filemode.Executable, nil
	}
	m, err := filemode.New(s)
	return canonicalMode(m), err
}

// canonicalMode is the mode git reads a tree entry's mode as (its
// canon_mode), and go-git's tree decoder too: 100600 is a regular file,
// 040755 a directory, 120777 a symlink, anything else a submodule. A tree
// may hold such modes (git fsck only notes "badFilemode") and a checkout
// writes them as what they canonically are, so reading them raw hid
// a spec, a directory of specs or a symlink from the review.
func canonicalMode(m filemode.FileMode) filemode.FileMode {
	switch m & 0o170000 {
	case 0o040000:
		return filemode.Dir
	case 0o100000:
		if m&0o111 != 0 {
			return filemode.Executable
		}
		return filemode.Regular
	case 0o120000:
		return filemode.Symlink
	}
	return filemode.Submodule
}

// blob returns the content of blob h, at most limit bytes; over it, a
// *TooLargeError naming p.
func (o *gitObjects) blob(p string, h plumbing.Hash, limit int64) ([]byte, error) {
	r := o.reader()
	data, err := r.blob(h, limit)
	o.put(r)
	var tooLarge *TooLargeError
	switch {
	case err == nil:
		// The reader keeps it as a delta base: the caller gets its own.
		return bytes.Clone(data), nil
	case errors.As(err, &tooLarge):
		tooLarge.Path = p
		return nil, tooLarge
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	b, err := o.repo.BlobObject(h)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if b.Size > limit {
		return nil, &TooLargeError{Path: p, Size: b.Size, Limit: limit}
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	defer rd.Close()
	data, err = io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	// go-git does not check a loose object against its id, as the pack
	// reader does: content under another's id would be read as that
	// object, and a scan cache would keep its digest under that id.
	if blobHash(data) != h {
		return nil, fmt.Errorf("read %s: object %s does not hash to its id: the repository is damaged; run git fsck", p, h)
	}
	return data, nil
}

// find returns the entry at the slash-separated path p below root, as
// go-git's Tree.FindEntry does: object.ErrDirectoryNotFound when a
// directory on the way is missing, object.ErrEntryNotFound when the last
// element is.
func (o *gitObjects) find(root plumbing.Hash, p string) (*object.TreeEntry, error) {
	if err := validTreePath(p); err != nil {
		return nil, err
	}
	n, err := o.tree(root)
	if err != nil {
		return nil, err
	}
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		j, ok := n.index(seg)
		if !ok {
			if i < len(segs)-1 {
				return nil, object.ErrDirectoryNotFound
			}
			return nil, object.ErrEntryNotFound
		}
		if i == len(segs)-1 {
			e := n.entry(j)
			return &e, nil
		}
		if n.mode(j) != filemode.Dir {
			return nil, object.ErrDirectoryNotFound
		}
		if n, err = o.tree(n.hash(j)); err != nil {
			return nil, err
		}
	}
	return nil, object.ErrEntryNotFound
}

// errInvalidTreePath is a path go-git's FindEntry refuses.
var errInvalidTreePath = errors.New("invalid path")

// validTreePath refuses what go-git's FindEntry refuses, so that such a
// path is an error, as it was when go-git looked it up: control
// characters, no element, "." or ".." or a ".git" element (in any case,
// with trailing dots or spaces, or as NTFS's short name git~1), with "/"
// or "\\" between elements.
func validTreePath(p string) error {
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return fmt.Errorf("%w %q: contains control character", errInvalidTreePath, p)
		}
	}
	parts := strings.FieldsFunc(p, func(r rune) bool { return r == '\\' || r == '/' })
	if len(parts) == 0 {
		return fmt.Errorf("%w: %q", errInvalidTreePath, p)
	}
	for _, part := range parts {
		if part == "." || part == ".." {
			return fmt.Errorf("%w %q: cannot use %q", errInvalidTreePath, p, part)
		}
		if t := strings.TrimRight(part, ". "); strings.EqualFold(t, ".git") || strings.EqualFold(t, "git~1") {
			return fmt.Errorf("%w component: %q", errInvalidTreePath, p)
		}
	}
	return nil
}

// subtree returns the tree at directory dir below root, or nil when there
// is none.
func (o *gitObjects) subtree(root plumbing.Hash, dir string) (plumbing.Hash, bool, error) {
	if dir == "." || dir == "" {
		return root, true, nil
	}
	e, err := o.find(root, dir)
	switch {
	case errors.Is(err, object.ErrDirectoryNotFound), errors.Is(err, object.ErrEntryNotFound):
		return plumbing.ZeroHash, false, nil
	case err != nil:
		return plumbing.ZeroHash, false, err
	case e.Mode != filemode.Dir:
		return plumbing.ZeroHash, false, nil
	}
	return e.Hash, true, nil
}

// maxTreePaths bounds the paths one listing of a tree goes through: its
// files, or its directories (gitObjects.walk, pairDirs). A tree that
// holds one subtree many times names exponentially many paths with few
// objects (16 copies of a directory, 8 deep, are 4.3e9 paths); a review
// of one fails closed with this limit named rather than run for hours.
const maxTreePaths = 1 << 20

// A TreeError is a git tree that a review will not judge: an entry that
// no `git add` writes, in a tree the change touches (see checkName and
// errTwice), or more paths than a review lists (maxTreePaths). It is the
// author's to fix, and the review blocks on it.
type TreeError struct {
	Path string // the directory it is in, "." for the top
	Msg  string // what is wrong, and where
	Hint string // what to do
}

func (e *TreeError) Error() string { return e.Msg + "; " + e.Hint }

// tooManyPaths is the TreeError of a tree below prefix with more than
// maxTreePaths paths.
func tooManyPaths(prefix string) *TreeError {
	where := "the tree"
	if prefix != "" {
		where = prefix + "/"
	}
	return &TreeError{Path: dirOrTop(prefix),
		Msg:  fmt.Sprintf("%s holds more than %d paths, the most nhigate lists in a review (a directory that holds copies of itself names exponentially many)", where, maxTreePaths),
		Hint: "split the change, or move the files out of the repository"}
}

func dirOrTop(prefix string) string {
	if prefix == "" {
		return "."
	}
	return prefix
}

// walk calls fn for every entry that is not a directory below the tree h,
// with its path below prefix, and fails past maxTreePaths of them.
func (o *gitObjects) walk(ctx context.Context, h plumbing.Hash, prefix string, fn func(string, *object.TreeEntry)) error {
	n := 0
	return o.walkN(ctx, h, prefix, fn, &n, prefix)
}

func (o *gitObjects) walkN(ctx context.Context, h plumbing.Hash, prefix string, fn func(string, *object.TreeEntry), count *int, top string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n, err := o.tree(h)
	if err != nil {
		return err
	}
	if *count += len(n.entries); *count > maxTreePaths {
		return tooManyPaths(top)
	}
	join := joinIn(prefix)
	// One entry for every call of fn, which must not keep it.
	var e object.TreeEntry
	for i := range n.entries {
		e = n.entry(i)
		p := join(e.Name)
		if e.Mode == filemode.Dir {
			if err := o.walkN(ctx, e.Hash, p, fn, count, top); err != nil {
				return err
			}
			continue
		}
		fn(p, &e)
	}
	return nil
}

// joinName is path.Join(prefix, name), without its cost for the names
// that it would not clean.
func joinName(prefix, name string) string { return joinIn(prefix)(name) }

// joinIn returns joinName(prefix, name) as a function of name, for the
// entries of one directory: prefix is checked once.
func joinIn(prefix string) func(name string) string {
	if prefix == "" || prefix == "." || strings.HasSuffix(prefix, "/") || path.Clean(prefix) != prefix {
		return func(name string) string { return path.Join(prefix, name) }
	}
	return func(name string) string {
		if name == "" || name == "." || name == ".." || strings.IndexByte(name, '/') >= 0 {
			return path.Join(prefix, name)
		}
		return prefix + "/" + name
	}
}

// pair is an entry of tree a and one of tree b that differ: indices into
// their entries, -1 where a side has no entry of that name.
type pair struct{ a, b int }

// differing pairs the entries of an and bn by name and kind and returns
// the pairs that differ, in hash or mode, or have one side only. Two trees
// in git's order are merged; others are matched through a map, where a
// file and a directory of one name pair up.
func differing(an, bn *treeNode) []pair {
	var out []pair
	if !an.sorted || !bn.sorted {
		for i := range an.entries {
			j, ok := bn.index(an.name(i))
			if !ok {
				out = append(out, pair{i, -1})
			} else if an.hash(i) != bn.hash(j) || an.mode(i) != bn.mode(j) {
				out = append(out, pair{i, j})
			}
		}
		for j := range bn.entries {
			if _, ok := an.index(bn.name(j)); !ok {
				out = append(out, pair{-1, j})
			}
		}
		return out
	}
	// A file and a directory of one name sort apart, and so come out as
	// two one-sided pairs: the file, and everything below the directory.
	i, j := 0, 0
	for i < len(an.entries) || j < len(bn.entries) {
		var c int
		switch {
		case i == len(an.entries):
			c = 1
		case j == len(bn.entries):
			c = -1
		case an.same(i, bn, j):
			i, j = i+1, j+1
			continue
		default:
			c = gitCompare(an.name(i), an.mode(i) == filemode.Dir, bn.name(j), bn.mode(j) == filemode.Dir)
		}
		switch {
		case c < 0:
			out = append(out, pair{i, -1})
			i++
		case c > 0:
			out = append(out, pair{-1, j})
			j++
		default:
			out = append(out, pair{i, j})
			i, j = i+1, j+1
		}
	}
	return out
}

// prefetch decodes, on every core, the subtrees of a and b that diffTrees
// will descend into, so that the descent finds them cached. Errors are left
// for the descent to meet.
func prefetch(oa, ob *gitObjects, an, bn *treeNode, diff []pair) {
	type job struct {
		o *gitObjects
		h plumbing.Hash
	}
	var jobs []job
	for _, d := range diff {
		if d.a < 0 || d.b < 0 {
			continue
		}
		if an.mode(d.a) == filemode.Dir && bn.mode(d.b) == filemode.Dir {
			jobs = append(jobs, job{oa, an.hash(d.a)}, job{ob, bn.hash(d.b)})
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	if workers < 2 {
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				jobs[i].o.tree(jobs[i].h)
			}
		})
	}
	wg.Wait()
}

// diffTrees adds to changed the paths of the entries that differ between
// the tree a of oa and the tree b of ob, decoding only the subtrees whose
// hashes differ: object hashes name content, so trees compare by hash
// even across two opened copies of a repository. An entry differs in hash
// or in mode; a file and a directory of one name differ as the file and
// every entry below the directory.
func diffTrees(ctx context.Context, oa *gitObjects, a plumbing.Hash, ob *gitObjects, b plumbing.Hash, prefix string, changed map[string]bool) error {
	return treeDiff{oa: oa, ob: ob, changed: changed, same: map[[2]plumbing.Hash]bool{}}.trees(ctx, a, b, prefix)
}

// treeDiff is one diffTrees. same holds the pairs of trees that differ in
// id and hold the same entries (their modes spelled otherwise, below
// them): such a pair adds no path wherever it is met again, and a tree
// holding copies of one is compared once, not once per path to it.
type treeDiff struct {
	oa, ob  *gitObjects
	changed map[string]bool
	same    map[[2]plumbing.Hash]bool
}

func (t treeDiff) trees(ctx context.Context, a, b plumbing.Hash, prefix string) error {
	if a == b || t.same[[2]plumbing.Hash{a, b}] {
		return nil
	}
	before := len(t.changed)
	if err := t.pair(ctx, a, b, prefix); err != nil {
		return err
	}
	if len(t.changed) == before {
		t.same[[2]plumbing.Hash{a, b}] = true
	}
	return nil
}

func (t treeDiff) pair(ctx context.Context, a, b plumbing.Hash, prefix string) error {
	oa, ob, changed := t.oa, t.ob, t.changed
	if err := ctx.Err(); err != nil {
		return err
	}
	an, err := oa.tree(a)
	if err != nil {
		return err
	}
	bn, err := ob.tree(b)
	if err != nil {
		return err
	}
	// side adds every path at or below entry i of n, of base (head
	// false) or head.
	side := func(head bool, n *treeNode, i int) error {
		o := oa
		if head {
			o = ob
		}
		p := joinName(prefix, n.name(i))
		if n.mode(i) == filemode.Dir {
			if err := o.walk(ctx, n.hash(i), p, func(q string, _ *object.TreeEntry) { changed[q] = true }); err != nil {
				return err
			}
			if head {
				return checkNames(ctx, o, n.hash(i), p)
			}
			return nil
		}
		changed[p] = true
		return nil
	}
	// A name twice in a tree of head that differs, whichever of its
	// entries differ: the map pairs a name once, and the other entry of
	// it, new, need not be among the pairs.
	if twice := bn.twice(); len(twice) > 0 {
		return errTwice(prefix, twice[0])
	}
	diff := differing(an, bn)
	for _, d := range diff {
		if d.b >= 0 {
			if err := checkName(prefix, bn.name(d.b)); err != nil {
				return err
			}
		}
	}
	prefetch(oa, ob, an, bn, diff)
	for _, d := range diff {
		switch {
		case d.b < 0:
			err = side(false, an, d.a)
		case d.a < 0:
			err = side(true, bn, d.b)
		case an.mode(d.a) == filemode.Dir && bn.mode(d.b) == filemode.Dir:
			err = t.trees(ctx, an.hash(d.a), bn.hash(d.b), joinName(prefix, an.name(d.a)))
		default:
			if err = side(false, an, d.a); err == nil {
				err = side(true, bn, d.b)
			}
		}
		if err != nil {
			return err
		}
		if len(changed) > maxTreePaths {
			return tooManyPaths(prefix)
		}
	}
	return nil
}

// checkName refuses a name of a changed entry of head that holds a "/",
// or is "." or "..". git writes no such tree, and git fsck only warns of
// it (fullPathname, hasDot, hasDotdot), but a checkout writes an entry at
// the path its name spells: a root entry named "identities/x.yaml" is
// checked out as identities/x.yaml, which nhigate, reading the trees by
// element, would never read. The paths of the others, joined, name
// another entry or none ("identities/./x.yaml" is identities/x.yaml).
func checkName(prefix, name string) error {
	var what string
	switch {
	case strings.IndexByte(name, '/') >= 0:
		what = `a name with a "/" is no path git writes (git fsck: fullPathname), and a checkout writes it as the path it spells, which nhigate does not read`
	case name == "." || name == "..":
		what = "no path git writes (git fsck: hasDot, hasDotdot), and its files' paths name other files or none"
	default:
		return nil
	}
	return &TreeError{Path: dirOrTop(prefix),
		Msg:  fmt.Sprintf("a tree entry named %q %s: %s", strings.ToValidUTF8(name, "\uFFFD"), where(prefix), what),
		Hint: "commit the files from a checkout with git add"}
}

// where says where in the tree the directory prefix is.
func where(prefix string) string {
	if prefix == "" {
		return "at the top of the tree"
	}
	return "in " + strings.ToValidUTF8(prefix, "\uFFFD") + "/"
}

// checkNames runs checkName on every entry below the tree h of o, at path
// prefix, and refuses a name twice in any of its trees. Each tree is
// checked once, wherever it appears.
func checkNames(ctx context.Context, o *gitObjects, h plumbing.Hash, prefix string) error {
	seen := map[plumbing.Hash]bool{}
	var check func(h plumbing.Hash, prefix string) error
	check = func(h plumbing.Hash, prefix string) error {
		if seen[h] {
			return nil
		}
		seen[h] = true
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := o.tree(h)
		if err != nil {
			return err
		}
		if twice := n.twice(); len(twice) > 0 {
			return errTwice(prefix, twice[0])
		}
		join := joinIn(prefix)
		for i := range n.entries {
			if err := checkName(prefix, n.name(i)); err != nil {
				return err
			}
			if n.mode(i) == filemode.Dir {
				if err := check(n.hash(i), join(n.name(i))); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return check(h, prefix)
}

// twice lists the names that n holds more than once, sorted: none in a
// tree in git's order (see treeNode.sorted).
func (n *treeNode) twice() []string {
	if n.sorted {
		return nil
	}
	var out []string
	seen := make(map[string]int, len(n.entries))
	for i := range n.entries {
		name := n.name(i)
		if seen[name]++; seen[name] == 2 {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// errTwice refuses a name that a changed tree of head holds twice, such as
// a file and a directory: git fsck refuses it (duplicateEntries), nhigate
// reads one of them and a checkout or another reader of the tree may take
// the other.
func errTwice(prefix, name string) error {
	return &TreeError{Path: dirOrTop(prefix),
		Msg: fmt.Sprintf("two tree entries named %q %s (git fsck: duplicateEntries): nhigate reads one, and a checkout or another reader of the tree may take the other",
			strings.ToValidUTF8(name, "\uFFFD"), where(prefix)),
		Hint: "commit the files from a checkout with git add"}
}

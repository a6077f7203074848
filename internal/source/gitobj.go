package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime"
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

	// cache, when set, holds trees of earlier reviews and keeps those
	// decoded here for the next.
	cache atomic.Pointer[scanCache]
}

// treeNode is a decoded tree: its entries in git's order, and by name.
type treeNode struct {
	entries []object.TreeEntry
	// byName is made on the first lookup: a walk of every file needs
	// none.
	once   sync.Once
	byName map[string]int
}

// index returns the index of the entry called name.
func (n *treeNode) index(name string) (int, bool) {
	n.once.Do(func() {
		n.byName = make(map[string]int, len(n.entries))
		for i, e := range n.entries {
			n.byName[e.Name] = i
		}
	})
	i, ok := n.byName[name]
	return i, ok
}

func newGitObjects(r *git.Repository) *gitObjects {
	return &gitObjects{repo: r, trees: map[plumbing.Hash]*treeNode{}}
}

func (o *gitObjects) pack() *packs {
	o.packsOnce.Do(func() {
		if st, ok := o.repo.Storer.(*filesystem.Storage); ok {
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
	var entries []object.TreeEntry
	data, err := []byte(nil), errPackMiss
	if raw, ok := c.tree(h); ok {
		data, err = raw, nil
	} else {
		r := o.reader()
		data, err = r.object(h, objTree, maxPackObject)
		if err == nil {
			// The pack reader checked it against h.
			c.addTree(h, data)
		}
		o.put(r)
	}
	if err == nil {
		entries, err = parseTree(data)
	}
	if err != nil {
		// go-git reads what the packs could not (a loose tree), checked
		// against its id as the pack reader checks, and decoded as one.
		if entries, err = o.looseTree(h); err != nil {
			return nil, err
		}
	}
	n = &treeNode{entries: entries}
	o.treesMu.Lock()
	o.trees[h] = n
	o.treesMu.Unlock()
	return n, nil
}

// looseTree reads tree h through go-git's storage, which does not check an
// object against its id: it is hashed here, so that a damaged or replaced
// loose tree fails the review instead of hiding or adding files.
func (o *gitObjects) looseTree(h plumbing.Hash) ([]object.TreeEntry, error) {
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
	return parseTree(data)
}

// parseTree decodes a tree object: entries of "<mode> <name>\0<hash>".
func parseTree(data []byte) ([]object.TreeEntry, error) {
	var out []object.TreeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp < 0 {
			return nil, errors.New("malformed tree entry")
		}
		mode, err := filemode.New(string(data[:sp]))
		if err != nil {
			return nil, err
		}
		mode = canonicalMode(mode)
		data = data[sp+1:]
		nul := bytes.IndexByte(data, 0)
		if nul <= 0 || len(data) < nul+1+20 {
			// An empty name too, which go-git refuses and git cannot
			// check out.
			return nil, errors.New("malformed tree entry")
		}
		e := object.TreeEntry{Name: string(data[:nul]), Mode: mode}
		copy(e.Hash[:], data[nul+1:nul+21])
		out = append(out, e)
		data = data[nul+21:]
	}
	return out, nil
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
		e := &n.entries[j]
		if i == len(segs)-1 {
			return e, nil
		}
		if e.Mode != filemode.Dir {
			return nil, object.ErrDirectoryNotFound
		}
		if n, err = o.tree(e.Hash); err != nil {
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

// walk calls fn for every entry that is not a directory below the tree h,
// with its path below prefix.
func (o *gitObjects) walk(ctx context.Context, h plumbing.Hash, prefix string, fn func(string, *object.TreeEntry)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n, err := o.tree(h)
	if err != nil {
		return err
	}
	for i := range n.entries {
		e := &n.entries[i]
		p := joinName(prefix, e.Name)
		if e.Mode == filemode.Dir {
			if err := o.walk(ctx, e.Hash, p, fn); err != nil {
				return err
			}
			continue
		}
		fn(p, e)
	}
	return nil
}

// joinName is path.Join(prefix, name), without its cost for the names
// that it would not clean.
func joinName(prefix, name string) string {
	if prefix == "" || prefix == "." || name == "" || name == "." || name == ".." ||
		strings.IndexByte(name, '/') >= 0 || strings.HasSuffix(prefix, "/") || path.Clean(prefix) != prefix {
		return path.Join(prefix, name)
	}
	return prefix + "/" + name
}

// prefetch decodes, on every core, the subtrees of a and b that diffTrees
// will descend into, so that the descent finds them cached. Errors are left
// for the descent to meet.
func prefetch(oa, ob *gitObjects, an, bn *treeNode) {
	type job struct {
		o *gitObjects
		h plumbing.Hash
	}
	var jobs []job
	for i := range an.entries {
		ea := &an.entries[i]
		j, ok := bn.index(ea.Name)
		if !ok || ea.Mode != filemode.Dir || bn.entries[j].Mode != filemode.Dir || ea.Hash == bn.entries[j].Hash {
			continue
		}
		jobs = append(jobs, job{oa, ea.Hash}, job{ob, bn.entries[j].Hash})
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
	if a == b {
		return nil
	}
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
	side := func(o *gitObjects, e *object.TreeEntry, p string) error {
		if e.Mode == filemode.Dir {
			return o.walk(ctx, e.Hash, p, func(q string, _ *object.TreeEntry) { changed[q] = true })
		}
		changed[p] = true
		return nil
	}
	prefetch(oa, ob, an, bn)
	for i := range an.entries {
		ea := &an.entries[i]
		p := path.Join(prefix, ea.Name)
		j, ok := bn.index(ea.Name)
		if !ok {
			if err := side(oa, ea, p); err != nil {
				return err
			}
			continue
		}
		eb := &bn.entries[j]
		if ea.Hash == eb.Hash && ea.Mode == eb.Mode {
			continue
		}
		if ea.Mode == filemode.Dir && eb.Mode == filemode.Dir {
			if err := diffTrees(ctx, oa, ea.Hash, ob, eb.Hash, p, changed); err != nil {
				return err
			}
			continue
		}
		if err := side(oa, ea, p); err != nil {
			return err
		}
		if err := side(ob, eb, p); err != nil {
			return err
		}
	}
	for i := range bn.entries {
		eb := &bn.entries[i]
		if _, ok := an.index(eb.Name); !ok {
			if err := side(ob, eb, path.Join(prefix, eb.Name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Package source reads the two sides of a review, each either a git revision
// (read with go-git, without checking anything out) or a plain directory,
// and loads the specs and the config from them. It never follows a symlink.
package source

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Tree is a read-only snapshot of a repo's files.
type Tree interface {
	// String names the snapshot for people: "main (1a2b3c4)" or a directory.
	String() string
	// ReadFile returns the bytes of the regular file at the slash-separated,
	// repo-relative path p. It fails with *SymlinkError for a symlink, with
	// *TooLargeError past limit bytes, and with an error wrapping
	// fs.ErrNotExist when there is no such file.
	ReadFile(p string, limit int64) ([]byte, error)
	// Files lists the regular files and symlinks below the directory dir,
	// recursively, sorted. A missing directory has no files. ReadFile fails
	// on a symlink, so a caller refuses it by name rather than miss it.
	Files(dir string) ([]string, error)
	// entries lists every file with a hash of its content and its kind.
	entries(ctx context.Context) (map[string]entry, error)
	// kind says what is at p, and a symlink's target. Nothing there is
	// kindNone with a nil error.
	kind(p string) (kind, string, error)
	// openReader streams the regular file at p, whatever its size, with the
	// checks of ReadFile.
	openReader(p string) (io.ReadCloser, error)
}

type entry struct {
	hash plumbing.Hash // git object hash, comparable across git and directories
	kind kind
}

// kind is what sits at a path.
type kind int

const (
	kindNone    kind = iota // nothing
	kindRegular             // a regular file
	kindSymlink
	kindGitlink // a submodule: a commit of another repository
	kindDir
	kindOther // a socket, a device: never a spec
)

func (k kind) String() string {
	return [...]string{"nothing", "a regular file", "a symlink", "a submodule (gitlink)", "a directory", "not a regular file"}[k]
}

// SymlinkError reports a symlink where a file was expected.
type SymlinkError struct {
	Path, Target string
	Escapes      bool // the target lies outside the repo
}

func (e *SymlinkError) Error() string {
	if e.Escapes {
		return fmt.Sprintf("%s is a symlink to %q, outside the repo; nhigate never follows it", e.Path, e.Target)
	}
	return fmt.Sprintf("%s is a symlink to %q; nhigate reads only regular files", e.Path, e.Target)
}

// TooLargeError reports a file over the size limit.
type TooLargeError struct {
	Path        string
	Size, Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is %d bytes, over the limit of %d", e.Path, e.Size, e.Limit)
}

func escapes(p, target string) bool {
	if path.IsAbs(target) || filepath.IsAbs(target) {
		return true
	}
	j := path.Join(path.Dir(p), target)
	return j == ".." || strings.HasPrefix(j, "../")
}

// Open returns the snapshot named by rev: a directory if rev is one, and
// otherwise a git revision (branch, tag or SHA) of the repository at or
// above repoDir. A name that is both is refused as ambiguous: a checkout
// may hold a directory named like a branch or a commit, and its author
// must not choose which one is read.
func Open(repoDir, rev string) (Tree, error) { return NewRepo(repoDir).Open(rev) }

// OpenRevision returns the git revision rev (branch, tag or SHA) of the
// repository at or above repoDir, never a directory: for revisions that
// come from GitHub, which a directory in the checkout must not stand in
// for, even when the revision is not in the clone.
func OpenRevision(repoDir, rev string) (Tree, error) { return NewRepo(repoDir).OpenRevision(rev) }

// Repo opens snapshots of the repository at or above a directory, as Open
// and OpenRevision do, and reads the repository once for all of them: its
// index and packs are loaded once, and the trees that base and head share
// are decoded once.
type Repo struct {
	dir  string
	once sync.Once
	objs *gitObjects
	err  error
}

// NewRepo returns the repository at or above dir, opened when a revision
// is first asked for.
func NewRepo(dir string) *Repo { return &Repo{dir: dir} }

func (r *Repo) open() (*gitObjects, error) {
	r.once.Do(func() {
		repo, err := git.PlainOpenWithOptions(r.dir, &git.PlainOpenOptions{DetectDotGit: true})
		if err != nil {
			r.err = err
			return
		}
		r.objs = newGitObjects(repo)
	})
	return r.objs, r.err
}

// Open is Open of the repository's directory.
func (r *Repo) Open(rev string) (Tree, error) {
	if fi, err := os.Stat(rev); err == nil && fi.IsDir() {
		if objs, err := r.open(); err == nil {
			objs.mu.Lock()
			_, err := objs.repo.ResolveRevision(plumbing.Revision(rev))
			objs.mu.Unlock()
			if err == nil {
				return nil, fmt.Errorf("%q is both a directory and a revision of %s: write ./%s for the directory, or refs/heads/%s or the full SHA for the revision",
					rev, r.dir, strings.TrimPrefix(rev, "./"), rev)
			}
		}
		return &dirTree{root: rev}, nil
	}
	return r.OpenRevision(rev)
}

// OpenRevision is OpenRevision of the repository's directory.
func (r *Repo) OpenRevision(rev string) (Tree, error) {
	objs, err := r.open()
	if err != nil {
		return nil, fmt.Errorf("%q is neither a directory nor a revision: open git repository %s: %w", rev, r.dir, err)
	}
	// go-git is not safe for concurrent use: another tree of the
	// repository may be read meanwhile.
	objs.mu.Lock()
	h, err := objs.repo.ResolveRevision(plumbing.Revision(rev))
	var c *object.Commit
	if err == nil {
		c, err = objs.repo.CommitObject(*h)
		if err != nil {
			err = fmt.Errorf("read commit %s: %w", rev, err)
		}
	} else {
		err = fmt.Errorf("%q is neither a directory nor a revision in %s: %w", rev, r.dir, err)
	}
	objs.mu.Unlock()
	if err != nil {
		return nil, err
	}
	t := newGitTree(objs, rev, c)
	if _, err := t.objs.tree(t.root); err != nil {
		return nil, fmt.Errorf("read tree of %s: %w", rev, err)
	}
	return t, nil
}

type gitTree struct {
	objs   *gitObjects
	rev    string
	commit *object.Commit
	root   plumbing.Hash // the commit's tree
	// mu serialises go-git for the objects the packs cannot read; it is
	// objs.mu, shared by every tree of the opened repository.
	mu   *sync.Mutex
	repo *git.Repository
}

func newGitTree(objs *gitObjects, rev string, c *object.Commit) *gitTree {
	return &gitTree{objs: objs, rev: rev, commit: c, root: c.TreeHash, mu: &objs.mu, repo: objs.repo}
}

// findEntry finds p through the decoded trees, which are cached: a
// directory of thousands of specs is decoded once, not for each file read
// below it. Safe for concurrent use.
func (t *gitTree) findEntry(p string) (*object.TreeEntry, error) {
	return t.objs.find(t.root, p)
}

func (t *gitTree) String() string {
	short := t.commit.Hash.String()[:7]
	if strings.HasPrefix(t.commit.Hash.String(), t.rev) {
		return short
	}
	return fmt.Sprintf("%s (%s)", t.rev, short)
}

// Commit is the full SHA of the revision.
func (t *gitTree) Commit() string { return t.commit.Hash.String() }

// Commit returns the full SHA of the commit t is a snapshot of, and false
// for a directory, which has none.
func Commit(t Tree) (string, bool) {
	if g, ok := t.(*gitTree); ok {
		return g.Commit(), true
	}
	return "", false
}

func (t *gitTree) ReadFile(p string, limit int64) ([]byte, error) {
	e, err := t.findEntry(p)
	if err != nil {
		if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
			return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("find %s: %w", p, err)
	}
	switch e.Mode {
	case filemode.Regular, filemode.Executable, filemode.Deprecated:
	case filemode.Symlink:
		target, err := t.objs.blob(p, e.Hash, 4096)
		if err != nil {
			return nil, err
		}
		return nil, &SymlinkError{Path: p, Target: string(target), Escapes: escapes(p, string(target))}
	default:
		return nil, fmt.Errorf("%s: not a regular file: %w", p, fs.ErrNotExist)
	}
	return t.objs.blob(p, e.Hash, limit)
}

func (t *gitTree) kind(p string) (kind, string, error) {
	e, err := t.findEntry(p)
	if err != nil {
		if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
			return kindNone, "", nil
		}
		return 0, "", fmt.Errorf("find %s in %s: %w", p, t, err)
	}
	switch e.Mode {
	case filemode.Regular, filemode.Executable, filemode.Deprecated:
		return kindRegular, "", nil
	case filemode.Symlink:
		target, err := t.objs.blob(p, e.Hash, 4096)
		return kindSymlink, string(target), err
	case filemode.Submodule:
		return kindGitlink, e.Hash.String(), nil
	case filemode.Dir:
		return kindDir, "", nil
	}
	return kindOther, "", nil
}

func (t *gitTree) openReader(p string) (io.ReadCloser, error) {
	// go-git's storage is not safe for concurrent use: it stays locked
	// until the reader is closed.
	e, err := t.findEntry(p)
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", p, err)
	}
	t.mu.Lock()
	r, err := t.openBlob(p, e)
	if err != nil {
		t.mu.Unlock()
		return nil, err
	}
	return &lockedReader{ReadCloser: r, unlock: t.mu.Unlock}, nil
}

// openHash streams blob h, the regular file at p, whatever its size.
func (t *gitTree) openHash(p string, h plumbing.Hash) (io.ReadCloser, error) {
	t.mu.Lock()
	r, err := t.openBlob(p, &object.TreeEntry{Name: path.Base(p), Mode: filemode.Regular, Hash: h})
	if err != nil {
		t.mu.Unlock()
		return nil, err
	}
	return &lockedReader{ReadCloser: r, unlock: t.mu.Unlock}, nil
}

func (t *gitTree) openBlob(p string, e *object.TreeEntry) (io.ReadCloser, error) {
	switch e.Mode {
	case filemode.Regular, filemode.Executable, filemode.Deprecated:
	default:
		return nil, fmt.Errorf("%s: not a regular file: %w", p, fs.ErrNotExist)
	}
	b, err := t.repo.BlobObject(e.Hash)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	r, err := b.Reader()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return r, nil
}

type lockedReader struct {
	io.ReadCloser
	unlock func()
}

func (r *lockedReader) Close() error {
	err := r.ReadCloser.Close()
	r.unlock()
	return err
}

func (t *gitTree) Files(dir string) ([]string, error) {
	dir = path.Clean(dir)
	sub, ok, err := t.objs.subtree(t.root, dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	if !ok {
		return nil, nil
	}
	var out []string
	err = t.objs.walk(context.Background(), sub, dir, func(p string, e *object.TreeEntry) {
		if e.Mode.IsFile() { // regular files and symlinks, which ReadFile refuses by name
			out = append(out, p)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	slices.Sort(out)
	return out, nil
}

func (t *gitTree) entries(ctx context.Context) (map[string]entry, error) {
	out := map[string]entry{}
	err := t.objs.walk(ctx, t.root, "", func(name string, e *object.TreeEntry) {
		switch e.Mode {
		case filemode.Symlink:
			out[name] = entry{hash: e.Hash, kind: kindSymlink}
		case filemode.Submodule:
			out[name] = entry{hash: e.Hash, kind: kindGitlink}
		default:
			out[name] = entry{hash: e.Hash, kind: kindRegular}
		}
	})
	if err == nil {
		// Compared path by path with a directory, every entry is one
		// that may differ (see checkName).
		err = checkNames(ctx, t.objs, t.root, "")
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("walk %s: %w", t, err)
	}
	return out, nil
}

// Dir returns the snapshot of a directory as it is now.
func Dir(root string) Tree { return &dirTree{root: root} }

// dirTree reads a directory through an os.Root, which never resolves a path
// outside the directory, and refuses every symlink on the way to a file,
// whether it points inside the directory or out: a symlink is never
// followed. Each operation opens the root anew, so that a tree holds no
// file descriptor between calls.
type dirTree struct {
	root string
}

func (t *dirTree) String() string { return t.root }

func (t *dirTree) open() (*os.Root, error) {
	r, err := os.OpenRoot(t.root)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", t.root, err)
	}
	return r, nil
}

// lstat returns what is at p, after checking that no directory on the way
// to it is a symlink. It fails with *SymlinkError at the first symlink,
// p itself included.
func (t *dirTree) lstat(r *os.Root, p string) (fs.FileInfo, error) {
	if !fs.ValidPath(p) {
		return nil, fmt.Errorf("%s: invalid path: %w", p, fs.ErrNotExist)
	}
	var fi fs.FileInfo
	for i := 0; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		var err error
		if fi, err = r.Lstat(p[:i]); err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, err := r.Readlink(p[:i])
			if err != nil {
				return nil, fmt.Errorf("read link %s: %w", p[:i], err)
			}
			return nil, &SymlinkError{Path: p[:i], Target: target, Escapes: escapes(p[:i], filepath.ToSlash(target))}
		}
	}
	return fi, nil
}

func (t *dirTree) ReadFile(p string, limit int64) ([]byte, error) {
	r, err := t.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, size, err := t.openFile(r, p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > limit {
		return nil, &TooLargeError{Path: p, Size: size, Limit: limit}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if int64(len(data)) > limit { // it grew while we read
		return nil, &TooLargeError{Path: p, Size: int64(len(data)), Limit: limit}
	}
	return data, nil
}

// openFile opens the regular file at p, refusing symlinks, and checks that
// what it opened is what it inspected: a file swapped for a link in between
// is not read.
func (t *dirTree) openFile(r *os.Root, p string) (*os.File, int64, error) {
	fi, err := t.lstat(r, p)
	if err != nil {
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s: not a regular file: %w", p, fs.ErrNotExist)
	}
	f, err := r.Open(p)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", p, err)
	}
	opened, err := f.Stat()
	if err != nil || !os.SameFile(fi, opened) {
		f.Close()
		return nil, 0, fmt.Errorf("%s changed while nhigate read it", p)
	}
	return f, opened.Size(), nil
}

func (t *dirTree) openReader(p string) (io.ReadCloser, error) {
	r, err := t.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, _, err := t.openFile(r, p)
	return f, err
}

func (t *dirTree) kind(p string) (kind, string, error) {
	r, err := t.open()
	if err != nil {
		return 0, "", err
	}
	defer r.Close()
	fi, err := t.lstat(r, p)
	var link *SymlinkError
	switch {
	case errors.As(err, &link) && link.Path == p:
		return kindSymlink, link.Target, nil
	case errors.Is(err, fs.ErrNotExist):
		return kindNone, "", nil
	case err != nil:
		return 0, "", err
	case fi.Mode().IsRegular():
		return kindRegular, "", nil
	case fi.IsDir():
		return kindDir, "", nil
	}
	return kindOther, "", nil
}

// Files lists the regular files and the symlinks below dir, which must
// itself be reached without a symlink. Listing a symlink lets the caller
// refuse it by name (ReadFile fails on it) rather than miss it.
func (t *dirTree) Files(dir string) ([]string, error) {
	if !fs.ValidPath(dir) {
		return nil, fmt.Errorf("list %s: not a path inside the repo", dir)
	}
	r, err := t.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if _, err := t.lstat(r, dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var out []string
	err = fs.WalkDir(r.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && d.Name() == ".git":
			return fs.SkipDir
		case d.Type().IsRegular(), d.Type()&fs.ModeSymlink != 0:
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	slices.Sort(out)
	return out, nil
}

func (t *dirTree) entries(ctx context.Context) (map[string]entry, error) {
	r, err := t.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out := map[string]entry{}
	err = fs.WalkDir(r.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return fs.SkipDir
			}
			return nil
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := r.Readlink(p)
			if err != nil {
				return err
			}
			out[p] = entry{hash: blobHash([]byte(filepath.ToSlash(target))), kind: kindSymlink}
		case d.Type().IsRegular():
			// Hash the content, as git would, so that a directory compares
			// with a git revision. The hash streams, so memory stays small
			// whatever the size of a file.
			h, err := t.hashFile(r, p)
			if err != nil {
				return err
			}
			out[p] = entry{hash: h, kind: kindRegular}
		}
		return nil // sockets, devices: never specs
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", t.root, err)
	}
	return out, nil
}

func (t *dirTree) hashFile(r *os.Root, p string) (plumbing.Hash, error) {
	f, size, err := t.openFile(r, p)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer f.Close()
	h := sha1.New()
	h.Write([]byte("blob " + strconv.FormatInt(size, 10) + "\x00"))
	if n, err := io.Copy(h, io.LimitReader(f, size+1)); err != nil || n != size {
		return plumbing.ZeroHash, fmt.Errorf("%s changed while nhigate read it", p)
	}
	var out plumbing.Hash
	copy(out[:], h.Sum(nil))
	return out, nil
}

func blobHash(content []byte) plumbing.Hash {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	var out plumbing.Hash
	copy(out[:], h.Sum(nil))
	return out
}

// Changed lists the paths whose content or kind differs between base and
// head, sorted. Between two revisions it diffs trees by hash, decoding only
// the subtrees whose hashes differ, so the cost follows the size of the
// change rather than the size of the repo. Renames are not detected: a
// renamed file is a removal and an addition, and both are read.
func Changed(ctx context.Context, base, head Tree) ([]string, error) {
	if b, ok := base.(*gitTree); ok {
		// Object hashes name content, so trees compare by hash even when
		// they come from two opened copies of a repository.
		if h, ok := head.(*gitTree); ok {
			return b.diff(ctx, h)
		}
	}
	be, err := base.entries(ctx)
	if err != nil {
		return nil, err
	}
	he, err := head.entries(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for p, e := range be {
		if he[p] != e {
			out = append(out, p)
		}
	}
	for p := range he {
		if _, ok := be[p]; !ok {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (t *gitTree) diff(ctx context.Context, head *gitTree) ([]string, error) {
	set := map[string]bool{}
	if err := diffTrees(ctx, t.objs, t.root, head.objs, head.root, "", set); err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("diff %s..%s: %w", t, head, err)
	}
	return slices.Sorted(maps.Keys(set)), nil
}

// MergeBase returns the snapshot to diff head against: the best common
// ancestor of base and head when both are revisions, as "git diff
// base...head" and a pull request's own diff use, so that what the base
// branch gained since the branch point does not show as the pull request
// taking it away. Anything else returns base itself. The rules of the review
// (policies, config, CODEOWNERS) are still read from base.
func MergeBase(base, head Tree) (Tree, error) {
	b, ok := base.(*gitTree)
	if !ok {
		return base, nil
	}
	h, ok := head.(*gitTree)
	if !ok {
		return base, nil
	}
	b.mu.Lock()
	bases, err := b.commit.MergeBase(h.commit)
	b.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("find the merge base of %s and %s: %w", b, h, err)
	}
	if len(bases) == 0 {
		return nil, fmt.Errorf("%s and %s have no common ancestor; is the clone shallow? Fetch with fetch-depth: 0", b, h)
	}
	mb := bases[0]
	if mb.Hash == b.commit.Hash {
		return base, nil
	}
	t := newGitTree(b.objs, "merge base of "+b.rev, mb)
	if _, err := t.objs.tree(t.root); err != nil {
		return nil, fmt.Errorf("read tree of merge base %s: %w", mb.Hash, err)
	}
	return t, nil
}

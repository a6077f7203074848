package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/spec"
)

// ConfigError is an unreadable or invalid .nhigate.yaml. The CLI exits 2 on
// it: the repo's rules are broken, not the pull request.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return "invalid " + config.File + ": " + e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// LoadConfig reads .nhigate.yaml from t, which must be the base revision.
// A missing file gives config.Default.
func LoadConfig(t Tree) (*config.Config, error) {
	data, err := t.ReadFile(config.File, spec.DefaultMaxFileSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return config.Default(), nil
	case err != nil:
		return nil, &ConfigError{err}
	}
	c, err := config.Parse(config.File, data)
	if err != nil {
		return nil, &ConfigError{err}
	}
	return c, nil
}

// Loaded is what reading a set of files produced. Errors are problems with
// the specs themselves (invalid, unsafe to read); they block a review but
// are not failures of nhigate.
type Loaded struct {
	Workflows []*spec.Workflow
	Errors    spec.Errors
}

// LoadSpecs reads the workflows in the given paths of t that the config says
// may hold specs. Paths that do not exist in t are skipped: they were added
// or removed on the other side.
func LoadSpecs(t Tree, paths []string, cfg *config.Config) (*Loaded, error) {
	var jobs []job
	for _, p := range paths {
		if ok, mode := cfg.CandidatePath(p); ok {
			jobs = append(jobs, job{tree: t, path: p, name: p, mode: mode})
		}
	}
	return load(jobs, cfg.SpecLimits())
}

// Review is what a review reads: the specs of the changed files on each
// side, and the specs of unchanged files that hold the principal of a
// changed spec.
type Review struct {
	Base, Head *Loaded
	// Context holds the workflows of unchanged files whose principal a
	// changed workflow on either side holds. Unchanged files are the same
	// on both sides, so each is one workflow, on both. The diff compares
	// access per principal across all of them.
	Context []*spec.Workflow
	// Scanned counts the unchanged files that may hold specs, looked at
	// one by one; Parsed those of all unchanged files that mention a
	// wanted name, which were read and parsed. Parsed is the same whether
	// or not a scan cache answered.
	Scanned, Parsed int
	// Cached counts the files of Scanned that the scan cache said
	// mention no wanted name, which were not read. The others were read.
	Cached int
	// Summarised counts the directories whose unchanged files the scan
	// cache's summary of the directory said mention no wanted name: they
	// were not looked at one by one, and are not in Scanned.
	Summarised int
}

// LoadReview reads the specs of the changed paths at base and head, and
// finds every other spec of their principals: it reads each unchanged file
// of head that may hold specs, and parses those that mention the identity
// name of a changed spec (or its metadata.name, which must be unique in the
// repo). Unchanged files are the same at base, which must be the revision
// head is diffed against.
//
// A metadata.name of a changed head spec that an unchanged file also uses
// is an error of the head spec, naming both files. So is a changed file
// whose version at base does not load and may hold a principal of a head
// spec (see unloadedAtBase), and an unchanged file that may hold a wanted
// name and does not load, over the size limit too. Unchanged files were
// judged when they merged: their own errors are not this review's.
//
// With a cache of head's repository (OpenCache), only the unchanged files
// whose digest may mention a wanted name are read, the review is the same,
// and the cache file is written if the review added to it.
func LoadReview(ctx context.Context, base, head Tree, changed []string, cfg *config.Config, cache *Cache) (*Review, error) {
	r := &Review{}
	var err error
	if r.Base, err = LoadSpecs(base, changed, cfg); err != nil {
		return nil, err
	}
	if r.Head, err = LoadSpecs(head, changed, cfg); err != nil {
		return nil, err
	}
	unloaded, err := unloadedAtBase(base, r.Base, r.Head, cfg.SpecLimits().MaxFileSize)
	if err != nil {
		return nil, err
	}
	r.Head.Errors = append(r.Head.Errors, unloaded...)
	principals := map[string]bool{}
	want := names{}
	for _, w := range slices.Concat(r.Base.Workflows, r.Head.Workflows) {
		principals[diffing.Principal(w.Spec.Identity)] = true
		want[diffing.FoldName(w.Spec.Identity.Name)] = true
	}
	headNames := map[string][]*spec.Workflow{}
	for _, w := range r.Head.Workflows {
		headNames[w.Metadata.Name] = append(headNames[w.Metadata.Name], w)
		want[diffing.FoldName(w.Metadata.Name)] = true
	}
	if len(want) == 0 {
		return r, nil
	}

	isChanged := map[string]bool{}
	for _, p := range changed {
		isChanged[p] = true
	}
	c := cache.scan()
	files, dirs, summarised, err := unchangedCandidates(ctx, base, head, changed, isChanged, cfg, c, want)
	if err != nil {
		return nil, err
	}
	r.Scanned, r.Summarised = len(files), summarised
	lim := cfg.SpecLimits()
	found, skipped, err := scanFiles(ctx, head, files, lim.MaxFileSize, want, c)
	if err != nil {
		return nil, err
	}
	if c != nil {
		hits, decoded := c.treeCounts()
		c.logf("%s: %d directories answered by their summary; %d of %d other unchanged files answered without a read; %d trees read from it, %d from the packs",
			c.name(), summarised, skipped, len(files), hits, decoded)
		if g, ok := head.(*gitTree); ok && c.path != "" && (c.dirty() || c.missingSummaries(dirs)) {
			blobs, err := blobsOf(ctx, g)
			if err != nil {
				return nil, err
			}
			c.save(blobs, dirs)
		}
	}
	// A file over the size limit that mentions a wanted name cannot be
	// loaded; without spec globs it is one only if its text claims to be
	// a spec, as a smaller file is only with the marker.
	for i, f := range found {
		if f.size == 0 {
			continue
		}
		if _, mode := cfg.CandidatePath(f.path); mode == spec.Discover {
			r, err := openLarge(head, f)
			if err != nil {
				return nil, err
			}
			claims, err := scanReader(r, f.path, spec.ClaimInText)
			if err != nil {
				return nil, err
			}
			if !claims {
				found[i].size = -1
			}
		}
	}
	r.Parsed, r.Cached = len(found), skipped

	// Parse on every core; the order of the results is the order of found.
	parsed := make([][]*spec.Workflow, len(found))
	failed := make([]spec.Errors, len(found))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				f := found[i]
				_, mode := cfg.CandidatePath(f.path)
				switch {
				case f.size < 0:
					continue
				case f.size > 0:
					// What readSpecs says of a changed file over the limit.
					failed[i] = spec.Errors{{File: f.path, Msg: fmt.Sprintf("file is %d bytes, over the limit of %d", f.size, lim.MaxFileSize),
						Hint: "split it into several files, or raise limits.maxFileSize in .nhigate.yaml"}}
					continue
				case mode == spec.Discover && !spec.Marker(f.data):
					continue
				}
				ws, err := spec.Parse(f.path, f.data, mode, lim)
				parsed[i] = ws
				if err != nil && !errors.As(err, &failed[i]) {
					failed[i] = spec.Errors{{File: f.path, Msg: err.Error()}}
				}
			}
		})
	}
	for i := range found {
		next <- i
	}
	close(next)
	wg.Wait()

	// An unchanged file that may hold a changed principal and does not
	// load (it broke under a stricter limit or release since it merged)
	// would drop that principal's other grants from the comparison, and a
	// widening would read as an addition: it blocks until fixed.
	for _, es := range failed {
		for _, e := range es {
			e.Msg = "unchanged, but it may hold a principal this change touches, and it does not load: " + e.Msg
			r.Head.Errors = append(r.Head.Errors, e)
		}
	}
	for _, ws := range parsed {
		for _, w := range ws {
			if principals[diffing.Principal(w.Spec.Identity)] {
				r.Context = append(r.Context, w)
			}
			for _, h := range headNames[w.Metadata.Name] {
				pos := h.Source.Position("metadata.name")
				r.Head.Errors = append(r.Head.Errors, &spec.Error{File: h.Source.File, Line: pos.Line, Col: pos.Col, Path: "metadata.name",
					Msg:  fmt.Sprintf("%q is already the name of a workflow in %s", w.Metadata.Name, w.Source.File),
					Hint: "give each workflow its own name"})
			}
		}
	}
	return r, nil
}

// unloadedAtBase reports the changed files whose version at base does not
// load (over a size limit lowered since it merged, or broken by a stricter
// release) and mentions the identity name of a spec at head, the file
// itself or another (a rename). The access such a file granted is
// unknown, so the head's grants would read as new, a widening as an
// addition: the change cannot be compared, and blocks, as an unchanged
// file that may hold a principal of the change and does not load does. A
// change that deletes such a file, and gives its principals nothing, is
// not blocked; a later one that does is reviewed as new access.
func unloadedAtBase(base Tree, loaded, head *Loaded, limit int64) (spec.Errors, error) {
	ok, want := map[string]bool{}, names{}
	for _, w := range loaded.Workflows {
		ok[w.Source.File] = true
	}
	for _, w := range head.Workflows {
		want[diffing.FoldName(w.Spec.Identity.Name)] = true
	}
	if len(want) == 0 {
		return nil, nil
	}
	var out spec.Errors
	for _, e := range loaded.Errors {
		// Errors of a file that loaded (a metadata.name twice) leave its
		// workflows in the comparison.
		if ok[e.File] {
			continue
		}
		ok[e.File] = true // one error a file
		data, err := base.ReadFile(e.File, limit)
		var mentioned bool
		var tooLarge *TooLargeError
		switch {
		case errors.As(err, &tooLarge):
			r, err := base.openReader(e.File)
			if err != nil {
				return nil, err
			}
			if mentioned, err = largeMentions(r, e.File, want); err != nil {
				return nil, err
			}
		case errors.As(err, new(*SymlinkError)), errors.Is(err, fs.ErrNotExist):
			// Not a regular file: no access of its own.
			continue
		case err != nil:
			return nil, err
		default:
			mentioned = mentions(data, want)
		}
		if !mentioned {
			continue
		}
		where := ""
		if e.Line > 0 {
			where = fmt.Sprintf(" at line %d, column %d", e.Line, e.Col)
		}
		detail := e.Msg
		if e.Path != "" {
			detail = e.Path + ": " + e.Msg
		}
		out = append(out, &spec.Error{File: e.File,
			Msg:  fmt.Sprintf("changed, but its version at base does not load%s (%s), and it may hold a principal this change grants: the access it granted cannot be compared with this change's, whose grants would read as new", where, detail),
			Hint: "if it is over limits.maxFileSize, raise the limit in a change of its own first; otherwise delete the file in one pull request and add its specs back in another, which is reviewed as new access"})
	}
	return out, nil
}

// unchangedCandidates lists the regular files of head that may hold specs
// and did not change since from, with their hashes.
//
// With a scan cache c, it also returns the directories of from, by id,
// for the cache to summarise, and it leaves out the files of each
// directory whose summary shows that none of its unchanged files may
// mention a name of want; summarised counts those directories. A
// directory's unchanged files are those of its tree in from, less the
// changed paths, so its summary there, less the digests of its changed
// files, counts what they hold.
func unchangedCandidates(ctx context.Context, from, head Tree, changed []string, isChanged map[string]bool, cfg *config.Config, c *scanCache, want names) (
	files []scanFile, dirs map[plumbing.Hash]*treeNode, summarised int, err error) {
	g, ok := head.(*gitTree)
	if !ok {
		all, err := head.entries(ctx)
		if err != nil {
			return nil, nil, 0, err
		}
		for p, e := range all {
			if e.kind != kindRegular || isChanged[p] {
				continue
			}
			if ok, _ := cfg.CandidatePath(p); ok {
				files = append(files, scanFile{p, e.hash})
			}
		}
		return files, nil, 0, nil
	}
	// Straight from the trees, a directory to a core: a map of every
	// path costs more than the walk.
	var fromObjs *gitObjects
	var fromRoot plumbing.Hash
	if f, ok := from.(*gitTree); ok {
		fromObjs, fromRoot = f.objs, f.root
	}
	pairs, err := pairDirs(ctx, g.objs, g.root, fromObjs, fromRoot)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, 0, err
		}
		return nil, nil, 0, fmt.Errorf("walk %s: %w", head, err)
	}
	var q *query
	changedIn := map[string][]string{}
	if c != nil {
		q = newQuery(want)
		q.common = c.maskOf(q)
		// Summaries are asked of the merge base's trees (which, for the
		// directories a change leaves alone, are head's too): a head's
		// own new trees are summarised when a later review diffs from
		// them, not on every push.
		dirs = map[plumbing.Hash]*treeNode{}
		for _, d := range pairs {
			if d.from != nil {
				dirs[d.fromID] = d.from
			}
		}
		for _, p := range changed {
			dir, name := path.Split(p)
			dir = strings.TrimSuffix(dir, "/")
			changedIn[dir] = append(changedIn[dir], name)
		}
	}
	// The digest of a changed file of from, which a scan index does not
	// keep: read from the blob, which the reader checks against its id.
	var blobDigest func(plumbing.Hash) (digest, bool)
	if fromObjs != nil {
		blobDigest = func(h plumbing.Hash) (digest, bool) {
			data, err := fromObjs.blob(h.String(), h, indexBlobLimit)
			if err != nil {
				return digest{}, false // read its directory instead
			}
			return digestOf(data), true
		}
	}
	per := make([][]scanFile, len(pairs))
	answered := make([]bool, len(pairs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(pairs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(pairs) {
					return
				}
				d := pairs[i]
				join := joinIn(d.path)
				// add adds entry k of n if it is an unchanged regular file
				// that may hold specs.
				add := func(n *treeNode, k int) {
					switch n.mode(k) {
					case filemode.Dir, filemode.Symlink, filemode.Submodule:
						return
					}
					p := join(n.name(k))
					if isChanged[p] {
						return
					}
					if ok, _ := cfg.CandidatePath(p); ok {
						per[i] = append(per[i], scanFile{p, n.hash(k)})
					}
				}
				if c != nil && d.from != nil {
					if unknown, ok := c.answer(d, changedIn[d.path], q, blobDigest); ok {
						answered[i] = true
						for _, k := range unknown {
							add(d.from, k)
						}
						continue
					}
				}
				per[i] = make([]scanFile, 0, len(d.head.entries))
				for k := range d.head.entries {
					add(d.head, k)
				}
			}
		})
	}
	wg.Wait()
	for _, a := range answered {
		if a {
			summarised++
		}
	}
	return slices.Concat(per...), dirs, summarised, nil
}

// pairedDir is a directory of head, and the tree at its path in from.
type pairedDir struct {
	path   string
	head   *treeNode
	headID plumbing.Hash
	// from is nil where from has no directory at path.
	from   *treeNode
	fromID plumbing.Hash
}

// pairDirs lists the directory h of o and every directory below it, each
// before those below it, with the directory at its path in the tree
// fromRoot of fo (fo nil for none).
func pairDirs(ctx context.Context, o *gitObjects, h plumbing.Hash, fo *gitObjects, fromRoot plumbing.Hash) ([]pairedDir, error) {
	var out []pairedDir
	paths := 0
	var visit func(h plumbing.Hash, f plumbing.Hash, hasFrom bool, prefix string) error
	visit = func(h, f plumbing.Hash, hasFrom bool, prefix string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := o.tree(h)
		if err != nil {
			return err
		}
		if paths += len(n.entries); paths > maxTreePaths {
			return tooManyPaths("")
		}
		d := pairedDir{path: prefix, head: n, headID: h}
		if hasFrom {
			if d.from, err = fo.tree(f); err != nil {
				return err
			}
			d.fromID = f
		}
		out = append(out, d)
		join := joinIn(prefix)
		for i := range n.entries {
			if n.mode(i) != filemode.Dir {
				continue
			}
			var sub plumbing.Hash
			subFrom := false
			if d.from != nil {
				if k, ok := d.from.index(n.name(i)); ok && d.from.mode(k) == filemode.Dir {
					sub, subFrom = d.from.hash(k), true
				}
			}
			if err := visit(n.hash(i), sub, subFrom, join(n.name(i))); err != nil {
				return err
			}
		}
		return nil
	}
	return out, visit(h, fromRoot, fo != nil, "")
}

// blobsOf lists the hashes of the regular files of t, for the scan cache
// to keep the digests of.
func blobsOf(ctx context.Context, t *gitTree) ([]plumbing.Hash, error) {
	var blobs []plumbing.Hash
	err := t.objs.walk(ctx, t.root, "", func(_ string, e *object.TreeEntry) {
		switch e.Mode {
		case filemode.Symlink, filemode.Submodule:
			return
		}
		blobs = append(blobs, e.Hash)
	})
	return blobs, err
}

// job is one file to read.
type job struct {
	tree Tree
	path string // in tree
	name string // as reported to the user
	mode spec.Mode
}

// load parses files in parallel; the result is in job order.
func load(jobs []job, lim spec.Limits) (*Loaded, error) {
	type result struct {
		workflows []*spec.Workflow
		errs      spec.Errors
		err       error
	}
	results := make([]result, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				ws, errs, err := readSpecs(jobs[i], lim)
				results[i] = result{ws, errs, err}
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()

	out := &Loaded{}
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		out.Workflows = append(out.Workflows, r.workflows...)
		out.Errors = append(out.Errors, r.errs...)
	}
	out.Errors = append(out.Errors, duplicates(out.Workflows)...)
	return out, nil
}

func readSpecs(j job, lim spec.Limits) ([]*spec.Workflow, spec.Errors, error) {
	data, err := j.tree.ReadFile(j.path, lim.MaxFileSize)
	var symlink *SymlinkError
	var tooLarge *TooLargeError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, nil
	case errors.As(err, &symlink):
		if j.mode == spec.Discover && !symlink.Escapes {
			// The target is in the repo and offered on its own.
			return nil, nil, nil
		}
		return nil, spec.Errors{{File: j.name, Msg: symlink.Error(), Hint: "commit the spec itself, not a link to it"}}, nil
	case errors.As(err, &tooLarge):
		return nil, spec.Errors{{File: j.name, Msg: fmt.Sprintf("file is %d bytes, over the limit of %d", tooLarge.Size, tooLarge.Limit),
			Hint: "split it into several files, or raise limits.maxFileSize in .nhigate.yaml"}}, nil
	case err != nil:
		return nil, nil, err
	}
	if j.mode == spec.Discover && !spec.Marker(data) {
		return nil, nil, nil
	}
	ws, err := spec.Parse(j.name, data, j.mode, lim)
	if err != nil {
		var errs spec.Errors
		if errors.As(err, &errs) {
			return nil, errs, nil
		}
		return nil, nil, err
	}
	return ws, nil, nil
}

// duplicates reports workflows that share a metadata.name, which must be
// unique: the diff matches identities by it.
func duplicates(ws []*spec.Workflow) spec.Errors {
	var errs spec.Errors
	first := map[string]*spec.Workflow{}
	for _, w := range ws {
		if prev, ok := first[w.Metadata.Name]; ok {
			pos := w.Source.Position("metadata.name")
			errs = append(errs, &spec.Error{File: w.Source.File, Line: pos.Line, Col: pos.Col, Path: "metadata.name",
				Msg:  fmt.Sprintf("%q is already the name of a workflow in %s", w.Metadata.Name, prev.Source.File),
				Hint: "give each workflow its own name"})
			continue
		}
		first[w.Metadata.Name] = w
	}
	return errs
}

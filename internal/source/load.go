package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"slices"
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
	// Scanned counts the unchanged files that may hold specs; Parsed
	// those of them that mention a wanted name, which were read and
	// parsed. Both are the same whether or not a scan cache answered.
	Scanned, Parsed int
	// Cached counts the files of Scanned that the scan cache said
	// mention no wanted name, which were not read. The others were read.
	Cached int
}

// LoadReview reads the specs of the changed paths at base and head, and
// finds every other spec of their principals: it reads each unchanged file
// of head that may hold specs, and parses those that mention the identity
// name of a changed spec (or its metadata.name, which must be unique in the
// repo). Unchanged files are the same at base, which must be the revision
// head is diffed against.
//
// A metadata.name of a changed head spec that an unchanged file also uses
// is an error of the head spec, naming both files. Unchanged files were
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
	files, err := unchangedCandidates(ctx, head, isChanged, cfg)
	if err != nil {
		return nil, err
	}
	r.Scanned = len(files)
	lim := cfg.SpecLimits()
	found, skipped, err := scanFiles(ctx, head, files, lim.MaxFileSize, want, c)
	if err != nil {
		return nil, err
	}
	if c != nil {
		hits, decoded := c.treeCounts()
		c.logf("scan cache: %d of %d unchanged files answered without a read; %d trees read from it, %d from the packs", skipped, len(files), hits, decoded)
		if g, ok := head.(*gitTree); ok && c.dirty() {
			blobs, err := blobsOf(ctx, g)
			if err != nil {
				return nil, err
			}
			c.save(blobs)
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
				if mode == spec.Discover && !spec.Marker(f.data) {
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

// unchangedCandidates lists the regular files of t that may hold specs
// and did not change, with their hashes.
func unchangedCandidates(ctx context.Context, t Tree, isChanged map[string]bool, cfg *config.Config) ([]scanFile, error) {
	var files []scanFile
	if g, ok := t.(*gitTree); ok {
		// Straight from the trees, a directory to a core: a map of every
		// path costs more than the walk.
		dirs, err := g.objs.dirs(ctx, g.root, "")
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			return nil, fmt.Errorf("walk %s: %w", t, err)
		}
		per := make([][]scanFile, len(dirs))
		var next atomic.Int64
		var wg sync.WaitGroup
		for range min(runtime.GOMAXPROCS(0), len(dirs)) {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= len(dirs) {
						return
					}
					join := joinIn(dirs[i].path)
					per[i] = make([]scanFile, 0, len(dirs[i].node.entries))
					for k := range dirs[i].node.entries {
						e := &dirs[i].node.entries[k]
						switch e.Mode {
						case filemode.Dir, filemode.Symlink, filemode.Submodule:
							continue
						}
						p := join(e.Name)
						if isChanged[p] {
							continue
						}
						if ok, _ := cfg.CandidatePath(p); ok {
							per[i] = append(per[i], scanFile{p, e.Hash})
						}
					}
				}
			})
		}
		wg.Wait()
		return slices.Concat(per...), nil
	}
	all, err := t.entries(ctx)
	if err != nil {
		return nil, err
	}
	for p, e := range all {
		if e.kind != kindRegular || isChanged[p] {
			continue
		}
		if ok, _ := cfg.CandidatePath(p); ok {
			files = append(files, scanFile{p, e.hash})
		}
	}
	return files, nil
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

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/nhigate/nhigate/internal/source"
)

const indexExamples = `  # Write the scan index of HEAD into the work tree, then commit it
  nhigate index
  git add .nhigate/scan-index && git commit -m "nhigate: refresh the scan index"

  # Of another clone's main branch, to a file of your choice
  nhigate index --repo ../policy-repo --rev origin/main --output /tmp/scan-index
`

// runIndex writes the scan index of a revision: what lets a review on a
// fresh runner read only the unchanged files that may hold a principal of
// the change, once the index is committed and the review's base has it.
func runIndex(ctx context.Context, p *program, args []string) error {
	fs := p.flags("index", "index [flags]", indexExamples)
	repo := fs.String("repo", ".", "git repository to index")
	rev := fs.String("rev", "HEAD", "revision (branch, tag, SHA) to index: a commit, never the work tree, so commit your changes first")
	out := fs.String("output", "", "file to write; default: "+source.ScanIndexPath+" in the work tree of --repo")
	if err := p.parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q; name the revision with --rev", fs.Arg(0))
	}
	t, err := source.NewRepo(*repo).OpenRevision(*rev)
	if err != nil {
		return usageErrorf("--rev: %v", err)
	}
	data, err := source.BuildScanIndex(ctx, t)
	// Past a bound of the revision (its reads, runs, size or paths), as
	// a review blocks on it: the repository's, not nhigate's failure.
	var bound *source.IndexBoundError
	var refused *source.TreeError
	switch {
	case errors.As(err, &bound):
		return usageErrorf("%s: %v", t, bound)
	case errors.As(err, &refused):
		return usageErrorf("%v", err)
	}
	if err != nil {
		return err
	}
	dest := *out
	if dest != "" {
		err = writeAtomic(dest, func(w io.Writer) error {
			_, err := w.Write(data)
			return err
		})
	} else {
		// At the top of the work tree, where reviews read it, even when
		// --repo names a directory inside it.
		top, terr := workTreeTop(*repo)
		if terr != nil {
			return terr
		}
		dest = filepath.Join(top, filepath.FromSlash(source.ScanIndexPath))
		err = writeInRepo(top, data)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(p.stderr, "nhigate: wrote the scan index of %s to %s (%d bytes); commit it as %s, and reviews whose base has it read only the unchanged files that may hold a principal of their change\n",
		t, dest, len(data), source.ScanIndexPath)
	return nil
}

// workTreeTop is the top of the work tree that holds dir: the nearest
// directory at or above it with a .git.
func workTreeTop(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", usageErrorf("--repo: %v", err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", usageErrorf("--repo: %s is in no git work tree: run nhigate index in a clone, or name the file with --output", dir)
		}
	}
}

// writeInRepo writes data to the index's path in the work tree repo,
// whole or not at all, and never through a link: the work tree may be a
// pull request's checkout (a blocked index's hint says to run nhigate
// index at its head), whose .nhigate or index may be a symlink to any
// file.
func writeInRepo(repo string, data []byte) error {
	root, err := os.OpenRoot(repo)
	if err != nil {
		return usageErrorf("--repo: %v", err)
	}
	defer root.Close()
	refused := func(err error) error {
		return usageErrorf("--repo: cannot write %s inside %s (%v): %s must be a directory of the repository, not a link out of it; or name the file with --output",
			source.ScanIndexPath, repo, err, path.Dir(source.ScanIndexPath))
	}
	for _, p := range []string{path.Dir(source.ScanIndexPath), source.ScanIndexPath} {
		if fi, err := root.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return usageErrorf("%s is a symlink: nhigate index writes %s only as a file of the work tree; remove the link, or name a file with --output", p, source.ScanIndexPath)
		}
	}
	if err := root.MkdirAll(path.Dir(source.ScanIndexPath), 0o755); err != nil {
		return refused(err)
	}
	tmp := fmt.Sprintf("%s.tmp-%d", source.ScanIndexPath, os.Getpid())
	if err := root.WriteFile(tmp, data, 0o644); err != nil {
		return refused(err)
	}
	if err := root.Rename(tmp, source.ScanIndexPath); err != nil {
		root.Remove(tmp)
		return refused(err)
	}
	return nil
}

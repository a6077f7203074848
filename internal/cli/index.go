package cli

import (
	"context"
	"fmt"
	"io"
	"os"
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
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		// The work tree may be a pull request's checkout: a link at
		// .nhigate or at the index would have the index written through
		// it, over any file the link names.
		path = filepath.Join(*repo, filepath.FromSlash(source.ScanIndexPath))
		for _, p := range []string{filepath.Dir(path), path} {
			if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
				return usageErrorf("%s is a symlink: nhigate index writes %s only as a file of the work tree; remove the link, or name a file with --output", p, source.ScanIndexPath)
			}
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
	}
	if err := writeAtomic(path, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return err
	}
	fmt.Fprintf(p.stderr, "nhigate: wrote the scan index of %s to %s (%d bytes); commit it as %s, and reviews whose base has it read only the unchanged files that may hold a principal of their change\n",
		t, path, len(data), source.ScanIndexPath)
	return nil
}

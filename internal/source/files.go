package source

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/spec"
)

// LoadPaths reads the specs in files and directories named on a command
// line, for "nhigate check". A file named explicitly is read in mode named
// (Strict: it must hold only specs); in a directory every YAML or JSON file
// that claims nhigate.dev is read.
// Symlinks are never followed. Paths in results are as given, slash-separated.
func LoadPaths(paths []string, named spec.Mode, cfg *config.Config) (*Loaded, error) {
	type item struct {
		path string
		mode spec.Mode
	}
	var items []item
	for _, arg := range paths {
		fi, err := os.Lstat(arg)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the path is named once, first
			}
			return nil, fmt.Errorf("%s: %w", arg, err)
		}
		switch {
		case fi.IsDir():
			err := filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.IsDir() {
					if d.Name() == ".git" {
						return filepath.SkipDir
					}
					return nil
				}
				switch strings.ToLower(filepath.Ext(p)) {
				case ".yaml", ".yml", ".json":
					items = append(items, item{filepath.ToSlash(p), spec.Discover})
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("walk %s: %w", arg, err)
			}
		default:
			items = append(items, item{filepath.ToSlash(arg), named})
		}
	}
	jobs := make([]job, 0, len(items))
	for _, it := range items {
		p := filepath.Clean(filepath.FromSlash(it.path))
		var t Tree = &dirTree{root: "."}
		rel := filepath.ToSlash(p)
		if filepath.IsAbs(p) || rel == ".." || strings.HasPrefix(rel, "../") {
			// Outside the working directory: the file's own folder is its root.
			t, rel = &dirTree{root: filepath.Dir(p)}, filepath.Base(p)
		}
		jobs = append(jobs, job{tree: t, path: rel, name: it.path, mode: it.mode})
	}
	out, err := load(jobs, cfg.SpecLimits())
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out.Errors, func(a, b *spec.Error) int { return strings.Compare(a.File, b.File) })
	return out, nil
}

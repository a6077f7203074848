package source

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
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
		if nameClass[data[i]] == 0 {
			i++
			continue
		}
		// A name starts with a letter or a digit: skip the separators
		// that may come before it.
		for i < len(data) && nameClass[data[i]] == classSep {
			i++
		}
		j := i
		for j < len(data) && nameClass[data[j]] != 0 {
			j++
		}
		run := data[i:j]
		i = j
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
}

// scanFiles reads the regular files at paths in t, whose entries are all,
// and keeps those that mention a name. Files over limit bytes are skipped:
// they cannot be specs.
func scanFiles(ctx context.Context, t Tree, all map[string]entry, paths []string, limit int64, want names) ([]scanned, error) {
	if g, ok := t.(*gitTree); ok {
		return g.scanBlobs(ctx, all, paths, limit, want)
	}
	var out []scanned
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := t.ReadFile(p, limit)
		var tooLarge *TooLargeError
		var symlink *SymlinkError
		switch {
		case errors.As(err, &tooLarge), errors.As(err, &symlink):
			continue
		case err != nil:
			return nil, err
		}
		if mentions(data, want) {
			out = append(out, scanned{p, data})
		}
	}
	return out, nil
}

// scanBlobs reads the blobs of paths on every core, straight from the pack
// files, in pack order so that each delta base is decoded once. A blob the
// packs cannot read is read through go-git.
func (t *gitTree) scanBlobs(ctx context.Context, all map[string]entry, paths []string, limit int64, want names) ([]scanned, error) {
	type item struct {
		path string
		hash plumbing.Hash
		off  int64
	}
	var items []item
	for _, p := range paths {
		if e, ok := all[p]; ok && e.kind == kindRegular {
			items = append(items, item{path: p, hash: e.hash})
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
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var r *packReader
			if packs != nil {
				r = packs.reader(scanCacheBudget)
			}
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
				data, err := r.blob(items[i].hash, limit)
				var tooLarge *TooLargeError
				switch {
				case errors.As(err, &tooLarge):
					continue
				case err != nil:
					// Somewhere the packs do not hold it, such as a loose
					// object or an alternate: ask go-git.
					data, err = t.objs.blob(items[i].path, items[i].hash, limit)
					if errors.As(err, &tooLarge) {
						continue
					}
				}
				if err != nil {
					errs[w] = fmt.Errorf("read %s: %w", items[i].path, err)
					return
				}
				if mentionsLen(data, want, lengths) {
					found[w] = append(found[w], scanned{items[i].path, data})
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := slices.Concat(found...)
	slices.SortFunc(out, func(a, b scanned) int { return strings.Compare(a.path, b.path) })
	return out, nil
}

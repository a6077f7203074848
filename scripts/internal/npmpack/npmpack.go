// Package npmpack reads the files of an npm package, as the generators of
// the repo's data (scripts/gen-catalog, scripts/gen-aws-actions) take their
// sources from npm at pinned versions.
package npmpack

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Files fetches name@version with `npm pack` into dir and returns the
// files of its tarball that keep selects.
func Files(dir, name, version string, keep func(string) bool) (map[string][]byte, error) {
	cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", dir, name+"@"+version)
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("npm pack %s@%s: %w", name, version, err)
	}
	lines := strings.Fields(string(outb))
	if len(lines) == 0 {
		return nil, fmt.Errorf("npm pack %s@%s printed no file name", name, version)
	}
	f, err := os.Open(filepath.Join(dir, lines[len(lines)-1]))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if h.Typeflag != tar.TypeReg || !keep(h.Name) {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, h.Name, err)
		}
		files[h.Name] = b
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s@%s: no data files in the package", name, version)
	}
	return files, nil
}

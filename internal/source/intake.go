package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/spec"
)

// Screened is what Screen found among the changed files.
type Screened struct {
	// Errors are changed files that could carry access past the review
	// unread: each blocks it.
	Errors spec.Errors
	// Governance are the changed files that decide how reviews are judged
	// or how the gate runs, with why; each change is critical.
	Governance []Governance
}

// Governance is one changed governance file.
type Governance struct {
	Path, Reason string
}

// Screen looks at every changed path for what a review must not miss. The
// specs that LoadSpecs read are judged by the diff and the policies; Screen
// makes sure that nothing else can hold a spec:
//   - a symlink added or changed in head, wherever it points: nhigate never
//     follows one, so what it stands for would go unread;
//   - a submodule (gitlink) added or changed at a path where specs may lie:
//     its files are in another repository; elsewhere it is governance;
//   - a file outside the spec paths (or with a name discovery skips, or in
//     a governance path) that claims to be an nhigate document
//     (spec.FindClaim), and a discovered file whose claim is not a
//     top-level document;
//   - a path that is not a clean, portable repo path.
//
// It also lists the governance files that the change touches, on either
// side. from is the side head is diffed against, and loaded is what
// LoadSpecs read from head: files it already reported are not reported
// again.
func Screen(ctx context.Context, from, head Tree, changed []string, cfg *config.Config, loaded *Loaded) (*Screened, error) {
	read := map[string]bool{}
	if loaded != nil {
		for _, w := range loaded.Workflows {
			read[w.Source.File] = true
		}
		for _, e := range loaded.Errors {
			read[e.File] = true
		}
	}
	out := &Screened{}
	block := func(p string, line, col int, msg, hint string) {
		out.Errors = append(out.Errors, &spec.Error{File: p, Line: line, Col: col, Msg: msg, Hint: hint})
	}
	for _, p := range changed {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if msg := unsafeName(p); msg != "" {
			block(strings.ToValidUTF8(p, "\uFFFD"), 0, 0, msg, "rename the file to plain letters, digits, '-', '_', '.' and '/'")
			continue
		}
		if reason := cfg.GovernanceReason(p); reason != "" {
			out.Governance = append(out.Governance, Governance{Path: p, Reason: reason})
		}
		if read[p] {
			continue // LoadSpecs read it as a spec, or reported why not
		}
		was, _, err := from.kind(p)
		var link *SymlinkError
		switch {
		case errors.As(err, &link):
			was = kindNone // below a symlinked directory nothing was there
		case err != nil:
			return nil, err
		}
		is, target, err := head.kind(p)
		switch {
		case errors.As(err, &link):
			// A directory on the way is a symlink; the link itself is
			// among the changes and reported there.
			continue
		case err != nil:
			return nil, err
		}
		switch is {
		case kindSymlink:
			block(p, 0, 0, fmt.Sprintf("is a symlink to %q: nhigate never follows a symlink, so a pull request may not add or change one", target),
				"commit the file itself, not a link to it")
			continue
		case kindGitlink:
			if cfg.MayHoldSpecs(p) {
				block(p, 0, 0, "is a submodule (gitlink) where specs may lie: its files are in another repository, and nhigate cannot read them",
					"commit the specs themselves, not a submodule")
			} else if !cfg.IsGovernance(p) {
				out.Governance = append(out.Governance, Governance{Path: p,
					Reason: "a submodule (gitlink): its files are in another repository, and nhigate cannot read them"})
			}
			continue
		case kindRegular:
		default:
			if was == kindGitlink && !cfg.IsGovernance(p) {
				out.Governance = append(out.Governance, Governance{Path: p, Reason: "a submodule (gitlink) removed"})
			}
			continue
		}
		if was == kindGitlink && !cfg.IsGovernance(p) {
			out.Governance = append(out.Governance, Governance{Path: p, Reason: "a submodule (gitlink) replaced by a file"})
		}
		candidate, mode := cfg.CandidatePath(p)
		if candidate && mode == spec.Strict {
			continue // LoadSpecs read it as a spec, or reported why not
		}
		if e := claimOutside(head, p, candidate, cfg); e != nil {
			out.Errors = append(out.Errors, e)
		}
	}
	return out, nil
}

// lfsPointerPrefix starts every Git LFS pointer file.
const lfsPointerPrefix = "version https://git-lfs.github.com/spec/"

// claimOutside reads a file that LoadSpecs did not take as a spec, and
// says why it is an error if it claims to be one.
func claimOutside(t Tree, p string, discovered bool, cfg *config.Config) *spec.Error {
	limit := int64(cfg.Limits.MaxFileSize)
	data, err := t.ReadFile(p, limit)
	var tooLarge *TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		// Too large to parse: the text alone must not mention nhigate.
		if ok, err := scan(t, p, spec.ClaimInText); err != nil || ok {
			return &spec.Error{File: p, Msg: fmt.Sprintf("is %d bytes, over the limit of %d, and mentions nhigate.dev or ProvisioningWorkflow: nhigate cannot tell whether it is a spec", tooLarge.Size, limit),
				Hint: "move it out of the repo, or raise limits.maxFileSize in .nhigate.yaml so that nhigate can read it"}
		}
		return nil
	case err != nil:
		return &spec.Error{File: p, Msg: "cannot be read: " + err.Error(), Hint: "commit a regular file"}
	}
	// A pointer's content lives outside git: what a checkout with LFS
	// deploys is nothing nhigate read. Where specs may be discovered it
	// could be one, so it blocks.
	if discovered && bytes.HasPrefix(data, []byte(lfsPointerPrefix)) {
		return &spec.Error{File: p, Line: 1, Col: 1,
			Msg:  "is a Git LFS pointer where specs may lie: its content is stored outside git, and nhigate cannot read it",
			Hint: "commit the file itself: remove the filter=lfs rule that covers its path from .gitattributes"}
	}
	c, ok := spec.FindClaim(p, data)
	if !ok {
		return nil
	}
	claims := fmt.Sprintf("declares itself an nhigate document (%s)", describeClaim(c, data))
	e := &spec.Error{File: p, Line: c.Line, Col: c.Col}
	switch {
	case discovered:
		e.Msg = claims + ", but no document in it is a ProvisioningWorkflow at its top level, so it is not reviewed"
		e.Hint = `write each workflow as its own YAML document, starting with "apiVersion: nhigate.dev/v1"`
	case cfg.IsGovernance(p):
		e.Msg = claims + " in a governance file, which is never read as a spec"
		e.Hint = "move the spec out of " + governanceWhere(p)
	case len(cfg.Specs) > 0:
		e.Msg = fmt.Sprintf("%s outside the spec paths of %s (specs: %s), so it is not reviewed", claims, config.File, strings.Join(quoteAll(cfg.Specs), ", "))
		e.Hint = "move it to a path that specs matches (names and extensions compare exactly), or add its path to specs in " + config.File
	default:
		e.Msg = claims + ", but only files named *.yaml, *.yml or *.json are read as specs, so it is not reviewed"
		e.Hint = "rename it to end in .yaml"
	}
	return e
}

func describeClaim(c spec.Claim, data []byte) string {
	var what string
	if c.Key != "" {
		what = fmt.Sprintf("%+q: %+q", c.Key, c.Value)
	} else {
		what = "mentions " + c.Value
	}
	if enc := spec.Encoding(data); enc != "UTF-8" {
		what += ", in " + enc
	}
	return what
}

func governanceWhere(p string) string {
	if strings.HasPrefix(strings.ToLower(p), ".github/") {
		return ".github/"
	}
	return path.Dir(p) + "/"
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// unsafeName says what is wrong with a path that no clean checkout holds
// as written: "..", "." or empty segments, a ".git" segment, a backslash
// (a directory separator on Windows), or control and invalid characters.
// Such a path reads differently to git, to nhigate and to a deployer.
func unsafeName(p string) string {
	if !fs.ValidPath(p) || p == "." {
		return fmt.Sprintf("%+q is not a clean repo path", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if strings.EqualFold(strings.TrimRight(seg, ". "), ".git") {
			return fmt.Sprintf("%+q holds a .git segment", p)
		}
	}
	for _, r := range p {
		if r == '\\' || r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return fmt.Sprintf("%+q holds a backslash, a control or an invalid character", p)
		}
	}
	return ""
}

// ReadLocal reads a file named on the command line, such as --config,
// through the same bounded, symlink-refusing reader as the trees: a path
// inside the working directory may not pass through a symlink, and one
// outside it is read from its own directory, which may not be a symlink at
// the file itself.
func ReadLocal(name string, limit int64) ([]byte, error) {
	t, rel := localFile(name)
	return t.ReadFile(rel, limit)
}

// ReadBounded reads a file named on the command line, such as a spec to
// verify or a file to import, up to limit bytes: a larger one is an error
// that says so, read no further than the limit.
func ReadBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is over %d bytes", path, limit)
	}
	return data, nil
}

// localFile returns the tree and the path in it from which to read a file
// named on the command line.
func localFile(name string) (Tree, string) {
	p := filepath.Clean(name)
	rel := filepath.ToSlash(p)
	if filepath.IsAbs(p) || rel == ".." || strings.HasPrefix(rel, "../") {
		return &dirTree{root: filepath.Dir(p)}, filepath.Base(p)
	}
	return &dirTree{root: "."}, rel
}

// Large files are read in chunks, each keeping the end of the one before
// so that a word across the boundary is still seen. Both sizes are
// multiples of 4, so that UTF-16 and UTF-32 text stays aligned.
const (
	scanChunk   = 1 << 20
	scanOverlap = 256
)

// scan reports whether found is true of any chunk of the file at p, reading
// it in bounded memory whatever its size.
func scan(t Tree, p string, found func([]byte) bool) (bool, error) {
	r, err := t.openReader(p)
	if err != nil {
		return false, err
	}
	return scanReader(r, p, found)
}

// scanReader reports whether found is true of any chunk of r, the file
// at p, which it closes.
func scanReader(r io.ReadCloser, p string, found func([]byte) bool) (bool, error) {
	defer r.Close()
	buf := make([]byte, scanOverlap+scanChunk)
	kept := 0
	for {
		n, err := io.ReadFull(r, buf[kept:])
		if n > 0 && found(buf[:kept+n]) {
			return true, nil
		}
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("read %s: %w", p, err)
		}
		kept = copy(buf, buf[kept+n-scanOverlap:kept+n])
	}
}

// Package deploy holds the flows of nhigate render and nhigate import: the
// deployer's verify-then-render, with every refusal at a spec's
// file:line:col, and the adopter's import of existing access into specs.
// The platforms themselves live in render/...; the command layer only turns
// flags into a request and the result into bytes and an exit code.
package deploy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nhigate/nhigate/attest"
	"github.com/nhigate/nhigate/internal/secret"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/render/all"
	"github.com/nhigate/nhigate/spec"
)

// RenderRequest is one nhigate render.
type RenderRequest struct {
	Target render.Target
	// Specs are the spec files, as named on the command line.
	Specs []string
	// Trust verifies each spec against Bundle(spec) before it renders; nil
	// renders unverified (a preview).
	Trust  *attest.Trust
	Bundle func(spec string) string
	// Verify are the options of the verification (its clock included).
	Verify attest.Options
	Now    time.Time
}

// Rendered is what a render produced. Nothing may be written unless
// Problems is empty: a deployment applies all of its specs or none.
type Rendered struct {
	Files []render.File
	// Problems are the reasons specs did not verify or render, each at the
	// spec's file:line:col where there is one.
	Problems []string
	// Notes say what the render did that the spec does not say by itself
	// (access ended before expiresAt, when the signed review stops holding).
	Notes []string
}

// UsageError is an error in what the command was asked to do (an unreadable
// spec, a --out-dir that cannot be written safely): exit 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// Render verifies, then renders, every spec of req. The bytes verified are
// the bytes rendered: each file is read once.
func Render(req RenderRequest) (*Rendered, error) {
	out := &Rendered{}
	for _, path := range req.Specs {
		content, err := source.ReadBounded(path, spec.DefaultMaxFileSize)
		if err != nil {
			return nil, usagef("%v", err)
		}
		var validUntil time.Time
		if req.Trust != nil {
			res, _, err := verify(path, content, req.Bundle(path), req.Trust, req.Verify)
			if err != nil {
				out.Problems = append(out.Problems, fmt.Sprintf("%s: not verified, not rendered: %v", path, err))
				continue
			}
			validUntil = res.ValidUntil
		}
		renderFile(out, req.Target, filepath.ToSlash(path), content, req.Now, validUntil)
	}
	if len(out.Problems) == 0 {
		if dup := duplicateName(out.Files); dup != "" {
			return nil, usagef("two specs render %s; render them into separate --out-dir directories", dup)
		}
	}
	return out, nil
}

// renderFile renders every workflow of one spec file into out, or says why
// not, each problem at the file:line:col of the field.
//
// validUntil, when set, is when the signed verdict stops holding: before
// expiresAt when an exception the review relied on expires first. The
// platform must end the access then, not at expiresAt, so the spec renders
// with the earlier of the two as its expiry.
func renderFile(out *Rendered, target render.Target, path string, content []byte, now, validUntil time.Time) {
	ws, err := spec.Parse(path, content, spec.Strict, spec.Limits{})
	if err != nil {
		out.Problems = append(out.Problems, err.Error())
		return
	}
	for _, w := range ws {
		where := func(field string) string {
			pos := w.Source.Position(field)
			return fmt.Sprintf("%s:%d:%d", path, pos.Line, pos.Col)
		}
		problem := func(format string, args ...any) {
			out.Problems = append(out.Problems, fmt.Sprintf(format, args...))
		}
		switch {
		case w.Spec.Identity.Platform != target.Platform:
			pl := w.Spec.Identity.Platform
			problem("%s: spec %s is for platform %s, not %s; render it with --target %s",
				where("spec.identity.platform"), w.Metadata.Name, pl, target.Platform, TargetFor(pl))
			continue
		case !w.Spec.ExpiresAt.IsSet():
			problem("%s: spec %s has no expiresAt, which render enforces on the platform; add one, e.g. expiresAt: \"2027-03-31T00:00:00Z\"",
				where("spec"), w.Metadata.Name)
			continue
		case !w.Spec.ExpiresAt.After(now):
			problem("%s: spec %s expired at %s; its access must not be rendered",
				where("spec.expiresAt"), w.Metadata.Name, w.Spec.ExpiresAt.Text)
			continue
		}
		if !validUntil.IsZero() && validUntil.Before(w.Spec.ExpiresAt.Time) {
			until := validUntil.UTC().Truncate(time.Second)
			out.Notes = append(out.Notes, fmt.Sprintf("spec %s: rendered to end at %s, when its signed review stops holding (an exception it relied on expires), before its expiresAt %s",
				w.Metadata.Name, until.Format(time.RFC3339), w.Spec.ExpiresAt.Text))
			ended := *w
			ended.Spec.ExpiresAt = spec.Time{Time: until, Text: until.Format(time.RFC3339)}
			w = &ended
		}
		files, err := target.Render(w)
		if err != nil {
			out.Problems = append(out.Problems, fieldProblems(err, where)...)
			continue
		}
		if msg := SecretIn(files); msg != "" {
			problem("%s: spec %s: %s; remove it from the spec and revoke it (NHI-SEC-001)", path, w.Metadata.Name, msg)
			continue
		}
		out.Files = append(out.Files, files...)
	}
}

// SecretIn says which file holds what looks like a secret, and of what
// kind, never the value; "" when none does. An artifact is printed and
// applied as it is, so masking it would change it: render and import refuse
// it instead, as the policies refuse the spec.
func SecretIn(files []render.File) string {
	for _, f := range files {
		if found := secret.Find(string(f.Data)); len(found) > 0 {
			return fmt.Sprintf("%s would hold what looks like %s", f.Name, found[0].Kind.Name)
		}
	}
	return ""
}

// fieldProblems turns a target's refusal into messages at the fields' positions.
func fieldProblems(err error, where func(string) string) []string {
	var fes render.Errors
	var fe *render.FieldError
	switch {
	case errors.As(err, &fes):
	case errors.As(err, &fe):
		fes = render.Errors{fe}
	default:
		return []string{err.Error()}
	}
	var out []string
	for _, e := range fes {
		out = append(out, fmt.Sprintf("%s: %s: %s", where(e.Field), e.Field, e.Msg))
	}
	return out
}

func duplicateName(files []render.File) string {
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f.Name] {
			return f.Name
		}
		seen[f.Name] = true
	}
	return ""
}

// WriteRendered writes a render's files below dir, after checking that the
// directory of each spec holds no file this render does not write.
func WriteRendered(dir string, files []render.File) error {
	stale, err := staleFile(dir, files)
	if err != nil {
		return err
	}
	if stale != "" {
		return usagef("%s is in --out-dir but not in this render (left from an earlier one?): a deployer who applies the spec's directory whole would apply it too; remove %s, or render into an empty --out-dir",
			filepath.Join(dir, filepath.FromSlash(stale)), filepath.Join(dir, filepath.FromSlash(strings.SplitN(stale, "/", 2)[0])))
	}
	return WriteFiles(dir, files)
}

// staleFile returns a file below dir, slash-separated, that lies in the
// directory of a spec being rendered but is not one of files: an artifact
// of an earlier render (a second token request, a Role since removed) that
// whoever applies the directory whole would apply with the new ones. ""
// when there is none, or dir does not exist yet.
func staleFile(dir string, files []render.File) (string, error) {
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", usagef("--out-dir: %v", err)
	}
	defer root.Close()
	want := map[string]bool{}
	var specDirs []string
	for _, f := range files {
		want[f.Name] = true
		d, _, _ := strings.Cut(f.Name, "/")
		if !slices.Contains(specDirs, d) {
			specDirs = append(specDirs, d)
		}
	}
	fsys := root.FS()
	for _, d := range specDirs {
		stale := ""
		err := fs.WalkDir(fsys, d, func(p string, e fs.DirEntry, err error) error {
			switch {
			case errors.Is(err, fs.ErrNotExist) && p == d:
				return fs.SkipDir
			case err != nil:
				return err
			case e.IsDir():
				return nil
			case !want[p]:
				stale = p
				return fs.SkipAll
			}
			return nil
		})
		if err != nil {
			return "", usagef("--out-dir: cannot read %s below %s (a symlink there that leads outside it is never followed): %v", d, dir, err)
		}
		if stale != "" {
			return stale, nil
		}
	}
	return "", nil
}

// WriteFiles writes files below dir, never outside it: names come from
// specs, and os.Root refuses "..", absolute paths and symlinks that leave.
func WriteFiles(dir string, files []render.File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usagef("--out-dir: %v", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return usagef("--out-dir: %v", err)
	}
	defer root.Close()
	for _, f := range files {
		if d := filepath.Dir(filepath.FromSlash(f.Name)); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return usagef("--out-dir: cannot write %s below %s (a symlink there that leads outside it is never followed): %v", f.Name, dir, err)
			}
		}
		if err := root.WriteFile(filepath.FromSlash(f.Name), f.Data, 0o644); err != nil {
			return usagef("--out-dir: cannot write %s below %s (a symlink there that leads outside it is never followed): %v", f.Name, dir, err)
		}
	}
	return nil
}

// TargetNames are the names --target takes.
func TargetNames() []string {
	var names []string
	for _, t := range all.Targets() {
		names = append(names, t.Name)
	}
	return names
}

// FindTarget returns the target called name.
func FindTarget(name string) (render.Target, bool) {
	i := slices.IndexFunc(all.Targets(), func(t render.Target) bool { return t.Name == name })
	if i < 0 {
		return render.Target{}, false
	}
	return all.Targets()[i], true
}

// TargetFor names the target of a platform, or says there is none.
func TargetFor(platform string) string {
	for _, t := range all.Targets() {
		if t.Platform == platform {
			return t.Name
		}
	}
	return "(none: nhigate cannot render " + platform + " yet)"
}

// SourceNames are the names --from takes.
func SourceNames() []string {
	var names []string
	for _, s := range all.Sources() {
		names = append(names, s.Name)
	}
	return names
}

// FindSource returns the source called name.
func FindSource(name string) (render.Source, bool) {
	i := slices.IndexFunc(all.Sources(), func(s render.Source) bool { return s.Name == name })
	if i < 0 {
		return render.Source{}, false
	}
	return all.Sources()[i], true
}

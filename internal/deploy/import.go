package deploy

import (
	"fmt"
	"strings"

	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/render"
)

// MaxImportFile bounds each file import reads.
const MaxImportFile = 8 << 20

// ImportRequest is one nhigate import.
type ImportRequest struct {
	Source render.Source
	Files  []string
	// Imported is what every spec records: the generator, the time, and
	// the environment and expiry the user chose (File and Data are set per
	// file).
	Imported render.Imported
}

// Spec is one spec an import writes.
type Spec struct {
	// Name is the file's name below the output directory.
	Name string
	// From is the source file it came from.
	From string
	Data []byte
	// Decide counts the fields left for a person ("# decide:").
	Decide int
}

// Imported is what an import produced.
type Imported struct {
	Specs []Spec
	// Skipped, per source file, names what import left out on purpose
	// (people and groups), so that the user sees what no spec covers.
	Skipped map[string][]string
	// Empty are the source files that grant no principal anything.
	Empty []string
}

// RefusedError is a source that holds what import cannot model exactly, or
// more than it may import: nothing is imported (exit 1).
type RefusedError struct{ Err error }

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// Import reads every file of req and builds one spec per principal. Every
// spec is built before any is written, so that a refusal anywhere imports
// nothing.
func Import(req ImportRequest) (*Imported, error) {
	out := &Imported{Skipped: map[string][]string{}}
	byName := map[string]string{}
	values := 0
	for _, file := range req.Files {
		data, err := source.ReadBounded(file, MaxImportFile)
		if err != nil {
			return nil, usagef("%v", err)
		}
		principals, err := req.Source.Import(file, data)
		if err != nil {
			return nil, &RefusedError{err}
		}
		// The bound holds across files too.
		for _, pr := range principals {
			values += render.ImportValues(pr.Entitlements)
		}
		if values > render.MaxImportValues {
			return nil, &RefusedError{fmt.Errorf("%s: the imported principals hold more than %d actions and resources (counted once per entitlement that holds them); import fewer files or principals at a time", file, render.MaxImportValues)}
		}
		if req.Source.Skipped != nil {
			if skipped := req.Source.Skipped(file, data); len(skipped) > 0 {
				out.Skipped[file] = skipped
			}
		}
		if len(principals) == 0 {
			out.Empty = append(out.Empty, file)
		}
		for _, pr := range principals {
			// One spec per principal, and one principal per spec file: two
			// names that fold to one file name would overwrite each other.
			name := render.SpecPath(pr)
			if prev, dup := byName[name]; dup {
				return nil, usagef("%s and %s both give principals named like %s (one spec per principal, written to %s); import them separately, into different --out-dir directories", prev, file, pr.Identity.Name, name)
			}
			byName[name] = file
			in := req.Imported
			in.File, in.Data = file, data
			b, err := render.Spec(pr, in)
			if err != nil {
				return nil, err
			}
			// A spec is committed to the policy repo: a secret in the
			// source must not travel into it, nor to standard output.
			if msg := SecretIn([]render.File{{Name: name, Data: b}}); msg != "" {
				return nil, &RefusedError{fmt.Errorf("%s: %s; remove it from the source and revoke it (NHI-SEC-001)", file, msg)}
			}
			out.Specs = append(out.Specs, Spec{Name: name, From: file, Data: b, Decide: strings.Count(string(b), "# decide:")})
		}
	}
	return out, nil
}

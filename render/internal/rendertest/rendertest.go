// Package rendertest holds what the tests of every render target share:
// the example specs of a platform, loading one, the archive a render is
// pinned as, and golden files rewritten with -update.
package rendertest

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/spec"
)

// update is the one -update flag of every render test binary: a test
// package that imports rendertest must not register its own.
var update = flag.Bool("update", false, "rewrite the golden files")

// examples is the example repository's identities, seen from a target's
// package directory (render/<platform>), where go test runs its tests.
const examples = "../../testdata/example/head/identities"

// examplesOf lists the example specs of platform, and fails t when there is
// none, so that a moved folder cannot pass by testing nothing.
func examplesOf(t testing.TB, platform string) []string {
	t.Helper()
	dir := filepath.Join(examples, platform)
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example specs in %s: %v", dir, err)
	}
	return files
}

// Example is the path of the example spec name.yaml of platform.
func Example(platform, name string) string {
	return filepath.Join(examples, platform, name+".yaml")
}

// specName is the name of an example spec file without its folder and .yaml,
// the name of its subtest and of its golden file.
func specName(file string) string {
	return strings.TrimSuffix(filepath.Base(file), ".yaml")
}

// Load parses file strictly as exactly one workflow.
func Load(t testing.TB, file string) *spec.Workflow {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := spec.Parse(filepath.Base(file), data, spec.Strict, spec.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 {
		t.Fatalf("%s: %d workflows, want 1", file, len(ws))
	}
	return ws[0]
}

// Archive is a render as a golden file pins it: a txtar archive of the
// rendered files, and for a refusal a comment "refused:" followed by each
// refused field on a line of its own.
func Archive(files []render.File, err error) []byte {
	a := &txtar.Archive{}
	if err != nil {
		var b strings.Builder
		b.WriteString("refused:\n")
		var es render.Errors
		if errors.As(err, &es) {
			for _, e := range es {
				b.WriteString(e.Error() + "\n")
			}
		} else {
			b.WriteString(err.Error() + "\n")
		}
		a.Comment = []byte(b.String())
	}
	for _, f := range files {
		a.Files = append(a.Files, txtar.File{Name: f.Name, Data: f.Data})
	}
	return txtar.Format(a)
}

// RenderFunc is a target's Render.
type RenderFunc func(*spec.Workflow) ([]render.File, error)

// GoldenExamples renders every example spec of platform, then the same
// workflow again and a second load of its file, and requires the same
// bytes all three times (no randomness, no change to its input). It hands
// the first render to check, when not nil, and compares its archive with
// dir/<name>.golden.
func GoldenExamples(t *testing.T, platform, dir string, rf RenderFunc, check func(t *testing.T, w *spec.Workflow, files []render.File, err error)) {
	for _, file := range examplesOf(t, platform) {
		name := specName(file)
		t.Run(name, func(t *testing.T) {
			w := Load(t, file)
			files, err := rf(w)
			got := Archive(files, err)
			if again := Archive(rf(w)); !bytes.Equal(got, again) {
				t.Error("two renders of the same workflow differ")
			}
			if fresh := Archive(rf(Load(t, file))); !bytes.Equal(got, fresh) {
				t.Error("renders of two loads of the same spec differ")
			}
			if check != nil {
				check(t, w, files, err)
			}
			Golden(t, filepath.Join(dir, name+".golden"), got)
		})
	}
}

// Rendered renders every example spec of platform, and returns the files
// of those that render, refusals left to the golden files.
func Rendered(t testing.TB, platform string, rf RenderFunc) [][]render.File {
	t.Helper()
	var out [][]render.File
	for _, file := range examplesOf(t, platform) {
		if files, err := rf(Load(t, file)); err == nil {
			out = append(out, files)
		}
	}
	return out
}

// Refused fails t unless err is the render.Errors of a refusal naming
// field, and returns the error of that field, for its message.
func Refused(t testing.TB, files []render.File, err error, field string) *render.FieldError {
	t.Helper()
	if err == nil {
		t.Fatalf("rendered %v, want a refusal of %s", Names(files), field)
	}
	es, ok := err.(render.Errors)
	if !ok {
		t.Fatalf("error %T %v, want render.Errors", err, err)
	}
	i := slices.IndexFunc(es, func(e *render.FieldError) bool { return e.Field == field })
	if i < 0 {
		t.Fatalf("refused %v, want %s named", err, field)
	}
	return es[i]
}

// Workflow is a spec as a target's tests build it: meta and id as given,
// an ephemeral credential living ttl (written as the spec writes it, "1h"),
// expiring at expires, granting ents.
func Workflow(meta spec.Metadata, id spec.Identity, ttl string, expires time.Time, ents ...spec.Entitlement) *spec.Workflow {
	d, err := time.ParseDuration(ttl)
	if err != nil {
		panic(fmt.Sprintf("rendertest.Workflow: ttl %q: %v", ttl, err))
	}
	return &spec.Workflow{
		Metadata: meta,
		Spec: spec.Spec{
			Identity:     id,
			Entitlements: ents,
			Credential:   spec.Credential{Kind: "ephemeral", TTL: spec.Duration{Duration: d, Text: ttl}},
			ExpiresAt:    spec.Time{Time: expires, Text: expires.Format(time.RFC3339)},
		},
	}
}

// Names are the names of files, for messages.
func Names(files []render.File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

// Golden compares got with the golden file at path, which go test -update
// first rewrites (creating its folder).
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("render differs from %s (-want +got):\n%s", path, diff)
	}
}

package spec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/spec"
)

// FuzzParse feeds Parse arbitrary bytes as YAML or JSON, in either mode. Parse
// must not panic and must give a clear answer: workflows or errors, never
// both, and in Strict mode never neither. Every error must name its file and
// say something, at a place inside the file. Every workflow must pass
// Validate and read the same when written out as JSON and parsed again.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/schema/*/*.yaml")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed fixtures: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, false, false)
	}
	for _, s := range []string{
		valid,
		valid + "---\n" + strings.Replace(valid, "payments-ci-deploy", "second", 1) + "---\n",
		"apiVersion: v1\nkind: ConfigMap\n---\n" + valid,
		laughs("apiVersion: nhigate.dev/v1\nkind: ProvisioningWorkflow\n", 9),
		laughs("", 9),
		"x: " + strings.Repeat("[", 200) + strings.Repeat("]", 200),
		strings.Repeat("- ", 200) + "x",
		"a: &a [*a]\n",
		"apiVersion: nhigate.dev/v1\nkind: ProvisioningWorkflow\nspec: &s {spec: *s}\n",
		"base: &b {apiVersion: nhigate.dev/v1}\n<<: *b\n",
		"apiVersion: nhigate.dev/v1\nmetadata: {name: \xff}\n",
		"\xef\xbb\xbf" + valid,
		"apiVersion: nhigate.dev/v1\nkind: ProvisioningWorkflow\nspec: {approvals: {minApprovals: !!bool yes}}\n",
		"%YAML 1.1\n%TAG ! tag:example.com,2000:\n--- !foo\na: 1\n",
		"a: !!binary aGVsbG8=\nb: .nan\nc: 0x1F\nd: 1_000\n",
		"? [a, b]\n: c\n",
		"---\n...\n---\n",
		"",
	} {
		f.Add([]byte(s), false, false)
		f.Add([]byte(s), false, true)
	}
	for _, s := range []string{
		validJSON,
		"[" + validJSON + "]",
		strings.Repeat("[", 200) + strings.Repeat("]", 200),
		`{"apiVersion": "nhigate.dev/v1", "apiVersion": "x"}`,
		`{"a": 1e400, "b": -0, "c": 1.0, "d": "\ud800"}`,
		`{"a": 1} {"b": 2}`,
		"{\n\t\"kind\": \"ProvisioningWorkflow\",\n\t\"metadata\": {\"name\": \"é\"}\n}",
		"",
	} {
		f.Add([]byte(s), true, false)
		f.Add([]byte(s), true, true)
	}

	f.Fuzz(func(t *testing.T, data []byte, isJSON, discover bool) {
		file, mode := "specs/fuzz.yaml", spec.Strict
		if isJSON {
			file = "specs/fuzz.json"
		}
		if discover {
			mode = spec.Discover
		}
		ws, err := spec.Parse(file, data, mode, spec.Limits{})
		if err != nil {
			if ws != nil {
				t.Fatalf("returned %d workflows and an error: %v", len(ws), err)
			}
			var errs spec.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %T %q is not a non-empty spec.Errors", err, err)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, e := range errs {
				if e == nil || e.File != file || e.Msg == "" {
					t.Fatalf("error without a file or message: %#v", e)
				}
				if e.Line < 0 || e.Line > lines || e.Line > 0 && e.Col < 1 || e.Line == 0 && e.Col != 0 {
					t.Fatalf("error at %d:%d in a file of %d lines: %v", e.Line, e.Col, lines, e)
				}
			}
			return
		}
		if len(ws) == 0 && mode == spec.Strict {
			t.Fatal("Strict mode returned neither workflows nor an error")
		}
		for _, w := range ws {
			if w == nil {
				t.Fatal("nil workflow")
			}
			if errs := spec.Validate(w); len(errs) > 0 {
				t.Fatalf("Parse accepted a workflow that Validate rejects: %v", errs)
			}
			if w.Source.File != file || w.Source.Raw == nil {
				t.Fatalf("source %+v", w.Source)
			}
			// What a policy sees (Raw) must load to the same workflow as JSON.
			js, err := json.Marshal(w.Source.Raw)
			if err != nil {
				t.Fatalf("Raw is not JSON: %v", err)
			}
			again, err := spec.Parse("specs/again.json", js, spec.Strict, spec.Limits{MaxFileSize: int64(len(js)) + 1})
			if err != nil {
				t.Fatalf("accepted, but its JSON form %s is not: %v", js, err)
			}
			ignore := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Source" }, cmp.Ignore())
			if diff := cmp.Diff(w, again[0], ignore); diff != "" {
				t.Fatalf("JSON form reads differently (-original +json):\n%s", diff)
			}
		}
	})
}

package spec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"go.yaml.in/yaml/v3"

	"github.com/nhigate/nhigate/spec"
)

const fixtures = "testdata/schema"

// matcher evaluates OPA's json.match_schema, the validator that conftest
// policies and `opa eval` use, against the embedded schema.
type matcher struct {
	query rego.PreparedEvalQuery
}

func newMatcher(t testing.TB) *matcher {
	t.Helper()
	doc := decodeSchema(t)
	ctx := context.Background()
	q, err := rego.New(
		rego.Query(`result := json.match_schema(input.json, data.schema)`),
		rego.Store(inmem.NewFromObject(map[string]any{"schema": doc})),
	).PrepareForEval(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &matcher{query: q}
}

// match reports whether doc, a JSON value, matches the schema, and if not,
// what the validator said.
func (m *matcher) match(t testing.TB, doc any) (bool, []string) {
	t.Helper()
	// json.match_schema reads a string argument as JSON text, so the document
	// goes in encoded: a document that is itself a string stays one.
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := m.query.Eval(context.Background(), rego.EvalInput(map[string]any{"json": string(js)}))
	if err != nil {
		t.Fatalf("json.match_schema: %v", err)
	}
	if len(rs) != 1 {
		t.Fatalf("json.match_schema: %d results, want 1", len(rs))
	}
	res, ok := rs[0].Bindings["result"].([]any)
	if !ok || len(res) != 2 {
		t.Fatalf("json.match_schema returned %#v", rs[0].Bindings["result"])
	}
	valid, _ := res[0].(bool)
	var msgs []string
	errs, _ := res[1].([]any)
	for _, e := range errs {
		o, _ := e.(map[string]any)
		msgs = append(msgs, fmt.Sprint(o["error"]))
	}
	return valid, msgs
}

func decodeSchema(t testing.TB) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(spec.Schema(), &doc); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	return doc
}

func TestSchemaIsValid(t *testing.T) {
	ctx := context.Background()
	rs, err := rego.New(
		rego.Query(`result := json.verify_schema(data.schema)`),
		rego.Store(inmem.NewFromObject(map[string]any{"schema": decodeSchema(t)})),
	).Eval(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res := rs[0].Bindings["result"].([]any)
	if res[0] != true {
		t.Fatalf("json.verify_schema: %v", res[1])
	}

	doc := decodeSchema(t)
	for key, want := range map[string]string{
		"$schema": "http://json-schema.org/draft-07/schema#",
		"$id":     spec.SchemaID,
	} {
		if doc[key] != want {
			t.Errorf("%s = %v, want %q", key, doc[key], want)
		}
	}
}

func TestJSONReturnsACopy(t *testing.T) {
	a := spec.Schema()
	a[0] = 'x'
	if b := spec.Schema(); b[0] != '{' {
		t.Fatal("JSON returned the embedded bytes themselves")
	}
}

// TestSchemaDescribesEveryProperty keeps editors helpful: every property has
// a description, and every object but conditions is closed.
func TestSchemaDescribesEveryProperty(t *testing.T) {
	var walk func(path string, s map[string]any)
	walk = func(path string, s map[string]any) {
		if _, ok := s["description"].(string); !ok {
			t.Errorf("%s: no description", path)
		}
		props, _ := s["properties"].(map[string]any)
		types := typesOf(s)
		if slices.Contains(types, "object") && path != "spec.entitlements[].conditions" {
			if s["additionalProperties"] != false {
				t.Errorf("%s: additionalProperties is %v, want false", path, s["additionalProperties"])
			}
			if len(props) == 0 {
				t.Errorf("%s: closed object without properties", path)
			}
		}
		for name, p := range props {
			walk(join(path, name), p.(map[string]any))
		}
		if items, ok := s["items"].(map[string]any); ok {
			walk(path+"[]", items)
		}
	}
	walk("", decodeSchema(t))
}

func typesOf(s map[string]any) []string {
	switch t := s["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var ts []string
		for _, x := range t {
			ts = append(ts, x.(string))
		}
		return ts
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// TestSchemaSharesTheLoadersRules checks that every pattern and enumeration
// in the schema is one of the loader's, verbatim, at the right place.
func TestSchemaSharesTheLoadersRules(t *testing.T) {
	got := map[string]string{}
	enums := map[string][]string{}
	var walk func(path string, s map[string]any)
	walk = func(path string, s map[string]any) {
		if p, ok := s["pattern"].(string); ok {
			got[path] = p
		}
		if e, ok := s["enum"].([]any); ok {
			for _, v := range e {
				enums[path] = append(enums[path], v.(string))
			}
		}
		for name, p := range mapOf(s["properties"]) {
			walk(join(path, name), p.(map[string]any))
		}
		if items, ok := s["items"].(map[string]any); ok {
			walk(path+"[]", items)
		}
		for i, alt := range sliceOf(s["anyOf"]) {
			walk(fmt.Sprintf("%s/anyOf[%d]", path, i), alt.(map[string]any))
		}
	}
	walk("", decodeSchema(t))

	want := map[string]string{
		"metadata.name":                             spec.DNSLabelPattern,
		"metadata.owner/anyOf[1]":                   spec.OwnerPattern,
		"metadata.requester/anyOf[1]":               spec.LoginPattern,
		"metadata.provenance.promptSha256/anyOf[1]": spec.SHA256Pattern,
		"metadata.provenance.generatedAt":           spec.TimePattern,
		"spec.identity.name":                        spec.IdentityNamePattern,
		"spec.environment":                          spec.DNSLabelPattern,
		"spec.entitlements[].actions[]":             spec.PatternPattern,
		"spec.entitlements[].resources[]":           spec.PatternPattern,
		"spec.credential.ttl":                       spec.DurationPattern,
		"spec.credential.rotation":                  spec.DurationPattern,
		"spec.expiresAt":                            spec.TimePattern,
		"spec.revocation.onTimeout":                 spec.DurationPattern,
		"spec.approvals.required[]":                 spec.OwnerPattern,
		"spec.exceptions[].rule":                    spec.RuleIDPattern,
		"spec.exceptions[].approvedBy":              spec.OwnerPattern,
		"spec.exceptions[].expiresAt":               spec.TimePattern,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("patterns (-loader +schema):\n%s", diff)
	}
	wantEnums := map[string][]string{
		"spec.identity.type":     spec.IdentityTypes,
		"spec.identity.platform": spec.Platforms,
		"spec.identity.consumer": spec.Consumers,
		"spec.credential.kind":   spec.CredentialKinds,
	}
	if diff := cmp.Diff(wantEnums, enums); diff != "" {
		t.Errorf("enums (-loader +schema):\n%s", diff)
	}
}

func mapOf(v any) map[string]any { m, _ := v.(map[string]any); return m }
func sliceOf(v any) []any        { s, _ := v.([]any); return s }

// TestSchemaAgreesWithLoader runs every fixture through the loader (as YAML,
// and converted to JSON) and through the schema, and requires all three to
// agree with the directory the fixture is in. An invalid fixture names, in a
// "# want: path | message" first line, the one problem the loader must
// report, so that it cannot pass by failing for some other reason.
func TestSchemaAgreesWithLoader(t *testing.T) {
	m := newMatcher(t)
	counts := map[string]int{}
	for _, dir := range []string{"valid", "invalid"} {
		files, err := filepath.Glob(filepath.Join(fixtures, dir, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		counts[dir] = len(files)
		for _, file := range files {
			t.Run(dir+"/"+filepath.Base(file), func(t *testing.T) {
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				wantOK := dir == "valid"
				name := dir + "/" + filepath.Base(file)

				_, err = spec.Parse(name, data, spec.Strict, spec.Limits{})
				if (err == nil) != wantOK {
					t.Fatalf("loader: error = %v, want valid = %v", err, wantOK)
				}
				if !wantOK {
					checkWant(t, data, err)
				}

				doc := toJSON(t, data)
				ok, msgs := m.match(t, doc)
				if ok != wantOK {
					t.Errorf("schema: valid = %v, want %v; loader said %v; schema said %q", ok, wantOK, err, msgs)
				}

				js, jerr := json.Marshal(doc)
				if jerr != nil {
					t.Fatal(jerr)
				}
				_, err = spec.Parse(strings.TrimSuffix(name, ".yaml")+".json", js, spec.Strict, spec.Limits{})
				if (err == nil) != wantOK {
					t.Errorf("loader on the JSON form %s: error = %v, want valid = %v", js, err, wantOK)
				}
			})
		}
	}
	if counts["valid"] < 12 || counts["invalid"] < 30 {
		t.Errorf("fixtures: %v, want at least 12 valid and 30 invalid", counts)
	}
}

// TestSchemaAgreesOnRepoSpecs checks the specs elsewhere in the repo (the
// example policy repo and the policies' test inputs): whatever the loader
// says about each document, the schema must say too.
func TestSchemaAgreesOnRepoSpecs(t *testing.T) {
	m := newMatcher(t)
	var files []string
	for _, dir := range []string{"../testdata", "../policies/testdata"} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	checked := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !spec.Marker(data) {
			continue
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for i := 0; ; i++ {
			var n yaml.Node
			if err := dec.Decode(&n); err != nil {
				break // the end, or a syntax error the loader tests cover
			}
			v, err := plain(&n)
			if err != nil {
				continue
			}
			obj, ok := v.(map[string]any)
			if !ok || obj["kind"] != spec.Kind {
				continue
			}
			doc := clone(t, v)
			js, _ := json.Marshal(doc)
			_, lerr := spec.Parse("doc.json", js, spec.Strict, spec.Limits{})
			ok, msgs := m.match(t, doc)
			if ok != (lerr == nil) {
				t.Errorf("%s, document %d: loader said %v; schema said valid = %v %q", file, i, lerr, ok, msgs)
			}
			checked++
		}
	}
	t.Logf("%d documents checked", checked)
}

// checkWant checks the loader reported exactly the problem the fixture names.
func checkWant(t *testing.T, data []byte, err error) {
	t.Helper()
	first, _, _ := bytes.Cut(data, []byte("\n"))
	want, ok := strings.CutPrefix(string(first), "# want: ")
	if !ok {
		return // the fixture causes several errors, such as a missing section
	}
	path, msg, _ := strings.Cut(want, " | ")
	var errs spec.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("loader returned %T, want spec.Errors", err)
	}
	if len(errs) != 1 || errs[0].Path != strings.TrimSpace(path) || !strings.Contains(errs[0].Msg, msg) {
		t.Fatalf("loader said %v\nwant one error at %q containing %q", err, path, msg)
	}
	if errs[0].Line == 0 {
		t.Errorf("loader error %v has no position", errs[0])
	}
}

// toJSON converts a YAML document into the JSON value a JSON reader would
// see: anchors expanded, scalars resolved by the YAML library, timestamps as
// the text written. It fails on what JSON cannot hold (merge keys, duplicate
// or non-scalar keys, infinities), which the fixtures must not use.
func toJSON(t testing.TB, data []byte) any {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		t.Fatalf("fixture is not YAML: %v", err)
	}
	v, err := plain(&n)
	if err != nil {
		t.Fatalf("fixture has no JSON form: %v", err)
	}
	// A round trip gives the types a JSON reader sees.
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("fixture has no JSON form: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func plain(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, fmt.Errorf("%d documents, want 1", len(n.Content))
		}
		return plain(n.Content[0])
	case yaml.AliasNode:
		return plain(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				return nil, fmt.Errorf("line %d: key %q", k.Line, k.Value)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
			}
			v, err := plain(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := []any{}
		for _, c := range n.Content {
			v, err := plain(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!timestamp":
			return n.Value, nil
		case "!!str", "!!int", "!!float", "!!bool", "!!null":
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, fmt.Errorf("line %d: %v", n.Line, err)
			}
			return v, nil
		}
		return nil, fmt.Errorf("line %d: tag %s", n.Line, n.Tag)
	}
	return nil, fmt.Errorf("line %d: node kind %v", n.Line, n.Kind)
}

// TestSchemaAgreesOnValues varies one field of a valid document at a time
// over the edges of its rule, and requires the loader (reading the JSON form)
// and the schema to give the expected verdict.
func TestSchemaAgreesOnValues(t *testing.T) {
	m := newMatcher(t)
	data, err := os.ReadFile(filepath.Join(fixtures, "valid", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base := toJSON(t, data)
	// Go values, so that cases can write numbers naturally; json.Marshal
	// turns them into what a JSON file would hold.
	type value = any
	remove := struct{}{}
	tests := []struct {
		path   string
		values []value
		valid  bool
	}{
		{"apiVersion", []value{"nhigate.dev/v1"}, true},
		{"apiVersion", []value{"nhigate.dev/v1beta1", "v1", "", nil, 1, remove}, false},
		{"kind", []value{"provisioningworkflow", "", nil, remove}, false},
		{"metadata.name", []value{"a", "a-b", "0", strings.Repeat("a", 63), "a1-2b"}, true},
		{"metadata.name", []value{"", "-a", "a-", "A", "a_b", "a.b", strings.Repeat("a", 64), "é", nil, 1, remove}, false},
		{"metadata.owner", []value{"@acme", "@acme/team", "@a/b.c_d-e", "@" + strings.Repeat("a", 39), "", nil, remove}, true},
		{"metadata.owner", []value{"acme", "@", "@/team", "@acme/", "@acme/te am", "@" + strings.Repeat("a", 40), "@-acme", 1}, false},
		{"metadata.requester", []value{"alice", "a", "alice-2", "", nil, remove}, true},
		{"metadata.requester", []value{"@alice", "alice smith", "-alice", "alice_s", strings.Repeat("a", 40)}, false},
		{"metadata.provenance.promptSha256", []value{strings.Repeat("0", 64), strings.Repeat("f", 64), "", nil}, true},
		{"metadata.provenance.promptSha256", []value{strings.Repeat("0", 63), strings.Repeat("0", 65), strings.Repeat("F", 64), strings.Repeat("g", 64)}, false},
		{"metadata.provenance.generator", []value{"", "x", nil, remove}, true},
		{"metadata.provenance.generator", []value{1, true, []any{}}, false},
		{"metadata.provenance", []value{map[string]any{}, nil, remove}, true},
		{"metadata.provenance", []value{"x", []any{}}, false},
		{"spec.identity.name", []value{"a", "A.b_c@d:e/f-g", strings.Repeat("a", 253)}, true},
		{"spec.identity.name", []value{"", ".a", "-a", "a b", "a*", strings.Repeat("a", 254), nil}, false},
		{"spec.identity.type", []value{"workload-identity", "service-account", "api-key", "token", "certificate", "ssh-key"}, true},
		{"spec.identity.type", []value{"Token", "user", "", nil}, false},
		{"spec.identity.platform", []value{"aws", "gcp", "azure", "kubernetes", "github", "vault", "generic"}, true},
		{"spec.identity.platform", []value{"k8s", "", nil}, false},
		{"spec.identity.consumer", []value{"human", "pipeline", "agent", "scheduled-job"}, true},
		{"spec.identity.consumer", []value{"bot", ""}, false},
		{"spec.environment", []value{"production", "dev-1"}, true},
		{"spec.environment", []value{"", "Prod", "prod env", nil, remove}, false},
		{"spec.credential.kind", []value{"ephemeral"}, true},
		{"spec.credential.kind", []value{"Static", "", nil, remove}, false},
		{"spec.credential.ttl", []value{"1ms", "1s", "1m", "1h", "90m", "1h30m", "1h0m", "1h30m15s500ms", "99999h", "99999h99999h99999h99999h", "10h05m"}, true},
		{"spec.credential.ttl", []value{"", "0", "0h", "01h", "1", "h", "1d", "1w", "1.5h", "-1h", "+1h", "1us", "1ns", "1µs", "1 h", "1H", "100000h", "1h1h1h1h1h", "1h100000m", "9999999999h", nil, 3600, remove}, false},
		{"spec.credential.rotation", []value{"720h", nil}, true},
		{"spec.credential.rotation", []value{"1d", ""}, false},
		{"spec.expiresAt", []value{"2026-11-26T00:00:00Z", "2026-11-26T00:00:00.5Z", "2026-11-26T00:00:00+23:59", "2026-11-26T00:00:00-00:00", "2028-02-29T23:59:59Z", "0000-01-01T00:00:00Z", nil, remove}, true},
		{"spec.expiresAt", []value{"", "2026-11-26", "00:00:00Z", "2026-11-26T00:00:00", "2026-11-26T00:00Z", "2026-11-26t00:00:00Z", "2026-11-26T00:00:00z", "2026-11-26 00:00:00Z", "2026-11-26T00:00:00,5Z", "2026-11-26T00:00:00+0100", "2026-11-26T00:00:00+24:00", "2026-11-26T00:00:00+00:60", "2026-11-26T24:00:00Z", "2026-11-26T23:59:60Z", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-26T00:00:00.Z", "12026-11-26T00:00:00Z", 20261126}, false},
		{"spec.revocation.onCompletion", []value{true, false, nil, remove}, true},
		{"spec.revocation.onCompletion", []value{"true", 1, "yes"}, false},
		{"spec.revocation", []value{map[string]any{}, nil, remove}, true},
		{"spec.revocation", []value{true, []any{}}, false},
		{"spec.approvals.minApprovals", []value{1, 2, 1.0, 2147483647, remove}, true},
		{"spec.approvals.minApprovals", []value{0, -1, 1.5, 2147483648, 1e20, "2", nil, true}, false},
		{"spec.approvals.required", []value{[]any{}, []any{"@a", "@b/c"}, nil, remove}, true},
		{"spec.approvals.required", []value{[]any{"a"}, []any{""}, []any{nil}, []any{1}, "@a"}, false},
		{"spec.entitlements", []value{[]any{map[string]any{"actions": []any{"*"}, "resources": []any{"*"}}}}, true},
		{"spec.entitlements", []value{[]any{}, nil, map[string]any{}, []any{nil}, []any{map[string]any{"actions": []any{"*"}}}, remove}, false},
		{"spec.entitlements[0].actions", []value{[]any{"*"}, []any{"s3:Get*", "!~"}, []any{"a[b]{c}\\d"}}, true},
		{"spec.entitlements[0].actions", []value{[]any{}, []any{""}, []any{"s3:Get*", "ö"}, []any{"a\u200bb"}, []any{"s3:Get\uff0a"}, []any{"s3:Get\u041ebject"}, []any{"a\u007fb"}, []any{"a\u0000b"}, []any{"a\u0085b"}, []any{"a b"}, []any{"a\tb"}, []any{"a\nb"}, []any{"a\vb"}, []any{"a\fb"}, []any{"a\rb"}, []any{"a\u00a0b"}, []any{"a\u2003b"}, []any{"a\u2028b"}, []any{"a\u3000b"}, []any{"a\ufeffb"}, []any{" a"}, []any{"a "}, []any{nil}, []any{1}, "*", nil, remove}, false},
		{"spec.entitlements[0].conditions", []value{map[string]any{}, map[string]any{"a": map[string]any{"b": []any{1, "x", nil, true}}}, nil, remove}, true},
		{"spec.entitlements[0].conditions", []value{"x", []any{}, 1}, false},
		{"spec.entitlements[0].extra", []value{1}, false},
		{"spec.exceptions", []value{[]any{}, nil, remove}, true},
		{"spec.exceptions", []value{map[string]any{}, []any{nil}, []any{map[string]any{}}}, false},
		{"spec.exceptions[0].rule", []value{"NHI-CRED-001", "NHI-A-999"}, true},
		{"spec.exceptions[0].rule", []value{"NHI-CRED-1", "NHI-cred-001", "nhi-CRED-001", "NHI-CRED-0001", "X-NHI-CRED-001", "", nil, remove}, false},
		{"spec.exceptions[0].reason", []value{" ", "x"}, true},
		{"spec.exceptions[0].reason", []value{"", nil, remove, 1}, false},
		{"spec.exceptions[0].approvedBy", []value{"@acme/security", "@bob"}, true},
		{"spec.exceptions[0].approvedBy", []value{"bob", "", nil, remove}, false},
		{"spec.exceptions[0].expiresAt", []value{"2026-12-31T00:00:00+01:00"}, true},
		{"spec.exceptions[0].expiresAt", []value{"2026-12-31", "", nil, remove}, false},
		{"spec.exceptions[0].ticket", []value{"", "SEC-1", nil, remove}, true},
		{"spec.exceptions[0].ticket", []value{1234}, false},
		{"status", []value{map[string]any{}, nil}, false},
		{"metadata.labels", []value{map[string]any{}}, false},
	}
	for _, tt := range tests {
		for _, v := range tt.values {
			desc := fmt.Sprintf("%s=%#v", tt.path, v)
			if v == remove {
				desc = tt.path + " removed"
			}
			t.Run(desc, func(t *testing.T) {
				doc := clone(t, base)
				if v == remove {
					set(t, doc, tt.path, nil, true)
				} else {
					set(t, doc, tt.path, v, false)
				}
				js, err := json.Marshal(doc)
				if err != nil {
					t.Fatal(err)
				}
				_, lerr := spec.Parse("case.json", js, spec.Strict, spec.Limits{})
				var jsonDoc any
				dec := json.NewDecoder(bytes.NewReader(js))
				dec.UseNumber()
				if err := dec.Decode(&jsonDoc); err != nil {
					t.Fatal(err)
				}
				ok, msgs := m.match(t, jsonDoc)
				if (lerr == nil) != tt.valid || ok != tt.valid {
					t.Errorf("want valid = %v; loader said %v; schema said valid = %v %q", tt.valid, lerr, ok, msgs)
				}
			})
		}
	}
}

// TestStaticNeedsRotation covers the schema's only conditional rule from
// both sides.
func TestStaticNeedsRotation(t *testing.T) {
	m := newMatcher(t)
	data, err := os.ReadFile(filepath.Join(fixtures, "valid", "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base := toJSON(t, data)
	tests := []struct {
		credential map[string]any
		valid      bool
	}{
		{map[string]any{"kind": "static", "ttl": "1h", "rotation": "720h"}, true},
		{map[string]any{"kind": "static", "ttl": "1h"}, false},
		{map[string]any{"kind": "static", "ttl": "1h", "rotation": nil}, false},
		{map[string]any{"kind": "static", "ttl": "1h", "rotation": ""}, false},
		{map[string]any{"kind": "ephemeral", "ttl": "1h"}, true},
		{map[string]any{"kind": "ephemeral", "ttl": "1h", "rotation": "24h"}, true},
		{map[string]any{"ttl": "1h", "rotation": "24h"}, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.credential), func(t *testing.T) {
			doc := clone(t, base)
			set(t, doc, "spec.credential", tt.credential, false)
			js, _ := json.Marshal(doc)
			_, lerr := spec.Parse("case.json", js, spec.Strict, spec.Limits{})
			ok, msgs := m.match(t, clone(t, doc))
			if (lerr == nil) != tt.valid || ok != tt.valid {
				t.Errorf("want valid = %v; loader said %v; schema said valid = %v %q", tt.valid, lerr, ok, msgs)
			}
		})
	}
}

func clone(t testing.TB, v any) any {
	t.Helper()
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// set sets or removes the field at a path such as "spec.entitlements[0].actions".
func set(t testing.TB, doc any, path string, v any, remove bool) {
	t.Helper()
	parts := strings.Split(path, ".")
	cur := doc
	for i, p := range parts {
		name, idx, indexed := strings.Cut(p, "[")
		obj, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s: parent is %T", path, cur)
		}
		last := i == len(parts)-1
		if last && !indexed {
			if remove {
				if _, ok := obj[name]; !ok {
					t.Fatalf("%s: nothing to remove", path)
				}
				delete(obj, name)
			} else {
				obj[name] = v
			}
			return
		}
		cur = obj[name]
		if indexed {
			var n int
			fmt.Sscanf(idx, "%d]", &n)
			cur = cur.([]any)[n]
		}
	}
}

package spec_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/spec"
)

// validJSON is the valid workflow as JSON, indented with tabs as JSON
// often is, which YAML's parser would reject.
const validJSON = "{\n" +
	"\t\"apiVersion\": \"nhigate.dev/v1\",\n" +
	"\t\"kind\": \"ProvisioningWorkflow\",\n" +
	"\t\"metadata\": {\n" +
	"\t\t\"name\": \"payments-ci-deploy\",\n" +
	"\t\t\"owner\": \"@acme/payments\",\n" +
	"\t\t\"requester\": \"alice\"\n" +
	"\t},\n" +
	"\t\"spec\": {\n" +
	"\t\t\"identity\": {\"name\": \"payments-ci\", \"type\": \"workload-identity\", \"platform\": \"aws\", \"consumer\": \"pipeline\"},\n" +
	"\t\t\"environment\": \"production\",\n" +
	"\t\t\"entitlements\": [\n" +
	"\t\t\t{\"actions\": [\"s3:GetObject\", \"s3:PutObject\"], \"resources\": [\"arn:aws:s3:::payments-artifacts/*\"]}\n" +
	"\t\t],\n" +
	"\t\t\"credential\": {\"kind\": \"ephemeral\", \"ttl\": \"1h\"},\n" +
	"\t\t\"expiresAt\": \"2026-11-26T00:00:00Z\",\n" +
	"\t\t\"approvals\": {\"minApprovals\": 2}\n" +
	"\t}\n" +
	"}\n"

func editJSON(t *testing.T, old, new string) string {
	t.Helper()
	if n := strings.Count(validJSON, old); n != 1 {
		t.Fatalf("%q occurs %d times in the valid JSON document", old, n)
	}
	return strings.Replace(validJSON, old, new, 1)
}

// colOf returns the 1-based character column of the first sub in the line
// of data that contains it.
func colOf(t *testing.T, data, sub string) int {
	t.Helper()
	i := strings.Index(data, sub)
	if i < 0 {
		t.Fatalf("%q not found", sub)
	}
	return utf8.RuneCountInString(data[strings.LastIndexByte(data[:i], '\n')+1:i]) + 1
}

func TestParseJSON(t *testing.T) {
	ws, err := spec.Parse("w.json", []byte(validJSON), spec.Strict, spec.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	w := ws[0]
	if w.Metadata.Name != "payments-ci-deploy" || w.Spec.Credential.TTL.Text != "1h" || w.Spec.Approvals.MinApprovals != 2 {
		t.Errorf("decoded %+v", w)
	}
	for path, want := range map[string]spec.Pos{
		"":                                {1, 1},
		"metadata.name":                   {5, 3},
		"spec.identity.type":              {10, colOf(t, validJSON, `"type"`)},
		"spec.entitlements[0]":            {13, 4},
		"spec.entitlements[0].actions[1]": {13, colOf(t, validJSON, `"s3:PutObject"`)},
		"spec.approvals.minApprovals":     {17, 17},
	} {
		if got := w.Source.Position(path); got != want {
			t.Errorf("Position(%q) = %v, want %v", path, got, want)
		}
	}

	// The same document as YAML gives the same workflow.
	yws, err := spec.Parse("w.yaml", []byte(valid), spec.Strict, spec.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ignore := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Source" }, cmp.Ignore())
	yw := yws[0]
	// validJSON leaves out the revocation and the named approvers.
	yw.Spec.Revocation = spec.Revocation{}
	yw.Spec.Approvals.Required = nil
	if diff := cmp.Diff(yw, w, ignore); diff != "" {
		t.Errorf("JSON and YAML differ (-yaml +json):\n%s", diff)
	}
}

func TestParseJSONErrors(t *testing.T) {
	unicodeLine := editJSON(t, `["arn:aws:s3:::payments-artifacts/*"]}`, `["arn:aws:s3:::zahlungsbelege-über/*"], "conditions": {"région": "eu", "région": "us"}}`)
	tests := []struct {
		name string
		data string
		want spec.Errors
	}{
		{
			name: "field after tabs",
			data: editJSON(t, `"name": "payments-ci-deploy"`, `"name": "Payments"`),
			want: spec.Errors{{Line: 5, Col: 3, Path: "metadata.name", Msg: `"Payments" is not valid`, Hint: `write a DNS label: lower-case letters, digits and "-", at most 63, e.g. "payments-ci-deploy"`}},
		},
		{
			name: "value in a one-line object",
			data: editJSON(t, `"ttl": "1h"`, `"ttl": "1d"`),
			want: spec.Errors{{Line: 15, Col: 46, Path: "spec.credential.ttl", Msg: `"1d" is not a duration`, Hint: durationHint}},
		},
		{
			name: "columns count characters, not bytes",
			data: unicodeLine,
			want: spec.Errors{{Line: 13, Col: colOf(t, unicodeLine, `"région": "us"`), Path: "spec.entitlements[0].conditions.région", Msg: `"région" is set twice`, Hint: "remove one of them"}},
		},
		{
			name: "unknown field",
			data: editJSON(t, `"ttl": "1h"`, `"tll": "1h"`),
			want: spec.Errors{{Line: 15, Col: 39, Path: "spec.credential.tll", Msg: `unknown field "tll" in spec.credential`, Hint: `did you mean "ttl"?`}},
		},
		{
			name: "duplicate key",
			data: editJSON(t, "\t\"kind\": \"ProvisioningWorkflow\",\n", "\t\"kind\": \"ProvisioningWorkflow\",\n\t\"kind\": \"ProvisioningWorkflow\",\n"),
			want: spec.Errors{{Line: 4, Col: 2, Path: "kind", Msg: `"kind" is set twice`, Hint: "remove one of them"}},
		},
		{
			name: "wrong type",
			data: editJSON(t, `"minApprovals": 2`, `"minApprovals": "2"`),
			want: spec.Errors{{Line: 17, Col: 33, Path: "spec.approvals.minApprovals", Msg: `must be a whole number, not the string "2"`}},
		},
		{
			name: "fractional number",
			data: editJSON(t, `"minApprovals": 2`, `"minApprovals": 2.5`),
			want: spec.Errors{{Line: 17, Col: 33, Path: "spec.approvals.minApprovals", Msg: "must be a whole number, not the number 2.5"}},
		},
		{
			name: "number beyond float64",
			data: editJSON(t, `"minApprovals": 2`, `"minApprovals": 1e400`),
			want: spec.Errors{{Line: 17, Col: 33, Path: "spec.approvals.minApprovals", Msg: `unsupported value "1e400" (float)`, Hint: "quote the value to make it a string"}},
		},
		{
			name: "trailing comma",
			data: editJSON(t, "\"requester\": \"alice\"\n", "\"requester\": \"alice\",\n"),
			want: spec.Errors{{Line: 8, Col: 2, Msg: "invalid character '}' looking for beginning of object key string", Hint: "fix the JSON syntax"}},
		},
		{
			name: "cut short",
			data: validJSON[:strings.Index(validJSON, `"spec"`)],
			want: spec.Errors{{Line: 9, Col: 2, Msg: "unexpected end of JSON", Hint: "fix the JSON syntax"}},
		},
		{
			name: "data after the value",
			data: validJSON + "{}\n",
			want: spec.Errors{{Line: 20, Col: 1, Msg: "unexpected data after the JSON value", Hint: "fix the JSON syntax"}},
		},
		{
			name: "empty file",
			data: "",
			want: spec.Errors{{Line: 1, Col: 1, Msg: "unexpected end of JSON", Hint: "fix the JSON syntax"}},
		},
		{
			name: "list",
			data: "[" + validJSON + "]",
			want: spec.Errors{{Line: 1, Col: 1, Msg: "document must be a mapping, not a list", Hint: `write a mapping starting with "apiVersion: nhigate.dev/v1"`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErrors(t, "specs/w.json", tt.data, spec.Strict)
			for _, e := range tt.want {
				e.File = "specs/w.json"
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseJSONNumbers(t *testing.T) {
	// JSON Schema counts 2.0 as the integer 2; the loader must too.
	for _, text := range []string{"2", "2.0", "2e0", "0.2e1"} {
		ws, err := spec.Parse("w.json", []byte(editJSON(t, `"minApprovals": 2`, `"minApprovals": `+text)), spec.Strict, spec.Limits{})
		if err != nil {
			t.Errorf("%s: %v", text, err)
			continue
		}
		if got := ws[0].Spec.Approvals.MinApprovals; got != 2 {
			t.Errorf("%s read as %d, want 2", text, got)
		}
	}
}

func TestParseExtensions(t *testing.T) {
	for _, file := range []string{"w.json", "dir.yaml/W.JSON"} {
		if _, err := spec.Parse(file, []byte(validJSON), spec.Strict, spec.Limits{}); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	// JSON is YAML too, tabs included, as long as it stays in flow style.
	if _, err := spec.Parse("w.yaml", []byte(validJSON), spec.Strict, spec.Limits{}); err != nil {
		t.Errorf("JSON in a .yaml file: %v", err)
	}
	for _, file := range []string{"w.yaml", "w.yml", "w", "json.d/w"} {
		if _, err := spec.Parse(file, []byte(valid), spec.Strict, spec.Limits{}); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	if _, err := spec.Parse("w.json", []byte("\xef\xbb\xbf"+validJSON), spec.Strict, spec.Limits{}); err != nil {
		t.Errorf("JSON with a byte order mark: %v", err)
	}
}

func second(t *testing.T) string {
	t.Helper()
	return strings.Replace(edit(t, "  name: payments-ci-deploy", "  name: second"), "    name: payments-ci\n", "    name: second-ci\n", 1)
}

func TestParseMultiDocument(t *testing.T) {
	lines := strings.Count(valid, "\n")
	tests := []struct {
		name      string
		data      string
		wantNames []string
		wantLine  int // of the second workflow's metadata.name
	}{
		{"two documents", valid + "---\n" + second(t), []string{"payments-ci-deploy", "second"}, lines + 5},
		{"leading and trailing separators", "---\n" + valid + "---\n" + second(t) + "---\n", []string{"payments-ci-deploy", "second"}, lines + 6},
		{"document end markers and empty documents", valid + "...\n---\n---\n# only a comment\n---\n" + second(t) + "...\n", []string{"payments-ci-deploy", "second"}, lines + 9},
		{"a trailing separator without a newline", valid + "---", []string{"payments-ci-deploy"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, err := spec.Parse("w.yaml", []byte(tt.data), spec.Strict, spec.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, w := range ws {
				names = append(names, w.Metadata.Name)
			}
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Fatalf("workflows (-want +got):\n%s", diff)
			}
			if len(ws) < 2 {
				return
			}
			if ws[0].Source.Doc >= ws[1].Source.Doc {
				t.Errorf("document indexes %d, %d do not increase", ws[0].Source.Doc, ws[1].Source.Doc)
			}
			if got := ws[1].Source.Position("metadata.name"); got != (spec.Pos{Line: tt.wantLine, Col: 3}) {
				t.Errorf("second name at %v, want line %d col 3", got, tt.wantLine)
			}
			if ws[1].Source.Raw["metadata"].(map[string]any)["name"] != "second" {
				t.Errorf("second document's Raw is %v", ws[1].Source.Raw["metadata"])
			}
		})
	}
}

func TestParseMultiDocumentErrors(t *testing.T) {
	lines := strings.Count(valid, "\n")
	bad := strings.Replace(second(t), "    ttl: 1h", "    ttl: 1d", 1)
	got := parseErrors(t, "w.yaml", valid+"---\n"+bad, spec.Strict)
	want := spec.Errors{{File: "w.yaml", Line: lines + 1 + 19, Col: 10, Path: "spec.credential.ttl", Msg: `"1d" is not a duration`, Hint: durationHint}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}

	// In a file named as a spec, every document must be a workflow.
	got = parseErrors(t, "w.yaml", valid+"---\napiVersion: v1\nkind: ConfigMap\ndata: {}\n", spec.Strict)
	want = spec.Errors{
		{File: "w.yaml", Line: lines + 4, Col: 1, Path: "data", Msg: `unknown field "data" in the document`, Hint: "known fields: apiVersion, kind, metadata, spec"},
		// The values that were written are judged too; missing fields are not
		// reported after a decoding error, being most often the same mistake.
		{File: "w.yaml", Line: lines + 2, Col: 1, Path: "apiVersion", Msg: `"v1" is not supported`, Hint: `write "nhigate.dev/v1"`},
		{File: "w.yaml", Line: lines + 3, Col: 1, Path: "kind", Msg: `"ConfigMap" is not supported`, Hint: `write "ProvisioningWorkflow"`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	got = parseErrors(t, "w.yaml", "apiVersion: v1\nkind: ConfigMap\n", spec.Strict)
	want = spec.Errors{
		{File: "w.yaml", Line: 1, Col: 1, Path: "apiVersion", Msg: `"v1" is not supported`, Hint: `write "nhigate.dev/v1"`},
		{File: "w.yaml", Line: 2, Col: 1, Path: "kind", Msg: `"ConfigMap" is not supported`, Hint: `write "ProvisioningWorkflow"`},
	}
	if diff := cmp.Diff(want, got[:2]); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestParseDiscover(t *testing.T) {
	configMap := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
	tests := []struct {
		name      string
		file      string
		data      string
		wantNames []string
		wantErr   string // a substring of the error; "" for none
	}{
		{name: "a workflow among other documents", file: "k8s.yaml", data: configMap + "---\n" + valid + "---\n- a list\n---\nplain text\n", wantNames: []string{"payments-ci-deploy"}},
		{name: "no workflow", file: "k8s.yaml", data: configMap},
		{name: "an empty file", file: "k8s.yaml", data: ""},
		{name: "another tool's JSON", file: "package.json", data: `{"name": "app", "version": "1.0.0"}`},
		{name: "another tool's merge keys", file: "ci.yaml", data: "base: &b {image: go}\njob:\n  <<: *b\n  run: make\n"},
		{name: "another tool's special floats", file: "ci.yaml", data: "limits: {max: .inf, min: -.inf, nan: .nan}\n"},
		{name: "another tool's deep nesting", file: "deep.yaml", data: "x: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n"},
		{name: "another tool's aliases", file: "bomb.yaml", data: laughs("", 9)},
		{name: "a malformed workflow", file: "w.yaml", data: configMap + "---\n" + edit(t, "    ttl: 1h", "    ttl: 1d"), wantErr: `w.yaml:23:10: spec.credential.ttl: "1d" is not a duration`},
		{name: "the kind without the apiVersion", file: "w.yaml", data: "apiVersion: example.com/v1\nkind: ProvisioningWorkflow\n", wantErr: `w.yaml:1:1: apiVersion: "example.com/v1" is not supported`},
		{name: "the apiVersion without the kind", file: "w.yaml", data: "apiVersion: nhigate.dev/v2\nkind: Policy\n", wantErr: `w.yaml:1:1: apiVersion: "nhigate.dev/v2" is not supported`},
		{name: "a claim through an alias", file: "w.yaml", data: "x: &v nhigate.dev/v1\napiVersion: *v\n", wantErr: `w.yaml:1:1: x: unknown field "x" in the document`},
		{name: "a claim behind a merge key", file: "w.yaml", data: "base: &b {apiVersion: nhigate.dev/v1, kind: ProvisioningWorkflow}\n<<: *b\n", wantErr: "merge keys (<<) are not supported"},
		{name: "a workflow with an alias bomb", file: "w.yaml", data: laughs("apiVersion: nhigate.dev/v1\n", 9), wantErr: "document expands to too many values"},
		{name: "a malformed JSON workflow", file: "w.json", data: editJSON(t, `"name": "payments-ci-deploy"`, `"name": "Payments"`), wantErr: `w.json:5:3: metadata.name: "Payments" is not valid`},
		{name: "a syntax error, which could hide a workflow", file: "w.yaml", data: "a: [\n", wantErr: "invalid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, err := spec.Parse(tt.file, []byte(tt.data), spec.Discover, spec.Limits{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				if ws != nil {
					t.Errorf("returned workflows with an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, w := range ws {
				names = append(names, w.Metadata.Name)
			}
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Errorf("workflows (-want +got):\n%s", diff)
			}
			if len(ws) == 1 && ws[0].Source.Doc != 1 {
				t.Errorf("workflow is document %d, want 1", ws[0].Source.Doc)
			}
		})
	}
}

func TestMarker(t *testing.T) {
	for data, want := range map[string]bool{
		valid:                               true,
		"kind: ProvisioningWorkflow":        true,
		"# see nhigate.dev\n":               true,
		"apiVersion: v1\nkind: ConfigMap\n": false,
	} {
		if got := spec.Marker([]byte(data)); got != want {
			t.Errorf("Marker(%q) = %v, want %v", data, got, want)
		}
	}
}

type testConfig struct {
	Specs   []string       `yaml:"specs"`
	Enabled *bool          `yaml:"enabled"`
	Count   int            `yaml:"count"`
	Limits  testLimits     `yaml:"limits"`
	Extra   map[string]any `yaml:"extra"`
}

type testLimits struct {
	MaxTTL spec.Duration `yaml:"maxTTL"`
	Until  spec.Time     `yaml:"until"`
}

func TestDecodeStrict(t *testing.T) {
	data := "\xef\xbb\xbfspecs: [identities/**]\nenabled: True\ncount: 3\nlimits:\n  maxTTL: 8h\n  until: \"2027-01-01T00:00:00Z\"\nextra: {a: [1, x]}\n---\n"
	var c testConfig
	pos, err := spec.DecodeStrict(".nhigate.yaml", []byte(data), &c, spec.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Specs) != 1 || c.Specs[0] != "identities/**" || c.Enabled == nil || !*c.Enabled || c.Count != 3 ||
		c.Limits.MaxTTL.Text != "8h" || c.Limits.Until.Text != "2027-01-01T00:00:00Z" || len(c.Extra["a"].([]any)) != 2 {
		t.Errorf("decoded %+v", c)
	}
	wantPos := map[string]spec.Pos{
		"specs": {1, 1}, "specs[0]": {1, 9}, "enabled": {2, 1}, "count": {3, 1},
		"limits": {4, 1}, "limits.maxTTL": {5, 3}, "limits.until": {6, 3}, "extra": {7, 1},
	}
	if diff := cmp.Diff(wantPos, pos); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}

	var empty testConfig
	if pos, err := spec.DecodeStrict(".nhigate.yaml", []byte("# nothing\n"), &empty, spec.Limits{}); err != nil || len(pos) != 0 {
		t.Errorf("empty file: positions %v, error %v", pos, err)
	}
}

func TestDecodeStrictErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		lim  spec.Limits
		want spec.Errors
	}{
		{
			name: "unknown field",
			data: "specs: []\nlimit: {}\n",
			want: spec.Errors{{Line: 2, Col: 1, Path: "limit", Msg: `unknown field "limit" in the document`, Hint: `did you mean "limits"?`}},
		},
		{
			name: "nested unknown field",
			data: "limits:\n  maxTtl: 8h\n",
			want: spec.Errors{{Line: 2, Col: 3, Path: "limits.maxTtl", Msg: `unknown field "maxTtl" in limits`, Hint: `did you mean "maxTTL"?`}},
		},
		{
			name: "two documents",
			data: "count: 1\n---\ncount: 2\n",
			want: spec.Errors{{Line: 2, Col: 1, Msg: "holds more than one YAML document", Hint: `remove the "---" and merge the documents`}},
		},
		{
			name: "duplicate key",
			data: "count: 1\ncount: 2\n",
			want: spec.Errors{{Line: 2, Col: 1, Path: "count", Msg: `"count" is set twice`, Hint: "remove one of them"}},
		},
		{
			name: "wrong types",
			data: "count: many\nenabled: 1\nspecs: x\nlimits: {maxTTL: 1d}\n",
			want: spec.Errors{
				{Line: 1, Col: 8, Path: "count", Msg: `must be a whole number, not the string "many"`},
				{Line: 2, Col: 10, Path: "enabled", Msg: "must be true or false, not the number 1"},
				{Line: 3, Col: 8, Path: "specs", Msg: `must be a list, not the string "x"`, Hint: `write a list, e.g. ["a", "b"] or one "- item" per line`},
				{Line: 4, Col: 18, Path: "limits.maxTTL", Msg: `"1d" is not a duration`, Hint: durationHint},
			},
		},
		{
			name: "not a mapping",
			data: "- a\n",
			want: spec.Errors{{Line: 1, Col: 1, Msg: "must be a mapping, not a list", Hint: `write the fields as "key: value" lines below it`}},
		},
		{
			name: "merge key",
			data: "base: &b {count: 1}\n<<: *b\n",
			want: spec.Errors{{Line: 1, Col: 1, Path: "base", Msg: `unknown field "base" in the document`, Hint: "known fields: count, enabled, extra, limits, specs"}, {Line: 2, Col: 1, Path: "<<", Msg: `unknown field "<<" in the document`, Hint: "known fields: count, enabled, extra, limits, specs"}},
		},
		{
			name: "merge key in a free-form mapping",
			data: "extra:\n  base: &b {a: 1}\n  c:\n    <<: *b\n",
			want: spec.Errors{{Line: 4, Col: 5, Path: "extra.c", Msg: "merge keys (<<) are not supported", Hint: "write the fields out"}},
		},
		{
			name: "invalid UTF-8",
			data: "specs: [a]\ncount: \xff\n",
			want: spec.Errors{{Line: 2, Col: 8, Msg: "file is not valid UTF-8", Hint: "save it as UTF-8"}},
		},
		{
			name: "too large",
			data: "count: 1\n",
			lim:  spec.Limits{MaxFileSize: 8},
			want: spec.Errors{{Msg: "file is 9 bytes, over the limit of 8"}},
		},
		{
			name: "too deep",
			data: "extra: {a: {b: {c: 1}}}\n",
			lim:  spec.Limits{MaxDepth: 3},
			want: spec.Errors{{Line: 1, Col: 20, Path: "extra.a.b.c", Msg: "nesting deeper than 3 levels", Hint: "flatten the structure"}},
		},
		{
			name: "alias bomb",
			data: strings.Replace(laughs("", 9), "conditions:", "extra:", 1),
			want: nil, // checked below: the message, not the place
		},
		{
			name: "syntax error",
			data: "count: [1\n",
			want: spec.Errors{{Line: 2, Col: 1, Msg: "invalid YAML: did not find expected ',' or ']'", Hint: "fix the YAML syntax"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c testConfig
			pos, err := spec.DecodeStrict(".nhigate.yaml", []byte(tt.data), &c, tt.lim)
			if err == nil {
				t.Fatalf("accepted %+v", c)
			}
			if pos != nil {
				t.Errorf("returned positions with an error")
			}
			var got spec.Errors
			if !errors.As(err, &got) || len(got) == 0 {
				t.Fatalf("error %T %v, want spec.Errors", err, err)
			}
			if tt.want == nil {
				if len(got) != 1 || !strings.Contains(got[0].Msg, "too many values") {
					t.Errorf("errors = %v, want one about too many values", got)
				}
				return
			}
			for _, e := range tt.want {
				e.File = ".nhigate.yaml"
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRejectsHiddenLineBreaks(t *testing.T) {
	const hint = `use LF or CRLF line endings; inside a double-quoted string, write the character as an escape such as "\u2028"`
	tests := []struct {
		name, data string
		want       *spec.Error
	}{
		{
			name: "a field hidden after a comment",
			data: edit(t, "    ttl: 1h\n", "    ttl: 1h # was 720h\u2028    rotation: 8760h\n"),
			want: &spec.Error{Line: 19, Col: 23, Msg: "file holds a U+2028 line separator, which YAML reads as a line break but editors and diffs may not", Hint: hint},
		},
		{
			name: "a paragraph separator in a string",
			data: edit(t, "  requester: alice", "  requester: \"al\u2029ice\""),
			want: &spec.Error{Line: 6, Col: 17, Msg: "file holds a U+2029 paragraph separator, which YAML reads as a line break but editors and diffs may not", Hint: hint},
		},
		{
			name: "next line",
			data: edit(t, "  requester: alice", "  requester: al\u0085ice"),
			want: &spec.Error{Line: 6, Col: 16, Msg: "file holds a U+0085 next line character, which YAML reads as a line break but editors and diffs may not", Hint: hint},
		},
		{
			name: "old Mac line endings",
			data: strings.ReplaceAll(valid, "\n", "\r"),
			want: &spec.Error{Line: 1, Col: 27, Msg: "file holds a carriage return without a line feed, which YAML reads as a line break but editors and diffs may not", Hint: hint},
		},
		{
			name: "a carriage return at the end",
			data: valid + "\r",
			want: &spec.Error{Line: 27, Col: 1, Msg: "file holds a carriage return without a line feed, which YAML reads as a line break but editors and diffs may not", Hint: hint},
		},
		{name: "Windows line endings", data: strings.ReplaceAll(valid, "\n", "\r\n")},
		{name: "an escaped separator", data: edit(t, `  owner: "@acme/payments"`, `  provenance: {prompt: "a\u2028b"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, err := spec.Parse("w.yaml", []byte(tt.data), spec.Strict, spec.Limits{})
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got := ws[0].Source.Position("spec.credential.ttl"); got != (spec.Pos{Line: 19, Col: 5}) {
					t.Errorf("ttl at %v, want 19:5", got)
				}
				return
			}
			tt.want.File = "w.yaml"
			if diff := cmp.Diff(spec.Errors{tt.want}, err); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			var c testConfig
			if _, err := spec.DecodeStrict("w.yaml", []byte(tt.data), &c, spec.Limits{}); err == nil || !strings.Contains(err.Error(), "which YAML reads as a line break") {
				t.Errorf("DecodeStrict: error %v, want the same rejection", err)
			}
		})
	}

	// JSON has no such line breaks: there the characters are plain text.
	data := editJSON(t, `"requester": "alice"`, "\"requester\": \"alice\"\u2028")
	if _, err := spec.Parse("w.json", []byte(data), spec.Strict, spec.Limits{}); err == nil {
		t.Errorf("JSON with U+2028 between tokens was accepted")
	}
	data = strings.Replace(validJSON, `"owner": "@acme/payments"`, "\"owner\": \"@acme/payments\", \"provenance\": {\"prompt\": \"a\u2028b\"}", 1)
	ws, err := spec.Parse("w.json", []byte(data), spec.Strict, spec.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ws[0].Metadata.Provenance.Prompt; got != "a\u2028b" {
		t.Errorf("prompt = %q", got)
	}
}

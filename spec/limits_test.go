package spec_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/spec"
)

// laughs is a "billion laughs" document: levels anchors, each a list of nine
// aliases of the one before, which expands to 9^levels strings.
func laughs(prefix string, levels int) string {
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteString("conditions:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 9), ", "))
	}
	return b.String()
}

// laughsFlow is laughs as one flow mapping.
func laughsFlow(levels int) string {
	parts := []string{"l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"}
	for i := 1; i < levels; i++ {
		parts = append(parts, fmt.Sprintf("l%d: &l%d [%s]", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 9), ", ")))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// parseBounded runs Parse and fails the test if it does not return in a time
// no honest input needs. It guards against hangs; it is not a benchmark.
func parseBounded(t *testing.T, file string, data []byte, mode spec.Mode, lim spec.Limits) ([]*spec.Workflow, error) {
	t.Helper()
	type result struct {
		ws  []*spec.Workflow
		err error
	}
	done := make(chan result, 1)
	go func() {
		ws, err := spec.Parse(file, data, mode, lim)
		done <- result{ws, err}
	}()
	select {
	case r := <-done:
		return r.ws, r.err
	case <-time.After(20 * time.Second):
		t.Fatalf("Parse(%s, %d bytes) still running after 20s", file, len(data))
		return nil, nil
	}
}

func TestParseBoundsInput(t *testing.T) {
	conditions := func(v string) string {
		return edit(t, "      resources: [\"arn:aws:s3:::payments-artifacts/*\"]\n", "      resources: [\"arn:aws:s3:::payments-artifacts/*\"]\n      conditions: "+v+"\n")
	}
	deepYAML := conditions("{x: " + strings.Repeat("[", 9_000) + strings.Repeat("]", 9_000) + "}")
	deepJSON := editJSON(t, `"resources": ["arn:aws:s3:::payments-artifacts/*"]}`, `"resources": ["arn:aws:s3:::payments-artifacts/*"], "conditions": {"x": `+strings.Repeat("[", 10_000)+strings.Repeat("]", 10_000)+"}}")
	oneLineArray := "[" + strings.Repeat("0,", spec.DefaultMaxFileSize/2-2) + "0]"

	tests := []struct {
		name string
		file string
		data string
		mode spec.Mode
		lim  spec.Limits
		want spec.Errors
	}{
		{
			name: "billion laughs",
			file: "w.yaml",
			data: laughs("apiVersion: nhigate.dev/v1\nkind: ProvisioningWorkflow\n", 9),
			want: nil, // the place depends on the budget; the message is checked below
		},
		{
			name: "billion laughs in conditions",
			file: "w.yaml",
			data: conditions(laughsFlow(9)),
			want: nil, // the place depends on the budget; the message is checked below
		},
		{
			name: "billion laughs skipped in Discover mode",
			file: "w.yaml",
			data: laughs("", 12),
			mode: spec.Discover,
		},
		{
			name: "self-referencing anchor",
			file: "w.yaml",
			data: conditions("&c {self: *c}"),
			want: spec.Errors{{Line: 17, Col: 19, Path: "spec.entitlements[0].conditions" + strings.Repeat(".self", 29), Msg: "nesting deeper than 32 levels", Hint: "flatten the structure"}},
		},
		{
			name: "self-referencing list",
			file: "w.yaml",
			data: conditions("{x: &l [a, *l]}"),
			want: spec.Errors{{Line: 17, Col: 27, Path: "spec.entitlements[0].conditions.x" + strings.Repeat("[1]", 27) + "[0]", Msg: "nesting deeper than 32 levels", Hint: "flatten the structure"}},
		},
		{
			name: "nesting 9,000 deep in YAML",
			file: "w.yaml",
			data: deepYAML,
			want: spec.Errors{{Line: 17, Col: 51, Path: "spec.entitlements[0].conditions.x" + strings.Repeat("[0]", 28), Msg: "nesting deeper than 32 levels", Hint: "flatten the structure"}},
		},
		{
			name: "nesting 10,000 deep in YAML",
			file: "w.yaml",
			data: conditions("{x: " + strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) + "}"),
			want: spec.Errors{{Line: 17, Col: 1, Msg: "invalid YAML: exceeded max depth of 10000", Hint: "fix the YAML syntax"}},
		},
		{
			name: "nesting 100,000 deep in YAML",
			file: "w.yaml",
			data: strings.Repeat("- ", 100_000) + "x\n",
			want: spec.Errors{{Msg: "invalid YAML: exceeded max depth of 10000", Hint: "fix the YAML syntax"}},
		},
		{
			name: "nesting 10,000 deep in JSON",
			file: "w.json",
			data: deepJSON,
			want: spec.Errors{{Line: 13, Col: colOf(t, deepJSON, strings.Repeat("[", 10_000)) + 28, Msg: "nesting deeper than 32 levels", Hint: "fix the JSON syntax"}},
		},
		{
			name: "nesting 500,000 deep in JSON",
			file: "w.json",
			data: strings.Repeat("[", 500_000) + strings.Repeat("]", 500_000),
			want: spec.Errors{{Line: 1, Col: 34, Msg: "nesting deeper than 32 levels", Hint: "fix the JSON syntax"}},
		},
		{
			name: "a lower depth limit",
			file: "w.yaml",
			data: valid,
			lim:  spec.Limits{MaxDepth: 3},
			want: spec.Errors{{Line: 15, Col: 16, Path: "spec.entitlements[0].actions", Msg: "nesting deeper than 3 levels", Hint: "flatten the structure"}},
		},
		{
			name: "over the size limit",
			file: "w.yaml",
			data: valid,
			lim:  spec.Limits{MaxFileSize: 100},
			want: spec.Errors{{Msg: fmt.Sprintf("file is %d bytes, over the limit of 100", len(valid)), Hint: "split it into several files, or raise limits.maxFileSize in .nhigate.yaml"}},
		},
		{
			name: "over the default size limit",
			file: "w.yaml",
			data: valid + "# " + strings.Repeat("x", spec.DefaultMaxFileSize) + "\n",
			want: spec.Errors{{Msg: fmt.Sprintf("file is %d bytes, over the limit of %d", len(valid)+spec.DefaultMaxFileSize+3, spec.DefaultMaxFileSize), Hint: "split it into several files, or raise limits.maxFileSize in .nhigate.yaml"}},
		},
		{
			name: "invalid UTF-8",
			file: "w.yaml",
			data: edit(t, "  requester: alice", "  requester: \"ä\xffx\""),
			want: spec.Errors{{Line: 6, Col: 16, Msg: "file is not valid UTF-8", Hint: "save it as UTF-8"}},
		},
		{
			name: "invalid UTF-8 in JSON",
			file: "w.json",
			data: editJSON(t, `"requester": "alice"`, "\"requester\": \"\xc3\""),
			want: spec.Errors{{Line: 7, Col: 17, Msg: "file is not valid UTF-8", Hint: "save it as UTF-8"}},
		},
		{
			name: "merge key",
			file: "w.yaml",
			data: "base: &b {apiVersion: nhigate.dev/v1, kind: ProvisioningWorkflow}\n<<: *b\n",
			want: spec.Errors{{Line: 2, Col: 1, Msg: "merge keys (<<) are not supported", Hint: "write the fields out"}},
		},
		{
			name: "a 1 MiB one-line JSON array",
			file: "w.json",
			data: oneLineArray,
			want: spec.Errors{{Line: 1, Col: 1, Msg: "document must be a mapping, not a list", Hint: `write a mapping starting with "apiVersion: nhigate.dev/v1"`}},
		},
		{
			name: "many documents",
			file: "w.yaml",
			data: strings.Repeat("---\n- x\n", 100_000),
			mode: spec.Discover,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, err := parseBounded(t, tt.file, []byte(tt.data), tt.mode, tt.lim)
			if ws != nil {
				t.Fatalf("accepted %d workflows", len(ws))
			}
			if tt.mode == spec.Discover {
				if err != nil {
					t.Errorf("error %v, want none", err)
				}
				return
			}
			got, ok := err.(spec.Errors)
			if !ok || len(got) == 0 {
				t.Fatalf("error %T %v, want spec.Errors", err, err)
			}
			if tt.want == nil {
				if len(got) != 1 || got[0].Msg != "document expands to too many values (YAML alias bomb?)" ||
					got[0].Hint != "write the values out instead of repeating anchors" || got[0].Line == 0 {
					t.Errorf("errors %v, want one about too many values, with a position", err)
				}
				return
			}
			for _, e := range tt.want {
				e.File = tt.file
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseHonestAnchorsFitTheBudget(t *testing.T) {
	// A spec that reuses one list of 100 actions in 20 entitlements expands
	// to 2,000 values: honest reuse, within the budget.
	var b strings.Builder
	b.WriteString("  entitlements:\n    - actions: &acts [")
	for i := range 100 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "\"svc:Action%d\"", i)
	}
	b.WriteString("]\n      resources: [\"r0\"]\n")
	for i := 1; i < 20; i++ {
		fmt.Fprintf(&b, "    - actions: *acts\n      resources: [\"r%d\"]\n", i)
	}
	data := edit(t, "  entitlements:\n    - actions: [\"s3:GetObject\", \"s3:PutObject\"]\n      resources: [\"arn:aws:s3:::payments-artifacts/*\"]\n", b.String())
	ws, err := parseBounded(t, "w.yaml", []byte(data), spec.Strict, spec.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ws[0].Spec.Entitlements); n != 20 || len(ws[0].Spec.Entitlements[19].Actions) != 100 {
		t.Errorf("got %d entitlements", n)
	}
}

// TestParseLimitsOnWork: limits that bound what a spec asks the diff to
// compare fail with the limit's name and where to raise it.
func TestParseLimitsOnWork(t *testing.T) {
	many := func(n int, prefix string) string {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf("%q", fmt.Sprintf("%s%d", prefix, i))
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	grid := edit(t, "    - actions: [\"s3:GetObject\", \"s3:PutObject\"]\n      resources: [\"arn:aws:s3:::payments-artifacts/*\"]\n",
		"    - actions: "+many(120, "s3:Action")+"\n      resources: "+many(120, "arn:aws:s3:::b/")+"\n")
	long := edit(t, `resources: ["arn:aws:s3:::payments-artifacts/*"]`, `resources: ["arn:aws:s3:::b/`+strings.Repeat("ab", 1100)+`*"]`)
	three := valid + "---\n" + valid + "---\n" + valid
	res := "      resources: [\"arn:aws:s3:::payments-artifacts/*\"]\n"
	bigCond := edit(t, res, res+"      conditions: {StringEquals: {\"aws:SourceVpc\": \""+strings.Repeat("v", 9000)+"\"}}\n")
	smallCond := edit(t, res, res+"      conditions: {Bool: {\"aws:SecureTransport\": \"true\"}}\n")

	tests := []struct {
		name string
		data string
		lim  spec.Limits
		want spec.Errors
	}{
		{
			name: "120 actions × 120 resources, over the default",
			data: grid,
			want: spec.Errors{{Line: 14, Col: 3, Path: "spec.entitlements",
				Msg:  "expands to 14400 grants (actions × resources of each entitlement), over the limit of 10000",
				Hint: "list fewer actions or resources per entitlement, split the access over several specs, or raise limits.maxGrantsPerSpec in .nhigate.yaml"}},
		},
		{
			name: "two grants, over a limit of one",
			data: valid,
			lim:  spec.Limits{MaxGrants: 1},
			want: spec.Errors{{Line: 14, Col: 3, Path: "spec.entitlements",
				Msg:  "expands to 2 grants (actions × resources of each entitlement), over the limit of 1",
				Hint: "list fewer actions or resources per entitlement, split the access over several specs, or raise limits.maxGrantsPerSpec in .nhigate.yaml"}},
		},
		{
			name: "a 2,200-byte pattern, over the default",
			data: long,
			want: spec.Errors{{Line: 16, Col: 19, Path: "spec.entitlements[0].resources[0]",
				Msg:  "pattern is 2216 bytes long, over the limit of 2048",
				Hint: "write a shorter pattern, or raise limits.maxPatternLength in .nhigate.yaml"}},
		},
		{
			name: "a resource over a lower pattern limit",
			data: valid,
			lim:  spec.Limits{MaxPatternLength: 12},
			want: spec.Errors{
				{Line: 16, Col: 19, Path: "spec.entitlements[0].resources[0]", Msg: "pattern is 33 bytes long, over the limit of 12",
					Hint: "write a shorter pattern, or raise limits.maxPatternLength in .nhigate.yaml"},
			},
		},
		{
			name: "9,000 bytes of conditions, over the default",
			data: bigCond,
			want: spec.Errors{{Line: 17, Col: 7, Path: "spec.entitlements[0].conditions",
				Msg:  "conditions are 9037 bytes as canonical JSON, over the limit of 8192",
				Hint: "write fewer or shorter conditions, or raise limits.maxConditionsBytes in .nhigate.yaml"}},
		},
		{
			name: "conditions over a lower limit",
			data: smallCond,
			lim:  spec.Limits{MaxConditionsBytes: 16},
			want: spec.Errors{{Line: 17, Col: 7, Path: "spec.entitlements[0].conditions",
				Msg:  "conditions are 39 bytes as canonical JSON, over the limit of 16",
				Hint: "write fewer or shorter conditions, or raise limits.maxConditionsBytes in .nhigate.yaml"}},
		},
		{
			name: "three documents, over a limit of two",
			data: three,
			lim:  spec.Limits{MaxDocuments: 2},
			want: spec.Errors{{Line: 2*strings.Count(valid, "\n") + 3, Col: 1, Msg: "file holds more than 2 workflow documents",
				Hint: "split it into several files, or raise limits.maxDocumentsPerFile in .nhigate.yaml"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, err := parseBounded(t, "w.yaml", []byte(tt.data), spec.Strict, tt.lim)
			if ws != nil {
				t.Fatalf("accepted %d workflows", len(ws))
			}
			for _, e := range tt.want {
				e.File = "w.yaml"
			}
			if diff := cmp.Diff(tt.want, err); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseDocumentLimitCountsWorkflows: in Discover mode only documents
// that claim to be workflows count, so that another tool's long YAML
// stream next to the specs is not an error.
func TestParseDocumentLimitCountsWorkflows(t *testing.T) {
	data := strings.Repeat("---\nkind: ConfigMap\n", 500) + "---\n" + valid
	ws, err := spec.Parse("w.yaml", []byte(data), spec.Discover, spec.Limits{MaxDocuments: 1})
	if err != nil || len(ws) != 1 {
		t.Fatalf("got %d workflows, error %v; want the one workflow", len(ws), err)
	}
	ws, err = spec.Parse("w.yaml", []byte(data+"---\n"+valid), spec.Discover, spec.Limits{MaxDocuments: 1})
	if err == nil || !strings.Contains(err.Error(), "file holds more than 1 workflow documents") {
		t.Errorf("got %d workflows, error %v; want the limit", len(ws), err)
	}
}

package spec_test

import (
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/nhigate/nhigate/spec"
)

func utf16LE(s string, bom bool) string {
	var b []byte
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return string(b)
}

func utf16BE(s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.BigEndian.AppendUint16(b, u)
	}
	return string(b)
}

func utf32LE(s string) string {
	b := []byte{0xFF, 0xFE, 0, 0}
	for _, r := range s {
		b = binary.LittleEndian.AppendUint32(b, uint32(r))
	}
	return string(b)
}

// TestFindClaim holds one member of each way to spell "I am an nhigate
// document" that another tool, or a person, could read as one.
func TestFindClaim(t *testing.T) {
	const tail = "\nkind: ProvisioningWorkflow\nmetadata: {name: x}\n"
	tests := []struct {
		name, file, data string
		want             bool
		line             int
	}{
		{"exact", "a.yaml", valid, true, 1},
		{"kind alone", "a.yaml", "metadata: {name: x}\nkind: ProvisioningWorkflow\n", true, 2},
		{"upper-case value", "a.yaml", "apiVersion: NHIGATE.DEV/v1\n", true, 1},
		{"upper-case key", "a.yaml", "APIVERSION: nhigate.dev/v1\n", true, 1},
		{"kind in another case", "a.yaml", "kind: provisioningworkflow\n", true, 1},
		{"spaces in quotes", "a.yaml", "apiVersion: \"  nhigate.dev/v1 \"\n", true, 1},
		{"quotes in quotes", "a.yaml", "apiVersion: '\"nhigate.dev/v1\"'\n", true, 1},
		{"folded over lines", "a.yaml", "apiVersion: nhi\n  gate.dev/v1\n", true, 1},
		{"cyrillic i", "a.yaml", "apiVersion: nh\u0456gate.dev/v1\n", true, 1},
		{"greek omicron in kind", "a.yaml", "kind: Pr\u03bfvisioningWorkflow\n", true, 1},
		{"fullwidth", "a.yaml", "apiVersion: \uff4e\uff48\uff49\uff47\uff41\uff54\uff45.dev/v1\n", true, 1},
		{"zero-width space", "a.yaml", "apiVersion: nhi\u200bgate.dev/v1\n", true, 1},
		{"combining mark", "a.yaml", "apiVersion: nhi\u0301gate.dev/v1\n", true, 1},
		{"yaml hex escape", "a.yaml", "apiVersion: \"\\x6ehigate.dev/v1\"\n", true, 1},
		{"json slash escape", "a.json", `{"apiVersion": "nhigate.dev\/v1"}`, true, 1},
		{"json unicode escape", "a.json", `{"apiVersion": "\u006e\u0068igate.dev/v1"}`, true, 1},
		{"json with tabs", "a.json", "{\n\t\"apiVersion\":\t\"nhigate.dev\\/v1\"\n}", true, 2},
		{"second document", "a.yaml", "a: 1\n---\napiVersion: nhigate.dev/v1\n", true, 3},
		{"list wrapper", "a.yaml", "kind: List\nitems:\n  - apiVersion: nhigate.dev/v1\n    kind: ProvisioningWorkflow\n", true, 3},
		{"behind an alias", "a.yaml", "x: &v nhigate.dev/v1\napiVersion: *v\n", true, 2},
		{"utf-8 bom", "a.yaml", "\xef\xbb\xbfapiVersion: nhigate.dev/v1\n", true, 1},
		{"utf-16 with bom", "a.yaml", utf16LE("apiVersion: nhigate.dev/v1"+tail, true), true, 1},
		{"utf-16 without bom", "a", utf16LE("apiVersion: nhigate.dev/v1"+tail, false), true, 1},
		{"utf-16be without bom", "a.yml", utf16BE("apiVersion: nhigate.dev/v1" + tail), true, 1},
		{"utf-32", "a.yaml", utf32LE("apiVersion: nhigate.dev/v1" + tail), true, 1},
		{"any extension", "spec.txt", "apiVersion: nhigate.dev/v1" + tail, true, 1},
		{"broken yaml", "a.yaml", "apiVersion: nhigate.dev/v1\n\tkind: [\n", true, 1},
		{"broken, no extension", "identities/a", "x: [\napiVersion: \"nhigate\\u002edev/v1\"\n", true, 2},

		{"another tool's document", "a.yaml", "apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n", false, 0},
		{"a workflow that runs nhigate", "ci.yml", "on: pull_request\njobs:\n  r:\n    steps:\n      - uses: nhigate/nhigate@v0\n      - run: \"echo 'apiVersion: nhigate.dev/v1'\"\n", false, 0},
		{"another version group", "a.yaml", "apiVersion: nhigate.io/v1\n", false, 0},
		{"another script", "a.yaml", "kind: \u5de5\u4f5c\u6d41\u7a0b\u5de5\u4f5c\u6d41\u7a0b\u5de5\u4f5c\u6d41\u7a0b\u5de5\u4f5c\u6d41\u7a0b\u5de5\u4f5c\u6d41\u7a0b\n", false, 0},
		{"too many stand-ins", "a.yaml", "kind: \u0440\u0433\u043e\u0475\u0456\u0455\u0456\u043e\u043f\u0456\u043f\u0261\u0461\u043e\u0433kflow\n", false, 0},
		{"markdown example", "README.md", "# Specs\n\n```yaml\napiVersion: nhigate.dev/v1\nkind: ProvisioningWorkflow\n```\n", false, 0},
		{"latin-1 text", "a.yaml", "name: caf\xe9\n", false, 0},
		{"binary", "a.png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := spec.FindClaim(tt.file, []byte(tt.data))
			if ok != tt.want || ok && c.Line != tt.line {
				t.Errorf("FindClaim(%q) = %+v, %v; want %v at line %d", tt.data, c, ok, tt.want, tt.line)
			}
			if tt.want && !spec.Marker([]byte(tt.data)) {
				t.Errorf("Marker(%q) = false for a file that claims to be a spec: discovery would skip it", tt.data)
			}
		})
	}
}

// TestNearMissIsAnError: in discovery, a document whose apiVersion or kind
// only looks right is an error that says so, not another tool's document.
func TestNearMissIsAnError(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"apiVersion case", "apiVersion: nhigate.dev/v1", "apiVersion: NHIGATE.dev/v1", `"NHIGATE.dev/v1" is not supported: it only looks like "nhigate.dev/v1"`},
		{"apiVersion look-alike", "apiVersion: nhigate.dev/v1", "apiVersion: nh\u0456gate.dev/v1", `"nh\u0456gate.dev/v1" is not supported: it only looks like`},
		{"kind case", "kind: ProvisioningWorkflow", "kind: provisioningWorkflow", `"provisioningWorkflow" is not supported: it only looks like "ProvisioningWorkflow"`},
		{"kind with a zero-width space", "kind: ProvisioningWorkflow", "kind: \"Provisioning\u200bWorkflow\"", `"Provisioning\u200bWorkflow" is not supported`},
		{"key case", "apiVersion: nhigate.dev/v1", "ApiVersion: nhigate.dev/v1", `unknown field "ApiVersion"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := strings.Replace(valid, tt.old, tt.new, 1)
			if data == valid {
				t.Fatalf("%q is not in the valid spec", tt.old)
			}
			if !spec.Marker([]byte(data)) {
				t.Fatal("Marker is false")
			}
			ws, err := spec.Parse("a.yaml", []byte(data), spec.Discover, spec.Limits{})
			if err == nil || len(ws) != 0 {
				t.Fatalf("Parse in discovery = %d workflows, %v; want an error", len(ws), err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
		})
	}
}

// FuzzFindClaim: FindClaim never panics, and discovery never skips a file
// that FindClaim sees as a claim.
func FuzzFindClaim(f *testing.F) {
	f.Add("a.yaml", valid)
	f.Add("a.json", `{"apiVersion": "nhigate.dev\/v1"}`)
	f.Add("a", utf16LE("apiVersion: nh\u0456gate.dev/v1", true))
	f.Add("a.yaml", "x: [\nkind: \"Provisioning\\u200bWorkflow\"\n")
	f.Fuzz(func(t *testing.T, name, data string) {
		if _, ok := spec.FindClaim(name, []byte(data)); ok && !spec.Marker([]byte(data)) {
			t.Errorf("FindClaim sees a claim in %q, Marker does not", data)
		}
	})
}

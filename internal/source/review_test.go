package source

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/gittest"
	"github.com/nhigate/nhigate/spec"
)

// specOf is a valid spec named name for the identity id.
func specOf(name, id string) string {
	return strings.Replace(specNamed(name), "identity: {name: ci,", "identity: {name: "+id+",", 1)
}

func TestMentions(t *testing.T) {
	want := names{"payments-ci": true, "arn:aws:iam::1:role/x": true}
	found := map[string]string{
		"plain":               "name: payments-ci\n",
		"upper case":          "name: PAYMENTS-CI\n",
		"double quoted":       `name: "payments-ci"`,
		"single quoted":       `name: 'Payments-CI'`,
		"flow":                "identity: {name: payments-ci, type: x}",
		"JSON":                `{"name":"payments-ci"}`,
		"adjacent flow value": `{"name":payments-ci}`,
		"tagged":              "name: !!str payments-ci\n",
		"anchored":            "name: &a payments-ci\n",
		"block scalar":        "name: |-\n  payments-ci\n",
		"comment after":       "name: payments-ci # the CI\n",
		"ARN with colons":     `name: "arn:aws:iam::1:role/x"`,
		"any escape":          `name: "pay\x6dents-ci"`,
		"unicode escape":      `{"name": "payments\u002dci"}`,
	}
	for name, data := range found {
		if !mentions([]byte(data), want) {
			t.Errorf("%s: %q not found", name, data)
		}
	}
	missing := map[string]string{
		"another name":  "name: payments-cd\n",
		"longer name":   "name: payments-ci-2\n",
		"prefix only":   "name: payments\n",
		"nothing":       "",
		"no names":      "name: payments-ci\n",
		"name in a key": "payments-ci-x: 1\n",
	}
	for name, data := range missing {
		w := want
		if name == "no names" {
			w = names{}
		}
		if mentions([]byte(data), w) {
			t.Errorf("%s: %q found", name, data)
		}
	}
}

// TestLoadReviewFindsEveryPrincipalSpec: specs of unchanged files that hold
// the principal of a changed spec take part, however they spell it; others
// are not even parsed.
func TestLoadReviewFindsEveryPrincipalSpec(t *testing.T) {
	base := map[string]string{
		".nhigate.yaml":          "specs: [\"**/*.yaml\", \"**/*.json\"]\n",
		"identities/a.yaml":      specOf("a", "payments-ci"),
		"team/deep/upper.yaml":   specOf("upper", "Payments-CI"),
		"team/deep/escaped.yaml": strings.Replace(specOf("escaped", "payments-ci"), "name: payments-ci,", `name: "payments\x2dci",`, 1),
		"team/other.yaml":        specOf("other", "billing"),
		"team/json.json": `{"apiVersion": "nhigate.dev/v1", "kind": "ProvisioningWorkflow", "metadata": {"name": "json"},
 "spec": {"identity": {"name": "payments-ci", "type": "workload-identity", "platform": "aws", "consumer": "pipeline"},
  "environment": "staging", "entitlements": [{"actions": ["s3:PutObject"], "resources": ["arn:aws:s3:::b/*"]}],
  "credential": {"kind": "ephemeral", "ttl": "1h"}}}`,
		"team/gcp.yaml": strings.Replace(specOf("gcp", "payments-ci"), "platform: aws", "platform: gcp", 1),
	}
	head := map[string]string{"identities/a.yaml": specOf("a", "payments-ci") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n"}
	repo, baseDir, headDir := fixture(t, base, head)
	cfg, err := config.Parse(config.File, []byte(base[".nhigate.yaml"]))
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]Tree{
		"git":  {open(t, repo, "main"), open(t, repo, "feature")},
		"dirs": {open(t, repo, baseDir), open(t, repo, headDir)},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			changed, err := Changed(ctx, pair[0], pair[1])
			if err != nil {
				t.Fatal(err)
			}
			r := loadReview(t, ctx, pair[0], pair[1], changed, cfg)
			var got []string
			for _, w := range r.Context {
				got = append(got, w.Source.File)
			}
			want := []string{"team/deep/escaped.yaml", "team/deep/upper.yaml", "team/json.json"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Context (-want +got):\n%s", diff)
			}
			// Every unchanged file the globs match is read, but for the
			// config, a governance file and never a spec; the gcp spec
			// shares the name but not the principal, so it is parsed and
			// left out; billing's is not even parsed.
			if r.Scanned != 5 || r.Parsed != 4 {
				t.Errorf("Scanned %d, Parsed %d; want 5 and 4", r.Scanned, r.Parsed)
			}
			if len(r.Head.Errors) > 0 {
				t.Errorf("errors: %v", r.Head.Errors)
			}
		})
	}
}

// TestLoadReviewDuplicateNameAnywhere: a changed spec may not take a
// metadata.name that any other file of the repo uses, changed or not.
func TestLoadReviewDuplicateNameAnywhere(t *testing.T) {
	base := map[string]string{
		"identities/a.yaml":       specOf("a", "payments-ci"),
		"elsewhere/deep/old.json": `{"apiVersion": "nhigate.dev/v1", "kind": "ProvisioningWorkflow", "metadata": {"name": "taken"}, "spec": {"identity": {"name": "x", "type": "workload-identity", "platform": "aws", "consumer": "pipeline"}, "environment": "staging", "entitlements": [{"actions": ["a"], "resources": ["r"]}], "credential": {"kind": "ephemeral", "ttl": "1h"}}}`,
	}
	head := map[string]string{"identities/new.yaml": specOf("taken", "deploy")}
	repo, _, _ := fixture(t, base, head)
	b, h := open(t, repo, "main"), open(t, repo, "feature")
	ctx := context.Background()
	changed, err := Changed(ctx, b, h)
	if err != nil {
		t.Fatal(err)
	}
	r := loadReview(t, ctx, b, h, changed, config.Default())
	want := spec.Errors{{File: "identities/new.yaml", Line: 4, Col: 3, Path: "metadata.name",
		Msg: `"taken" is already the name of a workflow in elsewhere/deep/old.json`, Hint: "give each workflow its own name"}}
	if diff := cmp.Diff(want, r.Head.Errors); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if slices.ContainsFunc(r.Context, func(w *spec.Workflow) bool { return w.Metadata.Name == "taken" }) {
		t.Errorf("the other principal's spec is in the context")
	}
}

// TestLoadReviewEvasionsFromPacks: a spec of a changed principal is found
// in a packed repository (read by the pack reader, in pack order, on every
// core) however it spells the name, one file per way of writing it; and
// the encodings that hide the name's bytes cannot hold a spec at all.
func TestLoadReviewEvasionsFromPacks(t *testing.T) {
	const id = "identity: {name: payments-ci,"
	respell := func(name, with string) string {
		return strings.Replace(specOf(name, "payments-ci"), id, with, 1)
	}
	found := map[string]string{
		"case.yaml":          respell("case", "identity: {name: PayMents-CI,"),
		"yaml-x-escape.yaml": respell("yamlx", `identity: {name: "pay\x6dents-ci",`),
		"yaml-u-escape.yaml": respell("yamlu", `identity: {name: "payments\u002Dci",`),
		"yaml-line-escape.yaml": strings.Replace(specOf("yamlline", "payments-ci"), "identity: {name: payments-ci, type: workload-identity,",
			"identity: {name: \"payments-\\\n      ci\", type: workload-identity,", 1),
		"single-quoted.yaml": respell("single", "identity: {name: 'payments-ci',"),
		"tag.yaml":           respell("tag", "identity: {name: !!str payments-ci,"),
		"local-tag.yaml":     respell("localtag", "identity: {name: !<tag:yaml.org,2002:str> payments-ci,"),
		"anchor.yaml": strings.Replace(strings.Replace(specOf("payments-ci", "x"), "name: payments-ci\n", "name: &n payments-ci\n", 1),
			"identity: {name: x,", "identity: {name: *n,", 1),
		"block.yaml": strings.Replace(specOf("block", "payments-ci"), "  identity: {name: payments-ci, type: workload-identity, platform: aws, consumer: pipeline}\n",
			"  identity:\n    name: >-\n      payments-ci\n    type: workload-identity\n    platform: aws\n    consumer: pipeline\n", 1),
		"json-escape.json": `{"apiVersion": "nhigate.dev/v1", "kind": "ProvisioningWorkflow", "metadata": {"name": "jsonesc"},
 "spec": {"identity": {"name": "\u0070ayments\u002dci", "type": "workload-identity", "platform": "aws", "consumer": "pipeline"},
  "environment": "staging", "entitlements": [{"actions": ["s3:PutObject"], "resources": ["arn:aws:s3:::b/*"]}],
  "credential": {"kind": "ephemeral", "ttl": "1h"}}}`,
	}
	base := map[string]string{
		".nhigate.yaml":     "specs: [\"**/*.yaml\", \"**/*.json\"]\n",
		"identities/a.yaml": specOf("a", "payments-ci"),
	}
	for p, c := range found {
		base["team/"+p] = c
	}
	// Enough other specs for the scan to run on every core, most of
	// them deltas of each other in the pack.
	for i := range 300 {
		base[fmt.Sprintf("other/%03d.yaml", i)] = specOf(fmt.Sprintf("other-%d", i), fmt.Sprintf("svc-%d", i))
	}
	head := map[string]string{"identities/a.yaml": specOf("a", "payments-ci") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n"}
	repo, _, _ := fixture(t, base, head)
	gittest.Run(t, repo, "gc", "-q", "--aggressive")
	cfg, err := config.Parse(config.File, []byte(base[".nhigate.yaml"]))
	if err != nil {
		t.Fatal(err)
	}
	b, h := open(t, repo, "main"), open(t, repo, "feature")
	ctx := context.Background()
	changed, err := Changed(ctx, b, h)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"identities/a.yaml"}, changed); diff != "" {
		t.Fatalf("changed (-want +got):\n%s", diff)
	}
	r := loadReview(t, ctx, b, h, changed, cfg)
	var got []string
	for _, w := range r.Context {
		got = append(got, w.Source.File)
	}
	var want []string
	for p := range found {
		want = append(want, "team/"+p)
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Context (-want +got):\n%s", diff)
	}
	if r.Scanned != len(found)+300 || r.Parsed != len(found) {
		t.Errorf("Scanned %d, Parsed %d; want %d and %d", r.Scanned, r.Parsed, len(found)+300, len(found))
	}

	// What spells the name without its ASCII bytes is not a spec: the
	// name must be ASCII, the file UTF-8, the value a string.
	utf16 := func(s string) string {
		var out []byte
		for _, c := range s {
			out = append(out, byte(c), 0)
		}
		return string(out)
	}
	for what, src := range map[string]string{
		"UTF-16, no BOM":     utf16(specOf("u16", "payments-ci")),
		"UTF-16 with BOM":    "\xff\xfe" + utf16(specOf("u16", "payments-ci")),
		"look-alike K":       respell("kelvin", "identity: {name: payments-\u212Aey,"),
		"full-width":         respell("wide", "identity: {name: ｐayments-ci,"),
		"binary tag":         respell("binary", "identity: {name: !!binary cGF5bWVudHMtY2k=,"),
		"YAML 32-bit escape": respell("esc32", `identity: {name: "payments-\U0001F600",`),
	} {
		if ws, err := spec.Parse("x.yaml", []byte(src), spec.Strict, spec.Limits{}); err == nil {
			t.Errorf("%s: parsed as a spec of %q; the scan would not find it", what, ws[0].Spec.Identity.Name)
		}
	}
}

// mentionsRef is mentions written plainly, for FuzzMentions.
func mentionsRef(data []byte, want names) bool {
	if len(want) == 0 {
		return false
	}
	if strings.Contains(string(data), `\`) {
		return true
	}
	runs := strings.FieldsFunc(string(data), func(r rune) bool {
		return r >= 0x80 || !nameByte(byte(r))
	})
	for _, run := range runs {
		run = strings.TrimLeft(run, "._@:/-")
		if want[strings.ToLower(run)] {
			return true
		}
	}
	return false
}

func FuzzMentions(f *testing.F) {
	for _, s := range []string{"name: payments-ci\n", "x: -.PAYMENTS-ci", "{\"a\":payments-ci}", "payments-ci-2", "ci", "é-ci", "\\"} {
		f.Add([]byte(s))
	}
	want := names{"payments-ci": true, "ci": true, "a.b@c:d/e_f": true}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ref := mentions(data, want), mentionsRef(data, want)
		if got != ref {
			t.Errorf("mentions(%q) = %v, want %v", data, got, ref)
		}
		// The scan cache's digest never says no where mentions says yes.
		if got && !newQuery(want).mayMention(digestOf(data)) {
			t.Errorf("digest of %q mentions none of %v", data, want)
		}
	})
}

// TestLoadReviewBrokenContextBlocks: an unchanged file that may hold the
// principal of a changed spec, and no longer loads, is an error: left out,
// it would take that principal's other grants out of the comparison.
func TestLoadReviewBrokenContextBlocks(t *testing.T) {
	base := map[string]string{
		"identities/a.yaml":   specOf("a", "payments-ci"),
		"identities/old.yaml": strings.Replace(specOf("old", "payments-ci"), "consumer: pipeline", "consumer: robot", 1),
	}
	head := map[string]string{"identities/a.yaml": specOf("a", "payments-ci") + "  expiresAt: \"2026-12-01T00:00:00Z\"\n"}
	repo, _, _ := fixture(t, base, head)
	b, h := open(t, repo, "main"), open(t, repo, "feature")
	ctx := context.Background()
	changed, err := Changed(ctx, b, h)
	if err != nil {
		t.Fatal(err)
	}
	r := loadReview(t, ctx, b, h, changed, withSpecs("identities/*.yaml"))
	if len(r.Head.Errors) != 1 || r.Head.Errors[0].File != "identities/old.yaml" ||
		!strings.Contains(r.Head.Errors[0].Msg, "unchanged, but it may hold a principal this change touches, and it does not load") {
		t.Errorf("errors %v, want one for identities/old.yaml", r.Head.Errors)
	}
}

package vault_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2/hclsimple"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/render/internal/rendertest"
	"github.com/nhigate/nhigate/render/vault"
	"github.com/nhigate/nhigate/spec"
)

// v2Policy is a Vault ACL policy as typed HCL 2: an attribute or block
// this struct does not name is an error of the decoder.
type v2Policy struct {
	Paths []v2Path `hcl:"path,block"`
}

type v2Path struct {
	Path         string              `hcl:"path,label"`
	Capabilities []string            `hcl:"capabilities"`
	Required     []string            `hcl:"required_parameters,optional"`
	Allowed      map[string][]string `hcl:"allowed_parameters,optional"`
	Denied       map[string][]string `hcl:"denied_parameters,optional"`
	MinWrap      *string             `hcl:"min_wrapping_ttl,optional"`
	MaxWrap      *string             `hcl:"max_wrapping_ttl,optional"`
}

type tokenRole struct {
	AllowedPolicies      []string `json:"allowed_policies"`
	TokenTTL             int64    `json:"token_ttl"`
	TokenExplicitMaxTTL  int64    `json:"token_explicit_max_ttl"`
	TokenNoDefaultPolicy bool     `json:"token_no_default_policy"`
	Renewable            bool     `json:"renewable"`
	TokenBoundCIDRs      []string `json:"token_bound_cidrs"`
}

// validate checks the artifacts of w with HCL 2's typed decoder and a
// strict JSON decoder, and that they grant exactly what w asks.
func validate(t *testing.T, w *spec.Workflow, files []render.File) {
	t.Helper()
	if len(files) != 2 || !strings.HasSuffix(files[0].Name, "/policy.hcl") || !strings.HasSuffix(files[1].Name, "/token-role.json") {
		t.Fatalf("files %v", rendertest.Names(files))
	}
	var p v2Policy
	if err := hclsimple.Decode("policy.hcl", files[0].Data, nil, &p); err != nil {
		t.Fatalf("HCL 2 rejects the policy: %v\n%s", err, files[0].Data)
	}
	// Every path block grants capabilities Vault knows, on a path as the
	// spec wrote it; together they are the spec's grants.
	got := map[string][]string{}
	for _, b := range p.Paths {
		for _, c := range b.Capabilities {
			if !slices.Contains(vault.Capabilities, c) {
				t.Errorf("path %q: capability %q", b.Path, c)
			}
		}
		if _, dup := got[b.Path]; dup {
			t.Errorf("path %q has two blocks", b.Path)
		}
		got[b.Path] = b.Capabilities
	}
	want := map[string][]string{}
	for _, e := range w.Spec.Entitlements {
		for _, r := range e.Resources {
			p := strings.TrimLeft(r, "/")
			want[p] = append(want[p], e.Actions...)
		}
	}
	for p, caps := range want {
		slices.Sort(caps)
		want[p] = slices.Compact(caps)
	}
	for p := range got {
		got[p] = slices.Sorted(slices.Values(got[p]))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("policy grants (-spec +policy):\n%s", diff)
	}
	dec := json.NewDecoder(bytes.NewReader(files[1].Data))
	dec.DisallowUnknownFields()
	var role tokenRole
	if err := dec.Decode(&role); err != nil {
		t.Fatalf("token role: %v", err)
	}
	ttl := int64(w.Spec.Credential.TTL.Duration / time.Second)
	if role.TokenTTL != ttl || role.TokenExplicitMaxTTL != ttl || !role.TokenNoDefaultPolicy || role.Renewable ||
		!slices.Equal(role.AllowedPolicies, []string{w.Spec.Identity.Name}) {
		t.Errorf("token role %+v, want ttl %d for policy %s", role, ttl, w.Spec.Identity.Name)
	}
}

// Every Vault spec of the example renders to the bytes its golden file
// holds, twice the same, valid HCL 2; the one whose bound_cidrs binds only
// some of its entitlements is refused, and the golden file pins why.
func TestRenderExamples(t *testing.T) {
	refused := map[string]string{"payments-db-migrate": "spec.entitlements[1].conditions"}
	rendertest.GoldenExamples(t, "vault", "testdata", vault.Render, func(t *testing.T, w *spec.Workflow, files []render.File, err error) {
		if field, ok := refused[w.Metadata.Name]; ok {
			var es render.Errors
			if !errors.As(err, &es) || es[0].Field != field {
				t.Fatalf("err = %v, want a refusal of %s", err, field)
			}
		} else if err != nil {
			t.Fatal(err)
		} else {
			validate(t, w, files)
		}
	})
}

func workflow(name string, ttl time.Duration, ents ...spec.Entitlement) *spec.Workflow {
	return rendertest.Workflow(spec.Metadata{Name: "spec-" + name, Owner: "@acme/payments"},
		spec.Identity{Name: name, Type: "token", Platform: "vault", Consumer: "pipeline"},
		ttl.String(), time.Date(2027, 1, 8, 0, 0, 0, 0, time.UTC), ents...)
}

func ent(actions []string, resources []string, conds map[string]any) spec.Entitlement {
	return spec.Entitlement{Actions: actions, Resources: resources, Conditions: conds}
}

// A spec Vault cannot express as written is refused, naming the field.
func TestRenderRefuses(t *testing.T) {
	r := []string{"read"}
	s := []string{"secret/data/x"}
	for _, tc := range []struct {
		name  string
		w     *spec.Workflow
		field string
	}{
		{"deny", workflow("a", time.Hour, ent([]string{"read", "deny"}, s, nil)), "spec.entitlements[0].actions[1]"},
		{"unknown capability", workflow("a", time.Hour, ent([]string{"write"}, s, nil)), "spec.entitlements[0].actions[0]"},
		{"capability wildcard", workflow("a", time.Hour, ent([]string{"*"}, s, nil)), "spec.entitlements[0].actions[0]"},
		{"capability in capitals", workflow("a", time.Hour, ent([]string{"Read"}, s, nil)), "spec.entitlements[0].actions[0]"},
		{"inner star", workflow("a", time.Hour, ent(r, []string{"secret/*/config"}, nil)), "spec.entitlements[0].resources[0]"},
		{"question mark", workflow("a", time.Hour, ent(r, []string{"secret/data/x?"}, nil)), "spec.entitlements[0].resources[0]"},
		{"plus inside a segment", workflow("a", time.Hour, ent(r, []string{"secret/a+b"}, nil)), "spec.entitlements[0].resources[0]"},
		{"plus star", workflow("a", time.Hour, ent(r, []string{"secret/+*"}, nil)), "spec.entitlements[0].resources[0]"},
		{"quote in path", workflow("a", time.Hour, ent(r, []string{`secret/"x`}, nil)), "spec.entitlements[0].resources[0]"},
		{"interpolation in path", workflow("a", time.Hour, ent(r, []string{"secret/${x}"}, nil)), "spec.entitlements[0].resources[0]"},
		{"empty path", workflow("a", time.Hour, ent(r, []string{"/"}, nil)), "spec.entitlements[0].resources[0]"},
		{"unknown condition", workflow("a", time.Hour, ent(r, s, map[string]any{"aws:SourceIp": "10.0.0.0/8"})), "spec.entitlements[0].conditions.aws:SourceIp"},
		{"wrapping ttl not a duration", workflow("a", time.Hour, ent(r, s, map[string]any{"max_wrapping_ttl": "soon"})), "spec.entitlements[0].conditions.max_wrapping_ttl"},
		{"allowed parameters not lists", workflow("a", time.Hour, ent(r, s, map[string]any{"allowed_parameters": map[string]any{"ttl": "1h"}})), "spec.entitlements[0].conditions.allowed_parameters.ttl"},
		{"bound cidrs not a CIDR", workflow("a", time.Hour, ent(r, s, map[string]any{"bound_cidrs": "office"})), "spec.entitlements[0].conditions.bound_cidrs"},
		{"bound cidrs on some", workflow("a", time.Hour, ent(r, s, map[string]any{"bound_cidrs": "10.0.0.0/8"}), ent(r, []string{"secret/data/y"}, nil)), "spec.entitlements[1].conditions"},
		{"bound cidrs differ", workflow("a", time.Hour, ent(r, s, map[string]any{"bound_cidrs": "10.0.0.0/8"}), ent(r, []string{"secret/data/y"}, map[string]any{"bound_cidrs": "10.1.0.0/16"})), "spec.entitlements[1].conditions.bound_cidrs"},
		{"one path two conditions", workflow("a", time.Hour, ent(r, s, nil), ent([]string{"list"}, s, map[string]any{"max_wrapping_ttl": "5m"})), "spec.entitlements[1].resources[0]"},
		{"identity name", workflow("Payments/CI", time.Hour, ent(r, s, nil)), "spec.identity.name"},
		{"fractional ttl", workflow("a", 1500*time.Millisecond, ent(r, s, nil)), "spec.credential.ttl"},
		{"static", func() *spec.Workflow {
			w := workflow("a", time.Hour, ent(r, s, nil))
			w.Spec.Credential.Kind = "static"
			return w
		}(), "spec.credential.kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := vault.Render(tc.w)
			rendertest.Refused(t, files, err, tc.field)
		})
	}
}

// Conditions that map, map: parameters to the path block, bound_cidrs to
// the token role.
func TestRenderConditions(t *testing.T) {
	w := workflow("db", 30*time.Minute,
		ent([]string{"read", "create"}, []string{"database/creds/app", "/secret/data/app/+/config"}, map[string]any{
			"bound_cidrs":         []any{"10.0.0.0/16", "10.1.0.0/16"},
			"required_parameters": []any{"ttl"},
			"allowed_parameters":  map[string]any{"ttl": []any{"1h", "2h"}, "*": []any{}},
			"denied_parameters":   map[string]any{"role": []any{}},
			"min_wrapping_ttl":    "1m",
			"max_wrapping_ttl":    "1h",
		}))
	files, err := vault.Render(w)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, w, files)
	rendertest.Golden(t, "testdata/conditions.golden", rendertest.Archive(files, nil))
	var p v2Policy
	if err := hclsimple.Decode("policy.hcl", files[0].Data, nil, &p); err != nil {
		t.Fatal(err)
	}
	wrap := func(s string) *string { return &s }
	want := v2Path{Path: "database/creds/app", Capabilities: []string{"create", "read"}, Required: []string{"ttl"},
		Allowed: map[string][]string{"*": {}, "ttl": {"1h", "2h"}}, Denied: map[string][]string{"role": {}},
		MinWrap: wrap("1m"), MaxWrap: wrap("1h")}
	if diff := cmp.Diff(want, p.Paths[0]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var role tokenRole
	if err := json.Unmarshal(files[1].Data, &role); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(role.TokenBoundCIDRs, []string{"10.0.0.0/16", "10.1.0.0/16"}) {
		t.Errorf("token_bound_cidrs %v", role.TokenBoundCIDRs)
	}
}

// gen writes a random Vault spec of the grammar render accepts.
func gen(rng *rand.Rand, n int) *spec.Workflow {
	segs := []string{"secret", "data", "metadata", "payments", "ci", "kv", "database", "creds", "pki", "issue", "sys", "auth", "token", "+", "app-1", "x.y", "team_a"}
	params := []string{"ttl", "role", "common_name", "*", "format"}
	vals := []string{"1h", "json", "*", "example.com", "a-b"}
	pick := func(l []string) string { return l[rng.IntN(len(l))] }
	seen := map[string]bool{}
	var ents []spec.Entitlement
	cidrs := rng.IntN(4) == 0
	for range 1 + rng.IntN(4) {
		var e spec.Entitlement
		for _, c := range vault.Capabilities {
			if rng.IntN(3) == 0 {
				e.Actions = append(e.Actions, c)
			}
		}
		if len(e.Actions) == 0 {
			e.Actions = []string{pick(vault.Capabilities)}
		}
		for range 1 + rng.IntN(3) {
			var p []string
			for range 1 + rng.IntN(5) {
				p = append(p, pick(segs))
			}
			r := strings.Join(p, "/")
			switch rng.IntN(4) {
			case 0:
				r += "/*"
			case 1:
				if !strings.HasSuffix(r, "+") {
					r += "*"
				}
			}
			if !seen[r] {
				seen[r] = true
				e.Resources = append(e.Resources, r)
			}
		}
		if len(e.Resources) == 0 {
			continue
		}
		c := map[string]any{}
		if rng.IntN(3) == 0 {
			c["required_parameters"] = []any{pick(params)}
		}
		for _, k := range []string{"allowed_parameters", "denied_parameters"} {
			if rng.IntN(4) == 0 {
				m := map[string]any{}
				for range 1 + rng.IntN(2) {
					var l []any
					for range rng.IntN(3) {
						l = append(l, pick(vals))
					}
					if l == nil {
						l = []any{}
					}
					m[pick(params)] = l
				}
				c[k] = m
			}
		}
		if rng.IntN(4) == 0 {
			c["max_wrapping_ttl"] = pick([]string{"1m", "5m", "1h30m"})
		}
		if cidrs {
			c["bound_cidrs"] = "10.20.0.0/16"
		}
		if len(c) > 0 {
			e.Conditions = c
		}
		ents = append(ents, e)
	}
	if len(ents) == 0 {
		ents = []spec.Entitlement{ent([]string{"read"}, []string{"secret/data/x"}, nil)}
	}
	return workflow(fmt.Sprintf("gen-%d", n), time.Duration(1+rng.IntN(86400))*time.Second, ents...)
}

// withoutCIDRs drops bound_cidrs, which the token role carries and a
// policy cannot.
func withoutCIDRs(es []spec.Entitlement) []spec.Entitlement {
	out := slices.Clone(es)
	for i, e := range out {
		if _, ok := e.Conditions["bound_cidrs"]; !ok {
			continue
		}
		c := map[string]any{}
		for k, v := range e.Conditions {
			if k != "bound_cidrs" {
				c[k] = v
			}
		}
		if len(c) == 0 {
			c = nil
		}
		out[i].Conditions = c
	}
	return out
}

// import(render(spec)) is the spec's principal with the spec's grants,
// over generated specs. bound_cidrs travels in the token role, which the
// test reads back from token-role.json.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	for n := range 300 {
		w := gen(rng, n)
		files, err := vault.Render(w)
		if err != nil {
			t.Fatalf("case %d: %v\n%+v", n, err, w.Spec.Entitlements)
		}
		validate(t, w, files)
		ps, err := vault.Import(w.Spec.Identity.Name+".hcl", files[0].Data)
		if err != nil {
			t.Fatalf("case %d: import: %v\n%s", n, err, files[0].Data)
		}
		if len(ps) != 1 {
			t.Fatalf("case %d: %d principals", n, len(ps))
		}
		want := w.Spec.Identity
		want.Consumer = ""
		if diff := cmp.Diff(want, ps[0].Identity); diff != "" {
			t.Errorf("case %d: identity (-want +got):\n%s", n, diff)
		}
		if err := render.SameAccess("vault", withoutCIDRs(w.Spec.Entitlements), ps[0].Entitlements); err != nil {
			t.Errorf("case %d: %v\n%s", n, err, files[0].Data)
		}
		// Rendering the import again gives the same policy, but for the
		// header of the spec it came from.
		w2 := workflow(w.Spec.Identity.Name, w.Spec.Credential.TTL.Duration, ps[0].Entitlements...)
		w2.Metadata = w.Metadata
		if _, cidr := w.Spec.Entitlements[0].Conditions["bound_cidrs"]; !cidr {
			files2, err := vault.Render(w2)
			if err != nil {
				t.Fatalf("case %d: render of import: %v", n, err)
			}
			if diff := cmp.Diff(string(files[0].Data), string(files2[0].Data)); diff != "" {
				t.Errorf("case %d: render(import(render(x))) differs:\n%s", n, diff)
			}
		}
	}
}

// Real Vault policies from hashicorp/vault-guides (see testdata/realworld/
// README.md): each imports, and rendering the import grants what the
// policy granted.
func TestRealWorld(t *testing.T) {
	paths, err := filepath.Glob("testdata/realworld/*.*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range paths {
		if strings.HasSuffix(p, ".md") {
			continue
		}
		n++
		t.Run(filepath.Base(p), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			ps, err := vault.Import(filepath.Base(p), data)
			if err != nil {
				t.Fatal(err)
			}
			x := ps[0]
			w := workflow(x.Identity.Name, time.Hour, x.Entitlements...)
			files, err := vault.Render(w)
			if err != nil {
				t.Fatal(err)
			}
			validate(t, w, files)
			back, err := vault.Import(x.Identity.Name+".hcl", files[0].Data)
			if err != nil {
				t.Fatal(err)
			}
			if err := render.SameAccess("vault", x.Entitlements, back[0].Entitlements); err != nil {
				t.Error(err)
			}
		})
	}
	if n < 10 {
		t.Errorf("%d real-world policies, want the 11 the README names", n)
	}
	// One of them in full: what import makes of it.
	data, err := os.ReadFile("testdata/realworld/eaas-client-policy.hcl")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := vault.Import("eaas-client-policy.hcl", data)
	if err != nil {
		t.Fatal(err)
	}
	want := []render.Principal{{
		Identity: spec.Identity{Name: "eaas-client-policy", Type: "token", Platform: "vault"},
		Entitlements: []spec.Entitlement{
			{Actions: []string{"create", "read", "update", "delete", "list"}, Resources: []string{"kv-v2/data/*"}},
			{Actions: []string{"update"}, Resources: []string{"transit/encrypt/payment"}},
			{Actions: []string{"update"}, Resources: []string{"transit/decrypt/payment"}},
			{Actions: []string{"read", "list"}, Resources: []string{"transit/*"}},
		},
	}}
	if diff := cmp.Diff(want, ps); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// What import cannot model is refused, naming the block.
func TestImportRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, file, data, want string
	}{
		{"deny", "p.hcl", `path "secret/*" { capabilities = ["read"] }
path "secret/admin/*" { capabilities = ["deny"] }`, `path "secret/admin/*" (line 2): the deny capability`},
		{"old deny", "p.hcl", `path "sys/*" { policy = "deny" }`, `path "sys/*" (line 1): policy = "deny"`},
		{"templated", "p.hcl", `path "secret/data/{{identity.entity.name}}/*" { capabilities = ["read"] }`, "templated path"},
		{"inner star", "p.hcl", `path "secret/*/x" { capabilities = ["read"] }`, `path "secret/*/x" (line 1)`},
		{"question mark", "p.hcl", `path "secret/x?" { capabilities = ["read"] }`, "'?'"},
		{"unknown key", "p.hcl", `path "secret/x" { capabilities = ["read"] colour = "red" }`, `"colour" is not a key`},
		{"control group", "p.hcl", `path "secret/x" {
  capabilities = ["read"]
  control_group = { factor "ops" { identity { group_names = ["ops"] approvals = 1 } } }
}`, "control_group"},
		{"mfa", "p.hcl", `path "secret/x" { capabilities = ["read"] mfa_methods = ["totp"] }`, "mfa_methods"},
		{"number values", "p.hcl", `path "secret/x" { capabilities = ["update"] allowed_parameters = { "n" = [1, 2] } }`, "allowed_parameters.n"},
		{"no capability", "p.hcl", `path "secret/x" { capabilities = [] }`, "no capability"},
		{"unknown capability", "p.hcl", `path "secret/x" { capabilities = ["write"] }`, `"write" is not a Vault capability`},
		{"top-level junk", "p.hcl", `path "secret/x" { capabilities = ["read"] }
listener "tcp" {}`, `"listener" is not part of a Vault policy`},
		{"duplicate with parameters", "p.hcl", `path "secret/x" { capabilities = ["read"] }
path "secret/x" { capabilities = ["update"] required_parameters = ["a"] }`, "a second block"},
		{"empty", "p.hcl", `# nothing`, "grants nothing"},
		{"not hcl", "p.hcl", `path "secret/x" {`, "p.hcl:"},
		{"bad file name", "My Policy.hcl", `path "secret/x" { capabilities = ["read"] }`, "rename the file"},
		{"too big", "p.hcl", strings.Repeat("#", vault.MaxFileBytes+1), "more than the 1048576"},
		{"too many paths", "p.hcl", strings.Repeat(`path "a" { capabilities = ["read"] }`+"\n", vault.MaxPaths+1), "more than the 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := vault.Import(tc.file, []byte(tc.data))
			if err == nil {
				t.Fatalf("imported %+v", ps)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// The forms Vault reads besides HCL: its JSON policy, the body of
// PUT sys/policy, and the pre-0.9 policy = "..." values.
func TestImportForms(t *testing.T) {
	want := []spec.Entitlement{{Actions: []string{"read", "list"}, Resources: []string{"secret/app/*"}}}
	for _, tc := range []struct{ name, data string }{
		{"hcl", `path "secret/app/*" { capabilities = ["list", "read"] }`},
		{"json", `{"path": {"secret/app/*": {"capabilities": ["read", "list"]}}}`},
		{"payload", `{"policy": "path \"secret/app/*\" {\n  capabilities = [\"read\", \"list\"]\n}"}`},
		{"old policy", `path "/secret/app/*" { policy = "read" }`},
		{"split blocks", `path "secret/app/*" { capabilities = ["read"] }
path "secret/app/*" { capabilities = ["list"] }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := vault.Import("app.json", []byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, ps[0].Entitlements); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if ps[0].Identity.Name != "app" {
				t.Errorf("name %q", ps[0].Identity.Name)
			}
		})
	}
}

// Import reads untrusted files: it never panics, and what it accepts
// renders.
func FuzzImport(f *testing.F) {
	f.Add([]byte(`path "secret/*" { capabilities = ["read"] }`))
	f.Add([]byte(`{"path": {"a/+/b": {"capabilities": ["list"], "allowed_parameters": {"x": ["y"]}}}}`))
	f.Add([]byte(`{"policy": "path \"a\" { policy = \"write\" }"}`))
	f.Add([]byte(`path "a" { capabilities = ["read"] min_wrapping_ttl = 300 max_wrapping_ttl = "1h" }`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := vault.Import("fuzz.hcl", data)
		if err != nil {
			return
		}
		w := workflow(ps[0].Identity.Name, time.Hour, ps[0].Entitlements...)
		if _, err := vault.Render(w); err != nil {
			t.Fatalf("imported but does not render: %v\n%q", err, data)
		}
	})
}

// Every path form the policy catalog rates for Vault renders, and imports
// back to itself.
func TestCatalogForms(t *testing.T) {
	data, err := os.ReadFile("../../policies/data/nhigate/catalog/catalog.json")
	if err != nil {
		t.Fatal(err)
	}
	var cat struct {
		Platforms map[string]struct {
			Types map[string][]string `json:"types"`
		} `json:"platforms"`
	}
	if err := json.Unmarshal(data, &cat); err != nil {
		t.Fatal(err)
	}
	forms := cat.Platforms["vault"].Types[""]
	if len(forms) < 30 {
		t.Fatalf("%d forms in the catalog", len(forms))
	}
	for _, f := range forms {
		p := f
		for strings.Contains(p, "${") {
			i := strings.Index(p, "${")
			j := strings.Index(p[i:], "}")
			p = p[:i] + "x" + p[i+j+1:]
		}
		w := workflow("bot", time.Hour, ent([]string{"read"}, []string{p}, nil))
		files, err := vault.Render(w)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		ps, err := vault.Import("bot.hcl", files[0].Data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if got := ps[0].Entitlements[0].Resources; !slices.Equal(got, []string{p}) {
			t.Errorf("%s imported back as %v", p, got)
		}
	}
}

package github

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/render/internal/rendertest"
	"github.com/nhigate/nhigate/spec"
)

// Every example spec of platform github renders to its golden file (or is
// refused as the golden file says), twice to the same bytes.
func TestGolden(t *testing.T) {
	rendertest.GoldenExamples(t, "github", "testdata", Render, nil)
}

// validate checks rendered files with GitHub's own description: each body
// has only the properties POST .../access_tokens takes, every permission
// and level is one of app-permissions, every repository a name; and the
// manifest's bodies are the files.
func validate(t *testing.T, files []render.File) {
	t.Helper()
	byName := map[string][]byte{}
	for _, f := range files {
		byName[f.Name] = f.Data
		if !bytes.HasSuffix(f.Data, []byte("}\n")) {
			t.Errorf("%s: no trailing newline", f.Name)
		}
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(files[0].Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", files[0].Name, err)
	}
	if len(files) != len(m.Requests)+1 {
		t.Errorf("%d files for %d requests", len(files), len(m.Requests))
	}
	for _, r := range m.Requests {
		body, ok := byName[filepath.Join(filepath.Dir(files[0].Name), r.File)]
		if !ok {
			t.Errorf("no file %s", r.File)
			continue
		}
		var props map[string]json.RawMessage
		if err := json.Unmarshal(body, &props); err != nil {
			t.Fatalf("%s: %v", r.File, err)
		}
		for k := range props {
			if !slices.Contains(tokenRequestFields, k) {
				t.Errorf("%s: property %q is not in the request body's schema %v", r.File, k, tokenRequestFields)
			}
		}
		var perms map[string]string
		if err := json.Unmarshal(props["permissions"], &perms); err != nil || len(perms) == 0 {
			t.Errorf("%s: permissions %s: %v", r.File, props["permissions"], err)
		}
		for name, level := range perms {
			p, ok := permissions[name]
			if !ok || !slices.Contains(p.levels, level) || p.scope != "repository" {
				t.Errorf("%s: %s: %s is not a repository permission level of app-permissions", r.File, name, level)
			}
		}
		if raw, ok := props["repositories"]; ok {
			var repos []string
			if err := json.Unmarshal(raw, &repos); err != nil || len(repos) == 0 || len(repos) > MaxRepositories {
				t.Errorf("%s: repositories %s: %v", r.File, raw, err)
			}
			for _, repo := range repos {
				if !repoRE.MatchString(repo) {
					t.Errorf("%s: %q is not a repository name", r.File, repo)
				}
			}
		}
		var want bytes.Buffer
		b, _ := encode(r.Body)
		want.Write(b)
		if !bytes.Equal(body, want.Bytes()) {
			t.Errorf("%s differs from the manifest's body", r.File)
		}
	}
	if !ownerRE.MatchString(m.Owner) || m.TokenLifetime != "1h" || m.Requests == nil {
		t.Errorf("manifest: owner %q, tokenLifetime %q", m.Owner, m.TokenLifetime)
	}
}

func TestValidateExamples(t *testing.T) {
	rendered := rendertest.Rendered(t, "github", Render)
	for _, files := range rendered {
		validate(t, files)
	}
	if len(rendered) < 1 {
		t.Errorf("only %d example specs render", len(rendered))
	}
}

// The generated data is GitHub's: the permissions an app can hold and the
// ones the catalog names as sensitive are among them.
func TestPermissionsData(t *testing.T) {
	if len(permissions) < 40 {
		t.Fatalf("only %d permissions", len(permissions))
	}
	for _, name := range []string{"contents", "pull_requests", "statuses", "workflows", "organization_secrets"} {
		if _, ok := permissions[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	if !slices.Equal(permissions["workflows"].levels, []string{"write"}) {
		t.Errorf("workflows levels %v, GitHub has write only", permissions["workflows"].levels)
	}
	if permissions["members"].scope != "organization" || permissions["contents"].scope != "repository" || permissions["followers"].scope != "account" {
		t.Error("scopes are wrong")
	}
}

func base() *spec.Workflow {
	return rendertest.Workflow(spec.Metadata{Name: "docs-preview"},
		spec.Identity{Name: "docs-app", Type: "token", Platform: "github", Consumer: "pipeline"},
		"1h", time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC),
		spec.Entitlement{Actions: []string{"contents:read"}, Resources: []string{"acme/docs"}})
}

// Every spec that GitHub cannot honour as written is refused, naming the
// field.
func TestRefusals(t *testing.T) {
	ent := func(actions, resources []string) func(*spec.Workflow) {
		return func(w *spec.Workflow) {
			w.Spec.Entitlements = []spec.Entitlement{{Actions: actions, Resources: resources}}
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*spec.Workflow)
		field  string
		msg    string
	}{
		{"deploy key", func(w *spec.Workflow) { w.Spec.Identity.Type = "ssh-key" }, "spec.identity.type", "not a ssh-key"},
		{"static", func(w *spec.Workflow) { w.Spec.Credential.Kind = "static" }, "spec.credential.kind", "ephemeral"},
		{"ttl below an hour", func(w *spec.Workflow) { w.Spec.Credential.TTL = spec.Duration{Duration: 30 * time.Minute, Text: "30m"} }, "spec.credential.ttl", "cannot shorten"},
		{"condition", func(w *spec.Workflow) {
			w.Spec.Entitlements[0].Conditions = map[string]any{"environment": "production"}
		}, "spec.entitlements[0].conditions.environment", "no conditions"},
		{"wildcard action", ent([]string{"contents:*"}, []string{"acme/docs"}), "spec.entitlements[0].actions[0]", "pattern"},
		{"star action", ent([]string{"*"}, []string{"acme/docs"}), "spec.entitlements[0].actions[0]", "permission:level"},
		{"unknown permission", ent([]string{"contents:read", "code:read"}, []string{"acme/docs"}), "spec.entitlements[0].actions[1]", "not a GitHub App permission"},
		{"unknown level", ent([]string{"workflows:read"}, []string{"acme/docs"}), "spec.entitlements[0].actions[0]", "write"},
		{"admin on contents", ent([]string{"contents:admin"}, []string{"acme/docs"}), "spec.entitlements[0].actions[0]", "read or write"},
		{"organization permission", ent([]string{"organization_secrets:write"}, []string{"acme/*"}), "spec.entitlements[0].actions[0]", "organization permission"},
		{"account permission", ent([]string{"followers:read"}, []string{"acme/*"}), "spec.entitlements[0].actions[0]", "account permission"},
		{"two levels", ent([]string{"contents:read", "contents:write"}, []string{"acme/docs"}), "spec.entitlements[0].actions[1]", "one level"},
		{"mixed owners", ent([]string{"contents:read"}, []string{"acme/docs", "evil/docs"}), "spec.entitlements[0].resources[1]", "one installation"},
		{"owner by case", ent([]string{"contents:read"}, []string{"acme/docs", "ACME/site"}), "spec.entitlements[0].resources[1]", "differs"},
		{"mixed owners across entitlements", func(w *spec.Workflow) {
			w.Spec.Entitlements = append(w.Spec.Entitlements, spec.Entitlement{Actions: []string{"issues:read"}, Resources: []string{"other/x"}})
		}, "spec.entitlements[1].resources[0]", "one installation"},
		{"repository pattern", ent([]string{"contents:read"}, []string{"acme/docs-*"}), "spec.entitlements[0].resources[0]", "pattern"},
		{"owner pattern", ent([]string{"contents:read"}, []string{"*/docs"}), "spec.entitlements[0].resources[0]", "account name"},
		{"everything", ent([]string{"contents:read"}, []string{"*"}), "spec.entitlements[0].resources[0]", "owner/repository"},
		{"path", ent([]string{"contents:read"}, []string{"acme/docs/main"}), "spec.entitlements[0].resources[0]", "owner/repository"},
		{"all and one", ent([]string{"contents:read"}, []string{"acme/*", "acme/docs"}), "spec.entitlements[0].resources", "already covers"},
		{"twice", ent([]string{"contents:read"}, []string{"acme/docs", "acme/docs"}), "spec.entitlements[0].resources[1]", "twice"},
		{"dot repository", ent([]string{"contents:read"}, []string{"acme/.."}), "spec.entitlements[0].resources[0]", "not a repository name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := base()
			tc.change(w)
			files, err := Render(w)
			if e := rendertest.Refused(t, files, err, tc.field); !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("%s: %q does not say %q", tc.field, e.Msg, tc.msg)
			}
		})
	}
}

// The example that asks for a condition is refused, not rendered without it.
func TestExampleConditionRefused(t *testing.T) {
	_, err := Render(rendertest.Load(t, rendertest.Example("github", "payments-api-release")))
	if err == nil || !strings.Contains(err.Error(), "spec.entitlements[0].conditions.environment") {
		t.Fatalf("err = %v, want the condition refused", err)
	}
}

var repoPermissions = func() []string {
	var names []string
	for n, p := range permissions {
		if p.scope == "repository" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}()

// randomSpec is a spec of the grammar Render accepts.
func randomSpec(r *rand.Rand, i int) *spec.Workflow {
	w := base()
	w.Metadata.Name = fmt.Sprintf("spec-%d", i)
	w.Spec.Identity.Name = fmt.Sprintf("app-%d", r.IntN(1000))
	owner := []string{"acme", "Octo-Org", "a"}[r.IntN(3)]
	ttl := time.Duration(1+r.IntN(12)) * time.Hour
	w.Spec.Credential.TTL = spec.Duration{Duration: ttl, Text: ttl.String()}
	if r.IntN(4) == 0 {
		w.Spec.ExpiresAt = spec.Time{}
	}
	w.Spec.Entitlements = nil
	for range 1 + r.IntN(3) {
		var e spec.Entitlement
		for _, k := range r.Perm(len(repoPermissions))[:1+r.IntN(5)] {
			name := repoPermissions[k]
			levels := permissions[name].levels
			e.Actions = append(e.Actions, name+":"+levels[r.IntN(len(levels))])
		}
		if r.IntN(5) == 0 {
			e.Resources = []string{owner + "/*"}
		} else {
			for _, k := range r.Perm(8)[:1+r.IntN(4)] {
				e.Resources = append(e.Resources, fmt.Sprintf("%s/repo.%d-x_%d", owner, k, k*7))
			}
		}
		w.Spec.Entitlements = append(w.Spec.Entitlements, e)
	}
	return w
}

func normalised(es []spec.Entitlement) []spec.Entitlement {
	out := make([]spec.Entitlement, len(es))
	for i, e := range es {
		out[i] = spec.Entitlement{Actions: slices.Sorted(slices.Values(e.Actions)), Resources: slices.Sorted(slices.Values(e.Resources))}
	}
	return out
}

// import(render(spec)) is the spec's principal with the spec's grants,
// ephemeral with GitHub's 1h and no expiry, over generated specs.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 2026))
	for i := range 300 {
		w := randomSpec(r, i)
		files, err := Render(w)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		validate(t, files)
		ps, err := Import(files[0].Name, files[0].Data)
		if err != nil {
			t.Fatalf("case %d: import: %v", i, err)
		}
		want := []render.Principal{{
			Identity:       spec.Identity{Name: w.Spec.Identity.Name, Type: "token", Platform: "github"},
			Entitlements:   normalised(w.Spec.Entitlements),
			CredentialKind: "ephemeral",
			TTL:            time.Hour,
		}}
		if diff := cmp.Diff(want, ps); diff != "" {
			t.Fatalf("case %d (-want +got):\n%s", i, diff)
		}
		if err := render.SameAccess("github", w.Spec.Entitlements, ps[0].Entitlements); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
	}
}

// Import refuses, naming the request, what it cannot model or what is not
// a manifest.
func TestImportRefusals(t *testing.T) {
	files, err := Render(base())
	if err != nil {
		t.Fatal(err)
	}
	good := string(files[0].Data)
	for _, tc := range []struct {
		name string
		data string
		msg  string
	}{
		{"not json", "app: x", "not an installation-token manifest"},
		{"unknown field", strings.Replace(good, `"app"`, `"extra": 1, "app"`, 1), "unknown field"},
		{"two values", good + good, "more than one JSON value"},
		{"other path", strings.Replace(good, `"path": "/app/installations/{installation_id}/access_tokens"`, `"path": "/app/installations/{installation_id}/tokens"`, 1), "requests[0]: POST /app/installations/{installation_id}/tokens"},
		{"unknown permission", strings.Replace(good, `"contents": "read"`, `"code": "read"`, 1), "requests[0]: body.permissions.code"},
		{"organization permission", strings.Replace(good, `"contents": "read"`, `"members": "read"`, 1), "organization permission"},
		{"no permissions", strings.Replace(good, `"contents": "read"`, ``, 1), "every permission of the app"},
		{"empty repositories", strings.Replace(good, `"docs"`, ``, 1), "names 0 repositories"},
		{"repository path", strings.Replace(good, `"docs"`, `"docs/x"`, 1), "body.repositories[0]"},
		{"repository star", strings.Replace(good, `"docs"`, `"*"`, 1), "body.repositories[0]"},
		{"lifetime", strings.Replace(good, `"1h"`, `"8h"`, 1), "tokenLifetime"},
		{"huge", strings.Repeat(" ", MaxFileSize+1), "over the limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := Import("installation-token.json", []byte(tc.data))
			if err == nil {
				t.Fatalf("imported %+v, want a refusal", ps)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%v does not say %q", err, tc.msg)
			}
		})
	}
	var many strings.Builder
	fmt.Fprintf(&many, `{"app":"a","owner":"acme","tokenLifetime":"1h","notes":[],"requests":[`)
	for i := range MaxRequests + 1 {
		if i > 0 {
			many.WriteString(",")
		}
		fmt.Fprintf(&many, `{"method":"POST","path":%q,"file":"f","body":{"permissions":{"contents":"read"}}}`, Path)
	}
	many.WriteString("]}")
	if _, err := Import("m.json", []byte(many.String())); err == nil || !strings.Contains(err.Error(), "over the limit of 100") {
		t.Errorf("too many requests: %v", err)
	}
}

func FuzzImport(f *testing.F) {
	for _, file := range []string{"docs-preview-deployer", "release-notes-agent"} {
		data, err := os.ReadFile(filepath.Join("testdata", file+".golden"))
		if err != nil {
			f.Fatal(err)
		}
		for _, af := range txtar.Parse(data).Files {
			f.Add(af.Data)
		}
	}
	f.Add([]byte(`{"requests":[{"body":{"repositories":[]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := Import("fuzz.json", data)
		if err != nil {
			return
		}
		// What imports renders again, to the same access.
		p := ps[0]
		w := base()
		w.Spec.Identity.Name = p.Identity.Name
		w.Spec.Entitlements = p.Entitlements
		files, err := Render(w)
		if err != nil {
			t.Fatalf("imported %+v does not render: %v", p, err)
		}
		again, err := Import(files[0].Name, files[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ps, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

package gcp

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/spec"
)

// Custom roles live in the project's one namespace of role IDs, so no two
// spec names may render the same role ID: with "_K" for the K-th role, a
// spec "foo" with two sets of permissions and a spec "foo-1" both wrote
// projects/P/roles/foo_1, and whichever was applied last decided what the
// other's service account was granted.
func TestRoleIDsNeverCollide(t *testing.T) {
	one := []spec.Entitlement{{Actions: []string{"pubsub.topics.publish"}, Resources: []string{"projects/acme-ml/topics/a"}}}
	two := append(one[:1:1], spec.Entitlement{Actions: []string{"resourcemanager.projects.setIamPolicy"}, Resources: []string{"projects/acme-ml/topics/b"}})
	three := append(two[:2:2], spec.Entitlement{Actions: []string{"pubsub.topics.delete"}, Resources: []string{"projects/acme-ml/topics/c"}})
	owner := map[string]string{}
	for _, name := range []string{"foo", "foo-1", "foo-2", "foo-1-1", "foo-11", "foo1", "foo-1-2"} {
		for _, ents := range [][]spec.Entitlement{one, two, three} {
			w := base()
			w.Metadata.Name = name
			w.Spec.Entitlements = ents
			files, err := Render(w)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var doc Document
			if err := json.Unmarshal(files[0].Data, &doc); err != nil {
				t.Fatal(err)
			}
			for _, r := range doc.Roles {
				if !roleIDRE.MatchString(r.Name[len("projects/acme-ml/roles/"):]) {
					t.Errorf("%s: role ID of %s is not an IAM role ID", name, r.Name)
				}
				if prev, ok := owner[r.Name]; ok && prev != name {
					t.Errorf("specs %s and %s both render the custom role %s", prev, name, r.Name)
				}
				owner[r.Name] = name
			}
		}
	}
}

// A custom role defined once and bound for many members is imported once
// per member: 160 KB (one role of 3,000 permissions, one binding of 1,500
// service accounts) made 4.5 million permissions, 100 MB of specs and
// minutes of work. What the service accounts hold is bounded, across the
// file.
func TestImportBoundsWhatAccountsHold(t *testing.T) {
	file := func(perms, members int) []byte {
		var ps, ms []string
		for i := range perms {
			ps = append(ps, fmt.Sprintf("%q", fmt.Sprintf("storage.objects.p%d", i)))
		}
		for i := range members {
			ms = append(ms, fmt.Sprintf(`"serviceAccount:sa%d@acme-ml.iam.gserviceaccount.com"`, i))
		}
		return []byte(`{"roles": [{"name": "projects/acme-ml/roles/big", "title": "t", "description": "d", "stage": "GA", "includedPermissions": [` + strings.Join(ps, ",") +
			`]}], "policies": [{"resource": "//cloudresourcemanager.googleapis.com/projects/acme-ml", "policy": {"version": 3, "bindings": [{"role": "projects/acme-ml/roles/big", "members": [` + strings.Join(ms, ",") + `]}]}}]}`)
	}
	ps, err := Import("ok.json", file(3000, 30))
	if err != nil || len(ps) != 30 {
		t.Fatalf("3,000 permissions for 30 accounts: %d principals, %v", len(ps), err)
	}
	_, err = Import("amplified.json", file(3000, 1500))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("more than %d permissions", render.MaxImportValues)) {
		t.Fatalf("a role multiplied by its members: %v", err)
	}
}

// What encoding/json reads one way and IAM another, or two copies of what
// IAM holds once, is refused, never resolved silently: each of these
// imported one of two grants and dropped the other, or the union of two
// policies that no resource holds at once.
func TestImportRefusesAmbiguity(t *testing.T) {
	const sa = `"serviceAccount:ci@acme-ml.iam.gserviceaccount.com"`
	const proj = `"//cloudresourcemanager.googleapis.com/projects/acme-ml"`
	binding := func(role string) string { return `{"role": "` + role + `", "members": [` + sa + `]}` }
	for _, tt := range []struct{ name, in, want string }{
		{"policy twice, in another case",
			`[{"name": ` + proj + `, "asset_type": "cloudresourcemanager.googleapis.com/Project", "iam_policy": {"bindings": [` + binding("roles/owner") + `]}, "IAM_POLICY": {"bindings": [` + binding("roles/viewer") + `]}}]`,
			`key "IAM_POLICY" is set twice`},
		{"bindings twice",
			`{"resource": ` + proj + `, "policy": {"bindings": [` + binding("roles/viewer") + `], "bindings": [` + binding("roles/owner") + `]}}`,
			`key "bindings" is set twice`},
		{"members in another case",
			`{"resource": ` + proj + `, "policy": {"bindings": [{"role": "roles/owner", "members": [` + sa + `], "Members": []}]}}`,
			`key "Members" is set twice`},
		{"bare bindings next to the policy",
			`[{"name": ` + proj + `, "asset_type": "cloudresourcemanager.googleapis.com/Project", "iam_policy": {"bindings": [` + binding("roles/viewer") + `]}, "bindings": [` + binding("roles/owner") + `]}]`,
			"next to the entry's policy"},
		{"role defined twice",
			`{"roles": [{"name": "projects/acme-ml/roles/rrr", "title": "t", "description": "", "stage": "GA", "includedPermissions": ["resourcemanager.projects.setIamPolicy"]},
			            {"name": "projects/acme-ml/roles/rrr", "title": "t", "description": "", "stage": "GA", "includedPermissions": ["storage.objects.get"]}],
			  "policies": [{"resource": ` + proj + `, "policy": {"bindings": [` + binding("projects/acme-ml/roles/rrr") + `]}}]}`,
			"defined twice"},
		{"two policies for one resource",
			`{"resource": ` + proj + `, "policy": {"bindings": [` + binding("roles/viewer") + `]}}
			 {"resource": "projects/acme-ml", "policy": {"bindings": [` + binding("roles/editor") + `]}}`,
			"a second policy for projects/acme-ml"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := Import("policy.json", []byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("imported %+v, error %v; want an error saying %q", ps, err, tt.want)
			}
		})
	}
}

// A custom role bound by name is defined outside the spec; one render
// defines must never be it. A spec named "deployer" rendered the custom
// role projects/P/roles/deployer, so applying it redefined the role that
// another spec binds by that name, and that spec's service account got the
// permissions reviewed for this one. Rendered roles live under RolePrefix,
// and no spec binds a role there by name.
func TestRenderedRolesApartFromBoundRoles(t *testing.T) {
	binds := base()
	binds.Metadata.Name = "ml-deploy"
	binds.Spec.Entitlements = []spec.Entitlement{{Actions: []string{"projects/acme-ml/roles/deployer"}, Resources: []string{"projects/acme-ml"}}}
	defines := base()
	defines.Metadata.Name = "deployer"
	defines.Spec.Identity.Name = "other-runner"
	defines.Spec.Entitlements = []spec.Entitlement{{Actions: []string{"resourcemanager.projects.setIamPolicy"}, Resources: []string{"projects/acme-ml"}}}
	bound := map[string]bool{}
	for _, w := range []*spec.Workflow{binds, defines} {
		files, err := Render(w)
		if err != nil {
			t.Fatalf("%s: %v", w.Metadata.Name, err)
		}
		var doc Document
		if err := json.Unmarshal(files[0].Data, &doc); err != nil {
			t.Fatal(err)
		}
		for _, p := range doc.Policies {
			for _, b := range p.Policy.Bindings {
				if w == binds {
					bound[b.Role] = true
				}
			}
		}
		for _, r := range doc.Roles {
			if bound[r.Name] && w == defines {
				t.Errorf("spec %s defines %s, which spec %s binds by name", w.Metadata.Name, r.Name, binds.Metadata.Name)
			}
		}
	}
	for _, role := range []string{"projects/acme-ml/roles/nhigate_deployer", "organizations/123456/roles/nhigate_x.2"} {
		w := base()
		w.Spec.Entitlements = []spec.Entitlement{{Actions: []string{role}, Resources: []string{"projects/acme-ml"}}}
		_, err := Render(w)
		if err == nil || !strings.Contains(err.Error(), "a custom role nhigate render defines for another spec") {
			t.Errorf("binding %s by name: %v", role, err)
		}
	}
}

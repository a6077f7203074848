package gcp

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/cel-go/parser"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/render/internal/rendertest"
	"github.com/nhigate/nhigate/spec"
)

// Every example spec of platform gcp renders to its golden file (or is
// refused as the golden file says), twice to the same bytes.
func TestGolden(t *testing.T) {
	rendertest.GoldenExamples(t, "gcp", "testdata", Render, nil)
}

// validate checks rendered files against the IAM API's shapes and
// grammars: strict decoding into Document and Role, every role and
// permission name, every member, every resource a full name of a resource
// with a policy, every condition parsed by CEL into the terms nhigate
// writes, the API's length limits, and version 3 where conditions are.
func validate(t *testing.T, files []render.File) {
	t.Helper()
	var doc Document
	if err := strict(files[0].Data, &doc); err != nil {
		t.Fatalf("%s: %v", files[0].Name, err)
	}
	if len(doc.Policies) == 0 {
		t.Errorf("%s: no policies", files[0].Name)
	}
	p, err := parser.NewParser()
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]Role{}
	for _, r := range doc.Roles {
		if !customRoleRE.MatchString(r.Name) || r.Stage != "GA" || len(r.Title) > maxTitle || len(r.Description) > maxDescription {
			t.Errorf("role %+v", r)
		}
		if len(r.IncludedPermissions) == 0 || !slices.IsSorted(r.IncludedPermissions) {
			t.Errorf("role %s permissions %v", r.Name, r.IncludedPermissions)
		}
		for _, perm := range r.IncludedPermissions {
			if !permissionRE.MatchString(perm) {
				t.Errorf("role %s: %q is not service.resource.verb", r.Name, perm)
			}
		}
		roles[r.Name] = r
	}
	if len(files) != len(doc.Roles)+1 {
		t.Errorf("%d files for %d roles", len(files), len(doc.Roles))
	}
	for _, f := range files[1:] {
		var r Role
		if err := strict(f.Data, &r); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		id := strings.TrimSuffix(filepath.Base(f.Name), ".json")
		want, ok := roles[roleName(doc, id)]
		want.Name = ""
		if !ok || !cmp.Equal(r, want) {
			t.Errorf("%s differs from its role in iam.json", f.Name)
		}
	}
	for _, pr := range doc.Policies {
		rel, err := relativeName(pr.Resource)
		if err != nil || pr.Resource != fullName(rel) {
			t.Errorf("resource %s: %v", pr.Resource, err)
		}
		for _, b := range pr.Policy.Bindings {
			if !predefinedRE.MatchString(b.Role) && !customRoleRE.MatchString(b.Role) {
				t.Errorf("%s: role %q", pr.Resource, b.Role)
			}
			if len(b.Members) != 1 || !strings.HasPrefix(b.Members[0], "serviceAccount:") || !serviceAccountRE.MatchString(strings.TrimPrefix(b.Members[0], "serviceAccount:")) {
				t.Errorf("%s: members %v", pr.Resource, b.Members)
			}
			if b.Condition == nil {
				continue
			}
			if pr.Policy.Version != 3 {
				t.Errorf("%s: a conditional binding in a version %d policy", pr.Resource, pr.Policy.Version)
			}
			if b.Condition.Title == "" || len(b.Condition.Title) > maxTitle {
				t.Errorf("%s: condition title %q", pr.Resource, b.Condition.Title)
			}
			if _, _, err := readCondition(p, b.Condition); err != nil {
				t.Errorf("%s: %v", pr.Resource, err)
			}
		}
	}
}

func roleName(doc Document, id string) string {
	for _, r := range doc.Roles {
		if strings.HasSuffix(r.Name, "/roles/"+id) {
			return r.Name
		}
	}
	return ""
}

func TestValidateExamples(t *testing.T) {
	rendered := rendertest.Rendered(t, "gcp", Render)
	for _, files := range rendered {
		validate(t, files)
	}
	if len(rendered) < 2 {
		t.Errorf("only %d example specs render", len(rendered))
	}
}

func base() *spec.Workflow {
	return rendertest.Workflow(spec.Metadata{Name: "ml-training"},
		spec.Identity{Name: "ml-runner", Type: "service-account", Platform: "gcp", Consumer: "pipeline"},
		"1h", time.Date(2027, 2, 10, 0, 0, 0, 0, time.UTC),
		spec.Entitlement{Actions: []string{"storage.objects.get"}, Resources: []string{"projects/acme-ml/datasets/train"}})
}

// Every spec that IAM cannot express as written is refused, naming the
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
		{"condition", func(w *spec.Workflow) { w.Spec.Entitlements[0].Conditions = map[string]any{"region": "eu"} }, "spec.entitlements[0].conditions.region", "remove"},
		{"permission pattern", ent([]string{"storage.objects.*"}, []string{"projects/acme-ml"}), "spec.entitlements[0].actions[0]", "pattern"},
		{"role pattern", ent([]string{"roles/storage.*"}, []string{"projects/acme-ml"}), "spec.entitlements[0].actions[0]", "pattern"},
		{"star", ent([]string{"*"}, []string{"projects/acme-ml"}), "spec.entitlements[0].actions[0]", "pattern"},
		{"aws action", ent([]string{"storage.objects.get", "s3:GetObject"}, []string{"projects/acme-ml"}), "spec.entitlements[0].actions[1]", "service.resource.verb"},
		{"two-part permission", ent([]string{"storage.get"}, []string{"projects/acme-ml"}), "spec.entitlements[0].actions[0]", "service.resource.verb"},
		{"bad role", ent([]string{"roles/"}, []string{"projects/acme-ml"}), "spec.entitlements[0].actions[0]", "predefined role"},
		{"bad custom role", ent([]string{"projects/x/roles/ab"}, []string{"projects/acme-ml"}), "spec.entitlements[0].actions[0]", "custom role"},
		{"location", ent([]string{"roles/aiplatform.user"}, []string{"projects/acme-ml/locations/europe-west4"}), "spec.entitlements[0].resources[0]", "no IAM policy"},
		{"table", ent([]string{"roles/bigquery.dataViewer"}, []string{"projects/acme-ml/datasets/d/tables/t"}), "spec.entitlements[0].resources[0]", "no IAM policy"},
		{"project pattern", ent([]string{"roles/viewer"}, []string{"projects/*"}), "spec.entitlements[0].resources[0]", "pattern"},
		{"dataset pattern", ent([]string{"roles/viewer"}, []string{"projects/acme-ml/datasets/*"}), "spec.entitlements[0].resources[0]", "pattern"},
		{"bucket pattern", ent([]string{"roles/storage.objectViewer"}, []string{"projects/_/buckets/acme-*"}), "spec.entitlements[0].resources[0]", "object prefix"},
		{"inner star", ent([]string{"roles/storage.objectViewer"}, []string{"projects/_/buckets/bkt1/objects/*/x*"}), "spec.entitlements[0].resources[0]", "pattern"},
		{"question mark", ent([]string{"roles/storage.objectViewer"}, []string{"projects/_/buckets/bkt1/objects/a?"}), "spec.entitlements[0].resources[0]", "pattern"},
		{"full name", ent([]string{"roles/viewer"}, []string{"//cloudresourcemanager.googleapis.com/projects/acme-ml"}), "spec.entitlements[0].resources[0]", "relative name"},
		{"everything", ent([]string{"roles/viewer"}, []string{"*"}), "spec.entitlements[0].resources[0]", "pattern"},
		{"no project for the member", ent([]string{"roles/storage.objectViewer"}, []string{"projects/_/buckets/bkt1"}), "spec.identity.name", "cannot be derived"},
		{"two projects for the member", ent([]string{"roles/viewer"}, []string{"projects/acme-ml", "projects/acme-ops"}), "spec.identity.name", "cannot be derived"},
		{"not an account ID", func(w *spec.Workflow) { w.Spec.Identity.Name = "ML_Runner" }, "spec.identity.name", "service account ID"},
		{"not a service account", func(w *spec.Workflow) { w.Spec.Identity.Name = "dana@example.com" }, "spec.identity.name", "email"},
		{"no project for the custom role", func(w *spec.Workflow) {
			w.Spec.Identity.Name = "1234-compute@developer.gserviceaccount.com"
			w.Spec.Entitlements = []spec.Entitlement{{Actions: []string{"storage.objects.get"}, Resources: []string{"projects/_/buckets/bkt1"}}}
		}, "spec.entitlements[0].actions[0]", "custom role"},
		{"role ID too long", func(w *spec.Workflow) { w.Metadata.Name = strings.Repeat("a", 65) }, "metadata.name", "custom role ID"},
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

// An object prefix is a condition on the bucket, never a binding on the
// bucket alone.
func TestObjectPrefix(t *testing.T) {
	w := base()
	w.Spec.Identity.Name = "ml-runner@acme-ml.iam.gserviceaccount.com"
	w.Spec.Entitlements = []spec.Entitlement{{Actions: []string{"roles/storage.objectViewer"}, Resources: []string{"projects/_/buckets/acme-data/objects/training/*"}}}
	files, err := Render(w)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, files)
	var doc Document
	if err := strict(files[0].Data, &doc); err != nil {
		t.Fatal(err)
	}
	want := []PolicyResult{{
		Resource: "//storage.googleapis.com/projects/_/buckets/acme-data",
		Policy: Policy{Version: 3, Bindings: []Binding{{
			Role:    "roles/storage.objectViewer",
			Members: []string{"serviceAccount:ml-runner@acme-ml.iam.gserviceaccount.com"},
			Condition: &Expr{
				Title:      "nhigate: expires 2027-02-10T00:00:00Z, object prefix",
				Expression: `request.time < timestamp("2027-02-10T00:00:00Z") && resource.name.startsWith("projects/_/buckets/acme-data/objects/training/")`,
			},
		}}},
	}}
	if diff := cmp.Diff(want, doc.Policies); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

var (
	predefined = []string{"roles/viewer", "roles/storage.objectViewer", "roles/bigquery.dataViewer", "roles/compute.instanceAdmin.v1", "roles/pubsub.publisher", "roles/secretmanager.secretAccessor"}
	custom     = []string{"projects/acme-shared/roles/deployer", "organizations/123456/roles/auditor.v2"}
	verbs      = []string{"get", "list", "create", "getData", "setIamPolicy", "actAs"}
	services   = []string{"storage.objects", "bigquery.tables", "pubsub.topics", "iam.serviceAccounts", "run.services"}
)

// randomSpec is a spec of the grammar Render accepts.
func randomSpec(r *rand.Rand, i int) *spec.Workflow {
	w := base()
	w.Metadata.Name = fmt.Sprintf("spec-%d", i)
	project := []string{"acme-ml", "acme-data-prod", "p12345"}[r.IntN(3)]
	resources := []string{
		"projects/" + project,
		"projects/" + project + "/datasets/ds_" + fmt.Sprint(r.IntN(3)),
		"projects/" + project + "/topics/t-" + fmt.Sprint(r.IntN(3)),
		"projects/" + project + "/secrets/s" + fmt.Sprint(r.IntN(3)),
		"projects/" + project + "/locations/eu/repositories/images",
		"projects/" + project + "/locations/eu/keyRings/kr/cryptoKeys/k1",
		"projects/_/buckets/acme-bucket-" + fmt.Sprint(r.IntN(3)),
		"projects/_/buckets/acme-logs/objects/run-" + fmt.Sprint(r.IntN(3)) + "/*",
		"folders/" + fmt.Sprint(100+r.IntN(3)),
	}
	w.Spec.Entitlements = nil
	for range 1 + r.IntN(4) {
		var e spec.Entitlement
		for range 1 + r.IntN(4) {
			switch r.IntN(3) {
			case 0:
				e.Actions = append(e.Actions, predefined[r.IntN(len(predefined))])
			case 1:
				e.Actions = append(e.Actions, services[r.IntN(len(services))]+"."+verbs[r.IntN(len(verbs))])
			default:
				if r.IntN(3) == 0 {
					e.Actions = append(e.Actions, custom[r.IntN(len(custom))])
				} else {
					e.Actions = append(e.Actions, services[r.IntN(len(services))]+"."+verbs[r.IntN(len(verbs))])
				}
			}
		}
		for _, k := range r.Perm(len(resources))[:1+r.IntN(3)] {
			e.Resources = append(e.Resources, resources[k])
		}
		// Always one project resource, so that the member and the custom
		// roles have a project.
		e.Resources = append(e.Resources, "projects/"+project)
		w.Spec.Entitlements = append(w.Spec.Entitlements, e)
	}
	switch r.IntN(3) {
	case 0:
		w.Spec.Identity.Name = "runner-" + fmt.Sprint(r.IntN(100))
	case 1:
		w.Spec.Identity.Name = "ci-deployer@acme-shared.iam.gserviceaccount.com"
	default:
		w.Spec.Identity.Name = "123-compute@developer.gserviceaccount.com"
	}
	if r.IntN(4) == 0 {
		w.Spec.ExpiresAt = spec.Time{}
	} else {
		at := time.Date(2027, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), 0, 0, 0, time.UTC)
		w.Spec.ExpiresAt = spec.Time{Time: at, Text: at.Format(time.RFC3339)}
	}
	return w
}

// import(render(spec)) is the spec's principal with the spec's grants and
// expiry, over generated specs.
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
			t.Fatalf("case %d: import: %v\n%s", i, err, files[0].Data)
		}
		want := []render.Principal{{
			Identity:     spec.Identity{Name: w.Spec.Identity.Name, Type: "service-account", Platform: "gcp"},
			Entitlements: Canonical(w.Spec.Entitlements),
			ExpiresAt:    w.Spec.ExpiresAt.Time,
		}}
		if diff := cmp.Diff(want, ps, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("case %d (-want +got):\n%s", i, diff)
		}
		if err := render.SameAccess("gcp", w.Spec.Entitlements, ps[0].Entitlements); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
	}
}

// realWorld are the files under testdata/realworld (see its README), with
// what importing each gives: the principals, or the refusal naming the
// binding.
var realWorld = []struct {
	file       string
	principals int
	refusal    string
}{
	{"policy-library-projects_iam.json", 11, ""},
	{"forseti-mock_cai_project4_iam_policies.jsonl", 2, ""},
	{"policy-library-iam_custom_role_permissions.json", 0, ""},
	{"policy-library-iam_allowed_bindings.json", 0, "policies[0] (//cloudresourcemanager.googleapis.com/projects/12345) bindings[2] (roles/viewer): member allUsers makes the role public"},
	{"policy-library-iam_allowed_policy_member_domains.json", 0, `policies[1] (//cloudresourcemanager.googleapis.com/projects/12345) bindings[3] (roles/dataflow.serviceAgent): member "projectViewer:my-project"`},
	{"forseti-mock_cai_iam_policies.jsonl", 0, `policies[5] (//storage.googleapis.com/bucket1) bindings[0] (roles/storage.legacyBucketOwner): member "projectEditor:project3"`},
}

// Real policies this project did not write import, and what they import
// renders to the same access; what cannot be modeled is refused by binding.
func TestRealWorld(t *testing.T) {
	for _, tc := range realWorld {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "realworld", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			ps, err := Import(tc.file, data)
			if tc.refusal != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refusal) {
					t.Fatalf("err = %v, want the refusal %q", err, tc.refusal)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != tc.principals {
				t.Fatalf("%d principals, want %d", len(ps), tc.principals)
			}
			for i, p := range ps {
				w := base()
				w.Metadata.Name = fmt.Sprintf("imported-%d", i)
				w.Spec.Identity = p.Identity
				w.Spec.Entitlements = p.Entitlements
				w.Spec.ExpiresAt = spec.Time{}
				if !p.ExpiresAt.IsZero() {
					w.Spec.ExpiresAt = spec.Time{Time: p.ExpiresAt, Text: p.ExpiresAt.Format(time.RFC3339)}
				}
				files, err := Render(w)
				if err != nil {
					t.Fatalf("%s: %v", p.Identity.Name, err)
				}
				validate(t, files)
				again, err := Import(files[0].Name, files[0].Data)
				if err != nil {
					t.Fatal(err)
				}
				if len(again) != 1 || again[0].Identity != p.Identity || !again[0].ExpiresAt.Equal(p.ExpiresAt) {
					t.Errorf("%s: re-imported as %+v", p.Identity.Name, again)
				}
				if err := render.SameAccess("gcp", p.Entitlements, again[0].Entitlements); err != nil {
					t.Errorf("%s: %v", p.Identity.Name, err)
				}
			}
		})
	}
}

// The custom roles of a real Cloud Asset export are read as definitions,
// and bindings of them import as their permissions.
func TestRealWorldCustomRoles(t *testing.T) {
	roles, err := os.ReadFile(filepath.Join("testdata", "realworld", "policy-library-iam_custom_role_permissions.json"))
	if err != nil {
		t.Fatal(err)
	}
	policy := `{"resource": "//cloudresourcemanager.googleapis.com/organizations/123456", "policy": {"bindings": [
		{"role": "organizations/123456/roles/test_role_1", "members": ["serviceAccount:bq-reader@acme-ml.iam.gserviceaccount.com"]}]}}`
	ps, err := Import("roles+policy.json", append(roles, policy...))
	if err != nil {
		t.Fatal(err)
	}
	want := []spec.Entitlement{{
		Actions: []string{
			"bigquery.config.get", "bigquery.datasets.create", "bigquery.datasets.get", "bigquery.datasets.getIamPolicy",
			"bigquery.jobs.list", "bigquery.models.list", "bigquery.readsessions.create", "bigquery.savedqueries.get", "bigquery.savedqueries.list",
		},
		Resources: []string{"organizations/123456"},
	}}
	if len(ps) != 1 {
		t.Fatalf("%d principals", len(ps))
	}
	if diff := cmp.Diff(want, ps[0].Entitlements, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Import refuses, naming the binding or the condition's title, what it
// cannot model.
func TestImportRefusals(t *testing.T) {
	pol := func(member, cond string) string {
		c := ""
		if cond != "" {
			c = `, "condition": ` + cond
		}
		return `{"resource": "//cloudresourcemanager.googleapis.com/projects/acme-ml", "policy": {"version": 3, "bindings": [
			{"role": "roles/viewer", "members": [` + member + `]` + c + `}]}}`
	}
	sa := `"serviceAccount:ml-runner@acme-ml.iam.gserviceaccount.com"`
	for _, tc := range []struct {
		name string
		data string
		msg  string
	}{
		{"not json", "bindings:", "not IAM policy JSON"},
		{"bare policy", `{"bindings": [{"role": "roles/viewer", "members": [` + sa + `]}], "etag": "BwX"}`, "does not name its resource"},
		{"unknown field", strings.Replace(pol(sa, ""), `"version"`, `"deny": true, "version"`, 1), "unknown field"},
		{"all users", pol(`"allUsers"`, ""), "bindings[0] (roles/viewer): member allUsers makes the role public"},
		{"principal set", pol(`"principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/*"`, ""), "principal sets"},
		{"deleted", pol(`"deleted:serviceAccount:old@acme-ml.iam.gserviceaccount.com?uid=1"`, ""), "was deleted"},
		{"other condition", pol(sa, `{"title": "business hours", "expression": "request.time.getHours('Europe/Berlin') < 18"}`), `condition "business hours"`},
		{"or", pol(sa, `{"title": "either", "expression": "request.time < timestamp('2027-01-01T00:00:00Z') || true"}`), `condition "either"`},
		{"two expiries", pol(sa, `{"title": "twice", "expression": "request.time < timestamp('2027-01-01T00:00:00Z') && request.time < timestamp('2028-01-01T00:00:00Z')"}`), `condition "twice"`},
		{"not cel", pol(sa, `{"title": "broken", "expression": "request.time <"}`), `condition "broken": does not parse`},
		{"bad time", pol(sa, `{"title": "t", "expression": "request.time < timestamp('tomorrow')"}`), "not RFC 3339"},
		{"prefix on a project", pol(sa, `{"title": "p", "expression": "resource.name.startsWith('projects/acme-ml/')"}`), "only object prefixes"},
		{"unknown resource", `{"resource": "//cloudbilling.googleapis.com/billingAccounts/0-1-2", "policy": {"bindings": [{"role": "roles/billing.viewer", "members": [` + sa + `]}]}}`, "not one nhigate binds on"},
		{"wrong host", `{"resource": "//storage.googleapis.com/projects/acme-ml", "policy": {"bindings": [{"role": "roles/viewer", "members": [` + sa + `]}]}}`, "is not the service of"},
		{"two expiries across bindings", `{"resource": "//cloudresourcemanager.googleapis.com/projects/acme-ml", "policy": {"version": 3, "bindings": [
			{"role": "roles/viewer", "members": [` + sa + `], "condition": {"title": "a", "expression": "request.time < timestamp('2027-01-01T00:00:00Z')"}},
			{"role": "roles/browser", "members": [` + sa + `]}]}}`, "one expiresAt"},
		{"disabled role", `{"roles": [{"name": "projects/acme-ml/roles/old", "title": "t", "description": "", "includedPermissions": ["storage.objects.get"], "stage": "DISABLED"}], "policies": []}`, "disabled"},
		{"predefined role defined", `{"roles": [{"name": "roles/viewer", "title": "t", "description": "", "includedPermissions": ["storage.objects.get"], "stage": "GA"}], "policies": []}`, "bound by name"},
		{"role asset names another role", `{"name": "//iam.googleapis.com/projects/acme-ml/roles/a", "asset_type": "iam.googleapis.com/Role", "resource": {"data": {"name": "projects/acme-ml/roles/b", "title": "t", "description": "", "includedPermissions": ["storage.objects.get"], "stage": "GA"}}}`, "defines the role"},
		{"other resource asset", `{"name": "//storage.googleapis.com/b", "asset_type": "storage.googleapis.com/Bucket", "resource": {"data": {}}}`, "not an IAM policy"},
		{"huge", strings.Repeat(" ", MaxFileSize+1), "over the limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := Import("policy.json", []byte(tc.data))
			if err == nil {
				t.Fatalf("imported %+v, want a refusal", ps)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%v does not say %q", err, tc.msg)
			}
		})
	}
}

// People and groups are not non-human identities: a binding keeps its
// service accounts and drops no grant of theirs.
func TestImportSkipsPeople(t *testing.T) {
	data := `{"resource": "projects/acme-ml", "policy": {"bindings": [
		{"role": "roles/viewer", "members": ["user:dana@example.com", "group:ops@example.com", "domain:example.com", "serviceAccount:ml-runner@acme-ml.iam.gserviceaccount.com"]}]}}`
	ps, err := Import("p.json", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []render.Principal{{
		Identity:     spec.Identity{Name: "ml-runner", Type: "service-account", Platform: "gcp"},
		Entitlements: []spec.Entitlement{{Actions: []string{"roles/viewer"}, Resources: []string{"projects/acme-ml"}}},
	}}
	if diff := cmp.Diff(want, ps, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// What was left out is said, not dropped silently.
	wantSkipped := []string{
		"domain:example.com (roles/viewer), a group: import the service accounts it holds separately",
		"group:ops@example.com (roles/viewer), a group: import the service accounts it holds separately",
		"user:dana@example.com (roles/viewer), a person",
	}
	if diff := cmp.Diff(wantSkipped, Skipped("p.json", []byte(data))); diff != "" {
		t.Errorf("Skipped (-want +got):\n%s", diff)
	}
}

func FuzzImport(f *testing.F) {
	for _, tc := range realWorld {
		data, err := os.ReadFile(filepath.Join("testdata", "realworld", tc.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	files, err := Render(base())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(files[0].Data)
	f.Add([]byte(`[{"name":"projects/p","iam_policy":{"bindings":[{"role":"roles/x","members":["serviceAccount:a@b.gserviceaccount.com"],"condition":{"title":"t","expression":"resource.name.startsWith('x') && request.time < timestamp('2027-01-01T00:00:00Z')"}}]}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := Import("fuzz.json", data)
		if err != nil {
			return
		}
		for _, p := range ps {
			if p.Identity.Platform != "gcp" || len(p.Entitlements) == 0 {
				t.Fatalf("principal %+v", p)
			}
			for _, e := range p.Entitlements {
				if len(e.Actions) == 0 || len(e.Resources) == 0 {
					t.Fatalf("empty entitlement in %+v", p)
				}
			}
		}
	})
}

// A Cloud Asset role whose data has no name is named by its asset.
func TestRoleAssetName(t *testing.T) {
	data := `{"name": "//iam.googleapis.com/organizations/42/roles/reader", "asset_type": "iam.googleapis.com/Role",
		"resource": {"version": "v1", "discovery_name": "Role", "data": {"title": "r", "description": "", "includedPermissions": ["storage.objects.list", "storage.objects.get"], "stage": "GA"}}}
{"resource": "organizations/42", "policy": {"bindings": [{"role": "organizations/42/roles/reader", "members": ["serviceAccount:reader@acme-ml.iam.gserviceaccount.com"]}]}}`
	ps, err := Import("export.jsonl", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []spec.Entitlement{{Actions: []string{"storage.objects.get", "storage.objects.list"}, Resources: []string{"organizations/42"}}}
	if len(ps) != 1 || !cmp.Equal(want, ps[0].Entitlements, cmpopts.EquateEmpty()) {
		t.Errorf("imported %+v, want %+v", ps, want)
	}
}

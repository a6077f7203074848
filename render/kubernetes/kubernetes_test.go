package kubernetes_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/render/internal/rendertest"
	"github.com/nhigate/nhigate/render/kubernetes"
	"github.com/nhigate/nhigate/spec"
)

// strict decodes the kinds render writes with the API machinery's own
// strict decoder: an unknown or duplicated field is an error.
var strict = func() runtime.Decoder {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{rbacv1.AddToScheme, corev1.AddToScheme, authnv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
}()

func decodeAll(t *testing.T, data []byte) []runtime.Object {
	t.Helper()
	var out []runtime.Object
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatal(err)
		}
		obj, _, err := strict.Decode(raw, nil, nil)
		if err != nil {
			t.Fatalf("strict decoding rejects %s: %v", raw, err)
		}
		out = append(out, obj)
	}
}

// validate decodes every rendered object strictly, checks its names and
// rules as the API server's validation would, and checks the expiry, TTL
// and subject against w.
func validate(t *testing.T, w *spec.Workflow, files []render.File) {
	t.Helper()
	var objs []runtime.Object
	for _, f := range files {
		objs = append(objs, decodeAll(t, f.Data)...)
	}
	exp := w.Spec.ExpiresAt.UTC().Format(time.RFC3339)
	var sa *corev1.ServiceAccount
	var tr *authnv1.TokenRequest
	var subjects []rbacv1.Subject
	checkRules := func(kind string, rules []rbacv1.PolicyRule) {
		if len(rules) == 0 {
			t.Errorf("%s has no rules", kind)
		}
		for i, r := range rules {
			if len(r.Verbs) == 0 {
				t.Errorf("%s rules[%d]: no verbs", kind, i)
			}
			if len(r.NonResourceURLs) > 0 && (kind == "Role" || len(r.Resources) > 0 || len(r.APIGroups) > 0) {
				t.Errorf("%s rules[%d] mixes non-resource URLs with resources, or sits in a Role", kind, i)
			}
			if len(r.NonResourceURLs) == 0 && (len(r.APIGroups) == 0 || len(r.Resources) == 0) {
				t.Errorf("%s rules[%d]: no apiGroups or resources", kind, i)
			}
		}
	}
	for _, o := range objs {
		var m interface {
			GetName() string
			GetNamespace() string
			GetAnnotations() map[string]string
		}
		switch x := o.(type) {
		case *corev1.ServiceAccount:
			sa, m = x, x
			if errs := validation.IsDNS1123Subdomain(x.Name); len(errs) > 0 {
				t.Errorf("ServiceAccount name %q: %v", x.Name, errs)
			}
		case *authnv1.TokenRequest:
			tr, m = x, x
		case *rbacv1.Role:
			m = x
			checkRules("Role", x.Rules)
		case *rbacv1.ClusterRole:
			m = x
			checkRules("ClusterRole", x.Rules)
		case *rbacv1.RoleBinding:
			m = x
			subjects = append(subjects, x.Subjects...)
			if x.RoleRef.Kind != "Role" || x.RoleRef.Name != x.Name {
				t.Errorf("RoleBinding %s binds %v", x.Name, x.RoleRef)
			}
		case *rbacv1.ClusterRoleBinding:
			m = x
			subjects = append(subjects, x.Subjects...)
			if x.RoleRef.Kind != "ClusterRole" || x.RoleRef.Name != x.Name {
				t.Errorf("ClusterRoleBinding %s binds %v", x.Name, x.RoleRef)
			}
		default:
			t.Fatalf("unexpected %T", o)
		}
		for _, msg := range path.IsValidPathSegmentName(m.GetName()) {
			t.Errorf("%T name %q: %s", o, m.GetName(), msg)
		}
		if ns := m.GetNamespace(); ns != "" {
			if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
				t.Errorf("namespace %q: %v", ns, errs)
			}
		}
		a := m.GetAnnotations()
		if a[kubernetes.AnnotationExpires] != exp || a[kubernetes.AnnotationSpec] != w.Metadata.Name || a[kubernetes.AnnotationOwner] != w.Metadata.Owner {
			t.Errorf("%T %s annotations %v", o, m.GetName(), a)
		}
	}
	if len(subjects) == 0 {
		t.Fatal("nothing is bound")
	}
	for _, s := range subjects {
		if s != subjects[0] {
			t.Errorf("bindings name %v and %v", s, subjects[0])
		}
	}
	if w.Spec.Identity.Type == "certificate" {
		if sa != nil || tr != nil || subjects[0].Kind != "User" || subjects[0].Name != w.Spec.Identity.Name {
			t.Errorf("a certificate binds its user only: sa %v token %v subject %v", sa, tr, subjects[0])
		}
		return
	}
	if sa == nil || tr == nil {
		t.Fatalf("ServiceAccount %v, TokenRequest %v", sa, tr)
	}
	if subjects[0] != (rbacv1.Subject{Kind: "ServiceAccount", Name: sa.Name, Namespace: sa.Namespace}) || tr.Name != sa.Name || tr.Namespace != sa.Namespace {
		t.Errorf("subject %v, ServiceAccount %s/%s, TokenRequest %s/%s", subjects[0], sa.Namespace, sa.Name, tr.Namespace, tr.Name)
	}
	if tr.Spec.ExpirationSeconds == nil || *tr.Spec.ExpirationSeconds != int64(w.Spec.Credential.TTL.Duration/time.Second) {
		t.Errorf("expirationSeconds %v, ttl %s", tr.Spec.ExpirationSeconds, w.Spec.Credential.TTL.Text)
	}
}

func rbacFile(t *testing.T, files []render.File) render.File {
	t.Helper()
	for _, f := range files {
		if strings.HasSuffix(f.Name, "/rbac.yaml") {
			return f
		}
	}
	t.Fatalf("no rbac.yaml in %v", files)
	return render.File{}
}

// Every Kubernetes spec of the example renders to its golden manifests,
// the same bytes twice, each object decoding strictly.
func TestRenderExamples(t *testing.T) {
	rendertest.GoldenExamples(t, "kubernetes", "testdata", kubernetes.Render, func(t *testing.T, w *spec.Workflow, files []render.File, err error) {
		if err != nil {
			t.Fatal(err)
		}
		validate(t, w, files)
	})
}

func workflow(idType, name string, ttl time.Duration, ents ...spec.Entitlement) *spec.Workflow {
	return rendertest.Workflow(spec.Metadata{Name: "spec-x", Owner: "@acme/platform"},
		spec.Identity{Name: name, Type: idType, Platform: "kubernetes", Consumer: "pipeline"},
		ttl.String(), time.Date(2027, 1, 20, 0, 0, 0, 0, time.UTC), ents...)
}

func ent(actions, resources []string) spec.Entitlement {
	return spec.Entitlement{Actions: actions, Resources: resources}
}

// The forms a spec resource takes, and the objects they render to.
func TestRenderForms(t *testing.T) {
	w := workflow("service-account", "ci/deployer", time.Hour,
		ent([]string{"get", "list"}, []string{"checkout/deployments", "checkout/configmaps/app", "checkout/pods/exec", "payments/widgets.example.com", "payments/widgets.example.com/status"}),
		ent([]string{"get"}, []string{"nodes", "pods/log", "secrets/tls", "events.events.k8s.io", "deployments.extensions/scale"}),
		ent([]string{"get", "post"}, []string{"/healthz", "/apis/*"}),
		ent([]string{"*"}, []string{"sandbox/*"}),
	)
	files, err := kubernetes.Render(w)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, w, files)
	rendertest.Golden(t, "testdata/forms.golden", rendertest.Archive(files, nil))
	ps, err := kubernetes.Import("rbac.yaml", rbacFile(t, files).Data)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Identity.Name != "ci/deployer" {
		t.Fatalf("principals %+v", ps)
	}
	if err := render.SameAccess("kubernetes", w.Spec.Entitlements, ps[0].Entitlements); err != nil {
		t.Error(err)
	}
}

// A spec RBAC cannot express as written is refused, naming the field.
func TestRenderRefuses(t *testing.T) {
	get := []string{"get"}
	sa := func(resources ...string) *spec.Workflow {
		return workflow("service-account", "ci/bot", time.Hour, ent(get, resources))
	}
	for _, tc := range []struct {
		name  string
		w     *spec.Workflow
		field string
	}{
		{"resource pattern", sa("checkout/deploy*"), "spec.entitlements[0].resources[0]"},
		{"name pattern", sa("checkout/configmaps/app-*"), "spec.entitlements[0].resources[0]"},
		{"namespace pattern", sa("team-*/pods"), "spec.entitlements[0].resources[0]"},
		{"every namespace by star", sa("*/pods"), "spec.entitlements[0].resources[0]"},
		{"subresource of everything", sa("checkout/*/status"), "spec.entitlements[0].resources[0]"},
		{"question mark", sa("checkout/pod?"), "spec.entitlements[0].resources[0]"},
		{"unknown resource", sa("checkout/widgets"), "spec.entitlements[0].resources[0]"},
		{"built-in with its group", sa("checkout/deployments.apps"), "spec.entitlements[0].resources[0]"},
		{"cluster-scoped in a namespace", sa("checkout/nodes"), "spec.entitlements[0].resources[0]"},
		{"ambiguous namespace", sa("pods/deployments"), "spec.entitlements[0].resources[0]"},
		{"name with a slash", sa("checkout/configmaps/a/b"), "spec.entitlements[0].resources[0]"},
		{"namespace alone", sa("checkout"), "spec.entitlements[0].resources[0]"},
		{"inner star in URL", sa("/apis/*/v1"), "spec.entitlements[0].resources[0]"},
		{"verb pattern", workflow("service-account", "ci/bot", time.Hour, ent([]string{"get*"}, []string{"checkout/pods"})), "spec.entitlements[0].actions[0]"},
		{"verb in capitals", workflow("service-account", "ci/bot", time.Hour, ent([]string{"Get"}, []string{"checkout/pods"})), "spec.entitlements[0].actions[0]"},
		{"URL with a resource verb", workflow("service-account", "ci/bot", time.Hour, ent([]string{"list"}, []string{"/metrics"})), "spec.entitlements[0].actions[0]"},
		{"condition", workflow("service-account", "ci/bot", time.Hour, spec.Entitlement{Actions: get, Resources: []string{"checkout/pods"}, Conditions: map[string]any{"sourceIP": "10.0.0.0/8"}}), "spec.entitlements[0].conditions.sourceIP"},
		{"ttl below ten minutes", workflow("service-account", "ci/bot", 5*time.Minute, ent(get, []string{"checkout/pods"})), "spec.credential.ttl"},
		{"no namespace for the ServiceAccount", workflow("service-account", "bot", time.Hour, ent(get, []string{"nodes"})), "spec.identity.name"},
		{"two namespaces for the ServiceAccount", workflow("service-account", "bot", time.Hour, ent(get, []string{"a/pods", "b/pods"})), "spec.identity.name"},
		{"ServiceAccount name", workflow("service-account", "ci/Bot_1", time.Hour, ent(get, []string{"ci/pods"})), "spec.identity.name"},
		{"api key", workflow("api-key", "ci/bot", time.Hour, ent(get, []string{"ci/pods"})), "spec.identity.type"},
		{"static", func() *spec.Workflow {
			w := sa("ci/pods")
			w.Spec.Credential.Kind = "static"
			return w
		}(), "spec.credential.kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := kubernetes.Render(tc.w)
			rendertest.Refused(t, files, err, tc.field)
		})
	}
}

// gen writes a random spec of the grammar render accepts.
func gen(rng *rand.Rand, n int) *spec.Workflow {
	pick := func(l []string) string { return l[rng.IntN(len(l))] }
	nsPool := []string{"checkout", "payments", "ci"}
	namespaced := []string{"pods", "configmaps", "secrets", "deployments", "services", "jobs", "leases", "roles", "serviceaccounts", "ingresses"}
	subs := map[string][]string{"pods": {"exec", "log", "status"}, "deployments": {"scale", "status"}, "services": {"proxy"}, "serviceaccounts": {"token"}}
	cluster := []string{"nodes", "namespaces", "persistentvolumes", "clusterroles", "storageclasses", "certificatesigningrequests"}
	custom := []string{"widgets.example.com", "events.events.k8s.io", "deployments.extensions"}
	names := []string{"app", "db-1", "web.v2"}
	verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "impersonate", "bind", "escalate"}

	kind := rng.IntN(3) // 0: bare ServiceAccount, 1: namespace/name, 2: certificate
	single := pick(nsPool)
	namespace := func() string {
		if kind == 0 {
			return single
		}
		return pick(nsPool)
	}
	resource := func() string {
		switch rng.IntN(9) {
		case 0:
			return namespace() + "/*"
		case 1:
			if kind != 0 {
				return "*"
			}
		case 2:
			if kind != 0 {
				r := pick(cluster)
				if rng.IntN(2) == 0 {
					r += "/" + pick(names)
				}
				return r
			}
		case 3:
			r := namespace() + "/" + pick(custom)
			if rng.IntN(3) == 0 {
				r += "/status"
			}
			return r
		case 4:
			if kind != 0 {
				return pick(namespaced) + "/" + pick(names)
			}
		}
		r := pick(namespaced)
		segs := []string{namespace(), r}
		if s := subs[r]; len(s) > 0 && rng.IntN(2) == 0 {
			segs = append(segs, pick(s))
		}
		if rng.IntN(3) == 0 {
			segs = append(segs, pick(names))
		}
		return strings.Join(segs, "/")
	}
	var ents []spec.Entitlement
	for range 1 + rng.IntN(3) {
		var e spec.Entitlement
		if rng.IntN(8) == 0 {
			e.Actions = []string{"*"}
		} else {
			for _, v := range verbs {
				if rng.IntN(4) == 0 {
					e.Actions = append(e.Actions, v)
				}
			}
			if len(e.Actions) == 0 {
				e.Actions = []string{pick(verbs)}
			}
		}
		for range 1 + rng.IntN(4) {
			e.Resources = append(e.Resources, resource())
		}
		ents = append(ents, e)
	}
	// Every bare ServiceAccount needs its one namespace named.
	ents[0].Resources = append(ents[0].Resources, single+"/configmaps")
	if kind != 0 && rng.IntN(3) == 0 {
		ents = append(ents, ent([]string{"get"}, []string{pick([]string{"/healthz", "/metrics", "/apis/*", "/*"})}))
	}
	ttl := time.Duration(600+rng.IntN(86400)) * time.Second
	switch kind {
	case 0:
		return workflow("service-account", fmt.Sprintf("bot-%d", n), ttl, ents...)
	case 1:
		return workflow("service-account", fmt.Sprintf("sa-home/bot-%d", n), ttl, ents...)
	}
	return workflow("certificate", fmt.Sprintf("system:node:worker-%d", n), ttl, ents...)
}

// import(render(spec)) is the spec's principal with the spec's grants,
// over generated specs.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	for n := range 300 {
		w := gen(rng, n)
		files, err := kubernetes.Render(w)
		if err != nil {
			t.Fatalf("case %d: %v\n%+v", n, err, w.Spec.Entitlements)
		}
		validate(t, w, files)
		ps, err := kubernetes.Import("rbac.yaml", rbacFile(t, files).Data)
		if err != nil {
			t.Fatalf("case %d: import: %v\n%s", n, err, rbacFile(t, files).Data)
		}
		if len(ps) != 1 {
			t.Fatalf("case %d: %d principals", n, len(ps))
		}
		want := spec.Identity{Name: w.Spec.Identity.Name, Type: "service-account", Platform: "kubernetes"}
		if w.Spec.Identity.Type == "certificate" {
			want.Type = "" // a User is a certificate, or an OIDC or webhook token: import leaves it to decide
		}
		if diff := cmp.Diff(want, ps[0].Identity); diff != "" {
			t.Errorf("case %d: identity (-want +got):\n%s", n, diff)
		}
		if err := render.SameAccess("kubernetes", w.Spec.Entitlements, ps[0].Entitlements); err != nil {
			t.Errorf("case %d: %v\n%+v\n%s", n, err, w.Spec.Entitlements, rbacFile(t, files).Data)
		}
	}
}

// renderBack renders w, validates it, and requires that importing its
// RBAC gives the access of imported, from which w was written.
func renderBack(t *testing.T, w *spec.Workflow, imported []spec.Entitlement) {
	t.Helper()
	files, err := kubernetes.Render(w)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, w, files)
	back, err := kubernetes.Import("rbac.yaml", rbacFile(t, files).Data)
	if err != nil {
		t.Fatal(err)
	}
	if err := render.SameAccess("kubernetes", imported, back[0].Entitlements); err != nil {
		t.Error(err)
	}
}

// pickItems are the items of a v1 List whose names are listed (all of
// them when none is).
func pickItems(t *testing.T, data []byte, names ...string) []any {
	t.Helper()
	var list map[string]any
	if err := yaml.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	var items []any
	for _, it := range list["items"].([]any) {
		if len(names) == 0 || slices.Contains(names, it.(map[string]any)["metadata"].(map[string]any)["name"].(string)) {
			items = append(items, it)
		}
	}
	return items
}

// listOf writes items as a v1 List.
func listOf(t *testing.T, items ...[]any) []byte {
	t.Helper()
	out, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": slices.Concat(items...)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func pickRoles(t *testing.T, data []byte, names ...string) []byte {
	return listOf(t, pickItems(t, data, names...))
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Kubernetes' own default bindings with the roles they bind: the
// ServiceAccount and users of the control plane import, one principal
// each (the scheduler's two bindings merged), and render to the same
// access; the file as a whole is refused for its Group subjects, by name.
func TestRealWorldBindings(t *testing.T) {
	roles := readFile(t, "testdata/realworld/cluster-roles.yaml")
	bindings := readFile(t, "testdata/realworld/cluster-role-bindings.yaml")
	names := []string{"system:kube-dns", "system:kube-scheduler", "system:volume-scheduler", "system:kube-controller-manager", "system:node-proxier"}
	ps, err := kubernetes.Import("control-plane.yaml", listOf(t, pickItems(t, bindings, names...), pickItems(t, roles, names...)))
	if err != nil {
		t.Fatal(err)
	}
	var got []spec.Identity
	for _, p := range ps {
		got = append(got, p.Identity)
	}
	want := []spec.Identity{
		{Name: "kube-system/kube-dns", Type: "service-account", Platform: "kubernetes"},
		{Name: "system:kube-controller-manager", Platform: "kubernetes"},
		{Name: "system:kube-proxy", Platform: "kubernetes"},
		{Name: "system:kube-scheduler", Platform: "kubernetes"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("principals (-want +got):\n%s", diff)
	}
	for _, x := range ps {
		t.Run(x.Identity.Name, func(t *testing.T) {
			typ := x.Identity.Type
			if typ == "" {
				typ = "certificate" // the control plane's users authenticate by client certificate
			}
			w := workflow(typ, x.Identity.Name, time.Hour, x.Entitlements...)
			renderBack(t, w, x.Entitlements)
		})
	}
	_, err = kubernetes.Import("bootstrap.yaml", listOf(t, pickItems(t, bindings), pickItems(t, roles)))
	if err == nil {
		t.Fatal("the bootstrap bindings imported, Group subjects and all")
	}
	for _, want := range []string{
		`ClusterRoleBinding cluster-admin: subjects[0]: Group "system:masters" is not one identity`,
		`ClusterRoleBinding system:public-info-viewer: subjects[1]: Group "system:unauthenticated" is not one identity`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q:\n%v", want, err)
		}
	}
}

// Kubernetes' own default ClusterRoles (testdata/realworld/README.md):
// cluster-admin, admin, edit and view import, their aggregation resolved
// within the file, and rendering each import grants what the role granted.
// The rest of the file is refused by name where it cannot be modelled.
func TestRealWorld(t *testing.T) {
	data, err := os.ReadFile("testdata/realworld/cluster-roles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sub := pickRoles(t, data, "cluster-admin", "admin", "edit", "view",
		"system:aggregate-to-admin", "system:aggregate-to-edit", "system:aggregate-to-view")
	ps, err := kubernetes.Import("default-roles.yaml", sub)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]render.Principal{}
	for _, p := range ps {
		byName[p.Identity.Name] = p
	}
	for _, name := range []string{"cluster-admin", "admin", "edit", "view"} {
		t.Run(name, func(t *testing.T) {
			x, ok := byName[name]
			if !ok {
				t.Fatalf("no principal %s in %v", name, ps)
			}
			w := workflow("service-account", "nhigate-import/"+name, time.Hour, x.Entitlements...)
			renderBack(t, w, x.Entitlements)
		})
	}
	// What the roles grant, checked against what Kubernetes documents:
	// view reads pods and no secret, edit reads secrets and execs into
	// pods, admin writes roles, cluster-admin is everything.
	// A grant adds nothing to a principal that already holds it.
	has := func(p, verb, res string) bool {
		es := byName[p].Entitlements
		return render.SameAccess("kubernetes", es, append(slices.Clone(es), ent([]string{verb}, []string{res}))) == nil
	}
	for _, tc := range []struct {
		role, verb, res string
		want            bool
	}{
		{"view", "get", "pods", true},
		{"view", "get", "secrets", false},
		{"view", "create", "pods", false},
		{"edit", "get", "secrets", true},
		{"edit", "create", "pods/exec", true},
		{"edit", "create", "roles", false},
		{"admin", "create", "roles", true},
		{"admin", "get", "pods", true},
		{"admin", "get", "nodes", false},
		{"cluster-admin", "delete", "nodes", true},
		{"cluster-admin", "get", "/metrics", true},
	} {
		if got := has(tc.role, tc.verb, tc.res); got != tc.want {
			t.Errorf("%s may %s %s: %v, want %v", tc.role, tc.verb, tc.res, got, tc.want)
		}
	}

	// The whole file: the ClusterRoles that cannot be modelled are named.
	_, err = kubernetes.Import("cluster-roles.yaml", data)
	if err == nil {
		t.Fatal("the whole bootstrap file imported, though its signer approvers name signers with a '/'")
	}
	for _, want := range []string{
		`ClusterRole system:certificates.k8s.io:kube-apiserver-client-approver rules[0]: "signers" in group "certificates.k8s.io": resourceNames "kubernetes.io/kube-apiserver-client" holds a '/'`,
		`ClusterRole system:certificates.k8s.io:legacy-unknown-approver rules[0]`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q:\n%v", want, err)
		}
	}
}

// What import cannot model is refused, naming the object and rule.
func TestImportRefuses(t *testing.T) {
	role := func(rules string) string {
		return "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules:\n" + rules
	}
	for _, tc := range []struct{ name, data, want string }{
		{"group subject", role("- {apiGroups: [''], resources: [pods], verbs: [get]}") + `
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: system:masters}]
`, `ClusterRoleBinding b: subjects[0]: Group "system:masters" is not one identity`},
		{"missing role", `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: b, namespace: ci}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{kind: ServiceAccount, name: bot, namespace: ci}]
`, "RoleBinding ci/b: roleRef ClusterRole edit is not in this file"},
		{"every group", role("- {apiGroups: ['*'], resources: [pods], verbs: [get]}"), `ClusterRole r rules[0]: "pods" in group "*": a resource in every API group`},
		{"every resource of a group", role("- {apiGroups: [apps], resources: ['*'], verbs: [get]}"), "every resource of one API group"},
		{"star subresource", role("- {apiGroups: [apps], resources: ['*/scale'], verbs: [get]}"), "*/scale"},
		{"unknown core resource", role("- {apiGroups: [''], resources: [widgets], verbs: [get]}"), "not a built-in resource of the core group"},
		{"verb pattern", role("- {apiGroups: [''], resources: [pods], verbs: ['get*']}"), `verb "get*"`},
		{"name like a subresource", role("- {apiGroups: [''], resources: [pods], resourceNames: [exec], verbs: [get]}"), "reads back as another resource"},
		{"mixed rule", role("- {apiGroups: [''], resources: [pods], nonResourceURLs: [/healthz], verbs: [get]}"), "not both"},
		{"aggregation cycle", `apiVersion: v1
kind: List
items:
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: a, labels: {x: a}}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {x: b}}]}}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: b, labels: {x: b}}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {x: a}}]}}
`, "cycle"},
		{"unknown field", role("- {apiGroups: [''], resources: [pods], verbs: [get], effect: Deny}"), `unknown field "rules[0].effect"`},
		{"old version", "apiVersion: rbac.authorization.k8s.io/v1beta1\nkind: ClusterRole\nmetadata: {name: r}\n", "rbac.authorization.k8s.io/v1beta1"},
		{"not rbac", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", "document 0"},
		{"grants nothing", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: []\n", "grants anything"},
		{"too big", strings.Repeat("#", kubernetes.MaxFileBytes+1), "more than the 4194304"},
		{"too many grants", role("- apiGroups: [" + strings.Repeat("a.io,", 500) + "a.io]\n  resources: [" + strings.Repeat("w,", 500) + "w]\n  verbs: [get]"), "more than 200000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := kubernetes.Import("rbac.yaml", []byte(tc.data))
			if err == nil {
				t.Fatalf("imported %+v", ps)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant it to say %q", err, tc.want)
			}
		})
	}
}

// Aggregation is resolved once per ClusterRole, however the roles nest:
// sixteen layers of twenty roles, each selecting the whole next layer,
// would be 20^15 resolutions without it; with it, the fifth layer from the
// bottom is refused for aggregating more than MaxRules rules. A file whose
// selectors ask for more than MaxSelections tests is refused too, naming
// the limit.
func TestImportAggregationBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: List\nitems:\n")
	for layer := range 16 {
		for i := range 20 {
			fmt.Fprintf(&b, "- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r%d-%d, labels: {layer: l%d}}", layer, i, layer)
			if layer < 15 {
				fmt.Fprintf(&b, ", aggregationRule: {clusterRoleSelectors: [{matchLabels: {layer: l%d}}]}}\n", layer+1)
			} else {
				fmt.Fprintf(&b, ", rules: [{apiGroups: [''], resources: [pods], resourceNames: [p%d], verbs: [get]}]}\n", i)
			}
		}
	}
	ps, err := kubernetes.Import("layers.yaml", []byte(b.String()))
	if err == nil {
		t.Fatalf("imported %d principals; the upper layers aggregate past MaxRules", len(ps))
	}
	if !strings.Contains(err.Error(), "ClusterRole r11-0 aggregates more than 20000 rules") {
		t.Errorf("err = %.600s", err)
	}

	b.Reset()
	b.WriteString("apiVersion: v1\nkind: List\nitems:\n")
	for i := range 1100 {
		fmt.Fprintf(&b, "- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: a%d}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {x: z}}]}}\n", i)
	}
	_, err = kubernetes.Import("wide.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "more than 1000000 (selector, ClusterRole) pairs") {
		t.Errorf("err = %.300v", err)
	}
}

// What import makes of bindings: a principal per ServiceAccount, the
// roles of its bindings resolved, what a RoleBinding cannot grant left
// out, and the name short when its grants lie in its own namespace.
func TestImportBindings(t *testing.T) {
	data := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
- {apiGroups: [''], resources: [pods, nodes], verbs: [get, list]}
- {nonResourceURLs: [/healthz], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: ci}
rules:
- {apiGroups: [apps], resources: [deployments], resourceNames: [web], verbs: [patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read, namespace: ci}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: ServiceAccount, name: bot, namespace: ci}, {kind: ServiceAccount, name: other, namespace: tools}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deploy, namespace: ci}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects: [{kind: ServiceAccount, name: bot, namespace: ci}]
`
	ps, err := kubernetes.Import("rbac.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []render.Principal{
		{Identity: spec.Identity{Name: "bot", Type: "service-account", Platform: "kubernetes"}, Entitlements: []spec.Entitlement{
			{Actions: []string{"get", "list"}, Resources: []string{"ci/pods"}},
			{Actions: []string{"patch"}, Resources: []string{"ci/deployments/web"}},
		}},
		{Identity: spec.Identity{Name: "tools/other", Type: "service-account", Platform: "kubernetes"}, Entitlements: []spec.Entitlement{
			{Actions: []string{"get", "list"}, Resources: []string{"ci/pods"}},
		}},
	}
	if diff := cmp.Diff(want, ps); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Import reads untrusted files: it never panics, stays in its bounds, and
// what it imports of a ServiceAccount renders.
func FuzzImport(f *testing.F) {
	f.Add([]byte("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules:\n- {apiGroups: [''], resources: [pods], verbs: [get]}\n"))
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r","namespace":"a"},"rules":[{"apiGroups":["apps"],"resources":["deployments/scale"],"resourceNames":["x"],"verbs":["*"]}]}]}`))
	f.Add([]byte("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: ClusterRole, name: r}\nsubjects: [{kind: ServiceAccount, name: s, namespace: n}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: [{nonResourceURLs: ['*'], verbs: ['*']}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := kubernetes.Import("fuzz.yaml", data)
		if err != nil {
			return
		}
		for _, p := range ps {
			if p.Identity.Type != "service-account" {
				continue
			}
			w := workflow("service-account", p.Identity.Name, time.Hour, p.Entitlements...)
			if _, err := kubernetes.Render(w); err != nil {
				t.Fatalf("imported %+v but does not render: %v", p, err)
			}
		}
	})
}

// Every resource form the policy catalog rates for Kubernetes renders, and
// imports back to itself: the catalog and render read one grammar.
func TestCatalogForms(t *testing.T) {
	data := readFile(t, "../../policies/data/nhigate/catalog/catalog.json")
	var cat struct {
		Platforms map[string]struct {
			Types  map[string][]string `json:"types"`
			Grants []struct {
				Scopes []string `json:"scopes"`
			} `json:"grants"`
		} `json:"platforms"`
	}
	if err := json.Unmarshal(data, &cat); err != nil {
		t.Fatal(err)
	}
	k := cat.Platforms["kubernetes"]
	forms := slices.Clone(k.Types[""])
	for _, g := range k.Grants {
		forms = append(forms, g.Scopes...)
	}
	if len(forms) < 40 {
		t.Fatalf("%d forms in the catalog", len(forms))
	}
	fill := strings.NewReplacer("${Namespace}", "payments", "${Name}", "x1", "${Extra}", "scopes")
	for _, f := range forms {
		r := fill.Replace(f)
		w := workflow("service-account", "ci/bot", time.Hour, ent([]string{"get"}, []string{r}))
		files, err := kubernetes.Render(w)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		ps, err := kubernetes.Import("rbac.yaml", rbacFile(t, files).Data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if got := ps[0].Entitlements[0].Resources; !slices.Equal(got, []string{r}) {
			t.Errorf("%s: imported back as %v", r, got)
		}
	}
}

// Package kubernetes renders a spec into a ServiceAccount, RBAC Roles and
// bindings and a TokenRequest, and imports RBAC manifests (Roles,
// ClusterRoles and their bindings) back into specs.
//
// The mapping is written down in docs/RENDER.md, section "Kubernetes".
package kubernetes

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/spec"
)

// Target renders the specs of platform kubernetes.
var Target = render.Target{
	Name:     "kubernetes",
	Platform: "kubernetes",
	Summary:  "a ServiceAccount, Roles or a ClusterRole with their bindings, and a TokenRequest of credential.ttl",
	Render:   Render,
}

// Source imports Kubernetes RBAC manifests.
var Source = render.Source{
	Name:     "kubernetes-rbac",
	Platform: "kubernetes",
	Summary:  "RBAC manifests: Roles, ClusterRoles and their bindings, YAML or JSON, multi-document or a List",
	Import:   Import,
}

// The annotations every rendered object carries, and the labels that let
// the sweep find them.
const (
	AnnotationSpec    = "nhigate.dev/spec"
	AnnotationOwner   = "nhigate.dev/owner"
	AnnotationExpires = "nhigate.dev/expires-at"
	LabelSpec         = "nhigate.dev/spec"
	LabelManagedBy    = "app.kubernetes.io/managed-by"
)

// MinTokenTTL is the shortest token a TokenRequest may ask for
// (expirationSeconds, TokenRequestSpec).
const MinTokenTTL = 10 * time.Minute

// RolePrefix leads the name of every Role, ClusterRole and binding.
const RolePrefix = "nhigate:"

// subjectKinds are the identity types render binds, and how.
var (
	serviceAccountTypes = []string{"service-account", "workload-identity", "token"}
	userTypes           = []string{"certificate"}
)

// grant is one verb on one target.
type grant struct {
	t    target
	verb string
}

// Render returns the manifests of w.
func Render(w *spec.Workflow) ([]render.File, error) {
	var errs render.Errors
	s := w.Spec
	if s.Credential.Kind == "static" {
		errs = append(errs, render.Fieldf("spec.credential.kind", "render issues only short-lived tokens (TokenRequest) and bindings for certificates; a static credential has no place: write kind: ephemeral"))
	}
	ttl := s.Credential.TTL.Duration
	switch {
	case !s.Credential.TTL.IsSet():
		errs = append(errs, render.Fieldf("spec.credential.ttl", "a token's lifetime is required: write a ttl of at least %s", formatTTL(MinTokenTTL)))
	case ttl < MinTokenTTL:
		errs = append(errs, render.Fieldf("spec.credential.ttl", "%s is below Kubernetes' shortest token (expirationSeconds %d): write at least %q", s.Credential.TTL.Text, int(MinTokenTTL/time.Second), formatTTL(MinTokenTTL)))
	case ttl%time.Second != 0:
		errs = append(errs, render.Fieldf("spec.credential.ttl", "expirationSeconds counts whole seconds: write %s", ttl.Truncate(time.Second)))
	}

	var grants []grant
	for i, e := range s.Entitlements {
		for _, k := range slices.Sorted(maps.Keys(e.Conditions)) {
			errs = append(errs, render.Fieldf(render.ConditionField(i, k), "RBAC has no conditions: a rule grants its verbs on its resources whenever it applies; leave the condition out, or grant less"))
		}
		var ts []target
		urls := false
		for j, r := range e.Resources {
			t, msg := parse(r)
			if msg != "" {
				errs = append(errs, render.Fieldf(render.ResourceField(i, j), "%s", msg))
				continue
			}
			urls = urls || t.url != ""
			ts = append(ts, t)
		}
		for j, a := range e.Actions {
			if msg := checkVerb(a, urls); msg != "" {
				errs = append(errs, render.Fieldf(render.ActionField(i, j), "%s", msg))
				continue
			}
			for _, t := range ts {
				grants = append(grants, grant{t, a})
			}
		}
	}

	if len(grants) == 0 && len(errs) == 0 {
		errs = append(errs, render.Fieldf("spec.entitlements", "nothing to grant: write at least one action on one resource"))
	}

	// The subject: a ServiceAccount, or a User for a certificate.
	id := s.Identity
	var subject rbacv1.Subject
	saNS, saName, hasNS := strings.Cut(id.Name, "/")
	if !hasNS {
		saNS, saName = "", id.Name
	}
	switch {
	case slices.Contains(serviceAccountTypes, id.Type):
		if errs2 := validation.IsDNS1123Subdomain(saName); len(errs2) > 0 {
			errs = append(errs, render.Fieldf("spec.identity.name", "%q cannot name a ServiceAccount (%s): write [namespace/]name in lower case", saName, errs2[0]))
			break
		}
		if hasNS {
			if errs2 := validation.IsDNS1123Label(saNS); len(errs2) > 0 {
				errs = append(errs, render.Fieldf("spec.identity.name", "%q is not a namespace (%s): write namespace/name", saNS, errs2[0]))
				break
			}
		} else {
			nss := namespaces(grants)
			if len(nss) != 1 {
				what := "no namespace"
				if len(nss) > 1 {
					what = "namespaces " + strings.Join(nss, ", ")
				}
				errs = append(errs, render.Fieldf("spec.identity.name", "a ServiceAccount lives in one namespace, and the resources name %s: write the identity as namespace/name, e.g. %q", what, "ci/"+saName))
				break
			}
			saNS = nss[0]
		}
		subject = rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: saName, Namespace: saNS}
	case slices.Contains(userTypes, id.Type):
		if id.Name == "" {
			break
		}
		subject = rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: id.Name}
	default:
		errs = append(errs, render.Fieldf("spec.identity.type", "Kubernetes authenticates a ServiceAccount (types %s) or a user by its certificate (type certificate), not a %s", strings.Join(serviceAccountTypes, ", "), id.Type))
	}
	if len(errs) > 0 {
		return nil, errs
	}

	meta := func(name, ns string) metav1.ObjectMeta {
		m := metav1.ObjectMeta{Name: name, Namespace: ns,
			Labels:      map[string]string{LabelManagedBy: "nhigate", LabelSpec: w.Metadata.Name},
			Annotations: map[string]string{AnnotationSpec: w.Metadata.Name}}
		if w.Metadata.Owner != "" {
			m.Annotations[AnnotationOwner] = w.Metadata.Owner
		}
		if s.ExpiresAt.IsSet() {
			m.Annotations[AnnotationExpires] = s.ExpiresAt.UTC().Format(time.RFC3339)
		}
		return m
	}
	roleName := RolePrefix + w.Metadata.Name

	var docs []any
	byNS := map[string][]grant{}
	for _, g := range grants {
		byNS[g.t.ns] = append(byNS[g.t.ns], g)
	}
	for _, ns := range slices.Sorted(maps.Keys(byNS)) {
		rules := rulesOf(byNS[ns])
		if ns == "" {
			docs = append(docs,
				&rbacv1.ClusterRole{TypeMeta: typeMeta(rbacv1.SchemeGroupVersion.String(), "ClusterRole"), ObjectMeta: meta(roleName, ""), Rules: rules},
				&rbacv1.ClusterRoleBinding{TypeMeta: typeMeta(rbacv1.SchemeGroupVersion.String(), "ClusterRoleBinding"), ObjectMeta: meta(roleName, ""),
					Subjects: []rbacv1.Subject{subject}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: roleName}})
			continue
		}
		docs = append(docs,
			&rbacv1.Role{TypeMeta: typeMeta(rbacv1.SchemeGroupVersion.String(), "Role"), ObjectMeta: meta(roleName, ns), Rules: rules},
			&rbacv1.RoleBinding{TypeMeta: typeMeta(rbacv1.SchemeGroupVersion.String(), "RoleBinding"), ObjectMeta: meta(roleName, ns),
				Subjects: []rbacv1.Subject{subject}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: roleName}})
	}
	// Cluster-wide objects first, then the namespaces in order.
	rbac, err := marshalAll(docs)
	if err != nil {
		return nil, err
	}
	var files []render.File
	if subject.Kind == rbacv1.ServiceAccountKind {
		sa, err := marshalAll([]any{&corev1.ServiceAccount{TypeMeta: typeMeta("v1", "ServiceAccount"), ObjectMeta: meta(subject.Name, subject.Namespace)}})
		if err != nil {
			return nil, err
		}
		secs := int64(ttl / time.Second)
		tr, err := marshalAll([]any{&authnv1.TokenRequest{TypeMeta: typeMeta(authnv1.SchemeGroupVersion.String(), "TokenRequest"),
			ObjectMeta: meta(subject.Name, subject.Namespace),
			Spec:       authnv1.TokenRequestSpec{Audiences: []string{}, ExpirationSeconds: &secs}}})
		if err != nil {
			return nil, err
		}
		files = append(files, render.File{Name: render.Join(w, "serviceaccount.yaml"), Data: sa})
		files = append(files, render.File{Name: render.Join(w, "rbac.yaml"), Data: rbac})
		files = append(files, render.File{Name: render.Join(w, "tokenrequest.yaml"), Data: tr})
		return files, nil
	}
	return []render.File{{Name: render.Join(w, "rbac.yaml"), Data: rbac}}, nil
}

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

// namespaces are the namespaces the grants name, sorted.
func namespaces(gs []grant) []string {
	set := map[string]bool{}
	for _, g := range gs {
		if g.t.ns != "" {
			set[g.t.ns] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// rulesOf writes grants of one namespace as few rules, deterministically:
// the verbs of each (group, resource, name) are gathered, and the
// resources that share a group, a verb set and a name share a rule.
func rulesOf(gs []grant) []rbacv1.PolicyRule {
	type obj struct{ group, resource, name, url string }
	verbs := map[obj]map[string]bool{}
	for _, g := range gs {
		o := obj{g.t.group, g.t.rbacResource(), g.t.name, g.t.url}
		if verbs[o] == nil {
			verbs[o] = map[string]bool{}
		}
		verbs[o][g.verb] = true
	}
	type key struct{ group, verbs, name string }
	resources := map[key][]string{}
	urls := map[string][]string{}
	for o, vs := range verbs {
		v := verbList(vs)
		if o.url != "" {
			urls[strings.Join(v, ",")] = append(urls[strings.Join(v, ",")], o.url)
			continue
		}
		k := key{o.group, strings.Join(v, ","), o.name}
		resources[k] = append(resources[k], o.resource)
	}
	var rules []rbacv1.PolicyRule
	for _, k := range slices.SortedFunc(maps.Keys(resources), func(a, b key) int {
		return cmpStrings([]string{a.group, a.name, a.verbs}, []string{b.group, b.name, b.verbs})
	}) {
		r := rbacv1.PolicyRule{APIGroups: []string{k.group}, Resources: slices.Sorted(slices.Values(resources[k])), Verbs: strings.Split(k.verbs, ",")}
		if k.name != "" {
			r.ResourceNames = []string{k.name}
		}
		rules = append(rules, r)
	}
	for _, v := range slices.Sorted(maps.Keys(urls)) {
		rules = append(rules, rbacv1.PolicyRule{NonResourceURLs: slices.Sorted(slices.Values(urls[v])), Verbs: strings.Split(v, ",")})
	}
	return rules
}

// verbList is a verb set as a rule lists it: ["*"] when it has "*".
func verbList(vs map[string]bool) []string {
	if vs["*"] {
		return []string{"*"}
	}
	return slices.Sorted(maps.Keys(vs))
}

func cmpStrings(a, b []string) int {
	for i := range a {
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

// marshalAll writes objects as YAML documents, "---" between them.
func marshalAll(objs []any) ([]byte, error) {
	var b bytes.Buffer
	for i, o := range objs {
		if i > 0 {
			b.WriteString("---\n")
		}
		y, err := yaml.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("marshal %T: %w", o, err)
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}

// formatTTL writes d as a spec writes it.
func formatTTL(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

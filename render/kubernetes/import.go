package kubernetes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/spec"
)

// The bounds of one imported file.
const (
	MaxFileBytes = 4 << 20
	MaxObjects   = 5000
	MaxRules     = 20000
	// MaxGrants bounds the (group, resource, name) triples the rules of a
	// file expand to, since a rule is the product of its lists.
	MaxGrants = 200000
	// MaxAggregation bounds how deep aggregated ClusterRoles nest, and
	// MaxSelections how many (selector, ClusterRole) pairs aggregation may
	// test in one file.
	MaxAggregation = 16
	MaxSelections  = 1_000_000
)

// decoder reads the RBAC kinds, and v1 Lists of them, strictly: an unknown
// or duplicated field is an error, as with kubectl --validate=strict.
var decoder = func() runtime.Decoder {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{rbacv1.AddToScheme, corev1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
}()

type importer struct {
	file         string
	clusterRoles map[string]*rbacv1.ClusterRole
	roles        map[string]*rbacv1.Role // "namespace/name"
	roleBindings []*rbacv1.RoleBinding
	crBindings   []*rbacv1.ClusterRoleBinding
	bound        map[string]bool // "ClusterRole/name", "Role/ns/name"
	// aggregated memoizes the rules of aggregated ClusterRoles, so that
	// each is resolved once, whatever the nesting.
	aggregated map[string][]rbacv1.PolicyRule
	crNames    []string // sorted
	selections int
	objects    int
	rules      int
	grants     int
	errs       []string
}

type principalKey struct{ kind, ns, name string }

// Import reads RBAC manifests (YAML or JSON; several documents, or a v1
// List) and returns one principal per ServiceAccount or User that a
// binding in the file names, with the rules of the role it binds, and one
// per role that no binding in the file names, named after the role.
func Import(file string, data []byte) ([]render.Principal, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a manifest file may have here", file, len(data), MaxFileBytes)
	}
	im := &importer{file: file, clusterRoles: map[string]*rbacv1.ClusterRole{}, roles: map[string]*rbacv1.Role{},
		bound: map[string]bool{}, aggregated: map[string][]rbacv1.PolicyRule{}}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for doc := 0; ; doc++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("%s: document %d: %v", file, doc, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
			continue
		}
		if err := im.add(fmt.Sprintf("document %d", doc), raw, true); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	im.crNames = slices.Sorted(maps.Keys(im.clusterRoles))
	ps := im.principals()
	if len(im.errs) > 0 {
		return nil, fmt.Errorf("%s: cannot import: %s", file, joinProblems(im.errs))
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("%s: no Role, ClusterRole or binding grants anything", file)
	}
	return ps, nil
}

// add decodes one object; a List's items are objects too, one level deep.
func (im *importer) add(where string, raw []byte, listOK bool) error {
	im.objects++
	if im.objects > MaxObjects {
		return fmt.Errorf("more than %d objects", MaxObjects)
	}
	obj, gvk, err := decoder.Decode(raw, nil, nil)
	if err != nil {
		return fmt.Errorf("%s: %v (import reads rbac.authorization.k8s.io/v1 Roles, ClusterRoles and their bindings)", where, err)
	}
	switch o := obj.(type) {
	case *corev1.List:
		if !listOK {
			return fmt.Errorf("%s: a List inside a List", where)
		}
		for i, it := range o.Items {
			if err := im.add(fmt.Sprintf("%s items[%d]", where, i), it.Raw, false); err != nil {
				return err
			}
		}
	case *rbacv1.ClusterRole:
		if im.clusterRoles[o.Name] != nil {
			return fmt.Errorf("%s: ClusterRole %s twice", where, o.Name)
		}
		im.clusterRoles[o.Name] = o
		im.rules += len(o.Rules)
	case *rbacv1.Role:
		k := o.Namespace + "/" + o.Name
		if o.Namespace == "" {
			return fmt.Errorf("%s: Role %s has no namespace: write metadata.namespace", where, o.Name)
		}
		if im.roles[k] != nil {
			return fmt.Errorf("%s: Role %s twice", where, k)
		}
		im.roles[k] = o
		im.rules += len(o.Rules)
	case *rbacv1.RoleBinding:
		if o.Namespace == "" {
			return fmt.Errorf("%s: RoleBinding %s has no namespace: write metadata.namespace", where, o.Name)
		}
		im.roleBindings = append(im.roleBindings, o)
	case *rbacv1.ClusterRoleBinding:
		im.crBindings = append(im.crBindings, o)
	case *corev1.ServiceAccount:
		// A ServiceAccount grants nothing by itself; its bindings do.
	default:
		return fmt.Errorf("%s: %s is not RBAC: import reads Roles, ClusterRoles, RoleBindings and ClusterRoleBindings", where, gvk.Kind)
	}
	if im.rules > MaxRules {
		return fmt.Errorf("more than %d rules", MaxRules)
	}
	return nil
}

func (im *importer) fail(format string, args ...any) {
	im.errs = append(im.errs, fmt.Sprintf(format, args...))
}

// clusterRules returns the rules of ClusterRole name, with its aggregation
// resolved within the file, as the aggregation controller would: the
// union of the rules of the ClusterRoles its selectors match.
func (im *importer) clusterRules(name string, path []string) ([]rbacv1.PolicyRule, bool) {
	cr := im.clusterRoles[name]
	if cr.AggregationRule == nil {
		return cr.Rules, true
	}
	if r, ok := im.aggregated[name]; ok {
		return r, r != nil // nil: it failed, and said so
	}
	if len(path) >= MaxAggregation || slices.Contains(path, name) {
		im.fail("ClusterRole %s: its aggregation nests deeper than %d or in a cycle (%s)", name, MaxAggregation, strings.Join(append(path, name), " -> "))
		return nil, false
	}
	var rules []rbacv1.PolicyRule
	for i, s := range cr.AggregationRule.ClusterRoleSelectors {
		sel, err := metav1.LabelSelectorAsSelector(&s)
		if err != nil {
			im.fail("ClusterRole %s: aggregationRule.clusterRoleSelectors[%d]: %v", name, i, err)
			im.aggregated[name] = nil
			return nil, false
		}
		for _, other := range im.crNames {
			im.selections++
			if im.selections > MaxSelections {
				im.fail("ClusterRole %s: aggregation tests more than %d (selector, ClusterRole) pairs in this file", name, MaxSelections)
				im.aggregated[name] = nil
				return nil, false
			}
			if other == name || !sel.Matches(labels.Set(im.clusterRoles[other].Labels)) {
				continue
			}
			r, ok := im.clusterRules(other, slices.Concat(path, []string{name}))
			if !ok {
				im.aggregated[name] = nil
				return nil, false
			}
			rules = append(rules, r...)
			if len(rules) > MaxRules {
				im.fail("ClusterRole %s aggregates more than %d rules", name, MaxRules)
				im.aggregated[name] = nil
				return nil, false
			}
		}
	}
	if rules == nil {
		rules = []rbacv1.PolicyRule{}
	}
	im.aggregated[name] = rules
	return rules, true
}

func (im *importer) principals() []render.Principal {
	acc := map[principalKey][]spec.Entitlement{}
	var order []principalKey
	grant := func(k principalKey, es []spec.Entitlement) {
		if _, ok := acc[k]; !ok {
			order = append(order, k)
		}
		acc[k] = append(acc[k], es...)
	}
	bind := func(where, ns string, ref rbacv1.RoleRef, subjects []rbacv1.Subject) {
		var rules []rbacv1.PolicyRule
		switch {
		case ref.Kind == "ClusterRole" && im.clusterRoles[ref.Name] != nil:
			im.bound["ClusterRole/"+ref.Name] = true
			r, ok := im.clusterRules(ref.Name, nil)
			if !ok {
				return
			}
			rules = r
		case ref.Kind == "Role" && ns != "" && im.roles[ns+"/"+ref.Name] != nil:
			im.bound["Role/"+ns+"/"+ref.Name] = true
			rules = im.roles[ns+"/"+ref.Name].Rules
		default:
			im.fail("%s: roleRef %s %s is not in this file: import the role with its binding (several documents in one file, or a List)", where, ref.Kind, ref.Name)
			return
		}
		es := im.entitlements(where+" ("+ref.Kind+" "+ref.Name+")", ns, rules)
		for i, s := range subjects {
			switch s.Kind {
			case rbacv1.ServiceAccountKind:
				sns := s.Namespace
				if sns == "" {
					im.fail("%s: subjects[%d]: ServiceAccount %s has no namespace", where, i, s.Name)
					continue
				}
				grant(principalKey{"sa", sns, s.Name}, es)
			case rbacv1.UserKind:
				grant(principalKey{"user", "", s.Name}, es)
			default:
				im.fail("%s: subjects[%d]: %s %q is not one identity: a spec grants one ServiceAccount or user; bind the members one by one", where, i, s.Kind, s.Name)
			}
		}
	}
	for _, b := range im.roleBindings {
		bind(fmt.Sprintf("RoleBinding %s/%s", b.Namespace, b.Name), b.Namespace, b.RoleRef, b.Subjects)
	}
	for _, b := range im.crBindings {
		if b.RoleRef.Kind != "ClusterRole" {
			im.fail("ClusterRoleBinding %s: roleRef kind %s: a ClusterRoleBinding binds a ClusterRole", b.Name, b.RoleRef.Kind)
			continue
		}
		bind("ClusterRoleBinding "+b.Name, "", b.RoleRef, b.Subjects)
	}
	// A role no binding names is a principal of its own, named after it.
	for _, name := range slices.Sorted(maps.Keys(im.clusterRoles)) {
		if im.bound["ClusterRole/"+name] {
			continue
		}
		if rules, ok := im.clusterRules(name, nil); ok {
			grant(principalKey{"role", "", name}, im.entitlements("ClusterRole "+name, "", rules))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(im.roles)) {
		r := im.roles[k]
		if im.bound["Role/"+k] {
			continue
		}
		grant(principalKey{"role", r.Namespace, r.Name}, im.entitlements("Role "+k, r.Namespace, r.Rules))
	}

	var ps []render.Principal
	seen := map[string]principalKey{}
	for _, k := range order {
		es := acc[k]
		if len(es) == 0 {
			continue // grants nothing
		}
		id := spec.Identity{Name: k.name, Platform: "kubernetes"}
		if k.kind == "sa" {
			id.Type = "service-account"
			if nss := entNamespaces(es); len(nss) != 1 || nss[0] != k.ns {
				id.Name = k.ns + "/" + k.name
			}
		}
		if prev, dup := seen[id.Name]; dup {
			im.fail("%s %s and %s %s would both be the principal %q: import them from separate files", prev.kind, prev.name, k.kind, k.name, id.Name)
			continue
		}
		seen[id.Name] = k
		ps = append(ps, render.Principal{Identity: id, Entitlements: es})
	}
	slices.SortFunc(ps, func(a, b render.Principal) int { return strings.Compare(a.Identity.Name, b.Identity.Name) })
	return ps
}

// entNamespaces are the namespaces the entitlements name.
func entNamespaces(es []spec.Entitlement) []string {
	set := map[string]bool{}
	for _, e := range es {
		for _, r := range e.Resources {
			if t, msg := parse(r); msg == "" && t.ns != "" {
				set[t.ns] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// entitlements turns the rules of a role, as bound in namespace ns ("" for
// a ClusterRoleBinding), into one entitlement per rule: a rule grants each
// of its verbs on each of its groups, resources and names.
func (im *importer) entitlements(where, ns string, rules []rbacv1.PolicyRule) []spec.Entitlement {
	var out []spec.Entitlement
	for ri, r := range rules {
		w := fmt.Sprintf("%s rules[%d]", where, ri)
		im.grants += 1 + len(r.NonResourceURLs)
		if im.grants > MaxGrants {
			im.fail("%s: the rules expand to more than %d (group, resource, name) grants", where, MaxGrants)
			return nil
		}
		if len(r.Verbs) == 0 {
			continue // grants nothing
		}
		url := len(r.NonResourceURLs) > 0
		if url && (len(r.Resources) > 0 || len(r.APIGroups) > 0) {
			im.fail("%s: a rule is for resources or for non-resource URLs, not both", w)
			continue
		}
		verbs := map[string]bool{}
		bad := false
		for _, v := range r.Verbs {
			if msg := checkVerb(v, url); msg != "" {
				im.fail("%s: verb %q: %s", w, v, msg)
				bad = true
			}
			verbs[v] = true
		}
		if bad {
			continue
		}
		var ts []target
		if url {
			if ns != "" {
				continue // a RoleBinding grants no non-resource URL
			}
			for _, u := range r.NonResourceURLs {
				if u == "*" {
					u = "/*" // every URL starts with "/"
				}
				if !strings.HasPrefix(u, "/") {
					im.fail("%s: non-resource URL %q does not start with '/'", w, u)
					continue
				}
				t, msg := parseURL(u)
				if msg != "" {
					im.fail("%s: %s", w, msg)
					continue
				}
				ts = append(ts, t)
			}
		} else {
			im.grants += len(r.APIGroups) * len(r.Resources) * max(1, len(r.ResourceNames))
			if im.grants > MaxGrants {
				im.fail("%s: the rules expand to more than %d (group, resource, name) grants", where, MaxGrants)
				return nil
			}
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					names := r.ResourceNames
					if len(names) == 0 {
						names = []string{""}
					}
					for _, n := range names {
						t, ok := im.target(w, ns, g, res, n)
						if ok {
							ts = append(ts, t)
						}
					}
				}
			}
		}
		var resources []string
		for _, t := range ts {
			if s := t.String(); !slices.Contains(resources, s) {
				resources = append(resources, s)
			}
		}
		if len(resources) == 0 {
			continue
		}
		out = append(out, spec.Entitlement{Actions: verbList(verbs), Resources: resources})
	}
	return out
}

// target is one (group, resource, name) of a rule bound in ns, written so
// that parse reads it back the same; ok is false when it is refused or
// grants nothing.
func (im *importer) target(w, ns, group, res, name string) (target, bool) {
	where := fmt.Sprintf("%s: %q in group %q", w, res, group)
	switch {
	case res == "*" && group != "*":
		im.fail("%s: every resource of one API group has no spec form: list the group's resources", where)
		return target{}, false
	case res == "*" && name != "":
		im.fail("%s: resourceNames on every resource has no spec form", where)
		return target{}, false
	case res == "*":
		return target{ns: ns, group: "*", resource: "*"}, true
	case group == "*":
		im.fail("%s: a resource in every API group has no spec form: list the groups", where)
		return target{}, false
	}
	plural, sub, _ := strings.Cut(res, "/")
	if plural == "*" {
		im.fail("%s: */%s (a subresource of every resource) has no spec form: list the resources", where, sub)
		return target{}, false
	}
	b, known := builtins[plural]
	if group == "" && !(known && b.group == "") {
		im.fail("%s: not a built-in resource of the core group, and a core resource cannot be written plural.group", where)
		return target{}, false
	}
	if ns != "" && known && b.group == group && !b.namespaced {
		return target{}, false // cluster-scoped: a RoleBinding grants none of it
	}
	if strings.Contains(name, "/") {
		im.fail("%s: resourceNames %q holds a '/', which a spec resource cannot carry", where, name)
		return target{}, false
	}
	t := target{ns: ns, group: group, resource: plural, sub: sub, name: name}
	back, msg := parse(t.String())
	if msg != "" {
		im.fail("%s: %s", where, msg)
		return target{}, false
	}
	if back != t {
		im.fail("%s: written %q, which reads back as another resource (a name spelled like a subresource?)", where, t.String())
		return target{}, false
	}
	return t, true
}

// MaxProblems is how many refusals one error lists; the rest are counted.
const MaxProblems = 20

// joinProblems lists the first MaxProblems refusals and counts the rest.
func joinProblems(ps []string) string {
	if len(ps) <= MaxProblems {
		return strings.Join(ps, "; ")
	}
	return strings.Join(ps[:MaxProblems], "; ") + fmt.Sprintf("; and %d more", len(ps)-MaxProblems)
}

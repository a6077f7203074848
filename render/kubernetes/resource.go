package kubernetes

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/util/validation"
)

// target is what one spec resource names in RBAC terms.
type target struct {
	// ns is the namespace; "" is every namespace, or a cluster-scoped
	// resource, or a non-resource URL.
	ns string
	// url is a non-resource URL ("/healthz", "/apis/*"); the other fields
	// are then empty.
	url string
	// group and resource are the RBAC apiGroup and resource ("*" and "*"
	// for every resource); sub is the subresource and name the object.
	group, resource, sub, name string
}

// rbacResource is the resource as a PolicyRule lists it.
func (t target) rbacResource() string {
	if t.sub != "" {
		return t.resource + "/" + t.sub
	}
	return t.resource
}

// String writes t as a spec resource, the one form parse reads back to t.
func (t target) String() string {
	if t.url != "" {
		return t.url
	}
	var segs []string
	if t.ns != "" {
		segs = append(segs, t.ns)
	}
	res := t.resource
	if b, ok := builtins[t.resource]; !ok || b.group != t.group {
		if t.resource != "*" {
			res += "." + t.group
		}
	}
	segs = append(segs, res)
	if t.sub != "" {
		segs = append(segs, t.sub)
	}
	if t.name != "" {
		segs = append(segs, t.name)
	}
	return strings.Join(segs, "/")
}

// subresources are the subresources of plural, as parse tells them from
// names.
func subresources(plural string, custom bool) []string {
	if b, ok := builtins[plural]; ok {
		return b.subs
	}
	if custom {
		return customSubs
	}
	return nil
}

// parse reads a spec resource:
//
//	NAMESPACE/RESOURCE[/SUBRESOURCE][/NAME]   in one namespace
//	RESOURCE[/SUBRESOURCE][/NAME]             in every namespace, or cluster-scoped
//	NAMESPACE/*  and  *                       every resource
//	/URL                                      a non-resource URL
//
// RESOURCE is a built-in plural ("deployments") or, for any other
// resource, PLURAL.GROUP ("widgets.example.com", "events.events.k8s.io").
// The first segment is a resource when it is a built-in plural or has a
// dot (a namespace has neither), and a namespace otherwise. It returns
// what is wrong, and what to write instead, when the resource cannot be
// rendered as written.
func parse(r string) (target, string) {
	if strings.HasPrefix(r, "/") {
		return parseURL(r)
	}
	if r == "*" {
		return target{group: "*", resource: "*"}, ""
	}
	if strings.Contains(r, "?") {
		return target{}, fmt.Sprintf("%q: RBAC has no '?' wildcard; name the resource", r)
	}
	segs := strings.Split(r, "/")
	if slices.Contains(segs, "") {
		return target{}, fmt.Sprintf("%q has an empty segment: write namespace/resource[/subresource][/name]", r)
	}
	var t target
	if !isResource(segs[0]) {
		if segs[0] == "*" {
			return target{}, fmt.Sprintf("%q: a grant in every namespace is written without one: write %q", r, strings.Join(segs[1:], "/"))
		}
		if strings.Contains(segs[0], "*") {
			return target{}, fmt.Sprintf("%q: RBAC cannot match namespaces by pattern; name the namespace", r)
		}
		if errs := validation.IsDNS1123Label(segs[0]); len(errs) > 0 {
			return target{}, fmt.Sprintf("%q: %q is neither a known resource nor a namespace (%s); a custom resource is written plural.group, e.g. %q", r, segs[0], errs[0], "payments/widgets.example.com")
		}
		t.ns, segs = segs[0], segs[1:]
		if len(segs) == 0 {
			return target{}, fmt.Sprintf("%q names a namespace and no resource: write %q for every resource in it, or %q", r, r+"/*", r+"/configmaps")
		}
	}
	if segs[0] == "*" {
		if len(segs) > 1 {
			return target{}, fmt.Sprintf("%q: RBAC matches a subresource of every resource only as */SUB, which nhigate cannot review as written; list the resources", r)
		}
		return target{ns: t.ns, group: "*", resource: "*"}, ""
	}
	if strings.Contains(r, "*") {
		return target{}, fmt.Sprintf("%q: RBAC has only '*' for a whole field (every resource, \"*\" or \"NAMESPACE/*\"); a pattern cannot be expressed: list the resources or names", r)
	}
	plural, group, custom := segs[0], "", strings.Contains(segs[0], ".")
	if custom {
		var msg string
		if plural, group, msg = customResource(segs[0]); msg != "" {
			return target{}, fmt.Sprintf("%q: %s", r, msg)
		}
		if b, ok := builtins[plural]; ok && b.group == group {
			return target{}, fmt.Sprintf("%q: %s is the built-in %s: write %q", r, segs[0], plural, strings.Replace(r, segs[0], plural, 1))
		}
	} else {
		b, ok := builtins[plural]
		if !ok {
			return target{}, fmt.Sprintf("%q: %q is not a built-in resource; write a custom resource with its group, as plural.group (e.g. %q)", r, plural, "widgets.example.com")
		}
		group = b.group
		if t.ns != "" && !b.namespaced {
			return target{}, fmt.Sprintf("%q: %s are cluster-scoped, in no namespace: write %q", r, plural, strings.Join(segs, "/"))
		}
	}
	t.group, t.resource = group, plural
	rest := segs[1:]
	if len(rest) > 0 && (plural == "userextras" && !custom || slices.Contains(subresources(plural, custom), rest[0])) {
		t.sub, rest = rest[0], rest[1:]
	}
	switch len(rest) {
	case 0:
	case 1:
		t.name = rest[0]
		if msg := path.IsValidPathSegmentName(t.name); len(msg) > 0 {
			return target{}, fmt.Sprintf("%q: %q cannot name an object (%s)", r, t.name, msg[0])
		}
	default:
		return target{}, fmt.Sprintf("%q: after the resource come at most a subresource and a name, and names hold no '/'", r)
	}
	// A namespace spelled like a resource: "pods/deployments" would read as
	// the pod "deployments" in every namespace; the writer may have meant
	// the deployments of namespace "pods". Say which cannot be told.
	if t.ns == "" && t.sub == "" && t.name != "" && len(segs) == 2 && namespacedResource(t.name) {
		return target{}, fmt.Sprintf("%q is ambiguous: the %s named %q in every namespace, or the %s of namespace %q; a namespace named like a resource cannot be written here", r, plural, t.name, t.name, plural)
	}
	return t, ""
}

// isResource reports whether a first segment is a resource, not a
// namespace: a built-in plural, or a name with a dot (namespaces have none).
func isResource(s string) bool {
	_, ok := builtins[s]
	return ok || strings.Contains(s, ".")
}

// customResource splits PLURAL.GROUP, or says what is wrong with it.
func customResource(s string) (plural, group, msg string) {
	plural, group, _ = strings.Cut(s, ".")
	if errs := validation.IsDNS1123Label(plural); len(errs) > 0 {
		return "", "", fmt.Sprintf("%q is not a resource's plural name (%s)", plural, errs[0])
	}
	if errs := validation.IsDNS1123Subdomain(group); len(errs) > 0 || !strings.Contains(group, ".") && !slices.Contains(dotlessGroups, group) {
		return "", "", fmt.Sprintf("%q is not an API group; write plural.group, e.g. %q", group, "widgets.example.com")
	}
	return plural, group, ""
}

// dotlessGroups are the built-in API groups without a dot; any other
// group has one (a CRD's group must).
var dotlessGroups = []string{"apps", "autoscaling", "batch", "extensions", "policy"}

// namespacedResource reports whether s could be the resource of a
// namespace: a namespaced built-in, or a custom PLURAL.GROUP.
func namespacedResource(s string) bool {
	if b, ok := builtins[s]; ok {
		return b.namespaced
	}
	_, _, msg := customResource(s)
	return strings.Contains(s, ".") && msg == ""
}

// parseURL reads a non-resource URL. RBAC globs one only with a final '*'.
func parseURL(r string) (target, string) {
	switch {
	case strings.Contains(strings.TrimSuffix(r, "*"), "*"):
		return target{}, fmt.Sprintf("%q: RBAC globs a non-resource URL only with a final '*'", r)
	case strings.Contains(r, "?"):
		return target{}, fmt.Sprintf("%q: RBAC has no '?' wildcard", r)
	case strings.ContainsAny(r, " \t\n\r"):
		return target{}, fmt.Sprintf("%q: a URL holds no space", r)
	}
	return target{url: r}, ""
}

// urlVerbs are the verbs of a non-resource request: its HTTP method, in
// lower case.
var urlVerbs = []string{"get", "post", "put", "patch", "delete", "head", "options"}

// checkVerb says what is wrong with an RBAC verb, "" when nothing is.
func checkVerb(v string, url bool) string {
	switch {
	case v == "*":
		return ""
	case strings.ContainsAny(v, "*?"):
		return fmt.Sprintf("RBAC has only '*' for every verb; %q cannot be expressed: list the verbs", v)
	case url && !slices.Contains(urlVerbs, v):
		return fmt.Sprintf("a non-resource URL is authorized by its HTTP method: write one of %s", strings.Join(urlVerbs, ", "))
	case v == "" || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz") != "":
		return fmt.Sprintf("%q is not an RBAC verb: write it in lower-case letters, e.g. \"get\"", v)
	}
	return ""
}

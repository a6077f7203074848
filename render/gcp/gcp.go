// Package gcp renders a spec of platform gcp as Google Cloud IAM: a custom
// role holding the spec's permissions, and one IAM binding per resource for
// the service account, each with an IAM Condition that ends the access at
// the spec's expiresAt. It also imports IAM policies (Cloud Asset
// Inventory exports, search-all-iam-policies results, and what render
// writes) back into specs, one per service account.
package gcp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/spec"
)

// Target renders custom roles and conditional IAM bindings.
var Target = render.Target{
	Name:     "gcp",
	Platform: "gcp",
	Summary:  "custom role and IAM bindings for the service account, each ending at expiresAt by an IAM Condition",
	Render:   Render,
}

// Source imports IAM policies.
var Source = render.Source{
	Name:     "gcp-iam",
	Platform: "gcp",
	Summary:  "IAM policies as Cloud Asset Inventory exports or search-all-iam-policies results (one spec per service account)",
	Import:   Import,
	Skipped:  Skipped,
}

// Document is iam.json: everything render grants, in the shapes of the IAM
// API. Roles are IAM Role resources; each policy is a resource and its IAM
// Policy, as gcloud asset search-all-iam-policies writes them.
type Document struct {
	Roles    []Role         `json:"roles,omitempty"`
	Policies []PolicyResult `json:"policies"`
	Notes    []string       `json:"notes,omitempty"`
}

// Role is the IAM API's Role resource (iam.v1).
type Role struct {
	Name                string   `json:"name,omitempty"`
	Title               string   `json:"title"`
	Description         string   `json:"description"`
	IncludedPermissions []string `json:"includedPermissions"`
	Stage               string   `json:"stage"`
	Etag                string   `json:"etag,omitempty"`
	Deleted             bool     `json:"deleted,omitempty"`
	// GroupName and GroupTitle are in Cloud Asset Inventory's copy of a
	// role; they say nothing about what it grants.
	GroupName  string `json:"groupName,omitempty"`
	GroupTitle string `json:"groupTitle,omitempty"`
}

// PolicyResult is a resource with its policy, as the Cloud Asset API's
// IamPolicySearchResult names them.
type PolicyResult struct {
	Resource string `json:"resource"`
	Policy   Policy `json:"policy"`
}

// Policy is the IAM API's Policy (iam.v1). Version 3 is required for
// conditional bindings.
type Policy struct {
	Version      int             `json:"version,omitempty"`
	Bindings     []Binding       `json:"bindings,omitempty"`
	Etag         string          `json:"etag,omitempty"`
	AuditConfigs json.RawMessage `json:"auditConfigs,omitempty"`
}

// Binding is the IAM API's Binding.
type Binding struct {
	Role      string   `json:"role"`
	Members   []string `json:"members"`
	Condition *Expr    `json:"condition,omitempty"`
}

// Expr is google.type.Expr, an IAM Condition.
type Expr struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Expression  string `json:"expression"`
	Location    string `json:"location,omitempty"`
}

// The limits of the IAM API render keeps to.
const (
	maxTitle       = 100
	maxDescription = 256
	maxPermissions = 3000
)

// RolePrefix begins the ID of every custom role render defines; a spec
// cannot bind a role of that name by name.
const RolePrefix = "nhigate_"

// group is one canonical entitlement: the actions that are bound together
// (a role, or the permissions of one custom role) and where.
type group struct {
	actions   []string
	resources []string
	role      string // the custom role's ID, for permissions
}

func (g group) permissions() bool { return !isRole(g.actions[0]) }

func isRole(a string) bool {
	return strings.HasPrefix(a, "roles/") || strings.Contains(a, "/roles/")
}

// Render writes iam.json and, for each custom role, roles/ID.json for
// `gcloud iam roles create ID --project PROJECT --file roles/ID.json`.
func Render(w *spec.Workflow) ([]render.File, error) {
	var errs render.Errors
	s := w.Spec
	for i, e := range s.Entitlements {
		for _, k := range sortedKeys(e.Conditions) {
			errs = append(errs, render.Fieldf(render.ConditionField(i, k),
				"nhigate renders an IAM Condition for expiresAt and for object prefixes only; remove %q, or write it into a resource", k))
		}
		for j, a := range e.Actions {
			if err := checkAction(a); err != nil {
				errs = append(errs, render.Fieldf(render.ActionField(i, j), "%v", err))
			}
		}
		for j, r := range e.Resources {
			if err := checkResource(r); err != nil {
				errs = append(errs, render.Fieldf(render.ResourceField(i, j), "%v", err))
			}
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	groups := canonical(s.Entitlements)
	project := uniqueProject(groups)
	member, err := memberOf(s.Identity.Name, project)
	if err != nil {
		errs = append(errs, render.Fieldf("spec.identity.name", "%v", err))
	}
	rolesProject := project
	if rolesProject == "" {
		if m := userManagedRE.FindStringSubmatch(s.Identity.Name); m != nil {
			rolesProject = m[2]
		}
	}
	n := 0
	for _, g := range groups {
		if g.permissions() {
			n++
		}
	}
	// The role ID is RolePrefix, the spec's name with "-" as "_", and ".K"
	// for the K-th of several roles: a DNS label holds neither "_" nor
	// ".", so no two spec names give one ID ("foo" with two roles and
	// "foo-1" would both give foo_1 with "_K", and the specs would share,
	// and overwrite, one custom role in the project). The prefix keeps
	// these roles apart from the custom roles specs bind by name, which
	// checkAction refuses within it: otherwise a spec named "deployer"
	// would redefine projects/P/roles/deployer, which another spec binds.
	base := RolePrefix + strings.ReplaceAll(w.Metadata.Name, "-", "_")
	var roles []Role
	k := 0
	for gi := range groups {
		g := &groups[gi]
		if !g.permissions() {
			continue
		}
		k++
		id := base
		if n > 1 {
			id = fmt.Sprintf("%s.%d", base, k)
		}
		switch {
		case !roleIDRE.MatchString(id):
			errs = append(errs, render.Fieldf("metadata.name", "the custom role ID %q derived from the name is not 3 to 64 letters, digits, '_' or '.'; shorten the name", id))
		case rolesProject == "":
			errs = append(errs, render.Fieldf(firstPermission(s.Entitlements, g.actions[0]),
				"permissions go into a custom role, which lives in a project, and no project is named: name one in a resource (projects/ID/...) or write identity.name as NAME@PROJECT.iam.gserviceaccount.com"))
		case len(g.actions) > maxPermissions:
			errs = append(errs, render.Fieldf("spec.entitlements", "%d permissions, over the %d a custom role holds; split the spec", len(g.actions), maxPermissions))
		}
		g.role = "projects/" + rolesProject + "/roles/" + id
		roles = append(roles, Role{
			Name:                g.role,
			Title:               trim("nhigate: "+w.Metadata.Name, maxTitle),
			Description:         trim(fmt.Sprintf("The permissions spec %s grants to %s, rendered by nhigate render --target gcp.", w.Metadata.Name, s.Identity.Name), maxDescription),
			IncludedPermissions: g.actions,
			Stage:               "GA",
		})
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}

	expiry := ""
	if s.ExpiresAt.IsSet() {
		expiry = s.ExpiresAt.UTC().Format(time.RFC3339)
	}
	policies := map[string]*Policy{}
	for _, g := range groups {
		roleNames := g.actions
		if g.permissions() {
			roleNames = []string{g.role}
		}
		for _, r := range g.resources {
			on, prefix := r, ""
			if b, p, ok := objectPrefix(r); ok {
				on, prefix = b, p
			}
			p := policies[on]
			if p == nil {
				p = &Policy{Version: 3}
				policies[on] = p
			}
			for _, role := range roleNames {
				p.Bindings = append(p.Bindings, Binding{Role: role, Members: []string{member}, Condition: condition(expiry, prefix)})
			}
		}
	}
	doc := Document{Roles: roles, Notes: notes(w, member, rolesProject, len(roles) > 0)}
	for _, on := range sortedKeys(policies) {
		p := policies[on]
		slices.SortFunc(p.Bindings, func(a, b Binding) int {
			if c := strings.Compare(a.Role, b.Role); c != 0 {
				return c
			}
			return strings.Compare(exprOf(a), exprOf(b))
		})
		doc.Policies = append(doc.Policies, PolicyResult{Resource: fullName(on), Policy: *p})
	}
	b, err := encode(doc)
	if err != nil {
		return nil, err
	}
	files := []render.File{{Name: render.Join(w, "iam.json"), Data: b}}
	for _, r := range roles {
		file := r
		file.Name = ""
		b, err := encode(file)
		if err != nil {
			return nil, err
		}
		id := r.Name[strings.LastIndex(r.Name, "/")+1:]
		files = append(files, render.File{Name: render.Join(w, "roles/"+id+".json"), Data: b})
	}
	return files, nil
}

func exprOf(b Binding) string {
	if b.Condition == nil {
		return ""
	}
	return b.Condition.Expression
}

// condition is the IAM Condition of a binding: the spec's expiry and, for
// an object prefix, the prefix. nil when there is neither.
func condition(expiry, prefix string) *Expr {
	var terms, title []string
	if expiry != "" {
		terms = append(terms, fmt.Sprintf("request.time < timestamp(%q)", expiry))
		title = append(title, "expires "+expiry)
	}
	if prefix != "" {
		terms = append(terms, fmt.Sprintf("resource.name.startsWith(%q)", prefix))
		title = append(title, "object prefix")
	}
	if len(terms) == 0 {
		return nil
	}
	return &Expr{
		Title:      trim("nhigate: "+strings.Join(title, ", "), maxTitle),
		Expression: strings.Join(terms, " && "),
	}
}

func notes(w *spec.Workflow, member, project string, customRoles bool) []string {
	s := w.Spec
	n := []string{
		fmt.Sprintf("Every binding is for %s.", member),
	}
	if s.ExpiresAt.IsSet() {
		n = append(n, fmt.Sprintf("Each binding's IAM Condition ends the access at expiresAt (%s); the bindings themselves stay in the policy until removed.", s.ExpiresAt.UTC().Format(time.RFC3339)))
	} else {
		n = append(n, "The spec has no expiresAt: the bindings have no expiry.")
	}
	switch {
	case s.Credential.Kind == "static":
		n = append(n, fmt.Sprintf("credential.ttl (%s) is not part of an IAM policy: a service account key lives until deleted unless the organization policy iam.serviceAccountKeyExpiryHours bounds it; the IAM Conditions still end its access at expiresAt.",
			s.Credential.TTL.Text))
	case s.Credential.TTL.IsSet():
		n = append(n, fmt.Sprintf("credential.ttl (%s) is not part of an IAM policy: mint the service account's tokens with a lifetime of at most %s (generateAccessToken's lifetime).",
			s.Credential.TTL.Text, s.Credential.TTL.Text))
	}
	if customRoles {
		n = append(n, fmt.Sprintf("Custom roles are created in project %s; GCP grants a project's custom role only on that project and its resources.", project))
	}
	return n
}

// canonical groups entitlements as import finds them: one group per
// predefined or custom role, and one per distinct set of permissions, each
// with the union of its resources, sorted.
func canonical(es []spec.Entitlement) []group {
	byKey := map[string]*group{}
	addTo := func(actions []string, resources []string) {
		key := strings.Join(actions, "\x00")
		g := byKey[key]
		if g == nil {
			g = &group{actions: actions}
			byKey[key] = g
		}
		for _, r := range resources {
			if !slices.Contains(g.resources, r) {
				g.resources = append(g.resources, r)
			}
		}
	}
	for _, e := range es {
		var perms []string
		for _, a := range e.Actions {
			if isRole(a) {
				addTo([]string{a}, e.Resources)
			} else if !slices.Contains(perms, a) {
				perms = append(perms, a)
			}
		}
		if len(perms) > 0 {
			slices.Sort(perms)
			addTo(perms, e.Resources)
		}
	}
	keys := sortedKeys(byKey)
	out := make([]group, 0, len(keys))
	for _, k := range keys {
		g := byKey[k]
		slices.Sort(g.resources)
		out = append(out, *g)
	}
	return out
}

// Canonical is es as Import returns it: the form the round trip compares.
func Canonical(es []spec.Entitlement) []spec.Entitlement {
	var out []spec.Entitlement
	for _, g := range canonical(es) {
		out = append(out, spec.Entitlement{Actions: g.actions, Resources: g.resources})
	}
	return out
}

// uniqueProject is the one project ID the resources name, "" when they
// name none or several.
func uniqueProject(groups []group) string {
	p := ""
	for _, g := range groups {
		for _, r := range g.resources {
			on := r
			if b, _, ok := objectPrefix(r); ok {
				on = b
			}
			_, q, _ := bindable(on)
			if q == "" {
				continue
			}
			if p != "" && q != p {
				return ""
			}
			p = q
		}
	}
	return p
}

// memberOf derives the binding's member from identity.name: an email of a
// service account is taken as it is; an account ID is completed with the
// one project the resources name.
func memberOf(name, project string) (string, error) {
	if strings.Contains(name, "@") {
		if !serviceAccountRE.MatchString(name) {
			return "", fmt.Errorf("%q is not a service account's email (NAME@PROJECT.iam.gserviceaccount.com)", name)
		}
		return "serviceAccount:" + name, nil
	}
	if !accountIDRE.MatchString(name) {
		return "", fmt.Errorf("%q is not a service account ID (6 to 30 lowercase letters, digits and '-', starting with a letter); write the account's email", name)
	}
	if project == "" {
		return "", fmt.Errorf("the service account's project cannot be derived: the resources name no project ID, or several; write identity.name as %s@PROJECT.iam.gserviceaccount.com", name)
	}
	return "serviceAccount:" + name + "@" + project + ".iam.gserviceaccount.com", nil
}

func checkAction(a string) error {
	switch {
	case strings.ContainsAny(a, "*?"):
		return fmt.Errorf("%q is a pattern; IAM binds named roles and a custom role holds named permissions: list each", a)
	case strings.HasPrefix(a, "roles/"):
		if !predefinedRE.MatchString(a) {
			return fmt.Errorf("%q is not a predefined role name (roles/SERVICE.ROLE)", a)
		}
	case strings.Contains(a, "/roles/"):
		if !customRoleRE.MatchString(a) {
			return fmt.Errorf("%q is not a custom role name (projects/PROJECT/roles/ID or organizations/NUMBER/roles/ID)", a)
		}
		if strings.HasPrefix(a[strings.LastIndex(a, "/")+1:], RolePrefix) {
			return fmt.Errorf("%q is a custom role nhigate render defines for another spec's permissions, which that spec's next render may redefine; list the permissions this spec needs instead", a)
		}
	default:
		if !permissionRE.MatchString(a) {
			return fmt.Errorf("%q is neither a role (roles/...) nor a permission (service.resource.verb, e.g. storage.objects.get)", a)
		}
	}
	return nil
}

func checkResource(r string) error {
	if strings.HasPrefix(r, "//") {
		return fmt.Errorf("%q is a full resource name; write the relative name (projects/ID, projects/_/buckets/NAME, ...), which render completes", r)
	}
	if strings.ContainsAny(r, "*?") {
		if _, _, ok := objectPrefix(r); ok {
			return nil
		}
		return fmt.Errorf("%q is a pattern; IAM binds on named resources, and nhigate renders a pattern only as an object prefix of a bucket (projects/_/buckets/B/objects/PREFIX*)", r)
	}
	if _, _, ok := bindable(r); !ok {
		return fmt.Errorf("%q has no IAM policy nhigate binds on; name a project, folder, organization, bucket (projects/_/buckets/B), dataset, topic, subscription, secret, service account, repository, key ring or key (binding on a parent would widen the grant)", r)
	}
	return nil
}

func firstPermission(es []spec.Entitlement, a string) string {
	for i, e := range es {
		if j := slices.Index(e.Actions, a); j >= 0 {
			return render.ActionField(i, j)
		}
	}
	return "spec.entitlements"
}

func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

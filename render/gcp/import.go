package gcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/parser"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/spec"
)

// Limits of what Import reads, failing closed beyond them. MaxMembers is
// the IAM API's own limit for one policy.
const (
	MaxFileSize   = 8 << 20
	MaxPolicies   = 5000
	MaxBindings   = 50000
	MaxMembers    = 1500
	MaxRoles      = 1000
	MaxExpression = 12800
)

// entry is one resource with its policy, in any of the shapes Import
// reads: a Cloud Asset Inventory export line (name, asset_type,
// iam_policy; snake or camel case), a search-all-iam-policies result
// (resource, policy), or, to refuse it with a hint, a bare policy.
type entry struct {
	Name            string          `json:"name"`
	AssetType       string          `json:"asset_type"`
	AssetTypeCamel  string          `json:"assetType"`
	IAMPolicy       *Policy         `json:"iam_policy"`
	IAMPolicyCamel  *Policy         `json:"iamPolicy"`
	Ancestors       []string        `json:"ancestors"`
	UpdateTime      string          `json:"update_time"`
	UpdateTimeCamel string          `json:"updateTime"`
	Resource        json.RawMessage `json:"resource"`
	Project         string          `json:"project"`
	Organization    string          `json:"organization"`
	Folders         []string        `json:"folders"`
	Policy          *Policy         `json:"policy"`
	Bindings        json.RawMessage `json:"bindings"`
	Etag            string          `json:"etag"`
	Version         int             `json:"version"`
	AuditConfigs    json.RawMessage `json:"auditConfigs"`

	// index is the entry's place in the file, for errors.
	index int
}

// caiResource is the resource of a Cloud Asset Inventory export line of
// content type RESOURCE; Import reads it only for a custom role
// (iam.googleapis.com/Role), whose data is the Role.
type caiResource struct {
	Version              string          `json:"version"`
	DiscoveryDocumentURI string          `json:"discovery_document_uri"`
	DiscoveryName        string          `json:"discovery_name"`
	Parent               string          `json:"parent"`
	Location             string          `json:"location"`
	Data                 json.RawMessage `json:"data"`
}

// roleAsset returns the custom role an export line defines, if it is one.
func (e entry) roleAsset() (*Role, bool, error) {
	if len(e.Resource) == 0 || e.Resource[0] != '{' {
		return nil, false, nil
	}
	if e.AssetType != "iam.googleapis.com/Role" && e.AssetTypeCamel != "iam.googleapis.com/Role" {
		return nil, false, fmt.Errorf("a %s%s resource, not an IAM policy or a custom role", e.AssetType, e.AssetTypeCamel)
	}
	var r caiResource
	if err := strict(e.Resource, &r); err != nil {
		return nil, false, fmt.Errorf("resource: %w", err)
	}
	var role Role
	if err := strict(r.Data, &role); err != nil {
		return nil, false, fmt.Errorf("resource.data: %w", err)
	}
	// The export names the role by its asset when the data does not.
	if asset, ok := strings.CutPrefix(e.Name, "//iam.googleapis.com/"); ok && role.Name == "" {
		role.Name = asset
	}
	if e.Name != "" && e.Name != "//iam.googleapis.com/"+role.Name {
		return nil, false, fmt.Errorf("the asset %s defines the role %s", e.Name, role.Name)
	}
	return &role, true, nil
}

// document is Document as Import reads it.
type document struct {
	Roles    []Role   `json:"roles"`
	Policies []entry  `json:"policies"`
	Notes    []string `json:"notes"`
}

// Import reads IAM policies and returns one principal per service account
// member. Its entitlements are canonical, as Render writes them: one per
// role, and one per custom role defined in the file (a Document's roles),
// holding its permissions; resources are relative names, and an object
// prefix condition on a bucket is the pattern PREFIX*. An expiry condition
// (request.time < timestamp(...)) is the principal's ExpiresAt.
//
// People and groups (user:, group:, domain:) are not non-human identities
// and are skipped. Members that stand for many principals or for the
// public (allUsers, allAuthenticatedUsers, projectOwner: and the other
// convenience values, principalSet:), federated principals and deleted
// members are refused, naming the binding, as are conditions other than the
// two above, by their title.
func Import(file string, data []byte) ([]render.Principal, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes, over the limit of %d", file, len(data), MaxFileSize)
	}
	entries, roles, err := read(file, data)
	if err != nil {
		return nil, err
	}
	var policies []entry
	for i := range entries {
		entries[i].index = i
	}
	for _, e := range entries {
		r, ok, err := e.roleAsset()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, e.label(), err)
		}
		if ok {
			roles = append(roles, *r)
		} else {
			policies = append(policies, e)
		}
	}
	defs := map[string][]string{}
	for i, r := range roles {
		perms, err := roleDef(r)
		if err != nil {
			return nil, fmt.Errorf("%s: role %d (%s): %w", file, i+1, r.Name, err)
		}
		// Two definitions of one role (two exports concatenated, taken
		// at different times): which one IAM holds is unknown.
		if _, dup := defs[r.Name]; dup {
			return nil, fmt.Errorf("%s: role %d (%s) is defined twice in the file; keep the current definition only", file, i+1, r.Name)
		}
		defs[r.Name] = perms
	}
	p, err := parser.NewParser(parser.MaxRecursionDepth(32), parser.ExpressionSizeCodePointLimit(MaxExpression))
	if err != nil {
		return nil, err
	}
	accs := map[string]*account{}
	bindings := 0
	values := 0
	seen := map[string]string{}
	for _, e := range policies {
		where := fmt.Sprintf("%s: %s", file, e.label())
		pol, name, err := e.policy()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		// A resource has one IAM policy; two in the file (exports taken at
		// different times) would import the union of both, which neither
		// grants.
		key := name
		if rel, err := relativeName(name); err == nil {
			key = rel
		}
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s: a second policy for %s (the first is %s); a resource has one IAM policy: keep the current one only", where, name, prev)
		}
		seen[key] = e.label()
		for j, b := range pol.Bindings {
			if bindings++; bindings > MaxBindings {
				return nil, fmt.Errorf("%s: more than %d bindings", file, MaxBindings)
			}
			at := fmt.Sprintf("%s (%s) bindings[%d] (%s)", where, name, j, b.Role)
			sas, err := serviceAccounts(b.Members)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", at, err)
			}
			if len(sas) == 0 {
				continue
			}
			rel, err := relativeName(name)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", at, err)
			}
			actions, err := actionsOf(b.Role, defs)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", at, err)
			}
			expiry, prefix, err := readCondition(p, b.Condition)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", at, err)
			}
			res := rel
			if prefix != "" {
				if err := checkPrefix(rel, prefix); err != nil {
					return nil, fmt.Errorf("%s: condition %q: %w", at, b.Condition.Title, err)
				}
				res = prefix + "*"
			}
			for _, sa := range sas {
				a := accs[sa]
				if a == nil {
					a = &account{expiry: expiry, first: at}
					accs[sa] = a
				}
				if !a.expiry.Equal(expiry) {
					return nil, fmt.Errorf("%s: %s expires at %s here and at %s in %s; a spec has one expiresAt: import the bindings separately",
						at, sa, timeText(expiry), timeText(a.expiry), a.first)
				}
				// Each member's spec holds the role's permissions again.
				if values += len(actions) + 1; values > render.MaxImportValues {
					return nil, fmt.Errorf("%s: the file's service accounts hold more than %d permissions, roles and resources, counted once per member and binding; import fewer policies or members at a time", at, render.MaxImportValues)
				}
				a.ents = append(a.ents, spec.Entitlement{Actions: actions, Resources: []string{res}})
			}
		}
	}
	var out []render.Principal
	for _, sa := range sortedKeys(accs) {
		a := accs[sa]
		groups := canonical(a.ents)
		name := sa
		if m := userManagedRE.FindStringSubmatch(sa); m != nil && m[2] == uniqueProject(groups) {
			name = m[1]
		}
		pr := render.Principal{
			Identity:     spec.Identity{Name: name, Type: "service-account", Platform: "gcp"},
			Entitlements: Canonical(a.ents),
			ExpiresAt:    a.expiry,
		}
		out = append(out, pr)
	}
	return out, nil
}

type account struct {
	ents   []spec.Entitlement
	expiry time.Time
	first  string
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// read decodes the file: one JSON value or a stream of them (JSON Lines),
// each a Document, an entry, or an array of entries.
func read(file string, data []byte) ([]entry, []Role, error) {
	// encoding/json keeps the last of two keys that match one field, in
	// any case, silently.
	if err := render.DuplicateKey(data); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var entries []entry
	var roles []Role
	for n := 0; ; n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) && n > 0 {
				break
			}
			return nil, nil, fmt.Errorf("%s: not IAM policy JSON: %w", file, err)
		}
		raw = bytes.TrimSpace(raw)
		switch {
		case len(raw) > 0 && raw[0] == '[':
			var es []entry
			if err := strict(raw, &es); err != nil {
				return nil, nil, fmt.Errorf("%s: value %d: %w", file, n+1, err)
			}
			entries = append(entries, es...)
		case isDocument(raw):
			var d document
			if err := strict(raw, &d); err != nil {
				return nil, nil, fmt.Errorf("%s: value %d: %w", file, n+1, err)
			}
			entries = append(entries, d.Policies...)
			roles = append(roles, d.Roles...)
		default:
			var e entry
			if err := strict(raw, &e); err != nil {
				return nil, nil, fmt.Errorf("%s: value %d: %w", file, n+1, err)
			}
			entries = append(entries, e)
		}
		if len(entries) > MaxPolicies {
			return nil, nil, fmt.Errorf("%s: more than %d policies", file, MaxPolicies)
		}
		if len(roles) > MaxRoles {
			return nil, nil, fmt.Errorf("%s: more than %d roles", file, MaxRoles)
		}
	}
	return entries, roles, nil
}

func isDocument(raw []byte) bool {
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) != nil {
		return false
	}
	_, p := keys["policies"]
	_, r := keys["roles"]
	return p || r
}

func strict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (e entry) label() string {
	return fmt.Sprintf("policies[%d]", e.index)
}

// policy returns the entry's policy and its resource's name.
func (e entry) policy() (*Policy, string, error) {
	var ps []*Policy
	for _, p := range []*Policy{e.IAMPolicy, e.IAMPolicyCamel, e.Policy} {
		if p != nil {
			ps = append(ps, p)
		}
	}
	names := 0
	name := ""
	var res string
	if len(e.Resource) > 0 {
		if err := json.Unmarshal(e.Resource, &res); err != nil {
			return nil, "", errors.New("resource is not a name")
		}
	}
	for _, n := range []string{e.Name, res} {
		if n != "" {
			names++
			name = n
		}
	}
	switch {
	case len(ps) == 0 && (e.Bindings != nil || e.Etag != "" || e.Version != 0):
		return nil, "", errors.New(`a bare policy (gcloud ... get-iam-policy) does not name its resource; ` +
			`wrap it as {"resource": "//cloudresourcemanager.googleapis.com/projects/ID", "policy": ...}, e.g. with jq '{resource: "projects/ID", policy: .}'`)
	case len(ps) != 1:
		return nil, "", fmt.Errorf("%d policies; an entry has one (iam_policy, iamPolicy or policy)", len(ps))
	case e.Bindings != nil || e.Etag != "" || e.Version != 0 || e.AuditConfigs != nil:
		// A bare policy's fields next to the policy would be ignored.
		return nil, "", errors.New("bindings, etag, version or auditConfigs next to the entry's policy; they belong inside it")
	case names != 1:
		return nil, "", errors.New("an entry names its resource once (name or resource)")
	}
	if len(ps[0].Bindings) > MaxMembers {
		return nil, "", fmt.Errorf("%d bindings, over the limit of %d", len(ps[0].Bindings), MaxMembers)
	}
	return ps[0], name, nil
}

// Skipped lists the people and groups (user:, group:, domain:) that a file
// Import accepted binds, each once, with the roles they hold there: Import
// leaves them out, since they are no non-human identity, and a group may
// hold service accounts whose access its spec then lacks.
func Skipped(file string, data []byte) []string {
	entries, _, err := read(file, data)
	if err != nil {
		return nil
	}
	roles := map[string][]string{}
	var members []string
	for _, e := range entries {
		pol, _, err := e.policy()
		if err != nil || pol == nil {
			continue
		}
		for _, b := range pol.Bindings {
			for _, m := range b.Members {
				kind, _, _ := strings.Cut(m, ":")
				if kind != "user" && kind != "group" && kind != "domain" {
					continue
				}
				if _, ok := roles[m]; !ok {
					members = append(members, m)
				}
				if !slices.Contains(roles[m], b.Role) {
					roles[m] = append(roles[m], b.Role)
				}
			}
		}
	}
	slices.Sort(members)
	out := make([]string, len(members))
	for i, m := range members {
		why := "a person"
		if !strings.HasPrefix(m, "user:") {
			why = "a group: import the service accounts it holds separately"
		}
		out[i] = fmt.Sprintf("%s (%s), %s", m, strings.Join(roles[m], ", "), why)
	}
	return out
}

// serviceAccounts returns the service accounts of members, sorted and
// without repeats; it skips people and groups and refuses the rest.
func serviceAccounts(members []string) ([]string, error) {
	if len(members) > MaxMembers {
		return nil, fmt.Errorf("%d members, over the limit of %d", len(members), MaxMembers)
	}
	var sas []string
	for _, m := range members {
		kind, id, _ := strings.Cut(m, ":")
		switch kind {
		case "serviceAccount":
			if !serviceAccountRE.MatchString(id) {
				return nil, fmt.Errorf("member %q is not a service account's email", m)
			}
			if !slices.Contains(sas, id) {
				sas = append(sas, id)
			}
		case "user", "group", "domain":
			// People and groups: not non-human identities.
		case "allUsers", "allAuthenticatedUsers":
			return nil, fmt.Errorf("member %s makes the role public; nhigate imports service accounts and cannot model it: remove it from the policy first", m)
		case "deleted":
			return nil, fmt.Errorf("member %q was deleted; it regains the role if undeleted, which a spec cannot say: remove the binding or undelete the account first", m)
		default:
			return nil, fmt.Errorf("member %q is not a service account, a person or a group (convenience values, principal sets and federated principals stand for principals nhigate cannot name); remove it from the policy first", m)
		}
	}
	slices.Sort(sas)
	return sas, nil
}

// actionsOf is what a binding's role grants in spec terms: the permissions
// of a custom role the file defines, or the role's name.
func actionsOf(role string, defs map[string][]string) ([]string, error) {
	if perms, ok := defs[role]; ok {
		return perms, nil
	}
	if predefinedRE.MatchString(role) || customRoleRE.MatchString(role) {
		return []string{role}, nil
	}
	return nil, fmt.Errorf("role %q is neither a predefined role (roles/...) nor a custom role (projects/ID/roles/ID, organizations/NUMBER/roles/ID)", role)
}

// roleDef checks a custom role's definition and returns its permissions,
// sorted.
func roleDef(r Role) ([]string, error) {
	if !customRoleRE.MatchString(r.Name) {
		return nil, errors.New("only custom roles (projects/ID/roles/ID, organizations/NUMBER/roles/ID) are defined in a file; predefined roles are bound by name")
	}
	if r.Deleted || r.Stage == "DISABLED" {
		return nil, errors.New("the role is deleted or disabled and grants nothing; remove its bindings or enable it first")
	}
	if !slices.Contains([]string{"", "ALPHA", "BETA", "GA", "DEPRECATED", "EAP"}, r.Stage) {
		return nil, fmt.Errorf("stage %q is not a role launch stage", r.Stage)
	}
	if len(r.IncludedPermissions) == 0 || len(r.IncludedPermissions) > maxPermissions {
		return nil, fmt.Errorf("%d permissions; a custom role holds 1 to %d", len(r.IncludedPermissions), maxPermissions)
	}
	var perms []string
	for _, p := range r.IncludedPermissions {
		if !permissionRE.MatchString(p) {
			return nil, fmt.Errorf("%q is not a permission (service.resource.verb)", p)
		}
		if !slices.Contains(perms, p) {
			perms = append(perms, p)
		}
	}
	slices.Sort(perms)
	return perms, nil
}

// readCondition reads an IAM Condition with CEL's own parser. It models a
// conjunction (&&) of at most one expiry, request.time < timestamp("T"),
// and at most one prefix, resource.name.startsWith("P"); anything else is
// refused by the condition's title.
func readCondition(p *parser.Parser, c *Expr) (expiry time.Time, prefix string, err error) {
	if c == nil {
		return time.Time{}, "", nil
	}
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("condition %q: %s", c.Title, fmt.Sprintf(format, args...))
	}
	if len(c.Expression) > MaxExpression {
		return time.Time{}, "", refuse("%d characters, over the limit of %d", len(c.Expression), MaxExpression)
	}
	tree, iss := p.Parse(common.NewTextSource(c.Expression))
	if iss != nil && len(iss.GetErrors()) > 0 {
		return time.Time{}, "", refuse("does not parse as CEL: %s", iss.GetErrors()[0].Message)
	}
	var terms []ast.Expr
	var flatten func(e ast.Expr)
	flatten = func(e ast.Expr) {
		if e.Kind() == ast.CallKind && e.AsCall().FunctionName() == operators.LogicalAnd && len(e.AsCall().Args()) == 2 {
			flatten(e.AsCall().Args()[0])
			flatten(e.AsCall().Args()[1])
			return
		}
		terms = append(terms, e)
	}
	flatten(tree.Expr())
	haveExpiry := false
	for _, t := range terms {
		if ts, ok := expiryTerm(t); ok && !haveExpiry {
			at, err := time.Parse(time.RFC3339, ts)
			if err != nil {
				return time.Time{}, "", refuse("timestamp %q is not RFC 3339", ts)
			}
			expiry, haveExpiry = at.UTC(), true
			continue
		}
		if pfx, ok := prefixTerm(t); ok && prefix == "" && pfx != "" {
			prefix = pfx
			continue
		}
		return time.Time{}, "", refuse("%q is not a condition nhigate models (request.time < timestamp(\"...\") and resource.name.startsWith(\"...\"), once each, joined by &&); remove the binding from what you import, or rewrite the condition",
			c.Expression)
	}
	return expiry, prefix, nil
}

// expiryTerm matches request.time < timestamp("T").
func expiryTerm(e ast.Expr) (string, bool) {
	if e.Kind() != ast.CallKind {
		return "", false
	}
	c := e.AsCall()
	if c.FunctionName() != operators.Less || c.IsMemberFunction() || len(c.Args()) != 2 || !isSelect(c.Args()[0], "request", "time") {
		return "", false
	}
	ts := c.Args()[1]
	if ts.Kind() != ast.CallKind || ts.AsCall().FunctionName() != "timestamp" || ts.AsCall().IsMemberFunction() || len(ts.AsCall().Args()) != 1 {
		return "", false
	}
	return stringLiteral(ts.AsCall().Args()[0])
}

// prefixTerm matches resource.name.startsWith("P").
func prefixTerm(e ast.Expr) (string, bool) {
	if e.Kind() != ast.CallKind {
		return "", false
	}
	c := e.AsCall()
	if c.FunctionName() != "startsWith" || !c.IsMemberFunction() || len(c.Args()) != 1 || !isSelect(c.Target(), "resource", "name") {
		return "", false
	}
	return stringLiteral(c.Args()[0])
}

func isSelect(e ast.Expr, operand, field string) bool {
	if e.Kind() != ast.SelectKind {
		return false
	}
	s := e.AsSelect()
	return !s.IsTestOnly() && s.FieldName() == field && s.Operand().Kind() == ast.IdentKind && s.Operand().AsIdent() == operand
}

func stringLiteral(e ast.Expr) (string, bool) {
	if e.Kind() != ast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

var patternRE = regexp.MustCompile(spec.PatternPattern)

// checkPrefix accepts an object prefix on the bucket the binding is on, one
// a spec pattern can say exactly.
func checkPrefix(rel, prefix string) error {
	if !strings.HasPrefix(rel, "projects/_/buckets/") || strings.Count(rel, "/") != 3 {
		return fmt.Errorf("a resource.name prefix on %s is not modeled (only object prefixes on a bucket are)", rel)
	}
	if !strings.HasPrefix(prefix, rel+"/objects/") {
		return fmt.Errorf("prefix %q is not an object prefix of %s (%s/objects/...)", prefix, rel, rel)
	}
	if strings.ContainsAny(prefix, "*?\"\\") || !patternRE.MatchString(prefix) {
		return fmt.Errorf("prefix %q holds a character a spec pattern cannot say literally (space, control, '*', '?', quote or backslash)", prefix)
	}
	return nil
}

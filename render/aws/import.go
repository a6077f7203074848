package aws

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/spec"
)

// Source imports IAM policies and account authorization listings.
var Source = render.Source{
	Name:     "aws-iam",
	Platform: "aws",
	Summary:  "an IAM policy document, or the output of aws iam get-policy-version, get-role-policy, get-user-policy or get-account-authorization-details (one principal per role and user)",
	Import:   Import,
}

// The bounds of one imported file.
const (
	// MaxFileBytes is the largest file Import reads. An authorization
	// listing of a large account, with every managed policy it uses, is a
	// few megabytes.
	MaxFileBytes = 32 << 20
	// maxStatements bounds the statements of one file, counted once per
	// principal they reach (a managed policy attached to 100 roles counts
	// 100 times), and so the work of an import.
	maxStatements = 20000
)

var (
	identityNameRE = regexp.MustCompile(spec.IdentityNamePattern)
	patternRE      = regexp.MustCompile(spec.PatternPattern)
)

// Import reads one file: a policy document, or the output of `aws iam
// get-policy-version`, `get-role-policy`, `get-user-policy` or
// `get-account-authorization-details`. A policy document names no principal,
// so its principal is named after the file, without directory or
// extension ("ci-deploy.json" is "ci-deploy"). A listing gives one
// principal per role, with its inline and attached policies, and per user,
// with its groups' policies too.
func Import(file string, data []byte) ([]render.Principal, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: %d bytes, over the limit of %d for one imported file", file, len(data), MaxFileBytes)
	}
	v, err := iamVocabulary()
	if err != nil {
		return nil, err
	}
	root, err := parseJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	m, ok := root.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: is %s; want a policy document or an `aws iam` listing, which are objects", file, describeJSON(root))
	}
	im := &importer{v: v, file: file, budget: maxStatements, values: render.MaxImportValues}
	var ps []render.Principal
	switch {
	case has(m, "Statement", "Version", "Id"):
		ps, err = im.document(m)
	case has(m, "PolicyVersion"):
		ps, err = im.policyVersion(m)
	case has(m, "PolicyDocument"):
		ps, err = im.inlinePolicy(m)
	case has(m, "RoleDetailList", "UserDetailList", "GroupDetailList", "Policies"):
		ps, err = im.listing(m)
	default:
		return nil, fmt.Errorf("%s: is neither a policy document (Version, Statement) nor the output of aws iam get-policy-version (PolicyVersion), get-role-policy or get-user-policy (PolicyDocument), or get-account-authorization-details (RoleDetailList, UserDetailList, Policies)", file)
	}
	if err != nil {
		return nil, err
	}
	return ps, nil
}

func has(m map[string]any, keys ...string) bool {
	return slices.ContainsFunc(keys, func(k string) bool { _, ok := m[k]; return ok })
}

type importer struct {
	v      *vocabulary
	file   string
	budget int
	// values is what remains of render.MaxImportValues: the actions and
	// resources of the statements imported so far, counted once per
	// principal they reach, since each principal's spec holds its own copy.
	values int
}

func (im *importer) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %s", im.file, fmt.Sprintf(format, args...))
}

// document imports a bare policy document.
func (im *importer) document(m map[string]any) ([]render.Principal, error) {
	name := strings.TrimSuffix(filepath.Base(im.file), filepath.Ext(im.file))
	if !identityNameRE.MatchString(name) {
		return nil, im.errorf("the principal is named after the file, and %q is not an identity name; rename the file, e.g. \"ci-deploy.json\"", name)
	}
	p := render.Principal{Identity: spec.Identity{Name: name, Platform: "aws"}}
	var a access
	if err := im.addPolicy(&a, "policy", m); err != nil {
		return nil, err
	}
	p = im.principal(p, &a)
	if err := errors.Join(a.errs...); err != nil {
		return nil, err
	}
	return []render.Principal{p}, nil
}

// policyVersion imports the output of `aws iam get-policy-version`.
func (im *importer) policyVersion(m map[string]any) ([]render.Principal, error) {
	if err := checkKeys("top level", m, []string{"PolicyVersion"}); err != nil {
		return nil, im.errorf("%v", err)
	}
	pv, ok := m["PolicyVersion"].(map[string]any)
	if !ok {
		return nil, im.errorf("PolicyVersion is %s, not an object", describeJSON(m["PolicyVersion"]))
	}
	if err := checkKeys("PolicyVersion", pv, []string{"Document", "VersionId", "IsDefaultVersion", "CreateDate"}); err != nil {
		return nil, im.errorf("%v", err)
	}
	d, err := im.documentValue("PolicyVersion.Document", pv["Document"])
	if err != nil {
		return nil, err
	}
	return im.document(d)
}

// inlinePolicy imports the output of `aws iam get-role-policy` or `aws
// iam get-user-policy`: one inline policy of a role or user, which names
// the principal.
func (im *importer) inlinePolicy(m map[string]any) ([]render.Principal, error) {
	var p render.Principal
	var owner, key string
	switch {
	case has(m, "RoleName"):
		key, owner = "RoleName", "role"
		p.CredentialKind = "ephemeral"
	case has(m, "UserName"):
		key, owner = "UserName", "user"
	default:
		return nil, im.errorf("an inline policy that names neither a role (RoleName) nor a user (UserName); a group's policy grants no principal by itself, so import the listing (aws iam get-account-authorization-details) instead")
	}
	if err := checkKeys("top level", m, []string{key, "PolicyName", "PolicyDocument"}); err != nil {
		return nil, im.errorf("%v", err)
	}
	name, _ := m[key].(string)
	if !identityNameRE.MatchString(name) {
		return nil, im.errorf("%s %q is not an identity name", key, name)
	}
	p.Identity = spec.Identity{Name: name, Platform: "aws"}
	doc, err := im.documentValue("PolicyDocument", m["PolicyDocument"])
	if err != nil {
		return nil, err
	}
	pname, _ := m["PolicyName"].(string)
	var a access
	if err := im.addPolicy(&a, fmt.Sprintf("%s %q: inline policy %q", owner, name, pname), doc); err != nil {
		return nil, err
	}
	p = im.principal(p, &a)
	if err := errors.Join(a.errs...); err != nil {
		return nil, err
	}
	return []render.Principal{p}, nil
}

// documentValue reads a policy document as a listing holds it: an
// object, as the AWS CLI prints it, or a string, URL-encoded as the API
// returns it or plain JSON.
func (im *importer) documentValue(path string, doc any) (map[string]any, error) {
	switch d := doc.(type) {
	case map[string]any:
		return d, nil
	case string:
		text := d
		if !strings.HasPrefix(strings.TrimSpace(text), "{") {
			u, err := url.PathUnescape(text)
			if err != nil {
				return nil, im.errorf("%s: is a string but neither JSON nor URL-encoded JSON: %v", path, err)
			}
			text = u
		}
		v, err := parseJSON([]byte(text))
		if err != nil {
			return nil, im.errorf("%s: %v", path, err)
		}
		if m, ok := v.(map[string]any); ok {
			return m, nil
		}
		return nil, im.errorf("%s: is %s, not a policy document", path, describeJSON(v))
	}
	return nil, im.errorf("%s: is %s, not a policy document", path, describeJSON(doc))
}

// access is what one principal's policies grant.
type access struct {
	ents []spec.Entitlement
	// expiry is the aws:CurrentTime bound of each statement, zero for
	// none, and where names the statement.
	expiry []time.Time
	where  []string
	errs   []error
}

// addPolicy adds the statements of the policy document m, named by what.
func (im *importer) addPolicy(a *access, what string, m map[string]any) error {
	doc, err := parsePolicy(m)
	if err != nil {
		return im.errorf("%s: %v", what, err)
	}
	if im.budget -= len(doc.Statements); im.budget < 0 {
		return im.errorf("more than %d statements across the file's principals; split the listing (aws iam get-account-authorization-details --filter Role, or per role)", maxStatements)
	}
	for _, st := range doc.Statements {
		for _, l := range []*stringList{st.Action, st.NotAction, st.Resource, st.NotResource} {
			if l != nil {
				im.values -= len(l.Values)
			}
		}
	}
	if im.values < 0 {
		return im.errorf("%s: the file's principals hold more than %d actions and resources, counted once per principal that a policy reaches; import fewer principals at a time (aws iam get-account-authorization-details --filter Role, or per role)", what, render.MaxImportValues)
	}
	for i, st := range doc.Statements {
		where := fmt.Sprintf("%s statement %d", what, i)
		if st.Sid != "" {
			where += fmt.Sprintf(" (Sid %q)", st.Sid)
		}
		e, exp, problem := im.statement(st)
		if problem != "" {
			a.errs = append(a.errs, im.errorf("%s: %s", where, problem))
			continue
		}
		a.ents = append(a.ents, e)
		a.expiry = append(a.expiry, exp)
		a.where = append(a.where, where)
	}
	return nil
}

// statement turns one statement into the entitlement render would have
// written it from, with its expiry, or says why it cannot.
func (im *importer) statement(st statement) (spec.Entitlement, time.Time, string) {
	var e spec.Entitlement
	var expiry time.Time
	switch {
	case st.Effect == "Deny":
		return e, expiry, "Deny cannot be imported: a spec only grants access, and dropping the Deny would widen what the rest grants; rewrite the Allow statements so that they grant no more than the Deny leaves"
	case st.NotAction != nil:
		return e, expiry, "NotAction grants every action but the ones listed, which a spec cannot write; list the actions it should grant in Action"
	case st.NotResource != nil:
		return e, expiry, "NotResource applies to every resource but the ones listed, which a spec cannot write; list the resources in Resource"
	case st.Principal != nil || st.NotPrincipal != nil:
		return e, expiry, "names a Principal, so this is a resource-based or trust policy; import the permissions policies of the principal instead"
	case st.Resource == nil:
		return e, expiry, "has no Resource"
	}
	for _, a := range st.Action.Values {
		if !patternRE.MatchString(a) || !actionRE.MatchString(a) {
			return e, expiry, fmt.Sprintf("%q is not an IAM action a spec can hold (\"service:ActionName\" in printable ASCII, with * and ?)", a)
		}
	}
	for _, r := range st.Resource.Values {
		if !patternRE.MatchString(r) {
			return e, expiry, fmt.Sprintf("resource %q has a space or a character outside printable ASCII, which a spec cannot hold", r)
		}
		if problem := checkResource(r); problem != "" {
			return e, expiry, problem
		}
	}
	e.Actions = slices.Clone(st.Action.Values)
	e.Resources = slices.Clone(st.Resource.Values)
	for _, op := range slices.Sorted(mapKeys(st.Condition)) {
		for _, key := range slices.Sorted(mapKeys(st.Condition[op])) {
			cv := st.Condition[op][key]
			if op == expiryOperator && strings.EqualFold(key, expiryKey) {
				t, problem := importExpiry(cv)
				if problem != "" {
					return e, expiry, problem
				}
				// The key in two cases is one key to IAM, tested twice.
				if !expiry.IsZero() {
					return e, expiry, "DateLessThan aws:CurrentTime is set twice (IAM reads keys in any case); write one expiry"
				}
				expiry = t
				continue
			}
			k, val, problem := importCondition(im.v, op, key, cv)
			if problem != "" {
				return e, expiry, "condition " + problem
			}
			// IAM reads keys in any case, a tag key's too.
			for other := range e.Conditions {
				if strings.EqualFold(other, k) {
					return e, expiry, fmt.Sprintf("condition key %s is tested twice (IAM reads keys in any case); a spec condition holds one value per key", k)
				}
			}
			if e.Conditions == nil {
				e.Conditions = map[string]any{}
			}
			e.Conditions[k] = val
		}
	}
	return e, expiry, ""
}

func importExpiry(cv condValues) (time.Time, string) {
	if !cv.Single {
		return time.Time{}, "DateLessThan aws:CurrentTime lists several dates; write one"
	}
	s, ok := cv.Values[0].(string)
	if !ok {
		return time.Time{}, fmt.Sprintf("DateLessThan aws:CurrentTime is %v; write an RFC 3339 date such as \"2027-03-31T00:00:00Z\"", cv.Values[0])
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.Nanosecond() != 0 {
		return time.Time{}, fmt.Sprintf("DateLessThan aws:CurrentTime %q is not an RFC 3339 date in whole seconds, such as \"2027-03-31T00:00:00Z\"", s)
	}
	return t.UTC(), ""
}

// principal completes p with what a grants: the entitlements, and the
// expiry when every statement carries the same one. Statements that
// expire differently (or some not at all) cannot share a spec's single
// expiresAt without one of them living longer or shorter than it does.
func (im *importer) principal(p render.Principal, a *access) render.Principal {
	p.Entitlements = a.ents
	for i, t := range a.expiry {
		if !t.Equal(a.expiry[0]) {
			a0 := "no expiry"
			if !a.expiry[0].IsZero() {
				a0 = "expiry " + a.expiry[0].Format(time.RFC3339)
			}
			ti := "no expiry"
			if !t.IsZero() {
				ti = "expiry " + t.Format(time.RFC3339)
			}
			a.errs = append(a.errs, im.errorf("%s has %s, but %s has %s: a spec has one expiresAt for all its grants; import them as separate principals", a.where[i], ti, a.where[0], a0))
			return p
		}
	}
	if len(a.expiry) > 0 {
		p.ExpiresAt = a.expiry[0]
	}
	return p
}

// The elements of an authorization listing, as the AWS CLI prints them.
var (
	listingKeys = []string{"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies", "IsTruncated", "Marker"}
	policyKeys  = []string{"PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId", "AttachmentCount", "PermissionsBoundaryUsageCount", "IsAttachable", "Description", "CreateDate", "UpdateDate", "PolicyVersionList"}
	versionKeys = []string{"Document", "VersionId", "IsDefaultVersion", "CreateDate"}
	roleKeys    = []string{"Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument", "InstanceProfileList", "RolePolicyList", "AttachedManagedPolicies", "PermissionsBoundary", "Tags", "RoleLastUsed", "MaxSessionDuration", "Description"}
	userKeys    = []string{"Path", "UserName", "UserId", "Arn", "CreateDate", "UserPolicyList", "GroupList", "AttachedManagedPolicies", "PermissionsBoundary", "Tags"}
	groupKeys   = []string{"Path", "GroupName", "GroupId", "Arn", "CreateDate", "GroupPolicyList", "AttachedManagedPolicies"}
	inlineKeys  = []string{"PolicyName", "PolicyDocument"}
	attachKeys  = []string{"PolicyName", "PolicyArn"}
)

// listing imports the output of `aws iam get-account-authorization-details`.
func (im *importer) listing(m map[string]any) ([]render.Principal, error) {
	if err := checkKeys("top level", m, listingKeys); err != nil {
		return nil, im.errorf("%v", err)
	}
	if t, ok := m["IsTruncated"].(bool); t || (!ok && m["IsTruncated"] != nil) {
		return nil, im.errorf("the listing is truncated (IsTruncated); run aws iam get-account-authorization-details without --max-items, so that the CLI fetches every page")
	}
	policies := map[string]map[string]any{} // ARN -> default version's document
	list, err := objects(m, "Policies", "top level")
	if err != nil {
		return nil, im.errorf("%v", err)
	}
	for i, p := range list {
		path := fmt.Sprintf("Policies[%d]", i)
		if err := checkKeys(path, p, policyKeys); err != nil {
			return nil, im.errorf("%v", err)
		}
		arn, _ := p["Arn"].(string)
		if arn == "" {
			return nil, im.errorf("%s: has no Arn", path)
		}
		doc, err := im.defaultVersion(path, p)
		if err != nil {
			return nil, err
		}
		if _, dup := policies[arn]; dup {
			return nil, im.errorf("%s: policy %s is listed twice", path, arn)
		}
		policies[arn] = doc
	}
	groups := map[string]map[string]any{}
	groupNames := map[string]string{} // lower case to as listed
	glist, err := objects(m, "GroupDetailList", "top level")
	if err != nil {
		return nil, im.errorf("%v", err)
	}
	for i, g := range glist {
		path := fmt.Sprintf("GroupDetailList[%d]", i)
		if err := checkKeys(path, g, groupKeys); err != nil {
			return nil, im.errorf("%v", err)
		}
		name, _ := g["GroupName"].(string)
		// IAM group names are unique ignoring case: a group listed twice
		// would leave one of its two descriptions unread.
		if other, dup := groupNames[strings.ToLower(name)]; dup {
			return nil, im.errorf("%s: group %q is listed twice (as %q too); a listing describes each group once", path, name, other)
		}
		groupNames[strings.ToLower(name)] = name
		groups[name] = g
	}

	var out []render.Principal
	var errs []error
	seen := map[string]string{}
	roles, err := objects(m, "RoleDetailList", "top level")
	if err != nil {
		return nil, im.errorf("%v", err)
	}
	for i, r := range roles {
		p, perrs, err := im.role(fmt.Sprintf("RoleDetailList[%d]", i), r, policies)
		if err != nil {
			return nil, err
		}
		errs = append(errs, perrs...)
		if err := im.unique(seen, p.Identity.Name, "role"); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	users, err := objects(m, "UserDetailList", "top level")
	if err != nil {
		return nil, im.errorf("%v", err)
	}
	for i, u := range users {
		p, perrs, err := im.user(fmt.Sprintf("UserDetailList[%d]", i), u, policies, groups)
		if err != nil {
			return nil, err
		}
		errs = append(errs, perrs...)
		if err := im.unique(seen, p.Identity.Name, "user"); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// unique refuses two principals whose specs would share a name: IAM names
// are unique per kind, ignoring case, but a role and a user may share one.
func (im *importer) unique(seen map[string]string, name, kind string) error {
	key := strings.ToLower(name)
	if other, ok := seen[key]; ok {
		return im.errorf("%s and %s %q would be the same principal (aws/%s); import them from separate listings", other, kind, name, key)
	}
	seen[key] = fmt.Sprintf("%s %q", kind, name)
	return nil
}

// objects returns the list of objects m[key], empty when absent.
func objects(m map[string]any, key, where string) ([]map[string]any, error) {
	raw, ok := m[key]
	if !ok || raw == nil {
		return nil, nil
	}
	l, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: %s is %s, not a list", where, key, describeJSON(raw))
	}
	out := make([]map[string]any, len(l))
	for i, e := range l {
		o, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s[%d] is %s, not an object", key, i, describeJSON(e))
		}
		out[i] = o
	}
	return out, nil
}

// defaultVersion returns the document of the version a managed policy
// grants by: its default version.
func (im *importer) defaultVersion(path string, p map[string]any) (map[string]any, error) {
	versions, err := objects(p, "PolicyVersionList", path)
	if err != nil {
		return nil, im.errorf("%v", err)
	}
	want, _ := p["DefaultVersionId"].(string)
	var found []int
	for i, ver := range versions {
		vp := fmt.Sprintf("%s.PolicyVersionList[%d]", path, i)
		if err := checkKeys(vp, ver, versionKeys); err != nil {
			return nil, im.errorf("%v", err)
		}
		isDefault, _ := ver["IsDefaultVersion"].(bool)
		id, _ := ver["VersionId"].(string)
		if isDefault != (want != "" && id == want) && want != "" {
			return nil, im.errorf("%s: IsDefaultVersion and DefaultVersionId %q disagree", vp, want)
		}
		if isDefault {
			found = append(found, i)
		}
	}
	if len(found) != 1 {
		return nil, im.errorf("%s: %d versions are the default; want exactly one", path, len(found))
	}
	return im.documentValue(fmt.Sprintf("%s.PolicyVersionList[%d].Document", path, found[0]), versions[found[0]]["Document"])
}

// attached adds the inline policies (list key, named by kind) and the
// attached managed policies of a role, user or group.
func (im *importer) attached(a *access, path, owner string, o map[string]any, inlineKey string, policies map[string]map[string]any) error {
	inline, err := objects(o, inlineKey, path)
	if err != nil {
		return im.errorf("%v", err)
	}
	for i, p := range inline {
		pp := fmt.Sprintf("%s.%s[%d]", path, inlineKey, i)
		if err := checkKeys(pp, p, inlineKeys); err != nil {
			return im.errorf("%v", err)
		}
		name, _ := p["PolicyName"].(string)
		doc, err := im.documentValue(pp+".PolicyDocument", p["PolicyDocument"])
		if err != nil {
			return err
		}
		if err := im.addPolicy(a, fmt.Sprintf("%s: inline policy %q", owner, name), doc); err != nil {
			return err
		}
	}
	att, err := objects(o, "AttachedManagedPolicies", path)
	if err != nil {
		return im.errorf("%v", err)
	}
	for i, p := range att {
		pp := fmt.Sprintf("%s.AttachedManagedPolicies[%d]", path, i)
		if err := checkKeys(pp, p, attachKeys); err != nil {
			return im.errorf("%v", err)
		}
		arn, _ := p["PolicyArn"].(string)
		doc, ok := policies[arn]
		if !ok {
			return im.errorf("%s: %s is attached to %s but not in the listing's Policies, so what it grants is unknown; list every policy (get-account-authorization-details without --filter, or with LocalManagedPolicy and AWSManagedPolicy)", pp, arn, owner)
		}
		if err := im.addPolicy(a, fmt.Sprintf("%s: managed policy %s", owner, arn), doc); err != nil {
			return err
		}
	}
	return nil
}

func boundary(o map[string]any) bool {
	b, ok := o["PermissionsBoundary"]
	if !ok || b == nil {
		return false
	}
	m, isMap := b.(map[string]any)
	return !isMap || len(m) > 0
}

func (im *importer) role(path string, r map[string]any, policies map[string]map[string]any) (render.Principal, []error, error) {
	if err := checkKeys(path, r, roleKeys); err != nil {
		return render.Principal{}, nil, im.errorf("%v", err)
	}
	name, _ := r["RoleName"].(string)
	if !identityNameRE.MatchString(name) {
		return render.Principal{}, nil, im.errorf("%s: RoleName %q is not an identity name", path, name)
	}
	owner := fmt.Sprintf("role %q", name)
	if boundary(r) {
		return render.Principal{}, nil, im.errorf("%s: %s has a permissions boundary, which narrows what its policies grant in a way a spec cannot write; importing the policies alone would widen it", path, owner)
	}
	p := render.Principal{Identity: spec.Identity{Name: name, Platform: "aws"}, CredentialKind: "ephemeral"}
	var a access
	if err := im.attached(&a, path, owner, r, "RolePolicyList", policies); err != nil {
		return p, nil, err
	}
	ttl, err := im.roleTTL(path, owner, r)
	if err != nil {
		return p, nil, err
	}
	p.TTL = ttl
	p = im.principal(p, &a)
	return p, a.errs, nil
}

// roleTTL is the longest session the role grants: MaxSessionDuration,
// capped by a NumericLessThanEquals sts:DurationSeconds condition that
// every Allow statement of the trust policy carries. 0 when the listing
// says neither (get-account-authorization-details does not print
// MaxSessionDuration; aws iam get-role does).
func (im *importer) roleTTL(path, owner string, r map[string]any) (time.Duration, error) {
	var ttl time.Duration
	if raw, ok := r["MaxSessionDuration"]; ok {
		n, ok := raw.(json.Number)
		secs, err := strconv.Atoi(string(n))
		if !ok || err != nil || secs < int(minSession/time.Second) || secs > int(maxSession/time.Second) {
			return 0, im.errorf("%s.MaxSessionDuration: %v is not a whole number of seconds from 3600 to 43200", path, raw)
		}
		ttl = time.Duration(secs) * time.Second
	}
	raw, ok := r["AssumeRolePolicyDocument"]
	if !ok {
		return ttl, nil
	}
	m, err := im.documentValue(path+".AssumeRolePolicyDocument", raw)
	if err != nil {
		return 0, err
	}
	trust, err := parseTrustPolicy(m)
	if err != nil {
		return 0, im.errorf("%s trust policy: %v", owner, err)
	}
	var longest time.Duration
	for _, st := range trust.Statements {
		if st.Effect != "Allow" {
			continue
		}
		// IAM reads the key in any case; tested twice, both must hold.
		var capped time.Duration
		for key, cv := range st.Condition["NumericLessThanEquals"] {
			if !strings.EqualFold(key, "sts:DurationSeconds") || !cv.Single {
				continue
			}
			n, _ := cv.Values[0].(string)
			if num, isNum := cv.Values[0].(json.Number); isNum {
				n = string(num)
			}
			if secs, err := strconv.Atoi(n); err == nil && secs > 0 && (capped == 0 || time.Duration(secs)*time.Second < capped) {
				capped = time.Duration(secs) * time.Second
			}
		}
		if capped == 0 {
			return ttl, nil // a way in without the cap
		}
		secs := int(capped / time.Second)
		longest = max(longest, time.Duration(secs)*time.Second)
	}
	if longest > 0 && (ttl == 0 || longest < ttl) {
		ttl = longest
	}
	return ttl, nil
}

func (im *importer) user(path string, u map[string]any, policies, groups map[string]map[string]any) (render.Principal, []error, error) {
	if err := checkKeys(path, u, userKeys); err != nil {
		return render.Principal{}, nil, im.errorf("%v", err)
	}
	name, _ := u["UserName"].(string)
	if !identityNameRE.MatchString(name) {
		return render.Principal{}, nil, im.errorf("%s: UserName %q is not an identity name", path, name)
	}
	owner := fmt.Sprintf("user %q", name)
	if boundary(u) {
		return render.Principal{}, nil, im.errorf("%s: %s has a permissions boundary, which narrows what its policies grant in a way a spec cannot write; importing the policies alone would widen it", path, owner)
	}
	// The listing does not say whether a user has access keys, so the
	// credential kind is left for a person to decide.
	p := render.Principal{Identity: spec.Identity{Name: name, Platform: "aws"}}
	var a access
	if err := im.attached(&a, path, owner, u, "UserPolicyList", policies); err != nil {
		return p, nil, err
	}
	var gl []any
	if raw, ok := u["GroupList"]; ok && raw != nil {
		l, ok := raw.([]any)
		if !ok {
			return p, nil, im.errorf("%s.GroupList is %s, not a list", path, describeJSON(raw))
		}
		gl = l
	}
	for i, raw := range gl {
		g, _ := raw.(string)
		grp, ok := groups[g]
		if !ok {
			return p, nil, im.errorf("%s.GroupList[%d]: %s is in group %q, which the listing does not describe, so what it grants is unknown; list groups too (no --filter, or --filter User Group)", path, i, owner, g)
		}
		if err := im.attached(&a, path, fmt.Sprintf("group %q of %s", g, owner), grp, "GroupPolicyList", policies); err != nil {
			return p, nil, err
		}
	}
	p = im.principal(p, &a)
	return p, a.errs, nil
}

// decodePolicy reads data as a policy document, strictly.
func decodePolicy(data []byte) (*policyDoc, error) {
	v, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	return parsePolicy(v)
}

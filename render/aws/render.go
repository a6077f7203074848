// Package aws renders specs of the platform "aws" into an IAM role (a
// permissions policy, a trust-policy stub and the role's settings and
// tags), and imports IAM policies and account authorization listings back
// into specs. Both directions check every action and condition key
// against the AWS service authorization reference (iamdata.json.gz,
// written by scripts/gen-aws-actions), and read IAM's policy grammar
// strictly. docs/RENDER.md describes the mapping.
package aws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/spec"
)

// Target renders a spec of the platform "aws".
var Target = render.Target{
	Name:     "aws",
	Platform: "aws",
	Summary:  "IAM role: permissions policy, trust-policy stub, role settings and tags (policy.json, trust-policy.json, role.json)",
	Render:   Render,
}

// The limits AWS sets, which render enforces rather than let an apply fail
// halfway.
const (
	// maxSession and minSession bound a role's MaxSessionDuration.
	maxSession = 12 * time.Hour
	minSession = time.Hour
	// minDuration is the shortest session STS issues (DurationSeconds).
	minDuration = 15 * time.Minute
	// maxInlinePolicy is the size of a role's inline policies, in
	// characters not counting whitespace.
	maxInlinePolicy = 10240
	// maxRoleName is the longest role name.
	maxRoleName = 64
)

var (
	roleNameRE = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]+$`)
	// arnRE is the shape of a resource: "*" or an ARN with its six
	// fields; wildcards are allowed in each.
	arnRE = regexp.MustCompile(`^(\*|arn:(\*|aws[a-z-]*):[a-z0-9*?-]*:[a-z0-9*?-]*:[0-9*?]*:.+)$`)
)

// Render returns policy.json, trust-policy.json and role.json for w.
func Render(w *spec.Workflow) ([]render.File, error) {
	v, err := iamVocabulary()
	if err != nil {
		return nil, err
	}
	var errs render.Errors
	s := w.Spec
	if s.Identity.Platform != "aws" {
		errs = append(errs, render.Fieldf("spec.identity.platform", "is %q; the aws target renders only platform \"aws\"", s.Identity.Platform))
	}
	name := s.Identity.Name
	if len(name) > maxRoleName || !roleNameRE.MatchString(name) {
		errs = append(errs, render.Fieldf("spec.identity.name", "%q is not an IAM role name; write at most %d letters, digits and +=,.@_- (an IAM path is not part of the name)", name, maxRoleName))
	}
	if s.Credential.Kind == "static" {
		errs = append(errs, render.Fieldf("spec.credential.kind", "is \"static\", but the aws target renders a role, whose credentials STS issues per session; write \"ephemeral\", or create an IAM user with access keys outside nhigate render"))
	}
	session, durationCap, ferr := sessionOf(s.Credential.TTL)
	if ferr != nil {
		errs = append(errs, ferr)
	}
	expires, ferr := expiryOf(s.ExpiresAt)
	if ferr != nil {
		errs = append(errs, ferr)
	}

	policy := outPolicy{Version: policyVersion}
	for i, e := range s.Entitlements {
		st := outStatement{Sid: fmt.Sprintf("Entitlement%d", i), Effect: "Allow", Action: e.Actions, Resource: e.Resources,
			Condition: map[string]map[string]any{expiryOperator: {expiryKey: expires}}}
		for j, a := range e.Actions {
			if problem := v.checkAction(a); problem != "" {
				errs = append(errs, render.Fieldf(render.ActionField(i, j), "%s", problem))
			}
		}
		for j, r := range e.Resources {
			if problem := checkResource(r); problem != "" {
				errs = append(errs, render.Fieldf(render.ResourceField(i, j), "%s", problem))
			}
		}
		folded := map[string]string{}
		for _, k := range slices.Sorted(mapKeys(e.Conditions)) {
			op, val, problem := renderCondition(v, k, e.Conditions[k])
			if problem != "" {
				errs = append(errs, render.Fieldf(render.ConditionField(i, k), "%s", problem))
				continue
			}
			// IAM reads condition keys, tag keys included, in any case:
			// two keys that differ only in case are one key to IAM, which
			// keeps one of the two tests, while the spec (and its diff)
			// says both must hold.
			if prev, dup := folded[strings.ToLower(k)]; dup {
				errs = append(errs, render.Fieldf(render.ConditionField(i, k), "%q and %q are one condition key to IAM, which reads keys in any case; write one of them", prev, k))
				continue
			}
			folded[strings.ToLower(k)] = k
			if st.Condition[op] == nil {
				st.Condition[op] = map[string]any{}
			}
			st.Condition[op][k] = val
		}
		policy.Statement = append(policy.Statement, st)
	}
	if len(errs) > 0 {
		return nil, errs
	}

	policyJSON, err := encode(policy)
	if err != nil {
		return nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, policyJSON); err != nil {
		return nil, err
	}
	if n := countNonSpace(compact.String()); n > maxInlinePolicy {
		return nil, render.Errors{render.Fieldf("spec.entitlements", "render to a policy of %d characters, over IAM's limit of %d for a role's inline policies; split the access over several specs and roles, or use fewer, broader patterns", n, maxInlinePolicy)}
	}

	trust := outPolicy{Version: policyVersion, Statement: []outStatement{{
		Sid: "ReplaceWithTheConsumer", Effect: "Allow",
		Principal: map[string]string{"AWS": "arn:aws:iam::ACCOUNT-ID:root"},
		Action:    []string{"sts:AssumeRole"},
		Condition: map[string]map[string]any{expiryOperator: {expiryKey: expires}},
	}}}
	if durationCap > 0 {
		trust.Statement[0].Condition["NumericLessThanEquals"] = map[string]any{"sts:DurationSeconds": strconv.Itoa(int(durationCap / time.Second))}
	}
	trustJSON, err := encode(trust)
	if err != nil {
		return nil, err
	}
	role := outRole{RoleName: name, MaxSessionDuration: int(session / time.Second)}
	for _, t := range []struct{ key, value string }{
		{"nhigate:spec", w.Metadata.Name}, {"nhigate:owner", w.Metadata.Owner}, {"nhigate:expires-at", expires},
	} {
		if t.value == "" {
			continue
		}
		if !validTagValue(t.value) {
			return nil, render.Errors{render.Fieldf(tagField[t.key], "%q cannot be an IAM tag value (letters, digits, spaces and _.:/=+-@, at most 256)", t.value)}
		}
		role.Tags = append(role.Tags, outTag{Key: t.key, Value: t.value})
	}
	roleJSON, err := encode(role)
	if err != nil {
		return nil, err
	}
	// Check what was written with the grammar import reads, so that no
	// rendering IAM would read differently leaves here.
	for _, doc := range [][]byte{policyJSON, trustJSON} {
		if _, err := decodePolicy(doc); err != nil {
			return nil, fmt.Errorf("render aws: the policy written does not read back: %w", err)
		}
	}
	return []render.File{
		{Name: render.Join(w, "policy.json"), Data: policyJSON},
		{Name: render.Join(w, "trust-policy.json"), Data: trustJSON},
		{Name: render.Join(w, "role.json"), Data: roleJSON},
	}, nil
}

var tagField = map[string]string{"nhigate:spec": "metadata.name", "nhigate:owner": "metadata.owner", "nhigate:expires-at": "spec.expiresAt"}

// sessionOf maps the credential TTL to the role's MaxSessionDuration and,
// for a TTL below AWS's one-hour minimum for it, the cap on the requested
// session duration that the trust policy enforces.
func sessionOf(ttl spec.Duration) (session, durationCap time.Duration, err *render.FieldError) {
	const field = "spec.credential.ttl"
	d := ttl.Duration
	switch {
	case !ttl.IsSet():
		return 0, 0, render.Fieldf(field, "is required: it becomes the role's MaxSessionDuration")
	case d%time.Second != 0:
		return 0, 0, render.Fieldf(field, "%s is not a whole number of seconds, which is what IAM counts in; write e.g. \"1h\"", ttl.Text)
	case d > maxSession:
		return 0, 0, render.Fieldf(field, "%s is over AWS's maximum session of 12h (MaxSessionDuration 43200); write 12h or less", ttl.Text)
	case d < minDuration:
		return 0, 0, render.Fieldf(field, "%s is under the shortest session STS issues, 15m (DurationSeconds 900); write 15m or more", ttl.Text)
	case d < minSession:
		return minSession, d, nil
	}
	return d, 0, nil
}

func expiryOf(t spec.Time) (string, *render.FieldError) {
	const field = "spec.expiresAt"
	switch {
	case !t.IsSet():
		return "", render.Fieldf(field, "is required: every statement of the policy ends with DateLessThan aws:CurrentTime at it; add e.g. \"2027-03-31T00:00:00Z\"")
	case t.Nanosecond() != 0:
		return "", render.Fieldf(field, "%s has a fraction of a second; write whole seconds", t.Text)
	}
	return t.UTC().Format(time.RFC3339), nil
}

// checkResource says why r is not an IAM resource, "" when it is one.
func checkResource(r string) string {
	switch {
	case strings.Contains(r, "${"):
		return fmt.Sprintf("%q holds a policy variable, which IAM fills in from the request, so the resource depends on the caller; write it out", r)
	case !arnRE.MatchString(r):
		return fmt.Sprintf("%q is not an IAM resource: write \"*\" or an ARN \"arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE\", e.g. \"arn:aws:s3:::bucket/*\"", r)
	}
	return ""
}

func validTagValue(s string) bool {
	if len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Zs, r) && !strings.ContainsRune("_.:/=+-@", r) {
			return false
		}
	}
	return true
}

func countNonSpace(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// The documents render writes, in the order IAM's documentation writes
// their elements.
type outPolicy struct {
	Version   string         `json:"Version"`
	Statement []outStatement `json:"Statement"`
}

type outStatement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Principal map[string]string         `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// outRole is the input of CreateRole without its trust policy, which
// the CLI takes as a file of its own: `aws iam create-role --cli-input-json
// file://role.json --assume-role-policy-document file://trust-policy.json`.
type outRole struct {
	RoleName           string   `json:"RoleName"`
	MaxSessionDuration int      `json:"MaxSessionDuration"`
	Tags               []outTag `json:"Tags,omitempty"`
}

type outTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// encode writes v as indented JSON with a trailing newline, without
// escaping <, > and &, so that the file reads as the spec was written.
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

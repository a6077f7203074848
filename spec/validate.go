package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Patterns of the string fields. The JSON Schema uses the same expressions;
// a test keeps the two in agreement.
const (
	DNSLabelPattern     = `^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`
	LoginPattern        = `^[A-Za-z0-9]([A-Za-z0-9-]{0,38})$`
	OwnerPattern        = `^@[A-Za-z0-9]([A-Za-z0-9-]{0,38})(/[A-Za-z0-9_.-]+)?$`
	IdentityNamePattern = `^[A-Za-z0-9][A-Za-z0-9._@:/-]{0,252}$`
	SHA256Pattern       = `^[0-9a-f]{64}$`
	RuleIDPattern       = `^NHI-[A-Z]+-[0-9]{3}$`

	// PatternPattern is for action and resource patterns: printable ASCII,
	// no space. A look-alike letter, a full-width `＊`, a zero-width space
	// or a control character would make a string that reads like another
	// or hides part of itself; the broadness of a pattern is judged on
	// ASCII alone (package catalog).
	PatternPattern = `^[!-~]+$`
)

var (
	dnsLabelRE     = regexp.MustCompile(DNSLabelPattern)
	loginRE        = regexp.MustCompile(LoginPattern)
	ownerRE        = regexp.MustCompile(OwnerPattern)
	identityNameRE = regexp.MustCompile(IdentityNamePattern)
	sha256RE       = regexp.MustCompile(SHA256Pattern)
	patternRE      = regexp.MustCompile(PatternPattern)
	ruleIDRE       = regexp.MustCompile(RuleIDPattern)
)

// Validate checks what the format itself requires: required fields, enums and
// the shape of strings. Whether the request is acceptable (limits, expiry in
// the future, separation of duties) is for the policies to judge.
func Validate(w *Workflow) Errors {
	v := validator{src: w.Source}
	if w.Source.Positions == nil {
		v.src.Positions = map[string]Pos{}
	}
	switch {
	case w.APIVersion == "":
		v.add("apiVersion", "is required", `add "apiVersion: nhigate.dev/v1"`)
	case w.APIVersion != APIVersion:
		v.add("apiVersion", unsupported(w.APIVersion, APIVersion), `write "nhigate.dev/v1"`)
	}
	switch {
	case w.Kind == "":
		v.add("kind", "is required", `add "kind: ProvisioningWorkflow"`)
	case w.Kind != Kind:
		v.add("kind", unsupported(w.Kind, Kind), `write "ProvisioningWorkflow"`)
	}

	m := w.Metadata
	v.match("metadata.name", m.Name, true, dnsLabelRE, `a DNS label: lower-case letters, digits and "-", at most 63, e.g. "payments-ci-deploy"`)
	v.match("metadata.owner", m.Owner, false, ownerRE, `a team "@org/team" or a user "@login"`)
	if strings.HasPrefix(m.Requester, "@") {
		v.add("metadata.requester", fmt.Sprintf("%q starts with @", m.Requester), fmt.Sprintf("write the GitHub login alone: %q", strings.TrimPrefix(m.Requester, "@")))
	} else {
		v.match("metadata.requester", m.Requester, false, loginRE, `the GitHub login of the person who asked, e.g. "alice"`)
	}
	v.match("metadata.provenance.promptSha256", m.Provenance.PromptSHA256, false, sha256RE, `64 lower-case hex digits: the sha256 of the prompt`)

	s := w.Spec
	id := s.Identity
	v.match("spec.identity.name", id.Name, true, identityNameRE, `the identity's name on its platform, e.g. "payments-ci"`)
	v.enum("spec.identity.type", id.Type, IdentityTypes)
	v.enum("spec.identity.platform", id.Platform, Platforms)
	v.enum("spec.identity.consumer", id.Consumer, Consumers)
	v.match("spec.environment", s.Environment, true, dnsLabelRE, `an environment named in .nhigate.yaml, e.g. "production"`)

	if len(s.Entitlements) == 0 {
		v.add("spec.entitlements", "needs at least one entitlement", `add "- actions: [...]" with "resources: [...]"`)
	}
	for i, e := range s.Entitlements {
		p := fmt.Sprintf("spec.entitlements[%d]", i)
		v.patterns(p+".actions", e.Actions, `an action such as "s3:GetObject"`)
		v.patterns(p+".resources", e.Resources, `a resource such as "arn:aws:s3:::bucket/*"`)
	}

	c := s.Credential
	v.enum("spec.credential.kind", c.Kind, CredentialKinds)
	if !c.TTL.IsSet() {
		v.add("spec.credential.ttl", "is required", `add "ttl: 1h", the lifetime of each issued credential`)
	}
	if c.Kind == "static" && !c.Rotation.IsSet() {
		v.add("spec.credential.rotation", "is required for a static credential", `add "rotation: 720h", or use "kind: ephemeral"`)
	}

	for i, a := range s.Approvals.Required {
		v.match(fmt.Sprintf("spec.approvals.required[%d]", i), a, true, ownerRE, `a team "@org/team" or a user "@login"`)
	}
	if _, set := v.src.Positions["spec.approvals.minApprovals"]; set && s.Approvals.MinApprovals < 1 {
		v.add("spec.approvals.minApprovals", fmt.Sprintf("%d is less than 1", s.Approvals.MinApprovals), "write 1 or more, or leave it out")
	}

	for i, e := range s.Exceptions {
		p := fmt.Sprintf("spec.exceptions[%d]", i)
		v.match(p+".rule", e.Rule, true, ruleIDRE, `a rule id such as "NHI-CRED-001"; "nhigate policies" lists them`)
		if e.Reason == "" {
			v.add(p+".reason", "is required", "say why the rule cannot be met")
		}
		v.match(p+".approvedBy", e.ApprovedBy, true, ownerRE, `who approved the exception: "@org/team" or "@login"`)
		if !e.ExpiresAt.IsSet() {
			v.add(p+".expiresAt", "is required", `add "expiresAt: 2026-12-31T00:00:00Z"; an exception never lasts forever`)
		}
	}
	return v.errs
}

type validator struct {
	src  Source
	errs Errors
}

func (v *validator) add(path, msg, hint string) {
	pos := v.src.Position(path)
	v.errs = append(v.errs, &Error{File: v.src.File, Line: pos.Line, Col: pos.Col, Path: path, Msg: msg, Hint: hint})
}

func (v *validator) match(path, val string, required bool, re *regexp.Regexp, want string) {
	switch {
	case val == "" && required:
		v.add(path, "is required", "write "+want)
	case val != "" && !re.MatchString(val):
		v.add(path, fmt.Sprintf("%q is not valid", val), "write "+want)
	}
}

func (v *validator) enum(path, val string, allowed []string) {
	switch {
	case val == "":
		v.add(path, "is required", "write one of: "+strings.Join(allowed, ", "))
	case !slices.Contains(allowed, val):
		v.add(path, fmt.Sprintf("%q is not allowed", val), "write one of: "+strings.Join(allowed, ", "))
	}
}

func (v *validator) patterns(path string, vals []string, want string) {
	if len(vals) == 0 {
		v.add(path, "needs at least one entry", "write "+want)
	}
	for i, s := range vals {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case s == "":
			v.add(p, "is required", "write "+want)
		case !patternRE.MatchString(s):
			what, fix, pos, _ := notPrintableASCII(s)
			v.add(p, fmt.Sprintf("%+q is not valid: character %d is %s", s, pos, what),
				fmt.Sprintf("%s; write %s in printable ASCII, without spaces", fix, want))
		}
	}
}

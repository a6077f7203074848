package policies

// The Go translation of each per-document built-in rule (see native.go),
// keyed by namespace and rule name, in the order of the Rego files. Each
// function holds the bodies of its Rego rule, in the same order, with the
// Rego's conditions as comments where the Go spelling differs. Read it
// next to the file named above each group.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/nhigate/nhigate/internal/secret"
	"github.com/nhigate/nhigate/policies/data/nhigate/catalog"
)

var nativeRules = map[string]func(d *nativeDoc){
	// spec/spec.rego and the loader's part of entitlements.rego: nothing
	// fires on a document that shaped accepts, which is the only kind the
	// translation sees (data.nhigate.loaded is set for it).
	"nhigate.spec.deny_nhi_spec_001":        func(*nativeDoc) {},
	"nhigate.entitlements.deny_nhi_ent_003": func(*nativeDoc) {},
	"nhigate.identity.warn_nhi_id_001":      identity001,
	"nhigate.environment.deny_nhi_env_001":  environment001,
	"nhigate.ownership.deny_nhi_own_001":    ownership(1, "owner", `metadata.owner is %s: name the accountable team or user, e.g. owner: "@acme/payments"`),
	"nhigate.ownership.deny_nhi_own_002":    ownership(2, "requester", "metadata.requester is %s: name the GitHub login of the human who asked, e.g. requester: alice"),
	"nhigate.revocation.deny_nhi_rev_001":   revocation001,
	"nhigate.expiry.deny_nhi_exp_001":       expiry001,
	"nhigate.expiry.deny_nhi_exp_002":       expiry002,
	"nhigate.expiry.deny_nhi_exp_003":       expiry003,
	"nhigate.sod.deny_nhi_sod_001":          sod001,
	"nhigate.sod.deny_nhi_sod_002":          sod002,
	"nhigate.provenance.deny_nhi_prov_001":  provenance001,
	"nhigate.provenance.deny_nhi_prov_002":  provenance002,
	"nhigate.provenance.deny_nhi_prov_003":  provenance003,
	"nhigate.secrets.deny_nhi_sec_001":      secrets001,
	"nhigate.delegation.deny_nhi_del_001":   delegation001,
	"nhigate.delegation.deny_nhi_del_002":   delegation002,
	"nhigate.delegation.deny_nhi_del_003":   delegation003,
	"nhigate.credential.deny_nhi_cred_001":  credential001,
	"nhigate.credential.deny_nhi_cred_002":  credential002,
	"nhigate.credential.warn_nhi_cred_003":  credential003,
	"nhigate.credential.deny_nhi_cred_004":  credential004,
	"nhigate.credential.deny_nhi_cred_005":  credential005,
	"nhigate.risk.deny_nhi_risk_001":        risk001,
	"nhigate.risk.deny_nhi_risk_002":        risk002,
	"nhigate.entitlements.deny_nhi_ent_001": entitlements001,
	"nhigate.entitlements.deny_nhi_ent_002": entitlements002,
	"nhigate.exceptions.deny_nhi_exc_001":   exceptions001,
	"nhigate.exceptions.deny_nhi_exc_002":   exceptions002,
	"nhigate.exceptions.deny_nhi_exc_003":   exceptions003,
	"nhigate.exceptions.deny_nhi_exc_004":   exceptions004,
	"nhigate.exceptions.deny_nhi_exc_005":   exceptions005,
}

// identity/identity.rego

func identity001(d *nativeDoc) {
	if v, _ := get(d.doc, "spec", "identity", "consumer"); v == "human" {
		d.result("NHI-ID-001", []any{"spec", "identity", "consumer"}, "identity.consumer is human: a person should use their own identity; grant the access to them, or set consumer to the pipeline, agent or scheduled-job that uses it")
	}
}

// environment/environment.rego

func environment001(d *nativeDoc) {
	if !d.envConfigured {
		d.result("NHI-ENV-001", []any{"spec", "environment"}, fmt.Sprintf("spec.environment is %s, which is not configured: write one of %s; until then the strictest limits apply", d.shown("spec", "environment"), d.n.config.envNames))
	}
}

// ownership/ownership.rego

func ownership(n int, key, format string) func(*nativeDoc) {
	id := fmt.Sprintf("NHI-OWN-%03d", n)
	return func(d *nativeDoc) {
		if v, _ := get(d.doc, "metadata", key); !nonEmpty(v) {
			d.result(id, []any{"metadata", key}, fmt.Sprintf(format, d.shown("metadata", key)))
		}
	}
}

// revocation/revocation.rego

func revocation001(d *nativeDoc) {
	onCompletion, _ := get(d.doc, "spec", "revocation", "onCompletion")
	onTimeout, hasTimeout := get(d.doc, "spec", "revocation", "onTimeout")
	automatic := onCompletion == true || durationNS(onTimeout).ok
	if !automatic && !hasTimeout {
		d.result("NHI-REV-001", []any{"spec", "revocation"}, fmt.Sprintf("revocation is not automatic (onCompletion %s, onTimeout %s): set revocation.onCompletion: true and/or revocation.onTimeout: 2h", d.shown("spec", "revocation", "onCompletion"), d.shown("spec", "revocation", "onTimeout")))
	}
	if hasTimeout && !durationNS(onTimeout).ok {
		d.result("NHI-REV-001", []any{"spec", "revocation", "onTimeout"}, fmt.Sprintf("revocation.onTimeout is %s, not a Go duration: write e.g. onTimeout: 2h", d.shown("spec", "revocation", "onTimeout")))
	}
}

// expiry/expiry.rego

func (d *nativeDoc) expires() (int64, bool) {
	v, _ := get(d.doc, "spec", "expiresAt")
	return timeNS(v)
}

// expiryExample is expiry.example; ok is false where it is undefined.
func (d *nativeDoc) expiryExample() (string, bool) { return dayCeil(d.now, big.NewInt(24*hourNS)) }

func expiry001(d *nativeDoc) {
	if _, ok := d.expires(); ok {
		return
	}
	if example, ok := d.expiryExample(); ok {
		d.result("NHI-EXP-001", []any{"spec", "expiresAt"}, fmt.Sprintf("spec.expiresAt is %s: write an RFC3339 time such as %s", d.shown("spec", "expiresAt"), example))
	}
}

func expiry002(d *nativeDoc) {
	expires, ok := d.expires()
	if !ok || expires > d.now {
		return
	}
	if example, ok := d.expiryExample(); ok {
		at, _ := get(d.doc, "spec", "expiresAt")
		d.result("NHI-EXP-002", []any{"spec", "expiresAt"}, fmt.Sprintf("spec.expiresAt %s has passed (it is now past %s): set a future time such as %s, or delete the spec to revoke the grant", at, fmtTime(d.now-d.now%hourNS), example))
	}
}

func expiry003(d *nativeDoc) {
	expires, ok := d.expires()
	if !ok || expires <= d.now {
		return
	}
	lim := d.envLimit(maxGrant)
	if !lim.ok {
		d.result("NHI-EXP-003", []any{"spec", "expiresAt"}, fmt.Sprintf("the maxGrant of %s is not a Go duration in the nhigate config, so spec.expiresAt cannot be checked: fix the configuration", d.envName))
		return
	}
	if lessEq(sub(expires, d.now), lim.ns) {
		return
	}
	if latest, ok := dayFloor(d.now, big.NewInt(lim.ns)); ok {
		at, _ := get(d.doc, "spec", "expiresAt")
		d.result("NHI-EXP-003", []any{"spec", "expiresAt"}, fmt.Sprintf("spec.expiresAt %s is more than the maxGrant of %s (%s) from now: write %s or earlier, and renew with a new pull request", at, d.envName, fmtDuration(lim.ns), latest))
	}
}

// sod/sod.rego

func sod001(d *nativeDoc) {
	requester, _ := getPath(d.doc, []any{"metadata", "requester"})
	if !nonEmpty(requester) {
		return
	}
	required, _ := get(d.doc, "spec", "approvals", "required")
	each(required, func(i, a any) {
		if nonEmpty(a) && norm(a.(string)) == norm(requester.(string)) {
			d.result("NHI-SOD-001", []any{"spec", "approvals", "required", i}, fmt.Sprintf("the requester %s is listed in spec.approvals.required: a requester never approves their own request; name an independent approver instead", requester))
		}
	})
}

func sod002(d *nativeDoc) {
	if d.n.config.tiers[d.tier].ownerMayApprove {
		return
	}
	owner, _ := getPath(d.doc, []any{"metadata", "owner"})
	requester, _ := getPath(d.doc, []any{"metadata", "requester"})
	same := func(a string, who any) bool { return nonEmpty(who) && a == norm(who.(string)) }
	for a := range d.approvers() {
		if !same(a, owner) && !same(a, requester) {
			return
		}
	}
	d.result("NHI-SOD-002", []any{"spec", "approvals", "required"}, fmt.Sprintf(`risk tier %s (%s) does not let the owner (%s) approve its own grant, and spec.approvals.required names no one else: add an independent approver such as "@acme/security"`, d.tier, d.tierReason, d.shown("metadata", "owner")))
}

// approvers is lib.approvers: spec.approvals.required, normalized.
func (d *nativeDoc) approvers() map[string]bool {
	set := map[string]bool{}
	required, _ := get(d.doc, "spec", "approvals", "required")
	each(required, func(_, a any) {
		if nonEmpty(a) {
			set[norm(a.(string))] = true
		}
	})
	return set
}

// provenance/provenance.rego

func provenance001(d *nativeDoc) {
	if v, _ := get(d.doc, "metadata", "provenance", "generator"); !nonEmpty(v) {
		d.result("NHI-PROV-001", []any{"metadata", "provenance", "generator"}, fmt.Sprintf("metadata.provenance.generator is %s: record the tool that wrote the spec, e.g. generator: chatops-bot@2.3.1", d.shown("metadata", "provenance", "generator")))
	}
}

// hasPrompt is provenance.has_prompt.
func (d *nativeDoc) hasPrompt() (string, bool) {
	v, _ := get(d.doc, "metadata", "provenance", "prompt")
	s, ok := v.(string)
	return s, ok && s != ""
}

func provenance002(d *nativeDoc) {
	sum, _ := get(d.doc, "metadata", "provenance", "promptSha256")
	if _, ok := d.hasPrompt(); !ok && !nonEmpty(sum) {
		d.result("NHI-PROV-002", []any{"metadata", "provenance", "prompt"}, "metadata.provenance has neither prompt nor promptSha256: record the prompt, or its lowercase hex SHA-256 in promptSha256")
	}
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

func isDigest(v any) bool {
	s, ok := v.(string)
	return ok && sha256Hex.MatchString(s)
}

func provenance003(d *nativeDoc) {
	sum, present := get(d.doc, "metadata", "provenance", "promptSha256")
	if present && !isDigest(sum) {
		d.result("NHI-PROV-003", []any{"metadata", "provenance", "promptSha256"}, fmt.Sprintf("metadata.provenance.promptSha256 is %s, not a SHA-256: write the 64 lowercase hex digits of sha256(prompt)", d.shown("metadata", "provenance", "promptSha256")))
	}
	prompt, ok := d.hasPrompt()
	if !ok || !isDigest(sum) {
		return
	}
	h := sha256.Sum256([]byte(prompt))
	if want := hex.EncodeToString(h[:]); sum != want {
		d.result("NHI-PROV-003", []any{"metadata", "provenance", "promptSha256"}, fmt.Sprintf("metadata.provenance.promptSha256 does not match the prompt, whose SHA-256 is %s: restore the prompt the generator wrote, or record its hash", want))
	}
}

// secrets/secrets.rego

func secrets001(d *nativeDoc) {
	// path is the stack of keys down to v (walk's path). A mapping key
	// that looks like a secret is reported at its mapping, and nothing
	// below it is: its path would repeat the key (secret_in_path). The
	// kinds are package secret's, which TestKindsMatchPolicy holds to
	// secrets.secret_kinds; a string without a marker holds none.
	var path []any
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			for _, k := range secretsIn(v) {
				f := fmtPath(path)
				d.resultAt("NHI-SEC-001", f, fmt.Sprintf("%s holds what looks like %s: remove it from the spec, revoke it, and refer to secrets by name only", f, k.Name))
			}
		case map[string]any:
			for key, x := range v {
				kinds := secretsIn(key)
				for _, k := range kinds {
					f := fmtPath(path)
					place := f
					if place == "" {
						place = "the document"
					}
					d.resultAt("NHI-SEC-001", f, fmt.Sprintf("%s has a key that looks like %s: remove it from the spec, revoke it, and refer to secrets by name only", place, k.Name))
				}
				if len(kinds) == 0 {
					path = append(path, key)
					walk(x)
					path = path[:len(path)-1]
				}
			}
		case []any:
			for i, x := range v {
				path = append(path, i)
				walk(x)
				path = path[:len(path)-1]
			}
		}
	}
	walk(d.doc)
}

// secretsIn lists the kinds of secret s holds.
func secretsIn(s string) []*secret.Kind {
	if !secret.Suspicious(s) {
		return nil
	}
	var kinds []*secret.Kind
	for _, k := range secret.Kinds {
		if k.Matches(s) {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// delegation/delegation.rego

func delegation001(d *nativeDoc) {
	if !d.delegated {
		return
	}
	lim := d.n.config.delegated[maxTTL]
	if !lim.ok {
		d.result("NHI-DEL-001", []any{"spec", "credential", "ttl"}, "delegated.maxTTL is not a Go duration in the nhigate config, so the TTL of delegated automation cannot be checked: fix the configuration")
		return
	}
	ttl, _ := get(d.doc, "spec", "credential", "ttl")
	if t := durationNS(ttl); !t.ok || t.ns > lim.ns {
		d.result("NHI-DEL-001", []any{"spec", "credential", "ttl"}, fmt.Sprintf("identity.consumer %s is delegated automation, so credential.ttl (%s) must be at most delegated.maxTTL %s: write ttl: %s or less", d.consumerName(), d.shown("spec", "credential", "ttl"), fmtDuration(lim.ns), fmtDuration(lim.ns)))
	}
}

func delegation002(d *nativeDoc) {
	if !d.delegated {
		return
	}
	lim := d.n.config.delegated[maxGrant]
	if !lim.ok {
		d.result("NHI-DEL-002", []any{"spec", "expiresAt"}, "delegated.maxGrant is not a Go duration in the nhigate config, so the expiry of delegated automation cannot be checked: fix the configuration")
		return
	}
	if expires, ok := d.expires(); ok && lessEq(sub(expires, d.now), lim.ns) {
		return
	}
	if latest, ok := dayFloor(d.now, big.NewInt(lim.ns)); ok {
		d.result("NHI-DEL-002", []any{"spec", "expiresAt"}, fmt.Sprintf("identity.consumer %s is delegated automation, so spec.expiresAt (%s) must be at most delegated.maxGrant %s from now: write %s or earlier", d.consumerName(), d.shown("spec", "expiresAt"), fmtDuration(lim.ns), latest))
	}
}

func delegation003(d *nativeDoc) {
	if !d.delegated {
		return
	}
	for _, w := range d.wildcards {
		d.result("NHI-DEL-003", w.path, fmt.Sprintf("identity.consumer %s is delegated automation, which gets no wildcards: replace %q with the exact %s", d.consumerName(), w.pattern, w.path[3]))
	}
}

// consumerName is lib.consumer_name.
func (d *nativeDoc) consumerName() string {
	if v, _ := get(d.doc, "spec", "identity", "consumer"); v != nil {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return "(missing)"
}

// credential/credential.rego

func credential001(d *nativeDoc) {
	if kind, _ := get(d.doc, "spec", "credential", "kind"); kind == "static" && d.production {
		d.result("NHI-CRED-001", []any{"spec", "credential", "kind"}, fmt.Sprintf("static credentials are not allowed in %s: use credential.kind: ephemeral, or add an approved spec exception for NHI-CRED-001", d.envName))
	}
}

func credential002(d *nativeDoc) {
	kind, _ := get(d.doc, "spec", "credential", "kind")
	rotation, _ := get(d.doc, "spec", "credential", "rotation")
	if kind == "static" && !durationNS(rotation).ok {
		d.result("NHI-CRED-002", []any{"spec", "credential", "rotation"}, fmt.Sprintf("credential.rotation is %s: a static credential needs a rotation period, e.g. rotation: 24h", d.shown("spec", "credential", "rotation")))
	}
}

func credential003(d *nativeDoc) {
	typ, _ := get(d.doc, "spec", "identity", "type")
	kind, _ := get(d.doc, "spec", "credential", "kind")
	if typ != "workload-identity" && kind != "ephemeral" {
		d.result("NHI-CRED-003", []any{"spec", "credential", "kind"}, fmt.Sprintf("identity.type %s with credential.kind %s: prefer identity.type: workload-identity or credential.kind: ephemeral", d.shown("spec", "identity", "type"), d.shown("spec", "credential", "kind")))
	}
}

func credential004(d *nativeDoc) {
	if kind, _ := get(d.doc, "spec", "credential", "kind"); kind != "ephemeral" && kind != "static" {
		d.result("NHI-CRED-004", []any{"spec", "credential", "kind"}, fmt.Sprintf("credential.kind is %s: write ephemeral or static", d.shown("spec", "credential", "kind")))
	}
}

func credential005(d *nativeDoc) {
	v, _ := get(d.doc, "spec", "credential", "ttl")
	ttl := durationNS(v)
	if !ttl.ok {
		d.result("NHI-CRED-005", []any{"spec", "credential", "ttl"}, fmt.Sprintf("credential.ttl is %s: write a Go duration such as ttl: 1h", d.shown("spec", "credential", "ttl")))
		return
	}
	lim := d.envLimit(maxTTL)
	switch {
	case !lim.ok:
		d.result("NHI-CRED-005", []any{"spec", "credential", "ttl"}, fmt.Sprintf("the maxTTL of %s is not a Go duration in the nhigate config, so credential.ttl cannot be checked: fix the configuration", d.envName))
	case ttl.ns > lim.ns:
		d.result("NHI-CRED-005", []any{"spec", "credential", "ttl"}, fmt.Sprintf("credential.ttl %s exceeds the maxTTL of %s (%s): write ttl: %s or less", v, d.envName, fmtDuration(lim.ns), fmtDuration(lim.ns)))
	}
}

// risk/risk.rego

func risk001(d *nativeDoc) {
	approvers := d.approvers()
	for _, a := range d.n.config.tiers[d.tier].approvers {
		if !approvers[norm(a)] {
			d.result("NHI-RISK-001", []any{"spec", "approvals", "required"}, fmt.Sprintf("risk tier %s (%s) requires approver %s: add %q to spec.approvals.required", d.tier, d.tierReason, a, a))
		}
	}
}

func risk002(d *nativeDoc) {
	tierMin := d.n.config.tiers[d.tier].minApprovals
	specMin := ast.Number("0")
	if v, _ := get(d.doc, "spec", "approvals", "minApprovals"); isNumber(v) {
		n, ok := number(v)
		if !ok {
			d.ok = false
			return
		}
		specMin = n
	}
	if ast.Compare(specMin, tierMin) < 0 {
		t := sprintfNumber(tierMin)
		d.result("NHI-RISK-002", []any{"spec", "approvals", "minApprovals"}, fmt.Sprintf("risk tier %s (%s) needs at least %s approvals, and spec.approvals.minApprovals is %s: write minApprovals: %s", d.tier, d.tierReason, t, d.shown("spec", "approvals", "minApprovals"), t))
	}
}

// entitlements/entitlements.rego

func entitlements001(d *nativeDoc) {
	if !d.production {
		return
	}
	d.patterns("actions", func(i, j any, a string) {
		if v := d.judge(catalog.Action, a); v.Broad() {
			d.result("NHI-ENT-001", []any{"spec", "entitlements", i, "actions", j}, fmt.Sprintf("action %q %s in %s: %s", a, v.Why, d.envName, v.Fix))
		}
	})
	// A sensitive action on a resource that names a whole scope, when
	// neither is broad on its own, once per resource.
	ents, _ := get(d.doc, "spec", "entitlements")
	each(ents, func(i, e any) {
		actions, _ := get(e, "actions")
		resources, _ := get(e, "resources")
		each(actions, func(j, a any) {
			s, ok := a.(string)
			if !ok || d.judge(catalog.Action, s).Broad() {
				return
			}
			each(resources, func(_, r any) {
				rs, ok := r.(string)
				if !ok || d.judge(catalog.Resource, rs).Broad() {
					return
				}
				if v := d.judgeGrant(s, rs); v.Broad() {
					d.result("NHI-ENT-001", []any{"spec", "entitlements", i, "actions", j}, fmt.Sprintf("action %q on resource %q %s in %s: %s", s, rs, v.Why, d.envName, v.Fix))
				}
			})
		})
	})
}

func entitlements002(d *nativeDoc) {
	if !d.production {
		return
	}
	d.patterns("resources", func(i, j any, r string) {
		if v := d.judge(catalog.Resource, r); v.Broad() {
			d.result("NHI-ENT-002", []any{"spec", "entitlements", i, "resources", j}, fmt.Sprintf("resource %q %s in %s: %s", r, v.Why, d.envName, v.Fix))
		}
	})
}

// patterns is entitlements.patterns(key): f gets every string of the
// actions or resources lists, with its entitlement's and its own index.
func (d *nativeDoc) patterns(key string, f func(i, j any, v string)) {
	ents, _ := get(d.doc, "spec", "entitlements")
	each(ents, func(i, e any) {
		list, _ := get(e, key)
		each(list, func(j, v any) {
			if s, ok := v.(string); ok {
				f(i, j, s)
			}
		})
	})
}

// exceptions/exceptions.rego

// eachException calls f for every exception that is a mapping.
func (d *nativeDoc) eachException(f func(i any, e map[string]any)) {
	exceptions, _ := get(d.doc, "spec", "exceptions")
	each(exceptions, func(i, e any) {
		if m, ok := e.(map[string]any); ok {
			f(i, m)
		}
	})
}

// ruleText is exceptions.rule_text.
func ruleText(e map[string]any) string {
	if s, ok := e["rule"].(string); ok {
		return s
	}
	return "an unnamed rule"
}

func exceptions001(d *nativeDoc) {
	d.eachException(func(i any, e map[string]any) {
		if !nonEmpty(e["reason"]) {
			d.result("NHI-EXC-001", []any{"spec", "exceptions", i, "reason"}, fmt.Sprintf(`the exception for %s has reason %s: say why the rule cannot be met, e.g. reason: "vendor API only supports static keys"`, ruleText(e), d.shown("spec", "exceptions", i, "reason")))
		}
	})
}

func exceptions002(d *nativeDoc) {
	requester, _ := getPath(d.doc, []any{"metadata", "requester"})
	d.eachException(func(i any, e map[string]any) {
		path := []any{"spec", "exceptions", i, "approvedBy"}
		switch {
		case !nonEmpty(e["approvedBy"]):
			d.result("NHI-EXC-002", path, fmt.Sprintf(`the exception for %s has approvedBy %s: name who approved it, e.g. approvedBy: "@acme/security"`, ruleText(e), d.shown(path...)))
		case !nonEmpty(requester):
			d.result("NHI-EXC-002", path, fmt.Sprintf("the exception for %s cannot be told apart from a self-approval because metadata.requester is missing: set metadata.requester", ruleText(e)))
		case norm(e["approvedBy"].(string)) == norm(requester.(string)):
			d.result("NHI-EXC-002", path, fmt.Sprintf("the exception for %s is approved by the requester %s: a requester never approves their own exception; name an independent approver", ruleText(e), requester))
		}
	})
}

func exceptions003(d *nativeDoc) {
	d.eachException(func(i any, e map[string]any) {
		if t, ok := timeNS(e["expiresAt"]); ok && t <= d.now {
			d.result("NHI-EXC-003", []any{"spec", "exceptions", i, "expiresAt"}, fmt.Sprintf("the exception for %s expired at %s and no longer applies: remove it and fix the rule, or renew it with a new approval", ruleText(e), e["expiresAt"]))
		}
	})
}

func exceptions004(d *nativeDoc) {
	c := d.n.config
	d.eachException(func(i any, e map[string]any) {
		path := []any{"spec", "exceptions", i, "expiresAt"}
		t, ok := timeNS(e["expiresAt"])
		if !ok {
			if example, ok := dayCeil(d.now, big.NewInt(30*dayNS)); ok {
				d.result("NHI-EXC-004", path, fmt.Sprintf("the exception for %s has expiresAt %s: write an RFC3339 time at most %s days away, e.g. %s", ruleText(e), d.shown(path...), c.maxDaysText, example))
			}
			return
		}
		if t <= d.now || sub(t, d.now).Cmp(c.maxDaysNS) <= 0 {
			return
		}
		if latest, ok := dayFloor(d.now, c.maxDaysNS); ok {
			d.result("NHI-EXC-004", path, fmt.Sprintf("the exception for %s expires at %s, more than maxExceptionDays (%s) from now: write %s or earlier", ruleText(e), e["expiresAt"], c.maxDaysText, latest))
		}
	})
}

func exceptions005(d *nativeDoc) {
	exceptions, _ := get(d.doc, "spec", "exceptions")
	each(exceptions, func(i, e any) {
		m, ok := e.(map[string]any)
		if !ok {
			d.result("NHI-EXC-005", []any{"spec", "exceptions", i}, fmt.Sprintf("spec.exceptions[%v] is %s: write a mapping with rule, reason, approvedBy, expiresAt and ticket", i, d.marshal(e)))
			return
		}
		path := []any{"spec", "exceptions", i, "rule"}
		id, isString := m["rule"].(string)
		waivable, known := d.n.waivableIDs[id]
		switch {
		case !isString || !known:
			d.result("NHI-EXC-005", path, fmt.Sprintf("the exception names rule %s, which is not a rule id: write a rule id from docs/POLICIES.md, e.g. rule: NHI-CRED-001", d.shown(path...)))
		case !waivable:
			d.result("NHI-EXC-005", path, fmt.Sprintf("rule %s cannot be waived by an exception: fix the spec instead", id))
		}
	})
}

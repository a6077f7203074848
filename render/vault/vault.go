// Package vault renders a spec into a Vault ACL policy (HCL) and a token
// role, and imports Vault ACL policies (HCL or JSON) back into specs.
//
// The mapping is written down in docs/RENDER.md, section "Vault".
package vault

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/spec"
)

// Target renders the specs of platform vault.
var Target = render.Target{
	Name:     "vault",
	Platform: "vault",
	Summary:  "a Vault ACL policy (HCL) and a token role whose tokens live credential.ttl",
	Render:   Render,
}

// Source imports Vault ACL policies.
var Source = render.Source{
	Name:     "vault",
	Platform: "vault",
	Summary:  "Vault ACL policies, HCL or JSON (one principal per file, named after it)",
	Import:   Import,
}

// Capabilities are Vault's ACL capabilities that a spec may grant, in the
// order a rendered policy lists them. deny is not one: a spec grants.
var Capabilities = []string{"create", "read", "update", "patch", "delete", "list", "sudo", "subscribe", "recover"}

// The condition keys a spec may write for Vault: the first five are
// parameters of a policy's path block, bound_cidrs binds the token role.
const (
	condRequired = "required_parameters"
	condAllowed  = "allowed_parameters"
	condDenied   = "denied_parameters"
	condMinWrap  = "min_wrapping_ttl"
	condMaxWrap  = "max_wrapping_ttl"
	condCIDRs    = "bound_cidrs"
)

var pathConditions = []string{condRequired, condAllowed, condDenied, condMinWrap, condMaxWrap}

// nameRE is what a Vault policy and token role name may be here: Vault
// lowercases policy names, and the role name is a path segment.
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`)

// safeRE is what a path, a parameter name or a value may hold so that it
// is the same string in HCL 1 (what Vault reads) and HCL 2: no quote,
// backslash, template introducer or control character.
var safeRE = regexp.MustCompile(`^[!#&-\[\]-z|~']*$`)

// block is one path block of a policy.
type block struct {
	path  string
	caps  map[string]bool
	conds map[string]any // canonical: see pathConds
	from  int            // the entitlement that first wrote it
}

// Render returns the policy and token role of w.
func Render(w *spec.Workflow) ([]render.File, error) {
	var errs render.Errors
	s := w.Spec
	name := s.Identity.Name
	if !nameRE.MatchString(name) {
		errs = append(errs, render.Fieldf("spec.identity.name", "%q cannot name a Vault policy and token role: write lower-case letters, digits, '.', '_' and '-', e.g. %q", name, "payments-ci"))
	}
	if s.Credential.Kind == "static" {
		errs = append(errs, render.Fieldf("spec.credential.kind", "a Vault token from a token role always expires; write kind: ephemeral with a ttl"))
	}
	ttl := s.Credential.TTL.Duration
	switch {
	case !s.Credential.TTL.IsSet() || ttl <= 0:
		errs = append(errs, render.Fieldf("spec.credential.ttl", "a Vault token role needs a token lifetime: write a ttl such as \"1h\""))
	case ttl%time.Second != 0:
		errs = append(errs, render.Fieldf("spec.credential.ttl", "Vault counts token lifetimes in whole seconds: write %s", ttl.Truncate(time.Second)))
	}

	var blocks []*block
	byPath := map[string]*block{}
	var cidrs []string
	cidrsFrom := -1
	for i, e := range s.Entitlements {
		caps := map[string]bool{}
		for j, a := range e.Actions {
			switch {
			case a == "deny":
				errs = append(errs, render.Fieldf(render.ActionField(i, j), "a spec only grants: to keep a path out of reach, leave it out (Vault denies what no policy grants)"))
			case slices.Contains(Capabilities, a):
				caps[a] = true
			case strings.ContainsAny(a, "*?"):
				errs = append(errs, render.Fieldf(render.ActionField(i, j), "Vault capabilities have no wildcard: list them, from %s", strings.Join(Capabilities, ", ")))
			default:
				errs = append(errs, render.Fieldf(render.ActionField(i, j), "%q is not a Vault capability: write one of %s", a, strings.Join(Capabilities, ", ")))
			}
		}
		conds, cidr, cerrs := conditions(i, e.Conditions)
		errs = append(errs, cerrs...)
		if e.Conditions != nil {
			if _, ok := e.Conditions[condCIDRs]; ok {
				if cidrsFrom >= 0 && !slices.Equal(cidr, cidrs) {
					errs = append(errs, render.Fieldf(render.ConditionField(i, condCIDRs), "bound_cidrs binds the whole token (token_bound_cidrs of its role), and entitlements[%d] binds it to %v: write the same bound_cidrs on every entitlement, or split the spec", cidrsFrom, cidrs))
				}
				if cidrsFrom < 0 {
					cidrs, cidrsFrom = cidr, i
				}
			}
		}
		for j, r := range e.Resources {
			p := strings.TrimLeft(r, "/")
			if err := checkPath(p); err != "" {
				errs = append(errs, render.Fieldf(render.ResourceField(i, j), "%s", err))
				continue
			}
			b := byPath[p]
			if b == nil {
				b = &block{path: p, caps: map[string]bool{}, conds: conds, from: i}
				byPath[p] = b
				blocks = append(blocks, b)
			} else if !sameJSON(b.conds, conds) {
				errs = append(errs, render.Fieldf(render.ResourceField(i, j), "path %q is also granted by entitlements[%d] under other conditions, and Vault merges the blocks of one path: grant it once, under one set of conditions", p, b.from))
				continue
			}
			for c := range caps {
				b.caps[c] = true
			}
		}
	}
	if cidrsFrom >= 0 {
		for i, e := range s.Entitlements {
			if _, ok := e.Conditions[condCIDRs]; !ok {
				errs = append(errs, render.Fieldf(fmt.Sprintf("spec.entitlements[%d].conditions", i), "entitlements[%d] binds the token to %v with bound_cidrs, which Vault applies to the whole token (token_bound_cidrs of its role): write the same bound_cidrs here, or split the spec", cidrsFrom, cidrs))
			}
		}
	}
	if len(blocks) == 0 && len(errs) == 0 {
		errs = append(errs, render.Fieldf("spec.entitlements", "nothing to grant: write at least one capability on one path"))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	slices.SortFunc(blocks, func(a, b *block) int { return strings.Compare(a.path, b.path) })

	policy := writePolicy(w, blocks)
	role := tokenRole{
		AllowedPolicies:      []string{name},
		TokenTTL:             int64(ttl / time.Second),
		TokenExplicitMaxTTL:  int64(ttl / time.Second),
		TokenNoDefaultPolicy: true,
		Renewable:            false,
		TokenBoundCIDRs:      cidrs,
	}
	rb, err := json.MarshalIndent(role, "", "  ")
	if err != nil {
		return nil, err
	}
	return []render.File{
		{Name: render.Join(w, "policy.hcl"), Data: policy},
		{Name: render.Join(w, "token-role.json"), Data: append(rb, '\n')},
	}, nil
}

// tokenRole is the body of `vault write auth/token/roles/NAME`.
type tokenRole struct {
	AllowedPolicies      []string `json:"allowed_policies"`
	TokenTTL             int64    `json:"token_ttl"`
	TokenExplicitMaxTTL  int64    `json:"token_explicit_max_ttl"`
	TokenNoDefaultPolicy bool     `json:"token_no_default_policy"`
	Renewable            bool     `json:"renewable"`
	TokenBoundCIDRs      []string `json:"token_bound_cidrs,omitempty"`
}

// checkPath says what is wrong with a policy path, "" when nothing is.
// Vault reads "*" as a glob only at the end and "+" as a wildcard only as a
// whole segment; nhigate reads "*" and "?" as wildcards anywhere, so any
// other place of them would mean one thing to the review and another to
// Vault.
func checkPath(p string) string {
	switch {
	case p == "":
		return "an empty path: write a Vault path such as \"secret/data/payments/*\""
	case !safeRE.MatchString(p):
		return fmt.Sprintf("path %q holds a character a policy cannot carry as written (a quote, backslash, '$', '%%', '{', '}', space or control character): write the path without it", p)
	case strings.Contains(p, "?"):
		return fmt.Sprintf("path %q: Vault reads '?' literally, the review as any character: write the path without it", p)
	case strings.Contains(strings.TrimSuffix(p, "*"), "*"):
		return fmt.Sprintf("path %q: Vault globs with '*' only at the end of a path: use '+' for one whole segment, or end the path with '*'", p)
	case strings.Contains(p, "+*"):
		return fmt.Sprintf("path %q: Vault forbids '+*': write '+/*' or '*'", p)
	}
	for _, seg := range strings.Split(strings.TrimSuffix(p, "*"), "/") {
		if seg != "+" && strings.Contains(seg, "+") {
			return fmt.Sprintf("path %q: '+' is Vault's wildcard only as a whole segment (\"secret/+/config\"): write it alone between slashes", p)
		}
	}
	return ""
}

// conditions checks the conditions of entitlement i, and returns those of
// its path blocks (canonical, nil when none) and its bound CIDRs.
func conditions(i int, c map[string]any) (map[string]any, []string, render.Errors) {
	var errs render.Errors
	var out map[string]any
	var cidrs []string
	set := func(k string, v any) {
		if out == nil {
			out = map[string]any{}
		}
		out[k] = v
	}
	for _, k := range slices.Sorted(maps.Keys(c)) {
		f := render.ConditionField(i, k)
		v := c[k]
		switch k {
		case condRequired:
			l, ok := stringList(v)
			if !ok {
				errs = append(errs, render.Fieldf(f, "write a list of parameter names, e.g. [\"ttl\"]"))
				continue
			}
			set(k, anyList(l))
		case condAllowed, condDenied:
			m, ok := v.(map[string]any)
			if !ok {
				errs = append(errs, render.Fieldf(f, "write a map of parameter names to lists of values, e.g. {\"ttl\": [\"1h\"]} ([] allows any value)"))
				continue
			}
			cm := map[string]any{}
			for _, pk := range slices.Sorted(maps.Keys(m)) {
				l, ok := stringList(m[pk])
				if !ok || !safeRE.MatchString(pk) || pk == "" {
					errs = append(errs, render.Fieldf(f+"."+pk, "write a parameter name a policy can carry, and a list of string values"))
					continue
				}
				cm[pk] = anyList(l)
			}
			set(k, cm)
		case condMinWrap, condMaxWrap:
			s, ok := v.(string)
			d, err := time.ParseDuration(s)
			if !ok || err != nil || d <= 0 || d%time.Second != 0 {
				errs = append(errs, render.Fieldf(f, "write a duration of whole seconds, e.g. \"5m\""))
				continue
			}
			set(k, s)
		case condCIDRs:
			l, ok := stringList(v)
			if s, one := v.(string); one {
				l, ok = []string{s}, true
			}
			if ok {
				ok = len(l) > 0 && !slices.ContainsFunc(l, func(c string) bool {
					_, perr := netip.ParsePrefix(c)
					_, aerr := netip.ParseAddr(c)
					return perr != nil && aerr != nil
				})
			}
			if !ok {
				errs = append(errs, render.Fieldf(f, "write a CIDR or an IP address, or a list of them, e.g. \"10.0.0.0/16\""))
				continue
			}
			cidrs = l
		default:
			errs = append(errs, render.Fieldf(f, "Vault has no place for condition %q: a policy path carries %s, and the token role bound_cidrs", k, strings.Join(pathConditions, ", ")))
		}
	}
	return out, cidrs, errs
}

func stringList(v any) ([]string, bool) {
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, ok := x.(string)
		if !ok || !safeRE.MatchString(s) || s == "" {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func anyList(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

func sameJSON(a, b map[string]any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// writePolicy writes the policy in HCL that both HCL 1 (what Vault reads)
// and HCL 2 read the same way. The header comments name the spec, its
// owner and its expiry: Vault keeps a policy's text as written, so the
// sweep reads them back with `vault policy read`.
func writePolicy(w *spec.Workflow, blocks []*block) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# nhigate.dev/spec: %s\n", w.Metadata.Name)
	if w.Metadata.Owner != "" {
		fmt.Fprintf(&b, "# nhigate.dev/owner: %s\n", oneLine(w.Metadata.Owner))
	}
	if w.Spec.ExpiresAt.IsSet() {
		fmt.Fprintf(&b, "# nhigate.dev/expires-at: %s\n", w.Spec.ExpiresAt.UTC().Format(time.RFC3339))
		b.WriteString("# Vault has no absolute expiry for a policy or a token role: the sweep deletes\n")
		b.WriteString("# this policy at expires-at, which ends the access of every token that holds it.\n")
	}
	for _, bl := range blocks {
		fmt.Fprintf(&b, "\npath %q {\n", bl.path)
		var caps []string
		for _, c := range Capabilities {
			if bl.caps[c] {
				caps = append(caps, c)
			}
		}
		fmt.Fprintf(&b, "  capabilities = %s\n", quoteList(caps))
		if l, ok := bl.conds[condRequired].([]any); ok {
			fmt.Fprintf(&b, "  required_parameters = %s\n", quoteList(strs(l)))
		}
		for _, k := range []string{condAllowed, condDenied} {
			m, ok := bl.conds[k].(map[string]any)
			if !ok {
				continue
			}
			fmt.Fprintf(&b, "  %s = {\n", k)
			for _, pk := range slices.Sorted(maps.Keys(m)) {
				fmt.Fprintf(&b, "    %q = %s\n", pk, quoteList(strs(m[pk].([]any))))
			}
			b.WriteString("  }\n")
		}
		for _, k := range []string{condMinWrap, condMaxWrap} {
			if s, ok := bl.conds[k].(string); ok {
				fmt.Fprintf(&b, "  %s = %q\n", k, s)
			}
		}
		b.WriteString("}\n")
	}
	return b.Bytes()
}

// oneLine keeps a value on its comment line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func strs(l []any) []string {
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = x.(string)
	}
	return out
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

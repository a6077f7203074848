package vault

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl"
	"github.com/hashicorp/hcl/hcl/ast"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/spec"
)

// The bounds of one imported policy.
const (
	MaxFileBytes  = 1 << 20
	MaxPaths      = 1000
	MaxParameters = 256
)

// pathRules is one path block as Vault decodes it (vault/policy.go).
type pathRules struct {
	Policy              string                   `hcl:"policy"`
	Capabilities        []string                 `hcl:"capabilities"`
	AllowedParameters   map[string][]interface{} `hcl:"allowed_parameters"`
	DeniedParameters    map[string][]interface{} `hcl:"denied_parameters"`
	RequiredParameters  []string                 `hcl:"required_parameters"`
	MinWrappingTTL      interface{}              `hcl:"min_wrapping_ttl"`
	MaxWrappingTTL      interface{}              `hcl:"max_wrapping_ttl"`
	MFAMethods          []string                 `hcl:"mfa_methods"`
	ControlGroup        interface{}              `hcl:"control_group"`
	SubscribeEventTypes []string                 `hcl:"subscribe_event_types"`
	Comment             string                   `hcl:"comment"`
}

// The keys Vault accepts in a path block, and those import cannot carry.
var (
	pathKeys = []string{"comment", "policy", "capabilities", "allowed_parameters", "denied_parameters",
		"required_parameters", "min_wrapping_ttl", "max_wrapping_ttl", "mfa_methods", "control_group", "subscribe_event_types"}
	// The pre-0.9 "policy" values and the capabilities they stand for.
	oldPolicies = map[string][]string{
		"read":  {"read", "list"},
		"write": {"create", "read", "update", "delete", "list"},
		"sudo":  {"create", "read", "update", "delete", "list", "sudo"},
	}
)

// Import reads one Vault ACL policy, in HCL or in Vault's JSON form, or the
// body of `PUT sys/policy/NAME` ({"policy": "..."}), and returns its one
// principal, named after the file: Vault names a policy when it is written,
// not in its text, and `vault policy read NAME > NAME.hcl` keeps it.
func Import(file string, data []byte) (ps []render.Principal, err error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a policy may have here", file, len(data), MaxFileBytes)
	}
	name := strings.ToLower(strings.TrimSuffix(path.Base(strings.ReplaceAll(file, "\\", "/")), path.Ext(file)))
	if !nameRE.MatchString(name) {
		return nil, fmt.Errorf("%s: the file names the policy, and %q is not a Vault policy name here: rename the file to NAME.hcl with lower-case letters, digits, '.', '_' and '-'", file, name)
	}
	// The HCL 1 parser is Vault's own; it was not written for hostile
	// input, so a panic in it is a refusal, not a crash.
	defer func() {
		if r := recover(); r != nil {
			ps, err = nil, fmt.Errorf("%s: not a policy the HCL parser can read", file)
		}
	}()
	text := string(data)
	var payload struct {
		Policy *string `json:"policy"`
	}
	if t := strings.TrimSpace(text); strings.HasPrefix(t, "{") {
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) == nil && len(m) == 1 && m["policy"] != nil {
			if err := json.Unmarshal(data, &payload); err != nil || payload.Policy == nil {
				return nil, fmt.Errorf("%s: \"policy\" must be the policy's text", file)
			}
			text = *payload.Policy
		}
	}
	root, err := hcl.ParseString(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	list, ok := root.Node.(*ast.ObjectList)
	if !ok {
		return nil, fmt.Errorf("%s: a policy is a list of path blocks", file)
	}
	var errs []string
	for _, item := range list.Items {
		if k := itemKey(item); k != "path" && k != "name" {
			errs = append(errs, fmt.Sprintf("line %d: %q is not part of a Vault policy (only path blocks are)", item.Pos().Line, k))
		}
	}
	paths := list.Filter("path").Items
	if len(paths) > MaxPaths {
		return nil, fmt.Errorf("%s: %d path blocks, more than the %d a policy may have here", file, len(paths), MaxPaths)
	}
	var ents []spec.Entitlement
	index := map[string]int{}
	for _, item := range paths {
		e, where, perr := importPath(item)
		if perr != "" {
			errs = append(errs, fmt.Sprintf("%s: %s", where, perr))
			continue
		}
		p := e.Resources[0]
		if k, dup := index[p]; dup {
			if len(e.Conditions) > 0 || len(ents[k].Conditions) > 0 {
				errs = append(errs, fmt.Sprintf("%s: a second block for the path, with parameters: Vault merges them in ways a spec cannot write; write one block per path", where))
				continue
			}
			ents[k].Actions = canonicalCaps(append(ents[k].Actions, e.Actions...))
			continue
		}
		index[p] = len(ents)
		ents = append(ents, e)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: cannot import: %s", file, joinProblems(errs))
	}
	if len(ents) == 0 {
		return nil, fmt.Errorf("%s: the policy grants nothing", file)
	}
	return []render.Principal{{
		Identity:     spec.Identity{Name: name, Type: "token", Platform: "vault"},
		Entitlements: ents,
	}}, nil
}

func itemKey(item *ast.ObjectItem) string {
	if len(item.Keys) == 0 {
		return ""
	}
	if s, ok := item.Keys[0].Token.Value().(string); ok {
		return s
	}
	return item.Keys[0].Token.Text
}

// importPath reads one path block into one entitlement, as Render writes
// it. where names the block for errors.
func importPath(item *ast.ObjectItem) (e spec.Entitlement, where, problem string) {
	where = fmt.Sprintf("line %d", item.Pos().Line)
	// Filter("path") took the keyword off: the one key left is the path.
	if len(item.Keys) != 1 {
		return e, where, "a path block is `path \"PATH\" { ... }`"
	}
	p, ok := item.Keys[0].Token.Value().(string)
	if !ok {
		return e, where, "the path is not a string"
	}
	where = fmt.Sprintf("path %q (line %d)", p, item.Pos().Line)
	obj, ok := item.Val.(*ast.ObjectType)
	if !ok {
		return e, where, "a path block holds capabilities = [...]"
	}
	for _, it := range obj.List.Items {
		if k := itemKey(it); !slices.Contains(pathKeys, k) {
			return e, where, fmt.Sprintf("%q is not a key of a Vault path block", k)
		}
	}
	var pr pathRules
	if err := hcl.DecodeObject(&pr, item.Val); err != nil {
		return e, where, err.Error()
	}
	if strings.Contains(p, "{{") {
		return e, where, "a templated path names a different path for each entity; nhigate grants fixed paths: write one policy per entity"
	}
	p = strings.TrimLeft(p, "/")
	if msg := checkPath(p); msg != "" {
		return e, where, msg
	}
	caps := pr.Capabilities
	if pr.Policy != "" {
		if pr.Policy == "deny" {
			return e, where, "policy = \"deny\" denies: nhigate specs only grant, and cannot say what a deny takes away from other policies"
		}
		old, ok := oldPolicies[pr.Policy]
		if !ok {
			return e, where, fmt.Sprintf("policy = %q is not a Vault policy value (read, write, sudo, deny)", pr.Policy)
		}
		caps = append(slices.Clone(caps), old...)
	}
	for _, c := range caps {
		switch {
		case c == "deny":
			return e, where, "the deny capability takes away what other policies grant: nhigate specs only grant, so a deny cannot be imported; remove it, or leave this policy out"
		case !slices.Contains(Capabilities, c):
			return e, where, fmt.Sprintf("%q is not a Vault capability", c)
		}
	}
	if len(caps) == 0 {
		return e, where, "the block grants no capability"
	}
	switch {
	case len(pr.MFAMethods) > 0:
		return e, where, "mfa_methods (Vault Enterprise) has no place in a spec"
	case pr.ControlGroup != nil:
		return e, where, "control_group (Vault Enterprise) has no place in a spec"
	case len(pr.SubscribeEventTypes) > 0:
		return e, where, "subscribe_event_types has no place in a spec"
	}
	conds := map[string]any{}
	if len(pr.RequiredParameters) > 0 {
		if len(pr.RequiredParameters) > MaxParameters {
			return e, where, fmt.Sprintf("more than %d required parameters", MaxParameters)
		}
		l := make([]any, len(pr.RequiredParameters))
		for i, s := range pr.RequiredParameters {
			if !safeRE.MatchString(s) || s == "" {
				return e, where, fmt.Sprintf("required parameter %q cannot be written in a spec", s)
			}
			l[i] = s
		}
		conds[condRequired] = l
	}
	for k, m := range map[string]map[string][]interface{}{condAllowed: pr.AllowedParameters, condDenied: pr.DeniedParameters} {
		if m == nil {
			continue
		}
		if len(m) > MaxParameters {
			return e, where, fmt.Sprintf("%s: more than %d parameters", k, MaxParameters)
		}
		cm := map[string]any{}
		for pk, vals := range m {
			if !safeRE.MatchString(pk) || pk == "" {
				return e, where, fmt.Sprintf("%s: parameter %q cannot be written in a spec", k, pk)
			}
			l := make([]any, 0, len(vals))
			for _, v := range vals {
				s, ok := v.(string)
				if !ok || !safeRE.MatchString(s) || s == "" {
					return e, where, fmt.Sprintf("%s.%s: value %v is not a plain string; a spec carries string values", k, pk, v)
				}
				l = append(l, s)
			}
			cm[pk] = l
		}
		conds[k] = cm
	}
	for k, v := range map[string]interface{}{condMinWrap: pr.MinWrappingTTL, condMaxWrap: pr.MaxWrappingTTL} {
		if v == nil {
			continue
		}
		s, ok := wrapTTL(v)
		if !ok {
			return e, where, fmt.Sprintf("%s = %v is not a duration of whole seconds", k, v)
		}
		conds[k] = s
	}
	if len(conds) == 0 {
		conds = nil
	}
	return spec.Entitlement{Actions: canonicalCaps(caps), Resources: []string{p}, Conditions: conds}, where, ""
}

// wrapTTL reads a wrapping TTL as Vault does (a duration string or a
// number of seconds) and writes it as a Go duration string.
func wrapTTL(v interface{}) (string, bool) {
	var d time.Duration
	switch x := v.(type) {
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			d = time.Duration(n) * time.Second
			break
		}
		var err error
		if d, err = time.ParseDuration(x); err != nil {
			return "", false
		}
		if d%time.Second == 0 && d > 0 {
			return x, true
		}
		return "", false
	case int:
		d = time.Duration(x) * time.Second
	case int64:
		d = time.Duration(x) * time.Second
	default:
		return "", false
	}
	if d <= 0 || d > 100*365*24*time.Hour {
		return "", false
	}
	return (d).String(), true
}

func canonicalCaps(caps []string) []string {
	var out []string
	for _, c := range Capabilities {
		if slices.Contains(caps, c) {
			out = append(out, c)
		}
	}
	return out
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

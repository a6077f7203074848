package catalog

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Kind says whether a pattern names actions or resources.
type Kind int

// The kinds of pattern.
const (
	Action Kind = iota
	Resource
)

// Probe stands, in a probe resource or action, for an identifier the
// pattern must match by wildcards alone. Actions and resources are printable
// ASCII (the spec loader and NHI-ENT-003 reject anything else), so no
// literal of a valid pattern equals it.
const Probe = "§"

// idMark marks, in a probe as built, where the format's identifiers are,
// so that the text before the first one can be cut (see leads). It is
// replaced by Probe before matching.
const idMark = "¶"

// Verdict is the judgement of one pattern. The zero Verdict is "not broad".
type Verdict struct {
	// Why says what the pattern covers, e.g. "covers the sensitive
	// action iam:PassRole (privilege escalation)"; empty when it is not
	// broad.
	Why string
	// Fix says what to write instead.
	Fix string
}

// Broad reports whether the pattern is broad.
func (v Verdict) Broad() bool { return v.Why != "" }

// Judge judges pattern, of kind, on platform with the embedded catalog.
func Judge(platform string, kind Kind, pattern string) Verdict {
	return Default().Judge(platform, kind, pattern)
}

// Judge decides whether pattern, an action or resource pattern of a spec for
// platform, is broad. On a platform the catalog lacks (generic, or a missing
// one) it judges against every platform, in the catalog's order, and the
// first broad verdict wins; there a resource pattern that starts with
// "arn:" is judged by the ARN platforms (AWS) alone, and any other by the
// others alone.
//
// A pattern is broad when, in this order:
//   - it starts with a wildcard and has a `*`: it covers every service,
//     account or namespace;
//   - it is an action pattern that covers every action of a service (its
//     part after the service separator is only wildcards), or a sensitive
//     action of the catalog (the least one is named);
//   - it is an ARN pattern (AWS) with fewer than six fields and a `*`,
//     which may span fields, or with a wildcard in the partition, service
//     or account field;
//   - it is a resource pattern that matches a probe of a resource type:
//     the type's format with each identifier replaced by Probe and each
//     context variable by the pattern's own field, its wildcards replaced
//     by Probe. The pattern (with `?` read as `*`) matches the probe only
//     if wildcards alone cover the identifiers: it spans the type.
//
// A pattern without wildcards is never broad, except a resource on a
// platform whose resources name types (LiteralTypes).
func (c *Catalog) Judge(platformName string, kind Kind, pattern string) Verdict {
	own, known := c.platforms[platformName]
	ex := c.data.Example
	if known {
		ex = own.Example
	}
	if starLike(pattern) {
		if kind == Action {
			return Verdict{"covers every action of every service", "list the exact actions, e.g. " + ex.Action}
		}
		return Verdict{"covers every resource", "name the resources, e.g. " + ex.Resource}
	}
	plats := c.order
	if known {
		plats = []*platform{own}
	}
	for _, p := range plats {
		var v Verdict
		switch {
		case kind == Action:
			v = p.action(pattern)
		case !known && p.ARN != strings.HasPrefix(pattern, "arn:"):
			continue
		default:
			v = p.resource(pattern)
		}
		if v.Broad() {
			return v
		}
	}
	return Verdict{}
}

// platform is a compiled Platform.
type platform struct {
	*Platform
	reasons   map[string]string
	keys      []string                // sorted keys of actions
	actions   map[string][]actionInfo // by IndexKey, sorted by name
	typeIndex map[string][]typeInfo   // as Platform.Types, sorted by order
}

type actionInfo struct {
	name, folded, reason string
}

type typeInfo struct {
	format string
	fields []string
	// ctx marks the fields that are one context variable; probes holds
	// every other field with its identifiers replaced by Probe.
	ctx    []bool
	probes []string
	// lit is the text of the format's resource part (ARN fields from the
	// sixth on) before its first variable.
	lit string
	// id reports whether the format has an identifier: a variable that is
	// not context, or a `*`.
	id bool
	// order ranks the formats for the one a message names: by text, with
	// variables after literals, so "sys/${Path}" comes before
	// "${Mount}/creds/${Role}".
	order string
}

var formatVar = regexp.MustCompile(`\$\{[^}]*\}`)

func compile(name string, p *Platform, reasons map[string]string) (*platform, error) {
	if p == nil {
		return nil, fmt.Errorf("is null")
	}
	if p.FieldSep == "" {
		return nil, fmt.Errorf("fieldSep is empty")
	}
	c := &platform{Platform: p, reasons: reasons, actions: map[string][]actionInfo{}, typeIndex: map[string][]typeInfo{}}
	for key, m := range p.Actions {
		for a, reason := range m {
			if _, ok := reasons[reason]; !ok {
				return nil, fmt.Errorf("action %s: unknown reason %q", a, reason)
			}
			if IndexKey(p, a) != key {
				return nil, fmt.Errorf("action %s is indexed under %q, want %q", a, key, IndexKey(p, a))
			}
			folded := a
			if p.Fold {
				folded = strings.ToLower(a)
			}
			c.actions[key] = append(c.actions[key], actionInfo{a, folded, reason})
		}
		slices.SortFunc(c.actions[key], func(x, y actionInfo) int { return strings.Compare(x.name, y.name) })
	}
	c.keys = slices.Sorted(maps.Keys(c.actions))
	for i, g := range p.Grants {
		if len(g.Scopes) == 0 {
			return nil, fmt.Errorf("grant %d: no scopes", i)
		}
		if _, ok := reasons[g.Reason]; len(g.Actions) > 0 && !ok {
			return nil, fmt.Errorf("grant %d: unknown reason %q", i, g.Reason)
		}
	}
	for key, formats := range p.Types {
		for _, f := range formats {
			t := typeInfo{format: f, fields: strings.Split(f, p.FieldSep), order: strings.ReplaceAll(f, "${", "~{")}
			for i, field := range t.fields {
				ctx := c.isContext(field)
				t.ctx = append(t.ctx, ctx)
				if p.ARN && i < 5 {
					// A `*` there (an account or region of any value) is
					// not the resource's name: the checks of ARN fields
					// judge those fields.
					t.probes = append(t.probes, toProbe(field))
				} else {
					t.probes = append(t.probes, idProbe(formatVar.ReplaceAllLiteralString(field, idMark)))
				}
				if !ctx && (strings.Contains(field, "${") || strings.Contains(field, "*")) {
					t.id = true
				}
				if p.ARN && i < 5 && strings.Contains(field, "${") && !c.isContext(field) {
					return nil, fmt.Errorf("type %s: field %d holds a variable that is not context", f, i)
				}
			}
			if p.ARN {
				if len(t.fields) < 6 {
					return nil, fmt.Errorf("type %s: an ARN has six fields or more", f)
				}
				res := strings.Join(t.fields[5:], ":")
				t.lit = res
				if i := strings.Index(res, "${"); i >= 0 {
					t.lit = res[:i]
				}
				t.lit = literalPrefix(t.lit)
			}
			c.typeIndex[key] = append(c.typeIndex[key], t)
		}
		slices.SortFunc(c.typeIndex[key], func(x, y typeInfo) int { return strings.Compare(x.order, y.order) })
	}
	return c, nil
}

// isContext reports whether field is exactly one context variable.
func (p *platform) isContext(field string) bool {
	name, ok := strings.CutPrefix(field, "${")
	if !ok {
		return false
	}
	name, ok = strings.CutSuffix(name, "}")
	return ok && !strings.ContainsAny(name, "${}") && slices.Contains(p.Context, name)
}

func (p *platform) action(a string) Verdict {
	if !wild(a) {
		return Verdict{}
	}
	fix := "list the exact actions, e.g. " + p.Example.Action
	if p.Services && p.Sep != "" {
		svc, _, _ := strings.Cut(a, p.Sep)
		if match(a, toProbe(svc)+p.Sep+Probe, p.Fold, true) {
			return Verdict{"covers every action of a service", fix}
		}
	}
	hit := p.sensitive(a)
	if hit == nil {
		return Verdict{}
	}
	return Verdict{
		fmt.Sprintf("covers the sensitive action %s (%s)", hit.name, p.reasons[hit.reason]),
		fmt.Sprintf("list the exact actions it needs, and name %s on its own only if it needs it", hit.name),
	}
}

// sensitive is the least sensitive action of the catalog that a, with or
// without wildcards, covers, or nil.
func (p *platform) sensitive(a string) *actionInfo {
	lit := literalPrefix(a)
	if p.Fold {
		lit = strings.ToLower(lit)
	}
	keys := p.keys
	if p.Sep != "" {
		if i := strings.Index(lit, p.Sep); i >= 0 {
			keys = []string{lit[:i]}
		}
	}
	var hit *actionInfo
	for _, k := range keys {
		if p.Sep != "" && !strings.HasPrefix(k, lit) && !strings.HasPrefix(lit, k+p.Sep) {
			continue
		}
		for i := range p.actions[k] {
			x := &p.actions[k][i]
			if hit != nil && x.name >= hit.name {
				break // sorted: no smaller name follows
			}
			if strings.HasPrefix(x.folded, lit) && match(a, x.name, p.Fold, false) {
				hit = x
				break
			}
		}
	}
	return hit
}

// JudgeGrant judges a grant of action on resource, patterns of a spec
// for platform, with the embedded catalog.
func JudgeGrant(platform, action, resource string) Verdict {
	return Default().JudgeGrant(platform, action, resource)
}

// JudgeGrant decides whether a grant of action on resource is broad as a
// pair: the action covers an action of a sensitive pairing of the catalog
// (Platform.Grants), every sensitive action of the platform for a pairing
// that lists none, and the resource names one of the pairing's scopes, a
// whole scope or type (a namespace's pods, a subscription, a repository),
// with or without wildcards. It judges the pair alone: Judge judges each
// pattern. The platforms judge as in Judge.
//
// A resource names a scope when it matches the scope instantiated with the
// resource's own fields: a field of the scope that is one variable takes
// the resource's field at the same place, a field "*" the resource's
// fields from there on, and any other variable becomes Probe.
func (c *Catalog) JudgeGrant(platformName, action, resource string) Verdict {
	own, known := c.platforms[platformName]
	plats := c.order
	if known {
		plats = []*platform{own}
	}
	for _, p := range plats {
		if !known && p.ARN != strings.HasPrefix(resource, "arn:") {
			continue
		}
		if v := p.grant(action, p.normal(resource)); v.Broad() {
			return v
		}
		if parent, ok := wildNameParent(resource); ok {
			if v := p.grant(action, p.normal(parent)); v.Broad() {
				return v
			}
		}
	}
	return Verdict{}
}

// wildNameParent is resource without its last segment when that segment
// starts with a wildcard (payments/roles/*, payments/deployments/?*):
// every name of a scope is the scope. Rego's lib.named_or_all does the same.
func wildNameParent(resource string) (string, bool) {
	i := strings.LastIndex(resource, "/")
	if i < 0 || i == len(resource)-1 || (resource[i+1] != '*' && resource[i+1] != '?') {
		return "", false
	}
	return resource[:i], true
}

func (p *platform) grant(a, r string) Verdict {
	for _, g := range p.Grants {
		var name, reason string
		if len(g.Actions) == 0 {
			hit := p.sensitive(a)
			if hit == nil {
				continue
			}
			name, reason = hit.name, hit.reason
		} else {
			for _, x := range g.Actions {
				if match(a, x, p.Fold, false) && (name == "" || x < name) {
					name, reason = x, g.Reason
				}
			}
			if name == "" {
				continue
			}
		}
		scope := ""
		for _, f := range g.Scopes {
			if (scope == "" || f < scope) && match(r, p.instance(f, r), p.FoldResources, true) {
				scope = f
			}
		}
		if scope != "" {
			return Verdict{
				fmt.Sprintf("grants the sensitive action %s (%s) on a whole scope or type, %s", name, p.reasons[reason], scope),
				fmt.Sprintf("grant %s only on the named resources that need it", name),
			}
		}
	}
	return Verdict{}
}

// instance is scope f instantiated with the fields of resource r (see
// JudgeGrant).
func (p *platform) instance(f, r string) string {
	rf := strings.Split(r, p.FieldSep)
	ff := strings.Split(f, p.FieldSep)
	for i, field := range ff {
		switch {
		case field == "*" && i < len(rf):
			ff[i] = strings.Join(rf[i:], p.FieldSep)
		case p.isVar(field) && i < len(rf):
			ff[i] = rf[i]
		default:
			ff[i] = formatVar.ReplaceAllLiteralString(strings.ReplaceAll(field, "*", Probe), Probe)
		}
	}
	return strings.Join(ff, p.FieldSep)
}

// isVar reports whether field is exactly one variable.
func (p *platform) isVar(field string) bool {
	return formatVar.FindString(field) == field && field != ""
}

// normal is resource r as the platform reads it: without the characters
// it drops from its start, and with its own wildcard written `*`.
func (p *platform) normal(r string) string {
	if p.TrimLeft != "" {
		r = strings.TrimLeft(r, p.TrimLeft)
	}
	if p.SegmentWildcard != "" {
		r = strings.ReplaceAll(r, p.SegmentWildcard, "*")
	}
	return r
}

func (p *platform) resource(r string) Verdict {
	r = p.normal(r)
	if !wild(r) && !p.LiteralTypes {
		return Verdict{}
	}
	if starLike(r) {
		return Verdict{"covers every resource", "name the resources, e.g. " + p.Example.Resource}
	}
	fields := strings.Split(r, p.FieldSep)
	var key string
	aligned := false
	if p.ARN {
		if len(fields) < 6 && strings.Contains(r, "*") {
			return Verdict{"lets a wildcard span the fields of an ARN", "write every field of the ARN, e.g. " + p.Example.Resource}
		}
		if len(fields) >= 3 && (wild(fields[0]) || wild(fields[1]) || wild(fields[2])) {
			return Verdict{"covers every partition or service", "name the partition and the service, e.g. " + p.Example.Resource}
		}
		if len(fields) >= 3 {
			key = fields[2]
		}
		aligned = len(fields) >= 6 && !slices.ContainsFunc(fields[:5], wild)
	}
	if v := p.types(key, fields, aligned); v.Broad() {
		return v
	}
	if p.ARN && len(fields) >= 5 && wild(fields[4]) {
		named := slices.Clone(fields)
		named[4] = "123456789012"
		return Verdict{"covers every account", "name the account, e.g. " + strings.Join(named, ":")}
	}
	return Verdict{}
}

// types judges a resource pattern, split into fields, against the resource
// types indexed under key (and ""). When the pattern is an aligned ARN (no
// wildcard in its first five fields), a type is only probed if the literal
// start of the pattern's resource part can match the format's.
func (p *platform) types(key string, fields []string, aligned bool) Verdict {
	r := strings.Join(fields, p.FieldSep)
	var rlit string
	if aligned {
		rlit = literalPrefix(strings.Join(fields[5:], ":"))
	}
	first := firstWild(fields)
	var hit *typeInfo
	lists := [][]typeInfo{p.typeIndex[key]}
	if key != "" {
		lists = append(lists, p.typeIndex[""])
	}
	for _, types := range lists {
		for i := range types {
			t := &types[i]
			if hit != nil && t.order >= hit.order {
				break // sorted by order: no smaller one follows
			}
			if aligned && !strings.HasPrefix(t.lit, rlit) {
				continue
			}
			if spans(r, p.probe(t, fields, first, false, false), p.FoldResources) ||
				(misaligned(t, fields, first) && spans(r, p.probe(t, fields, first, true, false), p.FoldResources)) {
				hit = t
			}
		}
	}
	if hit == nil {
		return Verdict{}
	}
	fill := p.probe(hit, fields, first, false, true)
	if !hit.id && p.LiteralTypes {
		fill += p.FieldSep + "${Name}"
	}
	return Verdict{"covers every resource of the form " + hit.format, "name the resources, e.g. " + fill}
}

// probe builds a probe of type t for a pattern split into fields pf: the
// format with every identifier (a variable, or a `*` in the format) replaced
// by Probe, and every context field taken from the aligned field of the
// pattern with its wildcards replaced by Probe. Fields align from the left;
// with mixed set, those from the pattern's first wildcard on align from the
// right, as when a `*` spans fields before them. See misaligned.
//
// With fill set it builds what to write instead: identifiers stay
// variables, and a context field is the pattern's when it aligns from the
// left before any wildcard and has none.
//
// first is the index of the pattern's first field with a wildcard
// (firstWild).
func (p *platform) probe(t *typeInfo, pf []string, first int, mixed, fill bool) string {
	shift := len(pf) - len(t.fields)
	out := make([]string, len(t.fields))
	for i, field := range t.fields {
		switch {
		case t.ctx[i]:
			j := i
			if mixed && i >= first {
				j = i + shift
			}
			switch {
			case fill && i < first && j < len(pf):
				out[i] = pf[j]
			case fill:
				out[i] = field
			case j < 0 || j >= len(pf):
				out[i] = Probe
			default:
				out[i] = toProbe(pf[j])
			}
		case fill:
			out[i] = field
		default:
			out[i] = t.probes[i]
		}
	}
	return strings.Join(out, p.FieldSep)
}

// spans reports whether pattern r spans the type of probe, as built with
// its identifiers marked by idMark: r matches the probe, so wildcards alone
// cover the identifiers; or the identifier part of r begins with a
// wildcard (leads).
func spans(r, probe string, fold bool) bool {
	if match(r, strings.ReplaceAll(probe, idMark, Probe), fold, true) {
		return true
	}
	i := strings.Index(probe, idMark)
	return i >= 0 && leads(r, probe[:i], fold)
}

// leads reports whether a run of wildcards of r starts where the type's
// first identifier starts: the text of r before the run matches pre, the
// probe's text before its first identifier, with every wildcard read as
// `*`. Such a pattern names resources by suffix or infix alone (role/*e,
// secret:*-*), so it spans the type too. Only the runs whose literal text
// before them fits in pre can qualify, which bounds the work by len(pre).
func leads(r, pre string, fold bool) bool {
	var b strings.Builder
	lits := 0
	for i := 0; i < len(r); {
		if r[i] != '*' && r[i] != '?' {
			b.WriteByte(r[i])
			lits++
			if lits > len(pre) {
				return false
			}
			i++
			continue
		}
		if match(b.String(), pre, fold, true) {
			return true
		}
		b.WriteByte('*')
		for i < len(r) && (r[i] == '*' || r[i] == '?') {
			i++
		}
	}
	return false
}

// misaligned reports whether the pattern's fields pf, the first wildcard
// at first, may align with t's
// from the right: the pattern has fewer fields than the format, and a
// context field lies at or after its first wildcard. Then a second, mixed
// probe is tried.
func misaligned(t *typeInfo, pf []string, first int) bool {
	if len(pf) >= len(t.fields) {
		return false
	}
	return slices.Contains(t.ctx[min(first, len(t.ctx)):], true)
}

// firstWild is the index of the first field with a wildcard, or len(pf).
func firstWild(pf []string) int {
	if i := slices.IndexFunc(pf, wild); i >= 0 {
		return i
	}
	return len(pf)
}

func wild(s string) bool { return strings.ContainsAny(s, "*?") }

// starLike reports whether s starts with wildcards and has a `*`: whatever
// comes after, it covers every service, account or namespace.
func starLike(s string) bool {
	return literalPrefix(s) == "" && strings.Contains(s, "*")
}

// literalPrefix is the text of s before its first wildcard.
func literalPrefix(s string) string {
	if i := strings.IndexAny(s, "*?"); i >= 0 {
		return s[:i]
	}
	return s
}

// idProbe replaces every `*` of a format field by idMark: in a format, it
// stands for an identifier.
func idProbe(s string) string { return strings.ReplaceAll(s, "*", idMark) }

// toProbe replaces every wildcard of s by Probe.
func toProbe(s string) string {
	if !wild(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '*' || r == '?' {
			b.WriteString(Probe)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

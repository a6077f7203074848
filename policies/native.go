package policies

// The built-in rules are written in Rego (policies/nhigate), and those
// files are the rules: conftest runs them, docs/POLICIES.md describes them
// and every change to a rule is made there. Evaluating them with OPA costs
// about half a millisecond per document, most of it the interpreter's
// bookkeeping rather than the rules' work, so the engine also carries a
// translation of the per-document built-in rules into Go (native_rules.go),
// which it uses where the translation is known to give the Rego's results:
//
//   - the document is shaped as the strict loader leaves it (shaped), so
//     NHI-SPEC-001 and NHI-ENT-003 cannot fire;
//   - the configuration is one the Rego finds valid (no NHI-CFG-001 in the
//     Check) and nativeConfig can represent;
//   - no user policy uses `with`, which could run a built-in rule on other
//     data (the same condition as the other fast paths).
//
// Anything else is evaluated in Rego. TestNativeAgreesWithRego and
// FuzzNativeAgreesWithRego hold the two to the same []Result, message for
// message, on random specs, configurations and clocks; TestNativeRules
// makes sure every built-in rule has its translation. A rule changed in
// Rego and not here fails them.

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/nhigate/nhigate/policies/data/nhigate/catalog"
)

// native evaluates the built-in per-document rules in Go.
type native struct {
	config *nativeConfig
	// rules maps a namespace of the per-document query to its rules'
	// translations, in the namespace's rule order.
	rules map[string][]nativeRule
	// excepting marks the namespaces that have an exception rule (they
	// declare `exception contains [name] if some name in lib.waived`).
	excepting map[string]bool
	// waivableIDs is lib.catalog[id].waivable, by rule id.
	waivableIDs map[string]bool
	// templates hold, by rule id, the fields every result of the rule
	// shares, as newResult reads them from the catalog entry.
	templates map[string]Result
	catalog   *catalog.Catalog
	verdicts  sync.Map // verdictKey -> catalog.Verdict
}

// nativeRule is the translation of one Rego rule; its results are
// appended to the document's hits.
type nativeRule struct {
	name string
	eval func(d *nativeDoc)
}

// newNative prepares the translation for namespaces (the built-in ones of
// the per-document query) and the configuration as the policies read it.
// It returns nil when some rule has no translation or the configuration is
// not one nativeConfig represents: then the Rego evaluates everything.
func newNative(namespaces []namespace, config map[string]any, excepting map[string]bool) (*native, error) {
	nc, ok := newNativeConfig(config)
	if !ok {
		return nil, nil
	}
	n := &native{config: nc, rules: map[string][]nativeRule{}, excepting: excepting, waivableIDs: map[string]bool{}, templates: map[string]Result{}, catalog: catalog.Default()}
	for _, ns := range namespaces {
		for _, rule := range ns.rules {
			eval, ok := nativeRules[ns.name+"."+rule]
			if !ok {
				return nil, nil
			}
			n.rules[ns.name] = append(n.rules[ns.name], nativeRule{rule, eval})
		}
	}
	rules, err := readCatalog()
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		t, err := newResult(r.Kind, r.Name(), map[string]any{"msg": r.ID, "rule": r.ID, "severity": r.Severity, "fix": r.Fix, "controls": r.controls})
		if err != nil {
			return nil, fmt.Errorf("catalog entry %s: %w", r.ID, err)
		}
		n.templates[r.ID], n.waivableIDs[r.ID] = t, r.Waivable
	}
	return n, nil
}

// check evaluates the translated rules on doc, which shaped accepts, and
// returns their results by namespace, each rule's in the order of OPA's
// set of result objects. It reports false when a result needs a value
// that the translation does not represent; then the caller evaluates the
// document in Rego.
func (n *native) check(doc map[string]any, now time.Time) (map[string][]Result, bool) {
	if !plainJSON(doc, 0) {
		return nil, false
	}
	d := &nativeDoc{n: n, doc: doc, now: now.UnixNano(), ok: true}
	d.init()
	out := map[string][]Result{}
	for ns, rules := range n.rules {
		var waived map[string]bool
		if n.excepting[ns] {
			waived = d.waived()
		}
		var results []Result
		for _, rule := range rules {
			d.hits = d.hits[:0]
			rule.eval(d)
			if !d.ok {
				return nil, false
			}
			if len(d.hits) == 0 {
				continue
			}
			excepted := waived[ruleSuffix(rule.name)]
			for _, h := range sortHits(d.hits) {
				r := n.templates[h.id]
				r.Namespace, r.Field, r.Message, r.Excepted = ns, h.field, h.id+" "+h.msg, excepted
				r.Controls = r.Controls.clone()
				results = append(results, r)
			}
		}
		if len(results) > 0 {
			out[ns] = results
		}
	}
	return out, true
}

// hit is one result of a rule: its id, formatted field and message
// without the id.
type hit struct{ id, field, msg string }

// sortHits orders a rule's results as OPA orders its set of result
// objects (by field, then message; the other keys are the same for one
// rule) and drops duplicates, which a set holds once.
func sortHits(hs []hit) []hit {
	slices.SortFunc(hs, func(a, b hit) int {
		if c := strings.Compare(a.field, b.field); c != 0 {
			return c
		}
		return strings.Compare(a.msg, b.msg)
	})
	return slices.Compact(hs)
}

// ---------------------------------------------------------------------------
// Configuration

const (
	maxTTL = iota
	maxGrant
)

var limitKeys = [2]string{"maxTTL", "maxGrant"}

// limit is a duration of the configuration as lib.duration_ns reads it;
// ok is false where the Rego's value is undefined.
type limit struct {
	ns int64
	ok bool
}

type nativeEnv struct {
	production bool // environments[name].production == true
	limits     [2]limit
}

type nativeTier struct {
	approvers       []string
	minApprovals    ast.Number
	ownerMayApprove bool
}

// nativeConfig is data.nhigate.config, read once.
type nativeConfig struct {
	envs      map[string]nativeEnv
	strictest [2]limit
	delegated [2]limit
	tiers     map[string]nativeTier
	highRisk  map[string]bool
	// maxExceptionDays as the messages write it (%v), and as nanoseconds.
	maxDaysText string
	maxDaysNS   *big.Int
	// envNames is environment.configured: the names, sorted, joined.
	envNames string
}

// newNativeConfig reads the configuration (nil: the default) as the
// policies do after the engine's JSON round trip. It reports false for a
// configuration the Rego would not call valid, or with values outside what
// it represents (a maxExceptionDays whose nanoseconds overflow).
func newNativeConfig(config map[string]any) (*nativeConfig, bool) {
	c, err := storeConfig(config)
	if err != nil {
		return nil, false
	}
	nc := &nativeConfig{envs: map[string]nativeEnv{}, tiers: map[string]nativeTier{}, highRisk: map[string]bool{}}
	envs, ok := c["environments"].(map[string]any)
	if !ok || len(envs) == 0 {
		return nil, false
	}
	for _, k := range []int{maxTTL, maxGrant} {
		nc.strictest[k] = limit{math.MaxInt64, true}
	}
	for name, v := range envs {
		e, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		var env nativeEnv
		env.production = e["production"] == true
		for k, key := range limitKeys {
			env.limits[k] = durationNS(e[key])
			if !env.limits[k].ok {
				nc.strictest[k] = limit{}
			} else if nc.strictest[k].ok {
				nc.strictest[k].ns = min(nc.strictest[k].ns, env.limits[k].ns)
			}
		}
		nc.envs[name] = env
	}
	nc.envNames = strings.Join(slices.Sorted(maps.Keys(envs)), ", ")
	del, _ := c["delegated"].(map[string]any)
	for k, key := range limitKeys {
		nc.delegated[k] = durationNS(del[key])
	}
	tiers, _ := c["riskTiers"].(map[string]any)
	for _, name := range []string{"critical", "high", "medium", "low"} {
		t, ok := tiers[name].(map[string]any)
		if !ok {
			return nil, false
		}
		var tier nativeTier
		approvers, ok := t["approvers"].([]any)
		if !ok {
			return nil, false
		}
		for _, a := range approvers {
			s, ok := a.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return nil, false
			}
			tier.approvers = append(tier.approvers, s)
		}
		n, ok := t["minApprovals"].(json.Number)
		if !ok {
			return nil, false
		}
		tier.minApprovals = ast.Number(n)
		owner, ok := t["ownerMayApprove"].(bool)
		if !ok {
			return nil, false
		}
		tier.ownerMayApprove = owner
		nc.tiers[name] = tier
	}
	platforms, ok := c["highRiskPlatforms"].([]any)
	if !ok {
		return nil, false
	}
	for _, p := range platforms {
		s, ok := p.(string)
		if !ok {
			return nil, false
		}
		nc.highRisk[s] = true
	}
	days, ok := c["maxExceptionDays"].(json.Number)
	if !ok {
		return nil, false
	}
	f, ok := new(big.Float).SetString(string(days))
	if !ok || !f.IsInt() || f.Sign() < 1 {
		return nil, false
	}
	d, _ := f.Int(nil)
	nc.maxDaysText, nc.maxDaysNS = sprintfNumber(ast.Number(days)), d.Mul(d, big.NewInt(dayNS))
	return nc, true
}

// ---------------------------------------------------------------------------
// A document

// nativeDoc is one document under evaluation, with what lib.rego derives
// from it, worked out once.
type nativeDoc struct {
	n    *native
	doc  map[string]any
	now  int64
	hits []hit
	// ok turns false when a value falls outside what the translation
	// represents.
	ok bool

	env              any
	envConfigured    bool
	envName          string
	production       bool
	platform         string // lib.judged_platform
	tier, tierReason string
	delegated        bool
	wildcards        []wildcard
	waivedSet        map[string]bool
	waivedDone       bool
}

type wildcard struct {
	path    []any
	pattern string
}

func (d *nativeDoc) init() {
	c := d.n.config
	d.env, _ = get(d.doc, "spec", "environment")
	var env nativeEnv
	if s, ok := d.env.(string); ok {
		env, d.envConfigured = c.envs[s]
	}
	d.envName = "an unknown environment (strictest limits apply)"
	if d.envConfigured {
		d.envName = d.env.(string)
	}
	d.production = d.env == "production" || env.production || !d.envConfigured
	if p, ok := get(d.doc, "spec", "identity", "platform"); ok {
		d.platform, _ = p.(string)
	}
	consumer, _ := get(d.doc, "spec", "identity", "consumer")
	d.delegated = consumer != "human" && consumer != "pipeline"

	for _, key := range []string{"actions", "resources"} {
		d.patterns(key, func(i, j any, s string) {
			if strings.ContainsAny(s, "*?") {
				d.wildcards = append(d.wildcards, wildcard{[]any{"spec", "entitlements", i, key, j}, s})
			}
		})
	}

	kind, _ := get(d.doc, "spec", "credential", "kind")
	critical := kind != "ephemeral" || len(d.wildcards) > 0
	platform, _ := get(d.doc, "spec", "identity", "platform")
	p, isString := platform.(string)
	highRiskPlatform := !isString || c.highRisk[p]
	switch {
	case d.production && critical:
		d.tier, d.tierReason = "critical", "a production grant with a non-ephemeral credential or a wildcard"
	case d.production:
		d.tier, d.tierReason = "high", "a production grant"
	case highRiskPlatform:
		d.tier, d.tierReason = "high", "a grant on a high-risk platform"
	case d.env == "staging":
		d.tier, d.tierReason = "medium", "a staging grant"
	default:
		d.tier, d.tierReason = "low", "a grant outside production and staging"
	}
}

// envLimit is lib.env_limit_ns(key).
func (d *nativeDoc) envLimit(k int) limit {
	if d.envConfigured {
		return d.n.config.envs[d.env.(string)].limits[k]
	}
	return d.n.config.strictest[k]
}

// waived is lib.waived: the rule names that a valid exception waives.
func (d *nativeDoc) waived() map[string]bool {
	if d.waivedDone {
		return d.waivedSet
	}
	d.waivedDone = true
	exceptions, _ := get(d.doc, "spec", "exceptions")
	requester, _ := get(d.doc, "metadata", "requester")
	each(exceptions, func(_ any, e any) {
		m, ok := e.(map[string]any)
		if !ok {
			return
		}
		id, ok := m["rule"].(string)
		if !ok || !d.n.waivableIDs[id] || !nonEmpty(m["reason"]) {
			return
		}
		if !nonEmpty(m["approvedBy"]) || !nonEmpty(requester) || norm(m["approvedBy"].(string)) == norm(requester.(string)) {
			return
		}
		expires, ok := timeNS(m["expiresAt"])
		if !ok || sub(expires, d.now).Cmp(d.n.config.maxDaysNS) > 0 || expires <= d.now {
			return
		}
		if d.waivedSet == nil {
			d.waivedSet = map[string]bool{}
		}
		d.waivedSet[strings.ToLower(strings.ReplaceAll(id, "-", "_"))] = true
	})
	return d.waivedSet
}

// result records a result at path (lib.result): the field is the path,
// or its deepest existing parent.
func (d *nativeDoc) result(id string, path []any, msg string) {
	d.hits = append(d.hits, hit{id, fmtPath(deepestPresent(d.doc, path)), msg})
}

// resultAt records a result whose field is already formatted
// (lib.result_at).
func (d *nativeDoc) resultAt(id, field, msg string) {
	d.hits = append(d.hits, hit{id, field, msg})
}

// shown is lib.shown(path): the value's JSON as OPA writes it, or
// "missing".
func (d *nativeDoc) shown(path ...any) string {
	v, ok := getPath(d.doc, path)
	if !ok {
		return "missing"
	}
	return d.marshal(v)
}

// marshal is json.marshal(v).
func (d *nativeDoc) marshal(v any) string {
	value, err := ast.InterfaceToValue(v)
	if err == nil {
		var j any
		if j, err = ast.JSON(value); err == nil {
			var bs []byte
			if bs, err = json.Marshal(j); err == nil {
				return string(bs)
			}
		}
	}
	d.ok = false
	return ""
}

// fmtTime is lib.fmt_time; ok is false where time.format is undefined.
func fmtTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05Z07:00")
}

const (
	hourNS = int64(time.Hour)
	dayNS  = 24 * hourNS
)

// dayFloor is lib.fmt_day_floor(now + add), and dayCeil
// lib.fmt_day_ceil(now + add); ok is false where time.format cannot write
// the day. OPA's numbers do not overflow: the sum may pass the last int64
// nanosecond and its day still be written, so the sum is a big.Int.
func dayFloor(now int64, add *big.Int) (string, bool) { return day(now, add, 0) }

func dayCeil(now int64, add *big.Int) (string, bool) { return day(now, add, dayNS) }

func day(now int64, add *big.Int, plus int64) (string, bool) {
	sum := new(big.Int).Add(big.NewInt(now), add)
	sum.Sub(sum, new(big.Int).Rem(sum, big.NewInt(dayNS)))
	sum.Add(sum, big.NewInt(plus))
	if !sum.IsInt64() {
		return "", false
	}
	return fmtTime(sum.Int64()), true
}

// fmtDuration is lib.fmt_duration.
func fmtDuration(ns int64) string {
	switch {
	case ns%hourNS == 0:
		return fmt.Sprintf("%dh", ns/hourNS)
	case ns%int64(time.Minute) == 0:
		return fmt.Sprintf("%dm", ns/int64(time.Minute))
	case ns%int64(time.Second) == 0:
		return fmt.Sprintf("%ds", ns/int64(time.Second))
	case ns%int64(time.Millisecond) == 0:
		return fmt.Sprintf("%dms", ns/int64(time.Millisecond))
	}
	return fmt.Sprintf("%dns", ns)
}

// ---------------------------------------------------------------------------
// Values, as the Rego builtins read them

var durationRe = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`)

// durationNS is lib.duration_ns.
func durationNS(v any) limit {
	s, ok := v.(string)
	if !ok || !durationRe.MatchString(s) {
		return limit{}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return limit{}
	}
	return limit{int64(d), true}
}

// timeNS is lib.time_ns (time.parse_rfc3339_ns), undefined for a string
// that does not parse or a time outside int64 nanoseconds.
func timeNS(v any) (int64, bool) {
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.Before(time.Unix(0, math.MinInt64)) || t.After(time.Unix(0, math.MaxInt64)) {
		return 0, false
	}
	return t.UnixNano(), true
}

// sub is a - b, exactly.
func sub(a, b int64) *big.Int {
	return new(big.Int).Sub(big.NewInt(a), big.NewInt(b))
}

func lessEq(x *big.Int, y int64) bool { return x.Cmp(big.NewInt(y)) <= 0 }

func nonEmpty(v any) bool {
	s, ok := v.(string)
	return ok && strings.TrimSpace(s) != ""
}

// norm is lib.norm.
func norm(s string) string {
	return strings.ToLower(strings.TrimLeft(strings.TrimSpace(s), "@"))
}

// plainJSON reports whether v holds only the values the translation reads
// as the Rego does: mappings with string keys, []any, strings, booleans,
// null and finite numbers of the types isNumber knows. A document with any
// other value (a []string, a uint8, NaN, a channel) goes to the Rego,
// which converts what it can and fails on the rest. Depth is bounded by
// the loader's limits; the bound here only keeps a cyclic value from
// looping.
func plainJSON(v any, depth int) bool {
	if depth > 1000 {
		return false
	}
	switch v := v.(type) {
	case nil, string, bool, json.Number, int, int64, int32, uint, uint64, uint32:
		return true
	case float64:
		return !math.IsNaN(v) && !math.IsInf(v, 0)
	case float32:
		return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
	case map[string]any:
		for _, x := range v {
			if !plainJSON(x, depth+1) {
				return false
			}
		}
		return true
	case []any:
		for _, x := range v {
			if !plainJSON(x, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// isNumber is is_number.
func isNumber(v any) bool {
	switch v.(type) {
	case json.Number, float64, float32, int, int64, int32, uint, uint64, uint32:
		return true
	}
	return false
}

// number converts a number of the document to OPA's.
func number(v any) (ast.Number, bool) {
	value, err := ast.InterfaceToValue(v)
	if err != nil {
		return "", false
	}
	n, ok := value.(ast.Number)
	return n, ok
}

// sprintfNumber formats a number as sprintf's %v does in OPA.
func sprintfNumber(n ast.Number) string {
	s := string(n)
	if strings.ContainsAny(s, ".eE") {
		if f, ok := n.Float64(); ok {
			return fmt.Sprintf("%v", f)
		}
		return s
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return fmt.Sprintf("%v", i)
	}
	if b, ok := new(big.Int).SetString(s, 10); ok {
		return fmt.Sprintf("%v", b)
	}
	return s
}

// get walks object keys; ok is false where the Rego reference is
// undefined.
func get(v any, keys ...string) (any, bool) {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// getPath is object.get(lib.doc, path, absent) != absent: object keys and
// array indexes. lib.absent itself counts as absent.
func getPath(v any, path []any) (any, bool) {
	for _, k := range path {
		switch c := v.(type) {
		case map[string]any:
			s, ok := k.(string)
			if !ok {
				return nil, false
			}
			if v, ok = c[s]; !ok {
				return nil, false
			}
		case []any:
			i, ok := k.(int)
			if !ok || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	if m, ok := v.(map[string]any); ok && len(m) == 1 && m["nhigate"] == "absent" {
		return nil, false
	}
	return v, true
}

// deepestPresent is the path lib.field formats: path when present, else
// its longest present prefix.
func deepestPresent(doc any, path []any) []any {
	for n := len(path); n > 0; n-- {
		if _, ok := getPath(doc, path[:n]); ok {
			return path[:n]
		}
	}
	return nil
}

// fmtPath is lib.fmt_path.
func fmtPath(path []any) string {
	var b strings.Builder
	for i, k := range path {
		switch k := k.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", k)
		case string:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		}
	}
	return b.String()
}

// each is Rego's `some k, v in coll`: array elements with their index,
// object values with their key, nothing for anything else. Objects come
// in Go's map order: results are sorted afterwards (sortHits).
func each(coll any, f func(k, v any)) {
	switch c := coll.(type) {
	case []any:
		for i, v := range c {
			f(i, v)
		}
	case map[string]any:
		for k, v := range c {
			f(k, v)
		}
	}
}

// verdictKey identifies a judgement in native.verdicts.
type verdictKey struct {
	platform string
	kind     int // 0 action, 1 resource, 2 grant
	a, r     string
}

// judge is lib.broad_action (kind catalog.Action) or lib.broad_resource.
func (d *nativeDoc) judge(kind catalog.Kind, pattern string) catalog.Verdict {
	k := verdictKey{platform: d.platform, kind: 0, a: pattern}
	if kind == catalog.Resource {
		k.kind = 1
	}
	if v, ok := d.n.verdicts.Load(k); ok {
		return v.(catalog.Verdict)
	}
	v := d.n.catalog.Judge(d.platform, kind, pattern)
	d.n.verdicts.Store(k, v)
	return v
}

// judgeGrant is lib.broad_grant.
func (d *nativeDoc) judgeGrant(a, r string) catalog.Verdict {
	k := verdictKey{platform: d.platform, kind: 2, a: a, r: r}
	if v, ok := d.n.verdicts.Load(k); ok {
		return v.(catalog.Verdict)
	}
	v := d.n.catalog.JudgeGrant(d.platform, a, r)
	d.n.verdicts.Store(k, v)
	return v
}

// clone copies c's lists, keeping an empty list empty and a missing one
// nil, as the Rego's results have them.
func (c Controls) clone() Controls {
	return Controls{OWASP: slices.Clone(c.OWASP), CSF: slices.Clone(c.CSF), MAESTRO: slices.Clone(c.MAESTRO), AIRMF: slices.Clone(c.AIRMF)}
}

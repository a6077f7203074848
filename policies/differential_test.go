package policies

// The differential test of the engine's fast path (issue 12): for random
// configurations, clocks and specs, the Engine's default evaluation must
// give exactly the results of the pure Rego (Options{pureRego: true}), which
// is what conftest runs. The generators below vary every field that a rule
// of policies/nhigate/*/*.rego reads, with values on both sides of every
// condition; the coverage guard (coverage) fails the test when the random
// documents stop reaching a rule, one of its message templates or its
// waiver, so that the comparison cannot pass by comparing nothing.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/policies/data/nhigate/catalog"
	"github.com/nhigate/nhigate/spec"
)

// ---------------------------------------------------------------------------
// Value pools and helpers

// absent, as a generated value, leaves the key out of its mapping: a
// missing field reads differently from null in Rego (object.get, `_ = x`,
// and the deepest existing parent that lib.field points at).
type absentValue struct{}

var absent = absentValue{}

// put writes v at key, or deletes key when v is absent.
func put(m map[string]any, key string, v any) {
	if v == absent {
		delete(m, key)
		return
	}
	m[key] = v
}

// pick returns one element of pool.
func pick[T any](rng *rand.Rand, pool ...T) T { return pool[rng.IntN(len(pool))] }

// chance reports true with probability 1/n.
func chance(rng *rand.Rand, n int) bool { return rng.IntN(n) == 0 }

// mostly returns an element of good two times in three, and of odd
// otherwise: most documents break few rules, so each rule is seen both
// alone and among others.
func mostly(rng *rand.Rand, good, odd []any) any {
	if len(odd) == 0 || rng.IntN(3) != 0 {
		return pick(rng, good...)
	}
	return pick(rng, odd...)
}

// deepCopy copies maps and lists, so that neither engine can see what the
// other did to its input or configuration.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

func copyInputs(inputs []Input) []Input {
	out := make([]Input, len(inputs))
	for i, in := range inputs {
		out[i] = Input{File: in.File, Docs: deepCopy(in.Docs).([]any)}
	}
	return out
}

// number writes n as each JSON-compatible number type that Input and
// Options.Data allow: the strict loader gives float64, config.Data int,
// and a JSON decoder json.Number.
func randNumber(rng *rand.Rand, n float64) any {
	switch rng.IntN(4) {
	case 0:
		return json.Number(fmt.Sprint(n))
	case 1:
		if n == float64(int(n)) {
			return int(n)
		}
	}
	return n
}

// docNumber writes n as a number of a document: float64, as the strict
// loader gives, or json.Number, which Input also allows.
func docNumber(rng *rand.Rand, n float64) any {
	if chance(rng, 4) {
		return json.Number(fmt.Sprint(n))
	}
	return n
}

// oddScalars are values of the wrong type or blank, for any string field.
var oddScalars = []any{"", "   ", 7.0, nil, absent, true, []any{"x"}, map[string]any{}}

// jsonAwkward strings exercise json.marshal and %q in messages: HTML
// characters that Go's encoder escapes, a line separator, a tab, DEL, a
// quote and a backslash, non-ASCII letters and an invalid UTF-8 byte.
var jsonAwkward = []any{"<team>&co", "a\u2028b", "tab\there", "del\x7f", `quo"te\`, "prödüction", "bad\xffbyte"}

// durationPool holds duration strings and non-strings for ttl, rotation
// and onTimeout: Go durations in every unit and form, and what
// lib.duration_ns refuses although time.ParseDuration or OPA's
// time.parse_duration_ns may accept it: a day unit, bare numbers, signs,
// spaces, Greek mu (U+03BC, which Go accepts and the regex does not),
// ".5h" and "5.h", zero, sub-nanosecond values and overflow.
var durationPool = []any{
	"1h", "2h", "8h", "24h", "30m", "90m", "1.5h", "0.5h", "45s", "1500ms", "1h30m", "2h0m0s", "1h1h", "00001h",
	"100us", "1µs", "1ns", "8h0m0.000000001s", "480m", "28800s", "1.000000000001h",
	"1d", "3600", "", " 1h", "1h ", "-1h", "+1h", "0h", "0", "0.1ns", "1μs", ".5h", "5.h", "1H", "1e3s",
	"9223372036854775807ns", "9223372036854775808ns", "2562047h", "2562048h",
	3600.0, json.Number("3600"), true, nil, []any{"1h"}, absent,
}

// timePool holds expiry values that are no RFC3339 time, or are far out
// of the range of int64 nanoseconds, or on its edge.
var timePool = []any{
	"", "soon", "2026-02-30T00:00:00Z", "2026-11-26T24:00:00Z", "2026-11-26T23:59:60Z", "2026-11-26T00:00:00+24:00",
	"2300-01-01T00:00:00Z", "1500-01-01T00:00:00Z", "2262-04-11T23:47:16Z", "1677-09-21T00:12:43Z", "10000-01-01T00:00:00Z",
	1.7e9, nil, true, []any{"2026-11-26T00:00:00Z"}, absent,
}

// secretSamples holds, for each kind of secret in
// nhigate/secrets/secrets.rego, values that match and near misses that do
// not: one character short, glued to letters that the pattern excludes,
// the wrong case or prefix, a variable in a URL's password.
var secretSamples = map[string][]string{
	"an AWS access key id": {"AKIAIOSFODNN7EXAMPLE", "key=ASIAQWERTYUIOPASDFGH;", "ABIA0123456789ABCDEF", "é ACCA0123456789ABCDEF"},
	"a private key":        {"-----BEGIN RSA PRIVATE KEY-----\nMIIE", "-----BEGIN PRIVATE KEY-----", "-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN PGP PRIVATE KEY BLOCK-----"},
	"a GitHub token":       {"ghp_" + strings.Repeat("a1B2", 9), "token gho_" + strings.Repeat("Z", 36), "github_pat_" + strings.Repeat("x_9", 8)},
	"a Slack token":        {"xoxb-1234567890-abcdef", "xoxp-0000000000"},
	"a Google API key":     {"AIza" + strings.Repeat("Sy-_0", 7)},
	"a JSON Web Token":     {"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"},
	"a Stripe secret key":  {"sk_live_" + strings.Repeat("4eC39HqLyjWD", 2), "rk_live_" + strings.Repeat("0", 20)},
	"a password in a URL":  {"https://user:pa55@example.com/x", "postgres://app:s3cret@db:5432/orders"},
}

var secretNearMisses = []string{
	"AKIAIOSFODNN7EXAMPL", "XAKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLEX", "akiaiosfodnn7example",
	"-----BEGIN PUBLIC KEY-----", "-----BEGIN rsa PRIVATE KEY-----",
	"ghp_" + strings.Repeat("a", 35), "ghx_" + strings.Repeat("a", 36), "github_pat_short",
	"xoxb-123", "xoxc-1234567890", "AIza" + strings.Repeat("a", 34),
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNr", "sk_test_" + strings.Repeat("a", 24), "pk_live_" + strings.Repeat("a", 24),
	"https://user@example.com", "https://user:${PASSWORD}@example.com", "https://example.com:8443/x", "a PRIVATE KEY, eyJ, xox and ://",
}

// prodAliases are environment names that a random configuration marks
// production: true.
var prodAliases = []string{"live", "prod-eu"}

// ---------------------------------------------------------------------------
// Random configurations

// limitPool holds the maxTTL and maxGrant values of valid configurations:
// every unit that lib.fmt_duration writes (h, m, s, ms, ns), fractions,
// tiny and huge limits, and values that NHI-CFG-001 lets pass although
// lib.duration_ns refuses them, so that the "is not a Go duration in the
// nhigate config" messages fire: "0.1ns" is zero, "3000000h" overflows.
var limitPool = []string{
	"8h", "8h", "24h", "1h", "90m", "1.5h", "0.5h", "45s", "90s", "59s", "1h0m1s", "1h0m1s", "1500ms", "2500ms", "2h30m", "720h", "720h", "2160h", "168h",
	"1h0m0.5s", "100us", "1µs", "7ns", "0.1ns", "3000000h", "2562047h",
}

func randLimit(rng *rand.Rand) string { return pick(rng, limitPool...) }

// randomConfig derives the n-th configuration from the default one. One in
// three is invalid, broken by two of configBreakers. It reports whether
// the configuration is valid, that is, whether NHI-CFG-001 must stay
// silent; TestNativeAgreesWithRego checks that claim.
func randomConfig(rng *rand.Rand, n int) (map[string]any, bool) {
	cfg := config.Default().Data()
	envs := cfg["environments"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(envs)) {
		e := envs[name].(map[string]any)
		if chance(rng, 3) {
			e["maxTTL"] = randLimit(rng)
		}
		if chance(rng, 3) {
			e["maxGrant"] = randLimit(rng)
		}
	}
	// Production by another name, and names that sort before the
	// defaults in the list of NHI-ENV-001.
	if chance(rng, 2) {
		envs[pick(rng, prodAliases...)] = map[string]any{"maxTTL": randLimit(rng), "maxGrant": randLimit(rng), "production": true}
	}
	if chance(rng, 3) {
		envs["sandbox"] = map[string]any{"maxTTL": randLimit(rng), "maxGrant": randLimit(rng)}
	}
	if chance(rng, 6) {
		envs["Staging"] = map[string]any{"maxTTL": randLimit(rng), "maxGrant": randLimit(rng)}
	}
	// staging unconfigured: a spec in staging gets the strictest limits.
	if chance(rng, 8) {
		delete(envs, "staging")
	}
	// Only true makes production: false does not unmake the name
	// "production", and a string "true" is no boolean.
	if chance(rng, 8) {
		envs["production"].(map[string]any)["production"] = false
	}
	if e, ok := envs["staging"].(map[string]any); ok && chance(rng, 8) {
		e["production"] = "true"
	}
	d := cfg["delegated"].(map[string]any)
	if chance(rng, 2) {
		d["maxTTL"] = randLimit(rng)
	}
	if chance(rng, 2) {
		d["maxGrant"] = randLimit(rng)
	}
	// Limits that pass NHI-CFG-001 and are no duration to lib.
	for _, lim := range []map[string]any{d, envs["production"].(map[string]any)} {
		if chance(rng, 3) {
			lim[pick(rng, "maxTTL", "maxGrant")] = pick(rng, "0.1ns", "3000000h")
		}
	}

	// Approvers that equal a spec's owner or requester after norm, in
	// other case and with @ and spaces, and duplicates.
	approvers := [][]any{{}, {}, {"@acme/security"}, {"@Acme/Security", "bob"}, {"alice"}, {"@acme/payments"}, {"acme/security", "@acme/security"}, {" @acme/sre "}}
	tiers := cfg["riskTiers"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(tiers)) {
		tier := tiers[name].(map[string]any)
		tier["approvers"] = slices.Clone(pick(rng, approvers...))
		tier["minApprovals"] = randNumber(rng, float64(rng.IntN(4)))
		tier["ownerMayApprove"] = chance(rng, 2)
	}
	if chance(rng, 4) {
		// Huge, as float64 it marshals as 1e+21: %v must write it as OPA does.
		tiers[pick(rng, "critical", "high", "medium", "low")].(map[string]any)["minApprovals"] = pick[any](rng, 1e21, 1e6, json.Number("1000000"))
	}
	platforms := []any{}
	for _, p := range []string{"vault", "github", "generic", "aws", "gcp", "azure", "kubernetes", "AWS", " vault"} {
		if chance(rng, 3) {
			platforms = append(platforms, p)
		}
	}
	cfg["highRiskPlatforms"] = platforms
	cfg["maxExceptionDays"] = randNumber(rng, float64(1+rng.IntN(400)))
	if chance(rng, 12) {
		// Far beyond the range of int64 nanoseconds: lib.fmt_day_floor of
		// the latest expiry cannot be formatted.
		cfg["maxExceptionDays"] = pick[any](rng, 1e6, 110000, json.Number("36500"))
	}

	if n%3 != 1 {
		return cfg, true
	}
	// The k-th invalid configuration takes breakers k and k+6: eight
	// invalid configurations use all twelve.
	k := n / 3
	configBreakers[k%len(configBreakers)](rng, cfg)
	configBreakers[(k+6)%len(configBreakers)](rng, cfg)
	return cfg, false
}

// configBreakers each make a configuration invalid in one way that
// NHI-CFG-001 names; the engine must then evaluate in Rego.
var configBreakers = []func(*rand.Rand, map[string]any){
	func(rng *rand.Rand, c map[string]any) {
		envs, ok := c["environments"].(map[string]any)
		if !ok || len(envs) == 0 {
			c["environments"] = map[string]any{"production": map[string]any{"maxTTL": "1d", "maxGrant": "720h"}}
			return
		}
		e, ok := envs[pick(rng, slices.Sorted(maps.Keys(envs))...)].(map[string]any)
		if !ok {
			return // already broken
		}
		e[pick(rng, "maxTTL", "maxGrant")] = pick[any](rng, "1d", "", 3600, "0h", " 8h", "-1h", "8H", nil, "1μs", json.Number("3600"))
	},
	func(rng *rand.Rand, c map[string]any) {
		put(c, "environments", pick[any](rng, map[string]any{}, "production", []any{}, nil, absent))
	},
	func(rng *rand.Rand, c map[string]any) {
		if envs, ok := c["environments"].(map[string]any); ok {
			envs["weird"] = pick[any](rng, "8h", nil, map[string]any{"maxTTL": "1h"})
		}
	},
	func(rng *rand.Rand, c map[string]any) {
		put(c, "delegated", pick[any](rng, nil, absent, map[string]any{"maxTTL": "1h"}, map[string]any{"maxTTL": "1h", "maxGrant": "7d"}, "1h"))
	},
	tierBreaker(func(rng *rand.Rand, tiers map[string]any, name string) {
		put(tiers, name, pick[any](rng, absent, "high", nil))
	}),
	tierBreaker(func(rng *rand.Rand, tiers map[string]any, name string) {
		put(tiers[name].(map[string]any), "approvers", pick[any](rng, "@acme/security", []any{7.0}, []any{""}, []any{" "}, nil, absent))
	}),
	tierBreaker(func(rng *rand.Rand, tiers map[string]any, name string) {
		put(tiers[name].(map[string]any), "minApprovals", pick[any](rng, 1.5, -1, "2", nil, absent, json.Number("0.5")))
	}),
	tierBreaker(func(rng *rand.Rand, tiers map[string]any, name string) {
		put(tiers[name].(map[string]any), "ownerMayApprove", pick[any](rng, "yes", nil, absent, 1))
	}),
	func(rng *rand.Rand, c map[string]any) {
		put(c, "riskTiers", pick[any](rng, absent, nil, []any{}))
	},
	func(rng *rand.Rand, c map[string]any) {
		put(c, "highRiskPlatforms", pick[any](rng, "vault", []any{""}, []any{7.0}, nil, absent))
	},
	func(rng *rand.Rand, c map[string]any) {
		put(c, "maxExceptionDays", pick[any](rng, 0.5, "90", -3, nil, absent, json.Number("1.5")))
	},
	func(rng *rand.Rand, c map[string]any) {
		c["maxExceptionDays"] = pick[any](rng, 0, 0.0, json.Number("0"))
	},
}

// tierBreaker breaks a random tier of riskTiers, when it is still a
// mapping of mappings.
func tierBreaker(f func(rng *rand.Rand, tiers map[string]any, name string)) func(*rand.Rand, map[string]any) {
	return func(rng *rand.Rand, c map[string]any) {
		tiers, ok := c["riskTiers"].(map[string]any)
		name := pick(rng, "critical", "high", "medium", "low")
		if _, isMap := tiers[name].(map[string]any); ok && isMap {
			f(rng, tiers, name)
		}
	}
}

// randomNow is a clock within two years of fixtureNow, sometimes on a
// day or hour boundary (where the rounding of messages turns) and
// sometimes with nanoseconds.
func randomNow(rng *rand.Rand) time.Time {
	now := fixtureNow.Add(time.Duration(rng.Int64N(int64(4*365*24*time.Hour))) - 2*365*24*time.Hour)
	switch rng.IntN(4) {
	case 0:
		return now.Truncate(24 * time.Hour)
	case 1:
		return now.Truncate(time.Hour)
	case 2:
		return now.Truncate(time.Second)
	}
	return now
}

// limits lists the durations of cfg that rules compare with: every
// configured maxTTL and maxGrant, the delegated ones, and
// maxExceptionDays, so that documents land on both sides of each.
func limits(cfg map[string]any) []time.Duration {
	var out []time.Duration
	add := func(v any) {
		if s, ok := v.(string); ok {
			if d, err := time.ParseDuration(s); err == nil && d > 0 {
				out = append(out, d)
			}
		}
	}
	if envs, ok := cfg["environments"].(map[string]any); ok {
		for _, name := range slices.Sorted(maps.Keys(envs)) {
			if e, ok := envs[name].(map[string]any); ok {
				add(e["maxTTL"])
				add(e["maxGrant"])
			}
		}
	}
	if d, ok := cfg["delegated"].(map[string]any); ok {
		add(d["maxTTL"])
		add(d["maxGrant"])
	}
	if days, ok := toFloat(cfg["maxExceptionDays"]); ok && days > 0 && days < 10000 {
		out = append(out, time.Duration(days*24)*time.Hour)
	}
	return out
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

// ---------------------------------------------------------------------------
// Random documents

// docGen makes documents for one configuration and clock.
type docGen struct {
	rng    *rand.Rand
	now    time.Time
	envs   []any // configured environment names
	limits []time.Duration
	// maxException is maxExceptionDays, or 90 days when it is not a
	// number of days that a time.Duration holds.
	maxException time.Duration
	pools        patternPools
}

// patternPools are the printable actions and resources to grant.
type patternPools struct {
	// actions and resources are a few of each class on every platform:
	// literals, broad and narrow wildcards, patterns with both * and ?
	// (NHI-DEL-003 reports them once), and names of whole types.
	actions, resources []string
	// wide holds the patterns of the judgement tests (broadCases) and
	// the catalog's sensitive scopes: a pattern in 15 comes from here.
	// (The pure Rego judges each in up to tens of milliseconds, so the
	// test draws them sparingly; TestBroadAgreesWithGo holds them all.)
	wideActions, wideResources []string
	// pairs are literal actions and resources that are narrow alone and
	// broad together (lib.broad_grant), by platform.
	pairs map[string][][2]string
}

func newPatternPools(t testing.TB, cases []broadCase) patternPools {
	t.Helper()
	p := patternPools{
		actions: []string{
			"s3:GetObject", "s3:PutObject", "s3:ListBucket", "sts:AssumeRole", "s3:Get*", "s3:*", "*", "iam:PassRole", "iam:P*",
			"secretsmanager:GetSecretValue", "ec2:Describe*", "s3:Get*Obj?ct", "s?:GetObject", "get", "list", "create", "impersonate", "*",
			"read", "sudo", "roles/storage.objectViewer", "roles/owner", "contents:read", "contents:*", "Microsoft.Storage/storageAccounts/read",
		},
		resources: []string{
			"arn:aws:s3:::payments-artifacts/*", "arn:aws:s3:::payments-artifacts/report.csv", "arn:aws:s3:::b/*?", "*",
			"arn:aws:iam::123456789012:role/ci-deploy", "arn:aws:iam::*:role/*", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-*",
			"payments/pods", "payments/secrets", "secrets", "secret/data/payments/db", "secret/data/*", "sys/*", "projects/my-project",
			"projects/my-project/buckets/b1", "acme/payments-api", "acme/*", "/subscriptions/1/resourceGroups/rg1", "payments/pods/?eb-1",
		},
		pairs: map[string][][2]string{},
	}
	for _, bc := range cases {
		if !printable(bc.Pattern) {
			continue
		}
		if bc.Kind == catalog.Action {
			p.wideActions = append(p.wideActions, bc.Pattern)
		} else {
			p.wideResources = append(p.wideResources, bc.Pattern)
		}
	}
	var data catalog.Data
	if err := json.Unmarshal(catalog.JSON(), &data); err != nil {
		t.Fatal(err)
	}
	variable := regexp.MustCompile(`\$\{[^}]*\}`)
	for _, name := range slices.Sorted(maps.Keys(data.Platforms)) {
		platform := data.Platforms[name]
		var sensitive []string
		for _, key := range slices.Sorted(maps.Keys(platform.Actions)) {
			sensitive = append(sensitive, slices.Sorted(maps.Keys(platform.Actions[key]))...)
		}
		for _, g := range platform.Grants {
			actions := g.Actions
			if len(actions) == 0 {
				actions = sensitive
			}
			p.wideActions = append(p.wideActions, actions...)
			for _, s := range g.Scopes {
				r := variable.ReplaceAllString(s, "p1")
				p.wideResources = append(p.wideResources, r, r+"/*", r+"/x1")
				for i, a := range actions {
					if i >= 3 || !printable(a) || !printable(r) {
						break
					}
					if catalog.JudgeGrant(name, a, r).Broad() && !catalog.Judge(name, catalog.Action, a).Broad() && !catalog.Judge(name, catalog.Resource, r).Broad() {
						p.pairs[name] = append(p.pairs[name], [2]string{a, r})
					}
				}
			}
		}
	}
	if len(p.pairs) == 0 {
		t.Fatal("the catalog has no sensitive pairing of a narrow action and resource: NHI-ENT-001's grant message would go unseen")
	}
	return p
}

func newDocGen(rng *rand.Rand, cfg map[string]any, now time.Time, pools patternPools) *docGen {
	g := &docGen{rng: rng, now: now, limits: limits(cfg), pools: pools, maxException: 90 * 24 * time.Hour}
	if days, ok := toFloat(cfg["maxExceptionDays"]); ok && days >= 1 && days < 10000 {
		g.maxException = time.Duration(days*24) * time.Hour
	}
	if envs, ok := cfg["environments"].(map[string]any); ok {
		for _, name := range slices.Sorted(maps.Keys(envs)) {
			g.envs = append(g.envs, name)
		}
	}
	return g
}

// file makes an Input of one to three documents.
func (g *docGen) file(name string) Input {
	in := Input{File: name}
	n := 1
	if chance(g.rng, 4) {
		n = 2 + g.rng.IntN(2)
	}
	for range n {
		doc := g.workflow()
		if hasAbsent(doc) {
			panic(fmt.Sprintf("generator left absent in a value: %#v", doc))
		}
		in.Docs = append(in.Docs, doc)
	}
	return in
}

// hasAbsent reports whether absent was written as a value rather than
// through put.
func hasAbsent(v any) bool {
	switch v := v.(type) {
	case absentValue:
		return true
	case map[string]any:
		for _, x := range v {
			if hasAbsent(x) {
				return true
			}
		}
	case []any:
		return slices.ContainsFunc(v, hasAbsent)
	}
	return false
}

// workflow makes one document: a workflow that the strict loader's shape
// check (shaped) accepts five times in six, with every field varied.
func (g *docGen) workflow() any {
	requester := g.requester()
	owner := g.owner()
	meta := map[string]any{"name": "payments-ci"}
	put(meta, "owner", owner)
	put(meta, "requester", requester)
	put(meta, "provenance", g.provenance())
	s := map[string]any{"entitlements": g.entitlements()}
	put(s, "identity", g.identity())
	put(s, "environment", g.environment())
	put(s, "credential", g.credential())
	put(s, "expiresAt", g.expiresAt())
	put(s, "revocation", g.revocation())
	put(s, "approvals", g.approvals(owner, requester))
	put(s, "exceptions", g.exceptions(requester))
	doc := map[string]any{"apiVersion": "nhigate.dev/v1", "kind": "ProvisioningWorkflow", "metadata": meta, "spec": s}
	// A grant that is broad as a pair only: it needs the platform of the
	// pairing.
	if id, ok := s["identity"].(map[string]any); ok && chance(g.rng, 5) {
		platform := pick(g.rng, slices.Sorted(maps.Keys(g.pools.pairs))...)
		pair := pick(g.rng, g.pools.pairs[platform]...)
		id["platform"] = platform
		s["entitlements"] = append(s["entitlements"].([]any), map[string]any{"actions": []any{pair[0]}, "resources": []any{pair[1]}})
	}
	if chance(g.rng, 40) {
		put(doc, "metadata", pick[any](g.rng, "payments", nil, absent))
	}
	if chance(g.rng, 2) {
		g.plantSecret(doc)
	}
	if chance(g.rng, 2) {
		g.plantSecret(doc) // a second, maybe of another kind or place
	}
	if chance(g.rng, 6) {
		return g.misshape(doc)
	}
	return doc
}

// requester and owner: logins and teams in the forms that lib.norm makes
// equal ("@Alice " = "alice"), the same person as owner and requester,
// and values that are blank or not strings.
func (g *docGen) requester() any {
	return mostly(g.rng, []any{"alice", "alice", "bob", "@Alice", " ALICE "}, append(slices.Clone(oddScalars), jsonAwkward[0]))
}

func (g *docGen) owner() any {
	return mostly(g.rng, []any{"@acme/payments", "@acme/payments", "@Acme/Payments", "acme/payments", "alice"}, append(slices.Clone(oddScalars), jsonAwkward...))
}

// provenance: a generator, a prompt and its SHA-256, which matches,
// differs, is upper case, one digit short, or is no string.
func (g *docGen) provenance() any {
	if chance(g.rng, 30) {
		return pick[any](g.rng, "chatops-bot", nil, []any{})
	}
	p := map[string]any{"generatedAt": "2026-11-25T10:00:00Z"}
	put(p, "generator", mostly(g.rng, []any{"chatops-bot@2.3.1"}, oddScalars))
	prompt := mostly(g.rng, []any{"Give the payments CI pipeline write access", "rotate the <db> & cache keys", "é prompt\twith\u2028 odd spaces", " "}, oddScalars)
	put(p, "prompt", prompt)
	text, _ := prompt.(string)
	sum := sha256.Sum256([]byte(text))
	digest := hex.EncodeToString(sum[:])
	other := sha256.Sum256([]byte("another prompt"))
	put(p, "promptSha256", mostly(g.rng,
		[]any{digest, digest, absent},
		[]any{strings.ToUpper(digest), digest[:63], digest + "0", hex.EncodeToString(other[:]), "", " ", 7.0, nil}))
	return p
}

func (g *docGen) identity() any {
	if chance(g.rng, 40) {
		return pick[any](g.rng, "payments-ci", nil, absent)
	}
	id := map[string]any{"name": "payments-ci"}
	put(id, "type", mostly(g.rng, []any{"workload-identity", "workload-identity", "service-account", "api-key"}, []any{"Workload-Identity", "", 3.0, nil, absent}))
	put(id, "platform", mostly(g.rng, []any{"aws", "gcp", "azure", "kubernetes", "vault", "github", "generic"}, []any{"", "AWS", "Vault", 7.0, nil, absent, "unknown", "aws", "gcp", "kubernetes", "github"}))
	put(id, "consumer", mostly(g.rng, []any{"pipeline", "pipeline", "human", "agent", "scheduled-job"}, []any{"Human", " pipeline", "", 7.0, nil, absent, []any{"pipeline"}}))
	return id
}

// environment: the configured names (a production alias among them), the
// defaults whether configured or not, and names that only look configured.
func (g *docGen) environment() any {
	good := append([]any{"production", "production", "staging", "development"}, g.envs...)
	return mostly(g.rng, good, []any{"moon", "Production", "production ", "", 7.0, nil, absent, []any{"production"}, true})
}

// duration is a ttl, rotation or onTimeout: one of durationPool, or a
// configured limit, one nanosecond or second either side of it, or twice
// it, as Go writes durations ("8h0m0.000000001s").
func (g *docGen) duration() any {
	if len(g.limits) > 0 && chance(g.rng, 2) {
		l := pick(g.rng, g.limits...)
		return pick(g.rng, l, l+1, l-1, l+time.Second, l-time.Second, 2*l).String()
	}
	return pick(g.rng, durationPool...)
}

func (g *docGen) credential() any {
	if chance(g.rng, 30) {
		return pick[any](g.rng, "static", nil, absent)
	}
	c := map[string]any{}
	put(c, "kind", mostly(g.rng, []any{"ephemeral", "ephemeral", "static"}, []any{"Static", "", 1.0, nil, absent, "dynamic"}))
	put(c, "ttl", mostly(g.rng, []any{g.duration(), g.duration(), "1h"}, []any{absent, nil}))
	if c["kind"] == "static" || chance(g.rng, 4) {
		put(c, "rotation", mostly(g.rng, []any{g.duration(), "24h"}, []any{absent, nil}))
	}
	return c
}

// timeAround is an expiry relative to the clock: on either side of now and
// of every limit, written in the forms RFC3339 allows (offsets, fractions,
// lower case t and z) and forms it does not, or one of timePool.
func (g *docGen) timeAround() any {
	if chance(g.rng, 8) {
		return pick(g.rng, timePool...)
	}
	deltas := []time.Duration{-365 * 24 * time.Hour, -24 * time.Hour, -time.Second, 0, time.Second, time.Hour, 23 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 3 * 365 * 24 * time.Hour}
	for _, l := range g.limits {
		deltas = append(deltas, l-time.Second, l, l+time.Second)
	}
	t := g.now.Add(pick(g.rng, deltas...))
	switch g.rng.IntN(10) {
	case 0:
		return t.Format(time.RFC3339Nano)
	case 1:
		return t.In(time.FixedZone("", 5*3600+1800)).Format(time.RFC3339)
	case 2:
		return t.In(time.FixedZone("", -8*3600)).Format(time.RFC3339)
	case 3:
		return strings.ToLower(t.UTC().Format(time.RFC3339))
	case 4:
		return pick[any](g.rng, t.UTC().Format("2006-01-02"), t.UTC().Format("2006-01-02 15:04:05Z07:00"), float64(t.Unix()))
	}
	return t.UTC().Format(time.RFC3339)
}

func (g *docGen) expiresAt() any { return g.timeAround() }

func (g *docGen) revocation() any {
	if chance(g.rng, 20) {
		return pick[any](g.rng, nil, absent, "auto", true)
	}
	r := map[string]any{}
	put(r, "onCompletion", mostly(g.rng, []any{true, true, absent}, []any{false, "true", 1.0, nil}))
	put(r, "onTimeout", mostly(g.rng, []any{"2h", g.duration(), absent}, []any{nil, "", 7200.0}))
	return r
}

// approvals: required approvers that are the requester or the owner in
// other spellings, independent ones, duplicates, blanks and non-strings,
// the list as a mapping or a string; minApprovals below, at and above each
// tier's, fractional, negative, a string, huge.
func (g *docGen) approvals(owner, requester any) any {
	if chance(g.rng, 30) {
		return pick[any](g.rng, nil, absent, "@acme/security")
	}
	people := []any{"@acme/security", "@acme/security", "@Acme/Security ", "acme/security", "bob", "@bob", " @acme/sre", "@acme/payments", "acme/payments", "alice", "@ALICE"}
	if s, ok := requester.(string); ok {
		people = append(people, s, " @"+strings.ToUpper(strings.TrimSpace(s))+" ")
	}
	if s, ok := owner.(string); ok {
		people = append(people, s, strings.TrimPrefix(s, "@"))
	}
	var required []any
	for range g.rng.IntN(4) {
		if chance(g.rng, 8) {
			required = append(required, pick[any](g.rng, "", "  ", 7.0, nil, []any{"bob"}))
		} else {
			required = append(required, pick(g.rng, people...))
		}
	}
	if len(required) > 0 && chance(g.rng, 6) {
		required = append(required, required[0])
	}
	a := map[string]any{}
	switch {
	case chance(g.rng, 20):
		m := map[string]any{}
		for i, r := range required {
			m[fmt.Sprint("k", i)] = r
		}
		a["required"] = m
	case chance(g.rng, 20):
		put(a, "required", pick[any](g.rng, "bob", nil, absent))
	default:
		a["required"] = required
	}
	put(a, "minApprovals", mostly(g.rng,
		[]any{docNumber(g.rng, 2), docNumber(g.rng, 1), docNumber(g.rng, 3), 0.0},
		[]any{1.5, -1.0, "2", 1e9, 1e21, nil, absent, json.Number("1.50"), json.Number("2.0")}))
	return a
}

// waivable lists the ids that an exception may waive, from the catalog.
func waivable() []string {
	var ids []string
	for _, r := range Catalog() {
		if r.Waivable {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// exceptions: none; a valid waiver of every waivable rule, so that each
// waiver is seen to apply wherever its rule fires; a few entries, each
// valid or broken in one way that lib.valid_exception or NHI-EXC-* reads;
// or both.
func (g *docGen) exceptions(requester any) any {
	var list []any
	switch g.rng.IntN(10) {
	case 0, 1:
		return absent
	case 2, 3, 4, 5, 6:
		for _, id := range waivable() {
			list = append(list, g.exception(id, requester, true))
		}
		if chance(g.rng, 2) {
			return list
		}
	case 7:
		if chance(g.rng, 3) {
			// A mapping or a string where a list belongs.
			return pick[any](g.rng, map[string]any{"x": g.exception("NHI-CRED-001", requester, true)}, "NHI-CRED-001", nil)
		}
	}
	for range 1 + g.rng.IntN(4) {
		list = append(list, g.exception(pick(g.rng, waivable()...), requester, chance(g.rng, 3)))
	}
	return list
}

// exception is an entry waiving rule, valid or broken in one random way.
func (g *docGen) exception(rule string, requester any, valid bool) any {
	approver := "@acme/security"
	if requester == "@acme/security" {
		approver = "bob"
	}
	maxAway := g.maxException
	away := time.Hour + time.Duration(g.rng.Int64N(int64(max(maxAway, 2*time.Hour)-time.Hour)))
	e := map[string]any{
		"rule":       rule,
		"reason":     "vendor API only supports static keys",
		"approvedBy": approver,
		"expiresAt":  g.now.Add(away).UTC().Format(time.RFC3339),
		"ticket":     "SEC-1",
	}
	if valid {
		return e
	}
	switch g.rng.IntN(15) {
	case 0:
		put(e, "rule", pick[any](g.rng, "NHI-FOO-001", strings.ToLower(rule), rule+" ", "NHI-SOD-001", "NHI-ENT-003", "NHI-EXC-001", "NHI-CFG-001", "NHI-CRED-004", "NHI-ENV-001", "NHI-SPEC-001"))
	case 10, 12, 14:
		// No rule name: "an unnamed rule" in messages.
		put(e, "rule", pick[any](g.rng, 42.0, nil, absent, []any{rule}))
	case 1, 11:
		put(e, "reason", pick[any](g.rng, "", "  ", 7.0, nil, absent))
	case 2:
		put(e, "approvedBy", pick[any](g.rng, "", "  ", 7.0, nil, absent))
	case 3:
		// Self-approval, spelt as lib.norm makes equal.
		if s, ok := requester.(string); ok {
			e["approvedBy"] = pick(g.rng, s, "@"+strings.ToUpper(strings.TrimSpace(s)))
		} else {
			e["approvedBy"] = "alice"
		}
	case 4, 13:
		// Expired, or expiring exactly now (which has passed).
		e["expiresAt"] = pick(g.rng, g.now.Add(-time.Hour), g.now.Truncate(time.Second), g.now.Add(-400*24*time.Hour)).UTC().Format(time.RFC3339)
	case 5:
		// Beyond maxExceptionDays, or exactly on it (allowed).
		e["expiresAt"] = g.now.Add(maxAway + pick(g.rng, time.Second, 0, 365*24*time.Hour)).UTC().Format(time.RFC3339Nano)
	case 6:
		put(e, "expiresAt", pick(g.rng, timePool...))
	case 7:
		return pick[any](g.rng, rule, 7.0, nil, []any{rule})
	case 8:
		delete(e, pick(g.rng, "rule", "reason", "approvedBy", "expiresAt"))
	case 9:
		put(e, "expiresAt", g.timeAround())
	}
	return e
}

// entitlements: one to three grants of one to three printable patterns
// each (mostly one: the pure Rego judges each pattern in milliseconds),
// some with conditions; a third of the documents grant literals alone, so
// that a production grant is not always critical.
func (g *docGen) entitlements() []any {
	var ents []any
	literal := chance(g.rng, 3)
	for range g.few() {
		e := map[string]any{"actions": g.patterns(g.pools.actions, g.pools.wideActions, literal), "resources": g.patterns(g.pools.resources, g.pools.wideResources, literal)}
		if chance(g.rng, 3) {
			e["conditions"] = map[string]any{"ipRange": "10.0.0.0/8"}
		}
		ents = append(ents, e)
	}
	return ents
}

// few is 1, 2 or 3, in six, three and one cases in ten.
func (g *docGen) few() int {
	switch n := g.rng.IntN(10); {
	case n < 6:
		return 1
	case n < 9:
		return 2
	}
	return 3
}

func (g *docGen) patterns(pool, wide []string, literal bool) []any {
	var out []any
	for n := g.few(); len(out) < n; {
		p := pick(g.rng, pool...)
		if chance(g.rng, 15) {
			p = pick(g.rng, wide...)
		}
		if !literal || !strings.ContainsAny(p, "*?") {
			out = append(out, p)
		}
	}
	if chance(g.rng, 10) {
		out = append(out, out[0]) // the same pattern twice: two paths
	}
	return out
}

// plantSecret writes a secret or a near miss where lib's walk finds it: a
// prompt, an annotation, an entitlement's conditions or resources, an
// exception's reason, deep in lists, under keys with dots and brackets,
// or as a key (which walk does not read as a value).
func (g *docGen) plantSecret(doc map[string]any) {
	var value string
	if chance(g.rng, 4) {
		value = pick(g.rng, secretNearMisses...)
	} else {
		kind := pick(g.rng, slices.Sorted(maps.Keys(secretSamples))...)
		value = pick(g.rng, secretSamples[kind]...)
	}
	if chance(g.rng, 3) {
		value = "see " + value + " here"
	}
	meta, _ := doc["metadata"].(map[string]any)
	s := doc["spec"].(map[string]any)
	switch g.rng.IntN(11) {
	case 0:
		if meta != nil {
			if p, ok := meta["provenance"].(map[string]any); ok {
				p["prompt"] = value
			}
		}
	case 1:
		if meta != nil {
			meta["annotations"] = map[string]any{pick(g.rng, "note", "a.b[0]", "0", "é"): value}
		}
	case 2:
		e := s["entitlements"].([]any)[0].(map[string]any)
		e["conditions"] = map[string]any{"token": value, "list": []any{1.0, []any{value}}}
	case 3:
		if printable(value) {
			e := s["entitlements"].([]any)[0].(map[string]any)
			e["resources"] = append(e["resources"].([]any), value)
		}
	case 4:
		if list, ok := s["exceptions"].([]any); ok && len(list) > 0 {
			if e, ok := list[0].(map[string]any); ok {
				e["reason"] = value
				return
			}
		}
		s["credential"] = map[string]any{"kind": "static", "ttl": "1h", "rotation": "24h", "secret": value}
	case 5:
		if meta != nil {
			meta["labels"] = map[string]any{value: "x"}
		}
	case 6:
		if meta != nil {
			meta["labels"] = map[string]any{value: value}
		}
	case 7:
		s["notes"] = []any{[]any{map[string]any{"k": value, "other": pick(g.rng, secretNearMisses...)}}}
	// A secret as a key is reported at its mapping, and nothing below it
	// (whose path would repeat the key).
	case 8:
		e := s["entitlements"].([]any)[0].(map[string]any)
		e["conditions"] = map[string]any{value: map[string]any{"inner": value}, "plain": "x"}
	case 9:
		s["notes"] = []any{map[string]any{value: []any{value}}, map[string]any{"k": value}}
	case 10:
		doc[value] = "at the top"
	}
}

// misshape breaks the document as the strict loader never lets through,
// so that the engine must fall back to the Rego (and NHI-SPEC-001 and
// NHI-ENT-003 report it).
func (g *docGen) misshape(doc map[string]any) any {
	s := doc["spec"].(map[string]any)
	ents := s["entitlements"].([]any)
	e0 := ents[0].(map[string]any)
	switch g.rng.IntN(24) {
	case 0, 20, 21:
		doc["apiVersion"] = pick[any](g.rng, "nhigate.dev/v2", nil, 1.0)
	case 1, 16:
		delete(doc, pick(g.rng, "kind", "apiVersion"))
	case 2, 17:
		doc["kind"] = pick[any](g.rng, []any{"ProvisioningWorkflow"}, "provisioningworkflow", nil)
	case 3:
		s["entitlements"] = append(ents, pick[any](g.rng, "s3:*", nil, 7.0))
	case 4:
		delete(e0, pick(g.rng, "actions", "resources"))
	case 5:
		e0[pick(g.rng, "actions", "resources")] = pick[any](g.rng, []any{}, "s3:GetObject", nil)
	case 6:
		e0["resources"] = []any{"arn:aws:s3:::b/ *", "arn:aws:s3:::b/\u00a0*", "\t", "s3:Get\uff0a"}
	case 7, 22, 23:
		key := pick(g.rng, "actions", "resources")
		e0[key] = append(e0[key].([]any), pick[any](g.rng, 42.0, "", " ", nil, true))
	case 8:
		put(s, "entitlements", pick[any](g.rng, []any{}, nil, absent, map[string]any{"a": e0}, "all"))
	case 9:
		put(doc, "spec", pick[any](g.rng, nil, absent, "spec", []any{}))
	case 10, 18, 19:
		// Not a mapping at all; a string can hold a secret.
		return pick[any](g.rng, []any{"apiVersion", "nhigate.dev/v1"}, "AKIAIOSFODNN7EXAMPLE", nil, 42.0, "", true)
	case 11:
		e0["actions"] = []any{"s3:Get Object", "s3:GetObject\x7f", "s3:GetObjéct"}
	default:
		ents[g.rng.IntN(len(ents))] = pick[any](g.rng, "s3:*", []any{"s3:*"}, nil)
	}
	return doc
}

// ---------------------------------------------------------------------------
// User policies

// repoPolicy is a repo policy without `with`: the fast path still applies
// to the built-ins. It reads lib, which the fast path must leave intact,
// and has an exception of its own.
var repoPolicy = map[string]string{"repo/prod.rego": `package repo.prod
import data.nhigate.lib

deny_static_prod contains {"msg": sprintf("REPO-001 %s in tier %s", [lib.env_name, lib.tier]), "id": "REPO-001", "severity": "low", "field": "spec.credential.kind"} if {
	input.spec.credential.kind == "static"
	lib.production
}

warn_many_grants contains sprintf("REPO-002 %d entitlements", [count(input.spec.entitlements)]) if {
	count(input.spec.entitlements) > 1
}

exception contains ["many_grants"] if input.metadata.owner == "@acme/payments"
`}

// withPolicy is a repo policy with `with`: it runs built-in rules on
// another input, so the engine must evaluate everything in Rego.
var withPolicy = map[string]string{"repo/whatif.rego": `package repo.whatif
import data.nhigate.credential

deny_if_production contains sprintf("REPO-003 in production: %s", [r.msg]) if {
	some r in credential.deny_nhi_cred_001 with input.spec.environment as "production"
}
`}

// ---------------------------------------------------------------------------
// Coverage guard

// template is one message form of a built-in rule. The guard counts
// results per template; every result must match one.
type template struct {
	rule string
	re   *regexp.Regexp
	// fallback marks a template that only a document the loader would
	// reject, or an invalid configuration, can produce: it is counted over
	// all results, the others over the results the fast path computes.
	fallback bool
	// never says why the template cannot occur through the Engine; it
	// must then never be seen.
	never string
}

func tmpl(rule, re string) template {
	return template{rule: rule, re: regexp.MustCompile(`(?s)^` + rule + ` ` + re)}
}

func fallbackTmpl(rule, re string) template {
	t := tmpl(rule, re)
	t.fallback = true
	return t
}

// q is a Rego %q-quoted string.
const q = `"(?:[^"\\]|\\.)*"`

// templates lists every message of the built-in rules, read off
// policies/nhigate/*/*.rego. A rule with several bodies has a template
// per message; NHI-SEC-001 one per kind of secret; NHI-CFG-001 one per
// problem. More specific templates come first: the first match counts.
var templates = func() []template {
	ts := []template{
		{rule: "NHI-CFG-001", re: regexp.MustCompile(`^NHI-CFG-001 nhigate data not loaded`), never: "Options.Data is always an object (nil means the default configuration)"},
		{rule: "NHI-CFG-001", re: regexp.MustCompile(`^NHI-CFG-001 nhigate catalog not loaded`), never: "the engine always loads the embedded catalog"},
		{rule: "NHI-CFG-001", re: regexp.MustCompile(`^NHI-CFG-001 data\.nhigate\.now is`), never: "the engine writes Options.Now as RFC3339, or leaves it out"},
		fallbackTmpl("NHI-CFG-001", `nhigate config: environments must map environment names to limits`),
		fallbackTmpl("NHI-CFG-001", `nhigate config: environments\..*\.(maxTTL|maxGrant) is .*: write a Go duration such as 8h$`),
		fallbackTmpl("NHI-CFG-001", `nhigate config: delegated\.(maxTTL|maxGrant) is .*: write a Go duration such as 1h$`),
		fallbackTmpl("NHI-CFG-001", `nhigate config: riskTiers\.\w+ must be a mapping with approvers, minApprovals and ownerMayApprove$`),
		fallbackTmpl("NHI-CFG-001", `nhigate config: riskTiers\.\w+\.approvers is .*: write a list of teams or logins`),
		fallbackTmpl("NHI-CFG-001", `nhigate config: riskTiers\.\w+\.minApprovals is .*: write a whole number such as 2$`),
		fallbackTmpl("NHI-CFG-001", `nhigate config: riskTiers\.\w+\.ownerMayApprove is .*: write true or false$`),
		fallbackTmpl("NHI-CFG-001", `nhigate config: highRiskPlatforms is .*: write a list of platforms`),
		fallbackTmpl("NHI-CFG-001", `nhigate config: maxExceptionDays is .*: write a positive whole number such as 90$`),
		fallbackTmpl("NHI-CFG-001", `nhigate config: maxExceptionDays must be at least 1, e\.g\. 90$`),

		fallbackTmpl("NHI-SPEC-001", `the document is .*, not a mapping`),
		fallbackTmpl("NHI-SPEC-001", `apiVersion is .*: write apiVersion: nhigate\.dev/v1$`),
		fallbackTmpl("NHI-SPEC-001", `kind is .*: write kind: ProvisioningWorkflow$`),

		fallbackTmpl("NHI-ENT-003", `spec\.entitlements is .*: list at least one entitlement`),
		fallbackTmpl("NHI-ENT-003", `spec\.entitlements\[[^\]]*\] is .*: write a mapping with actions and resources$`),
		fallbackTmpl("NHI-ENT-003", `spec\.entitlements\[[^\]]*\]\.(actions|resources) is .*: list them explicitly`),
		fallbackTmpl("NHI-ENT-003", `spec\.entitlements\[[^\]]*\]\.(actions|resources)\[\d+\] is .*: write a non-empty string$`),
		fallbackTmpl("NHI-ENT-003", `spec\.entitlements\[[^\]]*\]\.(actions|resources)\[\d+\] has a character that is not printable ASCII after `),
		// Every tier's minApprovals is a number in a valid configuration.
		fallbackTmpl("NHI-RISK-002", `riskTiers\.\w+\.minApprovals is not a number in the nhigate config`),

		tmpl("NHI-OWN-001", `metadata\.owner is .*: name the accountable team or user`),
		tmpl("NHI-OWN-002", `metadata\.requester is .*: name the GitHub login`),
		tmpl("NHI-PROV-001", `metadata\.provenance\.generator is .*: record the tool`),
		tmpl("NHI-PROV-002", `metadata\.provenance has neither prompt nor promptSha256`),
		tmpl("NHI-PROV-003", `metadata\.provenance\.promptSha256 does not match the prompt, whose SHA-256 is [0-9a-f]{64}: `),
		tmpl("NHI-PROV-003", `metadata\.provenance\.promptSha256 is .*, not a SHA-256`),
		tmpl("NHI-EXP-001", `spec\.expiresAt is .*: write an RFC3339 time such as `),
		tmpl("NHI-EXP-002", `spec\.expiresAt .* has passed \(it is now past `),
		tmpl("NHI-EXP-003", `the maxGrant of .* is not a Go duration in the nhigate config`),
		tmpl("NHI-EXP-003", `spec\.expiresAt .* is more than the maxGrant of `),
		tmpl("NHI-CRED-001", `static credentials are not allowed in `),
		tmpl("NHI-CRED-002", `credential\.rotation is .*: a static credential needs a rotation period`),
		tmpl("NHI-CRED-003", `identity\.type .* with credential\.kind .*: prefer `),
		tmpl("NHI-CRED-004", `credential\.kind is .*: write ephemeral or static$`),
		tmpl("NHI-CRED-005", `the maxTTL of .* is not a Go duration in the nhigate config`),
		tmpl("NHI-CRED-005", `credential\.ttl is .*: write a Go duration such as ttl: 1h$`),
		tmpl("NHI-CRED-005", `credential\.ttl .* exceeds the maxTTL of `),
		tmpl("NHI-REV-001", `revocation is not automatic \(onCompletion .*, onTimeout .*\)`),
		tmpl("NHI-REV-001", `revocation\.onTimeout is .*, not a Go duration`),
		tmpl("NHI-ENT-001", `action `+q+` on resource `+q+` .* in .*: `),
		tmpl("NHI-ENT-001", `action `+q+` .* in .*: `),
		tmpl("NHI-ENT-002", `resource `+q+` .* in .*: `),
		tmpl("NHI-DEL-001", `delegated\.maxTTL is not a Go duration`),
		tmpl("NHI-DEL-001", `identity\.consumer .* is delegated automation, so credential\.ttl \(.*\) must be at most delegated\.maxTTL `),
		tmpl("NHI-DEL-002", `delegated\.maxGrant is not a Go duration`),
		tmpl("NHI-DEL-002", `identity\.consumer .* is delegated automation, so spec\.expiresAt \(.*\) must be at most delegated\.maxGrant `),
		tmpl("NHI-DEL-003", `identity\.consumer .* is delegated automation, which gets no wildcards: replace `+q+` with the exact (actions|resources)$`),
		tmpl("NHI-ID-001", `identity\.consumer is human: `),
		tmpl("NHI-ENV-001", `spec\.environment is .*, which is not configured: write one of .*; until then the strictest limits apply$`),
		tmpl("NHI-SOD-001", `the requester .* is listed in spec\.approvals\.required`),
		tmpl("NHI-SOD-002", `risk tier \w+ \(.*\) does not let the owner \(.*\) approve its own grant`),
		tmpl("NHI-RISK-001", `risk tier \w+ \(.*\) requires approver .*: add `+q+` to spec\.approvals\.required$`),
		tmpl("NHI-RISK-002", `risk tier \w+ \(.*\) needs at least .* approvals, and spec\.approvals\.minApprovals is .*: write minApprovals: .*$`),
		tmpl("NHI-EXC-001", `the exception for .* has reason .*: say why`),
		tmpl("NHI-EXC-002", `the exception for .* is approved by the requester .*: a requester never approves`),
		tmpl("NHI-EXC-002", `the exception for .* cannot be told apart from a self-approval because metadata\.requester is missing`),
		tmpl("NHI-EXC-002", `the exception for .* has approvedBy .*: name who approved it`),
		tmpl("NHI-EXC-003", `the exception for .* expired at .* and no longer applies`),
		tmpl("NHI-EXC-004", `the exception for .* has expiresAt .*: write an RFC3339 time at most .* days away, e\.g\. `),
		tmpl("NHI-EXC-004", `the exception for .* expires at .*, more than maxExceptionDays \(.*\) from now: write .* or earlier$`),
		tmpl("NHI-EXC-005", `spec\.exceptions\[[^\]]*\] is .*: write a mapping with rule`),
		tmpl("NHI-EXC-005", `the exception names rule .*, which is not a rule id`),
		tmpl("NHI-EXC-005", `rule .* cannot be waived by an exception: fix the spec instead$`),
	}
	for _, kind := range slices.Sorted(maps.Keys(secretSamples)) {
		ts = append(ts, tmpl("NHI-SEC-001", `.* holds what looks like `+regexp.QuoteMeta(kind)+`: `))
		ts = append(ts, tmpl("NHI-SEC-001", `.* has a key that looks like `+regexp.QuoteMeta(kind)+`: `))
	}
	return ts
}()

// variants are parts of messages that vary with the configuration and the
// document, each of which must be seen on the fast path: every tier with
// its reason, the strictest limits of an unknown environment, production
// by another name, every unit of lib.fmt_duration, an exception without
// a rule name.
var variants = []struct {
	name string
	re   *regexp.Regexp
}{
	{"tier critical", regexp.MustCompile(`risk tier critical \(a production grant with a non-ephemeral credential or a wildcard\)`)},
	{"tier high, production", regexp.MustCompile(`risk tier high \(a production grant\)`)},
	{"tier high, platform", regexp.MustCompile(`risk tier high \(a grant on a high-risk platform\)`)},
	{"tier medium", regexp.MustCompile(`risk tier medium \(a staging grant\)`)},
	{"tier low", regexp.MustCompile(`risk tier low \(a grant outside production and staging\)`)},
	{"unknown environment", regexp.MustCompile(`(in|of) an unknown environment \(strictest limits apply\)`)},
	{"production alias", regexp.MustCompile(`in (` + strings.Join(prodAliases, "|") + `)[:( ]`)},
	{"limit in h", regexp.MustCompile(`[( ]\d+h[):]`)},
	{"limit in m", regexp.MustCompile(`[( ]\d+m[):]`)},
	{"limit in s", regexp.MustCompile(`[( ]\d+s[):]`)},
	{"limit in ms", regexp.MustCompile(`[( ]\d+ms[):]`)},
	{"limit in ns", regexp.MustCompile(`[( ]\d+ns[):]`)},
	{"unnamed rule", regexp.MustCompile(`the exception for an unnamed rule`)},
	{"secret at a list index", regexp.MustCompile(`^NHI-SEC-001 \S*\[\d+\]`)},
}

// Thresholds of the guard, over one run of TestNativeAgreesWithRego. They
// sit well below what the seeded run produces (it prints its counts), so
// that a change to the generators that starves a rule, a message or a
// waiver fails here instead of silently comparing nothing.
const (
	minPerRule     = 20 // results of each rule on the fast path
	minPerTemplate = 10 // results of each message template on the fast path
	minFallback    = 5  // results of each fallback template
	minExcepted    = 5  // waived results of each waivable rule on the fast path
	minPerVariant  = 10
)

// noFastPath lists the rules that the fast path never reports, and why.
var noFastPath = map[string]string{
	"NHI-CFG-001":  "a configuration it reports is invalid, and then the engine evaluates in Rego",
	"NHI-SPEC-001": "shaped only accepts documents with the right apiVersion and kind",
	"NHI-ENT-003":  "shaped only accepts documents whose entitlements it would pass",
}

// coverage counts the results of the run.
type coverage struct {
	rules, excepted, templates, variants map[string]int
	fastDocs, docs                       int
}

func newCoverage() *coverage {
	return &coverage{rules: map[string]int{}, excepted: map[string]int{}, templates: map[string]int{}, variants: map[string]int{}}
}

func templateKey(t template) string { return t.re.String() }

// add counts results; fast says they are what the fast path computes.
func (c *coverage) add(t *testing.T, results []Result, fast bool) {
	t.Helper()
	for _, r := range results {
		if !strings.HasPrefix(r.Namespace, "nhigate.") {
			continue
		}
		i := slices.IndexFunc(templates, func(tm template) bool { return tm.rule == r.Rule && tm.re.MatchString(r.Message) })
		if i < 0 {
			t.Errorf("%s: no template matches %q: add it to templates", r.Rule, r.Message)
			continue
		}
		tm := templates[i]
		if tm.never != "" {
			t.Errorf("%s: %q occurred, but %s", r.Rule, r.Message, tm.never)
		}
		if fast || tm.fallback {
			c.templates[templateKey(tm)]++
		}
		if !fast {
			continue
		}
		c.rules[r.Rule]++
		if r.Excepted {
			c.excepted[r.Rule]++
		}
		for _, v := range variants {
			if v.re.MatchString(r.Message) {
				c.variants[v.name]++
			}
		}
	}
}

// check fails t when the run did not reach a rule, template, waiver or
// variant often enough.
func (c *coverage) check(t *testing.T) {
	t.Helper()
	waivers := map[string]bool{}
	for _, id := range waivable() {
		waivers[id] = true
	}
	for _, r := range Catalog() {
		if why, ok := noFastPath[r.ID]; ok {
			if c.rules[r.ID] != 0 {
				t.Errorf("%s fired %d times on the fast path, but %s", r.ID, c.rules[r.ID], why)
			}
			continue
		}
		if c.rules[r.ID] < minPerRule {
			t.Errorf("%s fired %d times on the fast path, want at least %d: the generators do not reach it", r.ID, c.rules[r.ID], minPerRule)
		}
		if waivers[r.ID] && c.excepted[r.ID] < minExcepted {
			t.Errorf("%s was waived %d times, want at least %d: the exception generator does not reach it", r.ID, c.excepted[r.ID], minExcepted)
		}
	}
	for _, tm := range templates {
		if tm.never != "" {
			continue
		}
		want := minPerTemplate
		if tm.fallback {
			want = minFallback
		}
		if n := c.templates[templateKey(tm)]; n < want {
			t.Errorf("%s: message %s seen %d times, want at least %d", tm.rule, tm.re, n, want)
		}
	}
	for _, v := range variants {
		if n := c.variants[v.name]; n < minPerVariant {
			t.Errorf("variant %q (%s) seen %d times, want at least %d", v.name, v.re, n, minPerVariant)
		}
	}
}

func (c *coverage) log(t *testing.T) {
	t.Helper()
	t.Logf("documents: %d, on the fast path: %d", c.docs, c.fastDocs)
	for _, r := range Catalog() {
		t.Logf("%-12s fired %5d, waived %4d", r.ID, c.rules[r.ID], c.excepted[r.ID])
	}
	for _, tm := range templates {
		if tm.never == "" {
			t.Logf("template %5d  %s", c.templates[templateKey(tm)], tm.re)
		}
	}
	for _, v := range variants {
		t.Logf("variant  %5d  %s", c.variants[v.name], v.name)
	}
}

// ---------------------------------------------------------------------------
// The tests

// TestNativeAgreesWithRego compares the engine's default evaluation with
// the pure Rego on random configurations, clocks and documents, with no
// user policy, with one that does not use `with` (the fast path applies
// to the built-ins) and with one that does (the engine evaluates in Rego),
// and requires the same results, in the same order, field by field.
func TestNativeAgreesWithRego(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(2026, 12))
	pools := newPatternPools(t, broadCases(t))
	cov := newCoverage()
	// 24 configurations: one in three invalid (two batches each, which
	// only the Rego evaluates), one in six with a `with` policy (three);
	// the 12 others, eight batches each, make most documents.
	const configs, files = 24, 4
	validSeen, batchesSeen := 0, 0
	for c := range configs {
		cfg, valid := randomConfig(rng, c)
		if hasAbsent(cfg) {
			t.Fatalf("config %d: a breaker left absent in a value: %#v", c, cfg)
		}
		now := randomNow(rng)
		var extra map[string]string
		switch c % 6 {
		case 3:
			extra = repoPolicy
		case 5:
			extra = withPolicy
		}
		pure := newEngine(t, Options{Data: deepCopy(cfg).(map[string]any), Now: now, Extra: extra, pureRego: true})
		fast := newEngine(t, Options{Data: deepCopy(cfg).(map[string]any), Now: now, Extra: extra})
		// The fast engine takes its shortcuts, unless a policy uses with.
		if pure.verdicts != nil || (fast.verdicts != nil) == (c%6 == 5) {
			t.Fatalf("config %d: the engines do not take the paths under test", c)
		}
		// Under a valid configuration without `with`, the built-in rules
		// run in Go (native.go): that is what this test holds to the Rego.
		if pure.native != nil || (valid && c%6 != 5 && fast.native == nil) || (c%6 == 5 && fast.native != nil) {
			t.Fatalf("config %d: the Go translation is not where it should be (native %v, valid %v): %v", c, fast.native != nil, valid, cfg)
		}
		g := newDocGen(rng, cfg, now, pools)
		batches := 8
		switch {
		case !valid:
			batches = 2
		case c%6 == 5:
			batches = 3
		}
		for b := range batches {
			var inputs []Input
			for f := range files {
				inputs = append(inputs, g.file(fmt.Sprintf("c%02d-b%d-f%d.yaml", c, b, f)))
			}
			want, err := pure.Check(ctx, copyInputs(inputs))
			if err != nil {
				t.Fatalf("config %d batch %d: pure Rego: %v", c, b, err)
			}
			got, err := fast.Check(ctx, copyInputs(inputs))
			if err != nil {
				t.Fatalf("config %d batch %d: %v", c, b, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("config %d batch %d (now %s): results differ (-Rego +engine):\n%s\nconfig: %s\nfiles that differ: %s",
					c, b, now.Format(time.RFC3339Nano), diff, mustJSON(cfg), mustJSON(differing(inputs, want, got)))
			}
			// The configuration is valid exactly when NHI-CFG-001 is silent.
			cfgInvalid := slices.ContainsFunc(want, func(r Result) bool { return r.Rule == "NHI-CFG-001" })
			if cfgInvalid == valid {
				t.Fatalf("config %d: generated as valid=%v, but NHI-CFG-001 says otherwise: %s", c, valid, mustJSON(cfg))
			}
			batchesSeen++
			if valid {
				validSeen++
			}
			// Count per document: the fast path covers shaped documents
			// under a valid configuration, without `with`.
			byDoc := map[[2]any][]Result{}
			for _, r := range want {
				k := [2]any{r.File, r.Doc}
				byDoc[k] = append(byDoc[k], r)
			}
			for _, in := range inputs {
				for d, doc := range in.Docs {
					onFast := valid && c%6 != 5 && shaped(doc)
					cov.docs++
					if onFast {
						cov.fastDocs++
					}
					cov.add(t, byDoc[[2]any{in.File, d}], onFast)
				}
			}
		}
	}
	if validSeen == 0 || validSeen == batchesSeen {
		t.Errorf("%d of %d batches under a valid configuration: both kinds are needed", validSeen, batchesSeen)
	}
	cov.log(t)
	cov.check(t)
}

// differing lists the inputs whose results differ between want and got.
func differing(inputs []Input, want, got []Result) []Input {
	byFile := func(rs []Result, file string) []Result {
		return slices.DeleteFunc(slices.Clone(rs), func(r Result) bool { return r.File != file })
	}
	var out []Input
	for _, in := range inputs {
		if !cmp.Equal(byFile(want, in.File), byFile(got, in.File)) {
			out = append(out, in)
		}
	}
	return out
}

func mustJSON(v any) string {
	bs, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(bs)
}

// loaderSeed is the passing fixture with fields the strict loader accepts
// but the rules tell apart: environments, platforms, consumers, credential
// kinds and lifetimes, expiries around the fixture clock and its limits,
// approvers, exceptions and a secret in the prompt.
func loaderSeed(t testing.TB, rng *rand.Rand) map[string]any {
	doc := passingSpec(t)
	meta := doc["metadata"].(map[string]any)
	s := doc["spec"].(map[string]any)
	id := s["identity"].(map[string]any)
	id["platform"] = pick[any](rng, "aws", "gcp", "vault", "github", "generic", "kubernetes")
	id["consumer"] = pick[any](rng, "pipeline", "human", "agent", "scheduled-job")
	id["type"] = pick[any](rng, "workload-identity", "api-key", "token")
	s["environment"] = pick[any](rng, "production", "staging", "development", "moon")
	c := s["credential"].(map[string]any)
	c["kind"] = pick[any](rng, "ephemeral", "static")
	c["ttl"] = pick[any](rng, "1h", "90m", "8h", "9h", "25h", "45s")
	if chance(rng, 2) {
		c["rotation"] = pick[any](rng, "24h", "720h")
	}
	at := func(d time.Duration) string { return fixtureNow.Add(d).Format(time.RFC3339) }
	s["expiresAt"] = pick(rng, at(-time.Hour), at(time.Hour), at(168*time.Hour), at(169*time.Hour), at(720*time.Hour+time.Second), at(2200*time.Hour))
	s["approvals"] = map[string]any{
		"required":     pick[any](rng, []any{"@acme/security"}, []any{"@acme/payments"}, []any{"@alice"}, []any{"@bob", "@Acme/Security"}),
		"minApprovals": pick[any](rng, 1.0, 2.0, 3.0),
	}
	if chance(rng, 2) {
		s["exceptions"] = []any{map[string]any{
			"rule":       pick(rng, waivable()...),
			"reason":     "vendor API only supports static keys",
			"approvedBy": pick[any](rng, "@acme/security", "@alice"),
			"expiresAt":  pick(rng, at(-time.Hour), at(48*time.Hour), at(91*24*time.Hour)),
			"ticket":     "SEC-1",
		}}
	}
	if chance(rng, 3) {
		p := meta["provenance"].(map[string]any)
		p["prompt"] = "use " + pick(rng, secretSamples[pick(rng, slices.Sorted(maps.Keys(secretSamples))...)]...)
		delete(p, "promptSha256")
	}
	return doc
}

// FuzzNativeAgreesWithRego compares the two evaluations on what the strict
// loader accepts, as `nhigate check` feeds the engine: the example repo,
// the fixtures, documents of the generators that the loader accepts, and
// the hand-written ones in testdata/differential.
func FuzzNativeAgreesWithRego(f *testing.F) {
	for _, root := range []string{"../testdata/example", "testdata/specs", "testdata/differential"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
				return err
			}
			data, err := os.ReadFile(path)
			if err == nil {
				f.Add(data)
			}
			return err
		})
		if err != nil {
			f.Fatal(err)
		}
	}
	cfg := fixtureConfig(f)
	rng := rand.New(rand.NewPCG(12, 2026))
	added := 0
	for range 40 {
		data, err := yaml.Marshal(loaderSeed(f, rng))
		if err != nil {
			f.Fatal(err)
		}
		if _, err := spec.Parse("seed.yaml", data, spec.Strict, spec.Limits{}); err == nil {
			f.Add(data)
			added++
		}
	}
	if added < 20 {
		f.Fatalf("the strict loader accepts %d of 40 generated seeds: loaderSeed drifted from spec.Validate", added)
	}
	f.Logf("the strict loader accepts %d of 40 generated seeds", added)
	pure := newEngine(f, Options{Data: cfg, pureRego: true})
	fast := newEngine(f, Options{Data: cfg})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, err := spec.Parse("fuzz.yaml", data, spec.Strict, spec.Limits{})
		if err != nil {
			return // nhigate check refuses the file before any policy runs
		}
		in := Input{File: "fuzz.yaml"}
		for _, w := range ws {
			in.Docs = append(in.Docs, w.Source.Raw)
		}
		want, err := pure.Check(ctx, copyInputs([]Input{in}))
		if err != nil {
			t.Fatalf("pure Rego: %v", err)
		}
		got, err := fast.Check(ctx, copyInputs([]Input{in}))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("results differ (-Rego +engine):\n%s", diff)
		}
	})
}

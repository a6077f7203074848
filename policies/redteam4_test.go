package policies

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Red team, round 4: the Go translation of the built-in rules (native.go,
// native_rules.go) against the Rego it translates. Each case below is an
// input on which the engine's default path (the translation, for a
// document that shaped accepts under a valid configuration) and pureRego
// (conftest's semantics) disagreed when the round began; each is fixed. The Rego is the reference: the
// engine must give its results, message for message and field for field,
// or fall back to it.

// TestRedteam4NativeAgreesWithRego compares whole Checks, results and
// errors, of the two paths. Nothing is normalized: Result is what callers
// (review, output, attest) receive.
func TestRedteam4NativeAgreesWithRego(t *testing.T) {
	ctx := context.Background()
	// The last instant that time.format can write is
	// 2262-04-11T23:47:16.854775807Z; a day floored down from a later sum
	// can still be written.
	farClock := time.Date(2262, 4, 4, 23, 50, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		// gain is what the author of the spec (or the caller) gets from the
		// difference.
		gain string
		now  time.Time
		doc  func(t *testing.T) any
	}{
		{
			name: "controls of a rule that maps to no OWASP id",
			gain: "nothing at the gate; the Go Result has Controls.OWASP nil where the Rego has [] (NHI-PROV-*, NHI-EXC-001/002/004/005), so one finding is two different Results depending on the path",
			doc: func(t *testing.T) any {
				doc := passingSpec(t)
				delete(doc["metadata"].(map[string]any)["provenance"].(map[string]any), "generator")
				return doc
			},
		},
		{
			name: "delegated maxGrant reaching past 2262",
			gain: "NHI-DEL-002 missing from the report: now + delegated.maxGrant (168h) passes the last int64 nanosecond, and dayFloor gives up where the Rego floors the sum to 2262-04-11 and writes it; the spec stays blocked by NHI-EXP-001. Reachable from the CLI: nhigate check --now 2262-04-04T23:50:00Z (testscript redteam4_far_clock)",
			now:  farClock,
			doc: func(t *testing.T) any {
				doc := passingSpec(t)
				s := doc["spec"].(map[string]any)
				s["identity"].(map[string]any)["consumer"] = "agent"
				delete(s, "expiresAt")
				return doc
			},
		},
		{
			name: "a value that is no JSON value: a channel in conditions",
			gain: "a pass where the Rego fails closed: the Rego cannot convert the input and Check errors, the translation never converts it and passes (Engine.Check callers that build documents themselves; spec.Parse never makes one)",
			doc: func(t *testing.T) any {
				doc := passingSpec(t)
				ent := doc["spec"].(map[string]any)["entitlements"].([]any)[0].(map[string]any)
				ent["conditions"] = map[string]any{"tags": make(chan int)}
				return doc
			},
		},
		{
			name: "a secret in a []string",
			gain: "an AWS key passes NHI-SEC-001: the Rego converts []string to an array and finds it, the translation walks []any only (Engine.Check callers that build documents themselves)",
			doc: func(t *testing.T) any {
				doc := passingSpec(t)
				ent := doc["spec"].(map[string]any)["entitlements"].([]any)[0].(map[string]any)
				ent["conditions"] = map[string]any{"tags": []string{"AKIAIOSFODNN7EXAMPLE"}}
				return doc
			},
		},
		{
			name: "minApprovals of a Go integer type that isNumber does not list",
			gain: "nothing (the translation is stricter): uint8(3) is a number to the Rego, which passes, and not to isNumber, so the translation denies NHI-RISK-002 with minApprovals 0",
			doc: func(t *testing.T) any {
				doc := passingSpec(t)
				doc["spec"].(map[string]any)["approvals"].(map[string]any)["minApprovals"] = uint8(3)
				return doc
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = fixtureNow
			}
			in := []Input{{File: "spec.yaml", Docs: []any{tc.doc(t)}}}
			want, wantErr := newEngine(t, Options{Data: fixtureConfig(t), Now: now, pureRego: true}).Check(ctx, in)
			e := newEngine(t, Options{Data: fixtureConfig(t), Now: now})
			if e.native == nil {
				t.Fatal("the translation is off: the case probes nothing")
			}
			got, gotErr := e.Check(ctx, in)
			if (wantErr == nil) != (gotErr == nil) {
				t.Errorf("Rego: %v\nGo:   %v\n(%s)", wantErr, gotErr, tc.gain)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("results differ (-Rego +engine):\n%s\n(%s)", diff, tc.gain)
			}
		})
	}
}

// TestRedteam4CheckNothing checks a Check of no documents: no input, or
// files whose documents the loader all rejected (nhigate check bad.yaml,
// a review whose specs are all invalid or all deleted). Check evaluates
// the once query only when there are documents, and onceSilent then
// indexes the nil result: index out of range, and nhigate exits 2 (Go's
// panic) without the loader's file:line:col errors, where it must exit 1
// with them. cmd/nhigate testscripts check.txtar (line 12, bad.yaml) and
// hostile_input.txtar (line 18) failed on this; Check now skips onceSilent
// when there is nothing to check.
func TestRedteam4CheckNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inputs []Input
	}{
		{"no input", nil},
		{"a file without documents", []Input{{File: "bad.yaml"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t, Options{})
			if e.native == nil {
				t.Fatal("the translation is off: the case probes nothing")
			}
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("Check panics: %v", r)
				}
			}()
			results, err := e.Check(context.Background(), tc.inputs)
			if err != nil || len(results) != 0 {
				t.Errorf("Check = %v, %v; want no results and no error", results, err)
			}
		})
	}
}

// TestRedteam4NoPanic checks documents with numbers that OPA's number
// comparison cannot read (NaN, ±Inf as float64, a json.Number that is no
// number) in spec.approvals.minApprovals. Both the translation (risk002,
// ast.Compare) and the Rego (lt) panic in ast.NumberCompare, inside a
// worker goroutine of Check, which kills the process: no error, no exit
// code 3. Each case runs in a child process, since the panic cannot be
// recovered from here. Engine.Check callers only: spec.Parse rejects .inf
// and .nan and makes float64s.
func TestRedteam4NoPanic(t *testing.T) {
	values := map[string]any{
		"NaN":                  math.NaN(),
		"+Inf":                 math.Inf(1),
		"json.Number(\"abc\")": json.Number("abc"),
	}
	if name := os.Getenv("NHIGATE_REDTEAM4_PANIC"); name != "" {
		doc := passingSpec(t)
		doc["spec"].(map[string]any)["approvals"].(map[string]any)["minApprovals"] = values[name]
		opts := Options{}
		if os.Getenv("NHIGATE_REDTEAM4_PURE") != "" {
			opts.pureRego = true
		}
		results, err := newEngine(t, opts).Check(context.Background(), []Input{{File: "spec.yaml", Docs: []any{doc}}})
		fmt.Printf("returned: %d results, error %v\n", len(results), err)
		return
	}
	for name := range values {
		for _, pure := range []string{"", "1"} {
			t.Run(fmt.Sprintf("%s pureRego=%v", name, pure != ""), func(t *testing.T) {
				cmd := exec.Command(os.Args[0], "-test.run=^TestRedteam4NoPanic$", "-test.count=1")
				cmd.Env = append(os.Environ(), "NHIGATE_REDTEAM4_PANIC="+name, "NHIGATE_REDTEAM4_PURE="+pure)
				out, err := cmd.CombinedOutput()
				if err != nil || !strings.Contains(string(out), "returned:") {
					first, _, _ := strings.Cut(string(out), "\n\n")
					t.Errorf("Check did not return (%v): a document crashes the process instead of failing the check:\n%s", err, first)
				}
			})
		}
	}
}

// TestRedteam4RandomAgreement is the differential test that native.go's
// comment names (TestNativeAgreesWithRego does not exist;
// TestVerdictsAgreeWithRego varies only the entitlements, platform and
// environment): random specs whose metadata, identity, credential, expiry,
// revocation, approvals and exceptions take values of every type and at
// every boundary of the clock and the limits, under random valid
// configurations, two clocks (one off the hour), checked by the
// translation and by pureRego. It passed from the start except for the empty
// Controls lists (TestRedteam4NativeAgreesWithRego), which it equates.
func TestRedteam4RandomAgreement(t *testing.T) {
	ctx := context.Background()
	for _, seed := range []uint64{21, 31} {
		rng := rand.New(rand.NewPCG(seed, 99))
		cfg := redteam4Config(t, rng)
		now := fixtureNow
		if seed%2 == 0 {
			now = fixtureNow.Add(34*time.Minute + 789*time.Millisecond + 5)
		}
		var in []Input
		for i := range 300 {
			in = append(in, Input{File: fmt.Sprint("random-", i), Docs: []any{redteam4Doc(t, rng, now)}})
		}
		want, err := newEngine(t, Options{Data: cfg, Now: now, pureRego: true}).Check(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		e := newEngine(t, Options{Data: cfg, Now: now})
		if e.native == nil {
			t.Fatal("the translation is off: the test probes nothing")
		}
		got, err := e.Check(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("seed %d: results differ (-Rego +engine):\n%s", seed, diff)
		}
		rules := map[string]bool{}
		for _, r := range want {
			rules[r.Rule] = true
		}
		if len(rules) < 20 {
			t.Errorf("seed %d: %d rules fired: the random specs probe too little", seed, len(rules))
		}
	}
}

func redteam4Palette(now time.Time) []any {
	ts := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }
	return []any{
		"", " ", "production", "Production", "staging", "development", "moon", "human", "pipeline", "agent", "static", "ephemeral", "workload-identity",
		"alice", "@alice", " Alice ", "@acme/security", "@ACME/Security ", "@acme/payments", "ALICE",
		"1h", "0h", "0.1ns", "1.5h", "90m", "721h", "169h", "2h", "8h1ns", "1h0m0.000000001s", "5µs", "5μs", "8h", "7h60m", "480m", "1h1h",
		ts(-time.Second), ts(0), ts(1), ts(24 * time.Hour), ts(720 * time.Hour), ts(720*time.Hour + 1), ts(168 * time.Hour), ts(168*time.Hour + 1),
		ts(90 * 24 * time.Hour), ts(90*24*time.Hour + 1), ts(30 * 24 * time.Hour),
		"2026-11-25T13:00:00+01:00", "2026-11-26t00:00:00z", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z",
		"2262-04-11T23:47:16.854775807Z", "2262-04-11T23:47:16.854775808Z", "1677-09-21T00:12:43.145224192Z", "1677-09-21T00:12:43.145224191Z",
		"prod", "aws", "vault", "github", "generic", "gcp", "NHI-CRED-001", "nhi-cred-001", "NHI-EXC-001", "NHI-FOO-001", "NHI-RISK-001", "NHI-ID-001",
		"159af696f81f2914a6cf3989765727a120005119fd8207890dd360e65e7d25d2", "AKIAABCDEFGHIJKLMNOP", "https://u:p@x.example",
		0.0, 1.0, 2.0, 3.0, -1.0, 1.5, json.Number("2"), json.Number("2.0"), json.Number("1e1"), true, false, nil,
		[]any{}, map[string]any{}, []any{"@acme/security"}, map[string]any{"a": "@acme/security"}, map[string]any{"nhigate": "absent"},
		[]any{"@acme/security", "alice", 3.0}, map[string]any{"rule": "NHI-CRED-001"},
	}
}

var redteam4Fields = []string{
	"metadata", "metadata.owner", "metadata.requester", "metadata.provenance", "metadata.provenance.generator", "metadata.provenance.prompt", "metadata.provenance.promptSha256",
	"spec.identity", "spec.identity.type", "spec.identity.platform", "spec.identity.consumer", "spec.environment",
	"spec.credential", "spec.credential.kind", "spec.credential.ttl", "spec.credential.rotation", "spec.expiresAt",
	"spec.revocation", "spec.revocation.onCompletion", "spec.revocation.onTimeout",
	"spec.approvals", "spec.approvals.required", "spec.approvals.minApprovals", "spec.exceptions",
}

func redteam4Set(doc map[string]any, path string, v any, del bool) {
	keys := strings.Split(path, ".")
	m := doc
	for _, k := range keys[:len(keys)-1] {
		n, ok := m[k].(map[string]any)
		if !ok {
			n = map[string]any{}
			m[k] = n
		}
		m = n
	}
	if del {
		delete(m, keys[len(keys)-1])
	} else {
		m[keys[len(keys)-1]] = v
	}
}

func redteam4Config(t *testing.T, rng *rand.Rand) map[string]any {
	c := fixtureConfig(t)
	envs := c["environments"].(map[string]any)
	switch rng.IntN(8) {
	case 0:
		envs["prod"] = map[string]any{"maxTTL": "2h", "maxGrant": "48h", "production": true}
	case 1:
		envs["production"].(map[string]any)["maxTTL"] = "0.1ns"
	case 2:
		c["maxExceptionDays"] = []any{1, 30, 36500, 100000}[rng.IntN(4)]
	case 3:
		tier(c, "critical")["approvers"] = []any{"@ACME/Security ", "alice", "@alice"}
	case 4:
		tier(c, "high")["ownerMayApprove"] = true
		tier(c, "critical")["minApprovals"] = 0
	case 5:
		c["highRiskPlatforms"] = []any{}
	case 6:
		c["delegated"] = map[string]any{"maxTTL": "2562047h", "maxGrant": "2562047h"}
	}
	return c
}

func redteam4Doc(t *testing.T, rng *rand.Rand, now time.Time) map[string]any {
	pal := redteam4Palette(now)
	pick := func() any { return pal[rng.IntN(len(pal))] }
	doc := passingSpec(t)
	for range 1 + rng.IntN(6) {
		f := redteam4Fields[rng.IntN(len(redteam4Fields))]
		if f == "spec.exceptions" || rng.IntN(6) == 0 {
			var exs []any
			for range rng.IntN(3) {
				e := map[string]any{}
				for _, k := range []string{"rule", "reason", "approvedBy", "expiresAt", "ticket"} {
					if rng.IntN(5) != 0 {
						e[k] = pick()
					}
				}
				if rng.IntN(2) == 0 {
					e["rule"] = []string{"NHI-CRED-001", "NHI-RISK-001", "NHI-EXP-003", "NHI-SOD-002", "NHI-ENT-002", "NHI-CRED-003", "NHI-EXC-004"}[rng.IntN(7)]
					e["reason"] = "r"
					e["approvedBy"] = []string{"@acme/security", "alice", "@Alice ", "bob"}[rng.IntN(4)]
					e["expiresAt"] = now.Add(time.Duration(rng.IntN(200)) * 24 * time.Hour / 2).Format(time.RFC3339)
				}
				if rng.IntN(10) == 0 {
					exs = append(exs, pick())
				} else {
					exs = append(exs, e)
				}
			}
			if rng.IntN(8) == 0 {
				m := map[string]any{}
				for i, e := range exs {
					m[fmt.Sprint("k", i)] = e
				}
				redteam4Set(doc, "spec.exceptions", m, false)
			} else {
				redteam4Set(doc, "spec.exceptions", exs, false)
			}
			continue
		}
		if rng.IntN(8) == 0 {
			redteam4Set(doc, f, nil, true)
		} else {
			redteam4Set(doc, f, pick(), false)
		}
	}
	return doc
}

// TestRedteam4SecretInKey checks a secret written as a mapping key, in the
// free-form conditions of an entitlement. NHI-SEC-001 read string values
// only, in the Rego and in its Go translation alike, so the spec passed
// with an AWS access key id in it, in nhigate and in conftest (testscript
// redteam4_secret_key): a gap of the rule both shared, now closed in both
// (a key is reported at its mapping, and never written out).
func TestRedteam4SecretInKey(t *testing.T) {
	ctx := context.Background()
	doc := passingSpec(t)
	ent := doc["spec"].(map[string]any)["entitlements"].([]any)[0].(map[string]any)
	ent["conditions"] = map[string]any{"AKIAIOSFODNN7EXAMPLE": "keyonly"}
	in := []Input{{File: "spec.yaml", Docs: []any{doc}}}
	for _, opts := range []Options{{pureRego: true}, {}} {
		results, err := newEngine(t, opts).Check(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(results, func(r Result) bool { return r.Rule == "NHI-SEC-001" }) {
			t.Errorf("pureRego %v: no NHI-SEC-001 for an AWS access key id written as a key: %v", opts.pureRego, messagesOf(results))
		}
	}
}

package policies

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/conftest/policy"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/synth"
	"github.com/nhigate/nhigate/spec"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// benchInputs makes n single-document inputs by cycling through the
// fixtures: passing, failing, excepted and multi-document specs.
func benchInputs(b *testing.B, n int) ([]Input, map[string]any) {
	_, fixtures := fixtureInputs(b)
	var docs []any
	for _, in := range fixtures {
		docs = append(docs, in.Docs...)
	}
	inputs := make([]Input, n)
	configs := make(map[string]any, n)
	for i := range inputs {
		name := fmt.Sprintf("specs/spec-%05d.yaml", i)
		inputs[i] = Input{File: name, Docs: []any{docs[i%len(docs)]}}
		configs[name] = docs[i%len(docs)]
	}
	return inputs, configs
}

// BenchmarkCheck10k evaluates 10,000 parsed specs with the built-in
// policies, on GOMAXPROCS workers. Compiling is outside the loop, as it
// happens once per run. Compare specs/s across GOMAXPROCS with -cpu 1,2,4.
func BenchmarkCheck10k(b *testing.B) {
	inputs, _ := benchInputs(b, 10_000)
	e := newEngine(b, Options{Data: fixtureConfig(b)})
	ctx := context.Background()
	b.ReportAllocs()
	runs := 0
	for b.Loop() {
		results, err := e.Check(ctx, inputs)
		if err != nil {
			b.Fatal(err)
		}
		if len(results) == 0 {
			b.Fatal("no results")
		}
		runs++
	}
	b.ReportMetric(float64(runs*len(inputs))/b.Elapsed().Seconds(), "specs/s")
}

// BenchmarkConftestEngine evaluates the same specs with conftest's own
// engine (a query per rule and namespace, prepared on every evaluation), 100
// specs per iteration, for comparison: specs/s here against
// BenchmarkCheck10k. Timing the two CLIs end to end also counts parsing and
// process start.
func BenchmarkConftestEngine(b *testing.B) {
	_, configs := benchInputs(b, 100)
	caps, err := policy.LoadCapabilities("")
	if err != nil {
		b.Fatal(err)
	}
	engine, err := policy.LoadWithData([]string{builtinDir}, []string{"testdata/config", "testdata/clock"},
		policy.CompilerOptions{RegoVersion: "v1", Capabilities: caps})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	runs := 0
	for b.Loop() {
		for _, ns := range engine.Namespaces() {
			if _, err := engine.Check(ctx, configs, ns); err != nil {
				b.Fatal(err)
			}
		}
		runs++
	}
	b.ReportMetric(float64(runs*len(configs))/b.Elapsed().Seconds(), "specs/s")
}

// BenchmarkBroad evaluates the judgement of NHI-ENT-001/002 on one pattern
// of each shape, with the real catalog: the common narrow ones, decided
// early, and the slowest, such as an EC2 ARN whose region is a wildcard,
// which probes the service's resource types. Compare with the Go
// judgement: go test ./policies/data/nhigate/catalog -bench Judge.
func BenchmarkBroad(b *testing.B) {
	modules, err := builtinModules(false)
	if err != nil {
		b.Fatal(err)
	}
	c := ast.NewCompiler().WithCapabilities(capabilities())
	if c.Compile(modules); c.Failed() {
		b.Fatal(c.Errors)
	}
	store, err := newStore(nil, fixtureNow, false)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	input, err := ast.InterfaceToValue(passingSpec(b))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, fn, pattern string }{
		{"narrow-action", "broad_action", "s3:Get*"},
		{"sensitive-action", "broad_action", "iam:P*"},
		{"open-service-action", "broad_action", "s?*:Get*"},
		{"narrow-arn", "broad_resource", "arn:aws:s3:::payments-artifacts/*"},
		{"type-arn", "broad_resource", "arn:aws:iam::123456789012:rol?/*"},
		{"region-wildcard-ec2", "broad_resource", "arn:aws:ec2:*:123456789012:instance/i-0abc*"},
		{"suffix-secret", "broad_resource", "arn:aws:secretsmanager:us-east-1:123456789012:secret:*-*"},
		{"many-runs", "broad_resource", "arn:aws:s3:::data/" + strings.Repeat("*x", 1000) + "*.csv"},
		{"long-run", "broad_resource", "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + strings.Repeat("?", 2000) + "Q1-2"},
	} {
		pq, err := rego.New(
			rego.Query(fmt.Sprintf("x := data.nhigate.lib.%s(%q)", bc.fn, bc.pattern)),
			rego.Compiler(c), rego.Store(store),
		).PrepareForEval(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pq.Eval(ctx, rego.EvalParsedInput(input)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheckSynth evaluates the specs of scripts/synth (the ones
// scripts/bench.sh times with the CLI), parsed by the strict loader, with
// the default configuration: the same inputs as `nhigate check`, without
// reading the files. Profile it with -cpuprofile.
func BenchmarkCheckSynth(b *testing.B) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var inputs []Input
	for i := range 2000 {
		file := fmt.Sprintf("identities/svc-%05d.yaml", i)
		ws, err := spec.Parse(file, []byte(synth.Spec(i, false, now)), spec.Strict, spec.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		in := Input{File: file}
		for _, w := range ws {
			in.Docs = append(in.Docs, w.Source.Raw)
		}
		inputs = append(inputs, in)
	}
	e := newEngine(b, Options{Data: config.Default().Data(), Now: now})
	ctx := context.Background()
	b.ReportAllocs()
	runs := 0
	for b.Loop() {
		if _, err := e.Check(ctx, inputs); err != nil {
			b.Fatal(err)
		}
		runs++
	}
	b.ReportMetric(float64(runs*len(inputs))/b.Elapsed().Seconds(), "specs/s")
}

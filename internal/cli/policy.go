package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/policies"
	"github.com/nhigate/nhigate/reviewer"
	"github.com/nhigate/nhigate/spec"
)

// maxPolicyFile bounds one user policy file read from the base revision.
const maxPolicyFile = 1 << 20

// evaluate runs the built-in policies and the repo's own (read from base)
// on the workflows, and places each result at its file:line:col.
func evaluate(ctx context.Context, base source.Tree, cfg *config.Config, ws []*spec.Workflow, now time.Time) ([]reviewer.Finding, string, error) {
	extra := map[string]string{}
	for _, dir := range cfg.Policies {
		files, err := base.Files(dir)
		if err != nil {
			return nil, "", fmt.Errorf("list policies in %s of %s: %w", dir, base, err)
		}
		for _, f := range files {
			if !strings.HasSuffix(f, ".rego") || strings.HasSuffix(f, "_test.rego") {
				continue
			}
			data, err := base.ReadFile(f, maxPolicyFile)
			if err != nil {
				return nil, "", &source.ConfigError{Err: fmt.Errorf("read policy %s from %s: %w", f, base, err)}
			}
			extra[f] = string(data)
		}
	}
	engine, err := policies.New(ctx, policies.Options{Extra: extra, Data: cfg.Data(), Now: now})
	if err != nil {
		return nil, "", &source.ConfigError{Err: fmt.Errorf("load policies: %w", err)}
	}

	// One input per file, its documents in order, so results map back.
	var inputs []policies.Input
	var byInput [][]*spec.Workflow
	index := map[string]int{}
	for _, w := range ws {
		i, ok := index[w.Source.File]
		if !ok {
			i = len(inputs)
			index[w.Source.File] = i
			inputs = append(inputs, policies.Input{File: w.Source.File})
			byInput = append(byInput, nil)
		}
		inputs[i].Docs = append(inputs[i].Docs, w.Source.Raw)
		byInput[i] = append(byInput[i], w)
	}
	results, err := engine.Check(ctx, inputs)
	if err != nil {
		return nil, "", fmt.Errorf("evaluate policies: %w", err)
	}
	titles := map[string]string{}
	for _, rule := range policies.Catalog() {
		titles[rule.ID] = rule.Title
	}
	findings := make([]reviewer.Finding, 0, len(results))
	for _, r := range results {
		i, ok := index[r.File]
		if !ok || r.Doc < 0 || r.Doc >= len(byInput[i]) {
			return nil, "", fmt.Errorf("policy result for unknown document %s#%d", r.File, r.Doc)
		}
		w := byInput[i][r.Doc]
		pos := w.Source.Position(r.Field)
		findings = append(findings, reviewer.Finding{
			Rule: r.Rule, Namespace: r.Namespace, Title: titles[r.Rule], Kind: r.Kind, Severity: r.Severity, Fix: r.Fix,
			// Built-in messages start with their rule id, for plain conftest
			// output; reports show the id on its own.
			Message:  strings.TrimPrefix(r.Message, r.Rule+" "),
			Identity: w.Metadata.Name, File: r.File, Doc: w.Source.Doc, Line: pos.Line, Col: pos.Col, Field: r.Field,
			Controls: reviewer.Controls{OWASPNHI: r.Controls.OWASP, NISTCSF: r.Controls.CSF, MAESTRO: r.Controls.MAESTRO, AIRMF: r.Controls.AIRMF},
			Excepted: r.Excepted,
		})
	}
	return findings, engine.Digest(), nil
}

package cli

import (
	"context"
	"strings"

	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/internal/source"
	"github.com/nhigate/nhigate/output"
	"github.com/nhigate/nhigate/policies"
	"github.com/nhigate/nhigate/reviewer"
)

const policiesExamples = `  # Every built-in rule with its severity and controls
  nhigate policies

  # As JSON, e.g. to map findings to controls in another tool
  nhigate policies --format json
`

func runPolicies(ctx context.Context, p *program, args []string) error {
	fs := p.flags("policies", "policies [--format text|markdown|json] [--output FILE]", policiesExamples)
	var out outputFlags
	out.register(fs, output.KindPolicies, false)
	if err := p.parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	_, print, err := out.resolve(p)
	if err != nil {
		return err
	}
	// The repo's own rules, from the policy directories its .nhigate.yaml
	// names, found as check finds it.
	repo, from, err := repoRules(ctx, p)
	if err != nil {
		return err
	}
	res := &output.PoliciesResult{SchemaVersion: output.ResultSchemaVersion, Rules: []output.PolicyRule{}, RepoRules: []output.RepoRule{}, From: from}
	rules := policies.Catalog()
	for _, r := range rules {
		res.Rules = append(res.Rules, output.PolicyRule{ID: r.ID, Namespace: r.Namespace, Kind: r.Kind, Title: r.Title, Severity: r.Severity,
			Waivable: r.Waivable, Fix: r.Fix,
			Controls: reviewer.Controls{OWASPNHI: r.Controls.OWASP, NISTCSF: r.Controls.CSF, MAESTRO: r.Controls.MAESTRO, AIRMF: r.Controls.AIRMF}})
	}
	for _, r := range repo {
		res.RepoRules = append(res.RepoRules, output.RepoRule{Namespace: r.Namespace, Rule: r.Rule, Kind: r.Kind})
	}
	if out.format == "markdown" || out.format == "md" {
		// The reference of the built-in rules is the policies package's
		// own document.
		var b strings.Builder
		if err := policies.WriteMarkdown(&b, rules); err != nil {
			return err
		}
		res.Reference = b.String()
	}
	return out.emit(p, print, res, "policies")
}

// repoRules lists the rules of the policy directories that the repo's
// .nhigate.yaml names, found from the working directory up to the
// repository root; none without one.
func repoRules(ctx context.Context, p *program) ([]policies.RepoRule, string, error) {
	lc, err := review.FindConfig(".", "")
	if err != nil || lc.Path == "" {
		return nil, "", err
	}
	cfg, path, root := lc.Config, lc.Path, lc.Root
	if len(cfg.Policies) == 0 {
		return nil, path, nil
	}
	now, err := p.clock("")
	if err != nil {
		return nil, "", err
	}
	engine, err := review.Engine(ctx, source.Dir(root), cfg, now)
	if err != nil {
		return nil, "", err
	}
	return engine.RepoRules(), path, nil
}

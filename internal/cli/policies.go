package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

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
	fs := p.flags("policies", "policies [--format text|json|markdown]", policiesExamples)
	format := fs.String("format", "text", "output format: text, json or markdown")
	if err := p.parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	if *format != "text" && *format != "json" && *format != "markdown" && *format != "md" {
		return usageErrorf("--format %q: use text, json or markdown", *format)
	}
	rules := policies.Catalog()
	// The repo's own rules, from the policy directories its .nhigate.yaml
	// names, found as check finds it.
	repo, from, err := repoRules(ctx, p)
	if err != nil {
		return err
	}
	switch *format {
	case "text":
		tw := tabwriter.NewWriter(p.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tKIND\tSEVERITY\tTITLE\tCONTROLS")
		for _, r := range rules {
			controls := strings.Join(append(append(append(append([]string{}, r.Controls.OWASP...), r.Controls.CSF...), r.Controls.MAESTRO...), r.Controls.AIRMF...), ", ")
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Severity, r.Title, controls)
		}
		for _, r := range repo {
			fmt.Fprintf(tw, "%s [%s]\t%s\t(its results say)\trepo rule from %s\t\n", r.Rule, r.Namespace, r.Kind, from)
		}
		return tw.Flush()
	case "json":
		// The same keys as the review report's: camelCase, controls as
		// findings carry them.
		type ruleJSON struct {
			ID        string            `json:"id"`
			Namespace string            `json:"namespace"`
			Kind      string            `json:"kind"`
			Title     string            `json:"title"`
			Severity  string            `json:"severity"`
			Waivable  bool              `json:"waivable"`
			Fix       string            `json:"fix"`
			Controls  reviewer.Controls `json:"controls"`
		}
		out := struct {
			SchemaVersion int                 `json:"schemaVersion"`
			Rules         []ruleJSON          `json:"rules"`
			RepoRules     []policies.RepoRule `json:"repoRules"`
		}{SchemaVersion: 1, Rules: []ruleJSON{}, RepoRules: append([]policies.RepoRule{}, repo...)}
		for _, r := range rules {
			out.Rules = append(out.Rules, ruleJSON{ID: r.ID, Namespace: r.Namespace, Kind: r.Kind, Title: r.Title, Severity: r.Severity,
				Waivable: r.Waivable, Fix: r.Fix,
				Controls: reviewer.Controls{OWASPNHI: r.Controls.OWASP, NISTCSF: r.Controls.CSF, MAESTRO: r.Controls.MAESTRO, AIRMF: r.Controls.AIRMF}})
		}
		return output.WriteJSON(p.stdout, out)
	}
	// markdown
	if err := policies.WriteMarkdown(p.stdout, rules); err != nil {
		return err
	}
	if len(repo) > 0 {
		fmt.Fprintf(p.stdout, "\n## Repo rules (from %s)\n\n| rule | namespace | kind |\n|---|---|---|\n", output.Escape(from))
		for _, r := range repo {
			fmt.Fprintf(p.stdout, "| %s | %s | %s |\n", output.Escape(r.Rule), output.Escape(r.Namespace), r.Kind)
		}
	}
	return nil
}

// repoRules lists the rules of the policy directories that the repo's
// .nhigate.yaml names, found from the working directory up to the
// repository root; none without one.
func repoRules(ctx context.Context, p *program) ([]policies.RepoRule, string, error) {
	path, root, err := findConfig(".")
	if err != nil || path == "" {
		return nil, "", err
	}
	cfg, err := readConfig(path)
	if err != nil {
		return nil, "", err
	}
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

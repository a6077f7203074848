package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/nhigate/nhigate/policies"
	"github.com/nhigate/nhigate/reviewer"
)

const policiesExamples = `  # Every built-in rule with its severity and controls
  nhigate policies

  # As JSON, e.g. to map findings to controls in another tool
  nhigate policies --format json
`

func runPolicies(_ context.Context, p *program, args []string) error {
	fs := p.flags("policies", "policies [--format text|json|markdown]", policiesExamples)
	format := fs.String("format", "text", "output format: text, json or markdown")
	if err := p.parse(fs, args); err != nil {
		return ignoreHelp(err)
	}
	rules := policies.Catalog()
	switch *format {
	case "text":
		tw := tabwriter.NewWriter(p.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tKIND\tSEVERITY\tTITLE\tCONTROLS")
		for _, r := range rules {
			controls := strings.Join(append(append(append(append([]string{}, r.Controls.OWASP...), r.Controls.CSF...), r.Controls.MAESTRO...), r.Controls.AIRMF...), ", ")
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Severity, r.Title, controls)
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
			SchemaVersion int        `json:"schemaVersion"`
			Rules         []ruleJSON `json:"rules"`
		}{SchemaVersion: 1, Rules: []ruleJSON{}}
		for _, r := range rules {
			out.Rules = append(out.Rules, ruleJSON{ID: r.ID, Namespace: r.Namespace, Kind: r.Kind, Title: r.Title, Severity: r.Severity,
				Waivable: r.Waivable, Fix: r.Fix,
				Controls: reviewer.Controls{OWASPNHI: r.Controls.OWASP, NISTCSF: r.Controls.CSF, MAESTRO: r.Controls.MAESTRO, AIRMF: r.Controls.AIRMF}})
		}
		enc := json.NewEncoder(p.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "markdown", "md":
		return policies.WriteMarkdown(p.stdout, rules)
	}
	return usageErrorf("--format %q: use text, json or markdown", *format)
}

package output

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/reviewer"
)

// SARIF writes SARIF 2.1.0 for GitHub code scanning: one rule per policy
// rule with its help and control ids, one result per finding at its line.
type SARIF struct {
	// Version is the nhigate version reported as the tool's.
	Version string
}

type sarifLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     sarifText      `json:"shortDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifLevel     `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifLevel struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID       string             `json:"ruleId"`
	RuleIndex    int                `json:"ruleIndex"`
	Level        string             `json:"level"`
	Message      sarifText          `json:"message"`
	Locations    []sarifLocation    `json:"locations"`
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
	Properties   map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

// invalidRule is the rule under which unreadable or malformed specs appear.
const invalidRule = "NHI-SPEC-000"

// securitySeverity maps severities to the scores GitHub uses to rank
// code scanning alerts.
var securitySeverity = map[string]string{"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}

func sarifLevelOf(f reviewer.Finding) string {
	if f.Kind == "warn" {
		return "warning"
	}
	return "error"
}

// Render implements Renderer.
func (s SARIF) Render(w io.Writer, r *reviewer.Report) error {
	r = Redact(r)
	var rules []sarifRule
	index := map[string]int{}
	rule := func(f reviewer.Finding) int {
		if i, ok := index[f.Rule]; ok {
			return i
		}
		title := f.Title
		if title == "" {
			title = f.Message
		}
		help := title
		if f.Fix != "" {
			help += "\n\nFix: " + f.Fix
		}
		tags := []string{"security", "non-human-identity"}
		if ids := f.Controls.All(); len(ids) > 0 {
			help += "\n\nControls: " + strings.Join(ids, ", ")
			tags = append(tags, ids...)
		}
		props := map[string]any{"tags": tags}
		if sev, ok := securitySeverity[f.Severity]; ok {
			props["security-severity"] = sev
		}
		index[f.Rule] = len(rules)
		rules = append(rules, sarifRule{
			ID: f.Rule, Name: ruleName(f.Rule), ShortDescription: sarifText{Text: title},
			Help: sarifText{Text: help}, DefaultConfiguration: sarifLevel{Level: sarifLevelOf(f)}, Properties: props,
		})
		return index[f.Rule]
	}
	results := []sarifResult{}
	add := func(f reviewer.Finding) {
		res := sarifResult{
			RuleID: f.Rule, RuleIndex: rule(f), Level: sarifLevelOf(f),
			Message: sarifText{Text: f.Message},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: f.File, URIBaseID: "%SRCROOT%"},
				// Code scanning rejects results without a line.
				Region: sarifRegion{StartLine: max(f.Line, 1), StartColumn: f.Col},
			}}},
		}
		if f.Excepted {
			res.Suppressions = []sarifSuppression{{Kind: "inSource", Justification: "waived by an exception in the spec"}}
		}
		results = append(results, res)
	}
	for _, e := range r.Invalid {
		add(reviewer.Finding{Rule: invalidRule, Title: "Spec is invalid or unsafe to read", Kind: "deny", Severity: "high",
			Message: e.Detail(), Fix: "fix the spec as the message says", File: e.File, Line: e.Line, Col: e.Col})
	}
	for _, f := range r.Findings {
		add(f)
	}
	if r.Scope == reviewer.ScopeDiff {
		// A diff has no policies: its results are the risky changes.
		for _, c := range riskyChanges(r.Diff) {
			id := diffRule(c.Kind)
			if _, ok := index[id]; !ok {
				index[id] = len(rules)
				rules = append(rules, sarifRule{
					ID: id, Name: ruleName(id), ShortDescription: sarifText{Text: "Entitlement change: " + string(c.Kind)},
					Help:                 sarifText{Text: "nhigate diff rates every change by the access it adds; each change at risk medium or above is listed for a reviewer to check. The level follows the risk: error for high and critical, warning for medium."},
					DefaultConfiguration: sarifLevel{Level: "warning"},
					Properties:           map[string]any{"tags": []string{"security", "non-human-identity", "entitlement-diff"}},
				})
			}
			results = append(results, sarifResult{
				RuleID: id, RuleIndex: index[id], Level: riskLevel(c.Risk),
				Message: sarifText{Text: changeText(c)},
				Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
					ArtifactLocation: sarifArtifact{URI: c.File, URIBaseID: "%SRCROOT%"},
					Region:           sarifRegion{StartLine: max(c.Line, 1)},
				}}},
				Properties: map[string]any{"risk": c.Risk.String(), "security-severity": securitySeverity[c.Risk.String()]},
			})
		}
	}
	if rules == nil {
		rules = []sarifRule{}
	}
	log := sarifLog{
		Version: "2.1.0",
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Runs: []sarifRun{{
			Tool:    sarifTool{Driver: sarifDriver{Name: "nhigate", Version: s.Version, InformationURI: "https://github.com/nhigate/nhigate", Rules: rules}},
			Results: results,
		}},
	}
	return writeJSON(w, log)
}

// ruleName turns NHI-CRED-001 into a SARIF rule name, NhiCred001.
func ruleName(id string) string {
	parts := strings.FieldsFunc(id, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + strings.ToLower(p[1:])
	}
	return strings.Join(slices.Clip(parts), "")
}

// diffRule is the SARIF rule of a kind of change, e.g. NHI-DIFF-grant-widened.
func diffRule(k diffing.Kind) string { return "NHI-DIFF-" + string(k) }

// riskLevel is the SARIF level of a change by its risk.
func riskLevel(r diffing.Risk) string {
	switch {
	case r >= diffing.High:
		return "error"
	case r >= diffing.Medium:
		return "warning"
	}
	return "note"
}

// riskyChanges lists a diff's changes at risk medium or above: governance
// first, then each identity's, in the diff's order.
func riskyChanges(d *diffing.Diff) []diffing.Change {
	var out []diffing.Change
	for _, c := range d.Governance {
		if c.Risk >= diffing.Medium {
			out = append(out, c)
		}
	}
	for _, id := range d.Identities {
		for _, c := range id.Changes {
			if c.Risk >= diffing.Medium {
				out = append(out, c)
			}
		}
	}
	return out
}

// changeText says what a change is, for formats that list one change per
// line: the identity, the kind, the grant or field, the risk and why.
func changeText(c diffing.Change) string {
	what := string(c.Kind)
	if c.Identity != "" {
		what = c.Identity + ": " + what
	}
	switch {
	case c.Grant != nil:
		g := *c.Grant
		g.Conditions = Conditions(g.Conditions)
		what += " " + g.String()
		if from := fromText(c); from != "" {
			what += " (was " + from + ")"
		}
	case c.Field != "":
		what += fmt.Sprintf(" %s %q → %q", c.Field, c.Old, c.New)
	}
	what += fmt.Sprintf(" · risk %s", c.Risk)
	if c.Reason != "" {
		what += ": " + c.Reason
	}
	return what
}

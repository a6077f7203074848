package output

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/reviewer"
)

// JSON writes the report as indented JSON with a schemaVersion, for
// machines.
type JSON struct{}

// Render implements Renderer. Secrets are masked. Conditions longer than
// MaxConditionsShown appear whole once, in the top-level "conditions"
// object under their SHA-256 ("sha256:<hex>"); each grant that carries
// them shows their first bytes, size and that digest.
//
// A diff has no verdict of its own: its JSON carries "verdict" only when it
// is blocked (an invalid spec, --fail-on-risk), and always "risk".
func (JSON) Render(w io.Writer, r *reviewer.Report) error {
	jr := sharedConditions(Redact(r))
	jr.SchemaVersion = jr.Report.SchemaVersion
	if !(jr.Scope == reviewer.ScopeDiff && jr.Report.Verdict == reviewer.Pass) {
		jr.Verdict = &jr.Report.Verdict
	}
	return writeJSON(w, jr)
}

// jsonReport is a report with its long conditions listed once, and its
// verdict left out where it has none.
type jsonReport struct {
	// SchemaVersion and Verdict shadow the report's own, in its order
	// (see Render).
	SchemaVersion int               `json:"schemaVersion"`
	Verdict       *reviewer.Verdict `json:"verdict,omitempty"`
	*reviewer.Report
	Conditions map[string]string `json:"conditions,omitempty"`
}

// sharedConditions moves the long conditions of r's grants into one table,
// leaving r as it is: the changes that carry them are copied.
func sharedConditions(r *reviewer.Report) *jsonReport {
	if r.Diff == nil {
		return &jsonReport{Report: r}
	}
	table := map[string]string{}
	short := func(g diffing.Grant) diffing.Grant {
		if s, digest := conditionsRef(g.Conditions, 32); digest != "" {
			table[digest] = g.Conditions
			g.Conditions = s
		}
		return g
	}
	changes := func(cs []diffing.Change) []diffing.Change {
		out := make([]diffing.Change, len(cs))
		for i, c := range cs {
			if c.Grant != nil {
				g := short(*c.Grant)
				c.Grant = &g
			}
			if len(c.From) > 0 {
				from := make([]diffing.Grant, len(c.From))
				for j, f := range c.From {
					from[j] = short(f)
				}
				c.From = from
			}
			out[i] = c
		}
		return out
	}
	d := *r.Diff
	d.Governance = changes(d.Governance)
	d.Identities = make([]*diffing.Identity, len(r.Diff.Identities))
	for i, id := range r.Diff.Identities {
		cp := *id
		cp.Changes = changes(id.Changes)
		d.Identities[i] = &cp
	}
	if len(table) == 0 {
		return &jsonReport{Report: r}
	}
	cp := *r
	cp.Diff = &d
	return &jsonReport{Report: &cp, Conditions: table}
}

// WriteJSON writes v as indented JSON with every secret masked (Redact),
// through the same last line of defence as the report formats. Commands
// that print results of their own use it.
func WriteJSON(w io.Writer, v any) error {
	return writeJSON(w, Redact(v))
}

// writeJSON writes v as indented JSON through the guard.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(guard(buf.Bytes(), jsonGuard))
	return err
}

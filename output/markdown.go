package output

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/reviewer"
)

// Marker is the hidden line by which nhigate finds its own pull request
// comment to update it in place.
const Marker = "<!-- nhigate:review -->"

// MaxCommentSize is GitHub's limit on a comment body, in characters.
const MaxCommentSize = 65536

// Markdown is the pull request comment: the verdict and counts first, then
// per identity a table of changes, the policy findings and approvals. It
// stays under MaxCommentSize by summarising, never by cutting mid-table.
type Markdown struct {
	// Limit overrides MaxCommentSize; tests use it to exercise summaries.
	Limit int
}

// Render implements Renderer.
func (m Markdown) Render(w io.Writer, r *reviewer.Report) error {
	_, err := io.WriteString(w, m.String(r))
	return err
}

// String renders the comment body. Every untrusted string in it is masked
// for secrets and escaped (Escape, Code, mermaidText).
func (m Markdown) String(r *reviewer.Report) string {
	limit := m.Limit
	if limit <= 0 {
		limit = MaxCommentSize
	}
	r = Redact(r)
	var out string
	for _, level := range []detail{full, noGraph, summary} {
		out = string(guard([]byte(markdown(r, level, limit)), markdownGuard))
		if runeLen(out) <= limit {
			return out
		}
	}
	return out // summary mode fits by construction
}

type detail int

const (
	full    detail = iota // tables, findings and the graph
	noGraph               // the same without the Mermaid graph
	summary               // one row per identity, rows dropped to fit
)

func runeLen(s string) int { return len([]rune(s)) }

func markdown(r *reviewer.Report, level detail, limit int) string {
	var head, body, tail strings.Builder
	head.WriteString(Marker + "\n")
	switch {
	case r.Scope == reviewer.ScopeDiff && r.Verdict == reviewer.Pass:
		fmt.Fprintf(&head, "## nhigate diff: risk %s\n\n", r.Diff.Risk())
	case r.Scope == reviewer.ScopeCheck && r.Verdict == reviewer.Pass:
		head.WriteString("## ✅ nhigate check: pass\n\n")
	case r.Verdict == reviewer.Pass:
		fmt.Fprintf(&head, "## ✅ nhigate: pass (risk %s)\n\n", r.Diff.Risk())
	default:
		fmt.Fprintf(&head, "## ❌ nhigate: blocked: %s\n\n", Escape(strings.Join(r.Reasons, "; ")))
	}
	fmt.Fprintf(&head, "**%s**\n\n", strings.Join(Count(r).parts(r), " · "))

	if len(r.Invalid) > 0 {
		head.WriteString("### Invalid specs\nThese could not be read or are malformed; nothing else is judged for them.\n\n")
		for i, e := range r.Invalid {
			if i == maxInvalid {
				fmt.Fprintf(&head, "- …and %d more; run `nhigate check` on the changed files for all of them\n", len(r.Invalid)-maxInvalid)
				break
			}
			fmt.Fprintf(&head, "- ❌ %s\n", Escape(e.Error()))
		}
		head.WriteString("\n")
	}
	if len(r.Diff.Governance) > 0 {
		head.WriteString("### ⚠️ Governance files changed\nThis pull request is judged by the base branch's policies, config and CODEOWNERS; these changes take effect only after merge.\n\n")
		for _, c := range r.Diff.Governance {
			fmt.Fprintf(&head, "- %s %s: %s\n", riskBadge(c.Risk), Code(c.File), Escape(c.Reason))
		}
		head.WriteString("\n")
	}
	if len(r.Diff.Identities) == 0 && len(r.Diff.Governance) == 0 && len(r.Invalid) == 0 {
		head.WriteString("No entitlement changes.\n\n")
	}

	approvals(&tail, r)
	tail.WriteString("\n<sub>Policies, config and CODEOWNERS were read from the base revision")
	if r.PolicyDigest != "" {
		fmt.Fprintf(&tail, " · policy set %s", Code(shortDigest(r.PolicyDigest)))
	}
	tail.WriteString(" · the prompt is never the authority.</sub>\n")

	switch level {
	case full, noGraph:
		if level == full {
			graph(&body, r.Diff)
		}
		for _, id := range r.Diff.Identities {
			identitySection(&body, r, id)
		}
		if s := omitted(r.Diff); s != "" {
			fmt.Fprintf(&body, "…and %s\n\n", Escape(s))
		}
		if others := unattached(r); len(others) > 0 {
			body.WriteString("### Findings in specs without entitlement changes\n\n")
			for _, f := range others {
				findingLine(&body, f)
			}
			body.WriteString("\n")
		}
	case summary:
		budget := limit - runeLen(head.String()) - runeLen(tail.String())
		summaryTable(&body, r, budget)
	}
	return head.String() + body.String() + tail.String()
}

func shortDigest(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}

func riskBadge(r diffing.Risk) string {
	switch r {
	case diffing.Critical:
		return "🔴 **critical**"
	case diffing.High:
		return "🟠 **high**"
	case diffing.Medium:
		return "🟡 medium"
	case diffing.Low:
		return "🟢 low"
	}
	return "none"
}

// maxInvalid bounds the list of invalid specs, which the size limit
// could not otherwise contain.
const maxInvalid = 50

// foldRows is how many table rows show before a table folds into <details>.
const foldRows = 12

func identitySection(b *strings.Builder, r *reviewer.Report, id *diffing.Identity) {
	fmt.Fprintf(b, "### %s %s (%s)\n", riskBadge(id.Risk), Code(id.Name), status(id))
	fmt.Fprintf(b, "%s · %s\n\n", Code(id.Current().Source.File), Escape(describe(id)))

	if grants := grantsOf(id); len(grants) > 0 {
		var t strings.Builder
		t.WriteString("| Change | Action | Resource | Conditions | Expiry | Risk |\n|---|---|---|---|---|---|\n")
		for _, c := range grants {
			change := symbol(c.Kind) + " " + label(c)
			if len(c.From) > 0 {
				change += " (was " + Code(fromText(c)) + ")"
			}
			fmt.Fprintf(&t, "| %s | %s | %s | %s | %s | %s: %s |\n", change, Code(c.Grant.Action), Code(c.Grant.Resource),
				Code(Conditions(c.Grant.Conditions)), Escape(expiryOf(id, c)), riskBadge(c.Risk), Escape(c.Reason))
		}
		fold(b, len(grants), plural(len(grants), "grant change", "grant changes"), t.String())
	}
	if attrs := attributesOf(id); len(attrs) > 0 {
		var t strings.Builder
		t.WriteString("| Field | Before | After | Risk |\n|---|---|---|---|\n")
		for _, c := range attrs {
			fmt.Fprintf(&t, "| %s | %s | %s | %s: %s |\n", Escape(c.Field), Code(c.Old), Code(c.New), riskBadge(c.Risk), Escape(c.Reason))
		}
		fold(b, len(attrs), plural(len(attrs), "attribute change", "attribute changes"), t.String())
	}
	if fs := r.FindingsFor(id.Name); len(fs) > 0 {
		b.WriteString("**Policy**\n\n")
		for _, f := range fs {
			findingLine(b, f)
		}
		b.WriteString("\n")
	}
}

func fold(b *strings.Builder, rows int, title, table string) {
	if rows <= foldRows {
		b.WriteString(table + "\n")
		return
	}
	fmt.Fprintf(b, "<details><summary>%s</summary>\n\n%s\n</details>\n\n", title, table)
}

func findingLine(b *strings.Builder, f reviewer.Finding) {
	mark := "❌"
	switch {
	case f.Excepted:
		mark = "⚪ waived:"
	case f.Kind == "warn":
		mark = "⚠️"
	}
	loc := f.File
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	fmt.Fprintf(b, "- %s **%s**%s (%s) %s %s", mark, Escape(f.Rule), Escape(repoNamespace(f)), Escape(f.Severity), Escape(f.Message), Code(loc))
	if f.Fix != "" {
		fmt.Fprintf(b, "<br/>Fix: %s", Escape(f.Fix))
	}
	if ids := f.Controls.All(); len(ids) > 0 {
		fmt.Fprintf(b, "<br/>Controls: %s", Escape(strings.Join(ids, ", ")))
	}
	b.WriteString("\n")
}

func approvals(b *strings.Builder, r *reviewer.Report) {
	if r.Scope != reviewer.ScopeReview {
		return
	}
	b.WriteString("### Approvals\n")
	if r.Mode == reviewer.MergeQueue {
		b.WriteString("Enforced on each pull request before it joined the merge queue.\n")
		return
	}
	if r.Approvals == nil {
		b.WriteString("Not checked: this is a local review. In GitHub Actions nhigate also requires these approvals, from base's CODEOWNERS, risk tiers and specs:\n\n")
		for _, a := range r.Required {
			fmt.Fprintf(b, "- %s\n", Escape(a.Description))
		}
		if len(r.Required) == 0 {
			b.WriteString("- none would be required\n")
		}
		return
	}
	if len(r.Approvals) == 0 {
		b.WriteString("No approvals are required.\n")
		return
	}
	b.WriteString("\n| Requirement | Status | Detail |\n|---|---|---|\n")
	for _, a := range r.Approvals {
		status, detail := "⏳ pending", a.Reason
		if a.Satisfied {
			status, detail = "✅ approved", "by "+strings.Join(a.By, ", ")
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", Escape(a.Description), status, Escape(detail))
	}
}

// maxEdges bounds the graph; GitHub stops rendering very large diagrams.
const maxEdges = 40

// graph draws the new and widened access paths: identity to resource,
// labelled with the actions.
func graph(b *strings.Builder, d *diffing.Diff) {
	type edge struct{ id, resource string }
	var edges []edge
	actions := map[edge][]string{}
	for _, id := range d.Identities {
		for _, c := range id.Changes {
			if c.Kind != diffing.GrantAdded && c.Kind != diffing.GrantWidened || c.Risk == diffing.Low {
				continue
			}
			e := edge{id.Name, c.Grant.Resource}
			if _, ok := actions[e]; !ok {
				edges = append(edges, e)
			}
			actions[e] = append(actions[e], symbol(c.Kind)+" "+c.Grant.Action)
		}
	}
	if len(edges) == 0 {
		return
	}
	b.WriteString("<details open><summary>New and widened access</summary>\n\n```mermaid\ngraph LR\n")
	nodes := map[string]string{}
	node := func(prefix, label string) string {
		key := prefix + label
		if n, ok := nodes[key]; ok {
			return n
		}
		n := fmt.Sprintf("%s%d", prefix, len(nodes))
		nodes[key] = n
		shape := `%s["%s"]`
		if prefix == "i" {
			shape = `%s(["%s"])`
		}
		fmt.Fprintf(b, "  "+shape+"\n", n, mermaidText(label))
		return n
	}
	shown := edges
	if len(shown) > maxEdges {
		shown = shown[:maxEdges]
	}
	for _, e := range shown {
		from, to := node("i", e.id), node("r", e.resource)
		fmt.Fprintf(b, "  %s -- \"%s\" --> %s\n", from, mermaidText(strings.Join(actions[e], ", ")), to)
	}
	b.WriteString("```\n")
	if len(edges) > maxEdges {
		fmt.Fprintf(b, "\n%d more access paths are listed in the tables below.\n", len(edges)-maxEdges)
	}
	b.WriteString("\n</details>\n\n")
}

// summaryTable lists identities one row each until the budget is spent,
// then says how many more there are. Rows are whole: nothing is cut.
func summaryTable(b *strings.Builder, r *reviewer.Report, budget int) {
	intro := "This pull request is too large to show in full here; each identity is summarised. Run `nhigate review --format json` or see the job summary for the changes, up to the report's limit.\n\n"
	header := "| Identity | Status | Changes | Risk | Policy failures |\n|---|---|---|---|---|\n"
	var rows strings.Builder
	skipped := omitted(r.Diff)
	if skipped != "" {
		skipped = "\n…and " + Escape(skipped) + "\n"
	}
	rest := budget - runeLen(intro) - runeLen(failureSummary(r)) - runeLen(header) - runeLen(skipped) - 300 // room for the closing lines
	shown := 0
	for _, id := range r.Diff.Identities {
		failures := 0
		for _, f := range r.FindingsFor(id.Name) {
			if f.Blocking() {
				failures++
			}
		}
		row := fmt.Sprintf("| %s | %s | %d | %s | %d |\n", Code(id.Name), status(id), len(id.Changes)+id.Omitted, riskBadge(id.Risk), failures)
		if runeLen(row) > rest {
			break
		}
		rest -= runeLen(row)
		rows.WriteString(row)
		shown++
	}
	b.WriteString(intro + failureSummary(r) + header + rows.String())
	if more := len(r.Diff.Identities) - shown; more > 0 {
		counts := map[diffing.Risk]int{}
		for _, id := range r.Diff.Identities[shown:] {
			counts[id.Risk]++
		}
		fmt.Fprintf(b, "\n…and %d more changed identities (%d critical, %d high, %d medium, %d low risk).\n",
			more, counts[diffing.Critical], counts[diffing.High], counts[diffing.Medium], counts[diffing.Low])
	}
	b.WriteString(skipped + "\n")
}

// failureSummary counts the blocking findings by rule, so that a summarised
// comment still says which policies fail. It names at most maxRules rules.
func failureSummary(r *reviewer.Report) string {
	const maxRules = 20
	counts := map[string]int{}
	var rules []string
	for _, f := range r.Findings {
		if !f.Blocking() {
			continue
		}
		if counts[f.Rule] == 0 {
			rules = append(rules, f.Rule)
		}
		counts[f.Rule]++
	}
	if len(rules) == 0 {
		return ""
	}
	slices.SortFunc(rules, func(a, b string) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(a, b)) })
	parts := make([]string, 0, len(rules))
	for i, id := range rules {
		if i == maxRules {
			parts = append(parts, fmt.Sprintf("and %d more rules", len(rules)-maxRules))
			break
		}
		parts = append(parts, fmt.Sprintf("**%s** ×%d", Escape(id), counts[id]))
	}
	return "Policy failures: " + strings.Join(parts, ", ") + ".\n\n"
}
